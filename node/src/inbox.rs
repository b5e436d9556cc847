//! The inbox as officers query it: what a listing may ask for ([`InboxQuery`],
//! [`InboxFilter`]), and the compact summary kept beside each inbox record
//! ([`InboxSummary`], plus its search text) that listings and searches read instead of
//! the records themselves (which carry whole bodies and attachments).
//!
//! A summary is made once, from the opened message, in the transaction that stores it
//! ([`summarize`]), and its flags change when the message is marked read or
//! acknowledged. Everything a search compares is normalised there: container numbers
//! upper case, vessel names, senders and text lower case. The store scans summaries
//! newest first (or, for followers, oldest first) and stops once a page is full.

use cordon_common::ids::{ChannelName, MessageId, OperationName};
use cordon_common::msg::{Conveyance, Message, MessageKind, Party, Priority, Timestamp, Tlp};
use memchr::memmem::Finder;
use serde::{Deserialize, Serialize};

use crate::store::InboxRecord;

/// Longest search string (container, vessel, sender, text), in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Most words in a text search.
pub const MAX_TEXT_WORDS: usize = 8;
/// The page size when none is asked for.
pub const DEFAULT_PAGE: usize = 50;

/// A time window in ms since the epoch: `from` inclusive, `to` exclusive; either end may
/// be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Not before this instant.
    pub from: Option<u64>,
    /// Before this instant.
    pub to: Option<u64>,
}

impl TimeRange {
    fn contains(&self, t: u64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }

    fn check(&self, field: &'static str) -> Result<(), QueryError> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if t <= f => Err(QueryError::EmptyRange { field }),
            _ => Ok(()),
        }
    }
}

/// Which inbox messages to list. Every condition given must hold; the default lists
/// everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxFilter {
    /// Only this operation.
    pub operation: Option<OperationName>,
    /// Only messages delivered on this channel.
    pub channel: Option<ChannelName>,
    /// Only this kind.
    pub kind: Option<MessageKind>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only messages no officer has shown yet.
    pub unread: bool,
    /// Only messages no officer has acknowledged yet.
    pub unacknowledged: bool,
    /// A container number or part of one (ISO 6346; case, spaces and dashes ignored).
    pub container: Option<String>,
    /// A vessel name or IMO number, or part of one (case ignored; `IMO 9074729` and
    /// `9074729` alike).
    pub vessel: Option<String>,
    /// Part of the sender's node id, organisation or country (case ignored).
    pub sender: Option<String>,
    /// Words that must all appear (case ignored, anywhere, also inside longer words) in
    /// the title or the body's text fields.
    pub text: Option<String>,
    /// When this node stored the message.
    pub received: TimeRange,
    /// When the sender created it.
    pub created: TimeRange,
}

impl InboxFilter {
    /// Check the filter's bounds, as a listing would.
    pub fn check(&self) -> Result<(), QueryError> {
        Matcher::new(self, false).map(drop)
    }
}

/// Where a page starts, and so its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxPosition {
    /// Newest first: from the newest message, or (for the next page) from the one just
    /// older than local sequence `before`.
    Newest {
        /// Only messages with a local sequence below this.
        before: Option<u64>,
    },
    /// Oldest first, the messages after local sequence `after` (0: from the first): how
    /// followers read the inbox.
    After(u64),
}

impl Default for InboxPosition {
    fn default() -> Self {
        Self::Newest { before: None }
    }
}

/// A listing of the inbox: which messages, from where, how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxQuery {
    /// Which messages.
    pub filter: InboxFilter,
    /// From where, in which order.
    pub position: InboxPosition,
    /// At most this many (the service caps it at `[limits] api_max_list`).
    pub limit: usize,
    /// Newest first only: the unacknowledged flash messages that match come apart, in
    /// the page's `flash` (on the first page, at most `limit`), and are left out of its
    /// items (on every page), so that a console can show them first and highlighted.
    pub flash_first: bool,
    /// Also count every match beyond this page (`remaining`): this reads the rest of
    /// the inbox, so ask only when the number is shown.
    pub count: bool,
}

impl Default for InboxQuery {
    fn default() -> Self {
        Self {
            filter: InboxFilter::default(),
            position: InboxPosition::default(),
            limit: DEFAULT_PAGE,
            flash_first: false,
            count: false,
        }
    }
}

impl InboxQuery {
    /// Oldest first after `after`, every message, at most `limit`: a follower's query.
    pub fn after(after: u64, limit: usize) -> Self {
        Self {
            position: InboxPosition::After(after),
            limit,
            ..Self::default()
        }
    }

    /// Whether the flash section is asked for and due on this page.
    pub(crate) fn flash_section(&self) -> bool {
        self.flash_first && self.position == InboxPosition::Newest { before: None }
    }

    /// Whether unacknowledged flash messages are left out of the items.
    pub(crate) fn flash_apart(&self) -> bool {
        self.flash_first && matches!(self.position, InboxPosition::Newest { .. })
    }
}

/// A query the inbox cannot answer as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A search string is longer than [`MAX_SEARCH_CHARS`].
    #[error("at most {max} characters")]
    TooLong {
        /// The search.
        field: &'static str,
        /// The bound.
        max: usize,
    },
    /// The text search has more than [`MAX_TEXT_WORDS`] words.
    #[error("at most {max} words")]
    TooManyWords {
        /// The bound.
        max: usize,
    },
    /// A search that holds nothing to search for.
    #[error("must not be empty")]
    Empty {
        /// The search.
        field: &'static str,
    },
    /// A time window that ends where or before it starts.
    #[error("the window ends before it starts")]
    EmptyRange {
        /// The window (`received` or `created`).
        field: &'static str,
    },
}

impl QueryError {
    /// The filter field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::TooLong { field, .. } | Self::Empty { field } | Self::EmptyRange { field } => {
                field
            }
            Self::TooManyWords { .. } => "text",
        }
    }
}

/// The counts a console shows in its header: the whole inbox, whatever the filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxCounts {
    /// Messages in the inbox.
    pub total: u64,
    /// Not shown to an officer yet.
    pub unread: u64,
    /// Not acknowledged yet.
    pub unacknowledged: u64,
    /// Flash messages not acknowledged yet.
    pub flash_unacknowledged: u64,
}

/// What the inbox keeps of each message for listing and search: everything an inbox
/// line shows, and the normalised search terms.
///
/// Stored (see [`InboxSummary::encode`]) as a fixed part — id, kind, priority, marking,
/// flags, times, the message it answers — then the strings, each after its length, so
/// that a scan compares the fixed fields and searches the strings' bytes in place,
/// without decoding them; only the summaries of a page are decoded. The table is derived
/// data, rebuilt from the records when this format changes (`SUMMARY_VERSION` in the
/// store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSummary {
    /// Local arrival number.
    pub seq: u64,
    /// Message id.
    pub id: MessageId,
    /// Kind.
    pub kind: MessageKind,
    /// Priority.
    pub priority: Priority,
    /// Handling marking.
    pub tlp: Tlp,
    /// Shown to an officer.
    pub read: bool,
    /// Acknowledged by an officer.
    pub acknowledged: bool,
    /// Created by the sender, ms.
    pub created_at: u64,
    /// Stored here, ms.
    pub received_at: u64,
    /// The message it answers.
    pub in_reply_to: Option<MessageId>,
    /// Operation.
    pub operation: String,
    /// Delivered on.
    pub channel: String,
    /// Sender node.
    pub sender: String,
    /// The one-line summary shown in lists.
    pub title: String,
    /// The sender's node id, organisation and country, lower case, one a line.
    pub sender_terms: String,
    /// Container numbers named in the body, upper case, one a line.
    pub containers: String,
    /// Vessel names (lower case) and IMO numbers named in the body, one a line.
    pub vessels: String,
}

/// The stored summary's fixed part: id (16 bytes), kind, priority, marking, flags (1 byte
/// each), created and received (u64 little-endian), the message it answers (16 bytes,
/// zero when none).
const FIXED: usize = 52;
/// Its strings, in order: operation, channel, sender, title, sender terms, containers,
/// vessels; each a u32 little-endian length, then UTF-8.
const STRINGS: usize = 7;
const FLAG_READ: u8 = 1;
const FLAG_ACKNOWLEDGED: u8 = 2;
const FLAG_REPLY: u8 = 4;

fn index_of<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter()
        .position(|x| x == v)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

fn kind_index(k: MessageKind) -> u8 {
    index_of(&MessageKind::ALL, &k)
}

fn priority_index(p: Priority) -> u8 {
    index_of(&Priority::ALL, &p)
}

impl InboxSummary {
    /// Whether it is a flash message no officer has acknowledged.
    pub fn is_flash_unacknowledged(&self) -> bool {
        self.priority == Priority::Flash && !self.acknowledged
    }

    /// The stored form: the fixed part, then the strings.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let strings = self.strings();
        let mut b = Vec::with_capacity(FIXED + strings.iter().map(|s| 4 + s.len()).sum::<usize>());
        b.extend_from_slice(self.id.as_bytes());
        b.push(kind_index(self.kind));
        b.push(priority_index(self.priority));
        b.push(index_of(&Tlp::ALL, &self.tlp));
        let flags = [
            (self.read, FLAG_READ),
            (self.acknowledged, FLAG_ACKNOWLEDGED),
            (self.in_reply_to.is_some(), FLAG_REPLY),
        ];
        b.push(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .fold(0, |f, (_, bit)| f | bit),
        );
        b.extend_from_slice(&self.created_at.to_le_bytes());
        b.extend_from_slice(&self.received_at.to_le_bytes());
        b.extend_from_slice(self.in_reply_to.as_ref().map_or(&[0; 16], |r| r.as_bytes()));
        for s in strings {
            // Each string is bounded far below 4 GiB: the validated body's text fields.
            let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&s.as_bytes()[..len as usize]);
        }
        b
    }

    fn strings(&self) -> [&str; STRINGS] {
        [
            &self.operation,
            &self.channel,
            &self.sender,
            &self.title,
            &self.sender_terms,
            &self.containers,
            &self.vessels,
        ]
    }
}

/// A stored summary that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inbox summary: {0}")]
pub struct SummaryError(&'static str);

/// A stored summary, read in place: the fixed part and the strings' bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SummaryView<'a> {
    fixed: &'a [u8; FIXED],
    strings: [&'a [u8]; STRINGS],
}

impl<'a> SummaryView<'a> {
    /// Find the parts of `bytes`; nothing is decoded yet.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, SummaryError> {
        let (fixed, mut rest) = bytes
            .split_first_chunk::<FIXED>()
            .ok_or(SummaryError("shorter than its fixed part"))?;
        let mut strings = [&[][..]; STRINGS];
        for s in &mut strings {
            let (len, r) = rest
                .split_first_chunk::<4>()
                .ok_or(SummaryError("a string's length is missing"))?;
            let len = usize::try_from(u32::from_le_bytes(*len)).unwrap_or(usize::MAX);
            if r.len() < len {
                return Err(SummaryError("a string is cut short"));
            }
            let (v, r) = r.split_at(len);
            *s = v;
            rest = r;
        }
        Ok(Self { fixed, strings })
    }

    fn u64_at(&self, at: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.fixed[at..at + 8]);
        u64::from_le_bytes(b)
    }

    fn flags(&self) -> u8 {
        self.fixed[19]
    }

    fn read(&self) -> bool {
        self.flags() & FLAG_READ != 0
    }

    fn acknowledged(&self) -> bool {
        self.flags() & FLAG_ACKNOWLEDGED != 0
    }

    fn created_at(&self) -> u64 {
        self.u64_at(20)
    }

    fn received_at(&self) -> u64 {
        self.u64_at(28)
    }

    /// Whether it is a flash message no officer has acknowledged.
    pub(crate) fn is_flash_unacknowledged(&self) -> bool {
        self.fixed[17] == priority_index(Priority::Flash) && !self.acknowledged()
    }

    /// Decode it whole, as the summary of message `seq`.
    pub(crate) fn decode(&self, seq: u64) -> Result<InboxSummary, SummaryError> {
        fn pick<T: Copy>(all: &[T], i: u8, what: &'static str) -> Result<T, SummaryError> {
            all.get(usize::from(i)).copied().ok_or(SummaryError(what))
        }
        let id = |at: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&self.fixed[at..at + 16]);
            MessageId(uuid::Uuid::from_bytes(b))
        };
        let text = |i: usize| {
            std::str::from_utf8(self.strings[i])
                .map(str::to_owned)
                .map_err(|_| SummaryError("a string is not UTF-8"))
        };
        Ok(InboxSummary {
            seq,
            id: id(0),
            kind: pick(&MessageKind::ALL, self.fixed[16], "unknown kind")?,
            priority: pick(&Priority::ALL, self.fixed[17], "unknown priority")?,
            tlp: pick(&Tlp::ALL, self.fixed[18], "unknown marking")?,
            read: self.read(),
            acknowledged: self.acknowledged(),
            created_at: self.created_at(),
            received_at: self.received_at(),
            in_reply_to: (self.flags() & FLAG_REPLY != 0).then(|| id(36)),
            operation: text(0)?,
            channel: text(1)?,
            sender: text(2)?,
            title: text(3)?,
            sender_terms: text(4)?,
            containers: text(5)?,
            vessels: text(6)?,
        })
    }
}

/// The one-line summary of a message, as inbox lists show it.
pub fn title_of(m: &Message) -> String {
    match m {
        Message::Alert(a) => a.title.clone(),
        Message::Notice(n) => n.title.clone(),
        Message::Tasking(t) => t.title.clone(),
        Message::Feedback(f) => format!("feedback: {}", f.outcome),
        Message::Seizure(s) => format!(
            "seizure at {}: {}",
            s.place.as_str(),
            s.goods
                .first()
                .map(|g| g.commodity.description.as_str())
                .unwrap_or_default()
        ),
        Message::TrackingRequest(t) => format!(
            "track {}",
            t.containers
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Message::TrackingUpdate(u) => format!(
            "{} {} at {}",
            u.container.as_str(),
            u.event,
            u.place.as_str()
        ),
        Message::Receipt(r) => format!("receipt: {}", r.status),
    }
}

/// Lines of search terms; with `unique`, each added once.
#[derive(Default)]
struct Lines {
    text: String,
    unique: bool,
}

impl Lines {
    fn unique() -> Self {
        Self {
            text: String::new(),
            unique: true,
        }
    }

    fn add(&mut self, term: &str) {
        let term = term.trim();
        if term.is_empty() || (self.unique && self.text.lines().any(|l| l == term)) {
            return;
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(term);
    }

    fn add_opt(&mut self, term: Option<&str>) {
        if let Some(t) = term {
            self.add(t);
        }
    }
}

/// What a body contributes to the search.
struct Terms {
    containers: Lines,
    vessels: Lines,
    text: Lines,
}

impl Default for Terms {
    fn default() -> Self {
        Self {
            containers: Lines::unique(),
            vessels: Lines::unique(),
            text: Lines::default(),
        }
    }
}

impl Terms {
    fn conveyance(&mut self, c: Option<&Conveyance>) {
        if let Some(c) = c {
            self.vessels
                .add_opt(c.vessel_name.as_deref().map(str::to_lowercase).as_deref());
            self.vessels
                .add_opt(c.imo.as_ref().map(|i| i.as_str().to_owned()).as_deref());
            for t in [&c.voyage, &c.flight, &c.vehicle_registration] {
                self.text.add_opt(t.as_deref());
            }
        }
    }

    fn party(&mut self, p: Option<&Party>) {
        if let Some(p) = p {
            self.text.add(&p.name);
            self.text.add_opt(p.identifier.as_deref());
        }
    }

    fn of(m: &Message) -> Self {
        let mut t = Self::default();
        t.text.add(&title_of(m));
        match m {
            Message::Alert(a) => {
                t.text.add(&a.summary);
                t.text.add(a.action.as_str());
                t.text
                    .add_opt(a.commodity.as_ref().map(|c| c.description.as_str()));
                for p in [
                    &a.parties.shipper,
                    &a.parties.consignee,
                    &a.parties.notify_party,
                ] {
                    t.party(p.as_ref());
                }
                t.conveyance(a.conveyance.as_ref());
                a.containers
                    .iter()
                    .for_each(|c| t.containers.add(c.as_str()));
                t.text.add_opt(a.bill_of_lading.as_deref());
                a.route.iter().for_each(|l| t.text.add(l.as_str()));
                a.risk_indicators.iter().for_each(|r| t.text.add(r));
                t.text.add_opt(a.free_text.as_deref());
                a.attachments.iter().for_each(|f| t.text.add(&f.name));
            }
            Message::Feedback(f) => {
                t.text.add(&f.details);
                f.attachments.iter().for_each(|a| t.text.add(&a.name));
            }
            Message::Seizure(s) => {
                t.text.add_opt(s.place_detail.as_deref());
                s.goods
                    .iter()
                    .for_each(|g| t.text.add(&g.commodity.description));
                t.text.add_opt(s.concealment.as_deref());
                s.persons.iter().for_each(|p| t.party(Some(p)));
                t.conveyance(s.conveyance.as_ref());
                s.containers
                    .iter()
                    .for_each(|c| t.containers.add(c.as_str()));
                s.route.iter().for_each(|l| t.text.add(l.as_str()));
                t.text.add_opt(s.free_text.as_deref());
                s.attachments.iter().for_each(|a| t.text.add(&a.name));
            }
            Message::TrackingRequest(r) => {
                r.containers
                    .iter()
                    .for_each(|c| t.containers.add(c.as_str()));
                t.vessels.add_opt(r.vessel.as_ref().map(|v| v.as_str()));
                for x in [&r.bill_of_lading, &r.booking, &r.voyage, &r.remarks] {
                    t.text.add_opt(x.as_deref());
                }
                r.route.iter().for_each(|l| t.text.add(l.as_str()));
            }
            Message::TrackingUpdate(u) => {
                t.containers.add(u.container.as_str());
                t.vessels.add_opt(u.vessel.as_ref().map(|v| v.as_str()));
                t.text.add_opt(u.remarks.as_deref());
            }
            Message::Tasking(k) => {
                t.text.add(&k.instructions);
                k.attachments.iter().for_each(|a| t.text.add(&a.name));
            }
            Message::Notice(n) => {
                t.text.add(&n.text);
                t.text.add_opt(n.phase.map(|p| p.as_str()));
                n.attachments.iter().for_each(|a| t.text.add(&a.name));
            }
            Message::Receipt(_) => {}
        }
        t
    }
}

/// The summary of an inbox record and its search text (lower case), from its body. A
/// body that does not decode (it was validated when it arrived, so only a damaged store
/// has one) gets an empty title and no search terms.
pub fn summarize(r: &InboxRecord) -> (InboxSummary, String) {
    let message = Message::decode(r.kind, &r.body).ok();
    let terms = message.as_ref().map(Terms::of).unwrap_or_default();
    let mut sender = Lines::unique();
    sender.add(&r.sender.as_str().to_lowercase());
    sender.add(&r.sender_organisation.to_lowercase());
    sender.add_opt(
        r.sender_country
            .as_deref()
            .map(str::to_lowercase)
            .as_deref(),
    );
    let summary = InboxSummary {
        seq: r.seq,
        id: r.id,
        kind: r.kind,
        priority: r.priority,
        tlp: r.tlp,
        read: r.read_at.is_some(),
        acknowledged: r.acked_at.is_some(),
        created_at: r.created_at,
        received_at: r.received_at,
        in_reply_to: r.in_reply_to,
        operation: r.operation.as_str().to_owned(),
        channel: r.channel.as_str().to_owned(),
        sender: r.sender.as_str().to_owned(),
        title: message.as_ref().map(title_of).unwrap_or_default(),
        sender_terms: sender.text,
        containers: terms.containers.text,
        vessels: terms.vessels.text,
    };
    (summary, terms.text.text.to_lowercase())
}

/// An [`InboxFilter`] normalised for comparing with stored summaries in place: the
/// kind and priority as their stored numbers, the searches as prepared byte searches.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    operation: Option<Vec<u8>>,
    channel: Option<Vec<u8>>,
    kind: Option<u8>,
    priority: Option<u8>,
    unread: bool,
    unacknowledged: bool,
    container: Option<Finder<'static>>,
    vessel: Option<Finder<'static>>,
    sender: Option<Finder<'static>>,
    words: Vec<Finder<'static>>,
    received: TimeRange,
    created: TimeRange,
    flash_apart: bool,
    everything: bool,
}

fn bounded<'s>(field: &'static str, s: &'s Option<String>) -> Result<Option<&'s str>, QueryError> {
    match s {
        None => Ok(None),
        Some(s) if s.chars().count() > MAX_SEARCH_CHARS => Err(QueryError::TooLong {
            field,
            max: MAX_SEARCH_CHARS,
        }),
        Some(s) => Ok(Some(s)),
    }
}

/// A search for the normalised `s`, refused when nothing is left of it.
fn search(field: &'static str, s: String) -> Result<Finder<'static>, QueryError> {
    if s.is_empty() {
        Err(QueryError::Empty { field })
    } else {
        Ok(Finder::new(s.as_bytes()).into_owned())
    }
}

/// `IMO 9074729`, `imo9074729` → `9074729`; anything else lower case.
fn normalise_vessel(s: &str) -> String {
    let lower = s.trim().to_lowercase();
    let digits = lower.strip_prefix("imo").unwrap_or(&lower).trim();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.to_owned()
    } else {
        lower
    }
}

fn found(f: &Option<Finder<'static>>, haystack: &[u8]) -> bool {
    f.as_ref().is_none_or(|f| f.find(haystack).is_some())
}

impl Matcher {
    /// Normalise `f`; `flash_apart` leaves unacknowledged flash messages out.
    pub(crate) fn new(f: &InboxFilter, flash_apart: bool) -> Result<Self, QueryError> {
        f.received.check("received")?;
        f.created.check("created")?;
        let container = bounded("container", &f.container)?
            .map(|c| {
                let n: String = c
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .flat_map(char::to_uppercase)
                    .collect();
                search("container", n)
            })
            .transpose()?;
        let vessel = bounded("vessel", &f.vessel)?
            .map(|v| search("vessel", normalise_vessel(v)))
            .transpose()?;
        let sender = bounded("sender", &f.sender)?
            .map(|s| search("sender", s.trim().to_lowercase()))
            .transpose()?;
        let words = match bounded("text", &f.text)? {
            None => vec![],
            Some(t) => {
                let w: Vec<Finder<'static>> = t
                    .to_lowercase()
                    .split_whitespace()
                    .map(|w| Finder::new(w.as_bytes()).into_owned())
                    .collect();
                if w.is_empty() {
                    return Err(QueryError::Empty { field: "text" });
                }
                if w.len() > MAX_TEXT_WORDS {
                    return Err(QueryError::TooManyWords {
                        max: MAX_TEXT_WORDS,
                    });
                }
                w
            }
        };
        Ok(Self {
            operation: f.operation.as_ref().map(|o| o.as_str().as_bytes().to_vec()),
            channel: f.channel.as_ref().map(|c| c.as_str().as_bytes().to_vec()),
            kind: f.kind.map(kind_index),
            priority: f.priority.map(priority_index),
            unread: f.unread,
            unacknowledged: f.unacknowledged,
            container,
            vessel,
            sender,
            words,
            received: f.received,
            created: f.created,
            flash_apart,
            everything: *f == InboxFilter::default() && !flash_apart,
        })
    }

    /// Whether it lets every message through.
    pub(crate) fn is_everything(&self) -> bool {
        self.everything
    }

    /// Whether `s` matches everything but the text search: the fixed fields first.
    pub(crate) fn matches(&self, s: &SummaryView<'_>) -> bool {
        self.kind.is_none_or(|k| k == s.fixed[16])
            && self.priority.is_none_or(|p| p == s.fixed[17])
            && !(self.unread && s.read())
            && !(self.unacknowledged && s.acknowledged())
            && !(self.flash_apart && s.is_flash_unacknowledged())
            && self.received.contains(s.received_at())
            && self.created.contains(s.created_at())
            && self.operation.as_deref().is_none_or(|o| o == s.strings[0])
            && self.channel.as_deref().is_none_or(|c| c == s.strings[1])
            && found(&self.container, s.strings[5])
            && found(&self.vessel, s.strings[6])
            && found(&self.sender, s.strings[4])
    }

    /// Whether the text search is asked for (and so the search text must be read).
    pub(crate) fn needs_text(&self) -> bool {
        !self.words.is_empty()
    }

    /// Whether the search text `text` (lower case UTF-8) holds every word.
    pub(crate) fn matches_text(&self, text: &[u8]) -> bool {
        self.words.iter().all(|w| w.find(text).is_some())
    }

    /// The same filter for the flash section: the unacknowledged flash messages only.
    pub(crate) fn flash_only(&self) -> Self {
        Self {
            priority: Some(priority_index(Priority::Flash)),
            unacknowledged: true,
            flash_apart: false,
            everything: false,
            ..self.clone()
        }
    }
}

/// Parse a time bound for a filter: RFC 3339, or a date `YYYY-MM-DD` (UTC) meaning the
/// start of that day, or with `end` the start of the next (so that `to` a date includes
/// the whole day).
pub fn parse_time_bound(text: &str, end: bool) -> Result<u64, String> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(text, &day) {
        let date = if end {
            date.next_day().ok_or("after the last representable day")?
        } else {
            date
        };
        let secs = date.midnight().assume_utc().unix_timestamp();
        return u64::try_from(secs)
            .map(|s| s * 1000)
            .map_err(|_| "before 1970-01-01".to_owned());
    }
    text.parse::<Timestamp>()
        .map(Timestamp::as_millis)
        .map_err(|e| format!("{e}, or a date such as 2026-11-30"))
}

#[cfg(test)]
mod tests;
