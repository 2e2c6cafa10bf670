//! Zeek's JSON-lines format (`LogAscii::use_json=T`): one object per line with dotted keys
//! (`id.orig_h`…). Deserialized without building a `serde_json::Value`: the strings of a line
//! are borrowed from it where they hold no escapes, unknown keys are skipped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string borrowed from the line when it has no escapes.
pub(super) struct Str<'a>(pub Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON number, or a string holding one (some pipelines quote numbers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Num {
    Int(i128),
    Float(f64),
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num::Int(i128::from(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num::Int(i128::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Ok(Num::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        let v = v.trim();
        v.parse::<i128>()
            .map(Num::Int)
            .or_else(|_| v.parse::<f64>().map(Num::Float))
            .map_err(|_| E::custom(format!("{v:?} is not a number")))
    }
}

impl<'de> de::Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

/// `ts`: epoch seconds as a number (or integer milliseconds, Zeek's `JSON::TS_MILLIS`), or an
/// ISO 8601 string (`JSON::TS_ISO8601`).
pub(super) enum Ts<'a> {
    Num(Num),
    Str(Cow<'a, str>),
}

impl<'de> de::Deserialize<'de> for Ts<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ts<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                NumVisitor.visit_u64(v).map(Ts::Num)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                NumVisitor.visit_i64(v).map(Ts::Num)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Ts::Num(Num::Float(v)))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Ts::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Ts::Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

/// `service`: a string (`"ssl,http"`), or a list of strings from pipelines that split it.
pub(super) struct Service(pub Option<String>);

impl<'de> de::Deserialize<'de> for Service {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Service;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service name or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Service, E> {
                Ok(Service(super::ports::first_service(v).map(str::to_owned)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Service, A::Error> {
                let mut first = None;
                while let Some(Str(s)) = seq.next_element::<Str<'de>>()? {
                    if first.is_none() {
                        first = super::ports::first_service(&s).map(str::to_owned);
                    }
                }
                Ok(Service(first))
            }
        }
        d.deserialize_any(V)
    }
}

/// The fields of one JSON conn record that are read.
#[derive(Default)]
pub(super) struct JsonConn<'a> {
    pub ts: Option<Ts<'a>>,
    pub orig_h: Option<Str<'a>>,
    pub orig_p: Option<Num>,
    pub resp_h: Option<Str<'a>>,
    pub resp_p: Option<Num>,
    pub proto: Option<Str<'a>>,
    pub service: Option<Service>,
    pub duration: Option<Num>,
    pub orig_bytes: Option<Num>,
    pub resp_bytes: Option<Num>,
    pub orig_pkts: Option<Num>,
    pub resp_pkts: Option<Num>,
    pub conn_state: Option<Str<'a>>,
    pub orig_l2_addr: Option<Str<'a>>,
    pub resp_l2_addr: Option<Str<'a>>,
}

impl<'de> de::Deserialize<'de> for JsonConn<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonConn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object (one Zeek conn record)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonConn<'de>, A::Error> {
                let mut c = JsonConn::default();
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    match key.as_ref() {
                        "ts" => c.ts = map.next_value()?,
                        "id.orig_h" => c.orig_h = map.next_value()?,
                        "id.orig_p" => c.orig_p = map.next_value()?,
                        "id.resp_h" => c.resp_h = map.next_value()?,
                        "id.resp_p" => c.resp_p = map.next_value()?,
                        "proto" => c.proto = map.next_value()?,
                        "service" => c.service = map.next_value()?,
                        "duration" => c.duration = map.next_value()?,
                        "orig_bytes" => c.orig_bytes = map.next_value()?,
                        "resp_bytes" => c.resp_bytes = map.next_value()?,
                        "orig_pkts" => c.orig_pkts = map.next_value()?,
                        "resp_pkts" => c.resp_pkts = map.next_value()?,
                        "conn_state" => c.conn_state = map.next_value()?,
                        "orig_l2_addr" => c.orig_l2_addr = map.next_value()?,
                        "resp_l2_addr" => c.resp_l2_addr = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(c)
            }
        }
        d.deserialize_map(V)
    }
}
