//! The federation CA on rcgen: a root, hub certificates (serverAuth), node certificates
//! (clientAuth) with the Cordon profile, and CRLs.
//!
//! Pure: it returns PEM/DER; writing files (keys with mode 0600) is the caller's job, with
//! [`super::write_secret_file`].

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber, SignatureAlgorithm,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::identity::{KeyAlgorithm, NODE_URI_PREFIX};
use crate::ids::{NodeId, Role};
use crate::roster::{Roster, RosterError, SignedRoster};

/// A CA operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// rcgen refused the parameters or the key.
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// A field of the request is invalid.
    #[error("invalid request: {0}")]
    Request(String),
    /// No randomness for a serial number.
    #[error("system random number generator failed")]
    Rng,
}

/// A validity window.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    /// Start.
    pub not_before: OffsetDateTime,
    /// End.
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From now (less five minutes of clock skew) for `days`.
    pub fn days_from_now(days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            not_before: now - Duration::minutes(5),
            not_after: now + Duration::days(days),
        }
    }
}

/// What a node certificate says.
#[derive(Debug, Clone)]
pub struct NodeCertRequest {
    /// SAN URI `cordon://node/<ID>`, also the CN.
    pub node_id: NodeId,
    /// OU.
    pub role: Role,
    /// O.
    pub organisation: String,
    /// C, ISO 3166 alpha-2, where the node has one.
    pub country: Option<String>,
    /// Key type.
    pub algorithm: KeyAlgorithm,
    /// Validity.
    pub validity: Validity,
}

/// What a hub certificate says.
#[derive(Debug, Clone)]
pub struct HubCertRequest {
    /// DNS names (the first is also the CN).
    pub dns_names: Vec<String>,
    /// IP addresses.
    pub ips: Vec<std::net::IpAddr>,
    /// O.
    pub organisation: String,
    /// Key type.
    pub algorithm: KeyAlgorithm,
    /// Validity.
    pub validity: Validity,
}

/// A freshly issued certificate and its private key.
pub struct IssuedCert {
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM. Secret: write it with mode 0600.
    pub key_pem: String,
    /// The serial number (big-endian bytes), for revocation.
    pub serial: Vec<u8>,
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert")
            .field("serial", &hex::encode(&self.serial))
            .finish()
    }
}

/// One revoked certificate for a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Serial number, big-endian bytes.
    pub serial: Vec<u8>,
    /// When it was revoked (Unix seconds).
    pub revoked_at: i64,
}

/// The federation root CA.
pub struct Ca {
    cert_der: CertificateDer<'static>,
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ca { .. }")
    }
}

fn sig_alg(a: KeyAlgorithm) -> &'static SignatureAlgorithm {
    match a {
        KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
        KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
    }
}

/// A new key pair, kept as PKCS#8 v1 (what OpenSSL writes and every tool reads; ring
/// generates Ed25519 keys as v2, which OpenSSL 3 refuses).
fn generate_key(alg: KeyAlgorithm) -> Result<KeyPair, CaError> {
    let key = KeyPair::generate_for(sig_alg(alg))?;
    match super::pkcs8::ed25519_v2_to_v1(&key.serialize_der()) {
        Some(v1) => Ok(KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls_pki_types::PrivatePkcs8KeyDer::from(v1),
            sig_alg(alg),
        )?),
        None => Ok(key),
    }
}

fn random_serial() -> Result<SerialNumber, CaError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| CaError::Rng)?;
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // and full length
    Ok(SerialNumber::from_slice(&b))
}

impl Ca {
    /// Create a new root: CN `<name>`, O `<organisation>`.
    pub fn init(
        name: &str,
        organisation: &str,
        algorithm: KeyAlgorithm,
        validity: Validity,
    ) -> Result<(Self, String), CaError> {
        let key = generate_key(algorithm)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, organisation);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = validity.not_before;
        params.not_after = validity.not_after;
        params.serial_number = Some(random_serial()?);
        let cert = params.self_signed(&key)?;
        let key_pem = key.serialize_pem();
        let cert_der = cert.der().clone();
        let cert_pem = cert.pem();
        let issuer = Issuer::new(params, key);
        Ok((
            Self {
                cert_der,
                cert_pem,
                issuer,
            },
            key_pem,
        ))
    }

    /// Load an existing root from its certificate and key (PEM).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, CaError> {
        let key = KeyPair::from_pem(key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key)?;
        let cert_der = rustls_pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e: rustls_pki_types::pem::Error| CaError::Request(e.to_string()))?;
        Ok(Self {
            cert_der,
            cert_pem: cert_pem.to_owned(),
            issuer,
        })
    }

    /// The root certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The root certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Sign an operation roster with the root's key (`crate::roster`): what lets nodes
    /// check the readers the hub names without trusting the hub.
    pub fn sign_roster(&self, roster: &Roster) -> Result<SignedRoster, RosterError> {
        use rcgen::SigningKey;
        roster.sign_with(|input| self.issuer.key().sign(input).map_err(|e| e.to_string()))
    }

    fn issue(
        &self,
        mut params: CertificateParams,
        alg: KeyAlgorithm,
    ) -> Result<IssuedCert, CaError> {
        let key = generate_key(alg)?;
        let serial = random_serial()?;
        params.serial_number = Some(serial.clone());
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(IssuedCert {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial: serial.to_bytes(),
        })
    }

    /// Issue a node certificate with the Cordon profile.
    pub fn issue_node(&self, req: &NodeCertRequest) -> Result<IssuedCert, CaError> {
        if req.organisation.trim().is_empty() {
            return Err(CaError::Request(
                "organisation (O) must not be empty".into(),
            ));
        }
        if let Some(c) = &req.country {
            if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) {
                return Err(CaError::Request(format!(
                    "country {c:?} is not an ISO 3166 alpha-2 code such as BE"
                )));
            }
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, req.node_id.as_str());
        dn.push(DnType::OrganizationName, req.organisation.as_str());
        dn.push(DnType::OrganizationalUnitName, req.role.as_str());
        if let Some(c) = &req.country {
            dn.push(DnType::CountryName, c.as_str());
        }
        params.distinguished_name = dn;
        let uri = format!("{NODE_URI_PREFIX}{}", req.node_id);
        params.subject_alt_names = vec![SanType::URI(
            uri.try_into()
                .map_err(|e: rcgen::Error| CaError::Request(e.to_string()))?,
        )];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = req.validity.not_before;
        params.not_after = req.validity.not_after;
        self.issue(params, req.algorithm)
    }

    /// Issue a hub certificate (serverAuth) for its DNS names and IPs.
    pub fn issue_hub(&self, req: &HubCertRequest) -> Result<IssuedCert, CaError> {
        if req.dns_names.is_empty() && req.ips.is_empty() {
            return Err(CaError::Request(
                "a hub certificate needs a DNS name or an IP".into(),
            ));
        }
        let mut params = CertificateParams::new(req.dns_names.clone())?;
        params
            .subject_alt_names
            .extend(req.ips.iter().map(|ip| SanType::IpAddress(*ip)));
        let mut dn = DistinguishedName::new();
        let cn = req
            .dns_names
            .first()
            .cloned()
            .unwrap_or_else(|| "cordon-hub".into());
        dn.push(DnType::CommonName, cn);
        dn.push(DnType::OrganizationName, req.organisation.as_str());
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = req.validity.not_before;
        params.not_after = req.validity.not_after;
        self.issue(params, req.algorithm)
    }

    /// A CRL listing `revoked`, numbered `crl_number`, valid from now for `next_update_days`.
    pub fn crl_pem(
        &self,
        revoked: &[RevokedEntry],
        crl_number: u64,
        next_update_days: i64,
    ) -> Result<String, CaError> {
        let now = OffsetDateTime::now_utc();
        let revoked_certs = revoked
            .iter()
            .map(|r| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&r.serial),
                    revocation_time: OffsetDateTime::from_unix_timestamp(r.revoked_at)
                        .map_err(|e| CaError::Request(e.to_string()))?,
                    reason_code: Some(RevocationReason::Unspecified),
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, CaError>>()?;
        let params = CertificateRevocationListParams {
            this_update: now - Duration::minutes(5),
            next_update: now + Duration::days(next_update_days.max(1)),
            crl_number: SerialNumber::from(crl_number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.pem()?)
    }
}
