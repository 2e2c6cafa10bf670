//! The pure interpreter: one MQTT message (topic and payload bytes) in, one [`Event`] out.
//!
//! [`interpret`] parses the topic, bounds the payload with [`crate::guard::check`], decodes it
//! with `prost`, and keeps only what passive discovery needs: who was born or died, the
//! identity of births through a [`Mapping`], `bdSeq` and `seq`, and timestamps. It performs no
//! I/O, reads no clock (the receive time is passed in) and never panics on any input.

use prost::Message;

use crate::guard::{self, GuardError, Limits};
use crate::identity::{Identity, Mapping};
use crate::proto::{Metric, Payload};
use crate::topic::{self, MessageType, Topic, TopicError};
use crate::value::{Value, truncate};

/// Name of the birth/death sequence metric of NBIRTH and NDEATH.
pub const BD_SEQ: &str = "bdSeq";
/// Name of the metric with which a host asks an edge node to publish its births again.
pub const REBIRTH: &str = "Node Control/Rebirth";

/// What one Sparkplug message means for discovery. Times: `timestamp` is the sender's payload
/// timestamp (ms since the Unix epoch) if it sent one; `received_at` is the receive time passed
/// to [`interpret`] (µs since the Unix epoch).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// NBIRTH: an edge node came online.
    NodeBirth {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// The `bdSeq` metric, whatever integer type it was sent as; `None` if absent.
        bd_seq: Option<u64>,
        /// Payload `seq`.
        seq: Option<u64>,
        /// Identity taken through the mapping.
        identity: Identity,
        /// Number of metrics in the birth.
        metric_count: usize,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// NDEATH: an edge node went offline (usually its MQTT Will).
    NodeDeath {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// The `bdSeq` metric pairing this death with its birth; `None` if absent.
        bd_seq: Option<u64>,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// DBIRTH: a device behind an edge node came online.
    DeviceBirth {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// Device id.
        device: String,
        /// Payload `seq` (in the edge node's sequence).
        seq: Option<u64>,
        /// Identity taken through the mapping.
        identity: Identity,
        /// Number of metrics in the birth.
        metric_count: usize,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// DDEATH: a device went offline.
    DeviceDeath {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// Device id.
        device: String,
        /// Payload `seq` (in the edge node's sequence).
        seq: Option<u64>,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// NDATA: liveness of an edge node.
    NodeData {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// Payload `seq`.
        seq: Option<u64>,
        /// Number of metrics (named or alias-only).
        metric_count: usize,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// DDATA: liveness of a device.
    DeviceData {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// Device id.
        device: String,
        /// Payload `seq` (in the edge node's sequence).
        seq: Option<u64>,
        /// Number of metrics (named or alias-only).
        metric_count: usize,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// STATE: a host application's online state.
    State {
        /// Host application id.
        host: String,
        /// Online or offline.
        online: bool,
        /// Timestamp of the Sparkplug 3.0 JSON payload (ms), if any.
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
    /// NCMD or DCMD seen on the broker: recorded, never acted on.
    Command {
        /// Group id.
        group: String,
        /// Edge node id.
        edge_node: String,
        /// Device id for DCMD.
        device: Option<String>,
        /// Names of the commanded metrics (bounded like birth metric names).
        metric_names: Vec<String>,
        /// True when the command is `Node Control/Rebirth = true`.
        rebirth: bool,
        /// Payload timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        received_at: i64,
    },
}

impl Event {
    /// The message type the event came from (NCMD or DCMD for commands).
    pub fn message_type(&self) -> MessageType {
        match self {
            Event::NodeBirth { .. } => MessageType::NBirth,
            Event::NodeDeath { .. } => MessageType::NDeath,
            Event::DeviceBirth { .. } => MessageType::DBirth,
            Event::DeviceDeath { .. } => MessageType::DDeath,
            Event::NodeData { .. } => MessageType::NData,
            Event::DeviceData { .. } => MessageType::DData,
            Event::State { .. } => MessageType::State,
            Event::Command { device: None, .. } => MessageType::NCmd,
            Event::Command { device: Some(_), .. } => MessageType::DCmd,
        }
    }

    /// The receive time passed to [`interpret`] (µs).
    pub fn received_at(&self) -> i64 {
        match self {
            Event::NodeBirth { received_at, .. }
            | Event::NodeDeath { received_at, .. }
            | Event::DeviceBirth { received_at, .. }
            | Event::DeviceDeath { received_at, .. }
            | Event::NodeData { received_at, .. }
            | Event::DeviceData { received_at, .. }
            | Event::State { received_at, .. }
            | Event::Command { received_at, .. } => *received_at,
        }
    }
}

/// Why a message could not be interpreted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The topic is not a Sparkplug B topic.
    #[error("invalid topic: {0}")]
    Topic(#[from] TopicError),
    /// The payload exceeds a [`Limits`] bound or its wire format is broken.
    #[error("payload refused: {0}")]
    Guard(#[from] GuardError),
    /// `prost` rejected the payload (wrong wire type for a known field, invalid UTF-8, …).
    #[error("invalid Sparkplug B payload: {0}")]
    Protobuf(String),
    /// A STATE payload that is neither `ONLINE`/`OFFLINE` nor `{"online": bool, …}` JSON.
    #[error("invalid STATE payload: {0}")]
    State(&'static str),
}

/// Interprets one message with the default [`Limits`]. See [`interpret_with`].
pub fn interpret(
    topic: &str,
    payload: &[u8],
    received_at_micros: i64,
    mapping: &Mapping,
) -> Result<Event, DecodeError> {
    interpret_with(topic, payload, received_at_micros, mapping, &Limits::default())
}

/// Interprets one message: `topic` as received, `payload` bytes, receive time in µs since the
/// Unix epoch, the identity `mapping` and the payload `limits`.
///
/// Contract: pure and total — any input returns `Ok` or `Err`, never panics; memory use is
/// bounded by `limits` (payloads over `max_payload_bytes`, nested deeper than `max_depth` or with
/// more than `max_elements` fields are refused before decoding). Decoding tolerates a `bdSeq` of
/// any integer type (or decimal text), values in another oneof arm than declared, missing
/// timestamps and names (alias-only DATA), and unknown fields. A STATE payload may be the
/// Sparkplug 3.0 JSON or the 2.x text on either STATE topic form.
pub fn interpret_with(
    topic: &str,
    payload: &[u8],
    received_at_micros: i64,
    mapping: &Mapping,
    limits: &Limits,
) -> Result<Event, DecodeError> {
    let received_at = received_at_micros;
    let (group, message_type, edge_node, device) = match topic::parse(topic)? {
        Topic::State { host, .. } => {
            if payload.len() > limits.max_payload_bytes {
                return Err(GuardError::TooLarge { size: payload.len(), limit: limits.max_payload_bytes }.into());
            }
            let (online, timestamp) = parse_state(payload)?;
            return Ok(Event::State { host, online, timestamp, received_at });
        }
        Topic::Edge { group, message_type, edge_node, device } => (group, message_type, edge_node, device),
    };
    guard::check(payload, limits)?;
    let decoded = Payload::decode(payload).map_err(|e| DecodeError::Protobuf(e.to_string()))?;
    let Payload { timestamp, metrics, seq, .. } = decoded;
    let metric_count = metrics.len();
    let event = match (message_type, device) {
        (MessageType::NBirth, _) => Event::NodeBirth {
            group,
            edge_node,
            bd_seq: bd_seq(&metrics, false),
            seq,
            identity: Identity::from_metrics(&metrics, mapping, limits),
            metric_count,
            timestamp,
            received_at,
        },
        (MessageType::NDeath, _) => {
            Event::NodeDeath { group, edge_node, bd_seq: bd_seq(&metrics, true), timestamp, received_at }
        }
        (MessageType::NData, _) => Event::NodeData { group, edge_node, seq, metric_count, timestamp, received_at },
        (MessageType::DBirth, Some(device)) => Event::DeviceBirth {
            group,
            edge_node,
            device,
            seq,
            identity: Identity::from_metrics(&metrics, mapping, limits),
            metric_count,
            timestamp,
            received_at,
        },
        (MessageType::DDeath, Some(device)) => {
            Event::DeviceDeath { group, edge_node, device, seq, timestamp, received_at }
        }
        (MessageType::DData, Some(device)) => {
            Event::DeviceData { group, edge_node, device, seq, metric_count, timestamp, received_at }
        }
        (MessageType::NCmd | MessageType::DCmd, device) => {
            let rebirth = metrics.iter().any(|m| {
                m.name.as_deref() == Some(REBIRTH) && matches!(Value::of_metric(m), Value::Bool(true) | Value::UInt(1))
            });
            let metric_names = metrics
                .iter()
                .filter_map(|m| m.name.as_ref())
                .take(limits.max_metric_names)
                .map(|n| truncate(n.clone(), limits.max_text_len))
                .collect();
            Event::Command { group, edge_node, device, metric_names, rebirth, timestamp, received_at }
        }
        // topic::parse guarantees a device id for device types and rejects STATE here.
        (MessageType::DBirth | MessageType::DDeath | MessageType::DData | MessageType::State, _) => {
            return Err(DecodeError::Topic(TopicError::DeviceMissing(message_type)));
        }
    };
    Ok(event)
}

/// The `bdSeq` metric's value. On a death, an only metric without a name (alias-only) that
/// holds an integer is taken as `bdSeq` too.
fn bd_seq(metrics: &[Metric], death: bool) -> Option<u64> {
    let named = metrics.iter().find(|m| m.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(BD_SEQ)));
    match named {
        Some(metric) => Value::of_metric(metric).as_u64(),
        None if death && metrics.len() == 1 && metrics[0].name.is_none() => Value::of_metric(&metrics[0]).as_u64(),
        None => None,
    }
}

/// Parses a STATE payload: the 2.x text `ONLINE`/`OFFLINE` or the 3.0 JSON object.
fn parse_state(payload: &[u8]) -> Result<(bool, Option<u64>), DecodeError> {
    let trimmed = payload.trim_ascii();
    if trimmed.eq_ignore_ascii_case(b"ONLINE") {
        return Ok((true, None));
    }
    if trimmed.eq_ignore_ascii_case(b"OFFLINE") {
        return Ok((false, None));
    }
    if !trimmed.starts_with(b"{") {
        return Err(DecodeError::State("neither ONLINE/OFFLINE nor a JSON object"));
    }
    let json: serde_json::Value = serde_json::from_slice(trimmed).map_err(|_| DecodeError::State("invalid JSON"))?;
    let online =
        json.get("online").and_then(serde_json::Value::as_bool).ok_or(DecodeError::State("no boolean \"online\""))?;
    let timestamp = json.get("timestamp").and_then(serde_json::Value::as_u64);
    Ok((online, timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{MetricValue, PropertySet, PropertyValue, PropertyValueKind, Template};

    const AT: i64 = 1_700_000_000_000_000;

    fn named(name: &str, datatype: u32, value: MetricValue) -> Metric {
        Metric { name: Some(name.into()), datatype: Some(datatype), value: Some(value), ..Default::default() }
    }

    fn text(name: &str, value: &str) -> Metric {
        named(name, 12, MetricValue::StringValue(value.into()))
    }

    fn encode(payload: Payload) -> Vec<u8> {
        payload.encode_to_vec()
    }

    fn birth_with_properties() -> Vec<u8> {
        let properties = PropertySet {
            keys: vec!["engUnit".into()],
            values: vec![PropertyValue {
                r#type: Some(12),
                value: Some(PropertyValueKind::StringValue("°C".into())),
                ..Default::default()
            }],
        };
        encode(Payload {
            timestamp: Some(1_700_000_000_000),
            seq: Some(0),
            metrics: vec![
                named("bdSeq", 8, MetricValue::LongValue(7)),
                named("Node Control/Rebirth", 11, MetricValue::BooleanValue(false)),
                text("Properties/Hardware Make", "Acme"),
                text("Properties/Hardware Model", "EdgeBox 3"),
                text("Properties/OS", "Linux"),
                text("Properties/OS Version", "6.1"),
                text("Properties/FW", "2.4.1"),
                text("Properties/Serial Number", "SN-001"),
                Metric { properties: Some(Box::new(properties)), ..named("Temp", 10, MetricValue::DoubleValue(21.5)) },
            ],
            ..Default::default()
        })
    }

    #[test]
    fn a_node_birth_with_properties_yields_identity_bd_seq_and_counts() {
        let event = interpret("spBv1.0/G1/NBIRTH/E1", &birth_with_properties(), AT, &Mapping::default()).unwrap();
        let Event::NodeBirth { group, edge_node, bd_seq, seq, identity, metric_count, timestamp, received_at } = event
        else {
            panic!("not a node birth: {event:?}");
        };
        assert_eq!((group.as_str(), edge_node.as_str()), ("G1", "E1"));
        assert_eq!((bd_seq, seq, metric_count), (Some(7), Some(0), 9));
        assert_eq!((timestamp, received_at), (Some(1_700_000_000_000), AT));
        assert_eq!(identity.vendor.as_deref(), Some("Acme"));
        assert_eq!(identity.model.as_deref(), Some("EdgeBox 3"));
        assert_eq!(identity.os.as_deref(), Some("Linux"));
        assert_eq!(identity.os_version.as_deref(), Some("6.1"));
        assert_eq!(identity.firmware.as_deref(), Some("2.4.1"));
        assert_eq!(identity.serial.as_deref(), Some("SN-001"));
        assert_eq!(identity.metric_names.len(), 9);
        assert_eq!(identity.metric_names[8], "Temp");
    }

    #[test]
    fn bd_seq_is_read_whatever_integer_type_carries_it() {
        let cases = [
            (8, MetricValue::LongValue(5)),
            (4, MetricValue::LongValue(5)),
            (3, MetricValue::IntValue(5)),
            (7, MetricValue::IntValue(5)),
            (1, MetricValue::IntValue(5)),
            (8, MetricValue::IntValue(5)),
            (12, MetricValue::StringValue("5".into())),
        ];
        for (datatype, value) in cases {
            let bytes =
                encode(Payload { metrics: vec![named("bdSeq", datatype, value.clone())], ..Default::default() });
            let event = interpret("spBv1.0/G/NDEATH/E", &bytes, AT, &Mapping::default()).unwrap();
            assert!(matches!(event, Event::NodeDeath { bd_seq: Some(5), .. }), "{datatype} {value:?}: {event:?}");
        }
    }

    #[test]
    fn an_alias_only_death_metric_is_taken_as_bd_seq_and_a_missing_one_is_none() {
        let alias_only = encode(Payload {
            metrics: vec![Metric {
                alias: Some(0),
                datatype: Some(8),
                value: Some(MetricValue::LongValue(3)),
                ..Default::default()
            }],
            ..Default::default()
        });
        let event = interpret("spBv1.0/G/NDEATH/E", &alias_only, AT, &Mapping::default()).unwrap();
        assert!(matches!(event, Event::NodeDeath { bd_seq: Some(3), timestamp: None, .. }));
        let event = interpret("spBv1.0/G/NDEATH/E", &[], AT, &Mapping::default()).unwrap();
        assert!(matches!(event, Event::NodeDeath { bd_seq: None, .. }));
    }

    #[test]
    fn alias_only_device_data_counts_metrics_for_liveness() {
        let bytes = encode(Payload {
            seq: Some(12),
            metrics: (0..3)
                .map(|a| Metric { alias: Some(a), value: Some(MetricValue::FloatValue(1.0)), ..Default::default() })
                .collect(),
            ..Default::default()
        });
        let event = interpret("spBv1.0/G/DDATA/E/D", &bytes, AT, &Mapping::default()).unwrap();
        assert_eq!(
            event,
            Event::DeviceData {
                group: "G".into(),
                edge_node: "E".into(),
                device: "D".into(),
                seq: Some(12),
                metric_count: 3,
                timestamp: None,
                received_at: AT
            }
        );
    }

    #[test]
    fn a_device_birth_carries_its_identity_and_node() {
        let bytes = encode(Payload {
            seq: Some(1),
            metrics: vec![text("Device Info/Manufacturer", "Siemens"), text("Properties/Firmware Version", "V4.5")],
            ..Default::default()
        });
        let event = interpret("spBv1.0/G/DBIRTH/E/PLC1", &bytes, AT, &Mapping::default()).unwrap();
        let Event::DeviceBirth { edge_node, device, identity, seq, .. } = event else { panic!("{event:?}") };
        assert_eq!((edge_node.as_str(), device.as_str(), seq), ("E", "PLC1", Some(1)));
        assert_eq!(identity.vendor.as_deref(), Some("Siemens"));
        assert_eq!(identity.firmware.as_deref(), Some("V4.5"));
    }

    #[test]
    fn commands_are_recorded_with_rebirth_recognised() {
        let bytes = encode(Payload {
            metrics: vec![named(REBIRTH, 11, MetricValue::BooleanValue(true))],
            ..Default::default()
        });
        let event = interpret("spBv1.0/G/NCMD/E", &bytes, AT, &Mapping::default()).unwrap();
        assert!(
            matches!(&event, Event::Command { rebirth: true, device: None, metric_names, .. } if metric_names == &[REBIRTH])
        );
        assert_eq!(event.message_type(), MessageType::NCmd);
        let event = interpret("spBv1.0/G/DCMD/E/D", &encode(Payload::default()), AT, &Mapping::default()).unwrap();
        assert!(matches!(event, Event::Command { rebirth: false, device: Some(_), .. }));
    }

    #[test]
    fn state_payloads_parse_in_json_and_text_forms() {
        let m = Mapping::default();
        let json = br#"{"online":true,"timestamp":1700000000000}"#;
        assert_eq!(
            interpret("spBv1.0/STATE/scada", json, AT, &m),
            Ok(Event::State {
                host: "scada".into(),
                online: true,
                timestamp: Some(1_700_000_000_000),
                received_at: AT
            })
        );
        assert!(matches!(interpret("STATE/scada", b"OFFLINE", AT, &m), Ok(Event::State { online: false, .. })));
        assert!(matches!(interpret("STATE/scada", b"ONLINE\n", AT, &m), Ok(Event::State { online: true, .. })));
        assert!(matches!(interpret("spBv1.0/STATE/scada", b"{\"online\":1}", AT, &m), Err(DecodeError::State(_))));
        assert!(matches!(interpret("spBv1.0/STATE/scada", b"maybe", AT, &m), Err(DecodeError::State(_))));
        assert!(matches!(interpret("spBv1.0/STATE/scada", b"{", AT, &m), Err(DecodeError::State(_))));
    }

    #[test]
    fn garbage_and_truncated_payloads_are_errors_not_panics() {
        let m = Mapping::default();
        let garbage = [0xde, 0xad, 0xbe, 0xef, 0xff, 0x00, 0x13];
        assert!(interpret("spBv1.0/G/NBIRTH/E", &garbage, AT, &m).is_err());
        let birth = birth_with_properties();
        for cut in 1..birth.len() {
            // Every prefix either decodes (cut at a field boundary) or is refused.
            let _ = interpret("spBv1.0/G/NBIRTH/E", &birth[..cut], AT, &m);
        }
        let truncated = &birth[..birth.len() - 3];
        assert!(interpret("spBv1.0/G/NBIRTH/E", truncated, AT, &m).is_err());
        // A string with invalid UTF-8 is refused by prost.
        let bad_utf8 = [0x12, 0x03, 0x0a, 0x01, 0xff];
        assert!(matches!(interpret("spBv1.0/G/NBIRTH/E", &bad_utf8, AT, &m), Err(DecodeError::Protobuf(_))));
        // A known field with the wrong wire type.
        assert!(matches!(interpret("spBv1.0/G/NDATA/E", &[0x1a, 0x00], AT, &m), Err(DecodeError::Protobuf(_))));
    }

    #[test]
    fn deep_nesting_and_oversized_payloads_are_refused() {
        let mut metric = Metric::default();
        for _ in 0..20 {
            metric = Metric {
                value: Some(MetricValue::TemplateValue(Template { metrics: vec![metric], ..Default::default() })),
                ..Default::default()
            };
        }
        let deep = encode(Payload { metrics: vec![metric], ..Default::default() });
        let err = interpret("spBv1.0/G/DBIRTH/E/D", &deep, AT, &Mapping::default()).unwrap_err();
        assert_eq!(err, DecodeError::Guard(GuardError::TooDeep { limit: 16 }));
        let limits = Limits { max_payload_bytes: 10, ..Limits::default() };
        let err = interpret_with("spBv1.0/G/NBIRTH/E", &birth_with_properties(), AT, &Mapping::default(), &limits);
        assert!(matches!(err, Err(DecodeError::Guard(GuardError::TooLarge { .. }))));
        let err = interpret_with("spBv1.0/STATE/h", &[b' '; 11], AT, &Mapping::default(), &limits);
        assert!(matches!(err, Err(DecodeError::Guard(GuardError::TooLarge { .. }))));
    }

    #[test]
    fn invalid_topics_are_decode_errors_naming_the_reason() {
        let err = interpret("spBv1.0/G/NBIRTH", &[], AT, &Mapping::default()).unwrap_err();
        assert!(err.to_string().contains("edge node id"), "{err}");
    }
}
