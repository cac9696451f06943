//! What the line feeds tell us, once decoded: the plant state's input vocabulary.

use crate::{EquipmentPath, TimestampMs, WorkCenterState};
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CounterKind {
    Good,
    Scrap,
}

/// The decoded content of one feed message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(tag = "tag", rename_all = "snake_case")]
pub enum FeedPayload {
    /// A work center's state changed (or was re-announced).
    State { state: WorkCenterState },
    /// A cumulative part counter of a work center.
    Counter { kind: CounterKind, value: u64 },
    /// The work order (and product) running on a line; `None` when the line has no order.
    Order {
        order: Option<String>,
        product: Option<String>,
    },
    /// Any other number a work center reports (a temperature, a speed): shown as its latest
    /// value, it changes neither state nor counts.
    Measurement { name: String, value: f64 },
}

/// One decoded message about one piece of equipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct FeedEvent {
    /// The work center (state, counters) or line (order) the message is about.
    pub path: EquipmentPath,
    /// When the source says it happened.
    pub timestamp_ms: TimestampMs,
    pub payload: FeedPayload,
}
