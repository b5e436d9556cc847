//! Reading PEM files and writing key material safely (mode 0600, fsync'd).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};

/// A PEM file could not be read or held nothing usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not PEM of the expected kind.
    #[error("{path}: not a PEM file with {what}: {detail}")]
    Parse {
        /// The file.
        path: String,
        /// What was expected ("CERTIFICATE", "X509 CRL", "PRIVATE KEY").
        what: &'static str,
        /// The parser's words.
        detail: String,
    },
    /// The file held no object of the expected kind.
    #[error("{path}: no {what} block found")]
    Empty {
        /// The file.
        path: String,
        /// What was expected.
        what: &'static str,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, PemError> {
    std::fs::read(path).map_err(|source| PemError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Every certificate in a PEM file (at least one).
pub fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PemError::Parse {
            path: path.display().to_string(),
            what: "CERTIFICATE",
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(PemError::Empty {
            path: path.display().to_string(),
            what: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// Every CRL in a PEM file (at least one).
pub fn read_pem_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, PemError> {
    let bytes = read(path)?;
    let crls = CertificateRevocationListDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PemError::Parse {
            path: path.display().to_string(),
            what: "X509 CRL",
            detail: e.to_string(),
        })?;
    if crls.is_empty() {
        return Err(PemError::Empty {
            path: path.display().to_string(),
            what: "X509 CRL",
        });
    }
    Ok(crls)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)?;
    // The mode above only applies to a new file; tighten an existing one too.
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Write a secret (private key, token) readable and writable by its owner only (0600).
pub fn write_secret_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o600)
}

/// Write a public file (certificate, CRL) with mode 0644.
pub fn write_public_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o644)
}
