use takt_model::{EquipmentPath, StateKind, WorkCenterState};
use takt_plant::{
    Diagnostics, FeedHealth, LineLive, LinkState, LinkStatus, PlantSnapshot, WorkCenterLive,
};

use crate::{AlertBook, AlertKind, AlertRules, Severity};

const MIN: i64 = 60_000;

fn link(state: LinkState) -> LinkStatus {
    LinkStatus {
        state,
        target: "mqtt://127.0.0.1:1883".into(),
        since_ms: 0,
        error: None,
        hint: None,
    }
}

fn wc(
    path: &str,
    kind: StateKind,
    since: i64,
    good: u64,
    scrap: u64,
    feed: FeedHealth,
) -> WorkCenterLive {
    WorkCenterLive {
        path: EquipmentPath::parse(path).expect("path"),
        name: path.rsplit('/').next().unwrap_or_default().to_owned(),
        description: String::new(),
        state: WorkCenterState::new(
            kind,
            (kind == StateKind::Down).then(|| "MECH-JAM".to_owned()),
        ),
        state_since_ms: Some(since),
        good,
        scrap,
        last_message_ms: Some(since),
        feed,
        measurements: Vec::new(),
        version: 1,
    }
}

fn line(output: u64, target: u64) -> LineLive {
    LineLive {
        path: EquipmentPath::parse("acme/site/area/L1").expect("path"),
        name: "Line 1".into(),
        description: String::new(),
        work_centers: vec![],
        order: None,
        product: None,
        output,
        scrap: 0,
        target_so_far: target,
        target_shift: 5000,
        shift: None,
        feed: FeedHealth::Live,
        version: 1,
    }
}

fn snapshot(work_centers: Vec<WorkCenterLive>, lines: Vec<LineLive>) -> PlantSnapshot {
    PlantSnapshot {
        version: 1,
        generated_ms: 0,
        lines,
        work_centers,
        broker: link(LinkState::Connected),
        database: link(LinkState::Connected),
        diagnostics: Diagnostics::default(),
    }
}

#[test]
fn down_too_long_raises_escalates_clears_and_closes_on_acknowledge() {
    let mut book = AlertBook::new(AlertRules::default());
    let down = || {
        snapshot(
            vec![wc(
                "acme/site/area/L1/filler",
                StateKind::Down,
                0,
                10,
                0,
                FeedHealth::Live,
            )],
            vec![line(0, 0)],
        )
    };
    assert!(!book.evaluate(&down(), 9 * MIN), "9 min is within the rule");
    assert!(book.evaluate(&down(), 10 * MIN));
    let alerts = book.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].kind, alerts[0].severity),
        (AlertKind::DownTooLong, Severity::Warning)
    );
    assert_eq!(alerts[0].message, "Down for 10 min (reason MECH-JAM)");
    assert_eq!(book.unacknowledged(), 1);
    book.evaluate(&down(), 31 * MIN);
    assert_eq!(
        book.alerts().len(),
        1,
        "one alert per subject, updated in place"
    );
    assert_eq!(
        book.alerts()[0].message,
        "Down for 31 min (reason MECH-JAM)"
    );
    // Running again: cleared but still listed until acknowledged.
    let running = snapshot(
        vec![wc(
            "acme/site/area/L1/filler",
            StateKind::Running,
            32 * MIN,
            10,
            0,
            FeedHealth::Live,
        )],
        vec![],
    );
    assert!(book.evaluate(&running, 32 * MIN));
    let a = &book.alerts()[0];
    assert_eq!(a.cleared_ms, Some(32 * MIN));
    assert_eq!(book.unacknowledged(), 1);
    book.acknowledge(a.id, "supervisor", 33 * MIN)
        .expect("known id");
    assert_eq!(book.unacknowledged(), 0);
    // The next breakdown is a new alert.
    let again = snapshot(
        vec![wc(
            "acme/site/area/L1/filler",
            StateKind::Down,
            40 * MIN,
            10,
            0,
            FeedHealth::Live,
        )],
        vec![],
    );
    book.evaluate(&again, 55 * MIN);
    assert_eq!(book.alerts().len(), 2);
    assert_eq!(book.unacknowledged(), 1);
    assert!(book.acknowledge(999, "x", 0).is_err());
}

#[test]
fn acknowledged_alert_that_still_holds_stays_one_alert() {
    let mut book = AlertBook::new(AlertRules::default());
    let down = snapshot(
        vec![wc(
            "acme/site/area/L1/filler",
            StateKind::Down,
            0,
            0,
            0,
            FeedHealth::Live,
        )],
        vec![],
    );
    book.evaluate(&down, 12 * MIN);
    let id = book.alerts()[0].id;
    book.acknowledge(id, "sup", 13 * MIN).expect("ack");
    book.evaluate(&down, 14 * MIN);
    assert_eq!(book.alerts().len(), 1);
    assert_eq!(book.unacknowledged(), 0);
}

#[test]
fn scrap_over_limit_needs_enough_parts() {
    let mut book = AlertBook::new(AlertRules::default());
    let few = snapshot(
        vec![wc(
            "acme/site/area/L1/press",
            StateKind::Running,
            0,
            20,
            5,
            FeedHealth::Live,
        )],
        vec![],
    );
    book.evaluate(&few, MIN);
    assert!(
        book.alerts().is_empty(),
        "25 parts are below the minimum of 50"
    );
    let many = snapshot(
        vec![wc(
            "acme/site/area/L1/press",
            StateKind::Running,
            0,
            470,
            30,
            FeedHealth::Live,
        )],
        vec![],
    );
    book.evaluate(&many, 2 * MIN);
    let a = &book.alerts()[0];
    assert_eq!(a.kind, AlertKind::ScrapOverLimit);
    assert_eq!(a.message, "Scrap 6.0 % this shift (30 of 500); limit 5 %");
}

#[test]
fn line_rate_under_standard_over_the_window() {
    let mut book = AlertBook::new(AlertRules::default());
    // Standard 20 parts a minute; the line makes 20/min for 15 min, then 10/min.
    for minute in 0..=15 {
        book.evaluate(
            &snapshot(vec![], vec![line(20 * minute, 20 * minute)]),
            minute as i64 * MIN,
        );
    }
    assert!(book.alerts().is_empty(), "on standard");
    for minute in 16..=30u64 {
        book.evaluate(
            &snapshot(vec![], vec![line(300 + 10 * (minute - 15), 20 * minute)]),
            minute as i64 * MIN,
        );
    }
    let alerts = book.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::RateUnderStandard);
    assert_eq!(
        alerts[0].message,
        "Made 150 of 300 standard in the last 15 min (50 %)"
    );
    // A new shift (counters reset) starts the window over: no verdict for 15 minutes.
    book.evaluate(&snapshot(vec![], vec![line(0, 0)]), 31 * MIN);
    assert!(book.alerts()[0].cleared_ms.is_some());
}

#[test]
fn broker_loss_is_one_alert_not_one_per_work_center() {
    let mut book = AlertBook::new(AlertRules::default());
    let mut snap = snapshot(
        (0..25)
            .map(|i| {
                wc(
                    &format!("acme/site/area/L1/wc{i}"),
                    StateKind::Running,
                    0,
                    0,
                    0,
                    FeedHealth::Stale,
                )
            })
            .collect(),
        vec![],
    );
    snap.broker = LinkStatus {
        error: Some("connection refused".into()),
        ..link(LinkState::Down)
    };
    // Down since 0: not an alert within the grace period, one after it.
    book.evaluate(&snap, 5_000);
    assert!(book.alerts().is_empty(), "a short outage is not an alert");
    book.evaluate(&snap, MIN);
    let alerts = book.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].subject, "broker");
    assert_eq!(
        alerts[0].message,
        "No connection to mqtt://127.0.0.1:1883: connection refused"
    );
    // Broker back, one work center still silent: that one is stale.
    snap.broker = link(LinkState::Connected);
    for w in &mut snap.work_centers[1..] {
        w.feed = FeedHealth::Live;
    }
    book.evaluate(&snap, 2 * MIN);
    let open: Vec<_> = book
        .alerts()
        .into_iter()
        .filter(|a| a.cleared_ms.is_none())
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].kind, open[0].subject.as_str()),
        (AlertKind::FeedStale, "acme/site/area/L1/wc0")
    );
}

#[test]
fn rules_deserialize_with_defaults_and_zero_disables() {
    let rules: AlertRules = serde_json::from_str(r#"{"down_minutes": 0}"#).expect("partial rules");
    assert_eq!(rules.scrap_min_parts, 50);
    let mut book = AlertBook::new(rules);
    let down = snapshot(
        vec![wc(
            "acme/site/area/L1/filler",
            StateKind::Down,
            0,
            0,
            0,
            FeedHealth::Live,
        )],
        vec![],
    );
    book.evaluate(&down, 120 * MIN);
    assert!(book.alerts().is_empty());
}
