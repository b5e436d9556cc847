//! The validated policy: operations, their channels and rules, and the selectors that
//! say whom a rule applies to.

use std::fmt;

use cordon_common::ids::{ChannelName, NodeId, OperationName, Role};
use cordon_common::msg::{allowed_sender_roles, MessageKind};

use super::subject::Subject;

const MS_PER_DAY: u64 = 24 * 60 * 60 * 1000;

/// An operation's phase, as written in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Preparing the operation.
    Planning,
    /// Targeting and controls.
    Interdiction,
    /// Investigations after seizures.
    FollowUp,
    /// Final results and reports.
    Reporting,
    /// Over: the operation is read-only, whatever its `ends`.
    Closed,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 5] = [
        Phase::Planning,
        Phase::Interdiction,
        Phase::FollowUp,
        Phase::Reporting,
        Phase::Closed,
    ];

    /// The phase as written in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Planning => "planning",
            Phase::Interdiction => "interdiction",
            Phase::FollowUp => "follow-up",
            Phase::Reporting => "reporting",
            Phase::Closed => "closed",
        }
    }

    /// The phase written exactly as `s`, if there is one.
    pub fn from_name(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whom a rule applies to: any subject listed by node id, role or country, and with
/// `participants` every participant of the operation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Selector {
    pub(crate) nodes: Vec<NodeId>,
    pub(crate) roles: Vec<Role>,
    pub(crate) countries: Vec<String>,
    pub(crate) participants: bool,
}

impl Selector {
    /// Whether the selector matches `who`; `is_participant` says whether `who` takes part
    /// in the operation the selector belongs to.
    pub(crate) fn matches(&self, who: &Subject, is_participant: bool) -> bool {
        (self.participants && is_participant)
            || self.nodes.contains(&who.node_id)
            || self.roles.contains(&who.role)
            || self.countries.iter().any(|c| who.in_country(c))
    }

    /// Whether the selector can only ever match subjects of the roles `allowed`: it lists
    /// roles, all of them in `allowed`, and no node, country or `participants` (a node
    /// id or a country can hold any role).
    pub(crate) fn matches_only_roles(&self, allowed: &[Role]) -> bool {
        self.nodes.is_empty()
            && self.countries.is_empty()
            && !self.participants
            && !self.roles.is_empty()
            && self.roles.iter().all(|r| allowed.contains(r))
    }

    /// Whether the selector has nothing in it.
    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.roles.is_empty()
            && self.countries.is_empty()
            && !self.participants
    }
}

/// `roles ocu, rilo; countries BE, HU`: how tables describe a selector.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.participants {
            parts.push("every participant".to_owned());
        }
        if !self.roles.is_empty() {
            let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
            parts.push(format!("roles {}", roles.join(", ")));
        }
        if !self.countries.is_empty() {
            parts.push(format!("countries {}", self.countries.join(", ")));
        }
        if !self.nodes.is_empty() {
            let nodes: Vec<&str> = self.nodes.iter().map(NodeId::as_str).collect();
            parts.push(format!("nodes {}", nodes.join(", ")));
        }
        if parts.is_empty() {
            f.write_str("nobody")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

/// Some message kinds, granted to the subjects a selector matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) kinds: Vec<MessageKind>,
    pub(crate) by: Selector,
}

/// The kinds that `rules` grant to `who`, in [`MessageKind::ALL`] order.
///
/// A kind that `who`'s role may not send ([`allowed_sender_roles`]: `notice` but for ocu,
/// `tasking` but for ocu and rilo) is left out, and `receipt` always (it is a reply, never
/// a grant), whatever the rules say.
pub(crate) fn kinds_granted(
    rules: &[Rule],
    who: &Subject,
    is_participant: bool,
) -> Vec<MessageKind> {
    if !is_participant {
        return Vec::new();
    }
    MessageKind::ALL
        .into_iter()
        .filter(|k| *k != MessageKind::Receipt)
        .filter(|k| allowed_sender_roles(*k).is_none_or(|roles| roles.contains(&who.role)))
        .filter(|k| {
            rules
                .iter()
                .any(|r| r.kinds.contains(k) && r.by.matches(who, true))
        })
        .collect()
}

/// One channel of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Channel {
    /// The full name, `op/<operation>/<short>`.
    pub(crate) name: ChannelName,
    /// Who may read it; `None`: nobody.
    pub(crate) read: Option<Selector>,
    /// Who may publish what.
    pub(crate) publish: Vec<Rule>,
}

impl Channel {
    /// The short name, as written in the policy file.
    pub(crate) fn short_name(&self) -> &str {
        match self.name.target() {
            cordon_common::ids::ChannelTarget::Operation { name, .. } => name,
            cordon_common::ids::ChannelTarget::Node(id) => id,
        }
    }
}

/// An operation as the policy defines it: name, phase, end, retention, participants,
/// channels and direct-message rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationInfo {
    pub(crate) name: OperationName,
    pub(crate) title: String,
    pub(crate) phase: Phase,
    pub(crate) ends_ms: u64,
    pub(crate) ends_text: String,
    pub(crate) retention_days: u32,
    pub(crate) participants: Selector,
    pub(crate) channels: Vec<Channel>,
    pub(crate) direct: Vec<Rule>,
}

impl OperationInfo {
    /// The operation's name.
    pub fn name(&self) -> &OperationName {
        &self.name
    }

    /// Its title (free text; may be empty).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Its phase, as written in the policy file.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Its scheduled end, ms since the Unix epoch.
    pub fn ends_ms(&self) -> u64 {
        self.ends_ms
    }

    /// How many days its messages are kept after it closes.
    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }

    /// How long its messages are kept after it closes, in ms.
    pub fn retention_ms(&self) -> u64 {
        u64::from(self.retention_days).saturating_mul(MS_PER_DAY)
    }

    /// Whether the operation is closed at `now_ms`: its phase is `closed` or `ends` has
    /// passed. A closed operation is read-only.
    pub fn is_closed(&self, now_ms: u64) -> bool {
        self.phase == Phase::Closed || now_ms >= self.ends_ms
    }

    /// When the operation closed, if it is closed at `now_ms`; retention counts from here.
    ///
    /// This is always `ends`: an operation closed early with `phase = "closed"` still
    /// counts its retention from its `ends` (operators closing early set `ends` to the
    /// closing date as well, as the example policy file explains).
    pub fn closed_at(&self, now_ms: u64) -> Option<u64> {
        self.is_closed(now_ms).then_some(self.ends_ms)
    }

    /// When the operation's messages are due to be purged: `ends` plus the retention.
    pub fn purge_at_ms(&self) -> u64 {
        self.ends_ms.saturating_add(self.retention_ms())
    }

    /// Whether its messages are due to be purged at `now_ms`.
    pub fn purge_due(&self, now_ms: u64) -> bool {
        self.is_closed(now_ms) && now_ms >= self.purge_at_ms()
    }

    /// The cut-off for purging at `now_ms`: `Some(now_ms)` once the operation's messages
    /// are due to be purged (every message of the operation created before it goes),
    /// `None` before.
    pub fn purge_cutoff_ms(&self, now_ms: u64) -> Option<u64> {
        self.purge_due(now_ms).then_some(now_ms)
    }

    /// Whether `who` takes part in the operation.
    pub fn is_participant(&self, who: &Subject) -> bool {
        self.participants.matches(who, false)
    }

    /// Whether the node `id` is a participant: by its subject where the hub knows it,
    /// otherwise only if the participants list it by id.
    pub(crate) fn is_participant_node(&self, id: &NodeId, known: Option<&Subject>) -> bool {
        match known {
            Some(s) => self.is_participant(s),
            None => self.participants.nodes.contains(id),
        }
    }

    /// The full names of its channels, in file order.
    pub fn channel_names(&self) -> impl Iterator<Item = &ChannelName> {
        self.channels.iter().map(|c| &c.name)
    }

    pub(crate) fn channel(&self, short_name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.short_name() == short_name)
    }

    /// `closed (phase = closed)`, `closed at …` or `open until …`.
    pub(crate) fn state(&self, now_ms: u64) -> String {
        if self.phase == Phase::Closed {
            "closed (phase = closed)".to_owned()
        } else if now_ms >= self.ends_ms {
            format!("closed since {}", self.ends_text)
        } else {
            format!("open until {}", self.ends_text)
        }
    }
}
