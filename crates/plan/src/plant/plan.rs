//! [`Plan`]: one complete schedule of a plant — the planner's decisions (assignment and sequence per work
//! center, pins, extra shifts, downtimes, order delays) and the start and end of every operation that follow
//! from them by propagation.
//!
//! Propagation is a longest-path pass over the graph of routing edges and work-center sequence edges, in
//! topological order. After an edit only the operations whose inputs changed are recomputed, and from them
//! only the successors whose start or end actually moved (a heap ordered by topological rank visits each
//! operation at most once). Every large field is shared between clones (see [`ChunkVec`]), so branching a
//! scenario or keeping an undo snapshot is cheap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::plant::calendar::Availability;
use crate::plant::error::InputError;
use crate::plant::input::{
    Downtime, DowntimeKind, ExtraShift, Interval, Millis, PlanInput, SequenceInput, Time,
};
use crate::plant::problem::{Idx, Problem};
use crate::plant::shared::ChunkVec;

/// Marks "no value" in the `Time` fields of [`ChunkVec`]s (cheaper than `Option<i64>`).
pub(crate) const NONE: Time = Time::MIN;

/// Computed start and end of one operation. `start` is where its changeover (if any) begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    pub start: Time,
    pub end: Time,
    pub changeover: Millis,
    pub flags: u8,
}

impl Timing {
    pub const PUSHED_BY_MAINTENANCE: u8 = 1;
    pub const BEYOND_CALENDAR: u8 = 2;
    pub const PIN_VIOLATED: u8 = 4;

    pub fn pushed_by_maintenance(&self) -> bool {
        self.flags & Self::PUSHED_BY_MAINTENANCE != 0
    }
    pub fn beyond_calendar(&self) -> bool {
        self.flags & Self::BEYOND_CALENDAR != 0
    }
    pub fn pin_violated(&self) -> bool {
        self.flags & Self::PIN_VIOLATED != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtraShiftDef {
    pub id: u32,
    pub work_center: Idx,
    pub interval: Interval,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DowntimeDef {
    pub id: u32,
    pub work_center: Idx,
    pub kind: DowntimeKind,
    pub interval: Interval,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub(crate) problem: Arc<Problem>,
    pub(crate) wc_of: ChunkVec<Idx>,
    pub(crate) not_before: ChunkVec<Time>,
    pub(crate) pinned: ChunkVec<Time>,
    pub(crate) sequences: Vec<Arc<Vec<Idx>>>,
    pub(crate) position: ChunkVec<u32>,
    pub(crate) order_delay: Arc<Vec<Millis>>,
    pub(crate) extra_shifts: Arc<Vec<ExtraShiftDef>>,
    pub(crate) downtimes: Arc<Vec<DowntimeDef>>,
    pub(crate) next_id: u32,
    calendars: Vec<Arc<Availability>>,
    rank: Arc<Vec<u32>>,
    pub(crate) timing: ChunkVec<Timing>,
}

/// A cycle in the graph of routings plus sequences; holds the operations on or behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle(pub Vec<Idx>);

impl Plan {
    /// Loads a plan: validates the input, sequences unlisted operations by earliest due date, propagates.
    pub fn from_input(input: &PlanInput) -> Result<Self, InputError> {
        let problem = Arc::new(Problem::compile(input)?);
        Self::with_problem(problem, input)
    }

    /// Like [`Plan::from_input`], reusing an already compiled problem (its static part must match `input`).
    pub fn with_problem(problem: Arc<Problem>, input: &PlanInput) -> Result<Self, InputError> {
        let n = problem.operations.len();
        let n_wc = problem.work_centers.len();
        let wc_id = |w: Idx| problem.work_centers[w as usize].id.clone();

        let mut wc_of = Vec::with_capacity(n);
        let mut pinned = vec![NONE; n];
        let mut not_before = vec![NONE; n];
        for (i, op) in input.operations.iter().enumerate() {
            let def = &problem.operations[i];
            let wc = match (&def.in_progress, &op.assigned) {
                (Some(running), _) => Some(running.work_center),
                (None, Some(id)) => {
                    let wc = problem.work_center_index(id).ok_or_else(|| {
                        InputError::UnknownReference {
                            kind: "work center",
                            id: id.clone(),
                            referenced_by: format!("operation {}", op.id),
                        }
                    })?;
                    if problem.duration(i as Idx, wc).is_none() {
                        return Err(InputError::Ineligible {
                            operation: op.id.clone(),
                            work_center: id.clone(),
                        });
                    }
                    Some(wc)
                }
                // Chosen by the earliest-due-date dispatch below.
                (None, None) => None,
            };
            wc_of.push(wc);
            if let Some(pin) = op.pinned_start {
                pinned[i] = pin;
            }
            if let Some(t) = op.not_before {
                not_before[i] = t;
            }
        }

        // Sequences: listed ones first, then the rest dispatched by (due, order, routing depth) — a key that
        // grows along every routing edge, so this default can never contradict the routings.
        let mut sequences: Vec<Vec<Idx>> = vec![Vec::new(); n_wc];
        let mut listed = vec![false; n];
        for SequenceInput {
            work_center,
            operations,
        } in &input.sequences
        {
            let by = format!("sequence of {work_center}");
            let wc = problem.work_center_index(work_center).ok_or_else(|| {
                InputError::UnknownReference {
                    kind: "work center",
                    id: work_center.clone(),
                    referenced_by: by.clone(),
                }
            })?;
            for id in operations {
                let op =
                    problem
                        .operation_index(id)
                        .ok_or_else(|| InputError::UnknownReference {
                            kind: "operation",
                            id: id.clone(),
                            referenced_by: by.clone(),
                        })?;
                if listed[op as usize] {
                    return Err(InputError::SequencedTwice {
                        operation: id.clone(),
                    });
                }
                match wc_of[op as usize] {
                    Some(assigned) if assigned != wc => {
                        return Err(InputError::WrongSequence {
                            operation: id.clone(),
                            listed: work_center.clone(),
                            assigned: wc_id(assigned),
                        });
                    }
                    Some(_) => {}
                    None if problem.duration(op, wc).is_none() => {
                        return Err(InputError::Ineligible {
                            operation: id.clone(),
                            work_center: work_center.clone(),
                        });
                    }
                    None => wc_of[op as usize] = Some(wc),
                }
                listed[op as usize] = true;
                sequences[wc as usize].push(op);
            }
        }
        let depth = routing_depth(&problem);
        let mut rest: Vec<Idx> = (0..n as Idx).filter(|&i| !listed[i as usize]).collect();
        rest.sort_by_key(|&i| {
            let order = problem.operations[i as usize].order;
            (
                problem.orders[order as usize].due,
                order,
                depth[i as usize],
                i,
            )
        });
        let mut next_id = 1;
        let mut extra_shifts = Vec::with_capacity(input.extra_shifts.len());
        for ExtraShift {
            id,
            work_center,
            interval,
        } in &input.extra_shifts
        {
            let work_center = resolve_wc(&problem, work_center, "extra shift")?;
            check_interval(interval, "extra shift")?;
            extra_shifts.push(ExtraShiftDef {
                id: *id,
                work_center,
                interval: *interval,
            });
            next_id = next_id.max(id + 1);
        }
        let mut downtimes = Vec::with_capacity(input.downtimes.len());
        for Downtime {
            id,
            work_center,
            kind,
            interval,
            note,
        } in &input.downtimes
        {
            let work_center = resolve_wc(&problem, work_center, "downtime")?;
            check_interval(interval, "downtime")?;
            downtimes.push(DowntimeDef {
                id: *id,
                work_center,
                kind: *kind,
                interval: *interval,
                note: note.clone(),
            });
            next_id = next_id.max(id + 1);
        }

        let fixed: Vec<bool> = wc_of.iter().map(Option::is_some).collect();
        let first_choice: Vec<Idx> = (0..n)
            .map(|i| wc_of[i].unwrap_or(problem.operations[i].alternatives[0].work_center))
            .collect();
        let mut plan = Self {
            wc_of: ChunkVec::from_vec(first_choice),
            not_before: ChunkVec::from_vec(not_before),
            pinned: ChunkVec::from_vec(pinned),
            sequences: (0..n_wc).map(|_| Arc::new(Vec::new())).collect(),
            position: ChunkVec::filled(0, n),
            order_delay: Arc::new(vec![0; problem.orders.len()]),
            extra_shifts: Arc::new(extra_shifts),
            downtimes: Arc::new(downtimes),
            next_id,
            calendars: Vec::new(),
            rank: Arc::new(Vec::new()),
            timing: ChunkVec::filled(Timing::default(), n),
            problem: Arc::clone(&problem),
        };
        plan.calendars = (0..n_wc as Idx)
            .map(|w| Arc::new(plan.build_availability(w)))
            .collect();
        plan.dispatch(&rest, &fixed, &mut sequences);
        // A running operation is first on its work center.
        for (w, seq) in sequences.iter_mut().enumerate() {
            let running: Vec<usize> = (0..seq.len())
                .filter(|&p| problem.operations[seq[p] as usize].in_progress.is_some())
                .collect();
            if running.len() > 1 {
                return Err(InputError::TwoRunning {
                    work_center: wc_id(w as Idx),
                    first: problem.operations[seq[running[0]] as usize].id.clone(),
                    second: problem.operations[seq[running[1]] as usize].id.clone(),
                });
            }
            if let Some(&p) = running.first() {
                let op = seq.remove(p);
                seq.insert(0, op);
            }
        }

        for (w, seq) in sequences.into_iter().enumerate() {
            plan.set_sequence(w as Idx, seq);
        }
        plan.recompute_rank()
            .map_err(|Cycle(ops)| InputError::SequenceCycle {
                operations: ops
                    .iter()
                    .take(10)
                    .map(|&o| plan.problem.operations[o as usize].id.clone())
                    .collect(),
            })?;
        plan.propagate_all();
        for i in 0..n {
            let t = *plan.timing.get(i);
            if t.pin_violated() {
                return Err(InputError::PinUnreachable {
                    operation: plan.problem.operations[i].id.clone(),
                    pinned: *plan.pinned.get(i),
                    earliest: t.start,
                });
            }
        }
        Ok(plan)
    }

    /// Appends `ops` (in dispatch order) to the sequences: each goes to its fixed work center or to the
    /// eligible one where it would end first, estimated with the calendars and changeovers.
    fn dispatch(&self, ops: &[Idx], fixed: &[bool], sequences: &mut [Vec<Idx>]) {
        let p = &self.problem;
        let mut end = vec![p.now; p.operations.len()];
        let mut free_at = vec![p.now; p.work_centers.len()];
        let mut last_product: Vec<Option<Idx>> =
            p.work_centers.iter().map(|w| w.initial_product).collect();
        for &op in ops {
            let def = &p.operations[op as usize];
            let mut ready = p.now.max(p.orders[def.order as usize].release);
            for &pred in &def.predecessors {
                ready = ready.max(end[pred as usize]);
            }
            ready = ready.max(*self.not_before.get(op as usize));
            let pin = *self.pinned.get(op as usize);
            if pin != NONE {
                ready = pin;
            }
            let mut best: Option<(Time, Idx)> = None;
            for alt in &def.alternatives {
                let w = alt.work_center;
                if fixed[op as usize] && w != *self.wc_of.get(op as usize) {
                    continue;
                }
                let work = p.changeover(w, last_product[w as usize], def.product) + alt.duration;
                let placed = self.calendars[w as usize].place(
                    ready.max(free_at[w as usize]),
                    work,
                    def.may_pause,
                );
                if best.is_none_or(|(e, _)| placed.end < e) {
                    best = Some((placed.end, w));
                }
            }
            let (finish, w) = best.unwrap_or((ready, *self.wc_of.get(op as usize)));
            sequences[w as usize].push(op);
            end[op as usize] = finish;
            free_at[w as usize] = finish;
            last_product[w as usize] = Some(def.product);
        }
    }

    pub fn problem(&self) -> &Arc<Problem> {
        &self.problem
    }

    pub fn timing(&self, op: Idx) -> Timing {
        *self.timing.get(op as usize)
    }

    pub fn work_center_of(&self, op: Idx) -> Idx {
        *self.wc_of.get(op as usize)
    }

    pub fn sequence(&self, wc: Idx) -> &[Idx] {
        &self.sequences[wc as usize]
    }

    pub fn pinned_start(&self, op: Idx) -> Option<Time> {
        Some(*self.pinned.get(op as usize)).filter(|&t| t != NONE)
    }

    pub fn not_before(&self, op: Idx) -> Option<Time> {
        Some(*self.not_before.get(op as usize)).filter(|&t| t != NONE)
    }

    pub fn availability(&self, wc: Idx) -> &Availability {
        &self.calendars[wc as usize]
    }

    /// Earliest start of an order's operations: its release plus any what-if delay.
    pub fn order_release(&self, order: Idx) -> Time {
        self.problem.orders[order as usize].release + self.order_delay[order as usize]
    }

    pub fn order_delay(&self, order: Idx) -> Millis {
        self.order_delay[order as usize]
    }

    /// Completion of an order: the end of its last operation.
    pub fn order_completion(&self, order: Idx) -> Time {
        let def = &self.problem.orders[order as usize];
        def.operations
            .iter()
            .map(|&o| self.timing.get(o as usize).end)
            .max()
            .unwrap_or(self.problem.now)
    }

    /// Number of operations whose timing `other` shares with `self` by reference (chunks), for tests.
    pub fn shared_timing_chunks(&self, other: &Plan) -> (usize, usize) {
        (
            self.timing.shared_chunks(&other.timing),
            self.timing.chunk_count(),
        )
    }

    // ---- propagation -------------------------------------------------------------------------------------

    /// Recomputes every operation in topological order.
    pub fn propagate_all(&mut self) {
        let order = self.topological_order();
        for op in order {
            let t = self.compute(op);
            self.timing.set(op as usize, t);
        }
    }

    /// Recomputes `dirty` and whatever their changes reach. Returns the operations recomputed whose pin is
    /// now violated.
    pub(crate) fn propagate_from(&mut self, dirty: impl IntoIterator<Item = Idx>) -> Vec<Idx> {
        self.propagate_tracked(dirty, &mut Vec::new())
    }

    /// [`Plan::propagate_from`] that also appends to `changed` every operation whose timing changed (the
    /// optimizer updates its objective from those alone).
    pub(crate) fn propagate_tracked(
        &mut self,
        dirty: impl IntoIterator<Item = Idx>,
        changed: &mut Vec<Idx>,
    ) -> Vec<Idx> {
        // No per-call "queued" array (O(n) to allocate and clear): an operation is only ever pushed before it is
        // popped (pushes go to higher ranks than the one being popped), so its duplicates pop back to back.
        let mut heap: BinaryHeap<Reverse<(u32, Idx)>> = dirty
            .into_iter()
            .map(|op| Reverse((self.rank[op as usize], op)))
            .collect();
        let mut violated = Vec::new();
        let mut last = None;
        let problem = Arc::clone(&self.problem);
        while let Some(Reverse((_, op))) = heap.pop() {
            if last.replace(op) == Some(op) {
                continue;
            }
            let t = self.compute(op);
            if t.pin_violated() {
                violated.push(op);
            }
            let old = *self.timing.get(op as usize);
            // Successors read only the end.
            if !self.timing.set(op as usize, t) {
                continue;
            }
            changed.push(op);
            if old.end == t.end {
                continue;
            }
            for &s in &problem.operations[op as usize].successors {
                heap.push(Reverse((self.rank[s as usize], s)));
            }
            if let Some(next) = self.machine_successor(op) {
                heap.push(Reverse((self.rank[next as usize], next)));
            }
        }
        violated
    }

    /// Start and end of `op` from its current inputs and its predecessors' current timings.
    fn compute(&self, op: Idx) -> Timing {
        let p = &self.problem;
        let def = &p.operations[op as usize];
        let wc = *self.wc_of.get(op as usize);
        let calendar = &self.calendars[wc as usize];
        if let Some(running) = def.in_progress {
            let placed = calendar.place(p.now, running.remaining, true);
            return Timing {
                start: running.started.min(placed.start),
                end: placed.end,
                changeover: 0,
                flags: flags(placed.pushed_by_maintenance, placed.beyond_calendar, false),
            };
        }
        let mut ready = p
            .now
            .max(self.order_release(def.order))
            .max(*self.not_before.get(op as usize));
        for &pred in &def.predecessors {
            ready = ready.max(self.timing.get(pred as usize).end);
        }
        let pos = *self.position.get(op as usize) as usize;
        let previous_product = if pos > 0 {
            let prev = self.sequences[wc as usize][pos - 1];
            ready = ready.max(self.timing.get(prev as usize).end);
            Some(p.operations[prev as usize].product)
        } else {
            p.work_centers[wc as usize].initial_product
        };
        let changeover = p.changeover(wc, previous_product, def.product);
        let duration = p.duration(op, wc).unwrap_or(0);
        let work = changeover + duration;
        let pin = *self.pinned.get(op as usize);
        if pin != NONE {
            let placed = calendar.place(pin, work, def.may_pause);
            let violated = ready > pin || placed.start != pin;
            return Timing {
                start: pin,
                end: placed.end.max(pin + work),
                changeover,
                flags: flags(
                    placed.pushed_by_maintenance,
                    placed.beyond_calendar,
                    violated,
                ),
            };
        }
        let placed = calendar.place(ready, work, def.may_pause);
        Timing {
            start: placed.start,
            end: placed.end,
            changeover,
            flags: flags(placed.pushed_by_maintenance, placed.beyond_calendar, false),
        }
    }

    /// The operation before `op` in its work center's sequence.
    pub fn machine_predecessor(&self, op: Idx) -> Option<Idx> {
        let wc = *self.wc_of.get(op as usize);
        let pos = *self.position.get(op as usize) as usize;
        pos.checked_sub(1).map(|p| self.sequences[wc as usize][p])
    }

    /// The operation after `op` in its work center's sequence.
    pub fn machine_successor(&self, op: Idx) -> Option<Idx> {
        let wc = *self.wc_of.get(op as usize);
        let pos = *self.position.get(op as usize) as usize;
        self.sequences[wc as usize].get(pos + 1).copied()
    }

    /// Operations in an order where every routing and sequence predecessor comes first.
    pub fn topological_order(&self) -> Vec<Idx> {
        let mut order: Vec<Idx> = (0..self.rank.len() as Idx).collect();
        order.sort_unstable_by_key(|&op| self.rank[op as usize]);
        order
    }

    /// Kahn's algorithm over routing and sequence edges.
    fn kahn_order(&self) -> Result<Vec<Idx>, Cycle> {
        let p = &self.problem;
        let n = p.operations.len();
        let mut indegree: Vec<u32> = (0..n)
            .map(|i| {
                p.operations[i].predecessors.len() as u32 + u32::from(*self.position.get(i) > 0)
            })
            .collect();
        let mut stack: Vec<Idx> = (0..n as Idx)
            .filter(|&i| indegree[i as usize] == 0)
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(op) = stack.pop() {
            order.push(op);
            let mut release = |s: Idx| {
                indegree[s as usize] -= 1;
                if indegree[s as usize] == 0 {
                    stack.push(s);
                }
            };
            for &s in &p.operations[op as usize].successors {
                release(s);
            }
            if let Some(next) = self.machine_successor(op) {
                release(next);
            }
        }
        if order.len() == n {
            Ok(order)
        } else {
            Err(Cycle(
                (0..n as Idx)
                    .filter(|&i| indegree[i as usize] > 0)
                    .collect(),
            ))
        }
    }

    /// Refreshes the topological ranks after the sequence edges changed; a cycle leaves them untouched.
    pub(crate) fn recompute_rank(&mut self) -> Result<(), Cycle> {
        let order = self.kahn_order()?;
        let mut rank = vec![0u32; order.len()];
        for (r, &op) in order.iter().enumerate() {
            rank[op as usize] = r as u32;
        }
        self.rank = Arc::new(rank);
        Ok(())
    }

    /// Restores the topological ranks after `op` was taken out of one sequence and inserted into another (or
    /// the same) one. Taking it out only removed edges (and bridged its neighbours, an edge the ranks already
    /// respected), so only the new edges `a → op` and `op → b` can run against the ranks — and not both, since
    /// `a → b` was an edge. For that one edge, Pearce–Kelly reorders just the operations between its ends that
    /// it affects, instead of re-sorting the whole plan. A cycle leaves the ranks untouched.
    pub(crate) fn repair_rank(&mut self, op: Idx) -> Result<(), Cycle> {
        let rank = |plan: &Self, o: Idx| plan.rank[o as usize];
        let (x, y) = match (self.machine_predecessor(op), self.machine_successor(op)) {
            (Some(a), _) if rank(self, a) > rank(self, op) => (a, op),
            (_, Some(b)) if rank(self, op) > rank(self, b) => (op, b),
            _ => return Ok(()),
        };
        let (rx, ry) = (rank(self, x), rank(self, y));
        let problem = Arc::clone(&self.problem);
        // The affected sets are small: a hash set beats clearing an n-sized array on every move.
        let mut seen = std::collections::HashSet::new();
        // Forward from y among ranks below x's: reaching x closes a cycle.
        let mut forward = Vec::new();
        let mut stack = vec![y];
        seen.insert(y);
        while let Some(u) = stack.pop() {
            forward.push(u);
            let next = problem.operations[u as usize]
                .successors
                .iter()
                .copied()
                .chain(self.machine_successor(u));
            for v in next {
                if v == x {
                    return Err(Cycle(vec![x, y]));
                }
                if rank(self, v) < rx && seen.insert(v) {
                    stack.push(v);
                }
            }
        }
        // Backward from x among ranks above y's.
        let mut backward = Vec::new();
        stack.push(x);
        seen.insert(x);
        while let Some(u) = stack.pop() {
            backward.push(u);
            let previous = problem.operations[u as usize]
                .predecessors
                .iter()
                .copied()
                .chain(self.machine_predecessor(u));
            for v in previous {
                if rank(self, v) > ry && seen.insert(v) {
                    stack.push(v);
                }
            }
        }
        // x's ancestors then y's descendants, each in their old relative order, take the same set of ranks.
        backward.sort_unstable_by_key(|&o| rank(self, o));
        forward.sort_unstable_by_key(|&o| rank(self, o));
        let mut pool: Vec<u32> = backward
            .iter()
            .chain(&forward)
            .map(|&o| rank(self, o))
            .collect();
        pool.sort_unstable();
        let ranks = Arc::make_mut(&mut self.rank);
        for (&o, r) in backward.iter().chain(&forward).zip(pool) {
            ranks[o as usize] = r;
        }
        Ok(())
    }

    /// Whether every routing and sequence edge goes from a lower to a higher rank (for tests).
    #[cfg(test)]
    pub(crate) fn ranks_consistent(&self) -> bool {
        let p = &self.problem;
        let mut seen = vec![false; self.rank.len()];
        for &r in self.rank.iter() {
            if r as usize >= seen.len() || std::mem::replace(&mut seen[r as usize], true) {
                return false;
            }
        }
        (0..p.operations.len() as Idx).all(|op| {
            let r = self.rank[op as usize];
            p.operations[op as usize]
                .successors
                .iter()
                .copied()
                .chain(self.machine_successor(op))
                .all(|s| self.rank[s as usize] > r)
        })
    }

    // ---- structure changes used by edits -----------------------------------------------------------------

    /// Replaces the sequence of `wc`, refreshing positions and assignments.
    pub(crate) fn set_sequence(&mut self, wc: Idx, seq: Vec<Idx>) {
        for (p, &op) in seq.iter().enumerate() {
            self.position.set(op as usize, p as u32);
            self.wc_of.set(op as usize, wc);
        }
        self.sequences[wc as usize] = Arc::new(seq);
    }

    /// Rebuilds the availability of `wc` after its extra shifts or downtimes changed.
    pub(crate) fn refresh_calendar(&mut self, wc: Idx) {
        self.calendars[wc as usize] = Arc::new(self.build_availability(wc));
    }

    fn build_availability(&self, wc: Idx) -> Availability {
        let def = &self.problem.work_centers[wc as usize];
        let mut base = self.problem.calendars[def.calendar as usize].clone();
        base.extend(
            self.extra_shifts
                .iter()
                .filter(|s| s.work_center == wc)
                .map(|s| s.interval),
        );
        let mine = || self.downtimes.iter().filter(|d| d.work_center == wc);
        let blocked: Vec<Interval> = mine().map(|d| d.interval).collect();
        let maintenance: Vec<Interval> = mine()
            .filter(|d| d.kind == DowntimeKind::Maintenance)
            .map(|d| d.interval)
            .collect();
        Availability::build(base, &blocked, &maintenance)
    }

    /// Operations on `wc` that a calendar change from `from` on can affect: those ending after it.
    pub(crate) fn ops_ending_after(&self, wc: Idx, from: Time) -> Vec<Idx> {
        let seq = &self.sequences[wc as usize];
        // Ends are non-decreasing along a sequence, so the affected ones are a suffix.
        let first = seq.partition_point(|&op| self.timing.get(op as usize).end <= from);
        seq[first..].to_vec()
    }
}

fn flags(pushed: bool, beyond: bool, violated: bool) -> u8 {
    (if pushed {
        Timing::PUSHED_BY_MAINTENANCE
    } else {
        0
    }) | (if beyond { Timing::BEYOND_CALENDAR } else { 0 })
        | (if violated { Timing::PIN_VIOLATED } else { 0 })
}

fn resolve_wc(problem: &Problem, id: &str, by: &str) -> Result<Idx, InputError> {
    problem
        .work_center_index(id)
        .ok_or_else(|| InputError::UnknownReference {
            kind: "work center",
            id: id.to_owned(),
            referenced_by: by.to_owned(),
        })
}

fn check_interval(iv: &Interval, what: &str) -> Result<(), InputError> {
    if iv.end <= iv.start {
        return Err(InputError::InvalidInterval {
            what: what.to_owned(),
            start: iv.start,
            end: iv.end,
        });
    }
    Ok(())
}

/// Longest chain of routing predecessors before each operation.
fn routing_depth(problem: &Problem) -> Vec<u32> {
    let n = problem.operations.len();
    let mut depth = vec![0u32; n];
    let mut indegree: Vec<usize> = problem
        .operations
        .iter()
        .map(|o| o.predecessors.len())
        .collect();
    let mut stack: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(i) = stack.pop() {
        for &s in &problem.operations[i].successors {
            let s = s as usize;
            depth[s] = depth[s].max(depth[i] + 1);
            indegree[s] -= 1;
            if indegree[s] == 0 {
                stack.push(s);
            }
        }
    }
    depth
}
