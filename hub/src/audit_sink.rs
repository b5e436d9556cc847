//! The hub's path to the audit log: events are queued (bounded) and written by a
//! background task that appends, fsyncs every 100 ms, and records the log's head in the
//! store (through the group committer, riding along with the next commit) so that a
//! truncated tail is detectable by `cordon-hub audit verify`.
//!
//! If the log cannot be written (disk full, I/O error), the log takes no more records
//! ([`crate::audit::AuditError::Failed`]) and the sink says so ([`AuditSink::writable`]):
//! the hub then refuses publishes rather than run without its trail, logs the error once
//! and sets the `cordon_audit_writable` gauge to 0, until it is restarted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::mpsc;

use crate::audit::{AuditError, AuditEvent, AuditHead, AuditLog};
use crate::store::{GroupCommitter, Store};

/// Key of the audit head in the store's meta table.
pub const AUDIT_HEAD_KEY: &str = "audit_head";

const FLUSH_AT: usize = 4096;

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
                "the audit log cannot be written: publishes are refused from now on; make the \
                 log writable (free disk space, check the file system) and restart the hub");
        }
    }
}

impl AuditSink {
    /// Whether the audit log can still be written. Once a write has failed this stays
    /// false until the hub restarts.
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
        loop {
            // Gather events; write them on the tick, or at once when many are waiting.
            let open = tokio::select! {
                ev = rx.recv() => match ev {
                    Some(e) => {
                        pending.push(e);
                        while pending.len() < FLUSH_AT {
                            match rx.try_recv() {
                                Ok(e) => pending.push(e),
                                Err(_) => break,
                            }
                        }
                        if pending.len() < FLUSH_AT {
                            continue;
                        }
                        true
                    }
                    None => false,
                },
                _ = tick.tick() => true,
            };
            if pending.is_empty() && open {
                continue;
            }
            let batch = std::mem::take(&mut pending);
            let (log, health) = (log.clone(), health.clone());
            let done = tokio::task::spawn_blocking(move || {
                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                for e in batch {
                    if let Err(err) = log.append(e) {
                        health.failed(&err);
                    }
                }
                match log.sync() {
                    Ok(head) => Some(format!("{} {}", head.seq, head.hash)),
                    Err(err) => {
                        health.failed(&err);
                        None
                    }
                }
            })
            .await;
            match done {
                Ok(Some(head)) => {
                    if let Err(err) = committer.set_value(AUDIT_HEAD_KEY, head.into_bytes()).await {
                        tracing::error!(error = %err, "cannot record the audit head");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "audit writer task failed"),
            }
            if !open {
                break;
            }
        }
    });
    (sink, task)
}
