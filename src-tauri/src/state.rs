//! What the Tauri app manages.

use std::sync::Arc;
use takt_runtime::{Takt, TaktError};

type RestartHook = Box<dyn Fn() + Send + Sync>;

pub struct AppState {
    pub takt: Arc<Takt>,
    /// Why the settings file could not be used at start, if it could not.
    pub settings_error: Option<TaktError>,
    /// Replaces the real restart (the mock runtime used in IPC tests cannot restart).
    restart_hook: Option<RestartHook>,
}

impl AppState {
    pub fn new(takt: Takt, settings_error: Option<TaktError>) -> Self {
        Self {
            takt: Arc::new(takt),
            settings_error,
            restart_hook: None,
        }
    }

    pub fn with_restart_hook(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.restart_hook = Some(Box::new(hook));
        self
    }

    pub(crate) fn restart_hook(&self) -> Option<&RestartHook> {
        self.restart_hook.as_ref()
    }
}
