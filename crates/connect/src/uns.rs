//! The Unified Namespace JSON contract (documented in docs/mqtt-contract.md).
//!
//! By default, topics follow the ISA-95 hierarchy: `<enterprise>/<site>/<area>/<line>/<workcenter>/<tag>`
//! for work-center tags (`state`, `good`, `scrap`, any other name with a number is a measurement),
//! `<…>/<line>/order` for the line's order, and the work-center or line topic without a tag for an
//! object of several fields. `broker.uns` ([`UnsMapping`]) replaces the topic layout and renames tags.
//! Payloads are a bare JSON value, `{value, timestamp_ms | timestamp}`, or (without a tag) an object.

mod payload;
mod topic;

pub use payload::MAX_MEASUREMENT_NAME_BYTES;
pub use topic::{TopicRule, UnsMapping, UnsMappingError};

use serde_json::{Map, Value};
use takt_model::{CounterKind, FeedEvent, FeedPayload, Level, TimestampMs};
use topic::TopicMap;

/// Payloads larger than this are refused without parsing.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "unknown topic: expected <enterprise>/<site>/<area>/<line>/<workcenter>[/<tag>] or <enterprise>/<site>/<area>/<line>[/order]"
    )]
    UnknownTopic,
    #[error("unknown topic: it matches no rule of broker.uns.topics")]
    NoRule,
    #[error(
        "unknown tag `{0}` with a value that is not a number (known: state, good, scrap and numbers as measurements on work centers; order on lines)"
    )]
    UnknownTag(String),
    #[error("invalid equipment path: {0}")]
    Path(String),
    #[error("payload of {0} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit")]
    Oversized(usize),
    #[error("payload is not valid JSON: {0}")]
    Json(String),
    #[error("payload must be a JSON value or an object with a `value` field")]
    Shape,
    #[error(
        "a topic without a tag takes a JSON object of fields (state, good, scrap, …; order on lines), not a `value`"
    )]
    Fields,
    #[error(
        "the object has no field Takt uses (state, good, scrap or a number on work centers; order on lines)"
    )]
    NoFields,
    #[error(
        "`{0}` must be an integer number of milliseconds since 1970 or an RFC 3339 time, not before 1970"
    )]
    Timestamp(&'static str),
    #[error("invalid state: {0}")]
    State(String),
    #[error("counter value must be a non-negative integer, got {0}")]
    Counter(String),
    #[error("order value must be a string or null, got {0}")]
    Order(String),
    #[error("measurement name `{0}` must be 1 to 64 bytes without control characters")]
    MeasurementName(String),
}

/// Decodes messages under the default contract or a configured [`UnsMapping`].
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    topics: TopicMap,
}

impl Decoder {
    /// `None` is the default contract. Fails on a mapping that cannot be used.
    pub fn new(mapping: Option<&UnsMapping>) -> Result<Self, UnsMappingError> {
        Ok(Self {
            topics: TopicMap::new(mapping)?,
        })
    }

    /// Decodes one message into one event per value it carries (at least one).
    /// `received_ms` stands in for a missing timestamp.
    pub fn decode(
        &self,
        topic: &str,
        payload: &[u8],
        received_ms: TimestampMs,
    ) -> Result<Vec<FeedEvent>, DecodeError> {
        let target = self.topics.resolve(topic)?;
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(DecodeError::Oversized(payload.len()));
        }
        let json: Value =
            serde_json::from_slice(payload).map_err(|e| DecodeError::Json(e.to_string()))?;
        let path = target.path;
        let (timestamp_ms, payloads) = match target.tag {
            Some(tag) => {
                let (ts, payload) = self.tagged(&tag, json, received_ms)?;
                (ts, vec![payload])
            }
            None => {
                let Value::Object(object) = json else {
                    return Err(DecodeError::Fields);
                };
                if object.contains_key("value") {
                    return Err(DecodeError::Fields);
                }
                let mut fields = self.renamed(object);
                let ts = payload::timestamp(&mut fields, received_ms)?;
                let payloads = if path.level() == Level::Line {
                    line_fields(fields)?
                } else {
                    work_center_fields(fields)?
                };
                (ts, payloads)
            }
        };
        Ok(payloads
            .into_iter()
            .map(|payload| FeedEvent {
                path: path.clone(),
                timestamp_ms,
                payload,
            })
            .collect())
    }

    /// One tag's value: bare, or `{value, timestamp…, reason | product}`.
    fn tagged(
        &self,
        tag: &str,
        json: Value,
        received_ms: TimestampMs,
    ) -> Result<(TimestampMs, FeedPayload), DecodeError> {
        let (value, mut fields) = match json {
            Value::Object(mut object) => {
                // `value` must be present, though it may be null (an order tag with no order).
                let value = object.remove("value").ok_or(DecodeError::Shape)?;
                (value, self.renamed(object))
            }
            Value::Array(_) => return Err(DecodeError::Shape),
            scalar => (scalar, Map::new()),
        };
        let ts = payload::timestamp(&mut fields, received_ms)?;
        let payload = match tag {
            "state" => payload::state(&value, fields.remove("reason"))?,
            "good" => payload::counter(CounterKind::Good, &value)?,
            "scrap" => payload::counter(CounterKind::Scrap, &value)?,
            "order" => payload::order(value, fields.remove("product"))?,
            name => payload::measurement(name, &value)
                .ok_or_else(|| DecodeError::UnknownTag(payload::truncate(name)))??,
        };
        Ok((ts, payload))
    }

    /// The object's fields under Takt's names.
    fn renamed(&self, object: Map<String, Value>) -> Map<String, Value> {
        object
            .into_iter()
            .map(|(k, v)| {
                let name = self.topics.alias(&k).to_owned();
                (name, v)
            })
            .collect()
    }
}

/// A work center's object: state (with reason), counters, and every other number as a
/// measurement; other fields are ignored. One bad field refuses the whole message.
fn work_center_fields(mut fields: Map<String, Value>) -> Result<Vec<FeedPayload>, DecodeError> {
    let mut out = Vec::new();
    let reason = fields.remove("reason");
    if let Some(state) = fields.remove("state") {
        out.push(payload::state(&state, reason)?);
    }
    for (name, kind) in [("good", CounterKind::Good), ("scrap", CounterKind::Scrap)] {
        if let Some(value) = fields.remove(name) {
            out.push(payload::counter(kind, &value)?);
        }
    }
    // Line fields have no meaning on a work center.
    fields.remove("order");
    fields.remove("product");
    for (name, value) in &fields {
        if let Some(measurement) = payload::measurement(name, value) {
            out.push(measurement?);
        }
    }
    if out.is_empty() {
        return Err(DecodeError::NoFields);
    }
    Ok(out)
}

/// A line's object: `order` (may be null) and `product`.
fn line_fields(mut fields: Map<String, Value>) -> Result<Vec<FeedPayload>, DecodeError> {
    let order = fields.remove("order").ok_or(DecodeError::NoFields)?;
    Ok(vec![payload::order(order, fields.remove("product"))?])
}

/// Decodes one message under the default contract (no `broker.uns` mapping).
pub fn decode(
    topic: &str,
    payload: &[u8],
    received_ms: TimestampMs,
) -> Result<Vec<FeedEvent>, DecodeError> {
    Decoder::default().decode(topic, payload, received_ms)
}

/// Encodes a message the way [`decode`] expects it (used by the simulator and tests).
pub fn encode(event: &FeedEvent) -> (String, Vec<u8>) {
    let ts = event.timestamp_ms;
    let (tag, body) = match &event.payload {
        FeedPayload::State { state } => (
            "state",
            serde_json::json!({"timestamp_ms": ts, "value": state.kind.as_str(), "reason": state.reason}),
        ),
        FeedPayload::Counter { kind, value } => (
            if *kind == CounterKind::Good {
                "good"
            } else {
                "scrap"
            },
            serde_json::json!({"timestamp_ms": ts, "value": value}),
        ),
        FeedPayload::Order { order, product } => (
            "order",
            serde_json::json!({"timestamp_ms": ts, "value": order, "product": product}),
        ),
        FeedPayload::Measurement { name, value } => (
            name.as_str(),
            serde_json::json!({"timestamp_ms": ts, "value": value}),
        ),
    };
    (
        format!("{}/{tag}", event.path),
        body.to_string().into_bytes(),
    )
}

#[cfg(test)]
#[path = "uns/tests.rs"]
mod tests;
