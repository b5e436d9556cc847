//! The accept loop: each incoming connection gets its own task (a slow handshake never
//! stalls accepting). Before any state is kept for an attempt, its source address is
//! validated with a QUIC Retry (always, by default); handshakes in progress are capped in
//! all and per address; only a completed handshake takes one of `max_connections`.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tracing::{debug, info, Instrument};

use crate::handshake_audit::{Refusal, RefusalAudit};
use crate::handshake_gate::HandshakeGate;
use crate::handshake_tls::HandshakeTls;
use crate::session::run_connection;
use crate::state::HubState;

/// What deciding whether a connection may proceed needs, shared by every connection.
#[derive(Debug)]
pub struct Admission {
    /// Per-connection TLS configurations.
    pub tls: HandshakeTls,
    /// Handshakes in progress.
    pub gate: Arc<HandshakeGate>,
    /// Connections past their handshake.
    pub connections: Arc<Semaphore>,
    /// Refused handshakes, aggregated for the audit.
    pub refusals: RefusalAudit,
}

impl Admission {
    /// Count, and audit (aggregated), a refused connection attempt.
    pub async fn refused(&self, state: &HubState, refusal: Refusal) {
        state.metrics.handshake_refused(refusal.code);
        if let Some(event) = self.refusals.note(refusal) {
            state.audit.record(event).await;
        }
    }
}

/// Accept connections until the endpoint closes.
pub async fn accept_loop(state: Arc<HubState>, endpoint: quinn::Endpoint, tls: HandshakeTls) {
    let limits = &state.config.limits;
    let admission = Arc::new(Admission {
        tls,
        gate: HandshakeGate::new(limits.max_handshakes, limits.max_handshakes_per_address),
        connections: Arc::new(Semaphore::new(limits.max_connections)),
        refusals: RefusalAudit::default(),
    });
    // The aggregated repeats are written at the end of each audit window. Done in this
    // loop, not in a task of its own, so that stopping the loop stops it too.
    let mut window = tokio::time::interval(limits.handshake_audit_window());
    window.tick().await;
    loop {
        let incoming = tokio::select! {
            i = endpoint.accept() => match i {
                Some(i) => i,
                None => break,
            },
            _ = window.tick() => {
                for event in admission.refusals.end_window() {
                    state.audit.record(event).await;
                }
                continue;
            }
        };
        let remote = incoming.remote_address();
        if !incoming.remote_address_validated()
            && admission.gate.in_progress() >= limits.retry_above_handshakes
        {
            // The client proves it receives at its address: one round trip, no state here.
            debug!(%remote, "address validation: Retry");
            state.metrics.retries.inc();
            if let Err(e) = incoming.retry() {
                e.into_incoming().ignore();
            }
            continue;
        }
        match admission.gate.enter(remote.ip()) {
            Ok(ticket) => {
                let (state, admission) = (state.clone(), admission.clone());
                tokio::spawn(run_connection(state, incoming, admission, ticket).in_current_span());
            }
            Err(busy) => {
                info!(%remote, reason = busy.code(), "connection refused: too many handshakes");
                incoming.refuse();
                let refusal = Refusal {
                    addr: remote,
                    code: busy.code(),
                    cert: None,
                };
                admission.refused(&state, refusal).await;
            }
        }
    }
}
