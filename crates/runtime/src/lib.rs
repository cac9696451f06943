//! Takt's runtime: reads the settings and wires the engine together — database, embedded
//! demo broker and simulator (when no broker is configured), MQTT feed, live plant state
//! and historian. The desktop shell and the `takt` CLI both start Takt through here.

mod alerts;
mod demo_history;
mod error;
mod line_view;
mod paths;
mod settings;
mod takt;

pub use alerts::{Alerts, AlertsView, current_user};
pub use error::{ErrorKind, TaktError};
pub use line_view::{DetailRange, LineDetailView, LiveLineOee, LiveOee};
pub use paths::Paths;
pub use settings::{DowntimeSettings, Settings, SettingsView, default_reason_tree};
pub use takt::{Takt, TaktOptions};
pub use takt_alerts::{Alert, AlertKind, AlertRules, Severity};

pub use takt_connect::BrokerSettings;
pub use takt_oee::AuditAction;
