//! Starting and stopping a running Takt.

use crate::{Alerts, ErrorKind, Paths, Settings, SettingsView, TaktError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use takt_connect::{BrokerSettings, FeedOptions, spawn_feed};
use takt_model::{
    CounterKind, EquipmentPath, Level, Plant, ShiftCalendar, TimestampMs, WorkCenterState,
};
use takt_plant::{
    LinkState, LinkStatus, PlantConfig, PlantHandle, PlantInput, PlantSettings, ShiftPrime, now_ms,
};
use takt_sim::{
    DemoDataset, EmbeddedBroker, PublisherOptions, PublisherStats, Simulator, run_simulator,
};
use takt_store::{HistoryWriter, OrderRecord, Store};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct TaktOptions {
    /// Lines of the demo plant, when it runs.
    pub demo_lines: usize,
    pub plant: PlantSettings,
    /// Continue the shift's counts from the historian at start. `None`: only for a real
    /// plant; the embedded demo plant stands still while Takt is not running, so its shift
    /// history has holes a real line's has not.
    pub prime_shift_counts: Option<bool>,
    /// On the demo plant's first start, simulate and store the running shift so far
    /// (`demo_history`), and continue its counts live.
    pub demo_history: bool,
}

impl Default for TaktOptions {
    fn default() -> Self {
        Self {
            demo_lines: 6,
            plant: PlantSettings::default(),
            prime_shift_counts: None,
            demo_history: true,
        }
    }
}

/// A running Takt: owns the background tasks; dropping it (or [`Takt::shutdown`]) stops them.
pub struct Takt {
    pub(crate) plant: PlantHandle,
    pub(crate) settings: Settings,
    paths: Paths,
    demo_broker: Option<String>,
    shutdown: watch::Sender<bool>,
    pub(crate) store: Option<Store>,
    /// Awaited on shutdown: it says goodbye to the broker (Sparkplug STATE death, DISCONNECT).
    feed: Mutex<Option<JoinHandle<()>>>,
    historian: Mutex<Option<JoinHandle<()>>>,
    alerts: Alerts,
    /// Shift calendars per site, for the line detail's shift ranges.
    pub(crate) calendars: HashMap<EquipmentPath, ShiftCalendar>,
    /// Downtime edits are checked and stored one at a time.
    pub(crate) edit_lock: tokio::sync::Mutex<()>,
    pub(crate) live_oee_cache: Mutex<Option<(std::time::Instant, Arc<crate::LiveOee>)>>,
}

impl Takt {
    /// Starts everything the settings ask for. Never fails: an unreachable database or
    /// broker is reported in the plant snapshot's link status, with the reason and the
    /// setting to fix, and the rest keeps working.
    pub async fn start(settings: Settings, paths: Paths, options: TaktOptions) -> Takt {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let demo = settings.broker.is_none();
        let dataset = demo.then(|| DemoDataset::new(options.demo_lines, now_ms(), 48));
        let settings_hint = format!("settings file {}", paths.settings_file.display());

        let (store, db_status, seeded) =
            open_store(&settings, &paths, dataset.as_ref(), &settings_hint).await;
        let config = plant_config(&settings, store.as_ref(), dataset.as_ref()).await;
        // The simulator that made the demo's history, for the live demo to continue.
        let mut backfilled: Option<Simulator> = None;
        if let (true, true, Some(store), Some(dataset)) =
            (seeded, options.demo_history, &store, &dataset)
        {
            match crate::demo_history::backfill(store, dataset, config.clone(), now_ms()).await {
                Ok((done, sim)) => {
                    tracing::info!(?done, "simulated the demo plant's shift so far");
                    backfilled = Some(sim);
                }
                Err(e) => tracing::warn!(error = %e, "the demo plant starts without history"),
            }
        }
        let (equipment, calendars) = (config.plant.clone(), config.calendars.clone());
        let (plant, _plant_task) = takt_plant::spawn(config, options.plant.clone());
        let input = plant.input();
        let _ = input.send(PlantInput::Database(db_status)).await;
        // The demo plant's counts continue from its simulated history, like a real line's.
        let prime = options
            .prime_shift_counts
            .unwrap_or(!demo || backfilled.is_some());
        if let (true, Some(store), Some(equipment)) = (prime, &store, &equipment) {
            // Before the feed starts: live readings must continue from the stored baselines.
            prime_shift_counts(store, equipment, &calendars, &input).await;
        }

        let mut demo_broker = None;
        let broker = match (&settings.broker, &dataset) {
            (Some(broker), _) => Some(broker.clone()),
            (None, Some(dataset)) => match EmbeddedBroker::start() {
                Ok(embedded) => {
                    let broker = BrokerSettings::from_url(&format!(
                        "{}/{}",
                        embedded.url(),
                        takt_sim::demo::ENTERPRISE
                    ))
                    .expect("embedded broker URL is valid");
                    demo_broker = Some(embedded.url());
                    let sim = backfilled.take().unwrap_or_else(|| {
                        Simulator::new(dataset, PublisherOptions::default().sim)
                    });
                    tokio::spawn(run_simulator(
                        broker.clone(),
                        sim,
                        PublisherOptions::default(),
                        Arc::new(PublisherStats::default()),
                        shutdown_rx.clone(),
                    ));
                    Some(broker)
                }
                Err(e) => {
                    let status = LinkStatus {
                        state: LinkState::Down,
                        target: "embedded demo broker".into(),
                        since_ms: now_ms(),
                        error: Some(e.to_string()),
                        hint: Some(format!(
                            "Configure a broker in Settings → Data source ({settings_hint})"
                        )),
                    };
                    let _ = input.send(PlantInput::Broker(status)).await;
                    None
                }
            },
            (None, None) => None,
        };
        let feed = broker.map(|broker| {
            let feed = FeedOptions {
                settings_hint: format!("Settings → Data source, {settings_hint}"),
                ..FeedOptions::default()
            };
            spawn_feed(broker, feed, input.clone(), shutdown_rx.clone())
        });
        let historian = store
            .as_ref()
            .map(|store| spawn_historian(store.clone(), &plant, shutdown_rx.clone()));
        if let Some(store) = &store {
            spawn_order_recorder(store.clone(), &plant, shutdown_rx.clone());
            if settings.history_retention_days > 0 {
                spawn_retention(
                    store.clone(),
                    settings.history_retention_days,
                    shutdown_rx.clone(),
                );
            }
        }
        let alerts = Alerts::new(settings.alerts.clone());
        alerts.spawn(plant.clone(), shutdown_rx.clone());
        Takt {
            plant,
            settings,
            paths,
            demo_broker,
            shutdown,
            store,
            feed: Mutex::new(feed),
            historian: Mutex::new(historian),
            alerts,
            calendars,
            edit_lock: tokio::sync::Mutex::new(()),
            live_oee_cache: Mutex::new(None),
        }
    }

    pub fn plant(&self) -> &PlantHandle {
        &self.plant
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Draws a day's shift report for a line (or any equipment) from the history and saves it under the
    /// data directory's `reports/`; returns the file written.
    pub async fn save_shift_report(
        &self,
        line: &str,
        date: &str,
        format: takt_report::ReportFormat,
    ) -> Result<std::path::PathBuf, TaktError> {
        let scope = EquipmentPath::parse(line.trim()).map_err(|e| {
            TaktError::new(
                ErrorKind::NotFound,
                format!("`{line}` is not an equipment path: {e}"),
            )
        })?;
        let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
            TaktError::new(
                ErrorKind::Settings,
                format!("`{date}` is not a date (YYYY-MM-DD)"),
            )
        })?;
        let store = self.store.as_ref().ok_or_else(|| {
            TaktError::new(
                ErrorKind::Database,
                "no database: the shift report is drawn from the recorded history",
            )
        })?;
        let options = self.settings.history_options(now_ms());
        let bytes = takt_report::render_shift_report(store, &scope, day, format, options)
            .await
            .map_err(|e| TaktError::new(ErrorKind::Database, e.to_string()))?;
        let ext = format.extension();
        let dir = self.paths.data_dir.join("reports");
        let file = dir.join(format!("shift-report-{}-{day}.{ext}", scope.name()));
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&file, &bytes))
            .map_err(|e| {
                TaktError::new(
                    ErrorKind::Internal,
                    format!("cannot write {}: {e}", file.display()),
                )
            })?;
        Ok(file)
    }

    /// The andon: alert list, acknowledgements, change notifications.
    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// The embedded demo broker's URL, when the demo plant runs.
    pub fn demo_broker(&self) -> Option<&str> {
        self.demo_broker.as_deref()
    }

    pub fn settings_view(&self) -> SettingsView {
        // Show what is saved (which may differ from what runs until a restart).
        match Settings::load(&self.paths.settings_file) {
            Ok(saved) => saved.view(&self.paths),
            Err(e) => SettingsView {
                load_error: Some(e.message),
                ..self.settings.view(&self.paths)
            },
        }
    }

    /// Saves edited settings; they apply on the next start.
    pub fn save_settings(
        &self,
        edited: Settings,
        password: Option<String>,
    ) -> Result<(), TaktError> {
        let previous =
            Settings::load(&self.paths.settings_file).unwrap_or_else(|_| self.settings.clone());
        edited
            .with_password_from(&previous, password)
            .save(&self.paths.settings_file)
    }

    /// Stops the background tasks, waits (up to 2 s) for the feed to leave the broker cleanly and
    /// (up to 10 s) for the historian to write what it holds. Safe to call more than once.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let feed = self.feed.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = feed
            && tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
        {
            tracing::warn!("the feed did not disconnect within 2 s");
        }
        let historian = self
            .historian
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = historian
            && tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
        {
            tracing::error!(
                "the historian did not finish writing within 10 s; its last records are lost"
            );
        }
        if let Some(store) = &self.store {
            store.close().await;
        }
    }
}

async fn open_store(
    settings: &Settings,
    paths: &Paths,
    dataset: Option<&DemoDataset>,
    settings_hint: &str,
) -> (Option<Store>, LinkStatus, bool) {
    let opened = match &settings.database_url {
        Some(url) => Store::open(url).await,
        None => Store::open_file(&paths.database_file()).await,
    };
    // Never show a password: the target lands in the status bar and logs.
    let target = settings
        .database_url
        .as_deref()
        .map(takt_store::redact)
        .unwrap_or_else(|| paths.database_file().display().to_string());
    let store = match opened {
        Ok(store) => store,
        Err(e) => {
            tracing::error!(error = %e, "database unavailable");
            let status = LinkStatus {
                state: LinkState::Down,
                target,
                since_ms: now_ms(),
                error: Some(e.to_string()),
                hint: Some(format!(
                    "Live views work, but nothing is recorded: check the database URL in Settings → Database ({settings_hint})"
                )),
            };
            return (None, status, false);
        }
    };
    let mut seeded = false;
    if let Some(dataset) = dataset {
        match seed_demo(&store, dataset).await {
            Ok(now_seeded) => seeded = now_seeded,
            Err(e) => tracing::error!(error = %e, "could not seed the demo plant"),
        }
    }
    let status = LinkStatus {
        state: LinkState::Connected,
        ..LinkStatus::starting(store.target(), now_ms())
    };
    (Some(store), status, seeded)
}

/// Writes the demo plant's master data on the first start with an empty database; true when
/// it did.
async fn seed_demo(store: &Store, dataset: &DemoDataset) -> Result<bool, takt_store::StoreError> {
    if store.is_seeded().await? {
        return Ok(false);
    }
    store.save_plant(&dataset.plant).await?;
    store.upsert_products(&dataset.products).await?;
    store
        .save_shift_calendar(&dataset.site, &dataset.calendar)
        .await?;
    store.upsert_work_orders(&dataset.orders).await?;
    tracing::info!(orders = dataset.orders.len(), "seeded the demo plant");
    Ok(true)
}

/// Master data for the live plant state: from the database, else from the demo dataset.
async fn plant_config(
    settings: &Settings,
    store: Option<&Store>,
    dataset: Option<&DemoDataset>,
) -> PlantConfig {
    let mut config = PlantConfig::new(None);
    config.stale_after_ms = i64::from(settings.stale_after_s) * 1_000;
    config.offline_after_ms = i64::from(settings.offline_after_s) * 1_000;
    if let Some(store) = store {
        match (
            store.load_plant().await,
            store.shift_calendars().await,
            store.products().await,
        ) {
            (Ok(plant), Ok(calendars), Ok(products)) => {
                config.plant = plant;
                config.calendars = calendars.into_iter().collect();
                config.products = products.into_iter().map(|p| (p.code.clone(), p)).collect();
                return config;
            }
            (p, c, pr) => {
                let e = p.err().or(c.err()).or(pr.err());
                tracing::error!(error = ?e, "could not read master data; using the demo definition");
            }
        }
    }
    if let Some(d) = dataset {
        config.plant = Some(d.plant.clone());
        config.calendars.insert(d.site.clone(), d.calendar.clone());
        config.products = d
            .products
            .iter()
            .map(|p| (p.code.clone(), p.clone()))
            .collect();
    }
    config
}

/// Sends the historian's shift-to-date counts of every work center, so that a Takt
/// (re)started mid-shift shows the whole shift rather than starting from zero.
async fn prime_shift_counts(
    store: &Store,
    equipment: &Plant,
    calendars: &HashMap<EquipmentPath, ShiftCalendar>,
    input: &mpsc::Sender<PlantInput>,
) {
    let now = now_ms();
    for (wc, _) in equipment.work_centers() {
        let shift = wc
            .ancestor(Level::Site)
            .and_then(|site| calendars.get(&site))
            .and_then(|calendar| calendar.shift_at(now).ok().flatten());
        let Some(shift) = shift else { continue };
        match shift_prime(store, &wc, shift.start_ms).await {
            Ok(Some(prime)) => {
                if input.send(PlantInput::Prime(prime)).await.is_err() {
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not read shift counts from the historian");
                return;
            }
        }
    }
}

async fn shift_prime(
    store: &Store,
    wc: &EquipmentPath,
    shift_start_ms: TimestampMs,
) -> Result<Option<ShiftPrime>, takt_store::StoreError> {
    let (good, scrap) = (CounterKind::Good, CounterKind::Scrap);
    let last_good = store.last_counter_before(wc, good, i64::MAX).await?;
    let last_scrap = store.last_counter_before(wc, scrap, i64::MAX).await?;
    if last_good.is_none() && last_scrap.is_none() {
        return Ok(None); // never recorded: nothing to continue from
    }
    // Complete since the shift start only if the historian was recording before it.
    let counted_from_ms = if store
        .last_counter_before(wc, good, shift_start_ms)
        .await?
        .is_some()
    {
        shift_start_ms
    } else {
        // Takt started mid-shift: its target ran from when it first heard of the work center — its
        // first state record — or else from its first counter reading (which only sets the baseline).
        let first_count = store
            .first_counter_since(wc, good, shift_start_ms)
            .await?
            .map(|r| r.timestamp_ms);
        let first_state = store
            .state_history(wc, shift_start_ms, now_ms())
            .await?
            .into_iter()
            .filter(|r| r.start_ms >= shift_start_ms)
            .map(|r| r.received_ms)
            .min();
        first_count
            .into_iter()
            .chain(first_state)
            .min()
            .unwrap_or(shift_start_ms)
            .max(shift_start_ms)
    };
    Ok(Some(ShiftPrime {
        path: wc.clone(),
        shift_start_ms,
        counted_from_ms,
        good: store.counted_since(wc, good, shift_start_ms).await?,
        scrap: store.counted_since(wc, scrap, shift_start_ms).await?,
        good_total: last_good.map(|r| (r.value, r.timestamp_ms)),
        scrap_total: last_scrap.map(|r| (r.value, r.timestamp_ms)),
        state: store
            .state_points(wc, now_ms(), now_ms() + 1)
            .await?
            .pop()
            .map(|p| (WorkCenterState::new(p.kind, p.reason), p.start_ms)),
        last_product: match wc.parent() {
            Some(line) => store
                .order_history(&line, shift_start_ms, now_ms())
                .await?
                .into_iter()
                .rev()
                .find_map(|r| r.product),
            None => None,
        },
    }))
}

/// Records every work-center change in the database, and reports the writer's health as
/// the database link status.
/// Returns a task that ends once the writer has flushed everything it was given.
/// Deletes history older than the retention period at start and then hourly.
fn spawn_retention(store: Store, days: u32, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(Duration::from_secs(3_600));
        loop {
            tokio::select! {
                _ = hourly.tick() => {}
                _ = shutdown.changed() => break,
            }
            let cutoff = now_ms() - i64::from(days) * 86_400_000;
            match store.delete_history_before(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    rows = n,
                    days,
                    "history older than the retention period deleted"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "history retention failed; will retry in an hour")
                }
            }
        }
    });
}

/// Records which order and product each line runs, whenever that changes, so OEE can cost parts at the
/// right product's ideal cycle. Watches snapshots (at most ten a second): order changes are rare.
fn spawn_order_recorder(store: Store, plant: &PlantHandle, mut shutdown: watch::Receiver<bool>) {
    let mut snapshots = plant.watch();
    tokio::spawn(async move {
        let mut running: HashMap<EquipmentPath, (Option<String>, Option<String>)> = HashMap::new();
        loop {
            let records: Vec<OrderRecord> = {
                let snapshot = snapshots.borrow_and_update();
                let mut records = Vec::new();
                for l in &snapshot.lines {
                    let now = (l.order.clone(), l.product.clone());
                    let known = running.get(&l.path);
                    // Lines never heard to run anything stay out of the table.
                    if known == Some(&now) || (known.is_none() && now == (None, None)) {
                        continue;
                    }
                    running.insert(l.path.clone(), now.clone());
                    records.push(OrderRecord {
                        path: l.path.clone(),
                        start_ms: snapshot.generated_ms,
                        order: now.0,
                        product: now.1,
                        received_ms: snapshot.generated_ms,
                    });
                }
                records
            };
            if let Err(e) = store.append_order_history(&records).await {
                tracing::warn!(error = %e, "order history not recorded");
            }
            tokio::select! {
                changed = snapshots.changed() => if changed.is_err() { break },
                _ = shutdown.changed() => break,
            }
        }
    });
}

fn spawn_historian(
    store: Store,
    plant: &PlantHandle,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let (writer, writer_task) = HistoryWriter::spawn(store.clone(), 10_000);
    let mut changes = plant.changes();
    let input = plant.input();
    let mut health = writer.health();
    let target = store.target().to_owned();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(change) => {
                        if writer.record(change).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::error!(skipped = n, "historian fell behind the live feed; changes were not recorded");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Ok(()) = health.changed() => {
                    let status = health.borrow().link_status(&target);
                    if input.send(PlantInput::Database(status)).await.is_err() {
                        break;
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
        // The writer flushes what it holds once its last handle is gone.
        drop(writer);
        let _ = writer_task.await;
    })
}
