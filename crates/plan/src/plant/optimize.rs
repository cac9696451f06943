//! Plant schedule optimizer: an anytime late-acceptance hill climb (LAHC) over work-center sequences and
//! assignments, minimising `tardiness_weight × Σ weighted tardiness (h) + makespan_weight × makespan (h)`.
//!
//! Why this design: tardiness only improves when an operation on the *critical chain* of a late order starts
//! earlier, and that chain runs through routing edges and through blocks of operations that wait for their
//! work center. So most moves are taken from such a chain — pull the operation entering a machine block
//! earlier, push a block operation of an early order behind it, reroute a chain operation to an alternative
//! work center at the slot matching its time, or re-insert it next to a cheap-changeover neighbour — plus a
//! few random shifts for diversity. A move is applied with the engine's own `move_to` and evaluated by
//! incremental propagation (`propagate_tracked`): only operations whose timing changes are visited, and the
//! objective is refreshed from their orders. A move that closes a cycle or violates a pin is rejected and the
//! plan restored from a clone taken before it (cheap: clones share storage). LAHC accepts a candidate that is
//! no worse than the current solution or than the one `L` iterations ago; it needs no temperature scale, which
//! matters because objective deltas range from minutes to thousands of weighted hours between plants.
//!
//! Pinned and running operations are never moved; calendars, eligibility and changeovers hold because every
//! timing comes from the engine's propagation. Each result is re-propagated from scratch and checked by the
//! independent [`check_feasible`] before it is returned.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::plant::input::{HOUR_MS, Millis, Time};
use crate::plant::plan::Plan;
use crate::plant::problem::Idx;
use crate::rng::Rng;

/// What the optimizer minimises: `tardiness_weight × weighted tardiness (h) + makespan_weight × makespan (h)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Objective {
    pub tardiness_weight: f64,
    pub makespan_weight: f64,
}

impl Default for Objective {
    /// Tardiness first: one weighted hour late outweighs a hundred hours of makespan.
    fn default() -> Self {
        Self {
            tardiness_weight: 1.0,
            makespan_weight: 0.01,
        }
    }
}

impl Objective {
    pub fn value(&self, weighted_tardiness_h: f64, makespan_h: f64) -> f64 {
        self.tardiness_weight * weighted_tardiness_h + self.makespan_weight * makespan_h
    }
}

/// Budget and behaviour of [`optimize`]. The search stops at the first of time limit, iteration budget (per
/// worker) and cancel flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OptimizeConfig {
    pub time_limit: Option<Duration>,
    /// Iterations per worker; with one thread and no time limit reached the result depends only on the seed.
    pub max_iterations: Option<u64>,
    pub seed: u64,
    pub objective: Objective,
    /// Independent search threads (at least 1); the best result wins.
    pub threads: usize,
}

impl Default for OptimizeConfig {
    fn default() -> Self {
        Self {
            time_limit: Some(Duration::from_secs(10)),
            max_iterations: None,
            seed: 1,
            objective: Objective::default(),
            threads: 1,
        }
    }
}

/// The value of one solution, streamed for every new overall best.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Progress {
    pub objective: f64,
    pub weighted_tardiness_h: f64,
    pub makespan_h: f64,
    pub late_orders: u32,
    /// Iteration of the worker that found it (0 for the starting plan).
    pub iteration: u64,
    pub elapsed: Duration,
}

/// Why the search returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    TimeLimit,
    Iterations,
    Cancelled,
    /// Nothing can be moved (every operation pinned or running, or no operations at all).
    NothingToMove,
    /// The best plan failed the final check (a bug): the starting plan is returned unchanged.
    CheckFailed {
        reason: String,
    },
}

/// The best plan found (checked by [`check_feasible`]) and search statistics.
#[derive(Debug, Clone)]
pub struct OptimizeResult {
    pub plan: Plan,
    pub initial: Progress,
    pub best: Progress,
    /// Iterations summed over workers.
    pub iterations: u64,
    pub elapsed: Duration,
    pub stop: StopReason,
}

/// Improves `plan` until the budget is spent or `cancel` is set; returns the best plan, never worse than the
/// start. `on_improve` is called (under a lock, in strictly decreasing objective order) for every new best.
pub fn optimize(
    plan: &Plan,
    config: &OptimizeConfig,
    cancel: &AtomicBool,
    on_improve: &(dyn Fn(&Progress) + Sync),
) -> OptimizeResult {
    let start = Instant::now();
    let objective = config.objective;
    let initial = evaluate_full(plan, &objective, 0, Duration::ZERO);
    let any_movable = (0..plan.problem.operations.len() as Idx).any(|op| movable(plan, op));
    if !any_movable {
        return OptimizeResult {
            plan: plan.clone(),
            initial,
            best: initial,
            iterations: 0,
            elapsed: start.elapsed(),
            stop: StopReason::NothingToMove,
        };
    }
    let shared = Shared {
        best: Mutex::new(initial.objective),
        best_bits: AtomicU64::new(initial.objective.to_bits()),
        cancel,
        start,
        on_improve,
    };
    let threads = config.threads.max(1);
    let results: Vec<WorkerResult> = if threads == 1 {
        vec![Search::new(plan, config, 0).run(&shared)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|w| {
                    let shared = &shared;
                    scope.spawn(move || Search::new(plan, config, w).run(shared))
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    };
    let iterations = results.iter().map(|r| r.iterations).sum();
    let stop = results
        .first()
        .map_or(StopReason::Cancelled, |r| r.stop.clone());
    // Lowest objective wins; ties go to the lower worker id, so the result does not depend on thread timing.
    let (best, best_iteration, best_elapsed) = results
        .into_iter()
        .min_by(|a, b| a.objective.total_cmp(&b.objective))
        .map_or_else(
            || (plan.clone(), 0, Duration::ZERO),
            |r| (r.plan, r.best_iteration, r.best_elapsed),
        );
    let elapsed = start.elapsed();
    match verify(plan, best) {
        Ok(best_plan) => {
            let best = evaluate_full(&best_plan, &objective, best_iteration, best_elapsed);
            if best.objective > initial.objective {
                // Cannot happen (only improvements are kept); never hand back a worse plan regardless.
                debug_assert!(false, "optimizer made the plan worse");
                return OptimizeResult {
                    plan: plan.clone(),
                    initial,
                    best: initial,
                    iterations,
                    elapsed,
                    stop,
                };
            }
            OptimizeResult {
                plan: best_plan,
                initial,
                best,
                iterations,
                elapsed,
                stop,
            }
        }
        Err(reason) => {
            debug_assert!(false, "optimizer result rejected: {reason}");
            OptimizeResult {
                plan: plan.clone(),
                initial,
                best: initial,
                iterations,
                elapsed,
                stop: StopReason::CheckFailed { reason },
            }
        }
    }
}

/// Full re-propagation must reproduce the incremental timings exactly, and the result must pass the
/// independent checker with pins and running operations where they were.
fn verify(start: &Plan, best: Plan) -> Result<Plan, String> {
    let mut fresh = best.clone();
    fresh.propagate_all();
    let n = best.problem.operations.len() as Idx;
    if let Some(op) = (0..n).find(|&op| fresh.timing(op) != best.timing(op)) {
        return Err(format!(
            "incremental timing of {} differs from full propagation: {:?} vs {:?}",
            best.problem.operations[op as usize].id,
            best.timing(op),
            fresh.timing(op)
        ));
    }
    check_feasible(&fresh)?;
    for op in 0..n {
        let def = &start.problem.operations[op as usize];
        let fixed = start.pinned_start(op).is_some() || def.in_progress.is_some();
        if start.pinned_start(op) != fresh.pinned_start(op)
            || (fixed && start.work_center_of(op) != fresh.work_center_of(op))
        {
            return Err(format!("pinned or running operation {} was moved", def.id));
        }
    }
    Ok(fresh)
}

/// Objective figures of `plan`, computed from scratch.
fn evaluate_full(
    plan: &Plan,
    objective: &Objective,
    iteration: u64,
    elapsed: Duration,
) -> Progress {
    let p = &plan.problem;
    let completion: Vec<Time> = (0..p.orders.len() as Idx)
        .map(|o| plan.order_completion(o))
        .collect();
    let e = Eval::of(plan, &completion, objective);
    Progress {
        objective: e.f,
        weighted_tardiness_h: e.wt_h,
        makespan_h: e.makespan_h,
        late_orders: e.late,
        iteration,
        elapsed,
    }
}

fn movable(plan: &Plan, op: Idx) -> bool {
    plan.problem.operations[op as usize].in_progress.is_none() && plan.pinned_start(op).is_none()
}

/// Checks `plan` against the data alone (without the propagation code): every operation sequenced exactly
/// once on an eligible work center (running ones first on theirs), routing precedence, releases and "not
/// before" dates, no overlap on a work center, changeovers as the matrix says, enough working time between
/// start and end (a non-pausable operation within one working interval), pins kept.
pub fn check_feasible(plan: &Plan) -> Result<(), String> {
    let p = &plan.problem;
    let n = p.operations.len();
    let name = |op: Idx| &p.operations[op as usize].id;
    let mut seen = vec![false; n];
    for w in 0..p.work_centers.len() as Idx {
        let wc_id = &p.work_centers[w as usize].id;
        let seq = plan.sequence(w);
        for (k, &op) in seq.iter().enumerate() {
            if std::mem::replace(&mut seen[op as usize], true) {
                return Err(format!("{} is sequenced twice", name(op)));
            }
            if plan.work_center_of(op) != w {
                return Err(format!(
                    "{} is in the sequence of {wc_id} but assigned elsewhere",
                    name(op)
                ));
            }
            let def = &p.operations[op as usize];
            match def.in_progress {
                Some(running) if running.work_center != w || k != 0 => {
                    return Err(format!(
                        "running {} is not first on its work center",
                        name(op)
                    ));
                }
                Some(_) => {}
                None => {
                    if !def.alternatives.iter().any(|a| a.work_center == w) {
                        return Err(format!("{} is not eligible on {wc_id}", name(op)));
                    }
                }
            }
            let t = plan.timing(op);
            if t.end < t.start {
                return Err(format!("{} ends before it starts", name(op)));
            }
            let intervals = plan.availability(w).intervals();
            if let Some(running) = def.in_progress {
                if working_time(intervals, p.now, t.end) < running.remaining {
                    return Err(format!("running {} ends too early", name(op)));
                }
                continue;
            }
            let mut earliest = p.now.max(plan.order_release(def.order));
            if let Some(nb) = plan.not_before(op) {
                earliest = earliest.max(nb);
            }
            if t.start < earliest {
                return Err(format!(
                    "{} starts at {} before its release {earliest}",
                    name(op),
                    t.start
                ));
            }
            for &pred in &def.predecessors {
                if t.start < plan.timing(pred).end {
                    return Err(format!(
                        "{} starts before its predecessor {} ends",
                        name(op),
                        name(pred)
                    ));
                }
            }
            let previous_product = if k > 0 {
                let prev = seq[k - 1];
                if t.start < plan.timing(prev).end {
                    return Err(format!("{} overlaps {} on {wc_id}", name(op), name(prev)));
                }
                Some(p.operations[prev as usize].product)
            } else {
                p.work_centers[w as usize].initial_product
            };
            let changeover = match previous_product {
                Some(from) if from != def.product => p.changeover(w, Some(from), def.product),
                _ => 0,
            };
            if t.changeover != changeover {
                return Err(format!(
                    "{} has changeover {} ms, the matrix says {changeover} ms",
                    name(op),
                    t.changeover
                ));
            }
            let duration = def
                .alternatives
                .iter()
                .find(|a| a.work_center == w)
                .map_or(0, |a| a.duration);
            let work = changeover + duration;
            if working_time(intervals, t.start, t.end) < work {
                return Err(format!(
                    "{} gets less working time than its {work} ms on {wc_id}",
                    name(op)
                ));
            }
            if !def.may_pause && work > 0 && !within_one_interval(intervals, t.start, t.end) {
                return Err(format!("{} may not pause but spans a break", name(op)));
            }
            if let Some(pin) = plan.pinned_start(op)
                && t.start != pin
            {
                return Err(format!(
                    "{} is pinned at {pin} but starts at {}",
                    name(op),
                    t.start
                ));
            }
        }
    }
    if let Some(op) = seen.iter().position(|s| !s) {
        return Err(format!("{} is not sequenced", name(op as Idx)));
    }
    Ok(())
}

/// Working time in `[from, to)`; time after the last interval counts as working (the engine's convention).
fn working_time(intervals: &[crate::plant::input::Interval], from: Time, to: Time) -> Millis {
    if to <= from {
        return 0;
    }
    let mut total = 0;
    let first = intervals.partition_point(|iv| iv.end <= from);
    for iv in &intervals[first..] {
        if iv.start >= to {
            break;
        }
        total += iv.end.min(to) - iv.start.max(from);
    }
    let tail_from = intervals.last().map_or(from, |iv| iv.end.max(from));
    total + (to - tail_from).max(0)
}

fn within_one_interval(intervals: &[crate::plant::input::Interval], from: Time, to: Time) -> bool {
    let last_end = intervals.last().map_or(Time::MIN, |iv| iv.end);
    let k = intervals.partition_point(|iv| iv.end <= from);
    from >= last_end
        || intervals
            .get(k)
            .is_some_and(|iv| iv.start <= from && to <= iv.end)
}

// ---- search ------------------------------------------------------------------------------------------------

struct Shared<'a> {
    best: Mutex<f64>,
    best_bits: AtomicU64,
    cancel: &'a AtomicBool,
    start: Instant,
    on_improve: &'a (dyn Fn(&Progress) + Sync),
}

impl Shared<'_> {
    fn offer(&self, progress: &Progress) {
        // Objectives are non-negative, so their bit patterns order like the values.
        if progress.objective.to_bits() >= self.best_bits.load(Ordering::Relaxed) {
            return;
        }
        let mut best = self
            .best
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if progress.objective < *best {
            *best = progress.objective;
            self.best_bits
                .store(progress.objective.to_bits(), Ordering::Relaxed);
            (self.on_improve)(&Progress {
                elapsed: self.start.elapsed(),
                ..*progress
            });
        }
    }
}

struct WorkerResult {
    plan: Plan,
    objective: f64,
    best_iteration: u64,
    best_elapsed: Duration,
    iterations: u64,
    stop: StopReason,
}

/// Objective of a solution from cached order completions.
#[derive(Debug, Clone, Copy)]
struct Eval {
    f: f64,
    wt_h: f64,
    makespan_h: f64,
    late: u32,
}

impl Eval {
    fn of(plan: &Plan, completion: &[Time], objective: &Objective) -> Self {
        let p = &plan.problem;
        let mut wt = 0.0;
        let mut late = 0;
        let mut end = p.now;
        for (o, &c) in completion.iter().enumerate() {
            let def = &p.orders[o];
            if c > def.due {
                wt += def.weight * (c - def.due) as f64;
                late += 1;
            }
            end = end.max(c);
        }
        let wt_h = wt / HOUR_MS as f64;
        let makespan_h = (end - p.now) as f64 / HOUR_MS as f64;
        Self {
            f: objective.value(wt_h, makespan_h),
            wt_h,
            makespan_h,
            late,
        }
    }
}

/// Order completions with the objective's sums kept up to date move by move, and a Fenwick tree over the
/// weighted tardiness for drawing late orders — so an iteration costs O(changed orders · log n), not O(orders).
struct Tracker {
    completion: Vec<Time>,
    /// Weight × milliseconds late, per order.
    tardiness: Vec<f64>,
    tree: Vec<f64>,
    weighted_ms: f64,
    late: u32,
    end: Time,
    /// The order that ended the plan finished earlier: `end` needs a rescan.
    end_stale: bool,
}

impl Tracker {
    fn new(plan: &Plan) -> Self {
        let n = plan.problem.orders.len();
        let mut t = Self {
            completion: (0..n as Idx).map(|o| plan.order_completion(o)).collect(),
            tardiness: vec![0.0; n],
            tree: vec![0.0; n + 1],
            weighted_ms: 0.0,
            late: 0,
            end: plan.problem.now,
            end_stale: false,
        };
        t.resync(plan);
        t
    }

    /// Recomputes every sum from the completions (bounds floating-point drift of the incremental updates).
    fn resync(&mut self, plan: &Plan) {
        let p = &plan.problem;
        self.weighted_ms = 0.0;
        self.late = 0;
        self.end = p.now;
        self.tree.iter_mut().for_each(|v| *v = 0.0);
        for (o, &c) in self.completion.iter().enumerate() {
            let def = &p.orders[o];
            let late = (c - def.due).max(0);
            self.tardiness[o] = def.weight * late as f64;
            self.weighted_ms += self.tardiness[o];
            self.late += u32::from(late > 0);
            self.end = self.end.max(c);
        }
        // Linear-time Fenwick build.
        for i in 1..self.tree.len() {
            self.tree[i] += self.tardiness[i - 1];
            let parent = i + (i & i.wrapping_neg());
            if parent < self.tree.len() {
                self.tree[parent] += self.tree[i];
            }
        }
        self.end_stale = false;
    }

    fn set(&mut self, plan: &Plan, o: Idx, completion: Time) {
        let def = &plan.problem.orders[o as usize];
        let o = o as usize;
        let old = std::mem::replace(&mut self.completion[o], completion);
        if completion >= self.end {
            self.end = completion;
        } else if old >= self.end {
            self.end_stale = true;
        }
        let late = (completion - def.due).max(0);
        let tardiness = def.weight * late as f64;
        let delta = tardiness - self.tardiness[o];
        if delta != 0.0 {
            self.tardiness[o] = tardiness;
            self.weighted_ms += delta;
            let mut i = o + 1;
            while i < self.tree.len() {
                self.tree[i] += delta;
                i += i & i.wrapping_neg();
            }
        }
        self.late = self.late + u32::from(late > 0) - u32::from(old > def.due);
    }

    fn eval(&mut self, plan: &Plan, objective: &Objective) -> Eval {
        if self.end_stale {
            self.end = self
                .completion
                .iter()
                .copied()
                .fold(plan.problem.now, Time::max);
            self.end_stale = false;
        }
        let wt_h = self.weighted_ms.max(0.0) / HOUR_MS as f64;
        let makespan_h = (self.end - plan.problem.now) as f64 / HOUR_MS as f64;
        Eval {
            f: objective.value(wt_h, makespan_h),
            wt_h,
            makespan_h,
            late: self.late,
        }
    }

    /// The order whose cumulative tardiness interval holds `r` (in `[0, weighted_ms)`).
    fn sample(&self, mut r: f64) -> usize {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= r {
                pos = next;
                r -= self.tree[next];
            }
            step >>= 1;
        }
        pos.min(n.saturating_sub(1))
    }
}

/// How an operation on a critical chain got its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bind {
    /// Waits for its work center (the previous operation in the sequence).
    Machine,
    /// Waits for a routing predecessor.
    Routing,
    /// Starts at now, its release or not-before date (or is pinned or running).
    Start,
}

/// A candidate move: `op` to `index` of `wc`'s sequence (counted without `op`).
#[derive(Debug, Clone, Copy)]
struct Move {
    op: Idx,
    wc: Idx,
    index: u32,
}

/// Longest critical chain followed (bounds the cost of one proposal on huge plants).
const CHAIN_MAX: usize = 400;
/// Late-acceptance history of the first worker (on generated 5k plants, 5–10 did best over 40k iterations and
/// 10–150 were equal over 200k).
const HISTORY: usize = 10;
/// How far a changeover move looks for a better neighbour.
const CHANGEOVER_WINDOW: usize = 12;

struct Search<'a> {
    config: &'a OptimizeConfig,
    rng: Rng,
    plan: Plan,
    best: Plan,
    best_f: f64,
    best_iteration: u64,
    best_elapsed: Duration,
    current: Eval,
    /// The plan before the move under evaluation.
    backup: Option<Plan>,
    tracker: Tracker,
    history: Vec<f64>,
    chain: Vec<(Idx, Bind)>,
    changed: Vec<Idx>,
    undo: Vec<(Idx, Time)>,
    touched: Vec<bool>,
}

impl<'a> Search<'a> {
    fn new(plan: &Plan, config: &'a OptimizeConfig, worker: usize) -> Self {
        let mut tracker = Tracker::new(plan);
        let current = tracker.eval(plan, &config.objective);
        // Workers differ in seed and in history length (how much worsening they tolerate): a short history
        // converges fastest in a one-second budget, a longer one keeps improving over ten seconds.
        let history_len = HISTORY * 5usize.pow(worker.min(4) as u32);
        Self {
            config,
            rng: Rng::new(config.seed ^ (worker as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            plan: plan.clone(),
            best: plan.clone(),
            best_f: current.f,
            best_iteration: 0,
            best_elapsed: Duration::ZERO,
            current,
            backup: None,
            touched: vec![false; tracker.completion.len()],
            tracker,
            history: vec![current.f; history_len],
            chain: Vec::new(),
            changed: Vec::new(),
            undo: Vec::new(),
        }
    }

    fn run(mut self, shared: &Shared) -> WorkerResult {
        let mut iteration = 0u64;
        let stop = loop {
            if shared.cancel.load(Ordering::Relaxed) {
                break StopReason::Cancelled;
            }
            if self
                .config
                .max_iterations
                .is_some_and(|max| iteration >= max)
            {
                break StopReason::Iterations;
            }
            if self
                .config
                .time_limit
                .is_some_and(|limit| shared.start.elapsed() >= limit)
            {
                break StopReason::TimeLimit;
            }
            iteration += 1;
            if iteration.is_multiple_of(4096) {
                self.tracker.resync(&self.plan);
                self.current = self.tracker.eval(&self.plan, &self.config.objective);
            }
            let Some(mv) = self.propose() else { continue };
            let Some(candidate) = self.try_move(mv) else {
                continue;
            };
            let slot = (iteration as usize) % self.history.len();
            let accept = candidate.f <= self.current.f + 1e-9 || candidate.f <= self.history[slot];
            if accept {
                self.backup = None;
                self.current = candidate;
                if candidate.f < self.best_f - 1e-9 {
                    self.best_f = candidate.f;
                    self.best = self.plan.clone();
                    self.best_iteration = iteration;
                    self.best_elapsed = shared.start.elapsed();
                    shared.offer(&Progress {
                        objective: candidate.f,
                        weighted_tardiness_h: candidate.wt_h,
                        makespan_h: candidate.makespan_h,
                        late_orders: candidate.late,
                        iteration,
                        elapsed: Duration::ZERO,
                    });
                }
            } else {
                self.rollback();
            }
            self.history[slot] = self.current.f;
        };
        WorkerResult {
            plan: self.best,
            objective: self.best_f,
            best_iteration: self.best_iteration,
            best_elapsed: self.best_elapsed,
            iterations: iteration,
            stop,
        }
    }

    /// Applies `mv` on the current plan and evaluates it; `None` (plan unchanged) when it is impossible. On
    /// `Some`, the previous plan is kept in `self.backup` until the caller accepts or rolls back.
    fn try_move(&mut self, mv: Move) -> Option<Eval> {
        let backup = self.plan.clone();
        let dirty = match self.plan.move_to(mv.op, mv.wc, mv.index) {
            Ok(d) => d,
            Err(_) => {
                self.plan = backup;
                return None;
            }
        };
        self.changed.clear();
        let violated = self.plan.propagate_tracked(dirty, &mut self.changed);
        if !violated.is_empty() {
            self.plan = backup;
            return None;
        }
        self.undo.clear();
        for &op in &self.changed {
            let o = self.plan.problem.operations[op as usize].order;
            if !std::mem::replace(&mut self.touched[o as usize], true) {
                self.undo.push((o, self.tracker.completion[o as usize]));
            }
        }
        for &(o, _) in &self.undo {
            self.touched[o as usize] = false;
            self.tracker
                .set(&self.plan, o, self.plan.order_completion(o));
        }
        self.backup = Some(backup);
        Some(self.tracker.eval(&self.plan, &self.config.objective))
    }

    fn rollback(&mut self) {
        if let Some(plan) = self.backup.take() {
            self.plan = plan;
        }
        for &(o, c) in &self.undo {
            self.tracker.set(&self.plan, o, c);
        }
    }

    fn propose(&mut self) -> Option<Move> {
        if self.rng.unit() < 0.05 {
            return self.random_shift();
        }
        let order = self.pick_order()?;
        self.build_chain(order);
        let r = self.rng.unit();
        if r < 0.55 {
            self.pull_entry_earlier()
        } else if r < 0.68 {
            self.make_room()
        } else if r < 0.85 {
            self.reroute()
        } else {
            self.group_changeover()
        }
    }

    /// A late order, drawn half the time by weighted tardiness and half uniformly (so one hopeless order does
    /// not absorb the search); now and then, or when nothing is late, the order that ends the plan.
    fn pick_order(&mut self) -> Option<Idx> {
        let t = &self.tracker;
        let n = t.completion.len();
        if n == 0 {
            return None;
        }
        let tardy = self.config.objective.tardiness_weight > 0.0 && t.weighted_ms > 0.0;
        if !tardy || self.rng.unit() < 0.1 {
            let last = (0..n).max_by_key(|&o| t.completion[o]);
            return last.map(|o| o as Idx);
        }
        if self.rng.unit() < 0.5 {
            // Uniform among late orders, by rejection (late orders are rarely a tiny minority for long).
            for _ in 0..32 {
                let o = self.rng.below(n);
                if t.tardiness[o] > 0.0 {
                    return Some(o as Idx);
                }
            }
        }
        let r = self.rng.unit() * t.weighted_ms;
        Some(t.sample(r) as Idx)
    }

    /// Walks back from the order's last operation along whatever determined each start.
    fn build_chain(&mut self, order: Idx) {
        self.chain.clear();
        let plan = &self.plan;
        let p = &plan.problem;
        let Some(mut x) = p.orders[order as usize]
            .operations
            .iter()
            .copied()
            .max_by_key(|&op| plan.timing(op).end)
        else {
            return;
        };
        while self.chain.len() < CHAIN_MAX {
            if !movable(plan, x) {
                self.chain.push((x, Bind::Start));
                return;
            }
            let (ready, pred) = routing_ready(plan, x);
            // On a tie the routing wins: pulling the operation ahead on its work center would not help.
            let next = match plan.machine_predecessor(x) {
                Some(m) if plan.timing(m).end > ready => Some((Bind::Machine, m)),
                _ => pred.map(|r| (Bind::Routing, r)),
            };
            match next {
                Some((bind, y)) => {
                    self.chain.push((x, bind));
                    x = y;
                }
                None => {
                    self.chain.push((x, Bind::Start));
                    return;
                }
            }
        }
    }

    /// Chain indices where the chain enters a block of operations waiting for their work center, with the
    /// block's length (operations before the entry in that block).
    fn random_entry(&mut self) -> Option<(usize, usize)> {
        let entries: Vec<usize> = (0..self.chain.len())
            .filter(|&i| {
                self.chain[i].1 == Bind::Machine && (i == 0 || self.chain[i - 1].1 != Bind::Machine)
            })
            .collect();
        if entries.is_empty() {
            return None;
        }
        let i = entries[self.rng.below(entries.len())];
        let mut j = i;
        while j < self.chain.len() && self.chain[j].1 == Bind::Machine {
            j += 1;
        }
        Some((i, j - i))
    }

    /// The operation entering a machine block goes 1..block positions earlier.
    fn pull_entry_earlier(&mut self) -> Option<Move> {
        let (i, block) = self.random_entry()?;
        let x = self.chain[i].0;
        let wc = self.plan.work_center_of(x);
        let pos = position(&self.plan, x);
        let k = 1 + self.rng.below(block.min(30));
        let index = pos.saturating_sub(k).max(lowest_index(&self.plan, wc, x));
        (index < pos).then_some(Move {
            op: x,
            wc,
            index: index as u32,
        })
    }

    /// An operation of the block in front of the entry — preferably one of an order with slack — goes behind
    /// the entry.
    fn make_room(&mut self) -> Option<Move> {
        let (i, block) = self.random_entry()?;
        let x = self.chain[i].0;
        let mut y = None;
        for attempt in 0..4 {
            let cand = self.chain[i + 1 + self.rng.below(block)].0;
            if !movable(&self.plan, cand) {
                continue;
            }
            let order = self.plan.problem.operations[cand as usize].order as usize;
            let early = self.tracker.tardiness[order] <= 0.0;
            if early || attempt == 3 || y.is_none() {
                y = Some(cand);
            }
            if early {
                break;
            }
        }
        let y = y?;
        let wc = self.plan.work_center_of(x);
        let len = self.plan.sequence(wc).len() - 1;
        let index = (position(&self.plan, x) + self.rng.below(3)).min(len);
        Some(Move {
            op: y,
            wc,
            index: index as u32,
        })
    }

    /// A chain operation with alternatives goes to another eligible work center, where its time is.
    fn reroute(&mut self) -> Option<Move> {
        let p = &self.plan.problem;
        let candidates: Vec<Idx> = self
            .chain
            .iter()
            .map(|&(op, _)| op)
            .filter(|&op| {
                p.operations[op as usize].alternatives.len() > 1 && movable(&self.plan, op)
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let x = candidates[self.rng.below(candidates.len())];
        let plan = &self.plan;
        let current = plan.work_center_of(x);
        let def = &p.operations[x as usize];
        let (ready, _) = routing_ready(plan, x);
        // Where `x` would go on `wc` (after the operations starting before it is ready; starts are
        // non-decreasing along a sequence) and a quick estimate of when it would end there.
        let slot = |wc: Idx, duration: Millis| {
            let seq = plan.sequence(wc);
            let at = seq
                .partition_point(|&o| plan.timing(o).start < ready)
                .max(lowest_index(plan, wc, x));
            let (after, previous) = match at.checked_sub(1).map(|k| seq[k]) {
                Some(prev) => (
                    plan.timing(prev).end,
                    Some(p.operations[prev as usize].product),
                ),
                None => (p.now, p.work_centers[wc as usize].initial_product),
            };
            let work = p.changeover(wc, previous, def.product) + duration;
            let end = plan
                .availability(wc)
                .place(ready.max(after), work, def.may_pause)
                .end;
            (at, end)
        };
        // Mostly the alternative that would finish it first (e.g. a faster one where a long uninterruptible
        // run fits a shift), sometimes any, for diversity.
        let others = def.alternatives.iter().filter(|a| a.work_center != current);
        let (wc, at) = if self.rng.unit() < 0.75 {
            others
                .map(|a| (a.work_center, slot(a.work_center, a.duration)))
                .min_by_key(|&(_, (_, end))| end)
                .map(|(wc, (at, _))| (wc, at))?
        } else {
            let others: Vec<_> = others.collect();
            let a = others[self.rng.below(others.len())];
            (a.work_center, slot(a.work_center, a.duration).0)
        };
        let len = plan.sequence(wc).len();
        let index = (at + self.rng.below(3))
            .saturating_sub(1)
            .clamp(lowest_index(plan, wc, x), len);
        Some(Move {
            op: x,
            wc,
            index: index as u32,
        })
    }

    /// A chain operation is re-inserted nearby where its changeovers cost least (same product or family).
    fn group_changeover(&mut self) -> Option<Move> {
        let movable_ops: Vec<Idx> = self
            .chain
            .iter()
            .map(|&(op, _)| op)
            .filter(|&op| movable(&self.plan, op) && self.plan.timing(op).changeover > 0)
            .collect();
        if movable_ops.is_empty() {
            return None;
        }
        let x = movable_ops[self.rng.below(movable_ops.len())];
        let plan = &self.plan;
        let p = &plan.problem;
        let wc = plan.work_center_of(x);
        let seq = plan.sequence(wc);
        let pos = position(plan, x);
        let product = |op: Idx| p.operations[op as usize].product;
        // The sequence without `x`, by index.
        let without = |k: usize| if k < pos { seq[k] } else { seq[k + 1] };
        let len = seq.len() - 1;
        let initial = p.work_centers[wc as usize].initial_product;
        let me = product(x);
        let cost = |q: usize| {
            let prev = if q > 0 {
                Some(product(without(q - 1)))
            } else {
                initial
            };
            let next = (q < len).then(|| product(without(q)));
            let into = p.changeover(wc, prev, me);
            let out = next.map_or(0, |n| p.changeover(wc, Some(me), n));
            let bridged = next.map_or(0, |n| p.changeover(wc, prev, n));
            into + out - bridged
        };
        let lo = pos
            .saturating_sub(CHANGEOVER_WINDOW)
            .max(lowest_index(plan, wc, x));
        let hi = (pos + CHANGEOVER_WINDOW).min(len);
        let here = cost(pos);
        let (best_q, best_cost) = (lo..=hi)
            .map(|q| (q, cost(q)))
            .min_by_key(|&(q, c)| (c, q.abs_diff(pos)))?;
        (best_cost < here).then_some(Move {
            op: x,
            wc,
            index: best_q as u32,
        })
    }

    /// Any movable operation goes 1..4 positions earlier or later.
    fn random_shift(&mut self) -> Option<Move> {
        let n = self.plan.problem.operations.len();
        for _ in 0..8 {
            let x = self.rng.below(n) as Idx;
            if !movable(&self.plan, x) {
                continue;
            }
            let wc = self.plan.work_center_of(x);
            let pos = position(&self.plan, x);
            let len = self.plan.sequence(wc).len() - 1;
            let d = 1 + self.rng.below(4);
            let index = if self.rng.unit() < 0.5 {
                pos.saturating_sub(d).max(lowest_index(&self.plan, wc, x))
            } else {
                (pos + d).min(len)
            };
            if index != pos {
                return Some(Move {
                    op: x,
                    wc,
                    index: index as u32,
                });
            }
        }
        None
    }
}

fn position(plan: &Plan, op: Idx) -> usize {
    *plan.position.get(op as usize) as usize
}

/// First index `op` may take in `wc`'s sequence: behind a running operation.
fn lowest_index(plan: &Plan, wc: Idx, op: Idx) -> usize {
    plan.sequence(wc).first().map_or(0, |&f| {
        usize::from(f != op && plan.problem.operations[f as usize].in_progress.is_some())
    })
}

/// When `op` could start without its work center: now, release, not-before, routing predecessors (the
/// latest of which is returned).
fn routing_ready(plan: &Plan, op: Idx) -> (Time, Option<Idx>) {
    let p = &plan.problem;
    let def = &p.operations[op as usize];
    let mut ready = p.now.max(plan.order_release(def.order));
    if let Some(nb) = plan.not_before(op) {
        ready = ready.max(nb);
    }
    let mut pred = None;
    for &r in &def.predecessors {
        let end = plan.timing(r).end;
        if end > ready || (pred.is_none() && end == ready) {
            ready = end;
            pred = Some(r);
        }
    }
    (ready, pred)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plant::generate::{GeneratorConfig, generate};
    use crate::plant::input::PlanInput;

    fn plant(ops: usize, seed: u64) -> (PlanInput, Plan) {
        let input = generate(&GeneratorConfig::new(ops, seed));
        let plan = Plan::from_input(&input).expect("generated plans load");
        (input, plan)
    }

    fn budget(seed: u64, iterations: u64, threads: usize) -> OptimizeConfig {
        OptimizeConfig {
            time_limit: None,
            max_iterations: Some(iterations),
            seed,
            threads,
            ..OptimizeConfig::default()
        }
    }

    fn run(plan: &Plan, config: &OptimizeConfig) -> OptimizeResult {
        optimize(plan, config, &AtomicBool::new(false), &|_| {})
    }

    #[test]
    fn improves_keeps_pins_and_stays_feasible() {
        let (_, start) = plant(1500, 3);
        check_feasible(&start).expect("the EDD start is feasible");
        let seen = Mutex::new(Vec::new());
        let res = optimize(
            &start,
            &budget(1, 1500, 1),
            &AtomicBool::new(false),
            &|p: &Progress| seen.lock().expect("lock").push(p.objective),
        );
        assert_eq!(res.stop, StopReason::Iterations);
        assert!(
            res.best.objective < res.initial.objective,
            "{:?} -> {:?}",
            res.initial,
            res.best
        );
        check_feasible(&res.plan).expect("result feasible");
        let seen = seen.into_inner().expect("lock");
        assert!(seen.windows(2).all(|w| w[1] < w[0]), "{seen:?}");
        assert!((seen.last().copied().unwrap_or(f64::MAX) - res.best.objective).abs() < 1e-6);
        let recomputed = evaluate_full(&res.plan, &Objective::default(), 0, Duration::ZERO);
        assert!((recomputed.objective - res.best.objective).abs() < 1e-9);
        for op in 0..start.problem.operations.len() as Idx {
            let fixed = start.pinned_start(op).is_some()
                || start.problem.operations[op as usize].in_progress.is_some();
            if fixed {
                assert_eq!(res.plan.timing(op).start, start.timing(op).start);
                assert_eq!(res.plan.work_center_of(op), start.work_center_of(op));
            }
            assert_eq!(res.plan.pinned_start(op), start.pinned_start(op));
        }
    }

    #[test]
    fn deterministic_with_one_thread_and_an_iteration_budget() {
        let (_, start) = plant(1000, 5);
        let a = run(&start, &budget(9, 800, 1));
        let b = run(&start, &budget(9, 800, 1));
        assert_eq!(
            (a.best.objective, a.best.iteration, a.iterations),
            (b.best.objective, b.best.iteration, b.iterations)
        );
        let n_wc = start.problem.work_centers.len() as Idx;
        for w in 0..n_wc {
            assert_eq!(a.plan.sequence(w), b.plan.sequence(w));
        }
    }

    #[test]
    fn two_threads_never_worse_than_the_start() {
        let (_, start) = plant(1200, 11);
        let res = run(&start, &budget(2, 400, 2));
        assert!(res.best.objective <= res.initial.objective);
        check_feasible(&res.plan).expect("result feasible");
    }

    #[test]
    fn cancel_flag_stops_at_once() {
        let (_, start) = plant(1000, 4);
        let config = OptimizeConfig {
            time_limit: Some(Duration::from_secs(60)),
            ..OptimizeConfig::default()
        };
        let t = Instant::now();
        let res = optimize(&start, &config, &AtomicBool::new(true), &|_| {});
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!(res.stop, StopReason::Cancelled);
        assert_eq!(res.iterations, 0);
        assert_eq!(res.best.objective, res.initial.objective);
    }

    #[test]
    fn time_limit_is_honoured() {
        let (_, start) = plant(1000, 6);
        let config = OptimizeConfig {
            time_limit: Some(Duration::from_millis(300)),
            threads: 2,
            ..OptimizeConfig::default()
        };
        let t = Instant::now();
        let res = run(&start, &config);
        assert_eq!(res.stop, StopReason::TimeLimit);
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }

    #[test]
    fn tracker_follows_the_plan() {
        let (_, start) = plant(800, 21);
        let config = budget(4, 0, 1);
        let mut search = Search::new(&start, &config, 0);
        let mut accepted = 0;
        for _ in 0..300 {
            let Some(mv) = search.propose() else { continue };
            if search.try_move(mv).is_none() {
                continue;
            }
            if search.rng.unit() < 0.5 {
                search.backup = None;
                accepted += 1;
            } else {
                search.rollback();
            }
            let exact = evaluate_full(&search.plan, &config.objective, 0, Duration::ZERO);
            let now = search.tracker.eval(&search.plan, &config.objective);
            assert!((now.f - exact.objective).abs() < 1e-6 * exact.objective.max(1.0));
            assert_eq!(now.late, exact.late_orders);
        }
        assert!(accepted > 10);
        // Sampling only ever draws late orders.
        for k in 0..200 {
            let r = search.tracker.weighted_ms * f64::from(k) / 200.0;
            assert!(search.tracker.tardiness[search.tracker.sample(r)] > 0.0);
        }
    }

    #[test]
    fn local_rank_repair_matches_a_full_sort() {
        let (_, start) = plant(600, 12);
        let mut plan = start.clone();
        let mut rng = Rng::new(3);
        let n = plan.problem.operations.len();
        let (mut ok, mut cycles) = (0, 0);
        for step in 0..600 {
            let op = rng.below(n) as Idx;
            if !movable(&plan, op) {
                continue;
            }
            let alts = &plan.problem.operations[op as usize].alternatives;
            let wc = alts[rng.below(alts.len())].work_center;
            let len = plan.sequence(wc).len() - usize::from(plan.work_center_of(op) == wc);
            let index = rng.below(len + 1) as u32;
            let backup = plan.clone();
            match plan.move_to(op, wc, index) {
                Ok(dirty) => {
                    ok += 1;
                    assert!(plan.ranks_consistent(), "step {step}");
                    plan.propagate_from(dirty);
                    if step % 50 == 0 {
                        let mut full = plan.clone();
                        full.propagate_all();
                        assert!((0..n as Idx).all(|o| full.timing(o) == plan.timing(o)));
                    }
                }
                Err(_) => {
                    // The same sequences must be cyclic for Kahn's algorithm too.
                    cycles += usize::from(plan.recompute_rank().is_err());
                    plan = backup;
                }
            }
        }
        // Generated plants flow stage by stage, so random moves never close a cycle there.
        assert!(ok > 100 && cycles == 0, "{ok} moves, {cycles} cycles");

        // An order visiting one work center twice: putting its last step first closes a cycle.
        let input = crate::plant::parse_plan(
            r#"{"now": 0,
              "calendars": [{"id": "c", "working": [{"start": 0, "end": 1000000}]}],
              "work_centers": [{"id": "W1", "calendar": "c"}, {"id": "W2", "calendar": "c"}],
              "products": [{"id": "p"}],
              "orders": [{"id": "o", "product": "p", "quantity": 1, "release": 0, "due": 10}],
              "operations": [
                {"id": "a", "order": "o", "alternatives": [{"work_center": "W1", "duration_ms": 5}]},
                {"id": "b", "order": "o", "predecessors": ["a"],
                 "alternatives": [{"work_center": "W2", "duration_ms": 5}]},
                {"id": "c", "order": "o", "predecessors": ["b"],
                 "alternatives": [{"work_center": "W1", "duration_ms": 5}]}]}"#,
        )
        .expect("parses");
        let mut plan = Plan::from_input(&input).expect("loads");
        assert!(plan.move_to(2, 0, 0).is_err());
        assert!(plan.recompute_rank().is_err());
    }

    #[test]
    fn checker_rejects_broken_plans() {
        let (_, start) = plant(600, 8);
        // An overlap: an operation moved to start before its machine predecessor ends.
        let w = (0..start.problem.work_centers.len() as Idx)
            .find(|&w| start.sequence(w).len() > 2)
            .expect("a busy work center");
        let op = start.sequence(w)[2];
        let mut broken = start.clone();
        let mut t = broken.timing(op);
        t.start = broken.timing(start.sequence(w)[1]).start;
        broken.timing.set(op as usize, t);
        assert!(check_feasible(&broken).is_err());
        // An ineligible assignment.
        let op = (0..start.problem.operations.len() as Idx)
            .find(|&o| movable(&start, o))
            .expect("a movable operation");
        let other = (0..start.problem.work_centers.len() as Idx)
            .find(|&w| start.problem.duration(op, w).is_none())
            .expect("an ineligible work center");
        let mut broken = start.clone();
        let mut seq = broken.sequence(other).to_vec();
        let mut old = broken.sequence(start.work_center_of(op)).to_vec();
        old.retain(|&o| o != op);
        seq.push(op);
        broken.set_sequence(start.work_center_of(op), old);
        broken.set_sequence(other, seq);
        broken.recompute_rank().expect("no cycle");
        broken.propagate_all();
        assert!(
            check_feasible(&broken)
                .unwrap_err()
                .contains("not eligible")
        );
        // Pins: a timing that drifts from its pin.
        let pinned = (0..start.problem.operations.len() as Idx)
            .find(|&o| start.pinned_start(o).is_some())
            .expect("a pinned operation");
        let mut broken = start.clone();
        let mut t = broken.timing(pinned);
        t.start += 60_000;
        t.end += 60_000;
        broken.timing.set(pinned as usize, t);
        assert!(check_feasible(&broken).is_err());
    }
}
