//! Properties of the engine on random histories.

use proptest::prelude::*;
use takt_model::{CounterKind, EquipmentPath, StateKind};
use takt_oee::*;

const REASONS: [Option<&str>; 4] = [None, Some("mech/jam"), Some("setup/adjust"), Some("minor")];

fn wc() -> EquipmentPath {
    EquipmentPath::parse("acme/s/a/l1/wc").unwrap()
}

fn state_events() -> impl Strategy<Value = Vec<StateEvent>> {
    prop::collection::vec((0i64..200_000, 0usize..8, 0usize..4), 0..40).prop_map(|v| {
        v.into_iter()
            .map(|(at, k, r)| StateEvent::new(at, StateKind::ALL[k], REASONS[r]))
            .collect()
    })
}

fn counts() -> impl Strategy<Value = Vec<CountEvent>> {
    prop::collection::vec((0i64..200_000, any::<bool>(), 0u64..40, 0usize..4), 0..40).prop_map(
        |v| {
            v.into_iter()
                .map(|(at, good, parts, p)| CountEvent {
                    at,
                    kind: if good {
                        CounterKind::Good
                    } else {
                        CounterKind::Scrap
                    },
                    parts,
                    // Product 3 has no ideal cycle.
                    product: Some(format!("P{p}")),
                    order: Some(format!("O{}", p % 2)),
                })
                .collect()
        },
    )
}

fn windows() -> impl Strategy<Value = Vec<Interval>> {
    prop::collection::vec((-10_000i64..210_000, 0i64..60_000), 0..6).prop_map(|v| {
        v.into_iter()
            .map(|(s, l)| Interval::new(s, s + l))
            .collect()
    })
}

fn tree() -> ReasonTree {
    ReasonTree::new(vec![
        ReasonNode::new("mech", "M", Some(StopCategory::Breakdown))
            .with(vec![ReasonNode::new("jam", "J", None)]),
        ReasonNode::new("setup", "S", Some(StopCategory::Setup))
            .with(vec![ReasonNode::new("adjust", "A", None)]),
        ReasonNode::new("minor", "m", Some(StopCategory::MicroStop)),
    ])
    .unwrap()
}

fn cycles(c: [u32; 3]) -> IdealCycles {
    IdealCycles {
        by_product: [("P0", c[0]), ("P1", c[1]), ("P2", c[2])]
            .into_iter()
            .map(|(p, ms)| (p.to_owned(), ms))
            .collect(),
        fallback_ms: None,
    }
}

fn in_unit(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn losses_and_fully_productive_time_fill_planned_time(
        events in state_events(),
        counts in counts(),
        planned in windows(),
        scope in windows(),
        ideal in [0u32..4_000, 1u32..4_000, 1u32..4_000],
        threshold in 0i64..60_000,
        startup in 0i64..60_000,
        splits in prop::collection::vec((0usize..40, 0i64..200_000), 0..5),
    ) {
        let tl = StateTimeline::from_events(wc(), &events, 190_000);
        let mut log = DowntimeLog::new(tree(), threshold).unwrap();
        log.rederive(std::slice::from_ref(&tl));
        // Random supervisor splits keep the events covering the same time.
        for (i, at) in splits {
            let keys: Vec<EventKey> = log.events().map(|e| e.key()).collect();
            if let Some(k) = keys.get(i % keys.len().max(1)) {
                let _ = log.split("prop", 0, k, at);
            }
        }
        let downtime: Vec<DowntimeEvent> = log.events_of(&wc()).cloned().collect();
        let ideal = cycles(ideal);
        let planned = PlannedTime::new(planned);
        let reasons = tree();
        let engine = OeeEngine::new(OeeInputs {
            timeline: &tl,
            downtime: &downtime,
            counts: &counts,
            ideal_cycles: &ideal,
            planned: &planned,
            reasons: Some(&reasons),
            config: OeeConfig { micro_stop_threshold_ms: threshold, startup_window_ms: startup },
        });
        let mut results = vec![engine.scope(&scope, None), engine.scope(&scope, Some("O1"))];
        results.push(Oee::sum(&results));
        for o in &results {
            prop_assert!((o.losses.total() + o.fully_productive_time_ms - o.planned_time_ms).abs() <= 1, "{o:#?}");
            let l = o.losses;
            for ms in [l.breakdowns, l.setups, l.micro_stops, l.reduced_speed, l.startup_rejects, l.production_rejects] {
                prop_assert!(ms >= 0, "{o:#?}");
            }
            for r in [o.availability, o.performance, o.quality, o.oee] {
                prop_assert!(in_unit(r), "{o:#?}");
            }
            prop_assert!(o.performance <= o.performance_raw || o.run_time_ms == 0 || o.ideal_time_ms == 0);
            prop_assert!((o.oee - o.availability * o.performance * o.quality).abs() < 1e-9);
            let by_reason: i64 = o.by_reason.iter().map(|r| r.duration_ms).sum();
            prop_assert_eq!(by_reason + o.no_data_ms, l.breakdowns + l.setups + l.micro_stops);
        }
    }

    #[test]
    fn timeline_does_not_depend_on_arrival_order(
        events in state_events().prop_shuffle(),
        now in 0i64..250_000,
    ) {
        let mut sorted = events.clone();
        sorted.sort_by(|a, b| (a.at, a.kind.as_str(), &a.reason).cmp(&(b.at, b.kind.as_str(), &b.reason)));
        let shuffled = StateTimeline::from_events(wc(), &events, now);
        prop_assert_eq!(&shuffled, &StateTimeline::from_events(wc(), &sorted, now));
        // Sent twice, the same events give the same timeline.
        let twice: Vec<StateEvent> = events.iter().chain(events.iter()).cloned().collect();
        prop_assert_eq!(&shuffled, &StateTimeline::from_events(wc(), &twice, now));
        // Ordered, non-overlapping, non-empty, and no two neighbours in the same state.
        for pair in shuffled.intervals().windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
            prop_assert!(pair[0].end != pair[1].start
                || (pair[0].kind, &pair[0].reason) != (pair[1].kind, &pair[1].reason));
        }
        prop_assert!(shuffled.intervals().iter().all(|i| i.start < i.end && i.end <= now));
    }

    #[test]
    fn split_then_merge_restores_the_event(
        events in state_events(),
        pick in 0usize..40,
        frac in 0.0f64..1.0,
        threshold in 0i64..60_000,
        comment in prop::option::of("[a-z ]{0,8}"),
    ) {
        let tl = StateTimeline::from_events(wc(), &events, 200_000);
        let mut log = DowntimeLog::new(tree(), threshold).unwrap();
        log.rederive(std::slice::from_ref(&tl));
        let keys: Vec<EventKey> = log.events().map(|e| e.key()).collect();
        prop_assume!(!keys.is_empty());
        let key = keys[pick % keys.len()].clone();
        if let Some(c) = comment {
            log.comment("prop", 0, &key, &c).unwrap();
        }
        let original = log.get(&key).unwrap().clone();
        prop_assume!(original.len_ms() >= 2);
        let at = original.start + 1 + ((original.len_ms() - 2) as f64 * frac) as i64;
        let (a, b) = log.split("prop", 1, &key, at).unwrap();
        prop_assert_eq!(a.len_ms() + b.len_ms(), original.len_ms());
        let merged = log.merge("prop", 2, &a.key(), &b.key()).unwrap();
        prop_assert_eq!(&merged, &original);
        prop_assert_eq!(log.get(&key), Some(&original));
        // A split outside the event is refused and changes nothing.
        let outside = log.split("prop", 3, &key, original.end);
        let is_outside = matches!(outside, Err(EditError::SplitOutside { .. }));
        prop_assert!(is_outside);
        prop_assert_eq!(log.get(&key), Some(&original));
    }
}
