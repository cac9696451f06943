//! What the line detail view and the overview's OEE figures ask of the runtime: the detail of
//! a line over a shift or range, downtime edits, and the current shift's OEE per line. All of
//! it is computed from the historian (takt-report) with the settings' reason tree.

use crate::{ErrorKind, Takt, TaktError, current_user};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::Arc;
use std::time::{Duration, Instant};
use takt_model::{EquipmentPath, Level, ShiftInstance, TimestampMs};
use takt_oee::{AuditAction, Interval};
use takt_plant::now_ms;
use takt_report::{LineDetail, ReportError};
use takt_store::Store;

/// Which stretch of time the line detail covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DetailRange {
    /// `offset` 0: the shift running now (or the last one, between shifts); 1: the one
    /// before; and so on.
    Shift { offset: u32 },
    /// The last `hours` up to now.
    Hours { hours: u32 },
    Between {
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    },
}

/// The line detail plus what the view needs around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct LineDetailView {
    pub detail: LineDetail,
    /// The shift shown, when the range is a shift.
    pub shift: Option<ShiftInstance>,
    /// Who edits are recorded as.
    pub user: String,
}

/// One line's OEE over its current shift so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct LiveLineOee {
    pub line: EquipmentPath,
    pub shift: ShiftInstance,
    pub availability: f64,
    pub performance: f64,
    pub quality: f64,
    pub oee: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct LiveOee {
    pub computed_ms: TimestampMs,
    pub lines: Vec<LiveLineOee>,
    /// Why some or all lines have no figure (no database, a query failed).
    pub error: Option<String>,
}

/// The overview asks every few seconds; the historian is read at most this often.
const LIVE_OEE_MAX_AGE: Duration = Duration::from_secs(10);
/// The longest range the detail view draws (a month of shifts).
const MAX_RANGE_MS: i64 = 31 * 86_400_000;

fn report_error(e: ReportError) -> TaktError {
    let kind = match &e {
        ReportError::UnknownScope { .. } | ReportError::NoHistory { .. } => ErrorKind::NotFound,
        ReportError::Edit(_) => ErrorKind::Refused,
        ReportError::Store(_) => ErrorKind::Database,
        _ => ErrorKind::Internal,
    };
    TaktError::new(kind, e.to_string())
}

impl Takt {
    fn history_store(&self) -> Result<&Store, TaktError> {
        self.store.as_ref().ok_or_else(|| {
            TaktError::new(
                ErrorKind::Database,
                "no database: line history, OEE and downtime come from the MES database; \
                 check Settings → Database",
            )
        })
    }

    fn line_path(&self, line: &str) -> Result<EquipmentPath, TaktError> {
        let path = EquipmentPath::parse(line.trim())
            .map_err(|e| TaktError::not_found(format!("`{line}` is not an equipment path: {e}")))?;
        if path.level() != Level::Line {
            return Err(TaktError::not_found(format!("`{path}` is not a line")));
        }
        Ok(path)
    }

    /// The shift `offset` shifts back from the one running at `now` at the line's site.
    fn shift_of(
        &self,
        line: &EquipmentPath,
        offset: u32,
        now: TimestampMs,
    ) -> Option<ShiftInstance> {
        let calendar = self.calendars.get(&line.ancestor(Level::Site)?)?;
        let days = i64::from(offset) + 2;
        let mut shifts = calendar
            .shifts_between(now - days * 86_400_000, now + 1)
            .ok()?;
        shifts.retain(|s| s.start_ms <= now);
        shifts.sort_by_key(|s| std::cmp::Reverse(s.start_ms));
        shifts.into_iter().nth(offset as usize)
    }

    fn resolve_range(
        &self,
        line: &EquipmentPath,
        range: DetailRange,
        now: TimestampMs,
    ) -> Result<(Interval, Option<ShiftInstance>), TaktError> {
        let (interval, shift) = match range {
            DetailRange::Shift { offset } => match self.shift_of(line, offset, now) {
                Some(s) => (Interval::new(s.start_ms, s.end_ms), Some(s)),
                // No calendar: the last eight hours stand in for a shift.
                None if offset == 0 => (Interval::new(now - 8 * 3_600_000, now), None),
                None => {
                    return Err(TaktError::not_found(format!(
                        "no shift calendar for `{line}`: only the current eight hours can be shown"
                    )));
                }
            },
            DetailRange::Hours { hours } => (
                Interval::new(now - i64::from(hours.max(1)) * 3_600_000, now),
                None,
            ),
            DetailRange::Between { from_ms, to_ms } => (Interval::new(from_ms, to_ms), None),
        };
        if interval.is_empty() || interval.len_ms() > MAX_RANGE_MS {
            return Err(TaktError::settings(
                "the range must be longer than zero and at most 31 days",
            ));
        }
        Ok((interval, shift))
    }

    /// The detail of `line` over `range`.
    pub async fn line_detail(
        &self,
        line: &str,
        range: DetailRange,
    ) -> Result<LineDetailView, TaktError> {
        let store = self.history_store()?;
        let path = self.line_path(line)?;
        let now = now_ms();
        let (interval, shift) = self.resolve_range(&path, range, now)?;
        let detail =
            takt_report::line_detail(store, &path, interval, self.settings.history_options(now))
                .await
                .map_err(report_error)?;
        Ok(LineDetailView {
            detail,
            shift,
            user: current_user(),
        })
    }

    /// Applies a downtime edit as the signed-in user, stores it, and returns the new detail.
    /// Edits are applied one at a time, so two supervisors' edits of one stop are checked in
    /// the order they are stored.
    pub async fn edit_downtime(
        &self,
        line: &str,
        range: DetailRange,
        action: AuditAction,
    ) -> Result<LineDetailView, TaktError> {
        let store = self.history_store()?;
        let path = self.line_path(line)?;
        if !path.is_ancestor_of(action.work_center()) {
            return Err(TaktError::not_found(format!(
                "{} is not a work center of {path}",
                action.work_center()
            )));
        }
        let _one_at_a_time = self.edit_lock.lock().await;
        let now = now_ms();
        let (interval, shift) = self.resolve_range(&path, range, now)?;
        let user = current_user();
        let detail = takt_report::edit_downtime(
            store,
            &path,
            interval,
            self.settings.history_options(now),
            action,
            &user,
            now,
        )
        .await
        .map_err(report_error)?;
        self.live_oee_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        Ok(LineDetailView {
            detail,
            shift,
            user,
        })
    }

    /// Each line's OEE over its current shift so far (read from the historian at most every
    /// ten seconds).
    pub async fn live_oee(&self) -> Arc<LiveOee> {
        if let Some((at, cached)) = &*self
            .live_oee_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < LIVE_OEE_MAX_AGE
        {
            return cached.clone();
        }
        let fresh = Arc::new(self.compute_live_oee().await);
        *self
            .live_oee_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), fresh.clone()));
        fresh
    }

    async fn compute_live_oee(&self) -> LiveOee {
        let now = now_ms();
        let mut out = LiveOee {
            computed_ms: now,
            ..LiveOee::default()
        };
        let store = match self.history_store() {
            Ok(store) => store,
            Err(e) => {
                out.error = Some(e.message);
                return out;
            }
        };
        let snapshot = self.plant.snapshot();
        let options = self.settings.history_options(now);
        for line in &snapshot.lines {
            // From the calendar, not the live snapshot: the plant only learns its shift on its
            // first tick, and a caller may ask before that.
            let Some(shift) = self.shift_of(&line.path, 0, now).filter(|s| now < s.end_ms) else {
                continue;
            };
            let range = Interval::new(shift.start_ms, now.min(shift.end_ms));
            if range.is_empty() {
                continue;
            }
            match takt_report::scope_oee(store, &line.path, range, options.clone()).await {
                Ok(scope) => {
                    if let Some(l) = scope.lines.into_iter().find(|l| l.line == line.path) {
                        let o = l.line_total;
                        out.lines.push(LiveLineOee {
                            line: line.path.clone(),
                            shift,
                            availability: o.availability,
                            performance: o.performance,
                            quality: o.quality,
                            oee: o.oee,
                        });
                    }
                }
                // A line without history yet simply has no figure.
                Err(ReportError::UnknownScope { .. }) => {}
                Err(e) => out.error = Some(e.to_string()),
            }
        }
        out
    }
}
