//! A work center's state timeline: what it was doing, from when to when.
//!
//! Built from point events ("entered state X at t"), which the feed may deliver late,
//! twice, or out of order. The result depends only on the *set* of events, never on their
//! arrival order:
//!
//! 1. Reasons are normalised as the model does ([`WorkCenterState::new`]): trimmed, and
//!    dropped for states that cannot carry one.
//! 2. Events are sorted by time. Several events at the same millisecond are resolved by a
//!    fixed rule: the greatest by (state rank in [`StateKind::ALL`], reason) wins. The rank
//!    puts stops after `running`, so a stop reported at the same instant as a restart is
//!    not hidden.
//! 3. An event that repeats the current state (a re-announcement) extends the interval.
//! 4. Each state lasts until the next event; the last one until `now`. Events after `now`
//!    are kept out of the intervals (their length would be negative).
//!
//! Time before the first event is not covered: the timeline does not know it.

use crate::{Interval, TimestampMs};
use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::{EquipmentPath, StateKind, WorkCenterState};

/// A work center entered `kind` (with `reason`) at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
pub struct StateEvent {
    pub at: TimestampMs,
    pub kind: StateKind,
    pub reason: Option<String>,
}

impl StateEvent {
    pub fn new(at: TimestampMs, kind: StateKind, reason: Option<&str>) -> Self {
        Self {
            at,
            kind,
            reason: reason.map(str::to_owned),
        }
    }
}

/// One state held over `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
pub struct StateInterval {
    pub start: TimestampMs,
    pub end: TimestampMs,
    pub kind: StateKind,
    pub reason: Option<String>,
}

impl StateInterval {
    pub fn span(&self) -> Interval {
        Interval::new(self.start, self.end)
    }

    pub fn len_ms(&self) -> i64 {
        self.end - self.start
    }
}

/// Ordered, non-overlapping state intervals of one work center. Adjacent intervals always
/// differ in state or reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StateTimeline {
    pub work_center: EquipmentPath,
    intervals: Vec<StateInterval>,
}

fn rank(kind: StateKind) -> usize {
    StateKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

impl StateTimeline {
    /// Builds the timeline from events in any order (see the module docs for the rules).
    pub fn from_events(
        work_center: EquipmentPath,
        events: &[StateEvent],
        now: TimestampMs,
    ) -> Self {
        let mut sorted: Vec<(TimestampMs, usize, WorkCenterState)> = events
            .iter()
            .map(|e| {
                let s = WorkCenterState::new(e.kind, e.reason.clone());
                (e.at, rank(s.kind), s)
            })
            .collect();
        sorted.sort_unstable_by(|a, b| (a.0, a.1, &a.2.reason).cmp(&(b.0, b.1, &b.2.reason)));
        // Same instant: keep the last, i.e. the greatest by (rank, reason).
        let mut points: Vec<(TimestampMs, WorkCenterState)> = Vec::with_capacity(sorted.len());
        for (at, _, state) in sorted {
            match points.last_mut() {
                Some(last) if last.0 == at => last.1 = state,
                _ => points.push((at, state)),
            }
        }
        let mut intervals: Vec<StateInterval> = Vec::with_capacity(points.len());
        for (i, (start, state)) in points.iter().enumerate() {
            let end = points.get(i + 1).map_or(now, |next| next.0).min(now);
            if end <= *start {
                continue;
            }
            match intervals.last_mut() {
                Some(last)
                    if last.end == *start
                        && last.kind == state.kind
                        && last.reason == state.reason =>
                {
                    last.end = end
                }
                _ => intervals.push(StateInterval {
                    start: *start,
                    end,
                    kind: state.kind,
                    reason: state.reason.clone(),
                }),
            }
        }
        Self {
            work_center,
            intervals,
        }
    }

    pub fn intervals(&self) -> &[StateInterval] {
        &self.intervals
    }

    /// From the first event to the end of the last interval.
    pub fn span(&self) -> Option<Interval> {
        Some(Interval::new(
            self.intervals.first()?.start,
            self.intervals.last()?.end,
        ))
    }

    /// Index of the first interval ending after `t`.
    pub(crate) fn first_ending_after(&self, t: TimestampMs) -> usize {
        self.intervals.partition_point(|i| i.end <= t)
    }

    /// The intervals overlapping `range`, clipped to it.
    pub fn slice(&self, range: Interval) -> impl Iterator<Item = StateInterval> + '_ {
        self.intervals[self.first_ending_after(range.start)..]
            .iter()
            .take_while(move |i| i.start < range.end)
            .map(move |i| StateInterval {
                start: i.start.max(range.start),
                end: i.end.min(range.end),
                kind: i.kind,
                reason: i.reason.clone(),
            })
    }

    /// The interval holding `t`, if the timeline covers it.
    pub fn state_at(&self, t: TimestampMs) -> Option<&StateInterval> {
        self.intervals
            .get(self.first_ending_after(t))
            .filter(|i| i.start <= t)
    }

    /// Milliseconds per state inside `range`, in [`StateKind::ALL`] order.
    pub fn time_by_state(&self, range: Interval) -> Vec<(StateKind, i64)> {
        let mut ms = [0i64; 8];
        for i in self.slice(range) {
            ms[rank(i.kind)] += i.len_ms();
        }
        StateKind::ALL.into_iter().zip(ms).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StateKind::*;

    fn wc() -> EquipmentPath {
        EquipmentPath::parse("acme/s/a/l1/wc1").unwrap()
    }

    fn ev(at: i64, kind: StateKind, reason: Option<&str>) -> StateEvent {
        StateEvent::new(at, kind, reason)
    }

    fn spans(t: &StateTimeline) -> Vec<(i64, i64, StateKind)> {
        t.intervals()
            .iter()
            .map(|i| (i.start, i.end, i.kind))
            .collect()
    }

    #[test]
    fn builds_ordered_intervals_up_to_now() {
        let events = [
            ev(100, Down, Some("mech/jam")),
            ev(0, Running, None),
            ev(150, Running, None),
            ev(120, Down, Some("mech/jam")), // re-announcement: extends
        ];
        let t = StateTimeline::from_events(wc(), &events, 200);
        assert_eq!(
            spans(&t),
            vec![(0, 100, Running), (100, 150, Down), (150, 200, Running)]
        );
        assert_eq!(t.intervals()[1].reason.as_deref(), Some("mech/jam"));
        assert_eq!(t.span(), Some(Interval::new(0, 200)));
    }

    #[test]
    fn reason_change_splits_and_bad_reasons_drop() {
        let events = [
            ev(0, Down, Some(" a ")),
            ev(10, Down, Some("b")),
            ev(20, Running, Some("ignored")),
        ];
        let t = StateTimeline::from_events(wc(), &events, 30);
        let reasons: Vec<_> = t.intervals().iter().map(|i| i.reason.clone()).collect();
        assert_eq!(reasons, vec![Some("a".into()), Some("b".into()), None]);
    }

    #[test]
    fn same_instant_resolves_by_rank_regardless_of_order() {
        let a = [
            ev(0, Running, None),
            ev(10, Running, None),
            ev(10, Down, None),
        ];
        let b = [
            ev(10, Down, None),
            ev(10, Running, None),
            ev(0, Running, None),
        ];
        let ta = StateTimeline::from_events(wc(), &a, 20);
        let tb = StateTimeline::from_events(wc(), &b, 20);
        assert_eq!(ta, tb);
        assert_eq!(spans(&ta), vec![(0, 10, Running), (10, 20, Down)]);
    }

    #[test]
    fn events_after_now_are_left_out() {
        let t = StateTimeline::from_events(
            wc(),
            &[ev(0, Running, None), ev(50, Down, None), ev(80, Idle, None)],
            60,
        );
        assert_eq!(spans(&t), vec![(0, 50, Running), (50, 60, Down)]);
        assert!(StateTimeline::from_events(wc(), &[], 60).span().is_none());
    }

    #[test]
    fn slices_and_lookups_clip_to_the_range() {
        let t = StateTimeline::from_events(
            wc(),
            &[
                ev(0, Running, None),
                ev(100, Down, None),
                ev(150, Running, None),
            ],
            300,
        );
        let s: Vec<_> = t
            .slice(Interval::new(50, 160))
            .map(|i| (i.start, i.end))
            .collect();
        assert_eq!(s, vec![(50, 100), (100, 150), (150, 160)]);
        assert_eq!(t.state_at(100).unwrap().kind, Down);
        assert!(t.state_at(300).is_none());
        assert!(t.state_at(-1).is_none());
        let by = t.time_by_state(Interval::new(-100, 1000));
        assert_eq!(by[0], (Running, 250));
        assert_eq!(by[4], (Down, 50));
    }
}
