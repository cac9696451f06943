//! Historian reads for reports: lean range queries per work center and the order history.
//!
//! Reports read weeks of history for dozens of work centers, so these queries return only
//! the columns a report needs (no path per row, no receive times) and are served by the
//! tables' primary keys, one work center at a time.
//!
//! **Packed results.** sqlx hands every row from its SQLite worker thread to the caller
//! separately, about 1.3 µs a row here, which is most of a month's report (400 000 rows).
//! The range reads therefore return one row per work center and counter: integers joined
//! with `group_concat`, state points (with free-text reasons) as a JSON array. That is
//! three to four times faster. Aggregates promise no order, so the results are sorted
//! here. PostgreSQL would use `string_agg` and `json_agg` for the same shape.

use crate::Store;
use crate::error::{QueryContext, Result, corrupt};
use crate::history::counter_kind_str;
use serde::{Deserialize, Serialize};
use specta::Type;
use takt_model::{CounterKind, EquipmentPath, StateKind, TimestampMs};

/// A work center entered `kind` at `start_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StatePoint {
    pub start_ms: TimestampMs,
    pub kind: StateKind,
    pub reason: Option<String>,
}

/// One cumulative counter reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CounterReading {
    pub timestamp_ms: TimestampMs,
    pub value: u64,
}

/// A line (or a work center running orders of its own) started `order`, making `product`,
/// at `start_ms`; `None`: no order from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct OrderRecord {
    pub path: EquipmentPath,
    pub start_ms: TimestampMs,
    pub order: Option<String>,
    pub product: Option<String>,
    pub received_ms: TimestampMs,
}

/// `[lo, hi)` bounds that select the paths strictly below `scope` in text order
/// (`'0'` is the character after `'/'`).
fn below(scope: &EquipmentPath) -> (String, String) {
    (format!("{scope}/"), format!("{scope}0"))
}

impl Store {
    /// Every path at or below `scope` that has state or counter history, sorted.
    ///
    /// Equipment discovered from a feed is in the historian but not always in the
    /// hierarchy, so reports ask the historian too. Each step of the recursive query is
    /// one index seek to the next distinct path, so this costs O(paths), not O(rows).
    pub async fn history_paths(&self, scope: &EquipmentPath) -> Result<Vec<EquipmentPath>> {
        const ACTION: &str = "listing work centers with history";
        let (lo, hi) = below(scope);
        let mut paths: Vec<String> = Vec::new();
        for (distinct, exact) in [
            (
                "WITH RECURSIVE p(path) AS ( \
                   SELECT MIN(path) FROM state_history WHERE path >= $1 AND path < $2 \
                   UNION ALL \
                   SELECT (SELECT MIN(path) FROM state_history WHERE path > p.path AND path < $2) \
                   FROM p WHERE p.path IS NOT NULL) \
                 SELECT path FROM p WHERE path IS NOT NULL",
                "SELECT path FROM state_history WHERE path = $1 LIMIT 1",
            ),
            (
                "WITH RECURSIVE p(path) AS ( \
                   SELECT MIN(path) FROM counter_history WHERE path >= $1 AND path < $2 \
                   UNION ALL \
                   SELECT (SELECT MIN(path) FROM counter_history WHERE path > p.path AND path < $2) \
                   FROM p WHERE p.path IS NOT NULL) \
                 SELECT path FROM p WHERE path IS NOT NULL",
                "SELECT path FROM counter_history WHERE path = $1 LIMIT 1",
            ),
        ] {
            let found: Vec<String> = sqlx::query_scalar(distinct)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(self.pool())
                .await
                .during(ACTION)?;
            paths.extend(found);
            let exact: Option<String> = sqlx::query_scalar(exact)
                .bind(scope.as_str())
                .fetch_optional(self.pool())
                .await
                .during(ACTION)?;
            paths.extend(exact);
        }
        paths.sort_unstable();
        paths.dedup();
        paths
            .iter()
            .map(|p| EquipmentPath::parse(p).map_err(|e| corrupt(format!("history path: {e}"))))
            .collect()
    }

    /// The state changes of `path` during `[from_ms, to_ms)`, oldest first, led by the
    /// state in effect at `from_ms` (which may start earlier).
    pub async fn state_points(
        &self,
        path: &EquipmentPath,
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    ) -> Result<Vec<StatePoint>> {
        const ACTION: &str = "reading state history";
        // One row holding every point as JSON (see the module docs for why).
        let packed: Option<String> = sqlx::query_scalar(
            "SELECT json_group_array(json_array(start_ms, kind, reason)) FROM ( \
               SELECT start_ms, kind, reason FROM state_history WHERE path = $1 AND start_ms = \
                 (SELECT MAX(start_ms) FROM state_history WHERE path = $1 AND start_ms < $2) \
               UNION ALL \
               SELECT start_ms, kind, reason FROM state_history \
               WHERE path = $1 AND start_ms >= $2 AND start_ms < $3)",
        )
        .bind(path.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await
        .during(ACTION)?;
        let rows: Vec<(i64, String, Option<String>)> =
            serde_json::from_str(packed.as_deref().unwrap_or("[]"))
                .map_err(|e| corrupt(format!("state history of `{path}`: {e}")))?;
        let mut points = rows
            .into_iter()
            .map(|(start_ms, kind, reason)| {
                Ok(StatePoint {
                    start_ms,
                    kind: kind
                        .parse()
                        .map_err(|e| corrupt(format!("state history of `{path}`: {e}")))?,
                    reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Aggregates do not promise an order.
        points.sort_by_key(|p| p.start_ms);
        Ok(points)
    }

    /// The `kind` readings of `path` during `[from_ms, to_ms)`, oldest first, led by the
    /// newest reading before `from_ms` (the baseline the first increment is measured from).
    pub async fn counter_readings(
        &self,
        path: &EquipmentPath,
        kind: CounterKind,
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    ) -> Result<Vec<CounterReading>> {
        const ACTION: &str = "reading counter history";
        // Two aggregates rather than one of `t || ',' || v`: no string per row, about a third
        // less work for SQLite. Both step through the same rows, so their items pair up.
        // The baseline apart: a UNION in the aggregate makes SQLite copy every row once more.
        let baseline: Option<(i64, i64)> = sqlx::query_as(
            "SELECT timestamp_ms, value FROM counter_history \
             WHERE path = $1 AND kind = $2 AND timestamp_ms < $3 ORDER BY timestamp_ms DESC LIMIT 1",
        )
        .bind(path.as_str())
        .bind(counter_kind_str(kind))
        .bind(from_ms)
        .fetch_optional(self.pool())
        .await
        .during(ACTION)?;
        let (times, values): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT group_concat(timestamp_ms), group_concat(value) FROM counter_history \
             WHERE path = $1 AND kind = $2 AND timestamp_ms >= $3 AND timestamp_ms < $4",
        )
        .bind(path.as_str())
        .bind(counter_kind_str(kind))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await
        .during(ACTION)?;
        let bad = || corrupt(format!("counter history of `{path}` cannot be read back"));
        let (times, values) = (split_list(times.as_deref()), split_list(values.as_deref()));
        if times.len() != values.len() {
            return Err(bad());
        }
        let baseline = baseline.map(|(t, v)| (t.to_string(), v.to_string()));
        let mut readings = baseline
            .iter()
            .map(|(t, v)| (t.as_str(), v.as_str()))
            .chain(times.into_iter().zip(values))
            .map(|(t, v)| {
                Ok(CounterReading {
                    timestamp_ms: t.parse().map_err(|_| bad())?,
                    value: v.parse().map_err(|_| bad())?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        readings.sort_by_key(|r| r.timestamp_ms);
        Ok(readings)
    }

    /// Records order changes; replays are idempotent (one row per line and start).
    pub async fn append_order_history(&self, records: &[OrderRecord]) -> Result<()> {
        const ACTION: &str = "writing order history";
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx(ACTION).await?;
        for r in records {
            sqlx::query(
                "INSERT INTO order_history (path, start_ms, order_number, product, received_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (path, start_ms) DO UPDATE SET \
                 order_number = excluded.order_number, product = excluded.product",
            )
            .bind(r.path.as_str())
            .bind(r.start_ms)
            .bind(&r.order)
            .bind(&r.product)
            .bind(r.received_ms)
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        }
        tx.commit().await.during(ACTION)
    }

    /// Order changes of `path` (a line or work center) during `[from_ms, to_ms)`, oldest first, led by the order in
    /// effect at `from_ms`.
    pub async fn order_history(
        &self,
        path: &EquipmentPath,
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    ) -> Result<Vec<OrderRecord>> {
        let rows: Vec<(i64, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT * FROM (SELECT start_ms, order_number, product, received_ms FROM order_history \
               WHERE path = $1 AND start_ms < $2 ORDER BY start_ms DESC LIMIT 1) \
             UNION ALL \
             SELECT start_ms, order_number, product, received_ms FROM order_history \
             WHERE path = $1 AND start_ms >= $2 AND start_ms < $3 \
             ORDER BY 1",
        )
        .bind(path.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await
        .during("reading order history")?;
        Ok(rows
            .into_iter()
            .map(|(start_ms, order, product, received_ms)| OrderRecord {
                path: path.clone(),
                start_ms,
                order,
                product,
                received_ms,
            })
            .collect())
    }
}

/// `a,b,c` → `[a, b, c]`; nothing (no rows) → `[]`.
fn split_list(list: Option<&str>) -> Vec<&str> {
    match list {
        None | Some("") => Vec::new(),
        Some(s) => s.split(',').collect(),
    }
}
