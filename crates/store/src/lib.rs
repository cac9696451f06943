//! Takt's MES database: equipment hierarchy, products, work orders, shift calendars and the
//! state/counter historian, behind one cheap-to-clone async [`Store`].
//!
//! SQLite is embedded today. Every statement is written in the SQL subset PostgreSQL also
//! speaks (`$1` placeholders, BIGINT/TEXT, `ON CONFLICT`), and the backend is chosen in one
//! place ([`Backend`] from a parsed URL), so PostgreSQL is a new variant plus a
//! `migrations/postgres/` directory rather than a rewrite.
//!
//! The store never panics on what it reads: rows it cannot turn back into model values are
//! reported as [`StoreError::Corrupt`].

mod calendars;
mod downtime;
mod error;
mod hierarchy;
mod history;
mod orders;
mod reports;
mod url;
mod writer;

pub use downtime::DowntimeAuditRecord;
pub use error::{Result, StoreError};
pub use history::{CounterRecord, StateRecord};
pub use reports::{CounterReading, OrderRecord, StatePoint};
pub use url::redact;
pub use writer::{HistoryWriter, HistoryWriterHandle, WriterConfig, WriterHealth};

use error::QueryContext;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;
use url::{DatabaseUrl, SqliteTarget};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// How long a writer waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The connection pool of the configured backend. Matching on it is the only place the
/// backends differ.
#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
}

/// Handle to the MES database. Clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// Where the store points, password removed: for logs and the status bar.
    target: String,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    ///
    /// Accepted today: `sqlite:///absolute/path/takt.db`, `sqlite:relative/takt.db`,
    /// `sqlite::memory:`. `postgres://…` is recognised and refused with
    /// [`StoreError::Unsupported`].
    pub async fn open(url: &str) -> Result<Store> {
        match DatabaseUrl::parse(url)? {
            DatabaseUrl::Sqlite(target) => Self::open_sqlite(target, redact(url.trim())).await,
        }
    }

    /// Opens a database that must already exist: for tools that read (reports), where a
    /// mistyped path should be an error rather than a new empty database. The schema is
    /// still brought up to date.
    pub async fn open_existing(url: &str) -> Result<Store> {
        match DatabaseUrl::parse(url)? {
            DatabaseUrl::Sqlite(SqliteTarget::File(path)) if !path.is_file() => {
                Err(StoreError::NotFound {
                    what: format!("database file {}", path.display()),
                })
            }
            DatabaseUrl::Sqlite(target) => Self::open_sqlite(target, redact(url.trim())).await,
        }
    }

    /// Opens (creating if needed) the SQLite database file at `path`, parent directories included.
    pub async fn open_file(path: &Path) -> Result<Store> {
        let target = format!("sqlite://{}", path.display());
        Self::open_sqlite(SqliteTarget::File(path.to_path_buf()), target).await
    }

    async fn open_sqlite(target: SqliteTarget, shown: String) -> Result<Store> {
        let base = SqliteConnectOptions::new()
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            // Rows travel from sqlx's worker thread through a bounded channel; the default
            // of 50 hands over every 50 rows, which makes reading a month of history for a
            // report cost a thread switch per 50 rows.
            .row_buffer_size(4_096);
        let (options, pool_options) = match &target {
            SqliteTarget::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                let options = base
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal);
                // WAL: readers never wait for the historian; writes serialise on the file lock.
                (options, SqlitePoolOptions::new().max_connections(4))
            }
            SqliteTarget::Memory => {
                // One connection that never closes: an in-memory database lives as long as it.
                let options = base.in_memory(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
                (options, pool)
            }
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                url: shown.clone(),
                source,
            })?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        tracing::info!(database = %shown, "database open");
        Ok(Store {
            backend: Backend::Sqlite(pool),
            target: shown,
        })
    }

    /// Where this store points, with any password removed (for `LinkStatus::target`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the database already describes a plant (so a first run knows to seed it).
    pub async fn is_seeded(&self) -> Result<bool> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM equipment")
            .fetch_one(self.pool())
            .await
            .during("checking whether the database is seeded")?;
        Ok(count > 0)
    }

    /// Closes every connection, checkpointing the WAL. Other clones become unusable.
    pub async fn close(&self) {
        self.pool().close().await;
    }

    /// The SQLite pool. With a second backend, the statement modules would receive the
    /// backend's connection type instead (their SQL is already portable).
    fn pool(&self) -> &SqlitePool {
        let Backend::Sqlite(pool) = &self.backend;
        pool
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes SQLite's write lock up front, so a
    /// read-then-write transaction waits (busy timeout) instead of failing with
    /// `database is locked` when two writers meet.
    async fn write_tx(&self, action: &'static str) -> Result<Transaction<'static, Sqlite>> {
        self.pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .during(action)
    }
}

/// Milliseconds since the epoch, for `created_ms`/`updated_ms` bookkeeping.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests;
