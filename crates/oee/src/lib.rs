//! Takt's state and OEE engine.
//!
//! Pure computation over data the caller already holds: no async, no database, no Tauri.
//! The store reads history, the runtime builds the inputs, and this crate answers:
//!
//! - [`timeline`]: per work center, an ordered, non-overlapping [`StateTimeline`] built from
//!   state events that may arrive late, twice or out of order.
//! - [`calendar`]: planned production time (shifts minus breaks) as [`PlannedTime`].
//! - [`downtime`]: [`DowntimeEvent`]s derived from a timeline, a configurable [`ReasonTree`],
//!   micro-stop classification and the [`DowntimeLog`] of audited supervisor edits.
//! - [`oee`]: [`Oee`] (availability × performance × quality and the six big losses) for any
//!   scope: range, shift, day, order, line.
//! - [`pareto`]: loss Pareto by reason.
//! - [`generate`]: a seeded synthetic history for tests and benchmarks.
//!
//! All times are [`TimestampMs`] (UTC milliseconds) and all durations are milliseconds.

pub mod calendar;
pub mod downtime;
pub mod generate;
pub mod oee;
pub mod pareto;
pub mod timeline;

pub use calendar::{PlannedShift, PlannedTime, ShiftPlan};
pub use downtime::{
    AuditAction, AuditEntry, DowntimeEvent, DowntimeLog, EditError, EventKey, ReasonNode,
    ReasonTree, ReasonTreeError, StaleEdit, StopCategory, derive_events,
};
pub use generate::{GeneratedHistory, GeneratedWorkCenter, demo_reason_tree, generate_history};
pub use oee::{
    CountEvent, IdealCycles, Oee, OeeConfig, OeeEngine, OeeInputs, OrderEvent, OrderRun,
    ReasonLoss, SixLosses, order_runs,
};
pub use pareto::{ParetoBy, ParetoRow, pareto};
pub use timeline::{StateEvent, StateInterval, StateTimeline};

use serde::{Deserialize, Serialize};
use specta::Type;
pub use takt_model::TimestampMs;

/// A half-open time interval `[start, end)` in UTC milliseconds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Type,
)]
pub struct Interval {
    pub start: TimestampMs,
    pub end: TimestampMs,
}

impl Interval {
    pub fn new(start: TimestampMs, end: TimestampMs) -> Self {
        Self { start, end }
    }

    /// Length in ms; 0 for empty or inverted intervals.
    pub fn len_ms(&self) -> i64 {
        (self.end - self.start).max(0)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    pub fn contains(&self, t: TimestampMs) -> bool {
        self.start <= t && t < self.end
    }

    /// The common part of two intervals, if it is not empty.
    pub fn intersect(&self, other: &Interval) -> Option<Interval> {
        let i = Interval::new(self.start.max(other.start), self.end.min(other.end));
        (!i.is_empty()).then_some(i)
    }

    pub fn overlap_ms(&self, other: &Interval) -> i64 {
        (self.end.min(other.end) - self.start.max(other.start)).max(0)
    }
}

/// Sorts intervals, drops empty ones and merges overlapping or touching ones.
pub fn normalize(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.retain(|i| !i.is_empty());
    intervals.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for i in intervals {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

/// Intersection of two normalized interval lists (two-pointer sweep).
pub fn intersect_all(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        if let Some(x) = a[i].intersect(&b[j]) {
            out.push(x);
        }
        if a[i].end <= b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `a` minus `b`, both normalized.
pub fn subtract_all(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut j = 0;
    for &x in a {
        let mut cur = x.start;
        while j < b.len() && b[j].end <= cur {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].start < x.end {
            if b[k].start > cur {
                out.push(Interval::new(cur, b[k].start));
            }
            cur = cur.max(b[k].end);
            k += 1;
        }
        if cur < x.end {
            out.push(Interval::new(cur, x.end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: i64, b: i64) -> Interval {
        Interval::new(a, b)
    }

    #[test]
    fn interval_sets() {
        assert_eq!(
            normalize(vec![iv(5, 7), iv(0, 2), iv(2, 3), iv(6, 9), iv(4, 4)]),
            vec![iv(0, 3), iv(5, 9)]
        );
        let a = vec![iv(0, 10), iv(20, 30)];
        let b = vec![iv(5, 25)];
        assert_eq!(intersect_all(&a, &b), vec![iv(5, 10), iv(20, 25)]);
        assert_eq!(subtract_all(&a, &b), vec![iv(0, 5), iv(25, 30)]);
        assert_eq!(
            subtract_all(&[iv(0, 10)], &[iv(2, 3), iv(5, 6)]),
            vec![iv(0, 2), iv(3, 5), iv(6, 10)]
        );
        assert_eq!(iv(3, 1).len_ms(), 0);
    }
}
