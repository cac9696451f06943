//! Payload shapes: a bare JSON value, `{value, timestamp}`, or an object of several fields.

use super::DecodeError;
use serde_json::{Map, Value};
use takt_model::{CounterKind, FeedPayload, StateKind, TimestampMs, WorkCenterState};

/// Measurement names longer than this are refused: the live plant keeps every name it sees.
pub const MAX_MEASUREMENT_NAME_BYTES: usize = 64;

/// Takes the source time out of the fields: `timestamp_ms` or `timestamp`, each as integer
/// milliseconds since 1970 or an RFC 3339 text. Both are removed, so neither becomes a
/// measurement. Absent or `null`: the receive time.
pub fn timestamp(
    fields: &mut Map<String, Value>,
    received_ms: TimestampMs,
) -> Result<TimestampMs, DecodeError> {
    let ms = fields.remove("timestamp_ms");
    let text = fields.remove("timestamp");
    let (field, value) = match (ms, text) {
        (Some(v), _) if !v.is_null() => ("timestamp_ms", v),
        (_, Some(v)) if !v.is_null() => ("timestamp", v),
        _ => return Ok(received_ms),
    };
    let parsed = match &value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.timestamp_millis()),
        _ => None,
    };
    parsed
        .filter(|&t| t >= 0)
        .ok_or(DecodeError::Timestamp(field))
}

pub fn state(value: &Value, reason: Option<Value>) -> Result<FeedPayload, DecodeError> {
    let kind: StateKind = value
        .as_str()
        .ok_or_else(|| {
            DecodeError::State(format!(
                "expected a string, got {}",
                truncate(&value.to_string())
            ))
        })?
        .parse()
        .map_err(DecodeError::State)?;
    let reason = match reason {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) => Some(r),
        Some(other) => Some(other.to_string()),
    };
    Ok(FeedPayload::State {
        state: WorkCenterState::new(kind, reason),
    })
}

pub fn counter(kind: CounterKind, value: &Value) -> Result<FeedPayload, DecodeError> {
    let value =
        counter_value(value).ok_or_else(|| DecodeError::Counter(truncate(&value.to_string())))?;
    Ok(FeedPayload::Counter { kind, value })
}

pub fn order(value: Value, product: Option<Value>) -> Result<FeedPayload, DecodeError> {
    let order = match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s),
        other => return Err(DecodeError::Order(truncate(&other.to_string()))),
    };
    let product = product
        .and_then(|p| p.as_str().map(str::to_owned))
        .filter(|p| !p.is_empty());
    Ok(FeedPayload::Order { order, product })
}

/// A number under a name Takt has no tag for. `None` when the value is not a number.
pub fn measurement(name: &str, value: &Value) -> Option<Result<FeedPayload, DecodeError>> {
    let value = value.as_f64().filter(|v| v.is_finite())?;
    if name.is_empty() || name.len() > MAX_MEASUREMENT_NAME_BYTES || name.contains(char::is_control)
    {
        return Some(Err(DecodeError::MeasurementName(truncate(name))));
    }
    Some(Ok(FeedPayload::Measurement {
        name: name.to_owned(),
        value,
    }))
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

/// Offending values are quoted in errors: at most 40 bytes of them.
pub fn truncate(s: &str) -> String {
    if s.len() <= 40 {
        return s.to_owned();
    }
    let mut end = 40;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
