//! Tabu search over critical-block neighbourhoods (Nowicki–Smutnicki N5 swaps, Zhang et al. N7 insertions).
//!
//! Why this design: on the disjunctive graph, only moves that reorder operations inside a *critical block*
//! (maximal run of critical operations on one machine) can shorten the makespan, and among those only moves at
//! the block ends (N5), or insertions of an operation to a block end / of an end into the block (N7). Candidate
//! moves are ranked with an O(block) estimate of the new makespan (re-propagating heads and tails through the
//! reordered segment only); moves that could close a cycle are filtered by head- and tail-based sufficient
//! conditions. The chosen move is then applied and heads and tails re-propagated exactly but incrementally (see
//! [`super::graph`]), which also catches any cycle the filter let through. A pairwise tabu matrix with a
//! randomised dynamic tenure forbids undoing recent reorderings; aspiration admits tabu moves that would beat the
//! best. When a search stalls (no improvement on its own best for `stall_limit` iterations) it restarts from the
//! worker's best solution after a short random walk (perturbation). Each worker thread runs an independent,
//! seeded search; the best result wins.
//!
//! Tried without gain on la29 (all runs end at 1163–1166 for 2–3 M iterations): an elite pool of run bests with
//! restarts from a random member, path relinking between pool members (Peng–Lü–Cheng style, adjacent swaps
//! towards the guide chosen by estimate), other tabu attributes (all / first / last crossed pair), shorter or
//! longer tenures, stronger perturbations, random tie-breaking between critical paths, and an exact (search based)
//! acyclicity test that admits the ~60 % of filtered moves that are in fact acyclic.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::PlanError;
use crate::error::ScheduleError;
use crate::jobshop::graph::Graph;
use crate::jobshop::initial::giffler_thompson;
use crate::jobshop::instance::{Instance, OpId};
use crate::jobshop::schedule::{Schedule, Sequencing, verify};
use crate::rng::Rng;

/// Largest instance [`solve`] accepts (the tabu matrix then takes 8 · n² bytes = 512 MB).
pub const MAX_OPERATIONS: usize = 8_000;

/// Which moves the tabu search considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Neighbourhood {
    /// Swaps of the first two / last two operations of every critical block (Nowicki–Smutnicki).
    N5,
    /// Insertions: inner operations to a block end, block ends into the block (Zhang et al.). Contains N5.
    #[default]
    N7,
}

/// Budget and behaviour of [`solve`]. The search stops at the first of: time limit, iteration budget (per
/// worker), `target` makespan reached, the trivial lower bound reached, or the cancel flag.
#[derive(Debug, Clone)]
pub struct TabuConfig {
    pub seed: u64,
    pub time_limit: Option<Duration>,
    /// Iterations per worker; with one worker and no time limit the result depends only on the seed.
    pub max_iterations: Option<u64>,
    /// Stop as soon as a makespan `<=` this is found (e.g. a known optimum in benchmarks).
    pub target: Option<u64>,
    /// Independent search threads (at least 1).
    pub threads: usize,
    pub neighbourhood: Neighbourhood,
    /// Non-improving iterations before a restart from the perturbed best; `None` picks one from the size.
    pub stall_limit: Option<u64>,
}

impl Default for TabuConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            time_limit: Some(Duration::from_secs(10)),
            max_iterations: None,
            target: None,
            threads: 1,
            neighbourhood: Neighbourhood::N7,
            stall_limit: None,
        }
    }
}

/// A new overall best, streamed to the caller while the search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Improvement {
    pub makespan: u64,
    pub worker: usize,
    pub iteration: u64,
    pub elapsed: Duration,
}

/// Why the search returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The makespan equals the lower bound: provably optimal.
    LowerBound,
    Target,
    TimeLimit,
    Iterations,
    Cancelled,
}

/// The best schedule found (already checked by [`verify`]) and search statistics.
#[derive(Debug, Clone)]
pub struct SolveResult {
    pub schedule: Schedule,
    pub makespan: u64,
    pub lower_bound: u64,
    pub initial_makespan: u64,
    /// Iterations summed over workers.
    pub iterations: u64,
    pub restarts: u64,
    pub elapsed: Duration,
    pub time_to_best: Duration,
    pub stop: StopReason,
}

/// A candidate move: the operation at `from` on `machine` is re-inserted at position `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Move {
    machine: usize,
    from: usize,
    to: usize,
}

/// State shared by the workers: the overall best (for streaming and early stop) and the stop flag.
struct Shared<'a> {
    best: Mutex<(u64, Duration)>,
    best_atomic: AtomicU64,
    stop: AtomicBool,
    cancel: &'a AtomicBool,
    start: Instant,
    on_improve: &'a (dyn Fn(&Improvement) + Sync),
}

impl Shared<'_> {
    fn offer(&self, makespan: u64, worker: usize, iteration: u64) {
        if makespan >= self.best_atomic.load(Ordering::Relaxed) {
            return;
        }
        let mut best = self
            .best
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if makespan < best.0 {
            let elapsed = self.start.elapsed();
            *best = (makespan, elapsed);
            self.best_atomic.store(makespan, Ordering::Relaxed);
            (self.on_improve)(&Improvement {
                makespan,
                worker,
                iteration,
                elapsed,
            });
        }
    }
}

struct WorkerResult {
    best: Sequencing,
    makespan: u64,
    initial: u64,
    iterations: u64,
    restarts: u64,
    stop: StopReason,
}

/// Runs the tabu search and returns the best schedule, verified by the independent checker.
///
/// `on_improve` is called (from worker threads, under a lock, so in strictly decreasing makespan order) for every
/// new overall best. Setting `cancel` stops the search within a few iterations and still returns the best so far.
pub fn solve(
    inst: &Instance,
    cfg: &TabuConfig,
    cancel: &AtomicBool,
    on_improve: &(dyn Fn(&Improvement) + Sync),
) -> Result<SolveResult, PlanError> {
    // The pairwise tabu matrix is n² entries; refuse (rather than abort on allocation) absurd sizes.
    if inst.len() > MAX_OPERATIONS {
        return Err(PlanError::Usage(format!(
            "{} operations: the job-shop optimizer handles at most {MAX_OPERATIONS}",
            inst.len()
        )));
    }
    let start = Instant::now();
    let lower_bound = inst.lower_bound();
    let shared = Shared {
        best: Mutex::new((u64::MAX, Duration::ZERO)),
        best_atomic: AtomicU64::new(u64::MAX),
        stop: AtomicBool::new(false),
        cancel,
        start,
        on_improve,
    };
    let threads = cfg.threads.max(1);
    let results: Vec<WorkerResult> = if threads == 1 {
        vec![Worker::new(inst, cfg, 0, lower_bound)?.run(&shared)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|w| {
                    let shared = &shared;
                    scope.spawn(move || {
                        Worker::new(inst, cfg, w, lower_bound).map(|worker| worker.run(shared))
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok())
                .collect::<Result<_, _>>()
        })?
    };
    let elapsed = start.elapsed();
    let iterations = results.iter().map(|r| r.iterations).sum();
    let restarts = results.iter().map(|r| r.restarts).sum();
    let initial_makespan = results.iter().map(|r| r.initial).min().unwrap_or(0);
    let best = results
        .into_iter()
        .min_by_key(|r| r.makespan)
        .ok_or_else(|| PlanError::Usage("all search workers failed".into()))?;
    let schedule = Schedule::from_sequencing(inst, best.best)?;
    let recomputed = verify(inst, schedule.starts())?;
    if recomputed != schedule.makespan() || recomputed != best.makespan {
        return Err(PlanError::MakespanMismatch {
            claimed: best.makespan,
            recomputed,
        });
    }
    let time_to_best = shared.best.lock().map(|b| b.1).unwrap_or(elapsed);
    Ok(SolveResult {
        makespan: recomputed,
        schedule,
        lower_bound,
        initial_makespan,
        iterations,
        restarts,
        elapsed,
        time_to_best,
        stop: best.stop,
    })
}

/// The best solution of a worker.
struct Best {
    seq: Sequencing,
    mk: u64,
}

struct Worker<'a> {
    inst: &'a Instance,
    cfg: &'a TabuConfig,
    id: usize,
    lower_bound: u64,
    rng: Rng,
    /// The current solution with its heads, tails and makespan.
    g: Graph,
    /// `tabu[a * n + b] > iter` forbids re-creating the order "a before b" on a machine.
    tabu: Vec<u64>,
    iter: u64,
    path: Vec<(OpId, bool)>,
    moves: Vec<Move>,
    /// New heads of a reordered segment (scratch of [`Worker::estimate`]).
    heads: Vec<u64>,
    tenure_min: u64,
    tenure_span: u64,
    /// Makespan of the current [`Worker::search`]'s best solution.
    run_best_mk: u64,
}

impl<'a> Worker<'a> {
    fn new(
        inst: &'a Instance,
        cfg: &'a TabuConfig,
        id: usize,
        lower_bound: u64,
    ) -> Result<Self, ScheduleError> {
        let mut rng = Rng::new(cfg.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Worker 0 starts from the plain MWKR schedule; the others from randomised variants, for diversity.
        let seq = if id == 0 {
            giffler_thompson(inst, None)
        } else {
            giffler_thompson(inst, Some(&mut rng))
        };
        let g = Graph::new(inst, seq)?;
        let n = inst.len();
        let ratio = (inst.jobs() / inst.machines().max(1)) as u64;
        let tenure_min = 10 + ratio;
        let tenure_span = if inst.jobs() <= 2 * inst.machines() {
            tenure_min * 2 / 5
        } else {
            tenure_min / 2
        };
        Ok(Self {
            inst,
            cfg,
            id,
            lower_bound,
            rng,
            g,
            tabu: vec![0; n * n],
            iter: 0,
            path: Vec::new(),
            moves: Vec::new(),
            heads: Vec::new(),
            tenure_min,
            tenure_span,
            run_best_mk: u64::MAX,
        })
    }

    fn run(mut self, shared: &Shared<'_>) -> WorkerResult {
        let n = self.inst.len() as u64;
        let stall_limit = self
            .cfg
            .stall_limit
            .unwrap_or((20 * n).clamp(2_000, 20_000));
        let initial = self.g.makespan;
        let mut best = Best {
            seq: self.g.seq.clone(),
            mk: initial,
        };
        shared.offer(initial, self.id, 0);
        let mut restarts = 0;
        let mut run_best = best.seq.clone();
        let stop = loop {
            if let Some(stop) = self.search(shared, stall_limit, &mut best, &mut run_best) {
                break stop;
            }
            restarts += 1;
            self.restart_from(&best.seq);
        };
        WorkerResult {
            best: best.seq,
            makespan: best.mk,
            initial,
            iterations: self.iter,
            restarts,
            stop,
        }
    }

    /// One tabu search from the current solution (tabu list cleared) until `stall_limit` iterations without
    /// improving on its own best, which is left in `run_best` (the graph holds the last solution). Returns why
    /// the whole search must stop, if it must.
    fn search(
        &mut self,
        shared: &Shared<'_>,
        stall_limit: u64,
        best: &mut Best,
        run_best: &mut Sequencing,
    ) -> Option<StopReason> {
        self.tabu.fill(0);
        run_best.clone_from(&self.g.seq);
        self.run_best_mk = self.g.makespan;
        let mut stall = 0;
        loop {
            let mk = self.g.makespan;
            if mk < best.mk {
                best.mk = mk;
                best.seq.clone_from(&self.g.seq);
                shared.offer(mk, self.id, self.iter);
            }
            if let Some(reason) = self.should_stop(shared, best.mk) {
                return Some(reason);
            }
            if stall >= stall_limit {
                return None;
            }
            self.iter += 1;
            self.critical_moves();
            if self.moves.is_empty() {
                // No critical block: the makespan is a job's length, hence optimal.
                if self.g.makespan <= best.mk {
                    return Some(StopReason::LowerBound);
                }
                return None;
            }
            if !self.step(best.mk) {
                return None;
            }
            let mk = self.g.makespan;
            if mk < self.run_best_mk {
                self.run_best_mk = mk;
                run_best.clone_from(&self.g.seq);
                stall = 0;
            } else {
                stall += 1;
            }
        }
    }

    fn should_stop(&self, shared: &Shared<'_>, best_mk: u64) -> Option<StopReason> {
        if best_mk <= self.lower_bound {
            shared.stop.store(true, Ordering::Relaxed);
            return Some(StopReason::LowerBound);
        }
        if self.cfg.target.is_some_and(|t| best_mk <= t) {
            shared.stop.store(true, Ordering::Relaxed);
            return Some(StopReason::Target);
        }
        if self.cfg.max_iterations.is_some_and(|m| self.iter >= m) {
            return Some(StopReason::Iterations);
        }
        if self.iter.is_multiple_of(64) {
            if shared.cancel.load(Ordering::Relaxed) {
                return Some(StopReason::Cancelled);
            }
            if shared.stop.load(Ordering::Relaxed) {
                let global = shared.best_atomic.load(Ordering::Relaxed);
                return Some(if global <= self.lower_bound {
                    StopReason::LowerBound
                } else {
                    StopReason::Target
                });
            }
            if self
                .cfg
                .time_limit
                .is_some_and(|t| shared.start.elapsed() >= t)
            {
                return Some(StopReason::TimeLimit);
            }
        }
        None
    }

    /// Extracts one critical path (preferring machine arcs, which makes blocks longer) and collects the moves
    /// of the configured neighbourhood on its blocks.
    fn critical_moves(&mut self) {
        let g = &self.g;
        let none = self.inst.len();
        self.path.clear();
        self.moves.clear();
        let Some(mut cur) = g.end_op() else { return };
        loop {
            let (mp, jp) = (g.mpred[cur] as usize, g.jpred[cur] as usize);
            let h = g.head[cur];
            let mcrit = mp != none && g.end(mp) == h;
            let jcrit = jp != none && g.end(jp) == h;
            if mcrit {
                self.path.push((cur, true));
                cur = mp;
            } else if jcrit {
                self.path.push((cur, false));
                cur = jp;
            } else {
                self.path.push((cur, false));
                break;
            }
        }
        self.path.reverse();
        // `path[i].1`: path[i] is entered from path[i - 1] by a machine arc, i.e. both share a critical block.
        let len = self.path.len();
        let mut i = 0;
        while i < len {
            let mut j = i;
            while j + 1 < len && self.path[j + 1].1 {
                j += 1;
            }
            if j > i {
                let op = self.path[i].0;
                let m = self.inst.op(op).machine;
                let (a, b) = (self.g.seq.pos[op], self.g.seq.pos[self.path[j].0]);
                self.push_block_moves(m, a, b, i == 0, j + 1 == len);
            }
            i = j + 1;
        }
    }

    fn push_block_moves(&mut self, machine: usize, a: usize, b: usize, first: bool, last: bool) {
        let mv = |from, to| Move { machine, from, to };
        match self.cfg.neighbourhood {
            Neighbourhood::N5 => {
                // Swapping the first pair of the first block or the last pair of the last block cannot improve
                // (Nowicki–Smutnicki), unless the path is a single block. A pair block is always swapped.
                let single = first && last;
                if b == a + 1 || !first || single {
                    self.moves.push(mv(a, a + 1));
                }
                if b > a + 1 && (!last || single) {
                    self.moves.push(mv(b, b - 1));
                }
            }
            Neighbourhood::N7 => {
                // First operation to after every later one (includes the swap of the first pair).
                for to in a + 1..=b {
                    self.moves.push(mv(a, to));
                }
                // Last operation to before every earlier one, except duplicates of the swaps above.
                if b > a + 1 {
                    for to in a..b {
                        self.moves.push(mv(b, to));
                    }
                }
                // Inner operations to the block ends (skipping the duplicates of adjacent swaps).
                for from in a + 1..b {
                    if from > a + 1 {
                        self.moves.push(mv(from, a));
                    }
                    if from + 1 < b {
                        self.moves.push(mv(from, b));
                    }
                }
            }
        }
    }

    /// Sufficient conditions for the move to keep the graph acyclic: the path that would close a cycle cannot
    /// exist if its end starts before its start ends (heads, Balas–Vazacopoulos) or if its start has a shorter
    /// tail than its end's duration plus tail (tails; both hold with zero durations too).
    #[inline]
    fn acyclic(&self, mv: Move) -> bool {
        let g = &self.g;
        let none = self.inst.len();
        let seq = &g.seq.seqs[mv.machine];
        if mv.from < mv.to {
            // u moves right after v: there must be no path from u's job successor to v.
            let (u, v) = (seq[mv.from], seq[mv.to]);
            // (A job revisiting the machine, `js == v`, is such a path of length zero.)
            let js = g.jsucc[u] as usize;
            js == none || (js != v && (g.head[v] < g.end(js) || g.tail[js] < g.dur[v] + g.tail[v]))
        } else {
            // v moves right before u: there must be no path from u to v's job predecessor.
            let (u, v) = (seq[mv.to], seq[mv.from]);
            let jp = g.jpred[v] as usize;
            jp == none || (jp != u && (g.head[jp] < g.end(u) || g.tail[u] < g.dur[jp] + g.tail[jp]))
        }
    }

    /// Estimated makespan after the move: heads and tails re-propagated through the reordered segment only
    /// (exact for the segment's own longest paths, a lower bound on the new makespan).
    fn estimate(&mut self, mv: Move) -> u64 {
        let g = &self.g;
        let seq = &g.seq.seqs[mv.machine];
        let (dur, jpred, jsucc) = (&g.dur[..], &g.jpred[..], &g.jsucc[..]);
        let end = |o: u32| g.end(o as usize);
        let tail_of = |o: u32| dur[o as usize] + g.tail[o as usize];
        let heads = &mut self.heads;
        heads.clear();
        if mv.from < mv.to {
            // New order: seq[from + 1..=to], then u = seq[from].
            let (u, rest) = (seq[mv.from], &seq[mv.from + 1..=mv.to]);
            let mut prev = end(g.mpred[u]);
            for &o in rest {
                let r = prev.max(end(jpred[o]));
                heads.push(r);
                prev = r + dur[o];
            }
            let r_u = prev.max(end(jpred[u]));
            let q_u = tail_of(g.msucc[seq[mv.to]]).max(tail_of(jsucc[u]));
            let mut est = r_u + dur[u] + q_u;
            let mut next = q_u + dur[u];
            for (&o, &r) in rest.iter().zip(heads.iter()).rev() {
                let q = next.max(tail_of(jsucc[o]));
                est = est.max(r + dur[o] + q);
                next = q + dur[o];
            }
            est
        } else {
            // New order: v = seq[from], then seq[to..from].
            let (v, rest) = (seq[mv.from], &seq[mv.to..mv.from]);
            let r_v = end(g.mpred[rest[0]]).max(end(jpred[v]));
            let mut prev = r_v + dur[v];
            for &o in rest {
                let r = prev.max(end(jpred[o]));
                heads.push(r);
                prev = r + dur[o];
            }
            let mut next = tail_of(g.msucc[v]);
            let mut est = 0;
            for (&o, &r) in rest.iter().zip(heads.iter()).rev() {
                let q = next.max(tail_of(jsucc[o]));
                est = est.max(r + dur[o] + q);
                next = q + dur[o];
            }
            let q_v = next.max(tail_of(jsucc[v]));
            est.max(r_v + dur[v] + q_v)
        }
    }

    fn is_tabu(&self, mv: Move) -> bool {
        let n = self.inst.len();
        let seq = &self.g.seq.seqs[mv.machine];
        if mv.from < mv.to {
            let u = seq[mv.from];
            seq[mv.from + 1..=mv.to]
                .iter()
                .any(|&x| self.tabu[x * n + u] > self.iter)
        } else {
            let v = seq[mv.from];
            seq[mv.to..mv.from]
                .iter()
                .any(|&x| self.tabu[v * n + x] > self.iter)
        }
    }

    fn make_tabu(&mut self, mv: Move) {
        let n = self.inst.len();
        let until =
            self.iter + self.tenure_min + self.rng.below(self.tenure_span as usize + 1) as u64;
        let seq = &self.g.seq.seqs[mv.machine];
        // Called before applying: forbid restoring the orders the move destroys.
        if mv.from < mv.to {
            let u = seq[mv.from];
            for &x in &seq[mv.from + 1..=mv.to] {
                self.tabu[u * n + x] = until;
            }
        } else {
            let v = seq[mv.from];
            for &x in &seq[mv.to..mv.from] {
                self.tabu[x * n + v] = until;
            }
        }
    }

    /// One tabu iteration: pick the best admissible move, apply it, re-propagate. Returns false if no move
    /// could be applied.
    fn step(&mut self, best_mk: u64) -> bool {
        let mut tried = 0;
        while tried < 3 {
            tried += 1;
            let mut chosen: Option<(u64, Move)> = None;
            let mut ties = 0usize;
            let mut fallback: Option<Move> = None;
            for k in 0..self.moves.len() {
                let mv = self.moves[k];
                if !self.acyclic(mv) {
                    continue;
                }
                let est = self.estimate(mv);
                // A move worse than the chosen one can only matter as a fallback, which is unused once a
                // move is chosen; aspiration admits a tabu move that beats the best. Only then look it up.
                if est >= best_mk && chosen.is_some_and(|(e, _)| est > e) {
                    continue;
                }
                if est >= best_mk && self.is_tabu(mv) {
                    if fallback.is_none() || self.rng.below(2) == 0 {
                        fallback = Some(mv);
                    }
                    continue;
                }
                match chosen {
                    Some((e, _)) if est > e => {}
                    Some((e, _)) if est == e => {
                        ties += 1;
                        if self.rng.below(ties + 1) == 0 {
                            chosen = Some((est, mv));
                        }
                    }
                    _ => {
                        ties = 0;
                        chosen = Some((est, mv));
                    }
                }
            }

            let Some(mv) = chosen.map(|c| c.1).or(fallback) else {
                return false;
            };
            if self.apply(mv) {
                return true;
            }
            self.moves.retain(|&m| m != mv);
        }
        false
    }

    /// Applies a move and re-propagates; on a cycle nothing changes and `false` is returned.
    fn apply(&mut self, mv: Move) -> bool {
        self.make_tabu(mv);
        self.g.relocate(mv.machine, mv.from, mv.to)
    }

    /// Restart: back to the best solution and a short random walk over critical moves (the next
    /// [`Worker::search`] clears the tabu list).
    fn restart_from(&mut self, best: &Sequencing) {
        // `best` was reached from an acyclic graph, so it is acyclic; the final check would report otherwise.
        let _ = self.g.set(best);
        let walk = 2 + self.rng.below(self.inst.machines().max(2));
        for _ in 0..walk {
            self.critical_moves();
            let ok: Vec<Move> = self
                .moves
                .iter()
                .copied()
                .filter(|&m| self.acyclic(m))
                .collect();
            if ok.is_empty() {
                break;
            }
            let mv = ok[self.rng.below(ok.len())];
            self.apply(mv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobshop::schedule::Timing;
    use proptest::prelude::*;

    fn fixture(name: &str) -> Instance {
        let path = format!("{}/tests/data/{name}.txt", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Instance::parse(name, &text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn budget(seed: u64, iterations: u64) -> TabuConfig {
        TabuConfig {
            seed,
            time_limit: None,
            max_iterations: Some(iterations),
            ..TabuConfig::default()
        }
    }

    fn no_report(_: &Improvement) {}

    fn solve_ok(inst: &Instance, cfg: &TabuConfig) -> SolveResult {
        solve(inst, cfg, &AtomicBool::new(false), &no_report)
            .unwrap_or_else(|e| panic!("{}: {e}", inst.name))
    }

    #[test]
    fn reaches_known_optima_within_iteration_budget() {
        for (name, optimum) in [("ft06", 55), ("la01", 666), ("la05", 593)] {
            let inst = fixture(name);
            let cfg = TabuConfig {
                target: Some(optimum),
                ..budget(1, 30_000)
            };
            let res = solve_ok(&inst, &cfg);
            assert_eq!(res.makespan, optimum, "{name}");
            assert_eq!(verify(&inst, res.schedule.starts()), Ok(optimum));
        }
    }

    /// N5 alone is a much smaller neighbourhood (it cannot leave la05's GT start in this budget) but on ft06 it
    /// still reaches the optimum, and its results are always feasible.
    #[test]
    fn n5_neighbourhood_works() {
        let cfg = TabuConfig {
            neighbourhood: Neighbourhood::N5,
            ..budget(1, 30_000)
        };
        let inst = fixture("ft06");
        let res = solve_ok(
            &inst,
            &TabuConfig {
                target: Some(55),
                ..cfg.clone()
            },
        );
        assert_eq!(res.makespan, 55);
        let inst = fixture("la05");
        let res = solve_ok(
            &inst,
            &TabuConfig {
                max_iterations: Some(2_000),
                ..cfg
            },
        );
        assert_eq!(verify(&inst, res.schedule.starts()), Ok(res.makespan));
        assert!(res.makespan <= res.initial_makespan);
    }

    #[test]
    fn deterministic_for_a_seed_and_streams_decreasing_improvements() {
        let inst = fixture("ft06");
        let run = || {
            let seen = Mutex::new(Vec::new());
            let record = |imp: &Improvement| seen.lock().expect("lock").push(imp.makespan);
            let res =
                solve(&inst, &budget(42, 2_000), &AtomicBool::new(false), &record).expect("solves");
            (
                res.schedule,
                res.iterations,
                seen.into_inner().expect("lock"),
            )
        };
        let (a, it_a, seen_a) = run();
        let (b, it_b, seen_b) = run();
        assert_eq!((a, it_a, &seen_a), (b, it_b, &seen_b));
        assert!(seen_a.windows(2).all(|w| w[0] > w[1]), "{seen_a:?}");
    }

    #[test]
    fn honours_cancel_flag_and_time_limit() {
        let inst = fixture("la01");
        let cancel = AtomicBool::new(true);
        let cfg = TabuConfig {
            time_limit: None,
            ..TabuConfig::default()
        };
        let res = solve(&inst, &cfg, &cancel, &no_report).expect("solves");
        assert!(matches!(
            res.stop,
            StopReason::Cancelled | StopReason::LowerBound
        ));
        let cfg = TabuConfig {
            time_limit: Some(Duration::from_millis(50)),
            threads: 2,
            ..TabuConfig::default()
        };
        let res =
            solve(&fixture("ft06"), &cfg, &AtomicBool::new(false), &no_report).expect("solves");
        assert!(res.elapsed < Duration::from_secs(2));
        assert_eq!(
            verify(&fixture("ft06"), res.schedule.starts()),
            Ok(res.makespan)
        );
    }

    /// Random instances: `jobs` routings of up to `machines` operations, machines may repeat within a job,
    /// durations may be zero (the awkward cases for critical paths and cycle filters).
    fn arb_instance() -> impl Strategy<Value = Instance> {
        (1usize..=6, 1usize..=5).prop_flat_map(|(jobs, machines)| {
            let routing = prop::collection::vec((0..machines, 0u64..20), 1..=machines + 1);
            prop::collection::vec(routing, jobs).prop_map(move |r| {
                Instance::new("random", machines, &r).expect("machines in range")
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn optimizer_results_are_feasible(inst in arb_instance(), seed in 0u64..1000, n5 in any::<bool>()) {
            let neighbourhood = if n5 { Neighbourhood::N5 } else { Neighbourhood::N7 };
            let cfg = TabuConfig { neighbourhood, ..budget(seed, 300) };
            let res = solve(&inst, &cfg, &AtomicBool::new(false), &no_report);
            let res = res.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(verify(&inst, res.schedule.starts()), Ok(res.makespan));
            prop_assert!(res.makespan >= res.lower_bound);
            prop_assert!(res.makespan <= res.initial_makespan);
            // Re-propagating the returned sequences gives the same schedule.
            let again = Schedule::from_sequences(&inst, res.schedule.sequences().to_vec());
            prop_assert_eq!(again.as_ref().map(Schedule::makespan), Ok(res.makespan));
        }

        #[test]
        fn filtered_moves_never_create_cycles(inst in arb_instance(), seed in 0u64..1000, steps in 1usize..30) {
            let cfg = budget(seed, 1);
            let mut w = Worker::new(&inst, &cfg, 1, 0).expect("GT is acyclic");
            w.g.check(&inst);
            for _ in 0..steps {
                w.critical_moves();
                let moves = w.moves.clone();
                for &mv in &moves {
                    if w.acyclic(mv) {
                        let mut s = w.g.seq.clone();
                        s.relocate(mv.machine, mv.from, mv.to);
                        prop_assert!(Timing::default().compute(&inst, &s).is_ok(), "move {:?} made a cycle", mv);
                    }
                }
                if moves.is_empty() {
                    break;
                }
                let mv = moves[w.rng.below(moves.len())];
                // An unfiltered move may be cyclic: it must then be rejected and leave the schedule unchanged.
                let before = (w.g.seq.clone(), w.g.makespan);
                if !w.apply(mv) {
                    prop_assert_eq!(&before.0, &w.g.seq);
                    prop_assert_eq!(before.1, w.g.makespan);
                }
                w.g.check(&inst);
            }
        }
    }
}
