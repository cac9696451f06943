//! The line detail view's data: state bands, counters, rate against standard, OEE with its
//! losses, and the downtime list with the supervisor's edits, for one line over a range
//! (usually the current shift).
//!
//! Edits ([`edit_downtime`]) are checked by takt-oee's [`takt_oee::DowntimeLog`] against the
//! events as they are now (history plus the stored journal), appended to the journal in the
//! database, and the detail is recomputed from the result, so what the supervisor sees after
//! an edit is exactly what the next read, report or restart will see.

use crate::ReportError;
use crate::history::{HistoryOptions, LoadedHistory, LoadedLine, LoadedWorkCenter, load_history};
use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::{EquipmentPath, TimestampMs};
use takt_oee::{
    AuditAction, AuditEntry, DowntimeEvent, Interval, Oee, OeeEngine, OrderEvent, OrderRun,
    ParetoBy, ParetoRow, ReasonTree, StateInterval, StopCategory, order_runs, pareto,
};
use takt_store::Store;

/// One line over a range, everything the line detail view shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct LineDetail {
    pub line: EquipmentPath,
    pub label: String,
    pub range: Interval,
    /// States are known up to here (`min(now, range end)`).
    pub until: TimestampMs,
    /// Planned production windows inside the range (shifts minus breaks); the rest of the
    /// range is outside planned time and is not charged to OEE.
    pub planned: Vec<Interval>,
    /// In flow order.
    pub work_centers: Vec<WorkCenterDetail>,
    /// [`Oee::sum`] of the work centers (availability, performance, quality, six losses),
    /// from the range start to `until`, like every figure below.
    pub total: Oee,
    /// Good parts of the last work center.
    pub output: u64,
    pub scrap: u64,
    /// Parts at the ideal cycle over planned time; `None` without a known product.
    pub target: Option<u64>,
    /// Stop time by reason, longest first.
    pub pareto: Vec<ParetoRow>,
    /// The orders the line ran in the range, in the order they started.
    pub orders: Vec<OrderRow>,
    /// Every downtime event overlapping the range, all work centers, in time order.
    pub downtime: Vec<DowntimeRow>,
    /// What a stop can be charged to, depth first.
    pub reasons: Vec<ReasonChoice>,
    /// Stored edits that no longer apply (late data moved their stop) or cannot be read.
    pub stale_edits: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct WorkCenterDetail {
    pub path: EquipmentPath,
    /// State intervals clipped to the range.
    pub bands: Vec<StateInterval>,
    pub oee: Oee,
    pub good: u64,
    pub scrap: u64,
    /// Parts (good and scrap) per hour of run time; `None` before it ran.
    pub rate_per_hour: Option<f64>,
    /// The ideal rate for the products it made, per hour (parts ÷ ideal time); `None` when
    /// no part had a known ideal cycle.
    pub standard_per_hour: Option<f64>,
}

/// One order's share of the range: its OEE over the time it ran (up to `until`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct OrderRow {
    pub order: String,
    pub product: Option<String>,
    /// When it first started and last stopped running inside the range.
    pub start: TimestampMs,
    pub end: TimestampMs,
    /// Good parts of the last work center, scrap of all of them, counted for this order.
    pub output: u64,
    pub scrap: u64,
    /// [`Oee::sum`] of the work centers over the order's runs.
    pub oee: Oee,
}

/// A downtime event as listed, with what the list needs to show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DowntimeRow {
    pub event: DowntimeEvent,
    /// The loss it is charged to.
    pub category: StopCategory,
    /// The reason's label from the tree (`None`: no reason, or a code not in the tree).
    pub reason_label: Option<String>,
    /// Who last edited it, and when.
    pub edited_by: Option<String>,
    pub edited_at: Option<TimestampMs>,
    /// The event just before, on the same work center, ends where this one starts (a merge
    /// candidate).
    pub adjacent_to_previous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ReasonChoice {
    /// Full code, e.g. `MECH/JAM`.
    pub code: String,
    pub label: String,
    pub category: StopCategory,
    /// 0 for roots.
    pub depth: u32,
}

/// The detail of `line` over `range`.
pub async fn line_detail(
    store: &Store,
    line: &EquipmentPath,
    range: Interval,
    options: HistoryOptions,
) -> Result<LineDetail, ReportError> {
    let history = load_history(store, line, range, options).await?;
    history.line_detail(line)
}

/// Applies a supervisor's downtime edit, stores it in the journal, and returns the
/// recomputed detail. A refused edit ([`ReportError::Edit`]) stores nothing.
pub async fn edit_downtime(
    store: &Store,
    line: &EquipmentPath,
    range: Interval,
    options: HistoryOptions,
    action: AuditAction,
    user: &str,
    at: TimestampMs,
) -> Result<LineDetail, ReportError> {
    let mut history = load_history(store, line, range, options).await?;
    let entry = history.edit_downtime(action, user, at)?;
    let json = serde_json::to_string(&entry)
        .map_err(|e| ReportError::Internal(format!("encoding a downtime edit: {e}")))?;
    let first_start = entry.before.iter().map(|e| e.start).min().unwrap_or(at);
    store
        .append_downtime_audit(
            entry.action.work_center(),
            first_start,
            entry.at,
            &entry.user,
            &json,
        )
        .await?;
    history.line_detail(line)
}

impl LoadedHistory {
    /// Applies an edit in memory and returns the audit entry to store.
    pub fn edit_downtime(
        &mut self,
        action: AuditAction,
        user: &str,
        at: TimestampMs,
    ) -> Result<AuditEntry, ReportError> {
        let wc_path = action.work_center().clone();
        let wc = self
            .lines
            .iter_mut()
            .flat_map(|l| l.work_centers.iter_mut())
            .find(|w| w.path == wc_path)
            .ok_or_else(|| ReportError::UnknownScope {
                scope: wc_path.to_string(),
            })?;
        let log = &mut wc.log;
        match &action {
            AuditAction::AssignReason { event, reason } => {
                log.assign_reason(user, at, event, reason.as_deref())?;
            }
            AuditAction::Split {
                event,
                at: split_at,
            } => {
                log.split(user, at, event, *split_at)?;
            }
            AuditAction::Merge { first, second } => {
                log.merge(user, at, first, second)?;
            }
            AuditAction::Comment { event, text } => {
                log.comment(user, at, event, text.as_deref().unwrap_or(""))?;
            }
        }
        let entry =
            log.audit().last().cloned().ok_or_else(|| {
                ReportError::Internal("an accepted edit left no audit entry".into())
            })?;
        wc.refresh_downtime();
        Ok(entry)
    }

    /// The detail of one loaded line.
    pub fn line_detail(&self, line: &EquipmentPath) -> Result<LineDetail, ReportError> {
        let loaded = self.lines.iter().find(|l| &l.path == line).ok_or_else(|| {
            ReportError::UnknownScope {
                scope: line.to_string(),
            }
        })?;
        let range = self.range();
        let until = self.options.now_ms.clamp(range.start, range.end);
        // OEE, counts and target up to now: the rest of a running shift is not lost yet.
        let scope = [Interval::new(range.start, until)];
        let engines: Vec<OeeEngine<'_>> = loaded
            .work_centers
            .iter()
            .map(|w| self.engine(loaded, w))
            .collect();
        let work_centers: Vec<WorkCenterDetail> = loaded
            .work_centers
            .iter()
            .zip(&engines)
            .map(|(w, engine)| work_center_detail(w, engine, &scope, range))
            .collect();
        let total = Oee::sum(work_centers.iter().map(|w| &w.oee));
        let output = work_centers.last().map_or(0, |w| w.good);
        let scrap = work_centers.iter().map(|w| w.scrap).sum();
        let reasons = &self.options.reasons;
        let mut downtime: Vec<DowntimeRow> = loaded
            .work_centers
            .iter()
            .flat_map(|w| downtime_rows(w, range, reasons))
            .collect();
        downtime.sort_by(|a, b| {
            (a.event.start, &a.event.work_center).cmp(&(b.event.start, &b.event.work_center))
        });
        let stale_edits = loaded
            .work_centers
            .iter()
            .map(|w| w.stale_edits.len() as u32 + w.unreadable_edits)
            .sum();
        Ok(LineDetail {
            line: loaded.path.clone(),
            label: loaded.label.clone(),
            range,
            until,
            planned: loaded.planned.within(&[range]),
            target: self.target(loaded, &scope),
            pareto: pareto(&total.by_reason, ParetoBy::Duration, None),
            orders: order_rows(loaded, &engines, scope[0]),
            total,
            output,
            scrap,
            work_centers,
            downtime,
            reasons: reason_choices(reasons),
            stale_edits,
        })
    }
}

fn work_center_detail(
    w: &LoadedWorkCenter,
    engine: &OeeEngine<'_>,
    scope: &[Interval],
    range: Interval,
) -> WorkCenterDetail {
    let oee = engine.scope(scope, None);
    let parts = (oee.good + oee.scrap) as f64;
    let per_hour = |ms: i64| (ms > 0 && parts > 0.0).then(|| parts * 3_600_000.0 / ms as f64);
    WorkCenterDetail {
        path: w.path.clone(),
        bands: w.timeline.slice(range).collect(),
        good: oee.good,
        scrap: oee.scrap,
        rate_per_hour: per_hour(oee.run_time_ms),
        standard_per_hour: per_hour(oee.ideal_time_ms),
        oee,
    }
}

/// The line's orders inside `scope`, from the last work center's order history (the one the
/// output and target count at).
fn order_rows(line: &LoadedLine, engines: &[OeeEngine<'_>], scope: Interval) -> Vec<OrderRow> {
    let Some(last) = line.work_centers.last() else {
        return Vec::new();
    };
    let events: Vec<OrderEvent> = last
        .orders
        .iter()
        .map(|o| OrderEvent {
            at: o.start,
            order: o.order.clone(),
            product: o.product.clone(),
        })
        .collect();
    let runs: Vec<OrderRun> = order_runs(&events, scope.end)
        .into_iter()
        .filter_map(|r| {
            Some(OrderRun {
                span: r.span.intersect(&scope)?,
                ..r
            })
        })
        .collect();
    let mut rows: Vec<OrderRow> = Vec::new();
    for run in &runs {
        match rows.iter_mut().find(|r| r.order == run.order) {
            Some(row) => row.end = row.end.max(run.span.end),
            None => rows.push(OrderRow {
                order: run.order.clone(),
                product: run.product.clone(),
                start: run.span.start,
                end: run.span.end,
                output: 0,
                scrap: 0,
                oee: Oee::default(),
            }),
        }
    }
    for row in &mut rows {
        let spans: Vec<Interval> = runs
            .iter()
            .filter(|r| r.order == row.order)
            .map(|r| r.span)
            .collect();
        let per_wc: Vec<Oee> = engines
            .iter()
            .map(|e| e.scope(&spans, Some(&row.order)))
            .collect();
        row.output = per_wc.last().map_or(0, |o| o.good);
        row.scrap = per_wc.iter().map(|o| o.scrap).sum();
        row.oee = Oee::sum(per_wc.iter());
    }
    rows
}

fn downtime_rows(w: &LoadedWorkCenter, range: Interval, reasons: &ReasonTree) -> Vec<DowntimeRow> {
    let mut rows = Vec::new();
    let mut previous_end = None;
    for e in &w.downtime {
        let adjacent = previous_end == Some(e.start);
        previous_end = Some(e.end);
        if e.end <= range.start || e.start >= range.end {
            continue;
        }
        // The newest journal entry that produced this event.
        let edit = w
            .log
            .audit()
            .iter()
            .rev()
            .find(|a| a.after.iter().any(|x| x.id == e.id));
        rows.push(DowntimeRow {
            category: e.category(Some(reasons)),
            reason_label: e
                .reason
                .as_deref()
                .and_then(|r| reasons.resolve(r))
                .map(|r| r.label),
            edited_by: edit.map(|a| a.user.clone()),
            edited_at: edit.map(|a| a.at),
            adjacent_to_previous: adjacent,
            event: e.clone(),
        });
    }
    rows
}

fn reason_choices(tree: &ReasonTree) -> Vec<ReasonChoice> {
    tree.codes()
        .into_iter()
        .filter_map(|code| {
            let resolved = tree.resolve(&code)?;
            Some(ReasonChoice {
                depth: code.matches('/').count() as u32,
                code,
                label: resolved.label,
                category: resolved.category,
            })
        })
        .collect()
}
