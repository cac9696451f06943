//! `takt`: the command line of Takt.
//!
//! - `takt simulate` publishes the demo plant to any broker (also the load generator).
//! - `takt watch` subscribes like the desktop app does and prints every work-center change.
//! - `takt plan` runs the planning engine (plant plans, scenarios, risk, optimizers, job shop).
//! - `takt bench ingest` measures the live ingest path against a broker.
//! - `takt bench birth-storm` checks that memory stays bounded under a storm of multi-MB Sparkplug births.
//! - `takt serve` runs Takt headless (feed, live state, historian, alerts).
//! - `takt report shift` draws a day's shift report from the MES database (PNG or SVG).
//! - `takt report oee` prints OEE, losses and the loss Pareto of any equipment over any range.

mod bench_birth_storm;
mod bench_ingest;
mod report_oee;
mod rss;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use takt_connect::{BrokerSettings, FeedOptions, spawn_feed};
use takt_plant::{PlantConfig, PlantSettings};
use takt_sim::{DemoDataset, PublisherOptions, PublisherStats, SimOptions, run_publisher};
use tokio::sync::{broadcast, watch};

#[derive(Parser)]
#[command(
    name = "takt",
    version,
    about = "Takt — MES supervisor desk: command-line tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Publish at a fixed rate (UNS JSON or Sparkplug B) and measure sent, received, lost, publish → plant
    /// state latency and the ingest side's CPU.
    Ingest(bench_ingest::IngestArgs),
    /// Publish Sparkplug NBIRTH/DBIRTH messages of several MB as fast as the broker takes them, through the
    /// real Sparkplug ingest path, and report births processed, the ingest side's RSS (before, peak, after,
    /// growth from birth 20) and throughput.
    BirthStorm(bench_birth_storm::BirthStormArgs),
}

#[derive(Subcommand)]
enum Command {
    /// Publish the demo plant to a broker in the Unified Namespace JSON format.
    Simulate {
        /// mqtt://[user:pass@]host:port
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        broker: String,
        /// Number of lines (the six demo lines, then copies of them).
        #[arg(long, default_value_t = 6)]
        lines: usize,
        /// Target messages per second. Without it, counters are sent at most once a second
        /// per work center when they change; with it, every work center's counters are sent
        /// on a fixed cadence so the total is about this rate.
        #[arg(long)]
        rate: Option<f64>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Subscribe to a broker and print the live plant state, one line per work-center change.
    Watch {
        /// mqtt://[user:pass@]host:port[/topic-root]
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        broker: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Run Takt without a window: the settings' broker (or the demo plant), live state, historian and
    /// alerts, until Ctrl-C or `--seconds`. Uses the app's settings and database (`TAKT_HOME` applies).
    Serve {
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Benchmarks of the live ingest path.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Planning engine: solve and benchmark scheduling problems.
    Plan {
        #[command(subcommand)]
        command: takt_plan::cli::PlanCommand,
    },
    /// Reports from the MES database.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// One production day: OEE by line (by shift for one line), output against target and
    /// the downtime Pareto, as a page to print.
    Shift {
        /// The line, e.g. acme/berlin/packaging/line1 (an area or site covers all its lines).
        #[arg(long)]
        line: String,
        /// The production day, YYYY-MM-DD: every shift that starts on it (site time).
        #[arg(long)]
        date: chrono::NaiveDate,
        /// sqlite:///path/takt.db. Default: the app's database (settings.json under
        /// TAKT_HOME or the OS config directory, else the embedded file).
        #[arg(long)]
        database: Option<String>,
        /// png, svg or pdf. Default: from the --out extension, else png.
        #[arg(long)]
        format: Option<takt_report::ReportFormat>,
        /// Output file; `-` writes to stdout. Default: shift-report-<line>-<date>.<format>.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// OEE (A × P × Q), the six big losses and the loss Pareto of any work center, line,
    /// area, site or the enterprise over any time range, with the supervisors' downtime edits.
    Oee(report_oee::OeeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One JSON object per line.
    Json,
    /// Aligned text for people.
    Text,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TAKT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate {
            broker,
            lines,
            rate,
            seed,
            seconds,
        } => simulate(&broker, lines, rate, seed, seconds).await,
        Command::Watch {
            broker,
            format,
            seconds,
        } => watch(&broker, format, seconds).await,
        Command::Bench {
            command: BenchCommand::Ingest(args),
        } => bench_ingest::run(args).await,
        Command::Bench {
            command: BenchCommand::BirthStorm(args),
        } => bench_birth_storm::run(args).await,
        Command::Serve { seconds } => serve(seconds).await,
        // CPU-bound search: off the async workers.
        Command::Plan { command } => {
            tokio::task::spawn_blocking(move || takt_plan::cli::run(command))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
        }
        Command::Report {
            command:
                ReportCommand::Shift {
                    line,
                    date,
                    database,
                    format,
                    out,
                },
        } => report_shift(&line, date, database.as_deref(), format, out).await,
        Command::Report {
            command: ReportCommand::Oee(args),
        } => report_oee::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("takt: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A shutdown signal that fires on Ctrl-C or after `seconds`.
fn stop_after(seconds: Option<u64>) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        match seconds {
            Some(s) => {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(s)) => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        let _ = tx.send(true);
    });
    rx
}

async fn simulate(
    broker: &str,
    lines: usize,
    rate: Option<f64>,
    seed: u64,
    seconds: Option<u64>,
) -> Result<(), String> {
    let broker = BrokerSettings::from_url(broker).map_err(|e| e.to_string())?;
    if lines == 0 {
        return Err("--lines must be at least 1".into());
    }
    let dataset = DemoDataset::new(lines, takt_plant::now_ms(), 48);
    let mut options = PublisherOptions {
        sim: SimOptions {
            seed,
            ..SimOptions::default()
        },
        ..PublisherOptions::default()
    };
    if let Some(rate) = rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err("--rate must be a positive number of messages per second".into());
        }
        let work_centers = dataset.plant.work_centers().len() as f64;
        // Two counter messages per work center per interval.
        options.sim.counter_interval_ms =
            ((2.0 * work_centers * 1_000.0 / rate).round() as i64).max(1);
        options.sim.counters_always = true;
        options.step = Duration::from_millis(options.sim.counter_interval_ms.clamp(1, 100) as u64);
    }
    let stats = Arc::new(PublisherStats::default());
    let shutdown = stop_after(seconds);
    eprintln!(
        "takt: simulating {lines} lines to {}; Ctrl-C stops",
        broker.display_url()
    );
    let reporter_stats = stats.clone();
    let reporter = tokio::spawn(async move {
        let mut last = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let now = reporter_stats.published.load(Ordering::Relaxed);
            eprintln!(
                "takt: {now} messages published ({:.0}/s)",
                (now - last) as f64 / 5.0
            );
            last = now;
        }
    });
    let result = run_publisher(broker, dataset, options, stats.clone(), shutdown).await;
    reporter.abort();
    eprintln!(
        "takt: {} messages published",
        stats.published.load(Ordering::Relaxed)
    );
    result.map_err(|e| e.to_string())
}

/// Headless Takt: the same runtime as the desktop app, reporting its links on stderr once a second.
async fn serve(seconds: Option<u64>) -> Result<(), String> {
    let paths = takt_runtime::Paths::from_env();
    let settings = takt_runtime::Settings::load(&paths.settings_file).map_err(|e| e.message)?;
    let takt = takt_runtime::Takt::start(settings, paths.clone(), Default::default()).await;
    eprintln!("takt: serving (data in {})", paths.data_dir.display());
    let deadline = seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    loop {
        let stop = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = stop => break,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                let s = takt.plant().snapshot();
                eprintln!(
                    "takt: broker {:?}, database {:?}, {} work centers, {} messages",
                    s.broker.state, s.database.state, s.work_centers.len(), s.diagnostics.messages_total
                );
            }
        }
    }
    takt.shutdown().await;
    Ok(())
}

async fn watch(broker: &str, format: Format, seconds: Option<u64>) -> Result<(), String> {
    let broker = BrokerSettings::from_url(broker).map_err(|e| e.to_string())?;
    let shutdown = stop_after(seconds);
    // No database here: equipment is discovered from the feed itself.
    let (plant, _task) = takt_plant::spawn(PlantConfig::new(None), PlantSettings::default());
    let mut changes = plant.changes();
    let mut links = plant.watch();
    spawn_feed(
        broker,
        FeedOptions {
            settings_hint: "--broker".into(),
            ..FeedOptions::default()
        },
        plant.input(),
        shutdown.clone(),
    );
    let mut shutdown = shutdown;
    let mut last_broker = None;
    let mut out = std::io::stdout().lock();
    loop {
        tokio::select! {
            change = changes.recv() => match change {
                Ok(c) => {
                    let written = match format {
                        Format::Json => writeln!(out, "{}", serde_json::to_string(&c).map_err(|e| e.to_string())?),
                        Format::Text => writeln!(
                            out,
                            "{:<48} {:<13} {:<18} good {:>8} scrap {:>6} {:?}",
                            c.path.as_str(), c.state.as_str(), c.reason.as_deref().unwrap_or(""), c.good, c.scrap, c.feed
                        ),
                    };
                    // A closed pipe (`takt watch | head`) is a normal way to stop.
                    if written.and_then(|()| out.flush()).is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => eprintln!("takt: output fell behind; {n} changes skipped"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            Ok(()) = links.changed() => {
                let snap = links.borrow().clone();
                let status = (snap.broker.state, snap.broker.error.clone());
                if last_broker.as_ref() != Some(&status) {
                    match &status.1 {
                        Some(e) => eprintln!("takt: broker {:?}: {e} — {}", status.0, snap.broker.hint.as_deref().unwrap_or("")),
                        None => eprintln!("takt: broker {:?} ({})", status.0, snap.broker.target),
                    }
                    last_broker = Some(status);
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    Ok(())
}

/// Opens the report's database without creating it: a mistyped path must not leave an
/// empty database behind.
async fn open_report_database(database: Option<&str>) -> Result<takt_store::Store, String> {
    let url = match database {
        Some(url) => url.to_owned(),
        None => {
            // The same file the app uses (runtime's Paths and Settings).
            let paths = takt_runtime::Paths::from_env();
            let settings = takt_runtime::Settings::load(&paths.settings_file)
                .map_err(|e| format!("{e}; fix it or pass --database sqlite:///path/takt.db"))?;
            settings.database_url(&paths)
        }
    };
    takt_store::Store::open_existing(&url)
        .await
        .map_err(|e| match e {
            takt_store::StoreError::NotFound { what } => format!(
                "{what} not found; start the app once to create it, or pass --database sqlite:///path/takt.db"
            ),
            other => other.to_string(),
        })
}

/// The app's reason tree and micro-stop threshold (settings.json), or the defaults when it
/// cannot be read.
fn report_options() -> takt_report::HistoryOptions {
    let paths = takt_runtime::Paths::from_env();
    takt_runtime::Settings::load(&paths.settings_file)
        .unwrap_or_default()
        .history_options(chrono::Utc::now().timestamp_millis())
}

async fn report_shift(
    line: &str,
    date: chrono::NaiveDate,
    database: Option<&str>,
    format: Option<takt_report::ReportFormat>,
    out: Option<std::path::PathBuf>,
) -> Result<(), String> {
    use takt_report::ReportFormat;
    let scope = takt_model::EquipmentPath::parse(line.trim()).map_err(|e| {
        format!("--line `{line}` is not an equipment path ({e}); e.g. acme/berlin/packaging/line1")
    })?;
    let by_extension = out
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .and_then(|e| e.parse::<ReportFormat>().ok());
    let format = format.or(by_extension).unwrap_or(ReportFormat::Png);
    let ext = format.extension();
    let store = open_report_database(database).await?;
    let bytes = takt_report::render_shift_report(&store, &scope, date, format, report_options())
        .await
        .map_err(|e| e.to_string());
    store.close().await;
    let bytes = bytes?;
    let out = out.unwrap_or_else(|| format!("shift-report-{}-{date}.{ext}", scope.name()).into());
    if out.as_os_str() == "-" {
        std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| format!("cannot write the report to stdout: {e}"))?;
    } else {
        std::fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        eprintln!("takt: shift report written to {}", out.display());
    }
    Ok(())
}
