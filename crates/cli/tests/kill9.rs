//! Kill -9 mid-write: a headless Takt (`takt serve`, demo plant, historian writing in batches) is killed
//! without warning; its SQLite history must be intact on restart, with at most the last batch lost.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use takt_model::{CounterKind, EquipmentPath};

async fn rows(home: &std::path::Path) -> (usize, usize) {
    let store = takt_store::Store::open_file(&home.join("data/takt.db"))
        .await
        .expect("database opens after the kill");
    let filler = EquipmentPath::parse("acme/freiburg/packaging/line-1/filler").expect("path");
    let states = store
        .state_history(&filler, 0, i64::MAX)
        .await
        .expect("state history readable")
        .len();
    let counts = store
        .counter_history(&filler, CounterKind::Good, 0, i64::MAX)
        .await
        .expect("counter history readable")
        .len();
    store.close().await;
    (states, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_survives_kill_9_and_the_app_restarts_on_it() {
    let home = tempfile::tempdir().expect("temp dir");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_takt"))
            .arg("serve")
            .env("TAKT_HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start takt serve")
    };
    let mut takt = spawn();
    // Long enough for several historian batches (every 500 ms) from the demo plant.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    takt.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix: no shutdown, no flush.
    takt.wait().expect("reaped");

    // The database is consistent (SQLite's own check) and holds what was written before the kill.
    let url = format!("sqlite://{}", home.path().join("data/takt.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity_check");
    assert_eq!(check.0, "ok");
    pool.close().await;
    let (states, counts) = rows(home.path()).await;
    assert!(
        states > 0 && counts > 0,
        "history before the kill: {states} states, {counts} counts"
    );

    // Takt starts again on the same files and keeps recording.
    let mut again = spawn();
    tokio::time::sleep(Duration::from_secs(4)).await;
    again.kill().expect("SIGKILL");
    again.wait().expect("reaped");
    let (states_after, counts_after) = rows(home.path()).await;
    assert!(
        counts_after > counts,
        "recording resumed: {counts} → {counts_after} counts"
    );
    assert!(states_after >= states);
}
