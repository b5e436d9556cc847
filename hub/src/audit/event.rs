//! What the hub records: one variant per kind of event, written as a JSON object whose
//! `type` member names the variant in kebab-case.
//!
//! Fields are plain strings and numbers: callers format ids, channels and fingerprints,
//! so that this module does not depend on how the rest of the hub represents them.

use serde::{Deserialize, Serialize};

/// One audited event. Members are serialised in the order declared here, after `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum AuditEvent {
    /// A node completed the handshake.
    Connected {
        /// Its node id.
        node: String,
        /// Its remote address, `ip:port`.
        addr: String,
        /// SHA-256 of its certificate, hex.
        fingerprint: String,
    },
    /// A node's session ended.
    Disconnected {
        /// Its node id.
        node: String,
        /// Why (close code and words).
        reason: String,
    },
    /// A connection was refused before a session started (bad or revoked certificate,
    /// timeout, too many handshakes, connection limit). Repeats within the audit window
    /// are recorded once more at its end, with their count.
    HandshakeRefused {
        /// The remote address, `ip:port` (of the last repeat; `*` for refusals counted
        /// beyond the window's distinct-refusal cap).
        addr: String,
        /// Why: `revoked`, `expired`, `not-yet-valid`, `unknown-ca`, `wrong-usage`,
        /// `bad-profile`, `bad-certificate`, `no-certificate`, `timeout`,
        /// `handshakes-busy`, `address-busy`, `overloaded` or `other`.
        code: String,
        /// SHA-256 of the refused certificate, hex (when the refusal is about one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
        /// The refused certificate's subject.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// The refused certificate's serial number, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        serial: Option<String>,
        /// How many refusals this record stands for.
        count: u64,
    },
    /// A message was stored and will be delivered.
    Published {
        /// The message id.
        id: String,
        /// Its kind (`alert`, ...).
        kind: String,
        /// Its destination channels.
        to: Vec<String>,
        /// The sending node.
        sender: String,
        /// The envelope's size, bytes.
        size: u64,
    },
    /// A publish was refused.
    PublishRefused {
        /// The message id, if the envelope parsed far enough to have one.
        id: Option<String>,
        /// The sending node.
        sender: String,
        /// `denied` (policy), `invalid` (malformed, forged, expired) or `duplicate`.
        outcome: String,
        /// Why.
        reason: String,
    },
    /// A node acknowledged a delivered message.
    Delivered {
        /// The message id.
        id: String,
        /// The receiving node.
        node: String,
        /// The channel it was delivered on.
        channel: String,
        /// Its position in that channel.
        seq: u64,
    },
    /// A stored message was skipped for a node because no `Deliver` frame under the
    /// hub's `max_frame` can carry it (it was stored under a larger `max_frame`).
    Undeliverable {
        /// The message id.
        id: String,
        /// The node it was not delivered to.
        node: String,
        /// The channel.
        channel: String,
        /// Its position in that channel.
        seq: u64,
        /// The envelope's size, bytes.
        size: u64,
        /// Why.
        reason: String,
    },
    /// A node was refused channels it asked to read: one record per `Subscribe`, naming
    /// the first channel refused and its reason, and the others refused with it.
    ReadRefused {
        /// The node.
        node: String,
        /// The (first) channel.
        channel: String,
        /// Why.
        reason: String,
        /// Further channels refused in the same request (at most 16 named).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        also: Vec<String>,
        /// How many more were refused beyond those named.
        #[serde(default, skip_serializing_if = "is_zero")]
        more: u64,
    },
    /// A new policy is in force.
    PolicyReloaded {
        /// The policy file.
        path: String,
    },
    /// A policy file was refused; the previous policy stays in force.
    PolicyReloadRefused {
        /// The policy file.
        path: String,
        /// Why, with line and column.
        reason: String,
    },
    /// New certificate revocation lists are in force.
    CrlReloaded {
        /// The CRL file(s).
        path: String,
        /// How many certificates they revoke (revoked serials summed over the CRLs, not
        /// the number of CRL files).
        revoked_count: u64,
    },
    /// CRLs were refused; the previous ones stay in force.
    CrlReloadRefused {
        /// The CRL file(s).
        path: String,
        /// Why.
        reason: String,
    },
    /// A live session was closed because its certificate was revoked.
    SessionRevoked {
        /// The node.
        node: String,
        /// SHA-256 of its certificate, hex.
        fingerprint: String,
    },
    /// A live session was closed because its certificate no longer passes the trust
    /// store in force for another reason than revocation (it expired).
    SessionExpired {
        /// The node.
        node: String,
        /// SHA-256 of its certificate, hex.
        fingerprint: String,
        /// The short reason (`expired`, `not-yet-valid`, `unknown-ca`, ...).
        reason: String,
    },
    /// Messages of a closed operation were purged after their retention period.
    Purged {
        /// The operation.
        operation: String,
        /// How many messages.
        messages: u64,
    },
    /// The hub started.
    HubStarted {
        /// Its version.
        version: String,
    },
    /// The hub stopped in an orderly way.
    HubStopped,
    /// At start, the log ended in an incomplete record (a write torn by a crash); those
    /// bytes were moved aside and the log resumed after its last complete record.
    TornTailRepaired {
        /// Where the torn bytes were saved.
        saved_to: String,
        /// How many bytes.
        bytes: u64,
    },
    /// At start, the log no longer held the head the hub had recorded in its store
    /// (records cut from its end, or rewritten), and the operator started the hub with
    /// `--accept-shortened-audit-log`: the log resumes from its last record as found.
    AuditLogShortened {
        /// The seq the store recorded.
        recorded_seq: u64,
        /// The hash the store recorded.
        recorded_hash: String,
        /// The log's last seq when the hub started.
        found_seq: u64,
        /// The log's last hash when the hub started.
        found_hash: String,
        /// What was wrong, in the words of the refusal it overrode.
        reason: String,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
