//! `takt report shift`: the report file, and clear errors for the cases people run into.

use std::process::Command;
use takt_model::{Area, Line, Plant, Site, WorkCenter};

fn takt(args: &[&str], home: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_takt"))
        .args(args)
        .env("TAKT_HOME", home)
        .output()
        .unwrap();
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
