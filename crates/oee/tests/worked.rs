//! OEE on a hand-worked shift. All numbers are worked out in the comments.
//!
//! Shift 06:00–14:00 UTC on Wednesday 2026-07-01, break 10:00–10:30 → 450 min of windows.
//! Product P, ideal cycle 30 s (2 parts per minute). Micro-stop threshold 2 min, start-up
//! window 10 min. Minutes below are from 06:00.
//!
//! | min     | state                      | charged to                        |
//! |---------|----------------------------|-----------------------------------|
//! | 0–20    | changeover                 | setups 20                         |
//! | 20–100  | running                    | run 80                            |
//! | 100–130 | down `mech/jam`            | breakdowns 30                     |
//! | 130–200 | running                    | run 70                            |
//! | 200–201 | blocked                    | micro-stops 1                     |
//! | 201–240 | running                    | run 39                            |
//! | 240–270 | idle (break)               | not planned                       |
//! | 270–400 | running                    | run 130                           |
//! | 400–420 | planned stop `maintenance` | not planned                       |
//! | 420–480 | running                    | run 60                            |
//!
//! Planned = 450 − 20 = 430; run = 379; stops = 51 (379 + 51 = 430, no data 0).
//! Parts: 720 in planned time (ideal 720 × 0.5 min = 360 min): 702 good, 10 start-up scrap
//! (6 at min 25, after the changeover; 4 at min 135, after the 30-min breakdown), 8 other
//! scrap (min 150). 50 good parts counted during the break are left out.
//! Net run = min(379, 360) = 360 → reduced speed 19. Fully productive = 360 × 702/720 = 351;
//! start-up rejects = 360 × 10/720 = 5; production rejects = 360 × 8/720 = 4.
//! Losses: 30 + 20 + 1 + 19 + 5 + 4 = 79 = 430 − 351.
//! A = 379/430, P = 360/379, Q = 351/360 = 0.975, OEE = 351/430.

use chrono::{DateTime, NaiveTime};
use takt_model::shift::{Day, ShiftBreak, ShiftPattern};
use takt_model::{CounterKind, EquipmentPath, Product, ShiftCalendar, StateKind};
use takt_oee::*;

const MIN: i64 = 60_000;

fn t0() -> i64 {
    DateTime::parse_from_rfc3339("2026-07-01T06:00:00Z")
        .unwrap()
        .timestamp_millis()
}

fn at(min: i64) -> i64 {
    t0() + min * MIN
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn wc() -> EquipmentPath {
    EquipmentPath::parse("acme/s/a/l1/press").unwrap()
}

fn plan() -> ShiftPlan {
    let calendar = ShiftCalendar {
        timezone: "UTC".into(),
        shifts: vec![ShiftPattern {
            name: "early".into(),
            start: hm(6, 0),
            end: hm(14, 0),
            days: vec![Day::Wed],
            breaks: vec![ShiftBreak {
                name: "lunch".into(),
                start: hm(10, 0),
                end: hm(10, 30),
            }],
        }],
        holidays: vec![],
    };
    ShiftPlan::from_calendar(&calendar, Interval::new(at(-600), at(1000))).unwrap()
}

fn timeline() -> StateTimeline {
    use StateKind::*;
    let mut e = vec![
        (0, Changeover, None),
        (20, Running, None),
        (100, Down, Some("mech/jam")),
        (130, Running, None),
        (200, Blocked, None),
        (201, Running, None),
        (240, Idle, None),
        (270, Running, None),
        (400, PlannedStop, Some("maintenance")),
        (420, Running, None),
        (480, Idle, None),
    ];
    e.reverse(); // arrival order does not matter
    let events: Vec<StateEvent> = e
        .into_iter()
        .map(|(m, k, r)| StateEvent::new(at(m), k, r))
        .collect();
    StateTimeline::from_events(wc(), &events, at(600))
}

fn count(min: i64, kind: CounterKind, parts: u64, order: &str) -> CountEvent {
    CountEvent {
        at: at(min),
        kind,
        parts,
        product: Some("P".into()),
        order: Some(order.into()),
    }
}

fn counts() -> Vec<CountEvent> {
    use CounterKind::*;
    vec![
        count(25, Scrap, 6, "A"),
        count(90, Good, 300, "A"),
        count(135, Scrap, 4, "A"),
        count(150, Scrap, 8, "A"),
        count(230, Good, 200, "B"),
        count(255, Good, 50, "B"), // in the break
        count(470, Good, 202, "B"),
        count(490, Good, 99, "B"), // after the shift
    ]
}

fn ideal() -> IdealCycles {
    IdealCycles::from_products(&[Product {
        code: "P".into(),
        name: "P".into(),
        ideal_cycle_ms: 30_000,
    }])
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

fn check_identity(o: &Oee) {
    assert_eq!(
        o.losses.total() + o.fully_productive_time_ms,
        o.planned_time_ms,
        "{o:#?}"
    );
}

#[test]
fn hand_worked_shift() {
    let tl = timeline();
    let reasons = demo_reason_tree();
    let events = derive_events(&tl, 2 * MIN);
    let cs = counts();
    let cycles = ideal();
    let plan = plan();
    let planned = plan.planned_time();
    let engine = OeeEngine::new(OeeInputs {
        timeline: &tl,
        downtime: &events,
        counts: &cs,
        ideal_cycles: &cycles,
        planned: &planned,
        reasons: Some(&reasons),
        config: OeeConfig {
            micro_stop_threshold_ms: 2 * MIN,
            startup_window_ms: 10 * MIN,
        },
    });
    let shifts = engine.by_shift(&plan);
    assert_eq!(shifts.len(), 1);
    let o = &shifts[0].1;
    assert_eq!(o.planned_time_ms, 430 * MIN);
    assert_eq!(o.planned_stop_ms, 20 * MIN);
    assert_eq!(o.run_time_ms, 379 * MIN);
    assert_eq!(o.no_data_ms, 0);
    assert_eq!((o.good, o.scrap, o.startup_scrap), (702, 18, 10));
    assert_eq!(o.ideal_time_ms, 360 * MIN);
    assert_eq!(o.net_run_time_ms, 360 * MIN);
    assert_eq!(o.fully_productive_time_ms, 351 * MIN);
    assert_eq!(
        o.losses,
        SixLosses {
            breakdowns: 30 * MIN,
            setups: 20 * MIN,
            micro_stops: MIN,
            reduced_speed: 19 * MIN,
            startup_rejects: 5 * MIN,
            production_rejects: 4 * MIN,
        }
    );
    check_identity(o);
    close(o.availability, 379.0 / 430.0);
    close(o.performance, 360.0 / 379.0);
    close(o.performance_raw, 360.0 / 379.0);
    close(o.quality, 0.975);
    close(o.oee, 351.0 / 430.0);
    close(o.oee, o.availability * o.performance * o.quality);
    let reasons: Vec<_> = o
        .by_reason
        .iter()
        .map(|r| {
            (
                r.category,
                r.reason.as_deref(),
                r.duration_ms / MIN,
                r.events,
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (StopCategory::Breakdown, Some("mech/jam"), 30, 1),
            (StopCategory::Setup, None, 20, 1),
            (StopCategory::MicroStop, None, 1, 1),
        ]
    );
    // The same shift as a day and as a plain range.
    let days = engine.by_day(&plan);
    assert_eq!(days.len(), 1);
    assert_eq!(&days[0].1, o);
    assert_eq!(&engine.range(Interval::new(at(-100), at(700))), o);
    // Pareto of the shift.
    let rows = pareto(&o.by_reason, ParetoBy::Duration, None);
    assert_eq!(rows[0].reason.as_deref(), Some("mech/jam"));
    close(rows[1].cumulative_share, 50.0 / 51.0);
}

#[test]
fn order_scope_clamps_performance_and_reports_the_raw_value() {
    // Order A runs 0–200: planned 200, run 150, setup 20, jam 30. Its parts: 300 good,
    // 10 start-up scrap, 8 scrap → ideal 159 min > run 150: P = 1, raw 1.06.
    let tl = timeline();
    let events = derive_events(&tl, 2 * MIN);
    let cs = counts();
    let cycles = ideal();
    let planned = plan().planned_time();
    let engine = OeeEngine::new(OeeInputs {
        timeline: &tl,
        downtime: &events,
        counts: &cs,
        ideal_cycles: &cycles,
        planned: &planned,
        reasons: None,
        config: OeeConfig {
            micro_stop_threshold_ms: 2 * MIN,
            startup_window_ms: 10 * MIN,
        },
    });
    let runs = order_runs(
        &[
            OrderEvent {
                at: at(200),
                order: Some("B".into()),
                product: Some("P".into()),
            },
            OrderEvent {
                at: at(0),
                order: Some("A".into()),
                product: Some("P".into()),
            },
        ],
        at(480),
    );
    assert_eq!(runs[0].span, Interval::new(at(0), at(200)));
    let by_order = engine.by_order(&runs);
    let (name, a) = &by_order[0];
    assert_eq!(name, "A");
    assert_eq!(a.planned_time_ms, 200 * MIN);
    assert_eq!(a.run_time_ms, 150 * MIN);
    assert_eq!((a.good, a.scrap, a.startup_scrap), (300, 18, 10));
    assert_eq!(a.ideal_time_ms, 159 * MIN);
    assert_eq!(a.performance, 1.0);
    close(a.performance_raw, 159.0 / 150.0);
    assert_eq!(a.losses.reduced_speed, 0);
    // 9 000 000 ms × 300/318 and × 10/318, rounded down; the rest is production rejects.
    assert_eq!(a.fully_productive_time_ms, 8_490_566);
    assert_eq!(a.losses.startup_rejects, 283_018);
    assert_eq!(a.losses.production_rejects, 226_416);
    check_identity(a);
    // Order B: counts of A inside B's time would be left out; B's own 402 good count.
    assert_eq!(by_order[1].1.good, 402);
}

#[test]
fn missing_data_is_charged_to_breakdowns_and_lines_add_up() {
    // The feed starts at minute 20: the first 20 minutes are no data, not a changeover.
    let tl = StateTimeline::from_events(
        wc(),
        &timeline().intervals()[1..]
            .iter()
            .map(|i| StateEvent::new(i.start, i.kind, i.reason.as_deref()))
            .collect::<Vec<_>>(),
        at(600),
    );
    let events = derive_events(&tl, 2 * MIN);
    let cs = counts();
    let cycles = ideal();
    let planned = plan().planned_time();
    let engine = OeeEngine::new(OeeInputs {
        timeline: &tl,
        downtime: &events,
        counts: &cs,
        ideal_cycles: &cycles,
        planned: &planned,
        reasons: None,
        config: OeeConfig::default(),
    });
    let o = engine.range(Interval::new(at(0), at(480)));
    assert_eq!(o.no_data_ms, 20 * MIN);
    assert_eq!(o.losses.setups, 0);
    assert_eq!(o.losses.breakdowns, 50 * MIN);
    check_identity(&o);
    // A line of two identical work centers has the same ratios and twice the times.
    let line = Oee::sum([&o, &o]);
    assert_eq!(line.planned_time_ms, 2 * o.planned_time_ms);
    assert_eq!(line.losses.breakdowns, 2 * o.losses.breakdowns);
    assert_eq!(line.by_reason.len(), o.by_reason.len());
    assert_eq!(line.by_reason[0].events, 2 * o.by_reason[0].events);
    close(line.oee, o.oee);
    check_identity(&line);
    // Empty scopes divide by nothing.
    let empty = engine.range(Interval::new(at(-500), at(-400)));
    assert_eq!(
        (empty.planned_time_ms, empty.oee, empty.quality),
        (0, 0.0, 0.0)
    );
}

#[test]
fn supervisor_edits_move_losses_between_categories() {
    let tl = timeline();
    let mut log = DowntimeLog::new(demo_reason_tree(), 2 * MIN).unwrap();
    log.rederive(std::slice::from_ref(&tl));
    // The jam was really a setup adjustment.
    log.assign_reason(
        "ana",
        at(700),
        &EventKey::new(&wc(), at(100)),
        Some("setup/adjust"),
    )
    .unwrap();
    let events: Vec<DowntimeEvent> = log.events_of(&wc()).cloned().collect();
    let cs = counts();
    let cycles = ideal();
    let planned = plan().planned_time();
    let engine = OeeEngine::new(OeeInputs {
        timeline: &tl,
        downtime: &events,
        counts: &cs,
        ideal_cycles: &cycles,
        planned: &planned,
        reasons: Some(log.reasons()),
        config: OeeConfig::default(),
    });
    let o = engine.range(Interval::new(at(0), at(480)));
    assert_eq!((o.losses.breakdowns, o.losses.setups), (0, 50 * MIN));
    check_identity(&o);
}

#[test]
fn a_stop_across_a_break_counts_once_and_only_its_planned_part() {
    use StateKind::*;
    // Down 230–280 spans the 240–270 break: 20 planned minutes, one event.
    let events: Vec<StateEvent> = [(0, Running), (230, Down), (280, Running)]
        .into_iter()
        .map(|(m, k)| StateEvent::new(at(m), k, Some("mech/motor")))
        .collect();
    let tl = StateTimeline::from_events(wc(), &events, at(480));
    let downtime = derive_events(&tl, 2 * MIN);
    let cycles = ideal();
    let planned = plan().planned_time();
    let engine = OeeEngine::new(OeeInputs {
        timeline: &tl,
        downtime: &downtime,
        counts: &[],
        ideal_cycles: &cycles,
        planned: &planned,
        reasons: None,
        config: OeeConfig::default(),
    });
    let o = engine.range(Interval::new(at(0), at(480)));
    assert_eq!(o.by_reason.len(), 1);
    assert_eq!(o.by_reason[0].reason.as_deref(), Some("mech/motor"));
    assert_eq!(
        (o.by_reason[0].duration_ms, o.by_reason[0].events),
        (20 * MIN, 1)
    );
    assert_eq!(o.run_time_ms, 430 * MIN);
    // No parts: performance and quality are 0, and all run time is reduced speed.
    assert_eq!((o.performance, o.quality, o.oee), (0.0, 0.0, 0.0));
    assert_eq!(o.losses.reduced_speed, 430 * MIN);
    check_identity(&o);
}
