//! `takt bench birth-storm`: does memory stay bounded while Sparkplug births of several MB arrive as fast as
//! the broker takes them? Through the real ingest path: rumqttc → the Sparkplug queue → host state machine →
//! mapping → plant state.
//!
//! The publisher runs as a child process (this binary with `--role publish`), so the memory sampled here is
//! the ingest side's alone: VmRSS from /proc/self/status every 100 ms, and the kernel's high-water mark
//! (VmHWM) at the end. Birth `n` (1-based) carries a `Good` counter of value `n`: when the plant state
//! broadcasts the change for it, birth `n` went all the way through.
//!
//! Births go round-robin over the edge nodes: first every node's NBIRTH, then every node's DBIRTH (one
//! device each), then NBIRTHs again with the next bdSeq, and so on. Everything else in a birth is filler of
//! the requested size: strings and double arrays, as a node with many tags would send.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::bench_ingest::Role;
use crate::rss::{Sampler, growth, halves, memory};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use takt_connect::sparkplug::{
    DecodedMetric, DecodedPayload, MetricValue, SparkplugMapping, encode,
};
use takt_connect::{BrokerSettings, FeedOptions, SparkplugSettings, spawn_feed};
use takt_plant::{PlantConfig, PlantSettings};
use tokio::sync::{broadcast, watch};

/// The ingest path refuses Sparkplug payloads over 16 MiB (`DecodeLimits::max_payload_bytes`).
const MAX_SIZE_MB: f64 = 16.0;

/// Where growth is measured from: by then the storm is under way.
const GROWTH_FROM_BIRTH: u64 = 20;

#[derive(Debug, Clone, clap::Args)]
pub struct BirthStormArgs {
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    pub broker: String,
    /// Birth messages to publish (NBIRTH and DBIRTH).
    #[arg(long, default_value_t = 200)]
    pub births: u32,
    /// Size of each birth in MB (10^6 bytes), at most 16.
    #[arg(long, default_value_t = 5.0)]
    pub size_mb: f64,
    /// Edge nodes the births go to, round-robin.
    #[arg(long, default_value_t = 20)]
    pub nodes: u32,
    /// Print every RSS sample to stderr: births processed, then RSS in MB.
    #[arg(long)]
    pub print_samples: bool,
    #[arg(long, value_enum, default_value_t = Role::Measure, hide = true)]
    pub role: Role,
    /// Sparkplug group prefix shared by both roles.
    #[arg(long, hide = true)]
    pub run_id: Option<String>,
}

impl BirthStormArgs {
    fn size_bytes(&self) -> usize {
        (self.size_mb * 1e6) as usize
    }
}

pub async fn run(args: BirthStormArgs) -> Result<(), String> {
    if args.births == 0 || args.nodes == 0 {
        return Err("--births and --nodes must be above 0".into());
    }
    if !(args.size_mb > 0.0 && args.size_mb <= MAX_SIZE_MB) {
        return Err(format!(
            "--size-mb must be above 0 and at most {MAX_SIZE_MB} (the ingest limit is 16 MiB per payload)"
        ));
    }
    match args.role {
        Role::Publish => publish(args).await,
        Role::Measure => measure(args).await,
    }
}

fn group(run: &str) -> String {
    format!("{run}:site:area")
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

async fn measure(args: BirthStormArgs) -> Result<(), String> {
    let run_id = format!("takt-storm-{}", std::process::id());
    let (plant, _task) = takt_plant::spawn(PlantConfig::new(None), PlantSettings::default());
    let mut changes = plant.changes();
    let (stop, stop_rx) = watch::channel(false);
    let mut settings = BrokerSettings::from_url(&args.broker).map_err(|e| e.to_string())?;
    settings.client_id = format!("{run_id}-ingest");
    settings.topic_root = format!("{run_id}-unused");
    settings.sparkplug = Some(SparkplugSettings {
        group_id: group(&run_id),
        // The node's own metrics on a work center of their own, so an NBIRTH's counter lands too.
        mapping: SparkplugMapping {
            node_path: "{group}/{node}/self".into(),
            ..SparkplugMapping::default()
        },
        ..SparkplugSettings::default()
    });
    spawn_feed(settings, FeedOptions::default(), plant.input(), stop_rx);
    crate::bench_ingest::wait_connected(&plant, &args.broker).await?;

    let processed = Arc::new(AtomicU64::new(0));
    let before = memory();
    let sampler = Sampler::start(processed.clone());
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .args(["bench", "birth-storm", "--role", "publish"])
        .args(["--run-id", &run_id, "--broker", &args.broker])
        .args(["--births", &args.births.to_string()])
        .args(["--size-mb", &args.size_mb.to_string()])
        .args(["--nodes", &args.nodes.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the publisher: {e}"))?;
    let start = Instant::now();
    let publisher_done = tokio::task::spawn_blocking(move || {
        let mut report = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut report);
        }
        (report, child.wait())
    });
    tokio::pin!(publisher_done);

    let births = u64::from(args.births);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut skipped = 0u64;
    let mut last_processed = start;
    let mut publisher = None;
    let mut quiet_since = Instant::now();
    loop {
        tokio::select! {
            change = changes.recv() => match change {
                Ok(c) => {
                    quiet_since = Instant::now();
                    if let Some(n) = c.good_total
                        && (1..=births).contains(&n)
                        && c.path.as_str().starts_with(&run_id)
                        && seen.insert(n)
                    {
                        processed.store(seen.len() as u64, Ordering::Relaxed);
                        last_processed = Instant::now();
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
        let all = seen.len() as u64 == births;
        // After the publisher finished: everything through, or nothing more for 5 s (the tail).
        if publisher.is_some() && (all || quiet_since.elapsed() > Duration::from_secs(5)) {
            break;
        }
    }
    let ingest_secs = last_processed.duration_since(start).as_secs_f64();
    // Let the last births' memory be freed before "after" is read.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = memory();
    let samples = sampler.finish();
    if args.print_samples {
        for s in &samples {
            eprintln!("{} {:.1}", s.processed, mb(s.rss));
        }
    }
    let _ = stop.send(true);

    let (report, status) = publisher.ok_or("publisher did not finish")?;
    let status = status.map_err(|e| e.to_string())?;
    let report: serde_json::Value = serde_json::from_str(report.trim())
        .map_err(|e| format!("publisher report unreadable ({e}, {status}): {report}"))?;
    let sent = report["sent"].as_u64().unwrap_or(0);
    let sent_bytes = report["bytes"].as_u64().unwrap_or(0);
    let publish_secs = report["seconds"].as_f64().unwrap_or(f64::NAN);
    let metrics = report["metrics"].as_u64().unwrap_or(0);
    let got = seen.len() as u64;
    let birth_bytes = sent_bytes.checked_div(sent).unwrap_or(0);

    let mut out = std::io::stdout().lock();
    let mut w = |s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    w(format!(
        "birth storm: {} births of {:.2} MB ({metrics} metrics each) over {} edge nodes, broker {}",
        args.births,
        mb(birth_bytes),
        args.nodes,
        args.broker
    ))?;
    w(format!(
        "sent {sent} ({:.1} MB) in {publish_secs:.2} s; processed {got}, lost {}, broadcast skipped {skipped}",
        mb(sent_bytes),
        sent.saturating_sub(got)
    ))?;
    w(format!(
        "throughput: {:.1} MB/s, {:.1} births/s through the ingest path ({ingest_secs:.2} s)",
        mb(got * birth_bytes) / ingest_secs.max(1e-9),
        got as f64 / ingest_secs.max(1e-9)
    ))?;
    let (Some(before), Some(after)) = (before, after) else {
        return w("ingest RSS: not available on this platform (no /proc/self/status)".into());
    };
    let from = GROWTH_FROM_BIRTH.min(births);
    let Some(g) = growth(&samples, from) else {
        return w(format!(
            "ingest RSS before {:.1} MB, after {:.1} MB, peak (VmHWM) {:.1} MB; birth {from} never processed",
            mb(before.rss),
            mb(after.rss),
            mb(after.hwm)
        ));
    };
    w(format!(
        "ingest RSS: before {:.1} MB, at birth {from} {:.1} MB, after {:.1} MB; peak sampled {:.1} MB, VmHWM {:.1} MB ({} samples)",
        mb(before.rss),
        mb(g.at_from),
        mb(after.rss),
        mb(g.peak),
        mb(after.hwm),
        samples.len()
    ))?;
    w(format!(
        "RSS growth from birth {from} to the end: {:+.1} MB; trend after birth {from}: {:+.2} MB per 100 births",
        (after.rss as f64 - g.at_from as f64) / 1e6,
        g.slope * 100.0 / 1e6
    ))?;
    // The host keeps each node's and device's last birth: memory rises until every one has been born once.
    let warm = 2 * u64::from(args.nodes);
    if let Some((first, second)) = halves(&samples, warm, births) {
        w(format!(
            "after birth {warm} (every node and device born once): peak RSS {:.1} MB in the first half, {:.1} MB in the second",
            mb(first),
            mb(second)
        ))?;
    }
    Ok(())
}

/// Filler metrics of about `bytes` encoded (one metric more at most): nine strings of 200 characters, then
/// a double array of 256, and again.
fn filler(bytes: usize) -> (Vec<u8>, usize) {
    let metric = |i: usize| {
        let alias = 100 + i as u64;
        if i % 10 == 9 {
            let series = (0..256).map(|k| (i * 256 + k) as f64 / 8.0).collect();
            DecodedMetric::new(
                format!("Trend/Series-{i}"),
                MetricValue::DoubleArray(series),
            )
            .with_alias(alias)
        } else {
            let text = format!("step {i}: ").repeat(20).chars().take(200).collect();
            DecodedMetric::new(format!("Recipe/Step-{i}/Text"), MetricValue::String(text))
                .with_alias(alias)
        }
    };
    let wire = |metrics: Vec<DecodedMetric>| {
        encode(&DecodedPayload {
            metrics,
            ..Default::default()
        })
    };
    // A payload of one metric is exactly that metric's share of a payload of many (field tag, length, metric).
    let mut size = 0;
    let mut metrics = Vec::new();
    while size < bytes {
        let m = metric(metrics.len());
        size += wire(vec![m.clone()]).len();
        metrics.push(m);
    }
    let count = metrics.len();
    (wire(metrics), count)
}

/// The publisher role: every birth as fast as the broker acknowledges them, then
/// `{"sent":…,"bytes":…,"seconds":…,"metrics":…}` on stdout.
async fn publish(args: BirthStormArgs) -> Result<(), String> {
    let run = args
        .run_id
        .clone()
        .ok_or("--run-id is required for --role publish")?;
    let settings = BrokerSettings::from_url(&args.broker).map_err(|e| e.to_string())?;
    let (filler, filler_metrics) = filler(args.size_bytes());
    let mut options = MqttOptions::new(
        format!("{run}-publisher"),
        settings.host.clone(),
        settings.port,
    );
    options.set_keep_alive(Duration::from_secs(30));
    let max_packet = filler.len() + 64 * 1024;
    options.set_max_packet_size(max_packet, max_packet);
    // A few births in flight: as fast as the broker takes them, without queueing hundreds of MB here.
    options.set_inflight(8);
    let (client, eventloop) = AsyncClient::new(options, 4);
    let (mut acked, poller) = crate::bench_ingest::spawn_ack_counter(eventloop);
    let group = group(&run);
    let start = Instant::now();
    let mut sent_bytes = 0u64;
    for i in 0..args.births {
        let node = format!("node-{}", i % args.nodes);
        let round = i / args.nodes;
        let good = DecodedMetric::new("Good", MetricValue::UInt64(u64::from(i) + 1)).with_alias(1);
        let now = takt_plant::now_ms().max(0) as u64;
        // NBIRTH and DBIRTH in turn per node; bdSeq counts the node's sessions.
        let (topic, header) = if round.is_multiple_of(2) {
            let bd_seq = DecodedMetric::new("bdSeq", MetricValue::Int64(i64::from(round / 2)));
            let header = DecodedPayload {
                timestamp: Some(now),
                seq: Some(0),
                metrics: vec![bd_seq, good],
                ..Default::default()
            };
            (format!("spBv1.0/{group}/NBIRTH/{node}"), header)
        } else {
            let header = DecodedPayload {
                timestamp: Some(now),
                seq: Some(1),
                metrics: vec![good],
                ..Default::default()
            };
            (format!("spBv1.0/{group}/DBIRTH/{node}/dev"), header)
        };
        // Protobuf messages concatenate: repeated fields append, so the filler's metrics follow the header's.
        let mut payload = encode(&header);
        payload.extend_from_slice(&filler);
        sent_bytes += payload.len() as u64;
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .map_err(|e| e.to_string())?;
    }
    let total = u64::from(args.births);
    let deadline = Instant::now() + Duration::from_secs(300);
    while *acked.borrow_and_update() < total && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(200), acked.changed()).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), poller).await;
    let sent = (*acked.borrow()).min(total);
    println!(
        r#"{{"sent": {sent}, "bytes": {sent_bytes}, "seconds": {seconds}, "metrics": {}}}"#,
        filler_metrics + 1
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use takt_connect::sparkplug::decode;

    #[test]
    fn the_filler_has_the_size_asked_and_decodes_after_a_header() {
        let (bytes, count) = filler(1_000_000);
        assert!(
            (950_000..1_050_000).contains(&bytes.len()),
            "{} bytes",
            bytes.len()
        );
        let header = encode(&DecodedPayload {
            seq: Some(0),
            metrics: vec![DecodedMetric::new("Good", MetricValue::UInt64(7))],
            ..Default::default()
        });
        let payload = decode(&[header, bytes].concat()).expect("a valid payload");
        assert_eq!(payload.seq, Some(0));
        assert_eq!(payload.metrics.len(), count + 1);
        assert_eq!(payload.metrics[0].value, MetricValue::UInt64(7));
    }
}
