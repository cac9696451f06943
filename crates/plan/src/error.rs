//! Error types of the planning engine.
//!
//! Every failure on an input path is a typed value (never a panic) so that the CLI and, later, the UI can tell
//! the planner *where* an input is wrong: parse errors carry the 1-based line number of the offending line.

use std::path::PathBuf;

/// Why an OR-Library job-shop file could not be read. Line numbers are 1-based, as an editor shows them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No line holding exactly two integers `n m` was found.
    #[error("no `jobs machines` header line (a line holding exactly two integers) found")]
    MissingHeader,
    /// The header declares zero jobs or zero machines.
    #[error(
        "line {line}: an instance needs at least one job and one machine (got {jobs} x {machines})"
    )]
    EmptyInstance {
        line: usize,
        jobs: usize,
        machines: usize,
    },
    /// A token is not a non-negative integer that fits (machine index or duration).
    #[error("line {line}: `{token}` is not a valid {what}")]
    InvalidNumber {
        line: usize,
        token: String,
        what: &'static str,
    },
    /// A job line does not hold `2 * machines` numbers.
    #[error(
        "line {line}: job {job} has {found} numbers, expected {expected} ({machines} `machine duration` pairs)"
    )]
    WrongCount {
        line: usize,
        job: usize,
        found: usize,
        expected: usize,
        machines: usize,
    },
    /// A machine index is not below the declared number of machines.
    #[error(
        "line {line}: machine {machine} is out of range (the instance has machines 0..{machines})"
    )]
    MachineOutOfRange {
        line: usize,
        machine: usize,
        machines: usize,
    },
    /// The file ends before all declared jobs were read.
    #[error("line {line}: file ends after {found} job lines, the header declares {expected}")]
    MissingJobs {
        line: usize,
        found: usize,
        expected: usize,
    },
    /// Non-blank content follows the last job line.
    #[error("line {line}: unexpected content after the last job line")]
    TrailingData { line: usize },
}

/// Why a set of machine sequences is not a valid (acyclic, complete) schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The number of machine sequences differs from the number of machines.
    #[error("expected {expected} machine sequences, got {found}")]
    MachineCount { expected: usize, found: usize },
    /// An operation id is out of range.
    #[error("operation {op} does not exist")]
    UnknownOperation { op: usize },
    /// An operation is listed on a machine it does not run on.
    #[error("operation {op} runs on machine {expected}, but is sequenced on machine {found}")]
    WrongMachine {
        op: usize,
        expected: usize,
        found: usize,
    },
    /// An operation appears twice, or not at all, in the machine sequences.
    #[error("operation {op} is sequenced {count} times (must be exactly once)")]
    NotOnce { op: usize, count: usize },
    /// Job precedence plus machine sequences form a cycle, so no start times exist.
    #[error("the machine sequences contradict the job routings (cycle through {ops} operations)")]
    Cycle { ops: usize },
}

/// A violated constraint found by the independent checker [`crate::jobshop::verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeasibilityError {
    /// One start time per operation is required.
    #[error("expected {expected} start times, got {found}")]
    WrongLength { expected: usize, found: usize },
    /// An operation starts before its job predecessor ends.
    #[error(
        "job {job}: operation {index} starts at {start}, before its predecessor ends at {pred_end}"
    )]
    Precedence {
        job: usize,
        index: usize,
        start: u64,
        pred_end: u64,
    },
    /// Two operations overlap on one machine.
    #[error("machine {machine}: operations {a} and {b} overlap")]
    Overlap { machine: usize, a: usize, b: usize },
    /// An end time does not fit in 64 bits.
    #[error("operation {op}: end time overflows")]
    Overflow { op: usize },
}

/// Top-level error of the planning engine and its CLI.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: ParseError },
    #[error("{path}:{line}: {message}")]
    Optimal {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// The optimizer produced a schedule the independent checker rejects: a bug, reported rather than hidden.
    #[error("internal error: optimizer result is infeasible: {0}")]
    Infeasible(#[from] FeasibilityError),
    #[error("internal error: optimizer result claims makespan {claimed}, recomputed {recomputed}")]
    MakespanMismatch { claimed: u64, recomputed: u64 },
    #[error("invalid duration `{0}` (use e.g. 500ms, 10s, 2m, 1h)")]
    Duration(String),
    #[error("{0}")]
    Usage(String),
    /// A plant plan (or a risk model file) that cannot be loaded.
    #[error("{path}: {source}")]
    Input {
        path: PathBuf,
        source: crate::plant::InputError,
    },
    #[error(transparent)]
    Risk(#[from] crate::plant::RiskError),
}
