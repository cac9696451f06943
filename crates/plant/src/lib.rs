//! Live plant state: the single owner of what every work center is doing right now.
//!
//! Decoded feed events, decode errors, protocol news and connection news arrive on one bounded queue
//! ([`PlantInput`]). One tokio task ([`spawn`]) applies them in order to a [`PlantState`]
//! and publishes:
//! - a full [`PlantSnapshot`] on a `watch` channel at most ten times a second (the UI and
//!   commands read it; items carry a `version` so consumers can send only what changed);
//! - every work-center change on a `broadcast` channel ([`WorkCenterChange`]), for
//!   `takt watch`, tests, and the historian.
//!
//! [`PlantState`] itself is synchronous and deterministic (time is passed in), so the
//! rules are unit-tested without a runtime.

mod actor;
mod diagnostics;
mod link;
mod rate;
mod snapshot;
mod state;

pub use actor::{PlantHandle, PlantInput, PlantSettings, ProtocolEvent, now_ms, spawn};
pub use diagnostics::{Diagnostics, TopicDiagnostic};
pub use link::{LinkState, LinkStatus};
pub use rate::RATE_WINDOW_S;
pub use snapshot::{
    FeedHealth, LineLive, Measurement, PlantSnapshot, WorkCenterChange, WorkCenterLive,
};
pub use state::{MAX_MEASUREMENTS, PlantConfig, PlantState, ShiftPrime};
