//! Replayed QUIC Initial packets: the first datagram of real connection attempts,
//! captured on a socket that never answers, then sent to a hub from any address. Each
//! starts a handshake that never completes, as an attacker replaying (or spoofing)
//! Initials would, with no certificate.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::net::UdpSocket;

use crate::client::connect_quic;
use crate::pki::{NodeCreds, Pki};

/// The Initial datagrams of `n` connection attempts by `creds` (each with its own
/// connection id), captured on a loopback socket that never answers.
pub async fn capture_initials(pki: &Pki, creds: &NodeCreds, n: usize) -> Result<Vec<Vec<u8>>> {
    let sink = UdpSocket::bind("127.0.0.1:0").await?;
    let addr = sink.local_addr()?;
    let mut out = Vec::with_capacity(n);
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; 65_536];
    for _ in 0..4 * n {
        if out.len() == n {
            break;
        }
        // An abandoned attempt closes its connection: a datagram with a known connection
        // id, which is not a new Initial and is skipped.
        let datagram = {
            let attempt = connect_quic(pki, creds, addr);
            tokio::pin!(attempt);
            tokio::select! {
                r = tokio::time::timeout(Duration::from_secs(5), sink.recv_from(&mut buf)) => {
                    buf[..r.context("no Initial within 5 s")??.0].to_vec()
                }
                _ = &mut attempt => bail!("a connection attempt to a silent socket ended"),
            }
        };
        if seen.insert(destination_cid(&datagram)?) {
            out.push(datagram);
        }
    }
    if out.len() < n {
        bail!("captured {} Initials of {n}", out.len());
    }
    Ok(out)
}

/// The destination connection id of a long-header packet (RFC 9000 §17.2).
fn destination_cid(d: &[u8]) -> Result<Vec<u8>> {
    let len = usize::from(*d.get(5).context("datagram too short")?);
    Ok(d.get(6..6 + len).context("datagram too short")?.to_vec())
}

/// Send each datagram to `to` from one socket bound to `from` (e.g. `127.0.0.2:0`, another
/// loopback address than the real nodes'), and return the socket, which never answers.
pub async fn replay(datagrams: &[Vec<u8>], from: &str, to: SocketAddr) -> Result<UdpSocket> {
    let socket = UdpSocket::bind(from).await?;
    for d in datagrams {
        socket.send_to(d, to).await?;
    }
    Ok(socket)
}
