//! The Unified Namespace JSON contract (documented in docs/mqtt-contract.md).
//!
//! Topics: `<enterprise>/<site>/<area>/<line>/<workcenter>/<tag>` for work-center tags
//! (`state`, `good`, `scrap`) and `<enterprise>/<site>/<area>/<line>/<tag>` for line tags
//! (`order`). Payloads are JSON objects with a `value` and an optional `timestamp_ms`.

use serde_json::Value;
use takt_model::{
    CounterKind, EquipmentPath, FeedEvent, FeedPayload, StateKind, TimestampMs, WorkCenterState,
};

/// Payloads larger than this are refused without parsing.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "unknown topic: expected <enterprise>/<site>/<area>/<line>/<workcenter>/(state|good|scrap) or <enterprise>/<site>/<area>/<line>/order"
    )]
    UnknownTopic,
    #[error("unknown tag `{0}` (known: state, good, scrap on work centers; order on lines)")]
    UnknownTag(String),
    #[error("invalid equipment path: {0}")]
    Path(String),
    #[error("payload of {0} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit")]
    Oversized(usize),
    #[error("payload is not valid JSON: {0}")]
    Json(String),
    #[error("payload must be a JSON object with a `value` field")]
    Shape,
    #[error("`timestamp_ms` must be an integer number of milliseconds since 1970")]
    Timestamp,
    #[error("invalid state: {0}")]
    State(String),
    #[error("counter value must be a non-negative integer, got {0}")]
    Counter(String),
    #[error("order value must be a string or null, got {0}")]
    Order(String),
}

/// Decodes one message. `received_ms` stands in for a missing `timestamp_ms`.
pub fn decode(
    topic: &str,
    payload: &[u8],
    received_ms: TimestampMs,
) -> Result<FeedEvent, DecodeError> {
    let (path, tag) = topic.rsplit_once('/').ok_or(DecodeError::UnknownTopic)?;
    let depth = path.split('/').count();
    let expected_depth = match tag {
        "state" | "good" | "scrap" => 5,
        "order" => 4,
        other if depth == 4 || depth == 5 => return Err(DecodeError::UnknownTag(other.to_owned())),
        _ => return Err(DecodeError::UnknownTopic),
    };
    if depth != expected_depth {
        return Err(DecodeError::UnknownTopic);
    }
    let path = EquipmentPath::parse(path).map_err(|e| DecodeError::Path(e.to_string()))?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(DecodeError::Oversized(payload.len()));
    }
    let envelope: Value =
        serde_json::from_slice(payload).map_err(|e| DecodeError::Json(e.to_string()))?;
    let Value::Object(mut envelope) = envelope else {
        return Err(DecodeError::Shape);
    };
    let timestamp_ms = match envelope.remove("timestamp_ms") {
        None | Some(Value::Null) => received_ms,
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|&t| t >= 0)
            .ok_or(DecodeError::Timestamp)?,
        Some(_) => return Err(DecodeError::Timestamp),
    };
    // `value` must be present, though it may be null (an order tag with no order).
    let value = envelope.remove("value").ok_or(DecodeError::Shape)?;
    let payload = match tag {
        "state" => {
            let kind: StateKind = value
                .as_str()
                .ok_or_else(|| DecodeError::State(format!("expected a string, got {value}")))?
                .parse()
                .map_err(DecodeError::State)?;
            let reason = match envelope.remove("reason") {
                None | Some(Value::Null) => None,
                Some(Value::String(r)) => Some(r),
                Some(other) => Some(other.to_string()),
            };
            FeedPayload::State {
                state: WorkCenterState::new(kind, reason),
            }
        }
        "good" | "scrap" => {
            let value = counter_value(&value)
                .ok_or_else(|| DecodeError::Counter(truncate(&value.to_string())))?;
            let kind = if tag == "good" {
                CounterKind::Good
            } else {
                CounterKind::Scrap
            };
            FeedPayload::Counter { kind, value }
        }
        _ => {
            let order = match value {
                Value::Null => None,
                Value::String(s) if s.trim().is_empty() => None,
                Value::String(s) => Some(s),
                other => return Err(DecodeError::Order(truncate(&other.to_string()))),
            };
            let product = envelope
                .remove("product")
                .and_then(|p| p.as_str().map(str::to_owned))
                .filter(|p| !p.is_empty());
            FeedPayload::Order { order, product }
        }
    };
    Ok(FeedEvent {
        path,
        timestamp_ms,
        payload,
    })
}

/// Counters are integers; PLC gateways often send them as floats (`1234.0`), which we accept
/// when they are whole and in range.
fn counter_value(value: &Value) -> Option<u64> {
    let n = value.as_number()?;
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
}

fn truncate(s: &str) -> String {
    if s.len() <= 40 {
        return s.to_owned();
    }
    let mut end = 40;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Encodes a message the way [`decode`] expects it (used by the simulator and tests).
pub fn encode(event: &FeedEvent) -> (String, Vec<u8>) {
    let (tag, body) = match &event.payload {
        FeedPayload::State { state } => (
            "state",
            serde_json::json!({"timestamp_ms": event.timestamp_ms, "value": state.kind.as_str(), "reason": state.reason}),
        ),
        FeedPayload::Counter { kind, value } => (
            if *kind == CounterKind::Good {
                "good"
            } else {
                "scrap"
            },
            serde_json::json!({"timestamp_ms": event.timestamp_ms, "value": value}),
        ),
        FeedPayload::Order { order, product } => (
            "order",
            serde_json::json!({"timestamp_ms": event.timestamp_ms, "value": order, "product": product}),
        ),
    };
    (
        format!("{}/{tag}", event.path),
        body.to_string().into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WC: &str = "acme/berlin/pack/line-1/filler";

    #[test]
    fn decodes_states_with_reasons() {
        let e = decode(
            &format!("{WC}/state"),
            br#"{"timestamp_ms": 1732550400123, "value": "down", "reason": "JAM"}"#,
            5,
        )
        .unwrap();
        assert_eq!(e.path.as_str(), WC);
        assert_eq!(e.timestamp_ms, 1732550400123);
        assert_eq!(
            e.payload,
            FeedPayload::State {
                state: WorkCenterState::new(StateKind::Down, Some("JAM".into()))
            }
        );
    }

    #[test]
    fn decodes_counters_and_orders() {
        let e = decode(&format!("{WC}/good"), br#"{"value": 1234}"#, 77).unwrap();
        assert_eq!(
            (e.timestamp_ms, e.payload),
            (
                77,
                FeedPayload::Counter {
                    kind: CounterKind::Good,
                    value: 1234
                }
            )
        );
        let e = decode(
            &format!("{WC}/scrap"),
            br#"{"value": 12.0, "timestamp_ms": 1}"#,
            0,
        )
        .unwrap();
        assert_eq!(
            e.payload,
            FeedPayload::Counter {
                kind: CounterKind::Scrap,
                value: 12
            }
        );
        let e = decode(
            "acme/berlin/pack/line-1/order",
            br#"{"value": "WO-1", "product": "P-7"}"#,
            0,
        )
        .unwrap();
        assert_eq!(
            e.payload,
            FeedPayload::Order {
                order: Some("WO-1".into()),
                product: Some("P-7".into())
            }
        );
        let e = decode("acme/berlin/pack/line-1/order", br#"{"value": null}"#, 0).unwrap();
        assert_eq!(
            e.payload,
            FeedPayload::Order {
                order: None,
                product: None
            }
        );
    }

    #[test]
    fn round_trips_through_encode() {
        let event = decode(
            &format!("{WC}/state"),
            br#"{"timestamp_ms": 9, "value": "planned_stop", "reason": "BREAK"}"#,
            0,
        )
        .unwrap();
        let (topic, payload) = encode(&event);
        assert_eq!(decode(&topic, &payload, 0).unwrap(), event);
    }

    #[test]
    fn rejects_bad_input_precisely() {
        let t = format!("{WC}/good");
        assert_eq!(decode("acme/x", b"{}", 0), Err(DecodeError::UnknownTopic));
        assert_eq!(
            decode("a/b/c/d/e/f/state", b"{}", 0),
            Err(DecodeError::UnknownTopic)
        );
        assert_eq!(
            decode(&format!("{WC}/temperature"), b"{}", 0),
            Err(DecodeError::UnknownTag("temperature".into()))
        );
        assert_eq!(
            decode("acme/berlin/pack/line-1/good", b"{}", 0),
            Err(DecodeError::UnknownTopic)
        );
        assert!(matches!(
            decode(&t, b"{not json", 0),
            Err(DecodeError::Json(_))
        ));
        assert_eq!(decode(&t, b"[1,2]", 0), Err(DecodeError::Shape));
        assert_eq!(decode(&t, b"{\"val\": 1}", 0), Err(DecodeError::Shape));
        assert!(matches!(
            decode(&t, br#"{"value": "many"}"#, 0),
            Err(DecodeError::Counter(_))
        ));
        assert!(matches!(
            decode(&t, br#"{"value": -3}"#, 0),
            Err(DecodeError::Counter(_))
        ));
        assert!(matches!(
            decode(&t, br#"{"value": 1.5}"#, 0),
            Err(DecodeError::Counter(_))
        ));
        assert_eq!(
            decode(&t, br#"{"value": 1, "timestamp_ms": "yesterday"}"#, 0),
            Err(DecodeError::Timestamp)
        );
        assert!(matches!(
            decode(&format!("{WC}/state"), br#"{"value": "exploded"}"#, 0),
            Err(DecodeError::State(_))
        ));
        assert_eq!(
            decode(&t, &vec![b' '; MAX_PAYLOAD_BYTES + 1], 0),
            Err(DecodeError::Oversized(MAX_PAYLOAD_BYTES + 1))
        );
        assert!(matches!(
            decode("acme/+/pack/line-1/filler/good", b"{}", 0),
            Err(DecodeError::Path(_))
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz over mutated valid payloads; proper fuzzing comes with
        // the hardened connectivity work.
        let seeds: [&[u8]; 3] = [
            br#"{"timestamp_ms": 1, "value": "down", "reason": "J"}"#,
            br#"{"value": 18446744073709551615}"#,
            br#"{"value": null, "product": 3}"#,
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let (mut accepted, mut rejected) = (0, 0);
        for seed in seeds {
            for _ in 0..3_000 {
                let mut bytes = seed.to_vec();
                for _ in 0..3 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let i = (x as usize) % bytes.len();
                    bytes[i] = (x >> 32) as u8;
                }
                for tag in ["state", "good", "order"] {
                    let topic = if tag == "order" {
                        "a/b/c/d/order".to_owned()
                    } else {
                        format!("a/b/c/d/e/{tag}")
                    };
                    match decode(&topic, &bytes, 0) {
                        Ok(_) => accepted += 1,
                        Err(_) => rejected += 1,
                    }
                }
            }
        }
        assert!(
            accepted > 0 && rejected > 0,
            "accepted {accepted}, rejected {rejected}"
        );
    }
}
