//! Background historian writer: batches work-center changes into few transactions so the
//! plant task never waits on disk, and keeps every record when the database is down.
//!
//! - Producers `record` into a bounded queue; when it is full they wait (backpressure),
//!   nothing is dropped.
//! - A batch is written when it reaches `batch_size` records or its oldest record is
//!   `flush_interval` old, whichever comes first.
//! - A failed write keeps the batch and is retried with exponential backoff. Meanwhile the
//!   queue keeps draining into memory up to `max_pending` records, then backpressure applies.
//! - Health (ok / last error) is published on a `watch` channel for the status bar.
//! - When every handle is dropped the writer flushes what it holds and ends.

use crate::Store;
use crate::error::{Result, StoreError};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::time::Duration;
use takt_model::TimestampMs;
use takt_plant::{LinkState, LinkStatus, WorkCenterChange};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterConfig {
    /// Queue length between producers and the writer.
    pub capacity: usize,
    /// Records per transaction, and the batch size that triggers an immediate write.
    pub batch_size: usize,
    /// Longest a record waits before it is written.
    pub flush_interval: Duration,
    /// First retry delay after a failed write; doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Records held in memory while the database is unreachable before producers must wait.
    pub max_pending: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            capacity: 4_096,
            batch_size: 1_000,
            flush_interval: Duration::from_millis(500),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_pending: 200_000,
        }
    }
}

/// The writer's view of the database link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct WriterHealth {
    /// False after a failed write, until a write succeeds again.
    pub ok: bool,
    /// The error of the last failed write; kept after recovery so it can still be shown.
    pub last_error: Option<String>,
    /// When `ok` last changed (local clock).
    pub since_ms: TimestampMs,
    /// Records received but not yet written.
    pub pending: usize,
    /// Records written since the writer started.
    pub written: u64,
}

impl WriterHealth {
    /// The status-bar view of the database link.
    pub fn link_status(&self, target: &str) -> LinkStatus {
        LinkStatus {
            state: if self.ok {
                LinkState::Connected
            } else {
                LinkState::Down
            },
            target: target.to_owned(),
            since_ms: self.since_ms,
            error: if self.ok {
                None
            } else {
                self.last_error.clone()
            },
            hint: (!self.ok).then(|| {
                "history is kept in memory and written when the database is reachable again; \
                 check the database file's disk space and permissions (setting: database URL)"
                    .to_owned()
            }),
        }
    }
}

/// Spawns the background writer. See the module docs for its guarantees.
pub struct HistoryWriter;

impl HistoryWriter {
    /// A writer with a queue of `capacity` records and the default batching.
    pub fn spawn(store: Store, capacity: usize) -> (HistoryWriterHandle, JoinHandle<()>) {
        Self::spawn_with(
            store,
            WriterConfig {
                capacity,
                ..WriterConfig::default()
            },
        )
    }

    pub fn spawn_with(store: Store, config: WriterConfig) -> (HistoryWriterHandle, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        let initial = WriterHealth {
            ok: true,
            last_error: None,
            since_ms: crate::now_ms(),
            pending: 0,
            written: 0,
        };
        let (health_tx, health_rx) = watch::channel(initial);
        let task = tokio::spawn(run(store, config, rx, health_tx));
        (
            HistoryWriterHandle {
                tx,
                health: health_rx,
            },
            task,
        )
    }
}

/// Feeds the writer. Clone freely; the writer ends once every clone is dropped.
#[derive(Debug, Clone)]
pub struct HistoryWriterHandle {
    tx: mpsc::Sender<WorkCenterChange>,
    health: watch::Receiver<WriterHealth>,
}

impl HistoryWriterHandle {
    /// Queues one change, waiting while the queue is full. Fails only if the writer task
    /// has ended (it panicked or was aborted).
    pub async fn record(&self, change: WorkCenterChange) -> Result<()> {
        self.tx
            .send(change)
            .await
            .map_err(|_| StoreError::WriterStopped)
    }

    /// The writer's health, updated after every write attempt.
    pub fn health(&self) -> watch::Receiver<WriterHealth> {
        self.health.clone()
    }
}

async fn run(
    store: Store,
    config: WriterConfig,
    mut rx: mpsc::Receiver<WorkCenterChange>,
    health: watch::Sender<WriterHealth>,
) {
    let batch_size = config.batch_size.max(1);
    let mut pending: Vec<WorkCenterChange> = Vec::new();
    // When the oldest pending record must be written by.
    let mut deadline: Option<Instant> = None;
    // Set after a failed write: no attempt before then.
    let mut retry_at: Option<Instant> = None;
    let mut backoff = config.initial_backoff;
    let mut closed = false;

    loop {
        let now = Instant::now();
        let may_try = retry_at.is_none_or(|at| now >= at);
        let due = pending.len() >= batch_size || closed || deadline.is_some_and(|d| now >= d);
        if may_try && due && !pending.is_empty() {
            let n = pending.len().min(batch_size);
            match store.append_history(&pending[..n]).await {
                Ok(()) => {
                    pending.drain(..n);
                    retry_at = None;
                    backoff = config.initial_backoff;
                    if pending.is_empty() {
                        deadline = None;
                    }
                    let left = pending.len();
                    health.send_modify(|h| {
                        if !h.ok {
                            tracing::info!(records = n, "history writes recovered");
                            h.ok = true;
                            h.since_ms = crate::now_ms();
                        }
                        h.pending = left;
                        h.written += n as u64;
                    });
                }
                Err(e) => {
                    let text = e.to_string();
                    tracing::warn!(error = %text, pending = pending.len(), retry_in_ms = backoff.as_millis() as u64,
                        "history write failed; keeping the batch and retrying");
                    retry_at = Some(Instant::now() + backoff);
                    backoff = (backoff * 2).min(config.max_backoff);
                    let left = pending.len();
                    health.send_modify(|h| {
                        if h.ok {
                            h.ok = false;
                            h.since_ms = crate::now_ms();
                        }
                        h.last_error = Some(text);
                        h.pending = left;
                    });
                }
            }
            continue;
        }
        if closed && pending.is_empty() {
            break;
        }

        // Sleep until a record arrives or the next write is due.
        // (When no record can be accepted, a write is due and so `retry_at` is set.)
        let wake = retry_at.or(deadline);
        let accept = !closed && pending.len() < config.max_pending.max(batch_size);
        tokio::select! {
            received = rx.recv(), if accept => match received {
                Some(change) => {
                    if pending.is_empty() {
                        deadline = Some(Instant::now() + config.flush_interval);
                    }
                    pending.push(change);
                }
                None => closed = true,
            },
            () = sleep_until(wake), if wake.is_some() => {}
        }
    }
    tracing::debug!("history writer finished");
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
