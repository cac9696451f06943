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
}

impl Default for SparkplugSettings {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            reorder_timeout_ms: 2_000,
            rebirth_cooldown_ms: 5_000,
            mapping: crate::sparkplug::SparkplugMapping::default(),
        }
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
