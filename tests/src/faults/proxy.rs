//! A UDP fault proxy between nodes and the hub on 127.0.0.1, in user space (the test
//! machines' kernels have no netem qdisc).
//!
//! Nodes send to the proxy's address instead of the hub's. The proxy has one socket facing
//! the nodes and, for each node address it hears from, one socket towards the hub, so the
//! hub sees one peer per node as it would without the proxy. Each direction has its own
//! [`Faults`]: datagrams are dropped, delayed, held back (reordered) and duplicated at the
//! configured rates, or all black-holed (a partition). Settings change while the proxy
//! runs ([`FaultProxy::set`], [`FaultProxy::partition`], [`FaultProxy::heal`]).
//!
//! Each path (towards the hub; towards each node) draws its decisions from its own
//! [`SeededRng`] stream, so a run with the same seed and the same traffic makes the same
//! decisions. Delayed datagrams wait in a bounded queue per direction; past
//! [`HELD_MAX`] a datagram is dropped and counted as `overflow`, as a full router queue
//! would. [`FaultProxy::stats`] says what the proxy did.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::rng::SeededRng;

/// Datagrams held (delayed or reordered) per direction at most.
pub const HELD_MAX: usize = 4096;
/// Node addresses served at most; datagrams from more are dropped as `overflow`.
pub const MAX_CLIENTS: usize = 256;
/// Largest UDP payload read.
const DATAGRAM_MAX: usize = 65_535;

/// What happens to datagrams going one way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Share of datagrams dropped, 0..=1.
    pub loss: f64,
    /// Share of datagrams held back by `reorder_by`, so that later ones overtake them.
    pub reorder: f64,
    /// Share of datagrams sent twice.
    pub duplicate: f64,
    /// Delay added to every datagram.
    pub delay: Duration,
    /// Up to this much more delay, uniformly drawn per datagram.
    pub jitter: Duration,
    /// How long a reordered datagram is held back beyond its delay.
    pub reorder_by: Duration,
    /// Drop everything (a partition).
    pub blackhole: bool,
}

impl Faults {
    /// A clean path: everything passes at once.
    pub const NONE: Self = Self {
        loss: 0.0,
        reorder: 0.0,
        duplicate: 0.0,
        delay: Duration::ZERO,
        jitter: Duration::ZERO,
        reorder_by: Duration::from_millis(10),
        blackhole: false,
    };

    /// `loss`, `reorder` and `duplicate` as shares (0.1 = 10 %), no added delay.
    pub fn lossy(loss: f64, reorder: f64, duplicate: f64) -> Self {
        Self {
            loss,
            reorder,
            duplicate,
            ..Self::NONE
        }
    }
}

impl Default for Faults {
    fn default() -> Self {
        Self::NONE
    }
}

/// The faults of both directions of a link.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkFaults {
    /// Node → hub.
    pub to_hub: Faults,
    /// Hub → node.
    pub to_node: Faults,
}

impl LinkFaults {
    /// The same faults both ways.
    pub fn both(f: Faults) -> Self {
        Self {
            to_hub: f,
            to_node: f,
        }
    }
}

/// A direction through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Node → hub.
    ToHub,
    /// Hub → node.
    ToNode,
}

/// The fate of one datagram, decided before any I/O.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Black-holed by a partition.
    Blackholed,
    /// Dropped as loss.
    Dropped,
    /// Sent after `delay`, and once more after `copy` if duplicated.
    Send {
        /// Delay of the datagram.
        delay: Duration,
        /// Delay of a duplicate, if any.
        copy: Option<Duration>,
        /// Held back so that later datagrams overtake it.
        reordered: bool,
    },
}

/// Decide what happens to one datagram under `f` (pure: the same `rng` state gives the
/// same fate).
pub fn decide(f: &Faults, rng: &mut SeededRng) -> Fate {
    if f.blackhole {
        return Fate::Blackholed;
    }
    if rng.chance(f.loss) {
        return Fate::Dropped;
    }
    let delay = |rng: &mut SeededRng| f.delay + f.jitter.mul_f64(rng.unit());
    let reordered = rng.chance(f.reorder);
    let mut first = delay(rng);
    if reordered {
        first += f.reorder_by;
    }
    let copy = rng.chance(f.duplicate).then(|| delay(rng));
    Fate::Send {
        delay: first,
        copy,
        reordered,
    }
}

/// What the proxy did in one direction.
#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    forwarded: AtomicU64,
    dropped: AtomicU64,
    blackholed: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    overflow: AtomicU64,
}

/// A snapshot of what the proxy did in one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Datagrams that came in.
    pub received: u64,
    /// Datagrams sent on (copies included).
    pub forwarded: u64,
    /// Dropped as loss.
    pub dropped: u64,
    /// Dropped by a partition.
    pub blackholed: u64,
    /// Sent twice.
    pub duplicated: u64,
    /// Held back for others to overtake.
    pub reordered: u64,
    /// Dropped because a queue was full or there were too many nodes.
    pub overflow: u64,
}

impl Counters {
    fn snapshot(&self) -> DirectionStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DirectionStats {
            received: get(&self.received),
            forwarded: get(&self.forwarded),
            dropped: get(&self.dropped),
            blackholed: get(&self.blackholed),
            duplicated: get(&self.duplicated),
            reordered: get(&self.reordered),
            overflow: get(&self.overflow),
        }
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// What the proxy did, both ways.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Node → hub.
    pub to_hub: DirectionStats,
    /// Hub → node.
    pub to_node: DirectionStats,
}

impl ProxyStats {
    /// The sum of several proxies' stats.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a ProxyStats>) -> ProxyStats {
        let add = |a: &mut DirectionStats, b: &DirectionStats| {
            a.received += b.received;
            a.forwarded += b.forwarded;
            a.dropped += b.dropped;
            a.blackholed += b.blackholed;
            a.duplicated += b.duplicated;
            a.reordered += b.reordered;
            a.overflow += b.overflow;
        };
        let mut total = ProxyStats::default();
        for s in all {
            add(&mut total.to_hub, &s.to_hub);
            add(&mut total.to_node, &s.to_node);
        }
        total
    }
}

impl std::fmt::Display for DirectionStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} in, {} out, {} dropped, {} black-holed, {} duplicated, {} reordered, {} overflow",
            self.received,
            self.forwarded,
            self.dropped,
            self.blackholed,
            self.duplicated,
            self.reordered,
            self.overflow
        )
    }
}

/// One datagram waiting for its time.
struct Held {
    at: Instant,
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    bytes: Arc<[u8]>,
}

/// One direction's path: its settings, counters, queue and random stream.
struct Path {
    direction: Direction,
    faults: watch::Receiver<LinkFaults>,
    counters: Arc<Counters>,
    queue: mpsc::Sender<Held>,
    rng: SeededRng,
}

impl Path {
    /// Apply the current faults to one datagram and queue what is to be sent.
    fn handle(&mut self, bytes: &[u8], socket: &Arc<UdpSocket>, to: SocketAddr) {
        bump(&self.counters.received);
        let faults = *self.faults.borrow();
        let f = match self.direction {
            Direction::ToHub => faults.to_hub,
            Direction::ToNode => faults.to_node,
        };
        let (delay, copy) = match decide(&f, &mut self.rng) {
            Fate::Blackholed => return bump(&self.counters.blackholed),
            Fate::Dropped => return bump(&self.counters.dropped),
            Fate::Send {
                delay,
                copy,
                reordered,
            } => {
                if reordered {
                    bump(&self.counters.reordered);
                }
                (delay, copy)
            }
        };
        let bytes: Arc<[u8]> = bytes.into();
        let now = Instant::now();
        for d in std::iter::once(delay).chain(copy) {
            let held = Held {
                at: now + d,
                socket: socket.clone(),
                to,
                bytes: bytes.clone(),
            };
            if self.queue.try_send(held).is_err() {
                bump(&self.counters.overflow);
            }
        }
        if copy.is_some() {
            bump(&self.counters.duplicated);
        }
    }
}

/// Send each queued datagram at its time, in time order (then arrival order).
async fn release(mut rx: mpsc::Receiver<Held>, counters: Arc<Counters>) {
    let mut heap: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut held: HashMap<u64, Held> = HashMap::new();
    let mut seq = 0u64;
    loop {
        let next = heap.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            item = rx.recv() => {
                let Some(item) = item else { return };
                if held.len() >= HELD_MAX {
                    bump(&counters.overflow);
                    continue;
                }
                seq += 1;
                heap.push(Reverse((item.at, seq)));
                held.insert(seq, item);
            }
            () = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                let now = Instant::now();
                while let Some(Reverse((at, seq))) = heap.peek().copied() {
                    if at > now {
                        break;
                    }
                    heap.pop();
                    if let Some(h) = held.remove(&seq) {
                        // UDP: a failed send is a lost datagram, as on a real link.
                        if h.socket.send_to(&h.bytes, h.to).await.is_ok() {
                            bump(&counters.forwarded);
                        }
                    }
                }
            }
        }
    }
}

/// A running fault proxy. Dropping it stops it.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    faults: watch::Sender<LinkFaults>,
    to_hub: Arc<Counters>,
    to_node: Arc<Counters>,
    tasks: Vec<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listen on 127.0.0.1 (port chosen by the OS) and forward to `hub` under `faults`,
    /// drawing decisions from `seed`.
    pub async fn start(hub: SocketAddr, faults: LinkFaults, seed: u64) -> std::io::Result<Self> {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = front.local_addr()?;
        let (faults_tx, faults_rx) = watch::channel(faults);
        let to_hub = Arc::new(Counters::default());
        let to_node = Arc::new(Counters::default());
        let (hub_q, hub_rx) = mpsc::channel(HELD_MAX);
        let (node_q, node_rx) = mpsc::channel(HELD_MAX);
        let tasks = vec![
            tokio::spawn(release(hub_rx, to_hub.clone())),
            tokio::spawn(release(node_rx, to_node.clone())),
            tokio::spawn(serve(
                front,
                hub,
                Path {
                    direction: Direction::ToHub,
                    faults: faults_rx.clone(),
                    counters: to_hub.clone(),
                    queue: hub_q,
                    rng: SeededRng::stream(seed, 0),
                },
                Path {
                    direction: Direction::ToNode,
                    faults: faults_rx,
                    counters: to_node.clone(),
                    queue: node_q,
                    rng: SeededRng::new(seed),
                },
                seed,
            )),
        ];
        Ok(Self {
            addr,
            faults: faults_tx,
            to_hub,
            to_node,
            tasks,
        })
    }

    /// The address nodes send to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replace the faults of both directions.
    pub fn set(&self, faults: LinkFaults) {
        self.faults.send_replace(faults);
    }

    /// Replace the faults of one direction.
    pub fn set_direction(&self, direction: Direction, f: Faults) {
        self.faults.send_modify(|l| match direction {
            Direction::ToHub => l.to_hub = f,
            Direction::ToNode => l.to_node = f,
        });
    }

    /// The faults in force.
    pub fn faults(&self) -> LinkFaults {
        *self.faults.borrow()
    }

    /// Black-hole `direction` (both with `None`) until [`heal`](Self::heal).
    pub fn partition(&self, direction: Option<Direction>) {
        self.faults.send_modify(|l| match direction {
            Some(Direction::ToHub) => l.to_hub.blackhole = true,
            Some(Direction::ToNode) => l.to_node.blackhole = true,
            None => {
                l.to_hub.blackhole = true;
                l.to_node.blackhole = true;
            }
        });
    }

    /// End a partition, both ways (the other faults stay).
    pub fn heal(&self) {
        self.faults.send_modify(|l| {
            l.to_hub.blackhole = false;
            l.to_node.blackhole = false;
        });
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> ProxyStats {
        ProxyStats {
            to_hub: self.to_hub.snapshot(),
            to_node: self.to_node.snapshot(),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Read from nodes on `front`; give each node address its own socket towards `hub`
/// and a task reading the hub's answers back to it, on a path like `to_node` with its
/// own random stream.
async fn serve(front: Arc<UdpSocket>, hub: SocketAddr, mut to_hub: Path, to_node: Path, seed: u64) {
    let mut upstream: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    // Dropped with this task, which aborts the readers.
    let mut readers = JoinSet::new();
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        let Ok((n, from)) = front.recv_from(&mut buf).await else {
            // ICMP errors can surface here; the socket itself is fine.
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        let socket = match upstream.get(&from) {
            Some(s) => s.clone(),
            None => {
                if upstream.len() >= MAX_CLIENTS {
                    bump(&to_hub.counters.overflow);
                    continue;
                }
                let Ok(s) = UdpSocket::bind("127.0.0.1:0").await else {
                    bump(&to_hub.counters.overflow);
                    continue;
                };
                let s = Arc::new(s);
                let path = Path {
                    direction: Direction::ToNode,
                    faults: to_node.faults.clone(),
                    counters: to_node.counters.clone(),
                    queue: to_node.queue.clone(),
                    rng: SeededRng::stream(seed, upstream.len() as u64 + 1),
                };
                readers.spawn(read_upstream(s.clone(), front.clone(), from, path));
                upstream.insert(from, s.clone());
                s
            }
        };
        to_hub.handle(&buf[..n], &socket, hub);
    }
}

/// Read the hub's datagrams for the node at `node` and send them back through `front`.
async fn read_upstream(
    socket: Arc<UdpSocket>,
    front: Arc<UdpSocket>,
    node: SocketAddr,
    mut path: Path,
) {
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        let Ok(n) = socket.recv(&mut buf).await else {
            // An ICMP error from a hub that is down; wait for it to come back.
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        path.handle(&buf[..n], &front, node);
    }
}
