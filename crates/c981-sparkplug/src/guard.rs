//! Structural pre-check of untrusted protobuf bytes before `prost` decodes them.
//!
//! A protobuf decoder allocates in proportion to what the bytes claim: two bytes (`0x12 0x00`)
//! become a whole [`crate::proto::Metric`] in memory, and nested PropertySets, DataSets and
//! Templates recurse. [`check`] walks the wire format once, without allocating, following the
//! Sparkplug message layout, and refuses a payload that is larger than
//! [`Limits::max_payload_bytes`], nests messages deeper than [`Limits::max_depth`] or holds more
//! than [`Limits::max_elements`] fields. Only bytes that pass are handed to `prost`, so the memory
//! a decode can take is bounded by `max_elements` times the size of the largest message struct.

use std::fmt;

/// Bounds applied to every payload. The defaults suit real birth certificates of tens of
/// thousands of metrics while keeping a hostile payload's decode to tens of MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload accepted, in bytes (default 4 MiB, as the client's packet limit).
    pub max_payload_bytes: usize,
    /// Deepest message nesting accepted, the Payload itself being depth 1 (default 16; values
    /// above 100 are treated as 100, the recursion limit of `prost`).
    pub max_depth: usize,
    /// Most protobuf fields accepted in one payload, counted over all nesting levels
    /// (default 250,000).
    pub max_elements: usize,
    /// Most metric names kept in [`crate::identity::Identity::metric_names`] (default 256).
    pub max_metric_names: usize,
    /// Longest text kept for a name or an identity value, in bytes (default 256); longer text
    /// is cut at a character boundary.
    pub max_text_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload_bytes: 4 * 1024 * 1024,
            max_depth: 16,
            max_elements: 250_000,
            max_metric_names: 256,
            max_text_len: 256,
        }
    }
}

/// Why [`check`] refused a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuardError {
    /// The payload is larger than [`Limits::max_payload_bytes`].
    TooLarge {
        /// Size of the payload in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Messages nest deeper than [`Limits::max_depth`].
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// The payload has more fields than [`Limits::max_elements`].
    TooManyElements {
        /// The limit in force.
        limit: usize,
    },
    /// The bytes are not valid protobuf wire format; the text names the defect.
    Malformed(&'static str),
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => write!(f, "payload of {size} bytes exceeds the limit of {limit} bytes"),
            Self::TooDeep { limit } => write!(f, "messages nest deeper than the limit of {limit}"),
            Self::TooManyElements { limit } => write!(f, "payload has more than {limit} protobuf fields"),
            Self::Malformed(why) => write!(f, "malformed protobuf: {why}"),
        }
    }
}

impl std::error::Error for GuardError {}

/// What [`check`] measured on an accepted payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Shape {
    /// Number of protobuf fields over all nesting levels.
    pub elements: usize,
    /// Deepest message nesting seen (the Payload itself is 1).
    pub depth: usize,
}

/// The message types of the Sparkplug schema, as far as nesting goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Payload,
    Metric,
    MetaData,
    PropertySet,
    PropertyValue,
    PropertySetList,
    DataSet,
    Row,
    DataSetValue,
    Template,
    Parameter,
}

impl Kind {
    /// The message kind carried by a length-delimited field, if it is a nested message.
    /// Extension messages are opaque: `None`, skipped like bytes.
    fn child(self, field: u64) -> Option<Kind> {
        match (self, field) {
            (Kind::Payload, 2) => Some(Kind::Metric),
            (Kind::Metric, 8) => Some(Kind::MetaData),
            (Kind::Metric, 9) => Some(Kind::PropertySet),
            (Kind::Metric, 17) => Some(Kind::DataSet),
            (Kind::Metric, 18) => Some(Kind::Template),
            (Kind::Template, 2) => Some(Kind::Metric),
            (Kind::Template, 3) => Some(Kind::Parameter),
            (Kind::DataSet, 4) => Some(Kind::Row),
            (Kind::Row, 1) => Some(Kind::DataSetValue),
            (Kind::PropertySet, 2) => Some(Kind::PropertyValue),
            (Kind::PropertyValue, 9) => Some(Kind::PropertySet),
            (Kind::PropertyValue, 10) => Some(Kind::PropertySetList),
            (Kind::PropertySetList, 1) => Some(Kind::PropertySet),
            _ => None,
        }
    }

    /// A length-delimited field that holds packed varints (a proto2 repeated scalar that a
    /// sender packed anyway); each varint becomes one element in memory.
    fn packed(self, field: u64) -> bool {
        matches!((self, field), (Kind::DataSet, 3))
    }
}

/// Checks `bytes` against `limits` as a Sparkplug B `Payload`.
///
/// Returns the measured [`Shape`] when the payload is within every limit and its wire format
/// is sound as far as the structure goes (field values themselves, such as UTF-8 of strings,
/// are left to the decoder). Never panics and never allocates.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<Shape, GuardError> {
    if bytes.len() > limits.max_payload_bytes {
        return Err(GuardError::TooLarge { size: bytes.len(), limit: limits.max_payload_bytes });
    }
    let mut scan =
        Scanner { max_depth: limits.max_depth.min(100), max_elements: limits.max_elements, shape: Shape::default() };
    scan.message(bytes, Kind::Payload, 1)?;
    Ok(scan.shape)
}

struct Scanner {
    max_depth: usize,
    max_elements: usize,
    shape: Shape,
}

impl Scanner {
    fn count(&mut self) -> Result<(), GuardError> {
        self.shape.elements += 1;
        if self.shape.elements > self.max_elements {
            return Err(GuardError::TooManyElements { limit: self.max_elements });
        }
        Ok(())
    }

    fn enter(&mut self, depth: usize) -> Result<(), GuardError> {
        if depth > self.max_depth {
            return Err(GuardError::TooDeep { limit: self.max_depth });
        }
        self.shape.depth = self.shape.depth.max(depth);
        Ok(())
    }

    fn message(&mut self, mut buf: &[u8], kind: Kind, depth: usize) -> Result<(), GuardError> {
        self.enter(depth)?;
        while !buf.is_empty() {
            let (field, wire) = read_key(&mut buf)?;
            self.count()?;
            match wire {
                0 => {
                    read_varint(&mut buf)?;
                }
                1 => skip(&mut buf, 8)?,
                5 => skip(&mut buf, 4)?,
                2 => {
                    let len = read_len(&mut buf)?;
                    let (body, rest) = buf.split_at(len);
                    buf = rest;
                    if let Some(child) = kind.child(field) {
                        self.message(body, child, depth + 1)?;
                    } else if kind.packed(field) {
                        let mut packed = body;
                        while !packed.is_empty() {
                            read_varint(&mut packed)?;
                            self.count()?;
                        }
                    }
                }
                3 => self.group(&mut buf, field, depth + 1)?,
                4 => return Err(GuardError::Malformed("end of group without a start")),
                _ => return Err(GuardError::Malformed("invalid wire type")),
            }
        }
        Ok(())
    }

    /// Skips a (deprecated) group of an unknown field up to its matching end tag.
    fn group(&mut self, buf: &mut &[u8], field: u64, depth: usize) -> Result<(), GuardError> {
        self.enter(depth)?;
        loop {
            if buf.is_empty() {
                return Err(GuardError::Malformed("group without an end"));
            }
            let (inner, wire) = read_key(buf)?;
            match wire {
                0 => {
                    read_varint(buf)?;
                }
                1 => skip(buf, 8)?,
                5 => skip(buf, 4)?,
                2 => {
                    let len = read_len(buf)?;
                    skip(buf, len)?;
                }
                3 => self.group(buf, inner, depth + 1)?,
                4 if inner == field => return Ok(()),
                4 => return Err(GuardError::Malformed("mismatched end of group")),
                _ => return Err(GuardError::Malformed("invalid wire type")),
            }
            self.count()?;
        }
    }
}

fn read_varint(buf: &mut &[u8]) -> Result<u64, GuardError> {
    let mut value = 0u64;
    for i in 0..10 {
        let Some((&byte, rest)) = buf.split_first() else {
            return Err(GuardError::Malformed("truncated varint"));
        };
        *buf = rest;
        if i == 9 && byte > 1 {
            return Err(GuardError::Malformed("varint overflows 64 bits"));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(GuardError::Malformed("varint longer than 10 bytes"))
}

fn read_key(buf: &mut &[u8]) -> Result<(u64, u8), GuardError> {
    let key = read_varint(buf)?;
    if key > u64::from(u32::MAX) {
        return Err(GuardError::Malformed("field key out of range"));
    }
    let field = key >> 3;
    if field == 0 {
        return Err(GuardError::Malformed("field number 0"));
    }
    // The mask keeps the value below 8.
    Ok((field, (key & 7) as u8))
}

fn read_len(buf: &mut &[u8]) -> Result<usize, GuardError> {
    let len = read_varint(buf)?;
    match usize::try_from(len) {
        Ok(len) if len <= buf.len() => Ok(len),
        _ => Err(GuardError::Malformed("length beyond the end of the buffer")),
    }
}

fn skip(buf: &mut &[u8], n: usize) -> Result<(), GuardError> {
    if n > buf.len() {
        return Err(GuardError::Malformed("field beyond the end of the buffer"));
    }
    *buf = &buf[n..];
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Metric, MetricValue, Payload, PropertySet, PropertyValue, PropertyValueKind};
    use prost::Message;

    fn nested_property_sets(levels: usize) -> Payload {
        let mut set = PropertySet::default();
        for _ in 0..levels {
            set = PropertySet {
                keys: vec!["k".into()],
                values: vec![PropertyValue {
                    r#type: Some(20),
                    value: Some(PropertyValueKind::PropertysetValue(set)),
                    ..Default::default()
                }],
            };
        }
        Payload {
            metrics: vec![Metric { name: Some("m".into()), properties: Some(Box::new(set)), ..Default::default() }],
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_payload_passes_and_reports_its_shape() {
        let payload = Payload {
            seq: Some(1),
            metrics: vec![Metric {
                name: Some("a".into()),
                value: Some(MetricValue::IntValue(1)),
                ..Default::default()
            }],
            ..Default::default()
        };
        let shape = check(&payload.encode_to_vec(), &Limits::default()).expect("passes");
        assert_eq!(shape, Shape { elements: 4, depth: 2 });
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        // Payload(1) Metric(2) PropertySet(3) then two levels per PropertyValue/PropertySet pair.
        let deep = nested_property_sets(20).encode_to_vec();
        assert_eq!(check(&deep, &Limits::default()), Err(GuardError::TooDeep { limit: 16 }));
        let shallow = nested_property_sets(6).encode_to_vec();
        assert_eq!(check(&shallow, &Limits::default()).expect("passes").depth, 15);
    }

    #[test]
    fn a_payload_above_the_size_limit_is_refused_before_scanning() {
        let limits = Limits { max_payload_bytes: 3, ..Limits::default() };
        assert_eq!(check(&[0; 4], &limits), Err(GuardError::TooLarge { size: 4, limit: 3 }));
    }

    #[test]
    fn many_empty_metrics_hit_the_element_limit() {
        let bytes: Vec<u8> = std::iter::repeat_n([0x12u8, 0x00], 1000).flatten().collect();
        let limits = Limits { max_elements: 500, ..Limits::default() };
        assert_eq!(check(&bytes, &limits), Err(GuardError::TooManyElements { limit: 500 }));
    }

    #[test]
    fn truncated_and_invalid_wire_data_is_malformed() {
        assert!(matches!(check(&[0x12, 0x05, 0x01], &Limits::default()), Err(GuardError::Malformed(_))));
        assert!(matches!(check(&[0x08], &Limits::default()), Err(GuardError::Malformed(_))));
        assert!(matches!(check(&[0x0f], &Limits::default()), Err(GuardError::Malformed(_))));
        assert!(matches!(check(&[0x00, 0x00], &Limits::default()), Err(GuardError::Malformed(_))));
        assert!(matches!(check(&[0xff; 11], &Limits::default()), Err(GuardError::Malformed(_))));
    }

    #[test]
    fn groups_of_unknown_fields_are_skipped_and_bounded() {
        // field 7 start group, field 1 varint 1, field 7 end group, then seq = 3
        let ok = [(7 << 3) | 3, 1 << 3, 1, (7 << 3) | 4, 3 << 3, 3];
        assert!(check(&ok, &Limits::default()).is_ok());
        assert_eq!(Payload::decode(&ok[..]).expect("prost agrees").seq, Some(3));
        let deep: Vec<u8> = std::iter::repeat_n((7 << 3) | 3, 40).collect();
        assert_eq!(check(&deep, &Limits::default()), Err(GuardError::TooDeep { limit: 16 }));
    }

    #[test]
    fn the_empty_payload_is_valid() {
        assert_eq!(check(&[], &Limits::default()), Ok(Shape { elements: 0, depth: 1 }));
    }
}
