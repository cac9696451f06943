//! The feed survives its broker dying and coming back.

use std::time::Duration;
use takt_model::StateKind;
use takt_plant::{FeedHealth, LinkState};
use takt_tests::{OwnMosquitto, eventually, init_tracing, mosquitto_pub, subscribe};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_mid_stream_is_survived_and_recovered() {
    init_tracing();
    let mut broker = OwnMosquitto::start();
    let (plant, _stop) = subscribe(&broker.url(), "plant").await;
    let p = plant.clone();

    let wc = "plant/site/area/line/oven";
    for (i, state) in ["running", "idle", "running"].iter().enumerate() {
        mosquitto_pub(
            broker.port,
            &format!("{wc}/state"),
            &format!(r#"{{"timestamp_ms": {}, "value": "{state}"}}"#, 1000 + i),
        );
        mosquitto_pub(
            broker.port,
            &format!("{wc}/good"),
            &format!(r#"{{"timestamp_ms": {}, "value": {}}}"#, 1000 + i, 10 * i),
        );
    }
    eventually(
        Duration::from_secs(5),
        || p.snapshot().work_center(wc).is_some_and(|w| w.good == 20),
        "messages before the outage",
    )
    .await;

    broker.kill();
    eventually(
        Duration::from_secs(10),
        || p.snapshot().broker.state != LinkState::Connected,
        "the outage to be noticed",
    )
    .await;
    let snap = plant.snapshot();
    assert!(
        snap.broker.error.is_some() || snap.broker.state == LinkState::Connecting,
        "{:?}",
        snap.broker
    );
    eventually(
        Duration::from_secs(5),
        || {
            p.snapshot()
                .work_center(wc)
                .is_some_and(|w| w.feed == FeedHealth::Stale)
        },
        "stale during the outage",
    )
    .await;
    eventually(
        Duration::from_secs(5),
        || {
            let b = p.snapshot().broker.clone();
            b.state == LinkState::Down && b.hint.as_deref().unwrap_or("").contains("Settings")
        },
        "the link shown down with a hint naming the setting",
    )
    .await;
    let down = plant.snapshot();
    let oven = down.work_center(wc).expect("oven");
    assert_eq!(
        (oven.state.kind, oven.good),
        (StateKind::Running, 20),
        "last known values kept"
    );

    // Back after two seconds: reconnected and resubscribed (a clean session forgot it).
    tokio::time::sleep(Duration::from_secs(2)).await;
    broker.restart();
    eventually(
        Duration::from_secs(10),
        || p.snapshot().broker.state == LinkState::Connected,
        "reconnection",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    mosquitto_pub(
        broker.port,
        &format!("{wc}/state"),
        r#"{"timestamp_ms": 5000, "value": "down", "reason": "POWER"}"#,
    );
    eventually(
        Duration::from_secs(5),
        || {
            p.snapshot()
                .work_center(wc)
                .is_some_and(|w| w.state.kind == StateKind::Down && w.feed == FeedHealth::Live)
        },
        "messages after the restart",
    )
    .await;
    assert_eq!(
        plant
            .snapshot()
            .work_center(wc)
            .and_then(|w| w.state.reason.clone())
            .as_deref(),
        Some("POWER")
    );
}
