//! The historian: state intervals and cumulative counter readings per work center.
//!
//! Writes are idempotent (keyed on path + source timestamp), so a batch that is retried
//! after a failed commit, or replayed after a restart, never duplicates anything.

use crate::Store;
use crate::error::{QueryContext, Result, corrupt, int_from_db};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;
use takt_model::{CounterDelta, CounterKind, EquipmentPath, StateKind, TimestampMs};
use takt_plant::WorkCenterChange;

/// A work center entered `kind` at `start_ms` (source time); it lasted until the next record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StateRecord {
    pub path: EquipmentPath,
    pub kind: StateKind,
    pub reason: Option<String>,
    pub start_ms: TimestampMs,
    /// When Takt received the change (local clock).
    pub received_ms: TimestampMs,
}

/// One cumulative counter reading and the parts it adds to the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CounterRecord {
    pub path: EquipmentPath,
    pub kind: CounterKind,
    pub timestamp_ms: TimestampMs,
    /// The reading as the source reported it.
    pub value: u64,
    /// Parts since the previous reading (0 for the first; the reading itself after a reset).
    pub delta: u64,
    pub received_ms: TimestampMs,
}

pub(crate) fn counter_kind_str(kind: CounterKind) -> &'static str {
    match kind {
        CounterKind::Good => "good",
        CounterKind::Scrap => "scrap",
    }
}

fn parse_counter_kind(s: &str) -> Result<CounterKind> {
    match s {
        "good" => Ok(CounterKind::Good),
        "scrap" => Ok(CounterKind::Scrap),
        other => Err(corrupt(format!(
            "unknown counter kind `{other}` in the counter history"
        ))),
    }
}

type StateRow = (String, String, Option<String>, i64, i64);

fn state_record((path, kind, reason, start_ms, received_ms): StateRow) -> Result<StateRecord> {
    Ok(StateRecord {
        path: EquipmentPath::parse(&path).map_err(|e| corrupt(format!("state history: {e}")))?,
        kind: kind
            .parse()
            .map_err(|e| corrupt(format!("state history of `{path}`: {e}")))?,
        reason,
        start_ms,
        received_ms,
    })
}

impl Store {
    /// Records a batch of work-center changes in one transaction.
    ///
    /// - State: one row per (path, `state_since_ms`, kind); a later change of the reason
    ///   within the same interval (a stop classified after the fact) updates that row.
    ///   Changes without `state_since_ms` (a work center never heard from) write no state.
    /// - Counters: one row per (path, kind, `timestamp_ms`) for each `good_total` /
    ///   `scrap_total` present, unless the reading repeats the previous one; the delta is
    ///   computed against the previous stored reading, across restarts.
    pub async fn append_history(&self, changes: &[WorkCenterChange]) -> Result<()> {
        const ACTION: &str = "writing history";
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx(ACTION).await?;
        // Last reading per counter seen in this batch: saves a lookup per record.
        let mut last: HashMap<(&str, CounterKind), (TimestampMs, i64)> = HashMap::new();
        // State written per work center in this batch: most changes are counter readings that
        // repeat the current state, and writing it again would change nothing.
        let mut written: HashMap<&str, (TimestampMs, StateKind, Option<&str>)> = HashMap::new();
        for change in changes {
            let path = change.path.as_str();
            let state = change
                .state_since_ms
                .map(|since| (since, change.state, change.reason.as_deref()));
            if let Some(state @ (since, _, _)) = state
                && written.get(path) != Some(&state)
            {
                written.insert(path, state);
                sqlx::query(
                    "INSERT INTO state_history (path, start_ms, kind, reason, received_ms) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (path, start_ms, kind) DO UPDATE SET reason = excluded.reason \
                     WHERE COALESCE(state_history.reason, '') <> COALESCE(excluded.reason, '')",
                )
                .bind(path)
                .bind(since)
                .bind(change.state.as_str())
                .bind(&change.reason)
                .bind(change.received_ms)
                .execute(&mut *tx)
                .await
                .during(ACTION)?;
            }

            for (kind, total) in [
                (CounterKind::Good, change.good_total),
                (CounterKind::Scrap, change.scrap_total),
            ] {
                let Some(total) = total else { continue };
                let Ok(value) = i64::try_from(total) else {
                    // Never fail the batch over one reading: the writer would retry it forever.
                    tracing::warn!(
                        path,
                        value = total,
                        "counter reading too large to store; skipped"
                    );
                    continue;
                };
                let t = change.timestamp_ms;
                let previous = match last.get(&(path, kind)) {
                    Some(&(at, value)) if at < t => Some(value),
                    _ => sqlx::query_scalar(
                        "SELECT value FROM counter_history WHERE path = $1 AND kind = $2 AND timestamp_ms < $3 \
                         ORDER BY timestamp_ms DESC LIMIT 1",
                    )
                    .bind(path)
                    .bind(counter_kind_str(kind))
                    .bind(t)
                    .fetch_optional(&mut *tx)
                    .await
                    .during(ACTION)?,
                };
                last.insert((path, kind), (t, value));
                if previous == Some(value) {
                    continue;
                }
                let previous = previous.map(|p: i64| p.max(0) as u64);
                let delta = CounterDelta::between(previous, total).parts() as i64;
                sqlx::query(
                    "INSERT INTO counter_history (path, kind, timestamp_ms, value, delta, received_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (path, kind, timestamp_ms) DO NOTHING",
                )
                .bind(path)
                .bind(counter_kind_str(kind))
                .bind(t)
                .bind(value)
                .bind(delta)
                .bind(change.received_ms)
                .execute(&mut *tx)
                .await
                .during(ACTION)?;
            }
        }
        tx.commit().await.during(ACTION)
    }

    /// Retention: deletes state, counter and order history older than `before_ms`, keeping for every
    /// work center (and line) the last state, last counter reading and last order before the cutoff, so
    /// what was in effect at the cutoff stays known. Returns the rows deleted.
    pub async fn delete_history_before(&self, before_ms: TimestampMs) -> Result<u64> {
        const ACTION: &str = "deleting old history";
        let mut tx = self.write_tx(ACTION).await?;
        let mut deleted = 0;
        for sql in [
            "DELETE FROM state_history WHERE start_ms < $1 AND start_ms < \
               (SELECT MAX(h.start_ms) FROM state_history h WHERE h.path = state_history.path AND h.start_ms < $1)",
            "DELETE FROM counter_history WHERE timestamp_ms < $1 AND timestamp_ms < \
               (SELECT MAX(h.timestamp_ms) FROM counter_history h WHERE h.path = counter_history.path \
                AND h.kind = counter_history.kind AND h.timestamp_ms < $1)",
            "DELETE FROM order_history WHERE start_ms < $1 AND start_ms < \
               (SELECT MAX(h.start_ms) FROM order_history h WHERE h.path = order_history.path AND h.start_ms < $1)",
        ] {
            deleted += sqlx::query(sql)
                .bind(before_ms)
                .execute(&mut *tx)
                .await
                .during(ACTION)?
                .rows_affected();
        }
        tx.commit().await.during(ACTION)?;
        Ok(deleted)
    }

    /// The states of `path` during `[from_ms, to_ms)`, oldest first. The first record is the
    /// state in effect at `from_ms`, so it may start earlier.
    pub async fn state_history(
        &self,
        path: &EquipmentPath,
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    ) -> Result<Vec<StateRecord>> {
        const ACTION: &str = "reading state history";
        let before: Option<StateRow> = sqlx::query_as(
            "SELECT path, kind, reason, start_ms, received_ms FROM state_history \
             WHERE path = $1 AND start_ms < $2 ORDER BY start_ms DESC, received_ms DESC LIMIT 1",
        )
        .bind(path.as_str())
        .bind(from_ms)
        .fetch_optional(self.pool())
        .await
        .during(ACTION)?;
        let during: Vec<StateRow> = sqlx::query_as(
            "SELECT path, kind, reason, start_ms, received_ms FROM state_history \
             WHERE path = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms, received_ms",
        )
        .bind(path.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        before.into_iter().chain(during).map(state_record).collect()
    }

    /// The `kind` counter readings of `path` with `from_ms <= timestamp < to_ms`, oldest first.
    pub async fn counter_history(
        &self,
        path: &EquipmentPath,
        kind: CounterKind,
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    ) -> Result<Vec<CounterRecord>> {
        let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT path, kind, timestamp_ms, value, delta, received_ms FROM counter_history \
             WHERE path = $1 AND kind = $2 AND timestamp_ms >= $3 AND timestamp_ms < $4 ORDER BY timestamp_ms",
        )
        .bind(path.as_str())
        .bind(counter_kind_str(kind))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await
        .during("reading counter history")?;
        rows.into_iter()
            .map(|(p, kind, timestamp_ms, value, delta, received_ms)| {
                Ok(CounterRecord {
                    path: EquipmentPath::parse(&p)
                        .map_err(|e| corrupt(format!("counter history: {e}")))?,
                    kind: parse_counter_kind(&kind)?,
                    value: int_from_db(value, || format!("counter reading of `{p}`"))?,
                    delta: int_from_db(delta, || format!("counter delta of `{p}`"))?,
                    timestamp_ms,
                    received_ms,
                })
            })
            .collect()
    }

    /// The newest stored reading of a counter before `before_ms` (`i64::MAX`: the newest of
    /// all): the baseline a restarted Takt continues from, so parts made while it was not
    /// running are still counted.
    pub async fn last_counter_before(
        &self,
        path: &EquipmentPath,
        kind: CounterKind,
        before_ms: TimestampMs,
    ) -> Result<Option<CounterRecord>> {
        self.one_counter(
            "SELECT timestamp_ms, value, delta, received_ms FROM counter_history \
             WHERE path = $1 AND kind = $2 AND timestamp_ms < $3 ORDER BY timestamp_ms DESC LIMIT 1",
            path,
            kind,
            before_ms,
        )
        .await
    }

    /// The oldest stored reading of a counter at or after `from_ms`.
    pub async fn first_counter_since(
        &self,
        path: &EquipmentPath,
        kind: CounterKind,
        from_ms: TimestampMs,
    ) -> Result<Option<CounterRecord>> {
        self.one_counter(
            "SELECT timestamp_ms, value, delta, received_ms FROM counter_history \
             WHERE path = $1 AND kind = $2 AND timestamp_ms >= $3 ORDER BY timestamp_ms LIMIT 1",
            path,
            kind,
            from_ms,
        )
        .await
    }

    async fn one_counter(
        &self,
        sql: &'static str,
        path: &EquipmentPath,
        kind: CounterKind,
        time_ms: TimestampMs,
    ) -> Result<Option<CounterRecord>> {
        let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(sql)
            .bind(path.as_str())
            .bind(counter_kind_str(kind))
            .bind(time_ms)
            .fetch_optional(self.pool())
            .await
            .during("reading a counter reading")?;
        row.map(|(timestamp_ms, value, delta, received_ms)| {
            Ok(CounterRecord {
                path: path.clone(),
                kind,
                value: int_from_db(value, || format!("counter reading of `{path}`"))?,
                delta: int_from_db(delta, || format!("counter delta of `{path}`"))?,
                timestamp_ms,
                received_ms,
            })
        })
        .transpose()
    }

    /// Parts of `kind` counted at `path` since `from_ms` (sum of deltas): primes a shift's
    /// counters when Takt restarts mid-shift.
    pub async fn counted_since(
        &self,
        path: &EquipmentPath,
        kind: CounterKind,
        from_ms: TimestampMs,
    ) -> Result<u64> {
        // CAST: PostgreSQL's SUM(BIGINT) is NUMERIC.
        let sum: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM counter_history \
             WHERE path = $1 AND kind = $2 AND timestamp_ms >= $3",
        )
        .bind(path.as_str())
        .bind(counter_kind_str(kind))
        .bind(from_ms)
        .fetch_one(self.pool())
        .await
        .during("summing counted parts")?;
        int_from_db(sum, || format!("parts counted at `{path}`"))
    }

    /// Good parts counted at `path` since `from_ms`.
    pub async fn good_since(&self, path: &EquipmentPath, from_ms: TimestampMs) -> Result<u64> {
        self.counted_since(path, CounterKind::Good, from_ms).await
    }
}
