//! How many handshakes may be in progress at once, in all and from one address. A
//! handshake holds a [`HandshakeTicket`] until it completes or fails; a connection counts
//! against `max_connections` only once its handshake has completed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The caps on handshakes in progress.
#[derive(Debug)]
pub struct HandshakeGate {
    max_total: usize,
    max_per_address: usize,
    inner: Mutex<InProgress>,
}

#[derive(Debug, Default)]
struct InProgress {
    total: usize,
    /// At most `max_total` entries: an address is removed when its count drops to 0.
    by_address: HashMap<IpAddr, usize>,
}

/// Why a handshake may not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// `max_handshakes` are in progress.
    Total,
    /// `max_handshakes_per_address` are in progress from this address.
    Address,
}

impl Busy {
    /// The reason code, for metrics and audit.
    pub fn code(self) -> &'static str {
        match self {
            Busy::Total => "handshakes-busy",
            Busy::Address => "address-busy",
        }
    }
}

/// One handshake in progress; dropping it ends it.
#[derive(Debug)]
pub struct HandshakeTicket {
    gate: Arc<HandshakeGate>,
    address: IpAddr,
}

impl HandshakeGate {
    /// Caps (each at least 1).
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total: max_total.max(1),
            max_per_address: max_per_address.max(1),
            inner: Mutex::new(InProgress::default()),
        })
    }

    /// Handshakes in progress now.
    pub fn in_progress(&self) -> usize {
        self.lock().total
    }

    /// Start a handshake from `address`, if the caps allow.
    pub fn enter(self: &Arc<Self>, address: IpAddr) -> Result<HandshakeTicket, Busy> {
        let mut g = self.lock();
        if g.total >= self.max_total {
            return Err(Busy::Total);
        }
        let n = g.by_address.entry(address).or_insert(0);
        if *n >= self.max_per_address {
            return Err(Busy::Address);
        }
        *n += 1;
        g.total += 1;
        Ok(HandshakeTicket {
            gate: self.clone(),
            address,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InProgress> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for HandshakeTicket {
    fn drop(&mut self) {
        let mut g = self.gate.lock();
        g.total = g.total.saturating_sub(1);
        if let Some(n) = g.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                g.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn caps_hold_and_tickets_give_back() {
        let gate = HandshakeGate::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t1 = gate.enter(a).unwrap();
        let _t2 = gate.enter(a).unwrap();
        assert_eq!(gate.enter(a).unwrap_err(), Busy::Address);
        let _t3 = gate.enter(b).unwrap();
        assert_eq!(gate.enter(b).unwrap_err(), Busy::Total);
        drop(t1);
        assert_eq!(gate.in_progress(), 2);
        let _t4 = gate.enter(a).unwrap();
    }
}
