//! Sparkplug B against an independent implementation: PyPI `pysparkplug` publishes births,
//! data and deaths to a real Mosquitto; Takt's decoder and host state machine must agree with
//! it on names, aliases, datatypes (arrays included), values, seq and bdSeq.
//!
//! Skips (with a printed reason) only when python3 is missing. pysparkplug lives in a venv in
//! the user's cache dir, which `scripts/install-deps.sh --test` creates; if it is missing the
//! test creates it the same way.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use takt_connect::sparkplug::payload::{self, DecodeLimits};
use takt_connect::sparkplug::{
    DataType, HostConfig, HostEvent, MappedEvent, MetricValue, SparkplugHost, SparkplugMapper,
    SparkplugMapping, Status,
};
use takt_model::{FeedPayload, StateKind};
use takt_tests::{port_of, shared_broker, unique_enterprise};
use tokio::sync::mpsc;

const PYSPARKPLUG: &str = "pysparkplug==0.6.1";

fn venv_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("takt").join("sparkplug-venv")
}

fn has_pysparkplug(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import pysparkplug"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The venv's python with pysparkplug, creating the venv if needed; `None` without python3.
/// Once per test binary: the tests run in parallel and must not build the venv twice at once.
fn python_with_pysparkplug() -> Option<PathBuf> {
    static PYTHON: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    PYTHON.get_or_init(find_or_install_python).clone()
}

fn find_or_install_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TAKT_SPARKPLUG_PYTHON") {
        return Some(p.into());
    }
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    if has_pysparkplug(&python) {
        return Some(python);
    }
    if Command::new("python3").arg("--version").output().is_err() {
        return None;
    }
    let run = |cmd: &mut Command| {
        let out = cmd.output().expect("run python3");
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", PYSPARKPLUG]));
    Some(python)
}

/// Subscribes to the group, then runs the Python edge node and returns every message it
/// published, in arrival order, once `last` (a message type) has arrived.
async fn capture(
    broker: &str,
    group: &str,
    node: &str,
    mode: &str,
    python: &Path,
    last: &str,
) -> Vec<(String, Vec<u8>)> {
    let mut options =
        MqttOptions::new(format!("{group}-{node}-host"), "127.0.0.1", port_of(broker));
    options.set_max_packet_size(16 * 1024 * 1024, 16 * 1024 * 1024);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    client
        .subscribe(format!("spBv1.0/{group}/#"), QoS::AtLeastOnce)
        .await
        .expect("queue subscribe");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
    let poller = tokio::spawn(async move {
        let mut subscribed = Some(subscribed_tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(s) = subscribed.take() {
                        let _ = s.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(e) => panic!("test subscriber lost the broker: {e}"),
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), subscribed_rx)
        .await
        .expect("SubAck within 10 s")
        .expect("poller alive");

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sparkplug/pysparkplug_node.py");
    let (python, port, group_s, node_s, mode_s) = (
        python.to_path_buf(),
        port_of(broker),
        group.to_owned(),
        node.to_owned(),
        mode.to_owned(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(["127.0.0.1", &port.to_string(), &group_s, &node_s, &mode_s])
            .output()
            .expect("run the pysparkplug edge node")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "pysparkplug edge node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !messages
        .iter()
        .any(|(t, _): &(String, Vec<u8>)| t.contains(last))
    {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no {last} within 10 s; got {:?}",
                    messages
                        .iter()
                        .map(|m: &(String, Vec<u8>)| &m.0)
                        .collect::<Vec<_>>()
                )
            })
            .expect("poller alive");
        messages.push(msg);
    }
    poller.abort();
    messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pysparkplug_births_data_and_deaths_decode_in_takts_host() {
    let Some(python) = python_with_pysparkplug() else {
        println!(
            "SKIPPED sparkplug interop: python3 is not installed (run scripts/install-deps.sh --test)"
        );
        return;
    };
    let (broker, _own) = shared_broker();
    let group = unique_enterprise("spb");
    let messages = capture(&broker, &group, "edge-py", "will", &python, "NDEATH").await;

    let kinds: Vec<&str> = messages
        .iter()
        .map(|(t, _)| t.split('/').nth(2).unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["NBIRTH", "DBIRTH", "DDATA", "NDATA", "DDATA", "NDEATH"]
    );
    // seq 0.. across the node's messages; NDEATH carries none.
    let seqs: Vec<Option<u64>> = messages
        .iter()
        .map(|(_, b)| {
            payload::decode_raw(b, &DecodeLimits::default())
                .unwrap()
                .seq
        })
        .collect();
    assert_eq!(seqs, [Some(0), Some(1), Some(2), Some(3), Some(4), None]);
    // Births are self-describing: every metric decodes on its own.
    let birth = payload::decode(&messages[1].1).unwrap();
    let described: Vec<(String, Option<u64>, DataType)> = birth
        .metrics
        .iter()
        .map(|m| (m.name.clone().unwrap(), m.alias, m.datatype))
        .collect();
    assert_eq!(
        described,
        [
            ("Good".into(), Some(10), DataType::UInt32),
            ("Speeds".into(), Some(11), DataType::FloatArray),
            ("Flags".into(), Some(12), DataType::BooleanArray),
            ("Names".into(), Some(13), DataType::StringArray),
            ("Counts".into(), Some(14), DataType::Int16Array),
            ("Running".into(), Some(15), DataType::Boolean),
            ("Stamp".into(), Some(16), DataType::DateTime),
            ("Spare".into(), Some(17), DataType::Double),
        ]
    );

    let mut host = SparkplugHost::new(HostConfig::default());
    let mut events = Vec::new();
    for (topic, bytes) in &messages[..5] {
        events.extend(host.handle(topic, bytes, 1));
    }
    let problems: Vec<&HostEvent> = events
        .iter()
        .filter(|e| matches!(e, HostEvent::Error { .. } | HostEvent::Rebirth { .. }))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(events.contains(&HostEvent::NodeOnline {
        group: group.clone(),
        node: "edge-py".into(),
        bd_seq: Some(0)
    }));
    let node = |name| host.value(&group, "edge-py", None, name).cloned();
    let dev = |name| host.value(&group, "edge-py", Some("filler"), name).cloned();
    assert_eq!(node("Line/State"), Some(MetricValue::Int32(6)));
    assert_eq!(node("Line/Good"), Some(MetricValue::UInt64(101)));
    assert_eq!(node("Temp"), Some(MetricValue::Double(21.5)));
    assert_eq!(node("Label"), Some(MetricValue::String("Filler A".into())));
    assert_eq!(node("Offset"), Some(MetricValue::Int8(-5)));
    assert_eq!(node("bdSeq"), Some(MetricValue::Int64(0)));
    // The alias-only DDATA (no name, no datatype) resolved through the DBIRTH.
    assert_eq!(dev("Good"), Some(MetricValue::UInt32(7)));
    assert_eq!(dev("Speeds"), Some(MetricValue::FloatArray(vec![3.0])));
    assert_eq!(
        dev("Flags"),
        Some(MetricValue::BooleanArray(vec![true, false, true]))
    );
    assert_eq!(
        dev("Names"),
        Some(MetricValue::StringArray(vec!["a".into(), "b".into()]))
    );
    assert_eq!(dev("Counts"), Some(MetricValue::Int16Array(vec![-1, 300])));
    assert_eq!(dev("Running"), Some(MetricValue::Boolean(true)));
    // 2026-11-02T08:30:00Z
    assert_eq!(dev("Stamp"), Some(MetricValue::DateTime(1_793_608_200_000)));
    assert_eq!(dev("Spare"), Some(MetricValue::Null));
    let aliased = events.iter().any(|e| {
        matches!(e, HostEvent::Metric(m) if m.name == "Good" && m.alias == Some(10) && m.value == MetricValue::UInt32(7))
    });
    assert!(aliased, "the alias-only update names its metric");

    // Mapped onto Takt: the node's PackML state 6 is running.
    let mut mapper = SparkplugMapper::new(SparkplugMapping::default());
    let states: Vec<StateKind> = events
        .iter()
        .flat_map(|e| mapper.map(e, 1))
        .filter_map(|r| match r {
            Ok(MappedEvent::Feed(f)) => match f.payload {
                FeedPayload::State { state } => Some(state.kind),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(states, [StateKind::Running]);

    // The broker's will: the NDEATH carries the NBIRTH's bdSeq and takes everything offline.
    let (topic, bytes) = &messages[5];
    let events = host.handle(topic, bytes, 2);
    assert_eq!(
        events,
        [
            HostEvent::NodeOffline {
                group: group.clone(),
                node: "edge-py".into()
            },
            HostEvent::DeviceOffline {
                group: group.clone(),
                node: "edge-py".into(),
                device: "filler".into()
            }
        ]
    );
    assert_eq!(host.node_status(&group, "edge-py"), Some(Status::Offline));
}

/// pysparkplug 0.6.1's clean disconnect publishes an NDEATH with the *next* connection's bdSeq
/// (1, after an NBIRTH with 0). Sparkplug hosts must ignore an NDEATH whose bdSeq does not match
/// the birth (it may be an old will), so Takt keeps the node online and reports why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pysparkplug_clean_disconnect_sends_a_mismatched_bdseq_which_is_reported() {
    let Some(python) = python_with_pysparkplug() else {
        println!(
            "SKIPPED sparkplug interop: python3 is not installed (run scripts/install-deps.sh --test)"
        );
        return;
    };
    let (broker, _own) = shared_broker();
    let group = unique_enterprise("spb-disc");
    let messages = capture(&broker, &group, "edge-py", "disconnect", &python, "NDEATH").await;
    let mut host = SparkplugHost::new(HostConfig::default());
    let mut events = Vec::new();
    for (topic, bytes) in &messages {
        events.extend(host.handle(topic, bytes, 1));
    }
    let stale: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            HostEvent::Error { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        stale,
        ["ignored NDEATH with bdSeq Some(1): the current session was born with bdSeq Some(0)"]
    );
    assert_eq!(host.node_status(&group, "edge-py"), Some(Status::Online));
}
