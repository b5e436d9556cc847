//! The accept loop: each incoming connection gets its own task (a slow handshake never
//! stalls accepting), and a semaphore bounds how many run at once.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tracing::{info, Instrument};

use crate::session::run_connection;
use crate::state::HubState;

/// Accept connections until the endpoint closes.
pub async fn accept_loop(state: Arc<HubState>, endpoint: quinn::Endpoint) {
    let limit = Arc::new(Semaphore::new(state.config.limits.max_connections));
    while let Some(incoming) = endpoint.accept().await {
        match limit.clone().try_acquire_owned() {
            Ok(permit) => {
                let state = state.clone();
                tokio::spawn(
                    async move {
                        run_connection(state, incoming).await;
                        drop(permit);
                    }
                    .in_current_span(),
                );
            }
            Err(_) => {
                info!(remote = %incoming.remote_address(), "connection refused: limit reached");
                state.metrics.handshake_refused("overloaded");
                incoming.refuse();
            }
        }
    }
}
