//! OEE and the six big losses for any scope.
//!
//! # Definitions
//!
//! For a work center and a scope (a range, a shift, a day, an order's runs):
//!
//! - **Windows** = planned windows ([`PlannedTime`]: shifts minus breaks) ∩ scope.
//! - **Planned time** = windows − time in `planned_stop` (planned maintenance, no demand).
//! - **Run time** = time in `running` inside the windows.
//! - **Stop losses** = the [`DowntimeEvent`]s inside the windows, charged by
//!   [`DowntimeEvent::category`]: *breakdowns* (unplanned stops: `down`, and `idle`,
//!   `starved`, `blocked`, `offline` longer than the micro-stop threshold), *setups*
//!   (`changeover`, and reasons in a setup branch) and *micro-stops*. Planned time the timeline
//!   does not cover (no data) is charged to breakdowns too, and reported as `no_data_ms`:
//!   availability that cannot be shown is not claimed.
//! - **Ideal time** = Σ ideal cycle of the count's product × parts (good + scrap), for the
//!   counts timestamped inside the windows (parts counted outside planned time are left out).
//!   Parts whose product has no ideal cycle are reported as `uncosted_parts` and add nothing.
//! - **Net run time** = min(run time, ideal time); **reduced speed** = run − net run.
//!   Performance is clamped at 1 (a wrong ideal cycle or a fast machine would otherwise give
//!   negative speed losses); `performance_raw` = ideal time / run time, unclamped.
//! - **Fully productive time** = net run × (ideal time of good parts / ideal time), rounded
//!   down to a millisecond. The rest of net run time is split by the same ideal-time weights
//!   into *start-up rejects* (scrap counted within `startup_window_ms` after a start) and
//!   *production rejects* (the remainder, so the parts sum exactly).
//! - **A start** is the beginning of every planned window (shift start, end of a break) and
//!   every change to `running` from `changeover`, `planned_stop`, `offline`, no data, or a
//!   `down` at least as long as the micro-stop threshold.
//! - availability = run / planned, performance = net run / run, quality = fully productive /
//!   net run, oee = fully productive / planned (= A × P × Q). A ratio whose denominator is 0
//!   is 0.
//!
//! Identity (tested): breakdowns + setups + micro-stops + reduced speed + start-up rejects +
//! production rejects + fully productive time = planned time, to the millisecond.
//!
//! # Lines
//!
//! [`Oee::sum`] adds the times and counts of several results and recomputes the ratios, so a
//! line's OEE is the planned-time-weighted OEE of its work centers, and its losses are the
//! sum of theirs. Its `good`/`scrap` are sums over work centers, not line output: for the
//! line's output OEE, take the bottleneck work center's result alone.

use crate::calendar::{PlannedTime, ShiftPlan};
use crate::downtime::{DowntimeEvent, ReasonTree, StopCategory};
use crate::timeline::StateTimeline;
use crate::{Interval, TimestampMs};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use takt_model::{CounterKind, Product, ShiftInstance, StateKind};

/// Thresholds of the engine. Use the same micro-stop threshold as the [`crate::DowntimeLog`]
/// that produced the events: the log flags micro-stops, the engine uses the threshold to tell
/// a restart after a breakdown (a start) from one after a micro-stop (not a start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct OeeConfig {
    /// Stops shorter than this are micro-stops (default 2 min).
    pub micro_stop_threshold_ms: i64,
    /// Scrap within this long after a start is a start-up reject (default 10 min).
    pub startup_window_ms: i64,
}

impl Default for OeeConfig {
    fn default() -> Self {
        Self {
            micro_stop_threshold_ms: 120_000,
            startup_window_ms: 600_000,
        }
    }
}

/// Parts counted at `at` (an increment, not a cumulative reading), with attribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CountEvent {
    pub at: TimestampMs,
    pub kind: CounterKind,
    pub parts: u64,
    pub product: Option<String>,
    pub order: Option<String>,
}

/// Ideal cycle time per product code, in ms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct IdealCycles {
    pub by_product: HashMap<String, u32>,
    /// Used for counts without a product, or a product not in `by_product`.
    pub fallback_ms: Option<u32>,
}

impl IdealCycles {
    pub fn from_products(products: &[Product]) -> Self {
        Self {
            by_product: products
                .iter()
                .filter(|p| p.ideal_cycle_ms > 0)
                .map(|p| (p.code.clone(), p.ideal_cycle_ms))
                .collect(),
            fallback_ms: None,
        }
    }

    pub fn get(&self, product: Option<&str>) -> Option<u32> {
        product
            .and_then(|p| self.by_product.get(p).copied())
            .or(self.fallback_ms)
            .filter(|ms| *ms > 0)
    }
}

/// The line's order changed at `at` (`None`: no order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct OrderEvent {
    pub at: TimestampMs,
    pub order: Option<String>,
    pub product: Option<String>,
}

/// An order running over `span`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct OrderRun {
    pub order: String,
    pub product: Option<String>,
    pub span: Interval,
}

/// Order runs from order events (any order; the last event runs until `now`). Consecutive
/// events naming the same order and product extend one run.
pub fn order_runs(events: &[OrderEvent], now: TimestampMs) -> Vec<OrderRun> {
    let mut sorted: Vec<&OrderEvent> = events.iter().collect();
    sorted.sort_by(|a, b| (a.at, &a.order, &a.product).cmp(&(b.at, &b.order, &b.product)));
    let mut runs: Vec<OrderRun> = Vec::new();
    for (i, e) in sorted.iter().enumerate() {
        let end = sorted.get(i + 1).map_or(now, |n| n.at).min(now);
        let Some(order) = &e.order else { continue };
        if end <= e.at {
            continue;
        }
        match runs.last_mut() {
            Some(r) if r.span.end == e.at && &r.order == order && r.product == e.product => {
                r.span.end = end
            }
            _ => runs.push(OrderRun {
                order: order.clone(),
                product: e.product.clone(),
                span: Interval::new(e.at, end),
            }),
        }
    }
    runs
}

/// The six big losses, as durations in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SixLosses {
    pub breakdowns: i64,
    pub setups: i64,
    pub micro_stops: i64,
    pub reduced_speed: i64,
    pub startup_rejects: i64,
    pub production_rejects: i64,
}

impl SixLosses {
    pub fn total(&self) -> i64 {
        self.breakdowns
            + self.setups
            + self.micro_stops
            + self.reduced_speed
            + self.startup_rejects
            + self.production_rejects
    }

    fn add(&mut self, o: &SixLosses) {
        self.breakdowns += o.breakdowns;
        self.setups += o.setups;
        self.micro_stops += o.micro_stops;
        self.reduced_speed += o.reduced_speed;
        self.startup_rejects += o.startup_rejects;
        self.production_rejects += o.production_rejects;
    }
}

/// Stop time charged to one reason (`None`: no reason) in one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ReasonLoss {
    pub reason: Option<String>,
    pub category: StopCategory,
    pub duration_ms: i64,
    /// Events overlapping the scope (each counted once, even across a break).
    pub events: u32,
}

/// OEE of one scope (see the module docs for every definition).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct Oee {
    pub availability: f64,
    pub performance: f64,
    /// Ideal time / run time, not clamped at 1.
    pub performance_raw: f64,
    pub quality: f64,
    pub oee: f64,
    pub planned_time_ms: i64,
    pub run_time_ms: i64,
    pub net_run_time_ms: i64,
    pub fully_productive_time_ms: i64,
    /// Ideal cycle × all parts (unclamped net run time).
    pub ideal_time_ms: i64,
    /// Planned stops inside the shift windows (already excluded from planned time).
    pub planned_stop_ms: i64,
    /// Planned time with no state data (included in breakdowns).
    pub no_data_ms: i64,
    pub good: u64,
    pub scrap: u64,
    pub startup_scrap: u64,
    /// Parts without an ideal cycle time.
    pub uncosted_parts: u64,
    pub losses: SixLosses,
    /// Sorted by category, then reason.
    pub by_reason: Vec<ReasonLoss>,
}

fn ratio(n: i64, d: i64) -> f64 {
    if d > 0 { n as f64 / d as f64 } else { 0.0 }
}

impl Oee {
    fn set_ratios(&mut self) {
        self.availability = ratio(self.run_time_ms, self.planned_time_ms);
        self.performance = ratio(self.net_run_time_ms, self.run_time_ms);
        self.performance_raw = ratio(self.ideal_time_ms, self.run_time_ms);
        self.quality = ratio(self.fully_productive_time_ms, self.net_run_time_ms);
        self.oee = ratio(self.fully_productive_time_ms, self.planned_time_ms);
    }

    /// Adds up results (e.g. a line's work centers, or a week's shifts).
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Oee>) -> Oee {
        let mut out = Oee::default();
        let mut reasons: BTreeMap<(StopCategory, Option<String>), (i64, u32)> = BTreeMap::new();
        for o in items {
            out.planned_time_ms += o.planned_time_ms;
            out.run_time_ms += o.run_time_ms;
            out.net_run_time_ms += o.net_run_time_ms;
            out.fully_productive_time_ms += o.fully_productive_time_ms;
            out.ideal_time_ms += o.ideal_time_ms;
            out.planned_stop_ms += o.planned_stop_ms;
            out.no_data_ms += o.no_data_ms;
            out.good += o.good;
            out.scrap += o.scrap;
            out.startup_scrap += o.startup_scrap;
            out.uncosted_parts += o.uncosted_parts;
            out.losses.add(&o.losses);
            for r in &o.by_reason {
                let e = reasons.entry((r.category, r.reason.clone())).or_default();
                e.0 += r.duration_ms;
                e.1 += r.events;
            }
        }
        out.by_reason = reasons
            .into_iter()
            .map(|((category, reason), (duration_ms, events))| ReasonLoss {
                reason,
                category,
                duration_ms,
                events,
            })
            .collect();
        out.set_ratios();
        out
    }
}

/// Everything the engine needs about one work center.
#[derive(Debug, Clone, Copy)]
pub struct OeeInputs<'a> {
    pub timeline: &'a StateTimeline,
    /// This work center's downtime events (e.g. [`crate::DowntimeLog::events_of`]).
    pub downtime: &'a [DowntimeEvent],
    pub counts: &'a [CountEvent],
    pub ideal_cycles: &'a IdealCycles,
    pub planned: &'a PlannedTime,
    pub reasons: Option<&'a ReasonTree>,
    pub config: OeeConfig,
}

/// Prepared inputs of one work center: answers many scopes cheaply.
#[derive(Debug, Clone)]
pub struct OeeEngine<'a> {
    inputs: OeeInputs<'a>,
    counts: Cow<'a, [CountEvent]>,
    downtime: Cow<'a, [DowntimeEvent]>,
    categories: Vec<StopCategory>,
    starts: Vec<TimestampMs>,
}

impl<'a> OeeEngine<'a> {
    pub fn new(inputs: OeeInputs<'a>) -> Self {
        let counts: Cow<'a, [CountEvent]> = if inputs.counts.is_sorted_by_key(|c| c.at) {
            Cow::Borrowed(inputs.counts)
        } else {
            let mut v = inputs.counts.to_vec();
            v.sort_by_key(|c| c.at);
            Cow::Owned(v)
        };
        let downtime: Cow<'a, [DowntimeEvent]> = if inputs.downtime.is_sorted_by_key(|e| e.start) {
            Cow::Borrowed(inputs.downtime)
        } else {
            let mut v = inputs.downtime.to_vec();
            v.sort_by_key(|e| e.start);
            Cow::Owned(v)
        };
        let categories = downtime
            .iter()
            .map(|e| e.category(inputs.reasons))
            .collect();
        let starts = start_times(inputs);
        Self {
            inputs,
            counts,
            downtime,
            categories,
            starts,
        }
    }

    /// Start times (see the module docs), sorted.
    pub fn starts(&self) -> &[TimestampMs] {
        &self.starts
    }

    fn is_startup(&self, t: TimestampMs) -> bool {
        let i = self.starts.partition_point(|s| *s <= t);
        i > 0 && t < self.starts[i - 1] + self.inputs.config.startup_window_ms
    }

    /// OEE over a range.
    pub fn range(&self, range: Interval) -> Oee {
        self.scope(&[range], None)
    }

    /// OEE over any set of intervals; with `order`, counts attributed to another order are
    /// left out (unattributed counts inside the scope are kept).
    pub fn scope(&self, scope: &[Interval], order: Option<&str>) -> Oee {
        let windows = self.inputs.planned.within(scope);
        let intervals = self.inputs.timeline.intervals();
        let mut o = Oee::default();
        let mut window_ms = 0;
        for w in &windows {
            window_ms += w.len_ms();
            let first = self.inputs.timeline.first_ending_after(w.start);
            for i in intervals[first..].iter().take_while(|i| i.start < w.end) {
                let ms = i.span().overlap_ms(w);
                match i.kind {
                    StateKind::Running => o.run_time_ms += ms,
                    StateKind::PlannedStop => o.planned_stop_ms += ms,
                    _ => {}
                }
            }
        }
        o.planned_time_ms = window_ms - o.planned_stop_ms;

        let mut stops: BTreeMap<(StopCategory, Option<&str>), (i64, u32)> = BTreeMap::new();
        let mut last_counted = usize::MAX;
        for w in &windows {
            let first = self.downtime.partition_point(|e| e.end <= w.start);
            for (idx, e) in self.downtime.iter().enumerate().skip(first) {
                if e.start >= w.end {
                    break;
                }
                let ms = e.span().overlap_ms(w);
                let entry = stops
                    .entry((self.categories[idx], e.reason.as_deref()))
                    .or_default();
                entry.0 += ms;
                if last_counted != idx {
                    entry.1 += 1;
                    last_counted = idx;
                }
            }
        }
        let mut stop_ms = 0;
        for ((category, _), (ms, _)) in &stops {
            stop_ms += ms;
            match category {
                StopCategory::Breakdown => o.losses.breakdowns += ms,
                StopCategory::Setup => o.losses.setups += ms,
                StopCategory::MicroStop => o.losses.micro_stops += ms,
            }
        }
        o.no_data_ms = (o.planned_time_ms - o.run_time_ms - stop_ms).max(0);
        o.losses.breakdowns += o.no_data_ms;
        o.by_reason = stops
            .into_iter()
            .map(|((category, reason), (duration_ms, events))| ReasonLoss {
                reason: reason.map(str::to_owned),
                category,
                duration_ms,
                events,
            })
            .collect();

        let (mut ideal, mut ideal_good, mut ideal_startup) = (0i128, 0i128, 0i128);
        for w in &windows {
            let first = self.counts.partition_point(|c| c.at < w.start);
            for c in self.counts[first..].iter().take_while(|c| c.at < w.end) {
                if let (Some(want), Some(have)) = (order, c.order.as_deref())
                    && want != have
                {
                    continue;
                }
                let cycle = self.inputs.ideal_cycles.get(c.product.as_deref());
                let t = i128::from(cycle.unwrap_or(0)) * i128::from(c.parts);
                if cycle.is_none() {
                    o.uncosted_parts += c.parts;
                }
                ideal += t;
                match c.kind {
                    CounterKind::Good => {
                        o.good += c.parts;
                        ideal_good += t;
                    }
                    CounterKind::Scrap if self.is_startup(c.at) => {
                        o.scrap += c.parts;
                        o.startup_scrap += c.parts;
                        ideal_startup += t;
                    }
                    CounterKind::Scrap => o.scrap += c.parts,
                }
            }
        }
        let run = i128::from(o.run_time_ms);
        let net = ideal.min(run);
        o.ideal_time_ms = i64::try_from(ideal).unwrap_or(i64::MAX);
        o.net_run_time_ms = net as i64;
        o.losses.reduced_speed = o.run_time_ms - o.net_run_time_ms;
        if ideal > 0 {
            // Floors keep fully productive + start-up rejects ≤ net run; the remainder is
            // production rejects, so the losses sum exactly.
            o.fully_productive_time_ms = (net * ideal_good / ideal) as i64;
            o.losses.startup_rejects = (net * ideal_startup / ideal) as i64;
        }
        o.losses.production_rejects =
            o.net_run_time_ms - o.fully_productive_time_ms - o.losses.startup_rejects;
        o.set_ratios();
        o
    }

    /// One result per shift of the plan.
    pub fn by_shift(&self, plan: &ShiftPlan) -> Vec<(ShiftInstance, Oee)> {
        plan.shifts
            .iter()
            .map(|s| (s.shift.clone(), self.scope(&[s.span()], None)))
            .collect()
    }

    /// One result per production day of the plan (see [`ShiftPlan::days`]).
    pub fn by_day(&self, plan: &ShiftPlan) -> Vec<(NaiveDate, Oee)> {
        plan.days()
            .into_iter()
            .map(|(d, spans)| (d, self.scope(&spans, None)))
            .collect()
    }

    /// One result per order, over all of its runs, in order of first run.
    pub fn by_order(&self, runs: &[OrderRun]) -> Vec<(String, Oee)> {
        let mut orders: Vec<(&str, Vec<Interval>)> = Vec::new();
        for r in runs {
            match orders.iter_mut().find(|(o, _)| *o == r.order) {
                Some((_, spans)) => spans.push(r.span),
                None => orders.push((&r.order, vec![r.span])),
            }
        }
        orders
            .into_iter()
            .map(|(o, spans)| (o.to_owned(), self.scope(&spans, Some(o))))
            .collect()
    }
}

fn start_times(inputs: OeeInputs<'_>) -> Vec<TimestampMs> {
    let mut starts: Vec<TimestampMs> = inputs.planned.windows().iter().map(|w| w.start).collect();
    let intervals = inputs.timeline.intervals();
    for (i, cur) in intervals.iter().enumerate() {
        if cur.kind != StateKind::Running {
            continue;
        }
        let restart = match i.checked_sub(1).map(|p| &intervals[p]) {
            None => true,
            Some(prev) if prev.end != cur.start => true,
            Some(prev) => match prev.kind {
                StateKind::Changeover | StateKind::PlannedStop | StateKind::Offline => true,
                StateKind::Down => prev.len_ms() >= inputs.config.micro_stop_threshold_ms,
                _ => false,
            },
        };
        if restart {
            starts.push(cur.start);
        }
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}
