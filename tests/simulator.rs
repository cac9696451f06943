//! The demo simulator → a real Mosquitto → Takt's ingest → plant state, checked message by
//! message against an independent subscriber's record of what the broker delivered.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use takt_connect::{BrokerSettings, FeedOptions, spawn_feed, uns};
use takt_model::{FeedPayload, Level};
use takt_plant::{LinkState, PlantConfig, PlantSettings, PlantState, WorkCenterChange};
use takt_sim::{DemoDataset, PublisherOptions, PublisherStats, run_publisher};
use takt_tests::{OwnMosquitto, eventually, init_tracing};
use tokio::sync::watch;

/// Records every message on `acme/#` with a plain rumqttc client.
async fn record_raw(port: u16) -> Arc<Mutex<Vec<(String, Vec<u8>)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut options = MqttOptions::new("raw-recorder", "127.0.0.1", port);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    client
        .subscribe("acme/#", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let sink = seen.clone();
    let (subscribed_tx, mut subscribed) = watch::channel(false);
    tokio::spawn(async move {
        let _client = client; // keep the request channel open
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = subscribed_tx.send(true);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => sink
                    .lock()
                    .expect("lock")
                    .push((p.topic, p.payload.to_vec())),
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), subscribed.wait_for(|s| *s))
        .await
        .expect("raw suback")
        .expect("open");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_plant_arrives_message_by_message() {
    init_tracing();
    let broker = OwnMosquitto::start();
    let raw = record_raw(broker.port).await;

    let (plant, _) = takt_plant::spawn(PlantConfig::new(None), PlantSettings::default());
    let recorded: Arc<Mutex<Vec<WorkCenterChange>>> = Arc::default();
    let mut changes = plant.changes();
    let sink = recorded.clone();
    tokio::spawn(async move {
        while let Ok(c) = changes.recv().await {
            sink.lock().expect("lock").push(c);
        }
    });
    let (stop_feed, stop_feed_rx) = watch::channel(false);
    let settings = BrokerSettings::from_url(&format!("{}/acme", broker.url())).expect("url");
    spawn_feed(
        settings.clone(),
        FeedOptions::default(),
        plant.input(),
        stop_feed_rx,
    );
    let p = plant.clone();
    eventually(
        Duration::from_secs(10),
        || p.snapshot().broker.state == LinkState::Connected,
        "feed connected",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Six lines for four seconds at the demo's natural pace.
    let dataset = DemoDataset::new(6, takt_plant::now_ms(), 4);
    let stats = Arc::new(PublisherStats::default());
    let (stop_sim, stop_sim_rx) = watch::channel(false);
    let sim = tokio::spawn(run_publisher(
        settings,
        dataset,
        PublisherOptions::default(),
        stats.clone(),
        stop_sim_rx,
    ));
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop_sim.send(true).expect("stop");
    sim.await.expect("join").expect("publisher ran cleanly");
    let published = stats.published.load(Ordering::Relaxed) as usize;
    assert!(published > 100, "only {published} messages published");
    let seen = || raw.lock().expect("lock").len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen() < published && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(
        seen(),
        published,
        "the broker delivered exactly what was published: {:?}",
        stats
    );
    // Every work-center message becomes exactly one change, in the order delivered.
    let raw = raw.lock().expect("lock").clone();
    let wc_messages = raw
        .iter()
        .filter(|(t, _)| t.split('/').count() == 6)
        .count();
    eventually(
        Duration::from_secs(10),
        || recorded.lock().expect("lock").len() == wc_messages,
        "one change per work-center message",
    )
    .await;
    let _ = stop_feed.send(true);

    // Replaying what the broker delivered through a fresh PlantState reproduces each change.
    let mut replay = PlantState::new(PlantConfig::new(None), 0);
    let mut expected: Vec<WorkCenterChange> = Vec::new();
    for (topic, payload) in &raw {
        let events = uns::decode(topic, payload, 0)
            .unwrap_or_else(|e| panic!("simulator sent an invalid message on {topic}: {e}"));
        assert_eq!(events.len(), 1, "the simulator sends one value per message");
        for event in events {
            let change = replay.apply(topic, &event, 0).expect("applies");
            match (&event.payload, change) {
                (FeedPayload::Order { .. }, None) => assert_eq!(event.path.level(), Level::Line),
                (_, Some(change)) => expected.push(change),
                (payload, None) => panic!("no change for {payload:?}"),
            }
        }
    }
    let got = recorded.lock().expect("lock").clone();
    let key = |c: &WorkCenterChange| {
        (
            c.path.clone(),
            c.state,
            c.reason.clone(),
            c.state_since_ms,
            c.good,
            c.scrap,
            c.good_total,
            c.scrap_total,
            c.timestamp_ms,
        )
    };
    let mut by_path: HashMap<String, usize> = HashMap::new();
    for (i, (want, have)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(key(have), key(want), "change #{i} differs");
        *by_path.entry(want.path.to_string()).or_default() += 1;
    }
    assert_eq!(by_path.len(), 25, "all 25 demo work centers reported");
    let snap = plant.snapshot();
    assert_eq!(snap.lines.len(), 6);
    assert_eq!(snap.diagnostics.errors_total, 0);
}
