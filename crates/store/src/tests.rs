//! Store tests: each runs on a fresh SQLite file with the real migrations.

use super::*;
use chrono::{NaiveDate, NaiveTime};
use takt_model::shift::Day;
use takt_model::{
    Area, CounterKind, EquipmentPath, Line, Operation, OrderError, Plant, Product, ShiftBreak,
    ShiftCalendar, ShiftPattern, Site, StateKind, WorkCenter, WorkOrder, WorkOrderStatus,
};
use takt_plant::{FeedHealth, WorkCenterChange};
use tempfile::TempDir;

async fn fresh() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_file(&dir.path().join("takt.db")).await.unwrap();
    (dir, store)
}

fn path(p: &str) -> EquipmentPath {
    EquipmentPath::parse(p).unwrap()
}

fn wc(name: &str) -> WorkCenter {
    WorkCenter {
        name: name.into(),
        description: format!("{name} station"),
    }
}

fn plant() -> Plant {
    Plant {
        enterprise: "acme".into(),
        sites: vec![
            Site {
                name: "berlin".into(),
                timezone: "Europe/Berlin".into(),
                areas: vec![Area {
                    name: "packaging".into(),
                    lines: vec![
                        Line {
                            name: "line-2".into(),
                            description: "Line 2 – Cans".into(),
                            work_centers: vec![wc("filler"), wc("seamer")],
                        },
                        Line {
                            name: "line-1".into(),
                            description: "Line 1 – Bottling".into(),
                            // Flow order, deliberately not alphabetical.
                            work_centers: vec![wc("filler"), wc("capper"), wc("labeler")],
                        },
                    ],
                }],
            },
            Site {
                name: "chicago".into(),
                timezone: "America/Chicago".into(),
                areas: vec![Area {
                    name: "assembly".into(),
                    lines: vec![Line {
                        name: "a1".into(),
                        description: String::new(),
                        work_centers: vec![wc("press")],
                    }],
                }],
            },
        ],
    }
}

fn product(code: &str, cycle: u32) -> Product {
    Product {
        code: code.into(),
        name: format!("Product {code}"),
        ideal_cycle_ms: cycle,
    }
}

fn order(number: &str, priority: u8, due_ms: i64) -> WorkOrder {
    WorkOrder {
        number: number.into(),
        product: "P-1".into(),
        quantity: 500,
        due_ms,
        priority,
        status: WorkOrderStatus::Planned,
        operations: vec![
            Operation {
                seq: 10,
                name: "fill".into(),
                work_center: path("acme/berlin/packaging/line-1/filler"),
            },
            Operation {
                seq: 20,
                name: "cap".into(),
                work_center: path("acme/berlin/packaging/line-1/capper"),
            },
        ],
    }
}

/// A plant with products, ready for orders.
async fn seeded() -> (TempDir, Store) {
    let (dir, store) = fresh().await;
    store.save_plant(&plant()).await.unwrap();
    store
        .upsert_products(&[product("P-1", 2_000), product("P-2", 3_000)])
        .await
        .unwrap();
    (dir, store)
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn calendar() -> ShiftCalendar {
    ShiftCalendar {
        timezone: "Europe/Berlin".into(),
        shifts: vec![
            ShiftPattern {
                name: "early".into(),
                start: t(6, 0),
                end: t(14, 0),
                days: vec![Day::Mon, Day::Tue, Day::Fri],
                breaks: vec![ShiftBreak {
                    name: "lunch".into(),
                    start: t(10, 0),
                    end: t(10, 30),
                }],
            },
            ShiftPattern {
                name: "night".into(),
                start: t(22, 0),
                end: t(6, 0),
                days: Day::ALL.to_vec(),
                // Stored in the calendar's order, not sorted by time.
                breaks: vec![
                    ShiftBreak {
                        name: "meal".into(),
                        start: t(2, 0),
                        end: t(2, 30),
                    },
                    ShiftBreak {
                        name: "midnight".into(),
                        start: t(23, 50),
                        end: t(0, 5),
                    },
                ],
            },
            ShiftPattern {
                name: "odd".into(),
                start: NaiveTime::from_hms_milli_opt(7, 30, 15, 250).unwrap(),
                end: t(8, 0),
                days: vec![Day::Sun],
                breaks: vec![],
            },
        ],
        holidays: vec![
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 26).unwrap(),
        ],
    }
}

fn change(p: &str, state: StateKind, since: i64, t: i64, good: Option<u64>) -> WorkCenterChange {
    WorkCenterChange {
        path: path(p),
        state,
        reason: None,
        good: 0,
        scrap: 0,
        state_since_ms: Some(since),
        timestamp_ms: t,
        received_ms: t + 5,
        good_total: good,
        scrap_total: None,
        feed: FeedHealth::Live,
    }
}

const FILLER: &str = "acme/berlin/packaging/line-1/filler";

#[tokio::test]
async fn opens_with_wal_and_pragmas() {
    let (dir, store) = fresh().await;
    let pool = store.pool();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(busy, 5_000);
    assert!(!store.is_seeded().await.unwrap());
    assert!(store.target().ends_with("takt.db"));
    store.close().await;

    // Reopening runs the (already applied) migrations again without complaint, via a URL.
    let url = format!("sqlite://{}", dir.path().join("takt.db").display());
    let again = Store::open(&url).await.unwrap();
    assert!(!again.is_seeded().await.unwrap());
}

#[tokio::test]
async fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a/b/c/takt.db");
    let store = Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert!(file.exists());
    store.save_plant(&plant()).await.unwrap();
    assert!(store.is_seeded().await.unwrap());
}

#[tokio::test]
async fn open_reports_unusable_locations_clearly() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory should be: fails even for root.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let err = Store::open_file(&blocker.join("sub/takt.db"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");

    // A directory where the database file should be.
    let err = Store::open_file(dir.path()).await.unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains("cannot open the database"),
        "{err}"
    );

    let err = Store::open("postgres://takt:pw@localhost/takt")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unsupported(_)), "{err:?}");
    assert!(!err.to_string().contains(":pw@"));
}

#[tokio::test]
async fn in_memory_store_works() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    store.save_plant(&plant()).await.unwrap();
    assert_eq!(store.load_plant().await.unwrap(), Some(plant()));
}

#[tokio::test]
async fn plant_round_trips_in_order() {
    let (_dir, store) = fresh().await;
    assert_eq!(store.load_plant().await.unwrap(), None);
    let mut p = plant();
    store.save_plant(&p).await.unwrap();
    assert_eq!(store.load_plant().await.unwrap(), Some(p.clone()));
    assert!(store.is_seeded().await.unwrap());

    // Re-saving replaces: reordered, renamed, removed and added nodes.
    let line = &mut p.sites[0].areas[0].lines[1];
    line.work_centers.swap(0, 2);
    line.work_centers[1].description = "Capper (new)".into();
    line.work_centers.push(wc("packer"));
    p.sites.pop();
    store.save_plant(&p).await.unwrap();
    assert_eq!(store.load_plant().await.unwrap(), Some(p));

    let mut bad = plant();
    bad.sites[0].name = "ber/lin".into();
    assert!(matches!(
        store.save_plant(&bad).await,
        Err(StoreError::InvalidPlant(_))
    ));
}

#[tokio::test]
async fn plant_refuses_removing_routed_work_center() {
    let (_dir, store) = seeded().await;
    store
        .upsert_work_orders(&[order("WO-1", 1, 0)])
        .await
        .unwrap();
    let mut p = plant();
    p.sites[0].areas[0].lines[1].work_centers.remove(1); // capper
    let err = store.save_plant(&p).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("WO-1"), "{err}");
    // Nothing changed.
    assert_eq!(store.load_plant().await.unwrap(), Some(plant()));
}

#[tokio::test]
async fn products_round_trip_and_update() {
    let (_dir, store) = fresh().await;
    assert!(store.products().await.unwrap().is_empty());
    store
        .upsert_products(&[product("P-2", 3_000), product("P-1", 2_000)])
        .await
        .unwrap();
    store
        .upsert_products(&[Product {
            name: "Renamed".into(),
            ..product("P-2", 2_500)
        }])
        .await
        .unwrap();
    assert_eq!(
        store.products().await.unwrap(),
        vec![
            product("P-1", 2_000),
            Product {
                name: "Renamed".into(),
                ..product("P-2", 2_500)
            }
        ]
    );
}

#[tokio::test]
async fn work_orders_round_trip_in_schedule_order() {
    let (_dir, store) = seeded().await;
    let a = order("WO-A", 2, 5_000);
    let b = order("WO-B", 1, 9_000);
    let mut c = order("WO-C", 2, 1_000);
    c.product = "P-2".into();
    c.operations.push(Operation {
        seq: 30,
        name: "label".into(),
        work_center: path("acme/berlin/packaging/line-1/labeler"),
    });
    store
        .upsert_work_orders(&[a.clone(), b.clone(), c.clone()])
        .await
        .unwrap();
    assert_eq!(
        store.work_orders().await.unwrap(),
        vec![b.clone(), c.clone(), a.clone()]
    );
    assert_eq!(store.work_order("WO-C").await.unwrap(), Some(c.clone()));
    assert_eq!(store.work_order("WO-X").await.unwrap(), None);

    // Upsert replaces the routing.
    c.operations.truncate(1);
    c.quantity = 42;
    store.upsert_work_orders(&[c.clone()]).await.unwrap();
    assert_eq!(store.work_order("WO-C").await.unwrap(), Some(c));

    let mut unknown_product = order("WO-D", 1, 0);
    unknown_product.product = "P-404".into();
    let err = store
        .upsert_work_orders(&[unknown_product])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { .. }) && err.to_string().contains("P-404"),
        "{err}"
    );

    let mut unknown_wc = order("WO-E", 1, 0);
    unknown_wc.operations[0].work_center = path("acme/berlin/packaging/line-9/filler");
    let err = store.upsert_work_orders(&[unknown_wc]).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { .. }) && err.to_string().contains("line-9"),
        "{err}"
    );

    let mut invalid = order("WO-F", 1, 0);
    invalid.quantity = 0;
    let err = store.upsert_work_orders(&[invalid]).await.unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidOrder(OrderError::Quantity(_))),
        "{err:?}"
    );
    assert_eq!(store.work_orders().await.unwrap().len(), 3);
}

#[tokio::test]
async fn order_status_follows_the_life_cycle() {
    let (_dir, store) = seeded().await;
    store
        .upsert_work_orders(&[order("WO-1", 1, 0)])
        .await
        .unwrap();
    for next in [
        WorkOrderStatus::Released,
        WorkOrderStatus::Running,
        WorkOrderStatus::Held,
    ] {
        store.set_order_status("WO-1", next).await.unwrap();
    }
    assert_eq!(
        store.work_order("WO-1").await.unwrap().unwrap().status,
        WorkOrderStatus::Held
    );

    let err = store
        .set_order_status("WO-1", WorkOrderStatus::Planned)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidOrder(OrderError::Transition { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "work order WO-1: cannot go from held to planned"
    );
    assert_eq!(
        store.work_order("WO-1").await.unwrap().unwrap().status,
        WorkOrderStatus::Held
    );

    store
        .set_order_status("WO-1", WorkOrderStatus::Completed)
        .await
        .unwrap();
    let err = store
        .set_order_status("WO-404", WorkOrderStatus::Released)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn corrupt_rows_are_errors_not_panics() {
    let (_dir, store) = seeded().await;
    store
        .upsert_work_orders(&[order("WO-1", 1, 0)])
        .await
        .unwrap();
    sqlx::query("UPDATE work_orders SET status = 'exploded' WHERE number = 'WO-1'")
        .execute(store.pool())
        .await
        .unwrap();
    for err in [
        store.work_orders().await.unwrap_err(),
        store.work_order("WO-1").await.unwrap_err(),
        store
            .set_order_status("WO-1", WorkOrderStatus::Released)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("exploded"), "{err}");
    }

    sqlx::query("UPDATE products SET ideal_cycle_ms = -1 WHERE code = 'P-1'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.products().await,
        Err(StoreError::Corrupt { .. })
    ));

    sqlx::query("UPDATE equipment SET level = 'galaxy' WHERE path = 'acme/chicago'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.load_plant().await,
        Err(StoreError::Corrupt { .. })
    ));

    sqlx::query("INSERT INTO state_history (path, start_ms, kind, reason, received_ms) VALUES ($1, 1, 'melting', NULL, 1)")
        .bind(FILLER)
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.state_history(&path(FILLER), 0, 10).await,
        Err(StoreError::Corrupt { .. })
    ));
}

#[tokio::test]
async fn shift_calendars_round_trip() {
    let (_dir, store) = seeded().await;
    let berlin = path("acme/berlin");
    let chicago = path("acme/chicago");
    assert_eq!(store.shift_calendar(&berlin).await.unwrap(), None);

    let cal = calendar();
    store.save_shift_calendar(&berlin, &cal).await.unwrap();
    assert_eq!(
        store.shift_calendar(&berlin).await.unwrap(),
        Some(cal.clone())
    );

    let chicago_cal = ShiftCalendar {
        timezone: "America/Chicago".into(),
        shifts: vec![ShiftPattern {
            name: "day".into(),
            start: t(7, 0),
            end: t(15, 30),
            days: vec![Day::Mon],
            breaks: vec![],
        }],
        holidays: vec![],
    };
    store
        .save_shift_calendar(&chicago, &chicago_cal)
        .await
        .unwrap();
    // Saving again replaces.
    let mut replaced = cal.clone();
    replaced.shifts.remove(0);
    replaced.holidays.clear();
    store.save_shift_calendar(&berlin, &replaced).await.unwrap();
    assert_eq!(
        store.shift_calendars().await.unwrap(),
        vec![(berlin.clone(), replaced), (chicago.clone(), chicago_cal)]
    );

    let mut bad = cal.clone();
    bad.timezone = "Mars/Olympus".into();
    assert!(matches!(
        store.save_shift_calendar(&berlin, &bad).await,
        Err(StoreError::InvalidCalendar { .. })
    ));
    let err = store
        .save_shift_calendar(&path("acme/berlin/packaging"), &cal)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotASite(_)), "{err:?}");
    let err = store
        .save_shift_calendar(&path("acme/paris"), &cal)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    // Removing a site from the plant removes its calendar.
    let mut p = plant();
    p.sites.pop();
    store.save_plant(&p).await.unwrap();
    assert_eq!(store.shift_calendar(&chicago).await.unwrap(), None);
    assert_eq!(store.shift_calendars().await.unwrap().len(), 1);
    // Breaks go with their pattern: replacing Berlin's calendar left only the night's two.
    let break_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shift_breaks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(break_rows, 2);
}

#[tokio::test]
async fn history_appends_queries_and_replays_idempotently() {
    let (_dir, store) = fresh().await;
    let filler = path(FILLER);
    let mut down = change(FILLER, StateKind::Down, 2_000, 2_000, None);
    down.reason = Some("MECH-JAM".into());
    let mut reclassified = change(FILLER, StateKind::Down, 2_000, 2_500, None);
    reclassified.reason = Some("ELEC".into());
    let batch = vec![
        change(FILLER, StateKind::Running, 1_000, 1_000, Some(100)), // baseline
        change(FILLER, StateKind::Running, 1_000, 1_500, Some(110)), // +10, same state
        change(FILLER, StateKind::Running, 1_000, 1_600, Some(110)), // repeated reading: no row
        down,
        reclassified,
        change(FILLER, StateKind::Running, 3_000, 3_000, Some(112)), // +2
        change(FILLER, StateKind::Running, 3_000, 4_000, Some(5)),   // PLC reset: +5
    ];
    store.append_history(&batch).await.unwrap();
    store.append_history(&batch).await.unwrap(); // replay: nothing changes

    let states = store.state_history(&filler, 0, 10_000).await.unwrap();
    let summary: Vec<_> = states
        .iter()
        .map(|s| (s.start_ms, s.kind, s.reason.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1_000, StateKind::Running, None),
            (2_000, StateKind::Down, Some("ELEC")),
            (3_000, StateKind::Running, None)
        ]
    );
    assert_eq!(states[0].received_ms, 1_005);
    // A window starting mid-interval begins with the state in effect.
    let window = store.state_history(&filler, 2_500, 2_900).await.unwrap();
    assert_eq!(
        window.iter().map(|s| s.start_ms).collect::<Vec<_>>(),
        vec![2_000]
    );

    let counters = store
        .counter_history(&filler, CounterKind::Good, 0, 10_000)
        .await
        .unwrap();
    let summary: Vec<_> = counters
        .iter()
        .map(|c| (c.timestamp_ms, c.value, c.delta))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1_000, 100, 0),
            (1_500, 110, 10),
            (3_000, 112, 2),
            (4_000, 5, 5)
        ]
    );
    assert!(
        store
            .counter_history(&filler, CounterKind::Scrap, 0, 10_000)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(store.good_since(&filler, 0).await.unwrap(), 17);
    assert_eq!(store.good_since(&filler, 3_000).await.unwrap(), 7);
    assert_eq!(store.good_since(&path("acme/x/y/z/w"), 0).await.unwrap(), 0);
    let good = CounterKind::Good;
    let last = store
        .last_counter_before(&filler, good, i64::MAX)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (last.timestamp_ms, last.value),
        (4_000, 5),
        "newest reading, not largest"
    );
    let before = store
        .last_counter_before(&filler, good, 3_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.timestamp_ms, 1_500);
    let first = store
        .first_counter_since(&filler, good, 1_200)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.timestamp_ms, 1_500);
    assert!(
        store
            .first_counter_since(&filler, good, 4_001)
            .await
            .unwrap()
            .is_none()
    );
    let scrap = CounterKind::Scrap;
    assert!(
        store
            .last_counter_before(&filler, scrap, i64::MAX)
            .await
            .unwrap()
            .is_none()
    );

    // Deltas continue across batches (and restarts) from the stored reading.
    let mut next = change(FILLER, StateKind::Running, 3_000, 5_000, Some(9));
    next.scrap_total = Some(3);
    store.append_history(&[next]).await.unwrap();
    assert_eq!(store.good_since(&filler, 0).await.unwrap(), 21);
    assert_eq!(
        store
            .counted_since(&filler, CounterKind::Scrap, 0)
            .await
            .unwrap(),
        0
    ); // baseline
    store.append_history(&[]).await.unwrap();

    // Never heard from: no state start known, so no state row.
    let mut silent = change("acme/x/y/z/w", StateKind::Offline, 0, 6_000, None);
    silent.state_since_ms = None;
    store.append_history(&[silent]).await.unwrap();
    assert!(
        store
            .state_history(&path("acme/x/y/z/w"), 0, 10_000)
            .await
            .unwrap()
            .is_empty()
    );
}

fn load(n: usize) -> Vec<WorkCenterChange> {
    let paths = [
        "acme/s/a/l/w1",
        "acme/s/a/l/w2",
        "acme/s/a/l/w3",
        "acme/s/a/l/w4",
    ];
    (0..n)
        .map(|i| {
            let p = paths[i % paths.len()];
            let step = (i / paths.len()) as i64;
            let state = if step % 2 == 0 {
                StateKind::Running
            } else {
                StateKind::Idle
            };
            change(p, state, step * 10, step * 10, Some(step as u64 + 1))
        })
        .collect()
}

async fn count(store: &Store, table: &'static str) -> i64 {
    let sql = match table {
        "state_history" => "SELECT COUNT(*) FROM state_history",
        _ => "SELECT COUNT(*) FROM counter_history",
    };
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn writer_flushes_remainder_when_handles_drop() {
    let (_dir, store) = fresh().await;
    let config = WriterConfig {
        flush_interval: Duration::from_secs(3600),
        ..WriterConfig::default()
    };
    let (handle, task) = HistoryWriter::spawn_with(store.clone(), config);
    let second = handle.clone();
    for c in load(3) {
        second.record(c).await.unwrap();
    }
    drop(second);
    drop(handle);
    task.await.unwrap();
    assert_eq!(count(&store, "state_history").await, 3);
    assert_eq!(count(&store, "counter_history").await, 3);
}

#[tokio::test]
async fn writer_flushes_on_interval() {
    let (_dir, store) = fresh().await;
    let config = WriterConfig {
        flush_interval: Duration::from_millis(50),
        ..WriterConfig::default()
    };
    let (handle, task) = HistoryWriter::spawn_with(store.clone(), config);
    handle.record(load(1).remove(0)).await.unwrap();
    let mut health = handle.health();
    tokio::time::timeout(Duration::from_secs(5), health.wait_for(|h| h.written == 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count(&store, "state_history").await, 1);
    drop(handle);
    task.await.unwrap();
}

#[tokio::test]
async fn writer_keeps_everything_under_load() {
    let (_dir, store) = fresh().await;
    let (handle, task) = HistoryWriter::spawn(store.clone(), 256);
    let records = load(10_000);
    // One producer per work center, like the plant task: each path's changes stay in order.
    let producers: Vec<_> = (0..4)
        .map(|k| {
            let handle = handle.clone();
            let chunk: Vec<_> = records.iter().skip(k).step_by(4).cloned().collect();
            tokio::spawn(async move {
                for c in chunk {
                    handle.record(c).await.unwrap();
                }
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    let health = handle.health();
    drop(handle);
    task.await.unwrap();
    assert_eq!(count(&store, "state_history").await, 10_000);
    assert_eq!(count(&store, "counter_history").await, 10_000);
    let h = health.borrow().clone();
    assert!(h.ok && h.written == 10_000 && h.pending == 0, "{h:?}");
    assert_eq!(
        store.good_since(&path("acme/s/a/l/w1"), 0).await.unwrap(),
        2_499
    );
}

#[tokio::test]
async fn writer_retries_and_reports_health_without_losing_records() {
    let (_dir, store) = fresh().await;
    sqlx::query("ALTER TABLE counter_history RENAME TO counter_history_away")
        .execute(store.pool())
        .await
        .unwrap();
    let config = WriterConfig {
        flush_interval: Duration::from_millis(10),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(40),
        ..WriterConfig::default()
    };
    let (handle, task) = HistoryWriter::spawn_with(store.clone(), config);
    let mut health = handle.health();
    for c in load(50) {
        handle.record(c).await.unwrap();
    }
    let down = tokio::time::timeout(Duration::from_secs(5), health.wait_for(|h| !h.ok))
        .await
        .unwrap()
        .unwrap()
        .clone();
    assert!(
        down.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("counter_history"),
        "{down:?}"
    );
    let link = down.link_status(store.target());
    assert_eq!(link.state, takt_plant::LinkState::Down);
    assert!(link.error.is_some() && link.hint.is_some());

    sqlx::query("ALTER TABLE counter_history_away RENAME TO counter_history")
        .execute(store.pool())
        .await
        .unwrap();
    let up = tokio::time::timeout(
        Duration::from_secs(5),
        health.wait_for(|h| h.ok && h.written == 50),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    assert!(up.last_error.is_some(), "the last error stays visible");
    assert_eq!(up.link_status("x").state, takt_plant::LinkState::Connected);
    drop(handle);
    task.await.unwrap();
    assert_eq!(count(&store, "state_history").await, 50);
    assert_eq!(count(&store, "counter_history").await, 50);
}

#[tokio::test]
async fn retention_deletes_old_history_but_keeps_what_was_in_effect() {
    let (_dir, store) = fresh().await;
    let filler = path(FILLER);
    let batch = vec![
        change(FILLER, StateKind::Running, 1_000, 1_000, Some(100)),
        change(FILLER, StateKind::Down, 2_000, 2_000, Some(110)),
        change(FILLER, StateKind::Running, 3_000, 3_000, Some(120)),
        change(FILLER, StateKind::Running, 3_000, 9_000, Some(130)),
    ];
    store.append_history(&batch).await.unwrap();
    let deleted = store.delete_history_before(5_000).await.unwrap();
    // States at 1 000 and 2 000 go, the one in effect at the cutoff (3 000) stays; readings likewise.
    let states = store.state_history(&filler, 0, 10_000).await.unwrap();
    assert_eq!(
        states.iter().map(|s| s.start_ms).collect::<Vec<_>>(),
        vec![3_000]
    );
    let counters = store
        .counter_history(&filler, CounterKind::Good, 0, 10_000)
        .await
        .unwrap();
    assert_eq!(counters.first().map(|c| c.timestamp_ms), Some(3_000));
    assert_eq!(counters.last().map(|c| c.timestamp_ms), Some(9_000));
    assert_eq!(deleted, 4, "two states and two readings");
    assert_eq!(
        store.delete_history_before(5_000).await.unwrap(),
        0,
        "idempotent"
    );
}
