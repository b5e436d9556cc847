//! Audit records of refused handshakes, aggregated so that a flood of refusals cannot
//! flood the audit log. Within a window, the first refusal of each (code, certificate,
//! address) is recorded at once; its repeats are counted and recorded as one record with
//! their count when the window ends. At most [`MAX_KEYS`] distinct refusals are kept per
//! window; beyond that, refusals are counted per code and recorded with address `*`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use crate::audit::AuditEvent;
use crate::tls::RefusedCert;

/// Distinct refusals remembered per window (about 1 KiB each at most).
pub const MAX_KEYS: usize = 1024;

/// One refused handshake.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Where it came from.
    pub addr: SocketAddr,
    /// The reason code (`revoked`, `timeout`, `overloaded`, ...).
    pub code: &'static str,
    /// The certificate refused, if the refusal was about one.
    pub cert: Option<RefusedCert>,
}

type Key = (&'static str, Option<String>, IpAddr);

#[derive(Debug)]
struct Repeats {
    last: Refusal,
    count: u64,
}

#[derive(Debug, Default)]
struct Window {
    seen: HashMap<Key, Repeats>,
    overflow: HashMap<&'static str, u64>,
}

/// The refusals of the current window.
#[derive(Debug, Default)]
pub struct RefusalAudit {
    window: Mutex<Window>,
}

fn event(r: &Refusal, addr: String, count: u64) -> AuditEvent {
    let cert = r.cert.as_ref();
    AuditEvent::HandshakeRefused {
        addr,
        code: r.code.to_owned(),
        fingerprint: cert.map(|c| c.fingerprint.clone()),
        subject: cert.map(|c| c.subject.clone()),
        serial: cert.map(|c| c.serial.clone()),
        count,
    }
}

impl RefusalAudit {
    /// Note a refusal; returns the record to write now, if this is the first of its kind
    /// in the window.
    pub fn note(&self, r: Refusal) -> Option<AuditEvent> {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        let key = (
            r.code,
            r.cert.as_ref().map(|c| c.fingerprint.clone()),
            r.addr.ip(),
        );
        if let Some(rep) = w.seen.get_mut(&key) {
            rep.count += 1;
            rep.last = r;
            return None;
        }
        if w.seen.len() >= MAX_KEYS {
            *w.overflow.entry(r.code).or_insert(0) += 1;
            return None;
        }
        let first = event(&r, r.addr.to_string(), 1);
        w.seen.insert(key, Repeats { last: r, count: 0 });
        Some(first)
    }

    /// End the window: one record per refusal that repeated (with the count of repeats
    /// and the last address), one per code for the refusals beyond [`MAX_KEYS`].
    pub fn end_window(&self) -> Vec<AuditEvent> {
        let w = std::mem::take(&mut *self.window.lock().unwrap_or_else(|p| p.into_inner()));
        let mut out: Vec<AuditEvent> = w
            .seen
            .into_values()
            .filter(|rep| rep.count > 0)
            .map(|rep| event(&rep.last, rep.last.addr.to_string(), rep.count))
            .collect();
        for (code, count) in w.overflow {
            out.push(AuditEvent::HandshakeRefused {
                addr: "*".into(),
                code: code.to_owned(),
                fingerprint: None,
                subject: None,
                serial: None,
                count,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn refusal(port: u16, code: &'static str) -> Refusal {
        Refusal {
            addr: SocketAddr::from(([192, 0, 2, 1], port)),
            code,
            cert: None,
        }
    }

    #[test]
    fn repeats_in_a_window_make_one_more_record_with_their_count() {
        let a = RefusalAudit::default();
        assert!(a.note(refusal(1, "timeout")).is_some());
        for p in 2..10 {
            assert!(a.note(refusal(p, "timeout")).is_none());
        }
        assert!(a.note(refusal(1, "revoked")).is_some());
        let ended = a.end_window();
        assert_eq!(ended.len(), 1);
        assert!(matches!(
            &ended[0],
            AuditEvent::HandshakeRefused { count: 8, addr, .. } if addr == "192.0.2.1:9"
        ));
        assert!(a.end_window().is_empty());
        assert!(a.note(refusal(1, "timeout")).is_some(), "a new window");
    }

    #[test]
    fn distinct_refusals_beyond_the_cap_are_counted_per_code() {
        let a = RefusalAudit::default();
        for i in 0..(MAX_KEYS as u32 + 5) {
            let addr = SocketAddr::from((std::net::Ipv4Addr::from(0x0a00_0000 + i), 1));
            let _ = a.note(Refusal {
                addr,
                code: "timeout",
                cert: None,
            });
        }
        let ended = a.end_window();
        assert!(matches!(
            ended.as_slice(),
            [AuditEvent::HandshakeRefused { count: 5, addr, .. }] if addr == "*"
        ));
    }
}
