//! Planner edits as commands. [`Plan::apply`] checks an edit, applies it, re-propagates only what it affects,
//! and refuses with a typed [`EditError`] — leaving the plan exactly as it was — when the edit is impossible
//! (ineligible work center, routing violated, pinned or running operation moved, a pin pushed, a window over
//! a running operation). [`EditablePlan`] adds undo and redo on top: snapshots are cheap because a [`Plan`]
//! shares its storage with its clones.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::plant::error::EditError;
use crate::plant::input::{DowntimeKind, Interval, Millis, Time};
use crate::plant::plan::{Cycle, DowntimeDef, ExtraShiftDef, NONE, Plan};
use crate::plant::problem::Idx;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Edit {
    /// Drag an operation to a position in a work center's sequence, or to a time on it.
    MoveOperation {
        operation: String,
        work_center: String,
        to: MoveTarget,
    },
    /// Run an operation on another eligible work center, keeping its place in time.
    Reroute {
        operation: String,
        work_center: String,
    },
    AddExtraShift {
        work_center: String,
        interval: Interval,
    },
    RemoveExtraShift {
        id: u32,
    },
    /// Push an order's release later (material late, customer change).
    DelayOrder {
        order: String,
        by_ms: Millis,
    },
    /// The work center is down for `duration_ms` from `start`.
    InsertBreakdown {
        work_center: String,
        start: Time,
        duration_ms: Millis,
    },
    BookMaintenance {
        work_center: String,
        interval: Interval,
        #[serde(default)]
        note: String,
    },
    /// Move a maintenance window or breakdown to a new start, keeping its length.
    MoveDowntime {
        id: u32,
        start: Time,
    },
    RemoveDowntime {
        id: u32,
    },
    /// Fix an operation at its current start and work center.
    Pin {
        operation: String,
    },
    Unpin {
        operation: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MoveTarget {
    /// Index in the target sequence (0 = first), counted without the moved operation.
    Position { index: u32 },
    /// Start no earlier than this; sequenced after the operations starting before it.
    Time { start: Time },
}

/// What an accepted edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, specta::Type)]
pub struct EditOutcome {
    /// Id of a created extra shift or downtime.
    pub created: Option<u32>,
}

impl Plan {
    /// Applies `edit`, or refuses it and leaves `self` unchanged.
    pub fn apply(&mut self, edit: &Edit) -> Result<EditOutcome, EditError> {
        let backup = self.clone();
        let result = self.apply_unchecked(edit);
        if result.is_err() {
            *self = backup;
        }
        result
    }

    fn apply_unchecked(&mut self, edit: &Edit) -> Result<EditOutcome, EditError> {
        let mut outcome = EditOutcome::default();
        let dirty: Vec<Idx> = match edit {
            Edit::MoveOperation {
                operation,
                work_center,
                to,
            } => {
                let op = self.movable(operation)?;
                let wc = self.eligible(op, operation, work_center)?;
                let index = match *to {
                    MoveTarget::Position { index } => {
                        self.not_before.set(op as usize, NONE);
                        index
                    }
                    MoveTarget::Time { start } => {
                        self.not_before.set(op as usize, start);
                        self.index_by_time(op, wc, start)
                    }
                };
                self.move_to(op, wc, index)?
            }
            Edit::Reroute {
                operation,
                work_center,
            } => {
                let op = self.movable(operation)?;
                let wc = self.eligible(op, operation, work_center)?;
                let index = self.index_by_time(op, wc, self.timing(op).start);
                self.move_to(op, wc, index)?
            }
            Edit::AddExtraShift {
                work_center,
                interval,
            } => {
                let wc = self.wc(work_center)?;
                check_range(interval)?;
                let id = self.take_id();
                Arc::make_mut(&mut self.extra_shifts).push(ExtraShiftDef {
                    id,
                    work_center: wc,
                    interval: *interval,
                });
                outcome.created = Some(id);
                self.calendar_changed(wc, interval.start)
            }
            Edit::RemoveExtraShift { id } => {
                let k = self
                    .extra_shifts
                    .iter()
                    .position(|s| s.id == *id)
                    .ok_or(EditError::UnknownId { id: *id })?;
                let shift = Arc::make_mut(&mut self.extra_shifts).remove(k);
                self.calendar_changed(shift.work_center, shift.interval.start)
            }
            Edit::DelayOrder { order, by_ms } => {
                let o = self
                    .problem
                    .order_index(order)
                    .ok_or_else(|| EditError::UnknownOrder { id: order.clone() })?;
                if *by_ms < 0 {
                    return Err(EditError::InvalidRange {
                        message: format!("a delay cannot be negative ({by_ms} ms)"),
                    });
                }
                Arc::make_mut(&mut self.order_delay)[o as usize] += by_ms;
                self.problem.orders[o as usize].operations.clone()
            }
            Edit::InsertBreakdown {
                work_center,
                start,
                duration_ms,
            } => {
                let wc = self.wc(work_center)?;
                let interval = Interval::new(*start, start.saturating_add(*duration_ms));
                check_range(&interval)?;
                outcome.created =
                    Some(self.add_downtime(wc, DowntimeKind::Breakdown, interval, String::new()));
                self.calendar_changed(wc, interval.start)
            }
            Edit::BookMaintenance {
                work_center,
                interval,
                note,
            } => {
                let wc = self.wc(work_center)?;
                check_range(interval)?;
                self.check_not_running(wc, interval)?;
                outcome.created =
                    Some(self.add_downtime(wc, DowntimeKind::Maintenance, *interval, note.clone()));
                self.calendar_changed(wc, interval.start)
            }
            Edit::MoveDowntime { id, start } => {
                let k = self.downtime_index(*id)?;
                let old = self.downtimes[k].clone();
                let interval = Interval::new(*start, start.saturating_add(old.interval.len()));
                if old.kind == DowntimeKind::Maintenance {
                    self.check_not_running(old.work_center, &interval)?;
                }
                Arc::make_mut(&mut self.downtimes)[k].interval = interval;
                self.calendar_changed(old.work_center, old.interval.start.min(interval.start))
            }
            Edit::RemoveDowntime { id } => {
                let k = self.downtime_index(*id)?;
                let old = Arc::make_mut(&mut self.downtimes).remove(k);
                self.calendar_changed(old.work_center, old.interval.start)
            }
            Edit::Pin { operation } => {
                let op = self.op(operation)?;
                if self.problem.operations[op as usize].in_progress.is_some() {
                    return Err(EditError::Running {
                        operation: operation.clone(),
                    });
                }
                let start = self.timing(op).start;
                self.pinned.set(op as usize, start);
                vec![op]
            }
            Edit::Unpin { operation } => {
                let op = self.op(operation)?;
                self.pinned.set(op as usize, NONE);
                vec![op]
            }
        };
        let violated = self.propagate_from(dirty);
        if let Some(&op) = violated.first() {
            return Err(EditError::PinViolated {
                operation: self.problem.operations[op as usize].id.clone(),
                pinned: *self.pinned.get(op as usize),
                earliest: self.earliest_without_pin(op),
            });
        }
        Ok(outcome)
    }

    /// Removes `op` from its sequence and inserts it at `index` of `wc`; returns the operations to recompute.
    pub(crate) fn move_to(&mut self, op: Idx, wc: Idx, index: u32) -> Result<Vec<Idx>, EditError> {
        let from = self.work_center_of(op);
        let mut old_seq: Vec<Idx> = self.sequence(from).to_vec();
        let old_pos = old_seq.iter().position(|&o| o == op).unwrap_or(0);
        old_seq.remove(old_pos);
        let mut new_seq = if from == wc {
            old_seq.clone()
        } else {
            self.sequence(wc).to_vec()
        };
        if index as usize > new_seq.len() {
            return Err(EditError::Position {
                work_center: self.problem.work_centers[wc as usize].id.clone(),
                position: index,
                len: new_seq.len() as u32,
            });
        }
        if index == 0
            && let Some(&first) = new_seq.first()
            && self.problem.operations[first as usize]
                .in_progress
                .is_some()
        {
            return Err(EditError::Running {
                operation: self.problem.operations[first as usize].id.clone(),
            });
        }
        new_seq.insert(index as usize, op);
        // Only the moved operation and its old and new sequence successors see a different predecessor.
        let mut dirty = vec![op];
        dirty.extend(old_seq.get(old_pos).copied());
        dirty.extend(new_seq.get(index as usize + 1).copied());
        if from != wc {
            self.set_sequence(from, old_seq);
        }
        self.set_sequence(wc, new_seq);
        self.repair_rank(op)
            .map_err(|Cycle(_)| EditError::Precedence {
                operation: self.problem.operations[op as usize].id.clone(),
            })?;
        Ok(dirty)
    }

    /// Position in `wc`'s sequence (without `op`) after every operation that starts before `start`.
    fn index_by_time(&self, op: Idx, wc: Idx, start: Time) -> u32 {
        let seq = self.sequence(wc);
        let before = seq
            .iter()
            .filter(|&&o| o != op && self.timing(o).start < start)
            .count() as u32;
        let running_first = seq
            .first()
            .is_some_and(|&f| f != op && self.problem.operations[f as usize].in_progress.is_some());
        before.max(u32::from(running_first))
    }

    fn calendar_changed(&mut self, wc: Idx, from: Time) -> Vec<Idx> {
        let affected = self.ops_ending_after(wc, from);
        self.refresh_calendar(wc);
        affected
    }

    fn add_downtime(
        &mut self,
        wc: Idx,
        kind: DowntimeKind,
        interval: Interval,
        note: String,
    ) -> u32 {
        let id = self.take_id();
        Arc::make_mut(&mut self.downtimes).push(DowntimeDef {
            id,
            work_center: wc,
            kind,
            interval,
            note,
        });
        id
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn downtime_index(&self, id: u32) -> Result<usize, EditError> {
        self.downtimes
            .iter()
            .position(|d| d.id == id)
            .ok_or(EditError::UnknownId { id })
    }

    fn check_not_running(&self, wc: Idx, interval: &Interval) -> Result<(), EditError> {
        for &op in self.sequence(wc).iter().take(1) {
            let t = self.timing(op);
            if self.problem.operations[op as usize].in_progress.is_some()
                && interval.overlaps(&Interval::new(t.start, t.end))
            {
                return Err(EditError::OverlapsRunning {
                    operation: self.problem.operations[op as usize].id.clone(),
                });
            }
        }
        Ok(())
    }

    fn earliest_without_pin(&self, op: Idx) -> Time {
        let mut probe = self.clone();
        probe.pinned.set(op as usize, NONE);
        probe.propagate_from([op]);
        probe.timing(op).start
    }

    fn op(&self, id: &str) -> Result<Idx, EditError> {
        self.problem
            .operation_index(id)
            .ok_or_else(|| EditError::UnknownOperation { id: id.to_owned() })
    }

    fn wc(&self, id: &str) -> Result<Idx, EditError> {
        self.problem
            .work_center_index(id)
            .ok_or_else(|| EditError::UnknownWorkCenter { id: id.to_owned() })
    }

    /// An operation that may be moved: neither pinned nor running.
    fn movable(&self, id: &str) -> Result<Idx, EditError> {
        let op = self.op(id)?;
        if self.problem.operations[op as usize].in_progress.is_some() {
            return Err(EditError::Running {
                operation: id.to_owned(),
            });
        }
        if self.pinned_start(op).is_some() {
            return Err(EditError::Pinned {
                operation: id.to_owned(),
            });
        }
        Ok(op)
    }

    fn eligible(&self, op: Idx, op_id: &str, wc_id: &str) -> Result<Idx, EditError> {
        let wc = self.wc(wc_id)?;
        if self.problem.duration(op, wc).is_none() {
            return Err(EditError::Ineligible {
                operation: op_id.to_owned(),
                work_center: wc_id.to_owned(),
            });
        }
        Ok(wc)
    }
}

fn check_range(interval: &Interval) -> Result<(), EditError> {
    if interval.end <= interval.start {
        return Err(EditError::InvalidRange {
            message: format!("ends at {} but starts at {}", interval.end, interval.start),
        });
    }
    Ok(())
}

/// A plan with undo and redo.
#[derive(Debug, Clone)]
pub struct EditablePlan {
    plan: Plan,
    undo: Vec<(Edit, Plan)>,
    redo: Vec<(Edit, Plan)>,
}

/// Undo depth; older steps are forgotten.
pub const UNDO_LIMIT: usize = 500;

impl EditablePlan {
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn into_plan(self) -> Plan {
        self.plan
    }

    pub fn apply(&mut self, edit: Edit) -> Result<EditOutcome, EditError> {
        let before = self.plan.clone();
        let outcome = self.plan.apply(&edit)?;
        self.push_undo(edit, before);
        Ok(outcome)
    }

    fn push_undo(&mut self, edit: Edit, before: Plan) {
        self.undo.push((edit, before));
        if self.undo.len() > UNDO_LIMIT {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Replaces the plan wholesale (e.g. by an optimizer result) as one undoable step.
    pub fn replace(&mut self, label: Edit, plan: Plan) {
        let before = std::mem::replace(&mut self.plan, plan);
        self.push_undo(label, before);
    }

    /// Reverts the last edit; returns it.
    pub fn undo(&mut self) -> Result<Edit, EditError> {
        let (edit, before) = self.undo.pop().ok_or(EditError::NothingToUndo)?;
        let after = std::mem::replace(&mut self.plan, before);
        self.redo.push((edit.clone(), after));
        Ok(edit)
    }

    pub fn redo(&mut self) -> Result<Edit, EditError> {
        let (edit, after) = self.redo.pop().ok_or(EditError::NothingToRedo)?;
        let before = std::mem::replace(&mut self.plan, after);
        self.undo.push((edit.clone(), before));
        Ok(edit)
    }

    pub fn undo_depth(&self) -> usize {
        self.undo.len()
    }

    pub fn redo_depth(&self) -> usize {
        self.redo.len()
    }
}
