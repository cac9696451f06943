//! Takt reports: OEE and the loss Pareto computed from the historian, and shift reports
//! drawn as SVG, PNG or PDF.
//!
//! - [`history`]: the adapter from the store (state and counter history, order history,
//!   calendars, products) to the takt-oee engine: [`scope_oee`], [`day_oee`].
//! - [`generate`]: fills a database with a seeded synthetic history (tests, benchmarks).
//! - [`shift_report`]: the shift report's data ([`ShiftReport`]) and drawing.

pub mod generate;
pub mod history;
pub mod line_detail;
pub mod shift_report;

pub use generate::{GeneratedDatabase, fill_generated_history};
pub use history::{
    DayOee, HistoryOptions, LineOee, LoadedHistory, ScopeOee, ShiftOee, day_oee, load_history,
    scope_oee,
};
pub use line_detail::{
    DowntimeRow, LineDetail, OrderRow, ReasonChoice, WorkCenterDetail, edit_downtime, line_detail,
};
pub use shift_report::{
    GroupBy, ParetoBar, ReportBar, ReportFormat, ShiftReport, ShiftReportLine, render,
    render_shift_report, shift_report,
};

use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use std::path::PathBuf;
use takt_model::ShiftError;
use takt_store::StoreError;

/// Everything a report can fail with; each message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(
        "`{scope}` is not a known line or equipment: nothing at or below it in the plant or its history; \
         check the path (enterprise/site/area/line)"
    )]
    UnknownScope { scope: String },

    #[error(
        "no history for `{scope}` on {date}: no work center recorded any state or count in that day's shifts"
    )]
    NoHistory { scope: String, date: NaiveDate },

    #[error("the shift calendar of site `{site}` is invalid: {source}")]
    Calendar { site: String, source: ShiftError },

    #[error(
        "PNG and PDF output need a TrueType font and none was found (tried {}); install fonts-dejavu-core \
         (Debian/Ubuntu), set TAKT_FONT to a .ttf file, or use SVG output",
        .tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    FontMissing { tried: Vec<PathBuf> },

    #[error("{0}")]
    Edit(#[from] takt_oee::EditError),

    #[error("drawing the report failed: {0}")]
    Draw(String),

    #[error("converting the report to PDF failed: {0}; SVG and PNG output still work")]
    Pdf(String),

    #[error("internal error: {0}")]
    Internal(String),
}

impl ReportError {
    /// A short tag for the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            ReportError::Store(_) => "database",
            ReportError::UnknownScope { .. } => "unknown_scope",
            ReportError::NoHistory { .. } => "no_history",
            ReportError::Calendar { .. } => "calendar",
            ReportError::FontMissing { .. } => "font_missing",
            ReportError::Edit(_) => "edit_refused",
            ReportError::Draw(_) => "draw",
            ReportError::Pdf(_) => "pdf",
            ReportError::Internal(_) => "internal",
        }
    }
}

/// `{ "kind": "...", "message": "..." }`, like the app's other errors.
impl Serialize for ReportError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ReportError", 2)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}
