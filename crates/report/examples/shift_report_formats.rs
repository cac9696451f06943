//! Times drawing one shift report as SVG, PNG and PDF and prints the sizes.
//!
//! `cargo run --release -p takt-report --example shift_report_formats [out dir]`
//!
//! A seeded day of one line (five work centers, three shifts) in a temporary database; with
//! an out dir the three files are written there to look at. The first run of each format
//! is timed apart: PNG registers its font and PDF scans the system fonts once per process.

use std::time::Instant;
use takt_report::{HistoryOptions, ReportFormat, fill_generated_history, render, shift_report};
use takt_store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map(std::path::PathBuf::from);
    let dir = tempfile::tempdir()?;
    let store = Store::open_file(&dir.path().join("takt.db")).await?;
    let g = fill_generated_history(&store, 5, 2, 42, 2_000).await?;
    let line = g.lines.first().ok_or("the generator made no line")?;
    let tz: chrono_tz::Tz = "Europe/Berlin".parse()?;
    let date = chrono::DateTime::from_timestamp_millis(g.range.start)
        .ok_or("range start out of range")?
        .with_timezone(&tz)
        .date_naive();
    let options = HistoryOptions {
        now_ms: g.range.end,
        ..HistoryOptions::default()
    };
    let report = shift_report(&store, line, date, options).await?;
    store.close().await;

    for format in [ReportFormat::Svg, ReportFormat::Png, ReportFormat::Pdf] {
        let t = Instant::now();
        let bytes = render(&report, format)?;
        let first = t.elapsed().as_secs_f64() * 1e3;
        let mut best = f64::MAX;
        for _ in 0..10 {
            let t = Instant::now();
            render(&report, format)?;
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "{:>3}: first {first:7.1} ms, best of 10 {best:6.1} ms, {:7.1} KiB",
            format.extension(),
            bytes.len() as f64 / 1024.0
        );
        if let Some(out) = &out {
            let file = out.join(format!(
                "shift-report-{}-{date}.{}",
                line.name(),
                format.extension()
            ));
            std::fs::write(&file, &bytes)?;
            println!("     written to {}", file.display());
        }
    }
    Ok(())
}
