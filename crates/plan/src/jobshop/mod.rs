//! The classic job-shop problem (minimise makespan): OR-Library parsing, schedules, and the tabu-search optimizer.

mod graph;
mod initial;
pub mod instance;
pub mod schedule;
pub mod tabu;

pub use instance::{Instance, OpId, Operation};
pub use schedule::{Schedule, verify};
pub use tabu::{Improvement, Neighbourhood, SolveResult, StopReason, TabuConfig, solve};
