//! `takt report oee`: OEE, its losses and the loss Pareto of any equipment (enterprise, site,
//! area, line, work center) over any time range, from the MES database, as text or JSON.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};
use std::fmt::Write as _;
use takt_model::{EquipmentPath, TimestampMs};
use takt_oee::{Interval, Oee, StopCategory};
use takt_report::ScopeOee;

#[derive(clap::Args)]
pub struct OeeArgs {
    /// Equipment path: a work center, line, area, site or the enterprise.
    #[arg(long)]
    scope: String,
    /// Start: RFC 3339 (2026-11-25T06:00:00+01:00), or local `YYYY-MM-DD[THH:MM]`.
    #[arg(long)]
    from: String,
    /// End (exclusive), same forms; a date alone means the end of that day.
    #[arg(long)]
    to: String,
    /// sqlite:///path/takt.db. Default: the app's database.
    #[arg(long)]
    database: Option<String>,
    /// Print the whole result as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Pareto rows to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// A point in time from the command line; `end_of_day` turns a bare date into the next midnight.
pub fn parse_time(text: &str, end_of_day: bool) -> Result<TimestampMs, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| format!("`{text}` does not exist in the local time zone"))
    };
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
        return local(t);
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = if end_of_day {
            d.succ_opt()
                .ok_or_else(|| format!("`{text}` is too far out"))?
        } else {
            d
        };
        return local(day.and_time(chrono::NaiveTime::MIN));
    }
    Err(format!(
        "`{text}` is not a time: use RFC 3339 (2026-11-25T06:00:00+01:00), YYYY-MM-DDTHH:MM or YYYY-MM-DD"
    ))
}

pub async fn run(args: OeeArgs) -> Result<(), String> {
    let scope = EquipmentPath::parse(args.scope.trim())
        .map_err(|e| format!("--scope `{}` is not an equipment path ({e})", args.scope))?;
    let from = parse_time(&args.from, false)?;
    let to = parse_time(&args.to, true)?;
    if to <= from {
        return Err("--to must be after --from".into());
    }
    let store = crate::open_report_database(args.database.as_deref()).await?;
    let result = takt_report::scope_oee(
        &store,
        &scope,
        Interval::new(from, to),
        crate::report_options(),
    )
    .await
    .map_err(|e| e.to_string());
    store.close().await;
    let result = result?;
    if args.json {
        let json = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print!("{}", table(&result, args.top));
    }
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:5.1} %", x * 100.0)
}

fn hours(ms: i64) -> String {
    format!("{:7.1} h", ms as f64 / 3_600_000.0)
}

fn row(out: &mut String, name: &str, o: &Oee) {
    let _ = writeln!(
        out,
        "{name:<44} {} {} {} {} {} {:>9} {:>7}",
        pct(o.oee),
        pct(o.availability),
        pct(o.performance),
        pct(o.quality),
        hours(o.planned_time_ms),
        o.good,
        o.scrap
    );
}

/// The result as a plain table: lines and their work centers, the total, the six losses and
/// the Pareto.
fn table(r: &ScopeOee, top: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<44} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7}",
        "", "OEE", "A", "P", "Q", "planned", "good", "scrap"
    );
    for line in &r.lines {
        row(&mut out, &line.label, &line.line_total);
        for (wc, o) in &line.work_centers {
            row(&mut out, &format!("  {}", wc.name()), o);
        }
    }
    row(&mut out, "total", &r.total);
    let l = &r.total.losses;
    let _ = writeln!(
        out,
        "\nlosses: breakdowns {} · setups {} · micro-stops {} · reduced speed {} · start-up rejects {} · production rejects {}",
        hours(l.breakdowns).trim(),
        hours(l.setups).trim(),
        hours(l.micro_stops).trim(),
        hours(l.reduced_speed).trim(),
        hours(l.startup_rejects).trim(),
        hours(l.production_rejects).trim(),
    );
    let _ = writeln!(out, "\nstop reasons (Pareto by duration):");
    for p in r.pareto.iter().take(top) {
        let _ = writeln!(
            out,
            "  {:<36} {:<10} {} {:>6} stops {:>5.1} % (cumulative {:>5.1} %)",
            p.reason.as_deref().unwrap_or("(no reason)"),
            match p.category {
                StopCategory::Breakdown => "breakdown",
                StopCategory::Setup => "setup",
                StopCategory::MicroStop => "micro-stop",
            },
            hours(p.duration_ms),
            p.events,
            p.share * 100.0,
            p.cumulative_share * 100.0
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_from_the_command_line() {
        assert_eq!(
            parse_time("2026-11-25T06:00:00+01:00", false),
            Ok(1_795_582_800_000)
        );
        let day = parse_time("2026-11-25", false).unwrap();
        let end = parse_time("2026-11-25", true).unwrap();
        assert!(end - day >= 23 * 3_600_000 && end - day <= 25 * 3_600_000);
        assert_eq!(
            parse_time("2026-11-25T06:30", false).unwrap() - day,
            6 * 3_600_000 + 1_800_000
        );
        assert!(
            parse_time("yesterday", false)
                .unwrap_err()
                .contains("RFC 3339")
        );
    }
}
