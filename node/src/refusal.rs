//! Why a connection to the hub was refused, read from how it ended: the TLS alert the hub
//! sent at the handshake, the code the hub closed with after re-checking this node's
//! certificate (before `Welcome`, on a CRL reload, at expiry), or the alert this node
//! sent when it refused the hub's certificate. Each reason comes with what to do.

use cordon_common::wire::ErrorCode;

/// The TLS alerts (RFC 8446 §6.2) that name a certificate problem.
const BAD_CERTIFICATE: u8 = 42;
const UNSUPPORTED_CERTIFICATE: u8 = 43;
const CERTIFICATE_REVOKED: u8 = 44;
const CERTIFICATE_EXPIRED: u8 = 45;
const CERTIFICATE_UNKNOWN: u8 = 46;
const UNKNOWN_CA: u8 = 48;
/// Sent for a certificate whose signature does not verify under the root.
const DECRYPT_ERROR: u8 = 51;
const CERTIFICATE_REQUIRED: u8 = 116;

/// QUIC carries a TLS alert as the transport error code 0x100 + alert (RFC 9001 §4.8).
const CRYPTO_ERROR_BASE: u64 = 0x100;

/// Who refused whose certificate, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The hub refused this node's certificate; the short reason (`revoked`, `expired`,
    /// `unknown-ca`, `wrong-usage`, `bad-certificate`, `no-certificate`).
    ByHub(&'static str),
    /// This node refused the hub's certificate; the short reason and the verifier's words.
    HubCertificate(&'static str, String),
}

impl Refusal {
    /// The short reason shown in `status` (`hub-certificate-…` when the hub's own
    /// certificate was refused).
    pub fn reason(&self) -> String {
        match self {
            Self::ByHub(r) => (*r).to_owned(),
            Self::HubCertificate(r, _) => format!("hub-certificate-{r}"),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ByHub(r) => {
                let what = match *r {
                    "revoked" => "this node's certificate is revoked: ask the Secretariat for a new certificate",
                    "expired" => "this node's certificate has expired (or is not valid yet): check the clock, or ask the Secretariat for a new certificate",
                    "unknown-ca" => "this node's certificate is not issued by the federation CA the hub trusts: check tls.cert",
                    "wrong-usage" => "this node's certificate lacks extended key usage clientAuth: ask the Secretariat for a node certificate",
                    "no-certificate" => "the hub asked for a client certificate and got none: check tls.cert and tls.key",
                    _ => "this node's certificate does not have the Cordon node profile: ask the Secretariat for a node certificate",
                };
                write!(f, "the hub refused this node ({r}): {what}")
            }
            Self::HubCertificate(r, detail) => write!(
                f,
                "the hub's certificate is refused ({r}: {detail}); do not use this hub, tell the Secretariat"
            ),
        }
    }
}

fn alert_reason(alert: u8) -> &'static str {
    match alert {
        CERTIFICATE_REVOKED => "revoked",
        CERTIFICATE_EXPIRED => "expired",
        UNKNOWN_CA | DECRYPT_ERROR => "unknown-ca",
        UNSUPPORTED_CERTIFICATE => "wrong-usage",
        CERTIFICATE_REQUIRED => "no-certificate",
        _ => "bad-certificate",
    }
}

fn is_certificate_alert(alert: u8) -> bool {
    matches!(
        alert,
        BAD_CERTIFICATE
            | UNSUPPORTED_CERTIFICATE
            | CERTIFICATE_REVOKED
            | CERTIFICATE_EXPIRED
            | CERTIFICATE_UNKNOWN
            | UNKNOWN_CA
            | DECRYPT_ERROR
            | CERTIFICATE_REQUIRED
    )
}

fn alert_of(code: quinn::TransportErrorCode) -> Option<u8> {
    let raw = u64::from(code);
    let alert = u8::try_from(raw.checked_sub(CRYPTO_ERROR_BASE)?).ok()?;
    is_certificate_alert(alert).then_some(alert)
}

/// The refusal a connection error stands for, if it is one.
pub fn of_connection_error(e: &quinn::ConnectionError) -> Option<Refusal> {
    match e {
        // The hub's TLS stack refused this node's certificate.
        quinn::ConnectionError::ConnectionClosed(c) => {
            alert_of(c.error_code).map(|a| Refusal::ByHub(alert_reason(a)))
        }
        // This node's TLS stack refused the hub's certificate.
        quinn::ConnectionError::TransportError(t) => {
            alert_of(t.code).map(|a| Refusal::HubCertificate(alert_reason(a), t.reason.clone()))
        }
        // The hub re-checked the certificate after the handshake.
        quinn::ConnectionError::ApplicationClosed(c) => {
            let code = u16::try_from(u64::from(c.error_code)).ok()?;
            of_error_frame(code, &String::from_utf8_lossy(&c.reason))
        }
        _ => None,
    }
}

/// The refusal an `Error` frame from the hub stands for, if it is one.
pub fn of_error_frame(code: u16, message: &str) -> Option<Refusal> {
    match ErrorCode::from_u16(code)? {
        ErrorCode::Revoked => Some(Refusal::ByHub("revoked")),
        ErrorCode::Unauthorized => message
            .strip_prefix("certificate ")
            .and_then(|rest| rest.split([':', ';', ' ']).next())
            .map(|r| Refusal::ByHub(known_reason(r))),
        _ => None,
    }
}

/// This node's verifier refused the hub's certificate on a live connection (after a CRL
/// reload).
pub fn of_hub_certificate_error(e: &rustls::Error) -> Refusal {
    use rustls::CertificateError as C;
    let reason = match e {
        rustls::Error::InvalidCertificate(C::Revoked) => "revoked",
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => "expired",
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => "unknown-ca",
        _ => "bad-certificate",
    };
    Refusal::HubCertificate(reason, e.to_string())
}

/// The hub's reasons as static strings (an unknown word is `bad-certificate`).
fn known_reason(word: &str) -> &'static str {
    match word {
        "revoked" => "revoked",
        "expired" => "expired",
        "not-yet-valid" => "expired",
        "unknown-ca" => "unknown-ca",
        "wrong-usage" => "wrong-usage",
        _ => "bad-certificate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_and_close_words_name_the_reason() {
        assert_eq!(alert_of(quinn::TransportErrorCode::crypto(44)), Some(44));
        assert_eq!(alert_of(quinn::TransportErrorCode::crypto(40)), None);
        assert_eq!(alert_reason(CERTIFICATE_EXPIRED), "expired");
        assert_eq!(alert_reason(UNKNOWN_CA), "unknown-ca");
        assert_eq!(alert_reason(UNSUPPORTED_CERTIFICATE), "wrong-usage");
        assert_eq!(
            of_error_frame(ErrorCode::Unauthorized.as_u16(), "certificate expired; ask"),
            Some(Refusal::ByHub("expired"))
        );
        assert_eq!(
            of_error_frame(ErrorCode::Revoked.as_u16(), "anything"),
            Some(Refusal::ByHub("revoked"))
        );
        assert_eq!(of_error_frame(ErrorCode::Protocol.as_u16(), "x"), None);
    }
}
