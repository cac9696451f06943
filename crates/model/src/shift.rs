//! Shift calendars in the site's local time zone.
//!
//! Shifts are defined the way plants post them on the wall: a local start and end time
//! ("night: 22:00–06:00, Mon–Fri"). On the nights the clocks change, a wall-clock shift is
//! an hour shorter or longer; that is what the people on it actually work, so we keep it.
//! Local times that do not exist (spring-forward gap) move to the first valid instant
//! after the gap; times that exist twice (fall-back) take the earlier instant.

use crate::TimestampMs;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    fn of(date: NaiveDate) -> Day {
        Day::ALL[date.weekday().num_days_from_monday() as usize]
    }
}

/// A recurring shift: local start and end, on the weekdays it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ShiftPattern {
    pub name: String,
    /// Local start, `HH:MM:SS`.
    pub start: NaiveTime,
    /// Local end, `HH:MM:SS`; at or before `start` means the next day.
    pub end: NaiveTime,
    /// Weekdays on which the shift starts.
    pub days: Vec<Day>,
    /// Breaks in every occurrence: not planned production time, so OEE leaves them out.
    #[serde(default)]
    pub breaks: Vec<ShiftBreak>,
}

/// A break inside a shift, local wall-clock time. A break starting before the shift's local
/// start lies on the next calendar day (02:00 in a 22:00–06:00 night shift).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ShiftBreak {
    pub name: String,
    /// Local start, `HH:MM:SS`.
    pub start: NaiveTime,
    /// Local end, `HH:MM:SS`; at or before `start` means the next day.
    pub end: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ShiftCalendar {
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    pub shifts: Vec<ShiftPattern>,
    /// Local dates with no shifts at all (plant holidays), `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

/// One concrete occurrence of a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ShiftInstance {
    pub name: String,
    /// The local date on which the shift starts.
    pub date: NaiveDate,
    pub start_ms: TimestampMs,
    pub end_ms: TimestampMs,
}

impl ShiftInstance {
    pub fn duration_ms(&self) -> i64 {
        self.end_ms - self.start_ms
    }

    pub fn contains(&self, t: TimestampMs) -> bool {
        self.start_ms <= t && t < self.end_ms
    }

    /// Milliseconds of this shift elapsed at `t` (0 before it, the full length after it).
    pub fn elapsed_ms(&self, t: TimestampMs) -> i64 {
        (t.clamp(self.start_ms, self.end_ms)) - self.start_ms
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    #[error("unknown time zone `{0}`; use an IANA name such as Europe/Berlin")]
    TimeZone(String),
    #[error("shift `{0}` starts and ends at the same time")]
    Empty(String),
    #[error("shift `{0}` runs on no weekday")]
    NoDays(String),
    #[error(
        "break `{name}` of shift `{shift}` must lie inside the shift and last longer than zero"
    )]
    Break { shift: String, name: String },
}

/// Minutes from `from` forward to `to` on a 24 h clock (0 when equal).
fn minutes_after(from: NaiveTime, to: NaiveTime) -> i64 {
    (to - from).num_minutes().rem_euclid(24 * 60)
}

impl ShiftPattern {
    fn length_minutes(&self) -> i64 {
        match minutes_after(self.start, self.end) {
            0 => 24 * 60,
            m => m,
        }
    }

    fn break_fits(&self, b: &ShiftBreak) -> bool {
        let start = minutes_after(self.start, b.start);
        let end = match minutes_after(self.start, b.end) {
            // A break may end exactly at the shift's end.
            0 => 24 * 60,
            m => m,
        };
        b.start != b.end && start < end && end <= self.length_minutes()
    }
}

impl ShiftCalendar {
    pub fn tz(&self) -> Result<Tz, ShiftError> {
        self.timezone
            .parse::<Tz>()
            .map_err(|_| ShiftError::TimeZone(self.timezone.clone()))
    }

    pub fn validate(&self) -> Result<(), ShiftError> {
        self.tz()?;
        for shift in &self.shifts {
            if shift.start == shift.end {
                return Err(ShiftError::Empty(shift.name.clone()));
            }
            if shift.days.is_empty() {
                return Err(ShiftError::NoDays(shift.name.clone()));
            }
            if let Some(b) = shift.breaks.iter().find(|b| !shift.break_fits(b)) {
                return Err(ShiftError::Break {
                    shift: shift.name.clone(),
                    name: b.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// The breaks of `shift` (an occurrence of this calendar) as `(start, end)` instants,
    /// clipped to the shift, in start order. A break in a spring-forward gap shrinks or
    /// vanishes, as it does on the wall clock.
    pub fn breaks_of(
        &self,
        shift: &ShiftInstance,
    ) -> Result<Vec<(TimestampMs, TimestampMs)>, ShiftError> {
        let tz = self.tz()?;
        let day = Day::of(shift.date);
        let Some(pattern) = self
            .shifts
            .iter()
            .find(|p| p.name == shift.name && p.days.contains(&day))
        else {
            return Ok(Vec::new());
        };
        let mut out: Vec<(TimestampMs, TimestampMs)> = pattern
            .breaks
            .iter()
            .filter_map(|b| {
                let date = if b.start < pattern.start {
                    shift.date.succ_opt()?
                } else {
                    shift.date
                };
                let end_date = if b.end <= b.start {
                    date.succ_opt()?
                } else {
                    date
                };
                let start = resolve_local(tz, date.and_time(b.start))?.max(shift.start_ms);
                let end = resolve_local(tz, end_date.and_time(b.end))?.min(shift.end_ms);
                (start < end).then_some((start, end))
            })
            .collect();
        out.sort_unstable();
        Ok(out)
    }

    /// The shift running at `t`, if any.
    pub fn shift_at(&self, t: TimestampMs) -> Result<Option<ShiftInstance>, ShiftError> {
        let tz = self.tz()?;
        let local_date = to_utc(t).with_timezone(&tz).date_naive();
        // A shift running now started today or yesterday (shifts are shorter than a day).
        for date in [local_date.pred_opt(), Some(local_date)]
            .into_iter()
            .flatten()
            .rev()
        {
            if let Some(found) = self
                .instances_on(tz, date)
                .into_iter()
                .find(|s| s.contains(t))
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Every shift overlapping `[from, to)`, in start order.
    pub fn shifts_between(
        &self,
        from: TimestampMs,
        to: TimestampMs,
    ) -> Result<Vec<ShiftInstance>, ShiftError> {
        let tz = self.tz()?;
        let mut date = to_utc(from)
            .with_timezone(&tz)
            .date_naive()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let last = to_utc(to).with_timezone(&tz).date_naive();
        let mut out = Vec::new();
        while date <= last {
            out.extend(
                self.instances_on(tz, date)
                    .into_iter()
                    .filter(|s| s.start_ms < to && s.end_ms > from),
            );
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        out.sort_by_key(|s| s.start_ms);
        Ok(out)
    }

    fn instances_on(&self, tz: Tz, date: NaiveDate) -> Vec<ShiftInstance> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let day = Day::of(date);
        self.shifts
            .iter()
            .filter(|p| p.days.contains(&day) && p.start != p.end)
            .filter_map(|p| {
                let end_date = if p.end <= p.start {
                    date.succ_opt()?
                } else {
                    date
                };
                let start = resolve_local(tz, date.and_time(p.start))?;
                let end = resolve_local(tz, end_date.and_time(p.end))?;
                Some(ShiftInstance {
                    name: p.name.clone(),
                    date,
                    start_ms: start,
                    end_ms: end,
                })
            })
            .collect()
    }
}

fn to_utc(t: TimestampMs) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(t).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Local wall-clock time → instant, with the DST policy described in the module docs.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<TimestampMs> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.timestamp_millis()),
        LocalResult::None => {
            // In a gap: the first whole minute that exists is the end of the gap.
            (1..=180).find_map(
                |m| match tz.from_local_datetime(&(local + Duration::minutes(m))) {
                    LocalResult::Single(t) => {
                        let first_valid =
                            t.timestamp_millis() - (t.timestamp_millis().rem_euclid(60_000));
                        Some(first_valid)
                    }
                    LocalResult::Ambiguous(t, _) => Some(t.timestamp_millis()),
                    LocalResult::None => None,
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn berlin_three_shifts() -> ShiftCalendar {
        ShiftCalendar {
            timezone: "Europe/Berlin".into(),
            shifts: vec![
                ShiftPattern {
                    name: "early".into(),
                    start: t(6, 0),
                    end: t(14, 0),
                    days: Day::ALL.to_vec(),
                    breaks: vec![],
                },
                ShiftPattern {
                    name: "late".into(),
                    start: t(14, 0),
                    end: t(22, 0),
                    days: Day::ALL.to_vec(),
                    breaks: vec![],
                },
                ShiftPattern {
                    name: "night".into(),
                    start: t(22, 0),
                    end: t(6, 0),
                    days: Day::ALL.to_vec(),
                    breaks: vec![],
                },
            ],
            holidays: vec![],
        }
    }

    fn utc_ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    const HOUR: i64 = 3_600_000;

    #[test]
    fn finds_the_running_shift_including_overnight() {
        let cal = berlin_three_shifts();
        // 2026-07-01 12:00 local (CEST, UTC+2) = 10:00Z
        let s = cal
            .shift_at(utc_ms("2026-07-01T10:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(s.name, "early");
        assert_eq!(s.start_ms, utc_ms("2026-07-01T04:00:00Z"));
        // 03:00 local on July 2nd belongs to the night shift that started on July 1st.
        let s = cal
            .shift_at(utc_ms("2026-07-02T01:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(s.name, "night");
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert_eq!(s.duration_ms(), 8 * HOUR);
    }

    #[test]
    fn night_shift_is_shorter_when_clocks_spring_forward() {
        // Berlin: 2026-03-29 02:00 CET → 03:00 CEST.
        let cal = berlin_three_shifts();
        let s = cal
            .shift_at(utc_ms("2026-03-29T00:30:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!((s.name.as_str(), s.duration_ms()), ("night", 7 * HOUR));
        assert_eq!(s.start_ms, utc_ms("2026-03-28T21:00:00Z")); // 22:00 CET
        assert_eq!(s.end_ms, utc_ms("2026-03-29T04:00:00Z")); // 06:00 CEST
        // The next early shift follows without a gap.
        let next = cal.shift_at(s.end_ms).unwrap().unwrap();
        assert_eq!((next.name.as_str(), next.start_ms), ("early", s.end_ms));
    }

    #[test]
    fn night_shift_is_longer_when_clocks_fall_back() {
        // Berlin: 2026-10-25 03:00 CEST → 02:00 CET.
        let cal = berlin_three_shifts();
        let s = cal
            .shift_at(utc_ms("2026-10-25T01:30:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!((s.name.as_str(), s.duration_ms()), ("night", 9 * HOUR));
        // Across a whole DST week the three shifts tile time with no gap or overlap.
        let from = utc_ms("2026-10-22T00:00:00Z");
        let to = utc_ms("2026-10-29T00:00:00Z");
        let shifts = cal.shifts_between(from, to).unwrap();
        for pair in shifts.windows(2) {
            assert_eq!(
                pair[0].end_ms, pair[1].start_ms,
                "{:?} then {:?}",
                pair[0], pair[1]
            );
        }
        let total: i64 = shifts.iter().map(|s| s.duration_ms()).sum();
        let covered = shifts.last().unwrap().end_ms - shifts[0].start_ms;
        assert_eq!(total, covered);
    }

    #[test]
    fn shift_starting_inside_the_gap_starts_when_the_gap_ends() {
        let cal = ShiftCalendar {
            timezone: "Europe/Berlin".into(),
            shifts: vec![ShiftPattern {
                name: "odd".into(),
                start: t(2, 30),
                end: t(10, 0),
                days: vec![Day::Sun],
                breaks: vec![],
            }],
            holidays: vec![],
        };
        let s = cal
            .shift_at(utc_ms("2026-03-29T05:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(s.start_ms, utc_ms("2026-03-29T01:00:00Z")); // 03:00 CEST
    }

    #[test]
    fn weekdays_and_holidays_are_respected() {
        let mut cal = ShiftCalendar {
            timezone: "America/Chicago".into(),
            shifts: vec![ShiftPattern {
                name: "day".into(),
                start: t(7, 0),
                end: t(15, 30),
                days: vec![Day::Mon, Day::Tue],
                breaks: vec![],
            }],
            holidays: vec![],
        };
        // 2026-11-23 is a Monday; 10:00 CST = 16:00Z.
        assert!(
            cal.shift_at(utc_ms("2026-11-23T16:00:00Z"))
                .unwrap()
                .is_some()
        );
        assert!(
            cal.shift_at(utc_ms("2026-11-25T16:00:00Z"))
                .unwrap()
                .is_none()
        ); // Wednesday
        cal.holidays
            .push(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert!(
            cal.shift_at(utc_ms("2026-11-23T16:00:00Z"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn validation_reports_bad_calendars() {
        let mut cal = berlin_three_shifts();
        assert!(cal.validate().is_ok());
        cal.timezone = "Mars/Olympus".into();
        assert_eq!(
            cal.shift_at(0),
            Err(ShiftError::TimeZone("Mars/Olympus".into()))
        );
        let mut cal = berlin_three_shifts();
        cal.shifts[0].days.clear();
        assert_eq!(cal.validate(), Err(ShiftError::NoDays("early".into())));
    }

    fn brk(start: NaiveTime, end: NaiveTime) -> ShiftBreak {
        ShiftBreak {
            name: "break".into(),
            start,
            end,
        }
    }

    #[test]
    fn breaks_must_lie_inside_their_shift() {
        let refused = |shift: usize, b: ShiftBreak| {
            let mut cal = berlin_three_shifts();
            let name = cal.shifts[shift].name.clone();
            cal.shifts[shift].breaks.push(b);
            assert_eq!(
                cal.validate(),
                Err(ShiftError::Break {
                    shift: name,
                    name: "break".into()
                })
            );
        };
        refused(0, brk(t(5, 0), t(6, 30))); // starts before the early shift
        refused(0, brk(t(13, 45), t(14, 15))); // runs past its end
        refused(0, brk(t(10, 0), t(10, 0))); // empty
        refused(2, brk(t(21, 0), t(21, 30))); // before the night shift, same evening
        let mut cal = berlin_three_shifts();
        cal.shifts[0].breaks.push(brk(t(13, 30), t(14, 0))); // up to the end is fine
        cal.shifts[2].breaks.push(brk(t(23, 45), t(0, 15))); // across midnight
        cal.shifts[2].breaks.push(brk(t(2, 0), t(2, 30)));
        assert_eq!(cal.validate(), Ok(()));
    }

    #[test]
    fn breaks_resolve_on_the_right_day_and_across_dst() {
        let mut cal = berlin_three_shifts();
        cal.shifts[0].breaks.push(brk(t(10, 0), t(10, 20)));
        cal.shifts[2].breaks = vec![brk(t(2, 0), t(2, 30)), brk(t(23, 45), t(0, 15))];
        // Early shift of 2026-07-01 (CEST): 10:00 local is 08:00Z.
        let early = cal
            .shift_at(utc_ms("2026-07-01T05:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(
            cal.breaks_of(&early).unwrap(),
            vec![(
                utc_ms("2026-07-01T08:00:00Z"),
                utc_ms("2026-07-01T08:20:00Z")
            )]
        );
        // The night starting 2026-07-01 22:00: 23:45–00:15 that evening, 02:00 the next day.
        let night = cal
            .shift_at(utc_ms("2026-07-01T21:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(
            cal.breaks_of(&night).unwrap(),
            vec![
                (
                    utc_ms("2026-07-01T21:45:00Z"),
                    utc_ms("2026-07-01T22:15:00Z")
                ),
                (
                    utc_ms("2026-07-02T00:00:00Z"),
                    utc_ms("2026-07-02T00:30:00Z")
                ),
            ]
        );
        // Spring forward (2026-03-29 02:00 → 03:00): the 02:00–02:30 break never happens.
        let short_night = cal
            .shift_at(utc_ms("2026-03-28T23:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(
            cal.breaks_of(&short_night).unwrap(),
            vec![(
                utc_ms("2026-03-28T22:45:00Z"),
                utc_ms("2026-03-28T23:15:00Z")
            )]
        );
    }

    #[test]
    fn breaks_survive_a_json_round_trip_and_default_to_none() {
        let mut cal = berlin_three_shifts();
        cal.shifts[1].breaks.push(brk(t(18, 0), t(18, 20)));
        let json = serde_json::to_string(&cal).unwrap();
        assert_eq!(serde_json::from_str::<ShiftCalendar>(&json).unwrap(), cal);
        let old: ShiftPattern = serde_json::from_str(
            r#"{"name":"early","start":"06:00:00","end":"14:00:00","days":["mon"]}"#,
        )
        .unwrap();
        assert!(old.breaks.is_empty());
    }

    #[test]
    fn elapsed_is_clamped_to_the_shift() {
        let s = ShiftInstance {
            name: "x".into(),
            date: NaiveDate::MIN,
            start_ms: 1000,
            end_ms: 2000,
        };
        assert_eq!(s.elapsed_ms(500), 0);
        assert_eq!(s.elapsed_ms(1500), 500);
        assert_eq!(s.elapsed_ms(5000), 1000);
    }
}
