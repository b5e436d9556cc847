//! The link to the hub: connect, publish the key bundle, subscribe to everything this
//! node may read, accept the three delivery lanes, and run the outbox; when anything
//! breaks, reconnect by itself with capped, jittered exponential backoff. The hub keeps
//! the delivery cursors, so a new session resumes where the last one was acknowledged.
//!
//! Each lane has a reader task (reads ahead up to one batch, a bounded queue) and a
//! processor that verifies and opens a batch on the blocking pool, commits it in one
//! transaction, and only then acknowledges each delivery.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_common::envelope::HeaderLimits;
use cordon_common::ids::ChannelName;
use cordon_common::wire::Deliver;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::client::{ClientError, Connector, DeliveryLane, HubTarget, LaneAcker};
use crate::outbox::{self, OutboxError};
use crate::receive::Receiver;
use crate::refusal::{self, Refusal};
use crate::state::{blocking, now_ms, ConnState, Shared};
use crate::store::{CommitOutcome, Received};

/// Capped exponential backoff with "equal jitter": each delay is drawn uniformly from
/// the upper half of the current step, and the step doubles up to the cap.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: u64,
    max: u64,
    step: u64,
}

impl Backoff {
    /// From `initial_ms` doubling up to `max_ms`.
    pub fn new(initial_ms: u64, max_ms: u64) -> Self {
        Self {
            initial: initial_ms.max(1),
            max: max_ms.max(initial_ms.max(1)),
            step: initial_ms.max(1),
        }
    }

    /// Back to the first step (after a session that worked).
    pub fn reset(&mut self) {
        self.step = self.initial;
    }

    /// The next delay, given a random `r` (any u32).
    pub fn next_with(&mut self, r: u32) -> Duration {
        let step = self.step;
        self.step = self.step.saturating_mul(2).min(self.max);
        let half = step / 2;
        let jitter = if half == 0 {
            0
        } else {
            u64::from(r) % (half + 1)
        };
        Duration::from_millis(step - half + jitter)
    }

    /// The next delay, with randomness from the operating system.
    pub fn next_delay(&mut self) -> Duration {
        use ring::rand::SecureRandom;
        let mut b = [0u8; 4];
        let _ = ring::rand::SystemRandom::new().fill(&mut b);
        self.next_with(u32::from_le_bytes(b))
    }
}

/// The first pause before the outbox is tried again after an `unavailable`, ms.
const UNAVAILABLE_RETRY_MS: u64 = 1_000;

/// Sleep until `at`, or for ever if `None`.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Why a session ended.
#[derive(Debug)]
enum End {
    /// Shutdown was asked.
    Shutdown,
    /// The session failed; `established` if it had got as far as subscribing.
    Lost { established: bool, error: String },
    /// A certificate was refused: this node's by the hub, or the hub's by this node.
    Refused { established: bool, refusal: Refusal },
}

impl End {
    /// A refusal if the hub closed `conn` over this node's certificate, else lost.
    fn closed(e: &quinn::ConnectionError) -> Self {
        match refusal::of_connection_error(e) {
            Some(refusal) => End::Refused {
                established: true,
                refusal,
            },
            None => End::Lost {
                established: true,
                error: e.to_string(),
            },
        }
    }
}

async fn wait_stop(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Resolve `host:port`, preferring IPv4 (the client endpoint is bound to 0.0.0.0).
async fn resolve(addr: &str) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| format!("cannot resolve {addr}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("{addr} resolves to no address"))
}

/// Run the link until shutdown.
pub async fn run(shared: Arc<Shared>, connector: Connector) {
    let limits = shared.config.limits.clone();
    let mut backoff = Backoff::new(limits.reconnect_initial_ms, limits.reconnect_max_ms);
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        if shared.stopping() {
            break;
        }
        {
            let mut st = shared.status();
            st.state = ConnState::Connecting;
            st.retry_in_ms = None;
        }
        let (established, error, refusal) = match session(&shared, &connector, &mut shutdown).await
        {
            End::Shutdown => break,
            End::Lost { established, error } => (established, error, None),
            End::Refused {
                established,
                refusal,
            } => (established, refusal.to_string(), Some(refusal)),
        };
        if established {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        let retry_in_ms = delay.as_millis() as u64;
        match &refusal {
            Some(r) => {
                tracing::error!(reason = %r.reason(), %error, retry_in_ms, "certificate refused; hub link down")
            }
            None => tracing::warn!(%error, retry_in_ms, "hub link down"),
        }
        {
            let mut st = shared.status();
            st.state = ConnState::Disconnected;
            st.since = now_ms();
            st.last_error = Some(error);
            if let Some(r) = refusal {
                st.certificate_refused = Some(r.reason());
            }
            st.retry_in_ms = Some(retry_in_ms);
            st.subscribed.clear();
            st.bundle_accepted = None;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = wait_stop(&mut shutdown) => break,
        }
    }
    let mut st = shared.status();
    st.state = ConnState::Stopped;
    st.since = now_ms();
    st.retry_in_ms = None;
}

async fn session(
    shared: &Arc<Shared>,
    connector: &Connector,
    shutdown: &mut watch::Receiver<bool>,
) -> End {
    let lost = |error: String| End::Lost {
        established: false,
        error,
    };
    let limits = &shared.config.limits;
    let connect_timeout = Duration::from_millis(limits.connect_timeout_ms);
    let addr = match resolve(&shared.config.hub_addr).await {
        Ok(a) => a,
        Err(e) => return lost(e),
    };
    let target = HubTarget {
        addr,
        server_name: shared.config.hub_server_name.clone(),
    };
    let connecting = tokio::time::timeout(connect_timeout, connector.connect(&target));
    let mut s = tokio::select! {
        r = connecting => match r {
            Ok(Ok(s)) => s,
            Ok(Err(ClientError::Refused(refusal))) => {
                return End::Refused { established: false, refusal }
            }
            Ok(Err(e)) => return lost(e.to_string()),
            Err(_) => return lost(format!("no Welcome from {addr} within {connect_timeout:?}")),
        },
        _ = wait_stop(shutdown) => return End::Shutdown,
    };
    let welcome = s.welcome().clone();
    tracing::info!(hub = %addr, role = %welcome.role, grants = welcome.grants.len(), "connected to the hub");

    let setup = async {
        let bundle = shared
            .keys
            .bundle(now_ms())
            .map_err(|e| format!("cannot sign the key bundle: {e}"))?;
        let ack = s
            .publish_bundle(bundle.as_bytes().to_vec())
            .await
            .map_err(|e| e.to_string())?;
        if !ack.accepted {
            tracing::error!(reason = %ack.reason, "the hub refused this node's key bundle; nobody can encrypt to it");
        }
        let sub = s.subscribe(vec![]).await.map_err(|e| e.to_string())?;
        Ok::<_, String>((ack.accepted, sub))
    };
    let (accepted, sub) = match tokio::time::timeout(connect_timeout * 3, setup).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            s.close();
            return lost(e);
        }
        Err(_) => {
            s.close();
            return lost("session setup timed out".into());
        }
    };
    for (c, why) in &sub.refused {
        tracing::warn!(channel = %c, reason = %why, "subscription refused");
    }
    // Lanes appear when the hub first delivers on them; each gets its own task.
    let mut lane_tasks = JoinSet::new();
    let lanes = s.lane_acceptor();
    {
        let mut st = shared.status();
        st.state = ConnState::Connected;
        st.since = now_ms();
        st.last_error = None;
        st.certificate_refused = None;
        st.welcome = Some(welcome);
        st.bundle_accepted = Some(accepted);
        st.subscribed = sub.channels.clone();
        st.refused = sub.refused.clone();
        st.sessions += 1;
        st.last_sync = Some(now_ms());
    }

    let conn = s.connection().clone();
    let mut hub_crls = connector.verifier().reloaded();
    let mut publisher = None;
    let mut scan = outbox::OutboxScan::default();
    let mut ping = tokio::time::interval(Duration::from_millis(limits.ping_interval_ms));
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut retry = tokio::time::interval(Duration::from_millis(limits.outbox_retry_ms));
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    retry.tick().await;
    // After an `unavailable` (the hub cannot store now: a full disk, its audit log),
    // the outbox is tried again after 1 s, doubling up to `outbox_retry_ms`, so that it
    // goes out soon after the hub recovers without every node hammering a hub that
    // has not.
    let mut unavailable = Backoff::new(UNAVAILABLE_RETRY_MS, limits.outbox_retry_ms);
    let mut retry_soon: Option<tokio::time::Instant> = None;
    let mut nonce = 0u64;
    let mut more = true;
    let end = loop {
        if shared.stopping() {
            break End::Shutdown;
        }
        if more {
            more = match outbox::pass(shared, &mut s, &mut publisher, &mut scan).await {
                Ok(m) => m,
                Err(OutboxError::Link(e)) => {
                    break End::Lost {
                        established: true,
                        error: e.to_string(),
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "outbox pass failed");
                    false
                }
            };
            if more {
                tokio::task::yield_now().await;
                continue;
            }
            if scan.hub_unavailable() {
                // Passes woken by new messages do not push the pause further out.
                if retry_soon.is_none() {
                    retry_soon = Some(tokio::time::Instant::now() + unavailable.next_delay());
                }
            } else {
                unavailable.reset();
                retry_soon = None;
            }
        }
        tokio::select! {
            _ = wait_stop(shutdown) => break End::Shutdown,
            _ = shared.outbox_wake.notified() => more = true,
            _ = retry.tick() => more = true,
            () = sleep_until_some(retry_soon) => {
                retry_soon = None;
                more = true;
            }
            _ = ping.tick() => {
                nonce = nonce.wrapping_add(1);
                match tokio::time::timeout(connect_timeout, s.ping(nonce)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => break End::Lost { established: true, error: e.to_string() },
                    Err(_) => break End::Lost { established: true, error: "the hub did not answer a ping".into() },
                }
            }
            lane = lanes.accept() => match lane {
                Ok(lane) => {
                    lane_tasks.spawn(lane_task(shared.clone(), lane, shutdown.clone()));
                }
                Err(e) => break End::Lost { established: true, error: e.to_string() },
            },
            r = lane_tasks.join_next(), if !lane_tasks.is_empty() => {
                let error = match r {
                    Some(Ok(Err(e))) => e,
                    Some(Ok(Ok(()))) => "a delivery lane ended".into(),
                    Some(Err(e)) => format!("a delivery lane task failed: {e}"),
                    None => "no delivery lanes".into(),
                };
                break End::Lost { established: true, error };
            }
            e = conn.closed() => break End::closed(&e),
            _ = hub_crls.changed() => {
                // New CRLs: is the hub's certificate still good?
                if let Err(e) = connector.verifier().check_live(&conn, &shared.config.hub_server_name) {
                    break End::Refused { established: true, refusal: refusal::of_hub_certificate_error(&e) };
                }
            }
        }
    };
    if matches!(end, End::Shutdown) {
        // Let each lane finish the batch it is committing and acknowledge it.
        let drain = async { while lane_tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(10), drain)
            .await
            .is_err()
        {
            tracing::warn!("delivery lanes did not stop in time");
        }
    }
    lane_tasks.abort_all();
    s.close();
    end
}

/// Read one lane, commit batches, acknowledge. Returns when shutdown is asked (after
/// the current batch), or with an error when the lane or the store fails.
async fn lane_task(
    shared: Arc<Shared>,
    lane: DeliveryLane,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), String> {
    let batch_max = shared.config.limits.receive_batch;
    let (mut reader, mut acker) = lane.split();
    let (tx, mut rx) = mpsc::channel::<(Deliver, OwnedSemaphorePermit)>(batch_max);
    // Bytes held between the network and the store; a permit is returned once its
    // delivery is committed and acknowledged.
    let budget_bytes = shared.config.limits.receive_buffer_bytes;
    let budget = Arc::new(Semaphore::new(budget_bytes));
    let mut read = tokio::spawn(async move {
        loop {
            match reader.next().await {
                Ok(Some(d)) => {
                    // Larger than the whole budget: taken alone.
                    let bytes = d.envelope.len().clamp(1, budget_bytes);
                    let n = u32::try_from(bytes).unwrap_or(u32::MAX);
                    let Ok(permit) = budget.clone().acquire_many_owned(n).await else {
                        return Ok(());
                    };
                    if tx.send((d, permit)).await.is_err() {
                        return Ok(());
                    }
                }
                Ok(None) => {
                    return Err(ClientError::Lost("the hub finished a delivery lane".into()))
                }
                Err(e) => return Err(e),
            }
        }
    });
    // Two stages: while one batch is being committed (an fsync), the next is verified
    // and opened on every core. Commits stay in delivery order, one at a time, and a
    // batch is acknowledged only once its commit has returned.
    let mut committing: Option<Commit> = None;
    let result = loop {
        let next = match committing.as_mut() {
            // A finished commit is settled first, so acknowledgements never wait for the
            // next delivery.
            Some(c) => tokio::select! {
                biased;
                done = &mut c.task => Next::Committed(done),
                d = rx.recv() => Next::Delivery(d),
                _ = wait_stop(&mut shutdown) => Next::Stop,
            },
            None => tokio::select! {
                d = rx.recv() => Next::Delivery(d),
                _ = wait_stop(&mut shutdown) => Next::Stop,
            },
        };
        let first = match next {
            Next::Stop => break Ok(()),
            Next::Committed(done) => {
                if let Some(c) = committing.take() {
                    if let Err(e) = settle(&shared, &mut acker, done, c.acks).await {
                        break Err(e);
                    }
                }
                continue;
            }
            Next::Delivery(d) => d,
        };
        let Some((first, mut held)) = first else {
            break match (&mut read).await {
                Ok(Err(e)) => Err(e.to_string()),
                Ok(Ok(())) => Ok(()),
                Err(e) => Err(format!("lane reader failed: {e}")),
            };
        };
        let mut batch = vec![first];
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok((d, permit)) => {
                    batch.push(d);
                    held.merge(permit);
                }
                Err(_) => break,
            }
        }
        let acks: Vec<_> = batch.iter().map(|d| (d.channel.clone(), d.seq)).collect();
        let items = match blocking(&shared, move |s| verify_batch(s, &batch)).await {
            Ok(Ok(items)) => items,
            Ok(Err(e)) => break Err(e),
            Err(e) => break Err(e),
        };
        if let Some(previous) = committing.take() {
            let done = previous.task.await;
            if let Err(e) = settle(&shared, &mut acker, done, previous.acks).await {
                break Err(e);
            }
            drop(previous.held);
        }
        let shared2 = shared.clone();
        committing = Some(Commit {
            task: tokio::task::spawn_blocking(move || shared2.store.commit_received(items)),
            acks,
            held,
        });
    };
    // What was verified is committed and acknowledged before the lane ends.
    let result = match committing.take() {
        Some(last) => match settle(&shared, &mut acker, last.task.await, last.acks).await {
            Ok(()) => result,
            Err(e) => result.and(Err(e)),
        },
        None => result,
    };
    read.abort();
    result
}

type Committed = Result<Vec<CommitOutcome>, crate::store::StoreError>;

/// A batch being committed, the deliveries to acknowledge once it is, and the bytes of
/// the receive budget it holds until then.
struct Commit {
    task: tokio::task::JoinHandle<Committed>,
    acks: Vec<(ChannelName, u64)>,
    held: OwnedSemaphorePermit,
}

/// What a lane waits for.
enum Next {
    Delivery(Option<(Deliver, OwnedSemaphorePermit)>),
    Committed(Result<Committed, tokio::task::JoinError>),
    Stop,
}

/// Verify, open and validate a batch on every core; the results keep the delivery order.
fn verify_batch(s: &Shared, batch: &[Deliver]) -> Result<Vec<Received>, String> {
    let trust = s.keys.trust();
    let r = Receiver {
        me: &s.keys.identity,
        kem: &s.keys.kem,
        trust: &trust,
        header_limits: HeaderLimits::default(),
        body_limits: cordon_common::msg::Limits::default(),
        receipt_lifetime_ms: s.config.limits.receipt_lifetime_hours * 3_600_000,
    };
    let now = now_ms();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = batch.len().div_ceil(workers).max(16);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| {
                let r = &r;
                scope.spawn(move || r.process_many(part, now))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    })
    .map(|parts| parts.into_iter().flatten().collect())
    .map_err(|_| "a verification thread panicked".to_owned())
}

/// Wait for a batch's commit, then acknowledge its deliveries and wake who waits for
/// new inbox messages and queued receipts.
async fn settle(
    shared: &Shared,
    acker: &mut LaneAcker,
    done: Result<Committed, tokio::task::JoinError>,
    acks: Vec<(ChannelName, u64)>,
) -> Result<(), String> {
    let outcomes = match done {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(format!("cannot store deliveries: {e}")),
        Err(e) => return Err(format!("background task failed: {e}")),
    };
    let mut failed = None;
    for (channel, seq) in &acks {
        if let Err(e) = acker.ack(channel, *seq).await {
            failed = Some(e.to_string());
            break;
        }
    }
    if outcomes.contains(&CommitOutcome::Receipt) {
        shared.receipts_seen.send_modify(|n| *n = n.wrapping_add(1));
    }
    if let Some(head) = outcomes.iter().rev().find_map(|o| match o {
        CommitOutcome::Stored(seq) => Some(*seq),
        _ => None,
    }) {
        shared.inbox_head.send_replace(head);
        // Delivered receipts were queued with the messages.
        shared.outbox_wake.notify_one();
    }
    shared.synced();
    failed.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let mut b = Backoff::new(500, 4_000);
        let lows: Vec<u64> = (0..6).map(|_| b.next_with(0).as_millis() as u64).collect();
        assert_eq!(lows, [250, 500, 1_000, 2_000, 2_000, 2_000]);
        let mut b = Backoff::new(500, 4_000);
        let highs: Vec<u64> = (0..5)
            .map(|_| b.next_with(u32::MAX).as_millis() as u64)
            .collect();
        for (h, cap) in highs.iter().zip([500u64, 1_000, 2_000, 4_000, 4_000]) {
            assert!(*h <= cap && *h >= cap / 2, "{h} vs {cap}");
        }
        b.reset();
        assert!(b.next_with(7).as_millis() <= 500);
    }
}
