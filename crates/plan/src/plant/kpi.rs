//! Key figures of a plan: per order lateness and on-time flag, total weighted tardiness, makespan, per work
//! center utilisation and changeover time, and the operations pushed by maintenance windows.

use serde::Serialize;

use crate::plant::input::{HOUR_MS, Millis, Time};
use crate::plant::plan::Plan;
use crate::plant::problem::Idx;

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct OrderKpi {
    pub order: String,
    pub completion: Time,
    pub due: Time,
    /// Completion minus due date; negative when early.
    pub lateness_ms: Millis,
    pub on_time: bool,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct WorkCenterKpi {
    pub work_center: String,
    /// Processing time planned from now to the plan's end (changeovers excluded).
    pub busy_ms: Millis,
    pub changeover_ms: Millis,
    pub changeovers: u32,
    /// Working time of the calendar from now to the plan's end.
    pub available_ms: Millis,
    /// (busy + changeover) / available, 0 when nothing is available.
    pub utilisation: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Kpis {
    pub now: Time,
    /// End of the last operation.
    pub plan_end: Time,
    pub makespan_ms: Millis,
    /// Σ weight × hours late.
    pub weighted_tardiness_h: f64,
    pub late_orders: u32,
    pub on_time_orders: u32,
    pub total_changeover_ms: Millis,
    pub pushed_by_maintenance: Vec<String>,
    pub beyond_calendar: u32,
    pub orders: Vec<OrderKpi>,
    pub work_centers: Vec<WorkCenterKpi>,
}

impl Plan {
    /// Σ weight × tardiness in hours — the optimizer's first objective, without building [`Kpis`].
    pub fn weighted_tardiness_h(&self) -> f64 {
        let p = &self.problem;
        (0..p.orders.len() as Idx)
            .map(|o| {
                let late = self.order_completion(o) - p.orders[o as usize].due;
                if late > 0 {
                    p.orders[o as usize].weight * late as f64 / HOUR_MS as f64
                } else {
                    0.0
                }
            })
            .sum()
    }

    /// End of the last operation (or now for an empty plan).
    pub fn plan_end(&self) -> Time {
        self.timing
            .iter()
            .map(|t| t.end)
            .max()
            .unwrap_or(self.problem.now)
            .max(self.problem.now)
    }

    pub fn kpis(&self) -> Kpis {
        let p = &self.problem;
        let now = p.now;
        let plan_end = self.plan_end();
        let orders: Vec<OrderKpi> = (0..p.orders.len() as Idx)
            .map(|o| {
                let def = &p.orders[o as usize];
                let completion = self.order_completion(o);
                OrderKpi {
                    order: def.id.clone(),
                    completion,
                    due: def.due,
                    lateness_ms: completion - def.due,
                    on_time: completion <= def.due,
                    weight: def.weight,
                }
            })
            .collect();
        let weighted_tardiness_h = self.weighted_tardiness_h();
        let work_centers: Vec<WorkCenterKpi> = (0..p.work_centers.len() as Idx)
            .map(|w| {
                let mut busy = 0;
                let mut changeover = 0;
                let mut changeovers = 0;
                for &op in self.sequence(w) {
                    let t = self.timing(op);
                    busy += match p.operations[op as usize].in_progress {
                        Some(running) => running.remaining,
                        None => p.duration(op, w).unwrap_or(0),
                    };
                    changeover += t.changeover;
                    changeovers += u32::from(t.changeover > 0);
                }
                let available_ms = self.availability(w).working_between(now, plan_end);
                WorkCenterKpi {
                    work_center: p.work_centers[w as usize].id.clone(),
                    busy_ms: busy,
                    changeover_ms: changeover,
                    changeovers,
                    available_ms,
                    utilisation: if available_ms > 0 {
                        (busy + changeover) as f64 / available_ms as f64
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        let mut pushed = Vec::new();
        let mut beyond = 0;
        for (i, t) in self.timing.iter().enumerate() {
            if t.pushed_by_maintenance() {
                pushed.push(p.operations[i].id.clone());
            }
            beyond += u32::from(t.beyond_calendar());
        }
        Kpis {
            now,
            plan_end,
            makespan_ms: plan_end - now,
            weighted_tardiness_h,
            late_orders: orders.iter().filter(|o| !o.on_time).count() as u32,
            on_time_orders: orders.iter().filter(|o| o.on_time).count() as u32,
            total_changeover_ms: work_centers.iter().map(|w| w.changeover_ms).sum(),
            pushed_by_maintenance: pushed,
            beyond_calendar: beyond,
            orders,
            work_centers,
        }
    }
}
