//! Ready-made federations in memory for tests, benchmarks and the demo: a CA, node
//! certificates with the Cordon profile, identity keys, X25519 keys and key bundles.
//! Nothing here is for production keys.

use crate::envelope::{
    EnvelopeError, Header, KemKeyPair, KeyBundle, RecipientKey, PROTOCOL_VERSION,
};
use crate::identity::{KeyAlgorithm, NodeIdentity};
use crate::ids::{ChannelName, MessageId, NodeId, OperationName, Role};
use crate::msg::{MessageKind, Priority, Tlp};
use crate::pki::{
    Ca, CaError, IdentityKey, NodeCertRequest, RevokedEntry, TrustError, TrustStore, Validity,
};

/// A test-kit failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    /// CA failure.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// Key failure.
    #[error(transparent)]
    Key(#[from] crate::pki::KeyError),
    /// Identity failure.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// Envelope failure.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// Trust failure.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// Bad id.
    #[error(transparent)]
    Id(#[from] crate::ids::IdError),
}

/// A node with everything it needs to send and receive.
pub struct KitNode {
    /// Identity from its certificate.
    pub identity: NodeIdentity,
    /// Identity key.
    pub key: IdentityKey,
    /// Certificate, DER.
    pub cert_der: Vec<u8>,
    /// Certificate, PEM.
    pub cert_pem: String,
    /// Private key, PEM.
    pub key_pem: String,
    /// Serial number, for revocation.
    pub serial: Vec<u8>,
    /// Static X25519 key.
    pub kem: KemKeyPair,
    /// Signed key bundle.
    pub bundle: KeyBundle,
}

impl std::fmt::Debug for KitNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KitNode({})", self.identity.node_id)
    }
}

impl KitNode {
    /// This node as an encryption recipient.
    pub fn recipient(&self) -> RecipientKey {
        RecipientKey {
            node_id: self.identity.node_id.clone(),
            public: *self.kem.public(),
        }
    }

    /// A header from this node to `to` in operation `op`, created at `now_ms`, one day
    /// of lifetime.
    pub fn header(
        &self,
        kind: MessageKind,
        op: &str,
        to: &[&str],
        now_ms: u64,
    ) -> Result<Header, KitError> {
        Ok(Header {
            version: PROTOCOL_VERSION,
            id: MessageId::new_v7(),
            kind,
            operation: op.parse::<OperationName>()?,
            to: to
                .iter()
                .map(|c| c.parse::<ChannelName>())
                .collect::<Result<_, _>>()?,
            sender: self.identity.node_id.clone(),
            sender_fp: self.identity.fingerprint,
            created_at: now_ms,
            expires_at: now_ms + 24 * 3600 * 1000,
            priority: Priority::Routine,
            tlp: Tlp::Amber,
            in_reply_to: None,
        })
    }
}

/// A CA and a way to make nodes under it.
pub struct Kit {
    /// The federation CA.
    pub ca: Ca,
}

impl std::fmt::Debug for Kit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kit")
    }
}

/// Now, in ms since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Kit {
    /// A fresh CA.
    pub fn new(algorithm: KeyAlgorithm) -> Result<Self, KitError> {
        Self::named("Cordon Test Root", algorithm)
    }

    /// A fresh CA with the given common name.
    pub fn named(name: &str, algorithm: KeyAlgorithm) -> Result<Self, KitError> {
        let (ca, _key_pem) = Ca::init(
            name,
            "Test Secretariat",
            algorithm,
            Validity::days_from_now(365),
        )?;
        Ok(Self { ca })
    }

    /// A node valid for a year.
    pub fn node(&self, id: &str, role: Role, algorithm: KeyAlgorithm) -> Result<KitNode, KitError> {
        self.node_with(id, role, algorithm, Validity::days_from_now(365))
    }

    /// A node with the given validity.
    pub fn node_with(
        &self,
        id: &str,
        role: Role,
        algorithm: KeyAlgorithm,
        validity: Validity,
    ) -> Result<KitNode, KitError> {
        let node_id: NodeId = id.parse()?;
        let country = id
            .get(..2)
            .filter(|c| c.bytes().all(|b| b.is_ascii_uppercase()) && id.ends_with("-NCP"));
        let issued = self.ca.issue_node(&NodeCertRequest {
            node_id,
            role,
            organisation: format!("{id} organisation"),
            country: country.map(str::to_owned),
            algorithm,
            validity,
        })?;
        let key = IdentityKey::from_pem(issued.key_pem.as_bytes())?;
        let identity = NodeIdentity::from_der(&issued.cert_der)?;
        let kem = KemKeyPair::generate()?;
        let bundle = KeyBundle::sign(&identity, &key, &kem, now_ms())?;
        Ok(KitNode {
            identity,
            key,
            cert_der: issued.cert_der.to_vec(),
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
            serial: issued.serial,
            kem,
            bundle,
        })
    }

    /// A CRL (PEM) numbered `number`, revoking `revoked` as of a minute ago.
    pub fn crl_pem(&self, revoked: &[&KitNode], number: u64) -> Result<String, KitError> {
        let entries: Vec<RevokedEntry> = revoked
            .iter()
            .map(|n| RevokedEntry {
                serial: n.serial.clone(),
                revoked_at: (now_ms() / 1000) as i64 - 60,
            })
            .collect();
        Ok(self.ca.crl_pem(&entries, number, 7)?)
    }

    /// A trust store with this CA's root and a CRL revoking `revoked`.
    pub fn trust(&self, revoked: &[&KitNode]) -> Result<TrustStore, KitError> {
        let crl_pem = self.crl_pem(revoked, 1)?;
        let crl = rustls_pki_types::pem::PemObject::from_pem_slice(crl_pem.as_bytes())
            .map_err(|e: rustls_pki_types::pem::Error| TrustError::BadCrl(e.to_string()))?;
        Ok(TrustStore::new(
            vec![self.ca.cert_der().clone()],
            vec![crl],
        )?)
    }
}
