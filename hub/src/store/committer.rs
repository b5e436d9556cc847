//! Group commit: one thread owns the store's writes. Publishers queue messages (and
//! delivery tasks queue cursor moves) on a bounded queue; the thread takes everything
//! waiting, up to `max_batch` messages, writes it in one durable transaction, and only
//! then answers each waiter. Under load one fsync covers hundreds of messages; when idle
//! a lone message is committed at once.
//!
//! Cursor moves and named values (the audit head) are *lazy*: nobody waits on them for
//! long, so they ride along with the next message commit, or are committed on their own
//! [`LAZY_WRITE_DELAY`] after the first of them arrived. A message never waits behind a
//! commit that carries no message while messages are flowing (docs/PERFORMANCE.md).
//!
//! A store that has met an I/O error ([`Store::failed`]: a full disk) is reopened by this
//! thread, every [`REOPEN_EVERY`] while it is failed and before a commit, so that the hub
//! stores again by itself once the disk takes writes; meanwhile commits fail and the hub
//! answers publishes `unavailable` (docs/RELIABILITY.md).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::{CommitOutcome, CursorUpdate, NewMessage, Store, StoreError, ValueUpdate};

/// Longest a lazy write (cursor move, named value) waits for a message commit to ride
/// along with before it is committed on its own: the hub's setting.
pub const LAZY_WRITE_DELAY: Duration = Duration::from_millis(100);

/// Called after each durable commit with the number of messages and the time taken.
pub type CommitObserver = Arc<dyn Fn(usize, Duration) + Send + Sync>;

/// Group-commit settings.
#[derive(Debug, Clone, Copy)]
pub struct CommitConfig {
    /// Most messages in one transaction.
    pub max_batch: usize,
    /// Requests waiting before publishers wait (back-pressure).
    pub queue_depth: usize,
    /// Longest a lazy write waits for a message commit (normally [`LAZY_WRITE_DELAY`]).
    pub lazy_delay: Duration,
}

enum Request {
    Message(
        NewMessage,
        oneshot::Sender<Result<CommitOutcome, StoreError>>,
    ),
    Cursors(Vec<CursorUpdate>, oneshot::Sender<Result<(), StoreError>>),
    Value(ValueUpdate),
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
        StoreError::Io(e) => StoreError::Io(e.clone()),
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
        let thread = std::thread::Builder::new()
            .name("cordon-commit".into())
            .spawn(move || run(store, rx, config, observer));
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

    /// Set a named value (the audit head) in a coming commit, within
    /// [`LAZY_WRITE_DELAY`]; of several values for one key the last is kept. Does not wait
    /// for the commit.
    pub async fn set_value(&self, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        self.tx
            .send(Request::Value((key.to_owned(), value)))
            .await
            .map_err(|_| StoreError::Stopped)
    }

    /// Move cursors durably, in a coming commit (within [`LAZY_WRITE_DELAY`]).
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

/// What the next commit carries.
#[derive(Default)]
struct Batch {
    messages: Vec<NewMessage>,
    message_waiters: Vec<oneshot::Sender<Result<CommitOutcome, StoreError>>>,
    cursors: Vec<CursorUpdate>,
    cursor_waiters: Vec<oneshot::Sender<Result<(), StoreError>>>,
    values: HashMap<String, Vec<u8>>,
}

impl Batch {
    fn add(&mut self, req: Request) {
        match req {
            Request::Message(m, w) => {
                self.messages.push(m);
                self.message_waiters.push(w);
            }
            Request::Cursors(c, w) => {
                self.cursors.extend(c);
                self.cursor_waiters.push(w);
            }
            Request::Value((k, v)) => {
                self.values.insert(k, v);
            }
        }
    }

    fn has_lazy(&self) -> bool {
        !self.cursors.is_empty() || !self.cursor_waiters.is_empty() || !self.values.is_empty()
    }

    fn commit(&mut self, store: &dyn Store, observer: Option<&CommitObserver>) {
        let values: Vec<ValueUpdate> = self.values.drain().collect();
        let started = Instant::now();
        let result = store.commit_batch(&self.messages, &self.cursors, &values);
        if let Some(o) = observer {
            o(self.messages.len(), started.elapsed());
        }
        match result {
            Ok(outcomes) => {
                for (w, o) in self.message_waiters.drain(..).zip(outcomes) {
                    let _ = w.send(Ok(o));
                }
                for w in self.cursor_waiters.drain(..) {
                    let _ = w.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, messages = self.messages.len(), "durable commit failed");
                for w in self.message_waiters.drain(..) {
                    let _ = w.send(Err(copy(&e)));
                }
                for w in self.cursor_waiters.drain(..) {
                    let _ = w.send(Err(copy(&e)));
                }
            }
        }
        // Any waiter left (outcome count mismatch) is answered by dropping its sender.
        self.message_waiters.clear();
        self.messages.clear();
        self.cursors.clear();
    }
}

/// The committer thread: a small runtime of its own, so it can wait for requests with a
/// deadline; the commits themselves block this thread, which is what it is for.
fn run(
    store: Arc<dyn Store>,
    rx: mpsc::Receiver<Request>,
    config: CommitConfig,
    observer: Option<CommitObserver>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the committer's runtime");
            return;
        }
    };
    rt.block_on(commit_loop(store, rx, config, observer));
}

/// Tries to reopen a failed store no more often than this, on a timer and before a
/// commit.
pub const REOPEN_EVERY: Duration = Duration::from_millis(500);

/// Reopens a store that has met an I/O error ([`Store::failed`]), at most once per
/// [`REOPEN_EVERY`].
struct Reopener {
    next: tokio::time::Instant,
}

impl Reopener {
    /// When to try next, if the store needs it.
    fn due(&self, store: &dyn Store) -> Option<tokio::time::Instant> {
        store.failed().then_some(self.next)
    }

    /// Try now if the store needs it and the last try is long enough ago.
    fn try_now(&mut self, store: &dyn Store) {
        let now = tokio::time::Instant::now();
        if !store.failed() || now < self.next {
            return;
        }
        self.next = now + REOPEN_EVERY;
        if let Err(e) = store.reopen() {
            tracing::debug!(error = %e, "the store cannot be opened again yet");
        }
    }
}

async fn commit_loop(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Request>,
    config: CommitConfig,
    observer: Option<CommitObserver>,
) {
    let max_batch = config.max_batch.max(1);
    let mut batch = Batch::default();
    // When the lazy writes waiting must be committed, message or not.
    let mut lazy_due: Option<tokio::time::Instant> = None;
    let mut reopener = Reopener {
        next: tokio::time::Instant::now(),
    };
    loop {
        let due = lazy_due
            .into_iter()
            .chain(reopener.due(store.as_ref()))
            .min();
        let next = match due {
            None => rx.recv().await,
            Some(due) => match tokio::time::timeout_at(due, rx.recv()).await {
                Ok(r) => r,
                Err(_) => {
                    // A failed store is probed on this timer, with or without requests.
                    reopener.try_now(store.as_ref());
                    if lazy_due.is_some_and(|d| d <= tokio::time::Instant::now()) {
                        batch.commit(store.as_ref(), observer.as_ref());
                        lazy_due = None;
                    }
                    continue;
                }
            },
        };
        let Some(first) = next else { break };
        batch.add(first);
        // Take everything already waiting, up to a full batch of messages.
        while batch.messages.len() < max_batch {
            match rx.try_recv() {
                Ok(req) => batch.add(req),
                Err(_) => break,
            }
        }
        if !batch.messages.is_empty() {
            reopener.try_now(store.as_ref());
            batch.commit(store.as_ref(), observer.as_ref());
            lazy_due = None;
        } else if batch.has_lazy() && lazy_due.is_none() {
            lazy_due = Some(tokio::time::Instant::now() + config.lazy_delay);
        }
    }
    // Every handle is gone: commit what is left.
    if batch.has_lazy() {
        reopener.try_now(store.as_ref());
        batch.commit(store.as_ref(), observer.as_ref());
    }
}
