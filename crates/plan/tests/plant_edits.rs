//! The plant engine on a small hand-made plant whose schedule is worked out by hand in the comments:
//! propagation, KPIs, each kind of edit and each typed refusal, scenarios (branch, compare, promote) and bad
//! input files.

use takt_plan::plant::input::HOUR_MS as H;
use takt_plan::plant::{
    Edit, EditError, InputError, MoveTarget, Plan, PlanInput, Workspace, parse_plan,
};

/// M1, M2 work 0–8 h each day, M3 around the clock. Products A, B; on M1 A→B takes 1 h, other pairs the
/// default 30 min. O4/10 is running on M2 (started at −1 h, 2 h of work left).
fn plant_json() -> String {
    let h = |x: i64| x * H;
    let days: Vec<String> = (0..10)
        .map(|d| format!("{{\"start\":{},\"end\":{}}}", h(24 * d), h(24 * d + 8)))
        .collect();
    format!(
        r#"{{
  "now": 0,
  "calendars": [
    {{"id": "day", "working": [{days}]}},
    {{"id": "all", "working": [{{"start": 0, "end": {all}}}]}}
  ],
  "work_centers": [
    {{"id": "M1", "calendar": "day", "default_changeover_ms": {half}}},
    {{"id": "M2", "calendar": "day"}},
    {{"id": "M3", "calendar": "all"}}
  ],
  "products": [{{"id": "A"}}, {{"id": "B"}}],
  "changeovers": [{{"work_center": "M1", "from_product": "A", "to_product": "B", "duration_ms": {one}}}],
  "orders": [
    {{"id": "O1", "product": "A", "quantity": 100, "release": 0, "due": {o1due}, "weight": 2}},
    {{"id": "O2", "product": "B", "quantity": 100, "release": 0, "due": {o2due}}},
    {{"id": "O3", "product": "A", "quantity": 50, "release": 0, "due": {o3due}}},
    {{"id": "O4", "product": "A", "quantity": 100, "release": 0, "due": {o4due}}}
  ],
  "operations": [
    {{"id": "O1/10", "order": "O1", "alternatives": [
        {{"work_center": "M1", "rate_per_hour": 50}}, {{"work_center": "M2", "rate_per_hour": 25}}]}},
    {{"id": "O1/20", "order": "O1", "predecessors": ["O1/10"], "alternatives": [{{"work_center": "M3", "duration_ms": {three}}}]}},
    {{"id": "O2/10", "order": "O2", "alternatives": [{{"work_center": "M1", "rate_per_hour": 100}}]}},
    {{"id": "O2/20", "order": "O2", "predecessors": ["O2/10"], "may_pause": false,
      "alternatives": [{{"work_center": "M3", "duration_ms": {one}}}]}},
    {{"id": "O3/10", "order": "O3", "alternatives": [{{"work_center": "M2", "duration_ms": {one}}}]}},
    {{"id": "O3/20", "order": "O3", "predecessors": ["O3/10"], "assigned": "M2", "alternatives": [
        {{"work_center": "M2", "duration_ms": {one}}}, {{"work_center": "M3", "duration_ms": {two}}}]}},
    {{"id": "O4/10", "order": "O4", "assigned": "M2", "in_progress": {{"started": {minus_one}, "remaining_quantity": 50}},
      "alternatives": [{{"work_center": "M2", "rate_per_hour": 25}}]}}
  ]
}}"#,
        days = days.join(","),
        all = h(240),
        half = H / 2,
        one = h(1),
        two = h(2),
        three = h(3),
        minus_one = -h(1),
        o1due = h(10),
        o2due = h(30),
        o3due = h(50),
        o4due = h(5),
    )
}

fn input() -> PlanInput {
    parse_plan(&plant_json()).expect("valid plan")
}

fn plan() -> Plan {
    Plan::from_input(&input()).expect("loads")
}

/// (start, end) in hours.
fn at(plan: &Plan, op: &str) -> (f64, f64) {
    let i = plan.problem().operation_index(op).expect("op");
    let t = plan.timing(i);
    (t.start as f64 / H as f64, t.end as f64 / H as f64)
}

fn wc(plan: &Plan, op: &str) -> String {
    let i = plan.problem().operation_index(op).expect("op");
    plan.problem().work_centers[plan.work_center_of(i) as usize]
        .id
        .clone()
}

#[test]
fn propagates_by_hand() {
    let p = plan();
    // Dispatch puts O1/10 on M1 (ends at 2 h there, 4 h+ on M2 behind the running O4/10).
    assert_eq!(wc(&p, "O1/10"), "M1");
    assert_eq!(at(&p, "O1/10"), (0.0, 2.0));
    // A→B changeover of 1 h on M1 before O2/10's hour.
    assert_eq!(at(&p, "O2/10"), (2.0, 4.0));
    assert_eq!(at(&p, "O1/20"), (2.0, 5.0));
    assert_eq!(at(&p, "O2/20"), (5.0, 6.0));
    // Running: started at −1 h, 50 of 100 left at 25/h = 2 h from now.
    assert_eq!(at(&p, "O4/10"), (-1.0, 2.0));
    assert_eq!(at(&p, "O3/10"), (2.0, 3.0));
    assert_eq!(at(&p, "O3/20"), (3.0, 4.0));
    let k = p.kpis();
    assert_eq!(k.late_orders, 0);
    assert_eq!(k.weighted_tardiness_h, 0.0);
    assert_eq!(k.makespan_ms, 6 * H);
    assert_eq!(k.total_changeover_ms, H);
    let m1 = &k.work_centers[0];
    assert_eq!(
        (m1.busy_ms, m1.changeover_ms, m1.available_ms),
        (3 * H, H, 6 * H)
    );
    assert!((m1.utilisation - 4.0 / 6.0).abs() < 1e-9);
}

#[test]
fn breakdown_pauses_work_and_makes_an_order_late() {
    let mut p = plan();
    // M1 down 1–9 h: O1/10 works 0–1 h, the rest of its 2 h on the next day from 24 h.
    p.apply(&Edit::InsertBreakdown {
        work_center: "M1".into(),
        start: H,
        duration_ms: 8 * H,
    })
    .expect("accepted");
    assert_eq!(at(&p, "O1/10"), (0.0, 25.0));
    assert_eq!(at(&p, "O1/20"), (25.0, 28.0));
    assert_eq!(at(&p, "O2/10"), (25.0, 27.0));
    assert_eq!(at(&p, "O2/20"), (28.0, 29.0));
    let k = p.kpis();
    assert_eq!(k.late_orders, 1);
    assert_eq!(k.weighted_tardiness_h, 2.0 * 18.0);
    // A breakdown is not maintenance.
    assert!(k.pushed_by_maintenance.is_empty());
    // An extra evening shift 8–16 h lets O1/10 finish at 10 h, right after the breakdown.
    p.apply(&Edit::AddExtraShift {
        work_center: "M1".into(),
        interval: takt_plan::plant::input::Interval::new(8 * H, 16 * H),
    })
    .expect("accepted");
    assert_eq!(at(&p, "O1/10"), (0.0, 10.0));
    assert_eq!(p.kpis().weighted_tardiness_h, 2.0 * 3.0);
}

#[test]
fn maintenance_pushes_are_reported_and_windows_over_running_work_refused() {
    let mut p = plan();
    p.apply(&Edit::BookMaintenance {
        work_center: "M1".into(),
        interval: takt_plan::plant::input::Interval::new(H, 3 * H),
        note: "PM".into(),
    })
    .expect("accepted");
    assert_eq!(at(&p, "O1/10"), (0.0, 4.0));
    assert!(p.kpis().pushed_by_maintenance.contains(&"O1/10".to_owned()));
    let before = p.clone();
    let err = p
        .apply(&Edit::BookMaintenance {
            work_center: "M2".into(),
            interval: takt_plan::plant::input::Interval::new(H, 3 * H),
            note: String::new(),
        })
        .expect_err("overlaps the running O4/10");
    assert_eq!(
        err,
        EditError::OverlapsRunning {
            operation: "O4/10".into()
        }
    );
    assert!(p == before);
}

#[test]
fn moves_reroutes_and_their_refusals() {
    let mut p = plan();
    // O2/10 first on M1: no changeover into it, then B→A is the default 30 min.
    p.apply(&Edit::MoveOperation {
        operation: "O2/10".into(),
        work_center: "M1".into(),
        to: MoveTarget::Position { index: 0 },
    })
    .expect("accepted");
    assert_eq!(at(&p, "O2/10"), (0.0, 1.0));
    assert_eq!(at(&p, "O1/10"), (1.0, 3.5));
    p.apply(&Edit::Reroute {
        operation: "O1/10".into(),
        work_center: "M2".into(),
    })
    .expect("eligible");
    assert_eq!(wc(&p, "O1/10"), "M2");
    let before = p.clone();
    let refusals = [
        (
            Edit::Reroute {
                operation: "O1/20".into(),
                work_center: "M1".into(),
            },
            EditError::Ineligible {
                operation: "O1/20".into(),
                work_center: "M1".into(),
            },
        ),
        (
            Edit::MoveOperation {
                operation: "O3/20".into(),
                work_center: "M2".into(),
                to: MoveTarget::Position { index: 1 },
            },
            EditError::Precedence {
                operation: "O3/20".into(),
            },
        ),
        (
            Edit::MoveOperation {
                operation: "O3/10".into(),
                work_center: "M2".into(),
                to: MoveTarget::Position { index: 0 },
            },
            EditError::Running {
                operation: "O4/10".into(),
            },
        ),
        (
            Edit::MoveOperation {
                operation: "O4/10".into(),
                work_center: "M2".into(),
                to: MoveTarget::Position { index: 2 },
            },
            EditError::Running {
                operation: "O4/10".into(),
            },
        ),
        (
            Edit::MoveOperation {
                operation: "O3/10".into(),
                work_center: "M2".into(),
                to: MoveTarget::Position { index: 9 },
            },
            EditError::Position {
                work_center: "M2".into(),
                position: 9,
                len: 3,
            },
        ),
        (
            Edit::RemoveDowntime { id: 77 },
            EditError::UnknownId { id: 77 },
        ),
        (
            Edit::Pin {
                operation: "nope".into(),
            },
            EditError::UnknownOperation { id: "nope".into() },
        ),
        (
            Edit::DelayOrder {
                order: "O1".into(),
                by_ms: -1,
            },
            EditError::InvalidRange {
                message: "a delay cannot be negative (-1 ms)".into(),
            },
        ),
    ];
    for (edit, expected) in refusals {
        assert_eq!(p.apply(&edit), Err(expected), "{edit:?}");
        assert!(p == before, "{edit:?} changed the plan");
    }
}

#[test]
fn pins_hold_and_edits_that_would_move_them_are_refused() {
    let mut p = plan();
    p.apply(&Edit::Pin {
        operation: "O1/20".into(),
    })
    .expect("pinned at 2 h");
    assert_eq!(
        p.apply(&Edit::MoveOperation {
            operation: "O1/20".into(),
            work_center: "M3".into(),
            to: MoveTarget::Time { start: 9 * H }
        }),
        Err(EditError::Pinned {
            operation: "O1/20".into()
        })
    );
    let before = p.clone();
    // Delaying O1 by 3 h would start O1/10 at 3 h, ending at 5 h, after O1/20's pinned start.
    let err = p
        .apply(&Edit::DelayOrder {
            order: "O1".into(),
            by_ms: 3 * H,
        })
        .expect_err("pin would move");
    assert_eq!(
        err,
        EditError::PinViolated {
            operation: "O1/20".into(),
            pinned: 2 * H,
            earliest: 5 * H
        }
    );
    assert!(p == before);
    p.apply(&Edit::Unpin {
        operation: "O1/20".into(),
    })
    .expect("unpinned");
    p.apply(&Edit::DelayOrder {
        order: "O1".into(),
        by_ms: 3 * H,
    })
    .expect("now allowed");
    assert_eq!(at(&p, "O1/20"), (5.0, 8.0));
}

#[test]
fn scenarios_branch_cheaply_compare_and_promote() {
    let mut ws = Workspace::new(plan());
    let id = ws.branch("M1 breakdown");
    let (shared, total) = ws
        .scenario(id)
        .expect("exists")
        .plan
        .plan()
        .shared_timing_chunks(ws.live());
    assert_eq!(
        shared, total,
        "a branch shares all storage with the live plan"
    );
    ws.scenario_mut(id)
        .expect("exists")
        .plan
        .apply(Edit::InsertBreakdown {
            work_center: "M1".into(),
            start: H,
            duration_ms: 8 * H,
        })
        .expect("accepted");
    let c = ws.compare(&[None, Some(id)]).expect("two plans");
    assert_eq!(c.plans, vec!["live".to_owned(), "M1 breakdown".to_owned()]);
    let wt = c
        .rows
        .iter()
        .find(|r| r.name == "Weighted tardiness")
        .expect("row");
    assert_eq!(
        (wt.values.clone(), wt.deltas.clone()),
        (vec![0.0, 36.0], vec![0.0, 36.0])
    );
    let changed: Vec<&str> = c.changed_orders.iter().map(|o| o.order.as_str()).collect();
    assert_eq!(changed, vec!["O1", "O2"]);
    assert_eq!(c.changed_orders[0].on_time, vec![true, false]);
    assert!(ws.compare(&[None]).is_err());
    let promoted = ws.scenario(id).expect("exists").plan.plan().clone();
    ws.promote(id).expect("promoted");
    assert!(ws.live() == &promoted);
    assert!(ws.scenario(id).is_err());
}

#[test]
fn bad_input_gets_clear_errors() {
    let json = plant_json();
    // JSON syntax: line and column.
    let broken = json.replacen("\"quantity\": 100", "\"quantity\": 1x0", 1);
    match parse_plan(&broken) {
        Err(InputError::Json { line, .. }) => assert_eq!(
            line,
            json[..json.find("\"quantity\": 100").expect("present")]
                .lines()
                .count()
        ),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    let cases = [
        (
            json.replacen(
                "\"predecessors\": [\"O1/10\"]",
                "\"predecessors\": [\"O1/10\", \"O9\"]",
                1,
            ),
            "refers to unknown operation `O9`",
        ),
        (
            json.replacen(
                "{\"id\": \"O1/10\", \"order\": \"O1\",",
                "{\"id\": \"O1/10\", \"order\": \"O1\", \"predecessors\": [\"O1/20\"],",
                1,
            ),
            "routing is cyclic through operations O1/10, O1/20",
        ),
        (
            json.replacen("\"quantity\": 50", "\"quantity\": -5", 1),
            "order O3: invalid quantity -5",
        ),
        (
            json.replacen("\"rate_per_hour\": 100", "\"rate_per_hour\": 0", 1),
            "invalid rate_per_hour 0",
        ),
        (
            json.replacen(
                "{\"id\": \"M2\", \"calendar\": \"day\"}",
                "{\"id\": \"M1\", \"calendar\": \"day\"}",
                1,
            ),
            "duplicate work center id `M1`",
        ),
        (
            json.replacen(
                "\"assigned\": \"M2\", \"alternatives\"",
                "\"assigned\": \"M1\", \"alternatives\"",
                1,
            ),
            "cannot run on work center `M1`",
        ),
    ];
    for (text, expected) in cases {
        let input = parse_plan(&text).expect("syntax is fine");
        let err = Plan::from_input(&input).expect_err(expected).to_string();
        assert!(err.contains(expected), "{err} should contain {expected}");
    }
}
