//! The plant overview of the real app, fed by the embedded demo plant (no settings file in a
//! fresh `TAKT_HOME` = embedded MQTT broker + simulator, no network), driven through WebDriver.
//!
//! Needs `TAKT_APP_BINARY` (see `takt_e2e::harness::BUILD_HINT`), `tauri-driver`,
//! `WebKitWebDriver` and `Xvfb` (or `TAKT_E2E_DISPLAY`). Evidence: `<target>/e2e/overview.png`.

use std::collections::BTreeMap;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use takt_e2e::harness::{self, Display, TauriDriver};
use takt_e2e::webdriver::Session;

const LINES: usize = 6;
const MIN_CELLS: usize = 25;
const STATES: [&str; 8] = [
    "running",
    "idle",
    "starved",
    "blocked",
    "down",
    "changeover",
    "planned_stop",
    "offline",
];
const FIRST_PAINT: Duration = Duration::from_secs(60);
const CHANGES: Duration = Duration::from_secs(90);
/// The demo calendar stops the whole site for a 5-minute handover at every shift start and a
/// 20-minute break four hours in: started then, the plant is still until it ends.
const LONGEST_PLANNED_STOP: Duration = Duration::from_secs(21 * 60);

/// One read of the overview, taken in a single script so that it is consistent.
const READ_OVERVIEW: &str = r#"
const text = (el) => (el ? el.textContent.replace(/\s+/g, " ").trim() : null);
const tiles = Array.from(document.querySelectorAll('[data-testid="line-tile"]'));
const broker = document.querySelector('[data-testid="link-broker"]');
return {
  location: String(document.location.href),
  bodyText: document.body ? document.body.innerText.slice(0, 300) : "",
  broker: broker ? broker.getAttribute("data-state") : null,
  brokerText: text(broker),
  tiles: tiles.map((t) => ({
    path: t.getAttribute("data-path") || "",
    output: text(t.querySelector('[data-testid="line-output"]')),
    cells: Array.from(t.querySelectorAll('[data-testid="wc-cell"]')).map((c) => ({
      path: c.getAttribute("data-path") || "",
      state: c.getAttribute("data-state"),
      good: text(c.querySelector('[data-testid="wc-good"]') || c.querySelector(".good")),
    })),
  })),
};
"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Overview {
    location: String,
    body_text: String,
    broker: Option<String>,
    broker_text: Option<String>,
    tiles: Vec<Tile>,
}

#[derive(Debug, Deserialize)]
struct Tile {
    path: String,
    output: Option<String>,
    cells: Vec<Cell>,
}

#[derive(Debug, Deserialize)]
struct Cell {
    path: String,
    state: Option<String>,
    good: Option<String>,
}

impl Overview {
    fn read(session: &Session) -> Result<Overview, String> {
        let value = session
            .execute(READ_OVERVIEW, vec![])
            .map_err(|e| e.to_string())?;
        serde_json::from_value(value).map_err(|e| format!("unexpected overview shape: {e}"))
    }

    fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.tiles.iter().flat_map(|t| t.cells.iter())
    }

    /// Work center path → data-state.
    fn states(&self) -> BTreeMap<String, String> {
        self.cells()
            .map(|c| (c.path.clone(), c.state.clone().unwrap_or_default()))
            .collect()
    }

    /// Counter name → text: each line's output, each work center's good count.
    fn counters(&self) -> BTreeMap<String, String> {
        let lines = self
            .tiles
            .iter()
            .filter_map(|t| Some((format!("line-output {}", t.path), t.output.clone()?)));
        let cells = self
            .cells()
            .filter_map(|c| Some((format!("wc-good {}", c.path), c.good.clone()?)));
        lines.chain(cells).collect()
    }

    /// Cells whose data-state is missing or not a known state: a bug, not a timing matter.
    fn bad_states(&self) -> Vec<String> {
        self.cells()
            .filter(|c| !c.state.as_deref().is_some_and(|s| STATES.contains(&s)))
            .map(|c| format!("{} has data-state={:?}", c.path, c.state))
            .collect()
    }

    /// What is still missing for a complete first paint, empty when complete.
    fn incomplete(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.tiles.len() != LINES {
            missing.push(format!(
                "{} line tiles instead of {LINES}",
                self.tiles.len()
            ));
        }
        for t in self.tiles.iter().filter(|t| t.cells.is_empty()) {
            missing.push(format!("line tile {:?} has no wc-cell yet", t.path));
        }
        let cells = self.cells().count();
        // A live frame: every work center has reported (the demo plant has no offline ones).
        let offline = self
            .cells()
            .filter(|c| c.state.as_deref() == Some("offline"))
            .count();
        if offline > 0 {
            missing.push(format!("{offline} wc-cells still offline"));
        }
        if cells < MIN_CELLS {
            missing.push(format!("{cells} wc-cells instead of at least {MIN_CELLS}"));
        }
        if self.broker.as_deref() != Some("connected") {
            missing.push(format!(
                "broker link data-state={:?} ({:?}), not \"connected\"",
                self.broker, self.broker_text
            ));
        }
        missing
    }

    fn summary(&self) -> String {
        let tiles: Vec<String> = self
            .tiles
            .iter()
            .map(|t| {
                format!(
                    "  {} ({} cells, output {:?})",
                    t.path,
                    t.cells.len(),
                    t.output
                )
            })
            .collect();
        format!(
            "page {} ({:?}); broker {:?}; {} tiles, {} cells\n{}",
            self.location,
            self.body_text.chars().take(120).collect::<String>(),
            self.broker,
            self.tiles.len(),
            self.cells().count(),
            tiles.join("\n")
        )
    }
}

/// Hint for a page that never shows the overview at all.
fn blank_page_hint(last: Option<&Overview>) -> &'static str {
    match last {
        Some(o)
            if o.location.starts_with("http://localhost:1420")
                || o.body_text.contains("Could not connect to localhost") =>
        {
            "\nThe app tried the dev server (localhost:1420): TAKT_APP_BINARY was built without \
             `--features custom-protocol`, so it does not carry ui/dist."
        }
        Some(o) if o.tiles.is_empty() => {
            "\nNo line tiles at all: was ui/dist built (npm --prefix ui run build) before the app binary?"
        }
        _ => "",
    }
}

fn capabilities(app: &Path) -> Value {
    // Per Tauri's WebDriver guide: tauri-driver maps `tauri:options` to WebKitWebDriver's
    // `webkitgtk:browserOptions` ({binary, args}); "wry" is the browser name its examples use.
    json!({
        "browserName": "wry",
        "tauri:options": { "application": app.to_string_lossy(), "args": [] },
    })
}

/// Phase 1: within [`FIRST_PAINT`], the complete overview with a connected broker.
fn wait_for_overview(session: &Session) -> Result<Overview, String> {
    let deadline = Instant::now() + FIRST_PAINT;
    let mut last: Option<Overview> = None;
    let mut last_error = String::new();
    while Instant::now() < deadline {
        match Overview::read(session) {
            Ok(overview) => {
                let bad = overview.bad_states();
                if !bad.is_empty() {
                    return Err(format!(
                        "work center cells with an unknown state: {}",
                        bad.join("; ")
                    ));
                }
                if overview.incomplete().is_empty() {
                    return Ok(overview);
                }
                last = Some(overview);
            }
            Err(e) => last_error = e,
        }
        sleep(Duration::from_millis(500));
    }
    Err(match &last {
        Some(o) => format!(
            "the overview was not complete within {FIRST_PAINT:?}: {}\n{}{}",
            o.incomplete().join("; "),
            o.summary(),
            blank_page_hint(last.as_ref())
        ),
        None => format!("the overview could not be read within {FIRST_PAINT:?}: {last_error}"),
    })
}

/// Phase 2: within [`CHANGES`], some work center changes state and some counter changes text.
fn wait_for_changes(session: &Session, first: &Overview) -> Result<(String, String), String> {
    let mut first_states = first.states();
    let mut first_counters = first.counters();
    let all_planned = first_states.values().all(|s| s == "planned_stop");
    let deadline = Instant::now()
        + if all_planned {
            eprintln!("[e2e] the whole demo plant is in a planned stop: waiting for it to end");
            CHANGES + LONGEST_PLANNED_STOP
        } else {
            CHANGES
        };
    let mut state_change: Option<String> = None;
    let mut counter_change: Option<String> = None;
    let mut last_error = String::new();
    while Instant::now() < deadline {
        sleep(Duration::from_secs(1));
        let now = match Overview::read(session) {
            Ok(now) => now,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        let bad = now.bad_states();
        if !bad.is_empty() {
            return Err(format!(
                "work center cells with an unknown state: {}",
                bad.join("; ")
            ));
        }
        for (path, state) in now.states() {
            // A cell seen for the first time now is its own first observation.
            let was = first_states
                .entry(path.clone())
                .or_insert_with(|| state.clone());
            if state_change.is_none() && *was != state {
                state_change = Some(format!("{path}: {was} → {state}"));
            }
        }
        for (name, text) in now.counters() {
            let was = first_counters
                .entry(name.clone())
                .or_insert_with(|| text.clone());
            if counter_change.is_none() && *was != text {
                counter_change = Some(format!("{name}: {was:?} → {text:?}"));
            }
        }
        if let (Some(s), Some(c)) = (&state_change, &counter_change) {
            return Ok((s.clone(), c.clone()));
        }
    }
    Err(format!(
        "within {CHANGES:?}: state change {}, counter change {}{}",
        state_change.as_deref().unwrap_or("NOT SEEN"),
        counter_change.as_deref().unwrap_or("NOT SEEN"),
        if last_error.is_empty() {
            String::new()
        } else {
            format!(" (last read error: {last_error})")
        }
    ))
}

/// Cross-check through plain WebDriver element commands (not just the script).
fn check_with_element_commands(session: &Session) -> Result<(), String> {
    let tiles = session
        .find_all(r#"[data-testid="line-tile"]"#)
        .map_err(|e| e.to_string())?;
    if tiles.len() != LINES {
        return Err(format!(
            "find elements: {} line tiles instead of {LINES}",
            tiles.len()
        ));
    }
    let broker = session
        .find_all(r#"[data-testid="link-broker"]"#)
        .map_err(|e| e.to_string())?;
    let Some(broker) = broker.first() else {
        return Err("find elements: no broker link indicator".into());
    };
    let state = session
        .attribute(broker, "data-state")
        .map_err(|e| e.to_string())?;
    if state.as_deref() != Some("connected") {
        let text = session.text(broker).unwrap_or_default();
        return Err(format!(
            "broker link data-state={state:?} ({text:?}) after it was connected"
        ));
    }
    Ok(())
}

/// The alerts view is one key away: `3` shows it, with its summary and either rows or the empty text.
fn check_alerts_view(session: &Session) -> Result<String, String> {
    session
        .execute(
            "window.dispatchEvent(new KeyboardEvent('keydown', { key: '3', bubbles: true })); return true;",
            vec![],
        )
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let summary = session
            .find_all(r#"[data-testid="alerts-summary"]"#)
            .map_err(|e| e.to_string())?;
        if let Some(el) = summary.first() {
            let text = session.text(el).map_err(|e| e.to_string())?;
            let rows = session
                .find_all(r#"[data-testid="alert-row"], [data-testid="alerts-empty"]"#)
                .map_err(|e| e.to_string())?;
            if rows.is_empty() {
                return Err(format!(
                    "alerts view shows neither alerts nor its empty text ({text})"
                ));
            }
            return Ok(text);
        }
        if Instant::now() > deadline {
            return Err("pressing 3 did not open the alerts view".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `1`, then the first tile's Details button: the line detail shows a state band per work center
/// and its KPIs; when the history already holds a stop, a reason is assigned to it through the
/// reason picker and the row shows who edited it.
fn check_line_detail(session: &Session) -> Result<String, String> {
    let script = |js: &str| session.execute(js, vec![]).map_err(|e| e.to_string());
    script(
        "window.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true })); return true;",
    )?;
    // The tiles carry the shift's OEE from the historian (the demo's first start simulated
    // the shift so far).
    let deadline = Instant::now() + Duration::from_secs(20);
    let oee = loop {
        let texts = script(
            "return Array.from(document.querySelectorAll('[data-testid=\"line-oee\"]')).map(e => e.textContent);",
        )?;
        let with_figure = texts
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str())
            .find(|t| t.contains('%'));
        if let Some(t) = with_figure {
            break t.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        if Instant::now() > deadline {
            return Err(format!("no line tile shows an OEE figure: {texts}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    script(
        "const b = document.querySelector('[data-testid=\"detail-button\"]'); if (b) b.click(); return !!b;",
    )?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let bands = loop {
        let n = session
            .find_all(r#"[data-testid="view-line"] [data-testid="band-row"]"#)
            .map_err(|e| e.to_string())?
            .len();
        let error = script(
            "const e = document.querySelector('[data-testid=\"detail-error\"]'); return e ? e.textContent : null;",
        )?;
        if let Some(e) = error.as_str() {
            return Err(format!("the line detail shows an error: {e}"));
        }
        if n > 0 {
            break n;
        }
        if Instant::now() > deadline {
            return Err("the Details button did not open a line detail with state bands".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Assign a reason to the first stop, if the young history has one yet.
    let picked = script(
        "const s = document.querySelector('[data-testid=\"downtime-row\"] [data-testid=\"reason-select\"]'); \
         if (!s) return null; s.value = 'MECH/JAM'; s.dispatchEvent(new Event('change', { bubbles: true })); \
         return s.closest('tr').dataset.id;",
    )?;
    let Some(id) = picked.as_str() else {
        return Ok(format!(
            "tile {oee:?}; {bands} band rows, no stop yet to edit"
        ));
    };
    let check = format!(
        "const r = document.querySelector('[data-testid=\"downtime-row\"][data-id=\"{id}\"]'); \
         return r ? [r.querySelector('select').value, r.textContent] : null;"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = script(&check)?;
        let edit_error = script(
            "const e = document.querySelector('[data-testid=\"edit-error\"]'); return e ? e.textContent : null;",
        )?;
        if let Some(e) = edit_error.as_str() {
            return Err(format!("assigning a reason was refused: {e}"));
        }
        if row[0] == "MECH/JAM" {
            let edited_by = script(
                "const u = document.querySelector('.user strong'); return u ? u.textContent : null;",
            )?;
            let text = row[1].as_str().unwrap_or_default();
            if let Some(user) = edited_by.as_str()
                && text.contains(user)
            {
                return Ok(format!(
                    "tile {oee:?}; {bands} band rows; stop {id} charged to MECH/JAM by {user}"
                ));
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the reason assigned to {id} did not show as edited: {row}"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn save_screenshot(session: &Session, path: &Path) -> Result<(), String> {
    let png = session.screenshot_png().map_err(|e| e.to_string())?;
    std::fs::write(path, &png).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("[e2e] screenshot: {} ({} bytes)", path.display(), png.len());
    Ok(())
}

#[test]
fn overview_shows_the_live_demo_plant() {
    let app = harness::app_binary().unwrap_or_else(|e| panic!("{e}"));
    let out = harness::output_dir().unwrap_or_else(|e| panic!("{e}"));
    // Declared before the guards so that it outlives the app.
    let home = tempfile::Builder::new()
        .prefix("takt-e2e-home-")
        .tempdir()
        .expect("temp dir for TAKT_HOME");
    eprintln!(
        "[e2e] app {} with TAKT_HOME={}",
        app.display(),
        home.path().display()
    );

    let display = Display::acquire(&out).unwrap_or_else(|e| panic!("{e}"));
    // The app is started by WebKitWebDriver, a child of tauri-driver: it inherits this env.
    let env = [("TAKT_HOME", home.path().as_os_str())];
    let driver = TauriDriver::start(&display, &env, &out.join("tauri-driver.log"))
        .unwrap_or_else(|e| panic!("{e}"));
    // Creating the session launches the app: from here to a live overview is what a user waits.
    let launched = Instant::now();
    let session = Session::create(&driver.url(), capabilities(&app))
        .unwrap_or_else(|e| panic!("{e}\n{}", driver.log_tail()));
    eprintln!(
        "[e2e] session {} open, title {:?}",
        session.id(),
        session.title().unwrap_or_default()
    );

    let result = wait_for_overview(&session).and_then(|first| {
        eprintln!(
            "[e2e] first live frame {} ms after launch; overview complete: {}",
            launched.elapsed().as_millis(),
            first.summary()
        );
        check_with_element_commands(&session)?;
        let (state, counter) = wait_for_changes(&session, &first)?;
        eprintln!("[e2e] state changed: {state}");
        eprintln!("[e2e] counter changed: {counter}");
        Ok(())
    });
    // Evidence either way: what the window showed at the end.
    let screenshot = save_screenshot(&session, &out.join("overview.png"));
    let alerts = result.clone().and_then(|()| check_alerts_view(&session));
    if let Ok(summary) = &alerts {
        eprintln!("[e2e] alerts view: {summary}");
        let _ = save_screenshot(&session, &out.join("alerts.png"));
    }
    let detail = alerts.clone().and_then(|_| check_line_detail(&session));
    if let Ok(summary) = &detail {
        eprintln!("[e2e] line detail: {summary}");
        let _ = save_screenshot(&session, &out.join("line.png"));
    }

    // The app must have used the TAKT_HOME it was given (its database lives there).
    let home_used = std::fs::read_dir(home.path())
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);

    if let Err(e) = result.and(alerts.map(|_| ())).and(detail.map(|_| ())) {
        panic!("{e}\nscreenshot: {screenshot:?}\n{}", driver.log_tail());
    }
    screenshot.unwrap_or_else(|e| panic!("screenshot failed: {e}"));
    assert!(
        home_used,
        "TAKT_HOME={} stayed empty: the app did not get TAKT_HOME through tauri-driver's environment",
        home.path().display()
    );
    let _ = session.close();
}
