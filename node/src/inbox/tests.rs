//! The summaries, the filters, and the store's inbox pages: order, paging boundaries,
//! every filter alone and combined (a model checked with proptest), flash first, counts.

#![allow(clippy::unwrap_used)]
use super::*;
use crate::store::tests::{inbox_record, open};
use crate::store::{InboxListing, Mark, Received, Store};
use proptest::prelude::*;
use serde_json::json;

/// A message of `kind` from its body as JSON.
fn message(kind: MessageKind, body: serde_json::Value) -> Message {
    match kind {
        MessageKind::Alert => Message::Alert(serde_json::from_value(body).unwrap()),
        MessageKind::Seizure => Message::Seizure(serde_json::from_value(body).unwrap()),
        MessageKind::TrackingUpdate => {
            Message::TrackingUpdate(serde_json::from_value(body).unwrap())
        }
        MessageKind::Notice => Message::Notice(serde_json::from_value(body).unwrap()),
        MessageKind::Tasking => Message::Tasking(serde_json::from_value(body).unwrap()),
        other => panic!("{other}"),
    }
}

fn record_with(kind: MessageKind, body: serde_json::Value) -> InboxRecord {
    let mut r = inbox_record(MessageId::new_v7(), "op/cosmo-2/alerts");
    r.kind = kind;
    r.body = message(kind, body).encode().unwrap();
    r
}

/// Store `records` in one commit; their sequences.
fn store_all(s: &Store, records: Vec<InboxRecord>) -> Vec<u64> {
    let batch = records
        .into_iter()
        .map(|r| Received::Message {
            record: Box::new(r),
            receipt: None,
        })
        .collect();
    s.commit_received(batch)
        .unwrap()
        .into_iter()
        .map(|o| match o {
            crate::store::CommitOutcome::Stored(seq) => seq,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn seqs(v: &[InboxSummary]) -> Vec<u64> {
    v.iter().map(|s| s.seq).collect()
}

fn query(position: InboxPosition, limit: usize) -> InboxQuery {
    InboxQuery {
        position,
        limit,
        ..Default::default()
    }
}

const NEWEST: InboxPosition = InboxPosition::Newest { before: None };

fn before(seq: u64) -> InboxPosition {
    InboxPosition::Newest { before: Some(seq) }
}

fn alert() -> InboxRecord {
    record_with(
        MessageKind::Alert,
        json!({
            "title": "Cocaine in banana reefers",
            "summary": "Consignee registered last month; route via Rotterdam unusual.",
            "action": "controlled-delivery",
            "commodity": {"description": "Fresh bananas", "hs_code": "0803.90"},
            "parties": {"consignee": {"name": "Fructa Trading SRL", "country": "BE"}},
            "conveyance": {"mode": "sea", "vessel_name": "MSC Example", "imo": "IMO 9074729"},
            "containers": ["CSQU3054383", "MWCU6059784"],
            "route": ["ECGYE", "BEANR"],
            "grading": {"source": "B", "information": 2}
        }),
    )
}

fn matches(f: InboxFilter, r: &InboxRecord) -> bool {
    let (s, text) = summarize(r);
    let bytes = s.encode();
    let m = Matcher::new(&f, false).unwrap();
    m.matches(&SummaryView::parse(&bytes).unwrap())
        && (!m.needs_text() || m.matches_text(text.as_bytes()))
}

#[test]
fn an_alert_is_summarised_with_normalised_terms_and_round_trips() {
    let (s, text) = summarize(&alert());
    assert_eq!(s.title, "Cocaine in banana reefers");
    assert_eq!(s.containers, "CSQU3054383\nMWCU6059784");
    assert_eq!(s.vessels, "msc example\n9074729");
    assert_eq!(s.sender_terms, "rilo-we\nwco rilo western europe");
    assert!(text.starts_with("cocaine in banana reefers\nconsignee registered"));
    assert!(text.contains("fructa trading srl") && text.contains("beanr"));
    let mut s = InboxSummary {
        seq: 9,
        read: true,
        in_reply_to: Some(MessageId::new_v7()),
        priority: Priority::Flash,
        title: "Kokain in Bananenkisten, Übergabe in Köln".into(),
        ..s
    };
    let bytes = s.encode();
    let back = SummaryView::parse(&bytes).unwrap();
    assert!(back.is_flash_unacknowledged());
    assert_eq!(back.decode(9).unwrap(), s);
    s.acknowledged = true;
    s.in_reply_to = None;
    let bytes = s.encode();
    let back = SummaryView::parse(&bytes).unwrap();
    assert!(!back.is_flash_unacknowledged());
    assert_eq!(back.decode(9).unwrap(), s);
}

#[test]
fn a_damaged_summary_is_an_error_not_a_panic() {
    let (s, _) = summarize(&alert());
    let bytes = s.encode();
    for cut in [0, 10, 51, 52, 55, bytes.len() - 1] {
        assert!(SummaryView::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut bad = bytes.clone();
    bad[16] = 200;
    assert_eq!(
        SummaryView::parse(&bad).unwrap().decode(1),
        Err(SummaryError("unknown kind"))
    );
    // A title of 0xff bytes: the string lengths still hold, the text does not decode.
    let mut bad = bytes.clone();
    let title_at = bytes.len()
        - [&s.vessels, &s.containers, &s.sender_terms, &s.title]
            .iter()
            .map(|x| 4 + x.len())
            .sum::<usize>()
        + 4;
    bad[title_at] = 0xff;
    assert_eq!(
        SummaryView::parse(&bad).unwrap().decode(1),
        Err(SummaryError("a string is not UTF-8"))
    );
}

proptest! {
    #[test]
    fn any_summary_round_trips(
        title in "\\PC{0,40}",
        containers in "[A-Z0-9\n]{0,30}",
        read in any::<bool>(),
        acknowledged in any::<bool>(),
        created in any::<u64>(),
        received in any::<u64>(),
        kind in 0..8usize,
        priority in 0..3usize,
    ) {
        let (base, _) = summarize(&alert());
        let s = InboxSummary {
            seq: 3,
            kind: MessageKind::ALL[kind],
            priority: Priority::ALL[priority],
            read,
            acknowledged,
            created_at: created,
            received_at: received,
            title,
            containers,
            ..base
        };
        let bytes = s.encode();
        prop_assert_eq!(SummaryView::parse(&bytes).unwrap().decode(3).unwrap(), s);
    }
}

#[test]
fn each_search_matches_its_terms_only() {
    let r = alert();
    let yes = |f: InboxFilter| assert!(matches(f.clone(), &r), "{f:?}");
    let no = |f: InboxFilter| assert!(!matches(f.clone(), &r), "{f:?}");
    let c = |s: &str| InboxFilter {
        container: Some(s.into()),
        ..Default::default()
    };
    yes(c("csqu 305438-3"));
    yes(c("6059784"));
    no(c("CSQU3054384"));
    let v = |s: &str| InboxFilter {
        vessel: Some(s.into()),
        ..Default::default()
    };
    yes(v("IMO 9074729"));
    yes(v("imo9074729"));
    yes(v("msc ex"));
    no(v("9074728"));
    let s = |s: &str| InboxFilter {
        sender: Some(s.into()),
        ..Default::default()
    };
    yes(s("RILO-WE"));
    yes(s("western"));
    no(s("hu-ncp"));
    let t = |s: &str| InboxFilter {
        text: Some(s.into()),
        ..Default::default()
    };
    yes(t("COCAINE rotterdam"));
    yes(t("fructa"));
    no(t("cocaine heroin"));
    // A container number is not free text, and free text is not a container.
    no(t("csqu3054383"));
    no(c("cocaine"));
}

#[test]
fn seizures_and_tracking_updates_carry_their_containers_and_vessels() {
    let update = record_with(
        MessageKind::TrackingUpdate,
        json!({
            "request_id": uuid::Uuid::nil(),
            "container": "MWCU6059784",
            "event": "discharged",
            "place": "NLRTM",
            "at": "2026-11-30T12:00:00Z",
            "vessel": "9074729",
            "remarks": "Moved to the scanner lane"
        }),
    );
    let (s, text) = summarize(&update);
    assert_eq!(s.title, "MWCU6059784 discharged at NLRTM");
    assert_eq!((&*s.containers, &*s.vessels), ("MWCU6059784", "9074729"));
    assert!(text.contains("scanner lane"));
    let seizure = record_with(
        MessageKind::Seizure,
        json!({
            "seized_at": "2026-11-30T12:00:00Z",
            "place": "BEANR",
            "goods": [{"commodity": {"description": "Cocaine"}, "quantity": 120.0, "unit": "kg"}],
            "concealment": "Behind the reefer's cooling unit",
            "containers": ["CSQU3054383"],
            "grading": {"source": "A", "information": 1}
        }),
    );
    let (s, text) = summarize(&seizure);
    assert_eq!(s.containers, "CSQU3054383");
    assert!(text.contains("cooling unit"), "{text}");
}

#[test]
fn a_body_that_does_not_decode_gets_an_empty_summary() {
    let mut r = alert();
    r.body = vec![0xc1];
    let (s, text) = summarize(&r);
    assert_eq!((&*s.title, &*s.containers, text.as_str()), ("", "", ""));
}

#[test]
fn bounds_and_empty_searches_are_named() {
    let long = Some("x".repeat(MAX_SEARCH_CHARS + 1));
    let f = InboxFilter {
        vessel: long,
        ..Default::default()
    };
    assert_eq!(
        f.check(),
        Err(QueryError::TooLong {
            field: "vessel",
            max: MAX_SEARCH_CHARS
        })
    );
    let f = InboxFilter {
        text: Some("a b c d e f g h i".into()),
        ..Default::default()
    };
    assert_eq!(f.check().unwrap_err().field(), "text");
    let f = InboxFilter {
        container: Some(" - ".into()),
        ..Default::default()
    };
    assert_eq!(f.check(), Err(QueryError::Empty { field: "container" }));
    let f = InboxFilter {
        created: TimeRange {
            from: Some(5),
            to: Some(5),
        },
        ..Default::default()
    };
    assert_eq!(f.check(), Err(QueryError::EmptyRange { field: "created" }));
}

#[test]
fn time_bounds_take_rfc3339_or_a_whole_day() {
    let start = parse_time_bound("2026-11-30", false).unwrap();
    assert_eq!(
        start,
        parse_time_bound("2026-11-30T00:00:00Z", false).unwrap()
    );
    assert_eq!(
        parse_time_bound("2026-11-30", true).unwrap(),
        start + 86_400_000
    );
    assert_eq!(
        parse_time_bound("2026-11-30T01:00:00+01:00", false).unwrap(),
        start
    );
    assert!(parse_time_bound("30/11/2026", false)
        .unwrap_err()
        .contains("2026-11-30"));
}

#[test]
fn pages_run_newest_first_with_before_and_oldest_first_after() {
    let (_d, s) = open();
    let plain = |_| inbox_record(MessageId::new_v7(), "op/cosmo-2/alerts");
    assert_eq!(
        store_all(&s, (0..7).map(plain).collect()),
        (1..=7).collect::<Vec<_>>()
    );
    let page = |position, limit| s.inbox_page(&query(position, limit)).unwrap();
    let check = |l: InboxListing, want: &[u64], more: bool| {
        assert_eq!((seqs(&l.items), l.more), (want.to_vec(), more));
        assert_eq!(l.head, 7);
        assert_eq!(l.remaining, None, "not counted unless asked");
    };
    check(page(NEWEST, 3), &[7, 6, 5], true);
    check(page(before(5), 3), &[4, 3, 2], true);
    check(page(before(2), 3), &[1], false);
    check(page(before(1), 3), &[], false);
    check(page(before(0), 3), &[], false);
    check(page(before(u64::MAX), 3), &[7, 6, 5], true);
    // A page exactly as long as what is left: no more.
    check(page(NEWEST, 7), &[7, 6, 5, 4, 3, 2, 1], false);
    check(page(NEWEST, 6), &[7, 6, 5, 4, 3, 2], true);
    check(page(before(4), 3), &[3, 2, 1], false);
    // A limit of 0 is taken as 1.
    check(page(NEWEST, 0), &[7], true);
    check(page(InboxPosition::After(0), 3), &[1, 2, 3], true);
    check(page(InboxPosition::After(4), 3), &[5, 6, 7], false);
    check(page(InboxPosition::After(7), 3), &[], false);
    check(page(InboxPosition::After(u64::MAX), 3), &[], false);
    let counted = |position, limit| {
        s.inbox_page(&InboxQuery {
            count: true,
            ..query(position, limit)
        })
        .unwrap()
        .remaining
    };
    assert_eq!(counted(NEWEST, 3), Some(4));
    assert_eq!(counted(before(5), 3), Some(1));
    assert_eq!(counted(before(4), 3), Some(0));
    assert_eq!(counted(InboxPosition::After(2), 2), Some(3));
}

#[test]
fn flash_first_puts_unacknowledged_flash_apart_on_every_page() {
    let (_d, s) = open();
    let with = |p: Priority| {
        let mut r = inbox_record(MessageId::new_v7(), "op/cosmo-2/alerts");
        r.priority = p;
        r
    };
    let mut acked_flash = with(Priority::Flash);
    acked_flash.acked_at = Some(3);
    let ids: Vec<MessageId> = vec![
        with(Priority::Flash),
        with(Priority::Routine),
        acked_flash,
        with(Priority::Flash),
        with(Priority::Urgent),
    ]
    .into_iter()
    .map(|r| {
        let id = r.id;
        store_all(&s, vec![r]);
        id
    })
    .collect();
    let flash_first = |position, limit| {
        s.inbox_page(&InboxQuery {
            flash_first: true,
            count: true,
            ..query(position, limit)
        })
        .unwrap()
    };
    let l = flash_first(NEWEST, 10);
    assert_eq!((seqs(&l.flash), l.flash_more), (vec![4, 1], false));
    assert_eq!(
        (seqs(&l.items), l.more, l.remaining),
        (vec![5, 3, 2], false, Some(0))
    );
    assert_eq!(l.counts.flash_unacknowledged, 2);
    let l = flash_first(NEWEST, 1);
    assert_eq!((seqs(&l.flash), l.flash_more), (vec![4], true));
    assert_eq!(
        (seqs(&l.items), l.more, l.remaining),
        (vec![5], true, Some(2))
    );
    // Later pages leave them out too, without repeating them.
    let l = flash_first(before(5), 10);
    assert_eq!((seqs(&l.flash), seqs(&l.items)), (vec![], vec![3, 2]));
    // The section obeys the filter.
    let l = s
        .inbox_page(&InboxQuery {
            flash_first: true,
            filter: InboxFilter {
                kind: Some(MessageKind::Tasking),
                ..Default::default()
            },
            ..query(NEWEST, 10)
        })
        .unwrap();
    assert!(l.flash.is_empty() && l.items.is_empty());
    // Acknowledged, a flash message goes back among the others.
    s.mark(&ids[3], Mark::Acknowledged, 9, |_| None).unwrap();
    let l = flash_first(NEWEST, 10);
    assert_eq!(
        (seqs(&l.flash), seqs(&l.items)),
        (vec![1], vec![5, 4, 3, 2])
    );
    // Without flash_first, one list.
    assert_eq!(
        seqs(&s.inbox_page(&query(NEWEST, 10)).unwrap().items),
        vec![5, 4, 3, 2, 1]
    );
}

#[test]
fn marks_change_the_summary_the_counts_and_the_flash_entry() {
    let (_d, s) = open();
    let mut flash = inbox_record(MessageId::new_v7(), "op/cosmo-2/alerts");
    flash.priority = Priority::Flash;
    let (a, b) = (MessageId::new_v7(), flash.id);
    store_all(&s, vec![inbox_record(a, "op/cosmo-2/alerts"), flash]);
    let counts = |total, unread, unacknowledged, flash_unacknowledged| InboxCounts {
        total,
        unread,
        unacknowledged,
        flash_unacknowledged,
    };
    assert_eq!(s.inbox_counts().unwrap(), counts(2, 2, 2, 1));
    s.mark(&a, Mark::Read, 5, |_| None).unwrap();
    s.mark(&a, Mark::Read, 6, |_| None).unwrap();
    assert_eq!(s.inbox_counts().unwrap(), counts(2, 1, 2, 1));
    // Acknowledging implies reading.
    s.mark(&b, Mark::Acknowledged, 7, |_| None).unwrap();
    s.mark(&b, Mark::Acknowledged, 8, |_| None).unwrap();
    assert_eq!(s.inbox_counts().unwrap(), counts(2, 0, 1, 0));
    let listed = |unread, unacknowledged| {
        let f = InboxFilter {
            unread,
            unacknowledged,
            ..Default::default()
        };
        let l = s
            .inbox_page(&InboxQuery {
                filter: f,
                ..query(NEWEST, 10)
            })
            .unwrap();
        assert_eq!(l.counts, counts(2, 0, 1, 0), "the counts ignore the filter");
        l.items
            .iter()
            .map(|i| (i.seq, i.read, i.acknowledged))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(false, false),
        vec![(2, true, true), (1, true, false)]
    );
    assert_eq!(listed(true, false), vec![]);
    assert_eq!(listed(false, true), vec![(1, true, false)]);
}

#[test]
fn a_text_search_reads_the_texts_in_step_in_both_orders() {
    let (_d, s) = open();
    let records = (0..20)
        .map(|n| {
            let word = if n % 3 == 0 { "cocaine" } else { "tobacco" };
            let kind = if n % 2 == 0 {
                MessageKind::Notice
            } else {
                MessageKind::Tasking
            };
            let body = match kind {
                MessageKind::Notice => json!({"title": format!("N{n}"), "text": word}),
                _ => json!({"title": format!("T{n}"), "instructions": word}),
            };
            record_with(kind, body)
        })
        .collect();
    store_all(&s, records);
    // seq = n + 1: cocaine at n = 0, 3, 6, ...; notices at even n.
    let want: Vec<u64> = (0..20u64)
        .filter(|n| n % 3 == 0 && n % 2 == 0)
        .map(|n| n + 1)
        .collect();
    let filter = InboxFilter {
        text: Some("Cocaine".into()),
        kind: Some(MessageKind::Notice),
        ..Default::default()
    };
    let mut got = vec![];
    let mut position = NEWEST;
    while let InboxPosition::Newest { .. } = position {
        let l = s
            .inbox_page(&InboxQuery {
                filter: filter.clone(),
                ..query(position, 2)
            })
            .unwrap();
        got.extend(seqs(&l.items));
        position = match (l.more, l.items.last()) {
            (true, Some(last)) => before(last.seq),
            _ => InboxPosition::After(0),
        };
    }
    assert_eq!(got, want.iter().rev().copied().collect::<Vec<_>>());
    let l = s
        .inbox_page(&InboxQuery {
            filter,
            ..query(InboxPosition::After(1), 10)
        })
        .unwrap();
    assert_eq!(seqs(&l.items), want[1..].to_vec());
}

#[test]
fn a_query_out_of_bounds_is_refused_by_the_store_with_its_field() {
    let (_d, s) = open();
    let q = InboxQuery {
        filter: InboxFilter {
            text: Some(" ".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    match s.inbox_page(&q) {
        Err(crate::store::StoreError::Query(e)) => assert_eq!(e.field(), "text"),
        other => panic!("{other:?}"),
    }
}

// The model: records drawn from small pools, every filter drawn from pools that hit
// and miss, and the pages read to the end must list exactly what a plain filter over
// the records lists, in order, each page full but the last, `more` and `remaining`
// right.

const CONTAINERS: [&str; 2] = ["CSQU3054383", "MWCU6059784"];
const VESSELS: [(&str, &str); 2] = [("MSC Example", "9074729"), ("Ever Given", "9811000")];
const WORDS: [&str; 3] = ["cocaine", "tobacco", "cigarettes"];
const SENDERS: [(&str, &str, Option<&str>); 3] = [
    ("BE-NCP", "Belgian Customs", Some("BE")),
    (
        "HU-NCP",
        "National Tax and Customs Administration",
        Some("HU"),
    ),
    ("RILO-WE", "WCO RILO Western Europe", None),
];
const CHANNELS: [&str; 3] = ["op/cosmo-2/alerts", "op/cosmo-2/tracking", "node/NL-NCP"];
const OPERATIONS: [&str; 2] = ["cosmo-2", "cosmo-3"];
const KINDS: [MessageKind; 4] = [
    MessageKind::Alert,
    MessageKind::TrackingUpdate,
    MessageKind::Notice,
    MessageKind::Tasking,
];

#[derive(Debug, Clone)]
struct Spec {
    kind: usize,
    priority: usize,
    channel: usize,
    operation: usize,
    sender: usize,
    container: Option<usize>,
    vessel: Option<usize>,
    word: usize,
    created: u64,
    received: u64,
    read: bool,
    acked: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (0..4usize, 0..3usize, 0..3usize, 0..2usize, 0..3usize),
        (
            proptest::option::of(0..2usize),
            proptest::option::of(0..2usize),
        ),
        (0..3usize, 0..6u64, 0..6u64, any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((kind, priority, channel, operation, sender), (container, vessel), rest)| Spec {
                kind,
                priority,
                channel,
                operation,
                sender,
                container,
                vessel,
                word: rest.0,
                created: rest.1,
                received: rest.2,
                read: rest.3,
                acked: rest.4,
            },
        )
}

impl Spec {
    fn kind(&self) -> MessageKind {
        KINDS[self.kind]
    }

    fn record(&self) -> InboxRecord {
        let word = WORDS[self.word];
        let body = match self.kind() {
            MessageKind::Alert => {
                let mut b = json!({
                    "title": "Alert", "summary": format!("Shipment of {word}"),
                    "action": "monitor", "grading": {"source": "B", "information": 2},
                    "containers": self.container.map(|c| vec![CONTAINERS[c]]).unwrap_or_default(),
                });
                if let Some(v) = self.vessel {
                    b["conveyance"] =
                        json!({"mode": "sea", "vessel_name": VESSELS[v].0, "imo": VESSELS[v].1});
                }
                b
            }
            MessageKind::TrackingUpdate => json!({
                "request_id": uuid::Uuid::nil(), "container": CONTAINERS[self.container.unwrap_or(0)],
                "event": "discharged", "place": "NLRTM", "at": "2026-11-30T12:00:00Z",
                "vessel": self.vessel.map(|v| VESSELS[v].1), "remarks": word,
            }),
            MessageKind::Notice => json!({"title": "Notice", "text": word}),
            _ => json!({"title": "Task", "instructions": word}),
        };
        let mut r = record_with(self.kind(), body);
        let (id, org, country) = SENDERS[self.sender];
        r.sender = id.parse().unwrap();
        r.sender_organisation = org.into();
        r.sender_country = country.map(String::from);
        r.channel = CHANNELS[self.channel].parse().unwrap();
        r.operation = OPERATIONS[self.operation].parse().unwrap();
        r.priority = [Priority::Flash, Priority::Urgent, Priority::Routine][self.priority];
        r.created_at = self.created;
        r.received_at = self.received;
        r.read_at = self.read.then_some(1);
        r.acked_at = self.acked.then_some(1);
        r
    }

    fn containers(&self) -> Vec<&'static str> {
        match self.kind() {
            MessageKind::Alert => self.container.map(|c| CONTAINERS[c]).into_iter().collect(),
            MessageKind::TrackingUpdate => vec![CONTAINERS[self.container.unwrap_or(0)]],
            _ => vec![],
        }
    }

    fn vessel_terms(&self) -> Vec<String> {
        match (self.kind(), self.vessel) {
            (MessageKind::Alert, Some(v)) => vec![VESSELS[v].0.to_lowercase(), VESSELS[v].1.into()],
            (MessageKind::TrackingUpdate, Some(v)) => vec![VESSELS[v].1.into()],
            _ => vec![],
        }
    }

    /// The plain reading of every filter field, written apart from the matcher.
    fn wanted(&self, f: &InboxFilter) -> bool {
        let (id, org, country) = SENDERS[self.sender];
        let in_range =
            |r: &TimeRange, t: u64| r.from.is_none_or(|f| t >= f) && r.to.is_none_or(|to| t < to);
        f.kind.is_none_or(|k| k == self.kind())
            && f.priority.is_none_or(|p| {
                p == [Priority::Flash, Priority::Urgent, Priority::Routine][self.priority]
            })
            && f.channel
                .as_ref()
                .is_none_or(|c| c.as_str() == CHANNELS[self.channel])
            && f.operation
                .as_ref()
                .is_none_or(|o| o.as_str() == OPERATIONS[self.operation])
            && !(f.unread && self.read)
            && !(f.unacknowledged && self.acked)
            && f.container.as_ref().is_none_or(|q| {
                let q = q.replace(' ', "").to_uppercase();
                self.containers().iter().any(|c| c.contains(&q))
            })
            && f.vessel.as_ref().is_none_or(|q| {
                let q = q.to_lowercase().replace("imo ", "");
                self.vessel_terms().iter().any(|v| v.contains(&q))
            })
            && f.sender.as_ref().is_none_or(|q| {
                let q = q.to_lowercase();
                id.to_lowercase().contains(&q)
                    || org.to_lowercase().contains(&q)
                    || country.is_some_and(|c| c.to_lowercase().contains(&q))
            })
            && f.text.as_ref().is_none_or(|q| {
                q.to_lowercase()
                    .split_whitespace()
                    .all(|w| WORDS[self.word].contains(w))
            })
            && in_range(&f.received, self.received)
            && in_range(&f.created, self.created)
    }
}

fn pick<T: Clone + std::fmt::Debug + 'static>(pool: Vec<T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::weighted(0.4, proptest::sample::select(pool))
}

fn range() -> impl Strategy<Value = TimeRange> {
    (
        proptest::option::weighted(0.3, 0..6u64),
        proptest::option::weighted(0.3, 1..7u64),
    )
        .prop_map(|(from, to)| TimeRange {
            from,
            to: to.filter(|t| from.is_none_or(|f| *t > f)),
        })
}

fn filter() -> impl Strategy<Value = InboxFilter> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    (
        (
            pick(KINDS.to_vec()),
            pick(vec![Priority::Flash, Priority::Urgent, Priority::Routine]),
            pick(
                CHANNELS
                    .iter()
                    .map(|c| c.parse::<ChannelName>().unwrap())
                    .collect(),
            ),
            pick(
                OPERATIONS
                    .iter()
                    .map(|o| o.parse::<OperationName>().unwrap())
                    .collect(),
            ),
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(0.2),
        ),
        (
            pick(s(&["CSQU3054383", "csqu 305", "6059784", "TGHU876"])),
            pick(s(&[
                "IMO 9074729",
                "msc",
                "ever given",
                "9811000",
                "imo 9999999",
            ])),
            pick(s(&["be-ncp", "customs", "HU", "rilo", "NL-NCP"])),
            pick(s(&[
                "cocaine",
                "TOBACCO",
                "caine",
                "cocaine tobacco",
                "heroin",
            ])),
            range(),
            range(),
        ),
    )
        .prop_map(
            |((kind, priority, channel, operation, unread, unacknowledged), search)| {
                let (container, vessel, sender, text, received, created) = search;
                InboxFilter {
                    operation,
                    channel,
                    kind,
                    priority,
                    unread,
                    unacknowledged,
                    container,
                    vessel,
                    sender,
                    text,
                    received,
                    created,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn paging_through_any_filter_lists_what_the_model_lists(
        specs in proptest::collection::vec(spec(), 0..25),
        filter in filter(),
        limit in 1..5usize,
        newest in any::<bool>(),
        count in any::<bool>(),
    ) {
        let (_d, s) = open();
        if !specs.is_empty() {
            store_all(&s, specs.iter().map(Spec::record).collect());
        }
        let mut want: Vec<u64> = (1..=specs.len() as u64)
            .filter(|seq| specs[*seq as usize - 1].wanted(&filter))
            .collect();
        if newest {
            want.reverse();
        }
        let mut position = if newest { NEWEST } else { InboxPosition::After(0) };
        let mut got: Vec<u64> = vec![];
        for _ in 0..=specs.len() {
            let l = s.inbox_page(&InboxQuery { filter: filter.clone(), position, limit, flash_first: false, count }).unwrap();
            prop_assert!(l.items.len() <= limit);
            got.extend(seqs(&l.items));
            let left = (want.len() - got.len().min(want.len())) as u64;
            prop_assert_eq!(l.more, left > 0);
            prop_assert_eq!(l.remaining, count.then_some(left));
            if !l.more {
                break;
            }
            prop_assert_eq!(l.items.len(), limit, "a page before the last is full");
            let last = l.items.last().map(|i| i.seq).unwrap();
            position = if newest { before(last) } else { InboxPosition::After(last) };
        }
        prop_assert_eq!(&got, &want);
        let counts = s.inbox_counts().unwrap();
        prop_assert_eq!(counts.total, specs.len() as u64);
        prop_assert_eq!(counts.unread, specs.iter().filter(|x| !x.read).count() as u64);
        prop_assert_eq!(counts.unacknowledged, specs.iter().filter(|x| !x.acked).count() as u64);
        prop_assert_eq!(
            counts.flash_unacknowledged,
            specs.iter().filter(|x| x.priority == 0 && !x.acked).count() as u64
        );
    }
}
