//! `cordon-bench`: the hub benchmark of `docs/PERFORMANCE.md`.
//!
//! Everything on 127.0.0.1 with real QUIC, mutual TLS and fsync'd storage:
//! 1. ring's bare Ed25519 verification rate on all cores (the reference), measured just
//!    before and just after the publish run;
//! 2. durable publishes/s: several nodes pipeline signed, encrypted 1 KiB messages; an
//!    ack means the hub verified and fsync'd it;
//! 3. publish-to-delivery latency at a fixed rate with N subscribed nodes (taskings to
//!    one node each, round robin);
//! 4. a flash notice to all N nodes: time until the last has it;
//! 5. hub memory per idle connection (a separate `cordon-hub` process; its RSS before and
//!    after opening the connections, all from one client UDP socket);
//! 6. beside 3 and 4, in the same run, bare quinn baselines (`cordon_testbed::baseline`):
//!    a 1 KiB round trip at the same rate over as many connections, once storing nothing
//!    and once appended to a journal and fsync'd (group commit) before the echo, and a
//!    fan-out to as many, written concurrently; Cordon's p99 as a multiple of theirs;
//! 7. the reconnect storm: N nodes on a `cordon-hub` process killed and restarted, until
//!    all are back and caught up, beside the bare handshake rate (N handshakes, at most
//!    `--handshakes-in-flight` at a time).
//!
//! `--inbox N` runs something else, alone: the console's inbox queries on a node whose
//! store holds N realistic messages (`cordon_testbed::inbox_fill`), each query timed
//! many times through `Service::inbox` and through the local HTTP API.
//!
//! `cargo build --release -p cordon-hub -p cordon-testbed --bin cordon-bench`
//! `./target/release/cordon-bench` (`--quick` for a short run).
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use cordon_common::envelope::{KemKeyPair, KeyBundle, ParsedEnvelope, RecipientKey};
use cordon_common::ids::{ChannelName, MessageId, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::quic::{crypto_provider, read_frame, transport_config, write_frame, ALPN};
use cordon_common::wire::{
    Frame, Hello, KeyBundlePublish, PublishOutcome, Subscribe, DEFAULT_MAX_FRAME,
};
use cordon_testbed::baseline::{fan_out, handshakes, round_trips, BareClient, BareServer, Echo};
use cordon_testbed::client::now_ms;
use cordon_testbed::process::ChildGuard;
use cordon_testbed::stall::{StallProbe, Stalls};
use cordon_testbed::{metric_value, policy::COSMO_2, write_hub_config, Pki, TestClient, TestHub};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use tokio::sync::Mutex;

/// Hub benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Short run (smaller sizes).
    #[arg(long)]
    quick: bool,
    /// Publishing nodes for the throughput run.
    #[arg(long, default_value_t = 8)]
    publishers: usize,
    /// Messages per publisher.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Subscribed nodes for the latency and notice runs.
    #[arg(long, default_value_t = 200)]
    nodes: usize,
    /// Publish rate of the latency run, msg/s.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Length of the latency run, s.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Notices sent (p99 needs about 100).
    #[arg(long, default_value_t = 100)]
    notices: usize,
    /// Idle connection counts for the memory run.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    idle: Vec<usize>,
    /// Idle connections do not subscribe (no delivery lanes): to see what lanes cost.
    #[arg(long)]
    idle_unsubscribed: bool,
    /// Run the latency and notice hub as a separate `cordon-hub` process.
    #[arg(long)]
    hub_process: bool,
    /// Only the memory run.
    #[arg(long)]
    memory_only: bool,
    /// Nodes in the reconnect storm (0: skip it).
    #[arg(long, default_value_t = 1_000)]
    storm: usize,
    /// Crash the hub in the storm (SIGKILL) rather than stop it (SIGTERM).
    #[arg(long)]
    storm_crash: bool,
    /// Only the bare handshakes and the reconnect storm.
    #[arg(long)]
    storm_only: bool,
    /// Bare handshakes in flight at a time, beside the storm.
    #[arg(long, default_value_t = 64)]
    handshakes_in_flight: usize,
    /// Only the machine's slow spells: run the stall probe alone for this many seconds.
    #[arg(long, value_name = "SECONDS")]
    stall_probe: Option<u64>,
    /// Only the console inbox run: a node store with this many messages.
    #[arg(long, value_name = "MESSAGES")]
    inbox: Option<u64>,
    /// Timed runs of each inbox query.
    #[arg(long, default_value_t = 200)]
    inbox_runs: usize,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// ring Ed25519 verifications per second on every core, for `secs`.
fn verify_rate(secs: f64) -> Result<f64> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow::anyhow!("keygen"))?;
    let kp = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("key"))?;
    let msg = vec![0x5a; 1024];
    let sig = kp.sign(&msg).as_ref().to_vec();
    let public = kp.public_key().as_ref().to_vec();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let handles: Vec<_> = (0..cores)
        .map(|_| {
            let (msg, sig, public) = (msg.clone(), sig.clone(), public.clone());
            std::thread::spawn(move || {
                let key = UnparsedPublicKey::new(&ED25519, public);
                let mut n = 0u64;
                while start.elapsed().as_secs_f64() < secs {
                    for _ in 0..100 {
                        if key.verify(&msg, &sig).is_ok() {
                            n += 1;
                        }
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// A 1 KiB body (the hub never looks inside; recipients are not involved here).
fn body() -> Vec<u8> {
    vec![0x42; 1024]
}

/// Connected publishers, each with its sealed envelopes.
type Publishers = Vec<(TestClient, Vec<Vec<u8>>)>;

/// Connect `publishers` nodes and seal `per` messages for each (not timed).
async fn prepare_publishers(
    pki: &Pki,
    hub: &TestHub,
    publishers: usize,
    per: usize,
) -> Result<Publishers> {
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse()?];
    let mut clients = Vec::new();
    for i in 0..publishers {
        let creds = pki.node(&format!("P-{i:03}"), Role::Rilo)?;
        let mut c = TestClient::connect(pki, &creds, hub.addr(), false).await?;
        let me = vec![RecipientKey {
            node_id: c.identity.node_id.clone(),
            public: *c.kem.public(),
        }];
        let mut envs = Vec::with_capacity(per);
        for _ in 0..per {
            let h = c.header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)?;
            envs.push(c.seal(&h, &body(), &me)?);
        }
        c.publisher().await?;
        clients.push((c, envs));
    }
    Ok(clients)
}

/// Every publisher pipelines its envelopes, 64 in flight; durable acks per second.
async fn throughput(clients: Publishers) -> Result<f64> {
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(mut c, envs)| {
            tokio::spawn(async move {
                let p = c.publisher().await?;
                let n = envs.len();
                let mut acked = 0;
                for (i, env) in envs.into_iter().enumerate() {
                    p.send(env).await?;
                    if i + 1 - acked >= 64 {
                        if p.ack().await?.outcome != PublishOutcome::Stored {
                            bail!("not stored");
                        }
                        acked += 1;
                    }
                }
                while acked < n {
                    if p.ack().await?.outcome != PublishOutcome::Stored {
                        bail!("not stored");
                    }
                    acked += 1;
                }
                Ok::<_, anyhow::Error>(n)
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// Subscribed nodes whose deliveries are timestamped on arrival.
async fn subscribers(
    pki: &Pki,
    hub: SocketAddr,
    n: usize,
) -> Result<Arc<Mutex<HashMap<MessageId, Vec<Instant>>>>> {
    let arrivals: Arc<Mutex<HashMap<MessageId, Vec<Instant>>>> = Arc::default();
    for i in 0..n {
        let creds = pki.node(&format!("N-{i:04}"), Role::Rilo)?;
        let mut c = TestClient::connect(pki, &creds, hub, true).await?;
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Ok(Some(d)) = c.next_delivery(Duration::from_secs(3600)).await {
                let now = Instant::now();
                if let Ok(p) = ParsedEnvelope::parse(&d.envelope) {
                    arrivals
                        .lock()
                        .await
                        .entry(p.header.id)
                        .or_default()
                        .push(now);
                }
            }
        });
    }
    Ok(arrivals)
}

async fn latency(
    pki: &Pki,
    hub: SocketAddr,
    arrivals: &Arc<Mutex<HashMap<MessageId, Vec<Instant>>>>,
    nodes: usize,
    rate: u64,
    seconds: u64,
) -> Result<LatencyRun> {
    let creds = pki.node("OCU", Role::Ocu)?;
    let mut ocu = TestClient::connect(pki, &creds, hub, false).await?;
    let total = (rate * seconds) as usize;
    let me = vec![RecipientKey {
        node_id: ocu.identity.node_id.clone(),
        public: *ocu.kem.public(),
    }];
    let mut envs = Vec::with_capacity(total);
    for i in 0..total {
        let to: Vec<ChannelName> = vec![format!("node/N-{:04}", i % nodes).parse()?];
        let h = ocu.header(MessageKind::Tasking, "cosmo-2", &to, Priority::Urgent)?;
        envs.push((h.id, ocu.seal(&h, &body(), &me)?));
    }
    let p = ocu.publisher().await?;
    let mut sent: Vec<(MessageId, Instant)> = Vec::with_capacity(total);
    let probe = StallProbe::start()?;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pending = 0usize;
    for (id, env) in envs {
        tick.tick().await;
        sent.push((id, Instant::now()));
        p.send(env).await?;
        pending += 1;
        // Keep the ack stream drained without waiting on it.
        while pending > 64 {
            p.ack().await?;
            pending -= 1;
        }
    }
    while pending > 0 {
        p.ack().await?;
        pending -= 1;
    }
    let achieved = total as f64 / started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stalls = probe.finish();
    let got = arrivals.lock().await;
    let flights: Vec<(Instant, Instant)> = sent
        .iter()
        .filter_map(|(id, t)| got.get(id).and_then(|v| v.first()).map(|a| (*t, *a)))
        .collect();
    let mut lat: Vec<Duration> = flights.iter().map(|(t, a)| *a - *t).collect();
    lat.sort();
    // `sent` is in send order, and so are the flights.
    let mut clear: Vec<Duration> = flights
        .iter()
        .zip(stalls.touched(&flights))
        .filter(|(_, touched)| !touched)
        .map(|((t, a), _)| *a - *t)
        .collect();
    clear.sort();
    Ok(LatencyRun {
        p50: pct(&lat, 0.5),
        p99: pct(&lat, 0.99),
        delivered: lat.len(),
        total,
        achieved,
        clear_p99: pct(&clear, 0.99),
        clear: clear.len(),
        stalls,
    })
}

/// What the latency run measured.
struct LatencyRun {
    p50: Duration,
    p99: Duration,
    delivered: usize,
    total: usize,
    /// Publish rate actually reached, msg/s.
    achieved: f64,
    /// p99 of the deliveries that none of the machine's slow spells touched.
    clear_p99: Duration,
    /// How many deliveries that is.
    clear: usize,
    /// The machine's slow spells during the run.
    stalls: Stalls,
}

async fn notices(
    pki: &Pki,
    hub: SocketAddr,
    arrivals: &Arc<Mutex<HashMap<MessageId, Vec<Instant>>>>,
    nodes: usize,
    count: usize,
) -> Result<Vec<Duration>> {
    let creds = pki.node("OCU-2", Role::Ocu)?;
    let mut ocu = TestClient::connect(pki, &creds, hub, false).await?;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/notices".parse()?];
    let me = vec![RecipientKey {
        node_id: ocu.identity.node_id.clone(),
        public: *ocu.kem.public(),
    }];
    let mut all_in = Vec::new();
    for _ in 0..count {
        let h = ocu.header(MessageKind::Notice, "cosmo-2", &to, Priority::Flash)?;
        let env = ocu.seal(&h, &body(), &me)?;
        let t = Instant::now();
        let ack = ocu.publish(env).await?;
        if ack.outcome != PublishOutcome::Stored {
            bail!("notice not stored: {}", ack.reason);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let done = arrivals.lock().await.get(&h.id).map_or(0, Vec::len);
            if done >= nodes {
                let last = arrivals
                    .lock()
                    .await
                    .get(&h.id)
                    .and_then(|v| v.iter().max().copied());
                all_in.push(last.map_or(Duration::ZERO, |l| l.duration_since(t)));
                break;
            }
            if Instant::now() > deadline {
                bail!("a notice reached only {done} of {nodes} nodes in 10 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    all_in.sort();
    Ok(all_in)
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?)
}

/// A `cordon-hub` process (beside this binary) on a free port of 127.0.0.1, with its
/// files in `dir`.
async fn hub_process(pki: &Pki, dir: &str, limits: &str) -> Result<(ChildGuard, SocketAddr)> {
    let (child, addr, _) = hub_process_with_config(pki, dir, limits).await?;
    Ok((child, addr))
}

/// Start `cordon-hub run --config cfg`.
fn spawn_hub(cfg: &std::path::Path) -> Result<ChildGuard> {
    let hub_bin: PathBuf = std::env::current_exe()?.with_file_name("cordon-hub");
    if !hub_bin.exists() {
        bail!(
            "{} is missing: cargo build --release -p cordon-hub",
            hub_bin.display()
        );
    }
    let cfg_s = cfg.to_str().context("path")?.to_owned();
    Ok(ChildGuard(
        std::process::Command::new(&hub_bin)
            .args(["run", "--config", &cfg_s])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", hub_bin.display()))?,
    ))
}

/// As [`hub_process`], and the configuration file, to restart the hub with.
async fn hub_process_with_config(
    pki: &Pki,
    dir: &str,
    limits: &str,
) -> Result<(ChildGuard, SocketAddr, PathBuf)> {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let cfg = write_hub_config(
        pki,
        &pki.path().join(dir),
        COSMO_2,
        limits,
        &addr.to_string(),
    )?;
    let child = spawn_hub(&cfg)?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok((child, addr, cfg))
}

/// Hub memory per idle connection, from a separate hub process.
async fn idle_memory(pki: &Pki, counts: &[usize], subscribe: bool) -> Result<Vec<(usize, f64)>> {
    let max = counts.iter().max().copied().unwrap_or(0);
    let (child, addr) =
        hub_process(pki, "hub-idle", &format!("max_connections = {}", max + 100)).await?;
    let pid = child.0.id();

    // One client endpoint (one UDP socket) for every connection.
    let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
    let mut roots = rustls::RootCertStore::empty();
    for r in pki.roots()? {
        roots.add(r)?;
    }
    let roots = Arc::new(roots);
    let mut out = Vec::new();
    let mut conns = Vec::new();
    // Warm up with one connection so the baseline includes the hub's fixed costs.
    let mut base = 0;
    let mut opened = 0usize;
    for &target in counts {
        if opened == 0 {
            open_idle(pki, &endpoint, &roots, addr, (0, 1), subscribe, &mut conns).await?;
            opened = 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
            base = rss_kib(pid)?;
        }
        open_idle(
            pki,
            &endpoint,
            &roots,
            addr,
            (opened, target),
            subscribe,
            &mut conns,
        )
        .await?;
        opened = target;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = rss_kib(pid)?;
        let per = (now.saturating_sub(base)) as f64 / (target - 1) as f64;
        println!("  {target:>6} idle connections: hub RSS {now} KiB");
        out.push((target, per));
    }
    drop(conns);
    drop(child);
    Ok(out)
}

async fn open_idle(
    pki: &Pki,
    endpoint: &quinn::Endpoint,
    roots: &Arc<rustls::RootCertStore>,
    addr: SocketAddr,
    (from, to): (usize, usize),
    subscribe: bool,
    conns: &mut Vec<(quinn::Connection, quinn::SendStream, quinn::RecvStream)>,
) -> Result<()> {
    let transport = Arc::new(transport_config(
        &cordon_common::quic::TransportLimits::default(),
    ));
    for i in from..to {
        let creds = pki.node(&format!("I-{i:05}"), Role::Rilo)?;
        let (chain, key) = creds.tls()?;
        let mut tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(roots.clone())
            .with_client_auth_cert(chain, key)?;
        tls.alpn_protocols = vec![ALPN.to_vec()];
        tls.enable_early_data = false;
        let mut cfg = quinn::ClientConfig::new(Arc::new(
            quinn::crypto::rustls::QuicClientConfig::try_from(tls)?,
        ));
        cfg.transport_config(transport.clone());
        let conn = endpoint.connect_with(cfg, addr, "localhost")?.await?;
        let (mut send, mut recv) = conn.open_bi().await?;
        let hello = Frame::Hello(Hello {
            agent: "cordon-bench".into(),
            max_frame: DEFAULT_MAX_FRAME as u32,
        });
        write_frame(&mut send, &hello, DEFAULT_MAX_FRAME).await?;
        match read_frame(&mut recv, DEFAULT_MAX_FRAME).await? {
            Some(Frame::Welcome(_)) => {}
            other => bail!("expected Welcome, got {other:?}"),
        }
        // As a real node: publish a key bundle, then subscribe to everything it reads
        // (the hub then runs its delivery lanes, idle).
        let kem = KemKeyPair::derive(&creds.identity.fingerprint.0);
        let bundle = KeyBundle::sign(&creds.identity, &creds.identity_key()?, &kem, now_ms())?;
        let publish = Frame::KeyBundlePublish(KeyBundlePublish {
            bundle: bundle.as_bytes().to_vec(),
        });
        write_frame(&mut send, &publish, DEFAULT_MAX_FRAME).await?;
        match read_frame(&mut recv, DEFAULT_MAX_FRAME).await? {
            Some(Frame::KeyBundleAck(a)) if a.accepted => {}
            other => bail!("expected an accepted KeyBundleAck, got {other:?}"),
        }
        if subscribe {
            let subscribe = Frame::Subscribe(Subscribe { channels: vec![] });
            write_frame(&mut send, &subscribe, DEFAULT_MAX_FRAME).await?;
            match read_frame(&mut recv, DEFAULT_MAX_FRAME).await? {
                Some(Frame::Subscribed(_)) => {}
                other => bail!("expected Subscribed, got {other:?}"),
            }
        }
        conns.push((conn, send, recv));
    }
    Ok(())
}

/// The machine's own wake-up jitter, the floor under any latency tail: a thread sleeps
/// 2 ms, then does a fixed piece of CPU work (SHA-256 over 64 KiB); how long the work
/// takes, p50 and p99. On a quiet dedicated core the two are close; on a shared virtual
/// CPU the p99 shows how much longer the same work can take right after a wake-up.
fn wake_jitter(rounds: usize) -> (Duration, Duration) {
    let data = vec![0x5a_u8; 64 * 1024];
    let mut took = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        std::thread::sleep(Duration::from_millis(2));
        let t = Instant::now();
        std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, &data));
        took.push(t.elapsed());
    }
    took.sort();
    (pct(&took, 0.5), pct(&took, 0.99))
}

/// Throughput, latency and notice runs, each on a hub in this process.
async fn hub_runs(a: &Args, pki: &Pki) -> Result<()> {
    let (j50, j99) = wake_jitter(1500);
    println!(
        "machine wake-up jitter (SHA-256 of 64 KiB right after a 2 ms sleep): p50 {} p99 {} ({:.1}x)",
        ms(j50),
        ms(j99),
        j99.as_secs_f64() / j50.as_secs_f64().max(1e-9)
    );
    // Throughput on its own hub, so that its 20,000 stored alerts are not a backlog for
    // the latency and notice runs.
    let hub = TestHub::start(pki, &pki.path().join("hub-tput"), COSMO_2, "").await?;
    let clients = prepare_publishers(pki, &hub, a.publishers, a.messages).await?;
    // The reference is taken just before and just after the publish run, and averaged:
    // this machine's speed drifts by up to 30 % within minutes.
    let before = verify_rate(2.0)?;
    println!("publishing ...");
    let tput = throughput(clients).await?;
    let after = verify_rate(2.0)?;
    let metrics = hub.hub.state().metrics.render();
    hub.hub.shutdown().await;
    let verify = (before + after) / 2.0;
    println!(
        "ring Ed25519 verify, all cores: {verify:.0} /s (mean of {before:.0} just before and {after:.0} just after the publish run)"
    );
    let ratio = tput / verify;
    println!(
        "durable publishes: {tput:.0} /s ({} publishers x {} signed 1 KiB messages, 64 in flight each)",
        a.publishers, a.messages
    );
    println!(
        "ratio publishes / verify rate: {ratio:.2} (target >= 0.75: {})",
        verdict(ratio >= 0.75)
    );
    let sample = |name: &str| metric_value(&metrics, name).unwrap_or(0.0);
    let commits = sample("cordon_commit_batch_size_count");
    println!(
        "  hub commits: {commits:.0}, {:.0} messages and {:.2} ms each on average",
        sample("cordon_commit_batch_size_sum") / commits.max(1.0),
        sample("cordon_commit_seconds_sum") * 1000.0 / commits.max(1.0)
    );
    let checks = sample("cordon_check_batch_size_count");
    println!(
        "  hub check batches: {checks:.0}, {:.1} publishes each on average",
        sample("cordon_check_batch_size_sum") / checks.max(1.0)
    );

    // The latency and notice runs use a hub of their own: in this process, or with
    // --hub-process as a separate `cordon-hub` process, as operators run it.
    let (in_process, process, addr) = if a.hub_process {
        let (child, addr) = hub_process(pki, "hub-lat", "max_connections = 20000").await?;
        (None, Some(child), addr)
    } else {
        let hub = TestHub::start(
            pki,
            &pki.path().join("hub-lat"),
            COSMO_2,
            "max_connections = 20000",
        )
        .await?;
        let addr = hub.addr();
        (Some(hub), None, addr)
    };
    let arrivals = subscribers(pki, addr, a.nodes).await?;
    let l = latency(pki, addr, &arrivals, a.nodes, a.rate, a.seconds).await?;
    println!(
        "publish-to-delivery at {} msg/s (reached {:.0}), {} nodes connected: p50 {} p99 {} ({}/{} delivered; target p99 < 5 ms: {})",
        a.rate,
        l.achieved,
        a.nodes,
        ms(l.p50),
        ms(l.p99),
        l.delivered,
        l.total,
        verdict(l.p99 < Duration::from_millis(5) && l.delivered == l.total)
    );
    println!("{}", spells(&l.stalls));
    println!(
        "  p99 of the {} deliveries no slow spell touched (crossed one, or queued behind one that did): {}",
        l.clear,
        ms(l.clear_p99)
    );
    // The bare QUIC round trips at the same rate and connection count, right after:
    // storing nothing, and journalled with fsync (group commit) on the hub's disk.
    let bare = BareServer::start(pki, &pki.path().join("bare-journal"))?;
    let bare_client = BareClient::new(pki, &pki.node("BARE", Role::Rilo)?)?;
    for (echo, what) in [
        (Echo::Plain, "storing nothing"),
        (
            Echo::Durable,
            "each request appended and fsync'd first, group commit",
        ),
    ] {
        let rt = round_trips(&bare_client, bare.addr, echo, a.nodes, a.rate, a.seconds).await?;
        let ratio = l.p99.as_secs_f64() / pct(&rt, 0.99).as_secs_f64().max(1e-9);
        println!(
            "bare quinn round trip (1 KiB, mutual TLS, no Cordon code, {what}) at {} msg/s over {} connections: p50 {} p99 {}",
            a.rate,
            a.nodes,
            ms(pct(&rt, 0.5)),
            ms(pct(&rt, 0.99)),
        );
        println!(
            "  Cordon / bare: p50 {:.1}x, p99 {ratio:.1}x (target p99 <= 3x: {})",
            l.p50.as_secs_f64() / pct(&rt, 0.5).as_secs_f64().max(1e-9),
            verdict(ratio <= 3.0)
        );
    }
    let n = notices(pki, addr, &arrivals, a.nodes, a.notices).await?;
    let p99 = pct(&n, 0.99);
    println!(
        "flash notice to all {} nodes: p50 {} p99 {} max {} over {} notices (target p99 < 100 ms: {})",
        a.nodes,
        ms(pct(&n, 0.5)),
        ms(p99),
        ms(n.last().copied().unwrap_or_default()),
        n.len(),
        verdict(p99 < Duration::from_millis(100))
    );
    let fan = fan_out(&bare_client, bare.addr, a.nodes, a.notices).await?;
    let fan_ratio = p99.as_secs_f64() / pct(&fan, 0.99).as_secs_f64().max(1e-9);
    println!(
        "bare quinn {}-way fan-out (1 KiB, mutual TLS, no Cordon code, written concurrently): p50 {} p99 {}; Cordon / bare p99 {fan_ratio:.1}x (target <= 3x: {})",
        a.nodes,
        ms(pct(&fan, 0.5)),
        ms(pct(&fan, 0.99)),
        verdict(fan_ratio <= 3.0)
    );
    drop(bare);
    if let Some(hub) = in_process {
        hub.hub.shutdown().await;
    }
    drop(process);

    Ok(())
}

/// The reconnect storm: `n` subscribed nodes (scripted, each reconnecting 50-150 ms after
/// it loses the hub, as a node's backoff starts) on a `cordon-hub` process; the hub is
/// stopped (SIGTERM: it closes every connection; or with `crash`, SIGKILL: the nodes
/// learn it only from their next packet) and started again on the same address and data.
///
/// Every scripted node connects from 127.0.0.1, where a real federation's nodes each have
/// an address of their own: the hub's per-address cap on handshakes in progress
/// (`max_handshakes_per_address`, 8 by default, against one address flooding it) is
/// raised to its total cap (`max_handshakes`, 128) so that it does not make 1 000 nodes
/// queue behind 8 handshakes at a time. Everything else is the hub's default.
async fn reconnect_storm(n: usize, crash: bool) -> Result<StormRun> {
    let pki = Arc::new(Pki::new()?);
    let limits = format!(
        "max_connections = {}\nmax_handshakes = 128\nmax_handshakes_per_address = 128",
        n + 100
    );
    let (mut child, addr, cfg) = hub_process_with_config(&pki, "hub-storm", &limits).await?;
    let (marker_tx, marker_rx) = tokio::sync::watch::channel(None::<MessageId>);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    for i in 0..n {
        let creds = pki.node(&format!("S-{i:04}"), Role::Rilo)?;
        let mut c = TestClient::connect(&pki, &creds, addr, true).await?;
        let (pki, marker, done) = (pki.clone(), marker_rx.clone(), done_tx.clone());
        tokio::spawn(async move {
            loop {
                match c.next_delivery(Duration::from_secs(1)).await {
                    Ok(Some(d)) => {
                        let id = ParsedEnvelope::parse(&d.envelope).map(|p| p.header.id).ok();
                        if id.is_some() && id == *marker.borrow() {
                            let _ = done.send(Instant::now());
                            return;
                        }
                    }
                    Ok(None) if c.session.connection().close_reason().is_none() => {}
                    _ => loop {
                        let jitter = 50 + (i as u64 * 37) % 100;
                        tokio::time::sleep(Duration::from_millis(jitter)).await;
                        if let Ok(fresh) = TestClient::connect(&pki, &creds, addr, true).await {
                            c = fresh;
                            break;
                        }
                    },
                }
            }
        });
    }
    drop(done_tx);
    let ocu = pki.node("OCU-S", Role::Ocu)?;
    let restarted = Instant::now();
    if crash {
        child.kill()?;
    } else {
        let pid = child.0.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()?;
        child.0.wait()?;
    }
    let _child = spawn_hub(&cfg)?;
    let mut sender = loop {
        match TestClient::connect(&pki, &ocu, addr, false).await {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    let answered = restarted.elapsed();
    let to: Vec<ChannelName> = vec!["op/cosmo-2/notices".parse()?];
    let me = vec![RecipientKey {
        node_id: sender.identity.node_id.clone(),
        public: *sender.kem.public(),
    }];
    let h = sender.header(MessageKind::Notice, "cosmo-2", &to, Priority::Flash)?;
    let env = sender.seal(&h, &body(), &me)?;
    marker_tx.send(Some(h.id))?;
    let ack = sender.publish(env).await?;
    if ack.outcome != PublishOutcome::Stored {
        bail!("storm notice not stored: {}", ack.reason);
    }
    let mut back = Vec::with_capacity(n);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while back.len() < n {
        match tokio::time::timeout_at(deadline, done_rx.recv()).await {
            Ok(Some(t)) => back.push(t.duration_since(restarted)),
            _ => break,
        }
    }
    back.sort();
    Ok(StormRun { answered, back })
}

/// What the reconnect storm measured, from the stop.
struct StormRun {
    /// Until the new hub took a connection and a publish.
    answered: Duration,
    /// Until each node that came back had the notice, sorted.
    back: Vec<Duration>,
}

/// The reconnect storm beside the bare handshake rate, measured just before it.
async fn storm(a: &Args, pki: &Pki) -> Result<()> {
    // Every bare client and every scripted node has a UDP socket of its own; a node
    // that reconnects opens its new one before the old is closed.
    raise_open_files(2 * a.storm as u64 + 512)?;
    let bare = BareServer::start(pki, &pki.path().join("bare-journal-h"))?;
    let creds = pki.node("BARE-H", Role::Rilo)?;
    let clients = (0..a.storm)
        .map(|_| BareClient::new(pki, &creds))
        .collect::<Result<Vec<_>>>()?;
    let h = handshakes(&clients, bare.addr, a.handshakes_in_flight).await?;
    drop(clients);
    drop(bare);
    println!(
        "bare quinn: {} mutual-TLS handshakes, each from its own socket, {} in flight at most: all up in {} ({:.0} /s); each p50 {} p99 {}",
        a.storm,
        a.handshakes_in_flight,
        ms(h.took),
        h.rate(),
        ms(pct(&h.each, 0.5)),
        ms(pct(&h.each, 0.99)),
    );
    let r = reconnect_storm(a.storm, a.storm_crash).await?;
    let t = r.back.last().copied().unwrap_or_default();
    println!(
        "reconnect storm: hub {} and restarted under {} subscribed nodes; {} back and caught up (a notice published at once received) in {} from the stop (target < 3 s: {}); at the bare rate {} handshakes take {}",
        if a.storm_crash { "killed (SIGKILL)" } else { "stopped (SIGTERM)" },
        a.storm,
        r.back.len(),
        ms(t),
        verdict(r.back.len() == a.storm && t < Duration::from_secs(3)),
        a.storm,
        ms(h.took),
    );
    println!(
        "  new hub answering {} after the stop; nodes back: p50 {} p90 {} p99 {}",
        ms(r.answered),
        ms(pct(&r.back, 0.5)),
        ms(pct(&r.back, 0.9)),
        ms(pct(&r.back, 0.99)),
    );
    Ok(())
}

/// Raise this process's soft limit on open files to `want` (up to the hard limit); the
/// hub processes it starts inherit it. Fails, saying what to do, if the hard limit is
/// lower.
fn raise_open_files(want: u64) -> Result<()> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|c| c >= want) || limit.current.is_none() {
        return Ok(());
    }
    if limit.maximum.is_some_and(|m| m < want) {
        bail!(
            "the storm needs {want} open files and the hard limit is {:?}: raise it (`ulimit -Hn {want}` as root) or run a smaller --storm",
            limit.maximum
        );
    }
    limit.current = Some(want);
    setrlimit(Resource::Nofile, limit).context("raising the open files limit")?;
    Ok(())
}

/// One line on the machine's slow spells.
fn spells(s: &Stalls) -> String {
    format!(
        "  machine slow spells (a 20 us piece of work timed every 1 ms took > 4x its median of {:.0} us): {} in {:.1} s, {:.1} % of the time, longest {}; the probe itself started > 5 ms late {} times",
        s.median.as_secs_f64() * 1e6,
        s.windows.len(),
        s.span.as_secs_f64(),
        s.fraction() * 100.0,
        ms(s.longest()),
        s.late.len()
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

/// p50, p99 and the largest of `times`.
fn spread(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "p50 {} p99 {} max {}",
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default())
    )
}

/// The console inbox run: fill a node store with `n` messages, rebuild its summaries
/// once (as the first start of a new version on an old store does), start the node on
/// it (no hub: nothing else runs) and time each query `runs` times, after 3 untimed.
async fn inbox_runs(n: u64, runs: usize) -> Result<()> {
    use cordon_node::inbox::{InboxFilter, InboxPosition, InboxQuery, TimeRange};
    use cordon_testbed::inbox_fill::{fill, vessel_imo, NEEDLE_CONTAINER, NEEDLE_COUNT};

    let pki = Pki::new()?;
    let creds = pki.node("NL-NCP", Role::Member)?;
    let dir = pki.path().join("nodes/NL-NCP");
    let nowhere: SocketAddr = "127.0.0.1:9".parse()?;
    let cfg = cordon_testbed::federation::write_node_config(&pki, &creds, nowhere, &dir)?;
    let config = cordon_node::NodeConfig::load(&cfg)?;
    std::fs::create_dir_all(&config.data_dir)?;
    let path = config.store_path();
    let started = Instant::now();
    let p = path.clone();
    let filled = tokio::task::spawn_blocking(move || fill(&p, n, 1024, 7)).await??;
    println!(
        "filled {} messages (bodies {} bytes on average) in {:.1} s; the store's commits (batches of 1,024, summaries included) {:.2} s, {:.0} µs a message",
        filled.messages,
        filled.body_bytes,
        started.elapsed().as_secs_f64(),
        filled.commits.as_secs_f64(),
        filled.commits.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    let summarising = tokio::task::spawn_blocking(move || -> Result<Duration> {
        let mut rng = cordon_testbed::inbox_fill::Rng::new(7);
        let now = now_ms();
        let mut took = Duration::ZERO;
        for i in 0..n {
            let r = cordon_testbed::inbox_fill::record(&mut rng, i, n, now)?;
            let t = Instant::now();
            std::hint::black_box(cordon_node::inbox::summarize(&r));
            took += t.elapsed();
        }
        Ok(took)
    })
    .await??;
    println!(
        "summarising alone (decode the body, normalise the terms): {:.1} µs a message",
        summarising.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    let p = path.clone();
    let (rebuilt, took) = tokio::task::spawn_blocking(move || -> Result<(u64, Duration)> {
        let store = cordon_node::store::Store::open(&p)?;
        let t = Instant::now();
        Ok((store.rebuild_inbox_summaries()?, t.elapsed()))
    })
    .await??;
    println!(
        "summaries rebuilt from the records (a store made before them, at its first open): {rebuilt} in {:.2} s",
        took.as_secs_f64()
    );
    println!(
        "store file: {:.1} MiB",
        std::fs::metadata(&path)?.len() as f64 / 1048576.0
    );

    let node = cordon_node::RunningNode::start(config).await?;
    let service = node.service().clone();
    let api = node.api_client();
    let counts = service
        .inbox_counts()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "inbox: {} messages, {} unread, {} unacknowledged, {} flash unacknowledged",
        counts.total, counts.unread, counts.unacknowledged, counts.flash_unacknowledged
    );
    let week_ago = now_ms() - 7 * 86_400_000;
    let imo = vessel_imo(1)?;
    let filter = |f: InboxFilter| InboxQuery {
        filter: f,
        limit: 50,
        ..Default::default()
    };
    let cases: Vec<(&str, InboxQuery, String)> = vec![
        (
            "no filter, first page",
            filter(InboxFilter::default()),
            "limit=50".into(),
        ),
        (
            "no filter, a page in the middle",
            InboxQuery {
                position: InboxPosition::Newest {
                    before: Some(n / 2),
                },
                ..filter(InboxFilter::default())
            },
            format!("limit=50&before={}", n / 2),
        ),
        (
            "kind=seizure",
            filter(InboxFilter {
                kind: Some(MessageKind::Seizure),
                ..Default::default()
            }),
            "limit=50&kind=seizure".into(),
        ),
        (
            "container matching few",
            filter(InboxFilter {
                container: Some(NEEDLE_CONTAINER.into()),
                ..Default::default()
            }),
            format!("limit=50&container={NEEDLE_CONTAINER}"),
        ),
        (
            "text matching none",
            filter(InboxFilter {
                text: Some("zanzibar".into()),
                ..Default::default()
            }),
            "limit=50&text=zanzibar".into(),
        ),
        (
            "text, two words",
            filter(InboxFilter {
                text: Some("cocaine transhipment".into()),
                ..Default::default()
            }),
            "limit=50&text=cocaine+transhipment".into(),
        ),
        (
            "vessel IMO, unread",
            filter(InboxFilter {
                vessel: Some(format!("IMO {imo}")),
                unread: true,
                ..Default::default()
            }),
            format!("limit=50&vessel=IMO+{imo}&unread"),
        ),
        (
            "alerts from BE in the last week",
            filter(InboxFilter {
                kind: Some(MessageKind::Alert),
                sender: Some("be-ncp".into()),
                received: TimeRange {
                    from: Some(week_ago),
                    to: None,
                },
                ..Default::default()
            }),
            format!(
                "limit=50&kind=alert&sender=be-ncp&received_from={}",
                cordon_common::msg::Timestamp::from_millis(week_ago)
            ),
        ),
        (
            "flash first",
            InboxQuery {
                flash_first: true,
                ..filter(InboxFilter::default())
            },
            "limit=50&flash_first".into(),
        ),
        (
            "no filter, counted (the CLI's)",
            InboxQuery {
                count: true,
                ..filter(InboxFilter::default())
            },
            "limit=50&count".into(),
        ),
        (
            "text matching none, counted",
            InboxQuery {
                count: true,
                ..filter(InboxFilter {
                    text: Some("zanzibar".into()),
                    ..Default::default()
                })
            },
            "limit=50&text=zanzibar&count".into(),
        ),
    ];
    println!(
        "inbox pages of 50, {runs} timed runs each (after 3 untimed); the container {NEEDLE_CONTAINER} is in {NEEDLE_COUNT} messages:"
    );
    for (name, query, http) in cases {
        let mut direct = Vec::with_capacity(runs);
        let mut page = None;
        for i in 0..runs + 3 {
            let t = Instant::now();
            let p = service
                .inbox(query.clone(), None)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            if i >= 3 {
                direct.push(t.elapsed());
            }
            page = Some(p);
        }
        let mut over_http = Vec::with_capacity(runs);
        for i in 0..runs + 3 {
            let t = Instant::now();
            let _: serde_json::Value = api.get(&format!("/v1/inbox?{http}")).await?;
            if i >= 3 {
                over_http.push(t.elapsed());
            }
        }
        let page = page.context("no page")?;
        println!(
            "  {name}: {} items{}{}{}\n    Service::inbox {}\n    GET /v1/inbox  {}",
            page.items.len(),
            if page.flash.is_empty() {
                String::new()
            } else {
                format!(" + {} flash", page.flash.len())
            },
            if page.more { ", more" } else { "" },
            page.remaining
                .map(|r| format!(" ({r} more)"))
                .unwrap_or_default(),
            spread(direct),
            spread(over_http),
        );
    }
    drop(service);
    node.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut a = Args::parse();
    if a.quick {
        a.publishers = 4;
        a.messages = 500;
        a.nodes = 50;
        a.seconds = 2;
        a.notices = 10;
        a.idle = vec![200, 1000];
        a.storm = 200;
    }
    println!(
        "cordon-bench on {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if let Some(secs) = a.stall_probe {
        let probe = StallProbe::start()?;
        std::thread::sleep(Duration::from_secs(secs));
        println!("{}", spells(&probe.finish()));
        return Ok(());
    }
    if let Some(n) = a.inbox {
        return inbox_runs(n, a.inbox_runs).await;
    }
    let pki = Pki::new()?;
    if !a.memory_only && !a.storm_only {
        hub_runs(&a, &pki).await?;
    }
    if a.storm > 0 && !a.memory_only {
        storm(&a, &pki).await?;
    }
    if a.storm_only {
        return Ok(());
    }
    println!("hub memory per idle connection (separate cordon-hub process, target <= 48 KiB):");
    for (count, per) in idle_memory(&pki, &a.idle, !a.idle_unsubscribed).await? {
        println!(
            "  at {count}: {per:.1} KiB per connection ({})",
            verdict(per <= 48.0)
        );
    }
    Ok(())
}
