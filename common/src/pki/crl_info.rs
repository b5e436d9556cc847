//! What a CRL says about itself (issuer, `crlNumber`, `thisUpdate`, `nextUpdate`), so
//! that an older CRL never replaces a newer one in force, and so that a CRL past its
//! `nextUpdate` can be warned about.

use x509_parser::num_bigint::BigUint;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::TrustError;

/// The issuer, number and dates of one CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInfo {
    /// The issuer's name, for messages.
    pub issuer: String,
    issuer_raw: Vec<u8>,
    /// The `crlNumber` extension, if the CRL has one.
    pub number: Option<BigUint>,
    /// `thisUpdate`, Unix seconds.
    pub this_update: i64,
    /// `nextUpdate`, Unix seconds, if the CRL has one.
    pub next_update: Option<i64>,
}

impl CrlInfo {
    /// Read a CRL's issuer, number and dates.
    pub fn read(der: &[u8]) -> Result<Self, TrustError> {
        let (_, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| TrustError::BadCrl(e.to_string()))?;
        Ok(Self {
            issuer: crl.issuer().to_string(),
            issuer_raw: crl.issuer().as_raw().to_vec(),
            number: crl.crl_number().cloned(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
        })
    }

    /// Whether `nextUpdate` has passed at `now_unix_secs` (the issuer should have
    /// published a newer CRL by now).
    pub fn overdue(&self, now_unix_secs: u64) -> bool {
        let now = i64::try_from(now_unix_secs).unwrap_or(i64::MAX);
        self.next_update.is_some_and(|n| n < now)
    }

    /// Refuse `self` if it is older than `in_force`, a CRL of the same issuer: a lower
    /// `crlNumber`, or an earlier `thisUpdate`. A CRL of another issuer, or the same CRL
    /// again, passes.
    pub fn check_not_older_than(&self, in_force: &CrlInfo) -> Result<(), TrustError> {
        if self.issuer_raw != in_force.issuer_raw {
            return Ok(());
        }
        let older = |detail: String| TrustError::CrlOlder {
            issuer: self.issuer.clone(),
            detail,
        };
        if let (Some(new), Some(old)) = (&self.number, &in_force.number) {
            if new < old {
                return Err(older(format!("crlNumber {new} < {old} in force")));
            }
        }
        if self.this_update < in_force.this_update {
            return Err(older(format!(
                "thisUpdate {} < {} in force",
                self.this_update, in_force.this_update
            )));
        }
        Ok(())
    }
}

/// Refuse any CRL of `fresh` that is older than a CRL in force of the same issuer.
pub fn check_not_older(fresh: &[CrlInfo], in_force: &[CrlInfo]) -> Result<(), TrustError> {
    for new in fresh {
        for old in in_force {
            new.check_not_older_than(old)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::identity::KeyAlgorithm;
    use crate::testkit::Kit;

    fn info(kit: &Kit, number: u64) -> CrlInfo {
        let pem = kit.crl_pem(&[], number).unwrap();
        let der = rustls_pki_types::pem::PemObject::from_pem_slice(pem.as_bytes())
            .map(|d: rustls_pki_types::CertificateRevocationListDer<'_>| d.to_vec())
            .unwrap();
        CrlInfo::read(&der).unwrap()
    }

    #[test]
    fn a_lower_crl_number_or_an_earlier_this_update_is_older() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let (one, two) = (info(&kit, 1), info(&kit, 2));
        assert!(two.check_not_older_than(&one).is_ok());
        assert!(two.check_not_older_than(&two).is_ok(), "the same CRL again");
        assert!(matches!(
            one.check_not_older_than(&two),
            Err(TrustError::CrlOlder { .. })
        ));
        let mut earlier = two.clone();
        earlier.this_update -= 60;
        let err = earlier.check_not_older_than(&two).unwrap_err();
        assert!(err.to_string().contains("thisUpdate"), "{err}");
        // Another issuer's CRL is not compared.
        let mut other = one.clone();
        other.issuer_raw = b"another issuer".to_vec();
        assert!(other.check_not_older_than(&two).is_ok());
    }

    #[test]
    fn overdue_once_next_update_has_passed() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let crl = info(&kit, 1);
        let next = u64::try_from(crl.next_update.unwrap()).unwrap();
        assert!(!crl.overdue(next));
        assert!(crl.overdue(next + 1));
    }
}
