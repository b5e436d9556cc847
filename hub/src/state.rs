//! What every task of a running hub shares.

use std::sync::{Arc, RwLock};

use cordon_common::envelope::HeaderLimits;
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::NodeId;
use cordon_common::pki::TrustStore;

use crate::audit_sink::AuditSink;
use crate::check_pool::CheckPool;
use crate::config::HubConfig;
use crate::directory::Directory;
use crate::metrics::Metrics;
use crate::policy::{Policy, Subject};
use crate::roster_file::RosterInForce;
use crate::sessions::Sessions;
use crate::store::{GroupCommitter, Store};
use crate::tls::NodeCertVerifier;

/// The running hub's shared state.
#[derive(Debug)]
pub struct HubState {
    /// Configuration.
    pub config: HubConfig,
    policy: RwLock<Arc<Policy>>,
    trust: RwLock<Arc<TrustStore>>,
    roster: RwLock<Option<Arc<RosterInForce>>>,
    /// The TLS client verifier (its CRLs are reloadable).
    pub verifier: Arc<NodeCertVerifier>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The group committer in front of the store.
    pub committer: GroupCommitter,
    /// Known nodes.
    pub directory: Directory,
    /// Live sessions.
    pub sessions: Sessions,
    /// The audit log.
    pub audit: AuditSink,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Header limits for verification.
    pub header_limits: HeaderLimits,
    /// The threads that check publishes.
    pub checks: CheckPool,
}

/// An authenticated peer.
#[derive(Debug)]
pub struct Peer {
    /// From its certificate.
    pub identity: NodeIdentity,
    /// As a policy subject.
    pub subject: Subject,
    /// Its certificate, DER.
    pub cert_der: Arc<Vec<u8>>,
    /// The session id.
    pub session: u64,
}

impl Peer {
    /// The node id.
    pub fn node_id(&self) -> &NodeId {
        &self.identity.node_id
    }
}

impl HubState {
    /// Assemble the state.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: HubConfig,
        policy: Policy,
        trust: TrustStore,
        verifier: Arc<NodeCertVerifier>,
        store: Arc<dyn Store>,
        committer: GroupCommitter,
        directory: Directory,
        audit: AuditSink,
        metrics: Arc<Metrics>,
        checks: CheckPool,
    ) -> Self {
        Self {
            config,
            policy: RwLock::new(Arc::new(policy)),
            trust: RwLock::new(Arc::new(trust)),
            roster: RwLock::new(None),
            verifier,
            store,
            committer,
            directory,
            sessions: Sessions::default(),
            audit,
            metrics,
            header_limits: HeaderLimits::default(),
            checks,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replace the policy.
    pub fn set_policy(&self, p: Policy) {
        *self.policy.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(p);
    }

    /// The trust store (roots and CRLs) in force.
    pub fn trust(&self) -> Arc<TrustStore> {
        self.trust.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The signed operation roster in force, served with every directory answer.
    pub fn roster(&self) -> Option<Arc<RosterInForce>> {
        self.roster
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replace the roster (with a policy it matches).
    pub fn set_roster(&self, r: RosterInForce) {
        *self.roster.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(r));
    }

    /// Replace the trust store.
    pub fn set_trust(&self, t: TrustStore) {
        *self.trust.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(t);
    }
}

/// Now, ms since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
