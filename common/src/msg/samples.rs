//! Realistic, valid sample messages of every kind, for tests.

#![allow(clippy::unwrap_used)]

use uuid::Uuid;

use super::*;

/// 2026-11-30T12:00:00Z.
const NOON: u64 = 1_796_040_000_000;

fn container(s: &str) -> ContainerNumber {
    ContainerNumber::new(s).unwrap()
}

fn locode(s: &str) -> Locode {
    Locode::new(s).unwrap()
}

fn photo(name: &str, len: usize) -> Attachment {
    let mut data = vec![0xff, 0xd8, 0xff, 0xe0];
    data.resize(len, 0x42);
    Attachment {
        name: name.into(),
        media_type: "image/jpeg".into(),
        data,
    }
}

fn vessel() -> Conveyance {
    Conveyance {
        mode: TransportMode::Sea,
        vessel_name: Some("MSC Example".into()),
        imo: Some(ImoNumber::new("IMO 9074729").unwrap()),
        voyage: Some("FE247W".into()),
        flight: None,
        vehicle_registration: None,
    }
}

fn grading() -> Grading {
    Grading {
        source: SourceGrade::B,
        information: InfoGrade::ProbablyTrue,
    }
}

/// An alert about cocaine suspected in banana reefers.
pub(crate) fn alert() -> Alert {
    Alert {
        drafted_by: Some("Inspector A. Janssens".to_owned()),
        title: "Cocaine suspected in banana reefers".into(),
        summary: "Consignee registered three weeks ago with no trading history; \
                  freight paid in cash; route through Rotterdam unusual for this trade."
            .into(),
        action: ActionRequested::ControlledDelivery,
        commodity: Some(Commodity {
            description: "Fresh bananas, 1,080 cartons".into(),
            hs_code: Some(HsCode::new("0803.90").unwrap()),
        }),
        parties: Parties {
            shipper: Some(Party {
                name: "Frutas del Pacífico S.A.".into(),
                address: Some("Av. 9 de Octubre 100\nGuayaquil".into()),
                country: Some("EC".into()),
                identifier: None,
            }),
            consignee: Some(Party {
                name: "Fructa Trading SRL".into(),
                address: Some("Noorderlaan 1, 2030 Antwerpen".into()),
                country: Some("BE".into()),
                identifier: Some("BE0999999999".into()),
            }),
            notify_party: None,
        },
        conveyance: Some(vessel()),
        containers: vec![container("CSQU3054383"), container("MWCU6059784")],
        bill_of_lading: Some("MEDUGY123456".into()),
        route: vec![locode("ECGYE"), locode("BEANR")],
        risk_indicators: vec!["new consignee".into(), "high-risk origin".into()],
        grading: grading(),
        free_text: Some("Please do not contact the consignee.".into()),
        attachments: vec![photo("bill-of-lading.jpg", 64)],
    }
}

/// Feedback: the alert led to a seizure.
pub(crate) fn feedback() -> Feedback {
    Feedback {
        drafted_by: None,
        alert_id: Uuid::from_u128(0x0193_7c6e_3a00_7000_8000_0000_0000_0001),
        outcome: FeedbackOutcome::Seized,
        details: "Both containers scanned at Antwerp; 410 kg found in cartons at the doors.".into(),
        seizure_id: Some(Uuid::from_u128(0x0193_7c6e_3a00_7000_8000_0000_0000_0002)),
        attachments: vec![photo("scan.jpg", 128)],
    }
}

/// A seizure of cocaine and cigarettes.
pub(crate) fn seizure() -> Seizure {
    Seizure {
        drafted_by: None,
        alert_id: Some(Uuid::from_u128(0x0193_7c6e_3a00_7000_8000_0000_0000_0001)),
        seized_at: Timestamp::from_millis(NOON),
        place: locode("BEANR"),
        place_detail: Some("Deurganck terminal, scanner 2".into()),
        goods: vec![
            SeizedGoods {
                commodity: Commodity {
                    description: "Cocaine hydrochloride in 360 bricks".into(),
                    hs_code: Some(HsCode::new("2939.72").unwrap()),
                },
                quantity: 410.5,
                unit: "kg".into(),
            },
            SeizedGoods {
                commodity: Commodity {
                    description: "Counterfeit cigarettes".into(),
                    hs_code: Some(HsCode::new("2402.20").unwrap()),
                },
                quantity: 12_000.0,
                unit: "sticks".into(),
            },
        ],
        concealment: Some("Behind the cartons at the doors (rip-on/rip-off)".into()),
        persons: vec![Party {
            name: "J. Doe".into(),
            address: None,
            country: Some("NL".into()),
            identifier: None,
        }],
        conveyance: Some(vessel()),
        containers: vec![container("CSQU3054383")],
        route: vec![locode("ECGYE"), locode("NLRTM"), locode("BEANR")],
        grading: Grading {
            source: SourceGrade::A,
            information: InfoGrade::Confirmed,
        },
        free_text: None,
        attachments: vec![photo("bricks.jpg", 256), photo("doors.jpg", 256)],
    }
}

/// A request to track two containers to Antwerp.
pub(crate) fn tracking_request() -> TrackingRequest {
    TrackingRequest {
        drafted_by: None,
        containers: vec![container("CBHU3202732"), container("MWCU6059784")],
        bill_of_lading: Some("COSU6123456780".into()),
        booking: None,
        vessel: Some(ImoNumber::new("9074729").unwrap()),
        voyage: Some("045W".into()),
        route: vec![locode("CNSHA"), locode("BEANR")],
        until: Timestamp::from_millis(NOON + 14 * 24 * 3_600_000),
        report: vec![TrackingEvent::Discharged, TrackingEvent::GateOut],
        remarks: Some("Report gate-out immediately.".into()),
    }
}

/// A container discharged at Antwerp.
pub(crate) fn tracking_update() -> TrackingUpdate {
    TrackingUpdate {
        drafted_by: None,
        request_id: Uuid::from_u128(0x0193_7c6e_3a00_7000_8000_0000_0000_0003),
        container: container("CBHU3202732"),
        event: TrackingEvent::Discharged,
        place: locode("BEANR"),
        at: Timestamp::from_millis(NOON),
        vessel: Some(ImoNumber::new("9074729").unwrap()),
        remarks: None,
    }
}

/// A tasking to check manifests.
pub(crate) fn tasking() -> Tasking {
    Tasking {
        drafted_by: None,
        title: "Check manifests for Guayaquil reefers".into(),
        instructions: "List every reefer from ECGYE due in week 49 and report the consignees."
            .into(),
        due_by: Some(Timestamp::from_millis(NOON + 48 * 3_600_000)),
        ack_required: true,
        attachments: vec![photo("profile.jpg", 512)],
    }
}

/// A notice opening the interdiction phase.
pub(crate) fn notice() -> Notice {
    Notice {
        drafted_by: None,
        title: "Interdiction phase starts Monday".into(),
        text: "The interdiction phase runs from 1 to 14 December.\nReport seizures daily.".into(),
        phase: Some(Phase::Interdiction),
        attachments: vec![photo("schedule.jpg", 32)],
    }
}

/// An acknowledgement receipt.
pub(crate) fn receipt() -> Receipt {
    Receipt {
        message_id: Uuid::from_u128(0x0193_7c6e_3a00_7000_8000_0000_0000_0004),
        status: ReceiptStatus::Acknowledged,
        at: Timestamp::from_millis(NOON + 5 * 60_000),
        more: vec![],
    }
}

/// The sample message of `kind`.
pub(crate) fn message(kind: MessageKind) -> Message {
    match kind {
        MessageKind::Alert => alert().into(),
        MessageKind::Feedback => feedback().into(),
        MessageKind::Seizure => seizure().into(),
        MessageKind::TrackingRequest => tracking_request().into(),
        MessageKind::TrackingUpdate => tracking_update().into(),
        MessageKind::Tasking => tasking().into(),
        MessageKind::Notice => notice().into(),
        MessageKind::Receipt => receipt().into(),
    }
}
