//! Sparkplug B 3.0 support: payload codec, topic namespace, a host-application state machine
//! and the mapping from Sparkplug metrics onto Takt's equipment and tags.
//!
//! Everything here is pure (no I/O, time passed in), so the MQTT task can drive it and tests can
//! replay any sequence of messages. See docs/mqtt-contract.md, section "Sparkplug B".

pub mod host;
pub mod mapping;
pub mod payload;
pub mod proto;
pub mod session;
pub mod topic;

pub use host::{
    HostConfig, HostError, HostEvent, MetricUpdate, RebirthReason, SparkplugHost, Status,
};
pub use mapping::{
    MappedEvent, MappingError, Measurement, SparkplugMapper, SparkplugMapping, TaktTag,
};
pub use payload::{
    DataType, DecodeLimits, DecodedMetric, DecodedPayload, MetricValue, SparkplugError, ValueError,
    decode, encode, rebirth_command,
};
pub use session::{Outputs, SparkplugSession};
pub use topic::{MessageType, SparkplugTopic, TopicError, ncmd_topic};

/// Property-test budget: `default`, or `TAKT_FUZZ_CASES` for a longer fuzz run.
#[cfg(test)]
pub(crate) fn fuzz_cases(default: u32) -> u32 {
    std::env::var("TAKT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
