//! The andon end to end: a work center reported down (by `mosquitto_pub`, through a real Mosquitto) raises an
//! alert in a running Takt, and acknowledging it clears the badge count.

use std::time::Duration;

use takt_plant::now_ms;
use takt_runtime::{AlertKind, BrokerSettings, Paths, Settings, Severity, Takt};
use takt_tests::{
    eventually, init_tracing, mosquitto_pub, port_of, shared_broker, unique_enterprise,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_stop_raises_an_alert_that_a_supervisor_acknowledges() {
    init_tracing();
    let (url, _guard) = shared_broker();
    let enterprise = unique_enterprise("alerts");
    let home = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        broker: Some(BrokerSettings::from_url(&format!("{url}/{enterprise}")).expect("broker URL")),
        ..Settings::default()
    };
    let takt = Takt::start(
        settings,
        Paths::under(home.path().to_path_buf()),
        Default::default(),
    )
    .await;
    let plant = takt.plant().clone();
    eventually(
        Duration::from_secs(10),
        || plant.snapshot().broker.state == takt_plant::LinkState::Connected,
        "connected",
    )
    .await;

    // Down since 35 minutes ago: past the default 10-minute warning and the 30-minute escalation.
    let since = now_ms() - 35 * 60_000;
    let topic = format!("{enterprise}/freiburg/packaging/line-1/filler/state");
    mosquitto_pub(
        port_of(&url),
        &topic,
        &format!(r#"{{"timestamp_ms": {since}, "value": "down", "reason": "MECH-JAM"}}"#),
    );

    let alerts = takt.alerts().clone();
    eventually(
        Duration::from_secs(10),
        || alerts.view().unacknowledged == 1,
        "one alert raised",
    )
    .await;
    let view = alerts.view();
    let alert = &view.alerts[0];
    assert_eq!(alert.kind, AlertKind::DownTooLong);
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(
        alert.subject,
        format!("{enterprise}/freiburg/packaging/line-1/filler")
    );
    assert_eq!(alert.message, "Down for 35 min (reason MECH-JAM)");

    // Still down a few evaluations later: still one alert, not one per second.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(alerts.view().alerts.len(), 1);

    alerts
        .acknowledge(alert.id, "test supervisor")
        .expect("known alert");
    let view = alerts.view();
    assert_eq!(view.unacknowledged, 0);
    assert_eq!(
        view.alerts[0].acknowledged.as_ref().map(|a| a.by.as_str()),
        Some("test supervisor")
    );
    assert!(
        alerts.acknowledge(9_999, "x").is_err(),
        "unknown ids are refused"
    );

    // Running again: the alert is cleared (and, being acknowledged, closed).
    mosquitto_pub(port_of(&url), &topic, r#"{"value": "running"}"#);
    eventually(
        Duration::from_secs(10),
        || alerts.view().alerts[0].cleared_ms.is_some(),
        "alert cleared when the work center runs",
    )
    .await;
    takt.shutdown().await;
}
