//! The signed operation roster the hub serves: read from the file named by
//! `[policy] roster`, checked under the federation root, never older than the one in
//! force, and matching the policy's readers exactly (the hub names readers from the
//! policy, senders accept only those the roster names). Loaded at start and with every
//! policy reload; a refused file leaves the policy and roster in force as they were.

use std::io::Read;
use std::path::Path;

use cordon_common::roster::{Roster, RosterError, SignedRoster, MAX_ROSTER_BYTES};
use rustls::pki_types::CertificateDer;

use crate::policy::Policy;

/// A roster put in force: its bytes, as served, and what they say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterInForce {
    /// What it says.
    pub roster: Roster,
    /// The signed bytes served to nodes.
    pub signed: SignedRoster,
}

/// The roster file cannot be put in force. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RosterLoadError {
    /// The file cannot be read, or is larger than a roster may be.
    #[error("roster file {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Malformed, not signed by the federation root, or older than the one in force.
    #[error("roster file {path} refused: {source}")]
    Refused {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: RosterError,
    },
    /// The roster names other readers or participants than the policy.
    #[error(
        "roster file {path} (version {version}) does not match the policy {policy}: {}; \
         sign a roster for this policy with `cordon-hub ca roster --dir CA_DIR --policy {policy} --out {path}`",
        .diffs.join("; ")
    )]
    Mismatch {
        /// The file.
        path: String,
        /// Its version.
        version: u64,
        /// The policy file.
        policy: String,
        /// What differs.
        diffs: Vec<String>,
    },
}

/// Read and check the roster at `path` for `policy`, under `roots`, given the roster
/// in force (`None` at start).
pub fn load_roster(
    path: &Path,
    roots: &[CertificateDer<'_>],
    policy: &Policy,
    in_force: Option<&Roster>,
) -> Result<RosterInForce, RosterLoadError> {
    let shown = path.display().to_string();
    let io = |reason: String| RosterLoadError::Io {
        path: shown.clone(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_ROSTER_BYTES).unwrap_or(u64::MAX);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    if bytes.len() > MAX_ROSTER_BYTES {
        return Err(io(format!("larger than {MAX_ROSTER_BYTES} bytes")));
    }
    let signed = SignedRoster::from_bytes(bytes);
    let roster =
        signed
            .verify_newer(roots, in_force)
            .map_err(|source| RosterLoadError::Refused {
                path: shown.clone(),
                source,
            })?;
    policy
        .check_roster(&roster)
        .map_err(|diffs| RosterLoadError::Mismatch {
            path: shown.clone(),
            version: roster.version,
            policy: policy.origin().to_owned(),
            diffs,
        })?;
    Ok(RosterInForce { roster, signed })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use cordon_common::identity::KeyAlgorithm;
    use cordon_common::testkit::Kit;

    const POLICY: &str = r#"
[[operation]]
name = "cosmo-2"
phase = "interdiction"
ends = "2099-01-01T00:00:00Z"
retention_days = 30
participants = { roles = ["ocu"], countries = ["BE", "NL"] }
[[operation.channel]]
name = "alerts"
read = { participants = true }
"#;

    fn write(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join("roster.signed");
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn a_roster_of_the_policy_signed_by_the_root_is_put_in_force() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::parse(POLICY, "policy.toml").unwrap();
        let signed = kit.ca.sign_roster(&policy.roster(7, 1)).unwrap();
        let path = write(dir.path(), signed.as_bytes());
        let roots = [kit.ca.cert_der().clone()];
        let got = load_roster(&path, &roots, &policy, None).unwrap();
        assert_eq!(got.roster.version, 7);
        assert_eq!(got.signed, signed);

        // Older than the one in force.
        let older = kit.ca.sign_roster(&policy.roster(6, 1)).unwrap();
        let path = write(dir.path(), older.as_bytes());
        let e = load_roster(&path, &roots, &policy, Some(&got.roster)).unwrap_err();
        assert!(e.to_string().contains("older than version 7"), "{e}");
    }

    #[test]
    fn a_roster_that_names_other_readers_is_refused_with_the_difference() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::parse(POLICY, "policy.toml").unwrap();
        let wider = Policy::parse(
            &POLICY.replace("\"BE\", \"NL\"", "\"BE\", \"NL\", \"FR\""),
            "p",
        )
        .unwrap();
        let signed = kit.ca.sign_roster(&wider.roster(1, 1)).unwrap();
        let path = write(dir.path(), signed.as_bytes());
        let e = load_roster(&path, &[kit.ca.cert_der().clone()], &policy, None).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("operation cosmo-2: participants differ"),
            "{msg}"
        );
        assert!(msg.contains("cordon-hub ca roster"), "{msg}");
    }

    #[test]
    fn a_roster_signed_by_another_key_is_refused() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let other = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::parse(POLICY, "policy.toml").unwrap();
        let signed = other.ca.sign_roster(&policy.roster(1, 1)).unwrap();
        let path = write(dir.path(), signed.as_bytes());
        let e = load_roster(&path, &[kit.ca.cert_der().clone()], &policy, None).unwrap_err();
        assert!(matches!(
            e,
            RosterLoadError::Refused {
                source: RosterError::BadSignature,
                ..
            }
        ));
    }
}
