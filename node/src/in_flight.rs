//! The outgoing messages a publish is under way for. An officer may withdraw a message
//! only while none is (`cancel`): the outbox marks a batch here before it publishes and
//! then drops what was withdrawn in the meantime, and a withdrawal checks here and
//! writes under the same lock, so a message is either withdrawn or published, never
//! both.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use cordon_common::ids::MessageId;

use crate::state::{blocking, Shared};
use crate::store::{SendState, SentRecord};

/// The ids being published now.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<MessageId>>);

impl InFlight {
    /// Hold the set; a withdrawal does its store write while holding it.
    pub fn lock(&self) -> MutexGuard<'_, HashSet<MessageId>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Unmarks its ids when dropped: when the batch is settled, or its session failed.
#[derive(Debug)]
pub struct Claim {
    shared: Arc<Shared>,
    ids: Vec<MessageId>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut set = self.shared.in_flight.lock();
        for id in &self.ids {
            set.remove(id);
        }
    }
}

/// Mark `batch` as being published, then drop from it the messages withdrawn since
/// they were read. Publish only what is left, while the claim lives.
pub async fn claim(
    shared: &Arc<Shared>,
    batch: Vec<SentRecord>,
) -> Result<(Claim, Vec<SentRecord>), String> {
    let ids: Vec<MessageId> = batch.iter().map(|r| r.id).collect();
    shared.in_flight.lock().extend(ids.iter().copied());
    let claim = Claim {
        shared: shared.clone(),
        ids: ids.clone(),
    };
    let withdrawn = blocking(shared, move |s| {
        let mut out = HashSet::new();
        for id in &ids {
            let state = s
                .store
                .sent(id)
                .map_err(|e| e.to_string())?
                .map(|r| r.state);
            if state == Some(SendState::Cancelled) {
                out.insert(*id);
            }
        }
        Ok::<_, String>(out)
    })
    .await??;
    let batch = batch
        .into_iter()
        .filter(|r| !withdrawn.contains(&r.id))
        .collect();
    Ok((claim, batch))
}
