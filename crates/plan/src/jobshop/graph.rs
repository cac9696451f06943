//! The optimizer's working copy of a solution: the disjunctive graph as flat arrays, its heads and tails, and a
//! topological order that is repaired (not rebuilt) after every move.
//!
//! Why this design: re-propagating the whole graph with Kahn's algorithm after each move cost two thirds of a tabu
//! iteration. A move reorders one segment `seq[lo..=hi]` of one machine; the only arc of the new graph that can
//! contradict the old topological order is the one from the old `seq[hi]` to the old `seq[lo]`. The order is
//! repaired as in Pearce–Kelly's dynamic topological sort: the ops reachable forward from the arc's head and
//! backward from its tail, both bounded by the arc's positions, are reshuffled among their own positions (a forward
//! search reaching the tail proves a cycle). Heads then change only from the first repaired position onwards and
//! tails only up to the last one, so each is one linear pass over part of the order, two loads per operation.
//! Index `n` is a sentinel "no operation" with zero duration, head and tail, which keeps those passes branch-free.

use crate::error::ScheduleError;
use crate::jobshop::instance::Instance;
use crate::jobshop::schedule::Sequencing;

#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub seq: Sequencing,
    n: usize,
    /// Duration by op; `dur[n] == 0`.
    pub dur: Vec<u64>,
    /// Job / machine neighbours by op, `n` for none.
    pub jpred: Vec<u32>,
    pub jsucc: Vec<u32>,
    pub mpred: Vec<u32>,
    pub msucc: Vec<u32>,
    /// Earliest start by op; `head[n] == 0`.
    pub head: Vec<u64>,
    /// Longest path from an op's end to the end of the schedule; `tail[n] == 0`.
    pub tail: Vec<u64>,
    pub makespan: u64,
    /// Last operation of every non-empty job (the makespan is the latest of their ends).
    last_ops: Vec<u32>,
    /// A topological order of the graph and every op's position in it.
    topo: Vec<u32>,
    tpos: Vec<u32>,
    // Scratch for the order repair, reused so that a move allocates nothing.
    mark: Vec<u32>,
    epoch: u32,
    stack: Vec<u32>,
    fwd: Vec<u32>,
    bwd: Vec<u32>,
    slots: Vec<u32>,
    indeg: Vec<u8>,
}

impl Graph {
    /// Builds the graph of `seq` (which must belong to `inst`) and propagates it; fails on a cycle.
    pub fn new(inst: &Instance, seq: Sequencing) -> Result<Self, ScheduleError> {
        let n = inst.len();
        let none = n as u32;
        let mut dur: Vec<u64> = inst.ops().iter().map(|o| o.duration).collect();
        dur.push(0);
        let jpred = (0..=n)
            .map(|o| {
                (o < n)
                    .then(|| inst.job_pred(o))
                    .flatten()
                    .map_or(none, |p| p as u32)
            })
            .collect();
        let jsucc = (0..=n)
            .map(|o| {
                (o < n)
                    .then(|| inst.job_succ(o))
                    .flatten()
                    .map_or(none, |s| s as u32)
            })
            .collect();
        let last_ops = (0..inst.jobs())
            .filter(|&j| !inst.job_ops(j).is_empty())
            .map(|j| (inst.job_ops(j).end - 1) as u32)
            .collect();
        let mut g = Self {
            seq,
            n,
            dur,
            jpred,
            jsucc,
            mpred: vec![none; n + 1],
            msucc: vec![none; n + 1],
            head: vec![0; n + 1],
            tail: vec![0; n + 1],
            makespan: 0,
            last_ops,
            topo: Vec::with_capacity(n),
            tpos: vec![0; n + 1],
            mark: vec![0; n + 1],
            epoch: 0,
            stack: Vec::new(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            slots: Vec::new(),
            indeg: Vec::with_capacity(n),
        };
        g.rebuild()?;
        Ok(g)
    }

    /// Replaces the sequencing (same instance) and propagates it from scratch.
    pub fn set(&mut self, seq: &Sequencing) -> Result<u64, ScheduleError> {
        self.seq.clone_from(seq);
        self.rebuild()
    }

    /// End time of `op` (0 for the sentinel).
    #[inline]
    pub fn end(&self, op: usize) -> u64 {
        self.head[op] + self.dur[op]
    }

    /// An operation that ends at the makespan (the end of a critical path), if there is any operation.
    pub fn end_op(&self) -> Option<usize> {
        self.last_ops
            .iter()
            .map(|&o| o as usize)
            .find(|&o| self.end(o) == self.makespan)
    }

    fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.mark.fill(0);
            self.epoch = 1;
        }
    }

    /// Machine links, topological order (Kahn), heads and tails from scratch.
    fn rebuild(&mut self) -> Result<u64, ScheduleError> {
        let n = self.n;
        let none = n as u32;
        for seq in &self.seq.seqs {
            for (p, &op) in seq.iter().enumerate() {
                self.mpred[op] = if p > 0 { seq[p - 1] as u32 } else { none };
                self.msucc[op] = seq.get(p + 1).map_or(none, |&s| s as u32);
            }
        }
        self.indeg.clear();
        self.topo.clear();
        for op in 0..n {
            let d = u8::from(self.jpred[op] != none) + u8::from(self.mpred[op] != none);
            self.indeg.push(d);
            if d == 0 {
                self.topo.push(op as u32);
            }
        }
        let mut i = 0;
        while i < self.topo.len() {
            let op = self.topo[i] as usize;
            i += 1;
            for s in [self.jsucc[op], self.msucc[op]] {
                if s != none {
                    let s = s as usize;
                    self.indeg[s] -= 1;
                    if self.indeg[s] == 0 {
                        self.topo.push(s as u32);
                    }
                }
            }
        }
        if self.topo.len() != n {
            return Err(ScheduleError::Cycle {
                ops: n - self.topo.len(),
            });
        }
        for (p, &op) in self.topo.iter().enumerate() {
            self.tpos[op as usize] = p as u32;
        }
        self.propagate(0, n.saturating_sub(1));
        Ok(self.makespan)
    }

    /// Recomputes heads at topological positions `from..` and tails at `..=to`, then the makespan.
    fn propagate(&mut self, from: usize, to: usize) {
        let (head, dur) = (&mut self.head, &self.dur);
        for &op in &self.topo[from.min(self.n)..] {
            let op = op as usize;
            let (jp, mp) = (self.jpred[op] as usize, self.mpred[op] as usize);
            head[op] = (head[jp] + dur[jp]).max(head[mp] + dur[mp]);
        }
        let tail = &mut self.tail;
        for &op in self.topo[..(to + 1).min(self.n)].iter().rev() {
            let op = op as usize;
            let (js, ms) = (self.jsucc[op] as usize, self.msucc[op] as usize);
            tail[op] = (dur[js] + tail[js]).max(dur[ms] + tail[ms]);
        }
        self.makespan = self
            .last_ops
            .iter()
            .map(|&o| self.head[o as usize] + self.dur[o as usize])
            .max()
            .unwrap_or(0);
    }

    /// Re-links machine neighbours of the ops at positions `lo - 1 ..= hi + 1` of machine `m`.
    fn relink(&mut self, m: usize, lo: usize, hi: usize) {
        let none = self.n as u32;
        let seq = &self.seq.seqs[m];
        for p in lo.saturating_sub(1)..=(hi + 1).min(seq.len() - 1) {
            let op = seq[p];
            self.mpred[op] = if p > 0 { seq[p - 1] as u32 } else { none };
            self.msucc[op] = seq.get(p + 1).map_or(none, |&s| s as u32);
        }
    }

    /// Moves the op at position `from` of machine `m` to position `to` and re-propagates incrementally. If that
    /// would create a cycle, nothing changes and `false` is returned.
    pub fn relocate(&mut self, m: usize, from: usize, to: usize) -> bool {
        if from == to {
            return true;
        }
        let (lo, hi) = (from.min(to), from.max(to));
        // After the move the old last op of the segment precedes (on a path through the segment) the old first:
        // the one arc that may run against the current topological order.
        let x = self.seq.seqs[m][hi];
        let y = self.seq.seqs[m][lo];
        self.seq.relocate(m, from, to);
        self.relink(m, lo, hi);
        if !self.repair_order(x, y) {
            self.seq.relocate(m, to, from);
            self.relink(m, lo, hi);
            return false;
        }
        let (lb, ub) = (
            self.slots[0] as usize,
            self.slots[self.slots.len() - 1] as usize,
        );
        self.propagate(lb, ub);
        true
    }

    /// Pearce–Kelly repair for a new path `x → … → y` with `tpos[y] < tpos[x]`. Leaves the reused positions,
    /// sorted, in `slots`. Returns `false` (order untouched) if `y` reaches `x`, i.e. the graph has a cycle.
    fn repair_order(&mut self, x: usize, y: usize) -> bool {
        let none = self.n as u32;
        let (lb, ub) = (self.tpos[y], self.tpos[x]);
        self.next_epoch();
        let epoch = self.epoch;
        // Forward from y: everything that must now come after x.
        self.fwd.clear();
        self.stack.clear();
        self.stack.push(y as u32);
        self.mark[y] = epoch;
        while let Some(w) = self.stack.pop() {
            self.fwd.push(w);
            let w = w as usize;
            for s in [self.jsucc[w], self.msucc[w]] {
                if s == none {
                    continue;
                }
                if s as usize == x {
                    return false;
                }
                let su = s as usize;
                if self.tpos[su] < ub && self.mark[su] != epoch {
                    self.mark[su] = epoch;
                    self.stack.push(s);
                }
            }
        }
        // Backward from x: everything that must now come before y.
        self.bwd.clear();
        self.stack.push(x as u32);
        self.mark[x] = epoch;
        while let Some(w) = self.stack.pop() {
            self.bwd.push(w);
            let w = w as usize;
            for p in [self.jpred[w], self.mpred[w]] {
                if p == none {
                    continue;
                }
                let pu = p as usize;
                if self.tpos[pu] > lb && self.mark[pu] != epoch {
                    self.mark[pu] = epoch;
                    self.stack.push(p);
                }
            }
        }
        let tpos = &self.tpos;
        self.bwd.sort_unstable_by_key(|&o| tpos[o as usize]);
        self.fwd.sort_unstable_by_key(|&o| tpos[o as usize]);
        self.slots.clear();
        self.slots
            .extend(self.bwd.iter().chain(&self.fwd).map(|&o| tpos[o as usize]));
        self.slots.sort_unstable();
        for (i, &o) in self.bwd.iter().chain(&self.fwd).enumerate() {
            let p = self.slots[i];
            self.topo[p as usize] = o;
            self.tpos[o as usize] = p;
        }
        true
    }

    /// Checks every invariant against a from-scratch propagation (tests only).
    #[cfg(test)]
    pub fn check(&self, inst: &Instance) {
        use crate::jobshop::schedule::Timing;
        let mut t = Timing::default();
        let mk = t.compute(inst, &self.seq).expect("acyclic");
        assert_eq!(mk, self.makespan, "makespan");
        assert_eq!(&t.head[..], &self.head[..self.n], "heads");
        assert_eq!(&t.tail[..], &self.tail[..self.n], "tails");
        for (p, &o) in self.topo.iter().enumerate() {
            assert_eq!(self.tpos[o as usize] as usize, p);
            for s in [self.jsucc[o as usize], self.msucc[o as usize]] {
                if s as usize != self.n {
                    assert!(self.tpos[s as usize] as usize > p, "order");
                }
            }
        }
        for o in 0..self.n {
            let m = inst.op(o).machine;
            let p = self.seq.pos[o];
            let s = &self.seq.seqs[m];
            assert_eq!(s[p], o);
            let mp = if p > 0 { s[p - 1] } else { self.n };
            let ms = s.get(p + 1).copied().unwrap_or(self.n);
            assert_eq!(self.mpred[o] as usize, mp);
            assert_eq!(self.msucc[o] as usize, ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobshop::initial::giffler_thompson;
    use crate::jobshop::schedule::Timing;
    use crate::rng::Rng;
    use proptest::prelude::*;

    fn arb_instance() -> impl Strategy<Value = Instance> {
        (1usize..=6, 1usize..=5).prop_flat_map(|(jobs, machines)| {
            let routing = prop::collection::vec((0..machines, 0u64..20), 1..=machines + 1);
            prop::collection::vec(routing, jobs).prop_map(move |r| {
                Instance::new("random", machines, &r).expect("machines in range")
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Arbitrary relocations (cyclic ones included) keep heads, tails, order and links exact.
        #[test]
        fn incremental_matches_full_propagation(inst in arb_instance(), seed in 0u64..1000, steps in 1usize..60) {
            let mut rng = Rng::new(seed);
            let mut g = Graph::new(&inst, giffler_thompson(&inst, Some(&mut rng))).expect("GT is acyclic");
            g.check(&inst);
            for _ in 0..steps {
                let m = rng.below(inst.machines());
                let len = g.seq.seqs[m].len();
                if len < 2 {
                    continue;
                }
                let (from, to) = (rng.below(len), rng.below(len));
                let before = g.seq.clone();
                let mut s = before.clone();
                s.relocate(m, from, to);
                let acyclic = Timing::default().compute(&inst, &s).is_ok();
                prop_assert_eq!(g.relocate(m, from, to), acyclic);
                if !acyclic {
                    prop_assert_eq!(&g.seq, &before);
                }
                g.check(&inst);
            }
        }
    }
}
