//! Which readers this node seals to, checked without trusting the hub.
//!
//! The hub names the readers of a channel and serves their certificates and key bundles;
//! a compromised hub could name a reader of its choosing or serve a key the reader has
//! replaced. So the sender also requires, for every reader:
//! - a certificate that chains to the federation root and is not revoked (`outbox`);
//! - for a channel, that the operation roster signed by the federation root names the
//!   reader's certificate identity as a reader of that channel. The newest roster seen
//!   is pinned in the store; an older one, or one not signed by the root, is refused;
//! - a key bundle not older than the newest this node has seen for that reader (pinned
//!   per node), so that a replaced X25519 key cannot be brought back.

use std::collections::HashMap;

use cordon_common::envelope::KeyBundle;
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{ChannelName, NodeId};
use cordon_common::pki::TrustStore;
use cordon_common::roster::{Roster, SignedRoster};
use cordon_common::wire::DirectoryResponse;

use crate::store::{Store, StoreError};

const ROSTER_PIN: &str = "roster";

fn bundle_pin(node: &NodeId) -> String {
    format!("bundle/{node}")
}

/// What a sender checks readers against: the roster in force and the newest key bundle
/// time seen per node.
#[derive(Debug, Clone, Default)]
pub struct ReaderGate {
    roster: Option<Roster>,
    floors: HashMap<NodeId, u64>,
}

impl ReaderGate {
    /// A gate from a roster and bundle floors (tests, and [`load`]).
    pub fn new(roster: Option<Roster>, floors: HashMap<NodeId, u64>) -> Self {
        Self { roster, floors }
    }

    /// The roster in force, if any.
    pub fn roster(&self) -> Option<&Roster> {
        self.roster.as_ref()
    }

    /// Whether `who` may be sealed a message to `channel` (an operation channel).
    pub fn check_channel_reader(
        &self,
        channel: &ChannelName,
        who: &NodeIdentity,
    ) -> Result<(), String> {
        match &self.roster {
            None => Err("no operation roster signed by the federation root yet".into()),
            Some(r) if r.may_read(channel, who) => Ok(()),
            Some(r) => Err(format!(
                "not a reader of {channel} in the operation roster (version {}) signed by the \
                 federation root",
                r.version
            )),
        }
    }

    /// Whether a key bundle of `node` made at `created_at` is not older than the newest
    /// seen.
    pub fn check_bundle(&self, node: &NodeId, created_at: u64) -> Result<(), String> {
        match self.floors.get(node) {
            Some(&seen) if created_at < seen => Err(format!(
                "key bundle made at {created_at} is older than one seen before (made at \
                 {seen}); the hub may be serving a replaced key"
            )),
            _ => Ok(()),
        }
    }
}

/// The newest roster and bundle times: from the store, raised by what the directory
/// `answer` brings (each checked under `trust`), and written back where they rose.
/// A roster the hub serves that is not signed by the root, or older than the pinned
/// one, is refused (logged) and the pinned one stays in force.
pub fn load(
    store: &Store,
    answer: &DirectoryResponse,
    trust: &TrustStore,
    now_ms: u64,
) -> Result<ReaderGate, StoreError> {
    let roots = trust.roots();
    // Bundles in the answer that verify, with their times.
    let mut offered: Vec<(NodeId, u64)> = Vec::new();
    for e in &answer.entries {
        let Some(bundle) = &e.bundle else { continue };
        let Ok(identity) = trust.verify_node_cert(&e.cert, now_ms / 1000) else {
            continue;
        };
        if identity.node_id != e.node_id {
            continue;
        }
        if let Ok(v) = KeyBundle::from_bytes(bundle.to_vec()).verify(&identity) {
            offered.push((identity.node_id, v.created_at));
        }
    }
    let mut names = vec![ROSTER_PIN.to_owned()];
    names.extend(offered.iter().map(|(n, _)| bundle_pin(n)));
    let pinned = store.pins(&names)?;
    let mut writes = Vec::new();

    let mut roster = pinned
        .first()
        .and_then(Option::as_ref)
        .and_then(|b| match SignedRoster::from_bytes(b.clone()).verify(roots) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(error = %e, "the pinned operation roster does not verify under the federation root; ignoring it");
                None
            }
        });
    if let Some(bytes) = &answer.roster {
        let signed = SignedRoster::from_bytes(bytes.to_vec());
        match signed.verify_newer(roots, roster.as_ref()) {
            Ok(r) => {
                if roster.as_ref().is_none_or(|cur| r.version > cur.version) {
                    tracing::info!(version = r.version, "operation roster in force");
                    writes.push((ROSTER_PIN.to_owned(), signed.as_bytes().to_vec()));
                }
                roster = Some(r);
            }
            Err(e) => {
                tracing::warn!(error = %e, "operation roster from the hub refused; the newest seen stays in force");
            }
        }
    }

    let mut floors = HashMap::new();
    for ((node, created_at), pin) in offered.into_iter().zip(pinned.iter().skip(1)) {
        let seen = pin
            .as_deref()
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes);
        let floor = seen.map_or(created_at, |s| s.max(created_at));
        if seen.is_none_or(|s| created_at > s) {
            writes.push((bundle_pin(&node), created_at.to_be_bytes().to_vec()));
        }
        let f = floors.entry(node).or_insert(floor);
        *f = (*f).max(floor);
    }
    store.set_pins(&writes)?;
    Ok(ReaderGate { roster, floors })
}
