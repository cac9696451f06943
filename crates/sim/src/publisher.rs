//! Runs the simulator against the wall clock and publishes to a broker.

use crate::{DemoDataset, SimOptions, Simulator};
use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Outgoing, Packet, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use takt_connect::{BrokerSettings, uns};
use takt_model::TimestampMs;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct PublisherOptions {
    pub sim: SimOptions,
    /// Simulation step; also the publishing cadence.
    pub step: Duration,
    /// Retain every message, so a subscriber that joins late sees current values.
    pub retain: bool,
}

impl Default for PublisherOptions {
    fn default() -> Self {
        Self {
            sim: SimOptions::default(),
            step: Duration::from_millis(100),
            retain: true,
        }
    }
}

#[derive(Debug, Default)]
pub struct PublisherStats {
    pub published: AtomicU64,
    pub connected: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
pub enum PublisherError {
    #[error("the publisher's client stopped: {0}")]
    Client(String),
}

fn now_ms() -> TimestampMs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Publishes the demo plant until `shutdown` turns true. Survives broker restarts: the
/// event loop reconnects, and messages queued meanwhile are sent after reconnection.
pub async fn run_publisher(
    broker: BrokerSettings,
    dataset: DemoDataset,
    options: PublisherOptions,
    stats: Arc<PublisherStats>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), PublisherError> {
    let sim = Simulator::new(&dataset, options.sim.clone());
    run_simulator(broker, sim, options, stats, shutdown).await
}

/// Like [`run_publisher`], continuing a simulator that has already run (the demo's shift so
/// far): its machines, orders and counters carry on from where it stopped.
pub async fn run_simulator(
    broker: BrokerSettings,
    mut sim: Simulator,
    options: PublisherOptions,
    stats: Arc<PublisherStats>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), PublisherError> {
    sim.go_live(options.sim.clone());
    let mut mqtt = MqttOptions::new(
        format!("takt-sim-{}", std::process::id()),
        broker.host.clone(),
        broker.port,
    );
    mqtt.set_keep_alive(Duration::from_secs(10));
    mqtt.set_max_packet_size(1 << 20, 1 << 20);
    // Keep unacknowledged QoS 1 messages across reconnects.
    mqtt.set_clean_session(false);
    if let Some(user) = &broker.username {
        mqtt.set_credentials(user.clone(), broker.password.clone().unwrap_or_default());
    }
    if broker.tls {
        let config = takt_connect::tls::client_config().map_err(PublisherError::Client)?;
        mqtt.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(config),
        ));
    }
    let (client, mut eventloop) = AsyncClient::new(mqtt, 1_024);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);

    // The event loop runs in its own task: publishing must never wait on itself.
    // It runs until the broker has closed the connection after our DISCONNECT, so everything
    // published before it is delivered.
    let loop_stats = stats.clone();
    let mut driver = tokio::spawn(async move {
        let mut disconnecting = false;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    loop_stats.connected.fetch_add(1, Ordering::Relaxed);
                }
                // The DISCONNECT is queued behind our last publishes but not yet flushed: keep
                // polling until the broker, having read it, closes the connection.
                Ok(Event::Outgoing(Outgoing::Disconnect)) => disconnecting = true,
                Ok(_) => {}
                Err(_) if disconnecting => break,
                Err(e) => {
                    tracing::debug!(error = %e, "simulator connection error; retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    });

    let mut tick = tokio::time::interval(options.step);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let result = 'run: loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break Ok(()),
        }
        for event in sim.step(now_ms()) {
            let (topic, payload) = uns::encode(&event);
            if let Err(e) = client
                .publish(topic, QoS::AtLeastOnce, options.retain, payload)
                .await
            {
                break 'run Err(PublisherError::Client(e.to_string()));
            }
            stats.published.fetch_add(1, Ordering::Relaxed);
        }
    };
    let _ = client.disconnect().await;
    // A broker that is gone cannot take the rest: stop trying after a while.
    if tokio::time::timeout(Duration::from_secs(5), &mut driver)
        .await
        .is_err()
    {
        driver.abort();
    }
    result
}
