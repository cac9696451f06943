//! Andon: alert rules evaluated against the live plant state.
//!
//! [`AlertBook`] is pure (time is passed in): feed it each [`PlantSnapshot`] with [`AlertBook::evaluate`] and
//! it raises an alert when a rule's condition has held long enough, marks it cleared when the condition ends,
//! and keeps it listed until a supervisor acknowledges it — an alert that cleared by itself before anyone
//! saw it is still worth seeing. One alert per rule and subject is open at a time, so a flapping condition
//! does not flood the list.

mod rules;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::TimestampMs;
use takt_plant::PlantSnapshot;

pub use rules::AlertRules;

/// What an alert is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A work center has been down longer than the rule allows.
    DownTooLong,
    /// A line has made less than the rule's share of its standard output over the window.
    RateUnderStandard,
    /// A work center's scrap share this shift is above the rule's limit.
    ScrapOverLimit,
    /// No message from a work center for longer than the stale threshold.
    FeedStale,
    /// A work center is offline (never heard from, or silent past the offline threshold).
    FeedOffline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Acknowledgement {
    pub by: String,
    pub at_ms: TimestampMs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Alert {
    pub id: u64,
    pub kind: AlertKind,
    pub severity: Severity,
    /// Equipment path of the work center or line.
    pub subject: String,
    /// Display name of the subject.
    pub subject_name: String,
    /// What is wrong, in words, with the numbers that triggered it.
    pub message: String,
    pub raised_ms: TimestampMs,
    /// When the condition ended; `None` while it holds.
    pub cleared_ms: Option<TimestampMs>,
    pub acknowledged: Option<Acknowledgement>,
}

impl Alert {
    /// Open: the condition holds, or it has not been acknowledged yet.
    pub fn needs_attention(&self) -> bool {
        self.acknowledged.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Type)]
pub enum AlertError {
    #[error("no alert #{0}")]
    Unknown(u64),
}

/// A condition currently true for a subject, as a rule reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub kind: AlertKind,
    pub severity: Severity,
    pub subject: String,
    pub subject_name: String,
    pub message: String,
    /// Since when the condition holds (for a down work center: since it went down).
    pub since_ms: TimestampMs,
}

/// Open and recent alerts; the state rules need between snapshots.
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    rules: AlertRules,
    alerts: BTreeMap<u64, Alert>,
    /// The open alert per (kind, subject).
    open: HashMap<(AlertKind, String), u64>,
    next_id: u64,
    line_history: rules::LineHistory,
}

/// Alerts that were acknowledged and cleared are forgotten after this many are kept.
const KEEP_CLOSED: usize = 500;

impl AlertBook {
    pub fn new(rules: AlertRules) -> Self {
        Self {
            rules,
            next_id: 1,
            ..Self::default()
        }
    }

    pub fn rules(&self) -> &AlertRules {
        &self.rules
    }

    /// Applies new rules from the next evaluation on (open alerts stay until their condition clears).
    pub fn set_rules(&mut self, rules: AlertRules) {
        self.rules = rules;
    }

    /// Evaluates every rule against `snapshot`; returns whether the list changed.
    pub fn evaluate(&mut self, snapshot: &PlantSnapshot, now_ms: TimestampMs) -> bool {
        let findings = rules::evaluate(&self.rules, &mut self.line_history, snapshot, now_ms);
        let mut changed = false;
        let mut holding: HashMap<(AlertKind, String), ()> = HashMap::with_capacity(findings.len());
        for f in findings {
            let key = (f.kind, f.subject.clone());
            holding.insert(key.clone(), ());
            if let Some(id) = self.open.get(&key)
                && let Some(alert) = self.alerts.get_mut(id)
            {
                // Still holding: refresh the message (numbers move), re-open if it had cleared.
                if alert.message != f.message || alert.cleared_ms.is_some() {
                    alert.message = f.message;
                    alert.cleared_ms = None;
                    changed = true;
                }
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            self.alerts.insert(
                id,
                Alert {
                    id,
                    kind: f.kind,
                    severity: f.severity,
                    subject: f.subject,
                    subject_name: f.subject_name,
                    message: f.message,
                    raised_ms: now_ms.max(f.since_ms),
                    cleared_ms: None,
                    acknowledged: None,
                },
            );
            self.open.insert(key, id);
            changed = true;
        }
        let ended: Vec<(AlertKind, String)> = self
            .open
            .keys()
            .filter(|k| !holding.contains_key(*k))
            .cloned()
            .collect();
        for key in ended {
            let Some(id) = self.open.get(&key).copied() else {
                continue;
            };
            let Some(alert) = self.alerts.get_mut(&id) else {
                continue;
            };
            if alert.cleared_ms.is_none() {
                alert.cleared_ms = Some(now_ms);
                changed = true;
            }
            // An acknowledged alert whose condition ended is closed: the next occurrence is a new alert.
            if alert.acknowledged.is_some() {
                self.open.remove(&key);
            }
        }
        self.forget_old();
        changed
    }

    /// Acknowledges an alert. A cleared alert then closes; one whose condition holds stays listed.
    pub fn acknowledge(
        &mut self,
        id: u64,
        by: &str,
        now_ms: TimestampMs,
    ) -> Result<(), AlertError> {
        let alert = self.alerts.get_mut(&id).ok_or(AlertError::Unknown(id))?;
        if alert.acknowledged.is_none() {
            alert.acknowledged = Some(Acknowledgement {
                by: by.to_owned(),
                at_ms: now_ms,
            });
        }
        if alert.cleared_ms.is_some() {
            self.open.retain(|_, open_id| *open_id != id);
        }
        Ok(())
    }

    /// Acknowledges every alert that needs attention.
    pub fn acknowledge_all(&mut self, by: &str, now_ms: TimestampMs) {
        let ids: Vec<u64> = self
            .alerts
            .values()
            .filter(|a| a.needs_attention())
            .map(|a| a.id)
            .collect();
        for id in ids {
            let _ = self.acknowledge(id, by, now_ms);
        }
    }

    /// All listed alerts, newest first.
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts.values().rev().cloned().collect()
    }

    /// Alerts nobody has acknowledged yet: the tray badge.
    pub fn unacknowledged(&self) -> usize {
        self.alerts.values().filter(|a| a.needs_attention()).count()
    }

    fn forget_old(&mut self) {
        let closed: Vec<u64> = self
            .alerts
            .values()
            .filter(|a| a.acknowledged.is_some() && a.cleared_ms.is_some())
            .map(|a| a.id)
            .collect();
        if closed.len() > KEEP_CLOSED {
            for id in &closed[..closed.len() - KEEP_CLOSED] {
                self.alerts.remove(id);
            }
        }
    }
}

#[cfg(test)]
mod tests;
