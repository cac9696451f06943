//! Takt's own Sparkplug 3.0 STATE, when a host id is set: the death registered as the MQTT will of every
//! CONNECT, the birth published after every ConnAck, and a death published before a clean disconnect.
//!
//! Rules (Sparkplug 3.0, "Sparkplug Host Application"): topic `spBv1.0/STATE/<host_id>`, QoS 1, retained;
//! payload JSON `{"online":…,"timestamp":…}`. The will's timestamp is the time of the CONNECT, and the
//! birth that follows carries the same timestamp, so edge nodes can tell which session a STATE belongs to.

use rumqttc::{LastWill, QoS};
use serde::{Deserialize, Serialize};
use takt_model::TimestampMs;

use crate::sparkplug::session::NAMESPACE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct StatePayload {
    online: bool,
    timestamp: TimestampMs,
}

fn payload(online: bool, timestamp: TimestampMs) -> Vec<u8> {
    // Two plain fields: serialising them cannot fail.
    serde_json::to_vec(&StatePayload { online, timestamp }).unwrap_or_default()
}

pub(crate) struct HostState {
    topic: String,
    /// Time of the latest CONNECT: the will's timestamp, and so the birth's.
    connect_ms: TimestampMs,
}

impl HostState {
    /// `host_id` must be checked already ([`crate::SparkplugSettings::checked_host_id`]).
    pub(crate) fn new(host_id: &str) -> Self {
        Self {
            topic: format!("{NAMESPACE}STATE/{host_id}"),
            connect_ms: 0,
        }
    }

    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// The will to register for a CONNECT made now.
    pub(crate) fn will_for_connect(&mut self, now_ms: TimestampMs) -> LastWill {
        self.connect_ms = now_ms;
        LastWill::new(
            self.topic.clone(),
            payload(false, now_ms),
            QoS::AtLeastOnce,
            true,
        )
    }

    /// The birth for the connection whose will was made last.
    pub(crate) fn birth(&self) -> Vec<u8> {
        payload(true, self.connect_ms)
    }

    /// The death published before a clean disconnect, stamped with the time of the disconnect.
    pub(crate) fn death(&self, now_ms: TimestampMs) -> Vec<u8> {
        payload(false, now_ms)
    }

    /// A message on this host's own STATE topic.
    pub(crate) fn is_own(&self, topic: &str) -> bool {
        topic == self.topic
    }

    /// A death of an earlier connection delivered on the own topic while this one is up (its will,
    /// published late by the broker): it left `offline` retained, so the birth must be published again. A
    /// retained copy arriving with a new subscription is not one: the birth sent right after the
    /// subscription replaces it.
    pub(crate) fn is_stale_death(&self, payload: &[u8], retained: bool) -> bool {
        !retained
            && serde_json::from_slice::<StatePayload>(payload)
                .is_ok_and(|state| !state.online && state.timestamp < self.connect_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).expect("JSON")
    }

    #[test]
    fn the_birth_carries_the_timestamp_of_the_connects_will() {
        let mut state = HostState::new("takt-1");
        assert_eq!(state.topic(), "spBv1.0/STATE/takt-1");
        let will = state.will_for_connect(1_700_000_000_123);
        assert_eq!(will.topic, "spBv1.0/STATE/takt-1");
        assert_eq!((will.qos, will.retain), (QoS::AtLeastOnce, true));
        assert_eq!(
            json(&will.message),
            serde_json::json!({"online": false, "timestamp": 1_700_000_000_123_i64})
        );
        assert_eq!(
            json(&state.birth()),
            serde_json::json!({"online": true, "timestamp": 1_700_000_000_123_i64})
        );
        assert_eq!(
            json(&state.death(1_700_000_009_000)),
            serde_json::json!({"online": false, "timestamp": 1_700_000_009_000_i64})
        );
        // A reconnect registers a new will, and the next birth follows it.
        state.will_for_connect(1_700_000_100_000);
        assert_eq!(json(&state.birth())["timestamp"], 1_700_000_100_000_i64);
    }

    #[test]
    fn only_a_late_death_of_an_earlier_connection_is_stale() {
        let mut state = HostState::new("h");
        state.will_for_connect(5_000);
        assert!(state.is_own("spBv1.0/STATE/h"));
        assert!(!state.is_own("spBv1.0/STATE/other"));
        let old_death = br#"{"online":false,"timestamp":4000}"#;
        assert!(state.is_stale_death(old_death, false));
        assert!(
            !state.is_stale_death(old_death, true),
            "retained, on subscribing"
        );
        assert!(!state.is_stale_death(br#"{"online":true,"timestamp":5000}"#, false));
        assert!(
            !state.is_stale_death(br#"{"online":false,"timestamp":6000}"#, false),
            "newer than this connection"
        );
        assert!(!state.is_stale_death(b"OFFLINE", false), "not JSON");
    }
}
