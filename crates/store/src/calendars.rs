//! Shift calendars, one per site, normalised into patterns and holidays so they can be
//! read and edited with plain SQL (times `HH:MM:SS`, days `mon,tue`, dates `YYYY-MM-DD`).

use crate::Store;
use crate::error::{QueryContext, Result, StoreError, corrupt};
use chrono::{NaiveDate, NaiveTime};
use std::collections::HashMap;
use takt_model::shift::Day;
use takt_model::{EquipmentPath, Level, ShiftBreak, ShiftCalendar, ShiftPattern};

fn day_str(day: Day) -> &'static str {
    match day {
        Day::Mon => "mon",
        Day::Tue => "tue",
        Day::Wed => "wed",
        Day::Thu => "thu",
        Day::Fri => "fri",
        Day::Sat => "sat",
        Day::Sun => "sun",
    }
}

fn parse_days(site: &str, shift: &str, days: &str) -> Result<Vec<Day>> {
    days.split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            Day::ALL
                .into_iter()
                .find(|day| day_str(*day) == d)
                .ok_or_else(|| {
                    corrupt(format!(
                        "shift `{shift}` of site `{site}`: unknown weekday `{d}`"
                    ))
                })
        })
        .collect()
}

fn parse_time(site: &str, shift: &str, time: &str) -> Result<NaiveTime> {
    time.parse().map_err(|_| {
        corrupt(format!(
            "shift `{shift}` of site `{site}`: `{time}` is not a time (HH:MM:SS)"
        ))
    })
}

/// `(site, position, name, start, end, days)`.
type PatternRow = (String, i64, String, String, String, String);
/// `(site, pattern position, name, start, end)`.
type BreakRow = (String, i64, String, String, String);

/// The rows of one or all calendars, each list in site and position order.
struct CalendarRows {
    calendars: Vec<(String, String)>,
    patterns: Vec<PatternRow>,
    breaks: Vec<BreakRow>,
    holidays: Vec<(String, String)>,
}

impl CalendarRows {
    /// Rebuilds the calendars.
    fn assemble(self) -> Result<Vec<(EquipmentPath, ShiftCalendar)>> {
        let mut breaks: HashMap<(String, i64), Vec<ShiftBreak>> = HashMap::new();
        for (site, pattern, name, start, end) in self.breaks {
            let b = ShiftBreak {
                start: parse_time(&site, &name, &start)?,
                end: parse_time(&site, &name, &end)?,
                name,
            };
            breaks.entry((site, pattern)).or_default().push(b);
        }
        let mut shifts: HashMap<String, Vec<ShiftPattern>> = HashMap::new();
        for (site, position, name, start, end, days) in self.patterns {
            let pattern = ShiftPattern {
                start: parse_time(&site, &name, &start)?,
                end: parse_time(&site, &name, &end)?,
                days: parse_days(&site, &name, &days)?,
                breaks: breaks.remove(&(site.clone(), position)).unwrap_or_default(),
                name,
            };
            shifts.entry(site).or_default().push(pattern);
        }
        let mut off: HashMap<String, Vec<NaiveDate>> = HashMap::new();
        for (site, date) in self.holidays {
            let parsed = date.parse().map_err(|_| {
                corrupt(format!(
                    "holiday `{date}` of site `{site}` is not a date (YYYY-MM-DD)"
                ))
            })?;
            off.entry(site).or_default().push(parsed);
        }
        self.calendars
            .into_iter()
            .map(|(site, timezone)| {
                let path = EquipmentPath::parse(&site)
                    .map_err(|e| corrupt(format!("shift calendar site `{site}`: {e}")))?;
                let calendar = ShiftCalendar {
                    timezone,
                    shifts: shifts.remove(&site).unwrap_or_default(),
                    holidays: off.remove(&site).unwrap_or_default(),
                };
                Ok((path, calendar))
            })
            .collect()
    }
}

impl Store {
    /// Saves (replacing) the shift calendar of `site`, which must be a stored site.
    pub async fn save_shift_calendar(
        &self,
        site: &EquipmentPath,
        calendar: &ShiftCalendar,
    ) -> Result<()> {
        const ACTION: &str = "saving a shift calendar";
        if site.level() != Level::Site {
            return Err(StoreError::NotASite(site.to_string()));
        }
        calendar
            .validate()
            .map_err(|source| StoreError::InvalidCalendar {
                site: site.to_string(),
                source,
            })?;

        let mut tx = self.write_tx(ACTION).await?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT path FROM equipment WHERE path = $1")
                .bind(site.as_str())
                .fetch_optional(&mut *tx)
                .await
                .during(ACTION)?;
        if known.is_none() {
            return Err(StoreError::NotFound {
                what: format!("site `{site}`; save the plant first"),
            });
        }
        // Replace wholesale: patterns, their breaks and holidays go with the calendar row
        // (ON DELETE CASCADE).
        sqlx::query("DELETE FROM shift_calendars WHERE site_path = $1")
            .bind(site.as_str())
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        sqlx::query("INSERT INTO shift_calendars (site_path, timezone) VALUES ($1, $2)")
            .bind(site.as_str())
            .bind(&calendar.timezone)
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        for (position, shift) in calendar.shifts.iter().enumerate() {
            let days: Vec<&str> = shift.days.iter().map(|d| day_str(*d)).collect();
            sqlx::query(
                "INSERT INTO shift_patterns (site_path, position, name, start_time, end_time, days) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(site.as_str())
            .bind(position as i64)
            .bind(&shift.name)
            .bind(shift.start.to_string())
            .bind(shift.end.to_string())
            .bind(days.join(","))
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
            for (break_position, b) in shift.breaks.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO shift_breaks \
                     (site_path, pattern_position, position, name, start_time, end_time) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(site.as_str())
                .bind(position as i64)
                .bind(break_position as i64)
                .bind(&b.name)
                .bind(b.start.to_string())
                .bind(b.end.to_string())
                .execute(&mut *tx)
                .await
                .during(ACTION)?;
            }
        }
        for date in &calendar.holidays {
            sqlx::query(
                "INSERT INTO holidays (site_path, holiday_date) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(site.as_str())
            .bind(date.format("%Y-%m-%d").to_string())
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        }
        tx.commit().await.during(ACTION)
    }

    /// The shift calendar of `site`, or `None` if it has none. Holidays come back sorted
    /// and deduplicated (they are a set).
    pub async fn shift_calendar(&self, site: &EquipmentPath) -> Result<Option<ShiftCalendar>> {
        Ok(self
            .calendar_rows(Some(site))
            .await?
            .assemble()?
            .pop()
            .map(|(_, calendar)| calendar))
    }

    /// Every site's shift calendar, by site path.
    pub async fn shift_calendars(&self) -> Result<Vec<(EquipmentPath, ShiftCalendar)>> {
        self.calendar_rows(None).await?.assemble()
    }

    /// The rows of `site`'s calendar, or of every calendar.
    async fn calendar_rows(&self, site: Option<&EquipmentPath>) -> Result<CalendarRows> {
        const ACTION: &str = "loading shift calendars";
        // `$1 IS NULL`: one statement per table serves both one site and all of them.
        let site = site.map(EquipmentPath::as_str);
        let calendars = sqlx::query_as(
            "SELECT site_path, timezone FROM shift_calendars \
             WHERE $1 IS NULL OR site_path = $1 ORDER BY site_path",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        let patterns = sqlx::query_as(
            "SELECT site_path, position, name, start_time, end_time, days FROM shift_patterns \
             WHERE $1 IS NULL OR site_path = $1 ORDER BY site_path, position",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        let breaks = sqlx::query_as(
            "SELECT site_path, pattern_position, name, start_time, end_time FROM shift_breaks \
             WHERE $1 IS NULL OR site_path = $1 ORDER BY site_path, pattern_position, position",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        let holidays = sqlx::query_as(
            "SELECT site_path, holiday_date FROM holidays \
             WHERE $1 IS NULL OR site_path = $1 ORDER BY site_path, holiday_date",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        Ok(CalendarRows {
            calendars,
            patterns,
            breaks,
            holidays,
        })
    }
}
