//! A whole Takt (demo broker, simulator, feed, plant state, historian) on a real SQLite file.

use std::time::Duration;
use takt_plant::LinkState;
use takt_runtime::{Paths, Settings, Takt, TaktOptions};
use takt_store::Store;
use takt_tests::{eventually, init_tracing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_plant_runs_and_its_history_lands_in_the_database() {
    init_tracing();
    let home = tempfile::tempdir().expect("temp dir");
    let paths = Paths::under(home.path().to_path_buf());
    let takt = Takt::start(Settings::default(), paths.clone(), Default::default()).await;
    assert!(
        takt.demo_broker()
            .is_some_and(|url| url.starts_with("mqtt://127.0.0.1:") && !url.ends_with(":1883"))
    );
    let plant = takt.plant().clone();
    eventually(
        Duration::from_secs(20),
        || {
            let s = plant.snapshot();
            s.broker.state == LinkState::Connected
                && s.lines.len() == 6
                && s.work_centers.iter().all(|w| w.last_message_ms.is_some())
        },
        "all 25 demo work centers live",
    )
    .await;
    assert_eq!(plant.snapshot().database.state, LinkState::Connected);
    let filler = "acme/freiburg/packaging/line-1/filler";
    // The historian flushes every 500 ms.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The shift report of the running shift's day, drawn from that history (SVG: no font needed).
    let line_1 = plant
        .snapshot()
        .line("acme/freiburg/packaging/line-1")
        .cloned()
        .expect("line-1");
    let day = line_1
        .shift
        .as_ref()
        .map(|s| s.date.to_string())
        .expect("a running shift");
    let report = takt
        .save_shift_report(line_1.path.as_str(), &day, takt_report::ReportFormat::Svg)
        .await
        .expect("shift report");
    let svg = std::fs::read_to_string(&report).expect("report file");
    assert!(report.starts_with(&paths.data_dir), "{}", report.display());
    assert!(
        svg.starts_with("<svg") && svg.contains("line-1"),
        "{}",
        &svg[..svg.len().min(300)]
    );
    let unknown = takt
        .save_shift_report(
            "acme/nowhere/x/line-9",
            &day,
            takt_report::ReportFormat::Svg,
        )
        .await;
    assert!(unknown.is_err(), "an unknown line is an error");
    takt.shutdown().await;

    let store = Store::open_file(&paths.database_file())
        .await
        .expect("reopen");
    let plant_model = store.load_plant().await.expect("load").expect("seeded");
    assert_eq!(plant_model.lines().len(), 6);
    assert!(store.work_orders().await.expect("orders").len() > 100);
    let path = takt_model::EquipmentPath::parse(filler).expect("path");
    let states = store
        .state_history(&path, 0, i64::MAX)
        .await
        .expect("history");
    assert!(!states.is_empty(), "state history recorded for the filler");
    let counts = store
        .counter_history(&path, takt_model::CounterKind::Good, 0, i64::MAX)
        .await
        .expect("counts");
    assert!(
        !counts.is_empty(),
        "counter history recorded for the filler"
    );
    // Which order and product each line ran: what OEE needs to cost parts at the right ideal cycle.
    let line = takt_model::EquipmentPath::parse("acme/freiburg/packaging/line-1").expect("path");
    let orders = store
        .order_history(&line, 0, i64::MAX)
        .await
        .expect("order history");
    assert!(
        orders
            .iter()
            .any(|o| o.order.is_some() && o.product.is_some()),
        "order history recorded for line-1: {orders:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_database_is_reported_and_the_live_view_still_works() {
    init_tracing();
    let home = tempfile::tempdir().expect("temp dir");
    // The database's directory would have to live inside a regular file: impossible.
    let blocker = home.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").expect("write");
    let settings = Settings {
        database_url: Some(format!("sqlite://{}/takt.db", blocker.display())),
        ..Settings::default()
    };
    let takt = Takt::start(
        settings,
        Paths::under(home.path().to_path_buf()),
        Default::default(),
    )
    .await;
    let plant = takt.plant().clone();
    eventually(
        Duration::from_secs(20),
        || plant.snapshot().broker.state == LinkState::Connected,
        "live feed",
    )
    .await;
    let snap = plant.snapshot();
    assert_eq!(snap.database.state, LinkState::Down);
    assert!(snap.database.error.is_some(), "{:?}", snap.database);
    assert!(
        snap.database
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("database URL"),
        "{:?}",
        snap.database
    );
    eventually(
        Duration::from_secs(10),
        || plant.snapshot().lines.len() == 6,
        "demo lines from the built-in definition",
    )
    .await;
    takt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_shift_continues_the_shift_counts() {
    init_tracing();
    let home = tempfile::tempdir().expect("temp dir");
    let paths = Paths::under(home.path().to_path_buf());
    // Priming is for real plants; the demo plant stands in for one here.
    let options = || TaktOptions {
        prime_shift_counts: Some(true),
        ..TaktOptions::default()
    };
    let takt = Takt::start(Settings::default(), paths.clone(), options()).await;
    let plant = takt.plant().clone();
    eventually(
        Duration::from_secs(30),
        || {
            plant
                .snapshot()
                .lines
                .iter()
                .filter(|l| l.shift.is_some() && l.output >= 5)
                .count()
                >= 3
        },
        // A line may break down early on: half the lines making parts is enough here.
        "three demo lines to make a few parts",
    )
    .await;
    takt.shutdown().await; // flushes the historian
    let before = plant.snapshot();

    let takt = Takt::start(Settings::default(), paths, options()).await;
    let plant = takt.plant().clone();
    eventually(
        Duration::from_secs(20),
        || {
            plant
                .snapshot()
                .lines
                .iter()
                .all(|l| l.shift.is_some() && l.order.is_some())
        },
        "shifts and orders after the restart",
    )
    .await;
    // Two ticks of the plant state: enough to credit a primed target, far too little to
    // re-earn the first run's target from zero.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let after = plant.snapshot();
    for line in &before.lines {
        let now = after.line(line.path.as_str()).expect("same lines");
        eprintln!(
            "[restart] {}: output {} -> {}, target {} -> {}",
            line.path, line.output, now.output, line.target_so_far, now.target_so_far
        );
        if now.shift.as_ref().map(|s| s.start_ms) == line.shift.as_ref().map(|s| s.start_ms) {
            assert!(
                now.output >= line.output,
                "{}: shift output fell from {} to {} across the restart",
                line.path,
                line.output,
                now.output
            );
            assert!(
                now.target_so_far >= line.target_so_far,
                "{}: target fell from {} to {}: it restarted instead of covering the recorded shift",
                line.path,
                line.target_so_far,
                now.target_so_far
            );
        }
    }
    takt.shutdown().await;
}
