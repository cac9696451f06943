//! The MQTT subscription task: one rumqttc event loop feeding the plant state. Sparkplug messages go to a
//! task of their own (`sparkplug_worker.rs`); with a Sparkplug host id the feed also publishes Takt's STATE
//! (`host_state.rs`) and leaves the broker with a death before its DISCONNECT.

mod host_state;
mod sparkplug_worker;

use crate::backoff::Backoff;
use crate::sparkplug::SparkplugSession;
use crate::{BrokerSettings, tls, uns};
use host_state::HostState;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, NetworkOptions,
    Outgoing, Packet, QoS, Transport,
};
use sparkplug_worker::SparkplugWorker;
use std::time::Duration;
use takt_plant::{LinkState, LinkStatus, PlantInput, now_ms};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct FeedOptions {
    pub keep_alive: Duration,
    /// Largest MQTT packet accepted. Far above our payload limit: rumqttc drops the whole
    /// connection on an oversized packet, so we take it and refuse it ourselves, per topic.
    pub max_packet_bytes: usize,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Where a user fixes the connection, appended to every hint.
    pub settings_hint: String,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            keep_alive: Duration::from_secs(10),
            max_packet_bytes: 16 * 1024 * 1024,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(1_000),
            settings_hint: "Settings → Data source".into(),
        }
    }
}

/// Starts subscribing. The task runs until `shutdown` turns true or the plant input closes.
pub fn spawn_feed(
    settings: BrokerSettings,
    options: FeedOptions,
    plant: mpsc::Sender<PlantInput>,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(run(settings, options, plant, shutdown))
}

fn mqtt_options(settings: &BrokerSettings, options: &FeedOptions) -> Result<MqttOptions, String> {
    // Two clients with one id knock each other off the broker: never send an empty one.
    let client_id = match settings.client_id.trim() {
        "" => format!("takt-{}", std::process::id()),
        id => id.to_owned(),
    };
    let mut mqtt = MqttOptions::new(client_id, settings.host.clone(), settings.port);
    mqtt.set_keep_alive(options.keep_alive);
    mqtt.set_max_packet_size(options.max_packet_bytes, options.max_packet_bytes);
    mqtt.set_clean_session(true);
    if let Some(user) = &settings.username {
        mqtt.set_credentials(user.clone(), settings.password.clone().unwrap_or_default());
    }
    if settings.tls {
        let config = tls::client_config()?;
        mqtt.set_transport(Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(config),
        ));
    }
    Ok(mqtt)
}

async fn run(
    settings: BrokerSettings,
    options: FeedOptions,
    plant: mpsc::Sender<PlantInput>,
    mut shutdown: watch::Receiver<bool>,
) {
    let target = settings.display_url();
    let filter = settings.topic_filter();
    let report = |state: LinkState, error: Option<String>, hint: Option<String>| {
        PlantInput::Broker(LinkStatus {
            state,
            target: target.clone(),
            since_ms: now_ms(),
            error,
            hint,
        })
    };
    // Takt's own Sparkplug STATE, when a host id is set (host_state.rs).
    let mut host_state = match settings.sparkplug.as_ref().map(|s| s.checked_host_id()) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(id))) => Some(HostState::new(id)),
        Some(Err(error)) => {
            let hint = format!(
                "Set broker.sparkplug.host_id to a name without /, + or #, or remove it ({})",
                options.settings_hint
            );
            let _ = plant
                .send(report(LinkState::Down, Some(error.to_string()), Some(hint)))
                .await;
            return;
        }
    };
    let decoder = match uns::Decoder::new(settings.uns.as_ref()) {
        Ok(decoder) => decoder,
        Err(error) => {
            let hint = format!("Fix or remove broker.uns ({})", options.settings_hint);
            let _ = plant
                .send(report(LinkState::Down, Some(error.to_string()), Some(hint)))
                .await;
            return;
        }
    };
    let mqtt = match mqtt_options(&settings, &options) {
        Ok(mqtt) => mqtt,
        Err(error) => {
            let hint = format!(
                "Turn off TLS or install CA certificates ({})",
                options.settings_hint
            );
            let _ = plant
                .send(report(LinkState::Down, Some(error), Some(hint)))
                .await;
            return;
        }
    };
    let (client, mut eventloop) = AsyncClient::new(mqtt, 64);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(5);
    eventloop.set_network_options(network);

    let mut backoff = Backoff::new(options.backoff_base, options.backoff_cap);
    if plant
        .send(report(LinkState::Connecting, None, None))
        .await
        .is_err()
    {
        return;
    }
    let mut connected = false;
    let mut reported_down: Option<String> = None;
    // Sparkplug runs in its own task, behind a queue bounded by count and bytes (sparkplug_worker.rs).
    let sparkplug = settings
        .sparkplug
        .as_ref()
        .map(|s| SparkplugWorker::spawn(SparkplugSession::new(s), client.clone(), plant.clone()));
    let subscriptions = settings
        .sparkplug
        .as_ref()
        .map(|s| SparkplugSession::new(s).subscriptions())
        .unwrap_or_default();
    loop {
        if !connected && let Some(state) = &mut host_state {
            // The next poll connects: its will is a death stamped with the time of that CONNECT.
            let will = state.will_for_connect(now_ms());
            eventloop.mqtt_options.set_last_will(will);
        }
        let event = tokio::select! {
            event = eventloop.poll() => event,
            _ = shutdown.changed() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff.reset();
                reported_down = None;
                connected = true;
                // A clean session forgets subscriptions: subscribe again on every ConnAck.
                // try_subscribe only queues the request; the event loop sends it.
                if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                    tracing::error!(error = %e, "could not queue the subscription");
                }
                for topic in &subscriptions {
                    if let Err(e) = client.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
                        tracing::error!(error = %e, "could not queue the Sparkplug subscription");
                    }
                }
                // After subscribing (the subscriptions cover the own STATE topic), the birth.
                if let Some(state) = &host_state {
                    publish_birth(&client, state);
                }
                if let Some(worker) = &sparkplug
                    && worker.connected(now_ms()).await.is_err()
                {
                    break;
                }
                tracing::info!(broker = %target, session_present = ack.session_present, "connected");
                if plant
                    .send(report(LinkState::Connected, None, None))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                if let Some(state) = &host_state
                    && state.is_own(&publish.topic)
                {
                    if state.is_stale_death(&publish.payload, publish.retain) {
                        tracing::warn!(
                            topic = state.topic(),
                            "the late will of an earlier connection says Takt is offline; publishing the birth again"
                        );
                        publish_birth(&client, state);
                    }
                    continue;
                }
                let received = now_ms();
                if let Some(worker) = &sparkplug
                    && SparkplugSession::is_sparkplug(&publish.topic)
                {
                    let queued = worker.message(publish.topic, publish.payload, received);
                    if queued.await.is_err() {
                        break;
                    }
                    continue;
                }
                // Backpressure: if the plant state falls behind we stop reading the socket
                // rather than drop messages.
                if send_decoded(&plant, &decoder, publish.topic, &publish.payload, received)
                    .await
                    .is_err()
                {
                    break;
                }
            }
            Ok(_) => {}
            Err(error) => {
                let (message, hint) = describe(&error, &options.settings_hint);
                if connected {
                    tracing::warn!(broker = %target, %message, "connection lost");
                } else {
                    tracing::debug!(broker = %target, %message, "connect failed");
                }
                connected = false;
                if let Some(worker) = &sparkplug
                    && worker.lost(now_ms()).await.is_err()
                {
                    break;
                }
                // Down (retrying) until the next ConnAck; report it again only when the reason
                // changes, so the status bar keeps "down since" and the hint steady.
                if reported_down.as_deref() != Some(message.as_str()) {
                    let status = report(LinkState::Down, Some(message.clone()), Some(hint));
                    if plant.send(status).await.is_err() {
                        break;
                    }
                    reported_down = Some(message);
                }
                let delay = backoff.next_delay();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => break,
                }
            }
        }
    }
    if connected {
        disconnect(&client, &mut eventloop, host_state.as_ref()).await;
    }
}

/// Decodes one UNS message and sends one input per value it carries, or the rejection.
async fn send_decoded(
    plant: &mpsc::Sender<PlantInput>,
    decoder: &uns::Decoder,
    topic: String,
    payload: &[u8],
    received: i64,
) -> Result<(), mpsc::error::SendError<PlantInput>> {
    match decoder.decode(&topic, payload, received) {
        Ok(events) => {
            for event in events {
                let topic = topic.clone();
                plant.send(PlantInput::Feed { topic, event }).await?;
            }
            Ok(())
        }
        Err(error) => {
            tracing::debug!(%topic, %error, "rejected message");
            let error = error.to_string();
            plant.send(PlantInput::Rejected { topic, error }).await
        }
    }
}

fn publish_birth(client: &AsyncClient, state: &HostState) {
    if let Err(e) = client.try_publish(state.topic(), QoS::AtLeastOnce, true, state.birth()) {
        tracing::error!(error = %e, "could not queue the Sparkplug STATE birth");
    }
}

/// Ends a connected session cleanly: with a host id the STATE death first (Sparkplug 3.0: before the
/// DISCONNECT), then the DISCONNECT. Each step polls the event loop for at most a second. If the death is not
/// confirmed, the connection is just dropped, so the broker publishes the will instead.
async fn disconnect(
    client: &AsyncClient,
    eventloop: &mut EventLoop,
    host_state: Option<&HostState>,
) {
    if let Some(state) = host_state {
        let said = tokio::time::timeout(
            Duration::from_secs(1),
            publish_death(client, eventloop, state),
        );
        if !said.await.unwrap_or(false) {
            tracing::warn!(
                topic = state.topic(),
                "the STATE death was not confirmed; the will stands in"
            );
            return;
        }
    }
    if client.try_disconnect().is_err() {
        return;
    }
    let sent = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(1), sent)
        .await
        .is_err()
    {
        tracing::debug!("the broker did not take the DISCONNECT within 1 s");
    }
}

/// Publishes the STATE death and polls until the broker has it: its copy came back on the own STATE topic
/// (which the feed subscribes to) and every publish in flight is acknowledged. Mosquitto before 2.0.22
/// treats a PUBACK it cannot send, because the client already closed, as an unclean disconnect and
/// publishes the will over the death.
async fn publish_death(client: &AsyncClient, eventloop: &mut EventLoop, state: &HostState) -> bool {
    let death = state.death(now_ms());
    if client
        .try_publish(state.topic(), QoS::AtLeastOnce, true, death.clone())
        .is_err()
    {
        return false;
    }
    let mut echoed = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(p)))
                if state.is_own(&p.topic) && p.payload == death =>
            {
                echoed = true;
            }
            Ok(_) => {}
            Err(_) => return false,
        }
        if echoed && eventloop.state.inflight() == 0 {
            return true;
        }
    }
}

/// A short error text and what to change, for the status bar.
fn describe(error: &ConnectionError, settings_hint: &str) -> (String, String) {
    let message = error.to_string();
    let hint = match error {
        ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized,
        ) => "The broker refused the login: check username and password",
        ConnectionError::ConnectionRefused(_) => {
            "The broker refused the connection: check client id and protocol version"
        }
        ConnectionError::Tls(_) => {
            "TLS handshake failed: check the TLS setting and the broker's certificate"
        }
        ConnectionError::NetworkTimeout => {
            "No answer from the broker: check host, port and firewall"
        }
        ConnectionError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "Nothing listens at that address: check broker host and port, and that the broker runs"
        }
        ConnectionError::Io(_) => "Network error: check broker host and port, and the network",
        _ => "The connection to the broker failed: check the broker settings",
    };
    (message, format!("{hint} ({settings_hint})"))
}
