//! Tauri commands: adapters from the UI to the engine. No business logic here.

use crate::state::AppState;
use takt_plant::PlantSnapshot;
use takt_runtime::{
    AlertsView, AuditAction, DetailRange, LineDetailView, LiveOee, Settings, SettingsView,
    TaktError, current_user,
};
use tauri::State;

/// The whole live plant: lines, work centers, link status, diagnostics.
#[tauri::command]
#[specta::specta]
pub fn get_snapshot(state: State<'_, AppState>) -> PlantSnapshot {
    (*state.takt.plant().snapshot()).clone()
}

/// The saved settings (password withheld) and where they live.
#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    state.takt.settings_view()
}

/// Saves settings for the next start. `password`: `null` keeps the stored one, `""` clears it.
#[tauri::command]
#[specta::specta]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
    password: Option<String>,
) -> Result<(), TaktError> {
    state.takt.save_settings(settings, password)
}

/// Restarts the app so saved settings take effect (after the window's exit handlers run).
#[tauri::command]
#[specta::specta]
pub fn restart_app<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>) {
    match state.restart_hook() {
        Some(hook) => hook(),
        None => app.request_restart(),
    }
}

/// The andon list: open alerts, cleared ones not yet acknowledged, recent history.
#[tauri::command]
#[specta::specta]
pub fn get_alerts(state: State<'_, AppState>) -> AlertsView {
    state.takt.alerts().view()
}

/// Acknowledges one alert (as the signed-in operating-system user).
#[tauri::command]
#[specta::specta]
pub fn acknowledge_alert(state: State<'_, AppState>, id: u64) -> Result<(), TaktError> {
    state
        .takt
        .alerts()
        .acknowledge(id, &current_user())
        .map_err(|e| TaktError::not_found(e.to_string()))
}

/// Acknowledges every alert that needs attention.
#[tauri::command]
#[specta::specta]
pub fn acknowledge_all_alerts(state: State<'_, AppState>) {
    state.takt.alerts().acknowledge_all(&current_user());
}

/// Draws a day's shift report (`format`: `png`, `svg` or `pdf`) for a line from the history and
/// saves it in Takt's data directory; returns where.
#[tauri::command]
#[specta::specta]
pub async fn save_shift_report(
    state: State<'_, AppState>,
    line: String,
    date: String,
    format: String,
) -> Result<String, TaktError> {
    let format = format.parse().map_err(|e: String| TaktError::settings(e))?;
    let takt = state.takt.clone();
    takt.save_shift_report(&line, &date, format)
        .await
        .map(|p| p.display().to_string())
}

/// One line over a shift or range: state bands, counters, OEE and losses, downtime.
#[tauri::command]
#[specta::specta]
pub async fn get_line_detail(
    state: State<'_, AppState>,
    line: String,
    range: DetailRange,
) -> Result<LineDetailView, TaktError> {
    let takt = state.takt.clone();
    takt.line_detail(&line, range).await
}

/// Assigns a reason to, splits, merges or comments downtime (audited as the signed-in user);
/// returns the line detail after the edit.
#[tauri::command]
#[specta::specta]
pub async fn edit_downtime(
    state: State<'_, AppState>,
    line: String,
    range: DetailRange,
    action: AuditAction,
) -> Result<LineDetailView, TaktError> {
    let takt = state.takt.clone();
    takt.edit_downtime(&line, range, action).await
}

/// Each line's OEE over its current shift so far.
#[tauri::command]
#[specta::specta]
pub async fn get_live_oee(state: State<'_, AppState>) -> Result<LiveOee, TaktError> {
    let takt = state.takt.clone();
    Ok((*takt.live_oee().await).clone())
}
