//! Times in-memory OEE and the loss Pareto over a generated history.
//!
//! `cargo run --release -p takt-oee --example oee_bench [work_centers] [days] [seed]`
//! (defaults 50, 30, 42). The target is ≤ 200 ms for 50 work centers × 30 days, from raw
//! events to the Pareto, on one core.

use std::collections::BTreeMap;
use std::time::Instant;
use takt_oee::*;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let wcs = args.next().flatten().unwrap_or(50) as usize;
    let days = args.next().flatten().unwrap_or(30) as u32;
    let seed = args.next().flatten().unwrap_or(42);

    let t = Instant::now();
    let history = generate_history(wcs, days, seed);
    let generated_ms = t.elapsed().as_secs_f64() * 1e3;
    let states: usize = history.work_centers.iter().map(|w| w.states.len()).sum();
    let counts: usize = history.work_centers.iter().map(|w| w.counts.len()).sum();

    let mut best = f64::MAX;
    let mut summary = String::new();
    for _ in 0..5 {
        let start = Instant::now();
        // 1. Timelines, downtime events, planned time.
        let now = history.range.end;
        let timelines: Vec<StateTimeline> = history
            .work_centers
            .iter()
            .map(|w| StateTimeline::from_events(w.path.clone(), &w.states, now))
            .collect();
        let config = OeeConfig::default();
        let mut log = DowntimeLog::new(history.reasons.clone(), config.micro_stop_threshold_ms)
            .expect("demo reason tree is valid");
        log.rederive(&timelines);
        let plan = ShiftPlan::from_calendar(&history.calendar, history.range)
            .expect("demo calendar is valid");
        let planned = plan.planned_time();
        let cycles = IdealCycles::from_products(&history.products);
        let prepared = start.elapsed().as_secs_f64() * 1e3;

        // 2. OEE per work center (whole range, every shift, every day), per line, plant.
        let mut per_wc = Vec::with_capacity(wcs);
        let mut shift_results = 0;
        for (w, tl) in history.work_centers.iter().zip(&timelines) {
            let downtime: Vec<DowntimeEvent> = log.events_of(&w.path).cloned().collect();
            let engine = OeeEngine::new(OeeInputs {
                timeline: tl,
                downtime: &downtime,
                counts: &w.counts,
                ideal_cycles: &cycles,
                planned: &planned,
                reasons: Some(log.reasons()),
                config,
            });
            shift_results += engine.by_shift(&plan).len();
            shift_results += engine.by_day(&plan).len();
            per_wc.push((w.path.parent(), engine.range(history.range)));
        }
        let mut lines: BTreeMap<String, Vec<&Oee>> = BTreeMap::new();
        for (line, o) in &per_wc {
            let key = line.as_ref().map_or("", |l| l.as_str()).to_owned();
            lines.entry(key).or_default().push(o);
        }
        let line_oee: Vec<Oee> = lines
            .values()
            .map(|v| Oee::sum(v.iter().copied()))
            .collect();
        let plant = Oee::sum(&line_oee);

        // 3. Pareto.
        let rows = pareto(&plant.by_reason, ParetoBy::Duration, None);
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if elapsed < best {
            best = elapsed;
            summary = format!(
                "  prepare (timelines, events, plan) {prepared:.1} ms; {shift_results} shift/day results\n  \
                 plant OEE {:.1} % (A {:.1} %, P {:.1} %, Q {:.1} %), {} lines\n  \
                 top loss: {:?} {} {:.1} h ({:.0} % cumulative of {} rows)",
                plant.oee * 100.0,
                plant.availability * 100.0,
                plant.performance * 100.0,
                plant.quality * 100.0,
                line_oee.len(),
                rows[0].category,
                rows[0].reason.as_deref().unwrap_or("(no reason)"),
                rows[0].duration_ms as f64 / 3.6e6,
                rows[0].cumulative_share * 100.0,
                rows.len(),
            );
        }
    }
    println!(
        "{wcs} work centers × {days} days (seed {seed}): {states} state events, {counts} count events, \
         generated in {generated_ms:.0} ms"
    );
    println!("OEE + loss Pareto, best of 5: {best:.1} ms");
    println!("{summary}");
}
