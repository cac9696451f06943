//! From the historian to the OEE engine.
//!
//! [`load_history`] reads everything a scope (enterprise, site, area, line or work center)
//! needs for a time range: the work centers (hierarchy and historian), their state points
//! and counter readings, each line's order history, the sites' shift calendars and the
//! products. It turns them into takt-oee inputs once:
//!
//! - state points → a [`StateTimeline`] per work center (the state in effect at the range
//!   start is included; the last state lasts until `min(now, range end)`) → downtime events;
//! - cumulative counter readings → [`CountEvent`] increments with [`CounterDelta`] (a reading
//!   below the previous one is a PLC reset and counts as parts since the reset). Deltas are
//!   recomputed here from the readings rather than taken from the stored `delta` column,
//!   which was computed at write time and is wrong after a reading arrived late;
//! - each count gets the product and order its line ran at that moment (order history),
//!   which gives it its ideal cycle; counts without a known product are `uncosted_parts`;
//! - planned time = the site's shifts minus their breaks (both from the stored calendar); a line whose site has no
//!   calendar is planned over the whole range (and has no per-shift results).
//!
//! [`LoadedHistory`] then answers any number of scopes (the range, a day's shifts) without
//! touching the database again.

use crate::ReportError;
use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::{BTreeMap, HashMap};
use takt_model::{
    CounterDelta, CounterKind, EquipmentPath, Level, Plant, ShiftCalendar, ShiftInstance,
    TimestampMs,
};
use takt_oee::{
    AuditEntry, CountEvent, DowntimeEvent, DowntimeLog, IdealCycles, Interval, Oee, OeeConfig,
    OeeEngine, OeeInputs, ParetoBy, ParetoRow, PlannedTime, ReasonTree, ShiftPlan, StaleEdit,
    StateEvent, StateTimeline, pareto,
};
use takt_store::Store;

/// How history is turned into OEE.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Classifies reasons into loss categories; empty: by state and duration only.
    pub reasons: ReasonTree,
    pub config: OeeConfig,
    /// The last state of a work center lasts until `min(now, range end)`.
    pub now_ms: TimestampMs,
    /// Rolls reason codes up to this many levels in the Pareto (`None`: full codes).
    pub pareto_depth: Option<usize>,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        Self {
            reasons: ReasonTree::default(),
            config: OeeConfig::default(),
            now_ms: chrono::Utc::now().timestamp_millis(),
            pareto_depth: None,
        }
    }
}

/// OEE of one line over a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct LineOee {
    pub line: EquipmentPath,
    /// The line's label (hierarchy description, else its name).
    pub label: String,
    /// The smallest interval holding the scope.
    pub range: Interval,
    /// In flow order (hierarchy), then work centers known only from history.
    pub work_centers: Vec<(EquipmentPath, Oee)>,
    /// [`Oee::sum`] of the work centers.
    pub line_total: Oee,
    /// Stop losses by reason, longest first.
    pub pareto: Vec<ParetoRow>,
    /// Good parts of the line's last work center (the line's output).
    pub output: u64,
    /// Scrap of all its work centers.
    pub scrap: u64,
    /// Parts at the ideal cycle of the product running, over planned time (shifts minus
    /// breaks); `None` when no product with an ideal cycle is known for the scope.
    pub target: Option<u64>,
}

/// OEE of every line in a scope, their total and the scope's loss Pareto.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ScopeOee {
    pub scope: EquipmentPath,
    pub range: Interval,
    pub lines: Vec<LineOee>,
    pub total: Oee,
    pub pareto: Vec<ParetoRow>,
}

/// One shift of a production day with the OEE of each line that had it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ShiftOee {
    pub shift: ShiftInstance,
    pub result: ScopeOee,
}

/// A production day (shifts starting on `date`, local time of each site).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DayOee {
    pub date: NaiveDate,
    pub day: ScopeOee,
    /// By shift start; shifts of several sites with the same name and start are merged.
    pub shifts: Vec<ShiftOee>,
}

/// One order change: from `start`, `order` runs `product` (`None`: nothing runs).
#[derive(Debug, Clone)]
pub(crate) struct OrderSpan {
    pub(crate) start: TimestampMs,
    pub(crate) order: Option<String>,
    pub(crate) product: Option<String>,
}

/// Order changes, sorted by start.
type OrderSpans = Vec<OrderSpan>;

pub(crate) struct LoadedWorkCenter {
    pub(crate) path: EquipmentPath,
    /// Its own order history, else its line's.
    pub(crate) orders: OrderSpans,
    pub(crate) timeline: StateTimeline,
    /// Derived from the timeline, with the stored edits replayed.
    pub(crate) log: DowntimeLog,
    /// `log`'s events in time order (what the OEE engine reads).
    pub(crate) downtime: Vec<DowntimeEvent>,
    /// Stored edits that no longer apply (late data moved their event), and stored entries
    /// that could not be read at all.
    pub(crate) stale_edits: Vec<StaleEdit>,
    pub(crate) unreadable_edits: u32,
    pub(crate) counts: Vec<CountEvent>,
}

impl LoadedWorkCenter {
    /// Re-reads the events after an edit of `log`.
    pub(crate) fn refresh_downtime(&mut self) {
        self.downtime = self.log.events_of(&self.path).cloned().collect();
    }
}

pub(crate) struct LoadedLine {
    pub(crate) path: EquipmentPath,
    pub(crate) label: String,
    plan: Option<ShiftPlan>,
    pub(crate) planned: PlannedTime,
    pub(crate) work_centers: Vec<LoadedWorkCenter>,
}

/// History of a scope, converted once, ready for any number of OEE scopes.
pub struct LoadedHistory {
    scope: EquipmentPath,
    range: Interval,
    pub(crate) lines: Vec<LoadedLine>,
    pub(crate) cycles: IdealCycles,
    pub(crate) options: HistoryOptions,
}

/// What [`load_history`] reads per work center, in a task of its own.
struct RawWorkCenter {
    timeline: StateTimeline,
    readings: [Vec<takt_store::CounterReading>; 2],
    orders: OrderSpans,
    /// Stored downtime edits of the events in the range (unreadable ones counted).
    audit: Vec<AuditEntry>,
    unreadable_edits: u32,
    has_data: bool,
}

/// Reads and converts the history of `scope` over `range` (see the module docs).
pub async fn load_history(
    store: &Store,
    scope: &EquipmentPath,
    range: Interval,
    options: HistoryOptions,
) -> Result<LoadedHistory, ReportError> {
    let plant = store.load_plant().await?;
    let mut lines = lines_in_scope(plant.as_ref(), scope);
    for wc in store.history_paths(scope).await? {
        if wc.level() != Level::WorkCenter {
            continue;
        }
        let Some(line) = wc.parent() else { continue };
        let entry = match lines.iter_mut().find(|l| l.0 == line) {
            Some(entry) => entry,
            None => {
                lines.push((line.clone(), line.name().to_owned(), Vec::new()));
                lines.last_mut().expect("just pushed")
            }
        };
        if !entry.2.contains(&wc) {
            entry.2.push(wc);
        }
    }
    lines.retain(|l| !l.2.is_empty());
    if lines.is_empty() {
        return Err(ReportError::UnknownScope {
            scope: scope.to_string(),
        });
    }

    let calendars: HashMap<EquipmentPath, ShiftCalendar> =
        store.shift_calendars().await?.into_iter().collect();
    let cycles = IdealCycles::from_products(&store.products().await?);
    let now = options.now_ms.min(range.end);

    // One task per work center: the pool runs up to four queries at once, and the
    // timelines are built on whichever worker is free.
    let mut tasks = tokio::task::JoinSet::new();
    for (li, (_, _, wcs)) in lines.iter().enumerate() {
        for (wi, wc) in wcs.iter().enumerate() {
            let store = store.clone();
            let wc = wc.clone();
            tasks.spawn(async move {
                let raw = read_work_center(&store, &wc, range, now).await;
                (li, wi, raw)
            });
        }
    }
    let mut raw: HashMap<(usize, usize), RawWorkCenter> = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (li, wi, result) = joined.map_err(|e| ReportError::Internal(e.to_string()))?;
        raw.insert((li, wi), result?);
    }

    let mut loaded = Vec::with_capacity(lines.len());
    for (li, (path, label, wcs)) in lines.into_iter().enumerate() {
        let (plan, planned) = match path
            .ancestor(Level::Site)
            .and_then(|site| calendars.get(&site).map(|c| (site, c)))
        {
            Some((site, calendar)) => {
                let plan = ShiftPlan::from_calendar(calendar, range).map_err(|source| {
                    ReportError::Calendar {
                        site: site.to_string(),
                        source,
                    }
                })?;
                let planned = plan.planned_time();
                (Some(plan), planned)
            }
            None => (None, PlannedTime::new(vec![range])),
        };
        let line_orders = order_spans(store, &path, range).await?;
        let mut work_centers = Vec::with_capacity(wcs.len());
        for (wi, wc) in wcs.into_iter().enumerate() {
            let Some(raw) = raw.remove(&(li, wi)) else {
                continue;
            };
            if !raw.has_data {
                continue;
            }
            let orders = if raw.orders.is_empty() {
                line_orders.clone()
            } else {
                raw.orders
            };
            let counts = count_events(&raw.readings, &orders, range);
            let (log, stale_edits) = DowntimeLog::from_audit(
                options.reasons.clone(),
                options.config.micro_stop_threshold_ms,
                std::slice::from_ref(&raw.timeline),
                raw.audit,
            )
            .map_err(|e| ReportError::Internal(format!("reason tree: {e}")))?;
            let mut loaded = LoadedWorkCenter {
                path: wc,
                orders,
                timeline: raw.timeline,
                log,
                downtime: Vec::new(),
                stale_edits,
                unreadable_edits: raw.unreadable_edits,
                counts,
            };
            loaded.refresh_downtime();
            work_centers.push(loaded);
        }
        if work_centers.is_empty() {
            continue;
        }
        loaded.push(LoadedLine {
            path,
            label,
            plan,
            planned,
            work_centers,
        });
    }
    Ok(LoadedHistory {
        scope: scope.clone(),
        range,
        lines: loaded,
        cycles,
        options,
    })
}

/// OEE of every line in `scope` over `range`: the whole query path in one call.
pub async fn scope_oee(
    store: &Store,
    scope: &EquipmentPath,
    range: Interval,
    options: HistoryOptions,
) -> Result<ScopeOee, ReportError> {
    Ok(load_history(store, scope, range, options).await?.oee())
}

/// OEE of the production day `date` (and each of its shifts) for every line in `scope`.
pub async fn day_oee(
    store: &Store,
    scope: &EquipmentPath,
    date: NaiveDate,
    options: HistoryOptions,
) -> Result<DayOee, ReportError> {
    let range = day_range(store, scope, date).await?;
    let history = load_history(store, scope, range, options).await?;
    history.day(date).ok_or(ReportError::NoHistory {
        scope: scope.to_string(),
        date,
    })
}

/// The span of every shift starting on `date` at the sites in `scope` (local midnight to
/// midnight where a site has no calendar), so a night shift's hours after midnight are read.
async fn day_range(
    store: &Store,
    scope: &EquipmentPath,
    date: NaiveDate,
) -> Result<Interval, ReportError> {
    let calendars = store.shift_calendars().await?;
    let plant = store.load_plant().await?;
    let mut span: Option<Interval> = None;
    let widen = |span: &mut Option<Interval>, i: Interval| {
        *span = Some(match *span {
            Some(s) => Interval::new(s.start.min(i.start), s.end.max(i.end)),
            None => i,
        })
    };
    let in_scope = |site: &EquipmentPath| {
        site == scope || site.is_ancestor_of(scope) || scope.is_ancestor_of(site)
    };
    for (site, calendar) in calendars.iter().filter(|(s, _)| in_scope(s)) {
        let tz = calendar.tz().map_err(|source| ReportError::Calendar {
            site: site.to_string(),
            source,
        })?;
        let (start, end) = local_day(&tz, date);
        let shifts = calendar
            .shifts_between(start - 86_400_000, end + 86_400_000)
            .map_err(|source| ReportError::Calendar {
                site: site.to_string(),
                source,
            })?;
        for s in shifts.iter().filter(|s| s.date == date) {
            widen(&mut span, Interval::new(s.start_ms, s.end_ms));
        }
    }
    if span.is_none() {
        // No shifts that day (or no calendar): the calendar day in the site's zone.
        let tz: chrono_tz::Tz = plant
            .iter()
            .flat_map(|p| p.sites.iter().map(move |s| (p, s)))
            .find(|(p, s)| {
                EquipmentPath::parse(&format!("{}/{}", p.enterprise, s.name))
                    .is_ok_and(|site| in_scope(&site))
            })
            .and_then(|(_, s)| s.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let (start, end) = local_day(&tz, date);
        widen(&mut span, Interval::new(start, end));
    }
    Ok(span.unwrap_or(Interval::new(0, 0)))
}

fn local_day(tz: &chrono_tz::Tz, date: NaiveDate) -> (TimestampMs, TimestampMs) {
    let at = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(0, |t| t.timestamp_millis())
    };
    (at(date), at(date.succ_opt().unwrap_or(date)))
}

/// Lines of the stored hierarchy at or below (or above, for a work center) `scope`, with
/// their work centers in flow order.
fn lines_in_scope(
    plant: Option<&Plant>,
    scope: &EquipmentPath,
) -> Vec<(EquipmentPath, String, Vec<EquipmentPath>)> {
    let Some(plant) = plant else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, line) in plant.lines() {
        let wcs: Vec<EquipmentPath> = line
            .work_centers
            .iter()
            .filter_map(|w| path.child(&w.name).ok())
            .filter(|w| w == scope || scope.is_ancestor_of(w) || w.is_ancestor_of(scope))
            .collect();
        if wcs.is_empty() {
            continue;
        }
        let label = if line.description.trim().is_empty() {
            line.name.clone()
        } else {
            line.description.clone()
        };
        out.push((path, label, wcs));
    }
    out
}

async fn read_work_center(
    store: &Store,
    wc: &EquipmentPath,
    range: Interval,
    now: TimestampMs,
) -> Result<RawWorkCenter, ReportError> {
    let points = store.state_points(wc, range.start, range.end).await?;
    let good = store
        .counter_readings(wc, CounterKind::Good, range.start, range.end)
        .await?;
    let scrap = store
        .counter_readings(wc, CounterKind::Scrap, range.start, range.end)
        .await?;
    let orders = order_spans(store, wc, range).await?;
    let has_data = !points.is_empty() || !good.is_empty() || !scrap.is_empty();
    let events: Vec<StateEvent> = points
        .into_iter()
        .map(|p| StateEvent {
            at: p.start_ms,
            kind: p.kind,
            reason: p.reason,
        })
        .collect();
    let timeline = StateTimeline::from_events(wc.clone(), &events, now);
    // Edits name events by their start, which may lie before the range (the stop in effect
    // at its start).
    let first_start = timeline
        .span()
        .map_or(range.start, |s| s.start.min(range.start));
    let mut audit = Vec::new();
    let mut unreadable_edits = 0;
    for record in store.downtime_audit(wc, first_start, range.end).await? {
        match serde_json::from_str::<AuditEntry>(&record.entry) {
            Ok(entry) => audit.push(entry),
            Err(_) => unreadable_edits += 1,
        }
    }
    Ok(RawWorkCenter {
        timeline,
        readings: [good, scrap],
        orders,
        audit,
        unreadable_edits,
        has_data,
    })
}

async fn order_spans(
    store: &Store,
    path: &EquipmentPath,
    range: Interval,
) -> Result<OrderSpans, ReportError> {
    Ok(store
        .order_history(path, range.start, range.end)
        .await?
        .into_iter()
        .map(|r| OrderSpan {
            start: r.start_ms,
            order: r.order,
            product: r.product,
        })
        .collect())
}

/// Increments from cumulative readings (the first one is the baseline, usually from before
/// the range), with the product running at each reading.
fn count_events(
    readings: &[Vec<takt_store::CounterReading>; 2],
    orders: &[OrderSpan],
    range: Interval,
) -> Vec<CountEvent> {
    let mut out = Vec::new();
    for (kind, list) in [CounterKind::Good, CounterKind::Scrap]
        .into_iter()
        .zip(readings)
    {
        let mut previous: Option<u64> = None;
        for r in list {
            let parts = CounterDelta::between(previous, r.value).parts();
            previous = Some(r.value);
            if parts == 0 || !range.contains(r.timestamp_ms) {
                continue;
            }
            let i = orders.partition_point(|o| o.start <= r.timestamp_ms);
            let running = i.checked_sub(1).map(|i| &orders[i]);
            out.push(CountEvent {
                at: r.timestamp_ms,
                kind,
                parts,
                product: running.and_then(|o| o.product.clone()),
                // An order's OEE is read over its runs, which already pick its counts by time;
                // cloning the order into each of 300,000 counts cost the 30-day query ~25 ms.
                order: None,
            });
        }
    }
    out.sort_by_key(|c| c.at);
    out
}

impl LoadedHistory {
    pub fn range(&self) -> Interval {
        self.range
    }

    /// OEE over the whole loaded range.
    pub fn oee(&self) -> ScopeOee {
        let scope = [self.range];
        let lines: Vec<LineOee> = self
            .lines
            .iter()
            .map(|l| self.evaluate(l, &[&scope[..]]).remove(0))
            .collect();
        self.combine(lines, self.range)
    }

    /// The production day `date` and its shifts; `None` when no line has a shift that day
    /// or no work center has data in it.
    pub fn day(&self, date: NaiveDate) -> Option<DayOee> {
        // Per shift (by name and start), the lines that have it.
        let mut shifts: BTreeMap<(TimestampMs, String), (ShiftInstance, Vec<LineOee>)> =
            BTreeMap::new();
        let mut day_lines = Vec::new();
        for line in &self.lines {
            let (instances, spans): (Vec<ShiftInstance>, Vec<Interval>) = match &line.plan {
                Some(plan) => plan
                    .shifts
                    .iter()
                    .filter(|s| s.shift.date == date)
                    .map(|s| (s.shift.clone(), s.span()))
                    .unzip(),
                None => (Vec::new(), vec![self.range]),
            };
            if spans.is_empty() {
                continue;
            }
            let mut scopes: Vec<&[Interval]> = vec![&spans[..]];
            scopes.extend(spans.chunks(1).take(instances.len()));
            let mut results = self.evaluate(line, &scopes).into_iter();
            let Some(day) = results.next() else { continue };
            if !has_data(&day) {
                continue;
            }
            day_lines.push(day);
            for (instance, result) in instances.into_iter().zip(results) {
                shifts
                    .entry((instance.start_ms, instance.name.clone()))
                    .or_insert_with(|| (instance, Vec::new()))
                    .1
                    .push(result);
            }
        }
        if day_lines.is_empty() {
            return None;
        }
        let hull = |lines: &[LineOee]| {
            lines
                .iter()
                .map(|l| l.range)
                .reduce(|a, b| Interval::new(a.start.min(b.start), a.end.max(b.end)))
                .unwrap_or(self.range)
        };
        let day_range = hull(&day_lines);
        Some(DayOee {
            date,
            day: self.combine(day_lines, day_range),
            shifts: shifts
                .into_values()
                .map(|(shift, lines)| {
                    let range = Interval::new(shift.start_ms, shift.end_ms);
                    ShiftOee {
                        shift,
                        result: self.combine(lines, range),
                    }
                })
                .collect(),
        })
    }

    fn combine(&self, lines: Vec<LineOee>, range: Interval) -> ScopeOee {
        let total = Oee::sum(lines.iter().map(|l| &l.line_total));
        let pareto = pareto(
            &total.by_reason,
            ParetoBy::Duration,
            self.options.pareto_depth,
        );
        ScopeOee {
            scope: self.scope.clone(),
            range,
            lines,
            total,
            pareto,
        }
    }

    /// The OEE engine of one loaded work center.
    pub(crate) fn engine<'a>(
        &'a self,
        line: &'a LoadedLine,
        w: &'a LoadedWorkCenter,
    ) -> OeeEngine<'a> {
        OeeEngine::new(OeeInputs {
            timeline: &w.timeline,
            downtime: &w.downtime,
            counts: &w.counts,
            ideal_cycles: &self.cycles,
            planned: &line.planned,
            reasons: Some(&self.options.reasons),
            config: self.options.config,
        })
    }

    /// One line over several scopes, building each work center's engine once.
    fn evaluate(&self, line: &LoadedLine, scopes: &[&[Interval]]) -> Vec<LineOee> {
        let engines: Vec<OeeEngine<'_>> = line
            .work_centers
            .iter()
            .map(|w| self.engine(line, w))
            .collect();
        scopes
            .iter()
            .map(|scope| {
                let work_centers: Vec<(EquipmentPath, Oee)> = line
                    .work_centers
                    .iter()
                    .zip(&engines)
                    .map(|(w, e)| (w.path.clone(), e.scope(scope, None)))
                    .collect();
                let line_total = Oee::sum(work_centers.iter().map(|(_, o)| o));
                let pareto = pareto(
                    &line_total.by_reason,
                    ParetoBy::Duration,
                    self.options.pareto_depth,
                );
                let output = work_centers.last().map_or(0, |(_, o)| o.good);
                let scrap = work_centers.iter().map(|(_, o)| o.scrap).sum();
                let range = scope
                    .iter()
                    .copied()
                    .reduce(|a, b| Interval::new(a.start.min(b.start), a.end.max(b.end)))
                    .unwrap_or(self.range);
                LineOee {
                    line: line.path.clone(),
                    label: line.label.clone(),
                    range,
                    target: self.target(line, scope),
                    work_centers,
                    line_total,
                    pareto,
                    output,
                    scrap,
                }
            })
            .collect()
    }

    /// Ideal output over the planned windows in `scope`, product by product.
    pub(crate) fn target(&self, line: &LoadedLine, scope: &[Interval]) -> Option<u64> {
        let orders = &line.work_centers.last()?.orders;
        let mut parts = 0.0;
        let mut known = false;
        for w in line.planned.within(scope) {
            // Order segments overlapping the window.
            let first = orders
                .partition_point(|o| o.start <= w.start)
                .saturating_sub(1);
            for (i, o) in orders.iter().enumerate().skip(first) {
                let end = orders.get(i + 1).map_or(TimestampMs::MAX, |n| n.start);
                if o.start >= w.end {
                    break;
                }
                let ms = Interval::new(o.start, end).overlap_ms(&w);
                if let Some(cycle) = self.cycles.get(o.product.as_deref())
                    && ms > 0
                {
                    parts += ms as f64 / f64::from(cycle);
                    known = true;
                }
            }
        }
        known.then_some(parts.floor() as u64)
    }
}

/// Whether a result saw any state or count (a day without history is not a 0 % day).
fn has_data(line: &LineOee) -> bool {
    let o = &line.line_total;
    o.planned_time_ms > o.no_data_ms || o.good + o.scrap > 0
}
