//! The hub's path to the audit log: events are queued (bounded) and written by a
//! background task that appends, fsyncs every 100 ms, and records the log's head in the
//! store (through the group committer, riding along with the next commit) so that a
//! truncated tail is detectable by `cordon-hub audit verify`.
//!
//! If the log cannot be written (disk full, I/O error), the sink says so
//! ([`AuditSink::writable`]): the hub then refuses publishes rather than run without its
//! trail, logs the error once and sets the `cordon_audit_writable` gauge to 0. Nothing is
//! dropped meanwhile: the records the log could not write stay in it, the events that
//! arrive are held here (at most [`HELD`]; beyond that, [`AuditSink::record`] waits), and
//! every [`RETRY_EVERY`] the writer tries [`AuditLog::recover`]. Once that succeeds the
//! held events are written, the gauge is 1 again and publishes are taken.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::mpsc;

use crate::audit::{AuditError, AuditEvent, AuditHead, AuditLog};
use crate::store::{GroupCommitter, Store};

/// Key of the audit head in the store's meta table.
pub const AUDIT_HEAD_KEY: &str = "audit_head";

const FLUSH_AT: usize = 4096;

/// Events held while the log cannot be written; beyond this the writer stops taking
/// events and [`AuditSink::record`] waits.
pub const HELD: usize = 16_384;

/// How often the writer tries to write a failed log again.
pub const RETRY_EVERY: Duration = Duration::from_millis(500);

/// Where hub components send audit events.
#[derive(Debug, Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditEvent>,
    health: Arc<Health>,
}

/// Whether the log can still be written, mirrored in a gauge.
#[derive(Debug)]
struct Health {
    failed: AtomicBool,
    gauge: Gauge,
}

impl Health {
    /// Note a failed write or sync; the first one is logged and turns the gauge to 0.
    fn failed(&self, err: &crate::audit::AuditError) {
        if !self.failed.swap(true, Ordering::SeqCst) {
            self.gauge.set(0);
            tracing::error!(error = %err,
                "the audit log cannot be written: publishes are refused until it can; the hub \
                 tries again every 0.5 s, keeping the records (free disk space, check the file \
                 system)");
        }
    }

    /// Note that the log was written again after a failure.
    fn recovered(&self) {
        if self.failed.swap(false, Ordering::SeqCst) {
            self.gauge.set(1);
            tracing::info!("the audit log is written again; publishes are taken again");
        }
    }
}

impl AuditSink {
    /// Whether the audit log can be written. False from a failed write until the writer
    /// has written the log again.
    pub fn writable(&self) -> bool {
        !self.health.failed.load(Ordering::SeqCst)
    }

    /// Record an event; waits if the queue is full (the audit log is never skipped).
    pub async fn record(&self, event: AuditEvent) {
        if self.tx.send(event).await.is_err() {
            tracing::error!("audit log writer has stopped; event lost");
        }
    }
}

/// The audit head recorded in `store`, if any.
pub fn recorded_head(store: &dyn Store) -> Result<Option<AuditHead>, String> {
    let Some(bytes) = store
        .meta_value(AUDIT_HEAD_KEY)
        .map_err(|e| format!("cannot read the recorded audit head: {e}"))?
    else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    text.parse()
        .map(Some)
        .map_err(|e| format!("the audit head recorded in the store is unreadable: {e}"))
}

/// At start: refuse a log that no longer holds the head recorded in `store`, or, when the
/// operator accepted that (`accept`), return the event that audits it. A store with no
/// recorded head (a new hub) accepts any log.
pub fn check_recorded_head(
    store: &dyn Store,
    log: &mut AuditLog,
    accept: bool,
) -> Result<Option<AuditEvent>, String> {
    let Some(recorded) = recorded_head(store)? else {
        return Ok(None);
    };
    match log.check_recorded_head(&recorded) {
        Ok(()) => Ok(None),
        Err(e @ (AuditError::Shortened { .. } | AuditError::Rewritten { .. })) if accept => {
            let found = log.head();
            tracing::warn!(error = %e, "starting on a shortened audit log, as the operator asked");
            Ok(Some(AuditEvent::AuditLogShortened {
                recorded_seq: recorded.seq,
                recorded_hash: recorded.hash.to_hex(),
                found_seq: found.seq,
                found_hash: found.hash.to_hex(),
                reason: e.to_string(),
            }))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Start the writer. It stops (after a final sync) when every sink is dropped. `writable`
/// is set to 1 now and to 0 when a write fails.
pub fn start(
    log: AuditLog,
    committer: GroupCommitter,
    queue: usize,
    writable: Gauge,
) -> (AuditSink, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<AuditEvent>(queue.max(16));
    writable.set(1);
    let health = Arc::new(Health {
        failed: AtomicBool::new(false),
        gauge: writable,
    });
    let sink = AuditSink {
        tx,
        health: health.clone(),
    };
    let log = Arc::new(Mutex::new(log));
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut pending: Vec<AuditEvent> = Vec::new();
        let mut open = true;
        // While the log cannot be written: when to try again.
        let mut retry: Option<Instant> = None;
        loop {
            // Events are held while the log is failed, up to HELD; then nothing more is
            // taken, so `record` waits rather than an event being lost.
            let take = open && (retry.is_none() || pending.len() < HELD);
            // Gather events; write them on the tick, or at once when many are waiting.
            tokio::select! {
                ev = rx.recv(), if take => match ev {
                    Some(e) => {
                        pending.push(e);
                        let limit = if retry.is_some() { HELD } else { FLUSH_AT };
                        while pending.len() < limit {
                            match rx.try_recv() {
                                Ok(e) => pending.push(e),
                                Err(_) => break,
                            }
                        }
                        if pending.len() < FLUSH_AT || retry.is_some() {
                            continue;
                        }
                    }
                    None => open = false,
                },
                _ = tick.tick() => {}
            }
            if retry.is_some_and(|at| Instant::now() < at) && open {
                continue;
            }
            if pending.is_empty() && retry.is_none() && open {
                continue;
            }
            let batch = std::mem::take(&mut pending);
            let (log, health) = (log.clone(), health.clone());
            let done = tokio::task::spawn_blocking(move || {
                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                write(&mut log, &health, batch)
            })
            .await;
            match done {
                Ok(Written { head, held }) => {
                    pending = held;
                    retry = head.is_none().then(|| Instant::now() + RETRY_EVERY);
                    if let Some(head) = head {
                        let head = format!("{} {}", head.seq, head.hash);
                        if let Err(err) =
                            committer.set_value(AUDIT_HEAD_KEY, head.into_bytes()).await
                        {
                            tracing::error!(error = %err, "cannot record the audit head");
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "audit writer task failed"),
            }
            if !open {
                if !pending.is_empty() {
                    tracing::error!(
                        events = pending.len(),
                        "the hub stops with audit events its log could not take"
                    );
                }
                break;
            }
        }
    });
    (sink, task)
}

/// What [`write`] did.
struct Written {
    /// The durable head, if the log was written and synced.
    head: Option<AuditHead>,
    /// Events not appended because the log is failed: to be written once it recovers.
    held: Vec<AuditEvent>,
}

/// Append `batch` to the log and sync it; first, if the log has failed, try to write it
/// again ([`AuditLog::recover`]).
fn write(log: &mut AuditLog, health: &Health, batch: Vec<AuditEvent>) -> Written {
    if log.failed() && log.recover().is_err() {
        return Written {
            head: None,
            held: batch,
        };
    }
    let mut held = Vec::new();
    for e in batch {
        // An append that fills the buffer syncs; if that fails, the record is kept by
        // the log and the events after it are held here.
        if log.failed() {
            held.push(e);
            continue;
        }
        if let Err(err) = log.append(e) {
            // Not appended: too large or not encodable (the log's own failures are
            // caught above). Nothing to retry.
            tracing::error!(error = %err, "audit event cannot be recorded");
        }
    }
    match log.sync() {
        Ok(head) => {
            health.recovered();
            Written {
                head: Some(head),
                held,
            }
        }
        Err(err) => {
            health.failed(&err);
            Written { head: None, held }
        }
    }
}
