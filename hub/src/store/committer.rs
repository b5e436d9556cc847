//! Group commit: one thread owns the store's writes. Publishers queue messages (and
//! delivery tasks queue cursor moves) on a bounded queue; the thread takes everything
//! waiting, up to `max_batch` messages, writes it in one durable transaction, and only
//! then answers each waiter. Under load one fsync covers hundreds of messages; when idle
//! a lone message is committed at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::{CommitOutcome, CursorUpdate, NewMessage, Store, StoreError};

/// Called after each durable commit with the number of messages and the time taken.
pub type CommitObserver = Arc<dyn Fn(usize, Duration) + Send + Sync>;

/// Group-commit settings.
#[derive(Debug, Clone, Copy)]
pub struct CommitConfig {
    /// Most messages in one transaction.
    pub max_batch: usize,
    /// Requests waiting before publishers wait (back-pressure).
    pub queue_depth: usize,
}

enum Request {
    Message(
        NewMessage,
        oneshot::Sender<Result<CommitOutcome, StoreError>>,
    ),
    Cursors(Vec<CursorUpdate>, oneshot::Sender<Result<(), StoreError>>),
}

/// The handle publishers and delivery lanes use. Dropping every handle stops the thread
/// after it has committed what was queued.
#[derive(Debug, Clone)]
pub struct GroupCommitter {
    tx: mpsc::Sender<Request>,
}

/// A failed batch fails every request in it; each waiter gets its own copy.
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::QuotaExceeded { quota, size } => StoreError::QuotaExceeded {
            quota: *quota,
            size: *size,
        },
        StoreError::Stopped => StoreError::Stopped,
        other => StoreError::Db(other.to_string()),
    }
}

impl GroupCommitter {
    /// Start the committer thread over `store`.
    pub fn start(
        store: Arc<dyn Store>,
        config: CommitConfig,
        observer: Option<CommitObserver>,
    ) -> (Self, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        let max_batch = config.max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("cordon-commit".into())
            .spawn(move || run(store, rx, max_batch, observer));
        match thread {
            Ok(t) => (Self { tx }, t),
            // Without a thread nothing can be stored; every commit answers `Stopped`.
            Err(e) => {
                tracing::error!(error = %e, "cannot start the committer thread");
                let (tx, _) = mpsc::channel(1);
                (Self { tx }, std::thread::spawn(|| {}))
            }
        }
    }

    /// Queue one message for the next durable commit, keeping the order of calls; the
    /// returned [`PendingCommit`] resolves once it is on disk (or refused).
    pub async fn enqueue(&self, message: NewMessage) -> Result<PendingCommit, StoreError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Request::Message(message, done))
            .await
            .map_err(|_| StoreError::Stopped)?;
        Ok(PendingCommit(wait))
    }

    /// Store one message durably; returns once it is on disk (or refused).
    pub async fn commit(&self, message: NewMessage) -> Result<CommitOutcome, StoreError> {
        self.enqueue(message).await?.durable().await
    }

    /// Move cursors durably.
    pub async fn set_cursors(&self, updates: Vec<CursorUpdate>) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Request::Cursors(updates, done))
            .await
            .map_err(|_| StoreError::Stopped)?;
        wait.await.map_err(|_| StoreError::Stopped)?
    }
}

/// A message queued for commit.
#[derive(Debug)]
pub struct PendingCommit(oneshot::Receiver<Result<CommitOutcome, StoreError>>);

impl PendingCommit {
    /// Wait until the message is on disk (or refused).
    pub async fn durable(self) -> Result<CommitOutcome, StoreError> {
        self.0.await.map_err(|_| StoreError::Stopped)?
    }
}

fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Request>,
    max_batch: usize,
    observer: Option<CommitObserver>,
) {
    let mut messages = Vec::with_capacity(max_batch);
    let mut message_waiters = Vec::with_capacity(max_batch);
    let mut cursors: Vec<CursorUpdate> = Vec::new();
    let mut cursor_waiters = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(req) = next.take() {
            match req {
                Request::Message(m, w) => {
                    messages.push(m);
                    message_waiters.push(w);
                }
                Request::Cursors(c, w) => {
                    cursors.extend(c);
                    cursor_waiters.push(w);
                }
            }
            if messages.len() < max_batch {
                next = rx.try_recv().ok();
            }
        }
        let started = Instant::now();
        let result = store.commit_batch(&messages, &cursors);
        if let Some(o) = &observer {
            o(messages.len(), started.elapsed());
        }
        match result {
            Ok(outcomes) => {
                for (w, o) in message_waiters.drain(..).zip(outcomes) {
                    let _ = w.send(Ok(o));
                }
                for w in cursor_waiters.drain(..) {
                    let _ = w.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, messages = messages.len(), "durable commit failed");
                for w in message_waiters.drain(..) {
                    let _ = w.send(Err(copy(&e)));
                }
                for w in cursor_waiters.drain(..) {
                    let _ = w.send(Err(copy(&e)));
                }
            }
        }
        // Any waiter left (outcome count mismatch) is answered by dropping its sender.
        message_waiters.clear();
        messages.clear();
        cursors.clear();
    }
}
