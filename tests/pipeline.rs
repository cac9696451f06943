//! Feed → broker → ingest → plant state, against a real Mosquitto.

use std::time::Duration;
use takt_model::StateKind;
use takt_plant::{FeedHealth, WorkCenterChange};
use takt_tests::{
    eventually, init_tracing, mosquitto_pub, port_of, shared_broker, subscribe, unique_enterprise,
};
use tokio::sync::broadcast;

async fn next_change(changes: &mut broadcast::Receiver<WorkCenterChange>) -> WorkCenterChange {
    tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a change within 5 s")
        .expect("change stream open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_reaches_the_plant_state_in_order() {
    init_tracing();
    let (broker, _own) = shared_broker();
    let root = unique_enterprise("order");
    let (plant, _stop) = subscribe(&broker, &root).await;
    let mut changes = plant.changes();
    let wc = format!("{root}/site/area/line-1/filler");

    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/state"),
        r#"{"timestamp_ms": 1000, "value": "running"}"#,
    );
    let c = next_change(&mut changes).await;
    assert_eq!(
        (c.path.as_str(), c.state, c.state_since_ms, c.feed),
        (
            wc.as_str(),
            StateKind::Running,
            Some(1000),
            FeedHealth::Live
        )
    );

    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/good"),
        r#"{"timestamp_ms": 1500, "value": 100}"#,
    );
    assert_eq!(next_change(&mut changes).await.good_total, Some(100));
    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/good"),
        r#"{"timestamp_ms": 1600, "value": 112}"#,
    );
    let c = next_change(&mut changes).await;
    assert_eq!((c.good_total, c.good), (Some(112), 12));

    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/state"),
        r#"{"timestamp_ms": 2000, "value": "down", "reason": "MECH-JAM"}"#,
    );
    let c = next_change(&mut changes).await;
    assert_eq!(
        (c.state, c.reason.as_deref(), c.state_since_ms),
        (StateKind::Down, Some("MECH-JAM"), Some(2000))
    );

    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/scrap"),
        r#"{"timestamp_ms": 2100, "value": 3}"#,
    );
    assert_eq!(next_change(&mut changes).await.scrap_total, Some(3));

    mosquitto_pub(
        port_of(&broker),
        &format!("{root}/site/area/line-1/order"),
        r#"{"value": "WO-9", "product": "P-9"}"#,
    );
    let p = plant.clone();
    let line = format!("{root}/site/area/line-1");
    eventually(
        Duration::from_secs(5),
        || {
            p.snapshot()
                .line(&line)
                .is_some_and(|l| l.order.as_deref() == Some("WO-9"))
        },
        "order on the line",
    )
    .await;
    let snap = plant.snapshot();
    let l = snap.line(&line).expect("line");
    assert_eq!(
        (l.product.as_deref(), l.output, l.scrap),
        (Some("P-9"), 12, 0),
        "output counts from the first reading; scrap baseline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_are_counted_per_topic_and_change_nothing() {
    init_tracing();
    let (broker, _own) = shared_broker();
    let root = unique_enterprise("bad");
    let (plant, _stop) = subscribe(&broker, &root).await;
    let wc = format!("{root}/site/area/line-1/press");
    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/state"),
        r#"{"value": "running"}"#,
    );
    let p = plant.clone();
    eventually(
        Duration::from_secs(5),
        || p.snapshot().work_center(&wc).is_some(),
        "the press to appear",
    )
    .await;

    let oversized = format!(r#"{{"value": 1, "pad": "{}"}}"#, "x".repeat(100_000));
    let bad = [
        (format!("{wc}/state"), "{not json".to_owned()),
        (format!("{wc}/good"), r#"{"value": "lots"}"#.to_owned()),
        (format!("{wc}/good"), oversized),
        // A number here would be a measurement; text under an unknown tag is an error.
        (
            format!("{wc}/temperature"),
            r#"{"value": "hot"}"#.to_owned(),
        ),
        (format!("{root}/stray"), r#"{"value": 1}"#.to_owned()),
        (format!("{wc}/state"), r#"{"value": "exploded"}"#.to_owned()),
    ];
    for (topic, payload) in &bad {
        mosquitto_pub(port_of(&broker), topic, payload);
    }
    let p = plant.clone();
    eventually(
        Duration::from_secs(5),
        || p.snapshot().diagnostics.errors_total == 6,
        "six decode errors",
    )
    .await;
    let snap = plant.snapshot();
    let errors = |topic: &str| {
        snap.diagnostics
            .topics
            .iter()
            .find(|t| t.topic == topic)
            .map_or(0, |t| t.errors)
    };
    assert_eq!(errors(&format!("{wc}/state")), 2);
    assert_eq!(errors(&format!("{wc}/good")), 2);
    assert_eq!(errors(&format!("{wc}/temperature")), 1);
    let state_topic = snap
        .diagnostics
        .topics
        .iter()
        .find(|t| t.topic == format!("{wc}/state"))
        .expect("state topic");
    assert!(
        state_topic
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("unknown state"),
        "{state_topic:?}"
    );
    let press = snap.work_center(&wc).expect("press");
    assert_eq!(
        (press.state.kind, press.good),
        (StateKind::Running, 0),
        "bad input changed nothing"
    );
    assert!(press.measurements.is_empty());

    // The feed is still alive: the next good message is applied.
    mosquitto_pub(
        port_of(&broker),
        &format!("{wc}/state"),
        r#"{"value": "idle"}"#,
    );
    let p = plant.clone();
    eventually(
        Duration::from_secs(5),
        || {
            p.snapshot()
                .work_center(&wc)
                .is_some_and(|w| w.state.kind == StateKind::Idle)
        },
        "recovery",
    )
    .await;
}
