//! The CA directory used by `cordon-hub ca …`: the root certificate and key, the list of
//! revoked serials and the current CRL.
//!
//! ```text
//! <dir>/ca.crt        root certificate (PEM)
//! <dir>/ca.key        root private key (PEM, mode 0600)
//! <dir>/revoked.txt   one line per revoked certificate: "<serial hex> <unix seconds>"
//! <dir>/crlnumber     the number of the last CRL issued
//! <dir>/crl.pem       the current CRL (PEM); give it to the hub (`tls.crls`) and the nodes
//! ```

use std::path::{Path, PathBuf};

use cordon_common::identity::KeyAlgorithm;
use cordon_common::pki::{
    write_public_file, write_secret_file, Ca, CaError, HubCertRequest, IssuedCert, NodeCertRequest,
    RevokedEntry, Validity,
};

/// A CA directory operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaDirError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The CA refused.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// `init` would overwrite an existing CA.
    #[error("{0} already holds a CA; refusing to overwrite it")]
    Exists(String),
    /// A file holds something unexpected.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Days a CRL stays current; re-issue with `cordon-hub ca crl` before then.
pub const CRL_DAYS: i64 = 30;

/// A CA directory.
#[derive(Debug)]
pub struct CaDir {
    dir: PathBuf,
    ca: Ca,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CaDirError + '_ {
    move |source| CaDirError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl CaDir {
    /// Create a new root in `dir` (which must not hold one), with an empty CRL.
    pub fn init(
        dir: &Path,
        name: &str,
        organisation: &str,
        alg: KeyAlgorithm,
        days: i64,
    ) -> Result<Self, CaDirError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let cert = dir.join("ca.crt");
        if cert.exists() {
            return Err(CaDirError::Exists(dir.display().to_string()));
        }
        let (ca, key_pem) = Ca::init(name, organisation, alg, Validity::days_from_now(days))?;
        let key = dir.join("ca.key");
        write_secret_file(&key, key_pem.as_bytes()).map_err(io(&key))?;
        write_public_file(&cert, ca.cert_pem().as_bytes()).map_err(io(&cert))?;
        let me = Self {
            dir: dir.to_path_buf(),
            ca,
        };
        me.write_crl(&[])?;
        Ok(me)
    }

    /// Open an existing CA directory.
    pub fn open(dir: &Path) -> Result<Self, CaDirError> {
        let cert = dir.join("ca.crt");
        let key = dir.join("ca.key");
        let cert_pem = std::fs::read_to_string(&cert).map_err(io(&cert))?;
        let key_pem = std::fs::read_to_string(&key).map_err(io(&key))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            ca: Ca::from_pem(&cert_pem, &key_pem)?,
        })
    }

    /// The root certificate file.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// The CRL file.
    pub fn crl_path(&self) -> PathBuf {
        self.dir.join("crl.pem")
    }

    /// The CA.
    pub fn ca(&self) -> &Ca {
        &self.ca
    }

    /// Write `issued` as `<out>/<name>.crt` and `<out>/<name>.key` (0600). Returns the paths.
    pub fn write_issued(
        out: &Path,
        name: &str,
        issued: &IssuedCert,
    ) -> Result<(PathBuf, PathBuf), CaDirError> {
        std::fs::create_dir_all(out).map_err(io(out))?;
        let crt = out.join(format!("{name}.crt"));
        let key = out.join(format!("{name}.key"));
        write_secret_file(&key, issued.key_pem.as_bytes()).map_err(io(&key))?;
        write_public_file(&crt, issued.cert_pem.as_bytes()).map_err(io(&crt))?;
        Ok((crt, key))
    }

    /// Issue a node certificate.
    pub fn issue_node(&self, req: &NodeCertRequest) -> Result<IssuedCert, CaDirError> {
        Ok(self.ca.issue_node(req)?)
    }

    /// Issue a hub certificate.
    pub fn issue_hub(&self, req: &HubCertRequest) -> Result<IssuedCert, CaDirError> {
        Ok(self.ca.issue_hub(req)?)
    }

    fn revoked(&self) -> Result<Vec<RevokedEntry>, CaDirError> {
        let path = self.dir.join("revoked.txt");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&path)(e)),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                let bad = |reason: String| CaDirError::Corrupt {
                    path: format!("{}:{}", path.display(), i + 1),
                    reason,
                };
                let (serial, at) = l
                    .split_once(' ')
                    .ok_or_else(|| bad("expected '<serial hex> <unix seconds>'".into()))?;
                Ok(RevokedEntry {
                    serial: hex::decode(serial.trim()).map_err(|e| bad(e.to_string()))?,
                    revoked_at: at
                        .trim()
                        .parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                })
            })
            .collect()
    }

    fn write_crl(&self, revoked: &[RevokedEntry]) -> Result<PathBuf, CaDirError> {
        let num_path = self.dir.join("crlnumber");
        let number = match std::fs::read_to_string(&num_path) {
            Ok(t) => t.trim().parse::<u64>().unwrap_or(0) + 1,
            Err(_) => 1,
        };
        let pem = self.ca.crl_pem(revoked, number, CRL_DAYS)?;
        write_public_file(&num_path, format!("{number}\n").as_bytes()).map_err(io(&num_path))?;
        let crl = self.crl_path();
        // Write then rename, so a hub watching the file never reads half of it.
        let tmp = self.dir.join("crl.pem.tmp");
        write_public_file(&tmp, pem.as_bytes()).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &crl).map_err(io(&crl))?;
        Ok(crl)
    }

    /// Revoke a serial number and write a new CRL. Returns the CRL path.
    pub fn revoke(&self, serial: &[u8], at_unix: i64) -> Result<PathBuf, CaDirError> {
        let mut revoked = self.revoked()?;
        if !revoked.iter().any(|r| r.serial == serial) {
            revoked.push(RevokedEntry {
                serial: serial.to_vec(),
                revoked_at: at_unix,
            });
            let path = self.dir.join("revoked.txt");
            let text: String = revoked
                .iter()
                .map(|r| format!("{} {}\n", hex::encode(&r.serial), r.revoked_at))
                .collect();
            write_public_file(&path, text.as_bytes()).map_err(io(&path))?;
        }
        self.write_crl(&revoked)
    }

    /// Issue a fresh CRL with the current revocations.
    pub fn refresh_crl(&self) -> Result<PathBuf, CaDirError> {
        let revoked = self.revoked()?;
        self.write_crl(&revoked)
    }
}

/// The serial number of a PEM certificate file.
pub fn serial_of_cert_file(path: &Path) -> Result<Vec<u8>, CaDirError> {
    let certs = cordon_common::pki::read_pem_certs(path).map_err(|e| CaDirError::Corrupt {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let first = certs.first().ok_or_else(|| CaDirError::Corrupt {
        path: path.display().to_string(),
        reason: "no certificate".into(),
    })?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(first).map_err(|e| CaDirError::Corrupt {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(cert.raw_serial().to_vec())
}
