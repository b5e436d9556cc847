//! Who is connected, and which sessions to wake when a channel gets a new message.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use cordon_common::ids::{ChannelName, NodeId};
use cordon_common::wire::{DirectGrant, Grant};
use tokio::sync::Notify;

use crate::store::Lane;

/// One notifier per delivery lane of a session.
#[derive(Debug, Default)]
pub struct LaneWakers {
    lanes: [Notify; 3],
}

impl LaneWakers {
    /// The notifier of `lane`.
    pub fn lane(&self, lane: Lane) -> &Notify {
        &self.lanes[usize::from(lane.as_u8())]
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    /// Unique per hub run.
    pub id: u64,
    /// The node.
    pub node_id: NodeId,
    /// Its certificate (to re-check after a CRL reload).
    pub cert_der: Arc<Vec<u8>>,
    /// The grants sent in `Welcome` (to detect policy changes).
    pub grants: Arc<(Vec<Grant>, Vec<DirectGrant>)>,
    /// The connection.
    pub conn: quinn::Connection,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_node: HashMap<NodeId, SessionHandle>,
    by_channel: HashMap<ChannelName, HashMap<u64, Arc<LaneWakers>>>,
}

/// The registry of live sessions.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh session id.
    pub fn next_id(&self) -> u64 {
        let mut g = self.lock();
        g.next_id += 1;
        g.next_id
    }

    /// Register a session; returns the node's previous session, which the caller closes.
    pub fn register(&self, handle: SessionHandle) -> Option<SessionHandle> {
        self.lock().by_node.insert(handle.node_id.clone(), handle)
    }

    /// Subscribe a session to channels.
    pub fn subscribe(&self, session: u64, channels: &[ChannelName], wakers: Arc<LaneWakers>) {
        let mut g = self.lock();
        for c in channels {
            g.by_channel
                .entry(c.clone())
                .or_default()
                .insert(session, wakers.clone());
        }
    }

    /// Remove a session (if it is still the registered one for its node).
    pub fn unregister(&self, node: &NodeId, session: u64) {
        let mut g = self.lock();
        if g.by_node.get(node).is_some_and(|h| h.id == session) {
            g.by_node.remove(node);
        }
        g.by_channel.retain(|_, subs| {
            subs.remove(&session);
            !subs.is_empty()
        });
    }

    /// Wake every session subscribed to `channel` for `lane`.
    pub fn wake(&self, channel: &ChannelName, lane: Lane) {
        let g = self.lock();
        if let Some(subs) = g.by_channel.get(channel) {
            for w in subs.values() {
                w.lane(lane).notify_one();
            }
        }
    }

    /// Every live session.
    pub fn all(&self) -> Vec<SessionHandle> {
        self.lock().by_node.values().cloned().collect()
    }

    /// The nodes whose live session has delivery lanes (it subscribed to a channel).
    pub fn subscribed_nodes(&self) -> HashSet<NodeId> {
        let g = self.lock();
        let with_lanes: HashSet<u64> = g
            .by_channel
            .values()
            .flat_map(|subs| subs.keys().copied())
            .collect();
        g.by_node
            .values()
            .filter(|h| with_lanes.contains(&h.id))
            .map(|h| h.node_id.clone())
            .collect()
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.lock().by_node.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
