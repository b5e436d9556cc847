//! What the daemon's tasks share: configuration, keys, the store, the link's status, and
//! the signals between them (outbox wake-up, inbox head, shutdown).

use std::sync::{Mutex, MutexGuard};

use cordon_common::ids::ChannelName;
use cordon_common::wire::Welcome;
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};

use crate::config::NodeConfig;
use crate::keys::NodeKeys;
use crate::store::Store;

/// The state of the connection to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnState {
    /// Connecting (or waiting to reconnect).
    Connecting,
    /// Connected, subscribed, lanes open.
    Connected,
    /// Not connected; the last error says why, and a retry is scheduled.
    Disconnected,
    /// Shut down.
    Stopped,
}

impl ConnState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Stopped => "stopped",
        }
    }
}

/// What the link knows, for `status` and `channels`.
#[derive(Debug, Clone)]
pub struct LinkStatus {
    /// Connection state.
    pub state: ConnState,
    /// Since when, ms.
    pub since: u64,
    /// The last connection error.
    pub last_error: Option<String>,
    /// Why a certificate was last refused (`revoked`, `expired`, `unknown-ca`,
    /// `wrong-usage`, `hub-certificate-revoked`, ...): by the hub, by this node (the
    /// hub's), or by the check of this node's own certificate at start; cleared once a
    /// session is established.
    pub certificate_refused: Option<String>,
    /// The last `Welcome` (grants), kept after a disconnect.
    pub welcome: Option<Welcome>,
    /// Whether the hub accepted this node's key bundle in the current session.
    pub bundle_accepted: Option<bool>,
    /// Channels delivered in the current session.
    pub subscribed: Vec<ChannelName>,
    /// Channels the hub refused, with why.
    pub refused: Vec<(ChannelName, String)>,
    /// Last successful exchange with the hub (subscribed, deliveries stored, publishes
    /// acknowledged), ms.
    pub last_sync: Option<u64>,
    /// Sessions established since start.
    pub sessions: u64,
    /// Delay before the next connection attempt, ms, when disconnected.
    pub retry_in_ms: Option<u64>,
}

impl LinkStatus {
    fn new(now: u64) -> Self {
        Self {
            state: ConnState::Connecting,
            since: now,
            last_error: None,
            certificate_refused: None,
            welcome: None,
            bundle_accepted: None,
            subscribed: vec![],
            refused: vec![],
            last_sync: None,
            sessions: 0,
            retry_in_ms: None,
        }
    }
}

/// Everything the daemon's tasks share.
#[derive(Debug)]
pub struct Shared {
    /// The configuration.
    pub config: NodeConfig,
    /// This node's keys and trust.
    pub keys: NodeKeys,
    /// The store.
    pub store: Store,
    status: Mutex<LinkStatus>,
    /// Woken when the outbox has new work (a draft, a receipt).
    pub outbox_wake: Notify,
    /// The highest inbox sequence; followers wait on it.
    pub inbox_head: watch::Sender<u64>,
    /// Counts batches that recorded receipts or changed sent messages (the console's
    /// Sent and OCU pages follow it).
    pub receipts_seen: watch::Sender<u64>,
    /// Set to `true` to stop every task.
    pub shutdown: watch::Sender<bool>,
    /// The outgoing messages being published now.
    pub in_flight: crate::in_flight::InFlight,
}

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> u64 {
    cordon_common::msg::Timestamp::now().as_millis()
}

impl Shared {
    /// Assemble; the inbox head is read from the store.
    pub fn new(
        config: NodeConfig,
        keys: NodeKeys,
        store: Store,
    ) -> Result<Self, crate::store::StoreError> {
        let head = store.inbox_head()?;
        Ok(Self {
            config,
            keys,
            store,
            status: Mutex::new(LinkStatus::new(now_ms())),
            outbox_wake: Notify::new(),
            inbox_head: watch::Sender::new(head),
            receipts_seen: watch::Sender::new(0),
            shutdown: watch::Sender::new(false),
            in_flight: Default::default(),
        })
    }

    /// The link status (a poisoned lock still yields the data: it is plain values).
    pub fn status(&self) -> MutexGuard<'_, LinkStatus> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A snapshot of the link status.
    pub fn status_snapshot(&self) -> LinkStatus {
        self.status().clone()
    }

    /// Record a successful exchange with the hub now.
    pub fn synced(&self) {
        self.status().last_sync = Some(now_ms());
    }

    /// Whether shutdown was asked.
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }
}

/// Run `f` on the blocking pool with the shared state (store transactions, sealing,
/// verification). A panic in `f` is reported as an error string.
pub async fn blocking<T, F>(shared: &std::sync::Arc<Shared>, f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce(&Shared) -> T + Send + 'static,
{
    let s = shared.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .map_err(|e| format!("background task failed: {e}"))
}
