//! Retention: messages of a closed operation are purged once its retention period has
//! passed, with an audit record.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use crate::audit::AuditEvent;
use crate::state::{now_ms, HubState};

/// Purge what is past retention now. Returns (operation, messages purged) per operation.
pub async fn purge_now(state: &Arc<HubState>) -> Vec<(String, u64)> {
    let policy = state.policy();
    let now = now_ms();
    let mut done = Vec::new();
    for op in policy.operations() {
        let Some(cutoff) = op.purge_cutoff_ms(now) else {
            continue;
        };
        let st = state.clone();
        let name = op.name().clone();
        let n = match tokio::task::spawn_blocking(move || st.store.purge_operation(&name, cutoff))
            .await
        {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                warn!(operation = %op.name(), error = %e, "purge failed");
                continue;
            }
            Err(e) => {
                warn!(operation = %op.name(), error = %e, "purge failed");
                continue;
            }
        };
        if n > 0 {
            info!(operation = %op.name(), messages = n, "purged messages past retention");
            state
                .audit
                .record(AuditEvent::Purged {
                    operation: op.name().to_string(),
                    messages: n,
                })
                .await;
        }
        done.push((op.name().to_string(), n));
    }
    done
}

/// Check retention periodically.
pub async fn run(state: Arc<HubState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(
        state.config.limits.retention_check_s.max(1),
    ));
    loop {
        tick.tick().await;
        purge_now(&state).await;
    }
}
