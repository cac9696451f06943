//! [`Problem`]: the immutable part of a plan, compiled once from [`PlanInput`] into dense indices and shared
//! (behind an `Arc`) by every scenario branched from it. Validation happens here, so the engine can index
//! without checks afterwards; every rejection names the offending id.

use std::collections::HashMap;

use crate::plant::error::InputError;
use crate::plant::input::{Interval, Millis, PlanInput, Time};

/// Dense index of an operation, work center, order or product.
pub type Idx = u32;

#[derive(Debug, Clone, PartialEq)]
pub struct WorkCenterDef {
    pub id: String,
    pub name: String,
    pub calendar: Idx,
    pub default_changeover: Millis,
    pub initial_product: Option<Idx>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderDef {
    pub id: String,
    pub product: Idx,
    pub quantity: f64,
    pub release: Time,
    pub due: Time,
    pub weight: f64,
    /// Operations of this order, in input order.
    pub operations: Vec<Idx>,
}

/// One eligible work center of an operation and the processing time there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alternative {
    pub work_center: Idx,
    pub duration: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperationDef {
    pub id: String,
    pub order: Idx,
    pub product: Idx,
    pub predecessors: Vec<Idx>,
    pub successors: Vec<Idx>,
    pub alternatives: Vec<Alternative>,
    pub may_pause: bool,
    pub in_progress: Option<Running>,
}

/// An operation already running: it stays on its work center, first in the sequence, started in the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    pub work_center: Idx,
    pub started: Time,
    /// Processing time still needed for the remaining quantity.
    pub remaining: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub now: Time,
    pub calendars: Vec<Vec<Interval>>,
    pub calendar_ids: Vec<String>,
    pub work_centers: Vec<WorkCenterDef>,
    pub products: Vec<String>,
    pub orders: Vec<OrderDef>,
    pub operations: Vec<OperationDef>,
    /// Per work center: dense `from × to` changeover matrix, or `None` when only the default applies.
    changeovers: Vec<Option<Vec<Millis>>>,
    pub(crate) op_index: HashMap<String, Idx>,
    pub(crate) wc_index: HashMap<String, Idx>,
    pub(crate) order_index: HashMap<String, Idx>,
    pub(crate) product_index: HashMap<String, Idx>,
}

/// Upper bound on ids of each kind, so indices always fit in `u32` with room to spare.
pub const MAX_ENTITIES: usize = 10_000_000;

impl Problem {
    /// Validates and compiles the static part of `input` (calendars, work centers, products, changeovers,
    /// orders, operations). The dynamic part (assignment, sequences, pins, shifts, downtimes) is read by
    /// [`crate::plant::Plan::new`].
    pub fn compile(input: &PlanInput) -> Result<Self, InputError> {
        let calendar_ids: Vec<String> = input.calendars.iter().map(|c| c.id.clone()).collect();
        let calendar_index = index_of("calendar", &calendar_ids)?;
        let mut calendars = Vec::with_capacity(input.calendars.len());
        for c in &input.calendars {
            for iv in &c.working {
                if iv.end < iv.start {
                    return Err(InputError::InvalidInterval {
                        what: format!("calendar {}", c.id),
                        start: iv.start,
                        end: iv.end,
                    });
                }
            }
            calendars.push(normalize(c.working.clone()));
        }

        let products: Vec<String> = input.products.iter().map(|p| p.id.clone()).collect();
        let product_index = index_of("product", &products)?;
        let wc_ids: Vec<String> = input.work_centers.iter().map(|w| w.id.clone()).collect();
        let wc_index = index_of("work center", &wc_ids)?;
        let lookup = |map: &HashMap<String, Idx>, kind: &'static str, id: &str, by: &str| {
            map.get(id)
                .copied()
                .ok_or_else(|| InputError::UnknownReference {
                    kind,
                    id: id.to_owned(),
                    referenced_by: by.to_owned(),
                })
        };

        let mut work_centers = Vec::with_capacity(input.work_centers.len());
        for w in &input.work_centers {
            let by = format!("work center {}", w.id);
            non_negative(w.default_changeover_ms, &by, "default_changeover_ms")?;
            work_centers.push(WorkCenterDef {
                id: w.id.clone(),
                name: w.name.clone(),
                calendar: lookup(&calendar_index, "calendar", &w.calendar, &by)?,
                default_changeover: w.default_changeover_ms,
                initial_product: match &w.initial_product {
                    Some(p) => Some(lookup(&product_index, "product", p, &by)?),
                    None => None,
                },
            });
        }

        let n_products = products.len();
        let mut changeovers: Vec<Option<Vec<Millis>>> = vec![None; work_centers.len()];
        for c in &input.changeovers {
            let by = format!(
                "changeover {} {} -> {}",
                c.work_center, c.from_product, c.to_product
            );
            non_negative(c.duration_ms, &by, "duration_ms")?;
            let wc = lookup(&wc_index, "work center", &c.work_center, &by)? as usize;
            let from = lookup(&product_index, "product", &c.from_product, &by)? as usize;
            let to = lookup(&product_index, "product", &c.to_product, &by)? as usize;
            let default = work_centers[wc].default_changeover;
            let matrix = changeovers[wc].get_or_insert_with(|| {
                let mut m = vec![default; n_products * n_products];
                for p in 0..n_products {
                    m[p * n_products + p] = 0;
                }
                m
            });
            matrix[from * n_products + to] = c.duration_ms;
        }

        let order_ids: Vec<String> = input.orders.iter().map(|o| o.id.clone()).collect();
        let order_index = index_of("order", &order_ids)?;
        let mut orders = Vec::with_capacity(input.orders.len());
        for o in &input.orders {
            let by = format!("order {}", o.id);
            if !(o.quantity.is_finite() && o.quantity > 0.0) {
                return Err(InputError::InvalidNumber {
                    what: by,
                    field: "quantity",
                    value: o.quantity,
                });
            }
            if !(o.weight.is_finite() && o.weight >= 0.0) {
                return Err(InputError::InvalidNumber {
                    what: by,
                    field: "weight",
                    value: o.weight,
                });
            }
            orders.push(OrderDef {
                id: o.id.clone(),
                product: lookup(&product_index, "product", &o.product, &by)?,
                quantity: o.quantity,
                release: o.release,
                due: o.due,
                weight: o.weight,
                operations: Vec::new(),
            });
        }

        let op_ids: Vec<String> = input.operations.iter().map(|o| o.id.clone()).collect();
        let op_index = index_of("operation", &op_ids)?;
        let mut operations = Vec::with_capacity(input.operations.len());
        for (i, op) in input.operations.iter().enumerate() {
            let by = format!("operation {}", op.id);
            let order = lookup(&order_index, "order", &op.order, &by)?;
            let quantity = orders[order as usize].quantity;
            if op.alternatives.is_empty() {
                return Err(InputError::NoAlternatives {
                    operation: op.id.clone(),
                });
            }
            let mut alternatives = Vec::with_capacity(op.alternatives.len());
            for alt in &op.alternatives {
                let wc = lookup(&wc_index, "work center", &alt.work_center, &by)?;
                if alternatives
                    .iter()
                    .any(|a: &Alternative| a.work_center == wc)
                {
                    return Err(InputError::Duplicate {
                        kind: "alternative work center",
                        id: format!("{} in {}", alt.work_center, by),
                    });
                }
                alternatives.push(Alternative {
                    work_center: wc,
                    duration: alt_duration(alt, quantity, &by)?,
                });
            }
            let mut predecessors = Vec::with_capacity(op.predecessors.len());
            for p in &op.predecessors {
                let pred = lookup(&op_index, "operation", p, &by)?;
                if input.operations[pred as usize].order != op.order {
                    return Err(InputError::CrossOrderPrecedence {
                        operation: op.id.clone(),
                        predecessor: p.clone(),
                    });
                }
                if !predecessors.contains(&pred) {
                    predecessors.push(pred);
                }
            }
            let in_progress = match &op.in_progress {
                None => None,
                Some(running) => {
                    let wc_id = op
                        .assigned
                        .as_deref()
                        .unwrap_or(&op.alternatives[0].work_center);
                    let wc = lookup(&wc_index, "work center", wc_id, &by)?;
                    let alt = op
                        .alternatives
                        .iter()
                        .find(|a| a.work_center == wc_id)
                        .ok_or_else(|| InputError::Ineligible {
                            operation: op.id.clone(),
                            work_center: wc_id.to_owned(),
                        })?;
                    if !(running.remaining_quantity.is_finite()
                        && running.remaining_quantity >= 0.0)
                    {
                        return Err(InputError::InvalidNumber {
                            what: by,
                            field: "remaining_quantity",
                            value: running.remaining_quantity,
                        });
                    }
                    if op.pinned_start.is_some() {
                        return Err(InputError::PinnedAndRunning {
                            operation: op.id.clone(),
                        });
                    }
                    // Set-up is behind a running operation: only the remaining quantity's processing is left.
                    let full = alt_duration(alt, quantity, &by)? - alt.setup_ms;
                    let share = (running.remaining_quantity / quantity).min(1.0);
                    Some(Running {
                        work_center: wc,
                        started: running.started,
                        remaining: (full as f64 * share).ceil() as Millis,
                    })
                }
            };
            orders[order as usize].operations.push(i as Idx);
            operations.push(OperationDef {
                id: op.id.clone(),
                order,
                product: orders[order as usize].product,
                predecessors,
                successors: Vec::new(),
                alternatives,
                may_pause: op.may_pause,
                in_progress,
            });
        }
        for i in 0..operations.len() {
            for p in operations[i].predecessors.clone() {
                operations[p as usize].successors.push(i as Idx);
            }
        }
        let problem = Self {
            now: input.now,
            calendars,
            calendar_ids,
            work_centers,
            products,
            orders,
            operations,
            changeovers,
            op_index,
            wc_index,
            order_index,
            product_index,
        };
        problem.check_routings_acyclic()?;
        Ok(problem)
    }

    /// Changeover on `wc` from the product made before (if any) to `to`.
    #[inline]
    pub fn changeover(&self, wc: Idx, from: Option<Idx>, to: Idx) -> Millis {
        let Some(from) = from else { return 0 };
        if from == to {
            return 0;
        }
        match &self.changeovers[wc as usize] {
            Some(m) => m[from as usize * self.products.len() + to as usize],
            None => self.work_centers[wc as usize].default_changeover,
        }
    }

    /// Processing time of `op` on `wc`, or `None` when `wc` is not eligible.
    #[inline]
    pub fn duration(&self, op: Idx, wc: Idx) -> Option<Millis> {
        self.operations[op as usize]
            .alternatives
            .iter()
            .find(|a| a.work_center == wc)
            .map(|a| a.duration)
    }

    pub fn operation_index(&self, id: &str) -> Option<Idx> {
        self.op_index.get(id).copied()
    }
    pub fn work_center_index(&self, id: &str) -> Option<Idx> {
        self.wc_index.get(id).copied()
    }
    pub fn order_index(&self, id: &str) -> Option<Idx> {
        self.order_index.get(id).copied()
    }

    /// Kahn's algorithm over the routings alone: a cycle there can never be scheduled.
    fn check_routings_acyclic(&self) -> Result<(), InputError> {
        let n = self.operations.len();
        let mut indegree: Vec<usize> = self
            .operations
            .iter()
            .map(|o| o.predecessors.len())
            .collect();
        let mut stack: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut seen = 0;
        while let Some(i) = stack.pop() {
            seen += 1;
            for &s in &self.operations[i].successors {
                indegree[s as usize] -= 1;
                if indegree[s as usize] == 0 {
                    stack.push(s as usize);
                }
            }
        }
        if seen == n {
            return Ok(());
        }
        let mut cycle: Vec<String> = (0..n)
            .filter(|&i| indegree[i] > 0)
            .map(|i| self.operations[i].id.clone())
            .collect();
        cycle.truncate(10);
        Err(InputError::CyclicRouting { operations: cycle })
    }
}

fn index_of(kind: &'static str, ids: &[String]) -> Result<HashMap<String, Idx>, InputError> {
    if ids.len() > MAX_ENTITIES {
        return Err(InputError::TooLarge {
            kind,
            count: ids.len(),
            max: MAX_ENTITIES,
        });
    }
    let mut map = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if map.insert(id.clone(), i as Idx).is_some() {
            return Err(InputError::Duplicate {
                kind,
                id: id.clone(),
            });
        }
    }
    Ok(map)
}

fn non_negative(value: Millis, what: &str, field: &'static str) -> Result<(), InputError> {
    if value < 0 {
        return Err(InputError::InvalidNumber {
            what: what.to_owned(),
            field,
            value: value as f64,
        });
    }
    Ok(())
}

/// Set-up plus processing time of `quantity` units on one alternative (a fixed duration covers the order's
/// whole quantity).
fn alt_duration(
    alt: &crate::plant::input::AlternativeInput,
    quantity: f64,
    by: &str,
) -> Result<Millis, InputError> {
    non_negative(alt.setup_ms, by, "setup_ms")?;
    let processing = match (alt.rate_per_hour, alt.duration_ms) {
        (Some(rate), None) => {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(InputError::InvalidNumber {
                    what: by.to_owned(),
                    field: "rate_per_hour",
                    value: rate,
                });
            }
            let ms = (quantity / rate * 3_600_000.0).ceil();
            if ms > 1e15 {
                return Err(InputError::InvalidNumber {
                    what: by.to_owned(),
                    field: "rate_per_hour",
                    value: rate,
                });
            }
            ms as Millis
        }
        (None, Some(duration)) => {
            non_negative(duration, by, "duration_ms")?;
            duration
        }
        _ => {
            return Err(InputError::RateOrDuration {
                operation: by.to_owned(),
                work_center: alt.work_center.clone(),
            });
        }
    };
    Ok(alt.setup_ms + processing)
}

/// Sorts and merges intervals, dropping empty ones.
pub fn normalize(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.retain(|iv| !iv.is_empty());
    intervals.sort_by_key(|iv| iv.start);
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for iv in intervals {
        match out.last_mut() {
            Some(last) if iv.start <= last.end => last.end = last.end.max(iv.end),
            _ => out.push(iv),
        }
    }
    out
}
