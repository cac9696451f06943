//! The rules that turn feed events into live plant state. Synchronous and deterministic:
//! every method takes the current time, so tests control the clock.

use crate::diagnostics::DiagnosticsBook;
use crate::{
    FeedHealth, LineLive, LinkState, LinkStatus, Measurement, PlantSnapshot, WorkCenterChange,
    WorkCenterLive,
};
use std::collections::HashMap;
use takt_model::{
    CounterDelta, CounterKind, EquipmentPath, FeedEvent, FeedPayload, Level, Plant, Product,
    ShiftCalendar, ShiftInstance, TimestampMs, WorkCenterState,
};

/// Measurement names kept per work center; a publisher sending ever new names cannot grow the
/// snapshot without bound.
pub const MAX_MEASUREMENTS: usize = 32;

/// Shift-to-date counts of one work center, from the historian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftPrime {
    pub path: EquipmentPath,
    /// Start of the shift the counts belong to.
    pub shift_start_ms: TimestampMs,
    /// Since when the counts are complete: the shift start when the historian has a reading
    /// from before it, else its first reading in the shift.
    pub counted_from_ms: TimestampMs,
    pub good: u64,
    pub scrap: u64,
    /// The newest stored cumulative readings with their source times: live readings continue
    /// from them, so parts made while Takt was not running are counted too.
    pub good_total: Option<(u64, TimestampMs)>,
    pub scrap_total: Option<(u64, TimestampMs)>,
    /// The newest stored state and when it started: if the feed's first state is the same,
    /// its time in state counts from then, not from Takt's restart.
    pub state: Option<(WorkCenterState, TimestampMs)>,
    /// The last product its line ran this shift: its pace sets the target while no product
    /// is announced yet (Takt started during a changeover).
    pub last_product: Option<String>,
}

/// What the plant state needs to know from the MES database.
#[derive(Debug, Clone, Default)]
pub struct PlantConfig {
    pub plant: Option<Plant>,
    /// Shift calendar per site path.
    pub calendars: HashMap<EquipmentPath, ShiftCalendar>,
    pub products: HashMap<String, Product>,
    /// A feed silent this long is shown as stale.
    pub stale_after_ms: i64,
    /// A feed silent this long is shown as offline.
    pub offline_after_ms: i64,
}

impl PlantConfig {
    pub fn new(plant: Option<Plant>) -> Self {
        Self {
            plant,
            stale_after_ms: 30_000,
            offline_after_ms: 300_000,
            ..Default::default()
        }
    }

    /// The ideal cycle of `product` in ms, when it is known and positive.
    fn ideal_cycle_ms(&self, product: Option<&str>) -> Option<f64> {
        let cycle = self.products.get(product?)?.ideal_cycle_ms;
        (cycle > 0).then_some(f64::from(cycle))
    }
}

#[derive(Debug)]
struct WorkCenterEntry {
    live: WorkCenterLive,
    line: usize,
    good_total: Option<u64>,
    scrap_total: Option<u64>,
    /// Source time of the last accepted reading of each counter.
    good_ts: TimestampMs,
    scrap_ts: TimestampMs,
    /// The shift whose counts the historian primed (kept when that shift is entered).
    primed_shift: Option<TimestampMs>,
    /// The stored state the first live one may continue (see [`ShiftPrime::state`]).
    primed_state: Option<(WorkCenterState, TimestampMs)>,
}

#[derive(Debug)]
struct LineEntry {
    live: LineLive,
    site: Option<EquipmentPath>,
    /// Fractional parts the ideal line would have made so far this shift.
    target_parts: f64,
    last_tick_ms: Option<TimestampMs>,
    /// (shift start, counted from): when the historian primed shift-to-date counts, the target
    /// covers the same span, from `counted from`, once the product's cycle is known.
    credit_shift: Option<(TimestampMs, TimestampMs)>,
    /// The current shift's breaks: no target accrues over them.
    breaks: Vec<(TimestampMs, TimestampMs)>,
    /// The ideal cycle of the last product with a known one.
    last_cycle_ms: Option<f64>,
}

impl LineEntry {
    /// Planned milliseconds in `[from, to)`: the span minus the shift's breaks.
    fn planned_ms(&self, from: TimestampMs, to: TimestampMs) -> i64 {
        let in_breaks: i64 = self
            .breaks
            .iter()
            .map(|&(s, e)| (e.min(to) - s.max(from)).max(0))
            .sum();
        (to - from).max(0) - in_breaks
    }
}

#[derive(Debug)]
pub struct PlantState {
    config: PlantConfig,
    work_centers: Vec<WorkCenterEntry>,
    wc_index: HashMap<EquipmentPath, usize>,
    lines: Vec<LineEntry>,
    line_index: HashMap<EquipmentPath, usize>,
    version: u64,
    broker: LinkStatus,
    database: LinkStatus,
    diagnostics: DiagnosticsBook,
}

impl PlantState {
    pub fn new(config: PlantConfig, now_ms: TimestampMs) -> Self {
        let mut state = PlantState {
            config,
            work_centers: Vec::new(),
            wc_index: HashMap::new(),
            lines: Vec::new(),
            line_index: HashMap::new(),
            version: 0,
            broker: LinkStatus::starting("", now_ms),
            database: LinkStatus::starting("", now_ms),
            diagnostics: DiagnosticsBook::default(),
        };
        if let Some(plant) = state.config.plant.clone() {
            for (line_path, line) in plant.lines() {
                let idx = state.ensure_line(&line_path);
                state.lines[idx].live.description = line.description.clone();
                for wc in &line.work_centers {
                    if let Ok(wc_path) = line_path.child(&wc.name) {
                        let w = state.ensure_work_center(&wc_path);
                        state.work_centers[w].live.description = wc.description.clone();
                    }
                }
            }
        }
        state
    }

    fn bump(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    fn ensure_line(&mut self, path: &EquipmentPath) -> usize {
        if let Some(&idx) = self.line_index.get(path) {
            return idx;
        }
        let version = self.bump();
        let site = path.ancestor(Level::Site);
        self.lines.push(LineEntry {
            live: LineLive {
                path: path.clone(),
                name: path.name().to_owned(),
                description: String::new(),
                work_centers: Vec::new(),
                order: None,
                product: None,
                output: 0,
                scrap: 0,
                target_so_far: 0,
                target_shift: 0,
                shift: None,
                feed: FeedHealth::Offline,
                version,
            },
            site,
            target_parts: 0.0,
            last_tick_ms: None,
            credit_shift: None,
            breaks: Vec::new(),
            last_cycle_ms: None,
        });
        let idx = self.lines.len() - 1;
        self.line_index.insert(path.clone(), idx);
        idx
    }

    fn ensure_work_center(&mut self, path: &EquipmentPath) -> usize {
        if let Some(&idx) = self.wc_index.get(path) {
            return idx;
        }
        // A work center path always has a line parent (depth 5).
        let line_path = path.parent().unwrap_or_else(|| path.clone());
        let line = self.ensure_line(&line_path);
        let version = self.bump();
        self.lines[line].live.work_centers.push(path.clone());
        self.lines[line].live.version = version;
        self.work_centers.push(WorkCenterEntry {
            live: WorkCenterLive {
                path: path.clone(),
                name: path.name().to_owned(),
                description: String::new(),
                state: WorkCenterState::offline(),
                state_since_ms: None,
                good: 0,
                scrap: 0,
                last_message_ms: None,
                feed: FeedHealth::Offline,
                measurements: Vec::new(),
                version,
            },
            line,
            good_total: None,
            scrap_total: None,
            good_ts: TimestampMs::MIN,
            scrap_ts: TimestampMs::MIN,
            primed_shift: None,
            primed_state: None,
        });
        let idx = self.work_centers.len() - 1;
        self.wc_index.insert(path.clone(), idx);
        idx
    }

    /// Applies one decoded event. Returns the resulting work-center change (none for
    /// line-level events), or an error text for diagnostics when the event does not fit.
    pub fn apply(
        &mut self,
        topic: &str,
        event: &FeedEvent,
        now_ms: TimestampMs,
    ) -> Result<Option<WorkCenterChange>, String> {
        let level = event.path.level();
        let expected = match event.payload {
            FeedPayload::Order { .. } => Level::Line,
            FeedPayload::State { .. }
            | FeedPayload::Counter { .. }
            | FeedPayload::Measurement { .. } => Level::WorkCenter,
        };
        if level != expected {
            let msg = format!(
                "`{}` payload on a {:?} path `{}`; expected a {:?} path",
                tag_name(&event.payload),
                level,
                event.path,
                expected
            );
            self.diagnostics.error(topic, &msg, now_ms);
            self.bump();
            return Err(msg);
        }
        if let FeedPayload::Measurement { name, value } = &event.payload {
            return self.apply_measurement(topic, event, name, *value, now_ms);
        }
        self.diagnostics.message(topic, now_ms);

        if let FeedPayload::Order { order, product } = &event.payload {
            let known = self.line_index.contains_key(&event.path);
            let idx = self.ensure_line(&event.path);
            if !known {
                self.diagnostics.discovered_equipment += 1;
            }
            if self.lines[idx].live.product != *product {
                // A new product changes the ideal cycle: bank what the old one earned first.
                self.accrue_target(idx, now_ms);
            }
            let version = self.bump();
            let line = &mut self.lines[idx];
            line.live.order = order.clone();
            line.live.product = product.clone();
            line.live.version = version;
            self.refresh_target_shift(idx);
            return Ok(None);
        }

        let idx = self.discover_work_center(&event.path);
        let version = self.bump();
        let entry = &mut self.work_centers[idx];
        match &event.payload {
            FeedPayload::State { state } => {
                let older = entry
                    .live
                    .state_since_ms
                    .is_some_and(|since| event.timestamp_ms < since);
                let continued = entry
                    .primed_state
                    .take()
                    .filter(|(stored, since)| stored == state && *since <= event.timestamp_ms);
                if let Some((_, since)) = continued
                    && entry.live.state_since_ms.is_none()
                {
                    entry.live.state = state.clone();
                    entry.live.state_since_ms = Some(since);
                } else if !older && entry.live.state != *state {
                    entry.live.state = state.clone();
                    entry.live.state_since_ms = Some(event.timestamp_ms);
                } else if entry.live.state_since_ms.is_none() {
                    entry.live.state_since_ms = Some(event.timestamp_ms);
                }
            }
            FeedPayload::Counter { kind, value } => {
                let (total, count, ts) = match kind {
                    CounterKind::Good => (
                        &mut entry.good_total,
                        &mut entry.live.good,
                        &mut entry.good_ts,
                    ),
                    CounterKind::Scrap => (
                        &mut entry.scrap_total,
                        &mut entry.live.scrap,
                        &mut entry.scrap_ts,
                    ),
                };
                // A reading older than the last one arrived late (a gateway's backlog): it
                // says nothing new, and taking it would look like a counter reset.
                if event.timestamp_ms >= *ts {
                    *count += CounterDelta::between(*total, *value).parts();
                    *total = Some(*value);
                    *ts = event.timestamp_ms;
                }
            }
            FeedPayload::Order { .. } | FeedPayload::Measurement { .. } => {}
        }
        entry.live.last_message_ms = Some(now_ms);
        entry.live.feed = FeedHealth::Live;
        entry.live.version = version;
        let line = entry.line;
        let change = change_of(entry, event.timestamp_ms, now_ms);
        self.refresh_line_totals(line);
        Ok(Some(change))
    }

    fn discover_work_center(&mut self, path: &EquipmentPath) -> usize {
        let known = self.wc_index.contains_key(path);
        let idx = self.ensure_work_center(path);
        if !known {
            self.diagnostics.discovered_equipment += 1;
        }
        idx
    }

    /// Keeps the latest value of a measurement. It is a sign of life like any message, but
    /// changes neither state nor counts, so it produces no work-center change.
    fn apply_measurement(
        &mut self,
        topic: &str,
        event: &FeedEvent,
        name: &str,
        value: f64,
        now_ms: TimestampMs,
    ) -> Result<Option<WorkCenterChange>, String> {
        let idx = self.discover_work_center(&event.path);
        let entry = &mut self.work_centers[idx];
        let slot = entry
            .live
            .measurements
            .binary_search_by(|m| m.name.as_str().cmp(name));
        match slot {
            // A value older than the one shown arrived late: it is not the current one.
            Ok(i) if event.timestamp_ms < entry.live.measurements[i].at_ms => {}
            Ok(i) => {
                let m = &mut entry.live.measurements[i];
                m.value = value;
                m.at_ms = event.timestamp_ms;
            }
            Err(_) if entry.live.measurements.len() >= MAX_MEASUREMENTS => {
                let msg = format!(
                    "too many measurements: `{}` already has {MAX_MEASUREMENTS}, `{name}` is not kept",
                    event.path
                );
                self.diagnostics.error(topic, &msg, now_ms);
                self.bump();
                return Err(msg);
            }
            Err(i) => entry.live.measurements.insert(
                i,
                Measurement {
                    name: name.to_owned(),
                    value,
                    at_ms: event.timestamp_ms,
                },
            ),
        }
        self.diagnostics.message(topic, now_ms);
        let version = self.bump();
        let entry = &mut self.work_centers[idx];
        entry.live.last_message_ms = Some(now_ms);
        entry.live.feed = FeedHealth::Live;
        entry.live.version = version;
        let line = entry.line;
        self.refresh_line_totals(line);
        Ok(None)
    }

    /// Takes shift-to-date counts and the last stored counter readings from the historian, so
    /// a Takt (re)started mid-shift shows the whole shift. Must come before live readings.
    pub fn prime(&mut self, prime: &ShiftPrime) {
        let idx = self.ensure_work_center(&prime.path);
        let version = self.bump();
        let entry = &mut self.work_centers[idx];
        if entry.good_total.is_none()
            && let Some((value, ts)) = prime.good_total
        {
            entry.good_total = Some(value);
            entry.good_ts = ts;
        }
        if entry.scrap_total.is_none()
            && let Some((value, ts)) = prime.scrap_total
        {
            entry.scrap_total = Some(value);
            entry.scrap_ts = ts;
        }
        entry.live.good = prime.good;
        entry.live.scrap = prime.scrap;
        entry.live.version = version;
        entry.primed_shift = Some(prime.shift_start_ms);
        if entry.live.state_since_ms.is_none() {
            entry.primed_state = prime.state.clone();
        }
        let cycle = self.config.ideal_cycle_ms(prime.last_product.as_deref());
        let line = entry.line;
        if self.lines[line].last_cycle_ms.is_none() && cycle.is_some() {
            self.lines[line].last_cycle_ms = cycle;
            self.refresh_target_shift(line);
        }
        let in_that_shift =
            self.lines[line].live.shift.as_ref().map(|s| s.start_ms) == Some(prime.shift_start_ms);
        if in_that_shift {
            // The tick already entered this shift: nothing will reset these counts.
            self.work_centers[idx].primed_shift = None;
        }
        // The output is counted at the line's last work center: its span sets the target's.
        let is_output = self.lines[line].live.work_centers.last() == Some(&prime.path);
        if is_output || self.lines[line].credit_shift.is_none() {
            self.lines[line].credit_shift = Some((prime.shift_start_ms, prime.counted_from_ms));
        }
        self.refresh_line_totals(line);
    }

    /// Records a message that could not be decoded.
    pub fn reject(&mut self, topic: &str, error: &str, now_ms: TimestampMs) {
        self.diagnostics.error(topic, error, now_ms);
        // Diagnostics are part of the snapshot: publish them.
        self.bump();
    }

    /// Records protocol news (a `seq` gap, a rebirth request). Diagnostics only: it is not a
    /// message from the equipment, so feed health stays as it is.
    pub fn protocol(&mut self, topic: &str, event: &crate::ProtocolEvent, now_ms: TimestampMs) {
        self.diagnostics.protocol(topic, event, now_ms);
        self.bump();
    }

    pub fn set_broker(&mut self, status: LinkStatus, now_ms: TimestampMs) -> Vec<WorkCenterChange> {
        self.broker = status;
        self.bump();
        self.refresh_health(now_ms)
    }

    pub fn set_database(&mut self, status: LinkStatus) {
        self.database = status;
        self.bump();
    }

    /// Advances time: feed health, shift boundaries, targets and message rates. Returns the
    /// work centers whose feed health changed.
    pub fn tick(&mut self, now_ms: TimestampMs) -> Vec<WorkCenterChange> {
        for idx in 0..self.lines.len() {
            self.tick_line(idx, now_ms);
        }
        if self.diagnostics.rates_moving(now_ms) {
            // Rates change with time alone: publish them, down to 0 when the feed goes quiet.
            self.bump();
        }
        self.refresh_health(now_ms)
    }

    fn tick_line(&mut self, idx: usize, now_ms: TimestampMs) {
        let calendar = self.lines[idx]
            .site
            .as_ref()
            .and_then(|site| self.config.calendars.get(site));
        let shift = calendar.and_then(|cal| cal.shift_at(now_ms).ok().flatten());
        let breaks_of = |s: &ShiftInstance| {
            calendar
                .and_then(|cal| cal.breaks_of(s).ok())
                .unwrap_or_default()
        };
        let changed_shift = shift.as_ref().map(|s| s.start_ms)
            != self.lines[idx].live.shift.as_ref().map(|s| s.start_ms);
        if changed_shift {
            let breaks = shift.as_ref().map(breaks_of).unwrap_or_default();
            let version = self.bump();
            // Into a new shift (or out of one, into a gap): shift counters start over.
            let wcs = self.lines[idx].live.work_centers.clone();
            let new_start = shift.as_ref().map(|s| s.start_ms);
            for wc in &wcs {
                if let Some(&w) = self.wc_index.get(wc) {
                    let entry = &mut self.work_centers[w];
                    // Counts the historian primed for exactly this shift are its counts so far.
                    if entry
                        .primed_shift
                        .take()
                        .is_none_or(|p| Some(p) != new_start)
                    {
                        entry.live.good = 0;
                        entry.live.scrap = 0;
                    }
                    entry.live.version = version;
                }
            }
            let line = &mut self.lines[idx];
            // Output counts from the first reading Takt sees, so the target does too; unless
            // the historian primed shift-to-date counts, then the target covers the whole shift.
            line.target_parts = 0.0;
            if line
                .credit_shift
                .is_some_and(|(start, _)| Some(start) != new_start)
            {
                line.credit_shift = None;
            }
            line.last_tick_ms = shift.as_ref().map(|s| now_ms.max(s.start_ms));
            line.breaks = breaks;
            line.live.shift = shift;
            line.live.version = version;
            self.refresh_line_totals(idx);
            self.refresh_target_shift(idx);
        }
        self.accrue_target(idx, now_ms);
    }

    /// Adds the parts an ideal line would have made since the last accrual.
    fn accrue_target(&mut self, idx: usize, now_ms: TimestampMs) {
        let cycle_ms = self.ideal_cycle_ms(idx);
        let line = &mut self.lines[idx];
        if let (Some(shift), Some(c), Some((start, from))) =
            (&line.live.shift, cycle_ms, line.credit_shift)
            && start == shift.start_ms
        {
            line.credit_shift = None;
            let from = from.clamp(shift.start_ms, shift.end_ms);
            line.target_parts = line.planned_ms(from, now_ms.min(shift.end_ms)) as f64 / c;
            line.last_tick_ms = Some(now_ms);
        }
        if let (Some(shift), Some(last), Some(c)) = (&line.live.shift, line.last_tick_ms, cycle_ms)
        {
            let until = now_ms.min(shift.end_ms);
            if until > last {
                line.target_parts += line.planned_ms(last, until) as f64 / c;
            }
        }
        line.last_tick_ms = line.live.shift.as_ref().map(|_| now_ms);
        let target = line.target_parts.floor() as u64;
        if target != line.live.target_so_far {
            line.live.target_so_far = target;
            let version = self.bump();
            self.lines[idx].live.version = version;
        }
    }

    /// The ideal cycle of the product running, else of the last one that ran: between two
    /// orders (a changeover) the ideal line would still be producing.
    fn ideal_cycle_ms(&mut self, line: usize) -> Option<f64> {
        let entry = &mut self.lines[line];
        let current = self.config.ideal_cycle_ms(entry.live.product.as_deref());
        if current.is_some() {
            entry.last_cycle_ms = current;
        }
        entry.last_cycle_ms
    }

    fn refresh_target_shift(&mut self, idx: usize) {
        let cycle = self.ideal_cycle_ms(idx);
        let line = &self.lines[idx];
        let target = match (&line.live.shift, cycle) {
            (Some(shift), Some(c)) => {
                (line.planned_ms(shift.start_ms, shift.end_ms) as f64 / c).floor() as u64
            }
            _ => 0,
        };
        self.lines[idx].live.target_shift = target;
    }

    fn refresh_line_totals(&mut self, idx: usize) {
        let paths = &self.lines[idx].live.work_centers;
        let mut output = 0;
        let mut scrap = 0;
        let mut feed = if paths.is_empty() {
            FeedHealth::Offline
        } else {
            FeedHealth::Live
        };
        for (pos, path) in paths.iter().enumerate() {
            if let Some(&w) = self.wc_index.get(path) {
                let wc = &self.work_centers[w].live;
                scrap += wc.scrap;
                feed = feed.max(wc.feed);
                if pos == paths.len() - 1 {
                    output = wc.good;
                }
            }
        }
        let line = &mut self.lines[idx].live;
        if (line.output, line.scrap, line.feed) != (output, scrap, feed) {
            line.output = output;
            line.scrap = scrap;
            line.feed = feed;
            self.version += 1;
            line.version = self.version;
        }
    }

    fn refresh_health(&mut self, now_ms: TimestampMs) -> Vec<WorkCenterChange> {
        let connected = self.broker.state == LinkState::Connected;
        let mut changes = Vec::new();
        let mut touched_lines = Vec::new();
        for w in 0..self.work_centers.len() {
            let entry = &self.work_centers[w];
            let health = match entry.live.last_message_ms {
                None => FeedHealth::Offline,
                Some(last) if now_ms - last >= self.config.offline_after_ms => FeedHealth::Offline,
                Some(_) if !connected => FeedHealth::Stale,
                Some(last) if now_ms - last >= self.config.stale_after_ms => FeedHealth::Stale,
                Some(_) => FeedHealth::Live,
            };
            if health != entry.live.feed {
                self.version += 1;
                let entry = &mut self.work_centers[w];
                entry.live.feed = health;
                entry.live.version = self.version;
                touched_lines.push(entry.line);
                let ts = entry.live.last_message_ms.unwrap_or(now_ms);
                changes.push(change_of(entry, ts, now_ms));
            }
        }
        touched_lines.sort_unstable();
        touched_lines.dedup();
        for line in touched_lines {
            self.refresh_line_totals(line);
        }
        changes
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn snapshot(&self, now_ms: TimestampMs) -> PlantSnapshot {
        PlantSnapshot {
            version: self.version,
            generated_ms: now_ms,
            lines: self.lines.iter().map(|l| l.live.clone()).collect(),
            work_centers: self.work_centers.iter().map(|w| w.live.clone()).collect(),
            broker: self.broker.clone(),
            database: self.database.clone(),
            diagnostics: self.diagnostics.report(now_ms),
        }
    }

    /// The shift a line is in, as of the last tick.
    pub fn line_shift(&self, line: &EquipmentPath) -> Option<&ShiftInstance> {
        self.line_index
            .get(line)
            .and_then(|&i| self.lines[i].live.shift.as_ref())
    }
}

fn tag_name(payload: &FeedPayload) -> &'static str {
    match payload {
        FeedPayload::State { .. } => "state",
        FeedPayload::Counter {
            kind: CounterKind::Good,
            ..
        } => "good",
        FeedPayload::Counter {
            kind: CounterKind::Scrap,
            ..
        } => "scrap",
        FeedPayload::Order { .. } => "order",
        FeedPayload::Measurement { .. } => "measurement",
    }
}

fn change_of(
    entry: &WorkCenterEntry,
    timestamp_ms: TimestampMs,
    received_ms: TimestampMs,
) -> WorkCenterChange {
    WorkCenterChange {
        path: entry.live.path.clone(),
        state: entry.live.state.kind,
        reason: entry.live.state.reason.clone(),
        good: entry.live.good,
        scrap: entry.live.scrap,
        state_since_ms: entry.live.state_since_ms,
        timestamp_ms,
        received_ms,
        good_total: entry.good_total,
        scrap_total: entry.scrap_total,
        feed: entry.live.feed,
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
