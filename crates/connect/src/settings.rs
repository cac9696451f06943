//! Where the broker is and how to log in.

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct BrokerSettings {
    pub host: String,
    pub port: u16,
    /// TLS with the operating system's root certificates.
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// First topic level(s) to subscribe under, e.g. `acme` subscribes to `acme/#`.
    /// Empty subscribes to everything (`#`).
    #[serde(default)]
    pub topic_root: String,
    /// MQTT client id; must be unique per broker. Empty: `takt-<process id>`.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// Also act as a Sparkplug B host application; `null`: Unified Namespace JSON only.
    #[serde(default)]
    pub sparkplug: Option<SparkplugSettings>,
    /// The plant's own topic layout and tag names for UNS JSON; `null`: the default contract.
    #[serde(default)]
    pub uns: Option<crate::uns::UnsMapping>,
}

/// Sparkplug B host settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct SparkplugSettings {
    /// Sparkplug group to follow; empty follows every group.
    pub group_id: String,
    /// How long a message ahead of the expected `seq` waits for the missing one (ms).
    pub reorder_timeout_ms: u32,
    /// Minimum time between two rebirth requests to one edge node (ms).
    pub rebirth_cooldown_ms: u32,
    /// From Sparkplug groups, nodes, devices and metric names to equipment and tags.
    pub mapping: crate::sparkplug::SparkplugMapping,
    /// Sparkplug host id: Takt publishes its STATE birth and death on `spBv1.0/STATE/<host_id>`, as a
    /// primary host application does. `null`: no STATE (a non-primary host).
    pub host_id: Option<String>,
}

impl Default for SparkplugSettings {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            reorder_timeout_ms: 2_000,
            rebirth_cooldown_ms: 5_000,
            mapping: crate::sparkplug::SparkplugMapping::default(),
            host_id: None,
        }
    }
}

/// Why a Sparkplug host id cannot name a STATE topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostIdError {
    #[error("Sparkplug host id is empty; remove it or give it a name")]
    Empty,
    #[error("Sparkplug host id `{0}` must not contain /, + or #")]
    Reserved(String),
}

impl SparkplugSettings {
    /// The host id, checked: Sparkplug ids are UTF-8 without `/`, `+` and `#`, and a topic level
    /// needs at least one character.
    pub fn checked_host_id(&self) -> Result<Option<&str>, HostIdError> {
        let Some(id) = self.host_id.as_deref() else {
            return Ok(None);
        };
        if id.trim().is_empty() {
            return Err(HostIdError::Empty);
        }
        if id.contains(['/', '+', '#']) {
            return Err(HostIdError::Reserved(id.to_owned()));
        }
        Ok(Some(id))
    }
}

fn default_client_id() -> String {
    format!("takt-{}", std::process::id())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerUrlError {
    #[error("broker URL `{0}` is not a URL; expected mqtt://host:port or mqtts://host:port")]
    Parse(String),
    #[error("broker URL scheme `{0}` is not supported; use mqtt:// or mqtts://")]
    Scheme(String),
    #[error("broker URL `{0}` has no host")]
    NoHost(String),
}

impl BrokerSettings {
    /// Parses `mqtt://[user[:password]@]host[:port][/topic-root]` (mqtts:// for TLS).
    pub fn from_url(url: &str) -> Result<Self, BrokerUrlError> {
        let parsed = url::Url::parse(url).map_err(|_| BrokerUrlError::Parse(url.to_owned()))?;
        let tls = match parsed.scheme() {
            "mqtt" | "tcp" => false,
            "mqtts" | "ssl" => true,
            other => return Err(BrokerUrlError::Scheme(other.to_owned())),
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| BrokerUrlError::NoHost(url.to_owned()))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: parsed.port().unwrap_or(if tls { 8883 } else { 1883 }),
            tls,
            username: Some(parsed.username())
                .filter(|u| !u.is_empty())
                .map(decode),
            password: parsed.password().map(decode),
            topic_root: parsed.path().trim_matches('/').to_owned(),
            client_id: default_client_id(),
            sparkplug: None,
            uns: None,
        })
    }

    /// The URL to show people: never contains the password.
    pub fn display_url(&self) -> String {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        let user = self
            .username
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let root = if self.topic_root.is_empty() {
            String::new()
        } else {
            format!("/{}", self.topic_root)
        };
        format!("{scheme}://{user}{}:{}{root}", self.host, self.port)
    }

    /// The subscription covering the whole namespace under the root.
    pub fn topic_filter(&self) -> String {
        let root = self.topic_root.trim_matches('/');
        if root.is_empty() {
            "#".to_owned()
        } else {
            format!("{root}/#")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ids_name_one_topic_level() {
        let with = |id: Option<&str>| SparkplugSettings {
            host_id: id.map(str::to_owned),
            ..SparkplugSettings::default()
        };
        assert_eq!(with(None).checked_host_id(), Ok(None));
        assert_eq!(with(Some("takt-1")).checked_host_id(), Ok(Some("takt-1")));
        assert_eq!(with(Some("")).checked_host_id(), Err(HostIdError::Empty));
        assert_eq!(with(Some("  ")).checked_host_id(), Err(HostIdError::Empty));
        for bad in ["a/b", "a+", "#"] {
            assert_eq!(
                with(Some(bad)).checked_host_id(),
                Err(HostIdError::Reserved(bad.to_owned()))
            );
        }
        // Missing from a settings file: no STATE.
        let parsed: SparkplugSettings = serde_json::from_str("{}").expect("defaults");
        assert_eq!(parsed.host_id, None);
    }

    #[test]
    fn parses_broker_urls() {
        let s = BrokerSettings::from_url("mqtt://127.0.0.1:1883").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls, s.topic_filter().as_str()),
            ("127.0.0.1", 1883, false, "#")
        );
        let s = BrokerSettings::from_url("mqtts://op:s%40cret@broker.plant.local/acme").unwrap();
        assert_eq!((s.port, s.tls), (8883, true));
        assert_eq!(
            (s.username.as_deref(), s.password.as_deref()),
            (Some("op"), Some("s@cret"))
        );
        assert_eq!(s.topic_filter(), "acme/#");
        assert_eq!(s.display_url(), "mqtts://op@broker.plant.local:8883/acme");
        assert!(matches!(
            BrokerSettings::from_url("http://x"),
            Err(BrokerUrlError::Scheme(_))
        ));
        assert!(matches!(
            BrokerSettings::from_url("not a url"),
            Err(BrokerUrlError::Parse(_))
        ));
    }
}
