//! What the plant state publishes: plain, serialisable views for the UI, CLI and tests.

use crate::{Diagnostics, LinkStatus};
use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::{EquipmentPath, ShiftInstance, TimestampMs, WorkCenterState};

/// How fresh a work center's feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FeedHealth {
    /// Messages arriving.
    Live,
    /// Silent for longer than the stale threshold, or the broker connection is lost:
    /// the values shown are the last known ones.
    Stale,
    /// Never heard from, or silent for longer than the offline threshold.
    Offline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct WorkCenterLive {
    pub path: EquipmentPath,
    pub name: String,
    pub description: String,
    pub state: WorkCenterState,
    /// Source timestamp of the transition into the current state.
    pub state_since_ms: Option<TimestampMs>,
    /// Good parts counted in the current shift (or since Takt started, outside shifts).
    pub good: u64,
    pub scrap: u64,
    /// When Takt last received a message about this work center (local clock).
    pub last_message_ms: Option<TimestampMs>,
    pub feed: FeedHealth,
    /// Latest value of each measurement the work center reports, sorted by name (at most 32).
    pub measurements: Vec<Measurement>,
    /// Bumped whenever anything above changes; compare with a consumer's last version.
    pub version: u64,
}

/// The latest value of one measurement of a work center (a temperature, a speed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Measurement {
    pub name: String,
    pub value: f64,
    /// Source timestamp of the value.
    pub at_ms: TimestampMs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct LineLive {
    pub path: EquipmentPath,
    pub name: String,
    pub description: String,
    /// Work centers in flow order (paths; details in [`PlantSnapshot::work_centers`]).
    pub work_centers: Vec<EquipmentPath>,
    pub order: Option<String>,
    pub product: Option<String>,
    /// Good parts from the line's last work center in this shift.
    pub output: u64,
    /// Scrap from all the line's work centers in this shift.
    pub scrap: u64,
    /// What the line should have made by now in this shift at the ideal cycle time.
    pub target_so_far: u64,
    /// What it should make in the whole shift at the current product's ideal cycle time.
    pub target_shift: u64,
    pub shift: Option<ShiftInstance>,
    /// Worst feed health among its work centers.
    pub feed: FeedHealth,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct PlantSnapshot {
    /// Highest item version in this snapshot.
    pub version: u64,
    pub generated_ms: TimestampMs,
    pub lines: Vec<LineLive>,
    pub work_centers: Vec<WorkCenterLive>,
    pub broker: LinkStatus,
    pub database: LinkStatus,
    pub diagnostics: Diagnostics,
}

impl PlantSnapshot {
    pub fn work_center(&self, path: &str) -> Option<&WorkCenterLive> {
        self.work_centers.iter().find(|w| w.path.as_str() == path)
    }

    pub fn line(&self, path: &str) -> Option<&LineLive> {
        self.lines.iter().find(|l| l.path.as_str() == path)
    }
}

/// One applied change of one work center, as `takt watch --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct WorkCenterChange {
    pub path: EquipmentPath,
    pub state: takt_model::StateKind,
    pub reason: Option<String>,
    pub good: u64,
    pub scrap: u64,
    pub state_since_ms: Option<TimestampMs>,
    /// Source timestamp of the message that caused this change.
    pub timestamp_ms: TimestampMs,
    /// When Takt received it.
    pub received_ms: TimestampMs,
    /// Cumulative counter readings as the source reported them (for the historian).
    pub good_total: Option<u64>,
    pub scrap_total: Option<u64>,
    pub feed: FeedHealth,
}
