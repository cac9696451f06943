//! Typed errors of the plant planning engine: bad input files and refused edits. Each names the ids involved,
//! so the planner sees *what* is wrong, and a refused edit always leaves the plan unchanged.

use crate::plant::input::{Time, format_utc};

/// Why a `plan.json` cannot be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("duplicate {kind} id `{id}`")]
    Duplicate { kind: &'static str, id: String },
    #[error("{referenced_by} refers to unknown {kind} `{id}`")]
    UnknownReference {
        kind: &'static str,
        id: String,
        referenced_by: String,
    },
    #[error("{what}: invalid {field} {value}")]
    InvalidNumber {
        what: String,
        field: &'static str,
        value: f64,
    },
    #[error("{what}: interval ends ({end}) before it starts ({start})")]
    InvalidInterval {
        what: String,
        start: Time,
        end: Time,
    },
    #[error("operation `{operation}` has no eligible work center")]
    NoAlternatives { operation: String },
    #[error(
        "{operation}, work center `{work_center}`: give exactly one of rate_per_hour and duration_ms"
    )]
    RateOrDuration {
        operation: String,
        work_center: String,
    },
    #[error(
        "operation `{operation}` cannot run on work center `{work_center}` (not one of its alternatives)"
    )]
    Ineligible {
        operation: String,
        work_center: String,
    },
    #[error(
        "operation `{operation}` follows `{predecessor}` of another order; routings stay within an order"
    )]
    CrossOrderPrecedence {
        operation: String,
        predecessor: String,
    },
    #[error("routing is cyclic through operations {}", operations.join(", "))]
    CyclicRouting { operations: Vec<String> },
    #[error(
        "operation `{operation}` is both running and pinned; a running operation is fixed already"
    )]
    PinnedAndRunning { operation: String },
    #[error("work center `{work_center}` has two running operations: `{first}` and `{second}`")]
    TwoRunning {
        work_center: String,
        first: String,
        second: String,
    },
    #[error("operation `{operation}` is sequenced on `{listed}` but assigned to `{assigned}`")]
    WrongSequence {
        operation: String,
        listed: String,
        assigned: String,
    },
    #[error("operation `{operation}` is listed twice in the sequences")]
    SequencedTwice { operation: String },
    #[error("the sequences contradict the routings (cycle through {})", operations.join(", "))]
    SequenceCycle { operations: Vec<String> },
    #[error(
        "pinned operation `{operation}` cannot start at its pinned time {}: the earliest is {}",
        format_utc(*pinned),
        format_utc(*earliest)
    )]
    PinUnreachable {
        operation: String,
        pinned: Time,
        earliest: Time,
    },
    #[error("too many {kind}s: {count} (at most {max})")]
    TooLarge {
        kind: &'static str,
        count: usize,
        max: usize,
    },
}

/// Why an edit was refused. The plan is unchanged whenever one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EditError {
    #[error("unknown operation `{id}`")]
    UnknownOperation { id: String },
    #[error("unknown work center `{id}`")]
    UnknownWorkCenter { id: String },
    #[error("unknown order `{id}`")]
    UnknownOrder { id: String },
    #[error("unknown extra shift or downtime #{id}")]
    UnknownId { id: u32 },
    #[error("operation `{operation}` cannot run on `{work_center}`")]
    Ineligible {
        operation: String,
        work_center: String,
    },
    #[error("operation `{operation}` is pinned; unpin it first")]
    Pinned { operation: String },
    #[error("operation `{operation}` is running and cannot be moved")]
    Running { operation: String },
    #[error("position {position} is outside the sequence of `{work_center}` (0..={len})")]
    Position {
        work_center: String,
        position: u32,
        len: u32,
    },
    #[error("that order breaks the routing: `{operation}` would run before its predecessor")]
    Precedence { operation: String },
    #[error(
        "pinned operation `{operation}` would have to move: pinned at {}, the earliest start is now {}",
        format_utc(*pinned),
        format_utc(*earliest)
    )]
    PinViolated {
        operation: String,
        pinned: Time,
        earliest: Time,
    },
    #[error("the window overlaps running operation `{operation}`")]
    OverlapsRunning { operation: String },
    #[error("invalid time range: {message}")]
    InvalidRange { message: String },
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("nothing to redo")]
    NothingToRedo,
}
