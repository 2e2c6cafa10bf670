//! Sparkplug B payload messages (proto2), written by hand with `prost` derive macros.
//!
//! The structs follow the field numbers of the Eclipse Tahu / Sparkplug 3.0 `sparkplug_b.proto`
//! (package `org.eclipse.tahu.protobuf`). Every scalar is `optional` as in proto2, so "absent"
//! and "zero" stay distinguishable (`Option<T>`); repeated scalars are encoded unpacked (the
//! proto2 default) and decoded in either form. Unknown fields and the `extensions N to max`
//! ranges are skipped by the decoder. Nested messages in proto2 oneofs are carried inline; the
//! rarely used `metadata` and `properties` of a metric are boxed to keep [`Metric`] small.
//!
//! These types carry no limits of their own: decode untrusted bytes through
//! [`crate::event::interpret`] (or [`crate::guard::check`] first), which bounds size, depth and
//! element count before `prost` allocates anything.

/// An empty extension message (`*ValueExtension { extensions 1 to max; }`): all content is
/// vendor-specific and skipped when decoding.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Extension {}

/// The top-level Sparkplug B payload of every NBIRTH, NDEATH, DBIRTH, DDEATH, NDATA, DDATA,
/// NCMD and DCMD message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    /// Milliseconds since the Unix epoch at which the message was sent (field 1).
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    /// The metrics (field 2).
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// Sequence number 0–255, wrapping (field 3). Absent on NDEATH.
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
    /// Schema identifier of the payload (field 4).
    #[prost(string, optional, tag = "4")]
    pub uuid: Option<String>,
    /// Opaque body that bypasses the metric definitions (field 5).
    #[prost(bytes = "vec", optional, tag = "5")]
    pub body: Option<Vec<u8>>,
}

/// One metric of a payload or of a template.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// Metric name; only required on births, DATA messages may carry the alias alone (field 1).
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Alias bound to the name in the birth (field 2).
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    /// Milliseconds since the Unix epoch of the value (field 3).
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    /// Data type code, see [`crate::value::DataType`] (field 4).
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    /// Historical value, not a live one (field 5).
    #[prost(bool, optional, tag = "5")]
    pub is_historical: Option<bool>,
    /// Transient value, not to be stored (field 6).
    #[prost(bool, optional, tag = "6")]
    pub is_transient: Option<bool>,
    /// The value is explicitly null (field 7).
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    /// Metadata, mostly for Bytes and File metrics (field 8).
    #[prost(message, optional, boxed, tag = "8")]
    pub metadata: Option<Box<MetaData>>,
    /// Properties of the metric (field 9).
    #[prost(message, optional, boxed, tag = "9")]
    pub properties: Option<Box<PropertySet>>,
    /// The value, one arm of the oneof (fields 10–19).
    #[prost(oneof = "MetricValue", tags = "10, 11, 12, 13, 14, 15, 16, 17, 18, 19")]
    pub value: Option<MetricValue>,
}

/// The `value` oneof of [`Metric`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum MetricValue {
    /// Int8, Int16, Int32 (two's complement), UInt8, UInt16, UInt32 (field 10).
    #[prost(uint32, tag = "10")]
    IntValue(u32),
    /// Int64 (two's complement), UInt64, DateTime (field 11).
    #[prost(uint64, tag = "11")]
    LongValue(u64),
    /// Float (field 12).
    #[prost(float, tag = "12")]
    FloatValue(f32),
    /// Double (field 13).
    #[prost(double, tag = "13")]
    DoubleValue(f64),
    /// Boolean (field 14).
    #[prost(bool, tag = "14")]
    BooleanValue(bool),
    /// String, Text, UUID (field 15).
    #[prost(string, tag = "15")]
    StringValue(String),
    /// Bytes, File and the packed array types (field 16).
    #[prost(bytes = "vec", tag = "16")]
    BytesValue(Vec<u8>),
    /// DataSet (field 17).
    #[prost(message, tag = "17")]
    DatasetValue(DataSet),
    /// Template (field 18).
    #[prost(message, tag = "18")]
    TemplateValue(Template),
    /// Vendor extension (field 19).
    #[prost(message, tag = "19")]
    ExtensionValue(Extension),
}

/// Metadata of a metric (mostly for Bytes and File values).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetaData {
    /// Part of a multi-part message (field 1).
    #[prost(bool, optional, tag = "1")]
    pub is_multi_part: Option<bool>,
    /// Media type (field 2).
    #[prost(string, optional, tag = "2")]
    pub content_type: Option<String>,
    /// Size in bytes (field 3).
    #[prost(uint64, optional, tag = "3")]
    pub size: Option<u64>,
    /// Sequence number of a multi-part message (field 4).
    #[prost(uint64, optional, tag = "4")]
    pub seq: Option<u64>,
    /// File name (field 5).
    #[prost(string, optional, tag = "5")]
    pub file_name: Option<String>,
    /// File type (field 6).
    #[prost(string, optional, tag = "6")]
    pub file_type: Option<String>,
    /// MD5 of the data (field 7).
    #[prost(string, optional, tag = "7")]
    pub md5: Option<String>,
    /// Free text (field 8).
    #[prost(string, optional, tag = "8")]
    pub description: Option<String>,
}

/// A set of properties: `keys[i]` names `values[i]`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertySet {
    /// Property names (field 1).
    #[prost(string, repeated, tag = "1")]
    pub keys: Vec<String>,
    /// Property values (field 2).
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<PropertyValue>,
}

/// One property value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertyValue {
    /// Data type code (field 1).
    #[prost(uint32, optional, tag = "1")]
    pub r#type: Option<u32>,
    /// The value is explicitly null (field 2).
    #[prost(bool, optional, tag = "2")]
    pub is_null: Option<bool>,
    /// The value, one arm of the oneof (fields 3–11).
    #[prost(oneof = "PropertyValueKind", tags = "3, 4, 5, 6, 7, 8, 9, 10, 11")]
    pub value: Option<PropertyValueKind>,
}

/// The `value` oneof of [`PropertyValue`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum PropertyValueKind {
    /// 8–32-bit integers (field 3).
    #[prost(uint32, tag = "3")]
    IntValue(u32),
    /// 64-bit integers and DateTime (field 4).
    #[prost(uint64, tag = "4")]
    LongValue(u64),
    /// Float (field 5).
    #[prost(float, tag = "5")]
    FloatValue(f32),
    /// Double (field 6).
    #[prost(double, tag = "6")]
    DoubleValue(f64),
    /// Boolean (field 7).
    #[prost(bool, tag = "7")]
    BooleanValue(bool),
    /// String and Text (field 8).
    #[prost(string, tag = "8")]
    StringValue(String),
    /// A nested property set (field 9).
    #[prost(message, tag = "9")]
    PropertysetValue(PropertySet),
    /// A list of property sets (field 10).
    #[prost(message, tag = "10")]
    PropertysetsValue(PropertySetList),
    /// Vendor extension (field 11).
    #[prost(message, tag = "11")]
    ExtensionValue(Extension),
}

/// A list of property sets.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertySetList {
    /// The sets (field 1).
    #[prost(message, repeated, tag = "1")]
    pub propertyset: Vec<PropertySet>,
}

/// A table value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSet {
    /// Number of columns (field 1).
    #[prost(uint64, optional, tag = "1")]
    pub num_of_columns: Option<u64>,
    /// Column names (field 2).
    #[prost(string, repeated, tag = "2")]
    pub columns: Vec<String>,
    /// Column data type codes (field 3).
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub types: Vec<u32>,
    /// Rows (field 4).
    #[prost(message, repeated, tag = "4")]
    pub rows: Vec<Row>,
}

/// One row of a [`DataSet`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct Row {
    /// Cells, one per column (field 1).
    #[prost(message, repeated, tag = "1")]
    pub elements: Vec<DataSetValue>,
}

/// One cell of a [`Row`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSetValue {
    /// The value, one arm of the oneof (fields 1–7).
    #[prost(oneof = "DataSetValueKind", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<DataSetValueKind>,
}

/// The `value` oneof of [`DataSetValue`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum DataSetValueKind {
    /// 8–32-bit integers (field 1).
    #[prost(uint32, tag = "1")]
    IntValue(u32),
    /// 64-bit integers and DateTime (field 2).
    #[prost(uint64, tag = "2")]
    LongValue(u64),
    /// Float (field 3).
    #[prost(float, tag = "3")]
    FloatValue(f32),
    /// Double (field 4).
    #[prost(double, tag = "4")]
    DoubleValue(f64),
    /// Boolean (field 5).
    #[prost(bool, tag = "5")]
    BooleanValue(bool),
    /// String and Text (field 6).
    #[prost(string, tag = "6")]
    StringValue(String),
    /// Vendor extension (field 7).
    #[prost(message, tag = "7")]
    ExtensionValue(Extension),
}

/// A user-defined type (UDT) definition or instance.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Template {
    /// Version of the definition (field 1).
    #[prost(string, optional, tag = "1")]
    pub version: Option<String>,
    /// Member metrics (field 2).
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// Parameters (field 3).
    #[prost(message, repeated, tag = "3")]
    pub parameters: Vec<Parameter>,
    /// Name of the definition an instance refers to (field 4).
    #[prost(string, optional, tag = "4")]
    pub template_ref: Option<String>,
    /// This is a definition, not an instance (field 5).
    #[prost(bool, optional, tag = "5")]
    pub is_definition: Option<bool>,
}

/// A parameter of a [`Template`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct Parameter {
    /// Parameter name (field 1).
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Data type code (field 2).
    #[prost(uint32, optional, tag = "2")]
    pub r#type: Option<u32>,
    /// The value, one arm of the oneof (fields 3–9).
    #[prost(oneof = "ParameterValue", tags = "3, 4, 5, 6, 7, 8, 9")]
    pub value: Option<ParameterValue>,
}

/// The `value` oneof of [`Parameter`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ParameterValue {
    /// 8–32-bit integers (field 3).
    #[prost(uint32, tag = "3")]
    IntValue(u32),
    /// 64-bit integers and DateTime (field 4).
    #[prost(uint64, tag = "4")]
    LongValue(u64),
    /// Float (field 5).
    #[prost(float, tag = "5")]
    FloatValue(f32),
    /// Double (field 6).
    #[prost(double, tag = "6")]
    DoubleValue(f64),
    /// Boolean (field 7).
    #[prost(bool, tag = "7")]
    BooleanValue(bool),
    /// String and Text (field 8).
    #[prost(string, tag = "8")]
    StringValue(String),
    /// Vendor extension (field 9).
    #[prost(message, tag = "9")]
    ExtensionValue(Extension),
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn payload_fields_use_the_sparkplug_field_numbers() {
        let payload = Payload { timestamp: Some(1), seq: Some(2), ..Default::default() };
        // field 1 varint 1, field 3 varint 2
        assert_eq!(payload.encode_to_vec(), vec![0x08, 0x01, 0x18, 0x02]);
    }

    #[test]
    fn metric_value_arms_use_fields_ten_to_nineteen() {
        let metric = Metric { value: Some(MetricValue::IntValue(7)), ..Default::default() };
        assert_eq!(metric.encode_to_vec(), vec![10 << 3, 7]);
        let metric = Metric { value: Some(MetricValue::BooleanValue(true)), ..Default::default() };
        assert_eq!(metric.encode_to_vec(), vec![14 << 3, 1]);
        let metric = Metric { value: Some(MetricValue::TemplateValue(Template::default())), ..Default::default() };
        // tag (18 << 3) | 2 = 146 is the two-byte varint 0x92 0x01, then length 0
        assert_eq!(metric.encode_to_vec(), vec![0x92, 0x01, 0x00]);
    }

    #[test]
    fn repeated_scalars_are_encoded_unpacked_as_in_proto2() {
        let dataset = DataSet { types: vec![3, 12], ..Default::default() };
        assert_eq!(dataset.encode_to_vec(), vec![3 << 3, 3, 3 << 3, 12]);
    }

    #[test]
    fn packed_repeated_scalars_are_still_accepted() {
        let decoded = DataSet::decode(&[(3 << 3) | 2, 2, 3, 12][..]).expect("packed types decode");
        assert_eq!(decoded.types, vec![3, 12]);
    }

    #[test]
    fn unknown_fields_and_extensions_are_skipped() {
        // field 6 (extension range) as varint, then seq = 5
        let decoded = Payload::decode(&[6 << 3, 1, 3 << 3, 5][..]).expect("decodes");
        assert_eq!(decoded.seq, Some(5));
    }
}
