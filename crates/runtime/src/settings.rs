//! User settings: one JSON file. No broker means the embedded demo plant; no database URL
//! means the embedded SQLite file.

use crate::{Paths, TaktError};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::path::Path;
use takt_alerts::AlertRules;
use takt_connect::BrokerSettings;
use takt_model::TimestampMs;
use takt_oee::{OeeConfig, ReasonNode, ReasonTree, StopCategory};
use takt_report::HistoryOptions;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Settings {
    /// The plant's broker; `null` runs the embedded demo plant.
    #[serde(default)]
    pub broker: Option<BrokerSettings>,
    /// `sqlite:///path/takt.db` (or `postgres://…` when supported); `null` uses the
    /// embedded SQLite file in the data directory.
    #[serde(default)]
    pub database_url: Option<String>,
    #[serde(default = "default_stale")]
    pub stale_after_s: u32,
    #[serde(default = "default_offline")]
    pub offline_after_s: u32,
    /// Andon thresholds; missing fields take their defaults.
    #[serde(default)]
    pub alerts: AlertRules,
    /// History older than this many days is deleted (checked hourly); 0 keeps everything.
    #[serde(default = "default_retention")]
    pub history_retention_days: u32,
    /// Reason tree and micro-stop threshold for downtime and OEE.
    #[serde(default)]
    pub downtime: DowntimeSettings,
}

/// How stops are classified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DowntimeSettings {
    /// Stops shorter than this are micro-stops (performance loss, not a breakdown).
    #[serde(default = "default_micro_stop")]
    pub micro_stop_threshold_s: u32,
    /// The reasons a supervisor can charge a stop to. Codes are the full paths
    /// (`MECH/JAM`); feeds should send them as the stop's reason.
    #[serde(default = "default_reason_tree")]
    pub reasons: ReasonTree,
}

fn default_micro_stop() -> u32 {
    120
}

/// The reasons the demo plant's machines report, grouped the way a maintenance team sorts them.
pub fn default_reason_tree() -> ReasonTree {
    use StopCategory::{Breakdown, MicroStop, Setup};
    let n = ReasonNode::new;
    ReasonTree {
        roots: vec![
            n("MECH", "Mechanical", Some(Breakdown))
                .with(vec![n("JAM", "Jam", None), n("BEARING", "Bearing", None)]),
            n("ELEC", "Electrical", Some(Breakdown)).with(vec![
                n("DRIVE-FAULT", "Drive fault", None),
                n("SENSOR", "Sensor", None),
            ]),
            n("PNEU", "Pneumatic", Some(Breakdown)).with(vec![n(
                "PRESSURE-LOW",
                "Pressure low",
                None,
            )]),
            n("MATERIAL", "Material", Some(Breakdown)).with(vec![
                n("QUALITY", "Quality", None),
                n("SHORTAGE", "Shortage", None),
            ]),
            n("TOOL", "Tooling", Some(Breakdown)).with(vec![n("WEAR", "Wear", None)]),
            n("OPERATOR", "Operator", Some(Breakdown)).with(vec![n("ABSENT", "Absent", None)]),
            n("SETUP", "Setup and changeover", Some(Setup)).with(vec![
                n("CHANGEOVER", "Product changeover", None),
                n("ADJUST", "Adjustment", None),
            ]),
            n("MICRO-STOP", "Minor stop", Some(MicroStop)),
        ],
    }
}

impl Default for DowntimeSettings {
    fn default() -> Self {
        Self {
            micro_stop_threshold_s: default_micro_stop(),
            reasons: default_reason_tree(),
        }
    }
}

impl Settings {
    /// How reports and the line detail turn history into OEE, as of `now_ms`.
    pub fn history_options(&self, now_ms: TimestampMs) -> HistoryOptions {
        HistoryOptions {
            reasons: self.downtime.reasons.clone(),
            config: OeeConfig {
                micro_stop_threshold_ms: i64::from(self.downtime.micro_stop_threshold_s) * 1_000,
                ..OeeConfig::default()
            },
            now_ms,
            pareto_depth: None,
        }
    }
}

fn default_retention() -> u32 {
    365
}

fn default_stale() -> u32 {
    30
}

fn default_offline() -> u32 {
    300
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            broker: None,
            database_url: None,
            stale_after_s: default_stale(),
            offline_after_s: default_offline(),
            alerts: AlertRules::default(),
            history_retention_days: default_retention(),
            downtime: DowntimeSettings::default(),
        }
    }
}

/// What the settings dialog shows: the settings without the password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SettingsView {
    pub settings: Settings,
    pub has_password: bool,
    pub settings_path: String,
    /// The embedded database file, when that is what is used.
    pub database_path: Option<String>,
    pub demo: bool,
    /// Why the settings file could not be read (Takt then runs on defaults: the demo plant).
    pub load_error: Option<String>,
}

impl Settings {
    /// The database these settings use, as a URL: `database_url`, else the embedded file.
    pub fn database_url(&self, paths: &Paths) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", paths.database_file().display()),
        }
    }

    /// Reads the settings file; a missing file means defaults (the demo plant).
    pub fn load(path: &Path) -> Result<Settings, TaktError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                TaktError::settings(format!(
                    "settings file {} is not valid: {e}",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(TaktError::settings(format!(
                "cannot read settings file {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn validate(&self) -> Result<(), TaktError> {
        if let Some(b) = &self.broker {
            if b.host.trim().is_empty() {
                return Err(TaktError::settings("broker host is empty"));
            }
            if b.port == 0 {
                return Err(TaktError::settings(
                    "broker port must be between 1 and 65535",
                ));
            }
            if b.topic_root.contains(['+', '#']) {
                return Err(TaktError::settings(
                    "topic root must not contain MQTT wildcards (+ or #)",
                ));
            }
            if let Some(sparkplug) = &b.sparkplug {
                sparkplug
                    .checked_host_id()
                    .map_err(|e| TaktError::settings(e.to_string()))?;
            }
            // The feed would refuse to start with it: say so when saving instead.
            takt_connect::uns::Decoder::new(b.uns.as_ref())
                .map_err(|e| TaktError::settings(e.to_string()))?;
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return Err(TaktError::settings(
                "database URL must start with sqlite: or postgres://",
            ));
        }
        if self.stale_after_s == 0 || self.offline_after_s <= self.stale_after_s {
            return Err(TaktError::settings(
                "offline threshold must be longer than the stale threshold, both above 0 s",
            ));
        }
        let a = &self.alerts;
        if !(a.rate_under_percent.is_finite() && (0.0..=100.0).contains(&a.rate_under_percent)) {
            return Err(TaktError::settings(
                "alert rate threshold must be 0–100 % (0 turns it off)",
            ));
        }
        if !(a.scrap_over_percent.is_finite() && (0.0..=100.0).contains(&a.scrap_over_percent)) {
            return Err(TaktError::settings(
                "alert scrap threshold must be 0–100 % (0 turns it off)",
            ));
        }
        if a.down_critical_minutes > 0 && a.down_critical_minutes < a.down_minutes {
            return Err(TaktError::settings(
                "the critical down-time alert must not come before the first one",
            ));
        }
        if self.downtime.micro_stop_threshold_s > 3_600 {
            return Err(TaktError::settings(
                "the micro-stop threshold must be at most 3600 s (0: no micro-stops)",
            ));
        }
        self.downtime
            .reasons
            .validate()
            .map_err(|e| TaktError::settings(format!("downtime reason tree: {e}")))?;
        Ok(())
    }

    /// Writes the settings atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), TaktError> {
        self.validate()?;
        let fail = |e: std::io::Error| {
            TaktError::settings(format!(
                "cannot write settings file {}: {e}",
                path.display()
            ))
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| TaktError::settings(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)
    }

    /// Applies an edit from the settings dialog: `password` `None` keeps the stored one,
    /// `""` clears it, anything else replaces it.
    pub fn with_password_from(mut self, previous: &Settings, password: Option<String>) -> Settings {
        if let Some(broker) = &mut self.broker {
            broker.password = match password {
                None => previous.broker.as_ref().and_then(|b| b.password.clone()),
                Some(p) if p.is_empty() => None,
                Some(p) => Some(p),
            };
        }
        self
    }

    pub fn view(&self, paths: &Paths) -> SettingsView {
        let mut settings = self.clone();
        let has_password = settings
            .broker
            .as_ref()
            .is_some_and(|b| b.password.is_some());
        if let Some(b) = &mut settings.broker {
            b.password = None;
        }
        SettingsView {
            settings,
            has_password,
            settings_path: paths.settings_file.display().to_string(),
            database_path: self
                .database_url
                .is_none()
                .then(|| paths.database_file().display().to_string()),
            demo: self.broker.is_none(),
            load_error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_demo_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(&dir.path().join("nope.json")).unwrap();
        assert_eq!(s, Settings::default());
        assert!(s.view(&Paths::under(dir.path().into())).demo);
    }

    #[test]
    fn save_load_round_trip_and_password_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/settings.json");
        let s = Settings {
            broker: Some(BrokerSettings::from_url("mqtt://op:pw@10.0.0.5:1883/acme").unwrap()),
            ..Settings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), s);
        let view = s.view(&Paths::under(dir.path().into()));
        assert!(view.has_password && !view.demo);
        assert_eq!(view.settings.broker.as_ref().unwrap().password, None);
        let edited = view.settings.clone().with_password_from(&s, None);
        assert_eq!(
            edited.broker.as_ref().unwrap().password.as_deref(),
            Some("pw")
        );
        let cleared = view
            .settings
            .clone()
            .with_password_from(&s, Some(String::new()));
        assert_eq!(cleared.broker.unwrap().password, None);
    }

    #[test]
    fn bad_files_and_values_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{ broken").unwrap();
        let err = Settings::load(&path).unwrap_err();
        assert!(err.message.contains("is not valid"), "{err}");
        let mut broker = BrokerSettings::from_url("mqtt://h:1").unwrap();
        broker.topic_root = "acme/#".into();
        let s = Settings {
            broker: Some(broker),
            ..Settings::default()
        };
        assert!(s.save(&path).unwrap_err().message.contains("wildcards"));
        let mut broker = BrokerSettings::from_url("mqtt://h:1").unwrap();
        broker.sparkplug = Some(takt_connect::SparkplugSettings {
            host_id: Some("plant/1".into()),
            ..Default::default()
        });
        let s = Settings {
            broker: Some(broker),
            ..Settings::default()
        };
        let err = s.save(&path).unwrap_err();
        assert!(err.message.contains("host id `plant/1`"), "{err}");
        let s = Settings {
            database_url: Some("mysql://x".into()),
            ..Settings::default()
        };
        assert!(s.validate().is_err());
        let s = Settings {
            stale_after_s: 60,
            offline_after_s: 30,
            ..Settings::default()
        };
        assert!(s.validate().is_err());
        let mut s = Settings::default();
        s.downtime.micro_stop_threshold_s = 7_200;
        assert!(s.validate().unwrap_err().message.contains("micro-stop"));
        let mut s = Settings::default();
        s.downtime.reasons.roots[0].code = "has space".into();
        assert!(
            s.validate()
                .unwrap_err()
                .message
                .contains("downtime reason tree"),
        );
    }

    #[test]
    fn uns_mappings_are_read_and_checked() {
        let json = r#"{"broker": {"host": "h", "port": 1883, "topic_root": "factory",
            "uns": {"topics": [{"pattern": "factory/{line}/{work_center}/{tag}",
                                "enterprise": "acme", "site": "freiburg", "area": "packaging"}],
                    "tags": {"Status": "state"}}}}"#;
        let s: Settings = serde_json::from_str(json).unwrap();
        let uns = s.broker.as_ref().and_then(|b| b.uns.as_ref()).unwrap();
        assert_eq!(uns.topics[0].site.as_deref(), Some("freiburg"));
        assert_eq!(uns.tags.get("Status").map(String::as_str), Some("state"));
        assert!(s.validate().is_ok());

        let bad = json.replace("{work_center}/{tag}", "{machine}/{tag}");
        let s: Settings = serde_json::from_str(&bad).unwrap();
        let err = s.validate().unwrap_err();
        assert!(
            err.message.contains("unknown placeholder `{machine}`"),
            "{err}"
        );
        let no_site = json.replace(r#""site": "freiburg","#, "");
        let s: Settings = serde_json::from_str(&no_site).unwrap();
        assert!(s.validate().unwrap_err().message.contains("gives no site"));
        // Absent: the default contract.
        let s: Settings = serde_json::from_str(r#"{"broker": {"host": "h", "port": 1}}"#).unwrap();
        assert_eq!(s.broker.unwrap().uns, None);
    }

    #[test]
    fn older_settings_files_get_the_default_reason_tree() {
        let s: Settings = serde_json::from_str(r#"{"broker":null}"#).unwrap();
        assert_eq!(s.downtime, DowntimeSettings::default());
        assert!(s.downtime.reasons.contains("MECH/JAM"));
        assert!(s.validate().is_ok());
        let options = s.history_options(5);
        assert_eq!(options.config.micro_stop_threshold_ms, 120_000);
        assert_eq!(options.now_ms, 5);
    }
}
