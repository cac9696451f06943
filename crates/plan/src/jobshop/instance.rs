//! The classic job-shop instance and its OR-Library text format.
//!
//! Operations are numbered densely (job by job, in routing order) so that the optimizer can keep all per-operation
//! state in flat vectors indexed by [`OpId`], which is what makes its inner loop cheap.

use crate::error::ParseError;

/// Dense operation index: operations of job 0 first, in routing order, then job 1, ...
pub type OpId = usize;

/// One operation: a job's visit to a machine for a fixed duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub job: usize,
    /// Position within the job's routing (0-based).
    pub index: usize,
    pub machine: usize,
    pub duration: u64,
}

/// A job-shop instance: `jobs` routings over `machines` machines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub name: String,
    machines: usize,
    ops: Vec<Operation>,
    /// `job_start[j]..job_start[j + 1]` are job `j`'s operations.
    job_start: Vec<OpId>,
}

impl Instance {
    /// Builds an instance from routings of `(machine, duration)` pairs. Machine indices must be `< machines`;
    /// the `line` of a [`ParseError::MachineOutOfRange`] from here is the 1-based job number.
    ///
    /// Jobs may have any number of operations (and may revisit a machine); the OR-Library format is the special
    /// case of every job visiting every machine once.
    pub fn new(
        name: impl Into<String>,
        machines: usize,
        jobs: &[Vec<(usize, u64)>],
    ) -> Result<Self, ParseError> {
        let mut ops = Vec::new();
        let mut job_start = Vec::with_capacity(jobs.len() + 1);
        for (job, routing) in jobs.iter().enumerate() {
            job_start.push(ops.len());
            for (index, &(machine, duration)) in routing.iter().enumerate() {
                if machine >= machines {
                    return Err(ParseError::MachineOutOfRange {
                        line: job + 1,
                        machine,
                        machines,
                    });
                }
                ops.push(Operation {
                    job,
                    index,
                    machine,
                    duration,
                });
            }
        }
        job_start.push(ops.len());
        Ok(Self {
            name: name.into(),
            machines,
            ops,
            job_start,
        })
    }

    /// Parses the OR-Library format: optional header/banner lines, then the first line holding exactly two
    /// integers `n m`, then `n` job lines of `m` `machine duration` pairs. Blank lines are ignored anywhere.
    pub fn parse(name: impl Into<String>, text: &str) -> Result<Self, ParseError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let (header_line, jobs, machines) = loop {
            let Some((line, content)) = lines.next() else {
                return Err(ParseError::MissingHeader);
            };
            let tokens: Vec<&str> = content.split_whitespace().collect();
            if let [a, b] = tokens.as_slice()
                && let (Ok(n), Ok(m)) = (a.parse::<usize>(), b.parse::<usize>())
            {
                break (line, n, m);
            }
        };
        if jobs == 0 || machines == 0 {
            return Err(ParseError::EmptyInstance {
                line: header_line,
                jobs,
                machines,
            });
        }
        let mut routings = Vec::with_capacity(jobs.min(1 << 16));
        let mut last_line = header_line;
        for (line, content) in lines.by_ref() {
            last_line = line;
            let tokens: Vec<&str> = content.split_whitespace().collect();
            if tokens.is_empty() {
                continue;
            }
            let job = routings.len();
            if tokens.len() != 2 * machines {
                return Err(ParseError::WrongCount {
                    line,
                    job,
                    found: tokens.len(),
                    expected: 2 * machines,
                    machines,
                });
            }
            let mut routing = Vec::with_capacity(machines);
            for pair in tokens.chunks_exact(2) {
                let machine: usize = pair[0].parse().map_err(|_| ParseError::InvalidNumber {
                    line,
                    token: pair[0].to_owned(),
                    what: "machine index",
                })?;
                if machine >= machines {
                    return Err(ParseError::MachineOutOfRange {
                        line,
                        machine,
                        machines,
                    });
                }
                // Durations are capped at u32 so that sums over any realistic instance cannot overflow u64.
                let duration: u32 = pair[1].parse().map_err(|_| ParseError::InvalidNumber {
                    line,
                    token: pair[1].to_owned(),
                    what: "duration",
                })?;
                routing.push((machine, u64::from(duration)));
            }
            routings.push(routing);
            if routings.len() == jobs {
                break;
            }
        }
        if routings.len() < jobs {
            return Err(ParseError::MissingJobs {
                line: last_line,
                found: routings.len(),
                expected: jobs,
            });
        }
        if let Some((line, _)) = lines.find(|(_, l)| !l.trim().is_empty()) {
            return Err(ParseError::TrailingData { line });
        }
        Self::new(name, machines, &routings)
    }

    pub fn jobs(&self) -> usize {
        self.job_start.len() - 1
    }

    pub fn machines(&self) -> usize {
        self.machines
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn ops(&self) -> &[Operation] {
        &self.ops
    }

    pub fn op(&self, id: OpId) -> &Operation {
        &self.ops[id]
    }

    /// Operation ids of job `job`, in routing order.
    pub fn job_ops(&self, job: usize) -> std::ops::Range<OpId> {
        self.job_start[job]..self.job_start[job + 1]
    }

    /// The job predecessor of `id`, if it is not the first operation of its job.
    pub fn job_pred(&self, id: OpId) -> Option<OpId> {
        (self.ops[id].index > 0).then(|| id - 1)
    }

    /// The job successor of `id`, if it is not the last operation of its job.
    pub fn job_succ(&self, id: OpId) -> Option<OpId> {
        (id + 1 < self.job_start[self.ops[id].job + 1]).then_some(id + 1)
    }

    /// Trivial lower bound on the makespan: the longest job and the most loaded machine.
    pub fn lower_bound(&self) -> u64 {
        let mut load = vec![0u64; self.machines];
        for op in &self.ops {
            load[op.machine] += op.duration;
        }
        let longest_job = (0..self.jobs())
            .map(|j| self.job_ops(j).map(|o| self.ops[o].duration).sum::<u64>())
            .max()
            .unwrap_or(0);
        load.into_iter().max().unwrap_or(0).max(longest_job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FT06: &str = include_str!("../../tests/data/ft06.txt");

    #[test]
    fn parses_ft06_with_banner_and_blank_lines() {
        let inst = Instance::parse("ft06", FT06).expect("ft06 parses");
        assert_eq!((inst.jobs(), inst.machines(), inst.len()), (6, 6, 36));
        assert_eq!(
            inst.op(0),
            &Operation {
                job: 0,
                index: 0,
                machine: 2,
                duration: 1
            }
        );
        assert_eq!(
            inst.op(35),
            &Operation {
                job: 5,
                index: 5,
                machine: 2,
                duration: 1
            }
        );
        assert_eq!(inst.job_pred(6), None);
        assert_eq!(inst.job_succ(5), None);
        assert_eq!(inst.job_succ(6), Some(7));
    }

    #[test]
    fn parses_bare_format() {
        let inst = Instance::parse("t", "2 2\n0 3 1 2\n1 4 0 1").expect("parses");
        assert_eq!(inst.len(), 4);
        // Jobs take 5 and 5, machine 1 is loaded for 2 + 4.
        assert_eq!(inst.lower_bound(), 6);
    }

    fn err(text: &str) -> ParseError {
        Instance::parse("t", text).expect_err("must fail")
    }

    #[test]
    fn errors_carry_line_numbers() {
        assert_eq!(err("header\n\nfoo bar\n"), ParseError::MissingHeader);
        assert_eq!(
            err("junk\n0 3\n"),
            ParseError::EmptyInstance {
                line: 2,
                jobs: 0,
                machines: 3
            }
        );
        assert_eq!(
            err("2 2\n0 3 1 2\n1 x 0 1\n"),
            ParseError::InvalidNumber {
                line: 3,
                token: "x".into(),
                what: "duration"
            }
        );
        assert_eq!(
            err("2 2\n0 3 1 2\n\n-1 4 0 1\n"),
            ParseError::InvalidNumber {
                line: 4,
                token: "-1".into(),
                what: "machine index"
            }
        );
        assert_eq!(
            err("2 2\n0 3 1 2 5\n"),
            ParseError::WrongCount {
                line: 2,
                job: 0,
                found: 5,
                expected: 4,
                machines: 2
            }
        );
        assert_eq!(
            err("2 2\n0 3 2 2\n"),
            ParseError::MachineOutOfRange {
                line: 2,
                machine: 2,
                machines: 2
            }
        );
        assert_eq!(
            err("2 2\n0 3 1 2\n \n"),
            ParseError::MissingJobs {
                line: 3,
                found: 1,
                expected: 2
            }
        );
        assert_eq!(
            err("1 1\n0 3\n\n0 1\n"),
            ParseError::TrailingData { line: 4 }
        );
        assert_eq!(
            err("1 1\n0 99999999999\n"),
            ParseError::InvalidNumber {
                line: 2,
                token: "99999999999".into(),
                what: "duration"
            }
        );
        assert!(
            err("2 2\n0 3 1 2\n1 x 0 1\n")
                .to_string()
                .starts_with("line 3:")
        );
    }
}
