//! Store errors. Each variant says what went wrong *and* what to look at, because these
//! messages end up in the status bar and the CLI, read by people who cannot see the code.

use std::path::PathBuf;
use takt_model::{OrderError, PathError, ShiftError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL `{url}` is not valid: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("{0}")]
    Unsupported(String),

    #[error("cannot create the database directory {}: {source}; choose a writable location for the database", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "cannot open the database `{url}`: {source}; check the path exists, is writable and is not locked by another program"
    )]
    Open { url: String, source: sqlx::Error },

    #[error(
        "cannot bring the database schema up to date: {0}; the file may belong to a newer Takt version or be damaged"
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("database error while {action}: {source}")]
    Query {
        action: &'static str,
        source: sqlx::Error,
    },

    /// A row the store cannot turn back into a model value; the database was edited by hand
    /// or by another program.
    #[error("the database holds invalid data: {what}")]
    Corrupt { what: String },

    #[error("{what} not found")]
    NotFound { what: String },

    /// The change would break something else stored (e.g. removing a work center that
    /// orders are routed to).
    #[error("{0}")]
    Conflict(String),

    #[error("invalid plant: {0}")]
    InvalidPlant(#[from] PathError),

    #[error("{0}")]
    InvalidOrder(#[from] OrderError),

    #[error("`{0}` is not a site (`enterprise/site`); shift calendars belong to sites")]
    NotASite(String),

    #[error("invalid shift calendar for site `{site}`: {source}")]
    InvalidCalendar { site: String, source: ShiftError },

    #[error("the history writer has stopped; no more history can be recorded")]
    WriterStopped,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attaches what the store was doing to a sqlx error.
pub(crate) trait QueryContext<T> {
    fn during(self, action: &'static str) -> Result<T>;
}

impl<T> QueryContext<T> for std::result::Result<T, sqlx::Error> {
    fn during(self, action: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Query { action, source })
    }
}

pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}

/// Integers are stored as BIGINT (PostgreSQL has no unsigned types); this converts back and
/// reports out-of-range values instead of truncating them.
pub(crate) fn int_from_db<T: TryFrom<i64>>(value: i64, what: impl FnOnce() -> String) -> Result<T> {
    T::try_from(value).map_err(|_| corrupt(format!("{} is out of range ({value})", what())))
}
