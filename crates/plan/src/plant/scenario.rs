//! What-if scenarios: branch from the live plan (a structural-sharing clone, not a deep copy), edit with undo,
//! compare two to four plans side by side, promote one to be the live plan.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::plant::edit::EditablePlan;
use crate::plant::input::{HOUR_MS, Time};
use crate::plant::kpi::Kpis;
use crate::plant::plan::Plan;

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub plan: EditablePlan,
}

/// The live plan and the scenarios branched from it.
#[derive(Debug, Clone)]
pub struct Workspace {
    live: Plan,
    scenarios: BTreeMap<u32, Scenario>,
    next_id: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, specta::Type)]
pub enum ScenarioError {
    #[error("no scenario #{0}")]
    Unknown(u32),
    #[error("compare two to four plans (got {0})")]
    CompareCount(usize),
}

impl Workspace {
    pub fn new(live: Plan) -> Self {
        Self {
            live,
            scenarios: BTreeMap::new(),
            next_id: 1,
        }
    }

    pub fn live(&self) -> &Plan {
        &self.live
    }

    /// A new scenario starting from the live plan.
    pub fn branch(&mut self, name: impl Into<String>) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.scenarios.insert(
            id,
            Scenario {
                name: name.into(),
                plan: EditablePlan::new(self.live.clone()),
            },
        );
        id
    }

    pub fn scenario(&self, id: u32) -> Result<&Scenario, ScenarioError> {
        self.scenarios.get(&id).ok_or(ScenarioError::Unknown(id))
    }

    pub fn scenario_mut(&mut self, id: u32) -> Result<&mut Scenario, ScenarioError> {
        self.scenarios
            .get_mut(&id)
            .ok_or(ScenarioError::Unknown(id))
    }

    pub fn scenarios(&self) -> impl Iterator<Item = (u32, &Scenario)> {
        self.scenarios.iter().map(|(&id, s)| (id, s))
    }

    pub fn discard(&mut self, id: u32) -> Result<Scenario, ScenarioError> {
        self.scenarios.remove(&id).ok_or(ScenarioError::Unknown(id))
    }

    /// Makes the scenario's plan the live plan; the scenario itself is consumed.
    pub fn promote(&mut self, id: u32) -> Result<(), ScenarioError> {
        let scenario = self.discard(id)?;
        self.live = scenario.plan.into_plan();
        Ok(())
    }

    /// Compares the live plan (`None`) and scenarios (`Some(id)`), the first being the baseline.
    pub fn compare(&self, which: &[Option<u32>]) -> Result<Comparison, ScenarioError> {
        let mut named = Vec::with_capacity(which.len());
        for w in which {
            match w {
                None => named.push(("live".to_owned(), &self.live)),
                Some(id) => {
                    let s = self.scenario(*id)?;
                    named.push((s.name.clone(), s.plan.plan()));
                }
            }
        }
        compare(&named)
    }
}

/// One key figure across the compared plans.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct KpiRow {
    pub name: String,
    pub unit: String,
    /// Whether a smaller value is better (tardiness) or a larger one (on-time orders).
    pub lower_is_better: bool,
    pub values: Vec<f64>,
    /// Value minus the baseline's (the first plan), per plan.
    pub deltas: Vec<f64>,
}

/// An order whose completion or on-time status differs from the baseline in at least one plan.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct OrderChange {
    pub order: String,
    pub due: Time,
    pub completions: Vec<Time>,
    pub on_time: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Comparison {
    pub plans: Vec<String>,
    pub rows: Vec<KpiRow>,
    pub changed_orders: Vec<OrderChange>,
}

/// Side-by-side comparison of two to four plans of the same problem.
pub fn compare(plans: &[(String, &Plan)]) -> Result<Comparison, ScenarioError> {
    if !(2..=4).contains(&plans.len()) {
        return Err(ScenarioError::CompareCount(plans.len()));
    }
    let kpis: Vec<Kpis> = plans.iter().map(|(_, p)| p.kpis()).collect();
    let hours = |ms: i64| ms as f64 / HOUR_MS as f64;
    let mut rows = Vec::new();
    let mut row = |name: &str, unit: &str, lower_is_better: bool, f: &dyn Fn(&Kpis) -> f64| {
        let values: Vec<f64> = kpis.iter().map(f).collect();
        let deltas = values.iter().map(|v| v - values[0]).collect();
        rows.push(KpiRow {
            name: name.to_owned(),
            unit: unit.to_owned(),
            lower_is_better,
            values,
            deltas,
        });
    };
    row("Weighted tardiness", "h", true, &|k| k.weighted_tardiness_h);
    row("Late orders", "", true, &|k| f64::from(k.late_orders));
    row("On-time orders", "", false, &|k| {
        f64::from(k.on_time_orders)
    });
    row("Makespan", "h", true, &|k| hours(k.makespan_ms));
    row("Changeover time", "h", true, &|k| {
        hours(k.total_changeover_ms)
    });
    row("Mean utilisation", "%", false, &|k| {
        let used: Vec<f64> = k
            .work_centers
            .iter()
            .filter(|w| w.available_ms > 0)
            .map(|w| w.utilisation * 100.0)
            .collect();
        if used.is_empty() {
            0.0
        } else {
            used.iter().sum::<f64>() / used.len() as f64
        }
    });
    row("Pushed by maintenance", "ops", true, &|k| {
        k.pushed_by_maintenance.len() as f64
    });
    let base = &kpis[0];
    let mut changed_orders = Vec::new();
    for (i, order) in base.orders.iter().enumerate() {
        let completions: Vec<Time> = kpis.iter().map(|k| k.orders[i].completion).collect();
        let on_time: Vec<bool> = kpis.iter().map(|k| k.orders[i].on_time).collect();
        if completions.iter().any(|&c| c != completions[0])
            || on_time.iter().any(|&o| o != on_time[0])
        {
            changed_orders.push(OrderChange {
                order: order.order.clone(),
                due: order.due,
                completions,
                on_time,
            });
        }
    }
    Ok(Comparison {
        plans: plans.iter().map(|(n, _)| n.clone()).collect(),
        rows,
        changed_orders,
    })
}
