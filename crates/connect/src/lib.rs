//! MQTT connectivity: subscribe to a broker, decode the Unified Namespace feed, hand
//! events to the live plant state.
//!
//! - [`uns`] turns one MQTT message (topic + payload) into a [`takt_model::FeedEvent`]
//!   or a precise error; it is pure and fuzzed by tests.
//! - [`feed`] owns the rumqttc event loop: reconnects with capped, jittered backoff,
//!   resubscribes on every ConnAck, and reports the link state.

pub mod backoff;
pub mod feed;
pub mod settings;
pub mod sparkplug;
pub mod tls;
pub mod uns;

pub use feed::{FeedOptions, spawn_feed};
pub use settings::{BrokerSettings, BrokerUrlError, HostIdError, SparkplugSettings};
