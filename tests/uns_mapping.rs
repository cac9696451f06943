//! UNS JSON under a plant's own topic layout (`broker.uns`), through a real Mosquitto: tag aliases,
//! fixed levels, several-field objects, measurements, and retained messages taken as the current state.

use std::collections::BTreeMap;
use std::time::Duration;
use takt_connect::uns::{TopicRule, UnsMapping};
use takt_model::StateKind;
use takt_plant::{PlantHandle, WorkCenterLive};
use takt_tests::{
    eventually, init_tracing, mosquitto_clear_retained, mosquitto_pub, mosquitto_pub_retained,
    port_of, shared_broker, subscribe_with, unique_enterprise,
};

const FILLER: &str = "acme/freiburg/packaging/line-1/filler";

/// `<root>/plc/<line>/<work center>/<tag>` and `<root>/plc/<line>/<work center>` (objects), all in
/// one site and area, with the PLC's own tag names.
fn mapping(root: &str) -> UnsMapping {
    let rule = |pattern: String| TopicRule {
        pattern,
        enterprise: Some("acme".into()),
        site: Some("freiburg".into()),
        area: Some("packaging".into()),
    };
    UnsMapping {
        topics: vec![
            rule(format!("{root}/plc/{{line}}/{{work_center}}/{{tag}}")),
            rule(format!("{root}/plc/{{line}}/{{work_center}}")),
        ],
        tags: BTreeMap::from([
            ("Status".into(), "state".into()),
            ("GoodCount".into(), "good".into()),
            ("Rejects".into(), "scrap".into()),
            ("Temp".into(), "temperature".into()),
        ]),
    }
}

fn filler(plant: &PlantHandle) -> Option<WorkCenterLive> {
    plant.snapshot().work_center(FILLER).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_topic_layout_reaches_the_right_work_center() {
    init_tracing();
    let (broker, _own) = shared_broker();
    let port = port_of(&broker);
    let root = unique_enterprise("uns-mapping");
    let status_topic = format!("{root}/plc/line-1/filler/Status");

    // Published (retained) before Takt subscribes: the broker hands it over as the current state.
    mosquitto_pub_retained(
        port,
        &status_topic,
        r#"{"value": "down", "reason": "MECH-JAM", "timestamp": "2026-11-26T10:00:00Z"}"#,
    );
    let (plant, _stop) = subscribe_with(&broker, &root, Some(mapping(&root))).await;
    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || filler(&p).is_some_and(|w| w.state.kind == StateKind::Down),
        "the retained state to arrive",
    )
    .await;
    let wc = filler(&plant).expect("filler");
    assert_eq!(wc.state.reason.as_deref(), Some("MECH-JAM"));
    assert_eq!(wc.state_since_ms, Some(1_795_687_200_000));

    // Bare counter readings under the PLC's names: the first is the baseline.
    mosquitto_pub(port, &format!("{root}/plc/line-1/filler/GoodCount"), "1200");
    mosquitto_pub(
        port,
        &format!("{root}/plc/line-1/filler/GoodCount"),
        "1212.0",
    );
    // One object with several values, and a measurement on a topic of its own.
    mosquitto_pub(
        port,
        &format!("{root}/plc/line-1/filler"),
        r#"{"Status": "running", "Rejects": 3, "Temp": 71.5, "timestamp_ms": 1795687300000}"#,
    );
    mosquitto_pub(port, &format!("{root}/plc/line-1/filler/speed"), "118.5");
    // Outside every rule: counted as an error, changes nothing.
    mosquitto_pub(
        port,
        &format!("{root}/other/line-1/filler/Status"),
        r#""down""#,
    );

    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || filler(&p).is_some_and(|w| w.measurements.len() == 2),
        "both measurements",
    )
    .await;
    let p = plant.clone();
    eventually(
        Duration::from_secs(5),
        || p.snapshot().diagnostics.errors_total == 1,
        "the unmatched topic to count as an error",
    )
    .await;
    let wc = filler(&plant).expect("filler");
    assert_eq!(wc.state.kind, StateKind::Running);
    assert_eq!(wc.state_since_ms, Some(1_795_687_300_000));
    assert_eq!(
        (wc.good, wc.scrap),
        (12, 0),
        "the first reading is the baseline"
    );
    let m: Vec<_> = wc
        .measurements
        .iter()
        .map(|m| (m.name.as_str(), m.value))
        .collect();
    assert_eq!(m, vec![("speed", 118.5), ("temperature", 71.5)]);
    let temperature = &wc.measurements[1];
    assert_eq!(temperature.at_ms, 1_795_687_300_000);
    // Everything landed on the one mapped work center.
    let snap = plant.snapshot();
    assert_eq!(snap.work_centers.len(), 1);
    assert_eq!(snap.lines.len(), 1);
    let unmatched = snap
        .diagnostics
        .topics
        .iter()
        .find(|t| t.topic.contains("/other/"))
        .expect("the unmatched topic");
    assert_eq!(
        unmatched.last_error.as_deref(),
        Some("unknown topic: it matches no rule of broker.uns.topics")
    );

    mosquitto_clear_retained(port, &status_topic);
}
