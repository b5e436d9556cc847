//! Reloading the policy and the CRLs without a restart (SIGHUP, or a change of the
//! files). A bad file is refused with its reason and the old one stays in force; a CRL
//! must be signed by the federation root to be put in force. Sessions
//! of newly revoked nodes are closed; sessions whose grants changed are closed so that
//! the node reconnects under the new policy; every other session stays up.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cordon_common::pki::{
    check_crl, check_not_older, read_pem_certs, read_pem_crls, CrlInfo, PemError, TrustError,
    TrustStore,
};
use cordon_common::wire::ErrorCode;
use tracing::{info, warn};

use crate::audit::AuditEvent;
use crate::config::HubConfig;
use crate::policy::{Policy, Subject};
use crate::roster_file::load_roster;
use crate::state::{now_ms, HubState};

/// What a reload did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// The policy was replaced.
    pub policy_reloaded: bool,
    /// The policy file was refused, with this reason.
    pub policy_error: Option<String>,
    /// The CRLs were replaced.
    pub crls_reloaded: bool,
    /// The CRL files were refused, with the file and the reason.
    pub crl_error: Option<String>,
    /// Sessions closed because their certificate is now revoked.
    pub revoked_sessions: Vec<String>,
    /// Sessions closed because their certificate fails for another reason (expired).
    pub untrusted_sessions: Vec<(String, String)>,
    /// Sessions closed because their grants changed.
    pub regranted_sessions: Vec<String>,
}

/// The federation root or a CRL file could not be put in force. Every variant names the
/// file; the trust store in force is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustLoadError {
    /// The root certificate file could not be read (the message names it).
    #[error("federation root: {0}")]
    RootFile(#[source] PemError),
    /// The root certificates were refused.
    #[error("federation root {path}: {source}")]
    Root {
        /// The root certificate file.
        path: String,
        /// Why.
        #[source]
        source: TrustError,
    },
    /// A CRL file could not be read (the message names it).
    #[error("CRL file: {0}")]
    CrlFile(#[source] PemError),
    /// A CRL in this file is refused: malformed, not issued by a federation root, its
    /// signature does not verify under the root, or it is older than the one in force.
    #[error("CRL file {path} refused: {source}")]
    Crl {
        /// The CRL file.
        path: String,
        /// Why.
        #[source]
        source: TrustError,
    },
}

/// Read the federation root and CRLs named by the configuration. Each CRL is checked
/// against the root (issuer, signature), and against `in_force` (it must not be older
/// than the CRL in force of its issuer), before anything is put in force.
pub fn load_trust(
    config: &HubConfig,
    in_force: Option<&TrustStore>,
) -> Result<TrustStore, TrustLoadError> {
    let roots = read_pem_certs(&config.root).map_err(TrustLoadError::RootFile)?;
    let mut crls = Vec::new();
    for p in &config.crls {
        let in_file = read_pem_crls(p).map_err(TrustLoadError::CrlFile)?;
        for crl in &in_file {
            let refused = |source| TrustLoadError::Crl {
                path: p.display().to_string(),
                source,
            };
            check_crl(&roots, crl).map_err(refused)?;
            if let Some(old) = in_force {
                let fresh = CrlInfo::read(crl).map_err(refused)?;
                check_not_older(std::slice::from_ref(&fresh), old.crl_infos()).map_err(refused)?;
            }
        }
        crls.extend(in_file);
    }
    TrustStore::new(roots, crls).map_err(|source| TrustLoadError::Root {
        path: config.root.display().to_string(),
        source,
    })
}

/// Reload the policy and the CRLs now.
pub async fn reload(state: &Arc<HubState>) -> ReloadReport {
    let mut report = ReloadReport::default();
    let path = state.config.policy.display().to_string();
    let in_force = state.roster();
    let candidate = Policy::load(&state.config.policy)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            // The roster is reloaded with the policy: the two must say the same.
            load_roster(
                &state.config.roster,
                state.trust().roots(),
                &p,
                in_force.as_deref().map(|r| &r.roster),
            )
            .map(|r| (p, r))
            .map_err(|e| e.to_string())
        });
    match candidate {
        Ok((p, roster)) => {
            state.set_policy(p);
            state.set_roster(roster);
            report.policy_reloaded = true;
            info!(%path, "policy reloaded");
            state
                .audit
                .record(AuditEvent::PolicyReloaded { path: path.clone() })
                .await;
        }
        Err(e) => {
            warn!(%path, error = %e, "policy refused; the previous policy stays in force");
            report.policy_error = Some(e.to_string());
            state
                .audit
                .record(AuditEvent::PolicyReloadRefused {
                    path: path.clone(),
                    reason: e.to_string(),
                })
                .await;
        }
    }
    let crl_paths = state
        .config
        .crls
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match load_trust(&state.config, Some(&state.trust())) {
        Ok(trust) => match state.verifier.reload(&trust) {
            Ok(()) => {
                let count = u64::try_from(trust.revoked_count()).unwrap_or(u64::MAX);
                state.set_trust(trust);
                report.crls_reloaded = true;
                info!(paths = %crl_paths, revoked = count, "CRLs reloaded");
                state
                    .audit
                    .record(AuditEvent::CrlReloaded {
                        path: crl_paths.clone(),
                        revoked_count: count,
                    })
                    .await;
            }
            Err(e) => {
                warn!(paths = %crl_paths, error = %e, "CRLs refused; the previous ones stay in force");
                report.crl_error = Some(e.to_string());
                state
                    .audit
                    .record(AuditEvent::CrlReloadRefused {
                        path: crl_paths.clone(),
                        reason: e.to_string(),
                    })
                    .await;
            }
        },
        Err(e) => {
            warn!(paths = %crl_paths, error = %e, "CRLs refused; the previous ones stay in force");
            report.crl_error = Some(e.to_string());
            state
                .audit
                .record(AuditEvent::CrlReloadRefused {
                    path: crl_paths.clone(),
                    reason: e.to_string(),
                })
                .await;
        }
    }
    crate::recheck::note_overdue_crls(state, true);
    // Re-examine live sessions: the certificate against the trust store now in force,
    // then the grants.
    let closed = crate::recheck::sweep(state).await;
    for (node, reason) in &closed {
        if *reason == "revoked" {
            report.revoked_sessions.push(node.clone());
        } else {
            report
                .untrusted_sessions
                .push((node.clone(), (*reason).to_owned()));
        }
    }
    let policy = state.policy();
    let now = now_ms();
    for s in state.sessions.all() {
        if closed.iter().any(|(n, _)| *n == s.node_id.to_string()) {
            continue;
        }
        if let Ok(identity) = cordon_common::identity::NodeIdentity::from_der(&s.cert_der) {
            let grants = policy.grants_for(&Subject::from(&identity), now);
            if grants != *s.grants {
                info!(node = %s.node_id, "grants changed; closing the session so it reconnects");
                s.conn.close(
                    ErrorCode::NoError.as_u16().into(),
                    b"policy changed; reconnect",
                );
                report.regranted_sessions.push(s.node_id.to_string());
            }
        }
    }
    report
}

fn mtime(p: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reload on SIGHUP, and when the policy, the roster or a CRL file changes (polled every
/// 2 s).
pub async fn watch(state: Arc<HubState>) {
    let files: Vec<PathBuf> = [state.config.policy.clone(), state.config.roster.clone()]
        .into_iter()
        .chain(state.config.crls.iter().cloned())
        .collect();
    let mut seen: Vec<Option<SystemTime>> = files.iter().map(mtime).collect();
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        let by_signal = tokio::select! {
            _ = async { match hup.as_mut() { Some(h) => { h.recv().await; } None => std::future::pending::<()>().await } } => true,
            _ = tick.tick() => false,
        };
        let now: Vec<Option<SystemTime>> = files.iter().map(mtime).collect();
        if by_signal || now != seen {
            seen = now;
            info!(by_signal, "reloading policy and CRLs");
            let _ = reload(&state).await;
        }
    }
}
