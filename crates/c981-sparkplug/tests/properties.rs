//! Property tests: `interpret` is total and bounded on arbitrary input, and generated Sparkplug
//! payloads survive an encode/decode round trip.

use c981_sparkplug::event::{Event, interpret, interpret_with};
use c981_sparkplug::guard::{self, GuardError, Limits};
use c981_sparkplug::identity::Mapping;
use c981_sparkplug::proto::{
    DataSet, DataSetValue, DataSetValueKind, MetaData, Metric, MetricValue, Parameter, ParameterValue, Payload,
    PropertySet, PropertySetList, PropertyValue, PropertyValueKind, Row, Template,
};
use c981_sparkplug::{DecodeError, topic};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use prost::Message;

fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z/ _]{0,16}", Just("bdSeq".to_owned()), Just("Properties/Hardware Make".to_owned())]
}

fn cell() -> impl Strategy<Value = DataSetValue> {
    let kind = prop_oneof![
        any::<u32>().prop_map(DataSetValueKind::IntValue),
        any::<u64>().prop_map(DataSetValueKind::LongValue),
        (-1e6f32..1e6).prop_map(DataSetValueKind::FloatValue),
        (-1e9f64..1e9).prop_map(DataSetValueKind::DoubleValue),
        any::<bool>().prop_map(DataSetValueKind::BooleanValue),
        ".{0,6}".prop_map(DataSetValueKind::StringValue),
    ];
    option::of(kind).prop_map(|value| DataSetValue { value })
}

fn dataset() -> impl Strategy<Value = DataSet> {
    (option::of(0u64..8), vec(".{0,6}", 0..4), vec(0u32..35, 0..4), vec(vec(cell(), 0..3), 0..3)).prop_map(
        |(num_of_columns, columns, types, rows)| DataSet {
            num_of_columns,
            columns,
            types,
            rows: rows.into_iter().map(|elements| Row { elements }).collect(),
        },
    )
}

fn property_set() -> impl Strategy<Value = PropertySet> {
    let scalar = prop_oneof![
        any::<u32>().prop_map(PropertyValueKind::IntValue),
        any::<u64>().prop_map(PropertyValueKind::LongValue),
        any::<bool>().prop_map(PropertyValueKind::BooleanValue),
        ".{0,8}".prop_map(PropertyValueKind::StringValue),
        (-1e9f64..1e9).prop_map(PropertyValueKind::DoubleValue),
    ];
    let value = (option::of(0u32..35), option::of(any::<bool>()), option::of(scalar))
        .prop_map(|(r#type, is_null, value)| PropertyValue { r#type, is_null, value });
    let leaf = (vec(".{0,8}", 0..3), vec(value, 0..3)).prop_map(|(keys, values)| PropertySet { keys, values });
    leaf.prop_recursive(2, 12, 3, |inner| {
        (inner.clone(), vec(inner, 0..2)).prop_map(|(set, list)| PropertySet {
            keys: vec!["nested".into(), "list".into()],
            values: vec![
                PropertyValue {
                    r#type: Some(20),
                    is_null: None,
                    value: Some(PropertyValueKind::PropertysetValue(set)),
                },
                PropertyValue {
                    r#type: Some(21),
                    is_null: None,
                    value: Some(PropertyValueKind::PropertysetsValue(PropertySetList { propertyset: list })),
                },
            ],
        })
    })
}

fn scalar_value() -> impl Strategy<Value = MetricValue> {
    prop_oneof![
        any::<u32>().prop_map(MetricValue::IntValue),
        any::<u64>().prop_map(MetricValue::LongValue),
        (-1e6f32..1e6).prop_map(MetricValue::FloatValue),
        (-1e12f64..1e12).prop_map(MetricValue::DoubleValue),
        any::<bool>().prop_map(MetricValue::BooleanValue),
        ".{0,12}".prop_map(MetricValue::StringValue),
        vec(any::<u8>(), 0..16).prop_map(MetricValue::BytesValue),
        dataset().prop_map(MetricValue::DatasetValue),
    ]
}

fn metric_leaf() -> impl Strategy<Value = Metric> {
    let flags = (option::of(any::<bool>()), option::of(any::<bool>()), option::of(any::<bool>()));
    let metadata = option::of((option::of(any::<bool>()), option::of(".{0,8}"), option::of(any::<u64>())).prop_map(
        |(is_multi_part, content_type, size)| {
            Box::new(MetaData { is_multi_part, content_type, size, ..Default::default() })
        },
    ));
    (
        option::of(name()),
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        option::of(0u32..40),
        flags,
        metadata,
        option::of(property_set().prop_map(Box::new)),
        option::of(scalar_value()),
    )
        .prop_map(
            |(
                name,
                alias,
                timestamp,
                datatype,
                (is_historical, is_transient, is_null),
                metadata,
                properties,
                value,
            )| {
                Metric {
                    name,
                    alias,
                    timestamp,
                    datatype,
                    is_historical,
                    is_transient,
                    is_null,
                    metadata,
                    properties,
                    value,
                }
            },
        )
}

fn metric() -> impl Strategy<Value = Metric> {
    metric_leaf().prop_recursive(3, 24, 4, |inner| {
        let parameter =
            (option::of(".{0,6}"), option::of(0u32..35), option::of(any::<u32>().prop_map(ParameterValue::IntValue)))
                .prop_map(|(name, r#type, value)| Parameter { name, r#type, value });
        (metric_leaf(), vec(inner, 0..4), vec(parameter, 0..2), option::of(".{0,8}"), option::of(any::<bool>()))
            .prop_map(|(mut m, metrics, parameters, template_ref, is_definition)| {
                m.datatype = Some(19);
                m.value = Some(MetricValue::TemplateValue(Template {
                    version: None,
                    metrics,
                    parameters,
                    template_ref,
                    is_definition,
                }));
                m
            })
    })
}

fn payload() -> impl Strategy<Value = Payload> {
    (
        option::of(any::<u64>()),
        vec(metric(), 0..6),
        option::of(0u64..256),
        option::of(".{0,10}"),
        option::of(vec(any::<u8>(), 0..8)),
    )
        .prop_map(|(timestamp, metrics, seq, uuid, body)| Payload { timestamp, metrics, seq, uuid, body })
}

fn topic_text() -> impl Strategy<Value = String> {
    let level = prop_oneof!["[A-Za-z0-9 _.-]{0,8}", Just("+".to_owned()), Just("#".to_owned()), Just(String::new())];
    let kind = prop_oneof![
        Just("NBIRTH"),
        Just("NDEATH"),
        Just("DBIRTH"),
        Just("DDEATH"),
        Just("NDATA"),
        Just("DDATA"),
        Just("NCMD"),
        Just("DCMD"),
        Just("STATE"),
        Just("XDATA")
    ];
    prop_oneof![
        (level.clone(), kind, level.clone(), option::of(level.clone()), option::of(level.clone())).prop_map(
            |(g, k, n, d, x)| {
                let mut t = format!("spBv1.0/{g}/{k}/{n}");
                for extra in [d, x].into_iter().flatten() {
                    t.push('/');
                    t.push_str(&extra);
                }
                t
            }
        ),
        level.clone().prop_map(|h| format!("spBv1.0/STATE/{h}")),
        level.prop_map(|h| format!("STATE/{h}")),
        ".{0,40}",
    ]
}

/// Everything an event keeps is bounded by the limits, whatever the input.
fn assert_bounded(event: &Event, limits: &Limits) {
    let names = match event {
        Event::NodeBirth { identity, .. } | Event::DeviceBirth { identity, .. } => {
            for value in [&identity.vendor, &identity.model, &identity.serial, &identity.firmware, &identity.os]
                .into_iter()
                .flatten()
            {
                assert!(value.len() <= limits.max_text_len);
            }
            &identity.metric_names
        }
        Event::Command { metric_names, .. } => metric_names,
        _ => return,
    };
    assert!(names.len() <= limits.max_metric_names);
    assert!(names.iter().all(|n| n.len() <= limits.max_text_len));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_and_topics_never_panic_and_stay_bounded(topic in topic_text(), bytes in vec(any::<u8>(), 0..2048)) {
        let limits = Limits { max_elements: 256, max_depth: 6, max_metric_names: 8, max_text_len: 16, ..Limits::default() };
        match interpret_with(&topic, &bytes, 0, &Mapping::default(), &limits) {
            Ok(event) => {
                assert_bounded(&event, &limits);
                if !matches!(event, Event::State { .. }) {
                    let shape = guard::check(&bytes, &limits).expect("accepted bytes pass the guard");
                    prop_assert!(shape.elements <= limits.max_elements && shape.depth <= limits.max_depth);
                }
            }
            Err(DecodeError::Topic(_)) => prop_assert!(topic::parse(&topic).is_err()),
            Err(_) => {}
        }
    }

    #[test]
    fn generated_payloads_round_trip_through_the_wire_format(payload in payload()) {
        let bytes = payload.encode_to_vec();
        let decoded = Payload::decode(bytes.as_slice()).expect("decodes");
        prop_assert_eq!(&decoded, &payload);
        prop_assert_eq!(decoded.encode_to_vec(), bytes);
    }

    #[test]
    fn generated_births_interpret_with_every_metric_counted(payload in payload()) {
        let bytes = payload.encode_to_vec();
        let event = interpret("spBv1.0/G/NBIRTH/E", &bytes, 7, &Mapping::default()).expect("a generated birth is valid");
        let Event::NodeBirth { metric_count, seq, timestamp, identity, .. } = &event else {
            panic!("not a birth: {event:?}");
        };
        prop_assert_eq!(*metric_count, payload.metrics.len());
        prop_assert_eq!(*seq, payload.seq);
        prop_assert_eq!(*timestamp, payload.timestamp);
        let named = payload.metrics.iter().filter(|m| m.name.is_some()).count();
        prop_assert_eq!(identity.metric_names.len(), named.min(Limits::default().max_metric_names));
        assert_bounded(&event, &Limits::default());
    }

    #[test]
    fn corrupted_payloads_never_panic(payload in payload(), cut in any::<prop::sample::Index>(), flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)) {
        let mut bytes = payload.encode_to_vec();
        for (at, byte) in flips {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= byte;
            }
        }
        let end = if bytes.is_empty() { 0 } else { cut.index(bytes.len() + 1) };
        let _ = interpret("spBv1.0/G/DBIRTH/E/D", &bytes[..end], 0, &Mapping::default());
    }
}

#[test]
fn four_mebibytes_of_empty_metrics_are_refused_before_any_allocation() {
    let bytes: Vec<u8> = std::iter::repeat_n([0x12u8, 0x00], 2 * 1024 * 1024).flatten().collect();
    assert_eq!(bytes.len(), 4 * 1024 * 1024);
    let err = interpret("spBv1.0/G/NBIRTH/E", &bytes, 0, &Mapping::default()).unwrap_err();
    assert_eq!(err, DecodeError::Guard(GuardError::TooManyElements { limit: Limits::default().max_elements }));
}

#[test]
fn ten_thousand_nested_templates_are_refused_without_exhausting_the_stack() {
    // Build the nesting from the inside out directly on the wire: Metric{18: Template{2: Metric{…}}}.
    let mut inner: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        let mut template = vec![0x12];
        prost::encoding::encode_varint(inner.len() as u64, &mut template);
        template.extend_from_slice(&inner);
        let mut metric = vec![0x92, 0x01];
        prost::encoding::encode_varint(template.len() as u64, &mut metric);
        metric.extend_from_slice(&template);
        inner = metric;
    }
    let mut payload = vec![0x12];
    prost::encoding::encode_varint(inner.len() as u64, &mut payload);
    payload.extend_from_slice(&inner);
    let err = interpret("spBv1.0/G/DBIRTH/E/D", &payload, 0, &Mapping::default()).unwrap_err();
    assert_eq!(err, DecodeError::Guard(GuardError::TooDeep { limit: 16 }));
}
