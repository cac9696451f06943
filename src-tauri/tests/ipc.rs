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

#[test]
fn line_detail_and_downtime_edits_through_ipc() {
    let h = start();
    // The last 8 hours: the demo's first start simulated them, so they hold stops even when
    // the test runs minutes into a shift (then all machines are still in the handover).
    let range = json!({ "kind": "hours", "hours": 8 });
    // Wait for the demo plant's history to hold a stop on some line.
    let deadline = Instant::now() + Duration::from_secs(45);
    let (line, detail) = loop {
        let snap = invoke(&h.window, "get_snapshot", json!({})).expect("get_snapshot");
        let found = snap["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|l| {
                let line = l["path"].as_str()?.to_owned();
                let view = invoke(
                    &h.window,
                    "get_line_detail",
                    json!({ "line": line, "range": range }),
                )
                .ok()?;
                let has_stop = view["detail"]["downtime"]
                    .as_array()
                    .is_some_and(|d| !d.is_empty());
                has_stop.then_some((line, view))
            });
        if let Some(found) = found {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "no line had a stop in its history after 45 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let d = &detail["detail"];
    assert_eq!(d["line"], line.as_str());
    assert!(
        !d["work_centers"][0]["bands"]
            .as_array()
            .expect("bands")
            .is_empty()
    );
    assert!(
        d["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|c| c["code"] == "MECH/JAM"))
    );
    let user = detail["user"].as_str().expect("user").to_owned();
    let this_shift = invoke(
        &h.window,
        "get_line_detail",
        json!({ "line": line, "range": { "kind": "shift", "offset": 0 } }),
    )
    .expect("this shift's detail");
    assert!(this_shift["shift"]["name"].is_string(), "{this_shift}");

    // Comment on the first stop: stored, audited as the signed-in user.
    let event = &d["downtime"][0]["event"];
    let key = json!({ "work_center": event["work_center"], "start": event["start"] });
    let after = invoke(
        &h.window,
        "edit_downtime",
        json!({ "line": line, "range": range, "action": { "action": "comment", "event": key, "text": "checked by IPC test" } }),
    )
    .expect("edit_downtime");
    let row = after["detail"]["downtime"]
        .as_array()
        .expect("downtime")
        .iter()
        .find(|r| {
            r["event"]["start"] == event["start"]
                && r["event"]["work_center"] == event["work_center"]
        })
        .expect("the edited stop")
        .clone();
    assert_eq!(row["event"]["comment"], "checked by IPC test");
    assert_eq!(row["edited_by"], user.as_str());

    // Refusals come back as errors with a kind the UI can show.
    let err = invoke(
        &h.window,
        "edit_downtime",
        json!({ "line": line, "range": range, "action": { "action": "assign_reason", "event": key, "reason": "NO/SUCH" } }),
    )
    .expect_err("unknown reason refused");
    assert_eq!(err["kind"], "refused", "{err}");
    let err = invoke(
        &h.window,
        "get_line_detail",
        json!({ "line": "acme", "range": range }),
    )
    .expect_err("not a line");
    assert_eq!(err["kind"], "not_found", "{err}");
    let err = invoke(
        &h.window,
        "get_line_detail",
        json!({ "line": line, "range": { "kind": "between", "from_ms": 10, "to_ms": 5 } }),
    )
    .expect_err("empty range");
    assert_eq!(err["kind"], "settings", "{err}");

    // The overview's OEE: every line in a shift with history gets a figure in 0..=1.
    let live = invoke(&h.window, "get_live_oee", json!({})).expect("get_live_oee");
    let lines = live["lines"].as_array().expect("lines");
    assert!(lines.iter().any(|l| l["line"] == line.as_str()), "{live}");
    for l in lines {
        let oee = l["oee"].as_f64().expect("oee");
        assert!((0.0..=1.0).contains(&oee), "{l}");
    }
}
