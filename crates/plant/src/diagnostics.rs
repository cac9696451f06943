//! Per-topic message and error counts, for the diagnostics view.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;
use takt_model::TimestampMs;

/// Beyond this many distinct topics, further topics are pooled under [`OTHER_TOPICS`], so a
/// misconfigured publisher spraying unique topics cannot grow memory without bound.
pub const MAX_TOPICS: usize = 5_000;
pub const OTHER_TOPICS: &str = "(other topics)";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TopicDiagnostic {
    pub topic: String,
    pub messages: u64,
    pub errors: u64,
    pub last_error: Option<String>,
    pub last_error_ms: Option<TimestampMs>,
    pub last_message_ms: Option<TimestampMs>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Diagnostics {
    pub messages_total: u64,
    pub errors_total: u64,
    /// Events the feed sent for equipment Takt did not know yet (added on the fly).
    pub discovered_equipment: u64,
    /// Distinct topics seen (the list below may be a prefix of them).
    pub topics_total: u64,
    /// Topics with at least one error first, then busiest first.
    pub topics: Vec<TopicDiagnostic>,
}

#[derive(Debug, Default)]
pub(crate) struct DiagnosticsBook {
    messages_total: u64,
    errors_total: u64,
    pub(crate) discovered_equipment: u64,
    topics: HashMap<String, TopicDiagnostic>,
}

impl DiagnosticsBook {
    fn entry(&mut self, topic: &str) -> &mut TopicDiagnostic {
        let key = if self.topics.contains_key(topic) || self.topics.len() < MAX_TOPICS {
            topic
        } else {
            OTHER_TOPICS
        };
        self.topics
            .entry(key.to_owned())
            .or_insert_with(|| TopicDiagnostic {
                topic: key.to_owned(),
                ..Default::default()
            })
    }

    pub(crate) fn message(&mut self, topic: &str, now_ms: TimestampMs) {
        self.messages_total += 1;
        let e = self.entry(topic);
        e.messages += 1;
        e.last_message_ms = Some(now_ms);
    }

    pub(crate) fn error(&mut self, topic: &str, error: &str, now_ms: TimestampMs) {
        self.messages_total += 1;
        self.errors_total += 1;
        let e = self.entry(topic);
        e.messages += 1;
        e.errors += 1;
        e.last_message_ms = Some(now_ms);
        e.last_error = Some(error.to_owned());
        e.last_error_ms = Some(now_ms);
    }

    pub(crate) fn report(&self) -> Diagnostics {
        let mut topics: Vec<TopicDiagnostic> = self.topics.values().cloned().collect();
        topics.sort_by(|a, b| {
            (b.errors > 0)
                .cmp(&(a.errors > 0))
                .then(b.messages.cmp(&a.messages))
                .then(a.topic.cmp(&b.topic))
        });
        Diagnostics {
            messages_total: self.messages_total,
            errors_total: self.errors_total,
            discovered_equipment: self.discovered_equipment,
            topics_total: topics.len() as u64,
            topics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_topic_and_bounds_the_map() {
        let mut book = DiagnosticsBook::default();
        book.message("a/b", 1);
        book.error("a/b", "bad json", 2);
        for i in 0..MAX_TOPICS + 10 {
            book.error(&format!("junk/{i}"), "unknown topic", 3);
        }
        let report = book.report();
        assert_eq!(report.messages_total, 2 + MAX_TOPICS as u64 + 10);
        assert_eq!(report.errors_total, 1 + MAX_TOPICS as u64 + 10);
        assert_eq!(report.topics.len(), MAX_TOPICS + 1);
        let other = report
            .topics
            .iter()
            .find(|t| t.topic == OTHER_TOPICS)
            .unwrap();
        assert_eq!(other.errors, 11); // the 5001st topic onwards
        let ab = report.topics.iter().find(|t| t.topic == "a/b").unwrap();
        assert_eq!(
            (ab.messages, ab.errors, ab.last_error.as_deref()),
            (2, 1, Some("bad json"))
        );
    }
}
