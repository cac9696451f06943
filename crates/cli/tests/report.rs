//! `takt report shift`: the report file, and clear errors for the cases people run into.

use std::process::Command;
use takt_model::{Area, Line, Plant, Site, WorkCenter};

/// Runs `takt` with `TAKT_HOME` set to `home`.
fn takt_output(args: &[&str], home: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_takt"))
        .args(args)
        .env("TAKT_HOME", home)
        .output()
        .unwrap()
}

fn takt(args: &[&str], home: &std::path::Path) -> (bool, String) {
    let out = takt_output(args, home);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A database with one line and no history.
fn database(dir: &std::path::Path) -> String {
    let file = dir.join("plant.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = takt_store::Store::open_file(&file).await.unwrap();
        store
            .save_plant(&Plant {
                enterprise: "acme".into(),
                sites: vec![Site {
                    name: "s1".into(),
                    timezone: "UTC".into(),
                    areas: vec![Area {
                        name: "a1".into(),
                        lines: vec![Line {
                            name: "l1".into(),
                            description: String::new(),
                            work_centers: vec![WorkCenter {
                                name: "wc1".into(),
                                description: String::new(),
                            }],
                        }],
                    }],
                }],
            })
            .await
            .unwrap();
        store.close().await;
    });
    format!("sqlite://{}", file.display())
}

#[test]
fn report_errors_say_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(dir.path());
    let shift = |line: &str, date: &str, db: &str| {
        takt(
            &[
                "report",
                "shift",
                "--line",
                line,
                "--date",
                date,
                "--database",
                db,
                "--out",
                "-",
            ],
            dir.path(),
        )
    };

    let (ok, err) = shift("acme/s1/a1/nope", "2026-07-01", &url);
    assert!(!ok);
    assert!(
        err.contains("`acme/s1/a1/nope` is not a known line"),
        "{err}"
    );

    let (ok, err) = shift("acme/s1/a1/l1", "2026-07-01", &url);
    assert!(!ok);
    assert!(
        err.contains("no history for `acme/s1/a1/l1` on 2026-07-01"),
        "{err}"
    );

    let (ok, err) = shift("acme//l1", "2026-07-01", &url);
    assert!(!ok);
    assert!(err.contains("is not an equipment path"), "{err}");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let (ok, err) = shift(
        "acme/s1/a1/l1",
        "2026-07-01",
        &format!("sqlite://{}", garbage.display()),
    );
    assert!(!ok);
    assert!(err.contains("database"), "{err}");

    let missing = dir.path().join("missing.db");
    let (ok, err) = shift(
        "acme/s1/a1/l1",
        "2026-07-01",
        &format!("sqlite://{}", missing.display()),
    );
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    assert!(!missing.exists(), "a report never creates a database");

    // Without --database: the app's database under TAKT_HOME, which does not exist yet.
    let (ok, err) = takt(
        &[
            "report",
            "shift",
            "--line",
            "acme/s1/a1/l1",
            "--date",
            "2026-07-01",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(
        err.contains(
            &dir.path()
                .join("data")
                .join("takt.db")
                .display()
                .to_string()
        ),
        "{err}"
    );

    let (ok, err) = shift("acme/s1/a1/l1", "2026-13-01", &url);
    assert!(!ok);
    assert!(err.contains("--date"), "{err}");
}

/// Two days of seeded history (one line of five work centers) in `file`; what was written.
fn seeded_history(file: &std::path::Path) -> takt_report::GeneratedDatabase {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = takt_store::Store::open_file(file).await.unwrap();
        let g = takt_report::fill_generated_history(&store, 5, 2, 42, 2_000)
            .await
            .unwrap();
        store.close().await;
        g
    })
}

/// `takt report shift` writes a PDF when asked by `--format` or by the file's extension.
#[test]
fn report_shift_as_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.db");
    let g = seeded_history(&file);
    let url = format!("sqlite://{}", file.display());
    let line = g.lines[0].to_string();
    // Noon UTC is on the site's (Europe/Berlin) first production day too.
    let date = chrono::DateTime::from_timestamp_millis(g.range.start + 12 * 3_600_000)
        .unwrap()
        .date_naive()
        .to_string();
    let shift = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "shift",
            "--line",
            &line,
            "--date",
            &date,
            "--database",
            &url,
        ];
        args.extend_from_slice(extra);
        takt_output(&args, dir.path())
    };

    let by_extension = dir.path().join("report.pdf");
    let out = shift(&["--out", by_extension.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    // Machines without any font: the error says what to install (as for PNG).
    if !out.status.success() && err.contains("need a TrueType font") {
        assert!(err.contains("fonts-dejavu-core"), "{err}");
        eprintln!("skipping the PDF check: {err}");
        return;
    }
    assert!(out.status.success(), "{err}");
    assert!(err.contains("report.pdf"), "{err}");
    let pdf = std::fs::read(&by_extension).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        String::from_utf8_lossy(&pdf)
            .matches("/Type /Page\n")
            .count(),
        1
    );

    let to_stdout = shift(&["--format", "pdf", "--out", "-"]);
    assert!(to_stdout.status.success());
    assert!(to_stdout.stdout.starts_with(b"%PDF-"));

    let out = shift(&["--format", "docx", "--out", "-"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("png, svg or pdf"), "{err}");
}

/// `takt report oee` over two days of seeded history: the JSON is the library's result, the
/// table carries the same total, and bad ranges are explained.
#[test]
fn report_oee_over_any_range() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.db");
    let range = seeded_history(&file).range;
    let expected = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = takt_store::Store::open_file(&file).await.unwrap();
        let scope = takt_model::EquipmentPath::parse("acme/plant").unwrap();
        let r = takt_report::scope_oee(
            &store,
            &scope,
            takt_oee::Interval::new(range.start, range.start + 2 * 86_400_000),
            takt_report::HistoryOptions {
                reasons: takt_runtime::default_reason_tree(),
                now_ms: range.start + 2 * 86_400_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        store.close().await;
        r
    });
    let url = format!("sqlite://{}", file.display());
    let rfc = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .to_rfc3339()
    };
    let (from, to) = (rfc(range.start), rfc(range.start + 2 * 86_400_000));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "oee",
            "--scope",
            "acme/plant",
            "--from",
            &from,
            "--to",
            &to,
            "--database",
            &url,
        ];
        args.extend_from_slice(extra);
        takt_output(&args, dir.path())
    };
    let json = run(&["--json"]);
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        parsed["lines"].as_array().unwrap().len(),
        expected.lines.len()
    );
    assert_eq!(parsed["total"]["good"], expected.total.good);
    assert!(expected.total.good > 0 && expected.total.oee > 0.0);
    let oee = parsed["total"]["oee"].as_f64().unwrap();
    assert!((oee - expected.total.oee).abs() < 1e-9);

    let text = run(&[]);
    let text = String::from_utf8_lossy(&text.stdout);
    let total = text.lines().find(|l| l.starts_with("total")).unwrap();
    assert!(
        total.contains(&format!("{:5.1} %", expected.total.oee * 100.0)),
        "{total}"
    );
    assert!(text.contains("stop reasons (Pareto by duration)"), "{text}");

    let (ok, err) = takt(
        &[
            "report",
            "oee",
            "--scope",
            "acme/plant",
            "--from",
            "2026-07-02",
            "--to",
            "2026-07-01",
            "--database",
            &url,
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("--to must be after --from"), "{err}");
    let (ok, err) = takt(
        &[
            "report",
            "oee",
            "--scope",
            "acme/plant",
            "--from",
            "soon",
            "--to",
            "2026-07-01",
            "--database",
            &url,
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("is not a time"), "{err}");
}
