//! The task that owns [`PlantState`]: one writer, many readers.

use crate::{LinkStatus, PlantConfig, PlantSnapshot, PlantState, WorkCenterChange};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use takt_model::{FeedEvent, TimestampMs};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

/// Everything that can change the live plant state.
#[derive(Debug, Clone)]
pub enum PlantInput {
    Feed {
        topic: String,
        event: FeedEvent,
    },
    /// A message that could not be decoded, with the reason.
    Rejected {
        topic: String,
        error: String,
    },
    /// Protocol news about a topic (Sparkplug `seq` gaps, rebirth requests): diagnostics only,
    /// neither an error nor a sign of life from the equipment.
    Protocol {
        topic: String,
        event: ProtocolEvent,
    },
    Broker(LinkStatus),
    Database(LinkStatus),
    /// Shift-to-date counts from the historian; sent before the feed starts.
    Prime(crate::ShiftPrime),
}

/// What the Sparkplug host noticed about a topic's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolEvent {
    /// The edge node's `seq` jumped from `expected` to `got`: messages went missing.
    SeqGap { expected: u8, got: u8 },
    /// Takt asked the edge node for its births again (NCMD `Node Control/Rebirth`).
    RebirthRequested { reason: String },
}

#[derive(Debug, Clone)]
pub struct PlantSettings {
    /// Capacity of the input queue; producers wait when it is full (backpressure, no loss).
    pub queue_capacity: usize,
    /// Minimum time between two published snapshots (100 ms = at most 10 per second).
    pub publish_interval: Duration,
    /// How often feed health, shifts and targets are re-evaluated.
    pub tick_interval: Duration,
    /// Capacity of the per-change broadcast; slow subscribers skip ahead.
    pub changes_capacity: usize,
}

impl Default for PlantSettings {
    fn default() -> Self {
        Self {
            queue_capacity: 16_384,
            publish_interval: Duration::from_millis(100),
            tick_interval: Duration::from_millis(500),
            changes_capacity: 65_536,
        }
    }
}

/// Cheap to clone; every part of the app that talks to the plant state holds one.
#[derive(Clone)]
pub struct PlantHandle {
    input: mpsc::Sender<PlantInput>,
    snapshot: watch::Receiver<Arc<PlantSnapshot>>,
    changes: broadcast::Sender<WorkCenterChange>,
}

impl PlantHandle {
    pub fn input(&self) -> mpsc::Sender<PlantInput> {
        self.input.clone()
    }

    /// The latest published snapshot.
    pub fn snapshot(&self) -> Arc<PlantSnapshot> {
        self.snapshot.borrow().clone()
    }

    /// A receiver woken at most ten times a second with a fresh snapshot.
    pub fn watch(&self) -> watch::Receiver<Arc<PlantSnapshot>> {
        self.snapshot.clone()
    }

    /// Every work-center change, in the order applied.
    pub fn changes(&self) -> broadcast::Receiver<WorkCenterChange> {
        self.changes.subscribe()
    }
}

pub fn now_ms() -> TimestampMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Starts the owner task. It ends when every [`PlantHandle`] (and input sender) is dropped.
pub fn spawn(config: PlantConfig, settings: PlantSettings) -> (PlantHandle, JoinHandle<()>) {
    let state = PlantState::new(config, now_ms());
    let (input_tx, input_rx) = mpsc::channel(settings.queue_capacity);
    let (snapshot_tx, snapshot_rx) = watch::channel(Arc::new(state.snapshot(now_ms())));
    let (changes_tx, _) = broadcast::channel(settings.changes_capacity);
    let handle = PlantHandle {
        input: input_tx,
        snapshot: snapshot_rx,
        changes: changes_tx.clone(),
    };
    let task = tokio::spawn(run(state, settings, input_rx, snapshot_tx, changes_tx));
    (handle, task)
}

async fn run(
    mut state: PlantState,
    settings: PlantSettings,
    mut input: mpsc::Receiver<PlantInput>,
    snapshot_tx: watch::Sender<Arc<PlantSnapshot>>,
    changes_tx: broadcast::Sender<WorkCenterChange>,
) {
    let mut tick = tokio::time::interval(settings.tick_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut publish = tokio::time::interval(settings.publish_interval);
    publish.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut published_version = state.version();
    let mut batch = Vec::with_capacity(256);
    loop {
        tokio::select! {
            n = input.recv_many(&mut batch, 256) => {
                if n == 0 {
                    break; // every sender is gone
                }
                let now = now_ms();
                for msg in batch.drain(..) {
                    apply(&mut state, msg, now, &changes_tx);
                }
            }
            _ = tick.tick() => {
                for change in state.tick(now_ms()) {
                    let _ = changes_tx.send(change);
                }
            }
            _ = publish.tick() => {
                if state.version() != published_version {
                    published_version = state.version();
                    let _ = snapshot_tx.send(Arc::new(state.snapshot(now_ms())));
                }
            }
        }
    }
    let _ = snapshot_tx.send(Arc::new(state.snapshot(now_ms())));
}

fn apply(
    state: &mut PlantState,
    msg: PlantInput,
    now: TimestampMs,
    changes: &broadcast::Sender<WorkCenterChange>,
) {
    match msg {
        PlantInput::Feed { topic, event } => match state.apply(&topic, &event, now) {
            Ok(Some(change)) => {
                // No subscribers is fine: nobody is watching.
                let _ = changes.send(change);
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%topic, %error, "feed event does not fit the plant"),
        },
        PlantInput::Rejected { topic, error } => state.reject(&topic, &error, now),
        PlantInput::Protocol { topic, event } => state.protocol(&topic, &event, now),
        PlantInput::Broker(status) => {
            for change in state.set_broker(status, now) {
                let _ = changes.send(change);
            }
        }
        PlantInput::Database(status) => state.set_database(status),
        PlantInput::Prime(prime) => state.prime(&prime),
    }
}
