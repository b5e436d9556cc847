//! Reading a test hub's audit log: the events written so far, and waiting (polling, with
//! a deadline) for one to appear.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::TestHub;

/// The `event` member of every complete record in the audit log at `path`, in order. A
/// line being written (no newline yet) is left for the next read.
pub fn audit_events_in(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|mut record| record["event"].take())
        .collect()
}

impl TestHub {
    /// The events in this hub's audit log so far ([`audit_events_in`]).
    pub fn audit_events(&self) -> Vec<Value> {
        audit_events_in(&self.hub.state().config.audit_path())
    }

    /// Waits until the audit log holds an event for which `found` holds: the writer
    /// appends and syncs every 100 ms, so the log is polled for at most 5 s. Returns every
    /// event read by then; panics naming `what` if none came.
    pub async fn audit_until(&self, what: &str, found: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let events = self.audit_events();
            if events.iter().any(&found) {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {what} in the audit log within 5 s: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
