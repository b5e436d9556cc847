//! The signed operation roster: who reads which operation channel, signed by the
//! federation root's key, so that a sender can check the readers the hub names without
//! trusting the hub.
//!
//! The Secretariat makes it from the policy with `cordon-hub ca roster` (the root key
//! stays with the CA, offline); the hub serves it in every directory answer; a node
//! verifies it under its federation root, keeps the newest version it has seen, refuses an
//! older one, and seals a channel message only to readers whose certificate the roster
//! names as readers of that channel (PROTOCOL.md §8.5, SECURITY.md).
//!
//! ```text
//! SignedRoster = [ roster: bin, signature: bin ]
//! roster       = [ version: uint, issued_at: uint, operations: [ Operation* ] ]
//! Operation    = [ name: str, participants: Selector, channels: [ [ channel: str, read: Selector ]* ] ]
//! Selector     = [ nodes: [str*], roles: [str*], countries: [str*], participants: bool ]
//! signature    = Sign(root key, ROSTER_CONTEXT || roster)
//! ```

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::identity::{public_key_of, NodeIdentity};
use crate::ids::{ChannelName, NodeId, OperationName, Role};
use crate::pki::IdentityKey;

/// Prefix of the roster signature input.
pub const ROSTER_CONTEXT: &[u8] = b"cordon/1 roster\0";

/// The most bytes a signed roster may have (it travels in a directory answer).
pub const MAX_ROSTER_BYTES: usize = 256 * 1024;

/// Why a roster was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// Not the layout above.
    #[error("signed roster is malformed: {0}")]
    Malformed(String),
    /// Larger than [`MAX_ROSTER_BYTES`].
    #[error("signed roster has {0} bytes, more than the limit of {MAX_ROSTER_BYTES}")]
    TooLarge(usize),
    /// The signature does not verify under any federation root.
    #[error("signed roster is not signed by the federation root")]
    BadSignature,
    /// Older than a roster already in force.
    #[error("signed roster version {offered} is older than version {in_force} already in force")]
    Older {
        /// The version offered.
        offered: u64,
        /// The version in force.
        in_force: u64,
    },
    /// The same version as the one in force, with other contents.
    #[error("signed roster version {0} differs from the one in force with the same version")]
    Conflicting(u64),
    /// Local: signing failed.
    #[error("cannot sign the roster: {0}")]
    Sign(String),
}

/// Whom a roster entry names: any node listed by id, role or country, and with
/// `participants` every participant of the operation. Same meaning as the policy's
/// selectors (`certs-example/policy.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selector {
    /// Node ids.
    pub nodes: Vec<NodeId>,
    /// Roles.
    pub roles: Vec<Role>,
    /// ISO 3166-1 alpha-2 countries.
    pub countries: Vec<String>,
    /// Every participant of the operation.
    pub participants: bool,
}

impl Selector {
    /// Whether the selector names `who`; `is_participant` says whether `who` takes part
    /// in the operation.
    pub fn matches(&self, who: &NodeIdentity, is_participant: bool) -> bool {
        (self.participants && is_participant)
            || self.nodes.contains(&who.node_id)
            || self.roles.contains(&who.role)
            || self.countries.iter().any(|c| {
                who.country
                    .as_deref()
                    .is_some_and(|wc| wc.eq_ignore_ascii_case(c))
            })
    }
}

/// One channel and who reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterChannel {
    /// The full name, `op/<operation>/<short>`.
    pub channel: ChannelName,
    /// Who reads it (an empty selector: nobody).
    pub read: Selector,
}

/// One operation: its participants and its channels' readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterOperation {
    /// The operation.
    pub name: OperationName,
    /// Who takes part.
    pub participants: Selector,
    /// Its channels.
    pub channels: Vec<RosterChannel>,
}

/// Who reads which operation channel, at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// Increases with every roster the Secretariat signs; an older one is refused.
    pub version: u64,
    /// When it was signed, ms since the Unix epoch.
    pub issued_at: u64,
    /// The operations.
    pub operations: Vec<RosterOperation>,
}

impl Roster {
    /// Whether the certificate identity `who` reads `channel`: a participant of the
    /// channel's operation whom the channel's read selector names. `false` for a channel
    /// the roster does not list, and for direct channels (their reader is the addressee,
    /// chosen by the sender, not by the roster).
    pub fn may_read(&self, channel: &ChannelName, who: &NodeIdentity) -> bool {
        let Some(op_name) = channel.operation_name() else {
            return false;
        };
        let Some(op) = self.operations.iter().find(|o| o.name == op_name) else {
            return false;
        };
        if !op.participants.matches(who, false) {
            return false;
        }
        op.channels
            .iter()
            .find(|c| c.channel == *channel)
            .is_some_and(|c| c.read.matches(who, true))
    }

    /// Sign with `sign`, which gets the whole signature input (`ROSTER_CONTEXT ||
    /// roster`) and signs it with the federation root's key (see `Ca::sign_roster`).
    pub fn sign_with<F>(&self, sign: F) -> Result<SignedRoster, RosterError>
    where
        F: FnOnce(&[u8]) -> Result<Vec<u8>, String>,
    {
        let body = rmp_serde::to_vec(self).map_err(|e| RosterError::Sign(e.to_string()))?;
        let mut input = Vec::with_capacity(ROSTER_CONTEXT.len() + body.len());
        input.extend_from_slice(ROSTER_CONTEXT);
        input.extend_from_slice(&body);
        let sig = sign(&input).map_err(RosterError::Sign)?;
        let bytes = rmp_serde::to_vec(&Outer(
            serde_bytes::Bytes::new(&body),
            serde_bytes::Bytes::new(&sig),
        ))
        .map_err(|e| RosterError::Sign(e.to_string()))?;
        Ok(SignedRoster { bytes })
    }

    /// Sign with an identity key (tests, and tools holding the root key as a key file).
    pub fn sign(&self, key: &IdentityKey) -> Result<SignedRoster, RosterError> {
        self.sign_with(|input| key.sign(b"", input).map_err(|e| e.to_string()))
    }
}

#[derive(Serialize)]
struct Outer<'a>(&'a serde_bytes::Bytes, &'a serde_bytes::Bytes);

/// A roster with its signature, as made by the CA and served by the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRoster {
    bytes: Vec<u8>,
}

impl SignedRoster {
    /// Wrap received bytes (not yet verified).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The encoded signed roster.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Check the signature under one of the federation `roots` and decode the roster.
    pub fn verify(&self, roots: &[CertificateDer<'_>]) -> Result<Roster, RosterError> {
        if self.bytes.len() > MAX_ROSTER_BYTES {
            return Err(RosterError::TooLarge(self.bytes.len()));
        }
        let (body, sig) = crate::mp::signed_pair(&self.bytes).map_err(RosterError::Malformed)?;
        let signed_by_root = roots.iter().any(|root| {
            X509Certificate::from_der(root)
                .ok()
                .and_then(|(_, c)| public_key_of(&c).ok())
                .is_some_and(|k| k.verify_with_context(ROSTER_CONTEXT, body, sig))
        });
        if !signed_by_root {
            return Err(RosterError::BadSignature);
        }
        crate::mp::from_slice_exact::<Roster>(body).map_err(RosterError::Malformed)
    }

    /// Verify this roster and decide whether it may replace `in_force` (the newest one
    /// seen before, if any): it must not be older, and a roster of the same version must
    /// be the same roster.
    pub fn verify_newer(
        &self,
        roots: &[CertificateDer<'_>],
        in_force: Option<&Roster>,
    ) -> Result<Roster, RosterError> {
        let roster = self.verify(roots)?;
        if let Some(cur) = in_force {
            if roster.version < cur.version {
                return Err(RosterError::Older {
                    offered: roster.version,
                    in_force: cur.version,
                });
            }
            if roster.version == cur.version && roster != *cur {
                return Err(RosterError::Conflicting(roster.version));
            }
        }
        Ok(roster)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::identity::KeyAlgorithm;
    use crate::testkit::Kit;

    fn roster(version: u64) -> Roster {
        let op: OperationName = "cosmo-2".parse().unwrap();
        Roster {
            version,
            issued_at: 1,
            operations: vec![RosterOperation {
                name: op.clone(),
                participants: Selector {
                    roles: vec![Role::Ocu],
                    countries: vec!["BE".into()],
                    ..Selector::default()
                },
                channels: vec![
                    RosterChannel {
                        channel: ChannelName::operation(&op, "alerts").unwrap(),
                        read: Selector {
                            participants: true,
                            ..Selector::default()
                        },
                    },
                    RosterChannel {
                        channel: ChannelName::operation(&op, "ocu-only").unwrap(),
                        read: Selector {
                            roles: vec![Role::Ocu],
                            ..Selector::default()
                        },
                    },
                ],
            }],
        }
    }

    #[test]
    fn readers_are_participants_named_by_the_channel() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let be = kit
            .node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        let xx = kit
            .node("XX-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        let ocu = kit.node("OCU", Role::Ocu, KeyAlgorithm::Ed25519).unwrap();
        let r = roster(1);
        let alerts: ChannelName = "op/cosmo-2/alerts".parse().unwrap();
        let ocu_only: ChannelName = "op/cosmo-2/ocu-only".parse().unwrap();
        assert!(r.may_read(&alerts, &be.identity));
        assert!(r.may_read(&alerts, &ocu.identity));
        assert!(!r.may_read(&alerts, &xx.identity), "not a participant");
        assert!(!r.may_read(&ocu_only, &be.identity));
        assert!(r.may_read(&ocu_only, &ocu.identity));
        let unknown: ChannelName = "op/cosmo-2/other".parse().unwrap();
        assert!(!r.may_read(&unknown, &ocu.identity));
        let direct: ChannelName = "node/BE-NCP".parse().unwrap();
        assert!(!r.may_read(&direct, &be.identity));
    }

    #[test]
    fn only_the_root_signature_is_accepted() {
        for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
            let kit = Kit::new(alg).unwrap();
            let signed = kit.ca.sign_roster(&roster(3)).unwrap();
            let roots = [kit.ca.cert_der().clone()];
            assert_eq!(signed.verify(&roots).unwrap(), roster(3));

            // The hub's (or any node's) key is not the root's.
            let hub = kit
                .node("HUB-X", Role::Member, KeyAlgorithm::Ed25519)
                .unwrap();
            let forged = roster(3).sign(&hub.key).unwrap();
            assert_eq!(forged.verify(&roots), Err(RosterError::BadSignature));

            // Another federation's root.
            let other = Kit::new(alg).unwrap();
            assert_eq!(
                signed.verify(&[other.ca.cert_der().clone()]),
                Err(RosterError::BadSignature)
            );

            // One flipped byte anywhere.
            let mut bytes = signed.as_bytes().to_vec();
            let at = bytes.len() / 2;
            bytes[at] ^= 1;
            assert!(SignedRoster::from_bytes(bytes).verify(&roots).is_err());
        }
    }

    #[test]
    fn an_older_or_conflicting_roster_is_refused() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let roots = [kit.ca.cert_der().clone()];
        let v5 = roster(5);
        let older = kit.ca.sign_roster(&roster(4)).unwrap();
        assert_eq!(
            older.verify_newer(&roots, Some(&v5)),
            Err(RosterError::Older {
                offered: 4,
                in_force: 5
            })
        );
        let mut other5 = roster(5);
        other5.operations[0].channels.pop();
        let other5 = kit.ca.sign_roster(&other5).unwrap();
        assert_eq!(
            other5.verify_newer(&roots, Some(&v5)),
            Err(RosterError::Conflicting(5))
        );
        let same = kit.ca.sign_roster(&roster(5)).unwrap();
        assert_eq!(same.verify_newer(&roots, Some(&v5)).unwrap(), v5);
        let newer = kit.ca.sign_roster(&roster(6)).unwrap();
        assert_eq!(newer.verify_newer(&roots, Some(&v5)).unwrap().version, 6);
    }

    #[test]
    fn malformed_and_oversized_rosters_are_refused() {
        let roots: [CertificateDer<'static>; 0] = [];
        for bytes in [vec![], vec![0x90], vec![0x92, 0xc4, 0x00]] {
            assert!(matches!(
                SignedRoster::from_bytes(bytes).verify(&roots),
                Err(RosterError::Malformed(_))
            ));
        }
        let big = vec![0u8; MAX_ROSTER_BYTES + 1];
        assert_eq!(
            SignedRoster::from_bytes(big).verify(&roots),
            Err(RosterError::TooLarge(MAX_ROSTER_BYTES + 1))
        );
    }
}
