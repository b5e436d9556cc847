//! The directory: every node that has connected, with its certificate and signed key
//! bundle, in memory and persisted in the store. Senders ask it who reads a channel.

use std::collections::HashMap;
use std::sync::RwLock;

use cordon_common::envelope::KeyBundle;
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::NodeId;
use cordon_common::wire::DirectoryEntry;

use crate::policy::Subject;
use crate::store::{NodeRecord, Store, StoreError};

#[derive(Debug, Clone)]
struct Entry {
    subject: Subject,
    record: NodeRecord,
    /// `created_at` of `record.bundle`: a bundle older than this one is refused.
    bundle_created_at: Option<u64>,
}

/// What became of a key bundle offered to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleUpdate {
    /// Stored (or the same bundle again); persist this record.
    Stored(NodeRecord),
    /// The node is not in the directory.
    UnknownNode,
    /// Older than the bundle the directory holds for the node (or as old, and different):
    /// newest wins, so that nobody can bring back a key the node has replaced.
    NotNewer {
        /// `created_at` of the bundle offered.
        offered: u64,
        /// `created_at` of the bundle held.
        held: u64,
    },
}

/// Known nodes.
#[derive(Debug, Default)]
pub struct Directory {
    nodes: RwLock<HashMap<NodeId, Entry>>,
}

impl Directory {
    /// Load every node the store knows. Records whose certificate no longer parses are
    /// skipped (and reported in the returned list).
    pub fn load(store: &dyn Store) -> Result<(Self, Vec<String>), StoreError> {
        let mut nodes = HashMap::new();
        let mut skipped = Vec::new();
        for record in store.nodes()? {
            match NodeIdentity::from_der(&record.cert_der) {
                Ok(id) => {
                    let bundle_created_at = record.bundle.as_ref().and_then(|b| {
                        KeyBundle::from_bytes(b.clone())
                            .verify(&id)
                            .ok()
                            .map(|v| v.created_at)
                    });
                    nodes.insert(
                        id.node_id.clone(),
                        Entry {
                            subject: Subject::from(&id),
                            record,
                            bundle_created_at,
                        },
                    );
                }
                Err(e) => skipped.push(format!("{}: {e}", record.node_id)),
            }
        }
        Ok((
            Self {
                nodes: RwLock::new(nodes),
            },
            skipped,
        ))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<NodeId, Entry>> {
        self.nodes.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<NodeId, Entry>> {
        self.nodes.write().unwrap_or_else(|p| p.into_inner())
    }

    /// A node connected with this certificate: remember it. Returns the record to persist.
    pub fn seen(&self, identity: &NodeIdentity, cert_der: &[u8], now_ms: u64) -> NodeRecord {
        let mut map = self.write();
        let entry = map
            .entry(identity.node_id.clone())
            .or_insert_with(|| Entry {
                subject: Subject::from(identity),
                record: NodeRecord {
                    node_id: identity.node_id.clone(),
                    cert_der: cert_der.to_vec(),
                    bundle: None,
                    first_seen_ms: now_ms,
                    last_seen_ms: now_ms,
                },
                bundle_created_at: None,
            });
        if entry.record.cert_der != cert_der {
            // A renewed certificate: its bundle was signed for the old one.
            entry.record.cert_der = cert_der.to_vec();
            entry.record.bundle = None;
            entry.bundle_created_at = None;
            entry.subject = Subject::from(identity);
        }
        entry.record.last_seen_ms = now_ms;
        entry.record.clone()
    }

    /// Store a bundle for a node, verified against its certificate and made at
    /// `created_at`, unless the directory holds a newer one.
    pub fn set_bundle(&self, node: &NodeId, bundle: Vec<u8>, created_at: u64) -> BundleUpdate {
        let mut map = self.write();
        let Some(entry) = map.get_mut(node) else {
            return BundleUpdate::UnknownNode;
        };
        if let Some(held) = entry.bundle_created_at {
            let same = entry.record.bundle.as_deref() == Some(bundle.as_slice());
            if created_at < held || (created_at == held && !same) {
                return BundleUpdate::NotNewer {
                    offered: created_at,
                    held,
                };
            }
        }
        entry.record.bundle = Some(bundle);
        entry.bundle_created_at = Some(created_at);
        BundleUpdate::Stored(entry.record.clone())
    }

    /// Every known node as a policy subject.
    pub fn subjects(&self) -> Vec<Subject> {
        self.read().values().map(|e| e.subject.clone()).collect()
    }

    /// A known node as a policy subject.
    pub fn subject(&self, node: &NodeId) -> Option<Subject> {
        self.read().get(node).map(|e| e.subject.clone())
    }

    /// The wire entry of a node.
    pub fn entry(&self, node: &NodeId) -> Option<DirectoryEntry> {
        self.read().get(node).map(|e| DirectoryEntry {
            node_id: e.record.node_id.clone(),
            cert: e.record.cert_der.clone(),
            bundle: e.record.bundle.clone().map(serde_bytes::ByteBuf::from),
        })
    }
}
