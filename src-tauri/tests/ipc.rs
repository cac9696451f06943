//! Every command through Tauri's real IPC layer, on the mock runtime, against a real
//! running Takt (embedded demo broker, simulator and a SQLite file in a temp dir).

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use takt_desktop::state::AppState;
use takt_runtime::{Paths, Settings, Takt};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    home: tempfile::TempDir,
}

fn start() -> Harness {
    start_with(|state| state)
}

fn start_with(configure: impl FnOnce(AppState) -> AppState) -> Harness {
    let home = tempfile::tempdir().expect("temp dir");
    let paths = Paths::under(home.path().to_path_buf());
    let takt =
        tauri::async_runtime::block_on(Takt::start(Settings::default(), paths, Default::default()));
    let app = takt_desktop::app_builder(
        mock_builder(),
        configure(AppState::new(takt, None)),
        takt_desktop::specta_builder!(MockRuntime),
    )
    .build(mock_context(noop_assets()))
    .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    Harness {
        _app: app,
        window,
        home,
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // On Linux the IPC origin must be tauri://localhost.
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|b| b.deserialize::<Value>().expect("json response"))
}

#[test]
fn get_snapshot_returns_the_live_demo_plant() {
    let h = start();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let snap = invoke(&h.window, "get_snapshot", json!({})).expect("get_snapshot");
        let lines = snap["lines"].as_array().expect("lines").len();
        let live = snap["work_centers"]
            .as_array()
            .expect("wcs")
            .iter()
            .filter(|w| w["feed"] == "live")
            .count();
        if lines == 6 && live >= 25 && snap["broker"]["state"] == "connected" {
            assert_eq!(snap["database"]["state"], "connected");
            assert!(snap["diagnostics"]["messages_total"].as_u64().unwrap_or(0) > 0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "demo plant not live after 20 s: {lines} lines, {live} live work centers, broker {}",
            snap["broker"]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn get_settings_shows_the_demo_defaults_and_where_they_live() {
    let h = start();
    let view = invoke(&h.window, "get_settings", json!({})).expect("get_settings");
    assert_eq!(view["demo"], true);
    assert_eq!(view["settings"]["broker"], Value::Null);
    assert_eq!(view["has_password"], false);
    let settings_path = view["settings_path"].as_str().expect("path");
    assert!(settings_path.starts_with(h.home.path().to_str().expect("utf8")));
    assert!(
        view["database_path"]
            .as_str()
            .expect("db path")
            .ends_with("takt.db")
    );
}

#[test]
fn save_settings_persists_and_refuses_bad_values() {
    let h = start();
    let good = json!({
        "settings": {
            "broker": {"host": "10.1.2.3", "port": 1883, "tls": false, "username": "op", "password": null, "topic_root": "acme", "client_id": "takt-test"},
            "database_url": null, "stale_after_s": 30, "offline_after_s": 300
        },
        "password": "secret"
    });
    assert_eq!(
        invoke(&h.window, "save_settings", good).expect("save"),
        Value::Null
    );
    let view = invoke(&h.window, "get_settings", json!({})).expect("get_settings");
    assert_eq!(view["settings"]["broker"]["host"], "10.1.2.3");
    assert_eq!(view["has_password"], true, "password stored");
    assert_eq!(
        view["settings"]["broker"]["password"],
        Value::Null,
        "but never sent back"
    );

    let bad = json!({
        "settings": {"broker": {"host": "", "port": 1883, "topic_root": "", "client_id": "x"}, "database_url": null, "stale_after_s": 30, "offline_after_s": 300},
        "password": null
    });
    let err = invoke(&h.window, "save_settings", bad).expect_err("empty host refused");
    assert_eq!(err["kind"], "settings");
    assert!(
        err["message"].as_str().unwrap_or("").contains("host"),
        "{err}"
    );
    let view = invoke(&h.window, "get_settings", json!({})).expect("get_settings");
    assert_eq!(
        view["settings"]["broker"]["host"], "10.1.2.3",
        "a refused save changes nothing"
    );
}

#[test]
fn unknown_commands_and_malformed_arguments_are_errors_not_panics() {
    let h = start();
    assert!(invoke(&h.window, "no_such_command", json!({})).is_err());
    let err = invoke(&h.window, "save_settings", json!({"settings": 42})).expect_err("bad args");
    assert!(err.to_string().contains("settings"), "{err}");
}

#[test]
fn restart_app_requests_a_restart() {
    // The mock runtime cannot restart a process; a hook records the request instead.
    let requested = Arc::new(AtomicUsize::new(0));
    let counter = requested.clone();
    let h = start_with(move |state| {
        state.with_restart_hook(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
    });
    assert_eq!(
        invoke(&h.window, "restart_app", json!({})).expect("restart_app"),
        Value::Null
    );
    assert_eq!(requested.load(Ordering::SeqCst), 1);
}

#[test]
fn alert_commands_list_and_refuse_unknown_ids() {
    let h = start();
    let view = invoke(&h.window, "get_alerts", json!({})).expect("get_alerts");
    assert!(view["alerts"].is_array(), "{view}");
    assert!(view["unacknowledged"].is_u64(), "{view}");
    let err = invoke(&h.window, "acknowledge_alert", json!({ "id": 987_654 }))
        .expect_err("unknown alert");
    assert_eq!(err["kind"], "not_found", "{err}");
    assert_eq!(err["message"], "no alert #987654", "{err}");
    invoke(&h.window, "acknowledge_all_alerts", json!({})).expect("acknowledge all");
    let view = invoke(&h.window, "get_alerts", json!({})).expect("get_alerts");
    assert_eq!(view["unacknowledged"], 0, "{view}");
}
