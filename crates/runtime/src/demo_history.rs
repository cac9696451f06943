//! The demo plant's recent past. On the first start with an empty database, the last
//! [`BACKFILL_MS`] (at least the running shift) are simulated at once and written to the
//! historian, so that OEE, the line detail (this shift and the previous one), the shift report
//! and downtime editing have history from the first second, as on a plant where Takt has been
//! running, even when the demo starts minutes into a shift.
//!
//! The same simulator and the same plant-state rules as the live demo produce the records; only
//! the counters are sampled every five minutes instead of every second, and states are not
//! re-announced (a shift is then a few thousand rows, written in about half a second, instead of
//! three quarters of a million). The live demo then continues that very simulator, so its
//! machines, orders and counters carry on from the history instead of starting over.

use takt_model::{FeedPayload, TimestampMs};
use takt_plant::{PlantConfig, PlantState, WorkCenterChange};
use takt_sim::{DemoDataset, SimOptions, Simulator};
use takt_store::{OrderRecord, Store, StoreError};

/// How far back the demo's history goes (further if the running shift started earlier).
pub(crate) const BACKFILL_MS: i64 = 8 * 3_600_000;
/// Simulation step: short enough for micro-stops of a few seconds.
const STEP_MS: i64 = 1_000;
/// Records written per transaction.
const BATCH: usize = 5_000;

/// What [`backfill`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backfilled {
    pub from_ms: TimestampMs,
    pub changes: usize,
    pub orders: usize,
    pub simulate_ms: u128,
    pub write_ms: u128,
}

/// Simulates the demo plant from eight hours back (or the start of the shift running at `now`,
/// if earlier) to `now` and stores the result as history. Returns the simulator, for the live demo to
/// continue.
pub(crate) async fn backfill(
    store: &Store,
    dataset: &DemoDataset,
    config: PlantConfig,
    now: TimestampMs,
) -> Result<(Backfilled, Simulator), StoreError> {
    let from = dataset
        .calendar
        .shift_at(now)
        .ok()
        .flatten()
        .map_or(now - BACKFILL_MS, |s| s.start_ms.min(now - BACKFILL_MS));
    let started = std::time::Instant::now();
    let (changes, orders, sim) = simulate(dataset, config, from, now);
    let simulate_ms = started.elapsed().as_millis();
    store.append_order_history(&orders).await?;
    for batch in changes.chunks(BATCH) {
        store.append_history(batch).await?;
    }
    let done = Backfilled {
        from_ms: from,
        changes: changes.len(),
        orders: orders.len(),
        simulate_ms,
        write_ms: started.elapsed().as_millis() - simulate_ms,
    };
    Ok((done, sim))
}

fn simulate(
    dataset: &DemoDataset,
    config: PlantConfig,
    from: TimestampMs,
    to: TimestampMs,
) -> (Vec<WorkCenterChange>, Vec<OrderRecord>, Simulator) {
    let options = SimOptions {
        counter_interval_ms: 300_000,
        // Re-announcements keep a live feed fresh; history has no use for them (they were
        // three quarters of the records).
        heartbeat_ms: 3_600_000,
        ..SimOptions::default()
    };
    let mut sim = Simulator::new(dataset, options);
    let mut state = PlantState::new(config, from);
    let mut changes = Vec::new();
    let mut orders = Vec::new();
    let mut t = from;
    while t < to {
        for event in sim.step(t) {
            if let FeedPayload::Order { order, product } = &event.payload {
                orders.push(OrderRecord {
                    path: event.path.clone(),
                    start_ms: event.timestamp_ms,
                    order: order.clone(),
                    product: product.clone(),
                    received_ms: event.timestamp_ms,
                });
            }
            // The simulator only produces events the plant knows; a refusal would be a bug
            // in the demo, and costs one record, not the start.
            if let Ok(Some(change)) = state.apply("demo-history", &event, t) {
                changes.push(change);
            }
        }
        t += STEP_MS;
    }
    (changes, orders, sim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_hour_of_demo_history_lands_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_file(&dir.path().join("takt.db")).await.unwrap();
        // 2026-11-25 10:00 Europe/Berlin: four hours into the early shift (06:00–14:00).
        let now = 1_796_029_200_000;
        let dataset = DemoDataset::new(2, now, 48);
        store.save_plant(&dataset.plant).await.unwrap();
        let mut config = PlantConfig::new(Some(dataset.plant.clone()));
        config
            .calendars
            .insert(dataset.site.clone(), dataset.calendar.clone());
        config.products = dataset
            .products
            .iter()
            .map(|p| (p.code.clone(), p.clone()))
            .collect();
        let (done, _) = backfill(&store, &dataset, config, now).await.unwrap();
        let shift = dataset.calendar.shift_at(now).unwrap().unwrap();
        // Eight hours back: the whole early shift so far and half of the night before.
        assert_eq!(done.from_ms, now - BACKFILL_MS);
        assert!(done.from_ms < shift.start_ms);
        assert!(done.orders >= 2, "{done:?}");
        assert!(done.changes > 100, "{done:?}");
        let line = dataset.plant.lines()[0].0.clone();
        let wc = line
            .child(&dataset.plant.lines()[0].1.work_centers[0].name)
            .unwrap();
        let states = store.state_history(&wc, shift.start_ms, now).await.unwrap();
        assert!(states.len() > 3, "{states:?}");
        assert!(
            states
                .iter()
                .all(|s| s.start_ms >= now - BACKFILL_MS && s.start_ms < now)
        );
        let good = store.good_since(&wc, shift.start_ms).await.unwrap();
        assert!(good > 100, "{good} good parts in four hours");
    }
}
