//! The live plant, pushed to the UI as batched deltas.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::time::Duration;
use takt_model::TimestampMs;
use takt_plant::{Diagnostics, LineLive, LinkStatus, PlantHandle, PlantSnapshot, WorkCenterLive};
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;

/// Topics sent with each update (errors, gaps or rebirths first, then busiest); the totals are
/// always exact.
/// Keeps updates small on a plant with thousands of topics.
pub const MAX_UPDATE_TOPICS: usize = 200;

/// At most four updates a second reach the UI, however busy the feed: live to the eye, with
/// fewer repaints than the ten a second the issue allows.
pub const MIN_UPDATE_INTERVAL: Duration = Duration::from_millis(250);

/// A change to the live plant. `full`: replace everything; otherwise `lines` and
/// `work_centers` hold only the items whose version changed — merge them by path.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct PlantUpdate {
    pub full: bool,
    pub version: u64,
    pub generated_ms: TimestampMs,
    pub lines: Vec<LineLive>,
    pub work_centers: Vec<WorkCenterLive>,
    pub broker: LinkStatus,
    pub database: LinkStatus,
    pub diagnostics: Diagnostics,
}

impl PlantUpdate {
    /// The update that brings a UI at `since` (None: nothing yet) up to `snapshot`.
    pub fn between(since: Option<u64>, snapshot: &PlantSnapshot) -> PlantUpdate {
        let newer = |v: u64| since.is_none_or(|s| v > s);
        PlantUpdate {
            full: since.is_none(),
            version: snapshot.version,
            generated_ms: snapshot.generated_ms,
            lines: snapshot
                .lines
                .iter()
                .filter(|l| newer(l.version))
                .cloned()
                .collect(),
            work_centers: snapshot
                .work_centers
                .iter()
                .filter(|w| newer(w.version))
                .cloned()
                .collect(),
            broker: snapshot.broker.clone(),
            database: snapshot.database.clone(),
            diagnostics: Diagnostics {
                topics: snapshot
                    .diagnostics
                    .topics
                    .iter()
                    .take(MAX_UPDATE_TOPICS)
                    .cloned()
                    .collect(),
                ..snapshot.diagnostics.clone()
            },
        }
    }
}

/// Forwards every new snapshot to the UI as a delta, at most every [`MIN_UPDATE_INTERVAL`].
pub fn spawn_plant_updates<R: Runtime>(app: AppHandle<R>, plant: PlantHandle) {
    tauri::async_runtime::spawn(async move {
        let mut snapshots = plant.watch();
        let mut sent: Option<u64> = None;
        loop {
            let snapshot = snapshots.borrow_and_update().clone();
            if sent != Some(snapshot.version) {
                let update = PlantUpdate::between(sent, &snapshot);
                if let Err(e) = update.emit(&app) {
                    tracing::warn!(error = %e, "could not send a plant update to the window");
                }
                sent = Some(snapshot.version);
            }
            tokio::time::sleep(MIN_UPDATE_INTERVAL).await;
            if snapshots.changed().await.is_err() {
                break;
            }
        }
    });
}
