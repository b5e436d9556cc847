//! Bare quinn baselines for `cordon-bench`: what QUIC with mutual TLS alone costs on this
//! machine, measured in the same run as Cordon so that a ratio can be taken that the
//! machine's own noise does not hide (PERFORMANCE.md).
//!
//! No Cordon code runs here: no frames, envelopes, policy, store or delivery lanes. The
//! server uses the federation's hub certificate and requires a client certificate
//! chained to the federation root (rustls's `WebPkiClientVerifier`), TLS 1.3, with the
//! same QUIC transport settings as the hub, so that the two differ only by what Cordon
//! does. Messages are a 4-byte big-endian length and the payload. Every client
//! connection has a UDP socket of its own, as every node has (200 connections sharing one
//! socket overflow its receive buffer in a fan-out), and the server's socket has the
//! hub's receive buffer (`cordon_hub::server::widen_receive_buffer`).
//!
//! - [`round_trips`]: N connections; requests at a fixed total rate, round robin; the
//!   server echoes each; the time until the echo is back (Cordon's publish-to-delivery
//!   is one such trip through the hub: publisher → hub → reader). [`Echo::Plain`] stores
//!   nothing; [`Echo::Durable`] appends each request to a journal file and fsyncs it
//!   before echoing, by group commit as the hub does: one thread takes every request
//!   waiting, writes them with one `write` and one `fdatasync`, then answers them all
//!   (the hub's committer does that too, plus its B-tree). It separates what durability
//!   costs on this disk from what Cordon's code costs.
//! - [`fan_out`]: N connections subscribe; one publishes a message that the server
//!   hands to all N subscribers' own writer tasks at once (as the hub wakes N delivery
//!   lanes), which write concurrently; the time until the last has it (Cordon's flash
//!   notice).
//! - [`handshakes`]: N connections, each from its own UDP socket, opened with at most a
//!   given number in flight; the time until all are up, and each one's handshake time.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use cordon_common::quic::{crypto_provider, transport_config, TransportLimits};
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};

use crate::{NodeCreds, Pki};
use rustls_pki_types::pem::PemObject;

const ALPN: &[u8] = b"bare/1";
/// The largest message either side accepts.
const MAX_MESSAGE: usize = 64 * 1024;

/// Stream kinds, the first byte a client writes on a stream.
const ECHO: u8 = b'E';
const DURABLE_ECHO: u8 = b'D';
const SUBSCRIBE: u8 = b'S';
const PUBLISH: u8 = b'P';

/// Messages waiting for one subscriber's writer task.
const SUBSCRIBER_QUEUE: usize = 64;
/// Requests waiting for the journal (back-pressure beyond it).
const JOURNAL_QUEUE: usize = 4096;

/// Whether the echo server stores a request durably before it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Echo at once: QUIC and TLS alone.
    Plain,
    /// Append to the journal and fsync (group commit) first.
    Durable,
}

async fn read_message(recv: &mut quinn::RecvStream) -> Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match recv.read_exact(&mut len).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_MESSAGE {
        bail!("message of {len} bytes");
    }
    let mut buf = vec![0u8; len];
    recv.read_exact(&mut buf).await?;
    Ok(Some(buf))
}

async fn write_message(send: &mut quinn::SendStream, msg: &[u8]) -> Result<()> {
    let len = u32::try_from(msg.len()).context("message too long")?;
    send.write_all(&len.to_be_bytes()).await?;
    send.write_all(msg).await?;
    Ok(())
}

/// A bare echo and fan-out server on 127.0.0.1.
#[derive(Debug)]
pub struct BareServer {
    /// Its address.
    pub addr: SocketAddr,
    endpoint: quinn::Endpoint,
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.endpoint.close(0u32.into(), b"done");
    }
}

/// Each subscriber's writer task, fed through its own bounded queue.
type Subscribers = Arc<std::sync::Mutex<Vec<mpsc::Sender<Arc<[u8]>>>>>;
/// A request to make durable, and who waits for it.
type JournalEntry = (Vec<u8>, oneshot::Sender<()>);

/// What every stream of the server shares.
#[derive(Clone)]
struct Shared {
    subscribers: Subscribers,
    journal: mpsc::Sender<JournalEntry>,
}

impl BareServer {
    /// Start it with the hub certificate of `pki`, requiring clients of its root; its
    /// durable echo's journal is `journal` (truncated).
    pub fn start(pki: &Pki, journal: &Path) -> Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for r in pki.roots()? {
            roots.add(r)?;
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            crypto_provider(),
        )
        .build()?;
        let chain = cordon_common::pki::read_pem_certs(&pki.hub_cert)?;
        let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&pki.hub_key)?;
        let mut tls = rustls::ServerConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)?;
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(
            quinn::crypto::rustls::QuicServerConfig::try_from(tls)?,
        ));
        server.transport_config(Arc::new(transport_config(&TransportLimits::default())));
        let file = std::fs::File::create(journal)
            .with_context(|| format!("creating {}", journal.display()))?;
        let (journal, entries) = mpsc::channel(JOURNAL_QUEUE);
        std::thread::Builder::new()
            .name("bare-journal".into())
            .spawn(move || group_commit(file, entries))?;
        // The hub's socket, with the hub's receive buffer.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        cordon_hub::server::widen_receive_buffer(&socket);
        let endpoint = quinn::Endpoint::new(
            quinn::EndpointConfig::default(),
            Some(server),
            socket,
            Arc::new(quinn::TokioRuntime),
        )?;
        let addr = endpoint.local_addr()?;
        let shared = Shared {
            subscribers: Arc::default(),
            journal,
        };
        let ep = endpoint.clone();
        tokio::spawn(async move {
            while let Some(incoming) = ep.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let Ok(conn) = incoming.await else { return };
                    while let Ok((send, recv)) = conn.accept_bi().await {
                        tokio::spawn(serve_stream(send, recv, shared.clone()));
                    }
                });
            }
        });
        Ok(Self { addr, endpoint })
    }
}

/// The journal's group commit: take every request waiting, write them all with one
/// `write` and one `fdatasync`, then answer each. Ends when the server is gone.
fn group_commit(mut file: std::fs::File, mut entries: mpsc::Receiver<JournalEntry>) {
    let mut buf = Vec::new();
    let mut waiting = Vec::new();
    while let Some(first) = entries.blocking_recv() {
        let mut next = Some(first);
        while let Some((msg, done)) = next {
            buf.extend_from_slice(&u32::try_from(msg.len()).unwrap_or(u32::MAX).to_be_bytes());
            buf.extend_from_slice(&msg);
            waiting.push(done);
            next = entries.try_recv().ok();
        }
        if file
            .write_all(&buf)
            .and_then(|()| file.sync_data())
            .is_err()
        {
            // The waiters see their request dropped: the round trip fails.
            return;
        }
        buf.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn serve_stream(mut send: quinn::SendStream, mut recv: quinn::RecvStream, shared: Shared) {
    let mut kind = [0u8; 1];
    if recv.read_exact(&mut kind).await.is_err() {
        return;
    }
    match kind[0] {
        ECHO => {
            while let Ok(Some(m)) = read_message(&mut recv).await {
                if write_message(&mut send, &m).await.is_err() {
                    return;
                }
            }
        }
        DURABLE_ECHO => {
            while let Ok(Some(m)) = read_message(&mut recv).await {
                let (done, durable) = oneshot::channel();
                if shared.journal.send((m.clone(), done)).await.is_err()
                    || durable.await.is_err()
                    || write_message(&mut send, &m).await.is_err()
                {
                    return;
                }
            }
        }
        // Acknowledge, so that the client knows it is registered.
        SUBSCRIBE if write_message(&mut send, b"ok").await.is_ok() => {
            let (tx, mut rx) = mpsc::channel::<Arc<[u8]>>(SUBSCRIBER_QUEUE);
            shared
                .subscribers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(tx);
            while let Some(m) = rx.recv().await {
                if write_message(&mut send, &m).await.is_err() {
                    return;
                }
            }
        }
        PUBLISH => {
            while let Ok(Some(m)) = read_message(&mut recv).await {
                let m: Arc<[u8]> = m.into();
                // Handed to every writer task; they write concurrently.
                let all = shared
                    .subscribers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                for s in all {
                    let _ = s.send(m.clone()).await;
                }
            }
        }
        _ => {}
    }
}

/// A client endpoint that presents `creds` to a [`BareServer`].
#[derive(Debug, Clone)]
pub struct BareClient {
    endpoint: quinn::Endpoint,
    config: quinn::ClientConfig,
}

impl BareClient {
    /// One UDP socket on 127.0.0.1 for all this client's connections.
    pub fn new(pki: &Pki, creds: &NodeCreds) -> Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for r in pki.roots()? {
            roots.add(r)?;
        }
        let (chain, key) = creds.tls()?;
        let mut tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let mut config = quinn::ClientConfig::new(Arc::new(
            quinn::crypto::rustls::QuicClientConfig::try_from(tls)?,
        ));
        config.transport_config(Arc::new(transport_config(&TransportLimits::default())));
        let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
        Ok(Self { endpoint, config })
    }

    /// The same client on a UDP socket of its own.
    pub fn on_own_socket(&self) -> Result<Self> {
        Ok(Self {
            endpoint: quinn::Endpoint::client("127.0.0.1:0".parse()?)?,
            config: self.config.clone(),
        })
    }

    /// A new connection to `addr`.
    pub async fn connect(&self, addr: SocketAddr) -> Result<quinn::Connection> {
        Ok(self
            .endpoint
            .connect_with(self.config.clone(), addr, "localhost")?
            .await?)
    }
}

async fn open(
    conn: &quinn::Connection,
    kind: u8,
) -> Result<(quinn::SendStream, quinn::RecvStream)> {
    let (mut send, recv) = conn.open_bi().await?;
    send.write_all(&[kind]).await?;
    Ok((send, recv))
}

/// `conns` connections, each from a socket of its own; `rate` requests of 1 KiB per
/// second in all, round robin, for `seconds`, echoed as `echo` says; each request's time
/// until its echo is back, sorted.
pub async fn round_trips(
    client: &BareClient,
    addr: SocketAddr,
    echo: Echo,
    conns: usize,
    rate: u64,
    seconds: u64,
) -> Result<Vec<Duration>> {
    let kind = match echo {
        Echo::Plain => ECHO,
        Echo::Durable => DURABLE_ECHO,
    };
    let mut lanes = Vec::with_capacity(conns);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Duration>();
    for _ in 0..conns.max(1) {
        // Each on its own socket, as each node has one.
        let own = client.on_own_socket()?;
        let conn = own.connect(addr).await?;
        let (mut send, mut recv) = open(&conn, kind).await?;
        let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(64);
        let done = done_tx.clone();
        tokio::spawn(async move {
            let _conn = (own, conn);
            while let Some((t, msg)) = rx.recv().await {
                if write_message(&mut send, &msg).await.is_err() {
                    return;
                }
                match read_message(&mut recv).await {
                    Ok(Some(_)) => {
                        let _ = done.send(t.elapsed());
                    }
                    _ => return,
                }
            }
        });
        lanes.push(tx);
    }
    drop(done_tx);
    let total = (rate * seconds) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..total {
        tick.tick().await;
        lanes[i % lanes.len()]
            .send((Instant::now(), vec![0x42; 1024]))
            .await?;
    }
    drop(lanes);
    let mut out = Vec::with_capacity(total);
    while let Some(d) = done_rx.recv().await {
        out.push(d);
    }
    if out.len() != total {
        bail!("{} of {total} round trips completed", out.len());
    }
    out.sort();
    Ok(out)
}

/// `subscribers` connections, each from a socket of its own, subscribe; one more
/// publishes `count` messages of 1 KiB, one at a time, 50 ms apart; for each, the time
/// until the last subscriber has it, sorted.
pub async fn fan_out(
    client: &BareClient,
    addr: SocketAddr,
    subscribers: usize,
    count: usize,
) -> Result<Vec<Duration>> {
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let all_in = Arc::new(Notify::new());
    let mut keep = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        // Each on its own socket, as each node has one.
        let own = client.on_own_socket()?;
        let conn = own.connect(addr).await?;
        let (send, mut recv) = open(&conn, SUBSCRIBE).await?;
        if read_message(&mut recv).await?.as_deref() != Some(b"ok".as_slice()) {
            bail!("subscription not acknowledged");
        }
        let (arrived, all_in) = (arrived.clone(), all_in.clone());
        tokio::spawn(async move {
            while let Ok(Some(_)) = read_message(&mut recv).await {
                if arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == subscribers {
                    all_in.notify_one();
                }
            }
        });
        keep.push((own, conn, send));
    }
    let conn = client.connect(addr).await?;
    let (mut send, _recv) = open(&conn, PUBLISH).await?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        arrived.store(0, std::sync::atomic::Ordering::SeqCst);
        let t = Instant::now();
        write_message(&mut send, &[0x42; 1024]).await?;
        tokio::time::timeout(Duration::from_secs(10), all_in.notified())
            .await
            .context("a fan-out did not reach every subscriber in 10 s")?;
        out.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    out.sort();
    drop(keep);
    Ok(out)
}

/// What [`handshakes`] measured.
#[derive(Debug)]
pub struct Handshakes {
    /// From the first attempt until every connection was up.
    pub took: Duration,
    /// Each connection's handshake, from its attempt until it was up, sorted.
    pub each: Vec<Duration>,
}

impl Handshakes {
    /// Handshakes completed per second over the whole run.
    pub fn rate(&self) -> f64 {
        self.each.len() as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// Open one connection from each client endpoint (each its own UDP socket, as nodes
/// are), at most `in_flight` handshakes at a time; every connection is kept open until
/// all are up. Opening many more at once makes the simultaneous Initials and replies
/// overflow the sockets' buffers on loopback, and a lost handshake packet waits for
/// QUIC's probe timeout: that measures the buffers, not the handshakes.
pub async fn handshakes(
    clients: &[BareClient],
    addr: SocketAddr,
    in_flight: usize,
) -> Result<Handshakes> {
    let permits = Arc::new(Semaphore::new(in_flight.max(1)));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients.len());
    for c in clients {
        let (c, permits) = (c.clone(), permits.clone());
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            let result = async {
                let _permit = permits.acquire_owned().await?;
                let t = Instant::now();
                let conn = tokio::time::timeout(Duration::from_secs(30), c.connect(addr))
                    .await
                    .context("a handshake took over 30 s")??;
                Ok::<_, anyhow::Error>((conn, t.elapsed()))
            }
            .await;
            let _ = tx.send(result);
        });
        tasks.push(rx);
    }
    let mut conns = Vec::with_capacity(tasks.len());
    let mut each = Vec::with_capacity(tasks.len());
    for rx in tasks {
        let (conn, took) = rx.await??;
        conns.push(conn);
        each.push(took);
    }
    let took = start.elapsed();
    drop(conns);
    each.sort();
    Ok(Handshakes { took, each })
}
