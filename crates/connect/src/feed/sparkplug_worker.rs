//! The Sparkplug task behind the MQTT task: decoding a 20-metric DDATA costs more than a UNS message, and
//! the socket must keep being read meanwhile, or the broker's per-client queue overflows and drops messages.

use crate::sparkplug::{Outputs, SparkplugSession};
use rumqttc::{AsyncClient, QoS};
use std::sync::Arc;
use std::time::Duration;
use takt_model::TimestampMs;
use takt_plant::{PlantInput, now_ms};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Messages the Sparkplug task may hold: seconds of a busy plant, bounded so memory is too (the MQTT task
/// waits when it is full, which is backpressure, not loss).
pub(crate) const SPARKPLUG_QUEUE: usize = 65_536;

/// Payload bytes the queue may hold. A count alone does not bound memory when births are large: 65 536
/// births of 5 MB would be 320 GB. Small data messages never reach this; a storm of big births waits here.
pub(crate) const SPARKPLUG_QUEUE_BYTES: usize = 64 * 1024 * 1024;

/// What the MQTT task hands the Sparkplug task, in arrival order.
enum SparkplugInput {
    /// The permit holds the payload's share of [`SPARKPLUG_QUEUE_BYTES`] until the message is handled.
    Message(String, bytes::Bytes, TimestampMs, OwnedSemaphorePermit),
    Connected(TimestampMs),
    Lost(TimestampMs),
}

/// The MQTT task's end of the Sparkplug task. Every send fails once that task has ended.
pub(crate) struct SparkplugWorker {
    tx: mpsc::Sender<SparkplugInput>,
    bytes: Arc<Semaphore>,
}

/// The Sparkplug task is gone (the plant input closed).
#[derive(Debug)]
pub(crate) struct WorkerGone;

impl SparkplugWorker {
    /// Starts the Sparkplug task; it ends when this worker is dropped or the plant input closes.
    pub(crate) fn spawn(
        session: SparkplugSession,
        client: AsyncClient,
        plant: mpsc::Sender<PlantInput>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(SPARKPLUG_QUEUE);
        tokio::spawn(run(session, rx, client, plant));
        Self {
            tx,
            bytes: Arc::new(Semaphore::new(SPARKPLUG_QUEUE_BYTES)),
        }
    }

    /// Queues one message, waiting while the queue is full by count or by bytes. A payload larger than
    /// the whole byte budget waits for an empty queue, then goes alone.
    pub(crate) async fn message(
        &self,
        topic: String,
        payload: bytes::Bytes,
        at: TimestampMs,
    ) -> Result<(), WorkerGone> {
        let share = payload.len().clamp(1, SPARKPLUG_QUEUE_BYTES);
        let permit = self
            .bytes
            .clone()
            .acquire_many_owned(u32::try_from(share).unwrap_or(u32::MAX))
            .await
            .map_err(|_| WorkerGone)?;
        self.send(SparkplugInput::Message(topic, payload, at, permit))
            .await
    }

    pub(crate) async fn connected(&self, at: TimestampMs) -> Result<(), WorkerGone> {
        self.send(SparkplugInput::Connected(at)).await
    }

    pub(crate) async fn lost(&self, at: TimestampMs) -> Result<(), WorkerGone> {
        self.send(SparkplugInput::Lost(at)).await
    }

    async fn send(&self, input: SparkplugInput) -> Result<(), WorkerGone> {
        self.tx.send(input).await.map_err(|_| WorkerGone)
    }
}

async fn run(
    mut session: SparkplugSession,
    mut rx: mpsc::Receiver<SparkplugInput>,
    client: AsyncClient,
    plant: mpsc::Sender<PlantInput>,
) {
    // Reorder timeouts and delayed rebirths need a clock even when no message arrives.
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let out = tokio::select! {
            input = rx.recv() => match input {
                Some(SparkplugInput::Message(topic, payload, at, permit)) => {
                    let out = session.on_message(&topic, &payload, at);
                    // The payload is freed here, not when the outputs are delivered.
                    drop((payload, permit));
                    out
                }
                Some(SparkplugInput::Connected(at)) => session.on_connected(at),
                Some(SparkplugInput::Lost(at)) => session.on_connection_lost(at),
                None => break,
            },
            _ = tick.tick() => session.on_tick(now_ms()),
        };
        if !deliver(out, &client, &plant).await {
            break;
        }
    }
}

/// Sends a Sparkplug step's plant inputs and queues its publishes (rebirth requests). `try_publish` only
/// queues: awaiting a publish inside the polling task could deadlock it. False when the plant is gone.
async fn deliver(out: Outputs, client: &AsyncClient, plant: &mpsc::Sender<PlantInput>) -> bool {
    for (topic, payload) in out.publishes {
        tracing::info!(%topic, "Sparkplug rebirth requested");
        if let Err(e) = client.try_publish(topic, QoS::AtLeastOnce, false, payload) {
            tracing::warn!(error = %e, "could not queue a Sparkplug rebirth request");
        }
    }
    for input in out.inputs {
        if plant.send(input).await.is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SparkplugSettings;
    use rumqttc::MqttOptions;

    fn worker() -> (SparkplugWorker, mpsc::Receiver<PlantInput>) {
        // A client whose event loop never runs: nothing here publishes.
        let (client, _eventloop) = AsyncClient::new(MqttOptions::new("t", "127.0.0.1", 1), 8);
        let (plant, inputs) = mpsc::channel(1_024);
        let session = SparkplugSession::new(&SparkplugSettings::default());
        (SparkplugWorker::spawn(session, client, plant), inputs)
    }

    #[tokio::test]
    async fn queued_bytes_are_bounded_and_freed_once_handled() {
        let (worker, mut inputs) = worker();
        let budget = worker.bytes.clone();
        // Garbage on a Sparkplug topic: each is handled (rejected) and frees its bytes.
        let big = bytes::Bytes::from(vec![0xff; SPARKPLUG_QUEUE_BYTES / 4]);
        for _ in 0..12 {
            worker
                .message("spBv1.0/g/NDATA/n".into(), big.clone(), 1)
                .await
                .expect("worker runs");
        }
        // Larger than the whole budget: still accepted, alone.
        let huge = bytes::Bytes::from(vec![0xff; SPARKPLUG_QUEUE_BYTES + 1]);
        worker
            .message("spBv1.0/g/NDATA/n".into(), huge, 2)
            .await
            .expect("worker runs");
        let mut rejected = 0;
        while rejected < 13 {
            match inputs.recv().await {
                Some(PlantInput::Rejected { .. }) => rejected += 1,
                Some(_) => {}
                None => panic!("plant input closed"),
            }
        }
        // Every permit is back once the messages are handled.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while budget.available_permits() < SPARKPLUG_QUEUE_BYTES {
            assert!(tokio::time::Instant::now() < deadline, "bytes not freed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_full_byte_budget_makes_the_sender_wait() {
        // A worker whose task is not running: nothing is handled, so the budget only fills.
        let (tx, _rx) = mpsc::channel(SPARKPLUG_QUEUE);
        let worker = SparkplugWorker {
            tx,
            bytes: Arc::new(Semaphore::new(SPARKPLUG_QUEUE_BYTES)),
        };
        let half = bytes::Bytes::from(vec![0; SPARKPLUG_QUEUE_BYTES / 2]);
        for _ in 0..2 {
            worker
                .message("t".into(), half.clone(), 0)
                .await
                .expect("room for two halves");
        }
        let third = worker.message("t".into(), half, 0);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), third)
                .await
                .is_err(),
            "the third half must wait for room"
        );
    }
}
