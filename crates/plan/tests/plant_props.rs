//! Property tests of the plant engine on random generated plants and random edit sequences:
//! propagation never violates routings, work-center capacity, calendars, downtimes, releases or pins
//! (checked by an independent checker below, which shares no code with the engine); incremental propagation
//! equals a full recompute; refused edits change nothing; undo restores exactly and redo replays exactly.

use proptest::prelude::*;
use takt_plan::plant::generate::{GeneratorConfig, generate};
use takt_plan::plant::input::{HOUR_MS, Interval, PlanInput};
use takt_plan::plant::{Edit, EditablePlan, MoveTarget, Plan};

/// Working intervals of a work center, computed from the input alone: shifts and extra shifts, merged,
/// minus every downtime.
fn working_time(input: &PlanInput, wc: &str) -> Vec<Interval> {
    let def = input
        .work_centers
        .iter()
        .find(|w| w.id == wc)
        .expect("work center");
    let calendar = input
        .calendars
        .iter()
        .find(|c| c.id == def.calendar)
        .expect("calendar");
    let mut base: Vec<Interval> = calendar.working.clone();
    base.extend(
        input
            .extra_shifts
            .iter()
            .filter(|s| s.work_center == wc)
            .map(|s| s.interval),
    );
    base.sort_by_key(|i| i.start);
    let mut merged: Vec<Interval> = Vec::new();
    for iv in base.into_iter().filter(|i| i.end > i.start) {
        match merged.last_mut() {
            Some(last) if iv.start <= last.end => last.end = last.end.max(iv.end),
            _ => merged.push(iv),
        }
    }
    let mut result = merged;
    for d in input.downtimes.iter().filter(|d| d.work_center == wc) {
        let mut next = Vec::new();
        for iv in result {
            if iv.end <= d.interval.start || iv.start >= d.interval.end {
                next.push(iv);
                continue;
            }
            if iv.start < d.interval.start {
                next.push(Interval::new(iv.start, d.interval.start));
            }
            if d.interval.end < iv.end {
                next.push(Interval::new(d.interval.end, iv.end));
            }
        }
        result = next;
    }
    result
}

fn worked(intervals: &[Interval], from: i64, to: i64) -> i64 {
    intervals
        .iter()
        .map(|iv| (iv.end.min(to) - iv.start.max(from)).max(0))
        .sum()
}

/// Independent feasibility check of a propagated plan against its input.
fn check(plan: &Plan, original: &PlanInput) -> Result<(), String> {
    let input = plan.to_input(original);
    let p = plan.problem();
    let rows = plan.schedule();
    let by_id: std::collections::HashMap<&str, &takt_plan::plant::ScheduledOperation> =
        rows.iter().map(|r| (r.operation.as_str(), r)).collect();
    let calendars: std::collections::HashMap<&str, Vec<Interval>> = input
        .work_centers
        .iter()
        .map(|w| (w.id.as_str(), working_time(&input, &w.id)))
        .collect();
    for (i, op) in input.operations.iter().enumerate() {
        let row = by_id[op.id.as_str()];
        let order = input
            .orders
            .iter()
            .find(|o| o.id == op.order)
            .expect("order");
        for pred in &op.predecessors {
            if row.start < by_id[pred.as_str()].end {
                return Err(format!(
                    "{} starts before its predecessor {pred} ends",
                    op.id
                ));
            }
        }
        if let Some(pin) = op.pinned_start
            && row.start != pin
        {
            return Err(format!(
                "{} pinned at {pin} but starts at {}",
                op.id, row.start
            ));
        }
        if let Some(running) = &op.in_progress {
            if row.start > running.started
                || row.work_center != *op.assigned.as_ref().expect("assigned")
            {
                return Err(format!("running {} moved", op.id));
            }
            continue;
        }
        if row.start < input.now.max(order.release) {
            return Err(format!("{} starts before now / its release", op.id));
        }
        if row.beyond_calendar {
            continue;
        }
        let alt = op
            .alternatives
            .iter()
            .find(|a| a.work_center == row.work_center)
            .ok_or("ineligible")?;
        let duration = p
            .duration(i as u32, p.work_center_index(&alt.work_center).expect("wc"))
            .expect("eligible");
        let work = duration + row.changeover_ms;
        let cal = &calendars[row.work_center.as_str()];
        let got = worked(cal, row.start, row.end);
        if got != work {
            return Err(format!(
                "{} works {got} ms in [{}, {}) but needs {work}",
                op.id, row.start, row.end
            ));
        }
        if work > 0
            && !cal
                .iter()
                .any(|iv| iv.start <= row.start && row.start < iv.end)
        {
            return Err(format!("{} starts outside working time", op.id));
        }
        if !op.may_pause
            && work > 0
            && !cal
                .iter()
                .any(|iv| iv.start <= row.start && row.end <= iv.end)
        {
            return Err(format!("{} may not pause but spans a gap", op.id));
        }
    }
    // Capacity: no two operations overlap on a work center.
    let mut per_wc: std::collections::HashMap<&str, Vec<(i64, i64, &str)>> = Default::default();
    for r in &rows {
        per_wc.entry(r.work_center.as_str()).or_default().push((
            r.start,
            r.end,
            r.operation.as_str(),
        ));
    }
    for (wc, mut ops) in per_wc {
        ops.sort();
        for pair in ops.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(format!("{} and {} overlap on {wc}", pair[0].2, pair[1].2));
            }
        }
    }
    Ok(())
}

/// Every routing and sequence edge goes forward in the plan's topological order.
fn check_order(plan: &Plan) -> Result<(), String> {
    let order = plan.topological_order();
    let mut pos = vec![0usize; order.len()];
    for (k, &op) in order.iter().enumerate() {
        pos[op as usize] = k;
    }
    for (op, def) in plan.problem().operations.iter().enumerate() {
        let before = def
            .predecessors
            .iter()
            .copied()
            .chain(plan.machine_predecessor(op as u32));
        for p in before {
            if pos[p as usize] >= pos[op] {
                return Err(format!("{} is ranked before its predecessor", def.id));
            }
        }
    }
    Ok(())
}

/// Decodes a random "gene" into an edit against the current plan (valid or not).
fn edit_from(plan: &Plan, kind: u8, a: u32, b: u32) -> Edit {
    let p = plan.problem();
    let op = a as usize % p.operations.len();
    let def = &p.operations[op];
    let t = plan.timing(op as u32);
    let alt = def.alternatives[b as usize % def.alternatives.len()].work_center;
    let alt_id = p.work_centers[alt as usize].id.clone();
    let wc_id = p.work_centers[b as usize % p.work_centers.len()].id.clone();
    match kind % 13 {
        0 | 1 => Edit::MoveOperation {
            operation: def.id.clone(),
            work_center: alt_id,
            to: MoveTarget::Position {
                index: b % (plan.sequence(alt).len() as u32 + 2),
            },
        },
        2 => Edit::MoveOperation {
            operation: def.id.clone(),
            work_center: alt_id,
            to: MoveTarget::Time {
                start: t.start + (b as i64 % 48 - 24) * HOUR_MS,
            },
        },
        3 => Edit::Reroute {
            operation: def.id.clone(),
            work_center: alt_id,
        },
        4 => Edit::InsertBreakdown {
            work_center: wc_id,
            start: t.start,
            duration_ms: (1 + b as i64 % 12) * HOUR_MS,
        },
        5 => Edit::BookMaintenance {
            work_center: wc_id,
            interval: Interval::new(t.end, t.end + (1 + b as i64 % 8) * HOUR_MS),
            note: String::new(),
        },
        6 => Edit::DelayOrder {
            order: p.orders[def.order as usize].id.clone(),
            by_ms: (b as i64 % 72) * HOUR_MS,
        },
        7 => Edit::AddExtraShift {
            work_center: wc_id,
            interval: Interval::new(t.start, t.start + 8 * HOUR_MS),
        },
        8 => Edit::Pin {
            operation: def.id.clone(),
        },
        9 => Edit::Unpin {
            operation: def.id.clone(),
        },
        10 => Edit::RemoveDowntime { id: b % 20 },
        11 => Edit::MoveDowntime {
            id: b % 20,
            start: t.start,
        },
        _ => Edit::RemoveExtraShift { id: b % 40 },
    }
}

fn small_plant(ops: usize, seed: u64, pinned: f64) -> PlanInput {
    generate(&GeneratorConfig {
        pinned_share: pinned,
        ..GeneratorConfig::new(ops, seed)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn propagation_is_feasible_and_incremental_equals_full(
        ops in 20usize..160,
        seed in 0u64..1000,
        pinned in prop_oneof![Just(0.0), Just(0.05)],
        genes in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..16),
    ) {
        let input = small_plant(ops, seed, pinned);
        let plan = Plan::from_input(&input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(plan.kpis().beyond_calendar, 0);
        check(&plan, &input).map_err(TestCaseError::fail)?;
        let mut editable = EditablePlan::new(plan.clone());
        let mut states = vec![plan.clone()];
        for (kind, a, b) in genes {
            let edit = edit_from(editable.plan(), kind, a, b);
            let before = editable.plan().clone();
            match editable.apply(edit.clone()) {
                Err(_) => prop_assert!(editable.plan() == &before, "a refused edit changed the plan: {:?}", edit),
                Ok(_) => {
                    let mut full = editable.plan().clone();
                    full.propagate_all();
                    prop_assert!(&full == editable.plan(), "incremental differs from full after {:?}", edit);
                    check_order(editable.plan()).map_err(|e| TestCaseError::fail(format!("after {edit:?}: {e}")))?;
                    check(editable.plan(), &input).map_err(|e| TestCaseError::fail(format!("after {edit:?}: {e}")))?;
                    states.push(editable.plan().clone());
                }
            }
        }
        // The edited plan saved and loaded again is the same schedule.
        let saved = editable.plan().to_input(&input);
        let reloaded = Plan::from_input(&saved).map_err(|e| TestCaseError::fail(format!("reload: {e}")))?;
        prop_assert_eq!(reloaded.schedule(), editable.plan().schedule());
        // Undo walks back through every accepted state exactly; redo walks forward again.
        for expected in states.iter().rev().skip(1) {
            editable.undo().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(editable.plan() == expected);
        }
        prop_assert!(editable.undo().is_err());
        for expected in states.iter().skip(1) {
            editable.redo().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(editable.plan() == expected);
        }
    }

    #[test]
    fn saved_plans_load_back_identically(ops in 20usize..120, seed in 0u64..1000) {
        let input = small_plant(ops, seed, 0.03);
        let plan = Plan::from_input(&input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let saved = plan.to_input(&input);
        let json = serde_json::to_string(&saved).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reloaded = Plan::from_input(&takt_plan::plant::parse_plan(&json).map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(reloaded.schedule(), plan.schedule());
    }
}
