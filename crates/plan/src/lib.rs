//! Takt planning engine: pure Rust (no Tauri, no database, no network).
//!
//! - [`plant`]: scheduling a real plant — orders, routings, alternative work centers, changeovers, shift
//!   calendars, maintenance, pins — with incremental propagation, edits with undo, scenarios, KPIs;
//! - [`jobshop`]: the classic job-shop problem (OR-Library format) and its tabu-search optimizer;
//! - [`cli`]: the `takt plan …` subcommands.

pub mod cli;
pub mod cli_optimize;
pub mod cli_plant;
pub mod cli_risk;
pub mod duration;
pub mod error;
pub mod jobshop;
pub mod plant;
mod rng;

pub use error::{FeasibilityError, ParseError, PlanError, ScheduleError};
