//! `takt plan …` subcommands. The `takt` binary flattens [`PlanCommand`] into its own CLI and calls [`run`];
//! everything here writes to a `Write` so it is testable without capturing stdout.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::cli_plant;
use crate::duration::{format_duration, parse_duration};
use crate::error::PlanError;
use crate::jobshop::{Improvement, Instance, TabuConfig, solve};

/// Planning-engine commands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PlanCommand {
    /// Solve an OR-Library job-shop instance (minimise makespan) with tabu search; prints the schedule.
    Solve {
        /// Instance file; an `optimal.csv` next to it (instance,jobs,machines,optimal_makespan) adds the gap.
        instance: PathBuf,
        /// Time budget, e.g. 500ms, 10s, 2m.
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        time: Duration,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Search threads (default: available cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Iteration budget per thread (deterministic for a given seed with --threads 1).
        #[arg(long)]
        iterations: Option<u64>,
    },
    /// Generate a realistic plant instance (JSON on stdout), e.g. for benchmarks.
    Generate {
        #[arg(long, default_value_t = 5000)]
        operations: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of operations pinned where the earliest-due-date schedule puts them.
        #[arg(long, default_value_t = 0.01)]
        pinned: f64,
    },
    /// Load a plan.json, propagate it, print its key figures.
    Show { plan: PathBuf },
    /// Compare what-if scenarios (JSON files of edits) against a plan, side by side.
    Compare {
        plan: PathBuf,
        /// A scenario file `{"name": …, "edits": [ … ]}`; one to three.
        #[arg(long = "scenario", required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Benchmarks: the job-shop optimizer (--jobshop DIR) and/or the plant engine on generated plans (--plant).
    Bench {
        /// Directory holding `<name>.txt` instances and `optimal.csv`.
        #[arg(long)]
        jobshop: Option<PathBuf>,
        /// Plant sizes in operations (e.g. 5000,20000): propagation and edit timings.
        #[arg(long, value_delimiter = ',')]
        plant: Vec<usize>,
        /// Random edits timed per plant size.
        #[arg(long, default_value_t = 2000)]
        edits: usize,
        /// Budgets to report; one run per instance with the largest, read at each budget.
        #[arg(long, value_delimiter = ',', default_value = "1s,10s", value_parser = parse_duration)]
        times: Vec<Duration>,
        /// Instances to run (default: all `*.txt` in the directory).
        #[arg(long, value_delimiter = ',')]
        instances: Vec<String>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Monte Carlo risk of a plant plan under random breakdowns: on-time probability per order, tardiness spread.
    Risk {
        /// The plan (`plan.json`).
        plan: PathBuf,
        #[arg(long, default_value_t = 1000)]
        replications: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Mean time between failures of every work center, e.g. 80h.
        #[arg(long, default_value = "80h", value_parser = parse_duration)]
        mtbf: Duration,
        /// Mean time to repair, e.g. 3h.
        #[arg(long, default_value = "3h", value_parser = parse_duration)]
        mttr: Duration,
        /// Weibull shape of the time between failures (1 = exponential, > 1 = wear-out).
        #[arg(long, default_value_t = 1.5)]
        weibull_shape: f64,
        /// JSON with per work center models (`models`) and optionally a `default_model`.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Improve a plant plan (plan.json): minimise weighted tardiness, then makespan; prints KPIs before/after.
    Optimize {
        plan: PathBuf,
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        time: Duration,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        threads: Option<usize>,
        /// Write the improved plan here (plan.json format).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs a command, printing to stdout (improvements stream to stderr).
pub fn run(cmd: PlanCommand) -> Result<(), PlanError> {
    let stdout = std::io::stdout();
    run_to(cmd, &mut stdout.lock(), true)
}

/// Runs a command, printing its result to `out`; `progress` streams improvements to stderr.
pub fn run_to(cmd: PlanCommand, out: &mut dyn Write, progress: bool) -> Result<(), PlanError> {
    match cmd {
        PlanCommand::Solve {
            instance,
            time,
            seed,
            threads,
            iterations,
        } => solve_cmd(&instance, time, seed, threads, iterations, out, progress),
        PlanCommand::Generate {
            operations,
            seed,
            pinned,
        } => cli_plant::generate_cmd(operations, seed, pinned, out),
        PlanCommand::Show { plan } => cli_plant::show_cmd(&plan, out),
        PlanCommand::Compare { plan, scenarios } => cli_plant::compare_cmd(&plan, &scenarios, out),
        PlanCommand::Bench {
            jobshop,
            plant,
            edits,
            times,
            instances,
            seed,
            threads,
        } => {
            if jobshop.is_none() && plant.is_empty() {
                return Err(PlanError::Usage(
                    "bench needs --jobshop <dir> and/or --plant <sizes>".into(),
                ));
            }
            if !plant.is_empty() {
                cli_plant::bench_propagation(&plant, edits, seed, progress, out)?;
                crate::cli_optimize::bench_plant_optimizer(&plant, &times, seed, threads, out)?;
            }
            match jobshop {
                Some(dir) => bench_cmd(&dir, &times, &instances, seed, threads, out, progress),
                None => Ok(()),
            }
        }
        PlanCommand::Risk {
            plan,
            replications,
            seed,
            mtbf,
            mttr,
            weibull_shape,
            model,
        } => crate::cli_risk::run_risk(
            &plan,
            replications,
            seed,
            mtbf,
            mttr,
            weibull_shape,
            model.as_deref(),
            out,
        )
        .map(|_| ()),
        PlanCommand::Optimize {
            plan,
            time,
            seed,
            threads,
            out: out_file,
        } => crate::cli_optimize::run_optimize(&plan, time, seed, threads, out_file, out, progress),
    }
}

fn default_threads(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Reads an OR-Library instance; the instance name is the file stem.
pub fn load_instance(path: &Path) -> Result<Instance, PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::Io {
        path: path.into(),
        source,
    })?;
    let name = path
        .file_stem()
        .map_or_else(|| "instance".into(), |s| s.to_string_lossy().into_owned());
    Instance::parse(name, &text).map_err(|source| PlanError::Parse {
        path: path.into(),
        source,
    })
}

/// Reads `instance,jobs,machines,optimal_makespan` lines (header optional). A missing file is an empty table.
pub fn load_optimal(path: &Path) -> Result<BTreeMap<String, u64>, PlanError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(PlanError::Io {
                path: path.into(),
                source,
            });
        }
    };
    let mut table = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if line.trim().is_empty() || (i == 0 && fields.first() == Some(&"instance")) {
            continue;
        }
        let bad = |message: String| PlanError::Optimal {
            path: path.into(),
            line: i + 1,
            message,
        };
        let [name, _, _, opt] = fields.as_slice() else {
            return Err(bad(format!(
                "expected 4 comma-separated fields, got {}",
                fields.len()
            )));
        };
        let opt: u64 = opt
            .parse()
            .map_err(|_| bad(format!("`{opt}` is not a makespan")))?;
        table.insert((*name).to_owned(), opt);
    }
    Ok(table)
}

fn gap(found: u64, opt: u64) -> f64 {
    if opt == 0 {
        0.0
    } else {
        (found as f64 - opt as f64) * 100.0 / opt as f64
    }
}

fn io(e: std::io::Error) -> PlanError {
    PlanError::Io {
        path: "<output>".into(),
        source: e,
    }
}

fn solve_cmd(
    path: &Path,
    time: Duration,
    seed: u64,
    threads: Option<usize>,
    iterations: Option<u64>,
    out: &mut dyn Write,
    progress: bool,
) -> Result<(), PlanError> {
    let inst = load_instance(path)?;
    let optimal = load_optimal(&path.with_file_name("optimal.csv"))?
        .get(&inst.name)
        .copied();
    let cfg = TabuConfig {
        seed,
        time_limit: Some(time),
        max_iterations: iterations,
        threads: default_threads(threads),
        ..TabuConfig::default()
    };
    let report = |imp: &Improvement| {
        if progress {
            eprintln!(
                "  {:>8.3}s  makespan {}",
                imp.elapsed.as_secs_f64(),
                imp.makespan
            );
        }
    };
    let res = solve(&inst, &cfg, &AtomicBool::new(false), &report)?;
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(io);
    w(
        out,
        format!(
            "instance {} ({} jobs x {} machines, {} operations)",
            inst.name,
            inst.jobs(),
            inst.machines(),
            inst.len()
        ),
    )?;
    let opt_text = optimal.map_or_else(
        || "optimum unknown".to_owned(),
        |o| format!("optimum {o}, gap {:.2} %", gap(res.makespan, o)),
    );
    w(out, format!("best makespan {} ({opt_text})", res.makespan))?;
    w(
        out,
        format!(
            "lower bound {}, initial {}, {} iterations, {} restarts, best after {:.3}s of {:.3}s, stop: {:?}",
            res.lower_bound,
            res.initial_makespan,
            res.iterations,
            res.restarts,
            res.time_to_best.as_secs_f64(),
            res.elapsed.as_secs_f64(),
            res.stop
        ),
    )?;
    w(
        out,
        "schedule (per machine: job@start in processing order):".into(),
    )?;
    for (m, seq) in res.schedule.sequences().iter().enumerate() {
        let items: Vec<String> = seq
            .iter()
            .map(|&op| format!("J{}@{}", inst.op(op).job, res.schedule.starts()[op]))
            .collect();
        w(out, format!("  M{m}: {}", items.join(" ")))?;
    }
    Ok(())
}

fn bench_cmd(
    dir: &Path,
    times: &[Duration],
    only: &[String],
    seed: u64,
    threads: Option<usize>,
    out: &mut dyn Write,
    progress: bool,
) -> Result<(), PlanError> {
    let optimal = load_optimal(&dir.join("optimal.csv"))?;
    let mut names: Vec<String> = if only.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|source| PlanError::Io {
            path: dir.into(),
            source,
        })?;
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect()
    } else {
        only.to_vec()
    };
    names.sort();
    let mut times = times.to_vec();
    times.sort();
    let Some(&max_time) = times.last() else {
        return Err(PlanError::Usage("--times needs at least one budget".into()));
    };
    let threads = default_threads(threads);
    let mut header = format!("{:<8} {:>7} {:>7}", "instance", "n x m", "optimum");
    for t in &times {
        header += &format!(" {:>8} {:>7}", format!("@{}", format_duration(*t)), "gap%");
    }
    header += &format!(" {:>9} {:>10}", "to best", "iterations");
    writeln!(out, "{header}").map_err(io)?;
    let mut gaps: Vec<Vec<f64>> = vec![Vec::new(); times.len()];
    for name in &names {
        let inst = load_instance(&dir.join(format!("{name}.txt")))?;
        let opt = optimal.get(name).copied();
        // One run with the largest budget; the best at a smaller budget is read off the improvement stream,
        // which is what an independent run with that budget and the same seed would have returned.
        let cfg = TabuConfig {
            seed,
            time_limit: Some(max_time),
            target: opt,
            threads,
            ..TabuConfig::default()
        };
        let trace = Mutex::new(Vec::new());
        let record = |imp: &Improvement| {
            if let Ok(mut t) = trace.lock() {
                t.push((imp.elapsed, imp.makespan));
            }
        };
        let res = solve(&inst, &cfg, &AtomicBool::new(false), &record)?;
        let trace = trace.into_inner().unwrap_or_default();
        let mut row = format!(
            "{:<8} {:>7} {:>7}",
            name,
            format!("{}x{}", inst.jobs(), inst.machines()),
            opt.map_or("-".into(), |o| o.to_string())
        );
        for (k, t) in times.iter().enumerate() {
            let at = trace
                .iter()
                .filter(|(e, _)| e <= t)
                .map(|&(_, m)| m)
                .min()
                .unwrap_or(res.initial_makespan);
            let g = opt.map(|o| gap(at, o));
            if let Some(g) = g {
                gaps[k].push(g);
            }
            row += &format!(
                " {:>8} {:>7}",
                at,
                g.map_or("-".into(), |g| format!("{g:.2}"))
            );
        }
        row += &format!(
            " {:>8.3}s {:>10}",
            res.time_to_best.as_secs_f64(),
            res.iterations
        );
        writeln!(out, "{row}").map_err(io)?;
        if progress {
            out.flush().map_err(io)?;
        }
    }
    let mut summary = format!("{:<8} {:>7} {:>7}", "mean", "", "");
    for g in &gaps {
        let mean = if g.is_empty() {
            0.0
        } else {
            g.iter().sum::<f64>() / g.len() as f64
        };
        summary += &format!(" {:>8} {:>7.2}", "", mean);
    }
    writeln!(out, "{summary}").map_err(io)?;
    Ok(())
}
