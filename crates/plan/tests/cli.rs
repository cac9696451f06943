//! The `takt plan` entry points, driven the way the `takt` binary will drive them.

use std::path::PathBuf;

use clap::Parser;
use takt_plan::cli::{PlanCommand, load_optimal, run_to};
use takt_plan::{ParseError, PlanError};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: PlanCommand,
}

fn data(file: &str) -> String {
    format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Result<String, PlanError> {
    let cmd = Args::try_parse_from(std::iter::once("plan").chain(args.iter().copied()))
        .map_err(|e| PlanError::Usage(e.to_string()))?
        .cmd;
    let mut out = Vec::new();
    run_to(cmd, &mut out, false)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn solve_prints_makespan_gap_and_schedule() {
    let out = run(&[
        "solve",
        &data("la01.txt"),
        "--time",
        "5s",
        "--threads",
        "1",
        "--iterations",
        "5000",
    ])
    .expect("solves");
    assert!(
        out.contains("best makespan 666 (optimum 666, gap 0.00 %)"),
        "{out}"
    );
    assert_eq!(
        out.lines()
            .filter(|l| l.trim_start().starts_with('M'))
            .count(),
        5,
        "{out}"
    );
    assert!(out.contains("J"), "{out}");
}

#[test]
fn bench_prints_a_table() {
    let out = run(&[
        "bench",
        "--jobshop",
        &data(""),
        "--times",
        "100ms,300ms",
        "--instances",
        "ft06,la05",
    ])
    .expect("benches");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("@100ms") && lines[0].contains("@300ms"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("ft06") && lines[1].contains("6x6"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("la05") && lines[2].contains("593"),
        "{out}"
    );
    assert!(lines[3].starts_with("mean"), "{out}");
}

#[test]
fn bad_inputs_are_typed_errors() {
    assert!(matches!(
        run(&["solve", "/nonexistent/x.txt"]),
        Err(PlanError::Io { .. })
    ));
    assert!(matches!(
        run(&["solve", &data("la01.txt"), "--time", "10parsecs"]),
        Err(PlanError::Usage(_))
    ));
    let dir = tempdir();
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "instance bad\n2 2\n0 3 1 2\n1 4 zero 1\n").expect("write");
    match run(&["solve", bad.to_str().expect("utf8")]) {
        Err(PlanError::Parse {
            source: ParseError::InvalidNumber { line: 4, .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let csv = dir.join("optimal.csv");
    std::fs::write(
        &csv,
        "instance,jobs,machines,optimal_makespan\nbad,2,2,lots\n",
    )
    .expect("write");
    match load_optimal(&csv) {
        Err(e @ PlanError::Optimal { line: 2, .. }) => {
            assert!(e.to_string().contains(":2:"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        load_optimal(&dir.join("none.csv")).map(|t| t.len()).ok(),
        Some(0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("takt-plan-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn plant_generate_show_and_compare_scenarios() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("plan.json");
    let json = run(&[
        "generate",
        "--operations",
        "300",
        "--seed",
        "3",
        "--pinned",
        "0",
    ])
    .expect("generates");
    std::fs::write(&plan, &json).expect("write");
    let shown = run(&["show", plan.to_str().expect("utf-8")]).expect("shows");
    assert!(shown.starts_with("300 operations,"), "{shown}");
    assert!(shown.contains("weighted tardiness"), "{shown}");

    let input: serde_json::Value = serde_json::from_str(&json).expect("json");
    let wc = input["work_centers"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let now = input["now"].as_i64().expect("now");
    let scenario = dir.path().join("breakdown.json");
    std::fs::write(
        &scenario,
        serde_json::json!({"name": "long breakdown", "edits": [
            {"kind": "insert_breakdown", "work_center": wc, "start": now, "duration_ms": 3_600_000_i64 * 24 * 14}
        ]})
        .to_string(),
    )
    .expect("write");
    let compared = run(&[
        "compare",
        plan.to_str().expect("utf-8"),
        "--scenario",
        scenario.to_str().expect("utf-8"),
    ])
    .expect("compares");
    assert!(compared.contains("long breakdown"), "{compared}");
    let tardiness = compared
        .lines()
        .find(|l| l.starts_with("Weighted tardiness"))
        .expect("row");
    assert!(
        tardiness.contains("(+"),
        "a two-week breakdown adds tardiness: {tardiness}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name": "bad", "edits": [{"kind": "pin", "operation": "nope"}]}"#,
    )
    .expect("write");
    let err = run(&[
        "compare",
        plan.to_str().expect("utf-8"),
        "--scenario",
        bad.to_str().expect("utf-8"),
    ])
    .expect_err("refused");
    assert!(
        err.to_string()
            .contains("edit 1 of scenario `bad` refused: unknown operation `nope`"),
        "{err}"
    );

    std::fs::write(&plan, "{\n  \"now\": 0,\n  \"calendars\": 7\n}").expect("write");
    let err = run(&["show", plan.to_str().expect("utf-8")]).expect_err("bad file");
    assert!(
        err.to_string().contains("line 3, column 16: invalid type"),
        "names the line: {err}"
    );
}
