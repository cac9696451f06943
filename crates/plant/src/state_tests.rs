use super::*;
use chrono::NaiveTime;
use takt_model::shift::Day;
use takt_model::{Area, CounterKind, Line, Site, StateKind, WorkCenter};

const LINE: &str = "acme/berlin/pack/line-1";
const FILLER: &str = "acme/berlin/pack/line-1/filler";
const CAPPER: &str = "acme/berlin/pack/line-1/capper";

fn path(p: &str) -> EquipmentPath {
    EquipmentPath::parse(p).unwrap()
}

fn config() -> PlantConfig {
    let wc = |n: &str| WorkCenter {
        name: n.into(),
        description: format!("{n} desc"),
    };
    let plant = Plant {
        enterprise: "acme".into(),
        sites: vec![Site {
            name: "berlin".into(),
            timezone: "UTC".into(),
            areas: vec![Area {
                name: "pack".into(),
                lines: vec![Line {
                    name: "line-1".into(),
                    description: "Line 1".into(),
                    work_centers: vec![wc("filler"), wc("capper")],
                }],
            }],
        }],
    };
    let mut config = PlantConfig::new(Some(plant));
    config.calendars.insert(
        path("acme/berlin"),
        ShiftCalendar {
            timezone: "UTC".into(),
            shifts: vec![
                takt_model::ShiftPattern {
                    name: "day".into(),
                    start: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                    days: Day::ALL.to_vec(),
                    breaks: vec![],
                },
                takt_model::ShiftPattern {
                    name: "night".into(),
                    start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
                    days: Day::ALL.to_vec(),
                    breaks: vec![takt_model::ShiftBreak {
                        name: "meal".into(),
                        start: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                        end: NaiveTime::from_hms_opt(20, 30, 0).unwrap(),
                    }],
                },
            ],
            holidays: vec![],
        },
    );
    config.products.insert(
        "P-1".into(),
        Product {
            code: "P-1".into(),
            name: "p".into(),
            ideal_cycle_ms: 1_000,
        },
    );
    config
}

/// 2026-11-25 06:00:00 UTC: the start of a day shift.
const SHIFT_START: i64 = 1_795_586_400_000;

fn state_event(p: &str, kind: StateKind, reason: Option<&str>, ts: i64) -> FeedEvent {
    FeedEvent {
        path: path(p),
        timestamp_ms: ts,
        payload: FeedPayload::State {
            state: WorkCenterState::new(kind, reason.map(String::from)),
        },
    }
}

fn counter(p: &str, kind: CounterKind, value: u64, ts: i64) -> FeedEvent {
    FeedEvent {
        path: path(p),
        timestamp_ms: ts,
        payload: FeedPayload::Counter { kind, value },
    }
}

fn connected(state: &mut PlantState, now: i64) {
    state.set_broker(
        LinkStatus {
            state: LinkState::Connected,
            ..LinkStatus::starting("mqtt://x", now)
        },
        now,
    );
}

#[test]
fn known_equipment_starts_offline() {
    let state = PlantState::new(config(), SHIFT_START);
    let snap = state.snapshot(SHIFT_START);
    assert_eq!(snap.lines.len(), 1);
    assert_eq!(snap.lines[0].work_centers, vec![path(FILLER), path(CAPPER)]);
    let filler = snap.work_center(FILLER).unwrap();
    assert_eq!(
        (filler.state.kind, filler.feed),
        (StateKind::Offline, FeedHealth::Offline)
    );
    assert_eq!(filler.description, "filler desc");
}

#[test]
fn state_changes_set_since_and_repeats_do_not() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let t = SHIFT_START + 1_000;
    let c = s
        .apply("t", &state_event(FILLER, StateKind::Running, None, t), t)
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.state, c.state_since_ms, c.feed),
        (StateKind::Running, Some(t), FeedHealth::Live)
    );
    // The same state re-announced later keeps the original start.
    let c = s
        .apply(
            "t",
            &state_event(FILLER, StateKind::Running, None, t + 5_000),
            t + 5_000,
        )
        .unwrap()
        .unwrap();
    assert_eq!(c.state_since_ms, Some(t));
    // A breakdown with a reason.
    let c = s
        .apply(
            "t",
            &state_event(FILLER, StateKind::Down, Some("JAM"), t + 9_000),
            t + 9_000,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.state, c.reason.as_deref(), c.state_since_ms),
        (StateKind::Down, Some("JAM"), Some(t + 9_000))
    );
    // A late, older message does not roll the state back.
    s.apply(
        "t",
        &state_event(FILLER, StateKind::Idle, None, t + 2_000),
        t + 10_000,
    )
    .unwrap();
    assert_eq!(
        s.snapshot(0).work_center(FILLER).unwrap().state.kind,
        StateKind::Down
    );
}

#[test]
fn counters_accumulate_from_cumulative_readings_with_resets() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let t = SHIFT_START + 1;
    s.apply("g", &counter(CAPPER, CounterKind::Good, 1_000, t), t)
        .unwrap();
    s.apply("g", &counter(CAPPER, CounterKind::Good, 1_010, t), t)
        .unwrap();
    s.apply("g", &counter(CAPPER, CounterKind::Good, 4, t), t)
        .unwrap(); // PLC restarted
    s.apply("s", &counter(FILLER, CounterKind::Scrap, 7, t), t)
        .unwrap();
    s.apply("s", &counter(FILLER, CounterKind::Scrap, 9, t), t)
        .unwrap();
    let snap = s.snapshot(t);
    assert_eq!(snap.work_center(CAPPER).unwrap().good, 14);
    let line = snap.line(LINE).unwrap();
    assert_eq!(
        (line.output, line.scrap),
        (14, 2),
        "output counts at the last work center"
    );
}

#[test]
fn events_on_the_wrong_level_are_rejected_and_counted() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let err = s
        .apply(
            "acme/berlin/pack/line-1/state",
            &state_event(LINE, StateKind::Running, None, 1),
            1,
        )
        .unwrap_err();
    assert!(err.contains("expected a WorkCenter path"), "{err}");
    s.reject("junk", "not JSON", 2);
    let d = s.snapshot(2).diagnostics;
    assert_eq!((d.messages_total, d.errors_total), (2, 2));
    assert_eq!(
        s.snapshot(2).work_center(FILLER).unwrap().state.kind,
        StateKind::Offline
    );
}

#[test]
fn unknown_equipment_is_discovered() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let p = "acme/berlin/pack/line-9/oven";
    s.apply("t", &state_event(p, StateKind::Running, None, 5), 5)
        .unwrap();
    let snap = s.snapshot(5);
    assert_eq!(snap.lines.len(), 2);
    assert_eq!(
        snap.line("acme/berlin/pack/line-9").unwrap().work_centers,
        vec![path(p)]
    );
    assert_eq!(snap.diagnostics.discovered_equipment, 1);
}

#[test]
fn feeds_go_stale_then_offline_and_recover() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let t0 = SHIFT_START;
    connected(&mut s, t0);
    s.apply("t", &state_event(FILLER, StateKind::Running, None, t0), t0)
        .unwrap();
    assert!(s.tick(t0 + 29_000).is_empty());
    let changes = s.tick(t0 + 30_000);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].path.as_str(), changes[0].feed),
        (FILLER, FeedHealth::Stale)
    );
    assert_eq!(
        s.snapshot(0).line(LINE).unwrap().feed,
        FeedHealth::Offline,
        "capper never reported"
    );
    assert_eq!(s.tick(t0 + 300_000)[0].feed, FeedHealth::Offline);
    s.apply(
        "t",
        &state_event(FILLER, StateKind::Running, None, t0 + 301_000),
        t0 + 301_000,
    )
    .unwrap();
    assert_eq!(
        s.snapshot(0).work_center(FILLER).unwrap().feed,
        FeedHealth::Live
    );
}

#[test]
fn losing_the_broker_makes_every_live_feed_stale() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let t0 = SHIFT_START;
    connected(&mut s, t0);
    s.apply("t", &state_event(FILLER, StateKind::Running, None, t0), t0)
        .unwrap();
    s.apply("t", &state_event(CAPPER, StateKind::Running, None, t0), t0)
        .unwrap();
    let down = LinkStatus {
        state: LinkState::Down,
        error: Some("connection refused".into()),
        ..LinkStatus::starting("mqtt://x", t0)
    };
    let changes = s.set_broker(down, t0 + 1_000);
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c.feed == FeedHealth::Stale));
    assert_eq!(s.snapshot(0).line(LINE).unwrap().feed, FeedHealth::Stale);
    assert_eq!(
        s.snapshot(0).broker.error.as_deref(),
        Some("connection refused")
    );
}

#[test]
fn targets_follow_the_ideal_cycle_and_reset_at_shift_change() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let order = FeedEvent {
        path: path(LINE),
        timestamp_ms: SHIFT_START,
        payload: FeedPayload::Order {
            order: Some("WO-1".into()),
            product: Some("P-1".into()),
        },
    };
    s.apply("o", &order, SHIFT_START).unwrap();
    // Takt starts 10 minutes into the shift: the target counts from then, like the output.
    s.tick(SHIFT_START + 600_000);
    let line = s.snapshot(0).line(LINE).unwrap().clone();
    assert_eq!(line.shift.as_ref().unwrap().name, "day");
    assert_eq!((line.target_so_far, line.target_shift), (0, 43_200));
    assert_eq!(line.order.as_deref(), Some("WO-1"));
    s.tick(SHIFT_START + 660_500);
    assert_eq!(
        s.snapshot(0).line(LINE).unwrap().target_so_far,
        60,
        "60.5 s at 1 s per part"
    );
    s.apply(
        "g",
        &counter(CAPPER, CounterKind::Good, 100, SHIFT_START),
        SHIFT_START + 660_500,
    )
    .unwrap();
    s.apply(
        "g",
        &counter(CAPPER, CounterKind::Good, 150, SHIFT_START),
        SHIFT_START + 660_600,
    )
    .unwrap();
    assert_eq!(s.snapshot(0).line(LINE).unwrap().output, 50);
    // Into the night shift: counters and target start over.
    let night = SHIFT_START + 12 * 3_600_000 + 1_000;
    s.tick(night);
    let line = s.snapshot(0).line(LINE).unwrap().clone();
    assert_eq!(line.shift.as_ref().unwrap().name, "night");
    assert_eq!((line.output, line.target_so_far), (0, 0));
    s.tick(night + 10_000);
    assert_eq!(s.snapshot(0).line(LINE).unwrap().target_so_far, 10);
}

#[test]
fn between_orders_the_target_keeps_the_last_products_pace() {
    let mut s = PlantState::new(config(), SHIFT_START);
    s.apply("o", &order(SHIFT_START), SHIFT_START).unwrap();
    s.tick(SHIFT_START);
    s.tick(SHIFT_START + 60_000);
    // The order is done; the changeover to the next one is still planned production time.
    let done = FeedEvent {
        path: path(LINE),
        timestamp_ms: SHIFT_START + 60_000,
        payload: FeedPayload::Order {
            order: None,
            product: None,
        },
    };
    s.apply("o", &done, SHIFT_START + 60_000).unwrap();
    s.tick(SHIFT_START + 120_000);
    let line = s.snapshot(0).line(LINE).unwrap().clone();
    assert_eq!(line.product, None);
    assert_eq!((line.target_so_far, line.target_shift), (120, 43_200));
}

#[test]
fn started_in_a_changeover_the_target_takes_the_last_products_pace_from_history() {
    // Takt restarts 10 minutes into the shift while the line changes over: no product is
    // announced, but the historian knows the line ran P-1 (1 s per part).
    let now = SHIFT_START + 600_000;
    let mut s = PlantState::new(config(), now);
    s.prime(&ShiftPrime {
        good: 450,
        last_product: Some("P-1".into()),
        ..capper_prime()
    });
    s.tick(now);
    s.tick(now + 1_000);
    let line = s.snapshot(0).line(LINE).unwrap().clone();
    assert_eq!(line.product, None);
    assert_eq!((line.output, line.target_so_far), (450, 601));
    assert_eq!(line.target_shift, 43_200);
}

#[test]
fn no_target_accrues_over_a_break() {
    const MIN: i64 = 60_000;
    let night = SHIFT_START + 12 * 60 * MIN; // 18:00, the night shift with its 20:00 break
    let mut s = PlantState::new(config(), night);
    s.apply("o", &order(night), night).unwrap();
    s.tick(night);
    let target = |s: &PlantState| {
        let line = s.snapshot(0).line(LINE).unwrap().clone();
        (line.target_so_far, line.target_shift)
    };
    // 12 h minus the 30-minute break, at 1 s per part.
    assert_eq!(target(&s), (0, 41_400));
    s.tick(night + 110 * MIN);
    assert_eq!(target(&s).0, 6_600);
    // Ticks before, inside and after the break: only the planned minutes count.
    s.tick(night + 130 * MIN);
    assert_eq!(target(&s).0, 7_200, "20:10, in the break");
    s.tick(night + 145 * MIN);
    assert_eq!(target(&s).0, 7_200, "20:25, in the break");
    s.tick(night + 160 * MIN);
    assert_eq!(target(&s).0, 7_800, "20:40, 10 minutes after it");
}

#[test]
fn versions_only_grow_and_mark_changed_items() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let before = s.snapshot(0);
    s.apply("t", &state_event(FILLER, StateKind::Running, None, 1), 1)
        .unwrap();
    let after = s.snapshot(0);
    assert!(after.version > before.version);
    let changed: Vec<_> = after
        .work_centers
        .iter()
        .filter(|w| w.version > before.version)
        .map(|w| w.path.as_str())
        .collect();
    assert_eq!(changed, vec![FILLER]);
}

fn order(ts: i64) -> FeedEvent {
    FeedEvent {
        path: path(LINE),
        timestamp_ms: ts,
        payload: FeedPayload::Order {
            order: Some("WO-1".into()),
            product: Some("P-1".into()),
        },
    }
}

/// The capper's prime for the day shift, complete since its start; tests set the rest.
fn capper_prime() -> ShiftPrime {
    ShiftPrime {
        path: path(CAPPER),
        shift_start_ms: SHIFT_START,
        counted_from_ms: SHIFT_START,
        good: 0,
        scrap: 0,
        good_total: None,
        scrap_total: None,
        state: None,
        last_product: None,
    }
}

#[test]
fn historian_primes_shift_to_date_counts_after_a_restart() {
    // Takt restarts 10 minutes into the day shift; the historian counted 500 good parts at
    // the capper since the shift began, and its last stored cumulative reading was 9 000.
    let now = SHIFT_START + 600_000;
    let mut s = PlantState::new(config(), now);
    s.prime(&ShiftPrime {
        good: 500,
        scrap: 4,
        good_total: Some((9_000, now - 5_000)),
        ..capper_prime()
    });
    s.tick(now); // enters the shift: primed counts are kept
    s.apply("o", &order(now), now).unwrap();
    s.tick(now + 1);
    let line = s.snapshot(0).line(LINE).unwrap().clone();
    assert_eq!((line.output, line.scrap), (500, 4));
    assert_eq!(
        line.target_so_far, 600,
        "target covers the same 600 s as the counts"
    );
    // Live readings continue from the stored baseline: 30 parts made while Takt was down count.
    s.apply(
        "g",
        &counter(CAPPER, CounterKind::Good, 9_030, now + 2),
        now + 2,
    )
    .unwrap();
    assert_eq!(s.snapshot(0).line(LINE).unwrap().output, 530);
}

#[test]
fn time_in_state_continues_the_stored_state_when_the_feed_agrees() {
    // The capper has been down with a jam since 5 minutes into the shift; Takt restarts at 10.
    let now = SHIFT_START + 600_000;
    let jam = || WorkCenterState::new(StateKind::Down, Some("MECH/JAM".into()));
    let prime = |p: &str, state: WorkCenterState| ShiftPrime {
        path: path(p),
        state: Some((state, SHIFT_START + 300_000)),
        ..capper_prime()
    };
    let mut s = PlantState::new(config(), now);
    s.prime(&prime(CAPPER, jam()));
    s.prime(&prime(FILLER, jam()));
    let since = |s: &PlantState, p: &str| {
        let wc = s.snapshot(0).work_center(p).unwrap().clone();
        (wc.state.kind, wc.state_since_ms)
    };
    // Nothing is shown as live before the feed speaks.
    assert_eq!(since(&s, CAPPER).1, None);
    // The feed still says down with a jam: down since 5 minutes into the shift.
    let down = state_event(CAPPER, StateKind::Down, Some("MECH/JAM"), now + 1_000);
    s.apply("s", &down, now + 1_000).unwrap();
    assert_eq!(
        since(&s, CAPPER),
        (StateKind::Down, Some(SHIFT_START + 300_000))
    );
    // The filler runs again: a new state, from the feed's time.
    let run = state_event(FILLER, StateKind::Running, None, now + 2_000);
    s.apply("s", &run, now + 2_000).unwrap();
    assert_eq!(since(&s, FILLER), (StateKind::Running, Some(now + 2_000)));
}

#[test]
fn priming_after_the_first_tick_and_partial_history() {
    // The first tick already entered the shift; the historian only has readings from 5
    // minutes into it (Takt was first started then), so the target covers those 5 minutes.
    let now = SHIFT_START + 600_000;
    let mut s = PlantState::new(config(), now);
    s.apply("o", &order(now), now).unwrap();
    s.tick(now);
    s.prime(&ShiftPrime {
        counted_from_ms: SHIFT_START + 300_000,
        good: 280,
        ..capper_prime()
    });
    s.tick(now + 1);
    let line = s.snapshot(0).line(LINE).unwrap().clone();
    assert_eq!((line.output, line.target_so_far), (280, 300));
    // Primes for another shift are dropped when this one ends.
    s.tick(SHIFT_START + 12 * 3_600_000 + 1);
    assert_eq!(s.snapshot(0).line(LINE).unwrap().output, 0);
}

#[test]
fn protocol_news_is_diagnostics_only() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let topic = "spBv1.0/acme:berlin:pack/DDATA/line-1/filler";
    let version = s.version();
    s.protocol(
        topic,
        &crate::ProtocolEvent::SeqGap {
            expected: 3,
            got: 7,
        },
        1,
    );
    s.protocol(
        topic,
        &crate::ProtocolEvent::RebirthRequested {
            reason: "seq gap".into(),
        },
        2,
    );
    assert!(s.version() > version, "diagnostics are published");
    let snap = s.snapshot(3);
    let d = &snap.diagnostics;
    assert_eq!(
        (
            d.messages_total,
            d.errors_total,
            d.seq_gaps_total,
            d.rebirths_total
        ),
        (0, 0, 1, 1)
    );
    let filler = snap.work_center(FILLER).unwrap();
    assert_eq!(
        (filler.feed, filler.last_message_ms),
        (FeedHealth::Offline, None),
        "a gap or a rebirth request is no sign of life"
    );
}

#[test]
fn ticks_publish_rates_until_they_read_zero() {
    let mut s = PlantState::new(config(), SHIFT_START);
    let t0 = SHIFT_START + 1_000;
    for i in 0..20 {
        s.reject("junk", "not JSON", t0 + i * 100);
    }
    let after_messages = s.version();
    s.tick(t0 + 5_000);
    assert!(s.version() > after_messages, "the rate moved: publish");
    assert_eq!(s.snapshot(t0 + 5_000).diagnostics.messages_per_s, 2.0);
    s.tick(t0 + 12_500);
    assert_eq!(s.snapshot(t0 + 12_500).diagnostics.messages_per_s, 0.0);
    let quiet = s.version();
    s.tick(t0 + 60_000);
    assert_eq!(s.version(), quiet, "nothing left to publish");
}

fn measurement(p: &str, name: &str, value: f64, ts: i64) -> FeedEvent {
    FeedEvent {
        path: path(p),
        timestamp_ms: ts,
        payload: FeedPayload::Measurement {
            name: name.into(),
            value,
        },
    }
}

#[test]
fn measurements_keep_the_latest_value_and_leave_state_and_counts_alone() {
    let t = SHIFT_START + 1_000;
    let mut state = PlantState::new(config(), SHIFT_START);
    connected(&mut state, t);
    state
        .apply("s", &state_event(FILLER, StateKind::Running, None, t), t)
        .unwrap();
    state
        .apply("g", &counter(FILLER, CounterKind::Good, 100, t), t)
        .unwrap();
    state
        .apply("g", &counter(FILLER, CounterKind::Good, 110, t), t)
        .unwrap();
    let before = state.snapshot(t).work_center(FILLER).unwrap().clone();

    let now = t + 5_000;
    let change = state.apply("m", &measurement(FILLER, "temperature", 71.5, t + 10), now);
    assert_eq!(change, Ok(None), "a measurement is no work-center change");
    state
        .apply("m", &measurement(FILLER, "speed", 12.0, t + 10), now)
        .unwrap();
    state
        .apply("m", &measurement(FILLER, "temperature", 72.0, t + 20), now)
        .unwrap();
    // Late: older than the value shown.
    state
        .apply("m", &measurement(FILLER, "temperature", 10.0, t + 15), now)
        .unwrap();

    let after = state.snapshot(now).work_center(FILLER).unwrap().clone();
    assert_eq!(
        after.measurements,
        vec![
            Measurement {
                name: "speed".into(),
                value: 12.0,
                at_ms: t + 10
            },
            Measurement {
                name: "temperature".into(),
                value: 72.0,
                at_ms: t + 20
            },
        ]
    );
    assert_eq!(
        (&after.state, after.state_since_ms, after.good, after.scrap),
        (
            &before.state,
            before.state_since_ms,
            before.good,
            before.scrap
        )
    );
    assert!(after.version > before.version);
    assert_eq!(after.last_message_ms, Some(now));
    let diag = state.snapshot(now).diagnostics;
    let m = diag.topics.iter().find(|d| d.topic == "m").unwrap();
    assert_eq!((m.messages, m.errors), (4, 0));
}

#[test]
fn measurements_are_bounded_per_work_center() {
    let t = SHIFT_START + 1_000;
    let mut state = PlantState::new(config(), SHIFT_START);
    for i in 0..MAX_MEASUREMENTS {
        state
            .apply("m", &measurement(FILLER, &format!("m{i:02}"), 1.0, t), t)
            .unwrap();
    }
    let err = state
        .apply("m", &measurement(FILLER, "one-too-many", 1.0, t), t)
        .unwrap_err();
    assert!(err.starts_with("too many measurements"), "{err}");
    // Known names still update; other work centers have their own budget.
    state
        .apply("m", &measurement(FILLER, "m00", 2.0, t + 1), t)
        .unwrap();
    state
        .apply("c", &measurement(CAPPER, "one-too-many", 1.0, t), t)
        .unwrap();
    let snap = state.snapshot(t);
    let filler = snap.work_center(FILLER).unwrap();
    assert_eq!(filler.measurements.len(), MAX_MEASUREMENTS);
    assert_eq!(filler.measurements[0].value, 2.0);
    assert!(filler.measurements.iter().all(|m| m.name != "one-too-many"));
    assert_eq!(snap.work_center(CAPPER).unwrap().measurements.len(), 1);
    let m = snap
        .diagnostics
        .topics
        .iter()
        .find(|d| d.topic == "m")
        .unwrap();
    // 32 new names, the refused one (an error is a message too) and one update.
    assert_eq!((m.messages, m.errors), (MAX_MEASUREMENTS as u64 + 2, 1));
}

#[test]
fn a_measurement_on_a_line_does_not_fit() {
    let mut state = PlantState::new(config(), SHIFT_START);
    let err = state.apply("m", &measurement(LINE, "speed", 1.0, 0), SHIFT_START);
    assert!(err.is_err());
}
