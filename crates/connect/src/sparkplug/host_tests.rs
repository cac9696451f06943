use super::*;
use crate::sparkplug::payload::{DecodedMetric, DecodedPayload, encode};
use proptest::prelude::*;
use prost::Message;

const G: &str = "Acme";
const N: &str = "Edge1";

fn topic(kind: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("spBv1.0/{G}/{kind}/{N}/{d}"),
        None => format!("spBv1.0/{G}/{kind}/{N}"),
    }
}

fn metric(name: &str, alias: u64, value: MetricValue) -> DecodedMetric {
    DecodedMetric::new(name, value).with_alias(alias)
}

fn payload(seq: Option<u64>, metrics: Vec<DecodedMetric>) -> Vec<u8> {
    encode(&DecodedPayload {
        timestamp: Some(1_000),
        seq,
        metrics,
        ..Default::default()
    })
}

/// Data as edge nodes usually send it: alias only, no name, no datatype.
fn by_alias(seq: u64, values: &[(u64, MetricValue)]) -> Vec<u8> {
    let mut p = DecodedPayload {
        timestamp: Some(2_000),
        seq: Some(seq),
        metrics: values
            .iter()
            .map(|(a, v)| metric("x", *a, v.clone()))
            .collect(),
        ..Default::default()
    }
    .to_wire();
    for m in &mut p.metrics {
        m.name = None;
        m.datatype = None;
    }
    p.encode_to_vec()
}

fn nbirth(bd_seq: u64) -> Vec<u8> {
    payload(
        Some(0),
        vec![
            metric("bdSeq", 0, MetricValue::Int64(bd_seq as i64)),
            metric("Line/State", 1, MetricValue::Int32(6)),
            metric("Line/Good", 2, MetricValue::UInt64(100)),
        ],
    )
}

fn dbirth(seq: u64) -> Vec<u8> {
    payload(
        Some(seq),
        vec![
            // The same alias as a node metric: device aliases live under the device.
            metric("Good", 1, MetricValue::UInt32(5)),
            metric("Speeds", 2, MetricValue::FloatArray(vec![1.0, 2.0])),
        ],
    )
}

fn online() -> SparkplugHost {
    let mut host = SparkplugHost::new(HostConfig::default());
    host.handle(&topic("NBIRTH", None), &nbirth(3), 0);
    host.handle(&topic("DBIRTH", Some("Filler")), &dbirth(1), 0);
    host
}

fn updates(events: &[HostEvent]) -> Vec<(Option<String>, String, MetricValue, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            HostEvent::Metric(m) => Some((
                m.device.clone(),
                m.name.clone(),
                m.value.clone(),
                m.historical,
            )),
            _ => None,
        })
        .collect()
}

fn errors(events: &[HostEvent]) -> Vec<HostError> {
    events
        .iter()
        .filter_map(|e| match e {
            HostEvent::Error { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

fn rebirths(events: &[HostEvent]) -> Vec<RebirthReason> {
    events
        .iter()
        .filter_map(|e| match e {
            HostEvent::Rebirth { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

#[test]
fn nbirth_and_dbirth_establish_the_node_its_devices_and_their_values() {
    let mut host = SparkplugHost::new(HostConfig::default());
    let events = host.handle(&topic("NBIRTH", None), &nbirth(3), 0);
    assert_eq!(
        events[0],
        HostEvent::NodeOnline {
            group: G.into(),
            node: N.into(),
            bd_seq: Some(3)
        }
    );
    assert_eq!(updates(&events).len(), 3);
    assert!(errors(&events).is_empty(), "{events:?}");
    assert_eq!(host.bd_seq(G, N), Some(3));
    assert_eq!(host.node_status(G, N), Some(Status::Online));
    assert_eq!(
        host.value(G, N, None, "Line/Good"),
        Some(&MetricValue::UInt64(100))
    );

    let events = host.handle(&topic("DBIRTH", Some("Filler")), &dbirth(1), 0);
    assert_eq!(
        events[0],
        HostEvent::DeviceOnline {
            group: G.into(),
            node: N.into(),
            device: "Filler".into()
        }
    );
    assert_eq!(host.device_status(G, N, "Filler"), Some(Status::Online));
    assert_eq!(
        host.value(G, N, Some("Filler"), "Speeds"),
        Some(&MetricValue::FloatArray(vec![1.0, 2.0]))
    );
    let HostEvent::Metric(m) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (m.alias, m.datatype, m.timestamp_ms),
        (Some(1), DataType::UInt32, 1_000)
    );
}

#[test]
fn data_updates_by_alias_or_name_with_the_birth_datatypes() {
    let mut host = online();
    // NDATA alias 2 is the node's Line/Good; DDATA alias 1 is the device's Good.
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(2, &[(2, MetricValue::UInt64(150))]),
        5,
    );
    assert_eq!(
        updates(&events),
        [(None, "Line/Good".into(), MetricValue::UInt64(150), false)]
    );
    let events = host.handle(
        &topic("DDATA", Some("Filler")),
        &by_alias(
            3,
            &[
                (1, MetricValue::UInt32(9)),
                (2, MetricValue::FloatArray(vec![3.5])),
            ],
        ),
        5,
    );
    assert_eq!(
        updates(&events),
        [
            (
                Some("Filler".into()),
                "Good".into(),
                MetricValue::UInt32(9),
                false
            ),
            (
                Some("Filler".into()),
                "Speeds".into(),
                MetricValue::FloatArray(vec![3.5]),
                false
            )
        ]
    );
    // By name, with a metric timestamp.
    let mut m = metric("Line/State", 99, MetricValue::Int32(11));
    m.alias = None;
    m.timestamp = Some(7_777);
    let events = host.handle(&topic("NDATA", None), &payload(Some(4), vec![m]), 5);
    let HostEvent::Metric(u) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((u.name.as_str(), u.timestamp_ms), ("Line/State", 7_777));
    assert_eq!(
        host.value(G, N, None, "Line/State"),
        Some(&MetricValue::Int32(11))
    );
    // A datatype that contradicts the birth is refused.
    let events = host.handle(
        &topic("NDATA", None),
        &payload(
            Some(5),
            vec![metric("Line/State", 1, MetricValue::String("x".into()))],
        ),
        5,
    );
    assert!(
        matches!(errors(&events)[..], [HostError::DatatypeChanged { .. }]),
        "{events:?}"
    );
}

#[test]
fn birth_protocol_errors_are_reported_but_the_birth_is_accepted() {
    let mut host = SparkplugHost::new(HostConfig::default());
    let events = host.handle(
        &topic("NBIRTH", None),
        &payload(Some(5), vec![metric("Good", 1, MetricValue::UInt64(1))]),
        0,
    );
    assert_eq!(
        errors(&events),
        [HostError::BirthSeq(5), HostError::MissingBdSeq]
    );
    assert_eq!(host.node_status(G, N), Some(Status::Online));
    // seq continues after the birth's.
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(6, &[(1, MetricValue::UInt64(2))]),
        0,
    );
    assert!(errors(&events).is_empty(), "{events:?}");
    // Unnamed birth metrics and duplicate aliases.
    let mut unnamed = metric("x", 7, MetricValue::Boolean(true));
    unnamed.name = None;
    let events = host.handle(
        &topic("NBIRTH", None),
        &payload(
            Some(0),
            vec![
                metric("bdSeq", 0, MetricValue::UInt64(1)),
                unnamed,
                metric("A", 3, MetricValue::Boolean(true)),
                metric("B", 3, MetricValue::Boolean(false)),
            ],
        ),
        0,
    );
    assert!(
        matches!(
            errors(&events)[..],
            [
                HostError::UnnamedBirthMetric(_),
                HostError::DuplicateAlias { alias: 3, .. }
            ]
        ),
        "{events:?}"
    );
}

#[test]
fn seq_wraps_from_255_to_0_across_all_of_a_nodes_messages() {
    let mut host = online(); // NBIRTH 0, DBIRTH 1
    for i in 2..300u64 {
        let seq = i % 256;
        let (t, d) = if i % 2 == 0 {
            ("NDATA", None)
        } else {
            ("DDATA", Some("Filler"))
        };
        let events = host.handle(
            &topic(t, d),
            &by_alias(
                seq,
                &[(2, MetricValue::UInt64(i))].map(|(a, v)| {
                    (
                        a,
                        if d.is_some() {
                            MetricValue::FloatArray(vec![i as f32])
                        } else {
                            v
                        },
                    )
                }),
            ),
            0,
        );
        assert!(errors(&events).is_empty(), "seq {seq}: {events:?}");
        assert_eq!(updates(&events).len(), 1);
    }
}

#[test]
fn out_of_order_messages_wait_and_apply_in_order_when_the_gap_fills() {
    let mut host = online();
    let e3 = host.handle(
        &topic("NDATA", None),
        &by_alias(3, &[(2, MetricValue::UInt64(3))]),
        10,
    );
    let e4 = host.handle(
        &topic("NDATA", None),
        &by_alias(4, &[(2, MetricValue::UInt64(4))]),
        11,
    );
    assert!(e3.is_empty() && e4.is_empty(), "held: {e3:?} {e4:?}");
    assert!(host.tick(500).is_empty());
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(2, &[(2, MetricValue::UInt64(2))]),
        600,
    );
    let values: Vec<_> = updates(&events).into_iter().map(|u| u.2).collect();
    assert_eq!(values, [2, 3, 4].map(MetricValue::UInt64));
    assert!(rebirths(&events).is_empty() && errors(&events).is_empty());
    assert!(host.tick(10_000).is_empty());
    // And the sequence continues.
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(5, &[(2, MetricValue::UInt64(5))]),
        700,
    );
    assert_eq!(updates(&events).len(), 1);
}

#[test]
fn an_unfilled_gap_times_out_into_a_rebirth_and_the_held_data_is_applied() {
    let mut host = online();
    host.handle(
        &topic("NDATA", None),
        &by_alias(4, &[(2, MetricValue::UInt64(4))]),
        1_000,
    );
    host.handle(
        &topic("NDATA", None),
        &by_alias(3, &[(2, MetricValue::UInt64(3))]),
        1_500,
    );
    assert!(host.tick(2_999).is_empty());
    let events = host.tick(3_000);
    assert_eq!(
        errors(&events),
        [HostError::SeqGap {
            expected: 2,
            got: 3
        }]
    );
    assert_eq!(rebirths(&events), [RebirthReason::SeqGap]);
    let values: Vec<_> = updates(&events).into_iter().map(|u| u.2).collect();
    assert_eq!(values, [3, 4].map(MetricValue::UInt64));
    // In step again after the gap.
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(5, &[(2, MetricValue::UInt64(5))]),
        3_100,
    );
    assert!(errors(&events).is_empty(), "{events:?}");
}

#[test]
fn too_many_held_messages_flush_at_once() {
    let config = HostConfig {
        max_held_messages: 3,
        ..HostConfig::default()
    };
    let mut host = SparkplugHost::new(config);
    host.handle(&topic("NBIRTH", None), &nbirth(1), 0);
    let mut all = Vec::new();
    for seq in 3..=6 {
        all.extend(host.handle(
            &topic("NDATA", None),
            &by_alias(seq, &[(2, MetricValue::UInt64(seq))]),
            0,
        ));
    }
    assert_eq!(
        errors(&all),
        [HostError::SeqGap {
            expected: 1,
            got: 3
        }]
    );
    assert_eq!(rebirths(&all), [RebirthReason::SeqGap]);
    assert_eq!(updates(&all).len(), 4);
}

#[test]
fn a_message_behind_the_expected_seq_requests_a_rebirth() {
    let mut host = online();
    host.handle(
        &topic("NDATA", None),
        &by_alias(2, &[(2, MetricValue::UInt64(2))]),
        0,
    );
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(2, &[(2, MetricValue::UInt64(2))]),
        0,
    );
    assert_eq!(
        errors(&events),
        [HostError::SeqGap {
            expected: 3,
            got: 2
        }]
    );
    assert_eq!(rebirths(&events), [RebirthReason::SeqGap]);
    assert!(updates(&events).is_empty());
    let events = host.handle(&topic("NDATA", None), &payload(None, vec![]), 0);
    assert_eq!(errors(&events), [HostError::MissingSeq]);
}

#[test]
fn a_storm_of_gaps_requests_one_rebirth_per_cooldown() {
    let mut host = online();
    let mut requested = Vec::new();
    for t in 0..100 {
        // Every message far behind: each one is a gap.
        let now = t * 100;
        requested.extend(rebirths(&host.handle(
            &topic("NDATA", None),
            &by_alias(200, &[]),
            now,
        )));
    }
    // 10 s of gaps with a 5 s cooldown.
    assert_eq!(requested.len(), 2, "{requested:?}");
}

#[test]
fn unknown_aliases_metrics_devices_and_unborn_nodes_request_rebirths() {
    let mut host = online();
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(
            2,
            &[(77, MetricValue::UInt64(1)), (2, MetricValue::UInt64(8))],
        ),
        0,
    );
    assert_eq!(errors(&events), [HostError::UnknownAlias(77)]);
    assert_eq!(rebirths(&events), [RebirthReason::UnknownAlias]);
    assert_eq!(updates(&events).len(), 1, "known metrics still apply");

    let mut host = online();
    let events = host.handle(
        &topic("NDATA", None),
        &payload(
            Some(2),
            vec![DecodedMetric::new("New", MetricValue::Boolean(true))],
        ),
        0,
    );
    assert_eq!(errors(&events), [HostError::UnknownMetric("New".into())]);
    assert_eq!(rebirths(&events), [RebirthReason::UnknownMetric]);

    let mut host = online();
    let events = host.handle(
        &topic("DDATA", Some("Capper")),
        &by_alias(2, &[(1, MetricValue::UInt32(1))]),
        0,
    );
    assert_eq!(errors(&events), [HostError::UnknownDevice("Capper".into())]);
    assert_eq!(rebirths(&events), [RebirthReason::UnknownDevice]);

    // A node first seen mid-session: one rebirth per cooldown, however much data it sends.
    let mut host = SparkplugHost::new(HostConfig::default());
    let mut all = Vec::new();
    for seq in 0..50 {
        all.extend(host.handle(
            &topic("NDATA", None),
            &by_alias(seq, &[(1, MetricValue::UInt64(1))]),
            seq as i64 * 10,
        ));
    }
    all.extend(host.handle(&topic("DBIRTH", Some("D")), &dbirth(50), 600));
    assert_eq!(rebirths(&all), [RebirthReason::NoBirth]);
    assert_eq!(errors(&all).len(), 51);
    assert!(updates(&all).is_empty());
    assert_eq!(host.node_status(G, N), None);
    let events = host.handle(&topic("NDATA", None), &by_alias(1, &[]), 5_000);
    assert_eq!(rebirths(&events), [RebirthReason::NoBirth]);
}

#[test]
fn ndeath_needs_the_births_bdseq_and_takes_devices_down() {
    let mut host = online();
    let death = |bd: u64| {
        payload(
            None,
            vec![metric("bdSeq", 0, MetricValue::Int64(bd as i64))],
        )
    };
    // The will of an older connection arrives late: ignored.
    let events = host.handle(&topic("NDEATH", None), &death(2), 0);
    assert_eq!(
        errors(&events),
        [HostError::StaleDeath {
            death: Some(2),
            birth: Some(3)
        }]
    );
    assert_eq!(host.node_status(G, N), Some(Status::Online));
    let events = host.handle(&topic("NDEATH", None), &death(3), 0);
    assert_eq!(
        events,
        [
            HostEvent::NodeOffline {
                group: G.into(),
                node: N.into()
            },
            HostEvent::DeviceOffline {
                group: G.into(),
                node: N.into(),
                device: "Filler".into()
            }
        ]
    );
    assert_eq!(host.node_status(G, N), Some(Status::Offline));
    assert_eq!(host.device_status(G, N, "Filler"), Some(Status::Offline));
    // Twice is nothing new; data after death needs a birth.
    assert!(host.handle(&topic("NDEATH", None), &death(3), 0).is_empty());
    let events = host.handle(&topic("NDATA", None), &by_alias(2, &[]), 0);
    assert_eq!(rebirths(&events), [RebirthReason::NoBirth]);
    // A death for a node never seen is ignored.
    assert!(
        host.handle("spBv1.0/Acme/NDEATH/Other", &death(0), 0)
            .is_empty()
    );
}

#[test]
fn ddeath_is_sequenced_and_takes_one_device_down() {
    let mut host = online();
    // DDEATH with seq 3 waits for seq 2.
    assert!(
        host.handle(
            &topic("DDEATH", Some("Filler")),
            &payload(Some(3), vec![]),
            0
        )
        .is_empty()
    );
    let events = host.handle(&topic("NDATA", None), &by_alias(2, &[]), 0);
    assert_eq!(
        events,
        [HostEvent::DeviceOffline {
            group: G.into(),
            node: N.into(),
            device: "Filler".into()
        }]
    );
    assert_eq!(host.node_status(G, N), Some(Status::Online));
    let events = host.handle(
        &topic("DDATA", Some("Filler")),
        &by_alias(4, &[(1, MetricValue::UInt32(1))]),
        0,
    );
    assert_eq!(rebirths(&events), [RebirthReason::UnknownDevice]);
}

#[test]
fn a_new_nbirth_makes_the_old_devices_stale_until_their_dbirth() {
    let mut host = online();
    let events = host.handle(&topic("NBIRTH", None), &nbirth(4), 0);
    assert!(events.contains(&HostEvent::Stale {
        group: G.into(),
        node: N.into(),
        device: Some("Filler".into())
    }));
    assert_eq!(host.device_status(G, N, "Filler"), Some(Status::Stale));
    // The older session's will is now stale.
    let events = host.handle(
        &topic("NDEATH", None),
        &payload(None, vec![metric("bdSeq", 0, MetricValue::Int64(3))]),
        0,
    );
    assert!(matches!(
        errors(&events)[..],
        [HostError::StaleDeath { .. }]
    ));
    host.handle(&topic("DBIRTH", Some("Filler")), &dbirth(1), 0);
    assert_eq!(host.device_status(G, N, "Filler"), Some(Status::Online));
}

#[test]
fn losing_the_broker_makes_everything_stale_and_reconnecting_asks_for_births() {
    let mut host = online();
    let events = host.connection_lost(10);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| matches!(e, HostEvent::Stale { .. })));
    assert_eq!(host.node_status(G, N), Some(Status::Stale));
    assert_eq!(host.device_status(G, N, "Filler"), Some(Status::Stale));
    // The value stays readable, marked stale by the status.
    assert_eq!(
        host.value(G, N, None, "Line/Good"),
        Some(&MetricValue::UInt64(100))
    );
    let events = host.connected(20);
    assert_eq!(rebirths(&events), [RebirthReason::Reconnected]);
    // Data before the new birth is not trusted (seq continuity was lost).
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(2, &[(2, MetricValue::UInt64(1))]),
        30,
    );
    assert!(updates(&events).is_empty());
    assert_eq!(errors(&events), [HostError::NoBirth]);
    host.handle(&topic("NBIRTH", None), &nbirth(4), 40);
    assert_eq!(host.node_status(G, N), Some(Status::Online));
}

#[test]
fn historical_values_never_overwrite_current_ones_and_nulls_are_values() {
    let mut host = online();
    let mut p = DecodedPayload {
        seq: Some(2),
        metrics: vec![
            DecodedMetric {
                is_historical: true,
                timestamp: Some(5),
                ..metric("Line/Good", 2, MetricValue::UInt64(1))
            },
            DecodedMetric {
                datatype: DataType::Int32,
                ..metric("Line/State", 1, MetricValue::Null)
            },
        ],
        ..Default::default()
    }
    .to_wire();
    p.metrics[1].datatype = None;
    let events = host.handle(&topic("NDATA", None), &p.encode_to_vec(), 0);
    assert_eq!(
        updates(&events),
        [
            (None, "Line/Good".into(), MetricValue::UInt64(1), true),
            (None, "Line/State".into(), MetricValue::Null, false)
        ]
    );
    assert_eq!(
        host.value(G, N, None, "Line/Good"),
        Some(&MetricValue::UInt64(100))
    );
    assert_eq!(
        host.value(G, N, None, "Line/State"),
        Some(&MetricValue::Null)
    );
}

#[test]
fn bad_topics_and_payloads_are_errors_keyed_by_topic() {
    let mut host = online();
    let events = host.handle("spBv1.0/Acme/NDATA", b"", 0);
    assert!(
        matches!(&events[..], [HostEvent::Error { topic, error: HostError::Topic(_) }] if topic == "spBv1.0/Acme/NDATA")
    );
    let events = host.handle(&topic("NDATA", None), &[0xFF, 0xFF], 0);
    assert!(matches!(errors(&events)[..], [HostError::Decode(_)]));
    assert_eq!(rebirths(&events), [RebirthReason::Undecodable]);
    // Commands and host states are not edge-node data.
    assert!(host.handle(&topic("NCMD", None), b"junk", 0).is_empty());
    assert!(
        host.handle("spBv1.0/STATE/other-host", b"{\"online\":true}", 0)
            .is_empty()
    );
    // A metric whose value does not decode is reported; the rest of the message applies.
    let mut p = by_alias_wire(2);
    p.metrics.push(proto::Metric {
        alias: Some(2),
        value: Some(proto::metric::Value::StringValue("x".into())),
        ..Default::default()
    });
    let events = host.handle(&topic("NDATA", None), &p.encode_to_vec(), 0);
    assert!(
        matches!(errors(&events)[..], [HostError::Metric { .. }]),
        "{events:?}"
    );
    assert_eq!(updates(&events).len(), 1);
}

fn by_alias_wire(seq: u64) -> proto::Payload {
    proto::Payload::decode(&by_alias(seq, &[(2, MetricValue::UInt64(1))])[..]).unwrap()
}

#[test]
fn nodes_devices_and_metrics_are_bounded() {
    let config = HostConfig {
        max_nodes: 2,
        max_devices_per_node: 1,
        max_metrics: 2,
        ..HostConfig::default()
    };
    let mut host = SparkplugHost::new(config);
    for n in ["A", "B", "C"] {
        let events = host.handle(&format!("spBv1.0/G/NBIRTH/{n}"), &nbirth(0), 0);
        if n == "C" {
            assert_eq!(
                errors(&events),
                [HostError::Limit {
                    what: "edge nodes",
                    max: 2
                }]
            );
        } else {
            // Three birth metrics, two kept.
            assert_eq!(updates(&events).len(), 2);
            assert!(matches!(
                errors(&events)[..],
                [HostError::Limit { max: 2, .. }]
            ));
        }
    }
    assert_eq!(host.node_status("G", "C"), None);
    // Unborn nodes beyond the limit get no record and no rebirth.
    let events = host.handle("spBv1.0/G/NDATA/D", &by_alias(0, &[]), 0);
    assert!(rebirths(&events).is_empty());
    host.handle("spBv1.0/G/DBIRTH/A/d1", &dbirth(1), 0);
    let events = host.handle("spBv1.0/G/DBIRTH/A/d2", &dbirth(2), 0);
    assert!(matches!(
        errors(&events)[..],
        [HostError::Limit { max: 1, .. }]
    ));
}

#[test]
fn a_5_mb_birth_is_handled_in_linear_time() {
    let metrics: Vec<DecodedMetric> = (0..60_000u64)
        .map(|i| {
            metric(
                &format!("Area/Line/Cell/Machine-{i:06}/Measurement/Value"),
                i + 10,
                MetricValue::String(format!("some reasonably long string value #{i:08}")),
            )
        })
        .chain([metric("bdSeq", 1, MetricValue::Int64(0))])
        .collect();
    let bytes = payload(Some(0), metrics);
    assert!(bytes.len() > 5_000_000, "{}", bytes.len());
    let mut host = SparkplugHost::new(HostConfig::default());
    let started = std::time::Instant::now();
    let events = host.handle(&topic("NBIRTH", None), &bytes, 0);
    assert_eq!(updates(&events).len(), 60_001);
    let events = host.handle(
        &topic("NDATA", None),
        &by_alias(1, &[(60_009, MetricValue::String("new".into()))]),
        0,
    );
    assert_eq!(
        updates(&events)[0].1,
        "Area/Line/Cell/Machine-059999/Measurement/Value"
    );
    // Generous for debug builds on a shared machine; quadratic work would take minutes.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

proptest! {
    // TAKT_FUZZ_CASES raises the budget for a longer fuzz run; CI uses the default.
    #![proptest_config(ProptestConfig::with_cases(crate::sparkplug::fuzz_cases(1_000)))]

    #[test]
    fn handle_never_panics_on_arbitrary_topics_and_bytes(
        msgs in proptest::collection::vec((0usize..12, proptest::collection::vec(any::<u8>(), 0..64), 0i64..20_000), 1..20)
    ) {
        let topics = [
            "spBv1.0/G/NBIRTH/N", "spBv1.0/G/NDATA/N", "spBv1.0/G/DBIRTH/N/D", "spBv1.0/G/DDATA/N/D",
            "spBv1.0/G/NDEATH/N", "spBv1.0/G/DDEATH/N/D", "spBv1.0/G/NCMD/N", "spBv1.0/STATE/h",
            "spBv1.0/G/XDATA/N", "", "spBv1.0/G/DDATA/N", "a/b/c",
        ];
        let mut host = SparkplugHost::new(HostConfig::default());
        let mut errors = 0;
        for (t, bytes, now) in msgs {
            errors += host.handle(topics[t], &bytes, now).iter().filter(|e| matches!(e, HostEvent::Error { .. })).count();
            host.tick(now);
        }
        host.connection_lost(0);
        host.connected(0);
        prop_assert!(errors < 10_000);
    }

    #[test]
    fn shuffled_valid_sequences_never_panic_and_keep_state_bounded(
        order in proptest::collection::vec((0usize..6, 0u64..300, 0i64..10_000), 1..60)
    ) {
        let mut host = SparkplugHost::new(HostConfig { max_held_messages: 8, ..HostConfig::default() });
        for (kind, seq, now) in order {
            let (t, bytes) = match kind {
                0 => (topic("NBIRTH", None), nbirth(seq)),
                1 => (topic("NDATA", None), by_alias(seq, &[(seq % 4, MetricValue::UInt64(seq))])),
                2 => (topic("DBIRTH", Some("D")), dbirth(seq)),
                3 => (topic("DDATA", Some("D")), by_alias(seq, &[(1, MetricValue::UInt32(1))])),
                4 => (topic("DDEATH", Some("D")), payload(Some(seq), vec![])),
                _ => (topic("NDEATH", None), payload(None, vec![metric("bdSeq", 0, MetricValue::Int64(seq as i64))])),
            };
            host.handle(&t, &bytes, now);
            host.tick(now);
        }
    }
}
