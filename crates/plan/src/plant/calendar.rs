//! [`Availability`]: the working time of one work center — its shift calendar plus extra shifts, minus
//! maintenance windows and breakdowns — and how an operation is placed on it.
//!
//! Placement is O(log n) for operations that may pause (prefix sums of working time) and a short forward scan
//! for those that may not (the first interval long enough, with a suffix maximum to give up early). Time after
//! the last interval counts as working time so that every placement exists; such placements are flagged
//! `beyond_calendar` for the planner to see.

use crate::plant::input::{Interval, Millis, Time};
use crate::plant::problem::normalize;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Availability {
    intervals: Vec<Interval>,
    /// Working time before interval `k`.
    worked_before: Vec<Millis>,
    /// Longest interval among `k..`.
    longest_from: Vec<Millis>,
    /// Number of gaps up to and including the gap before interval `k` that maintenance opened or widened.
    maintenance_gaps: Vec<u32>,
}

/// Where one operation lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub start: Time,
    pub end: Time,
    /// A maintenance window delayed the start or interrupted the operation.
    pub pushed_by_maintenance: bool,
    /// Part of the operation lies after the end of the calendar.
    pub beyond_calendar: bool,
}

impl Availability {
    /// `base` is shift time plus extra shifts; `blocked` are downtimes (any kind); `maintenance` the subset of
    /// downtimes that count as maintenance for the "pushed by maintenance" KPI.
    pub fn build(base: Vec<Interval>, blocked: &[Interval], maintenance: &[Interval]) -> Self {
        let base = normalize(base);
        let blocked = normalize(blocked.to_vec());
        let intervals = subtract(&base, &blocked);
        let n = intervals.len();
        let mut worked_before = Vec::with_capacity(n + 1);
        let mut sum = 0;
        for iv in &intervals {
            worked_before.push(sum);
            sum += iv.len();
        }
        worked_before.push(sum);
        let mut longest_from = vec![0; n + 1];
        for k in (0..n).rev() {
            longest_from[k] = longest_from[k + 1].max(intervals[k].len());
        }
        // A gap counts as opened by maintenance if a window removed base working time inside it.
        let mut flagged = vec![false; n + 1];
        for window in normalize(maintenance.to_vec()) {
            let first = base.partition_point(|b| b.end <= window.start);
            for b in &base[first..] {
                if b.start >= window.end {
                    break;
                }
                let removed_start = b.start.max(window.start);
                if removed_start < b.end.min(window.end) {
                    flagged[intervals.partition_point(|iv| iv.start <= removed_start)] = true;
                }
            }
        }
        let mut maintenance_gaps = Vec::with_capacity(n + 1);
        let mut count = 0;
        for f in flagged {
            count += u32::from(f);
            maintenance_gaps.push(count);
        }
        Self {
            intervals,
            worked_before,
            longest_from,
            maintenance_gaps,
        }
    }

    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// Working time in `[from, to)`.
    pub fn working_between(&self, from: Time, to: Time) -> Millis {
        if to <= from {
            return 0;
        }
        (self.worked_until(to) - self.worked_until(from)).max(0)
    }

    /// Working time before `t` (time beyond the calendar counts as working).
    fn worked_until(&self, t: Time) -> Millis {
        let k = self.intervals.partition_point(|iv| iv.start < t);
        if k == 0 {
            return 0;
        }
        let iv = self.intervals[k - 1];
        let beyond = if k == self.intervals.len() {
            (t - iv.end).max(0)
        } else {
            0
        };
        self.worked_before[k - 1] + (t.min(iv.end) - iv.start) + beyond
    }

    /// Places `work` ms of work starting no earlier than `ready`. Pausable work may be split over working
    /// intervals; other work needs one interval long enough.
    pub fn place(&self, ready: Time, work: Millis, may_pause: bool) -> Placement {
        let ivs = &self.intervals;
        let k = ivs.partition_point(|iv| iv.end <= ready);
        if k == ivs.len() {
            let start = ready.max(ivs.last().map_or(ready, |iv| iv.end));
            return Placement {
                start,
                end: start + work,
                pushed_by_maintenance: false,
                beyond_calendar: work > 0 || ivs.is_empty(),
            };
        }
        let waited_on_maintenance = ready < ivs[k].start && self.gap_flagged(k);
        let start = ready.max(ivs[k].start);
        if start + work <= ivs[k].end {
            return Placement {
                start,
                end: start + work,
                pushed_by_maintenance: waited_on_maintenance,
                beyond_calendar: false,
            };
        }
        if may_pause {
            let target = self.worked_before[k] + (start - ivs[k].start) + work;
            let total = self.worked_before[ivs.len()];
            if target > total {
                let last = ivs[ivs.len() - 1];
                return Placement {
                    start,
                    end: last.end + (target - total),
                    pushed_by_maintenance: waited_on_maintenance
                        || self.flagged_between(k, ivs.len() - 1),
                    beyond_calendar: true,
                };
            }
            // Interval `j` is the last one whose preceding working time is below the target.
            let j = self.worked_before[..ivs.len()].partition_point(|&w| w < target) - 1;
            return Placement {
                start,
                end: ivs[j].start + (target - self.worked_before[j]),
                pushed_by_maintenance: waited_on_maintenance || self.flagged_between(k, j),
                beyond_calendar: false,
            };
        }
        if self.longest_from[k + 1] >= work {
            for (j, iv) in ivs.iter().enumerate().skip(k + 1) {
                if iv.len() >= work {
                    return Placement {
                        start: iv.start,
                        end: iv.start + work,
                        pushed_by_maintenance: waited_on_maintenance || self.flagged_between(k, j),
                        beyond_calendar: false,
                    };
                }
            }
        }
        let last = ivs[ivs.len() - 1];
        Placement {
            start: last.end,
            end: last.end + work,
            pushed_by_maintenance: waited_on_maintenance || self.flagged_between(k, ivs.len() - 1),
            beyond_calendar: true,
        }
    }

    /// Whether the gap right before interval `k` was opened or widened by maintenance.
    fn gap_flagged(&self, k: usize) -> bool {
        let before = if k == 0 {
            0
        } else {
            self.maintenance_gaps[k - 1]
        };
        self.maintenance_gaps[k] > before
    }

    /// Whether any gap between intervals `k` and `j` (exclusive of the gap before `k`) is maintenance.
    fn flagged_between(&self, k: usize, j: usize) -> bool {
        self.maintenance_gaps[j] > self.maintenance_gaps[k]
    }
}

/// `base − blocked`, both normalised.
fn subtract(base: &[Interval], blocked: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(base.len() + blocked.len());
    let mut b = 0;
    for iv in base {
        let mut cursor = iv.start;
        while b < blocked.len() && blocked[b].end <= cursor {
            b += 1;
        }
        let mut k = b;
        while k < blocked.len() && blocked[k].start < iv.end {
            if blocked[k].start > cursor {
                out.push(Interval::new(cursor, blocked[k].start));
            }
            cursor = cursor.max(blocked[k].end);
            k += 1;
        }
        if cursor < iv.end {
            out.push(Interval::new(cursor, iv.end));
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
    fn pausable_work_spans_gaps() {
        let a = Availability::build(vec![iv(0, 10), iv(20, 30), iv(40, 50)], &[], &[]);
        assert_eq!(a.place(5, 3, true).end, 8);
        let p = a.place(5, 10, true);
        assert_eq!((p.start, p.end), (5, 25));
        let p = a.place(12, 15, true);
        assert_eq!((p.start, p.end), (20, 45));
        assert!(!p.beyond_calendar);
        let p = a.place(45, 10, true);
        assert_eq!((p.start, p.end, p.beyond_calendar), (45, 55, true));
        assert_eq!(a.working_between(5, 45), 5 + 10 + 5);
    }

    #[test]
    fn non_pausable_work_needs_one_interval() {
        let a = Availability::build(vec![iv(0, 10), iv(20, 26), iv(40, 50)], &[], &[]);
        let p = a.place(5, 8, false);
        assert_eq!((p.start, p.end), (40, 48));
        let p = a.place(5, 20, false);
        assert_eq!((p.start, p.end, p.beyond_calendar), (50, 70, true));
    }

    #[test]
    fn maintenance_blocks_and_is_reported() {
        let a = Availability::build(vec![iv(0, 100)], &[iv(10, 20)], &[iv(10, 20)]);
        assert_eq!(a.intervals(), &[iv(0, 10), iv(20, 100)]);
        let p = a.place(5, 10, true);
        assert_eq!((p.end, p.pushed_by_maintenance), (25, true));
        let p = a.place(12, 5, true);
        assert_eq!((p.start, p.pushed_by_maintenance), (20, true));
        // A breakdown blocks too, but is not maintenance.
        let b = Availability::build(vec![iv(0, 100)], &[iv(10, 20)], &[]);
        assert!(!b.place(5, 10, true).pushed_by_maintenance);
        // Maintenance at night (outside shift time) pushes nothing.
        let c = Availability::build(vec![iv(0, 10), iv(20, 30)], &[iv(12, 18)], &[iv(12, 18)]);
        assert!(!c.place(5, 10, true).pushed_by_maintenance);
    }
}
