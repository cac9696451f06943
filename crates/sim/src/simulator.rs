//! A time-stepped model of the demo lines. Deterministic for a given seed and sequence of
//! step times, so its behaviour is tested without a broker or a clock.
//!
//! Each line is a chain of work centers with small buffers between them. The constraint
//! (the slowest machine) sets the pace; faster machines upstream block and downstream
//! starve when it stops. Machines fail at random (micro-stops and breakdowns with reason
//! codes), make some scrap, stop for breaks and shift handovers, and change over between
//! products when an order is complete.

use crate::demo::DemoDataset;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use takt_model::{
    CounterKind, EquipmentPath, FeedEvent, FeedPayload, ShiftCalendar, ShiftInstance, StateKind,
    TimestampMs, WorkCenterState, WorkOrder,
};

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    /// Minimum time between two counter messages of one work center.
    pub counter_interval_ms: i64,
    /// Publish counters every interval even when unchanged (load generation).
    pub counters_always: bool,
    /// Re-announce every state this often, so a quiet machine is not taken for a dead feed.
    pub heartbeat_ms: i64,
    /// Mean running time between micro-stops and between breakdowns of one machine.
    pub micro_stop_mtbf_ms: f64,
    pub breakdown_mtbf_ms: f64,
    pub scrap_rate: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            seed: 7,
            counter_interval_ms: 1_000,
            counters_always: false,
            heartbeat_ms: 10_000,
            micro_stop_mtbf_ms: 6.0 * 60_000.0,
            breakdown_mtbf_ms: 50.0 * 60_000.0,
            scrap_rate: 0.004,
        }
    }
}

const BUFFER_CAPACITY: u32 = 30;
const STARVE_DEBOUNCE_MS: i64 = 3_000;

/// Full codes of the default reason tree (`takt_runtime::default_reason_tree`).
const BREAKDOWN_REASONS: [&str; 8] = [
    "MECH/JAM",
    "MECH/BEARING",
    "ELEC/DRIVE-FAULT",
    "ELEC/SENSOR",
    "PNEU/PRESSURE-LOW",
    "MATERIAL/QUALITY",
    "TOOL/WEAR",
    "OPERATOR/ABSENT",
];

/// Local minute-of-day windows of planned stops: (start, end, reason).
/// Every shift starts with a handover of this length, announced as a planned stop.
const HANDOVER_MS: i64 = 5 * 60_000;

#[derive(Debug)]
struct MachineSim {
    path: EquipmentPath,
    state: WorkCenterState,
    /// End of a timed stop (breakdown, micro-stop).
    stop_until: Option<TimestampMs>,
    /// This machine's cycle as a multiple of the product's ideal cycle.
    pace: f64,
    progress_ms: f64,
    /// Parts waiting for the next machine.
    buffer: u32,
    good: u64,
    scrap: u64,
    counters_dirty: bool,
    /// Since when the machine has had no part to take or no room to put one.
    waiting_since: Option<TimestampMs>,
    last_counter_ms: TimestampMs,
    last_state_ms: TimestampMs,
}

#[derive(Debug)]
struct LineSim {
    path: EquipmentPath,
    machines: Vec<MachineSim>,
    orders: VecDeque<WorkOrder>,
    order: Option<WorkOrder>,
    cycle_ms: f64,
    made_for_order: u64,
    changeover_until: Option<TimestampMs>,
    announced_order: bool,
}

pub struct Simulator {
    lines: Vec<LineSim>,
    options: SimOptions,
    rng: SmallRng,
    last_step: Option<TimestampMs>,
    products: Vec<takt_model::Product>,
    calendar: ShiftCalendar,
    /// The shift around the last step and its breaks, resolved once per shift.
    shift: Option<(ShiftInstance, Vec<(TimestampMs, TimestampMs)>)>,
}

impl Simulator {
    pub fn new(dataset: &DemoDataset, options: SimOptions) -> Self {
        let mut rng = SmallRng::seed_from_u64(options.seed);
        let lines = dataset
            .plant
            .lines()
            .into_iter()
            .map(|(path, line)| {
                let n = line.work_centers.len();
                let constraint = n / 2;
                let machines = line
                    .work_centers
                    .iter()
                    .enumerate()
                    .filter_map(|(i, wc)| {
                        // The constraint runs at the ideal cycle; the others have headroom.
                        let pace = if i == constraint {
                            1.0
                        } else {
                            rng.random_range(0.80..0.92)
                        };
                        Some(MachineSim {
                            path: path.child(&wc.name).ok()?,
                            state: WorkCenterState::new(StateKind::Idle, None),
                            stop_until: None,
                            pace,
                            progress_ms: 0.0,
                            buffer: 0,
                            good: 0,
                            scrap: 0,
                            counters_dirty: true,
                            waiting_since: None,
                            last_counter_ms: i64::MIN / 2,
                            last_state_ms: i64::MIN / 2,
                        })
                    })
                    .collect();
                let orders: VecDeque<WorkOrder> = dataset.line_orders(&path).cloned().collect();
                LineSim {
                    path,
                    machines,
                    orders,
                    order: None,
                    cycle_ms: 500.0,
                    made_for_order: 0,
                    changeover_until: None,
                    announced_order: false,
                }
            })
            .collect();
        Self {
            lines,
            options,
            rng,
            last_step: None,
            products: dataset.products.clone(),
            calendar: dataset.calendar.clone(),
            shift: None,
        }
    }

    /// The planned stop the calendar puts at `now`: the handover at a shift's start, or one
    /// of its breaks (so the feed and the calendar agree on what is not planned time).
    fn planned_stop_at(&mut self, now: TimestampMs) -> Option<&'static str> {
        if !self.shift.as_ref().is_some_and(|(s, _)| s.contains(now)) {
            self.shift = self.calendar.shift_at(now).ok().flatten().map(|shift| {
                let breaks = self.calendar.breaks_of(&shift).unwrap_or_default();
                (shift, breaks)
            });
        }
        let (shift, breaks) = self.shift.as_ref()?;
        if now - shift.start_ms < HANDOVER_MS {
            Some("SHIFT-HANDOVER")
        } else if breaks.iter().any(|(s, e)| (*s..*e).contains(&now)) {
            Some("BREAK")
        } else {
            None
        }
    }

    /// Switches to `options` (a backfill runs with sparse counters and heartbeats) and makes
    /// the next step announce every state, counter and order, as a feed does on connect.
    pub fn go_live(&mut self, options: SimOptions) {
        self.options = options;
        for line in &mut self.lines {
            line.announced_order = false;
            for m in &mut line.machines {
                m.counters_dirty = true;
                m.last_counter_ms = i64::MIN / 2;
                m.last_state_ms = i64::MIN / 2;
            }
        }
    }

    pub fn work_center_count(&self) -> usize {
        self.lines.iter().map(|l| l.machines.len()).sum()
    }

    /// Advances the model to `now` and returns the messages the lines would publish.
    pub fn step(&mut self, now: TimestampMs) -> Vec<FeedEvent> {
        let dt = match self.last_step {
            None => 0,
            Some(last) => (now - last).clamp(0, 60_000),
        };
        self.last_step = Some(now);
        let mut out = Vec::new();
        let planned = self.planned_stop_at(now);
        for line_idx in 0..self.lines.len() {
            self.step_line(line_idx, now, dt as f64, planned, &mut out);
        }
        out
    }

    fn step_line(
        &mut self,
        idx: usize,
        now: TimestampMs,
        dt: f64,
        planned: Option<&'static str>,
        out: &mut Vec<FeedEvent>,
    ) {
        let options = self.options.clone();
        let rng = &mut self.rng;
        let products = &self.products;
        let line = &mut self.lines[idx];

        // Orders: start the next one when none runs; changeover between products.
        if line.order.is_none() && line.changeover_until.is_none() {
            if line.orders.is_empty() {
                // The demo runs forever: recycle the day's orders under new numbers.
                line.announced_order = false;
            }
            if let Some(next) = line.orders.pop_front() {
                line.cycle_ms = products
                    .iter()
                    .find(|p| p.code == next.product)
                    .map_or(500.0, |p| f64::from(p.ideal_cycle_ms));
                line.orders.push_back(WorkOrder {
                    number: format!("{}-R", next.number),
                    ..next.clone()
                });
                line.order = Some(next);
                line.made_for_order = 0;
                line.announced_order = false;
            }
        }
        if !line.announced_order {
            line.announced_order = true;
            out.push(FeedEvent {
                path: line.path.clone(),
                timestamp_ms: now,
                payload: FeedPayload::Order {
                    order: line.order.as_ref().map(|o| o.number.clone()),
                    product: line.order.as_ref().map(|o| o.product.clone()),
                },
            });
        }
        let in_changeover = match line.changeover_until {
            Some(until) if now < until => true,
            Some(_) => {
                line.changeover_until = None;
                false
            }
            None => false,
        };

        let n = line.machines.len();
        for i in 0..n {
            let upstream_has_part = i == 0 || line.machines[i - 1].buffer > 0;
            let downstream_has_room = i + 1 == n || line.machines[i].buffer < BUFFER_CAPACITY;
            let m = &mut line.machines[i];
            let cycle = line.cycle_ms * m.pace;
            // Like a PLC, report starved/blocked only once the wait outlasts a few cycles;
            // a fast machine waiting a moment for each part is still running.
            let can_work = upstream_has_part && downstream_has_room;
            if can_work {
                m.waiting_since = None;
            } else if m.waiting_since.is_none() {
                m.waiting_since = Some(now);
            }
            let waited_long = m
                .waiting_since
                .is_some_and(|since| now - since >= STARVE_DEBOUNCE_MS.max(3 * cycle as i64));

            // Decide the state this step.
            let next = if let Some(reason) = planned {
                m.stop_until = None;
                WorkCenterState::new(StateKind::PlannedStop, Some(reason.into()))
            } else if in_changeover {
                WorkCenterState::new(StateKind::Changeover, None)
            } else if line.order.is_none() {
                WorkCenterState::new(StateKind::Idle, None)
            } else if m.stop_until.is_some_and(|until| now < until) {
                m.state.clone()
            } else {
                m.stop_until = None;
                let running = m.state.kind == StateKind::Running;
                if running && dt > 0.0 && rng.random_bool((dt / options.breakdown_mtbf_ms).min(1.0))
                {
                    let reason = BREAKDOWN_REASONS[rng.random_range(0..BREAKDOWN_REASONS.len())];
                    m.stop_until = Some(now + rng.random_range(90_000..600_000));
                    WorkCenterState::new(StateKind::Down, Some(reason.into()))
                } else if running
                    && dt > 0.0
                    && rng.random_bool((dt / options.micro_stop_mtbf_ms).min(1.0))
                {
                    m.stop_until = Some(now + rng.random_range(5_000..45_000));
                    WorkCenterState::new(StateKind::Down, Some("MICRO-STOP".into()))
                } else if waited_long && !upstream_has_part {
                    WorkCenterState::new(StateKind::Starved, None)
                } else if waited_long && !downstream_has_room {
                    WorkCenterState::new(StateKind::Blocked, None)
                } else {
                    WorkCenterState::new(StateKind::Running, None)
                }
            };
            if next != m.state || now - m.last_state_ms >= options.heartbeat_ms {
                m.state = next;
                m.last_state_ms = now;
                out.push(FeedEvent {
                    path: m.path.clone(),
                    timestamp_ms: now,
                    payload: FeedPayload::State {
                        state: m.state.clone(),
                    },
                });
            }

            // Make parts while running.
            if m.state.kind == StateKind::Running {
                m.progress_ms += dt * rng.random_range(0.97..1.03);
                while line.machines[i].progress_ms >= cycle {
                    let has_input = i == 0 || line.machines[i - 1].buffer > 0;
                    let has_room = i + 1 == n || line.machines[i].buffer < BUFFER_CAPACITY;
                    if !has_input || !has_room {
                        line.machines[i].progress_ms = 0.0;
                        break;
                    }
                    if i > 0 {
                        line.machines[i - 1].buffer -= 1;
                    }
                    let m = &mut line.machines[i];
                    m.progress_ms -= cycle;
                    m.counters_dirty = true;
                    if rng.random_bool(options.scrap_rate) {
                        m.scrap += 1;
                    } else {
                        m.good += 1;
                        if i + 1 == n {
                            line.made_for_order += 1;
                        } else {
                            m.buffer += 1;
                        }
                    }
                }
            }
        }

        // Counters, throttled.
        for m in &mut line.machines {
            let due = now - m.last_counter_ms >= options.counter_interval_ms;
            if due && (m.counters_dirty || options.counters_always) {
                m.counters_dirty = false;
                m.last_counter_ms = now;
                for (kind, value) in [(CounterKind::Good, m.good), (CounterKind::Scrap, m.scrap)] {
                    out.push(FeedEvent {
                        path: m.path.clone(),
                        timestamp_ms: now,
                        payload: FeedPayload::Counter { kind, value },
                    });
                }
            }
        }

        // Order complete: change over to the next one.
        if let Some(order) = &line.order
            && line.made_for_order >= u64::from(order.quantity)
        {
            let next_product = line.orders.front().map(|o| o.product.clone());
            let same_product = next_product.as_deref() == Some(order.product.as_str());
            line.order = None;
            line.announced_order = false;
            line.changeover_until = Some(
                now + if same_product {
                    60_000
                } else {
                    rng.random_range(180_000..480_000)
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// 2026-11-25 07:00 Europe/Berlin (06:00Z): an hour into the early shift.
    const START: TimestampMs = 1_795_586_400_000;

    fn run(hours: i64, step_ms: i64) -> Vec<FeedEvent> {
        let dataset = DemoDataset::new(6, START, 24);
        let mut sim = Simulator::new(&dataset, SimOptions::default());
        let mut events = Vec::new();
        let mut t = START;
        while t < START + hours * 3_600_000 {
            events.extend(sim.step(t));
            t += step_ms;
        }
        events
    }

    #[test]
    fn going_live_announces_everything_and_carries_on() {
        let dataset = DemoDataset::new(6, START, 24);
        let sparse = SimOptions {
            counter_interval_ms: 300_000,
            heartbeat_ms: 3_600_000,
            ..SimOptions::default()
        };
        let mut sim = Simulator::new(&dataset, sparse);
        let mut counters: HashMap<(String, CounterKind), u64> = HashMap::new();
        let mut orders: HashMap<String, Option<String>> = HashMap::new();
        let end = START + 3 * 3_600_000;
        let mut t = START;
        while t < end {
            for e in sim.step(t) {
                match e.payload {
                    FeedPayload::Counter { kind, value } => {
                        counters.insert((e.path.to_string(), kind), value);
                    }
                    FeedPayload::Order { order, .. } => {
                        orders.insert(e.path.to_string(), order);
                    }
                    _ => {}
                }
            }
            t += 1_000;
        }
        sim.go_live(SimOptions::default());
        let announced = sim.step(end);
        let states = announced
            .iter()
            .filter(|e| matches!(e.payload, FeedPayload::State { .. }))
            .count();
        assert_eq!(states, sim.work_center_count(), "every state announced");
        for e in &announced {
            match &e.payload {
                FeedPayload::Counter { kind, value } => {
                    let before = counters.get(&(e.path.to_string(), *kind)).copied();
                    // Counters go on from where the history left them (no PLC reset).
                    assert!(before.is_none_or(|b| *value >= b), "{} {kind:?}", e.path);
                    assert!(*value > 0 || *kind == CounterKind::Scrap, "{}", e.path);
                }
                FeedPayload::Order { order, .. } => {
                    assert_eq!(Some(order), orders.get(&e.path.to_string()), "{}", e.path);
                }
                _ => {}
            }
        }
        let announced_orders = announced
            .iter()
            .filter(|e| matches!(e.payload, FeedPayload::Order { .. }))
            .count();
        assert_eq!(announced_orders, 6, "every line's order again");
        let announced_counters = announced
            .iter()
            .filter(|e| matches!(e.payload, FeedPayload::Counter { .. }))
            .count();
        assert!(announced_counters >= sim.work_center_count());
    }

    #[test]
    fn machines_stop_for_exactly_the_calendar_breaks() {
        let dataset = DemoDataset::new(6, START, 24);
        let shift = dataset.calendar.shift_at(START).unwrap().unwrap();
        let breaks = dataset.calendar.breaks_of(&shift).unwrap();
        // The early shift's break: 10:00–10:20 Berlin = 09:00Z–09:20Z.
        assert_eq!(
            breaks,
            vec![(START + 3 * 3_600_000, START + 3 * 3_600_000 + 1_200_000)]
        );
        let (from, to) = breaks[0];
        let mut in_break: HashMap<String, TimestampMs> = HashMap::new();
        let mut took_a_break: HashSet<String> = HashSet::new();
        for e in run(4, 1_000) {
            let FeedPayload::State { state } = &e.payload else {
                continue;
            };
            let wc = e.path.to_string();
            if state.reason.as_deref() == Some("BREAK") {
                assert!(
                    (from..to).contains(&e.timestamp_ms),
                    "{wc} broke at {}",
                    e.timestamp_ms
                );
                took_a_break.insert(wc.clone());
                in_break.insert(wc, e.timestamp_ms);
            } else if in_break.contains_key(&wc) {
                assert!(e.timestamp_ms >= to, "{wc} left its break early");
                in_break.remove(&wc);
            }
        }
        assert!(in_break.is_empty(), "every machine came back: {in_break:?}");
        let machines = Simulator::new(&dataset, SimOptions::default()).work_center_count();
        assert_eq!(took_a_break.len(), machines, "every machine took the break");
    }

    #[test]
    fn eight_hours_of_demo_plant_look_like_a_plant() {
        let events = run(8, 1_000);
        let mut states: HashSet<StateKind> = HashSet::new();
        let mut reasons: HashSet<String> = HashSet::new();
        let mut last_counter: HashMap<(String, CounterKind), u64> = HashMap::new();
        let mut orders: HashMap<String, HashSet<String>> = HashMap::new();
        for e in &events {
            match &e.payload {
                FeedPayload::State { state } => {
                    states.insert(state.kind);
                    if let Some(r) = &state.reason {
                        reasons.insert(r.clone());
                    }
                }
                FeedPayload::Counter { kind, value } => {
                    let prev = last_counter
                        .insert((e.path.to_string(), *kind), *value)
                        .unwrap_or(0);
                    assert!(
                        *value >= prev,
                        "counters are cumulative: {} went {prev} → {value}",
                        e.path
                    );
                }
                FeedPayload::Order { order: Some(o), .. } => {
                    orders
                        .entry(e.path.to_string())
                        .or_default()
                        .insert(o.clone());
                }
                FeedPayload::Order { .. } | FeedPayload::Measurement { .. } => {}
            }
        }
        for kind in [
            StateKind::Running,
            StateKind::Down,
            StateKind::Changeover,
            StateKind::PlannedStop,
            StateKind::Starved,
            StateKind::Blocked,
        ] {
            assert!(
                states.contains(&kind),
                "{kind:?} never happened in 8 h; saw {states:?}"
            );
        }
        assert!(
            reasons.contains("MICRO-STOP") && reasons.contains("BREAK"),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| BREAKDOWN_REASONS.contains(&r.as_str())),
            "no breakdown in 8 h: {reasons:?}"
        );
        assert_eq!(orders.len(), 6, "every line ran orders");
        assert!(
            orders.values().all(|o| o.len() >= 4),
            "orders complete and the next starts: {orders:?}"
        );
        let scrap: u64 = last_counter
            .iter()
            .filter(|((_, k), _)| *k == CounterKind::Scrap)
            .map(|(_, v)| v)
            .sum();
        let good: u64 = last_counter
            .iter()
            .filter(|((_, k), _)| *k == CounterKind::Good)
            .map(|(_, v)| v)
            .sum();
        let rate = scrap as f64 / (good + scrap) as f64;
        assert!((0.002..0.02).contains(&rate), "scrap rate {rate}");
    }

    #[test]
    fn same_seed_same_plant() {
        assert_eq!(run(1, 500), run(1, 500));
    }

    #[test]
    fn every_work_center_speaks_within_the_heartbeat() {
        let events = run(1, 1_000);
        let mut last: HashMap<String, TimestampMs> = HashMap::new();
        for e in events
            .iter()
            .filter(|e| matches!(e.payload, FeedPayload::State { .. }))
        {
            if let Some(prev) = last.insert(e.path.to_string(), e.timestamp_ms) {
                assert!(
                    e.timestamp_ms - prev <= 10_000,
                    "{} silent for {} ms",
                    e.path,
                    e.timestamp_ms - prev
                );
            }
        }
        assert_eq!(last.len(), 25);
    }
}
