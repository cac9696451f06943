//! Scheduling a real plant: orders with routings, alternative work centers, sequence-dependent changeovers,
//! shift calendars, maintenance windows, pins and running operations.
//!
//! - [`input`]: the serde form of a plan (`plan.json`);
//! - [`Problem`]: its validated, immutable part; [`Plan`]: one schedule with propagated times;
//! - [`edit`]: planner edits with typed errors, undo and redo; [`scenario`]: branch, compare, promote;
//! - [`kpi`]: lateness, weighted tardiness, makespan, utilisation, changeovers, maintenance pushes;
//! - [`risk`]: Monte Carlo replications under random breakdowns: on-time probabilities, tardiness spread.

pub mod calendar;
pub mod edit;
pub mod error;
pub mod generate;
pub mod input;
pub mod kpi;
pub mod optimize;
mod plan;
pub mod problem;
pub mod risk;
pub mod scenario;
mod shared;
mod view;

pub use calendar::{Availability, Placement};
pub use edit::{Edit, EditOutcome, EditablePlan, MoveTarget};
pub use error::{EditError, InputError};
pub use input::PlanInput;
pub use kpi::Kpis;
pub use optimize::{
    Objective, OptimizeConfig, OptimizeResult, Progress, StopReason, check_feasible, optimize,
};
pub use plan::{Plan, Timing};
pub use problem::{Idx, Problem};
pub use risk::{
    Distribution, FailureModel, FailureSpec, OrderRisk, RiskConfig, RiskError, RiskReport,
    TardinessDistribution, simulate,
};
pub use scenario::{Comparison, Workspace, compare};
pub use view::ScheduledOperation;

/// Reads a `plan.json`; JSON errors carry line and column.
pub fn parse_plan(text: &str) -> Result<PlanInput, InputError> {
    serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; the error carries those as fields instead.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(k) => message[..k].to_owned(),
            None => message,
        };
        InputError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}
