//! The officers' command line: `cordon-node run` starts the daemon; every other command
//! talks to the running daemon through its local API, found through `api.addr` and
//! `api.token` in the data directory of `--config`. Human tables by default, `--json`
//! for scripts. Exit codes: see [`exit`].
//!
//! `println!` in this module and below is [`stdout::line`]: a reader that goes away
//! (`cordon-node inbox | head`) ends the command quietly instead of with a panic.

/// `println!` for the officers' commands: see [`stdout::line`].
macro_rules! println {
    () => {
        $crate::cli::stdout::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::stdout::line(format_args!($($arg)*))
    };
}

mod attach;
mod flag_check;
mod outgoing;
pub mod stdout;

pub use self::flag_check::{check_flags, flag_for};

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cordon_common::ids::MessageId;
use cordon_common::msg::{Limits, MessageKind, Timestamp};
use serde_json::{Map, Value};

use crate::api::ApiError;
use crate::api_client::{encode_query_value, ApiClient, CallError};
use crate::config::NodeConfig;
use crate::receipts::ReceiptReport;
use crate::service::{
    self, AckView, ChannelsView, InboxItem, InboxPage, RefusalView, SendAccepted, SendRequest,
    SentItem, ServiceError, Shown, StatusView,
};

/// Exit codes of `cordon-node`.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Internal error: the daemon failed, or an unexpected answer.
    pub const INTERNAL: u8 = 1;
    /// Usage or validation error: bad arguments, a field that breaks a rule, a bad
    /// configuration file; nothing was sent.
    pub const USAGE: u8 = 2;
    /// The daemon is not running or cannot be reached.
    pub const UNREACHABLE: u8 = 3;
    /// The hub refused the message (`send --wait`): denied by policy or invalid.
    pub const REFUSED: u8 = 4;
    /// No such message.
    pub const NOT_FOUND: u8 = 5;
    /// The API refused the token.
    pub const UNAUTHORIZED: u8 = 6;
    /// The configuration file cannot be read or is wrong (`EX_CONFIG` of sysexits.h;
    /// `cordon-hub` uses the same).
    pub const CONFIG: u8 = 78;
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people.
    Human,
    /// One JSON object a line.
    Json,
}

/// `cordon-node`: the Cordon node daemon and the officers' commands.
#[derive(Debug, Parser)]
#[command(name = "cordon-node", version, about, long_about = None)]
pub struct Cli {
    /// Log format (logs go to standard error; level from RUST_LOG, default info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The node configuration and the output format, common to the officers' commands.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The node's configuration file (its data directory holds api.addr and api.token).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `inbox`: filters, searches and the page. Every filter given must hold.
#[derive(Debug, Clone, Default, Args)]
pub struct InboxArgs {
    /// Only this operation.
    #[arg(long)]
    pub operation: Option<String>,
    /// Only messages delivered on this channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Only this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only this priority: flash, urgent or routine.
    #[arg(long)]
    pub priority: Option<String>,
    /// Only messages not shown yet.
    #[arg(long)]
    pub unread: bool,
    /// Only messages not acknowledged yet.
    #[arg(long)]
    pub unacknowledged: bool,
    /// A container number, or part of one.
    #[arg(long)]
    pub container: Option<String>,
    /// A vessel name or IMO number, or part of one.
    #[arg(long)]
    pub vessel: Option<String>,
    /// Part of the sender's node id, organisation or country.
    #[arg(long)]
    pub sender: Option<String>,
    /// Words that must all appear in the title or the text (case ignored).
    #[arg(long)]
    pub text: Option<String>,
    /// Received at or after this time (RFC 3339, or a date: from its start).
    #[arg(long, value_name = "TIME")]
    pub received_from: Option<String>,
    /// Received before this time (RFC 3339, or a date: to its end).
    #[arg(long, value_name = "TIME")]
    pub received_to: Option<String>,
    /// Created by the sender at or after this time (RFC 3339, or a date).
    #[arg(long, value_name = "TIME")]
    pub created_from: Option<String>,
    /// Created by the sender before this time (RFC 3339, or a date: to its end).
    #[arg(long, value_name = "TIME")]
    pub created_to: Option<String>,
    /// List the unacknowledged flash messages first, apart.
    #[arg(long)]
    pub flash_first: bool,
    /// The next page: messages older than this local sequence (the last line says it).
    #[arg(long, value_name = "SEQ", conflicts_with_all = ["after", "follow"])]
    pub before: Option<u64>,
    /// Oldest first: only messages after this local sequence.
    #[arg(long, value_name = "SEQ")]
    pub after: Option<u64>,
    /// Keep printing new messages as they arrive (from --after, default 0: everything).
    #[arg(long)]
    pub follow: bool,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
}

impl InboxArgs {
    /// The `GET /v1/inbox` path for these arguments; `count` asks how many more match,
    /// `wait` (seconds) long-polls.
    fn path(&self, after: Option<u64>, count: bool, wait: u64) -> String {
        let mut q = vec![format!("limit={}", self.limit)];
        let mut put = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                q.push(format!("{name}={}", encode_query_value(v)));
            }
        };
        put("operation", &self.operation);
        put("channel", &self.channel);
        put("kind", &self.kind);
        put("priority", &self.priority);
        put("container", &self.container);
        put("vessel", &self.vessel);
        put("sender", &self.sender);
        put("text", &self.text);
        put("received_from", &self.received_from);
        put("received_to", &self.received_to);
        put("created_from", &self.created_from);
        put("created_to", &self.created_to);
        for (name, on) in [
            ("unread", self.unread),
            ("unacknowledged", self.unacknowledged),
            ("flash_first", self.flash_first && after.is_none()),
            ("count", count),
        ] {
            if on {
                q.push(format!("{name}=true"));
            }
        }
        match (self.before, after) {
            (_, Some(a)) => q.push(format!("after={a}")),
            (Some(b), None) => q.push(format!("before={b}")),
            (None, None) => {}
        }
        if wait > 0 {
            q.push(format!("wait={wait}"));
        }
        format!("/v1/inbox?{}", q.join("&"))
    }
}

/// `n` with thousands separated by commas: 2,345.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The line after a page: how many more match and how to list them, if any do.
fn more_line(page: &InboxPage) -> Option<String> {
    if !page.more {
        return None;
    }
    let how_many = match page.remaining {
        Some(n) => format!("{} more", thousands(n)),
        None => "more".to_owned(),
    };
    Some(match (page.order, page.next_before) {
        (service::InboxOrder::NewestFirst, Some(b)) => format!("… {how_many}: --before {b}"),
        _ => format!("… {how_many}: --after {}", page.next_after),
    })
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The officers who may use this node's web console.
    Officer {
        /// What to do.
        #[command(subcommand)]
        action: crate::officer_cli::OfficerCommand,
    },
    /// Run the daemon until SIGTERM or SIGINT.
    Run {
        /// The node's configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Send a message (validated here first, then queued by the daemon).
    Send {
        /// The kind of message.
        #[command(subcommand)]
        kind: Box<SendKind>,
    },
    /// List received messages: the newest first, and how many more there are.
    Inbox {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// What to list.
        #[command(flatten)]
        args: Box<InboxArgs>,
    },
    /// Show a message in full (marks a received message read and sends a read receipt).
    Show {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// The message id (or its first digits).
        id: String,
    },
    /// Acknowledge a received message (sends an acknowledged receipt).
    Ack {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// The message id (or its first digits).
        id: String,
    },
    /// Who has received, read and acknowledged a message you sent, and who has not.
    Receipts {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// The message id (or its first digits).
        id: String,
    },
    /// The node: hub, connection, outbox depth, last sync.
    Status {
        /// Common options.
        #[command(flatten)]
        common: Common,
    },
    /// What this node may read and publish.
    Channels {
        /// Common options.
        #[command(flatten)]
        common: Common,
    },
    /// Messages you sent and where they stand.
    Sent {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Save an attachment of a message to a file.
    Attachment {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// The message id (or its first digits).
        id: String,
        /// The attachment's name, or its number as `show` lists it.
        name: String,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Withdraw a message you sent while the hub has not stored it.
    Cancel {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// The message id (or its first digits).
        id: String,
    },
    /// Send a stored channel message again, sealed only to the channel's readers it was
    /// not sealed to (nodes that joined later).
    Resend {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// The message id (or its first digits).
        id: String,
        /// Only to readers it was not sealed to (required: the one kind of resend).
        #[arg(long)]
        to_new_readers: bool,
    },
    /// Envelopes this node refused (forged, expired, revoked signer, ...), with why.
    Refusals {
        /// Common options.
        #[command(flatten)]
        common: Common,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

/// Header options of every `send`.
#[derive(Debug, Clone, Args)]
pub struct HeaderArgs {
    /// Common options.
    #[command(flatten)]
    pub common: Common,
    /// Destination: one operation channel (op/cosmo-2/alerts) or direct channels
    /// (node/HU-NCP), repeatable.
    #[arg(long)]
    pub to: Vec<String>,
    /// Operation (needed with direct channels).
    #[arg(long)]
    pub operation: Option<String>,
    /// flash, urgent or routine (default).
    #[arg(long)]
    pub priority: Option<String>,
    /// TLP 2.0: RED, AMBER+STRICT, AMBER (default), GREEN, CLEAR.
    #[arg(long)]
    pub tlp: Option<String>,
    /// Expiry, RFC 3339 or a day (2026-12-31: the end of that day, UTC).
    #[arg(long)]
    pub expires_at: Option<String>,
    /// Expiry in hours from now.
    #[arg(long)]
    pub expires_in_hours: Option<u64>,
    /// Reply to this received message (to its sender, in its operation).
    #[arg(long, value_name = "ID")]
    pub reply_to: Option<String>,
    /// Set the header's in_reply_to.
    #[arg(long, value_name = "ID")]
    pub in_reply_to: Option<String>,
    /// The message from a JSON or TOML file: its body's fields, or a whole message as the
    /// API takes it (`to`, `priority`, … beside `body`). Flags override the file.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Wait up to this many seconds for the hub's verdict; exit 4 if refused.
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
    /// Attach a file (repeatable; alert, feedback, seizure, notice); its media type
    /// from its extension.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
}

/// Source and information grading flags.
#[derive(Debug, Clone, Args)]
pub struct GradingArgs {
    /// Source reliability, A-F.
    #[arg(long)]
    pub source_grade: Option<String>,
    /// Information credibility, 1-6.
    #[arg(long)]
    pub info_grade: Option<i64>,
}

/// The kinds an officer sends.
#[derive(Debug, Subcommand)]
pub enum SendKind {
    /// A risk alert.
    Alert {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// Short title.
        #[arg(long)]
        title: Option<String>,
        /// What is suspected and why.
        #[arg(long)]
        summary: Option<String>,
        /// monitor, inspect, hold, controlled-delivery, report-back, information-only.
        #[arg(long)]
        action: Option<String>,
        /// Container number (ISO 6346), repeatable.
        #[arg(long)]
        container: Vec<String>,
        /// UN/LOCODE on the route, repeatable, in order.
        #[arg(long)]
        route: Vec<String>,
        /// Goods description.
        #[arg(long)]
        commodity: Option<String>,
        /// HS code of the goods.
        #[arg(long)]
        hs_code: Option<String>,
        /// Bill of lading.
        #[arg(long)]
        bill_of_lading: Option<String>,
        /// Risk indicator, repeatable.
        #[arg(long)]
        risk: Vec<String>,
        /// Free text.
        #[arg(long)]
        free_text: Option<String>,
        /// Grading.
        #[command(flatten)]
        grading: GradingArgs,
    },
    /// What was done about an alert.
    Feedback {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// The alert (defaults to --reply-to).
        #[arg(long)]
        alert_id: Option<String>,
        /// inspected, nothing-found, seized, not-arrived, released, monitored, not-actioned.
        #[arg(long)]
        outcome: Option<String>,
        /// What was done and found.
        #[arg(long)]
        details: Option<String>,
        /// The seizure report, if any.
        #[arg(long)]
        seizure_id: Option<String>,
    },
    /// A seizure report (goods are easiest in --file).
    Seizure {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// The alert that led to it.
        #[arg(long)]
        alert_id: Option<String>,
        /// When, RFC 3339 or a day (2026-12-31: its start, UTC).
        #[arg(long)]
        seized_at: Option<String>,
        /// Where, UN/LOCODE.
        #[arg(long)]
        place: Option<String>,
        /// Goods description (one kind of goods; more in --file).
        #[arg(long)]
        goods: Option<String>,
        /// HS code of the goods.
        #[arg(long)]
        hs_code: Option<String>,
        /// Quantity of the goods.
        #[arg(long)]
        quantity: Option<f64>,
        /// Unit of the quantity (kg, pieces, ...).
        #[arg(long)]
        unit: Option<String>,
        /// How the goods were concealed.
        #[arg(long)]
        concealment: Option<String>,
        /// Container number, repeatable.
        #[arg(long)]
        container: Vec<String>,
        /// Grading.
        #[command(flatten)]
        grading: GradingArgs,
    },
    /// Ask to track containers.
    TrackingRequest {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// Container number (ISO 6346), repeatable.
        #[arg(long)]
        container: Vec<String>,
        /// Until when to report, RFC 3339 or a day (2026-12-31: the end of that day,
        /// UTC).
        #[arg(long)]
        until: Option<String>,
        /// Vessel IMO number.
        #[arg(long)]
        vessel: Option<String>,
        /// Voyage.
        #[arg(long)]
        voyage: Option<String>,
        /// Bill of lading.
        #[arg(long)]
        bill_of_lading: Option<String>,
        /// UN/LOCODE on the route, repeatable.
        #[arg(long)]
        route: Vec<String>,
        /// Event to report, repeatable (default all).
        #[arg(long)]
        report: Vec<String>,
        /// Remarks.
        #[arg(long)]
        remarks: Option<String>,
    },
    /// Report a container movement.
    TrackingUpdate {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// The tracking request (defaults to --reply-to).
        #[arg(long)]
        request_id: Option<String>,
        /// Container number.
        #[arg(long)]
        container: Option<String>,
        /// gate-in, loaded, departed, transhipped, arrived, discharged, gate-out,
        /// inspected, seized, released, not-found.
        #[arg(long)]
        event: Option<String>,
        /// Where, UN/LOCODE.
        #[arg(long)]
        place: Option<String>,
        /// When, RFC 3339 or a day (its start, UTC); default now.
        #[arg(long)]
        at: Option<String>,
        /// Vessel IMO number.
        #[arg(long)]
        vessel: Option<String>,
        /// Remarks.
        #[arg(long)]
        remarks: Option<String>,
    },
    /// Instructions to named nodes.
    Tasking {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// Short title.
        #[arg(long)]
        title: Option<String>,
        /// What to do.
        #[arg(long)]
        instructions: Option<String>,
        /// Due by, RFC 3339 or a day (2026-12-31: the end of that day, UTC).
        #[arg(long)]
        due_by: Option<String>,
        /// Recipients must acknowledge.
        #[arg(long)]
        ack_required: bool,
    },
    /// An operation-wide notice (OCU only).
    Notice {
        /// Header options.
        #[command(flatten)]
        header: HeaderArgs,
        /// Short title.
        #[arg(long)]
        title: Option<String>,
        /// The notice.
        #[arg(long)]
        text: Option<String>,
        /// planning, interdiction, follow-up, reporting.
        #[arg(long)]
        phase: Option<String>,
    },
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// What to print.
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        let code = match &e {
            CallError::Unreachable(_) => exit::UNREACHABLE,
            CallError::Api { status, .. } => match status {
                401 => exit::UNAUTHORIZED,
                404 => exit::NOT_FOUND,
                400..=499 => exit::USAGE,
                _ => exit::INTERNAL,
            },
            CallError::Protocol(_) => exit::INTERNAL,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Self::usage(e.to_string())
    }
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), v);
    }
}

fn s(v: &Option<String>) -> Option<Value> {
    v.as_ref().map(|x| Value::String(x.clone()))
}

fn list(v: &[String]) -> Option<Value> {
    (!v.is_empty()).then(|| Value::Array(v.iter().map(|x| Value::String(x.clone())).collect()))
}

fn grading(m: &mut Map<String, Value>, g: &GradingArgs) {
    if g.source_grade.is_none() && g.info_grade.is_none() {
        return;
    }
    let entry = m
        .entry("grading".to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(o) = entry {
        put(o, "source", s(&g.source_grade));
        put(o, "information", g.info_grade.map(Value::from));
    }
}

/// Convert TOML to JSON (date-times become RFC 3339 strings).
pub fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Read a body file: JSON if it ends in `.json` or starts with `{`, else TOML.
pub fn read_body_file(path: &Path) -> Result<Map<String, Value>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("--file {}: {e}", path.display())))?;
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    let value = if is_json {
        serde_json::from_str::<Value>(&text)
            .map_err(|e| Failure::usage(format!("--file {}: not JSON: {e}", path.display())))?
    } else {
        toml_to_json(
            toml::from_str::<toml::Value>(&text)
                .map_err(|e| Failure::usage(format!("--file {}: not TOML: {e}", path.display())))?,
        )
    };
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(Failure::usage(format!(
            "--file {}: must hold the message's fields (an object/table)",
            path.display()
        ))),
    }
}

/// Build the send request from the flags (and `--file`), without talking to anyone.
pub fn send_request(kind: &SendKind) -> Result<(SendRequest, &HeaderArgs), Failure> {
    let (name, header) = match kind {
        SendKind::Alert { header, .. } => ("alert", header),
        SendKind::Feedback { header, .. } => ("feedback", header),
        SendKind::Seizure { header, .. } => ("seizure", header),
        SendKind::TrackingRequest { header, .. } => ("tracking-request", header),
        SendKind::TrackingUpdate { header, .. } => ("tracking-update", header),
        SendKind::Tasking { header, .. } => ("tasking", header),
        SendKind::Notice { header, .. } => ("notice", header),
    };
    let file = match &header.file {
        Some(p) => read_body_file(p)?,
        None => Map::new(),
    };
    // A file with `body` is a whole message; without, it is the body alone.
    let (mut request, mut m) = match file.get("body") {
        Some(Value::Object(body)) => {
            let body = body.clone();
            let mut request = file;
            request.remove("body");
            (request, body)
        }
        Some(_) => return Err(file_error(header, "body", "must be an object (table)")),
        None => (Map::new(), file),
    };
    match request.insert("kind".into(), Value::from(name)) {
        Some(Value::String(k)) if k != name => {
            return Err(file_error(
                header,
                "kind",
                &format!("is {k:?}, but this command sends {name:?}"),
            ))
        }
        _ => {}
    }
    match kind {
        SendKind::Alert {
            title,
            summary,
            action,
            container,
            route,
            commodity,
            hs_code,
            bill_of_lading,
            risk,
            free_text,
            grading: g,
            ..
        } => {
            put(&mut m, "title", s(title));
            put(&mut m, "summary", s(summary));
            put(&mut m, "action", s(action));
            put(&mut m, "containers", list(container));
            put(&mut m, "route", list(route));
            put(&mut m, "bill_of_lading", s(bill_of_lading));
            put(&mut m, "risk_indicators", list(risk));
            put(&mut m, "free_text", s(free_text));
            if commodity.is_some() || hs_code.is_some() {
                let mut c = Map::new();
                put(&mut c, "description", s(commodity));
                put(&mut c, "hs_code", s(hs_code));
                m.insert("commodity".into(), Value::Object(c));
            }
            grading(&mut m, g);
        }
        SendKind::Feedback {
            alert_id,
            outcome,
            details,
            seizure_id,
            ..
        } => {
            put(&mut m, "alert_id", s(alert_id));
            put(&mut m, "outcome", s(outcome));
            put(&mut m, "details", s(details));
            put(&mut m, "seizure_id", s(seizure_id));
        }
        SendKind::Seizure {
            alert_id,
            seized_at,
            place,
            goods,
            hs_code,
            quantity,
            unit,
            concealment,
            container,
            grading: g,
            ..
        } => {
            put(&mut m, "alert_id", s(alert_id));
            put(&mut m, "seized_at", s(seized_at));
            put(&mut m, "place", s(place));
            put(&mut m, "concealment", s(concealment));
            put(&mut m, "containers", list(container));
            if goods.is_some() || quantity.is_some() || unit.is_some() || hs_code.is_some() {
                let mut c = Map::new();
                put(&mut c, "description", s(goods));
                put(&mut c, "hs_code", s(hs_code));
                let mut g1 = Map::new();
                g1.insert("commodity".into(), Value::Object(c));
                put(&mut g1, "quantity", quantity.map(Value::from));
                put(&mut g1, "unit", s(unit));
                m.insert("goods".into(), Value::Array(vec![Value::Object(g1)]));
            }
            grading(&mut m, g);
        }
        SendKind::TrackingRequest {
            container,
            until,
            vessel,
            voyage,
            bill_of_lading,
            route,
            report,
            remarks,
            ..
        } => {
            put(&mut m, "containers", list(container));
            put(&mut m, "until", s(until));
            put(&mut m, "vessel", s(vessel));
            put(&mut m, "voyage", s(voyage));
            put(&mut m, "bill_of_lading", s(bill_of_lading));
            put(&mut m, "route", list(route));
            put(&mut m, "report", list(report));
            put(&mut m, "remarks", s(remarks));
        }
        SendKind::TrackingUpdate {
            request_id,
            container,
            event,
            place,
            at,
            vessel,
            remarks,
            ..
        } => {
            put(&mut m, "request_id", s(request_id));
            put(&mut m, "container", s(container));
            put(&mut m, "event", s(event));
            put(&mut m, "place", s(place));
            put(&mut m, "at", s(at));
            put(&mut m, "vessel", s(vessel));
            put(&mut m, "remarks", s(remarks));
            m.entry("at".to_owned())
                .or_insert_with(|| Value::String(Timestamp::now().to_string()));
        }
        SendKind::Tasking {
            title,
            instructions,
            due_by,
            ack_required,
            ..
        } => {
            put(&mut m, "title", s(title));
            put(&mut m, "instructions", s(instructions));
            put(&mut m, "due_by", s(due_by));
            if *ack_required {
                m.insert("ack_required".into(), Value::Bool(true));
            }
        }
        SendKind::Notice {
            title, text, phase, ..
        } => {
            put(&mut m, "title", s(title));
            put(&mut m, "text", s(text));
            put(&mut m, "phase", s(phase));
        }
    }
    let kind_name: MessageKind = name
        .parse()
        .map_err(|e: cordon_common::msg::ParseEnumError| Failure::usage(e.to_string()))?;
    let attached = attach::read_attachments(kind_name, &header.attach, &Limits::default())
        .map_err(|errors| Failure::usage(errors.join("\n")))?;
    if !attached.is_empty() {
        let values = attached
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<Value>, _>>()
            .map_err(|e| Failure::usage(format!("--attach: {e}")))?;
        match m
            .entry("attachments".to_owned())
            .or_insert_with(|| Value::Array(vec![]))
        {
            Value::Array(list) => list.extend(values),
            _ => return Err(file_error(header, "body.attachments", "must be a list")),
        }
    }
    request.insert("body".into(), Value::Object(m));
    let mut req: SendRequest = service::decode_json("", Value::Object(request))
        .map_err(|e| file_error(header, "", &e.to_string()))?;
    if !header.to.is_empty() {
        req.to.clone_from(&header.to);
    }
    let flag = |f: &Option<String>, from_file: &mut Option<String>| {
        if f.is_some() {
            from_file.clone_from(f);
        }
    };
    flag(&header.operation, &mut req.operation);
    flag(&header.priority, &mut req.priority);
    flag(&header.tlp, &mut req.tlp);
    flag(&header.expires_at, &mut req.expires_at);
    flag(&header.in_reply_to, &mut req.in_reply_to);
    flag(&header.reply_to, &mut req.reply_to);
    if header.expires_in_hours.is_some() {
        req.expires_in_hours = header.expires_in_hours;
    }
    Ok((req, header))
}

/// A `--file` whose content is not a message: says which file and which field.
fn file_error(header: &HeaderArgs, field: &str, why: &str) -> Failure {
    let file = header
        .file
        .as_ref()
        .map_or_else(String::new, |p| format!("--file {}: ", p.display()));
    let field = if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    };
    Failure::usage(format!("{file}{field}{why}"))
}

/// Check a send request as the daemon will (addressing of replies excepted).
pub fn validate_locally(req: &SendRequest) -> Result<(), Failure> {
    let now = Timestamp::now().as_millis();
    service::prepare(req, None, now, 24 * 3_600_000, &Limits::default())
        .map(|_| ())
        .map_err(|e| Failure::usage(format!("invalid message: {e}")))
}

/// Check the flags of `kind` and then the request they make, every problem at once,
/// each named by its flag where one sets the field.
fn check_send(kind: &SendKind, req: &SendRequest) -> Result<(), Failure> {
    let flagged = check_flags(kind);
    if !flagged.is_empty() {
        return Err(Failure::usage(invalid_lines(&flagged)));
    }
    let now = Timestamp::now().as_millis();
    match service::prepare(req, None, now, 24 * 3_600_000, &Limits::default()) {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::usage(invalid_lines(&by_flag(kind, &e)))),
    }
}

/// `invalid message:` and one line per problem.
fn invalid_lines(lines: &[String]) -> String {
    match lines {
        [one] => format!("invalid message: {one}"),
        many => format!("invalid message:\n  {}", many.join("\n  ")),
    }
}

/// The daemon's field errors, each named by the flag that sets its field if any.
fn by_flag(kind: &SendKind, e: &ServiceError) -> Vec<String> {
    let send = <Cli as clap::CommandFactory>::command();
    let flags: Vec<String> = send
        .find_subcommand("send")
        .and_then(|c| c.find_subcommand(kind_name(kind)))
        .map(|c| {
            c.get_arguments()
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect()
        })
        .unwrap_or_default();
    let fields: Vec<(String, String)> = match e {
        ServiceError::Invalid { field, message } => vec![(field.clone(), message.clone())],
        ServiceError::InvalidFields(all) => all
            .iter()
            .map(|f| (f.field.clone(), f.message.clone()))
            .collect(),
        other => return vec![other.to_string()],
    };
    fields
        .into_iter()
        .map(|(field, message)| {
            let message = if message.starts_with("missing field") {
                "required".to_owned()
            } else {
                message
            };
            match flag_for(&field, &flags) {
                Some(flag) if field.contains('[') => format!("{flag}: {message} ({field})"),
                Some(flag) => format!("{flag}: {message}"),
                None => format!("{field}: {message}"),
            }
        })
        .collect()
}

/// The subcommand name of `kind`.
fn kind_name(kind: &SendKind) -> &'static str {
    match kind {
        SendKind::Alert { .. } => "alert",
        SendKind::Feedback { .. } => "feedback",
        SendKind::Seizure { .. } => "seizure",
        SendKind::TrackingRequest { .. } => "tracking-request",
        SendKind::TrackingUpdate { .. } => "tracking-update",
        SendKind::Tasking { .. } => "tasking",
        SendKind::Notice { .. } => "notice",
    }
}

fn client(common: &Common) -> Result<ApiClient, Failure> {
    let cfg = NodeConfig::load(&common.config).map_err(|e| Failure {
        code: exit::CONFIG,
        message: e.to_string(),
    })?;
    Ok(ApiClient::from_data_dir(&cfg.data_dir)?)
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Failure {
        code: exit::INTERNAL,
        message: e.to_string(),
    })?;
    println!("{text}");
    Ok(())
}

/// A message id as typed: the whole id, or its first hex digits (the daemon finds the
/// one message they name).
fn parse_id(s: &str) -> Result<String, Failure> {
    if let Ok(id) = s.trim().parse::<MessageId>() {
        return Ok(id.to_string());
    }
    service::prefix_digits(s)
        .map(|_| s.trim().to_owned())
        .map_err(|e| Failure::usage(e.to_string()))
}

fn or_dash<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

/// Print rows as a table with padded columns.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
    }
}

fn inbox_row(i: &InboxItem) -> Vec<String> {
    let mark = if i.acknowledged {
        "acked"
    } else if i.read {
        "read"
    } else {
        "NEW"
    };
    vec![
        i.seq.to_string(),
        i.id.to_string(),
        i.received_at.to_string(),
        i.priority.to_string(),
        i.kind.to_string(),
        i.sender.to_string(),
        i.channel.to_string(),
        mark.to_owned(),
        i.title.clone(),
    ]
}

const INBOX_HEADER: [&str; 9] = [
    "SEQ", "ID", "RECEIVED", "PRIORITY", "KIND", "FROM", "CHANNEL", "STATE", "TITLE",
];

fn print_receipts(r: &ReceiptReport) {
    println!(
        "message {} ({}, to {}): {}",
        r.id,
        r.kind,
        r.to.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        r.state
    );
    let rows: Vec<Vec<String>> = r
        .recipients
        .iter()
        .map(|p| {
            vec![
                p.node.to_string(),
                or_dash(&p.delivered_at),
                or_dash(&p.read_at),
                or_dash(&p.acknowledged_at),
            ]
        })
        .collect();
    table(&["NODE", "DELIVERED", "READ", "ACKNOWLEDGED"], &rows);
    let names = |v: &[cordon_common::ids::NodeId]| {
        if v.is_empty() {
            "nobody".to_owned()
        } else {
            v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
        }
    };
    println!("not delivered:    {}", names(&r.not_delivered));
    println!("not read:         {}", names(&r.not_read));
    println!("not acknowledged: {}", names(&r.not_acknowledged));
    for (n, why) in &r.not_sealed_to {
        println!("not sealed to {n}: {why}");
    }
    if !r.not_sealed_to.is_empty() {
        println!(
            "(once they have joined: cordon-node resend {} --to-new-readers)",
            r.id
        );
    }
}

fn print_attachments(id: &MessageId, list: &[cordon_common::msg::AttachmentInfo]) {
    if list.is_empty() {
        return;
    }
    println!("attachments:");
    let rows: Vec<Vec<String>> = list
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![
                format!("  {}", i + 1),
                a.name.clone(),
                a.media_type.clone(),
                format!("{} bytes", a.size),
            ]
        })
        .collect();
    table(&["  #", "NAME", "TYPE", "SIZE"], &rows);
    println!("  (save one: cordon-node attachment {id} NAME --out FILE)");
}

fn print_shown(s: &Shown) {
    match s {
        Shown::Received(v) => {
            println!("id:           {}", v.item.id);
            println!("kind:         {}", v.item.kind);
            println!(
                "from:         {} ({}, {}, {})",
                v.signer.node_id,
                v.signer.organisation,
                v.signer.role,
                v.signer.country.as_deref().unwrap_or("no country")
            );
            println!("fingerprint:  {}", v.signer.fingerprint);
            println!("verification: {}", v.verification);
            println!("channel:      {}", v.item.channel);
            println!(
                "to:           {}",
                v.to.iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("operation:    {}", v.item.operation);
            println!("priority:     {}   TLP:{}", v.item.priority, v.item.tlp);
            println!(
                "created:      {}   expires: {}",
                v.item.created_at, v.expires_at
            );
            println!("received:     {}", v.item.received_at);
            println!("in reply to:  {}", or_dash(&v.item.in_reply_to));
            println!("read:         {}", or_dash(&v.read_at));
            println!(
                "acknowledged: {}{}",
                or_dash(&v.acknowledged_at),
                if v.ack_required && v.acknowledged_at.is_none() {
                    "   (acknowledgement required: cordon-node ack ID)"
                } else {
                    ""
                }
            );
            println!(
                "receipts sent: delivered{}{}",
                if v.read_at.is_some() { ", read" } else { "" },
                if v.acknowledged_at.is_some() {
                    ", acknowledged"
                } else {
                    ""
                }
            );
            println!("body:");
            println!(
                "{}",
                serde_json::to_string_pretty(&v.body).unwrap_or_default()
            );
            print_attachments(&v.item.id, &v.attachments);
        }
        Shown::Sent(v) => {
            println!("id:          {}  (sent by this node)", v.id);
            println!("kind:        {}", v.kind);
            println!(
                "to:          {}",
                v.to.iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("operation:   {}", v.operation);
            println!("priority:    {}   TLP:{}", v.priority, v.tlp);
            println!("created:     {}   expires: {}", v.created_at, v.expires_at);
            println!(
                "state:       {}{}",
                v.state,
                v.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
            if let Some(o) = &v.resend_of {
                println!("resend of:   {o} (sealed only to readers it was not sealed to)");
            }
            if let Some(r) = &v.resent_as {
                println!("resent as:   {r}");
            }
            println!("body:");
            println!(
                "{}",
                serde_json::to_string_pretty(&v.body).unwrap_or_default()
            );
            print_attachments(&v.id, &v.attachments);
            print_receipts(&v.receipts);
        }
    }
}

async fn send(kind: &SendKind) -> Result<u8, Failure> {
    let (req, header) = send_request(kind)?;
    check_send(kind, &req)?;
    let c = client(&header.common)?;
    let accepted: SendAccepted = match c.post("/v1/messages", &req).await {
        Ok(a) => a,
        Err(CallError::Api { status: 400, error }) => {
            let e = if error.errors.is_empty() {
                ServiceError::invalid(error.field.unwrap_or_default(), error.message)
            } else {
                ServiceError::InvalidFields(error.errors)
            };
            return Err(Failure::usage(invalid_lines(&by_flag(kind, &e))));
        }
        Err(e) => return Err(e.into()),
    };
    if !header.common.json {
        println!(
            "queued {} {} ({})",
            accepted.kind, accepted.id, accepted.state
        );
        for n in &accepted.notes {
            println!("  {n}");
        }
    }
    let Some(wait) = header.wait else {
        if header.common.json {
            print_json(&accepted)?;
        }
        return Ok(exit::OK);
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        let shown: Shown = c.get(&format!("/v1/messages/{}", accepted.id)).await?;
        if let Shown::Sent(v) = &shown {
            if v.state == "stored" || v.state == "failed" || tokio::time::Instant::now() >= deadline
            {
                if header.common.json {
                    print_json(&shown)?;
                } else {
                    println!(
                        "{} {} {}{}",
                        v.kind,
                        v.id,
                        v.state,
                        v.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    );
                }
                return Ok(match v.state.as_str() {
                    "stored" => exit::OK,
                    "failed" => exit::REFUSED,
                    _ => exit::UNREACHABLE,
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn inbox(common: &Common, a: &InboxArgs) -> Result<u8, Failure> {
    if let Some(c) = &a.channel {
        c.parse::<cordon_common::ids::ChannelName>()
            .map_err(|e| Failure::usage(format!("--channel: {e}")))?;
    }
    if let Some(k) = &a.kind {
        k.parse::<cordon_common::msg::MessageKind>()
            .map_err(|e| Failure::usage(format!("--kind: {e}")))?;
    }
    if let Some(p) = &a.priority {
        p.parse::<cordon_common::msg::Priority>()
            .map_err(|e| Failure::usage(format!("--priority: {e}")))?;
    }
    let c = client(common)?;
    if !a.follow {
        let page: InboxPage = c.get(&a.path(a.after, true, 0)).await?;
        if common.json {
            print_json(&page)?;
            return Ok(exit::OK);
        }
        if !page.flash.is_empty() {
            println!("FLASH, not acknowledged:");
            let rows: Vec<_> = page.flash.iter().map(inbox_row).collect();
            table(&INBOX_HEADER, &rows);
            if page.flash_more {
                println!("… more flash messages: --priority flash --unacknowledged");
            }
            println!();
        }
        let rows: Vec<_> = page.items.iter().map(inbox_row).collect();
        table(&INBOX_HEADER, &rows);
        if let Some(line) = more_line(&page) {
            println!("{line}");
        }
        return Ok(exit::OK);
    }
    if !common.json {
        table(&INBOX_HEADER, &[]);
    }
    let mut after = a.after.unwrap_or(0);
    loop {
        let page: InboxPage = c
            .call(
                hyper::Method::GET,
                &a.path(Some(after), false, 30),
                None,
                Duration::from_secs(35),
            )
            .await?;
        for i in &page.items {
            if common.json {
                println!("{}", serde_json::to_string(i).unwrap_or_default());
            } else {
                println!("{}", inbox_row(i).join("  "));
            }
        }
        after = page.next_after;
    }
}

/// Run an officer's command (everything but `run`); the exit code.
pub async fn execute(command: &Command) -> u8 {
    let result = match command {
        Command::Run { .. } => Err(Failure::usage("`run` is handled by main")),
        Command::Officer { action } => crate::officer_cli::run(action).map(|()| exit::OK),
        Command::Send { kind } => send(kind).await,
        Command::Inbox { common, args } => inbox(common, args).await,
        Command::Show { common, id } => {
            async {
                let id = parse_id(id)?;
                let v: Shown = client(common)?.get(&format!("/v1/messages/{id}")).await?;
                if common.json {
                    print_json(&v)?;
                } else {
                    print_shown(&v);
                }
                Ok(exit::OK)
            }
            .await
        }
        Command::Ack { common, id } => {
            async {
                let id = parse_id(id)?;
                let v: AckView = client(common)?
                    .post(&format!("/v1/messages/{id}/ack"), &serde_json::json!({}))
                    .await?;
                if common.json {
                    print_json(&v)?;
                } else if v.already {
                    println!("{} was already acknowledged at {}", v.id, v.acknowledged_at);
                } else {
                    println!("acknowledged {} at {}", v.id, v.acknowledged_at);
                }
                Ok(exit::OK)
            }
            .await
        }
        Command::Receipts { common, id } => {
            async {
                let id = parse_id(id)?;
                let v: ReceiptReport = client(common)?
                    .get(&format!("/v1/messages/{id}/receipts"))
                    .await?;
                if common.json {
                    print_json(&v)?;
                } else {
                    print_receipts(&v);
                }
                Ok(exit::OK)
            }
            .await
        }
        Command::Status { common } => {
            async {
                let v: StatusView = client(common)?.get("/v1/status").await?;
                if common.json {
                    print_json(&v)?;
                } else {
                    println!(
                        "node:        {} ({}, {})",
                        v.node_id, v.role, v.organisation
                    );
                    println!("fingerprint: {}", v.fingerprint);
                    println!("hub:         {}", v.hub);
                    println!("connection:  {} since {}", v.connection.as_str(), v.since);
                    if let Some(r) = &v.certificate_refused {
                        println!("certificate: refused ({r})");
                    }
                    if let Some(e) = &v.last_error {
                        println!("last error:  {e}");
                    }
                    if let Some(ms) = v.retry_in_ms {
                        println!("retry in:    {ms} ms");
                    }
                    println!("outbox:      {} not yet stored by the hub", v.outbox_depth);
                    println!("inbox:       {} messages", v.inbox_count);
                    println!("last sync:   {}", or_dash(&v.last_sync));
                    println!(
                        "subscribed:  {}",
                        v.subscribed
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Ok(exit::OK)
            }
            .await
        }
        Command::Channels { common } => {
            async {
                let v: ChannelsView = client(common)?.get("/v1/channels").await?;
                if common.json {
                    print_json(&v)?;
                } else {
                    if !v.known {
                        println!("(not connected to the hub yet: grants unknown)");
                    }
                    let mut rows = vec![vec![
                        v.direct_channel.to_string(),
                        "yes".into(),
                        "(direct: messages to this node)".into(),
                    ]];
                    for g in &v.channels {
                        rows.push(vec![
                            g.channel.to_string(),
                            if g.read { "yes" } else { "no" }.into(),
                            g.publish
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ]);
                    }
                    for d in &v.direct {
                        rows.push(vec![
                            format!("node/<participant of {}>", d.operation),
                            "-".into(),
                            d.kinds
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ]);
                    }
                    table(&["CHANNEL", "READ", "PUBLISH"], &rows);
                }
                Ok(exit::OK)
            }
            .await
        }
        Command::Sent { common, limit } => {
            async {
                let v: Vec<SentItem> = client(common)?
                    .get(&format!("/v1/sent?limit={limit}"))
                    .await?;
                if common.json {
                    print_json(&v)?;
                } else {
                    let rows: Vec<_> = v
                        .iter()
                        .map(|s| {
                            vec![
                                s.id.to_string(),
                                s.created_at.to_string(),
                                s.kind.to_string(),
                                s.to.iter()
                                    .map(|c| c.as_str())
                                    .collect::<Vec<_>>()
                                    .join(","),
                                s.state.clone(),
                                s.reason.clone().unwrap_or_default(),
                            ]
                        })
                        .collect();
                    table(&["ID", "CREATED", "KIND", "TO", "STATE", "REASON"], &rows);
                }
                Ok(exit::OK)
            }
            .await
        }
        Command::Attachment {
            common,
            id,
            name,
            out,
            force,
        } => outgoing::save_attachment(common, id, name, out, *force).await,
        Command::Cancel { common, id } => outgoing::cancel(common, id).await,
        Command::Resend {
            common,
            id,
            to_new_readers,
        } => outgoing::resend(common, id, *to_new_readers).await,
        Command::Refusals { common, limit } => {
            async {
                let v: Vec<RefusalView> = client(common)?
                    .get(&format!("/v1/refusals?limit={limit}"))
                    .await?;
                if common.json {
                    print_json(&v)?;
                } else {
                    let rows: Vec<_> = v
                        .iter()
                        .map(|r| {
                            vec![
                                r.at.to_string(),
                                r.channel.to_string(),
                                or_dash(&r.id),
                                or_dash(&r.sender),
                                r.reason.clone(),
                            ]
                        })
                        .collect();
                    table(&["AT", "CHANNEL", "ID", "CLAIMED SENDER", "REASON"], &rows);
                }
                Ok(exit::OK)
            }
            .await
        }
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            if command_json(command) {
                let body =
                    serde_json::json!({"error": {"exit_code": f.code, "message": f.message}});
                eprintln!("{body}");
            } else {
                eprintln!("cordon-node: {}", f.message);
            }
            f.code
        }
    }
}

fn command_json(c: &Command) -> bool {
    match c {
        Command::Run { .. } | Command::Officer { .. } => false,
        Command::Send { kind } => send_request(kind)
            .map(|(_, h)| h.common.json)
            .unwrap_or(false),
        Command::Inbox { common, .. }
        | Command::Show { common, .. }
        | Command::Ack { common, .. }
        | Command::Receipts { common, .. }
        | Command::Status { common }
        | Command::Channels { common }
        | Command::Sent { common, .. }
        | Command::Attachment { common, .. }
        | Command::Cancel { common, .. }
        | Command::Resend { common, .. }
        | Command::Refusals { common, .. } => common.json,
    }
}

/// The API error of a failure, when it came from the daemon (for tests).
pub fn api_error(e: &CallError) -> Option<&ApiError> {
    match e {
        CallError::Api { error, .. } => Some(error),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cordon-node").chain(args.iter().copied()))
    }

    fn send_kind(args: &[&str]) -> SendKind {
        match parse(args).unwrap().command {
            Command::Send { kind } => *kind,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors_are_clap_errors() {
        assert!(parse(&["inbox"]).is_err(), "--config is required");
        assert!(parse(&["send", "warning", "--config", "x"]).is_err());
        assert!(parse(&["show", "--config", "x"]).is_err(), "ID is required");
        let cli = parse(&[
            "--log-format",
            "json",
            "status",
            "--config",
            "n.toml",
            "--json",
        ])
        .unwrap();
        assert_eq!(cli.log_format, LogFormat::Json);
    }

    #[test]
    fn alert_flags_build_the_body_and_a_bad_check_digit_is_caught_locally() {
        let kind = send_kind(&[
            "send",
            "alert",
            "--config",
            "n.toml",
            "--to",
            "op/cosmo-2/alerts",
            "--title",
            "Cocaine",
            "--summary",
            "Suspicious reefer",
            "--action",
            "inspect",
            "--container",
            "CSQU3054383",
            "--container",
            "MWCU6059785",
            "--source-grade",
            "B",
            "--info-grade",
            "2",
        ]);
        let (req, _) = send_request(&kind).unwrap();
        assert_eq!(req.kind, "alert");
        assert_eq!(req.body["grading"]["information"], 2);
        let f = validate_locally(&req).unwrap_err();
        assert_eq!(f.code, exit::USAGE);
        assert_eq!(
            f.message,
            "invalid message: body.containers[1]: ISO 6346 check digit is 5, expected 4"
        );
    }

    #[test]
    fn a_good_tasking_passes_and_a_missing_operation_is_named() {
        let args = [
            "send",
            "tasking",
            "--config",
            "n.toml",
            "--to",
            "node/HU-NCP",
            "--title",
            "Check",
            "--instructions",
            "List reefers",
            "--ack-required",
        ];
        let (req, _) = send_request(&send_kind(&args)).unwrap();
        assert_eq!(
            validate_locally(&req).unwrap_err().message,
            "invalid message: operation: required when sending to direct channels node/<ID>"
        );
        let mut with_op = args.to_vec();
        with_op.extend(["--operation", "cosmo-2"]);
        let (req, _) = send_request(&send_kind(&with_op)).unwrap();
        validate_locally(&req).unwrap();
        assert_eq!(req.body["ack_required"], true);
    }

    #[test]
    fn toml_file_with_flag_override() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("req.toml");
        std::fs::write(
            &p,
            "containers = [\"CSQU3054383\"]\nuntil = 2099-12-31T23:59:59Z\nreport = [\"gate-out\"]\nvoyage = \"V1\"\n",
        )
        .unwrap();
        let kind = send_kind(&[
            "send",
            "tracking-request",
            "--config",
            "n.toml",
            "--to",
            "op/cosmo-2/tracking",
            "--file",
            p.to_str().unwrap(),
            "--voyage",
            "V2",
        ]);
        let (req, _) = send_request(&kind).unwrap();
        assert_eq!(req.body["until"], "2099-12-31T23:59:59Z");
        assert_eq!(req.body["voyage"], "V2");
        validate_locally(&req).unwrap();
        // An unknown event is refused with its field.
        std::fs::write(&p, "containers = [\"CSQU3054383\"]\nuntil = 2099-12-31T23:59:59Z\nreport = [\"gateout\"]\n").unwrap();
        let (req, _) = send_request(&kind).unwrap();
        let m = validate_locally(&req).unwrap_err().message;
        assert!(
            m.starts_with("invalid message: body.report[0]: unknown variant `gateout`"),
            "{m}"
        );
    }

    #[test]
    fn a_file_may_hold_a_whole_message_as_the_api_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("alert.json");
        let file = p.to_str().unwrap();
        let whole = serde_json::json!({
            "kind": "alert",
            "to": ["op/cosmo-2/alerts"],
            "priority": "flash",
            "tlp": "GREEN",
            "body": {
                "title": "Cocaine in banana reefers",
                "summary": "New consignee; unusual route.",
                "action": "inspect",
                "containers": ["CSQU3054383"],
                "grading": {"source": "B", "information": 2}
            }
        });
        std::fs::write(&p, whole.to_string()).unwrap();
        let args = ["send", "alert", "--config", "n.toml", "--file", file];
        let (req, _) = send_request(&send_kind(&args)).unwrap();
        assert_eq!(req.to, vec!["op/cosmo-2/alerts".to_string()]);
        assert_eq!(req.priority.as_deref(), Some("flash"));
        assert_eq!(req.tlp.as_deref(), Some("GREEN"));
        assert_eq!(req.body["containers"][0], "CSQU3054383");
        validate_locally(&req).unwrap();
        // Flags override the file.
        let mut with_flags = args.to_vec();
        with_flags.extend(["--priority", "urgent", "--title", "Reefers"]);
        let (req, _) = send_request(&send_kind(&with_flags)).unwrap();
        assert_eq!(req.priority.as_deref(), Some("urgent"));
        assert_eq!(req.body["title"], "Reefers");
        // The same as TOML, the body a table.
        let t = dir.path().join("alert.toml");
        std::fs::write(
            &t,
            "to = [\"op/cosmo-2/alerts\"]\npriority = \"flash\"\n[body]\ntitle = \"T\"\nsummary = \"S\"\naction = \"inspect\"\ncontainers = [\"CSQU3054383\"]\n[body.grading]\nsource = \"B\"\ninformation = 2\n",
        )
        .unwrap();
        let toml_args = [
            "send",
            "alert",
            "--config",
            "n.toml",
            "--file",
            t.to_str().unwrap(),
        ];
        let (req, _) = send_request(&send_kind(&toml_args)).unwrap();
        assert_eq!(req.priority.as_deref(), Some("flash"));
        validate_locally(&req).unwrap();
        // Another kind than the command's, an unknown field, a value of the wrong type,
        // a body that is not an object: each named.
        for (edit, named) in [
            (
                serde_json::json!({"kind": "notice"}),
                "kind: is \"notice\", but this command sends \"alert\"",
            ),
            (
                serde_json::json!({"priorty": "flash"}),
                "priorty: unknown field `priorty`",
            ),
            (
                serde_json::json!({"expires_in_hours": "soon"}),
                "expires_in_hours: invalid type",
            ),
            (
                serde_json::json!({"body": "text"}),
                "body: must be an object",
            ),
        ] {
            let mut bad = whole.clone();
            for (k, v) in edit.as_object().unwrap() {
                bad[k] = v.clone();
            }
            std::fs::write(&p, bad.to_string()).unwrap();
            let m = send_request(&send_kind(&args)).unwrap_err().message;
            assert!(m.starts_with(&format!("--file {file}: {named}")), "{m}");
        }
    }

    #[test]
    fn inbox_arguments_make_the_query_and_the_more_line() {
        let args = |a: &[&str]| match parse(&[&["inbox", "--config", "n.toml"], a].concat())
            .unwrap()
            .command
        {
            Command::Inbox { args, .. } => args,
            other => panic!("{other:?}"),
        };
        let a = args(&[
            "--container",
            "CSQU 3054383",
            "--unacknowledged",
            "--before",
            "70",
        ]);
        assert_eq!(
            a.path(a.after, true, 0),
            "/v1/inbox?limit=100&container=CSQU%203054383&unacknowledged=true&count=true&before=70"
        );
        let a = args(&["--follow", "--text", "cocaine", "--flash-first"]);
        assert_eq!(
            a.path(Some(12), false, 30),
            "/v1/inbox?limit=100&text=cocaine&after=12&wait=30"
        );
        assert!(parse(&["inbox", "--config", "n", "--before", "3", "--after", "1"]).is_err());
        assert!(parse(&["inbox", "--config", "n", "--before", "3", "--follow"]).is_err());

        let page = |more, remaining, order, next_before| InboxPage {
            items: vec![],
            order,
            more,
            remaining,
            next_before,
            next_after: 90,
            flash: vec![],
            flash_more: false,
            counts: Default::default(),
        };
        use service::InboxOrder::{NewestFirst, OldestFirst};
        assert_eq!(more_line(&page(false, Some(0), NewestFirst, None)), None);
        assert_eq!(
            more_line(&page(true, Some(2_345), NewestFirst, Some(51))).as_deref(),
            Some("… 2,345 more: --before 51")
        );
        assert_eq!(
            more_line(&page(true, None, OldestFirst, None)).as_deref(),
            Some("… more: --after 90")
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn unreachable_daemon_is_exit_3() {
        let dir = tempfile::tempdir().unwrap();
        let e = ApiClient::from_data_dir(dir.path()).unwrap_err();
        assert_eq!(Failure::from(e).code, exit::UNREACHABLE);
    }
}
