//! Sparkplug B topic names.
//!
//! Edge topics are `spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]`; host
//! application state is `spBv1.0/STATE/<host_id>` (Sparkplug 3.0) or `STATE/<host_id>`
//! (Sparkplug 2.x). [`parse`] accepts exactly these forms and names the reason for anything
//! else in a [`TopicError`].

use std::fmt;

/// The Sparkplug B namespace, the first topic level.
pub const NAMESPACE: &str = "spBv1.0";

/// Sparkplug message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// Edge node birth certificate.
    NBirth,
    /// Edge node death certificate.
    NDeath,
    /// Device birth certificate.
    DBirth,
    /// Device death certificate.
    DDeath,
    /// Edge node data.
    NData,
    /// Device data.
    DData,
    /// Command to an edge node.
    NCmd,
    /// Command to a device.
    DCmd,
    /// Host application state.
    State,
}

impl MessageType {
    /// Every message type, in declaration order (the order of [`crate::tracker::MessageCounts`]).
    pub const ALL: [MessageType; 9] = [
        MessageType::NBirth,
        MessageType::NDeath,
        MessageType::DBirth,
        MessageType::DDeath,
        MessageType::NData,
        MessageType::DData,
        MessageType::NCmd,
        MessageType::DCmd,
        MessageType::State,
    ];

    /// Parses the topic spelling (`NBIRTH`, …); case-sensitive as in the specification.
    pub fn parse(text: &str) -> Option<MessageType> {
        MessageType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The topic spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::NBirth => "NBIRTH",
            MessageType::NDeath => "NDEATH",
            MessageType::DBirth => "DBIRTH",
            MessageType::DDeath => "DDEATH",
            MessageType::NData => "NDATA",
            MessageType::DData => "DDATA",
            MessageType::NCmd => "NCMD",
            MessageType::DCmd => "DCMD",
            MessageType::State => "STATE",
        }
    }

    /// True for the types addressed to a device (a fifth topic level is required).
    pub fn is_device(self) -> bool {
        matches!(self, MessageType::DBirth | MessageType::DDeath | MessageType::DData | MessageType::DCmd)
    }

    /// Index of this type in [`MessageType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed Sparkplug topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic {
    /// A message of or to an edge node, or a device behind it.
    Edge {
        /// Group id.
        group: String,
        /// Message type (never [`MessageType::State`]).
        message_type: MessageType,
        /// Edge node id.
        edge_node: String,
        /// Device id, present exactly for device message types.
        device: Option<String>,
    },
    /// Host application state.
    State {
        /// Host application id.
        host: String,
        /// True for the Sparkplug 2.x form `STATE/<host_id>`.
        legacy: bool,
    },
}

impl Topic {
    /// The message type of the topic.
    pub fn message_type(&self) -> MessageType {
        match self {
            Topic::Edge { message_type, .. } => *message_type,
            Topic::State { .. } => MessageType::State,
        }
    }
}

/// Why a topic is not a valid Sparkplug B topic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The first level is not `spBv1.0` (nor the legacy `STATE`).
    #[error("topic does not start with the Sparkplug B namespace spBv1.0 (found {0:?})")]
    Namespace(String),
    /// Too few levels for the message type.
    #[error("topic lacks the {0} level")]
    Missing(&'static str),
    /// More levels than the message type allows.
    #[error("topic has more levels than {0} allows")]
    TooManyLevels(&'static str),
    /// A level is empty.
    #[error("the {0} level is empty")]
    Empty(&'static str),
    /// A level holds an MQTT wildcard, which no published topic can.
    #[error("the {0} level holds an MQTT wildcard")]
    Wildcard(&'static str),
    /// The message type level is not one of the Sparkplug message types.
    #[error("unknown message type {0:?}")]
    UnknownMessageType(String),
    /// A device message type without a device id.
    #[error("{0} needs a device id level")]
    DeviceMissing(MessageType),
    /// A node message type with a device id level.
    #[error("{0} takes no device id level")]
    UnexpectedDevice(MessageType),
}

/// Parses a Sparkplug B topic (see the module documentation for the accepted forms).
pub fn parse(topic: &str) -> Result<Topic, TopicError> {
    let mut levels = topic.split('/');
    let first = levels.next().unwrap_or_default();
    match first {
        NAMESPACE => {}
        "STATE" => {
            let host = level(levels.next(), "host id")?;
            if levels.next().is_some() {
                return Err(TopicError::TooManyLevels("STATE/<host_id>"));
            }
            return Ok(Topic::State { host: host.to_owned(), legacy: true });
        }
        other => {
            let shown: String = other.chars().take(32).collect();
            return Err(TopicError::Namespace(shown));
        }
    }
    let group = level(levels.next(), "group id")?;
    if group == "STATE" {
        let host = level(levels.next(), "host id")?;
        if levels.next().is_some() {
            return Err(TopicError::TooManyLevels("spBv1.0/STATE/<host_id>"));
        }
        return Ok(Topic::State { host: host.to_owned(), legacy: false });
    }
    let type_text = level(levels.next(), "message type")?;
    let message_type = match MessageType::parse(type_text) {
        Some(MessageType::State) | None => {
            let shown: String = type_text.chars().take(32).collect();
            return Err(TopicError::UnknownMessageType(shown));
        }
        Some(t) => t,
    };
    let edge_node = level(levels.next(), "edge node id")?;
    let device = match levels.next() {
        Some(d) if message_type.is_device() => Some(level(Some(d), "device id")?),
        Some(_) => return Err(TopicError::UnexpectedDevice(message_type)),
        None if message_type.is_device() => return Err(TopicError::DeviceMissing(message_type)),
        None => None,
    };
    if levels.next().is_some() {
        return Err(TopicError::TooManyLevels(message_type.as_str()));
    }
    Ok(Topic::Edge {
        group: group.to_owned(),
        message_type,
        edge_node: edge_node.to_owned(),
        device: device.map(str::to_owned),
    })
}

fn level<'a>(text: Option<&'a str>, name: &'static str) -> Result<&'a str, TopicError> {
    match text {
        None => Err(TopicError::Missing(name)),
        Some("") => Err(TopicError::Empty(name)),
        Some(t) if t.contains(['+', '#']) => Err(TopicError::Wildcard(name)),
        Some(t) => Ok(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(group: &str, t: MessageType, node: &str, device: Option<&str>) -> Topic {
        Topic::Edge { group: group.into(), message_type: t, edge_node: node.into(), device: device.map(Into::into) }
    }

    #[test]
    fn node_and_device_topics_parse() {
        assert_eq!(parse("spBv1.0/Plant1/NBIRTH/Edge1"), Ok(edge("Plant1", MessageType::NBirth, "Edge1", None)));
        assert_eq!(
            parse("spBv1.0/Plant1/DDATA/Edge1/PLC-7"),
            Ok(edge("Plant1", MessageType::DData, "Edge1", Some("PLC-7")))
        );
        for t in MessageType::ALL.into_iter().filter(|t| *t != MessageType::State) {
            let topic = if t.is_device() { format!("spBv1.0/g/{t}/n/d") } else { format!("spBv1.0/g/{t}/n") };
            assert_eq!(parse(&topic).map(|p| p.message_type()), Ok(t), "{topic}");
        }
    }

    #[test]
    fn state_topics_parse_in_both_forms() {
        assert_eq!(parse("spBv1.0/STATE/scada1"), Ok(Topic::State { host: "scada1".into(), legacy: false }));
        assert_eq!(parse("STATE/scada1"), Ok(Topic::State { host: "scada1".into(), legacy: true }));
        assert_eq!(parse("spBv1.0/STATE/scada1").map(|t| t.message_type()), Ok(MessageType::State));
    }

    #[test]
    fn invalid_topics_name_the_reason() {
        let cases = [
            ("", "namespace"),
            ("spAv1.0/g/NBIRTH/n", "namespace"),
            ("spBv1.0", "group id"),
            ("spBv1.0/g", "message type"),
            ("spBv1.0/g/NBIRTH", "edge node id"),
            ("spBv1.0//NBIRTH/n", "group id level is empty"),
            ("spBv1.0/g/NBIRTH/+", "wildcard"),
            ("spBv1.0/g/NBIRTHX/n", "unknown message type"),
            ("spBv1.0/g/STATE/n", "unknown message type"),
            ("spBv1.0/g/DBIRTH/n", "needs a device id"),
            ("spBv1.0/g/NBIRTH/n/d", "takes no device id"),
            ("spBv1.0/g/DDATA/n/d/x", "more levels than DDATA"),
            ("spBv1.0/g/DDATA/n/", "device id level is empty"),
            ("spBv1.0/STATE", "host id"),
            ("spBv1.0/STATE/h/x", "more levels"),
            ("STATE/h/x", "more levels"),
        ];
        for (topic, reason) in cases {
            let err = parse(topic).expect_err(topic).to_string();
            assert!(err.contains(reason), "{topic}: {err}");
        }
    }
}
