//! Delivery: one stream per priority lane, hub → node, `flash` with the highest stream
//! priority. Each lane sends what is stored after the node's cursors, in order per
//! channel, keeps at most a window of unacknowledged `Deliver` frames (memory stays
//! bounded whatever the backlog), advances cursors on `DeliverAck`, and disconnects a node
//! that stalls: a full window without an acknowledgement, or a write blocked by flow
//! control, for the stall timeout.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::{ChannelName, MessageId};
use cordon_common::quic::{read_frame, write_frame};
use cordon_common::wire::{max_envelope, Deliver, ErrorCode, Frame};
use prometheus_client::metrics::gauge::Gauge;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, error, warn, Instrument};

use crate::audit::AuditEvent;
use crate::metrics::NodeLabel;
use crate::sessions::LaneWakers;
use crate::state::{now_ms, HubState, Peer};
use crate::store::{Lane, LogEntry};

/// How many log entries one read takes.
const READ_BATCH: usize = 64;
/// How often acknowledged cursors are written.
const CURSOR_FLUSH: Duration = Duration::from_millis(200);
/// How long the other lanes of a new session wait for the flash lane to have its
/// backlog acknowledged, so a node that was offline stores its flash messages first.
const FLASH_HEAD_START: Duration = Duration::from_secs(1);

struct ChannelCursor {
    channel: ChannelName,
    /// The log's last position when last read.
    head: u64,
    /// Highest seq whose `Deliver` was written whole, or that was skipped (expired,
    /// purged, undeliverable). A write that fails leaves it where it was.
    sent_upto: u64,
    /// Written and not yet acknowledged.
    outstanding: BTreeSet<u64>,
    /// Last cursor written to the store.
    flushed: u64,
}

impl ChannelCursor {
    /// Everything up to here is acknowledged or skipped: the cursor the store gets. It
    /// never passes a message whose `DeliverAck` has not arrived, so a session that ends
    /// in the middle of a write (closed, replaced, stalled) loses nothing.
    fn cursor(&self) -> u64 {
        self.outstanding.first().map_or(self.sent_upto, |s| s - 1)
    }

    /// `seq` is expired, purged or undeliverable: it counts as acknowledged.
    fn skipped(&mut self, seq: u64) {
        self.sent_upto = seq;
    }

    /// The `Deliver` of `seq` is written: it waits for its acknowledgement.
    fn written(&mut self, seq: u64) {
        self.sent_upto = seq;
        self.outstanding.insert(seq);
    }
}

/// Stored and not yet acknowledged on a lane's channels, as far as the lane has read.
fn unacknowledged(chans: &[ChannelCursor]) -> u64 {
    chans
        .iter()
        .map(|c| c.head.max(c.sent_upto).saturating_sub(c.cursor()))
        .sum()
}

/// A connected node's backlog (stored, not yet acknowledged) per lane, exported as
/// `cordon_backlog{node}`, the sum over its lanes. Once its session ends the gauge keeps
/// its last value until [`crate::backlog`] recomputes it for the node offline.
#[derive(Debug)]
struct Backlog {
    lanes: [AtomicU64; 3],
    gauge: Gauge,
}

impl Backlog {
    fn set(&self, lane: Lane, value: u64) {
        self.lanes[usize::from(lane.as_u8())].store(value, Ordering::Relaxed);
        let total: u64 = self.lanes.iter().map(|l| l.load(Ordering::Relaxed)).sum();
        self.gauge.set(i64::try_from(total).unwrap_or(i64::MAX));
    }
}

/// What a lane shares with its session: the wake-ups for new messages, the backlog, and
/// whether the flash lane has delivered what was waiting when the session began.
struct LaneSignals {
    wakers: Arc<LaneWakers>,
    backlog: Arc<Backlog>,
    flash_done: Arc<watch::Sender<bool>>,
}

impl LaneSignals {
    /// The flash lane has nothing (more) from before the session: the others may start.
    fn flash_done(&self) {
        self.flash_done.send_replace(true);
    }

    /// A lane other than flash waits, before its first delivery, until the flash lane
    /// has delivered and seen acknowledged the flash backlog, at most
    /// [`FLASH_HEAD_START`]: the node then stores flash messages before the rest (it
    /// acknowledges only what it has stored). A flash message published later overtakes
    /// by its stream priority alone.
    async fn after_flash(&self, lane: Lane, conn: &quinn::Connection) {
        if lane == Lane::Flash {
            return;
        }
        let mut done = self.flash_done.subscribe();
        tokio::select! {
            _ = tokio::time::timeout(FLASH_HEAD_START, done.wait_for(|d| *d)) => {}
            _ = conn.closed() => {}
        }
    }
}

/// Why a lane ended.
#[derive(Debug)]
pub enum LaneEnd {
    /// The connection or stream closed.
    Closed,
    /// The node stopped acknowledging with a full window.
    Stalled,
    /// The node stopped reading: one write stayed blocked (QUIC flow control) for the
    /// whole stall timeout, before the window could fill.
    WriteStalled,
    /// The node let the hub open no stream for a lane (no bidirectional stream credit)
    /// for the whole stall timeout.
    NoStream,
    /// The node sent something other than `DeliverAck`.
    Protocol(ErrorCode, String),
    /// The store failed.
    Store(String),
}

/// Open the three lanes for `channels` and run them until the connection ends.
pub async fn run_lanes(
    state: Arc<HubState>,
    conn: quinn::Connection,
    peer: Arc<Peer>,
    channels: Vec<ChannelName>,
    wakers: Arc<LaneWakers>,
) {
    let label = NodeLabel {
        node: peer.node_id().to_string(),
    };
    let backlog = Arc::new(Backlog {
        lanes: Default::default(),
        gauge: state.metrics.backlog.get_or_create(&label).clone(),
    });
    let flash_done = Arc::new(watch::Sender::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for lane in [Lane::Flash, Lane::Urgent, Lane::Routine] {
        let (state, conn, peer, channels) =
            (state.clone(), conn.clone(), peer.clone(), channels.clone());
        let signals = LaneSignals {
            wakers: wakers.clone(),
            backlog: backlog.clone(),
            flash_done: flash_done.clone(),
        };
        let span = tracing::info_span!("lane", ?lane);
        tasks.spawn(
            async move {
                let end = lazy_lane(state, conn, peer, lane, channels, signals).await;
                (lane, end)
            }
            .instrument(span),
        );
    }
    // Whichever lane ends first decides; the others end with the connection.
    while let Some(t) = tasks.join_next().await {
        match t {
            Ok((_, LaneEnd::Closed)) | Err(_) => {}
            Ok((lane, end @ (LaneEnd::Stalled | LaneEnd::WriteStalled | LaneEnd::NoStream))) => {
                let reason = match end {
                    LaneEnd::Stalled => "delivery stalled: no acknowledgement with a full window",
                    LaneEnd::WriteStalled => {
                        "delivery stalled: the node stopped reading (a write blocked by flow control)"
                    }
                    _ => "delivery stalled: the node allowed no stream for delivery",
                };
                warn!(?lane, %reason, "disconnecting");
                state
                    .audit
                    .record(AuditEvent::Disconnected {
                        node: peer.node_id().to_string(),
                        reason: reason.into(),
                    })
                    .await;
                conn.close(ErrorCode::Timeout.as_u16().into(), b"delivery stalled");
            }
            Ok((lane, LaneEnd::Protocol(code, why))) => {
                warn!(?lane, %why, "protocol error on a delivery lane");
                conn.close(code.as_u16().into(), why.as_bytes());
            }
            Ok((lane, LaneEnd::Store(why))) => {
                warn!(?lane, %why, "store error on a delivery lane");
                conn.close(ErrorCode::Internal.as_u16().into(), b"hub storage error");
            }
        }
    }
}

/// A lane that starts when it first has something to send: until then it is a small
/// task waiting for its wake-up, with no stream and no state, which is most of what an
/// idle subscribed node costs the hub (`docs/PERFORMANCE.md`, memory per connection).
async fn lazy_lane(
    state: Arc<HubState>,
    conn: quinn::Connection,
    peer: Arc<Peer>,
    lane: Lane,
    channels: Vec<ChannelName>,
    signals: LaneSignals,
) -> LaneEnd {
    // Wake-ups are `notify_one`: one sent before this waits is kept, none is lost.
    loop {
        match has_backlog(&state, &peer, lane, &channels).await {
            Ok(true) => break,
            Ok(false) if lane == Lane::Flash => signals.flash_done(),
            Ok(false) => {}
            Err(e) => {
                signals.flash_done();
                return LaneEnd::Store(e);
            }
        }
        tokio::select! {
            () = signals.wakers.lane(lane).notified() => {}
            _ = conn.closed() => return LaneEnd::Closed,
        }
    }
    signals.after_flash(lane, &conn).await;
    // The node grants the streams (QUIC stream credit): one that grants none for the
    // stall timeout is treated as a stalled node, not waited on for ever.
    let stall_timeout = state.config.limits.stall_timeout();
    let (send, recv) = match tokio::time::timeout(stall_timeout, conn.open_bi()).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => return LaneEnd::Closed,
        Err(_) => return LaneEnd::NoStream,
    };
    let prio = match lane {
        Lane::Flash => 2,
        Lane::Urgent => 1,
        Lane::Routine => 0,
    };
    if let Err(e) = send.set_priority(prio) {
        debug!(error = %e, "could not set the lane's stream priority");
    }
    // Boxed: the running lane's state is allocated only now.
    Box::pin(run_lane(state, peer, lane, channels, signals, send, recv)).await
}

/// Whether any of `channels` holds, in `lane`, entries after the node's cursor.
async fn has_backlog(
    state: &Arc<HubState>,
    peer: &Peer,
    lane: Lane,
    channels: &[ChannelName],
) -> Result<bool, String> {
    let (state, node, channels) = (state.clone(), peer.node_id().clone(), channels.to_vec());
    tokio::task::spawn_blocking(move || {
        for c in &channels {
            let head = state.store.log_head(c, lane).map_err(|e| e.to_string())?;
            let cursor = state.store.cursor(&node, c, lane);
            if head > cursor.map_err(|e| e.to_string())? {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await
    .map_err(|e| e.to_string())?
}

/// What one round of reads found, per channel read (its index in the lane): the log's
/// last position, and the entries read with their envelopes (`None` when purged).
type Round = Vec<(usize, u64, Vec<(LogEntry, Option<Vec<u8>>)>)>;

/// One round over some of a lane's channels on the blocking pool, in one hand-off: for
/// each (index, channel, sent up to), its head and up to `take` entries after what was
/// sent, with their envelopes. One hand-off rather than one per channel: every thread
/// wake-up on the way to a node adds to the delivery tail.
async fn read_round(
    state: &Arc<HubState>,
    lane: Lane,
    chans: Vec<(usize, ChannelName, u64)>,
    take: usize,
) -> Result<Round, String> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut round = Round::with_capacity(chans.len());
        for (index, channel, sent_upto) in &chans {
            let head = state
                .store
                .log_head(channel, lane)
                .map_err(|e| e.to_string())?;
            let entries = state
                .store
                .read_log(channel, lane, *sent_upto, take)
                .map_err(|e| e.to_string())?;
            let batch = entries
                .into_iter()
                .map(|e| {
                    let env = state.store.envelope(&e.id).map_err(|e| e.to_string())?;
                    Ok((e, env))
                })
                .collect::<Result<Vec<_>, String>>()?;
            round.push((*index, head, batch));
        }
        Ok(round)
    })
    .await
    .map_err(|e| e.to_string())?
}

#[allow(clippy::too_many_lines)]
async fn run_lane(
    state: Arc<HubState>,
    peer: Arc<Peer>,
    lane: Lane,
    channels: Vec<ChannelName>,
    signals: LaneSignals,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) -> LaneEnd {
    let LaneSignals {
        wakers,
        backlog,
        flash_done,
    } = signals;
    let max_frame = state.config.limits.max_frame;
    let window = state.config.limits.delivery_window;
    let stall_timeout = state.config.limits.stall_timeout();
    let node = peer.node_id().clone();
    // Cursors from the store, in one hand-off.
    let loaded = {
        let (st, n) = (state.clone(), node.clone());
        tokio::task::spawn_blocking(move || {
            channels
                .into_iter()
                .map(|c| st.store.cursor(&n, &c, lane).map(|cur| (c, cur)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
    };
    let mut chans: Vec<ChannelCursor> = match loaded {
        Ok(Ok(v)) => v
            .into_iter()
            .map(|(channel, cur)| ChannelCursor {
                channel,
                head: cur,
                sent_upto: cur,
                outstanding: BTreeSet::new(),
                flushed: cur,
            })
            .collect(),
        Ok(Err(e)) => return LaneEnd::Store(e.to_string()),
        Err(e) => return LaneEnd::Store(e.to_string()),
    };
    let index: HashMap<ChannelName, usize> = chans
        .iter()
        .enumerate()
        .map(|(i, c)| (c.channel.clone(), i))
        .collect();

    // Acknowledgements arrive on the same stream; a small reader task forwards them.
    let (ack_tx, mut ack_rx) = mpsc::channel::<Result<(ChannelName, u64), LaneEnd>>(window.max(1));
    let reader = tokio::spawn(async move {
        loop {
            let item = match read_frame(&mut recv, 64 * 1024).await {
                Ok(Some(Frame::DeliverAck(a))) => Ok((a.channel, a.seq)),
                Ok(Some(other)) => Err(LaneEnd::Protocol(
                    ErrorCode::Protocol,
                    format!("{} frame on a delivery lane", other.name()),
                )),
                Ok(None) => Err(LaneEnd::Closed),
                Err(e) => match e.peer_code() {
                    Some(code) => Err(LaneEnd::Protocol(code, e.to_string())),
                    None => Err(LaneEnd::Closed),
                },
            };
            let stop = item.is_err();
            if ack_tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });

    let mut inflight = 0usize;
    let mut dirty = false;
    let mut need_fill = true;
    let mut window_limited = false;
    // Ids of sent, unacknowledged deliveries (16 bytes each: a full window of them is
    // what an active lane holds besides QUIC's buffers), and of acknowledged ones
    // waiting for their audit records.
    let mut delivered_ids: Vec<(MessageId, ChannelName, u64)> = Vec::new();
    let mut id_of: HashMap<(usize, u64), MessageId> = HashMap::new();
    let mut last_progress = Instant::now();
    let mut flush_at: Option<Instant> = None;
    let mut flushing: Option<tokio::task::JoinHandle<Result<(), String>>> = None;
    let end = 'outer: loop {
        // Arm the waker before looking at the store, so no append is missed.
        let woken = wakers.lane(lane).notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if need_fill {
            need_fill = false;
            // Fill the window, a round of reads at a time over the channels that may
            // have more (all of them at first), sharing one round's budget of
            // READ_BATCH entries: what a round holds in memory stays bounded however
            // many channels the node reads.
            let mut more = vec![true; chans.len()];
            while inflight < window && more.contains(&true) {
                let active = more.iter().filter(|m| **m).count();
                let take = (READ_BATCH.min(window - inflight) / active).max(1);
                let wanted = chans
                    .iter()
                    .enumerate()
                    .filter(|(ci, _)| more[*ci])
                    .map(|(ci, c)| (ci, c.channel.clone(), c.sent_upto))
                    .collect();
                let round = match read_round(&state, lane, wanted, take).await {
                    Ok(r) => r,
                    Err(e) => break 'outer LaneEnd::Store(e),
                };
                let now = now_ms();
                for (ci, head, batch) in round {
                    let Some(ch) = chans.get_mut(ci) else {
                        continue;
                    };
                    ch.head = head;
                    more[ci] = batch.len() >= take;
                    for (entry, env) in batch {
                        if inflight >= window {
                            // Read past a full window: left for the next fill.
                            more[ci] = true;
                            break;
                        }
                        let Some(envelope) = env.filter(|_| entry.expires_at > now) else {
                            // Expired or purged: skipped, counts as acknowledged.
                            ch.skipped(entry.seq);
                            dirty = true;
                            continue;
                        };
                        if envelope.len() > max_envelope(max_frame) {
                            ch.skipped(entry.seq);
                            dirty = true;
                            undeliverable(&state, &node, ch, &entry, envelope.len(), max_frame)
                                .await;
                            continue;
                        }
                        let f = Frame::Deliver(Deliver {
                            channel: ch.channel.clone(),
                            seq: entry.seq,
                            envelope,
                        });
                        // A node that stops reading blocks this write once flow control
                        // is exhausted, before the window fills and while its keep-alives
                        // hold the connection: a write blocked for the stall timeout is a
                        // stall.
                        match tokio::time::timeout(
                            stall_timeout,
                            write_frame(&mut send, &f, max_frame),
                        )
                        .await
                        {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) => break 'outer LaneEnd::Closed,
                            Err(_) => break 'outer LaneEnd::WriteStalled,
                        }
                        state.metrics.deliveries.inc();
                        ch.written(entry.seq);
                        id_of.insert((ci, entry.seq), entry.id);
                        inflight += 1;
                    }
                }
            }
            if inflight >= window && !window_limited {
                // The stall clock starts when the window fills.
                last_progress = Instant::now();
            }
            window_limited = inflight >= window;
            if lane == Lane::Flash && inflight == 0 {
                flash_done.send_replace(true);
            }
            backlog.set(lane, unacknowledged(&chans));
        }
        if dirty && flush_at.is_none() {
            flush_at = Some(Instant::now() + CURSOR_FLUSH);
        }
        let full = inflight >= window;
        let far = Instant::now() + Duration::from_secs(3600);
        let stall = tokio::time::sleep_until(last_progress + stall_timeout);
        let flush_due = tokio::time::sleep_until(flush_at.unwrap_or(far));
        tokio::pin!(stall, flush_due);
        tokio::select! {
            ack = ack_rx.recv() => match ack {
                Some(Ok(first)) => {
                    let mut next = Some(first);
                    // Take every ack already waiting.
                    while let Some((channel, seq)) = next {
                        if let Some(&ci) = index.get(&channel) {
                            if chans[ci].outstanding.remove(&seq) {
                                inflight -= 1;
                                dirty = true;
                                last_progress = Instant::now();
                                if let Some(id) = id_of.remove(&(ci, seq)) {
                                    delivered_ids.push((id, channel, seq));
                                }
                            }
                        }
                        next = match ack_rx.try_recv() {
                            Ok(Ok(a)) => Some(a),
                            Ok(Err(end)) => break 'outer end,
                            Err(_) => None,
                        };
                    }
                    backlog.set(lane, unacknowledged(&chans));
                    if window_limited {
                        need_fill = true;
                    } else if lane == Lane::Flash && inflight == 0 {
                        // Everything the last fill found is acknowledged.
                        flash_done.send_replace(true);
                    }
                    if delivered_ids.len() >= 256 && flushing.as_ref().is_none_or(|f| f.is_finished()) {
                        if let Err(e) = settle_flush(&mut flushing).await {
                            break LaneEnd::Store(e);
                        }
                        flushing = start_flush(&state, &node, lane, &mut chans, &mut delivered_ids);
                        dirty = false;
                        flush_at = None;
                    }
                }
                Some(Err(end)) => break end,
                None => break LaneEnd::Closed,
            },
            _ = &mut woken => need_fill = true,
            _ = &mut flush_due, if flush_at.is_some() => {
                // One flush at a time, so cursor writes land in order.
                if let Err(e) = settle_flush(&mut flushing).await {
                    break LaneEnd::Store(e);
                }
                flushing = start_flush(&state, &node, lane, &mut chans, &mut delivered_ids);
                dirty = false;
                flush_at = None;
            }
            _ = &mut stall, if full => break LaneEnd::Stalled,
        }
    };
    if let Err(e) = settle_flush(&mut flushing).await {
        warn!(?lane, error = %e, "cursor flush failed");
    }
    if let Err(e) = flush(&state, &node, lane, &mut chans, &mut delivered_ids).await {
        warn!(?lane, error = %e, "final cursor flush failed");
    }
    reader.abort();
    debug!(?lane, "lane ended");
    end
}

/// Say loudly that `entry` is skipped for `node`: an envelope of `size` bytes stored under
/// a larger `max_frame` than the hub now has, which no `Deliver` frame can carry. (The
/// publish check refuses such envelopes; this is what is left after lowering
/// `max_frame`.) Skipped rather than retried, which would end the lane at every attempt
/// and hold up every message behind it.
async fn undeliverable(
    state: &HubState,
    node: &cordon_common::ids::NodeId,
    ch: &ChannelCursor,
    entry: &LogEntry,
    size: usize,
    max_frame: usize,
) {
    let reason = format!(
        "envelope of {size} bytes is larger than a Deliver frame carries under max_frame \
         {max_frame} ({} bytes); raise limits.max_frame to deliver such messages",
        max_envelope(max_frame)
    );
    error!(id = %entry.id, %node, channel = %ch.channel, seq = entry.seq, %reason, "message not delivered");
    state
        .audit
        .record(AuditEvent::Undeliverable {
            id: entry.id.to_string(),
            node: node.to_string(),
            channel: ch.channel.to_string(),
            seq: entry.seq,
            size: size as u64,
            reason,
        })
        .await;
}

/// Write the cursors that moved and audit the deliveries acknowledged since last time.
async fn flush(
    state: &Arc<HubState>,
    node: &cordon_common::ids::NodeId,
    lane: Lane,
    chans: &mut [ChannelCursor],
    delivered: &mut Vec<(MessageId, ChannelName, u64)>,
) -> Result<(), String> {
    match start_flush(state, node, lane, chans, delivered) {
        Some(task) => task.await.map_err(|e| e.to_string())?,
        None => Ok(()),
    }
}

/// Wait for the flush in flight, if any, and say how it went.
async fn settle_flush(
    flushing: &mut Option<tokio::task::JoinHandle<Result<(), String>>>,
) -> Result<(), String> {
    match flushing.take() {
        Some(task) => task.await.map_err(|e| e.to_string())?,
        None => Ok(()),
    }
}

/// Take what [`flush`] writes and write it in a task of its own, so the lane goes on
/// delivering meanwhile (a commit and a burst of audit records would otherwise hold up
/// every message behind them). `None` when there is nothing to write.
fn start_flush(
    state: &Arc<HubState>,
    node: &cordon_common::ids::NodeId,
    lane: Lane,
    chans: &mut [ChannelCursor],
    delivered: &mut Vec<(MessageId, ChannelName, u64)>,
) -> Option<tokio::task::JoinHandle<Result<(), String>>> {
    let updates: Vec<_> = chans
        .iter()
        .filter(|c| c.cursor() > c.flushed)
        .map(|c| (node.clone(), c.channel.clone(), lane, c.cursor()))
        .collect();
    if updates.is_empty() && delivered.is_empty() {
        return None;
    }
    for c in chans.iter_mut() {
        c.flushed = c.flushed.max(c.cursor());
    }
    let delivered = std::mem::take(delivered);
    let (state, node) = (state.clone(), node.to_string());
    Some(tokio::spawn(async move {
        if !updates.is_empty() {
            state
                .committer
                .set_cursors(updates)
                .await
                .map_err(|e| e.to_string())?;
        }
        for (id, channel, seq) in delivered {
            state
                .audit
                .record(AuditEvent::Delivered {
                    id: id.to_string(),
                    node: node.clone(),
                    channel: channel.to_string(),
                    seq,
                })
                .await;
        }
        Ok(())
    }))
}
