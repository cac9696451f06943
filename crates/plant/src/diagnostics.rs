//! Per-topic diagnostics: messages and their rate, decode errors, and Sparkplug protocol news
//! (`seq` gaps, rebirth requests), for the diagnostics view.

use crate::ProtocolEvent;
use crate::rate::RateWindow;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;
use takt_model::TimestampMs;

/// Beyond this many distinct topics, further topics are pooled under [`OTHER_TOPICS`], so a
/// misconfigured publisher spraying unique topics cannot grow memory without bound.
pub const MAX_TOPICS: usize = 5_000;
pub const OTHER_TOPICS: &str = "(other topics)";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct TopicDiagnostic {
    pub topic: String,
    pub messages: u64,
    /// Messages per second over the last 10 s (0 once the topic has been quiet that long).
    pub messages_per_s: f64,
    pub errors: u64,
    /// Sparkplug `seq` gaps: messages went missing between the edge node and Takt.
    pub seq_gaps: u64,
    /// Rebirths Takt requested because of a message on this topic.
    pub rebirths: u64,
    pub last_rebirth_reason: Option<String>,
    pub last_rebirth_ms: Option<TimestampMs>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<TimestampMs>,
    pub last_message_ms: Option<TimestampMs>,
}

impl TopicDiagnostic {
    /// Errors, gaps and rebirths all say something went wrong on this topic.
    pub fn has_problems(&self) -> bool {
        self.errors > 0 || self.seq_gaps > 0 || self.rebirths > 0
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct Diagnostics {
    pub messages_total: u64,
    /// Messages per second over the last 10 s, all topics together.
    pub messages_per_s: f64,
    pub errors_total: u64,
    pub seq_gaps_total: u64,
    pub rebirths_total: u64,
    /// Events the feed sent for equipment Takt did not know yet (added on the fly).
    pub discovered_equipment: u64,
    /// Distinct topics seen (the list below may be a prefix of them).
    pub topics_total: u64,
    /// Topics with errors, gaps or rebirths first, then busiest first.
    pub topics: Vec<TopicDiagnostic>,
}

#[derive(Debug, Default)]
struct TopicEntry {
    report: TopicDiagnostic,
    rate: RateWindow,
}

#[derive(Debug, Default)]
pub(crate) struct DiagnosticsBook {
    messages_total: u64,
    errors_total: u64,
    seq_gaps_total: u64,
    rebirths_total: u64,
    pub(crate) discovered_equipment: u64,
    rate: RateWindow,
    last_message_ms: Option<TimestampMs>,
    topics: HashMap<String, TopicEntry>,
}

impl DiagnosticsBook {
    fn entry(&mut self, topic: &str) -> &mut TopicEntry {
        let key = if self.topics.contains_key(topic) || self.topics.len() < MAX_TOPICS {
            topic
        } else {
            OTHER_TOPICS
        };
        self.topics
            .entry(key.to_owned())
            .or_insert_with(|| TopicEntry {
                report: TopicDiagnostic {
                    topic: key.to_owned(),
                    ..Default::default()
                },
                rate: RateWindow::default(),
            })
    }

    fn count_message(&mut self, topic: &str, now_ms: TimestampMs) -> &mut TopicDiagnostic {
        self.messages_total += 1;
        self.rate.add(now_ms);
        self.last_message_ms = Some(now_ms);
        let e = self.entry(topic);
        e.rate.add(now_ms);
        e.report.messages += 1;
        e.report.last_message_ms = Some(now_ms);
        &mut e.report
    }

    pub(crate) fn message(&mut self, topic: &str, now_ms: TimestampMs) {
        self.count_message(topic, now_ms);
    }

    pub(crate) fn error(&mut self, topic: &str, error: &str, now_ms: TimestampMs) {
        self.errors_total += 1;
        let e = self.count_message(topic, now_ms);
        e.errors += 1;
        e.last_error = Some(error.to_owned());
        e.last_error_ms = Some(now_ms);
    }

    /// Protocol news about a topic. Not a message of its own: the message behind it is
    /// counted when it arrives.
    pub(crate) fn protocol(&mut self, topic: &str, event: &ProtocolEvent, now_ms: TimestampMs) {
        match event {
            ProtocolEvent::SeqGap { .. } => {
                self.seq_gaps_total += 1;
                self.entry(topic).report.seq_gaps += 1;
            }
            ProtocolEvent::RebirthRequested { reason } => {
                self.rebirths_total += 1;
                let e = &mut self.entry(topic).report;
                e.rebirths += 1;
                e.last_rebirth_reason = Some(reason.clone());
                e.last_rebirth_ms = Some(now_ms);
            }
        }
    }

    /// Whether the rates in a report made now may differ from one made a moment ago: true
    /// while messages are inside the window and once more after the last one left it, so
    /// a snapshot shows a quiet feed at 0.
    pub(crate) fn rates_moving(&self, now_ms: TimestampMs) -> bool {
        self.last_message_ms.is_some_and(|last| {
            now_ms.div_euclid(1_000) - last.div_euclid(1_000) <= crate::rate::RATE_WINDOW_S + 1
        })
    }

    pub(crate) fn report(&self, now_ms: TimestampMs) -> Diagnostics {
        let mut topics: Vec<TopicDiagnostic> = self
            .topics
            .values()
            .map(|e| TopicDiagnostic {
                messages_per_s: e.rate.per_second(now_ms),
                ..e.report.clone()
            })
            .collect();
        topics.sort_by(|a, b| {
            b.has_problems()
                .cmp(&a.has_problems())
                .then(b.messages.cmp(&a.messages))
                .then(a.topic.cmp(&b.topic))
        });
        Diagnostics {
            messages_total: self.messages_total,
            messages_per_s: self.rate.per_second(now_ms),
            errors_total: self.errors_total,
            seq_gaps_total: self.seq_gaps_total,
            rebirths_total: self.rebirths_total,
            discovered_equipment: self.discovered_equipment,
            topics_total: topics.len() as u64,
            topics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic<'a>(report: &'a Diagnostics, name: &str) -> &'a TopicDiagnostic {
        report
            .topics
            .iter()
            .find(|t| t.topic == name)
            .unwrap_or_else(|| panic!("no row for {name}"))
    }

    #[test]
    fn counts_per_topic_and_bounds_the_map() {
        let mut book = DiagnosticsBook::default();
        book.message("a/b", 1);
        book.error("a/b", "bad json", 2);
        for i in 0..MAX_TOPICS + 10 {
            book.error(&format!("junk/{i}"), "unknown topic", 3);
        }
        let gap = ProtocolEvent::SeqGap {
            expected: 1,
            got: 4,
        };
        book.protocol("spBv1.0/g/DDATA/n/d", &gap, 4);
        let report = book.report(4);
        assert_eq!(report.messages_total, 2 + MAX_TOPICS as u64 + 10);
        assert_eq!(report.errors_total, 1 + MAX_TOPICS as u64 + 10);
        assert_eq!(report.topics.len(), MAX_TOPICS + 1);
        // The 5001st topic onwards, and the gap on a topic first seen beyond the bound.
        let other = topic(&report, OTHER_TOPICS);
        assert_eq!((other.errors, other.seq_gaps), (11, 1));
        assert_eq!(report.seq_gaps_total, 1);
        let ab = topic(&report, "a/b");
        assert_eq!(
            (ab.messages, ab.errors, ab.last_error.as_deref()),
            (2, 1, Some("bad json"))
        );
    }

    #[test]
    fn rates_follow_the_window_per_topic_and_in_total() {
        let mut book = DiagnosticsBook::default();
        // 10 s at 5 msg/s on one topic and 1 msg/s on another, from t = 1000 s.
        for ms in (1_000_000..1_010_000).step_by(200) {
            book.message("busy", ms);
        }
        for ms in (1_000_000..1_010_000).step_by(1_000) {
            book.error("slow", "bad", ms);
        }
        let now = 1_010_000;
        let report = book.report(now);
        assert_eq!(topic(&report, "busy").messages_per_s, 5.0);
        assert_eq!(topic(&report, "slow").messages_per_s, 1.0);
        assert_eq!(report.messages_per_s, 6.0);
        assert!(book.rates_moving(now));
        // Quiet for the whole window: everything reads 0, and the counts stay.
        let later = now + 10_000;
        let report = book.report(later);
        assert_eq!(topic(&report, "busy").messages_per_s, 0.0);
        assert_eq!(report.messages_per_s, 0.0);
        assert_eq!(report.messages_total, 60);
        assert!(book.rates_moving(later), "one more report to show the 0");
        assert!(!book.rates_moving(later + 1_000));
    }

    #[test]
    fn gaps_and_rebirths_are_counted_apart_from_errors() {
        let mut book = DiagnosticsBook::default();
        let t = "spBv1.0/g/DDATA/n/d";
        book.message(t, 1);
        book.protocol(
            t,
            &ProtocolEvent::SeqGap {
                expected: 2,
                got: 5,
            },
            2,
        );
        book.protocol(
            t,
            &ProtocolEvent::RebirthRequested {
                reason: "seq gap".into(),
            },
            3,
        );
        book.protocol(
            t,
            &ProtocolEvent::RebirthRequested {
                reason: "unknown alias".into(),
            },
            4,
        );
        book.message("quiet/but/busier", 5);
        book.message("quiet/but/busier", 6);
        let report = book.report(7);
        let row = topic(&report, t);
        assert_eq!((row.messages, row.errors), (1, 0));
        assert_eq!((row.seq_gaps, row.rebirths), (1, 2));
        assert_eq!(row.last_rebirth_reason.as_deref(), Some("unknown alias"));
        assert_eq!(row.last_rebirth_ms, Some(4));
        assert_eq!(row.last_error, None);
        assert_eq!(
            (
                report.messages_total,
                report.errors_total,
                report.seq_gaps_total,
                report.rebirths_total
            ),
            (3, 0, 1, 2)
        );
        // A topic with gaps sorts before a busier one without.
        assert_eq!(report.topics[0].topic, t);
    }
}
