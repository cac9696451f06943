//! Planned production time: the shifts of a calendar minus their breaks.
//!
//! OEE is measured against planned production time only, so everything outside shifts and
//! inside breaks is excluded before any loss is counted. The engine takes planned time as
//! plain intervals ([`PlannedTime`]), so any source works; [`ShiftPlan::from_calendar`]
//! builds it from a takt-model [`ShiftCalendar`].
//!
//! Breaks come from the calendar's shift patterns ([`takt_model::ShiftBreak`]), resolved
//! with the calendar's DST policy and clipped to their shift.

use crate::{Interval, TimestampMs, intersect_all, normalize, subtract_all};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::{ShiftCalendar, ShiftError, ShiftInstance};

/// Planned production time: sorted, disjoint, non-touching intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct PlannedTime {
    windows: Vec<Interval>,
}

impl PlannedTime {
    /// Normalises the intervals (sort, drop empty, merge overlapping or touching).
    pub fn new(windows: Vec<Interval>) -> Self {
        Self {
            windows: normalize(windows),
        }
    }

    /// Everything is planned: for lines that run without a calendar.
    pub fn always() -> Self {
        Self::new(vec![Interval::new(
            TimestampMs::MIN / 2,
            TimestampMs::MAX / 2,
        )])
    }

    pub fn windows(&self) -> &[Interval] {
        &self.windows
    }

    pub fn total_ms(&self) -> i64 {
        self.windows.iter().map(Interval::len_ms).sum()
    }

    /// The planned windows inside `scope` (any intervals; normalised here).
    pub fn within(&self, scope: &[Interval]) -> Vec<Interval> {
        intersect_all(&self.windows, &normalize(scope.to_vec()))
    }

    /// Planned milliseconds inside `range`.
    pub fn planned_ms(&self, range: Interval) -> i64 {
        self.within(&[range]).iter().map(Interval::len_ms).sum()
    }
}

/// One shift occurrence with its planned windows (the shift minus its breaks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct PlannedShift {
    pub shift: ShiftInstance,
    pub breaks: Vec<Interval>,
    pub windows: Vec<Interval>,
}

impl PlannedShift {
    pub fn span(&self) -> Interval {
        Interval::new(self.shift.start_ms, self.shift.end_ms)
    }
}

/// The shifts of a calendar over a range, with breaks resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ShiftPlan {
    pub shifts: Vec<PlannedShift>,
}

impl ShiftPlan {
    /// Every shift overlapping `range`, whole (not clipped: OEE scopes clip later, and a
    /// clipped shift would look like a fresh start to start-up detection).
    pub fn from_calendar(calendar: &ShiftCalendar, range: Interval) -> Result<Self, ShiftError> {
        calendar.validate()?;
        let shifts = calendar
            .shifts_between(range.start, range.end)?
            .into_iter()
            .map(|shift| {
                let span = Interval::new(shift.start_ms, shift.end_ms);
                let breaks = calendar
                    .breaks_of(&shift)?
                    .into_iter()
                    .map(|(start, end)| Interval::new(start, end))
                    .collect();
                let breaks = normalize(breaks);
                let windows = subtract_all(&[span], &breaks);
                Ok(PlannedShift {
                    shift,
                    breaks,
                    windows,
                })
            })
            .collect::<Result<_, ShiftError>>()?;
        Ok(Self { shifts })
    }

    /// The union of all planned windows.
    pub fn planned_time(&self) -> PlannedTime {
        PlannedTime::new(
            self.shifts
                .iter()
                .flat_map(|s| s.windows.iter().copied())
                .collect(),
        )
    }

    /// Production days: the spans of the shifts grouped by the local date each shift
    /// starts on (a night shift starting Monday 22:00 belongs to Monday), as plants report.
    pub fn days(&self) -> Vec<(NaiveDate, Vec<Interval>)> {
        let mut out: Vec<(NaiveDate, Vec<Interval>)> = Vec::new();
        let mut shifts: Vec<&PlannedShift> = self.shifts.iter().collect();
        shifts.sort_by_key(|s| (s.shift.date, s.shift.start_ms));
        for s in shifts {
            match out.last_mut() {
                Some((date, spans)) if *date == s.shift.date => spans.push(s.span()),
                _ => out.push((s.shift.date, vec![s.span()])),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveTime};
    use takt_model::shift::{Day, ShiftBreak, ShiftPattern};

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc_ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn calendar() -> ShiftCalendar {
        let p = |name: &str, s, e, brk: (NaiveTime, NaiveTime)| ShiftPattern {
            name: name.into(),
            start: s,
            end: e,
            days: Day::ALL.to_vec(),
            breaks: vec![ShiftBreak {
                name: "break".into(),
                start: brk.0,
                end: brk.1,
            }],
        };
        ShiftCalendar {
            timezone: "Europe/Berlin".into(),
            shifts: vec![
                p("early", t(6, 0), t(14, 0), (t(10, 0), t(10, 30))),
                p("night", t(22, 0), t(6, 0), (t(2, 0), t(2, 30))),
            ],
            holidays: vec![],
        }
    }

    #[test]
    fn shifts_minus_breaks() {
        // 2026-07-01 (CEST, UTC+2): early 04:00Z–12:00Z, break 08:00Z–08:30Z.
        let from = utc_ms("2026-07-01T04:00:00Z");
        let plan = ShiftPlan::from_calendar(&calendar(), Interval::new(from, from + HOUR)).unwrap();
        let early = plan
            .shifts
            .iter()
            .find(|s| s.shift.name == "early")
            .unwrap();
        assert_eq!(
            early.windows,
            vec![
                Interval::new(from, from + 4 * HOUR),
                Interval::new(from + 4 * HOUR + 30 * MIN, from + 8 * HOUR)
            ]
        );
        assert_eq!(
            plan.planned_time().planned_ms(early.span()),
            8 * HOUR - 30 * MIN
        );
    }

    #[test]
    fn night_break_lands_on_the_next_day_even_across_dst() {
        // Night of 2026-03-28 → 29 (spring forward at 02:00 local): the 02:00 break starts
        // in the gap, so it starts at 03:00 CEST = 01:00Z and still ends at 02:30 → which is
        // in the gap too → 01:00Z. The break vanishes, as it does on the wall clock.
        let at = utc_ms("2026-03-28T23:00:00Z");
        let plan = ShiftPlan::from_calendar(&calendar(), Interval::new(at, at + 1)).unwrap();
        let night = &plan.shifts[0];
        assert_eq!(night.shift.name, "night");
        assert_eq!(night.shift.duration_ms(), 7 * HOUR);
        assert!(night.breaks.is_empty());
        // An ordinary night: 02:00–02:30 CEST = 00:00Z–00:30Z on the next date.
        let at = utc_ms("2026-07-01T23:00:00Z");
        let plan = ShiftPlan::from_calendar(&calendar(), Interval::new(at, at + 1)).unwrap();
        assert_eq!(
            plan.shifts[0].breaks,
            vec![Interval::new(
                utc_ms("2026-07-02T00:00:00Z"),
                utc_ms("2026-07-02T00:30:00Z")
            )]
        );
    }

    #[test]
    fn days_group_by_shift_start_date() {
        let from = utc_ms("2026-07-01T00:00:00Z");
        let plan =
            ShiftPlan::from_calendar(&calendar(), Interval::new(from, from + 24 * HOUR)).unwrap();
        let days = plan.days();
        // The night shift of June 30 still runs at 00:00Z, then July 1 early and night.
        assert_eq!(days.len(), 2);
        assert_eq!(days[1].0, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert_eq!(days[1].1.len(), 2);
    }

    #[test]
    fn bad_calendar_is_a_typed_error() {
        let mut cal = calendar();
        cal.timezone = "Nowhere/Else".into();
        assert_eq!(
            ShiftPlan::from_calendar(&cal, Interval::new(0, 1)),
            Err(ShiftError::TimeZone("Nowhere/Else".into()))
        );
    }
}
