//! [`SparkplugSession`]: what the MQTT task does with Sparkplug traffic — the host state machine plus the
//! mapping, turned into plant inputs and MQTT publishes (rebirth requests). Pure, so the wiring is testable
//! without a broker.

use takt_model::{FeedEvent, FeedPayload, TimestampMs};
use takt_plant::{PlantInput, ProtocolEvent};

use crate::settings::SparkplugSettings;
use crate::sparkplug::host::{HostConfig, HostError, HostEvent, SparkplugHost};
use crate::sparkplug::mapping::{MappedEvent, SparkplugMapper};
use crate::sparkplug::payload::rebirth_command;
use crate::sparkplug::topic::ncmd_topic;

/// Namespace prefix of every Sparkplug B topic.
pub const NAMESPACE: &str = "spBv1.0/";

/// What to do after a Sparkplug event: inputs for the plant state (feed events, decode errors,
/// `seq` gaps and rebirth requests for diagnostics), messages to publish.
#[derive(Debug, Default)]
pub struct Outputs {
    pub inputs: Vec<PlantInput>,
    /// `(topic, payload)`: NCMD rebirth requests.
    pub publishes: Vec<(String, Vec<u8>)>,
    /// Rebirths requested in this step (for logging).
    pub rebirths: usize,
}

pub struct SparkplugSession {
    host: SparkplugHost,
    mapper: SparkplugMapper,
    group: String,
    /// When to ask the nodes last seen before a reconnect for their births.
    rebirth_due: Option<TimestampMs>,
}

/// After a reconnect, edge nodes need a moment to reconnect and subscribe to their NCMD topic too: a rebirth
/// request sent before that is lost. Nodes that re-birth by themselves in the meantime are not asked.
pub const RECONNECT_GRACE_MS: TimestampMs = 400;

impl SparkplugSession {
    pub fn new(settings: &SparkplugSettings) -> Self {
        let config = HostConfig {
            reorder_timeout_ms: i64::from(settings.reorder_timeout_ms),
            rebirth_cooldown_ms: i64::from(settings.rebirth_cooldown_ms),
            ..HostConfig::default()
        };
        Self {
            host: SparkplugHost::new(config),
            mapper: SparkplugMapper::new(settings.mapping.clone()),
            group: settings.group_id.trim().to_owned(),
            rebirth_due: None,
        }
    }

    /// Topic filters to subscribe to: the group's messages and every host's STATE.
    pub fn subscriptions(&self) -> Vec<String> {
        if self.group.is_empty() {
            vec![format!("{NAMESPACE}#")]
        } else {
            vec![
                format!("{NAMESPACE}{}/#", self.group),
                format!("{NAMESPACE}STATE/+"),
            ]
        }
    }

    pub fn is_sparkplug(topic: &str) -> bool {
        topic.starts_with(NAMESPACE)
    }

    pub fn on_message(&mut self, topic: &str, payload: &[u8], now: TimestampMs) -> Outputs {
        let events = self.host.handle(topic, payload, now);
        self.outputs(events, Some(topic), now)
    }

    /// Reorder timeouts and delayed rebirth requests; call a few times a second.
    pub fn on_tick(&mut self, now: TimestampMs) -> Outputs {
        let mut events = self.host.tick(now);
        if self.rebirth_due.is_some_and(|due| now >= due) {
            self.rebirth_due = None;
            events.extend(self.host.connected(now));
        }
        self.outputs(events, None, now)
    }

    /// After every ConnAck: nodes seen before may have missed messages; they are asked to rebirth after
    /// [`RECONNECT_GRACE_MS`] (see [`Self::on_tick`]).
    pub fn on_connected(&mut self, now: TimestampMs) -> Outputs {
        self.rebirth_due = Some(now + RECONNECT_GRACE_MS);
        Outputs::default()
    }

    /// The broker is gone: everything is stale until the nodes are heard again.
    pub fn on_connection_lost(&mut self, now: TimestampMs) -> Outputs {
        let events = self.host.connection_lost(now);
        self.outputs(events, None, now)
    }

    fn outputs(
        &mut self,
        events: Vec<HostEvent>,
        topic: Option<&str>,
        now: TimestampMs,
    ) -> Outputs {
        let mut out = Outputs::default();
        for event in events {
            match &event {
                HostEvent::Rebirth {
                    group,
                    node,
                    reason,
                    topic,
                } => {
                    out.publishes
                        .push((ncmd_topic(group, node), rebirth_command(now.max(0) as u64)));
                    out.rebirths += 1;
                    // A reconnect names no message: count it against the node's own topic.
                    let topic = if topic.is_empty() {
                        source_topic(&event)
                    } else {
                        topic.clone()
                    };
                    out.inputs.push(PlantInput::Protocol {
                        topic,
                        event: ProtocolEvent::RebirthRequested {
                            reason: reason.to_string(),
                        },
                    });
                    continue;
                }
                // A gap is lost messages, not a bad one: counted apart from decode errors.
                HostEvent::Error {
                    topic,
                    error: HostError::SeqGap { expected, got },
                } => {
                    out.inputs.push(PlantInput::Protocol {
                        topic: topic.clone(),
                        event: ProtocolEvent::SeqGap {
                            expected: *expected,
                            got: *got,
                        },
                    });
                    continue;
                }
                HostEvent::Error { topic, error } => {
                    out.inputs.push(PlantInput::Rejected {
                        topic: topic.clone(),
                        error: error.to_string(),
                    });
                    continue;
                }
                _ => {}
            }
            let source = topic.map_or_else(|| source_topic(&event), str::to_owned);
            for mapped in self.mapper.map(&event, now) {
                match mapped {
                    Ok(MappedEvent::Feed(feed)) => out.inputs.push(PlantInput::Feed {
                        topic: source.clone(),
                        event: feed,
                    }),
                    Ok(MappedEvent::Measurement(m)) => out.inputs.push(PlantInput::Feed {
                        topic: source.clone(),
                        event: FeedEvent {
                            path: m.path,
                            timestamp_ms: m.timestamp_ms,
                            payload: FeedPayload::Measurement {
                                name: m.name,
                                value: m.value,
                            },
                        },
                    }),
                    Err(error) => out.inputs.push(PlantInput::Rejected {
                        topic: source.clone(),
                        error: error.to_string(),
                    }),
                }
            }
        }
        out
    }
}

/// A topic naming the node or device an event is about, for per-topic diagnostics.
fn source_topic(event: &HostEvent) -> String {
    let (group, node, device) = match event {
        HostEvent::NodeOnline { group, node, .. } | HostEvent::NodeOffline { group, node } => {
            (group, node, None)
        }
        HostEvent::DeviceOnline {
            group,
            node,
            device,
        }
        | HostEvent::DeviceOffline {
            group,
            node,
            device,
        } => (group, node, Some(device)),
        HostEvent::Stale {
            group,
            node,
            device,
        } => (group, node, device.as_ref()),
        HostEvent::Metric(m) => (&m.group, &m.node, m.device.as_ref()),
        HostEvent::Rebirth { group, node, .. } => (group, node, None),
        HostEvent::Error { topic, .. } => return topic.clone(),
    };
    match device {
        Some(d) => format!("{NAMESPACE}{group}/DDATA/{node}/{d}"),
        None => format!("{NAMESPACE}{group}/NDATA/{node}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparkplug::payload::{DecodedMetric, DecodedPayload, MetricValue, encode};

    fn metric(name: &str, alias: u64, value: MetricValue) -> DecodedMetric {
        DecodedMetric::new(name, value).with_alias(alias)
    }

    fn payload(seq: u64, metrics: Vec<DecodedMetric>) -> Vec<u8> {
        encode(&DecodedPayload {
            timestamp: Some(1_000),
            seq: Some(seq),
            metrics,
            ..Default::default()
        })
    }

    #[test]
    fn births_and_data_become_plant_inputs_and_a_gap_a_rebirth_request() {
        let mut s = SparkplugSession::new(&SparkplugSettings::default());
        assert_eq!(s.subscriptions(), vec!["spBv1.0/#".to_owned()]);
        let nbirth = payload(0, vec![metric("bdSeq", 0, MetricValue::Int64(0))]);
        let out = s.on_message(
            "spBv1.0/acme:berlin:packaging/NBIRTH/line-1",
            &nbirth,
            1_000,
        );
        assert!(out.publishes.is_empty());
        let dbirth = payload(
            1,
            vec![
                metric("State", 10, MetricValue::Int32(6)),
                metric("Good", 11, MetricValue::UInt64(100)),
            ],
        );
        let out = s.on_message(
            "spBv1.0/acme:berlin:packaging/DBIRTH/line-1/filler",
            &dbirth,
            1_001,
        );
        let feeds: Vec<String> = out
            .inputs
            .iter()
            .filter_map(|i| match i {
                PlantInput::Feed { event, .. } => Some(event.path.as_str().to_owned()),
                _ => None,
            })
            .collect();
        assert!(!feeds.is_empty(), "{:?}", out.inputs);
        assert!(
            feeds.iter().all(|p| p.ends_with("line-1/filler")),
            "{feeds:?}"
        );
        // seq 3 instead of 2: held; after the reorder timeout a rebirth is requested.
        let ddata = payload(3, vec![metric("Good", 11, MetricValue::UInt64(110))]);
        s.on_message(
            "spBv1.0/acme:berlin:packaging/DDATA/line-1/filler",
            &ddata,
            1_002,
        );
        let out = s.on_tick(10_000);
        assert_eq!(out.rebirths, 1, "{:?}", out.inputs);
        assert_eq!(
            out.publishes[0].0,
            "spBv1.0/acme:berlin:packaging/NCMD/line-1"
        );
        // Garbage is a per-topic rejection, not a panic.
        let out = s.on_message(
            "spBv1.0/acme:berlin:packaging/DDATA/line-1/filler",
            b"\xff\xff\xff",
            11_000,
        );
        assert!(
            out.inputs
                .iter()
                .any(|i| matches!(i, PlantInput::Rejected { .. }))
        );
    }

    /// The protocol inputs among a step's outputs, as `(topic, event)`.
    fn protocol(out: &Outputs) -> Vec<(String, ProtocolEvent)> {
        out.inputs
            .iter()
            .filter_map(|i| match i {
                PlantInput::Protocol { topic, event } => Some((topic.clone(), event.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_gap_is_a_protocol_input_and_so_is_the_rebirth_it_causes() {
        let mut s = SparkplugSession::new(&SparkplugSettings::default());
        let nbirth = payload(0, vec![metric("bdSeq", 0, MetricValue::Int64(0))]);
        s.on_message("spBv1.0/g:s:a/NBIRTH/n1", &nbirth, 0);
        let dbirth = payload(1, vec![metric("Good", 11, MetricValue::UInt64(1))]);
        s.on_message("spBv1.0/g:s:a/DBIRTH/n1/d1", &dbirth, 1);
        // seq 2 and 3 are lost; 4 waits for them, then the gap is reported.
        let ddata = "spBv1.0/g:s:a/DDATA/n1/d1";
        let out = s.on_message(
            ddata,
            &payload(4, vec![metric("Good", 11, MetricValue::UInt64(5))]),
            2,
        );
        assert!(protocol(&out).is_empty(), "held, not yet a gap");
        let out = s.on_tick(10_000);
        assert_eq!(
            protocol(&out),
            vec![
                (
                    ddata.to_owned(),
                    ProtocolEvent::SeqGap {
                        expected: 2,
                        got: 4
                    }
                ),
                (
                    ddata.to_owned(),
                    ProtocolEvent::RebirthRequested {
                        reason: "seq gap".into()
                    }
                ),
            ]
        );
        assert_eq!((out.rebirths, out.publishes.len()), (1, 1));
        assert!(
            !out.inputs
                .iter()
                .any(|i| matches!(i, PlantInput::Rejected { .. })),
            "a gap is not a decode error: {:?}",
            out.inputs
        );
        // The held message itself still reaches the plant.
        assert!(
            out.inputs
                .iter()
                .any(|i| matches!(i, PlantInput::Feed { topic, .. } if topic == ddata))
        );
    }

    #[test]
    fn a_rebirth_after_a_reconnect_counts_against_the_nodes_own_topic() {
        let mut s = SparkplugSession::new(&SparkplugSettings::default());
        let nbirth = payload(0, vec![metric("bdSeq", 0, MetricValue::Int64(0))]);
        s.on_message("spBv1.0/g:s:a/NBIRTH/n1", &nbirth, 0);
        s.on_connection_lost(1_000);
        s.on_connected(2_000);
        let out = s.on_tick(2_000 + RECONNECT_GRACE_MS);
        assert_eq!(
            protocol(&out),
            vec![(
                "spBv1.0/g:s:a/NDATA/n1".to_owned(),
                ProtocolEvent::RebirthRequested {
                    reason: "broker reconnected".into()
                }
            )]
        );
    }

    #[test]
    fn a_reconnect_asks_stale_nodes_to_rebirth_after_a_grace_period() {
        let mut s = SparkplugSession::new(&SparkplugSettings::default());
        let nbirth = payload(0, vec![metric("bdSeq", 0, MetricValue::Int64(0))]);
        s.on_message("spBv1.0/g:s:a/NBIRTH/n1", &nbirth, 0);
        s.on_connection_lost(1_000);
        assert!(s.on_connected(2_000).publishes.is_empty());
        assert!(
            s.on_tick(2_000 + RECONNECT_GRACE_MS - 1)
                .publishes
                .is_empty()
        );
        let out = s.on_tick(2_000 + RECONNECT_GRACE_MS);
        assert_eq!(out.publishes.len(), 1);
        assert_eq!(out.publishes[0].0, "spBv1.0/g:s:a/NCMD/n1");
        assert!(s.on_tick(5_000).publishes.is_empty(), "asked once");
    }

    #[test]
    fn a_group_subscribes_to_its_namespace_and_host_states() {
        let s = SparkplugSession::new(&SparkplugSettings {
            group_id: "plant1".into(),
            ..SparkplugSettings::default()
        });
        assert_eq!(
            s.subscriptions(),
            vec!["spBv1.0/plant1/#".to_owned(), "spBv1.0/STATE/+".to_owned()]
        );
    }
}
