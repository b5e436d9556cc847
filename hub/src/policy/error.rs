//! Why a policy file was refused, and where in the file.

use std::fmt;

use cordon_common::ids::Role;
use cordon_common::msg::{roles_text, MessageKind};

/// A place in a policy file: its origin (usually the path), 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file's path or another name for where the text came from.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text).
    pub fn of_offset(origin: &str, text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            origin: origin.to_owned(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.origin, self.line, self.column)
    }
}

/// A policy file could not be loaded. Every variant but [`PolicyError::Io`] says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy file {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The kind of I/O failure.
        kind: std::io::ErrorKind,
        /// The operating system's words.
        message: String,
    },
    /// The text is not valid TOML.
    #[error("{at}: not valid TOML: {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// The TOML parser's words.
        message: String,
    },
    /// A key that the policy format does not have (a typo, or a key in the wrong table).
    #[error("{at}: {message}")]
    UnknownKey {
        /// Where.
        at: Location,
        /// Which key, and the keys allowed there.
        message: String,
    },
    /// A required key is missing or a value has the wrong type.
    #[error("{at}: {message}")]
    Schema {
        /// Where.
        at: Location,
        /// What is missing or mistyped.
        message: String,
    },
    /// A message kind that does not exist.
    #[error("{at}: unknown message kind {value:?} (expected one of {expected})")]
    UnknownKind {
        /// Where.
        at: Location,
        /// The kind as written.
        value: String,
        /// The kinds that exist, comma-separated.
        expected: String,
    },
    /// A role that does not exist.
    #[error("{at}: unknown role {value:?} (expected one of member, rilo, ocu)")]
    UnknownRole {
        /// Where.
        at: Location,
        /// The role as written.
        value: String,
    },
    /// An operation phase that does not exist.
    #[error(
        "{at}: unknown phase {value:?} \
         (expected one of planning, interdiction, follow-up, reporting, closed)"
    )]
    UnknownPhase {
        /// Where.
        at: Location,
        /// The phase as written.
        value: String,
    },
    /// A country that is not two upper-case letters (ISO 3166-1 alpha-2).
    #[error(
        "{at}: country {value:?} is not two upper-case letters (ISO 3166-1 alpha-2, e.g. \"BE\")"
    )]
    InvalidCountry {
        /// Where.
        at: Location,
        /// The country as written.
        value: String,
    },
    /// A node id that is not valid node id syntax.
    #[error(
        "{at}: node id {value:?} is not 2-32 characters of A-Z, 0-9 and '-' (e.g. \"BE-NCP\")"
    )]
    InvalidNodeId {
        /// Where.
        at: Location,
        /// The id as written.
        value: String,
    },
    /// An operation name that is not valid operation name syntax.
    #[error("{at}: operation name {value:?} is not 1-48 characters of a-z, 0-9 and '-' (e.g. \"cosmo-2\")")]
    InvalidOperationName {
        /// Where.
        at: Location,
        /// The name as written.
        value: String,
    },
    /// A channel name that is not valid channel name syntax.
    #[error(
        "{at}: channel name {value:?} is not 1-48 characters of a-z, 0-9 and '-' \
         (write the short name, e.g. \"alerts\" for op/<operation>/alerts)"
    )]
    InvalidChannelName {
        /// Where.
        at: Location,
        /// The name as written.
        value: String,
    },
    /// An `ends` time that is not an RFC 3339 date and time after 1970.
    #[error("{at}: {value:?} is not an RFC 3339 date and time such as \"2027-03-31T23:59:59Z\" ({reason})")]
    InvalidTime {
        /// Where.
        at: Location,
        /// The time as written.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// Two operations with the same name.
    #[error("{at}: operation {name} is defined twice (first on line {first_line})")]
    DuplicateOperation {
        /// Where the second definition is.
        at: Location,
        /// The operation.
        name: String,
        /// Line of the first definition.
        first_line: usize,
    },
    /// Two channels with the same name in one operation.
    #[error(
        "{at}: operation {operation} defines channel {name} twice (first on line {first_line})"
    )]
    DuplicateChannel {
        /// Where the second definition is.
        at: Location,
        /// The operation.
        operation: String,
        /// The channel's short name.
        name: String,
        /// Line of the first definition.
        first_line: usize,
    },
    /// A selector with nothing in it, which would match nobody.
    #[error(
        "{at}: this selector matches nobody: give nodes, roles, countries or \
         participants = true (or remove the rule)"
    )]
    EmptySelector {
        /// Where.
        at: Location,
    },
    /// `participants = true` inside the participants selector itself.
    #[error(
        "{at}: operation {operation}: `participants = true` cannot define the participants; \
         list nodes, roles or countries"
    )]
    SelfReferentialParticipants {
        /// Where.
        at: Location,
        /// The operation.
        operation: String,
    },
    /// A publish or direct rule with an empty `kinds` list.
    #[error("{at}: this rule grants no message kind: list at least one in `kinds`")]
    EmptyKinds {
        /// Where.
        at: Location,
    },
    /// A kind that only some roles may send (`notice`: ocu; `tasking`: ocu, rilo) granted
    /// through a selector that could match another role; recipients would refuse it.
    #[error(
        "{at}: operation {operation}, {place}: {kind} may only be granted to roles {} \
         (e.g. by = {{ roles = [{}] }}), not by node, country or participants: recipients \
         refuse a {kind} signed by any other role (forbidden-sender)",
        roles_text(.roles), roles_toml(.roles)
    )]
    SenderRoleNotCertain {
        /// Where.
        at: Location,
        /// The operation.
        operation: String,
        /// `channel <name>` or `direct messages`.
        place: String,
        /// The kind granted.
        kind: MessageKind,
        /// The roles that may send it.
        roles: &'static [Role],
    },
    /// `receipt` granted explicitly; receipts are replies, allowed to every participant.
    #[error(
        "{at}: operation {operation}, {place}: receipt cannot be granted: a receipt is \
         always a reply to the sender of a message, which every participant may send"
    )]
    ReceiptGranted {
        /// Where.
        at: Location,
        /// The operation.
        operation: String,
        /// `channel <name>` or `direct messages`.
        place: String,
    },
}

/// `"ocu", "rilo"`: roles as a TOML list's items.
fn roles_toml(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| format!("\"{}\"", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
