//! Sparkplug B topic namespace: `spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]`
//! and the host application's `spBv1.0/STATE/<host_id>`.

use std::fmt;

pub const NAMESPACE: &str = "spBv1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    NBirth,
    NDeath,
    NData,
    NCmd,
    DBirth,
    DDeath,
    DData,
    DCmd,
}

impl MessageType {
    pub const ALL: [MessageType; 8] = [
        MessageType::NBirth,
        MessageType::NDeath,
        MessageType::NData,
        MessageType::NCmd,
        MessageType::DBirth,
        MessageType::DDeath,
        MessageType::DData,
        MessageType::DCmd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::NBirth => "NBIRTH",
            MessageType::NDeath => "NDEATH",
            MessageType::NData => "NDATA",
            MessageType::NCmd => "NCMD",
            MessageType::DBirth => "DBIRTH",
            MessageType::DDeath => "DDEATH",
            MessageType::DData => "DDATA",
            MessageType::DCmd => "DCMD",
        }
    }

    /// Device messages name a device after the edge node; node messages must not.
    pub fn is_device(self) -> bool {
        matches!(
            self,
            MessageType::DBirth | MessageType::DDeath | MessageType::DData | MessageType::DCmd
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SparkplugTopic {
    Edge {
        group: String,
        message: MessageType,
        node: String,
        /// Present exactly for the D* message types.
        device: Option<String>,
    },
    /// A host application's birth/death certificate.
    State { host: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("not a Sparkplug B topic: it must start with `spBv1.0/`")]
    Namespace,
    #[error(
        "unknown Sparkplug message type `{0}` (known: NBIRTH, NDEATH, NDATA, NCMD, DBIRTH, DDEATH, DDATA, DCMD, STATE)"
    )]
    MessageType(String),
    #[error(
        "Sparkplug topic has {0} levels; expected spBv1.0/<group>/<type>/<edge node>[/<device>]"
    )]
    Levels(usize),
    #[error("{0} needs a device id: spBv1.0/<group>/{0}/<edge node>/<device>")]
    MissingDevice(&'static str),
    #[error("{0} is a node message and takes no device id")]
    UnexpectedDevice(&'static str),
    #[error("Sparkplug topic has an empty {0}")]
    Empty(&'static str),
    #[error("Sparkplug {0} `{1}` contains a wildcard (`+` or `#`)")]
    Wildcard(&'static str, String),
}

fn id<'a>(what: &'static str, s: &'a str) -> Result<&'a str, TopicError> {
    if s.is_empty() {
        Err(TopicError::Empty(what))
    } else if s.contains(['+', '#']) {
        Err(TopicError::Wildcard(what, s.to_owned()))
    } else {
        Ok(s)
    }
}

impl SparkplugTopic {
    pub fn parse(topic: &str) -> Result<Self, TopicError> {
        let rest = topic
            .strip_prefix(NAMESPACE)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or(TopicError::Namespace)?;
        let parts: Vec<&str> = rest.splitn(5, '/').collect();
        let levels = topic.split('/').count();
        if parts.first() == Some(&"STATE") {
            return match parts.as_slice() {
                ["STATE", host] => Ok(SparkplugTopic::State {
                    host: id("host id", host)?.to_owned(),
                }),
                _ => Err(TopicError::Levels(levels)),
            };
        }
        if !(4..=5).contains(&levels) {
            return Err(TopicError::Levels(levels));
        }
        let (group, kind, node, device) = (parts[0], parts[1], parts[2], parts.get(3));
        let message = MessageType::ALL
            .into_iter()
            .find(|m| m.as_str() == kind)
            .ok_or_else(|| TopicError::MessageType(kind.to_owned()))?;
        let group = id("group id", group)?.to_owned();
        let node = id("edge node id", node)?.to_owned();
        let device = match (message.is_device(), device) {
            (true, Some(d)) => Some(id("device id", d)?.to_owned()),
            (true, None) => return Err(TopicError::MissingDevice(message.as_str())),
            (false, Some(_)) => return Err(TopicError::UnexpectedDevice(message.as_str())),
            (false, None) => None,
        };
        Ok(SparkplugTopic::Edge {
            group,
            message,
            node,
            device,
        })
    }
}

impl fmt::Display for SparkplugTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SparkplugTopic::State { host } => write!(f, "{NAMESPACE}/STATE/{host}"),
            SparkplugTopic::Edge {
                group,
                message,
                node,
                device,
            } => {
                write!(f, "{NAMESPACE}/{group}/{}/{node}", message.as_str())?;
                if let Some(d) = device {
                    write!(f, "/{d}")?;
                }
                Ok(())
            }
        }
    }
}

/// Where a rebirth request for an edge node goes.
pub fn ncmd_topic(group: &str, node: &str) -> String {
    format!("{NAMESPACE}/{group}/NCMD/{node}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(group: &str, message: MessageType, node: &str, device: Option<&str>) -> SparkplugTopic {
        SparkplugTopic::Edge {
            group: group.into(),
            message,
            node: node.into(),
            device: device.map(Into::into),
        }
    }

    #[test]
    fn parses_every_message_type_and_round_trips() {
        for m in MessageType::ALL {
            let topic = if m.is_device() {
                format!("spBv1.0/Plant1/{}/Edge-7/Filler", m.as_str())
            } else {
                format!("spBv1.0/Plant1/{}/Edge-7", m.as_str())
            };
            let parsed = SparkplugTopic::parse(&topic).unwrap();
            let device = m.is_device().then_some("Filler");
            assert_eq!(parsed, edge("Plant1", m, "Edge-7", device));
            assert_eq!(parsed.to_string(), topic);
        }
        assert_eq!(
            SparkplugTopic::parse("spBv1.0/STATE/takt-host").unwrap(),
            SparkplugTopic::State {
                host: "takt-host".into()
            }
        );
        assert_eq!(ncmd_topic("G", "N"), "spBv1.0/G/NCMD/N");
    }

    #[test]
    fn rejects_everything_else_precisely() {
        use TopicError as E;
        let cases: &[(&str, TopicError)] = &[
            ("acme/site/area/line/wc/state", E::Namespace),
            ("spBv1.0", E::Namespace),
            ("spBv2.0/G/NDATA/N", E::Namespace),
            ("spBv1.0/G/NDATA", E::Levels(3)),
            ("spBv1.0/G/DDATA/N/D/extra", E::Levels(6)),
            ("spBv1.0/G/NDATAX/N", E::MessageType("NDATAX".into())),
            ("spBv1.0/G/ndata/N", E::MessageType("ndata".into())),
            ("spBv1.0/G/DDATA/N", E::MissingDevice("DDATA")),
            ("spBv1.0/G/NBIRTH/N/D", E::UnexpectedDevice("NBIRTH")),
            ("spBv1.0//NDATA/N", E::Empty("group id")),
            ("spBv1.0/G/NDATA/", E::Empty("edge node id")),
            ("spBv1.0/G/DDATA/N/", E::Empty("device id")),
            ("spBv1.0/G/NDATA/+", E::Wildcard("edge node id", "+".into())),
            ("spBv1.0/#/NDATA/N", E::Wildcard("group id", "#".into())),
            ("spBv1.0/STATE", E::Levels(2)),
            ("spBv1.0/STATE/a/b", E::Levels(4)),
            ("spBv1.0/STATE/", E::Empty("host id")),
        ];
        for (topic, expected) in cases {
            assert_eq!(
                SparkplugTopic::parse(topic).as_ref(),
                Err(expected),
                "{topic}"
            );
        }
    }
}
