//! Sparkplug B through the real feed: births and data published to a real Mosquitto reach the plant state
//! under the mapped ISA-95 paths; a `seq` gap makes Takt publish one NCMD rebirth, and diagnostics show it as
//! a gap and a rebirth, not as a decode error; NDEATH takes the devices offline; and after the broker is
//! killed and restarted, rebirths are requested within 2 s of its return.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use takt_connect::sparkplug::{DecodedMetric, DecodedPayload, MetricValue, encode};
use takt_connect::{BrokerSettings, SparkplugSettings};
use takt_model::StateKind;
use takt_plant::{FeedHealth, LinkState, PlantConfig, PlantHandle, PlantSettings};
use takt_tests::{
    OwnMosquitto, eventually, init_tracing, mosquitto_pub_bytes, mosquitto_pub_retained,
    mosquitto_retained, port_of, shared_broker, unique_enterprise,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

fn metric(name: &str, alias: u64, value: MetricValue) -> DecodedMetric {
    DecodedMetric::new(name, value).with_alias(alias)
}

fn payload(seq: u64, metrics: Vec<DecodedMetric>) -> Vec<u8> {
    encode(&DecodedPayload {
        timestamp: Some(takt_plant::now_ms() as u64),
        seq: Some(seq),
        metrics,
        ..Default::default()
    })
}

/// A Takt feed following one Sparkplug group, and the plant it feeds.
async fn takt_feed(url: &str, group: &str) -> (PlantHandle, watch::Sender<bool>) {
    let (plant, stop, _task) = takt_feed_as(url, group, None, "takt").await;
    (plant, stop)
}

/// [`takt_feed`] with a Sparkplug host id (STATE) and its own client id suffix; also returns the feed task.
async fn takt_feed_as(
    url: &str,
    group: &str,
    host_id: Option<&str>,
    client: &str,
) -> (PlantHandle, watch::Sender<bool>, JoinHandle<()>) {
    let (plant, _) = takt_plant::spawn(PlantConfig::new(None), PlantSettings::default());
    let (stop, stop_rx) = watch::channel(false);
    let mut settings = BrokerSettings::from_url(url).expect("url");
    // UNS under a root nobody publishes to; Sparkplug for the group.
    settings.topic_root = format!("{group}-uns");
    settings.client_id = format!("{group}-{client}");
    settings.sparkplug = Some(SparkplugSettings {
        group_id: group.to_owned(),
        rebirth_cooldown_ms: 3_000,
        host_id: host_id.map(str::to_owned),
        ..SparkplugSettings::default()
    });
    let task = takt_connect::spawn_feed(settings, Default::default(), plant.input(), stop_rx);
    let watching = plant.clone();
    eventually(
        Duration::from_secs(10),
        || watching.snapshot().broker.state == LinkState::Connected,
        "feed connected",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    (plant, stop, task)
}

/// Collects NCMD messages (rebirth requests) an edge node would receive.
async fn ncmd_listener(port: u16, group: &str) -> mpsc::UnboundedReceiver<(Instant, String)> {
    let mut options = MqttOptions::new(format!("{group}-edge"), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let (tx, rx) = mpsc::unbounded_channel();
    let filter = format!("spBv1.0/{group}/NCMD/#");
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.subscribe(filter.clone(), QoS::AtLeastOnce).await;
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send((Instant::now(), p.topic));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    rx
}

fn drain(rx: &mut mpsc::UnboundedReceiver<(Instant, String)>) -> Vec<(Instant, String)> {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        out.push(m);
    }
    out
}

fn births(group: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            format!("spBv1.0/{group}/NBIRTH/line-1"),
            payload(0, vec![metric("bdSeq", 0, MetricValue::Int64(0))]),
        ),
        (
            format!("spBv1.0/{group}/DBIRTH/line-1/filler"),
            payload(
                1,
                vec![
                    metric("State", 10, MetricValue::Int32(6)),
                    metric("Good", 11, MetricValue::UInt64(1000)),
                ],
            ),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn births_data_gaps_and_deaths_through_mosquitto() {
    init_tracing();
    let (url, _guard) = shared_broker();
    let port = port_of(&url);
    // The default mapping splits the group on ':' into enterprise, site and area.
    let enterprise = unique_enterprise("spb");
    let group = format!("{enterprise}:berlin:packaging");
    let (plant, _stop) = takt_feed(&url, &group).await;
    let mut ncmd = ncmd_listener(port, &group).await;
    for (topic, bytes) in births(&group) {
        mosquitto_pub_bytes(port, &topic, &bytes);
    }
    let filler = format!("{enterprise}/berlin/packaging/line-1/filler");
    let p = plant.clone();
    let path = filler.clone();
    eventually(
        Duration::from_secs(10),
        || {
            p.snapshot()
                .work_center(&path)
                .is_some_and(|w| w.state.kind == StateKind::Running)
        },
        "the filler running, from its DBIRTH",
    )
    .await;
    // Data by alias only, in order: 12 more good parts.
    mosquitto_pub_bytes(
        port,
        &format!("spBv1.0/{group}/DDATA/line-1/filler"),
        &payload(2, vec![metric("Good", 11, MetricValue::UInt64(1012))]),
    );
    let (p, path) = (plant.clone(), filler.clone());
    eventually(
        Duration::from_secs(10),
        || {
            p.snapshot()
                .work_center(&path)
                .is_some_and(|w| w.good == 12)
        },
        "12 good parts",
    )
    .await;
    assert!(
        drain(&mut ncmd).is_empty(),
        "no rebirth while the sequence is intact"
    );

    // seq 5 after 2: a gap. After the reorder timeout Takt asks the node to rebirth — once per cooldown,
    // however many more gapped messages arrive.
    for seq in [5, 9, 14] {
        mosquitto_pub_bytes(
            port,
            &format!("spBv1.0/{group}/DDATA/line-1/filler"),
            &payload(seq, vec![metric("Good", 11, MetricValue::UInt64(1020))]),
        );
    }
    tokio::time::sleep(Duration::from_millis(2_800)).await;
    let requests = drain(&mut ncmd);
    assert_eq!(requests.len(), 1, "one rebirth per cooldown: {requests:?}");
    assert_eq!(requests[0].1, format!("spBv1.0/{group}/NCMD/line-1"));
    // Diagnostics: the gap and the rebirth it caused, on the topic of the message after the gap, and no
    // decode error for either.
    let ddata = format!("spBv1.0/{group}/DDATA/line-1/filler");
    let p = plant.clone();
    let topic = ddata.clone();
    eventually(
        Duration::from_secs(5),
        || {
            p.snapshot()
                .diagnostics
                .topics
                .iter()
                .any(|t| t.topic == topic && t.seq_gaps >= 1 && t.rebirths >= 1)
        },
        "the gap and the rebirth in diagnostics",
    )
    .await;
    let diagnostics = plant.snapshot().diagnostics.clone();
    let row = diagnostics
        .topics
        .iter()
        .find(|t| t.topic == ddata)
        .expect("a row for the DDATA topic");
    eprintln!(
        "[sparkplug] {ddata}: {} messages, {} seq gaps, {} rebirths ({:?}), {} errors",
        row.messages, row.seq_gaps, row.rebirths, row.last_rebirth_reason, row.errors
    );
    assert_eq!(
        row.rebirths as usize,
        requests.len(),
        "one rebirth counted per NCMD sent"
    );
    assert_eq!(diagnostics.rebirths_total as usize, requests.len());
    assert_eq!(row.last_rebirth_reason.as_deref(), Some("seq gap"));
    assert_eq!(
        (row.errors, diagnostics.errors_total),
        (0, 0),
        "a gap is not a decode error: {:?}",
        row.last_error
    );
    assert!(diagnostics.seq_gaps_total >= 1);

    // The node answers with new births, then dies: its devices go offline.
    for (topic, bytes) in births(&group) {
        mosquitto_pub_bytes(port, &topic, &bytes);
    }
    mosquitto_pub_bytes(
        port,
        &format!("spBv1.0/{group}/NDEATH/line-1"),
        &payload(0, vec![metric("bdSeq", 0, MetricValue::Int64(0))]),
    );
    let (p, path) = (plant.clone(), filler.clone());
    eventually(
        Duration::from_secs(10),
        || {
            p.snapshot()
                .work_center(&path)
                .is_some_and(|w| w.state.kind == StateKind::Offline)
        },
        "the filler offline after NDEATH",
    )
    .await;
    // Garbage on a Sparkplug topic is counted against that topic.
    mosquitto_pub_bytes(
        port,
        &format!("spBv1.0/{group}/DDATA/line-1/filler"),
        b"\xff\x00garbage",
    );
    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || {
            p.snapshot()
                .diagnostics
                .topics
                .iter()
                .any(|t| t.topic.contains("DDATA/line-1/filler") && t.errors > 0)
        },
        "the bad payload counted in diagnostics",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_broker_restart_rebirths_are_requested_within_two_seconds() {
    init_tracing();
    let mut broker = OwnMosquitto::start();
    let port = broker.port;
    let enterprise = unique_enterprise("spb-restart");
    let group = format!("{enterprise}:berlin:packaging");
    let (plant, _stop) = takt_feed(&broker.url(), &group).await;
    for (topic, bytes) in births(&group) {
        mosquitto_pub_bytes(port, &topic, &bytes);
    }
    let filler = format!("{enterprise}/berlin/packaging/line-1/filler");
    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || {
            p.snapshot()
                .work_centers
                .iter()
                .any(|w| w.path.as_str().ends_with("line-1/filler") && w.feed == FeedHealth::Live)
        },
        "the filler live",
    )
    .await;

    broker.kill();
    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || p.snapshot().broker.state == LinkState::Down,
        "link down",
    )
    .await;
    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || {
            p.snapshot()
                .work_centers
                .iter()
                .all(|w| w.feed != FeedHealth::Live)
        },
        "nothing shown as live while the broker is gone",
    )
    .await;

    broker.restart();
    let back = Instant::now();
    let mut ncmd = ncmd_listener(port, &group).await;
    let p = plant.clone();
    eventually(
        Duration::from_secs(5),
        || p.snapshot().broker.state == LinkState::Connected,
        "reconnected",
    )
    .await;
    // The listener subscribed after the broker's return; wait for the request it must see.
    let deadline = back + Duration::from_secs(4);
    let mut requests = Vec::new();
    while requests.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        requests = drain(&mut ncmd);
    }
    assert!(
        !requests.is_empty(),
        "no rebirth request after the broker came back ({filler})"
    );
    let after = requests[0].0.duration_since(back);
    eprintln!(
        "[sparkplug] rebirth requested {} ms after the broker's return",
        after.as_millis()
    );
    assert!(
        after <= Duration::from_secs(2),
        "rebirth requested {after:?} after the broker's return"
    );
}

/// The retained STATE on `topic` as `(online, timestamp)`, once `wanted` holds for it (polled for up to 10 s).
async fn retained_state(
    port: u16,
    topic: &str,
    wanted: impl Fn(bool, i64) -> bool,
    what: &str,
) -> (bool, i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = None;
    while Instant::now() < deadline {
        let t = topic.to_owned();
        let bytes = tokio::task::spawn_blocking(move || mosquitto_retained(port, &t))
            .await
            .expect("mosquitto_sub ran");
        if let Some(bytes) = bytes {
            let json: serde_json::Value = serde_json::from_slice(&bytes).expect("STATE is JSON");
            let state = (
                json["online"].as_bool().expect("online is a boolean"),
                json["timestamp"].as_i64().expect("timestamp is a number"),
            );
            assert_eq!(
                json.as_object().map(|o| o.len()),
                Some(2),
                "exactly online and timestamp: {json}"
            );
            if wanted(state.0, state.1) {
                return state;
            }
            last = Some(json);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what} on {topic}; last retained: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_state_birth_clean_death_and_will_through_mosquitto() {
    init_tracing();
    let (url, _guard) = shared_broker();
    let port = port_of(&url);
    let host_id = unique_enterprise("host");
    let group = format!("{host_id}:berlin:packaging");
    let topic = format!("spBv1.0/STATE/{host_id}");

    // Birth: retained online:true, stamped with the time of the CONNECT.
    let before = takt_plant::now_ms();
    let (_plant, stop, feed) = takt_feed_as(&url, &group, Some(&host_id), "takt-a").await;
    let after = takt_plant::now_ms();
    let (_, born) = retained_state(port, &topic, |online, _| online, "the birth").await;
    assert!(
        (before..=after).contains(&born),
        "birth stamped {born}, connect between {before} and {after}"
    );

    // Clean shutdown: the death is published before the DISCONNECT, stamped with the time of leaving.
    let leaving = takt_plant::now_ms();
    stop.send(true).expect("feed running");
    tokio::time::timeout(Duration::from_secs(5), feed)
        .await
        .expect("the feed ends within 5 s")
        .expect("the feed task did not panic");
    let (_, died) =
        retained_state(port, &topic, |online, _| !online, "the death on shutdown").await;
    assert!(
        died >= leaving,
        "death stamped {died}, shutdown at {leaving}"
    );

    // A second run whose connection is killed (task aborted: no DISCONNECT): the broker publishes the will,
    // stamped with that CONNECT's time, the same as its birth.
    let (_plant, _stop, feed) = takt_feed_as(&url, &group, Some(&host_id), "takt-b").await;
    let (_, born) = retained_state(port, &topic, |online, _| online, "the second birth").await;
    assert!(born > died, "a new birth after the death");
    feed.abort();
    let (_, will) = retained_state(port, &topic, |online, _| !online, "the will").await;
    assert_eq!(
        will, born,
        "the will carries the CONNECT's time, as the birth"
    );

    // A third run: a late will of an earlier connection (retained offline, older) is answered with the
    // birth again.
    let (_plant, _stop, _feed) = takt_feed_as(&url, &group, Some(&host_id), "takt-c").await;
    let (_, born) = retained_state(
        port,
        &topic,
        |online, ts| online && ts > will,
        "the third birth",
    )
    .await;
    let late = format!(r#"{{"online":false,"timestamp":{}}}"#, born - 1_000);
    mosquitto_pub_retained(port, &topic, &late);
    let (_, again) = retained_state(
        port,
        &topic,
        |online, _| online,
        "the birth again after a late will",
    )
    .await;
    assert_eq!(again, born, "the same session's birth");
}
