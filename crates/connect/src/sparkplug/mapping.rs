//! From Sparkplug metrics to Takt's vocabulary: which ISA-95 equipment a group/node/device is,
//! and which metric is a work center's state, good count, scrap count, ideal rate or reason.
//!
//! [`SparkplugMapping`] is plain configuration (serde + specta, for the settings screen);
//! [`SparkplugMapper`] applies it to [`HostEvent`]s. The mapper remembers the last state and
//! reason per equipment because Sparkplug usually sends them as two metrics that change
//! independently, while Takt's state carries its reason.

use super::host::HostEvent;
use super::payload::MetricValue;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::{BTreeSet, HashMap};
use takt_model::{
    CounterKind, EquipmentPath, FeedEvent, FeedPayload, StateKind, TimestampMs, WorkCenterState,
};

/// Equipment remembered for state/reason pairing and offline marking; beyond it, new
/// equipment is still mapped but a reason arriving alone is not paired with an earlier state.
pub const MAX_REMEMBERED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct SparkplugMapping {
    /// Path of a device's equipment. Placeholders: `{group}`, `{node}`, `{device}`.
    pub device_path: String,
    /// Path of an edge node's own metrics (no device). Placeholders: `{group}`, `{node}`.
    pub node_path: String,
    /// Characters that split one Sparkplug id into several ISA-95 levels: with `:`, the group
    /// `acme:berlin:packaging` fills enterprise, site and area.
    pub separators: String,
    /// Explicit equipment, tried in order before the templates above.
    pub equipment: Vec<EquipmentRule>,
    /// Explicit metric → tag rules, tried in order before the default names.
    pub tags: Vec<TagRule>,
    /// Also recognise `State`, `Good`, `Scrap`/`Reject`, `IdealRate` and `Reason` (see
    /// [`default_tag`]).
    pub default_tags: bool,
    /// Explicit state values, tried in order before the defaults.
    pub state_values: Vec<StateValueRule>,
    /// Also recognise Takt's state names and PackML state numbers and names.
    pub default_state_values: bool,
    /// Metrics no rule names become measurements when their value is a number or boolean.
    pub unmapped_as_measurements: bool,
}

impl Default for SparkplugMapping {
    fn default() -> Self {
        Self {
            device_path: "{group}/{node}/{device}".into(),
            node_path: "{group}/{node}".into(),
            separators: ":".into(),
            equipment: Vec::new(),
            tags: Vec::new(),
            default_tags: true,
            state_values: Vec::new(),
            default_state_values: true,
            unmapped_as_measurements: false,
        }
    }
}

/// Maps one group/node/device (each exact, or `*` for any) to a path template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct EquipmentRule {
    pub group: String,
    pub node: String,
    /// `*` for any device, empty for the node's own metrics.
    #[serde(default)]
    pub device: String,
    /// A path or template, e.g. `acme/berlin/packaging/line-1/{device}`.
    pub path: String,
}

/// Names a metric: matched case-insensitively against the whole metric name or its last
/// `/`-separated part (`Filler/Counts/Good` matches `Good`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct TagRule {
    pub metric: String,
    pub tag: TaktTag,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaktTag {
    State,
    GoodCount,
    ScrapCount,
    IdealRate,
    ReasonCode,
    Measurement { name: String },
    Ignore,
}

/// A state metric's value (number or text, compared as text, case-insensitively) and the
/// Takt state it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct StateValueRule {
    pub value: String,
    pub state: StateKind,
    /// Used when no reason metric says otherwise, e.g. `PACKML-HELD`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The default metric names.
pub fn default_tag(metric_leaf: &str) -> Option<TaktTag> {
    let key: String = metric_leaf
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "state" | "status" | "machinestate" | "packmlstate" => TaktTag::State,
        "good" | "goodcount" | "goodparts" => TaktTag::GoodCount,
        "scrap" | "scrapcount" | "reject" | "rejects" | "rejectcount" => TaktTag::ScrapCount,
        "idealrate" | "idealcycle" => TaktTag::IdealRate,
        "reason" | "reasoncode" | "stopreason" => TaktTag::ReasonCode,
        _ => return None,
    })
}

/// PackML (ISA-TR88.00.02) state numbers and names, mapped onto Takt's states: producing is
/// Execute only; Held and aborts are unplanned stops; Suspended waits on upstream or downstream.
const PACKML: [(u8, &str, StateKind); 17] = [
    (1, "clearing", StateKind::Down),
    (2, "stopped", StateKind::PlannedStop),
    (3, "starting", StateKind::Idle),
    (4, "idle", StateKind::Idle),
    (5, "suspended", StateKind::Starved),
    (6, "execute", StateKind::Running),
    (7, "stopping", StateKind::Idle),
    (8, "aborting", StateKind::Down),
    (9, "aborted", StateKind::Down),
    (10, "holding", StateKind::Down),
    (11, "held", StateKind::Down),
    (12, "unholding", StateKind::Idle),
    (13, "suspending", StateKind::Starved),
    (14, "unsuspending", StateKind::Idle),
    (15, "resetting", StateKind::Idle),
    (16, "completing", StateKind::Idle),
    (17, "complete", StateKind::Idle),
];

/// A value that has no place in [`FeedPayload`]: ideal rates and free measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Measurement {
    pub path: EquipmentPath,
    /// `ideal_rate`, or the configured or metric name.
    pub name: String,
    pub value: f64,
    pub timestamp_ms: TimestampMs,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MappedEvent {
    Feed(FeedEvent),
    Measurement(Measurement),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("Sparkplug {group}/{node}{} maps to an invalid path: {error}", device.as_deref().map(|d| format!("/{d}")).unwrap_or_default())]
    Path {
        group: String,
        node: String,
        device: Option<String>,
        error: String,
    },
    #[error("{path}: state value `{value}` is not mapped to a Takt state")]
    StateValue { path: String, value: String },
    #[error(
        "{path}: metric `{metric}` must be a non-negative whole number for a counter, got {value}"
    )]
    Counter {
        path: String,
        metric: String,
        value: String,
    },
    #[error("{path}: metric `{metric}` is not a number")]
    NotANumber { path: String, metric: String },
}

#[derive(Debug, Default)]
struct Memo {
    state: Option<(StateKind, Option<String>, TimestampMs)>,
    reason: Option<String>,
}

pub struct SparkplugMapper {
    mapping: SparkplugMapping,
    memo: HashMap<EquipmentPath, Memo>,
    devices: HashMap<(String, String), BTreeSet<String>>,
    last_device: Option<(String, String, String)>,
}

impl SparkplugMapper {
    pub fn new(mapping: SparkplugMapping) -> Self {
        Self {
            mapping,
            memo: HashMap::new(),
            devices: HashMap::new(),
            last_device: None,
        }
    }

    pub fn mapping(&self) -> &SparkplugMapping {
        &self.mapping
    }

    /// The equipment path of a group/node/device.
    pub fn path(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
    ) -> Result<EquipmentPath, MappingError> {
        let matches = |pattern: &str, id: &str| pattern == "*" || pattern == id;
        let template = self
            .mapping
            .equipment
            .iter()
            .find(|r| {
                matches(&r.group, group)
                    && matches(&r.node, node)
                    && match device {
                        None => r.device.is_empty(),
                        Some(d) => matches(&r.device, d),
                    }
            })
            .map(|r| r.path.as_str())
            .unwrap_or(match device {
                Some(_) => &self.mapping.device_path,
                None => &self.mapping.node_path,
            });
        let split = |id: &str| {
            id.split(|c| self.mapping.separators.contains(c))
                .collect::<Vec<_>>()
                .join("/")
        };
        let path = template
            .replace("{group}", &split(group))
            .replace("{node}", &split(node))
            .replace("{device}", &device.map(split).unwrap_or_default());
        EquipmentPath::parse(&path).map_err(|e| MappingError::Path {
            group: group.to_owned(),
            node: node.to_owned(),
            device: device.map(str::to_owned),
            error: e.to_string(),
        })
    }

    /// The tag a metric name carries, if any.
    pub fn tag(&self, metric: &str) -> Option<TaktTag> {
        let leaf = metric.rsplit('/').next().unwrap_or(metric);
        let named = |rule: &TagRule| {
            rule.metric.eq_ignore_ascii_case(metric) || rule.metric.eq_ignore_ascii_case(leaf)
        };
        if let Some(rule) = self.mapping.tags.iter().find(|r| named(r)) {
            return Some(rule.tag.clone());
        }
        // Sparkplug's own bookkeeping metrics are never equipment data.
        if metric == "bdSeq"
            || metric.starts_with("Node Control/")
            || metric.starts_with("Device Control/")
        {
            return Some(TaktTag::Ignore);
        }
        if self.mapping.default_tags
            && let Some(tag) = default_tag(leaf)
        {
            return Some(tag);
        }
        self.mapping
            .unmapped_as_measurements
            .then(|| TaktTag::Measurement {
                name: metric.to_owned(),
            })
    }

    /// The Takt state (and default reason) a state metric's value means.
    pub fn state(&self, value: &MetricValue) -> Option<(StateKind, Option<String>)> {
        let text = state_text(value)?;
        let t = text.trim();
        if let Some(rule) = self
            .mapping
            .state_values
            .iter()
            .find(|r| r.value.trim().eq_ignore_ascii_case(t))
        {
            return Some((rule.state, rule.reason.clone()));
        }
        if !self.mapping.default_state_values {
            return None;
        }
        if let Ok(kind) = t.parse::<StateKind>() {
            return Some((kind, None));
        }
        PACKML
            .iter()
            .find(|(n, name, _)| t == n.to_string() || t.eq_ignore_ascii_case(name))
            .map(|&(_, name, kind)| {
                let reason = kind
                    .takes_reason()
                    .then(|| format!("PACKML-{}", name.to_uppercase()));
                (kind, reason)
            })
    }

    /// Maps one host event; `now_ms` stamps offline states (deaths carry no usable time).
    /// Historical values are skipped: the live plant state takes current values in order, and
    /// a late counter reading would look like a counter reset.
    pub fn map(
        &mut self,
        event: &HostEvent,
        now_ms: TimestampMs,
    ) -> Vec<Result<MappedEvent, MappingError>> {
        match event {
            HostEvent::Metric(m) if !m.historical => {
                if let Some(d) = &m.device {
                    self.remember_device(&m.group, &m.node, d);
                }
                let Some(tag) = self.tag(&m.name) else {
                    return Vec::new();
                };
                if tag == TaktTag::Ignore || m.value == MetricValue::Null {
                    return Vec::new();
                }
                let path = match self.path(&m.group, &m.node, m.device.as_deref()) {
                    Ok(p) => p,
                    Err(e) => return vec![Err(e)],
                };
                let ts = i64::try_from(m.timestamp_ms).unwrap_or(i64::MAX);
                self.metric(path, &m.name, tag, &m.value, ts)
            }
            HostEvent::DeviceOffline {
                group,
                node,
                device,
            } => vec![self.offline(group, node, Some(device), now_ms)],
            HostEvent::NodeOffline { group, node } => {
                let mut out = vec![self.offline(group, node, None, now_ms)];
                let devices = self
                    .devices
                    .get(&(group.clone(), node.clone()))
                    .cloned()
                    .unwrap_or_default();
                for d in devices {
                    out.push(self.offline(group, node, Some(&d), now_ms));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    fn remember_device(&mut self, group: &str, node: &str, device: &str) {
        // A data message carries many metrics of one device: skip the lookup for its other metrics.
        if self
            .last_device
            .as_ref()
            .is_some_and(|(g, n, d)| g == group && n == node && d == device)
        {
            return;
        }
        self.last_device = Some((group.to_owned(), node.to_owned(), device.to_owned()));
        let key = (group.to_owned(), node.to_owned());
        let total: usize = self.devices.values().map(BTreeSet::len).sum();
        if total < MAX_REMEMBERED || self.devices.get(&key).is_some_and(|s| s.contains(device)) {
            self.devices
                .entry(key)
                .or_default()
                .insert(device.to_owned());
        }
    }

    fn offline(
        &mut self,
        group: &str,
        node: &str,
        device: Option<&str>,
        now_ms: TimestampMs,
    ) -> Result<MappedEvent, MappingError> {
        let path = self.path(group, node, device)?;
        if let Some(memo) = self.memo.get_mut(&path) {
            memo.state = None;
        }
        Ok(MappedEvent::Feed(FeedEvent {
            path,
            timestamp_ms: now_ms,
            payload: FeedPayload::State {
                state: WorkCenterState::offline(),
            },
        }))
    }

    fn metric(
        &mut self,
        path: EquipmentPath,
        name: &str,
        tag: TaktTag,
        value: &MetricValue,
        ts: TimestampMs,
    ) -> Vec<Result<MappedEvent, MappingError>> {
        let feed = |path: EquipmentPath, payload| {
            vec![Ok(MappedEvent::Feed(FeedEvent {
                path,
                timestamp_ms: ts,
                payload,
            }))]
        };
        match tag {
            TaktTag::State => {
                let Some((kind, default_reason)) = self.state(value) else {
                    return vec![Err(MappingError::StateValue {
                        path: path.to_string(),
                        value: state_text(value).unwrap_or_else(|| format!("{value:?}")),
                    })];
                };
                let memo = self.memo_for(&path);
                let reason = memo
                    .and_then(|m| m.reason.clone())
                    .or_else(|| default_reason.clone());
                if let Some(m) = self.memo_for(&path) {
                    m.state = Some((kind, default_reason, ts));
                }
                feed(
                    path,
                    FeedPayload::State {
                        state: WorkCenterState::new(kind, reason),
                    },
                )
            }
            TaktTag::ReasonCode => {
                let reason = state_text(value).filter(|r| !r.trim().is_empty() && r != "0");
                let Some(memo) = self.memo_for(&path) else {
                    return Vec::new();
                };
                memo.reason = reason.clone();
                // A new reason re-announces the current stop with it.
                match memo.state.clone() {
                    Some((kind, default_reason, _)) if kind.takes_reason() => feed(
                        path,
                        FeedPayload::State {
                            state: WorkCenterState::new(kind, reason.or(default_reason)),
                        },
                    ),
                    _ => Vec::new(),
                }
            }
            TaktTag::GoodCount | TaktTag::ScrapCount => {
                let kind = if tag == TaktTag::GoodCount {
                    CounterKind::Good
                } else {
                    CounterKind::Scrap
                };
                match counter(value) {
                    Some(v) => feed(path, FeedPayload::Counter { kind, value: v }),
                    None => vec![Err(MappingError::Counter {
                        path: path.to_string(),
                        metric: name.to_owned(),
                        value: state_text(value).unwrap_or_else(|| format!("{value:?}")),
                    })],
                }
            }
            TaktTag::IdealRate | TaktTag::Measurement { .. } => {
                let name = match tag {
                    TaktTag::Measurement { name } => name,
                    _ => "ideal_rate".to_owned(),
                };
                match value.as_f64() {
                    Some(v) if v.is_finite() => vec![Ok(MappedEvent::Measurement(Measurement {
                        path,
                        name,
                        value: v,
                        timestamp_ms: ts,
                    }))],
                    _ => vec![Err(MappingError::NotANumber {
                        path: path.to_string(),
                        metric: name,
                    })],
                }
            }
            TaktTag::Ignore => Vec::new(),
        }
    }

    fn memo_for(&mut self, path: &EquipmentPath) -> Option<&mut Memo> {
        if !self.memo.contains_key(path) && self.memo.len() >= MAX_REMEMBERED {
            return None;
        }
        Some(self.memo.entry(path.clone()).or_default())
    }
}

/// Numbers and text as the text that state rules compare.
fn state_text(value: &MetricValue) -> Option<String> {
    if let Some(s) = value.as_str() {
        return Some(s.to_owned());
    }
    if let Some(i) = value.as_i128() {
        return Some(i.to_string());
    }
    match value {
        MetricValue::Boolean(b) => Some(b.to_string()),
        MetricValue::Float(_) | MetricValue::Double(_) => {
            let f = value.as_f64()?;
            Some(if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", f as i64)
            } else {
                f.to_string()
            })
        }
        _ => None,
    }
}

/// Counters are whole and non-negative; whole floats are accepted (PLC gateways send them).
fn counter(value: &MetricValue) -> Option<u64> {
    if let Some(i) = value.as_i128() {
        return u64::try_from(i).ok();
    }
    match value {
        MetricValue::Float(_) | MetricValue::Double(_) => {
            let f = value.as_f64()?;
            (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparkplug::host::MetricUpdate;
    use crate::sparkplug::payload::DataType;

    fn update(device: Option<&str>, name: &str, value: MetricValue) -> HostEvent {
        HostEvent::Metric(MetricUpdate {
            group: "acme:berlin:pack".into(),
            node: "line-1".into(),
            device: device.map(Into::into),
            name: name.into(),
            alias: None,
            datatype: value.datatype().unwrap_or(DataType::Int32),
            value,
            timestamp_ms: 1_000,
            historical: false,
            transient: false,
        })
    }

    fn feed(out: Vec<Result<MappedEvent, MappingError>>) -> Vec<(String, FeedPayload)> {
        out.into_iter()
            .map(|r| match r {
                Ok(MappedEvent::Feed(e)) => (e.path.to_string(), e.payload),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn state(kind: StateKind, reason: Option<&str>) -> FeedPayload {
        FeedPayload::State {
            state: WorkCenterState::new(kind, reason.map(Into::into)),
        }
    }

    const WC: &str = "acme/berlin/pack/line-1/filler";

    #[test]
    fn default_rules_map_paths_states_counters_and_reasons() {
        let mut m = SparkplugMapper::new(SparkplugMapping::default());
        let f = Some("filler");
        assert_eq!(
            feed(m.map(&update(f, "Status/State", MetricValue::Int32(6)), 0)),
            [(WC.into(), state(StateKind::Running, None))]
        );
        assert_eq!(
            feed(m.map(&update(f, "Counts/Good", MetricValue::UInt64(120)), 0)),
            [(
                WC.into(),
                FeedPayload::Counter {
                    kind: CounterKind::Good,
                    value: 120
                }
            )]
        );
        assert_eq!(
            feed(m.map(&update(f, "Reject", MetricValue::Double(3.0)), 0)),
            [(
                WC.into(),
                FeedPayload::Counter {
                    kind: CounterKind::Scrap,
                    value: 3
                }
            )]
        );
        // PackML Held is a stop; a reason metric re-announces it with the reason.
        assert_eq!(
            feed(m.map(&update(f, "State", MetricValue::String("Held".into())), 0)),
            [(WC.into(), state(StateKind::Down, Some("PACKML-HELD")))]
        );
        assert_eq!(
            feed(m.map(
                &update(f, "Reason", MetricValue::String("MECH-JAM".into())),
                0
            )),
            [(WC.into(), state(StateKind::Down, Some("MECH-JAM")))]
        );
        // The remembered reason applies to the next stop, and a running state drops it.
        assert_eq!(
            feed(m.map(&update(f, "State", MetricValue::String("down".into())), 0)),
            [(WC.into(), state(StateKind::Down, Some("MECH-JAM")))]
        );
        assert_eq!(
            feed(m.map(&update(f, "State", MetricValue::Int64(6)), 0)),
            [(WC.into(), state(StateKind::Running, None))]
        );
        // A reason while running changes nothing visible.
        assert!(
            m.map(&update(f, "Reason", MetricValue::Int32(42)), 0)
                .is_empty()
        );
        let out = m.map(&update(f, "IdealRate", MetricValue::Float(1.5)), 0);
        assert_eq!(
            out,
            [Ok(MappedEvent::Measurement(Measurement {
                path: EquipmentPath::parse(WC).unwrap(),
                name: "ideal_rate".into(),
                value: 1.5,
                timestamp_ms: 1_000
            }))]
        );
        // Node-level metrics map to the node path; bookkeeping and unnamed metrics are skipped.
        assert_eq!(
            feed(m.map(&update(None, "Good", MetricValue::UInt32(1)), 0)),
            [(
                "acme/berlin/pack/line-1".into(),
                FeedPayload::Counter {
                    kind: CounterKind::Good,
                    value: 1
                }
            )]
        );
        assert!(
            m.map(&update(None, "bdSeq", MetricValue::Int64(0)), 0)
                .is_empty()
        );
        assert!(
            m.map(
                &update(None, "Node Control/Rebirth", MetricValue::Boolean(false)),
                0
            )
            .is_empty()
        );
        assert!(
            m.map(&update(f, "Temperature", MetricValue::Float(20.0)), 0)
                .is_empty()
        );
        assert!(m.map(&update(f, "Good", MetricValue::Null), 0).is_empty());
        let HostEvent::Metric(mut historical) = update(f, "Good", MetricValue::UInt32(1)) else {
            unreachable!()
        };
        historical.historical = true;
        assert!(m.map(&HostEvent::Metric(historical), 0).is_empty());
    }

    #[test]
    fn explicit_rules_win_and_unmapped_metrics_can_be_measurements() {
        let mapping: SparkplugMapping = serde_json::from_value(serde_json::json!({
            "separators": "",
            "equipment": [
                {"group": "*", "node": "line-1", "device": "*", "path": "acme/berlin/pack/line-1/{device}"}
            ],
            "tags": [
                {"metric": "MachineMode", "tag": {"kind": "state"}},
                {"metric": "Good", "tag": {"kind": "ignore"}},
                {"metric": "OutCount", "tag": {"kind": "good_count"}},
                {"metric": "Temp", "tag": {"kind": "measurement", "name": "temperature"}}
            ],
            "state_values": [{"value": "3", "state": "planned_stop", "reason": "BREAK"}],
            "default_state_values": false,
            "unmapped_as_measurements": true
        }))
        .unwrap();
        let mut m = SparkplugMapper::new(mapping.clone());
        let f = Some("filler");
        assert_eq!(
            feed(m.map(&update(f, "MachineMode", MetricValue::UInt8(3)), 0)),
            [(WC.into(), state(StateKind::PlannedStop, Some("BREAK")))]
        );
        assert!(matches!(
            &m.map(
                &update(f, "MachineMode", MetricValue::String("running".into())),
                0
            )[..],
            [Err(MappingError::StateValue { .. })]
        ));
        assert!(
            m.map(&update(f, "Good", MetricValue::UInt32(1)), 0)
                .is_empty()
        );
        assert_eq!(
            feed(m.map(&update(f, "OutCount", MetricValue::UInt32(7)), 0)).len(),
            1
        );
        let names: Vec<String> = [("Temp", 20.5), ("Vibration", 0.1)]
            .iter()
            .flat_map(|(n, v)| m.map(&update(f, n, MetricValue::Double(*v)), 0))
            .map(|r| match r {
                Ok(MappedEvent::Measurement(x)) => x.name,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["temperature", "Vibration"]);
        // The node's own metrics use the node template (the rule names devices only).
        assert!(matches!(
            m.path("acme:berlin:pack", "line-1", None),
            Ok(p) if p.as_str() == "acme:berlin:pack/line-1"
        ));
        // The settings round-trip through JSON; `{}` is the default.
        let json = serde_json::to_string(&mapping).unwrap();
        assert_eq!(
            serde_json::from_str::<SparkplugMapping>(&json).unwrap(),
            mapping
        );
        assert_eq!(
            serde_json::from_str::<SparkplugMapping>("{}").unwrap(),
            SparkplugMapping::default()
        );
    }

    #[test]
    fn bad_values_and_paths_are_errors() {
        let mut m = SparkplugMapper::new(SparkplugMapping::default());
        let f = Some("filler");
        assert!(matches!(
            &m.map(&update(f, "Good", MetricValue::Int32(-1)), 0)[..],
            [Err(MappingError::Counter { .. })]
        ));
        assert!(matches!(
            &m.map(&update(f, "Scrap", MetricValue::Double(1.5)), 0)[..],
            [Err(MappingError::Counter { .. })]
        ));
        assert!(matches!(
            &m.map(&update(f, "State", MetricValue::Int32(99)), 0)[..],
            [Err(MappingError::StateValue { .. })]
        ));
        assert!(matches!(
            &m.map(
                &update(f, "IdealRate", MetricValue::String("fast".into())),
                0
            )[..],
            [Err(MappingError::NotANumber { .. })]
        ));
        // Six levels: deeper than ISA-95's five.
        assert!(matches!(
            &m.map(&update(Some("a:b"), "Good", MetricValue::UInt32(1)), 0)[..],
            [Err(MappingError::Path { .. })]
        ));
    }

    #[test]
    fn deaths_map_to_offline_states() {
        let mut m = SparkplugMapper::new(SparkplugMapping::default());
        m.map(&update(Some("filler"), "State", MetricValue::Int32(6)), 0);
        m.map(&update(Some("capper"), "Good", MetricValue::Int32(6)), 0);
        let out = feed(m.map(
            &HostEvent::NodeOffline {
                group: "acme:berlin:pack".into(),
                node: "line-1".into(),
            },
            5,
        ));
        let offline = state(StateKind::Offline, None);
        assert_eq!(
            out,
            [
                ("acme/berlin/pack/line-1".into(), offline.clone()),
                ("acme/berlin/pack/line-1/capper".into(), offline.clone()),
                (WC.into(), offline.clone())
            ]
        );
        let out = feed(m.map(
            &HostEvent::DeviceOffline {
                group: "acme:berlin:pack".into(),
                node: "line-1".into(),
                device: "filler".into(),
            },
            5,
        ));
        assert_eq!(out, [(WC.into(), offline)]);
    }
}
