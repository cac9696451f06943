// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    prefer_software_rendering();
    takt_desktop::run();
}

/// WebKitGTK's accelerated compositing renders through OpenGL; on PCs without a usable GPU
/// (virtual machines, remote desktops, Xvfb) that means software GL, which cost a live
/// overview ~3× the CPU and ~120 MB more memory in our measurements. Takt's screens are
/// plain boxes and text, so it turns compositing off unless `TAKT_GPU_COMPOSITING=1` (or the
/// user already chose a value for WEBKIT_DISABLE_COMPOSITING_MODE).
fn prefer_software_rendering() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && std::env::var_os("TAKT_GPU_COMPOSITING").is_none_or(|v| v != "1")
    {
        // SAFETY: called first thing in main, before any other thread exists, so nothing can
        // read the environment concurrently.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        };
    }
}
