//! The rules: what counts as a problem, and the little history the rate rule needs between snapshots.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::{StateKind, TimestampMs};
use takt_plant::{FeedHealth, LinkState, PlantSnapshot};

use crate::{AlertKind, Finding, Severity};

const MINUTE_MS: i64 = 60_000;

/// How long the broker link must be down before it is an alert.
pub const BROKER_GRACE_MS: i64 = 10_000;

/// Thresholds of the alert rules; a zero threshold turns its rule off. Defaults are common andon settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct AlertRules {
    /// A work center down longer than this (minutes) raises a warning…
    pub down_minutes: u32,
    /// …which becomes critical after this long.
    pub down_critical_minutes: u32,
    /// A line making less than this share of its standard output (percent)…
    pub rate_under_percent: f64,
    /// …over this window (minutes).
    pub rate_window_minutes: u32,
    /// A work center whose scrap share this shift is above this (percent)…
    pub scrap_over_percent: f64,
    /// …once it has made at least this many parts (fewer are noise).
    pub scrap_min_parts: u64,
    /// Alert on stale feeds (no message for longer than the stale threshold).
    pub feed_stale: bool,
    /// Alert on work centers going offline after they had been heard from.
    pub feed_offline: bool,
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            down_minutes: 10,
            down_critical_minutes: 30,
            rate_under_percent: 80.0,
            rate_window_minutes: 15,
            scrap_over_percent: 5.0,
            scrap_min_parts: 50,
            feed_stale: true,
            feed_offline: true,
        }
    }
}

/// Recent (time, output, target so far) readings per line.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineHistory {
    lines: HashMap<String, VecDeque<(TimestampMs, u64, u64)>>,
}

pub(crate) fn evaluate(
    rules: &AlertRules,
    history: &mut LineHistory,
    snapshot: &PlantSnapshot,
    now: TimestampMs,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let broker_up = snapshot.broker.state == LinkState::Connected;
    // Connecting at start or a reconnect within seconds is normal; a link down for a while is not.
    let broker_down_long = snapshot.broker.state == LinkState::Down
        && now - snapshot.broker.since_ms >= BROKER_GRACE_MS;
    if broker_down_long && (rules.feed_stale || rules.feed_offline) {
        // One alert for the broker instead of one stale alert per work center.
        out.push(Finding {
            kind: AlertKind::FeedStale,
            severity: Severity::Critical,
            subject: "broker".to_owned(),
            subject_name: "MQTT broker".to_owned(),
            message: format!(
                "No connection to {}{}",
                snapshot.broker.target,
                snapshot
                    .broker
                    .error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            since_ms: snapshot.broker.since_ms,
        });
    }
    for wc in &snapshot.work_centers {
        let subject = || wc.path.as_str().to_owned();
        let name = || {
            if wc.name.is_empty() {
                wc.path.name().to_owned()
            } else {
                wc.name.clone()
            }
        };
        if rules.down_minutes > 0
            && wc.state.kind == StateKind::Down
            && wc.feed == FeedHealth::Live
            && let Some(since) = wc.state_since_ms
        {
            let minutes = (now - since) / MINUTE_MS;
            if minutes >= i64::from(rules.down_minutes) {
                let critical = rules.down_critical_minutes > 0
                    && minutes >= i64::from(rules.down_critical_minutes);
                out.push(Finding {
                    kind: AlertKind::DownTooLong,
                    severity: if critical {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    subject: subject(),
                    subject_name: name(),
                    message: format!(
                        "Down for {minutes} min{}",
                        wc.state
                            .reason
                            .as_deref()
                            .map(|r| format!(" (reason {r})"))
                            .unwrap_or_else(|| " (no reason given)".to_owned())
                    ),
                    since_ms: since,
                });
            }
        }
        let total = wc.good + wc.scrap;
        if rules.scrap_over_percent > 0.0 && total >= rules.scrap_min_parts.max(1) {
            let share = wc.scrap as f64 * 100.0 / total as f64;
            if share > rules.scrap_over_percent {
                out.push(Finding {
                    kind: AlertKind::ScrapOverLimit,
                    severity: Severity::Warning,
                    subject: subject(),
                    subject_name: name(),
                    message: format!(
                        "Scrap {share:.1} % this shift ({} of {total}); limit {} %",
                        wc.scrap, rules.scrap_over_percent
                    ),
                    since_ms: now,
                });
            }
        }
        if broker_up {
            match wc.feed {
                FeedHealth::Stale if rules.feed_stale => out.push(Finding {
                    kind: AlertKind::FeedStale,
                    severity: Severity::Warning,
                    subject: subject(),
                    subject_name: name(),
                    message: silent_for(wc.last_message_ms, now),
                    since_ms: wc.last_message_ms.unwrap_or(now),
                }),
                FeedHealth::Offline if rules.feed_offline && wc.last_message_ms.is_some() => out
                    .push(Finding {
                        kind: AlertKind::FeedOffline,
                        severity: Severity::Critical,
                        subject: subject(),
                        subject_name: name(),
                        message: format!(
                            "Offline: {}",
                            silent_for(wc.last_message_ms, now).to_lowercase()
                        ),
                        since_ms: wc.last_message_ms.unwrap_or(now),
                    }),
                _ => {}
            }
        }
    }
    out.extend(rate_findings(rules, history, snapshot, now));
    out
}

fn silent_for(last: Option<TimestampMs>, now: TimestampMs) -> String {
    match last {
        Some(t) => format!("No message for {} s", (now - t).max(0) / 1000),
        None => "Never heard from".to_owned(),
    }
}

/// Line output against standard over the rule's window, from the readings kept between snapshots.
fn rate_findings(
    rules: &AlertRules,
    history: &mut LineHistory,
    snapshot: &PlantSnapshot,
    now: TimestampMs,
) -> Vec<Finding> {
    let window = i64::from(rules.rate_window_minutes) * MINUTE_MS;
    let mut out = Vec::new();
    for line in &snapshot.lines {
        let readings = history
            .lines
            .entry(line.path.as_str().to_owned())
            .or_default();
        // A new shift resets output and target: start over.
        if readings.back().is_some_and(|&(_, output, target)| {
            line.output < output || line.target_shift > 0 && line.target_so_far < target
        }) {
            readings.clear();
        }
        readings.push_back((now, line.output, line.target_so_far));
        // Keep the newest reading at least a window old, and nothing older.
        while readings.len() > 2 && readings[1].0 <= now - window {
            readings.pop_front();
        }
        if rules.rate_under_percent <= 0.0 || window <= 0 || line.feed != FeedHealth::Live {
            continue;
        }
        let Some(&(since, output_then, target_then)) = readings.front() else {
            continue;
        };
        if since > now - window {
            continue;
        }
        let made = line.output.saturating_sub(output_then);
        let standard = line.target_so_far.saturating_sub(target_then);
        // Below ten parts of standard (a break, a stop planned in the calendar) a share means nothing.
        if standard < 10 {
            continue;
        }
        let share = made as f64 * 100.0 / standard as f64;
        if share < rules.rate_under_percent {
            out.push(Finding {
                kind: AlertKind::RateUnderStandard,
                severity: Severity::Warning,
                subject: line.path.as_str().to_owned(),
                subject_name: if line.name.is_empty() {
                    line.path.name().to_owned()
                } else {
                    line.name.clone()
                },
                message: format!(
                    "Made {made} of {standard} standard in the last {} min ({share:.0} %)",
                    rules.rate_window_minutes
                ),
                since_ms: since,
            });
        }
    }
    out
}
