//! A seeded synthetic history written through the real store API: the plant, its shift
//! calendar, products, order history and the state and counter history of
//! [`takt_oee::generate_history`] (N work centers, five per line, 25 per area).
//!
//! Counters are written as the feed delivers them, cumulative, and every
//! `reset_every`-th reading of a counter restarts from zero as a PLC restart would; the
//! generated increments are kept exactly (the reading after a reset is the parts since it).

use crate::ReportError;
use std::collections::BTreeMap;
use takt_model::{Area, CounterKind, EquipmentPath, Line, Plant, Site, StateKind, WorkCenter};
use takt_oee::{GeneratedHistory, Interval, generate_history};
use takt_plant::{FeedHealth, WorkCenterChange};
use takt_store::{OrderRecord, Store};

/// What was written, for checks (the calendar, breaks included, is stored with the site).
#[derive(Debug, Clone)]
pub struct GeneratedDatabase {
    pub range: Interval,
    pub site: EquipmentPath,
    pub lines: Vec<EquipmentPath>,
    pub state_rows: usize,
    pub counter_readings: usize,
    /// Generated good and scrap parts (all inside planned time).
    pub good: u64,
    pub scrap: u64,
}

/// What happened at one instant: a new state, good and scrap parts.
type Instant = (Option<(StateKind, Option<String>)>, u64, u64);

/// Changes per transaction: large enough to amortise the commit, small enough for memory.
const BATCH: usize = 5_000;

/// Fills `store` (expected empty) with `work_centers` × `days` of history.
/// `reset_every`: restart each counter from zero every that many readings (0: never).
pub async fn fill_generated_history(
    store: &Store,
    work_centers: usize,
    days: u32,
    seed: u64,
    reset_every: usize,
) -> Result<GeneratedDatabase, ReportError> {
    let history = generate_history(work_centers, days, seed);
    let plant = plant_of(&history);
    store.save_plant(&plant).await?;
    let site =
        EquipmentPath::parse("acme/plant").map_err(|e| ReportError::Internal(e.to_string()))?;
    store.save_shift_calendar(&site, &history.calendar).await?;
    store.upsert_products(&history.products).await?;

    let mut orders = Vec::new();
    let mut changes: Vec<WorkCenterChange> = Vec::with_capacity(BATCH);
    let (mut state_rows, mut counter_readings, mut good, mut scrap) = (0, 0, 0, 0);
    for wc in &history.work_centers {
        // The generator runs orders per work center; they are stored on the work center.
        orders.extend(wc.orders.iter().map(|o| OrderRecord {
            path: wc.path.clone(),
            start_ms: o.at,
            order: o.order.clone(),
            product: o.product.clone(),
            received_ms: o.at,
        }));
        // Counts at one instant become one reading per counter.
        let mut at: BTreeMap<i64, Instant> = BTreeMap::new();
        for s in &wc.states {
            at.entry(s.at).or_default().0 = Some((s.kind, s.reason.clone()));
        }
        for c in &wc.counts {
            let e = at.entry(c.at).or_default();
            match c.kind {
                CounterKind::Good => e.1 += c.parts,
                CounterKind::Scrap => e.2 += c.parts,
            }
        }
        let (mut good_total, mut scrap_total) = (0u64, 0u64);
        let (mut good_n, mut scrap_n) = (0usize, 0usize);
        let mut state = (StateKind::Idle, None);
        for (t, (new_state, g, s)) in at {
            let since = new_state.is_some().then_some(t);
            if let Some(ns) = new_state {
                state = ns;
                state_rows += 1;
            }
            let bump = |total: &mut u64, n: &mut usize, parts: u64| {
                if parts == 0 {
                    return None;
                }
                *n += 1;
                if reset_every > 0 && (*n).is_multiple_of(reset_every) {
                    *total = 0;
                }
                *total += parts;
                Some(*total)
            };
            let mut good_reading = bump(&mut good_total, &mut good_n, g);
            let mut scrap_reading = bump(&mut scrap_total, &mut scrap_n, s);
            if t == history.range.start {
                // Zero readings at the start: the first reading of a counter is only a
                // baseline, so without them the first parts would not count.
                good_reading = good_reading.or(Some(0));
                scrap_reading = scrap_reading.or(Some(0));
            }
            good += g;
            scrap += s;
            counter_readings +=
                usize::from(good_reading.is_some()) + usize::from(scrap_reading.is_some());
            changes.push(WorkCenterChange {
                path: wc.path.clone(),
                state: state.0,
                reason: state.1.clone(),
                good: 0,
                scrap: 0,
                state_since_ms: since,
                timestamp_ms: t,
                received_ms: t,
                good_total: good_reading,
                scrap_total: scrap_reading,
                feed: FeedHealth::Live,
            });
            if changes.len() >= BATCH {
                store.append_history(&changes).await?;
                changes.clear();
            }
        }
    }
    store.append_history(&changes).await?;
    for chunk in orders.chunks(BATCH) {
        store.append_order_history(chunk).await?;
    }
    Ok(GeneratedDatabase {
        range: history.range,
        lines: plant.lines().into_iter().map(|(p, _)| p).collect(),
        site,
        state_rows,
        counter_readings,
        good,
        scrap,
    })
}

/// The generator's paths (`acme/plant/area{i/25}/line{i/5}/wc{i}`) as a plant.
fn plant_of(history: &GeneratedHistory) -> Plant {
    let mut areas: Vec<Area> = Vec::new();
    for wc in &history.work_centers {
        let segments: Vec<&str> = wc.path.segments().collect();
        let (area, line, name) = (segments[2], segments[3], segments[4]);
        if areas.last().is_none_or(|a| a.name != area) {
            areas.push(Area {
                name: area.into(),
                lines: Vec::new(),
            });
        }
        let lines = &mut areas.last_mut().expect("pushed above").lines;
        if lines.last().is_none_or(|l| l.name != line) {
            let n: String = line.chars().filter(char::is_ascii_digit).collect();
            lines.push(Line {
                name: line.into(),
                description: format!("Line {n}"),
                work_centers: Vec::new(),
            });
        }
        lines
            .last_mut()
            .expect("pushed above")
            .work_centers
            .push(WorkCenter {
                name: name.into(),
                description: String::new(),
            });
    }
    Plant {
        enterprise: "acme".into(),
        sites: vec![Site {
            name: "plant".into(),
            timezone: history.calendar.timezone.clone(),
            areas,
        }],
    }
}
