//! Sparkplug data type codes and the small decoded [`Value`] of a metric.
//!
//! Decoding is tolerant: the oneof arm that actually carries the value wins, and the declared
//! data type only refines how it is read (width and sign of integers, booleans sent as
//! integers). A value in "the wrong arm" for its declared type is therefore still read rather
//! than dropped, a missing data type is no error, and signed integers are read as the two's
//! complement the specification prescribes, whatever width the sender actually wrote.

use crate::proto::{Metric, MetricValue};

/// The Sparkplug B data type codes (Sparkplug 3.0, `DataType` enum of `sparkplug_b.proto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variant names are the specification's
pub enum DataType {
    Unknown = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    UInt8 = 5,
    UInt16 = 6,
    UInt32 = 7,
    UInt64 = 8,
    Float = 9,
    Double = 10,
    Boolean = 11,
    String = 12,
    DateTime = 13,
    Text = 14,
    Uuid = 15,
    DataSet = 16,
    Bytes = 17,
    File = 18,
    Template = 19,
    PropertySet = 20,
    PropertySetList = 21,
    Int8Array = 22,
    Int16Array = 23,
    Int32Array = 24,
    Int64Array = 25,
    UInt8Array = 26,
    UInt16Array = 27,
    UInt32Array = 28,
    UInt64Array = 29,
    FloatArray = 30,
    DoubleArray = 31,
    BooleanArray = 32,
    StringArray = 33,
    DateTimeArray = 34,
}

impl DataType {
    const ALL: [DataType; 35] = [
        Self::Unknown,
        Self::Int8,
        Self::Int16,
        Self::Int32,
        Self::Int64,
        Self::UInt8,
        Self::UInt16,
        Self::UInt32,
        Self::UInt64,
        Self::Float,
        Self::Double,
        Self::Boolean,
        Self::String,
        Self::DateTime,
        Self::Text,
        Self::Uuid,
        Self::DataSet,
        Self::Bytes,
        Self::File,
        Self::Template,
        Self::PropertySet,
        Self::PropertySetList,
        Self::Int8Array,
        Self::Int16Array,
        Self::Int32Array,
        Self::Int64Array,
        Self::UInt8Array,
        Self::UInt16Array,
        Self::UInt32Array,
        Self::UInt64Array,
        Self::FloatArray,
        Self::DoubleArray,
        Self::BooleanArray,
        Self::StringArray,
        Self::DateTimeArray,
    ];

    /// The data type of a wire code, `None` for codes the specification does not define.
    pub fn from_code(code: u32) -> Option<DataType> {
        usize::try_from(code).ok().and_then(|i| Self::ALL.get(i).copied())
    }

    /// The wire code of this data type.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// True for Int8Array (22) up to DateTimeArray (34), which travel packed in `bytes_value`.
    pub fn is_array(self) -> bool {
        self.code() >= 22
    }
}

/// A decoded metric value, small enough to keep: large content (bytes, tables, templates) is
/// summarised, not copied.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Int8, Int16, Int32, Int64 (sign-extended from the declared width).
    Int(i64),
    /// UInt8 … UInt64, DateTime (ms since epoch), or an integer of unknown type.
    UInt(u64),
    /// Float or Double.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// String, Text, UUID.
    Text(String),
    /// Bytes, File and packed arrays: the length in bytes only.
    Bytes(usize),
    /// A DataSet: its column and row count.
    DataSet {
        /// Number of columns (declared, else counted).
        columns: usize,
        /// Number of rows.
        rows: usize,
    },
    /// A Template: its member metric count.
    Template {
        /// Number of member metrics.
        metrics: usize,
    },
    /// No value: `is_null`, no oneof arm, or a vendor extension value.
    Null,
}

impl Value {
    /// Decodes the value of `metric` (see the module documentation for the tolerance rules).
    pub fn of_metric(metric: &Metric) -> Value {
        if metric.is_null == Some(true) {
            return Value::Null;
        }
        let declared = metric.datatype.and_then(DataType::from_code);
        match &metric.value {
            None | Some(MetricValue::ExtensionValue(_)) => Value::Null,
            Some(MetricValue::IntValue(v)) => integer(declared, u64::from(*v), true),
            Some(MetricValue::LongValue(v)) => integer(declared, *v, false),
            Some(MetricValue::FloatValue(v)) => Value::Float(f64::from(*v)),
            Some(MetricValue::DoubleValue(v)) => Value::Float(*v),
            Some(MetricValue::BooleanValue(v)) => Value::Bool(*v),
            Some(MetricValue::StringValue(v)) => Value::Text(v.clone()),
            Some(MetricValue::BytesValue(v)) => Value::Bytes(v.len()),
            Some(MetricValue::DatasetValue(d)) => Value::DataSet {
                columns: d.num_of_columns.and_then(|n| usize::try_from(n).ok()).unwrap_or(d.columns.len()),
                rows: d.rows.len(),
            },
            Some(MetricValue::TemplateValue(t)) => Value::Template { metrics: t.metrics.len() },
        }
    }

    /// The value as a non-negative integer: integers, and text holding a decimal integer
    /// (seen for `bdSeq` in the wild). `None` for negative numbers and anything else.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::UInt(v) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            Value::Text(s) => s.trim().parse().ok(),
            Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19 => Some(*f as u64),
            _ => None,
        }
    }

    /// The value as display text of at most `max_len` bytes, trimmed; `None` when it is empty
    /// or not a scalar (bytes, tables, templates, null).
    pub fn as_text(&self, max_len: usize) -> Option<String> {
        let text = match self {
            Value::Text(s) => s.trim().to_owned(),
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Bool(v) => v.to_string(),
            Value::Bytes(_) | Value::DataSet { .. } | Value::Template { .. } | Value::Null => return None,
        };
        if text.is_empty() { None } else { Some(truncate(text, max_len)) }
    }
}

/// Reads an integer carried in `int_value` (`narrow`) or `long_value` as the declared type.
fn integer(declared: Option<DataType>, raw: u64, narrow: bool) -> Value {
    match declared {
        Some(DataType::Int8) => Value::Int(i64::from(raw as u8 as i8)),
        Some(DataType::Int16) => Value::Int(i64::from(raw as u16 as i16)),
        Some(DataType::Int32) => Value::Int(i64::from(raw as u32 as i32)),
        Some(DataType::Int64) if narrow => Value::Int(i64::from(raw as u32 as i32)),
        Some(DataType::Int64) => Value::Int(raw as i64),
        Some(DataType::Boolean) => Value::Bool(raw != 0),
        Some(DataType::Float | DataType::Double) => Value::Float(raw as f64),
        _ => Value::UInt(raw),
    }
}

/// Cuts `text` to at most `max_len` bytes at a character boundary.
pub(crate) fn truncate(mut text: String, max_len: usize) -> String {
    if text.len() > max_len {
        let mut end = max_len;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{DataSet, Row};

    fn metric(datatype: u32, value: MetricValue) -> Metric {
        Metric { datatype: Some(datatype), value: Some(value), ..Default::default() }
    }

    #[test]
    fn data_type_codes_match_the_specification() {
        assert_eq!(DataType::from_code(1), Some(DataType::Int8));
        assert_eq!(DataType::from_code(8), Some(DataType::UInt64));
        assert_eq!(DataType::from_code(12), Some(DataType::String));
        assert_eq!(DataType::from_code(15), Some(DataType::Uuid));
        assert_eq!(DataType::from_code(19), Some(DataType::Template));
        assert_eq!(DataType::from_code(21), Some(DataType::PropertySetList));
        assert_eq!(DataType::from_code(34), Some(DataType::DateTimeArray));
        assert_eq!(DataType::from_code(35), None);
        assert!(DataType::from_code(22).is_some_and(DataType::is_array));
        for (i, dt) in DataType::ALL.iter().enumerate() {
            assert_eq!(dt.code() as usize, i);
        }
    }

    #[test]
    fn signed_integers_are_read_as_twos_complement_of_the_declared_width() {
        assert_eq!(Value::of_metric(&metric(1, MetricValue::IntValue(0xff))), Value::Int(-1));
        assert_eq!(Value::of_metric(&metric(1, MetricValue::IntValue(u32::MAX))), Value::Int(-1));
        assert_eq!(Value::of_metric(&metric(2, MetricValue::IntValue(0xfffe))), Value::Int(-2));
        assert_eq!(Value::of_metric(&metric(3, MetricValue::IntValue(u32::MAX))), Value::Int(-1));
        assert_eq!(Value::of_metric(&metric(4, MetricValue::LongValue(u64::MAX))), Value::Int(-1));
        assert_eq!(Value::of_metric(&metric(4, MetricValue::IntValue(5))), Value::Int(5));
        assert_eq!(Value::of_metric(&metric(7, MetricValue::IntValue(u32::MAX))), Value::UInt(4_294_967_295));
    }

    #[test]
    fn a_value_in_another_arm_than_the_declared_type_is_still_read() {
        assert_eq!(Value::of_metric(&metric(8, MetricValue::IntValue(3))), Value::UInt(3));
        assert_eq!(Value::of_metric(&metric(7, MetricValue::LongValue(3))), Value::UInt(3));
        assert_eq!(Value::of_metric(&metric(11, MetricValue::IntValue(1))), Value::Bool(true));
        assert_eq!(Value::of_metric(&metric(3, MetricValue::StringValue("7".into()))), Value::Text("7".into()));
        assert_eq!(Value::of_metric(&metric(9, MetricValue::DoubleValue(1.5))), Value::Float(1.5));
        let untyped = Metric { value: Some(MetricValue::LongValue(9)), ..Default::default() };
        assert_eq!(Value::of_metric(&untyped), Value::UInt(9));
    }

    #[test]
    fn large_values_are_summarised_and_null_wins() {
        assert_eq!(Value::of_metric(&metric(17, MetricValue::BytesValue(vec![0; 9]))), Value::Bytes(9));
        let table = DataSet { columns: vec!["a".into(), "b".into()], rows: vec![Row::default()], ..Default::default() };
        assert_eq!(
            Value::of_metric(&metric(16, MetricValue::DatasetValue(table))),
            Value::DataSet { columns: 2, rows: 1 }
        );
        let null = Metric { is_null: Some(true), ..metric(12, MetricValue::StringValue("x".into())) };
        assert_eq!(Value::of_metric(&null), Value::Null);
        assert_eq!(Value::of_metric(&Metric::default()), Value::Null);
    }

    #[test]
    fn values_convert_to_counters_and_text() {
        assert_eq!(Value::Int(4).as_u64(), Some(4));
        assert_eq!(Value::Int(-4).as_u64(), None);
        assert_eq!(Value::Text(" 12 ".into()).as_u64(), Some(12));
        assert_eq!(Value::Float(2.0).as_u64(), Some(2));
        assert_eq!(Value::Text("  Acme ".into()).as_text(64), Some("Acme".into()));
        assert_eq!(Value::Text("   ".into()).as_text(64), None);
        assert_eq!(Value::Text("äöü".into()).as_text(3), Some("ä".into()));
        assert_eq!(Value::Bytes(3).as_text(64), None);
    }
}
