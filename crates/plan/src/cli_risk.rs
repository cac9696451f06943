//! `takt plan risk <plan.json>`: Monte Carlo risk of a plant plan under random breakdowns, printed as a table.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::error::PlanError;
use crate::plant::input::{HOUR_MS, format_utc};
use crate::plant::risk::{FailureModel, FailureSpec, RiskConfig, RiskReport, simulate};
use crate::plant::{InputError, Plan, parse_plan};

/// Log-standard deviation of repair times built from `--mttr`: repairs are mostly short with a long tail
/// (P90 ≈ 1.7 × median).
pub const REPAIR_SIGMA: f64 = 0.5;
/// Orders listed in the "riskiest" table.
pub const RISKIEST: usize = 20;

/// A `--model risk.json` file: per work center models, and optionally a default replacing the one built from
/// `--mtbf`, `--mttr` and `--weibull-shape`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ModelFile {
    #[serde(default)]
    pub models: Vec<FailureModel>,
    #[serde(default)]
    pub default_model: Option<FailureSpec>,
}

fn read(path: &Path) -> Result<String, PlanError> {
    std::fs::read_to_string(path).map_err(|source| PlanError::Io {
        path: path.into(),
        source,
    })
}

fn io(e: std::io::Error) -> PlanError {
    PlanError::Io {
        path: "<output>".into(),
        source: e,
    }
}

/// Loads `input_path`, runs `replications` replications (Weibull failures with mean `mtbf` and shape `shape`,
/// lognormal repairs with mean `mttr`, unless `model_file` says otherwise), prints the tardiness distribution
/// and the riskiest orders to `out`, and returns the report.
#[allow(clippy::too_many_arguments)] // one parameter per CLI flag
pub fn run_risk(
    input_path: &Path,
    replications: u32,
    seed: u64,
    mtbf: Duration,
    mttr: Duration,
    shape: f64,
    model_file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<RiskReport, PlanError> {
    let input = parse_plan(&read(input_path)?).map_err(|source| PlanError::Input {
        path: input_path.into(),
        source,
    })?;
    let plan = Plan::from_input(&input).map_err(|source| PlanError::Input {
        path: input_path.into(),
        source,
    })?;
    let file = match model_file {
        None => ModelFile::default(),
        Some(path) => serde_json::from_str(&read(path)?).map_err(|e| PlanError::Input {
            path: path.into(),
            source: InputError::Json {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            },
        })?,
    };
    let from_flags = FailureSpec::from_means(
        mtbf.as_secs_f64() * 1e3,
        shape,
        mttr.as_secs_f64() * 1e3,
        REPAIR_SIGMA,
    );
    let own_default = file.default_model.is_some();
    let config = RiskConfig {
        replications,
        seed,
        default_model: Some(file.default_model.unwrap_or(from_flags)),
        models: file.models,
    };
    let report = simulate(&plan, &config)?;

    let p = plan.problem();
    writeln!(
        out,
        "plan {}: {} operations, {} orders, {} work centers; now {} UTC",
        input_path.display(),
        p.operations.len(),
        p.orders.len(),
        p.work_centers.len(),
        format_utc(p.now)
    )
    .map_err(io)?;
    let default_text = if own_default {
        "default model from the model file".to_owned()
    } else {
        format!(
            "failures Weibull (shape {shape}, MTBF {:.1} h), repairs lognormal (σ {REPAIR_SIGMA}, MTTR {:.1} h)",
            mtbf.as_secs_f64() / 3600.0,
            mttr.as_secs_f64() / 3600.0
        )
    };
    writeln!(
        out,
        "{default_text}; {} work centers with their own model",
        config.models.len()
    )
    .map_err(io)?;
    writeln!(
        out,
        "{} replications, seed {}, {:.0} ms",
        report.replications, report.seed, report.elapsed_ms
    )
    .map_err(io)?;
    writeln!(out).map_err(io)?;

    let t = &report.tardiness;
    writeln!(
        out,
        "weighted tardiness (Σ weight × h late): planned {:.1} | mean {:.1} | P50 {:.1} | P90 {:.1} | P95 {:.1} | max {:.1}",
        report.planned_weighted_tardiness_h, t.mean_h, t.p50_h, t.p90_h, t.p95_h, t.max_h
    )
    .map_err(io)?;
    let tallest = t
        .histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(1)
        .max(1);
    for bin in &t.histogram {
        let bar = "#".repeat((bin.count as usize * 40).div_ceil(tallest as usize));
        let line = format!(
            "  {:>10.1} – {:<10.1} {:>6}  {bar}",
            bin.from_h, bin.to_h, bin.count
        );
        writeln!(out, "{}", line.trim_end()).map_err(io)?;
    }
    let planned_on_time = report
        .orders
        .iter()
        .filter(|o| o.planned_completion <= o.due)
        .count();
    let at_risk = report
        .orders
        .iter()
        .filter(|o| o.planned_completion <= o.due && o.on_time_probability < 0.9)
        .count();
    writeln!(
        out,
        "expected on-time orders: {:.1} of {} (planned: {planned_on_time}); planned on time but below 90 %: {at_risk}",
        report.expected_on_time_orders(),
        report.orders.len()
    )
    .map_err(io)?;
    writeln!(out).map_err(io)?;

    // Lowest on-time probability first; among equals, orders the plan has on time come first (the risk the
    // planner cannot see in the plan itself), then the latest P90 relative to the due date.
    let mut riskiest: Vec<_> = report.orders.iter().collect();
    riskiest.sort_by(|a, b| {
        a.on_time_probability
            .total_cmp(&b.on_time_probability)
            .then((b.planned_completion <= b.due).cmp(&(a.planned_completion <= a.due)))
            .then((b.p90_completion - b.due).cmp(&(a.p90_completion - a.due)))
            .then(a.order.cmp(&b.order))
    });
    writeln!(out, "riskiest {} orders:", RISKIEST.min(riskiest.len())).map_err(io)?;
    writeln!(
        out,
        "{:<14} {:>6} {:<16}  {:<16}  {:>10}  {:<16}  {:<16}  {:>8}",
        "order", "weight", "due", "planned", "P(on time)", "P50", "P90", "P90 late"
    )
    .map_err(io)?;
    for o in riskiest.iter().take(RISKIEST) {
        writeln!(
            out,
            "{:<14} {:>6} {:<16}  {:<16}  {:>8.1} %  {:<16}  {:<16}  {:>7.1}h",
            o.order,
            o.weight,
            format_utc(o.due),
            format_utc(o.planned_completion),
            o.on_time_probability * 100.0,
            format_utc(o.p50_completion),
            format_utc(o.p90_completion),
            (o.p90_completion - o.due) as f64 / HOUR_MS as f64
        )
        .map_err(io)?;
    }
    Ok(report)
}
