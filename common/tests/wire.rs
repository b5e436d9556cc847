//! Wire codec: every frame round-trips, incomplete input is not an error, and bad input
//! gets the right error code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::ids::{ChannelName, Fingerprint, MessageId, NodeId, OperationName, Role};
use cordon_common::msg::MessageKind;
use cordon_common::wire::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn node_id() -> impl Strategy<Value = NodeId> {
    "[A-Z0-9][A-Z0-9-]{1,31}".prop_map(|s| s.parse().unwrap())
}
fn op() -> impl Strategy<Value = OperationName> {
    "[a-z0-9-]{1,48}".prop_map(|s| s.parse().unwrap())
}
fn channel() -> impl Strategy<Value = ChannelName> {
    prop_oneof![
        ("[a-z0-9-]{1,20}", "[a-z0-9-]{1,20}")
            .prop_map(|(o, n)| format!("op/{o}/{n}").parse().unwrap()),
        node_id().prop_map(|n| n.direct_channel()),
    ]
}
fn kind() -> impl Strategy<Value = MessageKind> {
    prop_oneof![
        Just(MessageKind::Alert),
        Just(MessageKind::Feedback),
        Just(MessageKind::Seizure),
        Just(MessageKind::TrackingRequest),
        Just(MessageKind::TrackingUpdate),
        Just(MessageKind::Tasking),
        Just(MessageKind::Notice),
        Just(MessageKind::Receipt),
    ]
}
fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Member), Just(Role::Rilo), Just(Role::Ocu)]
}
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}
fn text() -> impl Strategy<Value = String> {
    ".{0,40}"
}
fn msg_id() -> impl Strategy<Value = MessageId> {
    any::<u128>().prop_map(|v| MessageId(uuid::Uuid::from_u128(v)))
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (text(), any::<u32>())
            .prop_map(|(agent, max_frame)| Frame::Hello(Hello { agent, max_frame })),
        (
            node_id(),
            role(),
            text(),
            proptest::option::of("[A-Z]{2}"),
            any::<[u8; 32]>(),
            vec((channel(), any::<bool>(), vec(kind(), 0..4)), 0..4),
            vec((op(), vec(kind(), 0..3)), 0..3),
            any::<u64>(),
            any::<u32>()
        )
            .prop_map(
                |(
                    node_id,
                    role,
                    organisation,
                    country,
                    fp,
                    grants,
                    direct,
                    hub_time,
                    max_frame,
                )| {
                    Frame::Welcome(Welcome {
                        node_id,
                        role,
                        organisation,
                        country,
                        fingerprint: Fingerprint(fp),
                        grants: grants
                            .into_iter()
                            .map(|(channel, read, publish)| Grant {
                                channel,
                                read,
                                publish,
                            })
                            .collect(),
                        direct: direct
                            .into_iter()
                            .map(|(operation, kinds)| DirectGrant { operation, kinds })
                            .collect(),
                        hub_time,
                        max_frame,
                    })
                }
            ),
        vec(channel(), 0..5).prop_map(|channels| Frame::Subscribe(Subscribe { channels })),
        (vec(channel(), 0..5), vec((channel(), text()), 0..3))
            .prop_map(|(channels, refused)| Frame::Subscribed(Subscribed { channels, refused })),
        bytes(300).prop_map(|envelope| Frame::Publish(Publish { envelope })),
        (
            msg_id(),
            prop_oneof![
                Just(PublishOutcome::Stored),
                Just(PublishOutcome::Duplicate),
                Just(PublishOutcome::Denied),
                Just(PublishOutcome::Invalid)
            ],
            text()
        )
            .prop_map(|(id, outcome, reason)| Frame::PublishAck(PublishAck {
                id,
                outcome,
                reason
            })),
        (channel(), any::<u64>(), bytes(300)).prop_map(|(channel, seq, envelope)| Frame::Deliver(
            Deliver {
                channel,
                seq,
                envelope
            }
        )),
        (channel(), any::<u64>())
            .prop_map(|(channel, seq)| Frame::DeliverAck(DeliverAck { channel, seq })),
        (vec(channel(), 0..4), vec(node_id(), 0..4)).prop_map(|(channels, nodes)| {
            Frame::DirectoryRequest(DirectoryRequest { channels, nodes })
        }),
        (
            vec((channel(), vec(node_id(), 0..4)), 0..3),
            vec(
                (node_id(), bytes(100), proptest::option::of(bytes(60))),
                0..3
            )
        )
            .prop_map(|(readers, entries)| {
                Frame::DirectoryResponse(DirectoryResponse {
                    // A roster on every other answer: both encodings round-trip.
                    roster: (readers.len() % 2 == 1)
                        .then(|| serde_bytes::ByteBuf::from(vec![0x92, 0xc4, 0x00, 0xc4, 0x00])),
                    readers,
                    entries: entries
                        .into_iter()
                        .map(|(node_id, cert, bundle)| DirectoryEntry {
                            node_id,
                            cert,
                            bundle: bundle.map(serde_bytes::ByteBuf::from),
                        })
                        .collect(),
                })
            }),
        bytes(200).prop_map(|bundle| Frame::KeyBundlePublish(KeyBundlePublish { bundle })),
        (any::<bool>(), text())
            .prop_map(|(accepted, reason)| Frame::KeyBundleAck(KeyBundleAck { accepted, reason })),
        any::<u64>().prop_map(|nonce| Frame::Ping(Ping { nonce })),
        any::<u64>().prop_map(|nonce| Frame::Pong(Pong { nonce })),
        (any::<u16>(), text())
            .prop_map(|(code, message)| Frame::Error(ErrorFrame { code, message })),
    ]
}

proptest! {
    #[test]
    fn every_frame_round_trips(f in frame()) {
        let mut buf = Vec::new();
        encode_frame(&f, DEFAULT_MAX_FRAME, &mut buf).unwrap();
        let mut dec = FrameDecoder::new(DEFAULT_MAX_FRAME);
        prop_assert_eq!(dec.push(&buf), buf.len());
        prop_assert_eq!(dec.next_frame().unwrap(), Some(f));
        prop_assert_eq!(dec.next_frame().unwrap(), None);
        prop_assert_eq!(dec.buffered(), 0);
    }

    #[test]
    fn frames_split_anywhere_decode_the_same(fs in vec(frame(), 1..5), chunk in 1usize..64) {
        let mut buf = Vec::new();
        for f in &fs {
            encode_frame(f, DEFAULT_MAX_FRAME, &mut buf).unwrap();
        }
        let mut dec = FrameDecoder::new(DEFAULT_MAX_FRAME);
        let mut out = Vec::new();
        for piece in buf.chunks(chunk) {
            let mut rest = piece;
            while !rest.is_empty() {
                let n = dec.push(rest);
                rest = &rest[n..];
                while let Some(f) = dec.next_frame().unwrap() {
                    out.push(f);
                }
            }
        }
        prop_assert_eq!(out, fs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in bytes(2000)) {
        let mut dec = FrameDecoder::new(1024);
        let _ = dec.push(&data);
        for _ in 0..8 {
            match dec.next_frame() {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => break,
            }
        }
        prop_assert!(dec.buffered() <= 1024 + 4);
    }
}

fn framed(version: u8, frame_type: u8, body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 2) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(&[version, frame_type]);
    v.extend_from_slice(body);
    v
}

#[test]
fn incomplete_is_not_an_error() {
    let mut buf = Vec::new();
    encode_frame(&Frame::Ping(Ping { nonce: 7 }), DEFAULT_MAX_FRAME, &mut buf).unwrap();
    let mut dec = FrameDecoder::new(DEFAULT_MAX_FRAME);
    for b in &buf[..buf.len() - 1] {
        dec.push(&[*b]);
        assert_eq!(dec.next_frame(), Ok(None));
    }
    dec.push(&buf[buf.len() - 1..]);
    assert_eq!(dec.next_frame(), Ok(Some(Frame::Ping(Ping { nonce: 7 }))));
}

#[test]
fn bad_frames_get_their_error_and_code() {
    let max = 1000;
    let cases: Vec<(Vec<u8>, WireError, ErrorCode)> = vec![
        (
            2000u32.to_be_bytes().to_vec(),
            WireError::TooLarge { len: 2000, max },
            ErrorCode::FrameTooLarge,
        ),
        (
            1u32.to_be_bytes().to_vec(),
            WireError::TooShort(1),
            ErrorCode::MalformedFrame,
        ),
        (
            framed(2, 0x0d, &[0x91, 0x01]),
            WireError::UnsupportedVersion(2),
            ErrorCode::UnsupportedVersion,
        ),
        (
            framed(1, 0x7f, &[0x90]),
            WireError::UnknownType(0x7f),
            ErrorCode::Protocol,
        ),
        (
            framed(1, 0x0d, &[0x91, 0x01, 0x00]),
            WireError::Trailing(0x0d),
            ErrorCode::MalformedFrame,
        ),
    ];
    for (bytes, err, code) in cases {
        let mut dec = FrameDecoder::new(max);
        dec.push(&bytes);
        let got = dec.next_frame().unwrap_err();
        assert_eq!(got, err);
        assert_eq!(got.code(), code);
    }
    // A Ping whose nonce is a string: malformed.
    let mut dec = FrameDecoder::new(max);
    dec.push(&framed(1, 0x0d, &[0x91, 0xa1, b'x']));
    let e = dec.next_frame().unwrap_err();
    assert!(
        matches!(
            e,
            WireError::Malformed {
                frame_type: 0x0d,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), ErrorCode::MalformedFrame);
}

#[test]
fn a_bin_claiming_gigabytes_inside_a_small_frame_is_refused_without_allocating() {
    // Publish whose envelope bin32 announces 4 GiB.
    let body = [0x91, 0xc6, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3];
    let mut dec = FrameDecoder::new(1000);
    dec.push(&framed(1, 0x05, &body));
    assert!(matches!(
        dec.next_frame(),
        Err(WireError::Malformed {
            frame_type: 0x05,
            ..
        })
    ));
}

#[test]
fn decoder_never_buffers_beyond_one_maximum_frame() {
    let mut dec = FrameDecoder::new(100);
    let taken = dec.push(&[0u8; 1000]);
    assert_eq!(taken, 104);
    assert_eq!(dec.room(), 0);
}

#[test]
fn encoding_refuses_frames_over_the_maximum() {
    let mut buf = vec![9, 9];
    let f = Frame::Publish(Publish {
        envelope: vec![0; 200],
    });
    assert!(matches!(
        encode_frame(&f, 100, &mut buf),
        Err(WireError::Encode(_))
    ));
    assert_eq!(
        buf,
        vec![9, 9],
        "a refused frame leaves the buffer as it was"
    );
}

#[test]
fn error_codes_round_trip() {
    for c in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_u16(c.as_u16()), Some(c));
    }
    assert_eq!(ErrorCode::from_u16(999), None);
}
