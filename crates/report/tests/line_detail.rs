//! The line detail and downtime edits on a temporary SQLite file: bands, rates and losses
//! from hand-written history; edits stored in the journal, replayed after a reopen, charged
//! in the OEE; refused edits store nothing.

use takt_model::StateKind;
use takt_oee::{AuditAction, AuditEntry, EventKey, StopCategory, demo_reason_tree};
use takt_report::{HistoryOptions, ReportError, edit_downtime, line_detail, scope_oee};
use takt_store::Store;

mod common;
use common::*;

fn tree_options() -> HistoryOptions {
    HistoryOptions {
        reasons: demo_reason_tree(),
        ..options()
    }
}

fn line() -> takt_model::EquipmentPath {
    path("acme/s1/a1/l1")
}

fn jam() -> EventKey {
    EventKey::new(&path(WC), at(12, 0))
}

/// start, end, reason, comment, edited by
type RowSummary<'a> = (i64, i64, Option<&'a str>, Option<&'a str>, Option<&'a str>);

async fn edit(store: &Store, action: AuditAction, user: &str) -> Result<(), ReportError> {
    edit_downtime(
        store,
        &line(),
        shift(),
        tree_options(),
        action,
        user,
        at(17, 0),
    )
    .await
    .map(|_| ())
}

#[tokio::test]
async fn the_detail_shows_bands_rates_losses_and_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;

    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    assert_eq!(d.label, "Line One");
    assert_eq!(d.range, shift());
    assert_eq!(d.planned, vec![shift()]);
    assert_eq!(d.until, shift().end, "now (23:00) is after the range");
    let wc = &d.work_centers[0];
    let bands: Vec<(i64, i64, StateKind)> =
        wc.bands.iter().map(|b| (b.start, b.end, b.kind)).collect();
    assert_eq!(
        bands,
        [
            (at(8, 0), at(12, 0), StateKind::Running),
            (at(12, 0), at(13, 0), StateKind::Down),
            (at(13, 0), at(16, 0), StateKind::Running),
        ]
    );
    // 390 parts in 7 h of run time; the ideal is one a minute.
    assert_eq!((wc.good, wc.scrap), (380, 10));
    assert_eq!(wc.rate_per_hour, Some(390.0 / 7.0));
    assert_eq!(wc.standard_per_hour, Some(60.0));
    // The line total is the work center's, with the losses the history test derives.
    assert_eq!(d.total.losses.breakdowns, 60 * MIN);
    assert_eq!(d.total.oee, 380.0 / 480.0);
    assert_eq!((d.output, d.scrap, d.target), (380, 10, Some(480)));
    assert_eq!(d.downtime.len(), 1);
    let row = &d.downtime[0];
    assert_eq!(row.event.key(), jam());
    assert_eq!(row.event.reason.as_deref(), Some("mech/jam"));
    assert_eq!(row.reason_label.as_deref(), Some("Jam"));
    assert_eq!(row.category, StopCategory::Breakdown);
    assert!(row.event.auto && row.edited_by.is_none());
    assert!(
        d.reasons
            .iter()
            .any(|r| r.code == "setup/adjust" && r.depth == 1)
    );
    assert_eq!(d.stale_edits, 0);
}

#[tokio::test]
async fn edits_are_stored_replayed_after_a_reopen_and_charged_in_the_oee() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = plant(&dir).await;
        standard_day(&store).await;
        // The hour down was 40 min of jam and 20 min of adjustment (a setup loss).
        edit(
            &store,
            AuditAction::Split {
                event: jam(),
                at: at(12, 40),
            },
            "anna",
        )
        .await
        .unwrap();
        edit(
            &store,
            AuditAction::AssignReason {
                event: EventKey::new(&path(WC), at(12, 40)),
                reason: Some("setup/adjust".into()),
            },
            "anna",
        )
        .await
        .unwrap();
        edit(
            &store,
            AuditAction::Comment {
                event: jam(),
                text: Some("guide rail bent".into()),
            },
            "ben",
        )
        .await
        .unwrap();
        store.close().await;
    }

    let store = Store::open_file(&dir.path().join("takt.db")).await.unwrap();
    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    let rows: Vec<RowSummary<'_>> = d
        .downtime
        .iter()
        .map(|r| {
            (
                r.event.start,
                r.event.end,
                r.event.reason.as_deref(),
                r.event.comment.as_deref(),
                r.edited_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                at(12, 0),
                at(12, 40),
                Some("mech/jam"),
                Some("guide rail bent"),
                Some("ben")
            ),
            (
                at(12, 40),
                at(13, 0),
                Some("setup/adjust"),
                None,
                Some("anna")
            ),
        ]
    );
    assert!(d.downtime[1].adjacent_to_previous);
    assert_eq!(d.downtime[1].category, StopCategory::Setup);
    // The losses follow the edit: 40 min breakdown, 20 min setup.
    assert_eq!(d.total.losses.breakdowns, 40 * MIN);
    assert_eq!(d.total.losses.setups, 20 * MIN);
    // So do the reports read through the same history adapter.
    let r = scope_oee(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    assert_eq!(r.total.losses.setups, 20 * MIN);

    // The journal keeps who, when, before and after.
    let journal = store.downtime_audit(&path(WC), 0, i64::MAX).await.unwrap();
    assert_eq!(journal.len(), 3);
    let first: AuditEntry = serde_json::from_str(&journal[0].entry).unwrap();
    assert_eq!(first.user, "anna");
    assert_eq!(first.at, at(17, 0));
    assert_eq!(first.before.len(), 1);
    assert_eq!(first.after.len(), 2);

    // Merging the two parts back is one more audited edit, not an erasure.
    edit(
        &store,
        AuditAction::Merge {
            first: jam(),
            second: EventKey::new(&path(WC), at(12, 40)),
        },
        "cem",
    )
    .await
    .unwrap();
    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    assert_eq!(d.downtime.len(), 1);
    assert_eq!(d.downtime[0].event.end, at(13, 0));
    assert_eq!(d.downtime[0].edited_by.as_deref(), Some("cem"));
    assert_eq!(
        store
            .downtime_audit(&path(WC), 0, i64::MAX)
            .await
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn refused_edits_explain_themselves_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;

    let comment = |event: EventKey| AuditAction::Comment {
        event,
        text: Some("x".into()),
    };
    let refusals = [
        (
            AuditAction::Split {
                event: jam(),
                at: at(14, 0),
            },
            "anna",
            "split strictly inside",
        ),
        (
            AuditAction::AssignReason {
                event: jam(),
                reason: Some("no/such".into()),
            },
            "anna",
            "not in the reason tree",
        ),
        (
            comment(EventKey::new(&path(WC), at(9, 0))),
            "anna",
            "no downtime event",
        ),
        (comment(jam()), "  ", "name of the user"),
    ];
    for (action, user, expected) in refusals {
        let err = edit(&store, action, user).await.unwrap_err();
        assert!(matches!(err, ReportError::Edit(_)), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
    }
    let elsewhere = edit(
        &store,
        comment(EventKey::new(&path("acme/s1/a1/l2/wc9"), at(12, 0))),
        "anna",
    )
    .await
    .unwrap_err();
    assert!(matches!(elsewhere, ReportError::UnknownScope { .. }));

    assert!(
        store
            .downtime_audit(&path(WC), 0, i64::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    assert_eq!(d.downtime[0].event.reason.as_deref(), Some("mech/jam"));
    assert!(d.downtime[0].event.auto);
}

#[tokio::test]
async fn an_edit_made_stale_by_late_data_is_counted_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;
    edit(
        &store,
        AuditAction::Split {
            event: jam(),
            at: at(12, 50),
        },
        "anna",
    )
    .await
    .unwrap();
    // A late message: the line was actually running again from 12:30, so no stop spans
    // 12:50 any more.
    store
        .append_history(&[change(
            at(12, 30),
            Some((StateKind::Running, None)),
            None,
            None,
        )])
        .await
        .unwrap();
    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    assert_eq!(d.stale_edits, 1);
    assert_eq!(d.downtime.len(), 1);
    assert_eq!(d.downtime[0].event.end, at(12, 30));
}

#[tokio::test]
async fn a_running_shift_is_measured_up_to_now() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;
    let options = HistoryOptions {
        now_ms: at(12, 30),
        ..tree_options()
    };
    let d = line_detail(&store, &line(), shift(), options)
        .await
        .unwrap();
    assert_eq!(d.until, at(12, 30));
    // Four and a half hours planned so far, the last half hour down; the target so far
    // is 270 parts at one a minute.
    assert_eq!(d.total.planned_time_ms, 270 * MIN);
    assert_eq!(d.total.losses.breakdowns, 30 * MIN);
    assert_eq!(d.target, Some(270));
    // The bands and the planned windows still span the whole shift (the rest is empty).
    assert_eq!(d.planned, vec![shift()]);
    assert_eq!(d.work_centers[0].bands.last().unwrap().end, at(12, 30));
}

#[tokio::test]
async fn each_order_gets_its_own_oee_over_the_time_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;
    // WO-1 runs since 07:00 (the fixture); WO-2 takes over at 13:00, after the jam.
    store
        .append_order_history(&[takt_store::OrderRecord {
            path: line(),
            start_ms: at(13, 0),
            order: Some("WO-2".into()),
            product: Some("P-1".into()),
            received_ms: at(13, 0),
        }])
        .await
        .unwrap();

    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    let orders: Vec<(&str, i64, i64, u64, u64)> = d
        .orders
        .iter()
        .map(|o| (o.order.as_str(), o.start, o.end, o.output, o.scrap))
        .collect();
    // Clipped to the shift; the counts of 10:00 and 12:00 are WO-1's, the rest WO-2's.
    assert_eq!(
        orders,
        [
            ("WO-1", at(8, 0), at(13, 0), 200, 0),
            ("WO-2", at(13, 0), at(16, 0), 180, 10),
        ]
    );
    let (wo1, wo2) = (&d.orders[0].oee, &d.orders[1].oee);
    // WO-1: 5 h planned, 4 h run (the jam is its loss), 200 good at one a minute.
    assert_eq!(wo1.planned_time_ms, 300 * MIN);
    assert_eq!(wo1.losses.breakdowns, 60 * MIN);
    assert_eq!(wo1.availability, 0.8);
    assert_eq!(wo1.oee, 200.0 / 300.0);
    // WO-2: no stop, and its scrap is its own.
    assert_eq!((wo2.planned_time_ms, wo2.availability), (180 * MIN, 1.0));
    assert!(wo2.quality < 1.0 && wo1.quality == 1.0);
    assert_eq!(d.orders[0].product.as_deref(), Some("P-1"));
    // Together they are the line's.
    assert_eq!(
        d.orders.iter().map(|o| o.output).sum::<u64>(),
        d.output,
        "{orders:?}"
    );
}

#[tokio::test]
async fn breaks_in_the_stored_calendar_are_not_planned_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;
    let site = path("acme/s1");
    let mut calendar = store.shift_calendar(&site).await.unwrap().unwrap();
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    calendar.shifts[0].breaks.push(takt_model::ShiftBreak {
        name: "lunch".into(),
        start: hm(10, 0),
        end: hm(10, 30),
    });
    store.save_shift_calendar(&site, &calendar).await.unwrap();

    let d = line_detail(&store, &line(), shift(), tree_options())
        .await
        .unwrap();
    assert_eq!(
        d.planned,
        vec![
            takt_oee::Interval::new(at(8, 0), at(10, 0)),
            takt_oee::Interval::new(at(10, 30), at(16, 0)),
        ]
    );
    // 7.5 h planned; the half hour of running in the break is neither run time nor a loss.
    assert_eq!(d.total.planned_time_ms, 450 * MIN);
    assert_eq!(d.total.run_time_ms, 390 * MIN);
    assert_eq!(d.total.losses.breakdowns, 60 * MIN);
    assert_eq!(d.target, Some(450), "the target leaves the break out too");
}
