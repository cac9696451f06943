//! An MQTT broker inside the Takt process, for the demo plant (rumqttd).
//!
//! It listens on a free loopback port chosen at start, never on 1883: a real broker may
//! already live there. rumqttd has no graceful shutdown; the broker lives as long as the
//! process, which is what the demo needs.

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedBrokerError {
    #[error("no free loopback port for the embedded broker: {0}")]
    Port(std::io::Error),
    #[error("the embedded broker did not start listening on {0} within 5 s")]
    NotListening(SocketAddr),
    #[error("could not start the embedded broker thread: {0}")]
    Thread(std::io::Error),
}

#[derive(Debug, Clone)]
pub struct EmbeddedBroker {
    pub addr: SocketAddr,
}

impl EmbeddedBroker {
    pub fn start() -> Result<Self, EmbeddedBrokerError> {
        // Ask the OS for a free port, then hand it to rumqttd (which binds it itself).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(EmbeddedBrokerError::Port)?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let server = ServerSettings {
            name: "takt-demo".into(),
            listen: addr,
            tls: None,
            next_connection_delay_ms: 1,
            connections: ConnectionSettings {
                connection_timeout_ms: 60_000,
                // Sparkplug births and bursts of retained messages are large.
                max_payload_size: 16 * 1024 * 1024,
                max_inflight_count: 500,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 1_000,
                max_outgoing_packet_count: 20_000,
                max_segment_size: 64 * 1024 * 1024,
                max_segment_count: 10,
                ..Default::default()
            },
            v4: Some(HashMap::from([("takt".to_owned(), server)])),
            ..Default::default()
        };
        std::thread::Builder::new()
            .name("takt-embedded-broker".into())
            .spawn(move || {
                let mut broker = Broker::new(config);
                if let Err(e) = broker.start() {
                    tracing::error!(error = %e, "embedded broker stopped");
                }
            })
            .map_err(EmbeddedBrokerError::Thread)?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(Self { addr });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(EmbeddedBrokerError::NotListening(addr))
    }

    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}
