//! Health of Takt's two connections: the MQTT broker and the MES database.

use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::TimestampMs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Not attempted yet.
    Starting,
    Connecting,
    Connected,
    /// Failed; retrying with backoff.
    Down,
}

/// What the status bar shows for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct LinkStatus {
    pub state: LinkState,
    /// Where we connect, with any password removed (e.g. `mqtt://10.0.0.5:1883`).
    pub target: String,
    pub since_ms: TimestampMs,
    /// The last error, as the library reported it.
    pub error: Option<String>,
    /// What to change to fix it: the setting and where it lives.
    pub hint: Option<String>,
}

impl LinkStatus {
    pub fn starting(target: impl Into<String>, now_ms: TimestampMs) -> Self {
        Self {
            state: LinkState::Starting,
            target: target.into(),
            since_ms: now_ms,
            error: None,
            hint: None,
        }
    }
}
