use super::*;
use std::collections::BTreeMap;
use takt_model::{StateKind, WorkCenterState};

const WC: &str = "acme/berlin/pack/line-1/filler";
const LINE: &str = "acme/berlin/pack/line-1";

/// Decodes a message that must carry exactly one value.
fn one(topic: &str, payload: &[u8], received_ms: TimestampMs) -> FeedEvent {
    let mut events = decode(topic, payload, received_ms).expect("decodes");
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

fn state(kind: StateKind, reason: Option<&str>) -> FeedPayload {
    FeedPayload::State {
        state: WorkCenterState::new(kind, reason.map(str::to_owned)),
    }
}

fn good(value: u64) -> FeedPayload {
    FeedPayload::Counter {
        kind: CounterKind::Good,
        value,
    }
}

fn measurement(name: &str, value: f64) -> FeedPayload {
    FeedPayload::Measurement {
        name: name.into(),
        value,
    }
}

#[test]
fn decodes_states_with_reasons() {
    let e = one(
        &format!("{WC}/state"),
        br#"{"timestamp_ms": 1732550400123, "value": "down", "reason": "JAM"}"#,
        5,
    );
    assert_eq!(e.path.as_str(), WC);
    assert_eq!(e.timestamp_ms, 1732550400123);
    assert_eq!(e.payload, state(StateKind::Down, Some("JAM")));
}

#[test]
fn decodes_counters_and_orders() {
    let e = one(&format!("{WC}/good"), br#"{"value": 1234}"#, 77);
    assert_eq!((e.timestamp_ms, e.payload), (77, good(1234)));
    let e = one(
        &format!("{WC}/scrap"),
        br#"{"value": 12.0, "timestamp_ms": 1}"#,
        0,
    );
    assert_eq!(
        e.payload,
        FeedPayload::Counter {
            kind: CounterKind::Scrap,
            value: 12
        }
    );
    let e = one(
        &format!("{LINE}/order"),
        br#"{"value": "WO-1", "product": "P-7"}"#,
        0,
    );
    assert_eq!(
        e.payload,
        FeedPayload::Order {
            order: Some("WO-1".into()),
            product: Some("P-7".into())
        }
    );
    let e = one(&format!("{LINE}/order"), br#"{"value": null}"#, 0);
    assert_eq!(
        e.payload,
        FeedPayload::Order {
            order: None,
            product: None
        }
    );
}

#[test]
fn bare_scalars_take_the_receive_time() {
    let e = one(&format!("{WC}/state"), br#""running""#, 42);
    assert_eq!(
        (e.timestamp_ms, e.payload),
        (42, state(StateKind::Running, None))
    );
    assert_eq!(one(&format!("{WC}/good"), b"42", 0).payload, good(42));
    assert_eq!(one(&format!("{WC}/good"), b"1234.0", 0).payload, good(1234));
    let e = one(&format!("{LINE}/order"), br#""WO-9""#, 0);
    assert_eq!(
        e.payload,
        FeedPayload::Order {
            order: Some("WO-9".into()),
            product: None
        }
    );
    assert!(matches!(
        decode(&format!("{WC}/good"), b"true", 0),
        Err(DecodeError::Counter(_))
    ));
}

#[test]
fn timestamps_are_milliseconds_or_rfc3339() {
    let t = format!("{WC}/good");
    let at = |payload: &str| decode(&t, payload.as_bytes(), 7).map(|e| e[0].timestamp_ms);
    assert_eq!(
        at(r#"{"value": 1, "timestamp": 1795593600000}"#),
        Ok(1_795_593_600_000)
    );
    assert_eq!(
        at(r#"{"value": 1, "timestamp": "2026-11-26T10:00:00Z"}"#),
        Ok(1_795_687_200_000)
    );
    assert_eq!(
        at(r#"{"value": 1, "timestamp": "2026-11-26T11:00:00.250+01:00"}"#),
        Ok(1_795_687_200_250)
    );
    assert_eq!(
        at(r#"{"value": 1, "timestamp_ms": "2026-11-26T10:00:00Z"}"#),
        Ok(1_795_687_200_000)
    );
    // `timestamp_ms` wins over `timestamp`; null means "not given".
    assert_eq!(
        at(r#"{"value": 1, "timestamp_ms": 5, "timestamp": 9}"#),
        Ok(5)
    );
    assert_eq!(
        at(r#"{"value": 1, "timestamp_ms": null, "timestamp": 9}"#),
        Ok(9)
    );
    assert_eq!(at(r#"{"value": 1, "timestamp": null}"#), Ok(7));
    for bad in [
        r#"{"value": 1, "timestamp": "yesterday"}"#,
        r#"{"value": 1, "timestamp": 1.7e12}"#,
        r#"{"value": 1, "timestamp": -1}"#,
        r#"{"value": 1, "timestamp": "1969-12-31T23:59:59Z"}"#,
        r#"{"value": 1, "timestamp": true}"#,
    ] {
        assert_eq!(at(bad), Err(DecodeError::Timestamp("timestamp")), "{bad}");
    }
    assert_eq!(
        at(r#"{"value": 1, "timestamp_ms": "yesterday"}"#),
        Err(DecodeError::Timestamp("timestamp_ms"))
    );
}

#[test]
fn a_work_center_object_carries_several_values() {
    let events = decode(
        "acme/freiburg/packaging/line-1/filler",
        br#"{"state":"down","reason":"MECH/JAM","good":1200,"scrap":3,"temperature":71.5,
             "operator":"kim","timestamp":"2026-11-26T10:00:00Z"}"#,
        0,
    )
    .expect("decodes");
    let payloads: Vec<_> = events.iter().map(|e| e.payload.clone()).collect();
    assert_eq!(
        payloads,
        vec![
            state(StateKind::Down, Some("MECH/JAM")),
            good(1200),
            FeedPayload::Counter {
                kind: CounterKind::Scrap,
                value: 3
            },
            measurement("temperature", 71.5),
        ]
    );
    assert!(events.iter().all(|e| e.timestamp_ms == 1_795_687_200_000
        && e.path.as_str() == "acme/freiburg/packaging/line-1/filler"));
}

#[test]
fn a_line_object_carries_the_order() {
    let e = one(
        LINE,
        br#"{"order": "WO-7", "product": "P-1", "timestamp_ms": 3}"#,
        0,
    );
    assert_eq!(e.path.as_str(), LINE);
    assert_eq!(e.timestamp_ms, 3);
    assert_eq!(
        e.payload,
        FeedPayload::Order {
            order: Some("WO-7".into()),
            product: Some("P-1".into())
        }
    );
    assert_eq!(
        decode(LINE, br#"{"product": "P-1"}"#, 0),
        Err(DecodeError::NoFields)
    );
}

#[test]
fn objects_are_refused_whole_when_one_field_is_bad() {
    assert!(matches!(
        decode(WC, br#"{"state": "exploded", "good": 5}"#, 0),
        Err(DecodeError::State(_))
    ));
    assert!(matches!(
        decode(WC, br#"{"state": "running", "good": -5}"#, 0),
        Err(DecodeError::Counter(_))
    ));
    assert_eq!(
        decode(WC, br#"{"operator": "kim"}"#, 0),
        Err(DecodeError::NoFields)
    );
    assert_eq!(decode(WC, br#"{"value": 3}"#, 0), Err(DecodeError::Fields));
    assert_eq!(decode(WC, b"3", 0), Err(DecodeError::Fields));
    let long = format!(r#"{{"{}": 1}}"#, "x".repeat(MAX_MEASUREMENT_NAME_BYTES + 1));
    assert!(matches!(
        decode(WC, long.as_bytes(), 0),
        Err(DecodeError::MeasurementName(_))
    ));
}

#[test]
fn unknown_numeric_tags_are_measurements() {
    let e = one(&format!("{WC}/temperature"), b"71.5", 0);
    assert_eq!(
        (e.path.as_str(), e.payload),
        (WC, measurement("temperature", 71.5))
    );
    let e = one(
        &format!("{WC}/speed"),
        br#"{"value": 120, "timestamp": "2026-11-26T10:00:00Z"}"#,
        0,
    );
    assert_eq!(
        (e.timestamp_ms, e.payload),
        (1_795_687_200_000, measurement("speed", 120.0))
    );
    assert_eq!(
        decode(&format!("{WC}/temperature"), br#""hot""#, 0),
        Err(DecodeError::UnknownTag("temperature".into()))
    );
    assert_eq!(
        decode(&format!("{WC}/temperature"), br#"{"value": null}"#, 0),
        Err(DecodeError::UnknownTag("temperature".into()))
    );
}

#[test]
fn round_trips_through_encode() {
    for (topic, payload) in [
        (
            format!("{WC}/state"),
            r#"{"timestamp_ms": 9, "value": "planned_stop", "reason": "BREAK"}"#,
        ),
        (
            format!("{WC}/temperature"),
            r#"{"timestamp_ms": 9, "value": 71.5}"#,
        ),
        (
            format!("{LINE}/order"),
            r#"{"timestamp_ms": 9, "value": "WO-1", "product": "P"}"#,
        ),
    ] {
        let event = one(&topic, payload.as_bytes(), 0);
        let (topic, payload) = encode(&event);
        assert_eq!(one(&topic, &payload, 0), event);
    }
}

#[test]
fn rejects_bad_input_precisely() {
    let t = format!("{WC}/good");
    assert_eq!(decode("acme/x", b"{}", 0), Err(DecodeError::UnknownTopic));
    assert_eq!(
        decode("a/b/c/d/e/f/state", b"{}", 0),
        Err(DecodeError::UnknownTopic)
    );
    // A tag at the wrong depth is not a work center named like the tag.
    assert_eq!(
        decode(&format!("{LINE}/good"), b"{}", 0),
        Err(DecodeError::UnknownTopic)
    );
    assert_eq!(
        decode(&format!("{WC}/order"), b"{}", 0),
        Err(DecodeError::UnknownTopic)
    );
    assert!(matches!(
        decode(&t, b"{not json", 0),
        Err(DecodeError::Json(_))
    ));
    assert_eq!(decode(&t, b"[1,2]", 0), Err(DecodeError::Shape));
    assert_eq!(decode(&t, b"{\"val\": 1}", 0), Err(DecodeError::Shape));
    for bad in [
        r#"{"value": "many"}"#,
        r#"{"value": -3}"#,
        r#"{"value": 1.5}"#,
        "null",
    ] {
        assert!(
            matches!(decode(&t, bad.as_bytes(), 0), Err(DecodeError::Counter(_))),
            "{bad}"
        );
    }
    assert!(matches!(
        decode(&format!("{WC}/state"), br#"{"value": "exploded"}"#, 0),
        Err(DecodeError::State(_))
    ));
    assert_eq!(
        decode(&t, &vec![b' '; MAX_PAYLOAD_BYTES + 1], 0),
        Err(DecodeError::Oversized(MAX_PAYLOAD_BYTES + 1))
    );
    assert!(matches!(
        decode("acme/+/pack/line-1/filler/good", b"{}", 0),
        Err(DecodeError::Path(_))
    ));
    assert!(matches!(
        decode("acme/freiburg//line-1/filler/good", b"1", 0),
        Err(DecodeError::Path(_))
    ));
}

fn plant_mapping() -> UnsMapping {
    UnsMapping {
        topics: vec![
            TopicRule {
                pattern: "factory/{line}/{work_center}/{tag}".into(),
                enterprise: Some("acme".into()),
                site: Some("freiburg".into()),
                area: Some("packaging".into()),
            },
            TopicRule {
                pattern: "factory/{line}/{tag}".into(),
                enterprise: Some("acme".into()),
                site: Some("freiburg".into()),
                area: Some("packaging".into()),
            },
            TopicRule {
                pattern: "{site}/+/{area}/{line}/{work_center}".into(),
                enterprise: Some("acme".into()),
                ..TopicRule::default()
            },
        ],
        tags: BTreeMap::from([
            ("Status".into(), "state".into()),
            ("GoodCount".into(), "good".into()),
            ("Rejects".into(), "scrap".into()),
            ("OrderNo".into(), "order".into()),
            ("Why".into(), "reason".into()),
            ("Temp".into(), "temperature".into()),
        ]),
    }
}

#[test]
fn a_mapping_matches_rules_with_fixed_levels_and_tag_aliases() {
    let decoder = Decoder::new(Some(&plant_mapping())).expect("valid mapping");
    let at = |topic: &str, payload: &str| decoder.decode(topic, payload.as_bytes(), 0);

    let e = at(
        "factory/line-1/filler/Status",
        r#"{"value": "down", "Why": "JAM"}"#,
    )
    .unwrap();
    assert_eq!(e[0].path.as_str(), "acme/freiburg/packaging/line-1/filler");
    assert_eq!(e[0].payload, state(StateKind::Down, Some("JAM")));
    assert_eq!(
        at("factory/line-1/filler/GoodCount", "5").unwrap()[0].payload,
        good(5)
    );
    assert_eq!(
        at("factory/line-1/filler/Temp", "71.5").unwrap()[0].payload,
        measurement("temperature", 71.5)
    );
    let e = at("factory/line-1/OrderNo", r#""WO-1""#).unwrap();
    assert_eq!(e[0].path.as_str(), "acme/freiburg/packaging/line-1");
    // `+` skips a level; aliases rename an object's fields too.
    let e = at(
        "berlin/hall-3/pack/line-2/capper",
        r#"{"Status": "running", "Rejects": 2, "Temp": 40}"#,
    )
    .unwrap();
    assert_eq!(e[0].path.as_str(), "acme/berlin/pack/line-2/capper");
    let payloads: Vec<_> = e.into_iter().map(|e| e.payload).collect();
    assert_eq!(
        payloads,
        vec![
            state(StateKind::Running, None),
            FeedPayload::Counter {
                kind: CounterKind::Scrap,
                value: 2
            },
            measurement("temperature", 40.0)
        ]
    );
    // No rule matches: literal text differs, or a depth no rule has.
    assert_eq!(
        at("plant/line-1/filler/Status", r#""down""#),
        Err(DecodeError::NoRule)
    );
    assert_eq!(at("factory/line-1", "{}"), Err(DecodeError::NoRule));
    // The default contract no longer applies.
    assert_eq!(
        at(&format!("{WC}/state"), r#""down""#),
        Err(DecodeError::NoRule)
    );
    // A line rule takes line tags only.
    assert_eq!(
        at("factory/line-1/GoodCount", "5"),
        Err(DecodeError::NoRule)
    );
}

#[test]
fn invalid_mappings_are_refused() {
    let with = |pattern: &str, fixed: bool| UnsMapping {
        topics: vec![TopicRule {
            pattern: pattern.into(),
            enterprise: fixed.then(|| "acme".into()),
            site: fixed.then(|| "freiburg".into()),
            area: fixed.then(|| "packaging".into()),
        }],
        tags: BTreeMap::new(),
    };
    let err = |m: UnsMapping| Decoder::new(Some(&m)).map(|_| ()).unwrap_err();
    assert_eq!(err(with("", true)), UnsMappingError::EmptyPattern(1));
    assert!(
        matches!(err(with("f/{line}/{machine}", true)), UnsMappingError::Placeholder { name, .. } if name == "machine")
    );
    assert!(matches!(
        err(with("f/{line}/{line}", true)),
        UnsMappingError::Duplicate { .. }
    ));
    assert!(
        matches!(err(with("{site}/{line}", true)), UnsMappingError::Duplicate { name, .. } if name == "site")
    );
    assert!(matches!(
        err(with("f/{line}", false)),
        UnsMappingError::Missing {
            level: "enterprise",
            ..
        }
    ));
    assert!(matches!(
        err(with("f/{work_center}/{tag}", true)),
        UnsMappingError::NoLine { .. }
    ));
    assert!(matches!(
        err(with("f//{line}", true)),
        UnsMappingError::Segment { .. }
    ));
    assert!(matches!(
        err(with("f/#/{line}", true)),
        UnsMappingError::Segment { .. }
    ));
    let mut bad_fixed = with("f/{line}", true);
    bad_fixed.topics[0].site = Some("a/b".into());
    assert!(matches!(
        err(bad_fixed),
        UnsMappingError::Fixed { level: "site", .. }
    ));
    let mut bad_tag = with("f/{line}", true);
    bad_tag.tags.insert("Status".into(), " ".into());
    assert_eq!(err(bad_tag), UnsMappingError::EmptyTag("Status".into()));
    assert!(Decoder::new(Some(&plant_mapping())).is_ok());
    assert!(Decoder::new(None).is_ok());
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz over mutated valid payloads and topics, with and without a
    // mapping configured.
    let seeds: [&[u8]; 6] = [
        br#"{"timestamp_ms": 1, "value": "down", "reason": "J"}"#,
        br#"{"value": 18446744073709551615}"#,
        br#"{"value": null, "product": 3}"#,
        br#"{"state":"down","good":12,"t":1.5,"timestamp":"2026-11-26T10:00:00Z"}"#,
        br#"{"Status":"running","GoodCount":1e3,"timestamp_ms":null}"#,
        b"1234.0",
    ];
    let topics = [
        "a/b/c/d/e/state",
        "a/b/c/d/e/good",
        "a/b/c/d/order",
        "a/b/c/d/e",
        "a/b/c/d",
        "factory/line-1/filler/Status",
        "berlin/x/pack/line-2/capper",
    ];
    let mapped = Decoder::new(Some(&plant_mapping())).expect("valid mapping");
    let default = Decoder::default();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut accepted, mut rejected) = (0, 0);
    for seed in seeds {
        for _ in 0..1_500 {
            let mut bytes = seed.to_vec();
            for _ in 0..3 {
                let r = next();
                let i = (r as usize) % bytes.len();
                bytes[i] = (r >> 32) as u8;
            }
            for topic in topics {
                // Mutate the topic too, now and then.
                let mut topic = topic.as_bytes().to_vec();
                let r = next();
                if r % 4 == 0 {
                    let i = (r as usize >> 8) % topic.len();
                    topic[i] = (r >> 40) as u8;
                }
                let topic = String::from_utf8_lossy(&topic);
                for decoder in [&default, &mapped] {
                    match decoder.decode(&topic, &bytes, 0) {
                        Ok(events) => {
                            assert!(!events.is_empty());
                            accepted += 1;
                        }
                        Err(_) => rejected += 1,
                    }
                }
            }
        }
    }
    assert!(
        accepted > 0 && rejected > 0,
        "accepted {accepted}, rejected {rejected}"
    );
}

proptest::proptest! {
    #[test]
    fn any_topic_and_payload_is_decoded_or_refused(
        topic in "[a-zA-Z0-9/+#{} .-]{0,40}",
        payload in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
    ) {
        let mapped = Decoder::new(Some(&plant_mapping())).expect("valid mapping");
        for decoder in [Decoder::default(), mapped] {
            if let Ok(events) = decoder.decode(&topic, &payload, 0) {
                proptest::prop_assert!(!events.is_empty());
            }
        }
    }
}
