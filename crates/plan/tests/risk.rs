//! Monte Carlo risk on whole plans: exactness without failures, reproducibility, monotonicity, typed errors.

use takt_plan::plant::generate::{GeneratorConfig, generate};
use takt_plan::plant::input::HOUR_MS;
use takt_plan::plant::{
    Distribution, FailureModel, FailureSpec, Plan, PlanInput, RiskConfig, RiskError, RiskReport,
    simulate,
};

fn generated(ops: usize, seed: u64) -> Plan {
    Plan::from_input(&generate(&GeneratorConfig::new(ops, seed))).expect("generated plan loads")
}

fn config(replications: u32, seed: u64, default_model: Option<FailureSpec>) -> RiskConfig {
    RiskConfig {
        replications,
        seed,
        models: Vec::new(),
        default_model,
    }
}

fn hours(h: f64) -> f64 {
    h * HOUR_MS as f64
}

fn weibull(mtbf_h: f64) -> FailureSpec {
    FailureSpec::from_means(hours(mtbf_h), 1.5, hours(3.0), 0.5)
}

/// The report without its wall-clock time, for comparisons.
fn timeless(mut r: RiskReport) -> RiskReport {
    r.elapsed_ms = 0.0;
    r
}

fn in_pool(threads: usize, plan: &Plan, cfg: &RiskConfig) -> RiskReport {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    timeless(pool.install(|| simulate(plan, cfg)).expect("simulates"))
}

fn assert_matches_plan(plan: &Plan, report: &RiskReport) {
    for (o, risk) in report.orders.iter().enumerate() {
        let planned = plan.order_completion(o as u32);
        assert_eq!(risk.planned_completion, planned, "{}", risk.order);
        assert_eq!(risk.p50_completion, planned, "{}", risk.order);
        assert_eq!(risk.p90_completion, planned, "{}", risk.order);
        let expected = if planned <= risk.due { 1.0 } else { 0.0 };
        assert_eq!(risk.on_time_probability, expected, "{}", risk.order);
    }
    let t = &report.tardiness;
    let planned = plan.weighted_tardiness_h();
    assert!((t.min_h - planned).abs() < 1e-6 * planned.max(1.0));
    assert!((t.max_h - planned).abs() < 1e-6 * planned.max(1.0));
    assert_eq!(t.histogram.len(), 1);
}

#[test]
fn without_failures_every_replication_is_the_plan() {
    let plan = generated(800, 3);
    let report = simulate(&plan, &config(16, 1, None)).expect("simulates");
    assert_eq!(report.orders.len(), plan.problem().orders.len());
    assert!(report.orders.iter().any(|o| o.on_time_probability == 0.0));
    assert!(report.orders.iter().any(|o| o.on_time_probability == 1.0));
    assert_matches_plan(&plan, &report);

    // A failure model whose first failure lies centuries ahead changes nothing either.
    let never = FailureSpec {
        time_between_failures: Distribution::Fixed { ms: 1e15 },
        time_to_repair: Distribution::Fixed { ms: 1.0 },
    };
    let report = simulate(&plan, &config(16, 1, Some(never))).expect("simulates");
    assert_matches_plan(&plan, &report);
}

#[test]
fn reports_depend_on_the_seed_only() {
    let plan = generated(600, 11);
    let cfg = config(64, 7, Some(weibull(60.0)));
    let one = in_pool(1, &plan, &cfg);
    let two = in_pool(2, &plan, &cfg);
    let three = in_pool(3, &plan, &cfg);
    assert_eq!(one, two);
    assert_eq!(one, three);
    assert_eq!(one, in_pool(2, &plan, &cfg));
    let other = in_pool(2, &plan, &RiskConfig { seed: 8, ..cfg });
    assert_ne!(one.tardiness, other.tardiness);
}

#[test]
fn more_failures_mean_more_risk() {
    let plan = generated(600, 5);
    let mut previous: Option<(f64, f64)> = None;
    for mtbf_h in [800.0, 200.0, 50.0, 12.0] {
        let r = simulate(&plan, &config(200, 3, Some(weibull(mtbf_h)))).expect("simulates");
        let on_time = r.expected_on_time_orders();
        let tardiness = r.tardiness.mean_h;
        assert!(
            r.orders
                .iter()
                .all(|o| o.p50_completion <= o.p90_completion)
        );
        assert!(
            r.orders
                .iter()
                .all(|o| o.p50_completion >= o.planned_completion),
            "right-shift never finishes earlier than planned"
        );
        if let Some((on_time_before, tardiness_before)) = previous {
            assert!(
                on_time < on_time_before,
                "MTBF {mtbf_h} h: {on_time} on time vs {on_time_before}"
            );
            assert!(
                tardiness > tardiness_before,
                "MTBF {mtbf_h} h: tardiness {tardiness} vs {tardiness_before}"
            );
        }
        previous = Some((on_time, tardiness));
    }
    let (_, tardiness) = previous.expect("ran");
    assert!(tardiness > plan.weighted_tardiness_h());
}

/// Two work centers around the clock; order O runs A (10 h on M1) then B (2 h on M2).
fn two_step_plan(due_h: i64) -> Plan {
    let h = HOUR_MS;
    let input: PlanInput = serde_json::from_value(serde_json::json!({
        "now": 0,
        "calendars": [{ "id": "always", "working": [{ "start": 0, "end": 1000 * h }] }],
        "work_centers": [
            { "id": "M1", "calendar": "always" },
            { "id": "M2", "calendar": "always" }
        ],
        "products": [{ "id": "P" }],
        "orders": [{ "id": "O", "product": "P", "quantity": 1.0, "release": 0, "due": due_h * h }],
        "operations": [
            { "id": "A", "order": "O", "alternatives": [{ "work_center": "M1", "duration_ms": 10 * h }] },
            { "id": "B", "order": "O", "predecessors": ["A"],
              "alternatives": [{ "work_center": "M2", "duration_ms": 2 * h }] }
        ]
    }))
    .expect("valid json");
    Plan::from_input(&input).expect("plan loads")
}

#[test]
fn breakdowns_shift_the_rest_of_the_routing_right() {
    let h = HOUR_MS;
    let fixed = |ms: i64| Distribution::Fixed { ms: ms as f64 };
    let cfg = RiskConfig {
        replications: 5,
        seed: 1,
        models: vec![FailureModel {
            work_center: "M1".into(),
            time_between_failures: fixed(4 * h),
            time_to_repair: fixed(h),
        }],
        default_model: None,
    };
    // M1 is down [4, 5) and [9, 10): A ends at 12 h instead of 10, B at 14 h instead of 12.
    let plan = two_step_plan(13);
    let r = simulate(&plan, &cfg).expect("simulates");
    let o = &r.orders[0];
    assert_eq!(o.planned_completion, 12 * h);
    assert_eq!((o.p50_completion, o.p90_completion), (14 * h, 14 * h));
    assert_eq!(o.on_time_probability, 0.0);
    assert!((r.tardiness.mean_h - 1.0).abs() < 1e-9);
    let plan = two_step_plan(14);
    assert_eq!(
        simulate(&plan, &cfg).expect("simulates").orders[0].on_time_probability,
        1.0
    );
}

#[test]
fn invalid_configs_are_typed_errors() {
    let plan = two_step_plan(20);
    let good = weibull(80.0);
    let model = |wc: &str, spec: FailureSpec| FailureModel {
        work_center: wc.into(),
        time_between_failures: spec.time_between_failures,
        time_to_repair: spec.time_to_repair,
    };
    let run = |cfg: RiskConfig| simulate(&plan, &cfg).map(|_| ());

    assert!(matches!(
        run(config(0, 1, None)),
        Err(RiskError::Replications { value: 0, .. })
    ));
    assert!(matches!(
        run(config(200_000, 1, None)),
        Err(RiskError::Replications { .. })
    ));
    let unknown = RiskConfig {
        models: vec![model("M9", good)],
        ..config(10, 1, None)
    };
    assert_eq!(
        run(unknown),
        Err(RiskError::UnknownWorkCenter { id: "M9".into() })
    );
    let twice = RiskConfig {
        models: vec![model("M1", good), model("M1", good)],
        ..config(10, 1, None)
    };
    assert!(matches!(run(twice), Err(RiskError::DuplicateModel { .. })));
    for bad in [
        FailureSpec::from_means(hours(80.0), f64::NAN, hours(3.0), 0.5),
        FailureSpec::from_means(hours(80.0), 1.5, hours(3.0), 0.0),
        FailureSpec::from_means(-1.0, 1.5, hours(3.0), 0.5),
        FailureSpec::from_means(hours(80.0), 1.5, f64::INFINITY, 0.5),
        FailureSpec {
            time_between_failures: Distribution::Fixed { ms: 0.0 },
            time_to_repair: Distribution::Exponential { mean_ms: 1.0 },
        },
    ] {
        assert!(matches!(
            run(config(10, 1, Some(bad))),
            Err(RiskError::InvalidParameter { .. })
        ));
        let per_wc = RiskConfig {
            models: vec![model("M2", bad)],
            ..config(10, 1, None)
        };
        assert!(matches!(
            run(per_wc),
            Err(RiskError::InvalidParameter { .. })
        ));
    }
}

#[test]
fn config_round_trips_through_json() {
    let cfg = RiskConfig {
        models: vec![FailureModel {
            work_center: "M1".into(),
            time_between_failures: Distribution::Exponential { mean_ms: 5.0 },
            time_to_repair: Distribution::Lognormal {
                median_ms: 2.0,
                sigma: 0.3,
            },
        }],
        ..config(10, 1, Some(weibull(80.0)))
    };
    let text = serde_json::to_string(&cfg).expect("serializes");
    assert!(text.contains(r#""kind":"weibull""#), "{text}");
    let back: RiskConfig = serde_json::from_str(&text).expect("parses");
    assert_eq!(back, cfg);
}

#[derive(clap::Parser)]
struct Args {
    #[command(subcommand)]
    cmd: takt_plan::cli::PlanCommand,
}

#[test]
fn cli_prints_the_tardiness_spread_and_the_riskiest_orders() {
    use clap::Parser;
    use takt_plan::PlanError;

    let dir = std::env::temp_dir().join(format!("takt-plan-risk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plan_path = dir.join("plan.json");
    let input = generate(&GeneratorConfig::new(300, 2));
    std::fs::write(&plan_path, serde_json::to_string(&input).expect("json")).expect("write");
    let plan_arg = plan_path.to_str().expect("utf8");
    let run = |extra: &[&str]| {
        let args = [
            "plan",
            "risk",
            plan_arg,
            "--replications",
            "50",
            "--seed",
            "3",
        ];
        let cmd = Args::try_parse_from(args.iter().chain(extra))
            .map_err(|e| PlanError::Usage(e.to_string()))?
            .cmd;
        let mut out = Vec::new();
        takt_plan::cli::run_to(cmd, &mut out, false)?;
        Ok::<_, PlanError>(String::from_utf8_lossy(&out).into_owned())
    };

    let out = run(&["--mtbf", "40h", "--mttr", "4h", "--weibull-shape", "1.2"]).expect("runs");
    assert!(out.contains("50 replications, seed 3"), "{out}");
    assert!(out.contains("weighted tardiness"), "{out}");
    assert!(out.contains("riskiest 20 orders:"), "{out}");
    assert!(out.contains("2026-1"), "UTC times: {out}");
    let rows = out.lines().filter(|l| l.starts_with("WO-")).count();
    assert_eq!(rows, 20, "{out}");

    // A model file: one work center that never fails and a default from the file.
    let wc = &input.work_centers[0].id;
    let model_path = dir.join("risk.json");
    std::fs::write(
        &model_path,
        format!(
            r#"{{"models": [{{"work_center": "{wc}",
                "time_between_failures": {{"kind": "fixed", "ms": 1e15}},
                "time_to_repair": {{"kind": "fixed", "ms": 1}}}}],
              "default_model": {{
                "time_between_failures": {{"kind": "exponential", "mean_ms": 3.6e8}},
                "time_to_repair": {{"kind": "lognormal", "median_ms": 7.2e6, "sigma": 0.4}}}}}}"#
        ),
    )
    .expect("write");
    let out = run(&["--model", model_path.to_str().expect("utf8")]).expect("runs");
    assert!(
        out.contains("default model from the model file; 1 work centers"),
        "{out}"
    );

    std::fs::write(&model_path, r#"{"models": [{"work_center": "nope","#).expect("write");
    assert!(matches!(
        run(&["--model", model_path.to_str().expect("utf8")]),
        Err(PlanError::Input { .. })
    ));
    assert!(matches!(
        run(&["--weibull-shape", "0"]),
        Err(PlanError::Risk(RiskError::InvalidParameter { .. }))
    ));
    assert!(matches!(run(&["--mtbf", "soon"]), Err(PlanError::Usage(_))));
    let _ = std::fs::remove_dir_all(&dir);
}
