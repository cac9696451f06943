//! A tiny `500ms | 10s | 2m | 1h` duration parser, so the CLI needs no extra dependency for `--time`.

use std::time::Duration;

use crate::error::PlanError;

/// Parses a non-negative integer followed by a unit (`ms`, `s`, `m`, `h`); a bare integer means seconds.
/// Decimal seconds (`1.5s`) are accepted as well because benchmark budgets are often written that way.
pub fn parse_duration(text: &str) -> Result<Duration, PlanError> {
    let err = || PlanError::Duration(text.to_owned());
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() {
        return Err(err());
    }
    let scale_ms: f64 = match unit {
        "ms" => 1.0,
        "" | "s" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(err()),
    };
    if let Ok(n) = number.parse::<u64>() {
        let ms = n.checked_mul(scale_ms as u64).ok_or_else(err)?;
        return Ok(Duration::from_millis(ms));
    }
    let value: f64 = number.parse().map_err(|_| err())?;
    let ms = value * scale_ms;
    if !ms.is_finite() || !(0.0..=1e15).contains(&ms) {
        return Err(err());
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// Formats a duration the way [`parse_duration`] reads it back (`500ms`, `10s`, `1.5s`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.3}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(
            parse_duration("500ms").ok(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_duration("10s").ok(), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m").ok(), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h").ok(), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7").ok(), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_duration("1.5s").ok(),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "s",
            "10x",
            "-1s",
            "1.2.3s",
            "ms10",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn formats_round_trip() {
        for d in [
            Duration::from_millis(250),
            Duration::from_secs(10),
            Duration::from_millis(1500),
        ] {
            assert_eq!(parse_duration(&format_duration(d)).ok(), Some(d));
        }
    }
}
