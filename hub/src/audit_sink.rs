//! The hub's path to the audit log: events are queued (bounded) and written by a
//! background task that appends, fsyncs every 100 ms, and records the log's head in the
//! store (through the group committer, riding along with the next commit) so that a
//! truncated tail is detectable by `cordon-hub audit verify`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

impl AuditSink {
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

/// Start the writer. It stops (after a final sync) when every sink is dropped.
pub fn start(
    log: AuditLog,
    committer: GroupCommitter,
    queue: usize,
) -> (AuditSink, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<AuditEvent>(queue.max(16));
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
            let log = log.clone();
            let done = tokio::task::spawn_blocking(move || {
                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                for e in batch {
                    if let Err(err) = log.append(e) {
                        tracing::error!(error = %err, "audit append failed");
                    }
                }
                match log.sync() {
                    Ok(head) => Some(format!("{} {}", head.seq, head.hash)),
                    Err(err) => {
                        tracing::error!(error = %err, "audit sync failed");
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
    (AuditSink { tx }, task)
}
