//! Takt planning engine: pure Rust (no Tauri, no database, no network).
//!
//! This first slice delivers the classic job-shop core of issue 3: an OR-Library parser with line-numbered
//! errors, semi-active schedule propagation with cycle detection, an independent feasibility checker, and an
//! anytime tabu search (N5/N7 critical-block neighbourhoods) used by the `takt plan solve|bench` commands.

pub mod cli;
pub mod cli_optimize;
pub mod duration;
pub mod error;
pub mod jobshop;
pub mod plant;
mod rng;

pub use error::{FeasibilityError, ParseError, PlanError, ScheduleError};
