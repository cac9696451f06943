//! The plan as a planner (or the generator, or the MES database) hands it to the engine: plain serde types
//! with string ids, so a `plan.json` is readable and diffable. [`crate::plant::Problem::compile`] turns it
//! into dense indices once; every engine function works on those.
//!
//! Units: instants are milliseconds since the Unix epoch (UTC), durations are milliseconds.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC).
pub type Time = i64;
/// Milliseconds.
pub type Millis = i64;

pub const HOUR_MS: Millis = 3_600_000;
pub const MINUTE_MS: Millis = 60_000;

/// A half-open interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Interval {
    pub start: Time,
    pub end: Time,
}

impl Interval {
    pub fn new(start: Time, end: Time) -> Self {
        Self { start, end }
    }
    pub fn len(&self) -> Millis {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Everything the engine needs to schedule a plant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PlanInput {
    /// "Now": nothing new starts earlier.
    pub now: Time,
    pub calendars: Vec<CalendarInput>,
    pub work_centers: Vec<WorkCenterInput>,
    pub products: Vec<ProductInput>,
    /// Sequence-dependent changeover times; pairs not listed take the work center's default.
    #[serde(default)]
    pub changeovers: Vec<ChangeoverInput>,
    pub orders: Vec<OrderInput>,
    pub operations: Vec<OperationInput>,
    /// The planner's sequence per work center. Operations not listed are placed by earliest due date.
    #[serde(default)]
    pub sequences: Vec<SequenceInput>,
    /// Extra shifts added to a work center's calendar (what-if "add a Saturday shift").
    #[serde(default)]
    pub extra_shifts: Vec<ExtraShift>,
    /// Maintenance windows and breakdowns: the work center is unavailable.
    #[serde(default)]
    pub downtimes: Vec<Downtime>,
}

/// Working time of a shift calendar, already expanded into intervals (shifts minus breaks and holidays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CalendarInput {
    pub id: String,
    pub working: Vec<Interval>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct WorkCenterInput {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub calendar: String,
    /// Changeover between two different products not listed in `changeovers`.
    #[serde(default)]
    pub default_changeover_ms: Millis,
    /// Product the work center is set up for at "now" (no changeover into it).
    #[serde(default)]
    pub initial_product: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ProductInput {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ChangeoverInput {
    pub work_center: String,
    pub from_product: String,
    pub to_product: String,
    pub duration_ms: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OrderInput {
    pub id: String,
    pub product: String,
    pub quantity: f64,
    pub release: Time,
    pub due: Time,
    /// Weight of this order's tardiness (priority); 1 is normal.
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// One step of an order's routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OperationInput {
    pub id: String,
    pub order: String,
    /// Operations of the same order that must end before this one starts.
    #[serde(default)]
    pub predecessors: Vec<String>,
    /// Work centers this operation may run on, each with its own rate or duration.
    pub alternatives: Vec<AlternativeInput>,
    /// Whether the operation may stop over breaks, nights and holidays and resume after them.
    #[serde(default = "yes")]
    pub may_pause: bool,
    /// The work center chosen by the planner (default: the first alternative).
    #[serde(default)]
    pub assigned: Option<String>,
    /// Pinned operations keep this start and their work center; nothing may move them.
    #[serde(default)]
    pub pinned_start: Option<Time>,
    /// Start no earlier than this (set by dragging an operation to a time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Time>,
    /// Running now: started at `started` on `assigned`, with `remaining_quantity` still to make.
    #[serde(default)]
    pub in_progress: Option<InProgress>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AlternativeInput {
    pub work_center: String,
    /// Units per hour; the duration is `setup + quantity / rate`.
    #[serde(default)]
    pub rate_per_hour: Option<f64>,
    /// A fixed duration instead of a rate.
    #[serde(default)]
    pub duration_ms: Option<Millis>,
    /// Fixed set-up time added to the rate-based duration (not the product changeover).
    #[serde(default)]
    pub setup_ms: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct InProgress {
    pub started: Time,
    pub remaining_quantity: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SequenceInput {
    pub work_center: String,
    pub operations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ExtraShift {
    pub id: u32,
    pub work_center: String,
    pub interval: Interval,
}

/// Why a work center is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DowntimeKind {
    Maintenance,
    Breakdown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Downtime {
    pub id: u32,
    pub work_center: String,
    pub kind: DowntimeKind,
    pub interval: Interval,
    #[serde(default)]
    pub note: String,
}

/// `YYYY-MM-DD HH:MM` (UTC) of milliseconds since the Unix epoch.
pub fn format_utc(ms: Time) -> String {
    const DAY_MS: i64 = 86_400_000;
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let minutes = ms.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01: shift the epoch to 0000-03-01 so that leap days
/// end a year, then split into 400-year eras (146,097 days), years of the era and days of the year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    // Months counted from March, 153 days per five months.
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00");
        assert_eq!(format_utc(951_868_800_000 - 60_000), "2000-02-29 23:59");
        assert_eq!(
            format_utc(1_795_996_800_000 + 6 * HOUR_MS),
            "2026-11-30 06:00"
        );
        assert_eq!(format_utc(-60_000), "1969-12-31 23:59");
        assert_eq!(format_utc(4_107_542_400_000), "2100-03-01 00:00");
    }
}
