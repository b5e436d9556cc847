//! A throw-away federation PKI in a temporary directory, made with the hub's CA tooling.

use std::path::{Path, PathBuf};

use anyhow::Result;
use cordon_common::identity::{KeyAlgorithm, NodeIdentity};
use cordon_common::ids::{NodeId, Role};
use cordon_common::pki::{HubCertRequest, IdentityKey, NodeCertRequest, Validity};
use cordon_hub::ca_dir::CaDir;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A node's credentials on disk and in memory.
#[derive(Debug)]
pub struct NodeCreds {
    /// Identity from the certificate.
    pub identity: NodeIdentity,
    /// Certificate file (PEM).
    pub cert_path: PathBuf,
    /// Key file (PEM, 0600).
    pub key_path: PathBuf,
    /// Certificate, DER.
    pub cert_der: Vec<u8>,
    /// Serial.
    pub serial: Vec<u8>,
}

impl NodeCreds {
    /// The signing key.
    pub fn identity_key(&self) -> Result<IdentityKey> {
        Ok(IdentityKey::load(&self.key_path)?.0)
    }
    /// The TLS chain and key.
    pub fn tls(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
        let chain = cordon_common::pki::read_pem_certs(&self.cert_path)?;
        let key = PrivateKeyDer::from_pem_file(&self.key_path)?;
        Ok((chain, key))
    }
}

/// A CA with a hub certificate for 127.0.0.1 / localhost.
#[derive(Debug)]
pub struct Pki {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The CA.
    pub ca: CaDir,
    /// Hub certificate file.
    pub hub_cert: PathBuf,
    /// Hub key file.
    pub hub_key: PathBuf,
}

impl Pki {
    /// A fresh CA (Ed25519) and hub certificate.
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let ca = CaDir::init(
            &dir.path().join("ca"),
            "Cordon Test Root",
            "Test Secretariat",
            KeyAlgorithm::Ed25519,
            30,
        )?;
        let issued = ca.issue_hub(&HubCertRequest {
            dns_names: vec!["localhost".into()],
            ips: vec!["127.0.0.1".parse()?],
            organisation: "Test Secretariat".into(),
            algorithm: KeyAlgorithm::Ed25519,
            validity: Validity::days_from_now(30),
        })?;
        let (hub_cert, hub_key) = CaDir::write_issued(&dir.path().join("hub"), "hub", &issued)?;
        Ok(Self {
            dir,
            ca,
            hub_cert,
            hub_key,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The root certificate file.
    pub fn root_path(&self) -> PathBuf {
        self.ca.cert_path()
    }

    /// The CRL file.
    pub fn crl_path(&self) -> PathBuf {
        self.ca.crl_path()
    }

    /// Sign the operation roster of `policy` (TOML text) into `out`, with a version
    /// above every roster this process signed before.
    pub fn sign_roster(&self, policy: &str, out: &Path) -> Result<()> {
        static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let policy = cordon_hub::policy::Policy::parse(policy, "policy.toml")?;
        let now = cordon_common::testkit::now_ms();
        let version = LAST
            .fetch_max(now, std::sync::atomic::Ordering::SeqCst)
            .max(now)
            .saturating_add(1);
        LAST.fetch_max(version, std::sync::atomic::Ordering::SeqCst);
        let signed = self.ca.ca().sign_roster(&policy.roster(version, now))?;
        std::fs::write(out, signed.as_bytes())?;
        Ok(())
    }

    /// A QUIC endpoint on 127.0.0.1 (port chosen by the OS) presenting the hub's
    /// certificate with the hub's real TLS configuration (mandatory client certificates
    /// of this federation), for tests that play a hub themselves (a compromised one).
    pub fn test_hub_endpoint(&self) -> Result<quinn::Endpoint> {
        use cordon_hub::tls::{server_config, NodeCertVerifier};
        let verifier = std::sync::Arc::new(NodeCertVerifier::new(&self.trust()?)?);
        let chain = cordon_common::pki::read_pem_certs(&self.hub_cert)?;
        let key = PrivateKeyDer::from_pem_file(&self.hub_key)?;
        let tls = server_config(verifier, chain, key)?;
        let mut server = quinn::ServerConfig::with_crypto(std::sync::Arc::new(
            quinn::crypto::rustls::QuicServerConfig::try_from(tls)?,
        ));
        server.transport_config(std::sync::Arc::new(cordon_common::quic::transport_config(
            &cordon_common::quic::TransportLimits::default(),
        )));
        Ok(quinn::Endpoint::server(server, "127.0.0.1:0".parse()?)?)
    }

    /// The root, DER.
    pub fn roots(&self) -> Result<Vec<CertificateDer<'static>>> {
        Ok(cordon_common::pki::read_pem_certs(&self.root_path())?)
    }

    /// A trust store with the current CRL.
    pub fn trust(&self) -> Result<cordon_common::pki::TrustStore> {
        let crls = cordon_common::pki::read_pem_crls(&self.crl_path())?;
        Ok(cordon_common::pki::TrustStore::new(self.roots()?, crls)?)
    }

    /// Issue a node certificate (country from the id's first two letters for `*-NCP`).
    pub fn node(&self, id: &str, role: Role) -> Result<NodeCreds> {
        self.node_with(id, role, KeyAlgorithm::Ed25519, Validity::days_from_now(30))
    }

    /// Issue a node certificate with the given key type and validity.
    pub fn node_with(
        &self,
        id: &str,
        role: Role,
        alg: KeyAlgorithm,
        validity: Validity,
    ) -> Result<NodeCreds> {
        let node_id: NodeId = id.parse()?;
        let country = id
            .strip_suffix("-NCP")
            .filter(|c| c.len() == 2)
            .map(str::to_owned);
        let issued = self.ca.issue_node(&NodeCertRequest {
            node_id,
            role,
            organisation: format!("{id} customs"),
            country,
            algorithm: alg,
            validity,
        })?;
        let (cert_path, key_path) = CaDir::write_issued(&self.path().join("nodes"), id, &issued)?;
        Ok(NodeCreds {
            identity: NodeIdentity::from_der(&issued.cert_der)?,
            cert_path,
            key_path,
            cert_der: issued.cert_der.to_vec(),
            serial: issued.serial,
        })
    }

    /// Revoke a node's certificate (rewrites the CRL file).
    pub fn revoke(&self, node: &NodeCreds) -> Result<()> {
        self.revoke_serial(&node.serial)
    }

    /// Revoke the hub's certificate (rewrites the CRL file).
    pub fn revoke_hub(&self) -> Result<()> {
        self.revoke_serial(&cordon_hub::ca_dir::serial_of_cert_file(&self.hub_cert)?)
    }

    fn revoke_serial(&self, serial: &[u8]) -> Result<()> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
        self.ca.revoke(serial, now)?;
        Ok(())
    }

    /// A node certificate valid from an hour ago until `seconds` from now.
    pub fn node_expiring_in(&self, id: &str, role: Role, seconds: i64) -> Result<NodeCreds> {
        let now = time::OffsetDateTime::now_utc();
        self.node_with(
            id,
            role,
            KeyAlgorithm::Ed25519,
            Validity {
                not_before: now - time::Duration::hours(1),
                not_after: now + time::Duration::seconds(seconds),
            },
        )
    }
}

impl Pki {
    /// This CA as an rcgen issuer (to sign what the CA tooling would not make).
    fn issuer(&self) -> Result<rcgen::Issuer<'static, rcgen::KeyPair>> {
        let ca_pem = std::fs::read_to_string(self.root_path())?;
        let ca_key =
            rcgen::KeyPair::from_pem(&std::fs::read_to_string(self.path().join("ca/ca.key"))?)?;
        Ok(rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key)?)
    }

    /// Write over the CRL file a CRL (revoking nothing, numbered 1000) that was due to be
    /// replaced a day ago: thisUpdate two days ago, nextUpdate one day ago.
    pub fn write_overdue_crl(&self) -> Result<()> {
        let now = time::OffsetDateTime::now_utc();
        let params = rcgen::CertificateRevocationListParams {
            this_update: now - time::Duration::days(2),
            next_update: now - time::Duration::days(1),
            crl_number: rcgen::SerialNumber::from(1000u64),
            issuing_distribution_point: None,
            revoked_certs: vec![],
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.issuer()?)?;
        std::fs::write(self.crl_path(), crl.pem()?)?;
        Ok(())
    }

    /// A certificate signed by this CA with parameters edited by `edit` (to make
    /// certificates that break the profile: no SAN URI, no clientAuth, ...).
    pub fn custom_node(
        &self,
        name: &str,
        edit: impl FnOnce(&mut rcgen::CertificateParams),
    ) -> Result<NodeCreds> {
        let issuer = self.issuer()?;
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
        let mut params = rcgen::CertificateParams::default();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, name);
        dn.push(rcgen::DnType::OrganizationName, "Test");
        dn.push(rcgen::DnType::OrganizationalUnitName, "member");
        params.distinguished_name = dn;
        params.subject_alt_names = vec![rcgen::SanType::URI(
            format!("cordon://node/{name}").try_into()?,
        )];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        params.serial_number = Some(rcgen::SerialNumber::from(rand_serial()));
        edit(&mut params);
        let cert = params.signed_by(&key, &issuer)?;
        let dir = self.path().join("custom");
        std::fs::create_dir_all(&dir)?;
        let cert_path = dir.join(format!("{name}.crt"));
        let key_path = dir.join(format!("{name}.key"));
        std::fs::write(&cert_path, cert.pem())?;
        cordon_common::pki::write_secret_file(&key_path, key.serialize_pem().as_bytes())?;
        Ok(NodeCreds {
            // Profile-breaking certificates have no identity; fall back to a placeholder
            // read from a proper certificate only when parsing succeeds.
            identity: NodeIdentity::from_der(cert.der()).or_else(|_| {
                let fallback = self.node(&format!("{name}-X"), Role::Member)?;
                Ok::<_, anyhow::Error>(fallback.identity)
            })?,
            cert_path,
            key_path,
            cert_der: cert.der().to_vec(),
            serial: vec![],
        })
    }
}

fn rand_serial() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
        | 1
}
