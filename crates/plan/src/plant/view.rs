//! Read-only views of a plan for the CLI and the UI: the schedule row by row, and the plan written back as
//! [`PlanInput`] (so an edited or optimized plan can be saved and loaded again).

use serde::Serialize;

use crate::plant::input::{Downtime, ExtraShift, Millis, PlanInput, SequenceInput, Time};
use crate::plant::plan::Plan;
use crate::plant::problem::Idx;

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ScheduledOperation {
    pub operation: String,
    pub order: String,
    pub work_center: String,
    pub start: Time,
    pub end: Time,
    pub changeover_ms: Millis,
    pub pinned: bool,
    pub running: bool,
    pub pushed_by_maintenance: bool,
    pub beyond_calendar: bool,
}

impl Plan {
    /// Every operation, by work center and sequence.
    pub fn schedule(&self) -> Vec<ScheduledOperation> {
        let p = &self.problem;
        let mut rows = Vec::with_capacity(p.operations.len());
        for w in 0..p.work_centers.len() as Idx {
            for &op in self.sequence(w) {
                let def = &p.operations[op as usize];
                let t = self.timing(op);
                rows.push(ScheduledOperation {
                    operation: def.id.clone(),
                    order: p.orders[def.order as usize].id.clone(),
                    work_center: p.work_centers[w as usize].id.clone(),
                    start: t.start,
                    end: t.end,
                    changeover_ms: t.changeover,
                    pinned: self.pinned_start(op).is_some(),
                    running: def.in_progress.is_some(),
                    pushed_by_maintenance: t.pushed_by_maintenance(),
                    beyond_calendar: t.beyond_calendar(),
                });
            }
        }
        rows
    }

    /// This plan as input: `original` with this plan's assignments, sequences, pins, shifts, downtimes and
    /// order delays (folded into the releases).
    pub fn to_input(&self, original: &PlanInput) -> PlanInput {
        let p = &self.problem;
        let mut out = original.clone();
        for (i, op) in out.operations.iter_mut().enumerate() {
            let i = i as Idx;
            op.assigned = Some(p.work_centers[self.work_center_of(i) as usize].id.clone());
            op.pinned_start = self.pinned_start(i);
            op.not_before = self.not_before(i);
        }
        for (o, order) in out.orders.iter_mut().enumerate() {
            order.release += self.order_delay(o as Idx);
        }
        out.sequences = (0..p.work_centers.len() as Idx)
            .map(|w| SequenceInput {
                work_center: p.work_centers[w as usize].id.clone(),
                operations: self
                    .sequence(w)
                    .iter()
                    .map(|&o| p.operations[o as usize].id.clone())
                    .collect(),
            })
            .collect();
        out.extra_shifts = self
            .extra_shifts
            .iter()
            .map(|s| ExtraShift {
                id: s.id,
                work_center: p.work_centers[s.work_center as usize].id.clone(),
                interval: s.interval,
            })
            .collect();
        out.downtimes = self
            .downtimes
            .iter()
            .map(|d| Downtime {
                id: d.id,
                work_center: p.work_centers[d.work_center as usize].id.clone(),
                kind: d.kind,
                interval: d.interval,
                note: d.note.clone(),
            })
            .collect();
        out
    }
}
