//! A node's inbox filled with realistic messages, written straight into its store
//! (`node.redb`) as the receive path writes them: the console inbox benchmark
//! (`cordon-bench --inbox N`) and the inbox's end-to-end tests use it.
//!
//! The mix is a month of an operation seen by a member's node: alerts, tracking
//! updates and requests, feedback, seizures, taskings and notices from some 40 senders,
//! 1 % flash and 14 % urgent, container numbers and IMO numbers with valid check digits,
//! texts of a few hundred characters, most older messages read. It is deterministic: the
//! same `n` and seed give the same inbox.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use cordon_common::ids::{Fingerprint, MessageId, Role};
use cordon_common::msg::{
    imo_check_digit, iso6346_check_digit, Limits, Message, MessageKind, Priority, Tlp,
};
use cordon_node::store::{InboxRecord, Received, Store};

use crate::faults::rng::SeededRng;
use serde_json::json;

/// A container number that [`fill`] puts in exactly [`NEEDLE_COUNT`] messages, spread
/// over the inbox: a search that matches few.
pub const NEEDLE_CONTAINER: &str = "CSQU3054383";
/// How many messages carry [`NEEDLE_CONTAINER`].
pub const NEEDLE_COUNT: u64 = 3;

/// The fill's random choices: [`SeededRng`], drawn as the fill needs them.
#[derive(Debug, Clone)]
pub struct Rng(SeededRng);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(SeededRng::new(seed))
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const COUNTRIES: [(&str, &str); 38] = [
    ("BE", "Belgium"),
    ("NL", "Netherlands"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("PT", "Portugal"),
    ("HU", "Hungary"),
    ("PL", "Poland"),
    ("RO", "Romania"),
    ("GR", "Greece"),
    ("TR", "Turkey"),
    ("UA", "Ukraine"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("NO", "Norway"),
    ("SE", "Sweden"),
    ("FI", "Finland"),
    ("US", "United States"),
    ("CA", "Canada"),
    ("MX", "Mexico"),
    ("BR", "Brazil"),
    ("AR", "Argentina"),
    ("CO", "Colombia"),
    ("EC", "Ecuador"),
    ("PE", "Peru"),
    ("ZA", "South Africa"),
    ("NG", "Nigeria"),
    ("KE", "Kenya"),
    ("EG", "Egypt"),
    ("MA", "Morocco"),
    ("AE", "United Arab Emirates"),
    ("IN", "India"),
    ("CN", "China"),
    ("JP", "Japan"),
    ("KR", "Korea"),
    ("SG", "Singapore"),
    ("AU", "Australia"),
];

const OWNERS: [&str; 12] = [
    "MSCU", "MAEU", "CMAU", "HLXU", "OOLU", "EGHU", "TGHU", "MRKU", "SEGU", "TCNU", "FCIU", "GESU",
];

const VESSEL_NAMES: [&str; 16] = [
    "MSC Aurora",
    "Maersk Essex",
    "CMA CGM Tage",
    "Ever Given",
    "Hamburg Express",
    "ONE Harmony",
    "Cosco Shipping Leo",
    "HMM Algeciras",
    "Northern Jasper",
    "Santa Clara",
    "Atlantic Star",
    "Rio Grande",
    "Cap San Lorenzo",
    "Seaspan Zambezi",
    "Yantian Express",
    "Pacific Pearl",
];

const LOCODES: [&str; 14] = [
    "ECGYE", "COCTG", "BRSSZ", "NLRTM", "BEANR", "DEHAM", "ESALG", "FRLEH", "ITGOA", "GBFXT",
    "PAONX", "MAPTM", "TRMER", "SGSIN",
];

const GOODS: [&str; 10] = [
    "cocaine hydrochloride concealed in banana boxes",
    "dual-use machine tools declared as spare parts",
    "cigarettes without tax stamps",
    "counterfeit pharmaceuticals",
    "precursor chemicals declared as cleaning agents",
    "ivory carvings mixed with furniture",
    "frequency converters listed as strategic goods",
    "undeclared cash in a vehicle's fuel tank",
    "methamphetamine in tile adhesive",
    "carbon fibre declared as textile",
];

const PHRASES: [&str; 12] = [
    "The consignee was registered a month before the first shipment",
    "the route through a transhipment hub is unusual for this commodity",
    "the declared value is far below the market price",
    "the shipper shares an address with a company seized from last year",
    "the bill of lading was amended after departure",
    "the container was repositioned empty twice before loading",
    "weights on the manifest and at the gate differ by 800 kg",
    "the notify party is a freight forwarder with no trading history",
    "payment was made by a third party in another country",
    "the HS code changed between the export and the import declarations",
    "the booking was made by email from a free mail service",
    "the vessel switched off its AIS signal for two days",
];

/// A valid ISO 6346 container number.
fn container(rng: &mut Rng) -> Result<String> {
    let first10 = format!("{}{:06}", rng.pick(&OWNERS), rng.below(1_000_000));
    let check = iso6346_check_digit(&first10).map_err(|e| anyhow::anyhow!("{e}"))?;
    let number = format!("{first10}{check}");
    // The needle is placed on purpose only.
    Ok(if number == NEEDLE_CONTAINER {
        "MSCU0000003".to_owned()
    } else {
        number
    })
}

/// The IMO number of vessel `index` of the fill's fleet (valid; 9000000 and up, as ships
/// built since the 1980s have).
pub fn vessel_imo(index: usize) -> Result<String> {
    let first6 = format!("{}", 900_000 + index * 3_571);
    let check = imo_check_digit(&first6).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(format!("{first6}{check}"))
}

fn prose(rng: &mut Rng, sentences: u64) -> String {
    let mut s: Vec<&str> = Vec::new();
    for _ in 0..sentences {
        s.push(*rng.pick(&PHRASES));
    }
    format!("{}.", s.join("; "))
}

fn time_text(ms: u64) -> String {
    cordon_common::msg::Timestamp::from_millis(ms).to_string()
}

/// A valid body of `kind`; with `needle`, its first container is [`NEEDLE_CONTAINER`].
fn body(rng: &mut Rng, kind: MessageKind, needle: bool, now: u64) -> Result<Message> {
    let mut containers = vec![container(rng)?];
    if rng.chance(30) {
        containers.push(container(rng)?);
    }
    if needle {
        containers[0] = NEEDLE_CONTAINER.to_owned();
    }
    let v = rng.below(VESSEL_NAMES.len() as u64) as usize;
    let (vessel, vessel_imo) = (VESSEL_NAMES[v], vessel_imo(v)?);
    let from = *rng.pick(&LOCODES);
    let to = *rng.pick(&LOCODES);
    let goods = *rng.pick(&GOODS);
    let value = match kind {
        MessageKind::Alert => json!({
            "title": format!("{} from {from} to {to}", goods.split(' ').take(3).collect::<Vec<_>>().join(" ")),
            "summary": prose(rng, 3),
            "action": *rng.pick(&["monitor", "inspect", "hold", "controlled-delivery", "report-back"]),
            "commodity": {"description": goods},
            "parties": {
                "shipper": {"name": format!("{} Export Ltd", rng.pick(&VESSEL_NAMES).split(' ').next().unwrap_or("Global"))},
                "consignee": {"name": "Fructa Trading SRL", "country": "BE"}
            },
            "conveyance": {"mode": "sea", "vessel_name": vessel, "imo": vessel_imo, "voyage": format!("{}W", rng.below(900) + 100)},
            "containers": containers,
            "route": [from, to],
            "risk_indicators": ["new consignee", "high-risk origin"],
            "grading": {"source": "B", "information": 2},
            "free_text": prose(rng, 2),
        }),
        MessageKind::TrackingUpdate => json!({
            "request_id": uuid::Uuid::now_v7(),
            "container": containers[0],
            "event": *rng.pick(&["gate-in", "loaded", "departed", "transhipped", "arrived", "discharged", "gate-out"]),
            "place": to,
            "at": time_text(now),
            "vessel": vessel_imo,
            "remarks": prose(rng, 1),
        }),
        MessageKind::TrackingRequest => json!({
            "containers": containers,
            "vessel": vessel_imo,
            "voyage": format!("{}E", rng.below(900) + 100),
            "route": [from, to],
            "until": time_text(now + 30 * 86_400_000),
            "remarks": prose(rng, 1),
        }),
        MessageKind::Feedback => json!({
            "alert_id": uuid::Uuid::now_v7(),
            "outcome": *rng.pick(&["inspected", "nothing-found", "seized", "not-arrived", "monitored"]),
            "details": prose(rng, 2),
        }),
        MessageKind::Seizure => json!({
            "seized_at": time_text(now),
            "place": to,
            "place_detail": "container terminal, scanner lane 2",
            "goods": [{"commodity": {"description": goods}, "quantity": (rng.below(500) + 1) as f64, "unit": "kg"}],
            "concealment": prose(rng, 1),
            "conveyance": {"mode": "sea", "vessel_name": vessel, "imo": vessel_imo},
            "containers": containers,
            "route": [from, to],
            "grading": {"source": "A", "information": 1},
        }),
        MessageKind::Tasking => json!({
            "title": format!("Check manifests of {vessel}"),
            "instructions": prose(rng, 2),
            "ack_required": true,
        }),
        _ => json!({
            "title": format!("Operation update {}", rng.below(100)),
            "text": prose(rng, 4),
            "phase": "interdiction",
        }),
    };
    let message = match kind {
        MessageKind::Alert => Message::Alert(serde_json::from_value(value)?),
        MessageKind::TrackingUpdate => Message::TrackingUpdate(serde_json::from_value(value)?),
        MessageKind::TrackingRequest => Message::TrackingRequest(serde_json::from_value(value)?),
        MessageKind::Feedback => Message::Feedback(serde_json::from_value(value)?),
        MessageKind::Seizure => Message::Seizure(serde_json::from_value(value)?),
        MessageKind::Tasking => Message::Tasking(serde_json::from_value(value)?),
        _ => Message::Notice(serde_json::from_value(value)?),
    };
    message.validate(&Limits::default())?;
    Ok(message)
}

/// The kind of the next message: the mix of an operation's month.
fn kind(rng: &mut Rng) -> MessageKind {
    match rng.below(100) {
        0..35 => MessageKind::Alert,
        35..60 => MessageKind::TrackingUpdate,
        60..70 => MessageKind::TrackingRequest,
        70..80 => MessageKind::Feedback,
        80..88 => MessageKind::Seizure,
        88..95 => MessageKind::Tasking,
        _ => MessageKind::Notice,
    }
}

/// Message `n` of `total`, received over the 30 days before `now`.
pub fn record(rng: &mut Rng, n: u64, total: u64, now: u64) -> Result<InboxRecord> {
    // The needle's messages: the middles of NEEDLE_COUNT equal parts of the inbox.
    let needle = (0..NEEDLE_COUNT).any(|k| n == (2 * k + 1) * total / (2 * NEEDLE_COUNT));
    let kind = if needle {
        MessageKind::Alert
    } else {
        kind(rng)
    };
    let month = 30 * 86_400_000u64;
    let received_at = now - month + month * n / total.max(1);
    let message = body(rng, kind, needle, received_at)?;
    let (sender, organisation, country, role, channel) = match kind {
        MessageKind::Notice => (
            "OCU".to_owned(),
            "WCO Operational Coordination Unit".to_owned(),
            None,
            Role::Ocu,
            "op/cosmo-2/notices",
        ),
        MessageKind::Tasking => (
            "RILO-WE".to_owned(),
            "WCO RILO Western Europe".to_owned(),
            None,
            Role::Rilo,
            "node/NL-NCP",
        ),
        _ => {
            let (cc, name) = *rng.pick(&COUNTRIES);
            let channel = match kind {
                MessageKind::TrackingRequest | MessageKind::TrackingUpdate => "op/cosmo-2/tracking",
                MessageKind::Feedback => "node/NL-NCP",
                _ => "op/cosmo-2/alerts",
            };
            (
                format!("{cc}-NCP"),
                format!("{name} Customs"),
                Some(cc.to_owned()),
                Role::Member,
                channel,
            )
        }
    };
    let priority = match rng.below(100) {
        0 => Priority::Flash,
        1..15 => Priority::Urgent,
        _ => Priority::Routine,
    };
    // Most of what is older than the last day has been read; taskings and older flash
    // messages mostly acknowledged.
    let old = received_at + 86_400_000 < now;
    let read = old && rng.chance(90);
    let acked = read
        && ((kind == MessageKind::Tasking && rng.chance(80))
            || (priority == Priority::Flash && rng.chance(70)));
    Ok(InboxRecord {
        seq: 0,
        id: MessageId::new_v7(),
        kind: message.kind(),
        operation: if rng.chance(80) { "cosmo-2" } else { "cosmo-3" }.parse()?,
        channel: channel.parse()?,
        to: vec![channel.parse()?],
        sender: sender.parse()?,
        sender_role: role,
        sender_organisation: organisation,
        sender_country: country,
        sender_fingerprint: Fingerprint([7; 32]),
        created_at: received_at.saturating_sub(rng.below(300_000)),
        expires_at: received_at + 60 * 86_400_000,
        priority,
        tlp: Tlp::Amber,
        in_reply_to: None,
        received_at,
        body: message.encode()?,
        read_at: read.then_some(received_at + 3_600_000),
        acked_at: acked.then_some(received_at + 7_200_000),
    })
}

/// What filling took.
#[derive(Debug, Clone, Copy)]
pub struct Filled {
    /// Messages stored.
    pub messages: u64,
    /// Time in the store's commits (summaries included), without making the messages.
    pub commits: Duration,
    /// Average body size, bytes.
    pub body_bytes: u64,
}

/// Put `n` realistic messages into the node store at `path` (created if missing), in
/// commits of `batch` as the receive path makes them, seeded with `seed`.
pub fn fill(path: &Path, n: u64, batch: usize, seed: u64) -> Result<Filled> {
    let store = Store::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut rng = Rng::new(seed);
    let now = cordon_common::msg::Timestamp::now().as_millis();
    let mut commits = Duration::ZERO;
    let mut bytes = 0u64;
    let mut next = 0u64;
    while next < n {
        let mut records = Vec::with_capacity(batch);
        while next < n && records.len() < batch.max(1) {
            let r = record(&mut rng, next, n, now)?;
            bytes += r.body.len() as u64;
            records.push(Received::Message {
                record: Box::new(r),
                receipt: None,
            });
            next += 1;
        }
        let t = Instant::now();
        store.commit_received(records)?;
        commits += t.elapsed();
    }
    Ok(Filled {
        messages: n,
        commits,
        body_bytes: bytes / n.max(1),
    })
}
