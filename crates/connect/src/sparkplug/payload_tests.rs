use super::*;
use proptest::prelude::*;

fn one(metric: proto::Metric) -> Vec<u8> {
    proto::Payload {
        timestamp: Some(1),
        metrics: vec![metric],
        seq: Some(0),
        ..Default::default()
    }
    .encode_to_vec()
}

fn wire(datatype: Option<u32>, value: Option<metric::Value>) -> proto::Metric {
    proto::Metric {
        name: Some("m".into()),
        datatype,
        value,
        ..Default::default()
    }
}

fn value_error(bytes: &[u8]) -> ValueError {
    match decode(bytes) {
        Err(SparkplugError::Metric { error, .. }) => error,
        other => panic!("expected a metric error, got {other:?}"),
    }
}

fn every_value() -> Vec<MetricValue> {
    use MetricValue as V;
    vec![
        V::Int8(i8::MIN),
        V::Int8(-1),
        V::Int16(i16::MIN),
        V::Int32(i32::MIN),
        V::Int64(i64::MIN),
        V::UInt8(u8::MAX),
        V::UInt16(u16::MAX),
        V::UInt32(u32::MAX),
        V::UInt64(u64::MAX),
        V::Float(-1.5),
        V::Double(f64::MAX),
        V::Boolean(true),
        V::Boolean(false),
        V::String("Grüße".into()),
        V::String(String::new()),
        V::DateTime(1_795_593_600_000),
        V::Text("long text".into()),
        V::Uuid("5b1c0b0e-6a7e-4f0e-9d55-2f6a3b7c8d9e".into()),
        V::DataSet(DataSetValue {
            columns: vec!["id".into(), "ok".into(), "name".into(), "t".into()],
            types: vec![
                DataType::Int16,
                DataType::Boolean,
                DataType::String,
                DataType::Double,
            ],
            rows: vec![
                vec![
                    V::Int16(-7),
                    V::Boolean(true),
                    V::String("a".into()),
                    V::Double(0.5),
                ],
                vec![V::Null, V::Boolean(false), V::String("b".into()), V::Null],
            ],
        }),
        V::Bytes(vec![0, 1, 255]),
        V::File(b"%PDF".to_vec()),
        V::Template(TemplateValue {
            version: Some("1.0".into()),
            template_ref: Some("Motor".into()),
            is_definition: false,
            parameters: vec![TemplateParameter {
                name: Some("rated_kw".into()),
                datatype: DataType::Float,
                value: V::Float(7.5),
            }],
            metrics: vec![
                DecodedMetric::new("Speed", V::Int32(-3)),
                DecodedMetric {
                    datatype: DataType::String,
                    ..DecodedMetric::new("Serial", V::Null)
                },
            ],
        }),
        V::Int8Array(vec![-128, 0, 127]),
        V::Int16Array(vec![-32768, 1, 32767]),
        V::Int32Array(vec![i32::MIN, 0, i32::MAX]),
        V::Int64Array(vec![i64::MIN, -1, i64::MAX]),
        V::UInt8Array(vec![0, 255]),
        V::UInt16Array(vec![0, 65535]),
        V::UInt32Array(vec![0, u32::MAX]),
        V::UInt64Array(vec![0, u64::MAX]),
        V::FloatArray(vec![1.25, -0.0, f32::INFINITY]),
        V::DoubleArray(vec![std::f64::consts::PI, -1e300]),
        V::BooleanArray(vec![
            true, false, true, true, false, false, true, false, true,
        ]),
        V::BooleanArray(vec![]),
        V::StringArray(vec!["ab".into(), String::new(), "ü".into()]),
        V::StringArray(vec![]),
        V::DateTimeArray(vec![0, 1_795_593_600_000]),
        V::Int32Array(vec![]),
    ]
}

#[test]
fn every_datatype_round_trips_including_arrays_and_nulls() {
    let mut metrics: Vec<DecodedMetric> = every_value()
        .into_iter()
        .enumerate()
        .map(|(i, v)| DecodedMetric::new(format!("m{i}"), v).with_alias(i as u64))
        .collect();
    // Every metric datatype once more as a null.
    for (i, t) in DataType::ALL.into_iter().enumerate() {
        if matches!(t, DataType::PropertySet | DataType::PropertySetList) {
            continue;
        }
        metrics.push(DecodedMetric {
            datatype: t,
            is_transient: i % 2 == 0,
            timestamp: Some(i as u64),
            ..DecodedMetric::new(format!("null{i}"), MetricValue::Null)
        });
    }
    metrics.push(DecodedMetric {
        is_historical: true,
        metadata: Some(proto::MetaData {
            content_type: Some("text/plain".into()),
            size: Some(3),
            ..Default::default()
        }),
        properties: Some(proto::PropertySet {
            keys: vec!["engUnit".into()],
            values: vec![proto::PropertyValue {
                r#type: Some(DataType::String.code()),
                is_null: None,
                value: Some(proto::property_value::Value::StringValue("°C".into())),
            }],
        }),
        ..DecodedMetric::new("Temp", MetricValue::Float(21.5))
    });
    let payload = DecodedPayload {
        timestamp: Some(1_795_593_600_123),
        seq: Some(42),
        uuid: Some("u-1".into()),
        body: Some(vec![9, 9]),
        metrics,
    };
    let decoded = decode(&encode(&payload)).unwrap();
    assert_eq!(decoded, payload);
    // Every datatype code survives, too.
    for t in DataType::ALL {
        assert_eq!(DataType::from_code(t.code()), Some(t));
    }
    assert_eq!(DataType::from_code(0), None);
    assert_eq!(DataType::from_code(35), None);
}

#[test]
fn arrays_use_the_3_0_byte_layout() {
    let bytes = |v: MetricValue| match v.to_wire() {
        Some(metric::Value::BytesValue(b)) => b,
        other => panic!("{other:?}"),
    };
    // The specification's example: 12 booleans, MSB first after a little-endian count.
    let bools = [
        false, false, true, true, false, true, false, false, true, true, false, false,
    ];
    assert_eq!(
        bytes(MetricValue::BooleanArray(bools.to_vec())),
        [0x0C, 0, 0, 0, 0x34, 0xC0]
    );
    assert_eq!(
        bytes(MetricValue::Int16Array(vec![-2, 256])),
        [0xFE, 0xFF, 0x00, 0x01]
    );
    assert_eq!(
        bytes(MetricValue::FloatArray(vec![1.0])),
        [0, 0, 0x80, 0x3F]
    );
    assert_eq!(
        bytes(MetricValue::StringArray(vec!["ab".into(), "c".into()])),
        b"ab\0c\0"
    );
    assert_eq!(
        bytes(MetricValue::DateTimeArray(vec![1])),
        [1, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn narrow_signed_integers_accept_both_conventions() {
    let int = |t: DataType, v: metric::Value| {
        decode(&one(wire(Some(t.code()), Some(v)))).map(|p| p.metrics[0].value.clone())
    };
    use metric::Value::{IntValue, LongValue};
    assert_eq!(
        int(DataType::Int8, IntValue(255)),
        Ok(MetricValue::Int8(-1))
    );
    assert_eq!(
        int(DataType::Int8, IntValue(u32::MAX)),
        Ok(MetricValue::Int8(-1))
    );
    assert_eq!(
        int(DataType::Int8, IntValue(0xFFFF_FF80)),
        Ok(MetricValue::Int8(-128))
    );
    assert_eq!(
        int(DataType::Int16, IntValue(u32::MAX)),
        Ok(MetricValue::Int16(-1))
    );
    assert_eq!(
        int(DataType::Int32, LongValue(u64::MAX)),
        Ok(MetricValue::Int32(-1))
    );
    assert_eq!(int(DataType::Int32, IntValue(7)), Ok(MetricValue::Int32(7)));
    assert_eq!(
        int(DataType::UInt32, LongValue(7)),
        Ok(MetricValue::UInt32(7))
    );
    assert_eq!(
        int(DataType::DateTime, LongValue(9)),
        Ok(MetricValue::DateTime(9))
    );
    assert_eq!(
        int(DataType::Double, metric::Value::FloatValue(0.5)),
        Ok(MetricValue::Double(0.5))
    );
    let out_of_range = |t, v| {
        matches!(
            value_error(&one(wire(Some(t), Some(v)))),
            ValueError::OutOfRange { .. }
        )
    };
    assert!(out_of_range(DataType::Int8.code(), IntValue(300)));
    assert!(out_of_range(DataType::UInt8.code(), IntValue(256)));
    assert!(out_of_range(DataType::UInt32.code(), LongValue(1 << 32)));
    assert!(out_of_range(DataType::Int16.code(), LongValue(1 << 40)));
}

#[test]
fn rejects_bad_payloads_precisely() {
    use metric::Value as W;
    assert!(matches!(
        decode(&[0x12, 0x05, 0x01]),
        Err(SparkplugError::Protobuf(_))
    ));
    assert!(matches!(
        decode(&[0xFF; 11]),
        Err(SparkplugError::Protobuf(_))
    ));
    assert_eq!(
        value_error(&one(wire(Some(99), Some(W::IntValue(1))))),
        ValueError::UnknownDatatype(99)
    );
    assert_eq!(
        value_error(&one(wire(Some(0), Some(W::IntValue(1))))),
        ValueError::UnknownDatatype(0)
    );
    assert_eq!(
        value_error(&one(wire(None, Some(W::IntValue(1))))),
        ValueError::MissingDatatype
    );
    assert_eq!(
        value_error(&one(wire(Some(3), None))),
        ValueError::MissingValue
    );
    assert_eq!(
        value_error(&one(wire(Some(3), Some(W::StringValue("7".into()))))),
        ValueError::TypeMismatch {
            datatype: DataType::Int32,
            found: "string_value"
        }
    );
    assert_eq!(
        value_error(&one(wire(Some(11), Some(W::IntValue(1))))),
        ValueError::TypeMismatch {
            datatype: DataType::Boolean,
            found: "int_value"
        }
    );
    assert_eq!(
        value_error(&one(wire(Some(20), Some(W::IntValue(1))))),
        ValueError::NotAMetricType(DataType::PropertySet)
    );
    assert_eq!(
        value_error(&one(wire(Some(24), Some(W::BytesValue(vec![0; 5]))))),
        ValueError::ArrayLength {
            datatype: DataType::Int32Array,
            len: 5,
            element: 4
        }
    );
    assert_eq!(
        value_error(&one(wire(Some(31), Some(W::BytesValue(vec![0; 12]))))),
        ValueError::ArrayLength {
            datatype: DataType::DoubleArray,
            len: 12,
            element: 8
        }
    );
    assert!(matches!(
        value_error(&one(wire(Some(32), Some(W::BytesValue(vec![1, 0]))))),
        ValueError::BooleanArray(_)
    ));
    assert!(matches!(
        value_error(&one(wire(
            Some(32),
            Some(W::BytesValue(vec![9, 0, 0, 0, 0xFF]))
        ))),
        ValueError::BooleanArray(_)
    ));
    assert!(matches!(
        value_error(&one(wire(Some(33), Some(W::BytesValue(b"ab".to_vec()))))),
        ValueError::StringArray(_)
    ));
    assert!(matches!(
        value_error(&one(wire(Some(33), Some(W::BytesValue(vec![0xFF, 0]))))),
        ValueError::StringArray(_)
    ));
    let bad_ds = proto::DataSet {
        num_of_columns: Some(2),
        columns: vec!["a".into()],
        types: vec![3],
        rows: vec![],
    };
    assert!(matches!(
        value_error(&one(wire(Some(16), Some(W::DatasetValue(bad_ds))))),
        ValueError::DataSet(_)
    ));
    let ragged = proto::DataSet {
        num_of_columns: Some(1),
        columns: vec!["a".into()],
        types: vec![3],
        rows: vec![proto::Row { elements: vec![] }],
    };
    assert!(matches!(
        value_error(&one(wire(Some(16), Some(W::DatasetValue(ragged))))),
        ValueError::DataSet(_)
    ));
    // A null wins over whatever value is present.
    let null = proto::Metric {
        is_null: Some(true),
        ..wire(Some(3), Some(W::StringValue("x".into())))
    };
    assert_eq!(
        decode(&one(null)).unwrap().metrics[0].value,
        MetricValue::Null
    );
}

#[test]
fn limits_refuse_before_allocating() {
    let small = DecodeLimits {
        max_payload_bytes: 1_000,
        max_metrics: 3,
        max_elements: 40,
        max_array_len: 4,
        max_depth: 3,
    };
    let metrics = |n: usize| DecodedPayload {
        metrics: (0..n)
            .map(|i| DecodedMetric::new(format!("m{i}"), MetricValue::Boolean(true)))
            .collect(),
        ..Default::default()
    };
    assert_eq!(
        decode_with_limits(&vec![0; 1_001], &small),
        Err(SparkplugError::Oversized {
            bytes: 1_001,
            max: 1_000
        })
    );
    assert_eq!(
        decode_with_limits(&encode(&metrics(4)), &small),
        Err(SparkplugError::TooManyMetrics { max: 3 })
    );
    let many_fields = proto::Payload {
        body: Some(vec![]),
        ..Default::default()
    }
    .encode_to_vec()
    .repeat(41);
    assert_eq!(
        decode_with_limits(&many_fields, &small),
        Err(SparkplugError::TooManyElements { max: 40 })
    );
    let long = one(wire(Some(26), Some(metric::Value::BytesValue(vec![0; 5]))));
    assert!(matches!(
        decode_with_limits(&long, &small),
        Err(SparkplugError::Metric {
            error: ValueError::ArrayTooLong { len: 5, max: 4 },
            ..
        })
    ));
    let bools = one(wire(
        Some(32),
        Some(metric::Value::BytesValue(vec![0xFF, 0xFF, 0xFF, 0xFF])),
    ));
    assert!(matches!(
        decode(&bools),
        Err(SparkplugError::Metric {
            error: ValueError::ArrayTooLong { .. },
            ..
        })
    ));
    // Templates nested in templates: refused by the shape scan.
    let mut nested = wire(Some(3), Some(metric::Value::IntValue(1)));
    for _ in 0..4 {
        nested = wire(
            Some(19),
            Some(metric::Value::TemplateValue(proto::Template {
                metrics: vec![nested],
                ..Default::default()
            })),
        );
    }
    assert_eq!(
        decode_with_limits(&one(nested), &small),
        Err(SparkplugError::TooDeep { max: 3 })
    );
}

#[test]
fn rebirth_command_is_an_ncmd_with_the_rebirth_metric() {
    let p = decode(&rebirth_command(123)).unwrap();
    assert_eq!(p.timestamp, Some(123));
    assert_eq!(p.metrics.len(), 1);
    assert_eq!(p.metrics[0].name.as_deref(), Some("Node Control/Rebirth"));
    assert_eq!(p.metrics[0].datatype, DataType::Boolean);
    assert_eq!(p.metrics[0].value, MetricValue::Boolean(true));
}

proptest! {
    // TAKT_FUZZ_CASES raises the budget for a longer fuzz run; CI uses the default.
    #![proptest_config(ProptestConfig::with_cases(crate::sparkplug::fuzz_cases(2_000)))]

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_mutated_payloads(
        index in 0usize..64,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let values = every_value();
        let v = values[index % values.len()].clone();
        let mut bytes = encode(&DecodedPayload {
            seq: Some(1),
            metrics: vec![DecodedMetric::new("m", v).with_alias(3)],
            ..Default::default()
        });
        for (at, byte) in flips {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = decode(&bytes);
    }

    #[test]
    fn typed_values_round_trip(values in proptest::collection::vec(any::<i64>(), 0..40), bools in proptest::collection::vec(any::<bool>(), 0..40), s in "[^\u{0}]{0,12}") {
        let v = vec![
            MetricValue::Int64Array(values.clone()),
            MetricValue::Int16Array(values.iter().map(|&x| x as i16).collect()),
            MetricValue::BooleanArray(bools),
            MetricValue::StringArray(vec![s.clone(), s]),
        ];
        let payload = DecodedPayload {
            metrics: v.into_iter().map(|v| DecodedMetric::new("m", v)).collect(),
            ..Default::default()
        };
        prop_assert_eq!(decode(&encode(&payload)).unwrap(), payload);
    }
}
