//! Starting solutions: Giffler–Thompson active schedules with the MWKR (most work remaining) priority rule.
//!
//! GT guarantees an *active* schedule (no operation could start earlier without delaying another), a far better
//! starting point for local search than a random order; MWKR favours long jobs, which tend to define the makespan.

use crate::jobshop::instance::{Instance, OpId};
use crate::jobshop::schedule::Sequencing;
use crate::rng::Rng;

/// Builds machine sequences by Giffler–Thompson with MWKR. With `rng`, ties and near-ties in the conflict set are
/// broken randomly, which diversifies the starting points of parallel or restarted searches.
pub(crate) fn giffler_thompson(inst: &Instance, mut rng: Option<&mut Rng>) -> Sequencing {
    let jobs = inst.jobs();
    let mut next: Vec<OpId> = (0..jobs).map(|j| inst.job_ops(j).start).collect();
    let mut job_ready = vec![0u64; jobs];
    let mut machine_ready = vec![0u64; inst.machines()];
    let mut remaining: Vec<u64> = (0..jobs)
        .map(|j| inst.job_ops(j).map(|o| inst.op(o).duration).sum())
        .collect();
    let mut seqs: Vec<Vec<OpId>> = vec![Vec::new(); inst.machines()];
    let mut conflict = Vec::with_capacity(jobs);
    for _ in 0..inst.len() {
        // The operation that can complete first fixes the machine and the conflict window.
        let mut best: Option<(u64, usize)> = None;
        for j in 0..jobs {
            if next[j] >= inst.job_ops(j).end {
                continue;
            }
            let o = inst.op(next[j]);
            let ec = job_ready[j].max(machine_ready[o.machine]) + o.duration;
            if best.is_none_or(|(b, _)| ec < b) {
                best = Some((ec, j));
            }
        }
        let Some((ec_star, j_star)) = best else { break };
        let machine = inst.op(next[j_star]).machine;
        conflict.clear();
        for j in 0..jobs {
            if next[j] < inst.job_ops(j).end {
                let o = inst.op(next[j]);
                if o.machine == machine && job_ready[j].max(machine_ready[machine]) < ec_star {
                    conflict.push(j);
                }
            }
        }
        let mwkr = conflict
            .iter()
            .copied()
            .max_by_key(|&j| (remaining[j], std::cmp::Reverse(j)))
            .unwrap_or(j_star);
        // Randomised variant: one time in four, any job of the conflict set.
        let chosen = match rng.as_deref_mut() {
            Some(r) if conflict.len() > 1 => {
                if r.below(4) == 0 {
                    conflict[r.below(conflict.len())]
                } else {
                    mwkr
                }
            }
            _ => mwkr,
        };
        let op = next[chosen];
        let o = inst.op(op);
        let start = job_ready[chosen].max(machine_ready[machine]);
        job_ready[chosen] = start + o.duration;
        machine_ready[machine] = start + o.duration;
        remaining[chosen] -= o.duration;
        seqs[machine].push(op);
        next[chosen] += 1;
    }
    let mut pos = vec![0; inst.len()];
    for seq in &seqs {
        for (p, &op) in seq.iter().enumerate() {
            pos[op] = p;
        }
    }
    Sequencing { seqs, pos }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobshop::schedule::{Schedule, verify};

    #[test]
    fn gt_is_feasible_on_ft06() {
        let inst =
            Instance::parse("ft06", include_str!("../../tests/data/ft06.txt")).expect("parses");
        let mut rng = Rng::new(7);
        for r in [None, Some(&mut rng)] {
            let seq = giffler_thompson(&inst, r);
            let s = Schedule::from_sequences(&inst, seq.seqs).expect("GT is acyclic");
            assert_eq!(verify(&inst, s.starts()), Ok(s.makespan()));
            assert!(s.makespan() >= 55 && s.makespan() < 100, "{}", s.makespan());
        }
    }
}
