//! Table-driven tests over the example policy (`certs-example/policy.toml`) and over
//! small inline policies for the load errors and edge cases.

use cordon_common::ids::{ChannelName, OperationName, Role};
use cordon_common::msg::MessageKind::{self, *};

use super::*;

const EXAMPLE: &str = include_str!("../../../certs-example/policy.toml");
const DAY: u64 = 24 * 3600 * 1000;

fn example() -> Policy {
    Policy::parse(EXAMPLE, "certs-example/policy.toml").expect("the example policy loads")
}

fn subject(id: &str) -> Subject {
    let (role, country) = match id {
        "OCU" => (Role::Ocu, None),
        "RILO-WE" | "RILO-AP" => (Role::Rilo, None),
        "XX-NCP" => (Role::Member, Some("FR")),
        other => (Role::Member, Some(&other[..2])),
    };
    Subject::new(id.parse().unwrap(), role, country)
}

const NODES: [&str; 8] = [
    "OCU", "RILO-WE", "RILO-AP", "BE-NCP", "HU-NCP", "NL-NCP", "US-NCP", "XX-NCP",
];

fn everyone() -> Vec<Subject> {
    NODES.iter().map(|n| subject(n)).collect()
}

fn ch(s: &str) -> ChannelName {
    s.parse().unwrap()
}

fn cosmo() -> OperationName {
    "cosmo-2".parse().unwrap()
}

/// (open, closed): a day before the example operation ends, and a day after.
fn times(p: &Policy) -> (u64, u64) {
    let ends = p.operation(&cosmo()).unwrap().ends_ms();
    (ends - DAY, ends + DAY)
}

#[test]
fn example_operation_facts() {
    let p = example();
    let op = p.operation(&cosmo()).unwrap();
    assert_eq!(op.phase(), Phase::Interdiction);
    assert_eq!(op.retention_days(), 365);
    // 2027-03-31T23:59:59Z
    assert_eq!(op.ends_ms(), 1_806_537_599_000);
    let (open, closed) = times(&p);
    assert!(!op.is_closed(open));
    assert_eq!(op.closed_at(open), None);
    assert_eq!(op.closed_at(closed), Some(op.ends_ms()));
    assert!(!op.purge_due(closed));
    assert_eq!(op.purge_cutoff_ms(closed), None);
    let purge = op.ends_ms() + 365 * DAY;
    assert_eq!(op.purge_at_ms(), purge);
    assert!(op.purge_due(purge));
    assert_eq!(op.purge_cutoff_ms(purge + 5), Some(purge + 5));
    let names: Vec<&str> = p.channels().map(ChannelName::as_str).collect();
    assert_eq!(
        names,
        [
            "op/cosmo-2/alerts",
            "op/cosmo-2/tracking",
            "op/cosmo-2/notices"
        ]
    );
    assert!(p.operation(&"cosmo-3".parse().unwrap()).is_none());
}

#[test]
fn read_matrix() {
    let p = example();
    let (open, closed) = times(&p);
    // (node, channel, allowed)
    let mut cases: Vec<(&str, &str, bool)> = Vec::new();
    for node in NODES {
        let participant = node != "XX-NCP";
        for c in [
            "op/cosmo-2/alerts",
            "op/cosmo-2/tracking",
            "op/cosmo-2/notices",
        ] {
            cases.push((node, c, participant));
        }
    }
    cases.extend([
        ("BE-NCP", "node/BE-NCP", true),
        ("XX-NCP", "node/XX-NCP", true),
        ("HU-NCP", "node/BE-NCP", false),
        ("OCU", "node/BE-NCP", false),
        ("BE-NCP", "op/cosmo-2/unknown", false),
        ("BE-NCP", "op/cosmo-3/alerts", false),
    ]);
    for now in [open, closed] {
        for (node, c, allowed) in &cases {
            let got = p.may_read(&subject(node), &ch(c), now);
            assert_eq!(got.is_ok(), *allowed, "{node} reads {c} at {now}: {got:?}");
        }
    }
    let denial = p
        .may_read(&subject("HU-NCP"), &ch("node/BE-NCP"), open)
        .unwrap_err();
    assert_eq!(
        denial.reason,
        "HU-NCP may not read node/BE-NCP: a direct channel is readable only by its own node"
    );
    let denial = p
        .may_read(&subject("XX-NCP"), &ch("op/cosmo-2/alerts"), open)
        .unwrap_err();
    assert_eq!(
        denial.reason,
        "XX-NCP may not read op/cosmo-2/alerts: not a participant of operation cosmo-2"
    );
    // A non-participant cannot tell an existing operation or channel from a missing one.
    for c in ["op/cosmo-2/secret", "op/cosmo-3/alerts"] {
        let denial = p.may_read(&subject("XX-NCP"), &ch(c), open).unwrap_err();
        assert!(
            denial
                .reason
                .ends_with(": not a participant of operation cosmo-2")
                || denial
                    .reason
                    .ends_with(": not a participant of operation cosmo-3"),
            "{denial}"
        );
    }
}

/// One publish case: who, kind, destinations, reply flag, and `None` for allowed or
/// `Some(text the reason must contain)`.
struct Case {
    who: &'static str,
    kind: MessageKind,
    to: &'static [&'static str],
    reply: bool,
    denied: Option<&'static str>,
}

const fn allow(who: &'static str, kind: MessageKind, to: &'static [&'static str]) -> Case {
    Case {
        who,
        kind,
        to,
        reply: false,
        denied: None,
    }
}

const fn deny(
    who: &'static str,
    kind: MessageKind,
    to: &'static [&'static str],
    why: &'static str,
) -> Case {
    Case {
        who,
        kind,
        to,
        reply: false,
        denied: Some(why),
    }
}

const fn reply(case: Case) -> Case {
    Case {
        reply: true,
        ..case
    }
}

fn check_cases(p: &Policy, cases: &[Case], now: u64, label: &str) {
    let op = cosmo();
    let everyone = everyone();
    for c in cases {
        let to: Vec<ChannelName> = c.to.iter().map(|s| ch(s)).collect();
        let req = PublishRequest {
            operation: &op,
            kind: c.kind,
            to: &to,
            addressees: &everyone,
            is_reply_to_original_sender: c.reply,
        };
        let got = p.may_publish(&subject(c.who), &req, now);
        let what = format!(
            "{label}: {} publishes {} to {:?} (reply: {})",
            c.who, c.kind, c.to, c.reply
        );
        match (c.denied, got) {
            (None, Ok(())) => {}
            (Some(why), Err(d)) => assert!(
                d.reason.contains(why),
                "{what}: reason {:?} lacks {why:?}",
                d.reason
            ),
            (expected, got) => panic!("{what}: expected denial {expected:?}, got {got:?}"),
        }
    }
}

const ALERTS: &[&str] = &["op/cosmo-2/alerts"];
const TRACKING: &[&str] = &["op/cosmo-2/tracking"];
const NOTICES: &[&str] = &["op/cosmo-2/notices"];
const TO_HU: &[&str] = &["node/HU-NCP"];
const TO_RILO: &[&str] = &["node/RILO-WE"];
const TO_XX: &[&str] = &["node/XX-NCP"];
const TO_BE_US: &[&str] = &["node/BE-NCP", "node/US-NCP"];

#[test]
fn publish_matrix_open_operation() {
    let p = example();
    let (open, _) = times(&p);
    let not_participant = "not a participant of operation cosmo-2";
    let mut cases = vec![
        // Notices: only the OCU, and only to the notices channel.
        allow("OCU", Notice, NOTICES),
        deny(
            "HU-NCP",
            Notice,
            NOTICES,
            "a notice may only be sent by role ocu, but HU-NCP has role member",
        ),
        deny(
            "RILO-WE",
            Notice,
            NOTICES,
            "a notice may only be sent by role ocu, but RILO-WE has role rilo",
        ),
        deny(
            "OCU",
            Notice,
            ALERTS,
            "no publish rule of the channel grants notice",
        ),
        deny(
            "HU-NCP",
            Alert,
            NOTICES,
            "no publish rule of the channel grants alert",
        ),
        // Alerts channel.
        allow("HU-NCP", Alert, ALERTS),
        allow("RILO-AP", Seizure, ALERTS),
        allow("OCU", Feedback, ALERTS),
        deny(
            "BE-NCP",
            Tasking,
            ALERTS,
            "a tasking may only be sent by role ocu or rilo, but BE-NCP has role member",
        ),
        deny("BE-NCP", TrackingRequest, ALERTS, "no publish rule"),
        // Tracking channel.
        allow("US-NCP", TrackingRequest, TRACKING),
        allow("NL-NCP", TrackingUpdate, TRACKING),
        deny("NL-NCP", Alert, TRACKING, "no publish rule"),
        // Receipts never go to a channel, reply or not.
        deny(
            "HU-NCP",
            Receipt,
            ALERTS,
            "a receipt goes only to the direct channel",
        ),
        reply(deny("HU-NCP", Receipt, ALERTS, "a receipt goes only")),
        // Direct: tasking from ocu and rilo only.
        allow("RILO-WE", Tasking, TO_HU),
        allow("OCU", Tasking, TO_BE_US),
        deny(
            "BE-NCP",
            Tasking,
            TO_HU,
            "a tasking may only be sent by role ocu or rilo",
        ),
        allow("BE-NCP", TrackingRequest, TO_BE_US),
        allow("HU-NCP", Feedback, TO_RILO),
        allow("HU-NCP", TrackingUpdate, TO_RILO),
        deny("HU-NCP", Alert, TO_RILO, "no direct rule"),
        deny("HU-NCP", Seizure, TO_RILO, "no direct rule"),
        deny(
            "OCU",
            Notice,
            TO_HU,
            "no direct rule of operation cosmo-2 grants notice",
        ),
        // Direct to a non-participant, even for a reply.
        deny(
            "RILO-WE",
            Tasking,
            TO_XX,
            "XX-NCP is not a participant of operation cosmo-2",
        ),
        reply(deny(
            "HU-NCP",
            Receipt,
            TO_XX,
            "XX-NCP is not a participant",
        )),
        // Replies to the original sender.
        reply(allow("HU-NCP", Receipt, TO_RILO)),
        reply(allow("HU-NCP", Feedback, TO_RILO)),
        reply(allow("XX-NCP", Receipt, TO_RILO)).with_denial(not_participant),
        deny(
            "HU-NCP",
            Receipt,
            TO_RILO,
            "a receipt goes only to the sender",
        ),
        reply(deny(
            "HU-NCP",
            Receipt,
            TO_BE_US,
            "a receipt goes only to the sender",
        )),
        reply(deny("HU-NCP", Alert, TO_RILO, "no direct rule")),
        // Malformed addressing.
        deny("OCU", Alert, &[], "the message has no destination"),
        deny(
            "OCU",
            Alert,
            &["op/cosmo-2/alerts", "node/HU-NCP"],
            "not both",
        ),
        deny(
            "OCU",
            Alert,
            &["op/cosmo-2/alerts", "op/cosmo-2/tracking"],
            "exactly one",
        ),
        deny(
            "OCU",
            Alert,
            &["op/other/alerts"],
            "does not belong to operation cosmo-2",
        ),
        deny(
            "OCU",
            Alert,
            &["op/cosmo-2/chatter"],
            "operation cosmo-2 has no channel chatter",
        ),
    ];
    // A non-participant may do nothing at all.
    for kind in MessageKind::ALL {
        for to in [ALERTS, TRACKING, NOTICES, TO_HU] {
            cases.push(deny("XX-NCP", kind, to, not_participant));
            cases.push(reply(deny("XX-NCP", kind, to, not_participant)));
        }
    }
    check_cases(&p, &cases, open, "open");
}

impl Case {
    fn with_denial(self, why: &'static str) -> Case {
        Case {
            denied: Some(why),
            ..self
        }
    }
}

#[test]
fn publish_matrix_closed_operation() {
    let p = example();
    let (_, closed) = times(&p);
    let read_only = "is closed since 2027-03-31T23:59:59Z: it is read-only";
    let cases = [
        deny("HU-NCP", Alert, ALERTS, read_only),
        deny("OCU", Notice, NOTICES, read_only),
        deny("RILO-WE", Tasking, TO_HU, read_only),
        reply(deny("HU-NCP", Feedback, TO_RILO, read_only)),
        reply(allow("HU-NCP", Receipt, TO_RILO)),
        deny(
            "HU-NCP",
            Receipt,
            TO_RILO,
            "a receipt goes only to the sender",
        ),
        reply(deny("XX-NCP", Receipt, TO_RILO, "not a participant")),
    ];
    check_cases(&p, &cases, closed, "closed");
    // Still readable.
    assert!(p
        .may_read(&subject("HU-NCP"), &ch("op/cosmo-2/alerts"), closed)
        .is_ok());
}

#[test]
fn notice_denial_reason_is_exact() {
    let p = example();
    let (open, _) = times(&p);
    let to = [ch("op/cosmo-2/notices")];
    let req = PublishRequest {
        operation: &cosmo(),
        kind: Notice,
        to: &to,
        addressees: &[],
        is_reply_to_original_sender: false,
    };
    let d = p.may_publish(&subject("HU-NCP"), &req, open).unwrap_err();
    assert_eq!(
        d.reason,
        "HU-NCP may not publish notice to op/cosmo-2/notices: a notice may only be sent by role \
         ocu, but HU-NCP has role member"
    );
    assert_eq!(d.to_string(), d.reason);
}

#[test]
fn grants_for_each_node() {
    let p = example();
    let (open, closed) = times(&p);
    let all_read = |g: &[cordon_common::wire::Grant]| g.iter().all(|g| g.read);

    let (g, d) = p.grants_for(&subject("OCU"), open);
    assert!(all_read(&g));
    let publish: Vec<(&str, Vec<MessageKind>)> = g
        .iter()
        .map(|g| (g.channel.as_str(), g.publish.clone()))
        .collect();
    assert_eq!(
        publish,
        [
            ("op/cosmo-2/alerts", vec![Alert, Feedback, Seizure]),
            ("op/cosmo-2/tracking", vec![TrackingRequest, TrackingUpdate]),
            ("op/cosmo-2/notices", vec![Notice]),
        ]
    );
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].kinds,
        [Feedback, TrackingRequest, TrackingUpdate, Tasking]
    );

    let (g, d) = p.grants_for(&subject("HU-NCP"), open);
    assert_eq!(g.len(), 3);
    assert!(all_read(&g));
    assert_eq!(g[2].channel.as_str(), "op/cosmo-2/notices");
    assert!(
        g[2].publish.is_empty(),
        "members read notices but may not send them"
    );
    assert_eq!(d[0].kinds, [Feedback, TrackingRequest, TrackingUpdate]);

    assert_eq!(p.grants_for(&subject("XX-NCP"), open), (vec![], vec![]));

    let (g, d) = p.grants_for(&subject("OCU"), closed);
    assert_eq!(g.len(), 3);
    assert!(all_read(&g) && g.iter().all(|g| g.publish.is_empty()));
    assert!(d.is_empty());
}

#[test]
fn readers_of_channels() {
    let p = example();
    let (open, _) = times(&p);
    let everyone = everyone();
    let ids = |c: &str| -> Vec<String> {
        p.readers(&ch(c), everyone.iter(), open)
            .iter()
            .map(|n| n.to_string())
            .collect()
    };
    assert_eq!(ids("op/cosmo-2/notices"), &NODES[..7]);
    assert_eq!(ids("node/BE-NCP"), ["BE-NCP"]);
    assert!(ids("op/cosmo-3/alerts").is_empty());
}

#[test]
fn access_matrix_is_readable() {
    let p = example();
    let (open, closed) = times(&p);
    let m = p.access_matrix(&everyone(), open);
    for expected in [
        "operation cosmo-2 — Operation COSMO II",
        "phase interdiction, open until 2027-03-31T23:59:59Z",
        "participants: roles ocu, rilo; countries BE, HU, NL, US",
        "  node     role    country  channel              read  may publish",
        "  OCU      ocu     -        op/cosmo-2/alerts    yes   alert, feedback, seizure",
        "                            op/cosmo-2/notices   yes   notice",
        "  HU-NCP   member  HU       op/cosmo-2/alerts    yes   alert, feedback, seizure",
        "                            op/cosmo-2/notices   yes   -",
        "  XX-NCP   member  FR       (not a participant)  no    -",
    ] {
        assert!(m.contains(expected), "missing {expected:?} in\n{m}");
    }
    let m = p.access_matrix(&everyone(), closed);
    assert!(m.contains("closed since 2027-03-31T23:59:59Z"), "{m}");
    assert!(m.contains("op/cosmo-2/alerts    yes   -"), "{m}");
    let empty = Policy::parse("", "empty.toml").unwrap();
    assert!(empty
        .access_matrix(&everyone(), open)
        .contains("no operation"));
}

/// A small policy for edge cases, with `{direct}` replaced by direct rules.
fn inline(phase: &str, direct: &str) -> Policy {
    let text = format!(
        r#"
[[operation]]
name = "cosmo-2"
phase = "{phase}"
ends = "2099-01-01T00:00:00+01:00"
retention_days = 30
participants = {{ roles = ["ocu"], nodes = ["NL-NCP"] }}

[[operation.channel]]
name = "alerts"
read = {{ nodes = ["NL-NCP"] }}
{direct}
"#
    );
    Policy::parse(&text, "inline.toml").unwrap()
}

#[test]
fn replies_need_no_direct_rule() {
    let p = inline("planning", "");
    let op = cosmo();
    let to = [ch("node/OCU")];
    let known = [subject("OCU")];
    for (kind, reply, ok) in [
        (Feedback, true, true),
        (TrackingUpdate, true, true),
        (Receipt, true, true),
        (Feedback, false, false),
        (Alert, true, false),
    ] {
        let req = PublishRequest {
            operation: &op,
            kind,
            to: &to,
            addressees: &known,
            is_reply_to_original_sender: reply,
        };
        let got = p.may_publish(&subject("NL-NCP"), &req, 0);
        assert_eq!(got.is_ok(), ok, "{kind} reply={reply}: {got:?}");
    }
}

#[test]
fn unknown_addressee_is_a_participant_only_when_listed_by_id() {
    let p = inline(
        "planning",
        "[[operation.direct]]\nkinds = [\"tasking\"]\nby = { roles = [\"ocu\"] }",
    );
    let op = cosmo();
    for (to, ok) in [("node/NL-NCP", true), ("node/OCU", false)] {
        let to = [ch(to)];
        let req = PublishRequest {
            operation: &op,
            kind: Tasking,
            to: &to,
            addressees: &[],
            is_reply_to_original_sender: false,
        };
        let got = p.may_publish(&subject("OCU"), &req, 0);
        assert_eq!(got.is_ok(), ok, "{to:?}: {got:?}");
        if let Err(d) = got {
            assert!(d.reason.contains("unknown to the hub"), "{}", d.reason);
        }
    }
}

#[test]
fn phase_closed_closes_before_ends() {
    let p = inline("closed", "");
    let op = p.operation(&cosmo()).unwrap();
    assert!(op.is_closed(0));
    // Offsets are normalised to UTC.
    assert_eq!(op.ends_ms(), 4_070_905_200_000);
    let to = [ch("op/cosmo-2/alerts")];
    let req = PublishRequest {
        operation: &cosmo(),
        kind: Alert,
        to: &to,
        addressees: &[],
        is_reply_to_original_sender: false,
    };
    let d = p.may_publish(&subject("NL-NCP"), &req, 0).unwrap_err();
    assert!(
        d.reason.contains("is closed (phase = closed)"),
        "{}",
        d.reason
    );
    assert!(p.may_read(&subject("NL-NCP"), &to[0], 0).is_ok());
    assert!(
        p.may_read(&subject("OCU"), &to[0], 0).is_err(),
        "not in the read selector"
    );
}

#[test]
fn load_from_path_and_missing_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../certs-example/policy.toml");
    let p = Policy::load(path).unwrap();
    assert_eq!(p, Policy::parse(EXAMPLE, path).unwrap());
    assert_eq!(p.origin(), path);
    let err = Policy::load("/nonexistent/policy.toml").unwrap_err();
    assert!(matches!(
        err,
        PolicyError::Io {
            kind: std::io::ErrorKind::NotFound,
            ..
        }
    ));
    assert!(err
        .to_string()
        .starts_with("cannot read policy file /nonexistent/policy.toml: "));
}

// ---- load errors -----------------------------------------------------------------------

const BASE: &str = r#"[[operation]]
name = "cosmo-2"
title = "t"
phase = "interdiction"
ends = "2027-03-31T23:59:59Z"
retention_days = 365
participants = { roles = ["ocu", "rilo"], countries = ["BE", "HU"] }

[[operation.channel]]
name = "alerts"
read = { participants = true }

[[operation.channel.publish]]
kinds = ["alert", "feedback"]
by = { participants = true }

[[operation.channel]]
name = "notices"
read = { participants = true }

[[operation.channel.publish]]
kinds = ["notice"]
by = { roles = ["ocu"] }

[[operation.direct]]
kinds = ["tasking"]
by = { roles = ["ocu", "rilo"] }
"#;

/// `BASE` with the first occurrence of `from` replaced by `to`.
fn mutate(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

#[test]
fn base_policy_loads() {
    Policy::parse(BASE, "test.toml").unwrap();
}

/// A broken variant of `BASE`, the line the error must name, the variant it must be, and
/// words its message must contain.
struct Broken {
    text: String,
    line: usize,
    variant: fn(&PolicyError) -> bool,
    words: &'static str,
}

fn broken(
    from: &str,
    to: &str,
    line: usize,
    variant: fn(&PolicyError) -> bool,
    words: &'static str,
) -> Broken {
    Broken {
        text: mutate(from, to),
        line,
        variant,
        words,
    }
}

#[test]
fn load_errors_name_the_line_and_the_reason() {
    use PolicyError as E;
    let alert_feedback = r#"kinds = ["alert", "feedback"]"#;
    let notice_rule = "kinds = [\"notice\"]\nby = { roles = [\"ocu\"] }";
    let participants = r#"roles = ["ocu", "rilo"], countries = ["BE", "HU"]"#;
    let second_operation = "\n[[operation]]\nname = \"cosmo-2\"\nphase = \"planning\"\n\
        ends = \"2027-01-01T00:00:00Z\"\nretention_days = 1\nparticipants = { roles = [\"ocu\"] }\n";
    let cases = [
        broken(
            alert_feedback,
            r#"kinds = ["alerts", "feedback"]"#,
            14,
            |e| matches!(e, E::UnknownKind { .. }),
            "unknown message kind \"alerts\" (expected one of alert, feedback, seizure, \
             tracking-request, tracking-update, tasking, notice, receipt)",
        ),
        broken(
            "read = { participants = true }",
            "reed = { participants = true }",
            11,
            |e| matches!(e, E::UnknownKey { .. }),
            "unknown field `reed`",
        ),
        broken(
            "retention_days = 365",
            "retention_days = 365\ncolour = \"red\"",
            7,
            |e| matches!(e, E::UnknownKey { .. }),
            "unknown field `colour`",
        ),
        broken(
            "participants = true }",
            "participant = true }",
            11,
            |e| matches!(e, E::UnknownKey { .. }),
            "unknown field `participant`",
        ),
        broken(
            "title = \"t\"",
            "title = \"t",
            3,
            |e| matches!(e, E::Syntax { .. }),
            "not valid TOML",
        ),
        broken(
            "name = \"notices\"",
            "name = \"alerts\"",
            18,
            |e| matches!(e, E::DuplicateChannel { first_line: 10, .. }),
            "operation cosmo-2 defines channel alerts twice (first on line 10)",
        ),
        broken(
            notice_rule,
            "kinds = [\"notice\"]\nby = { roles = [\"member\"] }",
            22,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "operation cosmo-2, channel notices: notice may only be granted to roles ocu \
             (e.g. by = { roles = [\"ocu\"] }), not by node, country or participants: \
             recipients refuse a notice signed by any other role (forbidden-sender)",
        ),
        broken(
            notice_rule,
            "kinds = [\"notice\"]\nby = { roles = [\"ocu\"], countries = [\"BE\"] }",
            22,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "notice may only be granted to roles ocu",
        ),
        broken(
            notice_rule,
            "kinds = [\"notice\"]\nby = { participants = true }",
            22,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "notice may only be granted to roles ocu",
        ),
        broken(
            r#"kinds = ["tasking"]"#,
            r#"kinds = ["tasking", "notice"]"#,
            26,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "operation cosmo-2, direct messages: notice may only be granted to roles ocu",
        ),
        // Recipients refuse a tasking from a member (forbidden-sender): a grant that could
        // reach one is refused at load, not stored and refused by every recipient.
        broken(
            "kinds = [\"tasking\"]\nby = { roles = [\"ocu\", \"rilo\"] }",
            "kinds = [\"tasking\"]\nby = { participants = true }",
            26,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "operation cosmo-2, direct messages: tasking may only be granted to roles ocu or \
             rilo (e.g. by = { roles = [\"ocu\", \"rilo\"] }), not by node, country or \
             participants: recipients refuse a tasking signed by any other role \
             (forbidden-sender)",
        ),
        broken(
            "kinds = [\"tasking\"]\nby = { roles = [\"ocu\", \"rilo\"] }",
            "kinds = [\"tasking\"]\nby = { roles = [\"ocu\", \"member\"] }",
            26,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "tasking may only be granted to roles ocu or rilo",
        ),
        broken(
            "kinds = [\"tasking\"]\nby = { roles = [\"ocu\", \"rilo\"] }",
            "kinds = [\"tasking\"]\nby = { nodes = [\"OCU\"] }",
            26,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "tasking may only be granted to roles ocu or rilo",
        ),
        broken(
            alert_feedback,
            "kinds = [\"alert\", \"tasking\"]",
            14,
            |e| matches!(e, E::SenderRoleNotCertain { .. }),
            "operation cosmo-2, channel alerts: tasking may only be granted",
        ),
        broken(
            alert_feedback,
            r#"kinds = ["alert", "receipt"]"#,
            14,
            |e| matches!(e, E::ReceiptGranted { .. }),
            "receipt cannot be granted",
        ),
        broken(
            alert_feedback,
            "kinds = []",
            14,
            |e| matches!(e, E::EmptyKinds { .. }),
            "grants no message kind",
        ),
        broken(
            participants,
            r#"roles = ["ocu", "admin"], countries = ["BE", "HU"]"#,
            7,
            |e| matches!(e, E::UnknownRole { .. }),
            "unknown role \"admin\" (expected one of member, rilo, ocu)",
        ),
        broken(
            participants,
            r#"roles = ["ocu", "rilo"], countries = ["BE", "hu"]"#,
            7,
            |e| matches!(e, E::InvalidCountry { .. }),
            "country \"hu\" is not two upper-case letters",
        ),
        broken(
            r#"by = { roles = ["ocu", "rilo"] }"#,
            r#"by = { nodes = ["be-ncp"] }"#,
            27,
            |e| matches!(e, E::InvalidNodeId { .. }),
            "node id \"be-ncp\" is not 2-32 characters",
        ),
        broken(
            r#"name = "cosmo-2""#,
            r#"name = "Cosmo 2""#,
            2,
            |e| matches!(e, E::InvalidOperationName { .. }),
            "operation name \"Cosmo 2\" is not",
        ),
        broken(
            r#"name = "alerts""#,
            r#"name = "op/cosmo-2/alerts""#,
            10,
            |e| matches!(e, E::InvalidChannelName { .. }),
            "write the short name",
        ),
        broken(
            "2027-03-31T23:59:59Z",
            "31/03/2027",
            5,
            |e| matches!(e, E::InvalidTime { .. }),
            "\"31/03/2027\" is not an RFC 3339 date and time",
        ),
        broken(
            "2027-03-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
            5,
            |e| matches!(e, E::InvalidTime { .. }),
            "before 1970",
        ),
        broken(
            "interdiction",
            "execution",
            4,
            |e| matches!(e, E::UnknownPhase { .. }),
            "unknown phase \"execution\"",
        ),
        broken(
            "read = { participants = true }",
            "read = {}",
            11,
            |e| matches!(e, E::EmptySelector { .. }),
            "this selector matches nobody",
        ),
        broken(
            "read = { participants = true }",
            "read = { participants = false, nodes = [] }",
            11,
            |e| matches!(e, E::EmptySelector { .. }),
            "this selector matches nobody",
        ),
        broken(
            participants,
            "participants = true",
            7,
            |e| matches!(e, E::SelfReferentialParticipants { .. }),
            "operation cosmo-2: `participants = true` cannot define the participants",
        ),
        broken(
            "retention_days = 365\n",
            "",
            1,
            |e| matches!(e, E::Schema { .. }),
            "missing field `retention_days`",
        ),
        broken(
            "retention_days = 365",
            "retention_days = \"a year\"",
            6,
            |e| matches!(e, E::Schema { .. }),
            "invalid type",
        ),
        broken(
            "retention_days = 365",
            "retention_days = -1",
            6,
            |e| matches!(e, E::Schema { .. }),
            "retention_days",
        ),
        Broken {
            text: format!("{BASE}{second_operation}"),
            line: 30,
            variant: |e| matches!(e, E::DuplicateOperation { first_line: 2, .. }),
            words: "operation cosmo-2 is defined twice (first on line 2)",
        },
    ];
    for case in cases {
        let err = Policy::parse(&case.text, "test.toml").expect_err(case.words);
        assert!(
            (case.variant)(&err),
            "{}: wrong variant {err:?}",
            case.words
        );
        let msg = err.to_string();
        let prefix = format!("test.toml:{}:", case.line);
        assert!(
            msg.starts_with(&prefix),
            "{}: {msg:?} does not start with {prefix:?}",
            case.words
        );
        assert!(msg.contains(case.words), "{msg:?} lacks {:?}", case.words);
    }
}

#[test]
fn unknown_kind_message_is_exact() {
    let text = mutate(r#"kinds = ["alert", "feedback"]"#, r#"kinds = ["alerts"]"#);
    let err = Policy::parse(&text, "policy.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy.toml:14:10: unknown message kind \"alerts\" (expected one of alert, feedback, \
         seizure, tracking-request, tracking-update, tasking, notice, receipt)"
    );
    assert_eq!(
        err,
        PolicyError::UnknownKind {
            at: Location {
                origin: "policy.toml".to_owned(),
                line: 14,
                column: 10
            },
            value: "alerts".to_owned(),
            expected: MessageKind::NAMES.join(", "),
        }
    );
}

#[test]
fn locations_count_characters() {
    let text = "ab\nçé x";
    assert_eq!(Location::of_offset("f", text, 0).to_string(), "f:1:1");
    assert_eq!(Location::of_offset("f", text, 3).to_string(), "f:2:1");
    // 'ç' and 'é' are two bytes each; byte 8 is the 'x'.
    assert_eq!(Location::of_offset("f", text, 8).to_string(), "f:2:4");
    // Inside a character, and past the end: clamped.
    assert_eq!(Location::of_offset("f", text, 4).to_string(), "f:2:1");
    assert_eq!(Location::of_offset("f", text, 99).to_string(), "f:2:5");
}
