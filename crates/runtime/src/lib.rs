//! Takt's runtime: reads the settings and wires the engine together — database, embedded
//! demo broker and simulator (when no broker is configured), MQTT feed, live plant state
//! and historian. The desktop shell and the `takt` CLI both start Takt through here.

mod alerts;
mod error;
mod paths;
mod settings;
mod takt;

pub use alerts::{Alerts, AlertsView, current_user};
pub use error::{ErrorKind, TaktError};
pub use paths::Paths;
pub use settings::{Settings, SettingsView};
pub use takt::{Takt, TaktOptions};
pub use takt_alerts::{Alert, AlertKind, AlertRules, Severity};

pub use takt_connect::BrokerSettings;
