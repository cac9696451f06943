//! `takt plan optimize` and `takt plan bench --plant`, driven the way the `takt` binary drives them.

use std::path::PathBuf;

use clap::Parser;
use takt_plan::cli::{PlanCommand, run_to};
use takt_plan::cli_plant::load_plan;
use takt_plan::plant::check_feasible;
use takt_plan::plant::generate::{GeneratorConfig, generate};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: PlanCommand,
}

fn run(args: &[&str]) -> String {
    let cmd = Args::try_parse_from(std::iter::once("plan").chain(args.iter().copied()))
        .expect("valid arguments")
        .cmd;
    let mut out = Vec::new();
    run_to(cmd, &mut out, false).expect("runs");
    String::from_utf8_lossy(&out).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("takt-plan-cli-optimize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn optimize_prints_kpis_and_writes_a_loadable_plan() {
    let plan = scratch("plan.json");
    let improved = scratch("improved.json");
    let input = generate(&GeneratorConfig::new(400, 2));
    std::fs::write(&plan, serde_json::to_string(&input).expect("serialises")).expect("writes");
    let out = run(&[
        "optimize",
        plan.to_str().expect("utf-8 path"),
        "--time",
        "300ms",
        "--threads",
        "1",
        "--out",
        improved.to_str().expect("utf-8 path"),
    ]);
    assert!(out.contains("before: weighted tardiness"), "{out}");
    assert!(out.contains("after:  weighted tardiness"), "{out}");
    assert!(out.contains("stop: TimeLimit"), "{out}");
    let (_, loaded) = load_plan(&improved).expect("the improved plan loads");
    check_feasible(&loaded).expect("and is feasible");
    let _ = std::fs::remove_dir_all(plan.parent().expect("dir"));
}

#[test]
fn bench_plant_prints_propagation_and_optimizer_rows_per_size() {
    let out = run(&[
        "bench",
        "--plant",
        "200,300",
        "--edits",
        "50",
        "--times",
        "50ms,100ms",
        "--threads",
        "1",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].contains("edit p99"), "{out}");
    assert!(lines[1].trim_start().starts_with("200"), "{out}");
    assert!(
        lines[3].contains("WT@50ms h") && lines[3].contains("WT@100ms h"),
        "{out}"
    );
    assert!(lines[4].trim_start().starts_with("200"), "{out}");
}
