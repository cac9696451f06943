//! Schedules as machine sequences, their semi-active timing, and an independent feasibility checker.
//!
//! The optimizer works on the disjunctive-graph view (an order of operations on every machine); start times
//! follow by longest-path propagation in topological order. The checker in [`verify`] deliberately ignores the
//! sequences and only looks at start times, so a bug in propagation or in the optimizer cannot hide behind itself.

use crate::error::{FeasibilityError, ScheduleError};
use crate::jobshop::instance::{Instance, OpId};

/// Machine sequences plus, for every operation, its position on its machine. Kept consistent by the optimizer's
/// moves so that machine predecessor/successor lookups are O(1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sequencing {
    pub seqs: Vec<Vec<OpId>>,
    pub pos: Vec<usize>,
}

impl Sequencing {
    /// Validates that every operation is sequenced exactly once, on its own machine.
    pub fn new(inst: &Instance, seqs: Vec<Vec<OpId>>) -> Result<Self, ScheduleError> {
        if seqs.len() != inst.machines() {
            return Err(ScheduleError::MachineCount {
                expected: inst.machines(),
                found: seqs.len(),
            });
        }
        let mut count = vec![0usize; inst.len()];
        let mut pos = vec![0usize; inst.len()];
        for (m, seq) in seqs.iter().enumerate() {
            for (p, &op) in seq.iter().enumerate() {
                if op >= inst.len() {
                    return Err(ScheduleError::UnknownOperation { op });
                }
                let expected = inst.op(op).machine;
                if expected != m {
                    return Err(ScheduleError::WrongMachine {
                        op,
                        expected,
                        found: m,
                    });
                }
                count[op] += 1;
                pos[op] = p;
            }
        }
        if let Some((op, &c)) = count.iter().enumerate().find(|&(_, &c)| c != 1) {
            return Err(ScheduleError::NotOnce { op, count: c });
        }
        Ok(Self { seqs, pos })
    }

    pub fn machine_succ(&self, inst: &Instance, op: OpId) -> Option<OpId> {
        let seq = &self.seqs[inst.op(op).machine];
        seq.get(self.pos[op] + 1).copied()
    }

    /// Moves the operation at `from` to position `to` on machine `m`, shifting the ones in between.
    pub fn relocate(&mut self, m: usize, from: usize, to: usize) {
        let seq = &mut self.seqs[m];
        if from < to {
            seq[from..=to].rotate_left(1);
        } else {
            seq[to..=from].rotate_right(1);
        }
        let (lo, hi) = (from.min(to), from.max(to));
        for (p, &op) in seq.iter().enumerate().take(hi + 1).skip(lo) {
            self.pos[op] = p;
        }
    }
}

/// Heads (earliest starts) and tails (longest path from an operation's end to the end of the schedule) of a
/// sequencing. Buffers are reused across evaluations: the tabu search evaluates once per iteration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timing {
    pub head: Vec<u64>,
    pub tail: Vec<u64>,
    pub makespan: u64,
    order: Vec<OpId>,
    indeg: Vec<u8>,
}

impl Timing {
    /// Longest-path propagation in topological order (Kahn). Returns the makespan, or a cycle error when the
    /// sequences contradict the job routings.
    pub fn compute(&mut self, inst: &Instance, s: &Sequencing) -> Result<u64, ScheduleError> {
        let n = inst.len();
        self.head.clear();
        self.head.resize(n, 0);
        self.tail.clear();
        self.tail.resize(n, 0);
        self.indeg.clear();
        self.order.clear();
        for op in 0..n {
            let d = u8::from(inst.job_pred(op).is_some()) + u8::from(s.pos[op] > 0);
            self.indeg.push(d);
            if d == 0 {
                self.order.push(op);
            }
        }
        let mut i = 0;
        while i < self.order.len() {
            let op = self.order[i];
            i += 1;
            let end = self.head[op] + inst.op(op).duration;
            for succ in [inst.job_succ(op), s.machine_succ(inst, op)]
                .into_iter()
                .flatten()
            {
                self.head[succ] = self.head[succ].max(end);
                self.indeg[succ] -= 1;
                if self.indeg[succ] == 0 {
                    self.order.push(succ);
                }
            }
        }
        if self.order.len() != n {
            return Err(ScheduleError::Cycle {
                ops: n - self.order.len(),
            });
        }
        let mut makespan = 0;
        for &op in self.order.iter().rev() {
            let mut t = 0;
            for succ in [inst.job_succ(op), s.machine_succ(inst, op)]
                .into_iter()
                .flatten()
            {
                t = t.max(inst.op(succ).duration + self.tail[succ]);
            }
            self.tail[op] = t;
            makespan = makespan.max(self.head[op] + inst.op(op).duration + t);
        }
        self.makespan = makespan;
        Ok(makespan)
    }
}

/// A feasible semi-active job-shop schedule: the order on every machine and the resulting earliest start times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    sequences: Vec<Vec<OpId>>,
    starts: Vec<u64>,
    makespan: u64,
}

impl Schedule {
    /// Propagates start times from machine sequences (each operation exactly once, on its own machine).
    pub fn from_sequences(
        inst: &Instance,
        sequences: Vec<Vec<OpId>>,
    ) -> Result<Self, ScheduleError> {
        let seq = Sequencing::new(inst, sequences)?;
        Self::from_sequencing(inst, seq)
    }

    pub(crate) fn from_sequencing(inst: &Instance, seq: Sequencing) -> Result<Self, ScheduleError> {
        let mut timing = Timing::default();
        let makespan = timing.compute(inst, &seq)?;
        Ok(Self {
            sequences: seq.seqs,
            starts: timing.head,
            makespan,
        })
    }

    /// Operation ids in processing order, per machine.
    pub fn sequences(&self) -> &[Vec<OpId>] {
        &self.sequences
    }

    /// Start time of every operation, indexed by [`OpId`].
    pub fn starts(&self) -> &[u64] {
        &self.starts
    }

    pub fn makespan(&self) -> u64 {
        self.makespan
    }
}

/// Independent feasibility check from start times alone: every job's operations run in routing order without
/// overlapping, and no two operations overlap on a machine. Returns the recomputed makespan.
pub fn verify(inst: &Instance, starts: &[u64]) -> Result<u64, FeasibilityError> {
    if starts.len() != inst.len() {
        return Err(FeasibilityError::WrongLength {
            expected: inst.len(),
            found: starts.len(),
        });
    }
    let end = |op: OpId| {
        starts[op]
            .checked_add(inst.op(op).duration)
            .ok_or(FeasibilityError::Overflow { op })
    };
    let mut makespan = 0;
    for job in 0..inst.jobs() {
        let mut pred_end = 0;
        for op in inst.job_ops(job) {
            if starts[op] < pred_end {
                return Err(FeasibilityError::Precedence {
                    job,
                    index: inst.op(op).index,
                    start: starts[op],
                    pred_end,
                });
            }
            pred_end = end(op)?;
            makespan = makespan.max(pred_end);
        }
    }
    let mut by_machine: Vec<Vec<OpId>> = vec![Vec::new(); inst.machines()];
    for (op, o) in inst.ops().iter().enumerate() {
        by_machine[o.machine].push(op);
    }
    for (machine, ops) in by_machine.iter_mut().enumerate() {
        // Zero-length operations occupy no time, so they cannot overlap anything.
        ops.retain(|&op| inst.op(op).duration > 0);
        ops.sort_by_key(|&op| (starts[op], op));
        for w in ops.windows(2) {
            if end(w[0])? > starts[w[1]] {
                return Err(FeasibilityError::Overlap {
                    machine,
                    a: w[0],
                    b: w[1],
                });
            }
        }
    }
    Ok(makespan)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two jobs, two machines: J0 = M0(3) -> M1(2), J1 = M1(4) -> M0(1).
    fn tiny() -> Instance {
        Instance::new("tiny", 2, &[vec![(0, 3), (1, 2)], vec![(1, 4), (0, 1)]]).expect("valid")
    }

    #[test]
    fn propagates_semi_active_starts() {
        let inst = tiny();
        // M0: J0.0 then J1.1 ; M1: J1.0 then J0.1.
        let s = Schedule::from_sequences(&inst, vec![vec![0, 3], vec![2, 1]]).expect("acyclic");
        assert_eq!(s.starts(), &[0, 4, 0, 4]);
        assert_eq!(s.makespan(), 6);
        assert_eq!(verify(&inst, s.starts()), Ok(6));
        // M0: J1.1 first forces J0.0 to wait for J1 (M1 4, M0 1).
        let s = Schedule::from_sequences(&inst, vec![vec![3, 0], vec![2, 1]]).expect("acyclic");
        assert_eq!(s.starts(), &[5, 8, 0, 4]);
        assert_eq!(s.makespan(), 10);
    }

    #[test]
    fn detects_cycles() {
        let inst = tiny();
        // M0: J1.1 before J0.0 and M1: J0.1 before J1.0 => J0.0 -> J0.1 -> J1.0 -> J1.1 -> J0.0.
        assert_eq!(
            Schedule::from_sequences(&inst, vec![vec![3, 0], vec![1, 2]]),
            Err(ScheduleError::Cycle { ops: 4 })
        );
    }

    #[test]
    fn rejects_malformed_sequences() {
        let inst = tiny();
        assert_eq!(
            Schedule::from_sequences(&inst, vec![vec![0, 3]]),
            Err(ScheduleError::MachineCount {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            Schedule::from_sequences(&inst, vec![vec![0, 1], vec![2, 3]]),
            Err(ScheduleError::WrongMachine {
                op: 1,
                expected: 1,
                found: 0
            })
        );
        assert_eq!(
            Schedule::from_sequences(&inst, vec![vec![0, 3, 0], vec![2, 1]]),
            Err(ScheduleError::NotOnce { op: 0, count: 2 })
        );
        assert_eq!(
            Schedule::from_sequences(&inst, vec![vec![0, 9], vec![2, 1]]),
            Err(ScheduleError::UnknownOperation { op: 9 })
        );
    }

    #[test]
    fn checker_catches_violations() {
        let inst = tiny();
        assert_eq!(
            verify(&inst, &[0, 2, 0, 4]),
            Err(FeasibilityError::Precedence {
                job: 0,
                index: 1,
                start: 2,
                pred_end: 3
            })
        );
        assert_eq!(
            verify(&inst, &[4, 8, 0, 4]),
            Err(FeasibilityError::Overlap {
                machine: 0,
                a: 0,
                b: 3
            })
        );
        assert_eq!(
            verify(&inst, &[0, 3, 0, 4]),
            Err(FeasibilityError::Overlap {
                machine: 1,
                a: 2,
                b: 1
            })
        );
        assert_eq!(
            verify(&inst, &[0]),
            Err(FeasibilityError::WrongLength {
                expected: 4,
                found: 1
            })
        );
        assert_eq!(verify(&inst, &[0, 4, 0, 4]), Ok(6));
    }

    #[test]
    fn relocate_keeps_positions_consistent() {
        let inst = Instance::new(
            "one",
            1,
            &[vec![(0, 1)], vec![(0, 1)], vec![(0, 1)], vec![(0, 1)]],
        )
        .expect("ok");
        let mut s = Sequencing::new(&inst, vec![vec![0, 1, 2, 3]]).expect("ok");
        s.relocate(0, 0, 2);
        assert_eq!(s.seqs[0], vec![1, 2, 0, 3]);
        s.relocate(0, 3, 0);
        assert_eq!(s.seqs[0], vec![3, 1, 2, 0]);
        for (p, &op) in s.seqs[0].iter().enumerate() {
            assert_eq!(s.pos[op], p);
        }
    }
}
