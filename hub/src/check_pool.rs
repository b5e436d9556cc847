//! The publish check pool: one thread per core runs the checks of [`crate::publish`] on
//! every publish that is waiting (up to [`MAX_BATCH`] at once), so that under load their
//! Ed25519 signatures are verified together in one batch equation
//! ([`cordon_common::envelope::verify_signatures`], ~22 µs a signature against ring's
//! ~55 µs alone on the development machine). A publish that arrives alone is checked
//! alone, as soon as a thread is free: batching never waits for company.

use std::sync::{Arc, Mutex};

use cordon_common::envelope::{verify_signatures, Header, SignatureCheck, SIGNATURE_CONTEXT};
use cordon_common::wire::PublishAck;
use tokio::sync::{mpsc, oneshot};

use crate::publish;
use crate::state::{now_ms, HubState, Peer};

/// Most publishes one thread checks together.
pub const MAX_BATCH: usize = 64;
/// Publishes waiting for a check thread; more make their streams wait (each stream has
/// at most `limits.publish_inflight` in flight anyway).
const QUEUE_DEPTH: usize = 1024;

/// A checked publish (its header and envelope), or its refusal.
pub type Verdict = Result<(Header, Vec<u8>), PublishAck>;

struct Job {
    state: Arc<HubState>,
    peer: Arc<Peer>,
    envelope: Vec<u8>,
    reply: oneshot::Sender<Verdict>,
}

/// The threads and their queue. The threads end when the pool is dropped.
#[derive(Debug)]
pub struct CheckPool {
    jobs: mpsc::Sender<Job>,
}

impl CheckPool {
    /// Start `threads` check threads (at least one).
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("cordon-check-{i}"))
                .spawn(move || worker(&queue))?;
        }
        Ok(Self { jobs })
    }

    /// Check `envelope` from `peer`. `None` if the pool has stopped.
    pub async fn check(
        &self,
        state: Arc<HubState>,
        peer: Arc<Peer>,
        envelope: Vec<u8>,
    ) -> Option<Verdict> {
        let (reply, verdict) = oneshot::channel();
        let job = Job {
            state,
            peer,
            envelope,
            reply,
        };
        self.jobs.send(job).await.ok()?;
        verdict.await.ok()
    }
}

/// Take whatever waits (at least one, at most [`MAX_BATCH`]) and check it, until the
/// pool is dropped.
fn worker(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let jobs = {
            let Ok(mut queue) = queue.lock() else { return };
            let Some(first) = queue.blocking_recv() else {
                return;
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        // A bug that panics costs its batch (each publish gets an internal-error ack: its
        // reply is dropped), not the thread.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_batch(jobs))).is_err() {
            tracing::error!("a publish check panicked; its batch was refused");
        }
    }
}

fn check_batch(jobs: Vec<Job>) {
    if let Some(first) = jobs.first() {
        first.state.metrics.check_batch.observe(jobs.len() as f64);
    }
    let now = now_ms();
    let pre: Vec<_> = jobs
        .iter()
        .map(|j| publish::pre_check(&j.state, &j.peer, &j.envelope, now))
        .collect();
    // The signatures of those that passed everything else, checked together.
    let inputs: Vec<Option<Vec<u8>>> = pre
        .iter()
        .map(|p| {
            p.as_ref()
                .ok()
                .map(|p| [SIGNATURE_CONTEXT, p.parsed.signed].concat())
        })
        .collect();
    let mut checks = Vec::with_capacity(jobs.len());
    for ((job, p), input) in jobs.iter().zip(&pre).zip(&inputs) {
        if let (Ok(p), Some(input)) = (p, input) {
            checks.push(SignatureCheck {
                key: &job.peer.identity.public_key,
                message: input,
                signature: p.parsed.signature,
            });
        }
    }
    let mut holds = verify_signatures(&checks).into_iter();
    let verdicts: Vec<Result<Header, PublishAck>> = pre
        .into_iter()
        .map(|p| p.and_then(|p| publish::verdict(p, holds.next().unwrap_or(false))))
        .collect();
    for (job, verdict) in jobs.into_iter().zip(verdicts) {
        // A publisher that went away does not need its answer.
        let _ = job.reply.send(verdict.map(|h| (h, job.envelope)));
    }
}
