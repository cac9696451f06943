//! Downtime events, the reason tree, and the supervisor's audited edits.
//!
//! **Events.** Every timeline interval that is neither `running` nor `planned_stop` is one
//! [`DowntimeEvent`] (`down`, `idle`, `starved`, `blocked`, `changeover`, `offline`).
//! Planned stops are not downtime: they are taken out of planned time before OEE is counted.
//!
//! **Micro-stops.** A stop shorter than the threshold is a micro-stop when the machine
//! itself stopped (`down`, `idle`, `starved`, `blocked`). Changeovers are setups however short;
//! `offline` means "no data", not "stopped", so it is never a micro-stop.
//!
//! **Loss category** of an event ([`DowntimeEvent::category`]), first rule that applies:
//! 1. `changeover` → setup;
//! 2. a reason whose tree category is setup or micro-stop → that category;
//! 3. the micro-stop flag → micro-stop (a 30 s jam is a minor stop even if the jam reason
//!    sits under a breakdown branch);
//! 4. otherwise → breakdown (including `idle`, `starved`, `blocked` and `offline` stops
//!    longer than the threshold: they are availability losses charged as unplanned stops).
//!
//! **Edits survive new data.** Events are keyed by (work center, start), which does not
//! change when the timeline grows: new data only extends the last (open) event or adds
//! events after it. The audit log doubles as the edit journal: [`DowntimeLog::rederive`]
//! rebuilds a work center's events from its new timeline and replays that work center's
//! edits in their original order through the same code as the live edit. An edit whose
//! target no longer exists (late data moved a stop's start) is reported as a [`StaleEdit`]
//! and skipped; it stays in the audit log.

use crate::timeline::StateTimeline;
use crate::{Interval, TimestampMs};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::BTreeMap;
use takt_model::{EquipmentPath, StateKind};

/// The stop losses a reason can be charged to (the other three big losses come from counts).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum StopCategory {
    /// Breakdowns and other unplanned stops (availability).
    Breakdown,
    /// Setups, changeovers and adjustments (availability).
    Setup,
    /// Short stops under the threshold (performance, per TPM; counted in stop time here).
    MicroStop,
}

/// One node of the reason tree. Its full code is the parent's code, `/`, and its own `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ReasonNode {
    /// One segment: letters, digits, `-`, `_` or `.`.
    pub code: String,
    pub label: String,
    /// Required on roots; children inherit their parent's when `None`.
    #[serde(default)]
    pub category: Option<StopCategory>,
    #[serde(default)]
    pub children: Vec<ReasonNode>,
}

impl ReasonNode {
    pub fn new(code: &str, label: &str, category: Option<StopCategory>) -> Self {
        Self {
            code: code.into(),
            label: label.into(),
            category,
            children: Vec::new(),
        }
    }

    pub fn with(mut self, children: Vec<ReasonNode>) -> Self {
        self.children = children;
        self
    }
}

/// A configurable, hierarchical tree of downtime reasons, e.g. `mech/jam`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ReasonTree {
    pub roots: Vec<ReasonNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonTreeError {
    #[error(
        "reason code `{code}` is invalid: segments are non-empty and use letters, digits, `-`, `_` or `.`"
    )]
    InvalidCode { code: String },
    #[error("reason code `{code}` appears twice")]
    Duplicate { code: String },
    #[error("top-level reason `{code}` has no loss category (breakdown, setup or micro_stop)")]
    NoCategory { code: String },
}

/// A reason code found in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ResolvedReason {
    pub code: String,
    pub label: String,
    pub category: StopCategory,
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl ReasonTree {
    pub fn new(roots: Vec<ReasonNode>) -> Result<Self, ReasonTreeError> {
        let tree = Self { roots };
        tree.validate()?;
        Ok(tree)
    }

    pub fn validate(&self) -> Result<(), ReasonTreeError> {
        fn walk(nodes: &[ReasonNode], prefix: &str) -> Result<(), ReasonTreeError> {
            for (i, n) in nodes.iter().enumerate() {
                let code = if prefix.is_empty() {
                    n.code.clone()
                } else {
                    format!("{prefix}/{}", n.code)
                };
                if !valid_segment(&n.code) {
                    return Err(ReasonTreeError::InvalidCode { code });
                }
                if nodes[..i].iter().any(|m| m.code == n.code) {
                    return Err(ReasonTreeError::Duplicate { code });
                }
                if prefix.is_empty() && n.category.is_none() {
                    return Err(ReasonTreeError::NoCategory { code });
                }
                walk(&n.children, &code)?;
            }
            Ok(())
        }
        walk(&self.roots, "")
    }

    /// Looks a full code up (`mech/jam`); any node, leaf or not, is a valid reason.
    pub fn resolve(&self, code: &str) -> Option<ResolvedReason> {
        let mut nodes = &self.roots;
        let mut category = None;
        let mut found: Option<&ReasonNode> = None;
        for segment in code.split('/') {
            let n = nodes.iter().find(|n| n.code == segment)?;
            category = n.category.or(category);
            nodes = &n.children;
            found = Some(n);
        }
        Some(ResolvedReason {
            code: code.to_owned(),
            label: found?.label.clone(),
            category: category?,
        })
    }

    pub fn contains(&self, code: &str) -> bool {
        self.resolve(code).is_some()
    }

    /// Every full code, depth first.
    pub fn codes(&self) -> Vec<String> {
        fn walk(nodes: &[ReasonNode], prefix: &str, out: &mut Vec<String>) {
            for n in nodes {
                let code = if prefix.is_empty() {
                    n.code.clone()
                } else {
                    format!("{prefix}/{}", n.code)
                };
                out.push(code.clone());
                walk(&n.children, &code, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.roots, "", &mut out);
        out
    }
}

/// What identifies a downtime event across re-derivations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Type)]
pub struct EventKey {
    pub work_center: EquipmentPath,
    pub start: TimestampMs,
}

impl EventKey {
    pub fn new(work_center: &EquipmentPath, start: TimestampMs) -> Self {
        Self {
            work_center: work_center.clone(),
            start,
        }
    }
}

/// A stop of one work center over `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct DowntimeEvent {
    /// `<work center>@<start ms>`: stable while the timeline grows.
    pub id: String,
    pub work_center: EquipmentPath,
    pub start: TimestampMs,
    pub end: TimestampMs,
    /// The state the work center was in (the first one's, after a merge).
    pub state: StateKind,
    pub reason: Option<String>,
    pub comment: Option<String>,
    /// Shorter than the micro-stop threshold (see the module docs).
    pub micro_stop: bool,
    /// True while the reason is the feed's (no person assigned one).
    pub auto: bool,
}

/// Whether a stop of `state` lasting `ms` is a micro-stop under `threshold_ms`.
pub fn is_micro_stop(state: StateKind, ms: i64, threshold_ms: i64) -> bool {
    ms < threshold_ms
        && matches!(
            state,
            StateKind::Down | StateKind::Idle | StateKind::Starved | StateKind::Blocked
        )
}

impl DowntimeEvent {
    pub fn key(&self) -> EventKey {
        EventKey::new(&self.work_center, self.start)
    }

    pub fn span(&self) -> Interval {
        Interval::new(self.start, self.end)
    }

    pub fn len_ms(&self) -> i64 {
        self.end - self.start
    }

    fn set_start(&mut self, start: TimestampMs) {
        self.start = start;
        self.id = format!("{}@{start}", self.work_center);
    }

    /// The loss this event is charged to (rules in the module docs).
    pub fn category(&self, reasons: Option<&ReasonTree>) -> StopCategory {
        if self.state == StateKind::Changeover {
            return StopCategory::Setup;
        }
        let by_reason = self
            .reason
            .as_deref()
            .zip(reasons)
            .and_then(|(r, t)| t.resolve(r))
            .map(|r| r.category);
        match by_reason {
            Some(c @ (StopCategory::Setup | StopCategory::MicroStop)) => c,
            _ if self.micro_stop => StopCategory::MicroStop,
            _ => StopCategory::Breakdown,
        }
    }
}

/// Downtime events of one timeline, in time order.
pub fn derive_events(timeline: &StateTimeline, micro_stop_threshold_ms: i64) -> Vec<DowntimeEvent> {
    timeline
        .intervals()
        .iter()
        .filter(|i| !matches!(i.kind, StateKind::Running | StateKind::PlannedStop))
        .map(|i| DowntimeEvent {
            id: format!("{}@{}", timeline.work_center, i.start),
            work_center: timeline.work_center.clone(),
            start: i.start,
            end: i.end,
            state: i.kind,
            reason: i.reason.clone(),
            comment: None,
            micro_stop: is_micro_stop(i.kind, i.len_ms(), micro_stop_threshold_ms),
            auto: true,
        })
        .collect()
}

/// A supervisor's edit. Also the journal entry that is replayed on re-derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AuditAction {
    /// Assign, change (`Some`) or clear (`None`) the reason.
    AssignReason {
        event: EventKey,
        reason: Option<String>,
    },
    /// Split into `[start, at)` and `[at, end)`.
    Split { event: EventKey, at: TimestampMs },
    /// Merge two adjacent events of one work center (given in either order).
    Merge { first: EventKey, second: EventKey },
    /// Set (`Some`) or clear (`None`) the comment.
    Comment {
        event: EventKey,
        text: Option<String>,
    },
}

impl AuditAction {
    pub fn work_center(&self) -> &EquipmentPath {
        match self {
            AuditAction::AssignReason { event, .. }
            | AuditAction::Split { event, .. }
            | AuditAction::Comment { event, .. } => &event.work_center,
            AuditAction::Merge { first, .. } => &first.work_center,
        }
    }
}

/// Who changed what, when, and the events before and after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct AuditEntry {
    pub at: TimestampMs,
    pub user: String,
    pub action: AuditAction,
    pub before: Vec<DowntimeEvent>,
    pub after: Vec<DowntimeEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EditError {
    #[error("no downtime event of {work_center} starts at {start}")]
    UnknownEvent {
        work_center: EquipmentPath,
        start: TimestampMs,
    },
    #[error("reason `{reason}` is not in the reason tree")]
    UnknownReason { reason: String },
    #[error("cannot split at {at}: the event runs from {start} to {end}; split strictly inside it")]
    SplitOutside {
        at: TimestampMs,
        start: TimestampMs,
        end: TimestampMs,
    },
    #[error("events of {a} and {b} cannot be merged: they belong to different work centers")]
    DifferentWorkCenters { a: EquipmentPath, b: EquipmentPath },
    #[error(
        "events are not adjacent: the first ends at {first_end}, the second starts at {second_start}"
    )]
    NotAdjacent {
        first_end: TimestampMs,
        second_start: TimestampMs,
    },
    #[error("an edit needs the name of the user making it")]
    NoUser,
}

/// An edit from the audit log that no longer applies after re-derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StaleEdit {
    /// Index into [`DowntimeLog::audit`].
    pub audit_index: usize,
    pub error: EditError,
}

/// The downtime events of any number of work centers, with audited edits.
#[derive(Debug, Clone)]
pub struct DowntimeLog {
    reasons: ReasonTree,
    micro_stop_threshold_ms: i64,
    events: BTreeMap<EventKey, DowntimeEvent>,
    audit: Vec<AuditEntry>,
}

fn wc_range(wc: &EquipmentPath) -> std::ops::RangeInclusive<EventKey> {
    EventKey::new(wc, TimestampMs::MIN)..=EventKey::new(wc, TimestampMs::MAX)
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl DowntimeLog {
    pub fn new(reasons: ReasonTree, micro_stop_threshold_ms: i64) -> Result<Self, ReasonTreeError> {
        reasons.validate()?;
        Ok(Self {
            reasons,
            micro_stop_threshold_ms,
            events: BTreeMap::new(),
            audit: Vec::new(),
        })
    }

    /// Restores a log from stored audit entries: derive, then replay.
    pub fn from_audit(
        reasons: ReasonTree,
        micro_stop_threshold_ms: i64,
        timelines: &[StateTimeline],
        audit: Vec<AuditEntry>,
    ) -> Result<(Self, Vec<StaleEdit>), ReasonTreeError> {
        let mut log = Self::new(reasons, micro_stop_threshold_ms)?;
        log.audit = audit;
        let stale = log.rederive(timelines);
        Ok((log, stale))
    }

    pub fn reasons(&self) -> &ReasonTree {
        &self.reasons
    }

    pub fn audit(&self) -> &[AuditEntry] {
        &self.audit
    }

    pub fn get(&self, key: &EventKey) -> Option<&DowntimeEvent> {
        self.events.get(key)
    }

    /// All events, by work center, then start.
    pub fn events(&self) -> impl Iterator<Item = &DowntimeEvent> {
        self.events.values()
    }

    /// One work center's events in time order.
    pub fn events_of(&self, wc: &EquipmentPath) -> impl Iterator<Item = &DowntimeEvent> {
        self.events.range(wc_range(wc)).map(|(_, e)| e)
    }

    /// Replaces the events of each timeline's work center with freshly derived ones and
    /// replays that work center's edits (see the module docs).
    pub fn rederive(&mut self, timelines: &[StateTimeline]) -> Vec<StaleEdit> {
        let mut stale = Vec::new();
        for timeline in timelines {
            let wc = &timeline.work_center;
            let old: Vec<EventKey> = self
                .events
                .range(wc_range(wc))
                .map(|(k, _)| k.clone())
                .collect();
            for k in old {
                self.events.remove(&k);
            }
            for e in derive_events(timeline, self.micro_stop_threshold_ms) {
                self.events.insert(e.key(), e);
            }
            let actions: Vec<(usize, AuditAction)> = self
                .audit
                .iter()
                .enumerate()
                .filter(|(_, a)| a.action.work_center() == wc)
                .map(|(i, a)| (i, a.action.clone()))
                .collect();
            for (audit_index, action) in actions {
                if let Err(error) = self.apply(&action) {
                    stale.push(StaleEdit { audit_index, error });
                }
            }
        }
        stale
    }

    fn take(&self, key: &EventKey) -> Result<DowntimeEvent, EditError> {
        self.events
            .get(key)
            .cloned()
            .ok_or_else(|| EditError::UnknownEvent {
                work_center: key.work_center.clone(),
                start: key.start,
            })
    }

    /// Applies an action; returns the events it replaced and the ones it created.
    fn apply(
        &mut self,
        action: &AuditAction,
    ) -> Result<(Vec<DowntimeEvent>, Vec<DowntimeEvent>), EditError> {
        let (before, after) = match action {
            AuditAction::AssignReason { event, reason } => {
                let old = self.take(event)?;
                let reason = clean(reason.as_deref());
                if let Some(r) = &reason
                    && !self.reasons.contains(r)
                {
                    return Err(EditError::UnknownReason { reason: r.clone() });
                }
                let new = DowntimeEvent {
                    reason,
                    auto: false,
                    ..old.clone()
                };
                (vec![old], vec![new])
            }
            AuditAction::Comment { event, text } => {
                let old = self.take(event)?;
                let new = DowntimeEvent {
                    comment: clean(text.as_deref()),
                    ..old.clone()
                };
                (vec![old], vec![new])
            }
            AuditAction::Split { event, at } => {
                let old = self.take(event)?;
                if *at <= old.start || *at >= old.end {
                    return Err(EditError::SplitOutside {
                        at: *at,
                        start: old.start,
                        end: old.end,
                    });
                }
                // Both halves keep the stop's reason, comment and micro-stop flag: it is
                // still one physical stop, described in two parts.
                let mut first = old.clone();
                first.end = *at;
                let mut second = old.clone();
                second.set_start(*at);
                (vec![old], vec![first, second])
            }
            AuditAction::Merge { first, second } => {
                let a = self.take(first)?;
                let b = self.take(second)?;
                if a.work_center != b.work_center {
                    return Err(EditError::DifferentWorkCenters {
                        a: a.work_center,
                        b: b.work_center,
                    });
                }
                let (a, b) = if a.start <= b.start { (a, b) } else { (b, a) };
                if a.end != b.start {
                    return Err(EditError::NotAdjacent {
                        first_end: a.end,
                        second_start: b.start,
                    });
                }
                let comment = match (&a.comment, &b.comment) {
                    (Some(x), Some(y)) if x != y => Some(format!("{x}\n{y}")),
                    (x, y) => x.clone().or_else(|| y.clone()),
                };
                let len = b.end - a.start;
                let merged = DowntimeEvent {
                    end: b.end,
                    reason: a.reason.clone().or_else(|| b.reason.clone()),
                    comment,
                    micro_stop: is_micro_stop(a.state, len, self.micro_stop_threshold_ms),
                    auto: a.auto && b.auto,
                    ..a.clone()
                };
                (vec![a, b], vec![merged])
            }
        };
        for e in &before {
            self.events.remove(&e.key());
        }
        for e in &after {
            self.events.insert(e.key(), e.clone());
        }
        Ok((before, after))
    }

    fn edit(
        &mut self,
        user: &str,
        at: TimestampMs,
        action: AuditAction,
    ) -> Result<Vec<DowntimeEvent>, EditError> {
        let user = user.trim();
        if user.is_empty() {
            return Err(EditError::NoUser);
        }
        let (before, after) = self.apply(&action)?;
        self.audit.push(AuditEntry {
            at,
            user: user.to_owned(),
            action,
            before,
            after: after.clone(),
        });
        Ok(after)
    }

    /// Assigns, changes (`Some`) or clears (`None`) an event's reason.
    pub fn assign_reason(
        &mut self,
        user: &str,
        at: TimestampMs,
        event: &EventKey,
        reason: Option<&str>,
    ) -> Result<DowntimeEvent, EditError> {
        let action = AuditAction::AssignReason {
            event: event.clone(),
            reason: reason.map(str::to_owned),
        };
        Ok(self.edit(user, at, action)?.remove(0))
    }

    /// Splits an event at `split_at` (strictly inside it); returns both parts.
    pub fn split(
        &mut self,
        user: &str,
        at: TimestampMs,
        event: &EventKey,
        split_at: TimestampMs,
    ) -> Result<(DowntimeEvent, DowntimeEvent), EditError> {
        let action = AuditAction::Split {
            event: event.clone(),
            at: split_at,
        };
        let mut parts = self.edit(user, at, action)?;
        let second = parts.remove(1);
        Ok((parts.remove(0), second))
    }

    /// Merges two adjacent events of one work center into the earlier one.
    pub fn merge(
        &mut self,
        user: &str,
        at: TimestampMs,
        first: &EventKey,
        second: &EventKey,
    ) -> Result<DowntimeEvent, EditError> {
        let action = AuditAction::Merge {
            first: first.clone(),
            second: second.clone(),
        };
        Ok(self.edit(user, at, action)?.remove(0))
    }

    /// Sets (or clears, with an empty text) an event's comment.
    pub fn comment(
        &mut self,
        user: &str,
        at: TimestampMs,
        event: &EventKey,
        text: &str,
    ) -> Result<DowntimeEvent, EditError> {
        let action = AuditAction::Comment {
            event: event.clone(),
            text: Some(text.to_owned()),
        };
        Ok(self.edit(user, at, action)?.remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::StateEvent;
    use StateKind::*;

    const THR: i64 = 120_000;

    fn wc(name: &str) -> EquipmentPath {
        EquipmentPath::parse(&format!("acme/s/a/l1/{name}")).unwrap()
    }

    fn tree() -> ReasonTree {
        ReasonTree::new(vec![
            ReasonNode::new("mech", "Mechanical", Some(StopCategory::Breakdown)).with(vec![
                ReasonNode::new("jam", "Jam", None),
                ReasonNode::new("adjust", "Adjustment", Some(StopCategory::Setup)),
            ]),
            ReasonNode::new("blip", "Sensor blip", Some(StopCategory::MicroStop)),
        ])
        .unwrap()
    }

    fn timeline(now: i64) -> StateTimeline {
        let e = |at, k, r| StateEvent::new(at, k, r);
        StateTimeline::from_events(
            wc("w1"),
            &[
                e(0, Running, None),
                e(1_000_000, Down, Some("mech/jam")),
                e(1_600_000, Running, None),
                e(2_000_000, Blocked, None),
                e(2_030_000, Running, None),
                e(3_000_000, Changeover, None),
                e(3_060_000, Running, None),
                e(4_000_000, Down, None),
            ],
            now,
        )
    }

    fn log() -> DowntimeLog {
        let mut log = DowntimeLog::new(tree(), THR).unwrap();
        assert!(log.rederive(&[timeline(5_000_000)]).is_empty());
        log
    }

    fn key(start: i64) -> EventKey {
        EventKey::new(&wc("w1"), start)
    }

    #[test]
    fn reason_tree_resolves_and_inherits_categories() {
        let t = tree();
        assert_eq!(
            t.resolve("mech/jam").unwrap().category,
            StopCategory::Breakdown
        );
        assert_eq!(
            t.resolve("mech/adjust").unwrap().category,
            StopCategory::Setup
        );
        assert_eq!(t.resolve("mech").unwrap().label, "Mechanical");
        assert!(t.resolve("mech/nope").is_none());
        assert!(t.resolve("").is_none());
        assert_eq!(t.codes(), vec!["mech", "mech/jam", "mech/adjust", "blip"]);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<ReasonTree>(&json).unwrap(), t);
    }

    #[test]
    fn reason_tree_validation_errors() {
        let bad = ReasonTree::new(vec![
            ReasonNode::new("mech", "M", Some(StopCategory::Breakdown))
                .with(vec![ReasonNode::new("a b", "x", None)]),
        ]);
        assert_eq!(
            bad,
            Err(ReasonTreeError::InvalidCode {
                code: "mech/a b".into()
            })
        );
        let dup = ReasonTree::new(vec![
            ReasonNode::new("x", "1", Some(StopCategory::Setup)),
            ReasonNode::new("x", "2", Some(StopCategory::Setup)),
        ]);
        assert_eq!(dup, Err(ReasonTreeError::Duplicate { code: "x".into() }));
        let nocat = ReasonTree::new(vec![ReasonNode::new("x", "1", None)]);
        assert_eq!(nocat, Err(ReasonTreeError::NoCategory { code: "x".into() }));
    }

    #[test]
    fn derives_events_with_micro_stops_and_categories() {
        let log = log();
        let ev: Vec<_> = log.events_of(&wc("w1")).collect();
        assert_eq!(ev.len(), 4);
        let t = Some(log.reasons());
        // 10 min jam: breakdown.
        assert_eq!((ev[0].state, ev[0].micro_stop), (Down, false));
        assert_eq!(ev[0].category(t), StopCategory::Breakdown);
        // 30 s blocked: micro-stop.
        assert!(ev[1].micro_stop);
        assert_eq!(ev[1].category(t), StopCategory::MicroStop);
        // 1 min changeover: a setup, never a micro-stop.
        assert!(!ev[2].micro_stop);
        assert_eq!(ev[2].category(t), StopCategory::Setup);
        // The open last event runs to now.
        assert_eq!((ev[3].start, ev[3].end), (4_000_000, 5_000_000));
        assert_eq!(ev[3].id, "acme/s/a/l1/w1@4000000");
    }

    #[test]
    fn assigned_reason_category_overrides() {
        let mut log = log();
        let e = log
            .assign_reason("ana", 9, &key(1_000_000), Some("mech/adjust"))
            .unwrap();
        assert_eq!(e.category(Some(log.reasons())), StopCategory::Setup);
        assert!(!e.auto);
        let e = log
            .assign_reason("ana", 9, &key(1_000_000), Some("blip"))
            .unwrap();
        assert_eq!(e.category(Some(log.reasons())), StopCategory::MicroStop);
        let e = log.assign_reason("ana", 9, &key(1_000_000), None).unwrap();
        assert_eq!(e.reason, None);
        assert_eq!(e.category(Some(log.reasons())), StopCategory::Breakdown);
    }

    #[test]
    fn every_edit_is_audited_with_before_and_after() {
        let mut log = log();
        log.assign_reason("ana", 10, &key(4_000_000), Some("mech/jam"))
            .unwrap();
        log.split("ben", 11, &key(4_000_000), 4_500_000).unwrap();
        log.comment("ana", 12, &key(4_500_000), "  waited for fitter ")
            .unwrap();
        let a = log.audit();
        assert_eq!(a.len(), 3);
        assert_eq!((a[0].at, a[0].user.as_str()), (10, "ana"));
        assert_eq!(a[0].before[0].reason, None);
        assert_eq!(a[0].after[0].reason.as_deref(), Some("mech/jam"));
        assert_eq!(a[1].before.len(), 1);
        assert_eq!(a[1].after.len(), 2);
        assert_eq!(a[2].after[0].comment.as_deref(), Some("waited for fitter"));
        let json = serde_json::to_string(&a[1]).unwrap();
        assert!(json.contains("\"action\":\"split\""), "{json}");
        assert_eq!(serde_json::from_str::<AuditEntry>(&json).unwrap(), a[1]);
    }

    #[test]
    fn split_then_merge_restores_the_event() {
        let mut log = log();
        log.comment("ana", 1, &key(1_000_000), "jam at infeed")
            .unwrap();
        let original = log.get(&key(1_000_000)).unwrap().clone();
        let (a, b) = log.split("ana", 2, &key(1_000_000), 1_000_001).unwrap();
        assert_eq!((a.end, b.start), (1_000_001, 1_000_001));
        assert_eq!(b.id, "acme/s/a/l1/w1@1000001");
        let merged = log.merge("ana", 3, &b.key(), &a.key()).unwrap();
        assert_eq!(merged, original);
    }

    #[test]
    fn impossible_edits_are_typed_errors() {
        let mut log = log();
        fn err<T: std::fmt::Debug>(r: Result<T, EditError>) -> EditError {
            r.unwrap_err()
        }
        assert_eq!(
            err(log.assign_reason("ana", 0, &key(1_000_000), Some("elec/fuse"))),
            EditError::UnknownReason {
                reason: "elec/fuse".into()
            }
        );
        assert_eq!(
            err(log.assign_reason("ana", 0, &key(7), Some("mech"))),
            EditError::UnknownEvent {
                work_center: wc("w1"),
                start: 7
            }
        );
        assert_eq!(
            err(log.split("ana", 0, &key(1_000_000), 1_600_000)),
            EditError::SplitOutside {
                at: 1_600_000,
                start: 1_000_000,
                end: 1_600_000
            }
        );
        assert_eq!(
            err(log.split("ana", 0, &key(1_000_000), 1_000_000)),
            EditError::SplitOutside {
                at: 1_000_000,
                start: 1_000_000,
                end: 1_600_000
            }
        );
        assert_eq!(
            err(log.merge("ana", 0, &key(1_000_000), &key(2_000_000))),
            EditError::NotAdjacent {
                first_end: 1_600_000,
                second_start: 2_000_000
            }
        );
        // Another work center's event.
        let other = StateTimeline::from_events(
            wc("w2"),
            &[StateEvent::new(1_600_000, Down, None)],
            1_700_000,
        );
        log.rederive(&[other]);
        assert_eq!(
            err(log.merge(
                "ana",
                0,
                &key(1_000_000),
                &EventKey::new(&wc("w2"), 1_600_000)
            )),
            EditError::DifferentWorkCenters {
                a: wc("w1"),
                b: wc("w2")
            }
        );
        assert_eq!(
            err(log.comment(" ", 0, &key(1_000_000), "x")),
            EditError::NoUser
        );
        assert!(log.audit().is_empty(), "failed edits are not audited");
        assert!(EditError::NoUser.to_string().contains("user"));
    }

    #[test]
    fn edits_survive_a_growing_timeline() {
        let mut log = log();
        log.assign_reason("ana", 1, &key(4_000_000), Some("mech/jam"))
            .unwrap();
        log.split("ana", 2, &key(4_000_000), 4_200_000).unwrap();
        log.comment("ana", 3, &key(4_200_000), "fitter called")
            .unwrap();
        log.assign_reason("ana", 4, &key(2_000_000), Some("blip"))
            .unwrap();
        // More data arrives: the open stop lasted until 6 000 000, then the line ran.
        let mut events: Vec<StateEvent> = Vec::new();
        for i in timeline(5_000_000).intervals() {
            events.push(StateEvent {
                at: i.start,
                kind: i.kind,
                reason: i.reason.clone(),
            });
        }
        events.push(StateEvent::new(6_000_000, Running, None));
        let grown = StateTimeline::from_events(wc("w1"), &events, 7_000_000);
        assert!(log.rederive(&[grown]).is_empty());
        let tail = log.get(&key(4_200_000)).unwrap();
        assert_eq!(tail.end, 6_000_000);
        assert_eq!(tail.reason.as_deref(), Some("mech/jam"));
        assert_eq!(tail.comment.as_deref(), Some("fitter called"));
        assert_eq!(log.get(&key(4_000_000)).unwrap().end, 4_200_000);
        assert_eq!(
            log.get(&key(2_000_000)).unwrap().reason.as_deref(),
            Some("blip")
        );
        // Restoring from the stored audit gives the same events.
        let (restored, stale) = DowntimeLog::from_audit(
            tree(),
            THR,
            &[StateTimeline::from_events(wc("w1"), &events, 7_000_000)],
            log.audit().to_vec(),
        )
        .unwrap();
        assert!(stale.is_empty());
        assert_eq!(
            restored.events().collect::<Vec<_>>(),
            log.events().collect::<Vec<_>>()
        );
    }

    #[test]
    fn edits_whose_event_moved_are_reported_stale() {
        let mut log = log();
        log.assign_reason("ana", 1, &key(2_000_000), Some("blip"))
            .unwrap();
        // A late event shows the blocked stop really started earlier.
        let mut events: Vec<StateEvent> = timeline(5_000_000)
            .intervals()
            .iter()
            .map(|i| StateEvent {
                at: i.start,
                kind: i.kind,
                reason: i.reason.clone(),
            })
            .collect();
        events.retain(|e| e.at != 2_000_000);
        events.push(StateEvent::new(1_990_000, Blocked, None));
        let t = StateTimeline::from_events(wc("w1"), &events, 5_000_000);
        let stale = log.rederive(&[t]);
        assert_eq!(
            stale,
            vec![StaleEdit {
                audit_index: 0,
                error: EditError::UnknownEvent {
                    work_center: wc("w1"),
                    start: 2_000_000
                }
            }]
        );
        assert_eq!(log.audit().len(), 1);
    }
}
