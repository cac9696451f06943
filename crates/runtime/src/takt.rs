//! Starting and stopping a running Takt.

use crate::{Paths, Settings, SettingsView, TaktError};
use std::sync::Arc;
use std::time::Duration;
use takt_connect::{BrokerSettings, FeedOptions, spawn_feed};
use takt_plant::{
    LinkState, LinkStatus, PlantConfig, PlantHandle, PlantInput, PlantSettings, now_ms,
};
use takt_sim::{DemoDataset, EmbeddedBroker, PublisherOptions, PublisherStats, run_publisher};
use takt_store::{HistoryWriter, Store};
use tokio::sync::{broadcast, watch};

#[derive(Debug, Clone)]
pub struct TaktOptions {
    /// Lines of the demo plant, when it runs.
    pub demo_lines: usize,
    pub plant: PlantSettings,
}

impl Default for TaktOptions {
    fn default() -> Self {
        Self {
            demo_lines: 6,
            plant: PlantSettings::default(),
        }
    }
}

/// A running Takt: owns the background tasks; dropping it (or [`Takt::shutdown`]) stops them.
pub struct Takt {
    plant: PlantHandle,
    settings: Settings,
    paths: Paths,
    demo_broker: Option<String>,
    shutdown: watch::Sender<bool>,
    store: Option<Store>,
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

        let (store, db_status) =
            open_store(&settings, &paths, dataset.as_ref(), &settings_hint).await;
        let config = plant_config(&settings, store.as_ref(), dataset.as_ref()).await;
        let (plant, _plant_task) = takt_plant::spawn(config, options.plant.clone());
        let input = plant.input();
        let _ = input.send(PlantInput::Database(db_status)).await;

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
                    tokio::spawn(run_publisher(
                        broker.clone(),
                        dataset.clone(),
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
        if let Some(broker) = broker {
            let feed = FeedOptions {
                settings_hint: format!("Settings → Data source, {settings_hint}"),
                ..FeedOptions::default()
            };
            spawn_feed(broker, feed, input.clone(), shutdown_rx.clone());
        }
        if let Some(store) = &store {
            spawn_historian(store.clone(), &plant, shutdown_rx.clone());
        }
        Takt {
            plant,
            settings,
            paths,
            demo_broker,
            shutdown,
            store,
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

    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        // Give the historian a moment to flush its last batch.
        tokio::time::sleep(Duration::from_millis(200)).await;
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
) -> (Option<Store>, LinkStatus) {
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
                    "Live views work, but nothing is recorded: check the database URL in Settings → Data source ({settings_hint})"
                )),
            };
            return (None, status);
        }
    };
    if let Some(dataset) = dataset
        && let Err(e) = seed_demo(&store, dataset).await
    {
        tracing::error!(error = %e, "could not seed the demo plant");
    }
    let status = LinkStatus {
        state: LinkState::Connected,
        ..LinkStatus::starting(store.target(), now_ms())
    };
    (Some(store), status)
}

/// Writes the demo plant's master data on the first start with an empty database.
async fn seed_demo(store: &Store, dataset: &DemoDataset) -> Result<(), takt_store::StoreError> {
    if store.is_seeded().await? {
        return Ok(());
    }
    store.save_plant(&dataset.plant).await?;
    store.upsert_products(&dataset.products).await?;
    store
        .save_shift_calendar(&dataset.site, &dataset.calendar)
        .await?;
    store.upsert_work_orders(&dataset.orders).await?;
    tracing::info!(orders = dataset.orders.len(), "seeded the demo plant");
    Ok(())
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

/// Records every work-center change in the database, and reports the writer's health as
/// the database link status.
fn spawn_historian(store: Store, plant: &PlantHandle, mut shutdown: watch::Receiver<bool>) {
    let (writer, _task) = HistoryWriter::spawn(store.clone(), 10_000);
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
    });
}
