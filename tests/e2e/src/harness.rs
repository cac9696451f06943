//! Processes around the app: the X display, `tauri-driver`, and where things are.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::{Error, Result, fail};

/// How to get a binary the test can drive; printed when `TAKT_APP_BINARY` is missing or wrong.
pub const BUILD_HINT: &str = "\
Build the desktop app with the UI bundled, then point TAKT_APP_BINARY at it:
    npm ci --prefix ui && npm --prefix ui run build
    cargo build -p takt-desktop --features custom-protocol
    TAKT_APP_BINARY=\"${CARGO_TARGET_DIR:-target}/debug/takt-desktop\" cargo test -p takt-e2e
(scripts/test.sh does all of this; scripts/install-deps.sh --test installs Xvfb, WebKitWebDriver and tauri-driver.)";

/// The workspace root (two levels above this package).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// The app binary from `TAKT_APP_BINARY` (relative paths are taken from the workspace root).
pub fn app_binary() -> Result<PathBuf> {
    let Some(raw) = std::env::var_os("TAKT_APP_BINARY").filter(|v| !v.is_empty()) else {
        return fail!(
            "TAKT_APP_BINARY is not set: this test drives the real app binary.\n{BUILD_HINT}"
        );
    };
    let path = PathBuf::from(&raw);
    let path = if path.is_absolute() {
        path
    } else {
        workspace_root().join(path)
    };
    if !path.is_file() {
        return fail!(
            "TAKT_APP_BINARY={} does not exist (looked at {}).\n{BUILD_HINT}",
            raw.to_string_lossy(),
            path.display()
        );
    }
    Ok(path)
}

/// `$CARGO_TARGET_DIR/e2e` (or `<workspace>/target/e2e`), created: screenshots and logs go here.
pub fn output_dir() -> Result<PathBuf> {
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    };
    let dir = target.join("e2e");
    fs::create_dir_all(&dir).map_err(|e| Error(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| Error(format!("no free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error(e.to_string()))
}

/// `name` on `PATH`, as an absolute path.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The last `max` bytes of a log file, for failure messages.
pub fn log_tail(path: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    format!(
        "--- last {} bytes of {} ---\n{}",
        bytes.len(),
        path.display(),
        String::from_utf8_lossy(&bytes)
    )
}

fn log_file(path: &Path) -> Result<(Stdio, Stdio)> {
    let file =
        File::create(path).map_err(|e| Error(format!("cannot create {}: {e}", path.display())))?;
    let copy = file.try_clone().map_err(|e| Error(e.to_string()))?;
    Ok((Stdio::from(file), Stdio::from(copy)))
}

/// Sends `signal` to the process group led by `child` (see `process_group(0)` at spawn).
fn signal_group(child: &Child, signal: rustix::process::Signal) {
    let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    let _ = rustix::process::kill_process_group(pid, signal);
}

/// Stops a process group: SIGTERM, up to `grace` to exit, then SIGKILL. Reaps the leader.
fn stop_group(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        // The leader is gone; members may still be around.
        signal_group(child, rustix::process::Signal::KILL);
        return;
    }
    signal_group(child, rustix::process::Signal::TERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        sleep(Duration::from_millis(100));
    }
    // Whatever is left of the group (WebKitWebDriver, the app) goes now.
    signal_group(child, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

/// The X display the app runs on: `TAKT_E2E_DISPLAY` as given, or a private Xvfb, stopped on drop.
pub struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    /// Uses `TAKT_E2E_DISPLAY` if set, otherwise starts `Xvfb` on the first free display in :90..:120.
    pub fn acquire(log_dir: &Path) -> Result<Display> {
        if let Some(name) = std::env::var("TAKT_E2E_DISPLAY")
            .ok()
            .filter(|v| !v.is_empty())
        {
            eprintln!("[e2e] using display {name} from TAKT_E2E_DISPLAY");
            return Ok(Display { name, xvfb: None });
        }
        let Some(xvfb) = which("Xvfb") else {
            return fail!(
                "Xvfb is not on PATH (apt-get install xvfb xauth, or scripts/install-deps.sh --test), \
                 or set TAKT_E2E_DISPLAY to an existing X display"
            );
        };
        for n in 90..=120 {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
            if socket.exists() || lock.exists() {
                continue;
            }
            let name = format!(":{n}");
            let (out, err) = log_file(&log_dir.join("xvfb.log"))?;
            let mut child = Command::new(&xvfb)
                .args([
                    name.as_str(),
                    "-screen",
                    "0",
                    "1600x1000x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .process_group(0)
                .spawn()
                .map_err(|e| Error(format!("cannot start {}: {e}", xvfb.display())))?;
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    // Lost a race for this display number (or Xvfb is broken): try the next one.
                    eprintln!("[e2e] Xvfb {name} exited early, trying the next display");
                    break;
                }
                if socket.exists() {
                    eprintln!("[e2e] started Xvfb on {name} (pid {})", child.id());
                    return Ok(Display {
                        name,
                        xvfb: Some(child),
                    });
                }
                if Instant::now() > deadline {
                    stop_group(&mut child, Duration::from_secs(2));
                    return fail!(
                        "Xvfb {name} did not come up in 15 s\n{}",
                        log_tail(&log_dir.join("xvfb.log"), 2000)
                    );
                }
                sleep(Duration::from_millis(50));
            }
        }
        fail!(
            "no free X display in :90..:120 (or Xvfb keeps failing)\n{}",
            log_tail(&log_dir.join("xvfb.log"), 2000)
        )
    }

    /// The value for `DISPLAY`, e.g. `:90`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(child) = self.xvfb.as_mut() {
            stop_group(child, Duration::from_secs(3));
        }
    }
}

/// `tauri-driver` from `TAURI_DRIVER`, `PATH`, `$CARGO_HOME/bin` or `~/.cargo/bin`.
pub fn find_tauri_driver() -> Result<PathBuf> {
    if let Some(explicit) = std::env::var_os("TAURI_DRIVER").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(explicit);
        return if path.is_file() {
            Ok(path)
        } else {
            fail!("TAURI_DRIVER={} does not exist", path.display())
        };
    }
    let cargo_bins = [
        std::env::var_os("CARGO_HOME").map(|h| PathBuf::from(h).join("bin")),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")),
    ];
    which("tauri-driver")
        .or_else(|| {
            cargo_bins
                .into_iter()
                .flatten()
                .map(|d| d.join("tauri-driver"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| {
            Error(
                "tauri-driver is not on PATH nor in ~/.cargo/bin: install it with \
                 `cargo install tauri-driver --locked` (or scripts/install-deps.sh --test)"
                    .into(),
            )
        })
}

/// A running `tauri-driver` (with its `WebKitWebDriver`, and the app once a session exists),
/// in its own process group so that the guard stops all of them.
pub struct TauriDriver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl TauriDriver {
    /// Starts `tauri-driver` on free ports with `DISPLAY` and `env`: the native driver and the
    /// app it launches inherit that environment. Returns once the driver answers `/status`.
    pub fn start<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        display: &Display,
        env: &[(K, V)],
        log: &Path,
    ) -> Result<TauriDriver> {
        let binary = find_tauri_driver()?;
        if which("WebKitWebDriver").is_none() {
            return fail!(
                "WebKitWebDriver is not on PATH: apt-get install webkit2gtk-driver (or scripts/install-deps.sh --test)"
            );
        }
        let port = free_port()?;
        let mut native_port = free_port()?;
        while native_port == port {
            native_port = free_port()?;
        }
        let (out, err) = log_file(log)?;
        let mut command = Command::new(&binary);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .env("DISPLAY", display.name())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command
            .spawn()
            .map_err(|e| Error(format!("cannot start {}: {e}", binary.display())))?;
        eprintln!(
            "[e2e] started {} --port {port} --native-port {native_port} (pid {}, DISPLAY={}, log {})",
            binary.display(),
            child.id(),
            display.name(),
            log.display()
        );
        let mut driver = TauriDriver {
            child,
            port,
            log: log.to_path_buf(),
        };
        driver.wait_ready(Duration::from_secs(30))?;
        Ok(driver)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let url = format!("{}/status", self.url());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return fail!("tauri-driver exited early ({status})\n{}", self.log_tail());
            }
            // tauri-driver forwards /status to WebKitWebDriver: an answer means both are up.
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && let Ok(response) = agent.get(&url).call()
                && response.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return fail!(
                    "tauri-driver did not answer {url} within {timeout:?}\n{}",
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(200));
        }
    }

    /// Base URL of the WebDriver endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The end of the driver's log (which also gets the app's stdout/stderr).
    pub fn log_tail(&self) -> String {
        log_tail(&self.log, 6000)
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        stop_group(&mut self.child, Duration::from_secs(5));
    }
}
