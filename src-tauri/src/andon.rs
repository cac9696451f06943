//! The andon in the shell: pushes the alert list to the window, raises a desktop notification for each new
//! alert, and keeps the tray icon's badge (its title) at the number of alerts nobody acknowledged.

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use specta::Type;
use takt_runtime::{Alerts, AlertsView, Severity};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event;

/// Id of Takt's tray icon.
pub const TRAY_ID: &str = "takt";

/// The alert list changed.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct AlertsUpdate(pub AlertsView);

/// Forwards alert changes to the window, notifications and the tray, at most twice a second.
pub fn spawn_alert_updates<R: Runtime>(app: AppHandle<R>, alerts: Alerts) {
    tauri::async_runtime::spawn(async move {
        let mut versions = alerts.watch();
        // Alerts already notified; only new ones pop up (not every refresh of a message).
        let mut notified: HashSet<u64> = HashSet::new();
        loop {
            versions.borrow_and_update();
            let view = alerts.view();
            for alert in view
                .alerts
                .iter()
                .filter(|a| a.needs_attention() && a.cleared_ms.is_none())
            {
                if notified.insert(alert.id) {
                    notify(&app, &alert.subject_name, &alert.message, alert.severity);
                }
            }
            set_badge(&app, view.unacknowledged);
            if let Err(e) = AlertsUpdate(view).emit(&app) {
                tracing::warn!(error = %e, "could not send the alert list to the window");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            if versions.changed().await.is_err() {
                break;
            }
        }
    });
}

fn notify<R: Runtime>(app: &AppHandle<R>, subject: &str, message: &str, severity: Severity) {
    let title = match severity {
        Severity::Critical => format!("Takt — {subject} (critical)"),
        Severity::Warning => format!("Takt — {subject}"),
    };
    // Without a notification service (a headless session) this fails; the alert is still in the list.
    if let Err(e) = app
        .notification()
        .builder()
        .title(title)
        .body(message)
        .show()
    {
        tracing::debug!(error = %e, "desktop notification not shown");
    }
}

/// The tray badge: the count of unacknowledged alerts as the icon's title (shown next to it on Linux panels
/// and the macOS menu bar), and in the tooltip where the platform has one.
fn set_badge<R: Runtime>(app: &AppHandle<R>, unacknowledged: u32) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let title = (unacknowledged > 0).then(|| unacknowledged.to_string());
    let tooltip = match unacknowledged {
        0 => "Takt".to_owned(),
        1 => "Takt — 1 alert needs attention".to_owned(),
        n => format!("Takt — {n} alerts need attention"),
    };
    if let Err(e) = tray
        .set_title(title)
        .and_then(|_| tray.set_tooltip(Some(tooltip)))
    {
        tracing::debug!(error = %e, "tray badge not updated");
    }
}

/// Creates the tray icon with a small menu. A desktop without a tray (or a headless session) only logs.
pub fn create_tray<R: Runtime>(app: &AppHandle<R>) {
    use tauri::menu::{Menu, MenuItem};
    use tauri::tray::TrayIconBuilder;
    let build = || -> tauri::Result<()> {
        let open = MenuItem::with_id(app, "open", "Open Takt", true, None::<&str>)?;
        let acknowledge = MenuItem::with_id(
            app,
            "acknowledge_all",
            "Acknowledge all alerts",
            true,
            None::<&str>,
        )?;
        let menu = Menu::with_items(app, &[&open, &acknowledge])?;
        let mut tray = TrayIconBuilder::with_id(TRAY_ID)
            .tooltip("Takt")
            .menu(&menu)
            .on_menu_event(|app, event| match event.id().as_ref() {
                "open" => {
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.unminimize();
                        let _ = window.show();
                        let _ = window.set_focus();
                    }
                }
                "acknowledge_all" => {
                    if let Some(state) = app.try_state::<crate::state::AppState>() {
                        state
                            .takt
                            .alerts()
                            .acknowledge_all(&takt_runtime::current_user());
                    }
                }
                _ => {}
            });
        if let Some(icon) = app.default_window_icon() {
            tray = tray.icon(icon.clone());
        }
        tray.build(app)?;
        Ok(())
    };
    if let Err(e) = build() {
        tracing::warn!(error = %e, "no tray icon: the alert badge shows in the window only");
    }
}
