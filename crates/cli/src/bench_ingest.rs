//! `takt bench ingest`: how fast the real ingest path (rumqttc → decode → plant state) takes messages.
//!
//! The publisher runs as a child process (this binary with `--role publish`), so the CPU time measured
//! here is the ingest side's alone. Every message carries a good-part counter whose value is the
//! publisher's send time in microseconds since the Unix epoch; when the plant state broadcasts the change
//! for it, the difference to the clock now is the publish → plant-state latency. Counting those changes per
//! work center against what the publisher reports as sent gives the loss.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::ValueEnum;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use takt_connect::sparkplug::{DecodedMetric, DecodedPayload, MetricValue, encode};
use takt_connect::{BrokerSettings, FeedOptions, SparkplugSettings, spawn_feed};
use takt_plant::{LinkState, PlantConfig, PlantSettings};
use tokio::sync::{broadcast, watch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IngestFormat {
    /// Unified Namespace JSON, one counter per message.
    Uns,
    /// Sparkplug B DDATA with 20 metrics per message (a counter and 19 measurements).
    Sparkplug,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Subscribe, measure, and start a publisher (the default).
    Measure,
    /// Internal: publish and report what was sent.
    Publish,
}

#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    pub broker: String,
    /// Messages per second.
    #[arg(long, default_value_t = 5_000)]
    pub rate: u32,
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    #[arg(long, value_enum, default_value_t = IngestFormat::Uns)]
    pub format: IngestFormat,
    /// Work centers the messages are spread over.
    #[arg(long, default_value_t = 200)]
    pub work_centers: u32,
    #[arg(long, value_enum, default_value_t = Role::Measure, hide = true)]
    pub role: Role,
    /// Topic root / Sparkplug group prefix shared by both roles.
    #[arg(long, hide = true)]
    pub run_id: Option<String>,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// CPU time (user + system) of this process, from /proc (Linux; clock ticks of 10 ms).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn topic_root(run: &str) -> String {
    format!("{run}/site/area")
}

fn group(run: &str) -> String {
    format!("{run}:site:area")
}

/// Work center `k` as line `k / 10`, station `k % 10`.
fn line_and_station(k: u32) -> (String, String) {
    (format!("line-{}", k / 10), format!("wc-{}", k % 10))
}

pub async fn run(args: IngestArgs) -> Result<(), String> {
    match args.role {
        Role::Publish => publish(args).await,
        Role::Measure => measure(args).await,
    }
}

async fn measure(args: IngestArgs) -> Result<(), String> {
    if args.rate == 0 || args.seconds == 0 || args.work_centers == 0 {
        return Err("--rate, --seconds and --work-centers must be above 0".into());
    }
    let run_id = format!("takt-bench-{}", std::process::id());
    let (plant, _task) = takt_plant::spawn(PlantConfig::new(None), PlantSettings::default());
    let mut changes = plant.changes();
    let (stop, stop_rx) = watch::channel(false);
    let mut settings = BrokerSettings::from_url(&args.broker).map_err(|e| e.to_string())?;
    settings.client_id = format!("{run_id}-ingest");
    match args.format {
        IngestFormat::Uns => settings.topic_root = run_id.clone(),
        IngestFormat::Sparkplug => {
            settings.topic_root = format!("{run_id}-unused");
            settings.sparkplug = Some(SparkplugSettings {
                group_id: group(&run_id),
                ..SparkplugSettings::default()
            });
        }
    }
    spawn_feed(settings, FeedOptions::default(), plant.input(), stop_rx);
    crate::bench_ingest::wait_connected(&plant, &args.broker).await?;

    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .args([
            "bench",
            "ingest",
            "--role",
            "publish",
            "--run-id",
            &run_id,
            "--broker",
            &args.broker,
        ])
        .args([
            "--rate",
            &args.rate.to_string(),
            "--seconds",
            &args.seconds.to_string(),
        ])
        .args(["--work-centers", &args.work_centers.to_string()])
        .args([
            "--format",
            match args.format {
                IngestFormat::Uns => "uns",
                IngestFormat::Sparkplug => "sparkplug",
            },
        ])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the publisher: {e}"))?;
    let cpu_start = cpu_time();
    let wall_start = Instant::now();

    let mut latencies_us: Vec<u64> = Vec::with_capacity((args.rate * args.seconds) as usize);
    let mut received: HashMap<String, u64> = HashMap::new();
    let mut skipped = 0u64;
    let publisher_done = tokio::task::spawn_blocking(move || {
        let out = child.stdout.take().map(std::io::BufReader::new);
        let mut report = String::new();
        if let Some(mut out) = out {
            let _ = out.read_line(&mut report);
        }
        let status = child.wait();
        (report, status)
    });
    tokio::pin!(publisher_done);
    let mut publisher: Option<(String, std::io::Result<std::process::ExitStatus>)> = None;
    let mut quiet_since = Instant::now();
    loop {
        tokio::select! {
            change = changes.recv() => match change {
                Ok(c) => {
                    quiet_since = Instant::now();
                    // Births carry a zero counter: only data messages hold a send time.
                    if let Some(sent_us) = c.good_total
                        && sent_us > 0
                        && c.path.as_str().starts_with(&run_id)
                    {
                        latencies_us.push(now_us().saturating_sub(sent_us));
                        *received.entry(c.path.as_str().to_owned()).or_default() += 1;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => skipped += n,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            done = &mut publisher_done, if publisher.is_none() => {
                publisher = Some(done.map_err(|e| e.to_string())?);
                quiet_since = Instant::now();
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        // After the publisher finished, wait until nothing arrived for a second (the tail of the queue).
        if publisher.is_some() && quiet_since.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    let wall = wall_start.elapsed().saturating_sub(Duration::from_secs(1));
    let cpu = match (cpu_start, cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let _ = stop.send(true);
    let (report, status) = publisher.ok_or("publisher did not finish")?;
    status.map_err(|e| e.to_string())?;
    let report: serde_json::Value = serde_json::from_str(report.trim())
        .map_err(|e| format!("publisher report unreadable ({e}): {report}"))?;
    let sent = report["sent"].as_u64().unwrap_or(0);
    let publish_secs = report["seconds"].as_f64().unwrap_or(f64::NAN);
    let got: u64 = received.values().sum();
    latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * latencies_us.len() as f64).ceil() as usize;
        latencies_us[rank.clamp(1, latencies_us.len()) - 1] as f64 / 1000.0
    };
    let mut out = std::io::stdout().lock();
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    w(
        &mut out,
        format!(
            "format {:?}, target {} msg/s for {} s over {} work centers, broker {}",
            args.format, args.rate, args.seconds, args.work_centers, args.broker
        ),
    )?;
    w(
        &mut out,
        format!(
            "sent {sent} in {publish_secs:.2} s ({:.0} msg/s achieved), received {got}, lost {}, broadcast skipped {skipped}",
            sent as f64 / publish_secs,
            sent.saturating_sub(got)
        ),
    )?;
    w(
        &mut out,
        format!(
            "latency publish -> plant state: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pct(50.0),
            pct(90.0),
            pct(99.0),
            pct(100.0)
        ),
    )?;
    match cpu {
        Some(cpu) => w(
            &mut out,
            format!(
                "ingest side CPU {:.2} s over {:.2} s = {:.0} % of one core",
                cpu.as_secs_f64(),
                wall.as_secs_f64(),
                cpu.as_secs_f64() * 100.0 / wall.as_secs_f64().max(1e-9)
            ),
        )?,
        None => w(
            &mut out,
            "ingest side CPU: not available on this platform".into(),
        )?,
    }
    Ok(())
}

/// The publisher role: paces `rate` messages a second for `seconds`, then prints `{"sent":…,"seconds":…}`.
async fn publish(args: IngestArgs) -> Result<(), String> {
    let run = args
        .run_id
        .clone()
        .ok_or("--run-id is required for --role publish")?;
    let settings = BrokerSettings::from_url(&args.broker).map_err(|e| e.to_string())?;
    let mut options = MqttOptions::new(
        format!("{run}-publisher"),
        settings.host.clone(),
        settings.port,
    );
    options.set_keep_alive(Duration::from_secs(10));
    options.set_inflight(1_000);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, eventloop) = AsyncClient::new(options, 10_000);
    let (acked_rx, poller) = spawn_ack_counter(eventloop);
    let wcs = args.work_centers;
    let mut seq: HashMap<u32, u64> = HashMap::new();
    if args.format == IngestFormat::Sparkplug {
        // Births first: aliases 1..=20 per device, seq 0 for the node.
        for line in 0..wcs.div_ceil(10) {
            let node = format!("line-{line}");
            let nbirth = encode(&DecodedPayload {
                timestamp: Some(now_us() / 1000),
                seq: Some(0),
                metrics: vec![DecodedMetric::new("bdSeq", MetricValue::Int64(0))],
                ..Default::default()
            });
            client
                .publish(
                    format!("spBv1.0/{}/NBIRTH/{node}", group(&run)),
                    QoS::AtLeastOnce,
                    false,
                    nbirth,
                )
                .await
                .map_err(|e| e.to_string())?;
            seq.insert(line, 0);
        }
        for k in 0..wcs {
            let (node, device) = line_and_station(k);
            let s = next_seq(&mut seq, k / 10);
            let dbirth = encode(&DecodedPayload {
                timestamp: Some(now_us() / 1000),
                seq: Some(s),
                metrics: sparkplug_metrics(0, true),
                ..Default::default()
            });
            client
                .publish(
                    format!("spBv1.0/{}/DBIRTH/{node}/{device}", group(&run)),
                    QoS::AtLeastOnce,
                    false,
                    dbirth,
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let total = u64::from(args.rate) * u64::from(args.seconds);
    let start = Instant::now();
    let mut sent = 0u64;
    // Pace in 1 ms slots: publish whatever is due, then sleep to the next slot.
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() * f64::from(args.rate)) as u64 + 1).min(total);
        while sent < due {
            let k = (sent % u64::from(wcs)) as u32;
            let (line, station) = line_and_station(k);
            let stamp = now_us();
            let (topic, payload) = match args.format {
                IngestFormat::Uns => (
                    format!("{}/{line}/{station}/good", topic_root(&run)),
                    format!(r#"{{"timestamp_ms": {}, "value": {stamp}}}"#, stamp / 1000)
                        .into_bytes(),
                ),
                IngestFormat::Sparkplug => {
                    let s = next_seq(&mut seq, k / 10);
                    let bytes = encode(&DecodedPayload {
                        timestamp: Some(stamp / 1000),
                        seq: Some(s),
                        metrics: sparkplug_metrics(stamp, false),
                        ..Default::default()
                    });
                    (
                        format!("spBv1.0/{}/DDATA/{line}/{station}", group(&run)),
                        bytes,
                    )
                }
            };
            client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
                .map_err(|e| e.to_string())?;
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    // Wait for the broker to acknowledge everything before reporting.
    let mut acked = acked_rx;
    let deadline = Instant::now() + Duration::from_secs(30);
    while *acked.borrow_and_update() < total && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(200), acked.changed()).await;
    }
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(2), poller).await;
    println!(r#"{{"sent": {sent}, "seconds": {seconds}}}"#);
    Ok(())
}

fn next_seq(seq: &mut HashMap<u32, u64>, node: u32) -> u64 {
    let s = seq.entry(node).or_insert(0);
    *s = (*s + 1) % 256;
    *s
}

/// `Good` (the send time in µs, by alias in data) and 19 measurements, as a data message carries them.
fn sparkplug_metrics(stamp_us: u64, birth: bool) -> Vec<DecodedMetric> {
    let mut metrics = Vec::with_capacity(20);
    let good = DecodedMetric::new("Good", MetricValue::UInt64(stamp_us)).with_alias(1);
    metrics.push(good);
    for i in 0..19u64 {
        let value = MetricValue::Double(20.0 + (stamp_us % 1000) as f64 / 100.0 + i as f64);
        metrics.push(DecodedMetric::new(format!("Measure/{i}"), value).with_alias(2 + i));
    }
    if !birth {
        // Data messages name metrics by alias only, as edge nodes do.
        for m in &mut metrics {
            m.name = None;
        }
    }
    metrics
}

/// Waits (up to 10 s) until the feed is connected, then a moment for its subscriptions to
/// settle, so the measurement starts with the ingest path ready.
pub(crate) async fn wait_connected(
    plant: &takt_plant::PlantHandle,
    broker: &str,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while plant.snapshot().broker.state != LinkState::Connected {
        if Instant::now() > deadline {
            return Err(format!(
                "could not connect to {broker}: {:?}",
                plant.snapshot().broker.error
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// Drives a publisher's event loop until it disconnects, counting the broker's PUBACKs.
pub(crate) fn spawn_ack_counter(
    mut eventloop: rumqttc::EventLoop,
) -> (watch::Receiver<u64>, tokio::task::JoinHandle<()>) {
    let (acked_tx, acked_rx) = watch::channel(0u64);
    let poller = tokio::spawn(async move {
        let mut acked = 0u64;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acked += 1;
                    let _ = acked_tx.send(acked);
                }
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => break,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("publisher connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    (acked_rx, poller)
}
