//! Shared helpers for integration tests: real brokers, unique namespaces, waiting.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A Mosquitto broker this test started on a free port; killed on drop.
pub struct OwnMosquitto {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl OwnMosquitto {
    /// Starts `mosquitto` on a free loopback port.
    pub fn start() -> OwnMosquitto {
        let port = free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut broker = OwnMosquitto {
            port,
            child: None,
            dir,
        };
        broker.restart();
        broker
    }

    fn config(&self) -> PathBuf {
        let path = self.dir.path().join("mosquitto.conf");
        let conf = format!(
            "listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n",
            self.port
        );
        std::fs::write(&path, conf).expect("write mosquitto.conf");
        path
    }

    /// Kills the broker (SIGKILL: no goodbye to clients).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        wait_until(
            Duration::from_secs(5),
            || !port_open(self.port),
            "broker port to close",
        );
    }

    /// Starts the broker again on the same port.
    pub fn restart(&mut self) {
        let child = Command::new(mosquitto_binary())
            .arg("-c")
            .arg(self.config())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start mosquitto (install the `mosquitto` package): {e}")
            });
        self.child = Some(child);
        wait_until(
            Duration::from_secs(10),
            || port_open(self.port),
            "mosquitto to listen",
        );
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnMosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn mosquitto_binary() -> PathBuf {
    for candidate in ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"] {
        if std::path::Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    "mosquitto".into()
}

/// The shared broker for tests that don't kill it: the one on 127.0.0.1:1883 when it runs,
/// else one this test starts (kept alive by the returned guard).
pub fn shared_broker() -> (String, Option<OwnMosquitto>) {
    if port_open(1883) {
        ("mqtt://127.0.0.1:1883".to_owned(), None)
    } else {
        let own = OwnMosquitto::start();
        (own.url(), Some(own))
    }
}

pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// An enterprise name no other test run uses, so tests can share one broker.
pub fn unique_enterprise(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "takt-test-{}-{}-{test}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Polls `condition` until it holds, or panics after `timeout` naming what it waited for.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Async version of [`wait_until`].
pub async fn eventually<F: FnMut() -> bool>(timeout: Duration, mut condition: F, what: &str) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
}

/// A live plant state fed by a Takt feed subscribed under `root` on `broker`, once connected.
/// Dropping the returned sender stops the feed.
pub async fn subscribe(
    broker: &str,
    root: &str,
) -> (takt_plant::PlantHandle, tokio::sync::watch::Sender<bool>) {
    subscribe_with(broker, root, None).await
}

/// [`subscribe`] with a `broker.uns` topic mapping.
pub async fn subscribe_with(
    broker: &str,
    root: &str,
    uns: Option<takt_connect::uns::UnsMapping>,
) -> (takt_plant::PlantHandle, tokio::sync::watch::Sender<bool>) {
    use takt_plant::{LinkState, PlantConfig, PlantSettings};
    let (plant, _) = takt_plant::spawn(PlantConfig::new(None), PlantSettings::default());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut settings = takt_connect::BrokerSettings::from_url(broker).expect("broker url");
    settings.topic_root = root.to_owned();
    settings.client_id = format!("{root}-sub-{}", std::process::id());
    settings.uns = uns;
    takt_connect::spawn_feed(settings, Default::default(), plant.input(), stop_rx);
    let watch = plant.clone();
    eventually(
        Duration::from_secs(10),
        || watch.snapshot().broker.state == LinkState::Connected,
        "subscriber to connect",
    )
    .await;
    // The subscription is queued on ConnAck; give the broker a moment to confirm it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (plant, stop)
}

/// Publishes one QoS 1 message with an independent client: Mosquitto's own `mosquitto_pub`.
pub fn mosquitto_pub(port: u16, topic: &str, payload: &str) {
    mosquitto_pub_with(port, topic, &["-m", payload]);
}

/// Publishes one retained QoS 1 message with `mosquitto_pub -r`.
pub fn mosquitto_pub_retained(port: u16, topic: &str, payload: &str) {
    mosquitto_pub_with(port, topic, &["-r", "-m", payload]);
}

/// Clears the retained message on `topic` (an empty retained payload).
pub fn mosquitto_clear_retained(port: u16, topic: &str) {
    mosquitto_pub_with(port, topic, &["-r", "-n"]);
}

/// The retained message on `topic` as a new subscriber gets it, from Mosquitto's own `mosquitto_sub`
/// (None when there is none within 2 s). Blocking: call it from `spawn_blocking` in async tests.
pub fn mosquitto_retained(port: u16, topic: &str) -> Option<Vec<u8>> {
    let out = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic])
        .args(["-C", "1", "-W", "2", "--retained-only", "-N"])
        .output()
        .expect("run mosquitto_sub (install mosquitto-clients)");
    (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
}

/// Publishes a binary payload (e.g. Sparkplug protobuf) with `mosquitto_pub -f`.
pub fn mosquitto_pub_bytes(port: u16, topic: &str, bytes: &[u8]) {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), bytes).expect("write payload");
    let path = file.path().to_string_lossy().into_owned();
    mosquitto_pub_with(port, topic, &["-f", &path]);
}

fn mosquitto_pub_with(port: u16, topic: &str, message: &[&str]) {
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-t",
            topic,
        ])
        .args(message)
        .status()
        .expect("run mosquitto_pub (install mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub failed for {topic}");
}

/// The port of a `mqtt://host:port` URL.
pub fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("URL with a port")
}
