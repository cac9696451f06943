//! `takt plan generate | show | bench --plant`: the plant engine from the command line.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::PlanError;
use crate::plant::generate::{GeneratorConfig, generate};
use crate::plant::input::{HOUR_MS, Interval, Millis, PlanInput, format_utc as fmt_time};
use crate::plant::{Edit, MoveTarget, Plan, parse_plan};
use crate::rng::Rng;

fn io(e: std::io::Error) -> PlanError {
    PlanError::Io {
        path: "<output>".into(),
        source: e,
    }
}

/// Reads and validates a `plan.json`.
pub fn load_plan(path: &Path) -> Result<(PlanInput, Plan), PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::Io {
        path: path.into(),
        source,
    })?;
    let bad = |e: crate::plant::InputError| PlanError::Usage(format!("{}: {e}", path.display()));
    let input = parse_plan(&text).map_err(bad)?;
    let plan = Plan::from_input(&input).map_err(bad)?;
    Ok((input, plan))
}

/// `takt plan generate`: a seeded plant instance as JSON.
pub fn generate_cmd(
    operations: usize,
    seed: u64,
    pinned: f64,
    out: &mut dyn Write,
) -> Result<(), PlanError> {
    if operations == 0 || operations > 1_000_000 {
        return Err(PlanError::Usage(format!(
            "--operations must be 1..=1000000 (got {operations})"
        )));
    }
    if !(0.0..=1.0).contains(&pinned) {
        return Err(PlanError::Usage(format!(
            "--pinned is a share in 0..=1 (got {pinned})"
        )));
    }
    let input = generate(&GeneratorConfig {
        pinned_share: pinned,
        ..GeneratorConfig::new(operations, seed)
    });
    serde_json::to_writer(&mut *out, &input).map_err(|e| PlanError::Usage(e.to_string()))?;
    writeln!(out).map_err(io)
}

/// `takt plan show`: propagates a plan and prints its key figures and latest orders.
pub fn show_cmd(path: &Path, out: &mut dyn Write) -> Result<(), PlanError> {
    let started = Instant::now();
    let (_, plan) = load_plan(path)?;
    let loaded = started.elapsed();
    let k = plan.kpis();
    let p = plan.problem();
    let h = |ms: Millis| ms as f64 / HOUR_MS as f64;
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(io);
    w(
        out,
        format!(
            "{} operations, {} orders, {} work centers; loaded and propagated in {:.1} ms",
            p.operations.len(),
            p.orders.len(),
            p.work_centers.len(),
            loaded.as_secs_f64() * 1e3
        ),
    )?;
    w(
        out,
        format!(
            "now {}   plan end {}   makespan {:.1} h",
            fmt_time(k.now),
            fmt_time(k.plan_end),
            h(k.makespan_ms)
        ),
    )?;
    w(
        out,
        format!(
            "weighted tardiness {:.1} h   late orders {} / {}   changeover {:.1} h   pushed by maintenance {}   beyond calendar {}",
            k.weighted_tardiness_h,
            k.late_orders,
            k.orders.len(),
            h(k.total_changeover_ms),
            k.pushed_by_maintenance.len(),
            k.beyond_calendar
        ),
    )?;
    w(
        out,
        format!(
            "{:<14} {:>8} {:>10} {:>9}",
            "work center", "util %", "changeover", "available"
        ),
    )?;
    for wc in &k.work_centers {
        w(
            out,
            format!(
                "{:<14} {:>8.1} {:>9.1}h {:>8.1}h",
                wc.work_center,
                wc.utilisation * 100.0,
                h(wc.changeover_ms),
                h(wc.available_ms)
            ),
        )?;
    }
    let mut late: Vec<_> = k.orders.iter().filter(|o| !o.on_time).collect();
    late.sort_by(|a, b| {
        (b.lateness_ms as f64 * b.weight).total_cmp(&(a.lateness_ms as f64 * a.weight))
    });
    if !late.is_empty() {
        w(out, format!("latest orders (of {}):", late.len()))?;
        for o in late.iter().take(10) {
            w(
                out,
                format!(
                    "  {:<10} due {}  done {}  late {:>6.1} h  weight {}",
                    o.order,
                    fmt_time(o.due),
                    fmt_time(o.completion),
                    h(o.lateness_ms),
                    o.weight
                ),
            )?;
        }
    }
    Ok(())
}

/// A what-if scenario file: a name and the edits to apply to the plan, in order.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ScenarioFile {
    pub name: String,
    pub edits: Vec<Edit>,
}

/// `takt plan compare`: applies each scenario's edits to a branch of the plan and prints the key figures
/// side by side with their deltas against the plan, and the orders whose completion or on-time status moved.
pub fn compare_cmd(
    path: &Path,
    scenarios: &[std::path::PathBuf],
    out: &mut dyn Write,
) -> Result<(), PlanError> {
    if !(1..=3).contains(&scenarios.len()) {
        return Err(PlanError::Usage(format!(
            "give one to three --scenario files (got {})",
            scenarios.len()
        )));
    }
    let (_, plan) = load_plan(path)?;
    let mut workspace = crate::plant::Workspace::new(plan);
    let mut ids = vec![None];
    for file in scenarios {
        let text = std::fs::read_to_string(file).map_err(|source| PlanError::Io {
            path: file.clone(),
            source,
        })?;
        let scenario: ScenarioFile = serde_json::from_str(&text).map_err(|e| {
            PlanError::Usage(format!(
                "{}:{}:{}: {e}",
                file.display(),
                e.line(),
                e.column()
            ))
        })?;
        let id = workspace.branch(scenario.name.clone());
        let branch = workspace
            .scenario_mut(id)
            .map_err(|e| PlanError::Usage(e.to_string()))?;
        for (k, edit) in scenario.edits.into_iter().enumerate() {
            branch.plan.apply(edit).map_err(|e| {
                PlanError::Usage(format!(
                    "{}: edit {} of scenario `{}` refused: {e}",
                    file.display(),
                    k + 1,
                    scenario.name
                ))
            })?;
        }
        ids.push(Some(id));
    }
    let c = workspace
        .compare(&ids)
        .map_err(|e| PlanError::Usage(e.to_string()))?;
    let mut header = format!("{:<30}", "");
    for name in &c.plans {
        header += &format!(" {:>16}", truncate(name, 16));
    }
    writeln!(out, "{header}").map_err(io)?;
    for row in &c.rows {
        let mut line = format!(
            "{:<30}",
            format!(
                "{} ({})",
                row.name,
                if row.unit.is_empty() { "#" } else { &row.unit }
            )
        );
        for (k, (v, d)) in row.values.iter().zip(&row.deltas).enumerate() {
            if k == 0 {
                line += &format!(" {v:>16.1}");
            } else {
                line += &format!(" {:>16}", format!("{v:.1} ({d:+.1})"));
            }
        }
        writeln!(out, "{line}").map_err(io)?;
    }
    writeln!(
        out,
        "{} orders change completion or on-time status:",
        c.changed_orders.len()
    )
    .map_err(io)?;
    for o in c.changed_orders.iter().take(30) {
        let mut line = format!("  {:<10} due {}", o.order, fmt_time(o.due));
        for (done, on_time) in o.completions.iter().zip(&o.on_time) {
            line += &format!(
                "  {}{}",
                fmt_time(*done),
                if *on_time { "" } else { " LATE" }
            );
        }
        writeln!(out, "{line}").map_err(io)?;
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Percentile (nearest rank) of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A random edit of the kinds a planner makes on a Gantt, valid or not (invalid ones are refused and timed too).
fn random_edit(plan: &Plan, rng: &mut Rng) -> Edit {
    let p = plan.problem();
    let op = rng.below(p.operations.len()) as u32;
    let def = &p.operations[op as usize];
    let op_id = def.id.clone();
    let t = plan.timing(op);
    let wc_id = |w: u32| p.work_centers[w as usize].id.clone();
    let random_wc = |rng: &mut Rng| wc_id(rng.below(p.work_centers.len()) as u32);
    match rng.below(10) {
        0..=3 => {
            let alt = def.alternatives[rng.below(def.alternatives.len())].work_center;
            let len = plan.sequence(alt).len() as u32;
            let index = rng.below(len as usize + 1) as u32;
            Edit::MoveOperation {
                operation: op_id,
                work_center: wc_id(alt),
                to: MoveTarget::Position { index },
            }
        }
        4 => {
            let alt = def.alternatives[rng.below(def.alternatives.len())].work_center;
            let start = t.start + (rng.range(-24.0, 24.0) * HOUR_MS as f64) as Millis;
            Edit::MoveOperation {
                operation: op_id,
                work_center: wc_id(alt),
                to: MoveTarget::Time { start },
            }
        }
        5 => {
            let alt = def.alternatives[rng.below(def.alternatives.len())].work_center;
            Edit::Reroute {
                operation: op_id,
                work_center: wc_id(alt),
            }
        }
        6 => Edit::InsertBreakdown {
            work_center: random_wc(rng),
            start: t.start,
            duration_ms: (1 + rng.below(8) as Millis) * HOUR_MS,
        },
        7 => {
            let start = t.start.max(p.now) + HOUR_MS;
            Edit::BookMaintenance {
                work_center: random_wc(rng),
                interval: Interval::new(start, start + 4 * HOUR_MS),
                note: String::new(),
            }
        }
        8 => Edit::DelayOrder {
            order: p.orders[def.order as usize].id.clone(),
            by_ms: 8 * HOUR_MS,
        },
        _ => {
            let day = (t.start - p.now).div_euclid(24 * HOUR_MS) * 24 * HOUR_MS + p.now;
            Edit::AddExtraShift {
                work_center: random_wc(rng),
                interval: Interval::new(day + 16 * HOUR_MS, day + 24 * HOUR_MS),
            }
        }
    }
}

/// `takt plan bench --plant N,…`: full propagation and single-edit re-propagation on generated plans.
pub fn bench_propagation(
    sizes: &[usize],
    edits: usize,
    seed: u64,
    verbose: bool,
    out: &mut dyn Write,
) -> Result<(), PlanError> {
    writeln!(
        out,
        "{:>7} {:>6} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10}",
        "ops",
        "wcs",
        "load ms",
        "full p50",
        "full max",
        "edits",
        "refused",
        "edit p50",
        "edit p99",
        "edit max",
        "undo p99",
        "MC 1000 ms"
    )
    .map_err(io)?;
    for &size in sizes {
        let input = generate(&GeneratorConfig::new(size, seed));
        let started = Instant::now();
        let mut plan = Plan::from_input(&input).map_err(|e| PlanError::Usage(e.to_string()))?;
        let load = started.elapsed();
        let mut full = Vec::new();
        for _ in 0..20 {
            let mut copy = plan.clone();
            let t = Instant::now();
            copy.propagate_all();
            full.push(t.elapsed());
        }
        full.sort();
        let mut rng = Rng::new(seed);
        let mut edit_times = Vec::with_capacity(edits);
        let mut undo_times = Vec::with_capacity(edits);
        let mut refused = 0;
        let mut by_kind: std::collections::BTreeMap<String, Vec<Duration>> = Default::default();
        let mut editable = crate::plant::EditablePlan::new(plan.clone());
        for k in 0..edits {
            let edit = random_edit(editable.plan(), &mut rng);
            let kind = edit_kind(&edit);
            let t = Instant::now();
            let result = editable.apply(edit);
            edit_times.push(t.elapsed());
            let label = format!("{kind}{}", if result.is_err() { " (refused)" } else { "" });
            by_kind.entry(label).or_default().push(t.elapsed());
            if result.is_err() {
                refused += 1;
            } else if k % 4 == 3 {
                // Undo now and then so the plan does not drift into a permanently broken-down plant.
                let t = Instant::now();
                let _ = editable.undo();
                undo_times.push(t.elapsed());
            }
        }
        plan = editable.into_plan();
        // Monte Carlo: 1,000 replications with breakdowns every 80 h (Weibull 1.5), 3 h repairs (lognormal).
        let risk = crate::plant::RiskConfig {
            replications: 1000,
            seed,
            models: Vec::new(),
            default_model: Some(crate::plant::FailureSpec::from_means(
                80.0 * HOUR_MS as f64,
                1.5,
                3.0 * HOUR_MS as f64,
                0.5,
            )),
        };
        let t = Instant::now();
        crate::plant::risk::simulate(&plan, &risk).map_err(|e| PlanError::Usage(e.to_string()))?;
        let monte_carlo = t.elapsed();
        edit_times.sort();
        undo_times.sort();
        writeln!(
            out,
            "{:>7} {:>6} {:>9.1} {:>9.2} {:>9.2} {:>8} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>9.4} {:>10.0}",
            size,
            plan.problem().work_centers.len(),
            ms(load),
            ms(percentile(&full, 50.0)),
            ms(percentile(&full, 100.0)),
            edits,
            refused,
            ms(percentile(&edit_times, 50.0)),
            ms(percentile(&edit_times, 99.0)),
            ms(percentile(&edit_times, 100.0)),
            ms(percentile(&undo_times, 99.0)),
            ms(monte_carlo),
        )
        .map_err(io)?;
        if verbose {
            for (kind, mut times) in by_kind {
                times.sort();
                writeln!(
                    out,
                    "        {kind:<32} n={:<5} p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
                    times.len(),
                    ms(percentile(&times, 50.0)),
                    ms(percentile(&times, 99.0)),
                    ms(percentile(&times, 100.0))
                )
                .map_err(io)?;
            }
        }
    }
    Ok(())
}

fn edit_kind(edit: &Edit) -> &'static str {
    match edit {
        Edit::MoveOperation {
            to: MoveTarget::Position { .. },
            ..
        } => "move to position",
        Edit::MoveOperation {
            to: MoveTarget::Time { .. },
            ..
        } => "move to time",
        Edit::Reroute { .. } => "reroute",
        Edit::AddExtraShift { .. } => "add extra shift",
        Edit::RemoveExtraShift { .. } => "remove extra shift",
        Edit::DelayOrder { .. } => "delay order",
        Edit::InsertBreakdown { .. } => "insert breakdown",
        Edit::BookMaintenance { .. } => "book maintenance",
        Edit::MoveDowntime { .. } => "move downtime",
        Edit::RemoveDowntime { .. } => "remove downtime",
        Edit::Pin { .. } => "pin",
        Edit::Unpin { .. } => "unpin",
    }
}
