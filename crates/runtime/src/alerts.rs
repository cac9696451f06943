//! The andon task: evaluates the alert rules against the live plant every second and publishes the list.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use specta::Type;
use takt_alerts::{Alert, AlertBook, AlertError, AlertRules};
use takt_plant::{PlantHandle, now_ms};
use tokio::sync::watch;

/// What the alerts panel and the tray badge show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct AlertsView {
    /// Newest first: open ones, then cleared ones still waiting for an acknowledgement, then history.
    pub alerts: Vec<Alert>,
    /// Not yet acknowledged: the badge count.
    pub unacknowledged: u32,
    /// Bumped on every change.
    pub version: u64,
}

/// Shared by the task and the commands.
#[derive(Clone)]
pub struct Alerts {
    book: Arc<Mutex<AlertBook>>,
    version: watch::Sender<u64>,
}

impl Alerts {
    pub(crate) fn new(rules: AlertRules) -> Self {
        Self {
            book: Arc::new(Mutex::new(AlertBook::new(rules))),
            version: watch::channel(0).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AlertBook> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    pub fn view(&self) -> AlertsView {
        let book = self.lock();
        AlertsView {
            alerts: book.alerts(),
            unacknowledged: book.unacknowledged() as u32,
            version: *self.version.borrow(),
        }
    }

    /// Changes whenever the list changes.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    pub fn acknowledge(&self, id: u64, by: &str) -> Result<(), AlertError> {
        self.lock().acknowledge(id, by, now_ms())?;
        self.bump();
        Ok(())
    }

    pub fn acknowledge_all(&self, by: &str) {
        self.lock().acknowledge_all(by, now_ms());
        self.bump();
    }

    /// Evaluates the rules every second (time-based rules need a clock, not only changes) until shutdown.
    pub(crate) fn spawn(&self, plant: PlantHandle, mut shutdown: watch::Receiver<bool>) {
        let alerts = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.changed() => return,
                }
                let snapshot = plant.snapshot();
                let changed = alerts.lock().evaluate(&snapshot, now_ms());
                if changed {
                    alerts.bump();
                }
            }
        });
    }
}

/// Who acknowledges: the operating-system user (Takt has no login yet).
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "supervisor".to_owned())
}
