//! Re-checking a node's certificate after the TLS handshake, against the trust store in
//! force now. The handshake alone is not enough: a connection may finish its handshake
//! before a CRL reload and send `Hello` after it, and a certificate valid at the
//! handshake expires during a long session. So the certificate is checked again:
//!
//! - right before `Welcome` ([`admit`]), which refuses the spare connection, and once
//!   more right after the session is registered ([`after_register`]), which closes the
//!   window between that check and the registration that a reload's sweep could miss;
//! - at its `notAfter`: [`admit`] schedules the close of the session at that instant;
//! - on every CRL or policy reload, and every [`RECHECK_INTERVAL`] ([`sweep`], [`run`]).
//!
//! The periodic pass also warns (log and `cordon_crls_overdue`) while a CRL in force is
//! past its `nextUpdate`.

use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::Fingerprint;
use cordon_common::pki::{validity_secs, TrustError, TrustStore};
use cordon_common::quic::write_frame;
use cordon_common::wire::{ErrorCode, ErrorFrame, Frame};
use tracing::{info, warn, Instrument};

use crate::audit::AuditEvent;
use crate::state::{now_ms, HubState};

/// How often every live session's certificate is checked again, and CRL freshness with
/// it. Expiry does not wait for this pass: each session is closed at its certificate's
/// `notAfter`.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(60);

/// Why a certificate no longer admits its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The close code sent to the node.
    pub code: ErrorCode,
    /// A short, stable reason (the handshake refusal reasons of the metrics).
    pub reason: &'static str,
    /// The words sent to the node: what happened and what to do.
    pub message: String,
}

/// Check `cert` against `trust` at `now_unix_secs`.
pub fn check(trust: &TrustStore, cert: &[u8], now_unix_secs: u64) -> Result<(), Refusal> {
    let Err(e) = trust.verify_node_cert(cert, now_unix_secs) else {
        return Ok(());
    };
    let (code, reason) = match e {
        TrustError::Revoked => (ErrorCode::Revoked, "revoked"),
        TrustError::Expired => (ErrorCode::Unauthorized, "expired"),
        TrustError::NotYetValid => (ErrorCode::Unauthorized, "not-yet-valid"),
        TrustError::UnknownIssuer => (ErrorCode::Unauthorized, "unknown-ca"),
        TrustError::WrongUsage => (ErrorCode::Unauthorized, "wrong-usage"),
        _ => (ErrorCode::Unauthorized, "bad-certificate"),
    };
    Err(Refusal {
        code,
        reason,
        message: format!("certificate {reason}: {e}; ask the Secretariat for a new certificate"),
    })
}

/// Right before `Welcome`: refuse the node if its certificate no longer passes the trust
/// store in force (a CRL reloaded since its handshake, a resumed TLS session, expiry),
/// telling it why on the control stream, counting and auditing the refusal. Once
/// admitted, the session is closed when the certificate expires.
pub async fn admit(
    state: &Arc<HubState>,
    conn: &quinn::Connection,
    ctl_send: &mut quinn::SendStream,
    cert: &[u8],
) -> Result<(), (ErrorCode, String)> {
    let now = now_ms();
    if let Err(r) = check(&state.trust(), cert, now / 1000) {
        warn!(reason = r.reason, "certificate refused before Welcome");
        state.metrics.handshake_refused(r.reason);
        state
            .audit
            .record({
                let c = crate::tls::RefusedCert::of(cert, r.reason);
                AuditEvent::HandshakeRefused {
                    addr: conn.remote_address().to_string(),
                    code: r.reason.to_owned(),
                    fingerprint: Some(c.fingerprint),
                    subject: Some(c.subject),
                    serial: Some(c.serial),
                    count: 1,
                }
            })
            .await;
        let error = Frame::Error(ErrorFrame {
            code: r.code.as_u16(),
            message: r.message.clone(),
        });
        let _ = write_frame(ctl_send, &error, state.config.limits.max_frame).await;
        return Err((r.code, r.message));
    }
    if let Some((_, not_after)) = validity_secs(cert) {
        tokio::spawn(
            close_at_expiry(state.clone(), conn.clone(), cert.to_vec(), not_after)
                .in_current_span(),
        );
    }
    Ok(())
}

/// Right after the session is registered: check once more, so that a CRL reload that
/// ran between the check before `Welcome` and the registration (its sweep did not see
/// this session yet) still closes it. Any later reload sweeps it.
pub async fn after_register(state: &Arc<HubState>, conn: &quinn::Connection, cert: &[u8]) {
    if let Err(r) = check(&state.trust(), cert, now_ms() / 1000) {
        close(state, conn, cert, &r).await;
    }
}

/// Close `conn` once its certificate has expired (the first second after `notAfter`),
/// unless it closes first.
async fn close_at_expiry(
    state: Arc<HubState>,
    conn: quinn::Connection,
    cert: Vec<u8>,
    not_after: u64,
) {
    let expired_at_ms = not_after.saturating_add(1).saturating_mul(1000);
    loop {
        let left = expired_at_ms.saturating_sub(now_ms());
        if left == 0 {
            break;
        }
        // Long sleeps in steps of a day (tokio's timer has a maximum).
        let step = Duration::from_millis(left.min(86_400_000));
        tokio::select! {
            _ = conn.closed() => return,
            () = tokio::time::sleep(step) => {}
        }
    }
    let r = Refusal {
        code: ErrorCode::Unauthorized,
        reason: "expired",
        message: "certificate expired; ask the Secretariat for a new certificate".into(),
    };
    close(&state, &conn, &cert, &r).await;
}

/// Close a live session whose certificate was refused, and audit it.
async fn close(state: &HubState, conn: &quinn::Connection, cert: &[u8], r: &Refusal) {
    warn!(
        reason = r.reason,
        "certificate no longer trusted; closing the session"
    );
    conn.close(r.code.as_u16().into(), r.message.as_bytes());
    let node = cordon_common::identity::NodeIdentity::from_der(cert)
        .map(|i| i.node_id.to_string())
        .unwrap_or_default();
    let fingerprint = Fingerprint::of_der(cert).to_hex();
    let event = if r.code == ErrorCode::Revoked {
        AuditEvent::SessionRevoked { node, fingerprint }
    } else {
        AuditEvent::SessionExpired {
            node,
            fingerprint,
            reason: r.reason.to_owned(),
        }
    };
    state.audit.record(event).await;
}

/// Check every live session against the trust store in force now; close those whose
/// certificate fails. Returns the closed nodes with their reason.
pub async fn sweep(state: &Arc<HubState>) -> Vec<(String, &'static str)> {
    let trust = state.trust();
    let now = now_ms() / 1000;
    let mut closed = Vec::new();
    for s in state.sessions.all() {
        if let Err(r) = check(&trust, &s.cert_der, now) {
            let span = tracing::info_span!("conn", node = %s.node_id);
            close(state, &s.conn, &s.cert_der, &r)
                .instrument(span)
                .await;
            closed.push((s.node_id.to_string(), r.reason));
        }
    }
    closed
}

/// Set `cordon_crls_overdue` to the number of CRLs in force past their `nextUpdate`, and
/// warn about each when `warn_now`. Returns the number.
pub fn note_overdue_crls(state: &HubState, warn_now: bool) -> usize {
    let trust = state.trust();
    let overdue = trust.overdue_crls(now_ms() / 1000);
    state
        .metrics
        .crls_overdue
        .set(i64::try_from(overdue.len()).unwrap_or(i64::MAX));
    if warn_now {
        for c in &overdue {
            warn!(
                issuer = %c.issuer,
                next_update = c.next_update.unwrap_or_default(),
                "a CRL in force is past its nextUpdate: revocations since then are unknown; install the CA's new CRL"
            );
        }
    }
    overdue.len()
}

/// Every [`RECHECK_INTERVAL`]: [`sweep`] the live sessions and note overdue CRLs
/// (warning when a CRL becomes overdue).
pub async fn run(state: Arc<HubState>) {
    let mut last_overdue = note_overdue_crls(&state, true);
    let mut tick = tokio::time::interval(RECHECK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let closed = sweep(&state).await;
        if !closed.is_empty() {
            info!(
                closed = closed.len(),
                "periodic certificate check closed sessions"
            );
        }
        let overdue = note_overdue_crls(&state, false);
        if overdue > last_overdue {
            note_overdue_crls(&state, true);
        }
        last_overdue = overdue;
    }
}
