//! Tests of `MessageKind` and of `Message` encoding, decoding and validation.

#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn kind_strings() {
    let names: Vec<&str> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "alert",
            "feedback",
            "seizure",
            "tracking-request",
            "tracking-update",
            "tasking",
            "notice",
            "receipt"
        ]
    );
    for kind in MessageKind::ALL {
        assert_eq!(kind.as_str().parse::<MessageKind>().unwrap(), kind);
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", kind.as_str())
        );
    }
    assert!("tracking_request".parse::<MessageKind>().is_err());
}

#[test]
fn every_sample_round_trips_and_validates() {
    for kind in MessageKind::ALL {
        let message = samples::message(kind);
        assert_eq!(message.kind(), kind);
        assert_eq!(message.validate(&Limits::default()), Ok(()), "{kind}");
        let bytes = message.encode().unwrap();
        let decoded = Message::decode(kind, &bytes).unwrap();
        assert_eq!(decoded, message, "{kind}");
    }
}

#[test]
fn every_sample_round_trips_through_json() {
    for kind in MessageKind::ALL {
        let message = samples::message(kind);
        let again = match &message {
            Message::Alert(m) => Message::from(json_round_trip(m)),
            Message::Feedback(m) => json_round_trip(m).into(),
            Message::Seizure(m) => json_round_trip(m).into(),
            Message::TrackingRequest(m) => json_round_trip(m).into(),
            Message::TrackingUpdate(m) => json_round_trip(m).into(),
            Message::Tasking(m) => json_round_trip(m).into(),
            Message::Notice(m) => json_round_trip(m).into(),
            Message::Receipt(m) => json_round_trip(m).into(),
        };
        assert_eq!(again, message, "{kind}");
    }
}

fn json_round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

#[test]
fn encoding_is_a_named_map_with_string_enums() {
    let mut alert = samples::alert();
    alert.attachments.clear();
    let bytes = Message::from(alert).encode().unwrap();
    // Without binaries the body reads as a generic value.
    let value: serde_json::Value = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(value["action"], "controlled-delivery");
    assert_eq!(value["grading"]["source"], "B");
    assert_eq!(value["grading"]["information"], 2);
    assert_eq!(value["conveyance"]["mode"], "sea");
    assert_eq!(value["conveyance"]["imo"], "9074729");
    assert_eq!(value["containers"][1], "MWCU6059784");
    assert_eq!(value["parties"]["consignee"]["country"], "BE");
    assert!(value["parties"].get("notify_party").is_none());

    let mut tasking = samples::tasking();
    tasking.attachments.clear();
    let bytes = Message::from(tasking.clone()).encode().unwrap();
    let value: serde_json::Value = rmp_serde::from_slice(&bytes).unwrap();
    let due = tasking.due_by.unwrap().as_millis();
    assert_eq!(value["due_by"].as_u64(), Some(due));
    assert_eq!(value["ack_required"], true);
}

#[test]
fn uuid_is_sixteen_byte_binary() {
    let receipt = samples::receipt();
    let bytes = Message::from(receipt.clone()).encode().unwrap();
    let mut expected = vec![0xc4, 16];
    expected.extend_from_slice(receipt.message_id.as_bytes());
    assert!(
        bytes.windows(expected.len()).any(|w| w == expected),
        "{bytes:x?}"
    );
}

#[test]
fn decode_as_wrong_kind_names_the_kind() {
    let bytes = Message::from(samples::receipt()).encode().unwrap();
    let err = Message::decode(MessageKind::Alert, &bytes).unwrap_err();
    assert_eq!(err.kind(), MessageKind::Alert);
    assert!(
        err.to_string().starts_with("cannot decode alert message"),
        "{err}"
    );
}

#[test]
fn decode_refuses_garbage_truncation_and_trailing_bytes() {
    let mut bytes = Message::from(samples::notice()).encode().unwrap();
    assert!(Message::decode(MessageKind::Notice, &bytes[..bytes.len() - 1]).is_err());
    assert!(Message::decode(MessageKind::Notice, &[0xc1]).is_err());
    assert!(Message::decode(MessageKind::Notice, &[]).is_err());
    bytes.push(0x00);
    let err = Message::decode(MessageKind::TrackingUpdate, &bytes).unwrap_err();
    assert_eq!(err.kind(), MessageKind::TrackingUpdate);
    let err = Message::decode(MessageKind::Notice, &bytes).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::TrailingBytes {
                kind: MessageKind::Notice,
                count: 1
            }
        ),
        "{err}"
    );
}

#[test]
fn decode_does_not_validate() {
    let mut seizure = samples::seizure();
    seizure.goods[0].commodity.hs_code = Some(serde_json::from_str("\"12345\"").unwrap());
    let bytes = Message::from(seizure).encode().unwrap();
    let decoded = Message::decode(MessageKind::Seizure, &bytes).unwrap();
    let err = decoded.validate(&Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "goods[0].commodity.hs_code: not an HS code: must be a 4-digit heading or 6, 8 or 10 \
         digits, dots allowed, e.g. 8471.30"
    );
}

#[test]
fn validate_reports_attachment_byte_limit_for_every_kind_with_attachments() {
    let limits = Limits {
        max_attachment_bytes: 16,
        ..Limits::default()
    };
    for kind in MessageKind::ALL {
        let result = samples::message(kind).validate(&limits);
        match kind {
            MessageKind::TrackingRequest | MessageKind::TrackingUpdate | MessageKind::Receipt => {
                assert_eq!(result, Ok(()), "{kind}");
            }
            _ => {
                let err = result.unwrap_err();
                assert_eq!(err.field, "attachments", "{kind}");
                assert!(matches!(
                    err.rule,
                    Rule::AttachmentsTooLarge { max: 16, .. }
                ));
            }
        }
    }
}

#[test]
fn validate_all_names_every_field_that_breaks_a_rule() {
    let mut alert = samples::alert();
    alert.title = " ".into();
    alert.containers = vec![
        serde_json::from_str("\"CSQU3054384\"").unwrap(),
        serde_json::from_str("\"MWCU6059784\"").unwrap(),
        serde_json::from_str("\"MWCU6059785\"").unwrap(),
    ];
    alert
        .route
        .push(serde_json::from_str("\"Antwerp\"").unwrap());
    let message = Message::from(alert);
    let all: Vec<String> = message
        .validate_all(&Limits::default())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        all,
        [
            "title: must not be empty",
            "containers[0]: ISO 6346 check digit is 4, expected 3",
            "containers[2]: ISO 6346 check digit is 5, expected 4",
            "route[2]: not a UN/LOCODE: must be a 2-letter country code and 3 characters A-Z \
             or 2-9, e.g. BEANR",
        ]
    );
    // The first of them is what `validate` reports.
    assert_eq!(
        message
            .validate(&Limits::default())
            .unwrap_err()
            .to_string(),
        all[0]
    );
    assert!(samples::message(MessageKind::Seizure)
        .validate_all(&Limits::default())
        .is_empty());
}
