//! The downtime edit journal (see `migrations/sqlite/0003_downtime_audit.sql`).
//!
//! The store keeps each entry as opaque JSON: the entry's shape belongs to the OEE engine
//! (takt-oee's `AuditEntry`), which the store does not depend on.

use crate::Store;
use crate::error::{QueryContext, Result, corrupt};
use takt_model::{EquipmentPath, TimestampMs};

/// One stored downtime edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DowntimeAuditRecord {
    /// Journal order: edits are replayed by ascending id.
    pub id: i64,
    pub work_center: EquipmentPath,
    /// Start of the (first) event the edit names.
    pub event_start_ms: TimestampMs,
    pub at_ms: TimestampMs,
    pub user: String,
    /// The audit entry as JSON.
    pub entry: String,
}

impl Store {
    /// Appends one edit to the journal and returns its id. Not batched: the supervisor sees
    /// the edit as saved only once it is committed.
    pub async fn append_downtime_audit(
        &self,
        work_center: &EquipmentPath,
        event_start_ms: TimestampMs,
        at_ms: TimestampMs,
        user: &str,
        entry: &str,
    ) -> Result<i64> {
        const ACTION: &str = "saving a downtime edit";
        let mut tx = self.write_tx(ACTION).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO downtime_audit (work_center, event_start_ms, at_ms, user_name, entry) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(work_center.as_str())
        .bind(event_start_ms)
        .bind(at_ms)
        .bind(user)
        .bind(entry)
        .fetch_one(&mut *tx)
        .await
        .during(ACTION)?;
        tx.commit().await.during(ACTION)?;
        Ok(id)
    }

    /// The edits of `work_center` naming events that start in `[from_ms, to_ms)`, in journal
    /// order.
    pub async fn downtime_audit(
        &self,
        work_center: &EquipmentPath,
        from_ms: TimestampMs,
        to_ms: TimestampMs,
    ) -> Result<Vec<DowntimeAuditRecord>> {
        let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, event_start_ms, at_ms, user_name, entry FROM downtime_audit \
             WHERE work_center = $1 AND event_start_ms >= $2 AND event_start_ms < $3 \
             ORDER BY id",
        )
        .bind(work_center.as_str())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await
        .during("reading downtime edits")?;
        Ok(rows
            .into_iter()
            .map(
                |(id, event_start_ms, at_ms, user, entry)| DowntimeAuditRecord {
                    id,
                    work_center: work_center.clone(),
                    event_start_ms,
                    at_ms,
                    user,
                    entry,
                },
            )
            .collect())
    }

    /// Every edit in the journal of any work center at or below `scope`, newest first, at
    /// most `limit` (the audit trail screen).
    pub async fn recent_downtime_audit(
        &self,
        scope: &EquipmentPath,
        limit: u32,
    ) -> Result<Vec<DowntimeAuditRecord>> {
        let (lo, hi) = (format!("{scope}/"), format!("{scope}0"));
        let rows: Vec<(i64, String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, work_center, event_start_ms, at_ms, user_name, entry FROM downtime_audit \
             WHERE work_center = $1 OR (work_center >= $2 AND work_center < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(scope.as_str())
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .during("reading downtime edits")?;
        rows.into_iter()
            .map(|(id, wc, event_start_ms, at_ms, user, entry)| {
                Ok(DowntimeAuditRecord {
                    id,
                    work_center: EquipmentPath::parse(&wc)
                        .map_err(|e| corrupt(format!("downtime audit: {e}")))?,
                    event_start_ms,
                    at_ms,
                    user,
                    entry,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_journal_keeps_order_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("takt.db");
        let wc = EquipmentPath::parse("acme/berlin/packaging/line-1/filler").unwrap();
        let other = EquipmentPath::parse("acme/berlin/packaging/line-2/filler").unwrap();
        {
            let store = Store::open_file(&file).await.unwrap();
            let a = store
                .append_downtime_audit(&wc, 1_000, 5_000, "anna", r#"{"n":1}"#)
                .await
                .unwrap();
            let b = store
                .append_downtime_audit(&wc, 500, 6_000, "ben", r#"{"n":2}"#)
                .await
                .unwrap();
            store
                .append_downtime_audit(&other, 1_000, 7_000, "cem", r#"{"n":3}"#)
                .await
                .unwrap();
            assert!(b > a);
            store.close().await;
        }
        let store = Store::open_file(&file).await.unwrap();
        let all = store.downtime_audit(&wc, 0, 10_000).await.unwrap();
        let users: Vec<&str> = all.iter().map(|r| r.user.as_str()).collect();
        assert_eq!(users, ["anna", "ben"], "journal order, one work center");
        assert_eq!(all[1].entry, r#"{"n":2}"#);
        let late = store.downtime_audit(&wc, 600, 10_000).await.unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].event_start_ms, 1_000);
        let line = EquipmentPath::parse("acme/berlin/packaging/line-1").unwrap();
        let recent = store.recent_downtime_audit(&line, 10).await.unwrap();
        assert_eq!(
            recent.iter().map(|r| r.user.as_str()).collect::<Vec<_>>(),
            ["ben", "anna"]
        );
    }
}
