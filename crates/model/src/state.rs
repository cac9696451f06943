//! Work-center states and counters, with the rules the plant state applies to them.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::str::FromStr;

/// What a work center is doing. The wire names (snake_case) are part of the MQTT contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StateKind {
    /// Producing.
    Running,
    /// Able to run, with nothing asked of it.
    Idle,
    /// Waiting for material from upstream.
    Starved,
    /// Cannot discharge: downstream is full or stopped.
    Blocked,
    /// Unplanned stop; carries a reason code.
    Down,
    /// Switching product or tooling.
    Changeover,
    /// Planned stop (break, planned maintenance, no demand); carries a reason code.
    PlannedStop,
    /// No feed: the equipment or its edge node is not reporting.
    Offline,
}

impl StateKind {
    pub const ALL: [StateKind; 8] = [
        StateKind::Running,
        StateKind::Idle,
        StateKind::Starved,
        StateKind::Blocked,
        StateKind::Down,
        StateKind::Changeover,
        StateKind::PlannedStop,
        StateKind::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StateKind::Running => "running",
            StateKind::Idle => "idle",
            StateKind::Starved => "starved",
            StateKind::Blocked => "blocked",
            StateKind::Down => "down",
            StateKind::Changeover => "changeover",
            StateKind::PlannedStop => "planned_stop",
            StateKind::Offline => "offline",
        }
    }

    /// Whether a reason code belongs to this state. Reasons explain stops, nothing else.
    pub fn takes_reason(self) -> bool {
        matches!(self, StateKind::Down | StateKind::PlannedStop)
    }

    /// Whether time in this state counts as producing time.
    pub fn is_productive(self) -> bool {
        self == StateKind::Running
    }
}

impl FromStr for StateKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StateKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown state `{s}`; expected one of {}",
                    StateKind::ALL.map(StateKind::as_str).join(", ")
                )
            })
    }
}

/// A work center's state with its reason code, normalised by the model's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct WorkCenterState {
    pub kind: StateKind,
    /// Reason code (e.g. `MECH-JAM`) for `down` and `planned_stop`; always `None` otherwise.
    pub reason: Option<String>,
}

impl WorkCenterState {
    /// Builds a state, dropping a reason the state cannot carry and blank reasons.
    pub fn new(kind: StateKind, reason: Option<String>) -> Self {
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| kind.takes_reason() && !r.is_empty());
        Self { kind, reason }
    }

    pub fn offline() -> Self {
        Self {
            kind: StateKind::Offline,
            reason: None,
        }
    }
}

/// How a new cumulative counter reading relates to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterDelta {
    /// The counter advanced (or stood still) by this many parts.
    Advanced(u64),
    /// The counter went backwards: the PLC restarted or rolled over; the new reading
    /// is counted as parts made since the reset.
    Reset(u64),
}

impl CounterDelta {
    /// Compares a cumulative reading with the previous one (`None` for the first reading,
    /// which establishes the baseline and counts nothing).
    pub fn between(previous: Option<u64>, current: u64) -> CounterDelta {
        match previous {
            None => CounterDelta::Advanced(0),
            Some(prev) if current >= prev => CounterDelta::Advanced(current - prev),
            Some(_) => CounterDelta::Reset(current),
        }
    }

    pub fn parts(self) -> u64 {
        match self {
            CounterDelta::Advanced(n) | CounterDelta::Reset(n) => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for kind in StateKind::ALL {
            assert_eq!(kind.as_str().parse::<StateKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(" Running ".parse::<StateKind>(), Ok(StateKind::Running));
        assert!(
            "exploded"
                .parse::<StateKind>()
                .unwrap_err()
                .contains("planned_stop")
        );
    }

    #[test]
    fn only_stops_keep_reasons() {
        let down = WorkCenterState::new(StateKind::Down, Some(" MECH-JAM ".into()));
        assert_eq!(down.reason.as_deref(), Some("MECH-JAM"));
        let running = WorkCenterState::new(StateKind::Running, Some("MECH-JAM".into()));
        assert_eq!(running.reason, None);
        let blank = WorkCenterState::new(StateKind::Down, Some("  ".into()));
        assert_eq!(blank.reason, None);
        assert!(StateKind::PlannedStop.takes_reason());
        assert!(!StateKind::Starved.takes_reason());
    }

    #[test]
    fn counters_advance_and_detect_resets() {
        assert_eq!(CounterDelta::between(None, 500), CounterDelta::Advanced(0));
        assert_eq!(
            CounterDelta::between(Some(500), 512),
            CounterDelta::Advanced(12)
        );
        assert_eq!(
            CounterDelta::between(Some(512), 512),
            CounterDelta::Advanced(0)
        );
        assert_eq!(CounterDelta::between(Some(512), 3), CounterDelta::Reset(3));
        assert_eq!(CounterDelta::Reset(3).parts(), 3);
    }
}
