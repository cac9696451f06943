//! Bodies of `takt plan optimize` (improve a `plan.json`) and `takt plan bench-plant` (the plant optimizer
//! benchmark on generated plants). Kept apart from `cli.rs` so the command table there stays small.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::cli_plant::load_plan;
use crate::duration::format_duration;
use crate::error::PlanError;
use crate::plant::generate::{GeneratorConfig, generate};
use crate::plant::input::HOUR_MS;
use crate::plant::{OptimizeConfig, Plan, Progress, optimize};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PlanError + '_ {
    move |source| PlanError::Io {
        path: path.into(),
        source,
    }
}

fn out_err(e: std::io::Error) -> PlanError {
    PlanError::Io {
        path: "<output>".into(),
        source: e,
    }
}

fn threads_or_cores(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// The figures printed before and after: weighted tardiness, late orders, makespan, changeover time.
fn kpi_line(plan: &Plan) -> String {
    let k = plan.kpis();
    format!(
        "weighted tardiness {:.1} h, {} late of {} orders, makespan {:.1} h, changeovers {:.1} h",
        k.weighted_tardiness_h,
        k.late_orders,
        k.late_orders + k.on_time_orders,
        k.makespan_ms as f64 / HOUR_MS as f64,
        k.total_changeover_ms as f64 / HOUR_MS as f64
    )
}

/// Optimizes the plan in `path` for `time`; prints KPIs before and after, streams improvements to stderr when
/// `progress`, and writes the improved plan (as `plan.json`) to `out_file`.
pub fn run_optimize(
    path: &Path,
    time: Duration,
    seed: u64,
    threads: Option<usize>,
    out_file: Option<PathBuf>,
    out: &mut dyn Write,
    progress: bool,
) -> Result<(), PlanError> {
    let (input, plan) = load_plan(path)?;
    let config = OptimizeConfig {
        time_limit: Some(time),
        seed,
        threads: threads_or_cores(threads),
        ..OptimizeConfig::default()
    };
    writeln!(
        out,
        "plan {} ({} operations, {} orders, {} work centers)",
        path.display(),
        plan.problem().operations.len(),
        plan.problem().orders.len(),
        plan.problem().work_centers.len()
    )
    .map_err(out_err)?;
    writeln!(out, "before: {}", kpi_line(&plan)).map_err(out_err)?;
    let report = |p: &Progress| {
        if progress {
            eprintln!(
                "  {:>8.3}s  objective {:.2}  weighted tardiness {:.1} h  late {}  makespan {:.1} h",
                p.elapsed.as_secs_f64(),
                p.objective,
                p.weighted_tardiness_h,
                p.late_orders,
                p.makespan_h
            );
        }
    };
    let res = optimize(&plan, &config, &AtomicBool::new(false), &report);
    writeln!(out, "after:  {}", kpi_line(&res.plan)).map_err(out_err)?;
    writeln!(
        out,
        "objective {:.2} -> {:.2}, {} iterations in {:.3}s, best after {:.3}s, stop: {:?}",
        res.initial.objective,
        res.best.objective,
        res.iterations,
        res.elapsed.as_secs_f64(),
        res.best.elapsed.as_secs_f64(),
        res.stop
    )
    .map_err(out_err)?;
    if let Some(file) = out_file {
        let json = serde_json::to_string_pretty(&res.plan.to_input(&input))
            .map_err(|e| PlanError::Usage(format!("cannot serialise the plan: {e}")))?;
        std::fs::write(&file, json).map_err(io(&file))?;
        writeln!(out, "wrote {}", file.display()).map_err(out_err)?;
    }
    Ok(())
}

/// Benchmarks the optimizer on generated plants of each size: weighted tardiness of the earliest-due-date
/// start and of the best plan found within each budget (one run with the largest budget, read off the
/// improvement stream at the smaller ones).
pub fn bench_plant_optimizer(
    sizes: &[usize],
    times: &[Duration],
    seed: u64,
    threads: Option<usize>,
    out: &mut dyn Write,
) -> Result<(), PlanError> {
    let mut times = times.to_vec();
    times.sort();
    let Some(&max_time) = times.last() else {
        return Err(PlanError::Usage("--times needs at least one budget".into()));
    };
    let threads = threads_or_cores(threads);
    let mut header = format!("{:>7} {:>6} {:>12}", "ops", "orders", "EDD WT h");
    for t in &times {
        header += &format!(" {:>12}", format!("WT@{} h", format_duration(*t)));
    }
    header += &format!(
        " {:>7} {:>11} {:>15} {:>10} {:>8}",
        "impr %", "late", "makespan h", "iterations", "it/s"
    );
    writeln!(out, "{header}").map_err(out_err)?;
    for &size in sizes {
        let input = generate(&GeneratorConfig::new(size, seed));
        let plan = Plan::from_input(&input)
            .map_err(|e| PlanError::Usage(format!("generated plant {size}: {e}")))?;
        let config = OptimizeConfig {
            time_limit: Some(max_time),
            seed,
            threads,
            ..OptimizeConfig::default()
        };
        let trace = Mutex::new(Vec::new());
        let record = |p: &Progress| {
            if let Ok(mut t) = trace.lock() {
                t.push((p.elapsed, p.objective, p.weighted_tardiness_h));
            }
        };
        let res = optimize(&plan, &config, &AtomicBool::new(false), &record);
        let trace = trace.into_inner().unwrap_or_default();
        let edd = res.initial.weighted_tardiness_h;
        let mut row = format!(
            "{:>7} {:>6} {:>12.1}",
            plan.problem().operations.len(),
            plan.problem().orders.len(),
            edd
        );
        for t in &times {
            // The stream is in decreasing objective order: the last entry within the budget is the best.
            let wt = trace
                .iter()
                .rfind(|(e, _, _)| e <= t)
                .map_or(edd, |&(_, _, wt)| wt);
            row += &format!(" {wt:>12.1}");
        }
        let best = res.best.weighted_tardiness_h;
        let improvement = if edd > 0.0 {
            (edd - best) * 100.0 / edd
        } else {
            0.0
        };
        row += &format!(
            " {:>7.1} {:>11} {:>15} {:>10} {:>8.0}",
            improvement,
            format!("{}->{}", res.initial.late_orders, res.best.late_orders),
            format!("{:.0}->{:.0}", res.initial.makespan_h, res.best.makespan_h),
            res.iterations,
            res.iterations as f64 / res.elapsed.as_secs_f64().max(1e-9)
        );
        writeln!(out, "{row}").map_err(out_err)?;
        out.flush().map_err(out_err)?;
    }
    Ok(())
}
