//! Times the report query path end to end: SQLite → OEE per work center, line and plant →
//! loss Pareto.
//!
//! `cargo run --release -p takt-report --example oee_query_bench [db file] [work_centers] [days] [seed]`
//! (defaults `target/oee_bench.db`, 50, 30, 42). The file is filled with the seeded history on
//! the first run (through the real store API) and reused afterwards. The target is ≤ 200 ms
//! for 50 work centers × 30 days.

use std::path::PathBuf;
use std::time::Instant;
use takt_model::EquipmentPath;
use takt_report::{HistoryOptions, fill_generated_history, load_history};
use takt_store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or("target".into(), PathBuf::from);
        target.join("oee_bench.db")
    });
    let mut num = || args.next().and_then(|a| a.parse::<u64>().ok());
    let wcs = num().unwrap_or(50) as usize;
    let days = num().unwrap_or(30) as u32;
    let seed = num().unwrap_or(42);

    let fresh = !file.exists();
    let store = Store::open_file(&file).await?;
    // Breaks are not stored in calendars yet: take them from the generator.
    let history = takt_oee::generate_history(1, 1, seed);
    let range = takt_oee::Interval::new(
        history.range.start,
        history.range.start + i64::from(days) * 86_400_000,
    );
    if fresh {
        let t = Instant::now();
        let g = fill_generated_history(&store, wcs, days, seed, 2_000).await?;
        println!(
            "filled {} in {:.1} s: {} state rows, {} counter readings ({} good, {} scrap parts)",
            file.display(),
            t.elapsed().as_secs_f64(),
            g.state_rows,
            g.counter_readings,
            g.good,
            g.scrap
        );
    } else {
        println!("reusing {} (delete it to regenerate)", file.display());
    }

    let scope = EquipmentPath::parse("acme/plant")?;
    let options = HistoryOptions {
        reasons: history.reasons.clone(),
        now_ms: range.end,
        ..HistoryOptions::default()
    };
    let mut best = f64::MAX;
    for run in 0..5 {
        let t = Instant::now();
        let loaded = load_history(&store, &scope, range, options.clone()).await?;
        let read_ms = t.elapsed().as_secs_f64() * 1e3;
        let result = loaded.oee();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        best = best.min(ms);
        let o = &result.total;
        println!(
            "run {run}: {ms:.1} ms (read + convert {read_ms:.1} ms); {} lines, {} work centers; \
             OEE {:.1} % (A {:.1} %, P {:.1} %, Q {:.1} %), good {}, scrap {}, uncosted {}; top loss {:?} {} {:.1} h",
            result.lines.len(),
            result
                .lines
                .iter()
                .map(|l| l.work_centers.len())
                .sum::<usize>(),
            o.oee * 100.0,
            o.availability * 100.0,
            o.performance * 100.0,
            o.quality * 100.0,
            o.good,
            o.scrap,
            o.uncosted_parts,
            result.pareto.first().map(|r| r.category),
            result
                .pareto
                .first()
                .and_then(|r| r.reason.as_deref())
                .unwrap_or("(no reason)"),
            result
                .pareto
                .first()
                .map_or(0.0, |r| r.duration_ms as f64 / 3.6e6),
        );
    }
    println!(
        "SQLite → OEE + loss Pareto, {wcs} work centers × {days} days, best of 5: {best:.1} ms"
    );

    // The line detail view: one line over one day (what a supervisor opens), then one
    // audited edit (check, journal write, recompute).
    let any = load_history(&store, &scope, range, options.clone())
        .await?
        .oee();
    let Some(line) = any.lines.first().map(|l| l.line.clone()) else {
        return Ok(());
    };
    let day = takt_oee::Interval::new(range.end - 86_400_000, range.end);
    let mut detail_best = f64::MAX;
    let mut detail = None;
    for _ in 0..5 {
        let t = Instant::now();
        detail = Some(takt_report::line_detail(&store, &line, day, options.clone()).await?);
        detail_best = detail_best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    let Some(detail) = detail else { return Ok(()) };
    println!(
        "line detail of {line} over one day ({} work centers, {} stops, {} bands): best of 5 {detail_best:.1} ms",
        detail.work_centers.len(),
        detail.downtime.len(),
        detail
            .work_centers
            .iter()
            .map(|w| w.bands.len())
            .sum::<usize>(),
    );
    if let Some(stop) = detail.downtime.iter().find(|r| r.event.comment.is_none()) {
        let t = Instant::now();
        takt_report::edit_downtime(
            &store,
            &line,
            day,
            options.clone(),
            takt_oee::AuditAction::Comment {
                event: stop.event.key(),
                text: Some("benchmark".into()),
            },
            "bench",
            range.end,
        )
        .await?;
        println!(
            "one downtime edit (check, journal, recompute): {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
