//! Fixtures shared by the report tests: a one-line plant with a day shift and a hand-written
//! day of history.
#![allow(dead_code)] // each test file uses a different part

use chrono::{NaiveDate, NaiveTime};
use takt_model::shift::Day;
use takt_model::{
    Area, EquipmentPath, Line, Plant, Product, ShiftCalendar, ShiftPattern, Site, StateKind,
    WorkCenter,
};
use takt_oee::Interval;
use takt_plant::{FeedHealth, WorkCenterChange};
use takt_report::HistoryOptions;
use takt_store::{OrderRecord, Store};

pub const MIN: i64 = 60_000;
/// 2026-07-01T00:00:00Z, a Wednesday.
pub const DAY: i64 = 1_782_864_000_000;

pub fn at(h: i64, m: i64) -> i64 {
    DAY + h * 60 * MIN + m * MIN
}

pub fn path(p: &str) -> EquipmentPath {
    EquipmentPath::parse(p).unwrap()
}

pub const WC: &str = "acme/s1/a1/l1/wc1";

pub fn change(
    t: i64,
    state: Option<(StateKind, Option<&str>)>,
    good: Option<u64>,
    scrap: Option<u64>,
) -> WorkCenterChange {
    let (kind, reason) = state.unwrap_or((StateKind::Running, None));
    WorkCenterChange {
        path: path(WC),
        state: kind,
        reason: reason.map(str::to_owned),
        good: 0,
        scrap: 0,
        state_since_ms: state.map(|_| t),
        timestamp_ms: t,
        received_ms: t,
        good_total: good,
        scrap_total: scrap,
        feed: FeedHealth::Live,
    }
}

/// One line with one work center, a UTC calendar with one 08:00–16:00 shift every day,
/// product P-1 with an ideal cycle of one minute, running from 07:00.
pub async fn plant(dir: &tempfile::TempDir) -> Store {
    let store = Store::open_file(&dir.path().join("takt.db")).await.unwrap();
    store
        .save_plant(&Plant {
            enterprise: "acme".into(),
            sites: vec![Site {
                name: "s1".into(),
                timezone: "UTC".into(),
                areas: vec![Area {
                    name: "a1".into(),
                    lines: vec![Line {
                        name: "l1".into(),
                        description: "Line One".into(),
                        work_centers: vec![WorkCenter {
                            name: "wc1".into(),
                            description: String::new(),
                        }],
                    }],
                }],
            }],
        })
        .await
        .unwrap();
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    store
        .save_shift_calendar(
            &path("acme/s1"),
            &ShiftCalendar {
                timezone: "UTC".into(),
                shifts: vec![ShiftPattern {
                    name: "day".into(),
                    start: hm(8, 0),
                    end: hm(16, 0),
                    days: Day::ALL.to_vec(),
                    breaks: vec![],
                }],
                holidays: vec![],
            },
        )
        .await
        .unwrap();
    store
        .upsert_products(&[Product {
            code: "P-1".into(),
            name: "Part".into(),
            ideal_cycle_ms: 60_000,
        }])
        .await
        .unwrap();
    store
        .append_order_history(&[OrderRecord {
            path: path("acme/s1/a1/l1"),
            start_ms: at(7, 0),
            order: Some("WO-1".into()),
            product: Some("P-1".into()),
            received_ms: at(7, 0),
        }])
        .await
        .unwrap();
    store
}

/// The plant with the standard day in it, that day and its line: what the shift report draws.
pub async fn report_day(dir: &tempfile::TempDir) -> (Store, NaiveDate, EquipmentPath) {
    let store = plant(dir).await;
    standard_day(&store).await;
    let date = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    (store, date, path("acme/s1/a1/l1"))
}

pub fn options() -> HistoryOptions {
    HistoryOptions {
        now_ms: at(23, 0),
        ..HistoryOptions::default()
    }
}

pub fn shift() -> Interval {
    Interval::new(at(8, 0), at(16, 0))
}

/// Run 08–12, down (jam) 12–13, run 13–16; 380 good, 10 scrap (at 14:00, an hour after
/// the restart: not a start-up reject).
pub async fn standard_day(store: &Store) {
    store
        .append_history(&[
            change(at(7, 59), None, Some(1_000), Some(0)),
            change(at(8, 0), Some((StateKind::Running, None)), None, None),
            change(at(10, 0), None, Some(1_120), None),
            change(
                at(12, 0),
                Some((StateKind::Down, Some("mech/jam"))),
                Some(1_200),
                None,
            ),
            change(at(13, 0), Some((StateKind::Running, None)), None, None),
            change(at(14, 0), None, None, Some(10)),
            change(at(15, 0), None, Some(1_320), None),
            change(at(15, 59), None, Some(1_380), None),
            change(at(16, 0), Some((StateKind::Idle, None)), None, None),
        ])
        .await
        .unwrap();
}
