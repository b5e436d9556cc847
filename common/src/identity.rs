//! A node's identity, read from its X.509 certificate.
//!
//! The certificate profile (PROTOCOL.md, "Certificate profile"): node id in a SAN URI
//! `cordon://node/<ID>`, organisation in O, ISO 3166 country in C (optional), role in OU,
//! extended key usage clientAuth, an Ed25519 or ECDSA P-256 key. This module reads and
//! checks those fields; chain, validity and revocation are checked by
//! [`crate::pki::TrustStore`]. The clientAuth check is made here, not left to webpki:
//! webpki accepts a certificate that has no extended key usage extension at all, and the
//! profile requires one that names clientAuth. The hub's TLS verifier and a recipient's
//! signer check both go through [`NodeIdentity::from_der`], so both refuse such a
//! certificate.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use crate::ids::{Fingerprint, NodeId, Role};

/// The SAN URI prefix that carries a node id.
pub const NODE_URI_PREFIX: &str = "cordon://node/";

const OID_ED25519: &str = "1.3.101.112";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// Why a certificate does not carry a usable node identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The bytes are not a DER X.509 certificate.
    #[error("not a DER X.509 certificate: {0}")]
    Malformed(String),
    /// No SAN URI `cordon://node/<ID>`.
    #[error("certificate has no subject alternative name URI cordon://node/<ID>")]
    MissingNodeUri,
    /// More than one `cordon://node/` URI.
    #[error("certificate has more than one cordon://node/ URI")]
    MultipleNodeUris,
    /// The id in the URI is not a valid node id.
    #[error("certificate node id is invalid: {0}")]
    BadNodeId(String),
    /// No OU, or more than one.
    #[error("certificate must carry exactly one OU with the role (member, rilo, ocu)")]
    MissingRole,
    /// The OU is not a known role.
    #[error("certificate OU {0:?} is not a role (member, rilo, ocu)")]
    BadRole(String),
    /// No O.
    #[error("certificate has no organisation (O)")]
    MissingOrganisation,
    /// C is present but not two upper-case letters.
    #[error("certificate country (C) {0:?} is not an ISO 3166 alpha-2 code")]
    BadCountry(String),
    /// The key is neither Ed25519 nor ECDSA P-256.
    #[error("certificate key is neither Ed25519 nor ECDSA P-256 (algorithm {0})")]
    UnsupportedKey(String),
    /// No extended key usage extension, or one without clientAuth (a node certificate must
    /// name clientAuth; anyExtendedKeyUsage alone is not enough).
    #[error(
        "certificate extended key usage is {}; the node profile requires clientAuth",
        if *.eku_present { "present without clientAuth" } else { "missing" }
    )]
    NoClientAuth {
        /// Whether the certificate has an extended key usage extension at all.
        eku_present: bool,
    },
}

/// The signature algorithm of an identity key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA over P-256 with SHA-256, signatures ASN.1 DER encoded.
    EcdsaP256,
}

/// An identity public key as found in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// Which algorithm.
    pub algorithm: KeyAlgorithm,
    /// Raw key: 32 bytes for Ed25519, 65-byte uncompressed point for P-256.
    pub bytes: Vec<u8>,
}

impl PublicKey {
    /// Verify `signature` over `message` with this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn ring::signature::VerificationAlgorithm = match self.algorithm {
            KeyAlgorithm::Ed25519 => &ring::signature::ED25519,
            KeyAlgorithm::EcdsaP256 => &ring::signature::ECDSA_P256_SHA256_ASN1,
        };
        ring::signature::UnparsedPublicKey::new(alg, &self.bytes)
            .verify(message, signature)
            .is_ok()
    }
}

/// Who a certificate says its holder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    /// From the SAN URI.
    pub node_id: NodeId,
    /// From the OU.
    pub role: Role,
    /// From the O.
    pub organisation: String,
    /// From the C, where the node has one.
    pub country: Option<String>,
    /// SHA-256 of the certificate's DER.
    pub fingerprint: Fingerprint,
    /// The identity (signing) key.
    pub public_key: PublicKey,
}

impl NodeIdentity {
    /// Read the identity from a DER certificate and check the node profile, including
    /// extended key usage clientAuth ([`IdentityError::NoClientAuth`]). Does not check the
    /// chain.
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| IdentityError::Malformed(e.to_string()))?;
        let node_id = node_id_of(&cert)?;
        let role = single_attr(cert.subject().iter_organizational_unit())
            .ok_or(IdentityError::MissingRole)?
            .parse::<Role>()
            .map_err(|_| {
                let ou = single_attr(cert.subject().iter_organizational_unit()).unwrap_or_default();
                IdentityError::BadRole(ou)
            })?;
        let organisation = cert
            .subject()
            .iter_organization()
            .find_map(|a| a.as_str().ok().map(str::to_owned))
            .filter(|o| !o.trim().is_empty())
            .ok_or(IdentityError::MissingOrganisation)?;
        let country = match cert.subject().iter_country().next() {
            None => None,
            Some(c) => {
                let c = c.as_str().unwrap_or_default().to_owned();
                if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                    Some(c)
                } else {
                    return Err(IdentityError::BadCountry(c));
                }
            }
        };
        let public_key = public_key_of(&cert)?;
        require_client_auth(&cert)?;
        Ok(Self {
            node_id,
            role,
            organisation,
            country,
            fingerprint: Fingerprint::of_der(der),
            public_key,
        })
    }
}

/// The profile requires an extended key usage extension naming clientAuth. (webpki's
/// `KeyUsage::client_auth()` accepts a certificate with no such extension, so this is
/// checked here.)
fn require_client_auth(cert: &X509Certificate<'_>) -> Result<(), IdentityError> {
    match cert
        .extended_key_usage()
        .map_err(|e| IdentityError::Malformed(e.to_string()))?
    {
        Some(eku) if eku.value.client_auth => Ok(()),
        Some(_) => Err(IdentityError::NoClientAuth { eku_present: true }),
        None => Err(IdentityError::NoClientAuth { eku_present: false }),
    }
}

fn single_attr<'a>(
    mut it: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>,
) -> Option<String> {
    let first = it.next()?.as_str().ok()?.to_owned();
    if it.next().is_some() {
        return None;
    }
    Some(first)
}

fn node_id_of(cert: &X509Certificate<'_>) -> Result<NodeId, IdentityError> {
    let san = cert
        .subject_alternative_name()
        .map_err(|e| IdentityError::Malformed(e.to_string()))?;
    let mut ids = san
        .iter()
        .flat_map(|ext| ext.value.general_names.iter())
        .filter_map(|gn| match gn {
            GeneralName::URI(uri) => uri.strip_prefix(NODE_URI_PREFIX),
            _ => None,
        });
    let id = ids.next().ok_or(IdentityError::MissingNodeUri)?;
    if ids.next().is_some() {
        return Err(IdentityError::MultipleNodeUris);
    }
    id.parse()
        .map_err(|_| IdentityError::BadNodeId(id.chars().take(64).collect()))
}

/// Read the identity key of a certificate (Ed25519 or ECDSA P-256).
pub fn public_key_of(cert: &X509Certificate<'_>) -> Result<PublicKey, IdentityError> {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    let algorithm = if alg == OID_ED25519 {
        KeyAlgorithm::Ed25519
    } else if alg == OID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        if curve.as_deref() != Some(OID_P256) {
            return Err(IdentityError::UnsupportedKey(format!(
                "EC on curve {}",
                curve.unwrap_or_else(|| "?".into())
            )));
        }
        KeyAlgorithm::EcdsaP256
    } else {
        return Err(IdentityError::UnsupportedKey(alg));
    };
    Ok(PublicKey {
        algorithm,
        bytes: spki.subject_public_key.data.to_vec(),
    })
}
