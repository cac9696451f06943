//! A Sparkplug B host application as a pure state machine: messages and time go in,
//! [`HostEvent`]s come out. The MQTT task feeds it and publishes the rebirth requests.
//!
//! Rules (Sparkplug 3.0):
//! - NBIRTH starts a session: `seq` 0, a `bdSeq` metric, every node metric with name, datatype
//!   and optional alias. DBIRTH does the same for a device under the node.
//! - `seq` runs 0–255 (then 0 again) over NBIRTH, DBIRTH, NDATA, DDATA and DDEATH of one node.
//!   A message ahead of the expected `seq` is held for `reorder_timeout_ms`; if the missing
//!   ones arrive everything is applied in order, otherwise the gap is reported, the held
//!   messages are applied and a rebirth is requested.
//! - NDEATH ends the session only when its `bdSeq` matches the NBIRTH's: the broker may deliver
//!   the will of an older connection after the node has already reconnected.
//! - Rebirths (NCMD `Node Control/Rebirth`) are requested on a `seq` gap, an unknown alias or
//!   metric, data from a node or device with no birth, and an undecodable message, at most once
//!   per `rebirth_cooldown_ms` per node, so a storm of gaps costs one rebirth.

use super::payload::{
    self, DataType, DecodeLimits, MetricValue, SparkplugError, ValueError, decode_metric_with,
};
use super::proto;
use super::topic::{MessageType, SparkplugTopic, TopicError};
use std::collections::{BTreeMap, HashMap};
use takt_model::TimestampMs;

#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    /// How long a message ahead of the expected `seq` waits for the gap to fill.
    pub reorder_timeout_ms: i64,
    /// Minimum time between two rebirth requests to one edge node.
    pub rebirth_cooldown_ms: i64,
    pub max_nodes: usize,
    pub max_devices_per_node: usize,
    /// Metrics of one edge node or device.
    pub max_metrics: usize,
    /// Messages held per node while waiting for a missing `seq`.
    pub max_held_messages: usize,
    pub max_held_bytes: usize,
    pub limits: DecodeLimits,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            reorder_timeout_ms: 2_000,
            rebirth_cooldown_ms: 5_000,
            max_nodes: 10_000,
            max_devices_per_node: 1_000,
            max_metrics: 100_000,
            max_held_messages: 64,
            max_held_bytes: 8 * 1024 * 1024,
            limits: DecodeLimits::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebirthReason {
    SeqGap,
    MissingSeq,
    UnknownAlias,
    UnknownMetric,
    UnknownDevice,
    /// Data from a node (or device) whose birth this host has not seen.
    NoBirth,
    Undecodable,
    /// The broker connection came back: births sent meanwhile were missed.
    Reconnected,
}

impl std::fmt::Display for RebirthReason {
    /// Short words for the diagnostics view.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RebirthReason::SeqGap => "seq gap",
            RebirthReason::MissingSeq => "missing or invalid seq",
            RebirthReason::UnknownAlias => "unknown alias",
            RebirthReason::UnknownMetric => "unknown metric",
            RebirthReason::UnknownDevice => "unknown device",
            RebirthReason::NoBirth => "data before birth",
            RebirthReason::Undecodable => "undecodable message",
            RebirthReason::Reconnected => "broker reconnected",
        })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HostError {
    #[error("{0}")]
    Topic(TopicError),
    #[error("{0}")]
    Decode(SparkplugError),
    #[error("metric {metric}: {error}")]
    Metric { metric: String, error: ValueError },
    #[error("metric {metric}: datatype {now:?} differs from {birth:?} in the birth")]
    DatatypeChanged {
        metric: String,
        birth: DataType,
        now: DataType,
    },
    #[error("message has no seq")]
    MissingSeq,
    #[error("seq {0} is outside 0–255")]
    SeqRange(u64),
    #[error("seq gap: expected {expected}, got {got}")]
    SeqGap { expected: u8, got: u8 },
    #[error("NBIRTH has seq {0}; it must be 0")]
    BirthSeq(u64),
    #[error("NBIRTH has no integer bdSeq metric")]
    MissingBdSeq,
    #[error(
        "ignored NDEATH with bdSeq {death:?}: the current session was born with bdSeq {birth:?}"
    )]
    StaleDeath {
        death: Option<u64>,
        birth: Option<u64>,
    },
    #[error("unknown metric alias {0}: not in the birth")]
    UnknownAlias(u64),
    #[error("unknown metric `{0}`: not in the birth")]
    UnknownMetric(String),
    #[error("metric #{0} has neither name nor alias")]
    Anonymous(usize),
    #[error("birth metric {0} has no name")]
    UnnamedBirthMetric(String),
    #[error("alias {alias} of `{metric}` is already used by `{first}`")]
    DuplicateAlias {
        alias: u64,
        metric: String,
        first: String,
    },
    #[error("device `{0}` has no birth in this session")]
    UnknownDevice(String),
    #[error("edge node has no birth in this session")]
    NoBirth,
    #[error("limit reached: at most {max} {what}")]
    Limit { what: &'static str, max: usize },
}

/// One metric value, current or historical.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricUpdate {
    pub group: String,
    pub node: String,
    pub device: Option<String>,
    pub name: String,
    pub alias: Option<u64>,
    pub datatype: DataType,
    pub value: MetricValue,
    /// The metric's timestamp, else the payload's, else the time received (ms, UTC).
    pub timestamp_ms: u64,
    /// A stored value sent late: never overwrites the current value.
    pub historical: bool,
    pub transient: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HostEvent {
    NodeOnline {
        group: String,
        node: String,
        bd_seq: Option<u64>,
    },
    NodeOffline {
        group: String,
        node: String,
    },
    DeviceOnline {
        group: String,
        node: String,
        device: String,
    },
    DeviceOffline {
        group: String,
        node: String,
        device: String,
    },
    /// The last values may be outdated (broker connection lost, or the node re-born and the
    /// device has not yet).
    Stale {
        group: String,
        node: String,
        device: Option<String>,
    },
    Metric(MetricUpdate),
    /// Publish [`payload::rebirth_command`] to [`super::topic::ncmd_topic`]`(group, node)`.
    Rebirth {
        group: String,
        node: String,
        reason: RebirthReason,
        /// The message that caused it (empty for a reconnect).
        topic: String,
    },
    /// A problem with one message, for the per-topic diagnostics.
    Error {
        topic: String,
        error: HostError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Offline,
    Stale,
}

#[derive(Debug)]
struct Entry {
    name: String,
    datatype: DataType,
    value: MetricValue,
}

/// The metrics of one node or device, addressable by name and alias.
#[derive(Debug, Default)]
struct Table {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    by_alias: HashMap<u64, usize>,
}

#[derive(Debug)]
struct Device {
    status: Status,
    metrics: Table,
}

struct Held {
    seq: u8,
    topic: String,
    message: MessageType,
    device: Option<String>,
    payload: proto::Payload,
    bytes: usize,
    since_ms: TimestampMs,
}

struct Node {
    status: Status,
    /// Whether an NBIRTH of the current session was seen: only then is `seq` meaningful.
    born: bool,
    bd_seq: Option<u64>,
    next_seq: u8,
    metrics: Table,
    devices: BTreeMap<String, Device>,
    held: Vec<Held>,
    last_rebirth_ms: Option<TimestampMs>,
}

impl Node {
    fn new() -> Self {
        Node {
            status: Status::Offline,
            born: false,
            bd_seq: None,
            next_seq: 0,
            metrics: Table::default(),
            devices: BTreeMap::new(),
            held: Vec::new(),
            last_rebirth_ms: None,
        }
    }
}

type Key = (String, String);

/// Context of the message being applied, for events.
struct Msg<'a> {
    group: &'a str,
    node: &'a str,
    topic: &'a str,
    now_ms: u64,
}

impl Msg<'_> {
    fn error(&self, out: &mut Vec<HostEvent>, error: HostError) {
        out.push(HostEvent::Error {
            topic: self.topic.to_owned(),
            error,
        });
    }
}

pub struct SparkplugHost {
    config: HostConfig,
    nodes: BTreeMap<Key, Node>,
}

impl SparkplugHost {
    pub fn new(config: HostConfig) -> Self {
        Self {
            config,
            nodes: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    pub fn node_status(&self, group: &str, node: &str) -> Option<Status> {
        let n = self.nodes.get(&(group.to_owned(), node.to_owned()))?;
        (n.born || n.status != Status::Offline || n.bd_seq.is_some()).then_some(n.status)
    }

    pub fn device_status(&self, group: &str, node: &str, device: &str) -> Option<Status> {
        let n = self.nodes.get(&(group.to_owned(), node.to_owned()))?;
        n.devices.get(device).map(|d| d.status)
    }

    /// The current value of a node metric (`device` `None`) or device metric.
    pub fn value(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
        name: &str,
    ) -> Option<&MetricValue> {
        let n = self.nodes.get(&(group.to_owned(), node.to_owned()))?;
        let table = match device {
            None => &n.metrics,
            Some(d) => &n.devices.get(d)?.metrics,
        };
        table.by_name.get(name).map(|&i| &table.entries[i].value)
    }

    /// The bdSeq of the node's current session.
    pub fn bd_seq(&self, group: &str, node: &str) -> Option<u64> {
        self.nodes.get(&(group.to_owned(), node.to_owned()))?.bd_seq
    }

    /// Handles one MQTT message on a `spBv1.0/…` topic.
    pub fn handle(&mut self, topic: &str, bytes: &[u8], now_ms: TimestampMs) -> Vec<HostEvent> {
        let mut out = Vec::new();
        let parsed = match SparkplugTopic::parse(topic) {
            Ok(t) => t,
            Err(e) => {
                out.push(HostEvent::Error {
                    topic: topic.to_owned(),
                    error: HostError::Topic(e),
                });
                return out;
            }
        };
        let SparkplugTopic::Edge {
            group,
            message,
            node,
            device,
        } = parsed
        else {
            return out; // host STATE messages: ours or another host's; nothing to track
        };
        if matches!(message, MessageType::NCmd | MessageType::DCmd) {
            return out; // commands to edge nodes, possibly our own rebirth requests
        }
        let msg = Msg {
            group: &group,
            node: &node,
            topic,
            now_ms: now_ms.max(0) as u64,
        };
        let key = (group.clone(), node.clone());
        let payload = match payload::decode_raw(bytes, &self.config.limits) {
            Ok(p) => p,
            Err(e) => {
                msg.error(&mut out, HostError::Decode(e));
                // A lost birth or data message leaves us out of step with the node.
                if message != MessageType::NDeath {
                    self.rebirth(
                        &key,
                        RebirthReason::Undecodable,
                        &msg,
                        now_ms,
                        false,
                        &mut out,
                    );
                }
                return out;
            }
        };
        match message {
            MessageType::NBirth => self.nbirth(key, &msg, payload, &mut out),
            MessageType::NDeath => self.ndeath(&key, &msg, &payload, &mut out),
            _ => self.sequenced(
                key,
                &msg,
                message,
                device,
                payload,
                bytes.len(),
                now_ms,
                &mut out,
            ),
        }
        out
    }

    /// Flushes held messages whose gap did not fill in time.
    pub fn tick(&mut self, now_ms: TimestampMs) -> Vec<HostEvent> {
        let mut out = Vec::new();
        let timeout = self.config.reorder_timeout_ms;
        let due: Vec<Key> = self
            .nodes
            .iter()
            .filter(|(_, n)| {
                n.held
                    .iter()
                    .map(|h| h.since_ms)
                    .min()
                    .is_some_and(|since| now_ms.saturating_sub(since) >= timeout)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.flush(&key, now_ms, &mut out);
        }
        out
    }

    /// The broker connection is gone: every value may now be outdated, and `seq` continuity
    /// is lost until the next births.
    pub fn connection_lost(&mut self, _now_ms: TimestampMs) -> Vec<HostEvent> {
        let mut out = Vec::new();
        for ((group, node), n) in &mut self.nodes {
            n.born = false;
            n.held.clear();
            if n.status == Status::Online {
                n.status = Status::Stale;
                out.push(HostEvent::Stale {
                    group: group.clone(),
                    node: node.clone(),
                    device: None,
                });
            }
            for (device, d) in &mut n.devices {
                if d.status == Status::Online {
                    d.status = Status::Stale;
                    out.push(HostEvent::Stale {
                        group: group.clone(),
                        node: node.clone(),
                        device: Some(device.clone()),
                    });
                }
            }
        }
        out
    }

    /// Connected (again): ask every node we knew as live for its births, ignoring the cooldown
    /// since an earlier request may have been lost with the connection.
    pub fn connected(&mut self, now_ms: TimestampMs) -> Vec<HostEvent> {
        let mut out = Vec::new();
        for ((group, node), n) in &mut self.nodes {
            if n.status == Status::Stale {
                n.last_rebirth_ms = Some(now_ms);
                out.push(HostEvent::Rebirth {
                    group: group.clone(),
                    node: node.clone(),
                    reason: RebirthReason::Reconnected,
                    topic: String::new(),
                });
            }
        }
        out
    }

    fn rebirth(
        &mut self,
        key: &Key,
        reason: RebirthReason,
        msg: &Msg,
        now_ms: TimestampMs,
        create: bool,
        out: &mut Vec<HostEvent>,
    ) {
        if !self.nodes.contains_key(key) {
            // The cooldown needs a record even for nodes never born; bounded like any node.
            if !create || self.nodes.len() >= self.config.max_nodes {
                if create {
                    msg.error(
                        out,
                        HostError::Limit {
                            what: "edge nodes",
                            max: self.config.max_nodes,
                        },
                    );
                }
                return;
            }
            self.nodes.insert(key.clone(), Node::new());
        }
        let Some(n) = self.nodes.get_mut(key) else {
            return;
        };
        let cooldown = self.config.rebirth_cooldown_ms;
        if n.last_rebirth_ms
            .is_some_and(|t| now_ms.saturating_sub(t) < cooldown && now_ms >= t)
        {
            return;
        }
        n.last_rebirth_ms = Some(now_ms);
        out.push(HostEvent::Rebirth {
            group: key.0.clone(),
            node: key.1.clone(),
            reason,
            topic: msg.topic.to_owned(),
        });
    }

    fn nbirth(&mut self, key: Key, msg: &Msg, payload: proto::Payload, out: &mut Vec<HostEvent>) {
        if !self.nodes.contains_key(&key) && self.nodes.len() >= self.config.max_nodes {
            msg.error(
                out,
                HostError::Limit {
                    what: "edge nodes",
                    max: self.config.max_nodes,
                },
            );
            return;
        }
        // Accepted even with a wrong seq: refusing would only loop on rebirths.
        let seq = match payload.seq {
            Some(0) => 0,
            Some(s) => {
                msg.error(out, HostError::BirthSeq(s));
                u8::try_from(s).unwrap_or(0)
            }
            None => {
                msg.error(out, HostError::MissingSeq);
                0
            }
        };
        let bd_seq = payload
            .metrics
            .iter()
            .find(|m| m.name.as_deref() == Some("bdSeq"))
            .and_then(bd_seq_value);
        if bd_seq.is_none() {
            msg.error(out, HostError::MissingBdSeq);
        }
        let n = self.nodes.entry(key).or_insert_with(Node::new);
        n.born = true;
        n.status = Status::Online;
        n.bd_seq = bd_seq;
        n.next_seq = seq.wrapping_add(1);
        n.held.clear();
        out.push(HostEvent::NodeOnline {
            group: msg.group.to_owned(),
            node: msg.node.to_owned(),
            bd_seq,
        });
        // Devices of the previous session are unknown until their DBIRTH.
        for (device, d) in &mut n.devices {
            if d.status == Status::Online {
                d.status = Status::Stale;
                out.push(HostEvent::Stale {
                    group: msg.group.to_owned(),
                    node: msg.node.to_owned(),
                    device: Some(device.clone()),
                });
            }
        }
        n.metrics = birth_table(&self.config, msg, None, &payload, out);
    }

    fn ndeath(&mut self, key: &Key, msg: &Msg, payload: &proto::Payload, out: &mut Vec<HostEvent>) {
        let Some(n) = self.nodes.get_mut(key) else {
            return; // never born here: nothing to take offline
        };
        let death = payload
            .metrics
            .iter()
            .find(|m| m.name.as_deref() == Some("bdSeq"))
            .and_then(bd_seq_value);
        if n.bd_seq.is_some() && death != n.bd_seq {
            msg.error(
                out,
                HostError::StaleDeath {
                    death,
                    birth: n.bd_seq,
                },
            );
            return;
        }
        if n.status == Status::Offline {
            return;
        }
        n.status = Status::Offline;
        n.born = false;
        n.held.clear();
        out.push(HostEvent::NodeOffline {
            group: msg.group.to_owned(),
            node: msg.node.to_owned(),
        });
        for (device, d) in &mut n.devices {
            if d.status != Status::Offline {
                d.status = Status::Offline;
                out.push(HostEvent::DeviceOffline {
                    group: msg.group.to_owned(),
                    node: msg.node.to_owned(),
                    device: device.clone(),
                });
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn sequenced(
        &mut self,
        key: Key,
        msg: &Msg,
        message: MessageType,
        device: Option<String>,
        payload: proto::Payload,
        bytes: usize,
        now_ms: TimestampMs,
        out: &mut Vec<HostEvent>,
    ) {
        if !self.nodes.get(&key).is_some_and(|n| n.born) {
            msg.error(out, HostError::NoBirth);
            self.rebirth(&key, RebirthReason::NoBirth, msg, now_ms, true, out);
            return;
        }
        let seq = match payload.seq {
            None => {
                msg.error(out, HostError::MissingSeq);
                self.rebirth(&key, RebirthReason::MissingSeq, msg, now_ms, false, out);
                return;
            }
            Some(s) => match u8::try_from(s) {
                Ok(s) => s,
                Err(_) => {
                    msg.error(out, HostError::SeqRange(s));
                    self.rebirth(&key, RebirthReason::MissingSeq, msg, now_ms, false, out);
                    return;
                }
            },
        };
        let Some(n) = self.nodes.get_mut(&key) else {
            return;
        };
        let ahead = seq.wrapping_sub(n.next_seq);
        if ahead == 0 {
            let reason = apply(
                &self.config,
                n,
                msg,
                message,
                device.as_deref(),
                &payload,
                out,
            );
            n.next_seq = seq.wrapping_add(1);
            let mut reasons = vec![reason];
            // The message may have filled a gap: apply what waited for it.
            while let Some(i) = n.held.iter().position(|h| h.seq == n.next_seq) {
                let h = n.held.swap_remove(i);
                let m = Msg {
                    topic: &h.topic,
                    ..*msg
                };
                reasons.push(apply(
                    &self.config,
                    n,
                    &m,
                    h.message,
                    h.device.as_deref(),
                    &h.payload,
                    out,
                ));
                n.next_seq = h.seq.wrapping_add(1);
            }
            if let Some(reason) = reasons.into_iter().flatten().next() {
                self.rebirth(&key, reason, msg, now_ms, false, out);
            }
        } else if ahead < 128 {
            if n.held.iter().any(|h| h.seq == seq) {
                msg.error(
                    out,
                    HostError::SeqGap {
                        expected: n.next_seq,
                        got: seq,
                    },
                );
                return;
            }
            n.held.push(Held {
                seq,
                topic: msg.topic.to_owned(),
                message,
                device,
                payload,
                bytes,
                since_ms: now_ms,
            });
            let held_bytes: usize = n.held.iter().map(|h| h.bytes).sum();
            if n.held.len() > self.config.max_held_messages
                || held_bytes > self.config.max_held_bytes
            {
                self.flush(&key, now_ms, out);
            }
        } else {
            // Behind: a duplicate or a node that restarted its seq without a birth.
            msg.error(
                out,
                HostError::SeqGap {
                    expected: n.next_seq,
                    got: seq,
                },
            );
            self.rebirth(&key, RebirthReason::SeqGap, msg, now_ms, false, out);
        }
    }

    /// Gives up waiting for a missing seq: reports the gap, applies what was held in order and
    /// asks for a rebirth (the values stay useful; the rebirth restores certainty).
    fn flush(&mut self, key: &Key, now_ms: TimestampMs, out: &mut Vec<HostEvent>) {
        let Some(n) = self.nodes.get_mut(key) else {
            return;
        };
        let mut held = std::mem::take(&mut n.held);
        let next = n.next_seq;
        held.sort_by_key(|h| h.seq.wrapping_sub(next));
        let Some(first) = held.first() else {
            return;
        };
        let topic = first.topic.clone();
        out.push(HostEvent::Error {
            topic: topic.clone(),
            error: HostError::SeqGap {
                expected: next,
                got: first.seq,
            },
        });
        for h in &held {
            let m = Msg {
                group: &key.0,
                node: &key.1,
                topic: &h.topic,
                now_ms: now_ms.max(0) as u64,
            };
            apply(
                &self.config,
                n,
                &m,
                h.message,
                h.device.as_deref(),
                &h.payload,
                out,
            );
            n.next_seq = h.seq.wrapping_add(1);
        }
        let msg = Msg {
            group: &key.0,
            node: &key.1,
            topic: &topic,
            now_ms: now_ms.max(0) as u64,
        };
        self.rebirth(key, RebirthReason::SeqGap, &msg, now_ms, false, out);
    }
}

fn bd_seq_value(m: &proto::Metric) -> Option<u64> {
    match m.value {
        Some(proto::metric::Value::LongValue(v)) => Some(v),
        Some(proto::metric::Value::IntValue(v)) => Some(v.into()),
        _ => None,
    }
}

/// Applies one in-sequence DBIRTH, NDATA, DDATA or DDEATH; returns why a rebirth is needed.
fn apply(
    config: &HostConfig,
    n: &mut Node,
    msg: &Msg,
    message: MessageType,
    device: Option<&str>,
    payload: &proto::Payload,
    out: &mut Vec<HostEvent>,
) -> Option<RebirthReason> {
    match (message, device) {
        (MessageType::DBirth, Some(d)) => {
            if !n.devices.contains_key(d) && n.devices.len() >= config.max_devices_per_node {
                msg.error(
                    out,
                    HostError::Limit {
                        what: "devices per edge node",
                        max: config.max_devices_per_node,
                    },
                );
                return None;
            }
            out.push(HostEvent::DeviceOnline {
                group: msg.group.to_owned(),
                node: msg.node.to_owned(),
                device: d.to_owned(),
            });
            let metrics = birth_table(config, msg, Some(d), payload, out);
            n.devices.insert(
                d.to_owned(),
                Device {
                    status: Status::Online,
                    metrics,
                },
            );
            None
        }
        (MessageType::DDeath, Some(d)) => {
            if let Some(dev) = n.devices.get_mut(d)
                && dev.status != Status::Offline
            {
                dev.status = Status::Offline;
                out.push(HostEvent::DeviceOffline {
                    group: msg.group.to_owned(),
                    node: msg.node.to_owned(),
                    device: d.to_owned(),
                });
            }
            None
        }
        (MessageType::NData, None) => {
            update(&mut n.metrics, msg, None, payload, &config.limits, out)
        }
        (MessageType::DData, Some(d)) => match n.devices.get_mut(d) {
            Some(dev) if dev.status == Status::Online => {
                update(&mut dev.metrics, msg, Some(d), payload, &config.limits, out)
            }
            _ => {
                msg.error(out, HostError::UnknownDevice(d.to_owned()));
                Some(RebirthReason::UnknownDevice)
            }
        },
        _ => None, // the topic parser guarantees device ids match the message type
    }
}

fn timestamp(m: &proto::Metric, payload: &proto::Payload, msg: &Msg) -> u64 {
    m.timestamp.or(payload.timestamp).unwrap_or(msg.now_ms)
}

fn metric_event(
    msg: &Msg,
    device: Option<&str>,
    name: &str,
    m: &proto::Metric,
    datatype: DataType,
    value: MetricValue,
    timestamp_ms: u64,
) -> HostEvent {
    HostEvent::Metric(MetricUpdate {
        group: msg.group.to_owned(),
        node: msg.node.to_owned(),
        device: device.map(str::to_owned),
        name: name.to_owned(),
        alias: m.alias,
        datatype,
        value,
        timestamp_ms,
        historical: m.is_historical == Some(true),
        transient: m.is_transient == Some(true),
    })
}

/// Builds a node's or device's metric table from its birth, reporting each bad metric.
fn birth_table(
    config: &HostConfig,
    msg: &Msg,
    device: Option<&str>,
    payload: &proto::Payload,
    out: &mut Vec<HostEvent>,
) -> Table {
    let mut table = Table::default();
    for (i, m) in payload.metrics.iter().enumerate() {
        let label = payload::label(m.name.as_deref(), m.alias, Some(i));
        let Some(name) = m.name.as_deref() else {
            msg.error(out, HostError::UnnamedBirthMetric(label));
            continue;
        };
        let (datatype, value) = match decode_metric_with(m, None, &config.limits) {
            Ok(d) => (d.datatype, d.value),
            Err(error) => {
                msg.error(
                    out,
                    HostError::Metric {
                        metric: label,
                        error,
                    },
                );
                // A known datatype keeps the metric addressable; its value stays unknown.
                match m.datatype.and_then(DataType::from_code) {
                    Some(t) => (t, MetricValue::Null),
                    None => continue,
                }
            }
        };
        let ts = timestamp(m, payload, msg);
        let historical = m.is_historical == Some(true);
        let index = match table.by_name.get(name) {
            Some(&i) => i,
            None => {
                if table.entries.len() >= config.max_metrics {
                    msg.error(
                        out,
                        HostError::Limit {
                            what: "metrics per edge node or device",
                            max: config.max_metrics,
                        },
                    );
                    break;
                }
                table.entries.push(Entry {
                    name: name.to_owned(),
                    datatype,
                    value: MetricValue::Null,
                });
                table
                    .by_name
                    .insert(name.to_owned(), table.entries.len() - 1);
                table.entries.len() - 1
            }
        };
        if let Some(alias) = m.alias {
            match table.by_alias.get(&alias) {
                Some(&other) if other != index => msg.error(
                    out,
                    HostError::DuplicateAlias {
                        alias,
                        metric: name.to_owned(),
                        first: table.entries[other].name.clone(),
                    },
                ),
                _ => {
                    table.by_alias.insert(alias, index);
                }
            }
        }
        let entry = &mut table.entries[index];
        entry.datatype = datatype;
        if !historical {
            entry.value = value.clone();
        }
        out.push(metric_event(msg, device, name, m, datatype, value, ts));
    }
    table
}

/// Applies NDATA/DDATA metrics by alias or name.
fn update(
    table: &mut Table,
    msg: &Msg,
    device: Option<&str>,
    payload: &proto::Payload,
    limits: &DecodeLimits,
    out: &mut Vec<HostEvent>,
) -> Option<RebirthReason> {
    let mut rebirth = None;
    for (i, m) in payload.metrics.iter().enumerate() {
        let index = match (m.alias, m.name.as_deref()) {
            (Some(a), name) => match (table.by_alias.get(&a), name) {
                (Some(&i), _) => i,
                (None, Some(n)) if table.by_name.contains_key(n) => table.by_name[n],
                _ => {
                    msg.error(out, HostError::UnknownAlias(a));
                    rebirth.get_or_insert(RebirthReason::UnknownAlias);
                    continue;
                }
            },
            (None, Some(n)) => match table.by_name.get(n) {
                Some(&i) => i,
                None => {
                    msg.error(out, HostError::UnknownMetric(n.to_owned()));
                    rebirth.get_or_insert(RebirthReason::UnknownMetric);
                    continue;
                }
            },
            (None, None) => {
                msg.error(out, HostError::Anonymous(i));
                continue;
            }
        };
        let entry = &mut table.entries[index];
        let decoded = match decode_metric_with(m, Some(entry.datatype), limits) {
            Ok(d) => d,
            Err(error) => {
                msg.error(
                    out,
                    HostError::Metric {
                        metric: format!("`{}`", entry.name),
                        error,
                    },
                );
                continue;
            }
        };
        if decoded.datatype != entry.datatype {
            msg.error(
                out,
                HostError::DatatypeChanged {
                    metric: format!("`{}`", entry.name),
                    birth: entry.datatype,
                    now: decoded.datatype,
                },
            );
            continue;
        }
        let ts = timestamp(m, payload, msg);
        if !decoded.is_historical {
            entry.value = decoded.value.clone();
        }
        let name = entry.name.clone();
        out.push(metric_event(
            msg,
            device,
            &name,
            m,
            entry.datatype,
            decoded.value,
            ts,
        ));
    }
    rebirth
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
