//! Public-key infrastructure: identity keys, trust decisions (chain, validity,
//! revocation) and the federation CA.

mod ca;
mod crl_info;
mod files;
mod keys;
mod pkcs8;
mod trust;

pub use ca::{Ca, CaError, HubCertRequest, IssuedCert, NodeCertRequest, RevokedEntry, Validity};
pub use crl_info::{check_not_older, CrlInfo};
pub use files::{read_pem_certs, read_pem_crls, write_public_file, write_secret_file, PemError};
pub use keys::{IdentityKey, KeyError};
pub use trust::{check_crl, validity_secs, TrustError, TrustStore};
