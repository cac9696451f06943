//! Monte Carlo schedule risk: how a plan fares when work centers break down at random.
//!
//! Each work center with a [`FailureSpec`] fails in calendar time from the plan's "now": the first failure
//! comes one time-between-failures (TBF) sample after now, each later one a TBF sample after the previous
//! repair ended, and each repair lasts one time-to-repair (TTR) sample. One replication executes the plan
//! against such a failure history with *right-shift* repair: operations keep their work center and sequence,
//! none starts earlier than planned, and a failure during an operation pauses it for the repair, after which
//! the rest of its work is placed again on the work center's calendar.
//!
//! Replication `r` draws from streams seeded by `(seed, r, work center)` only, so a report depends on the seed
//! alone — not on the number of threads — and two failure models compared with the same seed share their
//! random numbers (common random numbers), which makes such comparisons far less noisy.

use std::f64::consts::PI;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::plant::calendar::Availability;
use crate::plant::input::{HOUR_MS, Millis, Time};
use crate::plant::plan::Plan;
use crate::plant::problem::Idx;
use crate::rng::Rng;

/// Upper bound on replications: the engine keeps one completion per order and replication in memory.
pub const MAX_REPLICATIONS: u32 = 100_000;
/// Bins of [`TardinessDistribution::histogram`].
pub const HISTOGRAM_BINS: usize = 20;
/// Samples are clamped to this (about 31,700 years) so that sums of instants cannot overflow.
const MAX_SAMPLE_MS: f64 = 1e15;

// ---- distributions -----------------------------------------------------------------------------------------

/// A distribution of durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// `P(X > x) = exp(-(x / scale)^shape)`; shape > 1 is wear-out, < 1 infant mortality, 1 exponential.
    Weibull {
        shape: f64,
        scale_ms: f64,
    },
    /// `ln X` is normal with mean `ln median` and standard deviation `sigma`; the usual model of repair times.
    Lognormal {
        median_ms: f64,
        sigma: f64,
    },
    Exponential {
        mean_ms: f64,
    },
    /// Always the same duration (tests, or a known cycle).
    Fixed {
        ms: f64,
    },
}

impl Distribution {
    /// The Weibull distribution with this shape and mean: `scale = mean / Γ(1 + 1/shape)`.
    pub fn weibull_with_mean(shape: f64, mean_ms: f64) -> Self {
        Self::Weibull {
            shape,
            scale_ms: mean_ms / gamma(1.0 + 1.0 / shape),
        }
    }

    /// The lognormal distribution with this mean and log-standard deviation: `median = mean / e^(σ²/2)`.
    pub fn lognormal_with_mean(mean_ms: f64, sigma: f64) -> Self {
        Self::Lognormal {
            median_ms: mean_ms / (sigma * sigma / 2.0).exp(),
            sigma,
        }
    }

    pub fn mean_ms(&self) -> f64 {
        match *self {
            Self::Weibull { shape, scale_ms } => scale_ms * gamma(1.0 + 1.0 / shape),
            Self::Lognormal { median_ms, sigma } => median_ms * (sigma * sigma / 2.0).exp(),
            Self::Exponential { mean_ms } => mean_ms,
            Self::Fixed { ms } => ms,
        }
    }

    /// Every parameter must be finite and positive; `what` names the distribution in the error.
    pub fn validate(&self, what: &str) -> Result<(), RiskError> {
        let check = |field: &'static str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(RiskError::InvalidParameter {
                    what: what.to_owned(),
                    field,
                    value,
                })
            }
        };
        match *self {
            Self::Weibull { shape, scale_ms } => {
                check("shape", shape)?;
                check("scale_ms", scale_ms)
            }
            Self::Lognormal { median_ms, sigma } => {
                check("median_ms", median_ms)?;
                check("sigma", sigma)
            }
            Self::Exponential { mean_ms } => check("mean_ms", mean_ms),
            Self::Fixed { ms } => check("ms", ms),
        }?;
        // Parameters can each be fine and still overflow together (a huge scale with a tiny shape).
        check("mean", self.mean_ms())
    }

    /// One sample. Inverse transform for Weibull and exponential, Box–Muller for the lognormal's normal.
    /// Each call consumes a fixed number of uniforms per kind, which keeps streams aligned across models.
    pub(crate) fn sample(&self, rng: &mut Rng) -> f64 {
        match *self {
            Self::Weibull { shape, scale_ms } => {
                scale_ms * standard_exponential(rng).powf(1.0 / shape)
            }
            Self::Lognormal { median_ms, sigma } => {
                median_ms * (sigma * standard_normal(rng)).exp()
            }
            Self::Exponential { mean_ms } => mean_ms * standard_exponential(rng),
            Self::Fixed { ms } => ms,
        }
    }
}

/// `-ln(1 - U)`: `1 - U` lies in `(0, 1]`, so the logarithm is finite.
fn standard_exponential(rng: &mut Rng) -> f64 {
    -(1.0 - rng.unit()).ln()
}

/// Box–Muller: `sqrt(-2 ln U1) cos(2π U2)`; the second normal of the pair is dropped to keep draws per sample
/// constant.
fn standard_normal(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - rng.unit();
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Γ(x) by the Lanczos approximation (g = 7, nine coefficients; ~15 significant digits), with the reflection
/// formula below 1/2.
pub fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return PI / ((PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    (2.0 * PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

// ---- configuration -----------------------------------------------------------------------------------------

/// How one work center fails and is repaired.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct FailureSpec {
    pub time_between_failures: Distribution,
    pub time_to_repair: Distribution,
}

impl FailureSpec {
    /// Weibull failures with mean `mtbf_ms` and the given shape; lognormal repairs with mean `mttr_ms` and
    /// log-standard deviation `repair_sigma`.
    pub fn from_means(mtbf_ms: f64, weibull_shape: f64, mttr_ms: f64, repair_sigma: f64) -> Self {
        Self {
            time_between_failures: Distribution::weibull_with_mean(weibull_shape, mtbf_ms),
            time_to_repair: Distribution::lognormal_with_mean(mttr_ms, repair_sigma),
        }
    }

    fn validate(&self, what: &str) -> Result<(), RiskError> {
        self.time_between_failures
            .validate(&format!("{what}: time_between_failures"))?;
        self.time_to_repair
            .validate(&format!("{what}: time_to_repair"))
    }
}

/// A work center's own failure model, overriding [`RiskConfig::default_model`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct FailureModel {
    pub work_center: String,
    pub time_between_failures: Distribution,
    pub time_to_repair: Distribution,
}

impl FailureModel {
    pub fn spec(&self) -> FailureSpec {
        FailureSpec {
            time_between_failures: self.time_between_failures,
            time_to_repair: self.time_to_repair,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RiskConfig {
    pub replications: u32,
    pub seed: u64,
    #[serde(default)]
    pub models: Vec<FailureModel>,
    /// The model of every work center without its own; `None`: those never fail.
    #[serde(default)]
    pub default_model: Option<FailureSpec>,
}

impl RiskConfig {
    /// The failure model of each work center of `plan` (by index), after validating the whole config.
    pub fn resolve(&self, plan: &Plan) -> Result<Vec<Option<FailureSpec>>, RiskError> {
        if !(1..=MAX_REPLICATIONS).contains(&self.replications) {
            return Err(RiskError::Replications {
                value: self.replications,
                max: MAX_REPLICATIONS,
            });
        }
        if let Some(d) = &self.default_model {
            d.validate("default model")?;
        }
        let problem = plan.problem();
        let mut specs = vec![self.default_model; problem.work_centers.len()];
        let mut seen = vec![false; specs.len()];
        for m in &self.models {
            let w = problem.work_center_index(&m.work_center).ok_or_else(|| {
                RiskError::UnknownWorkCenter {
                    id: m.work_center.clone(),
                }
            })? as usize;
            if std::mem::replace(&mut seen[w], true) {
                return Err(RiskError::DuplicateModel {
                    work_center: m.work_center.clone(),
                });
            }
            let spec = m.spec();
            spec.validate(&format!("work center {}", m.work_center))?;
            specs[w] = Some(spec);
        }
        Ok(specs)
    }
}

/// Why a risk analysis cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RiskError {
    #[error("replications must be between 1 and {max}, got {value}")]
    Replications { value: u32, max: u32 },
    #[error("failure model for unknown work center `{id}`")]
    UnknownWorkCenter { id: String },
    #[error("work center `{work_center}` has two failure models")]
    DuplicateModel { work_center: String },
    #[error("{what}: {field} must be finite and greater than 0, got {value}")]
    InvalidParameter {
        what: String,
        field: &'static str,
        value: f64,
    },
}

// ---- report ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OrderRisk {
    pub order: String,
    pub weight: f64,
    pub due: Time,
    pub planned_completion: Time,
    /// Share of replications in which the order completes by its due date.
    pub on_time_probability: f64,
    /// Median and 90th percentile (nearest rank) of the simulated completion.
    pub p50_completion: Time,
    pub p90_completion: Time,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct HistogramBin {
    pub from_h: f64,
    pub to_h: f64,
    pub count: u32,
}

/// Distribution over replications of the plan's Σ weight × hours late.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TardinessDistribution {
    pub mean_h: f64,
    pub p50_h: f64,
    pub p90_h: f64,
    pub p95_h: f64,
    pub min_h: f64,
    pub max_h: f64,
    /// Equal-width bins from `min_h` to `max_h` (one bin when they coincide).
    pub histogram: Vec<HistogramBin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RiskReport {
    pub replications: u32,
    pub seed: u64,
    pub now: Time,
    pub planned_weighted_tardiness_h: f64,
    /// Per order, in the plan's order of orders.
    pub orders: Vec<OrderRisk>,
    pub tardiness: TardinessDistribution,
    pub elapsed_ms: f64,
}

impl RiskReport {
    /// Σ on-time probabilities: the expected number of on-time orders.
    pub fn expected_on_time_orders(&self) -> f64 {
        self.orders.iter().map(|o| o.on_time_probability).sum()
    }
}

// ---- simulation --------------------------------------------------------------------------------------------

/// Runs `config.replications` replications of `plan` on the current rayon pool.
pub fn simulate(plan: &Plan, config: &RiskConfig) -> Result<RiskReport, RiskError> {
    let started = Instant::now();
    let specs = config.resolve(plan)?;
    let model = Model::new(plan, specs);
    let reps = config.replications as usize;
    let n_orders = model.due.len();

    // One row of order completions per replication, written in place: no per-replication allocation, and the
    // result cannot depend on how rayon splits the work.
    let mut completions: Vec<Time> = vec![model.now; reps * n_orders];
    let mut tardiness = vec![0.0f64; reps];
    if n_orders > 0 {
        completions
            .par_chunks_mut(n_orders)
            .zip(tardiness.par_iter_mut())
            .enumerate()
            .for_each_init(
                || Buffers::new(&model),
                |buf, (rep, (row, t))| *t = model.replicate(config.seed, rep as u64, buf, row),
            );
    }

    let problem = plan.problem();
    let orders: Vec<OrderRisk> = (0..n_orders)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(reps),
            |column: &mut Vec<Time>, o| {
                column.clear();
                column.extend(completions.iter().skip(o).step_by(n_orders));
                let due = model.due[o];
                let on_time = column.iter().filter(|&&c| c <= due).count();
                column.sort_unstable();
                let def = &problem.orders[o];
                OrderRisk {
                    order: def.id.clone(),
                    weight: def.weight,
                    due,
                    planned_completion: plan.order_completion(o as Idx),
                    on_time_probability: on_time as f64 / reps as f64,
                    p50_completion: column[nearest_rank(reps, 0.5)],
                    p90_completion: column[nearest_rank(reps, 0.9)],
                }
            },
        )
        .collect();

    Ok(RiskReport {
        replications: config.replications,
        seed: config.seed,
        now: model.now,
        planned_weighted_tardiness_h: plan.weighted_tardiness_h(),
        orders,
        tardiness: tardiness_distribution(tardiness),
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// Index of the `q`-quantile among `n` sorted values (nearest-rank definition).
fn nearest_rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

fn tardiness_distribution(mut values: Vec<f64>) -> TardinessDistribution {
    let n = values.len();
    // Summed in replication order, so the mean is bit-identical whatever the thread count.
    let mean_h = values.iter().sum::<f64>() / n as f64;
    values.sort_unstable_by(f64::total_cmp);
    let (min_h, max_h) = (values[0], values[n - 1]);
    let width = (max_h - min_h) / HISTOGRAM_BINS as f64;
    let histogram = if width > 0.0 {
        let mut counts = [0u32; HISTOGRAM_BINS];
        for v in &values {
            counts[(((v - min_h) / width) as usize).min(HISTOGRAM_BINS - 1)] += 1;
        }
        (0..HISTOGRAM_BINS)
            .map(|b| HistogramBin {
                from_h: min_h + b as f64 * width,
                to_h: if b + 1 == HISTOGRAM_BINS {
                    max_h
                } else {
                    min_h + (b + 1) as f64 * width
                },
                count: counts[b],
            })
            .collect()
    } else {
        vec![HistogramBin {
            from_h: min_h,
            to_h: max_h,
            count: n as u32,
        }]
    };
    TardinessDistribution {
        mean_h,
        p50_h: values[nearest_rank(n, 0.5)],
        p90_h: values[nearest_rank(n, 0.9)],
        p95_h: values[nearest_rank(n, 0.95)],
        min_h,
        max_h,
        histogram,
    }
}

/// One operation as a replication needs it, stored at its position in the topological order.
#[derive(Debug, Clone, Copy)]
struct SimOp {
    /// The planned start (its changeover included); "now" for a running operation.
    planned_start: Time,
    /// Changeover plus processing; for a running operation, what remains.
    work: Millis,
    wc: u32,
    order: u32,
    /// Routing and sequence predecessors: `preds[pred_from..pred_to]`, as topological positions.
    pred_from: u32,
    pred_to: u32,
    may_pause: bool,
}

/// Everything constant across replications, flattened once.
struct Model<'a> {
    now: Time,
    ops: Vec<SimOp>,
    preds: Vec<u32>,
    calendars: Vec<&'a Availability>,
    specs: Vec<Option<FailureSpec>>,
    due: Vec<Time>,
    weight: Vec<f64>,
}

impl<'a> Model<'a> {
    fn new(plan: &'a Plan, specs: Vec<Option<FailureSpec>>) -> Self {
        let problem = plan.problem();
        let order = plan.topological_order();
        let mut position = vec![0u32; order.len()];
        for (k, &op) in order.iter().enumerate() {
            position[op as usize] = k as u32;
        }
        let mut ops = Vec::with_capacity(order.len());
        let mut preds = Vec::with_capacity(order.len() * 2);
        for &op in &order {
            let def = &problem.operations[op as usize];
            let wc = plan.work_center_of(op);
            let timing = plan.timing(op);
            let pred_from = preds.len() as u32;
            preds.extend(def.predecessors.iter().map(|&p| position[p as usize]));
            preds.extend(plan.machine_predecessor(op).map(|p| position[p as usize]));
            let (planned_start, work, may_pause) = match def.in_progress {
                // As in the plan: the remaining work runs from now and may pause.
                Some(running) => (problem.now, running.remaining, true),
                None => (
                    timing.start,
                    timing.changeover + problem.duration(op, wc).unwrap_or(0),
                    def.may_pause,
                ),
            };
            ops.push(SimOp {
                planned_start,
                work,
                wc,
                order: def.order,
                pred_from,
                pred_to: preds.len() as u32,
                may_pause,
            });
        }
        Self {
            now: problem.now,
            ops,
            preds,
            calendars: (0..problem.work_centers.len() as Idx)
                .map(|w| plan.availability(w))
                .collect(),
            specs,
            due: problem.orders.iter().map(|o| o.due).collect(),
            weight: problem.orders.iter().map(|o| o.weight).collect(),
        }
    }

    /// Executes the plan once; writes each order's completion into `row` and returns the weighted tardiness
    /// in hours.
    fn replicate(&self, seed: u64, rep: u64, buf: &mut Buffers, row: &mut [Time]) -> f64 {
        for (w, (state, spec)) in buf.failures.iter_mut().zip(&self.specs).enumerate() {
            if let Some(spec) = spec {
                *state = FailureStream::start(stream_seed(seed, rep, w as u64), self.now, spec);
            }
        }
        row.fill(self.now);
        for (k, op) in self.ops.iter().enumerate() {
            let mut ready = op.planned_start;
            for &p in &self.preds[op.pred_from as usize..op.pred_to as usize] {
                ready = ready.max(buf.end[p as usize]);
            }
            let w = op.wc as usize;
            let end = match &self.specs[w] {
                None => self.calendars[w].place(ready, op.work, op.may_pause).end,
                Some(spec) => run_with_failures(
                    self.calendars[w],
                    &mut buf.failures[w],
                    spec,
                    ready,
                    op.work,
                    op.may_pause,
                ),
            };
            buf.end[k] = end;
            let c = &mut row[op.order as usize];
            *c = (*c).max(end);
        }
        row.iter()
            .zip(&self.due)
            .zip(&self.weight)
            .map(|((&c, &due), &w)| {
                if c > due {
                    w * (c - due) as f64 / HOUR_MS as f64
                } else {
                    0.0
                }
            })
            .sum()
    }
}

/// Per-thread scratch space, reused across replications.
struct Buffers {
    end: Vec<Time>,
    failures: Vec<FailureStream>,
}

impl Buffers {
    fn new(model: &Model) -> Self {
        Self {
            end: vec![0; model.ops.len()],
            failures: vec![FailureStream::default(); model.specs.len()],
        }
    }
}

/// SplitMix64's finaliser: spreads `(seed, rep, wc)` over independent-looking stream seeds.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stream_seed(seed: u64, rep: u64, wc: u64) -> u64 {
    mix(mix(mix(seed) ^ rep.wrapping_mul(0x9E37_79B9_7F4A_7C15)) ^ wc)
}

/// The failure history of one work center, generated lazily: the current (or next) failure `[fail, repaired)`.
#[derive(Debug, Clone)]
struct FailureStream {
    rng: Rng,
    fail: Time,
    repaired: Time,
}

impl Default for FailureStream {
    fn default() -> Self {
        Self {
            rng: Rng::new(0),
            fail: Time::MAX,
            repaired: Time::MAX,
        }
    }
}

impl FailureStream {
    fn start(seed: u64, now: Time, spec: &FailureSpec) -> Self {
        let mut s = Self {
            rng: Rng::new(seed),
            fail: now,
            repaired: now,
        };
        s.advance(spec);
        s
    }

    /// Moves to the next failure. TBF is at least 1 ms, so the history always moves forward.
    fn advance(&mut self, spec: &FailureSpec) {
        let tbf = clamp_ms(spec.time_between_failures.sample(&mut self.rng)).max(1);
        let ttr = clamp_ms(spec.time_to_repair.sample(&mut self.rng));
        self.fail = self.repaired.saturating_add(tbf);
        self.repaired = self.fail.saturating_add(ttr);
    }
}

fn clamp_ms(x: f64) -> Millis {
    if x.is_finite() {
        x.clamp(0.0, MAX_SAMPLE_MS) as Millis
    } else {
        MAX_SAMPLE_MS as Millis
    }
}

/// End of `work` ms placed from `ready` on a calendar, paused by every failure of `stream` it meets.
/// Operations on one work center arrive in sequence order with non-decreasing `ready`, so the stream only
/// moves forward.
fn run_with_failures(
    calendar: &Availability,
    stream: &mut FailureStream,
    spec: &FailureSpec,
    mut ready: Time,
    mut work: Millis,
    may_pause: bool,
) -> Time {
    loop {
        // Failures repaired by `ready` no longer matter.
        while stream.repaired <= ready {
            stream.advance(spec);
        }
        if stream.fail <= ready {
            // Down at `ready`: nothing starts before the repair ends.
            ready = stream.repaired;
            continue;
        }
        let placed = calendar.place(ready, work, may_pause);
        if stream.fail >= placed.end {
            return placed.end;
        }
        if stream.fail < placed.start {
            // A failure while the work center waits (e.g. at night): it delays only a repair still running at
            // the start.
            if stream.repaired > placed.start {
                ready = stream.repaired;
            } else {
                stream.advance(spec);
            }
            continue;
        }
        // Fails mid-operation: keep the work done, resume the rest after the repair.
        work -= calendar
            .working_between(placed.start, stream.fail)
            .min(work);
        ready = stream.repaired;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn gamma_matches_known_values() {
        assert!(close(gamma(1.0), 1.0, 1e-12));
        assert!(close(gamma(5.0), 24.0, 1e-12));
        assert!(close(gamma(0.5), PI.sqrt(), 1e-12));
        assert!(close(gamma(1.5), PI.sqrt() / 2.0, 1e-12));
        assert!(close(
            gamma(1.0 + 1.0 / 1.5),
            0.902_745_292_950_933_6,
            1e-10
        ));
    }

    #[test]
    fn samples_have_the_configured_means() {
        let n = 200_000;
        let cases = [
            Distribution::weibull_with_mean(1.5, 80.0 * 3.6e6),
            Distribution::weibull_with_mean(0.8, 10.0),
            Distribution::lognormal_with_mean(3.0 * 3.6e6, 0.5),
            Distribution::Exponential { mean_ms: 42.0 },
            Distribution::Fixed { ms: 7.0 },
        ];
        for (k, d) in cases.iter().enumerate() {
            let mut rng = Rng::new(k as u64 + 1);
            let mean = (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!(
                close(mean, d.mean_ms(), 0.02),
                "{d:?}: sample mean {mean}, expected {}",
                d.mean_ms()
            );
        }
        // The helpers hit the requested mean exactly (up to rounding).
        assert!(close(
            Distribution::weibull_with_mean(1.5, 100.0).mean_ms(),
            100.0,
            1e-12
        ));
        assert!(close(
            Distribution::lognormal_with_mean(100.0, 0.7).mean_ms(),
            100.0,
            1e-12
        ));
    }

    #[test]
    fn lognormal_median_is_the_median() {
        let d = Distribution::Lognormal {
            median_ms: 50.0,
            sigma: 1.0,
        };
        let mut rng = Rng::new(9);
        let below = (0..100_000).filter(|_| d.sample(&mut rng) < 50.0).count();
        assert!((48_500..51_500).contains(&below), "{below}");
    }

    #[test]
    fn invalid_parameters_are_typed_errors() {
        for d in [
            Distribution::Weibull {
                shape: 0.0,
                scale_ms: 1.0,
            },
            Distribution::Weibull {
                shape: 1.0,
                scale_ms: f64::INFINITY,
            },
            Distribution::Lognormal {
                median_ms: 1.0,
                sigma: -1.0,
            },
            Distribution::Exponential { mean_ms: f64::NAN },
            Distribution::Fixed { ms: 0.0 },
            Distribution::Weibull {
                shape: 1e-3,
                scale_ms: 1e300,
            },
        ] {
            assert!(
                matches!(d.validate("x"), Err(RiskError::InvalidParameter { .. })),
                "{d:?}"
            );
        }
        assert!(
            Distribution::weibull_with_mean(f64::NAN, 1.0)
                .validate("x")
                .is_err()
        );
    }

    #[test]
    fn stream_seeds_differ() {
        let a = stream_seed(1, 0, 0);
        assert_ne!(a, stream_seed(1, 1, 0));
        assert_ne!(a, stream_seed(1, 0, 1));
        assert_ne!(a, stream_seed(2, 0, 0));
        assert_ne!(stream_seed(1, 1, 0), stream_seed(1, 0, 1));
    }

    #[test]
    fn failure_pauses_work_for_the_repair() {
        // Working time without gaps; a failure 20 ms after each repair ends, repairs take 10 ms.
        let cal = Availability::build(vec![crate::plant::input::Interval::new(0, 1_000)], &[], &[]);
        let spec = FailureSpec {
            time_between_failures: Distribution::Fixed { ms: 20.0 },
            time_to_repair: Distribution::Fixed { ms: 10.0 },
        };
        let mut s = FailureStream::start(1, 0, &spec);
        // Failures [20,30) [50,60) [80,90) [110,120) [140,150): 100 ms of work from 0 ends at 140.
        assert_eq!(run_with_failures(&cal, &mut s, &spec, 0, 100, true), 140);
        // The next operation is ready at 140, just as a failure strikes: it waits for the repair.
        assert_eq!(run_with_failures(&cal, &mut s, &spec, 140, 5, true), 155);
        // A non-pausable operation resumes its remainder after the repair, too.
        assert_eq!(run_with_failures(&cal, &mut s, &spec, 155, 20, false), 185);
    }
}
