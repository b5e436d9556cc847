//! The hub as a separate process, the way the Secretariat runs it (`cordon-hub run
//! --config hub.toml`): killed with SIGKILL in the middle of a sustained publish load and
//! restarted on the same data directory and port.
//!
//! What the design promises and what is asserted:
//! - a `stored` publish-ack means the message is on disk: every acked id survives the
//!   crash and is delivered after the restart;
//! - a message that was sent but not acked may or may not have reached the disk; if it
//!   did, it is delivered like any other (never a message nobody sent);
//! - hub → node delivery is at-least-once: a node that was online during the crash may be
//!   sent again what it had received but whose cursor the hub had not yet made durable.
//!   Within one session the hub never sends an id twice, and a node that deduplicates by
//!   id (as `cordon-node` does) shows each message exactly once;
//! - a node that was offline during the load gets its whole backlog once, in order;
//! - the audit log of the crashed-and-restarted hub verifies, and matches the head the hub
//!   recorded in its store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cordon_common::envelope::RecipientKey;
use cordon_common::ids::{ChannelName, MessageId, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::wire::{Deliver, PublishOutcome};
use cordon_testbed::client::connect_raw;
use cordon_testbed::process::ChildGuard;
use cordon_testbed::{policy::COSMO_2, write_hub_config, NodeCreds, Pki, TestClient};
use tokio::sync::watch;

const ALERTS: &str = "op/cosmo-2/alerts";

/// The `cordon-hub` binary, built once per test run in the profile of this test.
///
/// Built together with this crate's library, so that Cargo resolves the features of the
/// shared dependencies as for this test; building `-p cordon-hub` alone would resolve
/// them differently and rebuild half the workspace on every run, back and forth.
fn hub_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let release = !cfg!(debug_assertions);
        let mut args = vec!["build", "-q", "-p", "cordon-hub", "-p", "cordon-testbed"];
        args.extend(["--lib", "--bin", "cordon-hub"]);
        if release {
            args.push("--release");
        }
        let status = Command::new(env!("CARGO"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo");
        assert!(status.success(), "cargo {} failed", args.join(" "));
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        );
        let bin = target
            .join(if release { "release" } else { "debug" })
            .join("cordon-hub");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
fn free_udp_port() -> u16 {
    for _ in 0..20 {
        if let Ok(s) = UdpSocket::bind("127.0.0.1:0") {
            return s.local_addr().unwrap().port();
        }
    }
    panic!("no free UDP port on 127.0.0.1");
}

/// A hub process (killed with SIGKILL when dropped) and where it listens.
struct HubProcess {
    child: ChildGuard,
    addr: SocketAddr,
    config: PathBuf,
}

impl HubProcess {
    /// Start `cordon-hub run --config <config>` and wait until it accepts `probe`.
    /// `None` if the process exited before listening (e.g. the port was taken).
    async fn start(pki: &Pki, probe: &NodeCreds, config: &Path, addr: SocketAddr) -> Option<Self> {
        Self::start_with(pki, probe, config, addr, &[]).await
    }

    /// [`HubProcess::start`] with `extra` arguments after `run --config <config>`.
    async fn start_with(
        pki: &Pki,
        probe: &NodeCreds,
        config: &Path,
        addr: SocketAddr,
        extra: &[&str],
    ) -> Option<Self> {
        let mut args = vec!["run", "--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        let mut child = ChildGuard::spawn(&hub_bin(), &args).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                eprintln!("the hub exited before listening: {status}");
                return None;
            }
            let attempt =
                tokio::time::timeout(Duration::from_secs(2), connect_raw(pki, probe, addr)).await;
            if let Ok(Ok(session)) = attempt {
                session.close();
                return Some(Self {
                    child,
                    addr,
                    config: config.to_path_buf(),
                });
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the hub at {addr} did not accept a connection within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: no orderly stop, no final sync.
    fn kill(&mut self) {
        self.child.kill().unwrap();
    }

    /// SIGTERM (orderly stop) and wait for the exit, at most 20 s; asserts success.
    async fn terminate(mut self) {
        let pid = self.child.0.id().to_string();
        let st = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(st.success(), "kill -TERM {pid}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                assert!(status.success(), "the hub stopped on SIGTERM with {status}");
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the hub did not stop within 20 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `cordon-hub <args…>`, waited for.
fn hub_cli(args: &[&str]) -> Output {
    Command::new(hub_bin()).args(args).output().unwrap()
}

/// Start a hub for `pki` in `dir` on a fresh port (retrying if another program took it
/// between the probe and the hub's bind).
async fn start_first(pki: &Pki, probe: &NodeCreds, dir: &Path) -> HubProcess {
    for _ in 0..5 {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
        let config = write_hub_config(pki, dir, COSMO_2, "", &addr.to_string()).unwrap();
        if let Some(hub) = HubProcess::start(pki, probe, &config, addr).await {
            return hub;
        }
    }
    panic!("the hub did not start on any of 5 ports");
}

/// What the publishers saw.
#[derive(Default)]
struct Published {
    /// Every id sent on a publish stream (acked or not).
    sent: HashSet<MessageId>,
    /// Ids acked `stored`.
    stored: HashSet<MessageId>,
    /// Any other outcome (there should be none).
    other: Vec<String>,
}

/// Publish alerts pipelined (up to 64 in flight) until the connection fails or `stop`.
async fn publish_until_failure(
    mut c: TestClient,
    recips: Vec<RecipientKey>,
    out: Arc<Mutex<Published>>,
    mut stop: watch::Receiver<bool>,
) {
    let to: Vec<ChannelName> = vec![ALERTS.parse().unwrap()];
    let mut in_flight = 0usize;
    // Bounded: the load ends when the hub dies; 100 000 is far beyond what a test run sends.
    for i in 0..100_000u32 {
        if *stop.borrow() {
            return;
        }
        let h = c
            .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap();
        let env = c
            .seal(&h, format!("alert {i}").as_bytes(), &recips)
            .unwrap();
        out.lock().unwrap().sent.insert(h.id);
        let p = c.publisher().await.unwrap();
        if p.send(env).await.is_err() {
            return;
        }
        in_flight += 1;
        while in_flight >= 64 {
            let ack = tokio::select! {
                a = p.ack() => a,
                _ = stop.changed() => return,
            };
            let Ok(ack) = ack else { return };
            in_flight -= 1;
            let mut o = out.lock().unwrap();
            if ack.outcome == PublishOutcome::Stored {
                o.stored.insert(ack.id);
            } else {
                o.other
                    .push(format!("{}: {:?} {}", ack.id, ack.outcome, ack.reason));
            }
        }
    }
}

/// Drain what a subscribed client has received, until nothing comes for `quiet`.
async fn drain(c: &mut TestClient, quiet: Duration) -> Vec<Deliver> {
    let mut out = Vec::new();
    // Bounded: at most 100 000 deliveries.
    for _ in 0..100_000 {
        match c.next_delivery(quiet).await.unwrap() {
            Some(d) => out.push(d),
            None => break,
        }
    }
    out
}

/// Collect until every id of `want` has arrived (or `wait` passed), then until quiet.
async fn collect_ids(
    c: &mut TestClient,
    want: &HashSet<MessageId>,
    wait: Duration,
) -> Vec<(MessageId, u64)> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut got: Vec<(MessageId, u64)> = Vec::new();
    let mut seen: HashSet<MessageId> = HashSet::new();
    while !want.is_subset(&seen) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(d) = c.next_delivery(left).await.unwrap() else {
            break;
        };
        let id = c.open(&d.envelope).expect("a delivery opens").0.id;
        seen.insert(id);
        got.push((id, d.seq));
    }
    // Anything that still comes (a duplicate would show here).
    for d in drain(c, Duration::from_millis(1500)).await {
        got.push((c.open(&d.envelope).unwrap().0.id, d.seq));
    }
    got
}

/// Ids of `got` that appear more than once.
fn repeated(got: &[(MessageId, u64)]) -> Vec<MessageId> {
    let mut count: HashMap<MessageId, usize> = HashMap::new();
    for (id, _) in got {
        *count.entry(*id).or_default() += 1;
    }
    count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_publish_load_loses_no_acked_message_and_restart_delivers_each_once() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("hub");
    let probe = pki.node("RILO-AP", Role::Rilo).unwrap();
    let mut hub = start_first(&pki, &probe, &dir).await;
    let addr = hub.addr;

    // NL-NCP connects once (its key bundle goes into the directory) and goes offline: it
    // will get everything as a backlog after the restart. HU-NCP stays online through the
    // load and receives (and acks) as messages arrive.
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    let nl = TestClient::connect(&pki, &nl_creds, addr, false)
        .await
        .unwrap();
    let hu_creds = pki.node("HU-NCP", Role::Member).unwrap();
    let mut hu = TestClient::connect(&pki, &hu_creds, addr, true)
        .await
        .unwrap();
    let mut be = TestClient::connect(
        &pki,
        &pki.node("BE-NCP", Role::Member).unwrap(),
        addr,
        false,
    )
    .await
    .unwrap();
    let mut us = TestClient::connect(
        &pki,
        &pki.node("US-NCP", Role::Member).unwrap(),
        addr,
        false,
    )
    .await
    .unwrap();
    let to: Vec<ChannelName> = vec![ALERTS.parse().unwrap()];
    let be_recips = be.recipients(&to).await.unwrap();
    let us_recips = us.recipients(&to).await.unwrap();
    for r in [&be_recips, &us_recips] {
        let names: HashSet<&str> = r.iter().map(|k| k.node_id.as_str()).collect();
        assert!(
            names.contains("NL-NCP") && names.contains("HU-NCP"),
            "{names:?}"
        );
    }
    nl.session.close();
    drop(nl);

    // Sustained load from two publishers; SIGKILL once a good number are stored.
    let published = Arc::new(Mutex::new(Published::default()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks = vec![
        tokio::spawn(publish_until_failure(
            be,
            be_recips,
            published.clone(),
            stop_rx.clone(),
        )),
        tokio::spawn(publish_until_failure(
            us,
            us_recips,
            published.clone(),
            stop_rx.clone(),
        )),
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let stored = published.lock().unwrap().stored.len();
        if stored >= 400 {
            break;
        }
        assert!(
            tasks.iter().all(|t| !t.is_finished()),
            "a publisher stopped before the crash"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {stored} publishes stored in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        tasks.iter().all(|t| !t.is_finished()),
        "the load must still be running when the hub is killed"
    );
    hub.kill();
    // Acks already on their way were read before the kill completed; give the tasks a
    // moment to record them, then stop them (a dead peer is only noticed at idle timeout).
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_tx.send(true).unwrap();
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .expect("publisher stops")
            .unwrap();
    }
    let (sent, stored, other) = {
        let p = published.lock().unwrap();
        (p.sent.clone(), p.stored.clone(), p.other.clone())
    };
    assert!(other.is_empty(), "only `stored` acks expected: {other:?}");
    assert!(
        sent.len() > stored.len(),
        "the kill came mid-load, with publishes unacked ({} sent, {} stored)",
        sent.len(),
        stored.len()
    );
    eprintln!(
        "killed with {} stored and {} sent but unacked",
        stored.len(),
        sent.len() - stored.len()
    );

    // What HU received before the crash.
    let before: Vec<(MessageId, u64)> = drain(&mut hu, Duration::from_millis(300))
        .await
        .iter()
        .map(|d| (hu.open(&d.envelope).unwrap().0.id, d.seq))
        .collect();
    assert!(
        repeated(&before).is_empty(),
        "an id sent twice in one session"
    );
    hu.session.close();
    drop(hu);

    // The audit log as the crash left it.
    let audit_path = dir.join("data/audit.log");
    let crashed_log = std::fs::read(&audit_path).unwrap();
    let torn = !crashed_log.is_empty() && crashed_log.last() != Some(&b'\n');
    eprintln!(
        "audit log after SIGKILL: {} bytes, ends {}",
        crashed_log.len(),
        if torn {
            "in a partial record"
        } else {
            "at a record boundary"
        }
    );

    // Restart on the same data and port.
    let hub = HubProcess::start(&pki, &probe, &hub.config, addr)
        .await
        .expect("the hub restarts after SIGKILL on the same data directory and port");

    // NL (offline throughout): the whole backlog, each once, in channel order.
    let mut nl = TestClient::connect(&pki, &nl_creds, addr, true)
        .await
        .unwrap();
    let nl_got = collect_ids(&mut nl, &stored, Duration::from_secs(30)).await;
    let nl_ids: HashSet<MessageId> = nl_got.iter().map(|(id, _)| *id).collect();
    let missing = stored.difference(&nl_ids).count();
    assert_eq!(
        missing, 0,
        "{missing} acked messages not delivered after restart"
    );
    assert!(
        nl_ids.is_subset(&sent),
        "only messages that were sent are delivered"
    );
    assert!(
        before.iter().all(|(id, _)| nl_ids.contains(id)),
        "a message delivered before the crash is gone after it: delivered before it was durable"
    );
    assert!(
        repeated(&nl_got).is_empty(),
        "the offline node got an id twice"
    );
    assert!(
        nl_got.windows(2).all(|w| w[0].1 < w[1].1),
        "in channel order"
    );
    eprintln!(
        "NL got {} (of which {} published but unacked before the crash)",
        nl_ids.len(),
        nl_ids.difference(&stored).count()
    );

    // HU (online at the crash): at-least-once from the hub; exactly once after dedup by id.
    let mut hu = TestClient::connect(&pki, &hu_creds, addr, true)
        .await
        .unwrap();
    let want: HashSet<MessageId> = stored
        .difference(&before.iter().map(|(id, _)| *id).collect())
        .copied()
        .collect();
    let after = collect_ids(&mut hu, &want, Duration::from_secs(30)).await;
    assert!(
        repeated(&after).is_empty(),
        "an id sent twice in one session"
    );
    let before_ids: HashSet<MessageId> = before.iter().map(|(id, _)| *id).collect();
    let after_ids: HashSet<MessageId> = after.iter().map(|(id, _)| *id).collect();
    let all: HashSet<MessageId> = before_ids.union(&after_ids).copied().collect();
    assert!(stored.is_subset(&all), "HU misses acked messages");
    assert!(all.is_subset(&sent));
    // Redeliveries are a suffix of what HU had: the hub resumes from a cursor it made
    // durable, so what comes again is the tail of the earlier session, not gaps.
    let again: Vec<u64> = after
        .iter()
        .filter(|(id, _)| before_ids.contains(id))
        .map(|(_, s)| *s)
        .collect();
    if let Some(max_again) = again.iter().max() {
        let first_new = after
            .iter()
            .find(|(id, _)| !before_ids.contains(id))
            .map(|(_, s)| *s);
        assert!(
            first_new.is_none_or(|f| f > *max_again),
            "redelivered messages come before new ones, in order"
        );
    }
    eprintln!(
        "HU: {} before the crash, {} after, {} of them again (deduplicated by id: {} unique)",
        before.len(),
        after.len(),
        again.len(),
        all.len()
    );
    // The same lanes keep their seqs across the restart: seq identifies the message.
    let mut seq_of: HashMap<MessageId, u64> = HashMap::new();
    for (id, seq) in before.iter().chain(after.iter()).chain(nl_got.iter()) {
        let prev = seq_of.insert(*id, *seq);
        assert!(prev.is_none_or(|p| p == *seq), "{id} changed its seq");
    }

    // An orderly stop syncs the audit log; the chain of the crashed-and-restarted hub's
    // log verifies and matches the head recorded in the store.
    hu.session.close();
    nl.session.close();
    let config = hub.config.clone();
    hub.terminate().await;
    let out = hub_cli(&["audit", "verify", "--config", config.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "audit verify failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("chain intact") && stdout.contains("matches the head recorded"),
        "{stdout}"
    );
    // The restarted hub continued the crashed hub's chain (records of both runs).
    let log = std::fs::read_to_string(&audit_path).unwrap();
    assert!(log.len() > crashed_log.len());
    assert!(log.as_bytes().starts_with(&crashed_log));
    let unaudited = stored
        .iter()
        .filter(|id| !log.contains(&format!("\"id\":\"{id}\"")))
        .count();
    eprintln!("acked publishes without a `published` audit record: {unaudited}");
    assert!(
        log.lines()
            .filter(|l| l.contains("\"type\":\"hub-started\""))
            .count()
            >= 2,
        "two starts"
    );
}

/// A crash can leave the audit log ending in part of a record (the hub writes a batch and
/// fsyncs it; SIGKILL or power loss can interrupt the write). `audit verify` names the
/// incomplete line; the hub restarts by itself: it moves the torn bytes aside (nothing in
/// them was durable: the head recorded in the store is written only after a sync), audits
/// the repair, and the whole chain verifies against the store's head again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_audit_tail_is_named_by_verify_and_repaired_by_a_restart() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("hub");
    let probe = pki.node("RILO-AP", Role::Rilo).unwrap();
    let hub = start_first(&pki, &probe, &dir).await;
    let config = hub.config.clone();
    let addr = hub.addr;
    hub.terminate().await;

    let audit_path = dir.join("data/audit.log");
    let intact = std::fs::read(&audit_path).unwrap();
    assert_eq!(intact.last(), Some(&b'\n'));
    let records = intact.iter().filter(|b| **b == b'\n').count();
    // Half of a plausible next record, as an interrupted write leaves it.
    let partial = format!("{{\"seq\":{},\"at\":\"2026-", records + 1).into_bytes();
    let mut torn = intact.clone();
    torn.extend_from_slice(&partial);
    std::fs::write(&audit_path, &torn).unwrap();

    let out = hub_cli(&["audit", "verify", "--config", config.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("line {}", records + 1)) && err.contains("incomplete"),
        "{err}"
    );

    // The hub starts, keeps the torn bytes as evidence, and resumes the chain.
    let hub = HubProcess::start(&pki, &probe, &config, addr)
        .await
        .expect("restarts after repairing the torn tail");
    hub.terminate().await;
    let saved: Vec<_> = std::fs::read_dir(dir.join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("torn-"))
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(std::fs::read(&saved[0]).unwrap(), partial);
    let log = std::fs::read_to_string(&audit_path).unwrap();
    assert!(
        log.as_bytes().starts_with(&intact),
        "the complete records are untouched"
    );
    assert!(log.contains("torn-tail-repaired"), "the repair is audited");
    let out = hub_cli(&["audit", "verify", "--config", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// After a crash, a node learns that its connection is gone from its next packet, not
/// from its idle timeout (30 s): the restarted hub keeps its stateless-reset key
/// (`reset.key` in the data directory) and answers the old connection's packets with a
/// stateless reset the node recognises.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_a_node_learns_at_its_next_packet_that_its_connection_is_gone() {
    let pki = Pki::new().unwrap();
    let probe = pki.node("US-NCP", Role::Member).unwrap();
    let dir = pki.path().join("hub");
    let mut hub = start_first(&pki, &probe, &dir).await;
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let mut client = TestClient::connect(&pki, &be, hub.addr, false)
        .await
        .unwrap();
    client.session.ping(1).await.unwrap();
    hub.kill();
    let restarted = HubProcess::start(&pki, &probe, &hub.config, hub.addr)
        .await
        .expect("the hub restarts on its address");
    let t = std::time::Instant::now();
    let ping = tokio::time::timeout(Duration::from_secs(5), client.session.ping(2)).await;
    assert!(
        matches!(ping, Ok(Err(_))),
        "the old connection fails at once, not after the idle timeout: {ping:?}"
    );
    let reason = client.session.connection().close_reason();
    assert!(
        matches!(reason, Some(quinn::ConnectionError::Reset)),
        "closed by a stateless reset: {reason:?} after {:?}",
        t.elapsed()
    );
    restarted.terminate().await;
}

/// `cordon-hub run --config <config>` expected to refuse to start: its stderr once it has
/// exited (with failure), within 20 s. Panics if it is still running then.
async fn refused_start(config: &Path) -> String {
    let mut child = ChildGuard(
        Command::new(hub_bin())
            .args(["run", "--config", config.to_str().unwrap()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hub is still running 20 s after start: it did not refuse"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "exited with {status}: {stderr}");
    stderr
}

/// Records cut from the end of audit.log while the hub is stopped leave a valid shorter
/// chain; if the hub resumed it, it would record a new head in its store and the cut
/// would be hidden for good. The hub compares the log with the head in its store and
/// refuses to start, saying what was lost and how to recover. An operator who has no
/// backup starts it with `--accept-shortened-audit-log`, and the log says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shortened_audit_log_stops_the_hub_from_starting() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("hub");
    let probe = pki.node("RILO-AP", Role::Rilo).unwrap();
    let hub = start_first(&pki, &probe, &dir).await;
    let config = hub.config.clone();
    let addr = hub.addr;
    hub.terminate().await;

    let audit_path = dir.join("data/audit.log");
    let intact = std::fs::read_to_string(&audit_path).unwrap();
    let records: Vec<&str> = intact.lines().collect();
    assert!(records.len() >= 3, "{intact}");
    let kept = records.len() - 2;
    let mut shortened = records[..kept].join("\n");
    shortened.push('\n');
    std::fs::write(&audit_path, &shortened).unwrap();
    // The chain alone cannot tell: what is left is a valid log.
    let out = hub_cli(&["audit", "verify", "--log", audit_path.to_str().unwrap()]);
    assert!(out.status.success());

    let stderr = refused_start(&config).await;
    assert!(
        stderr.contains(&format!(
            "ends at seq {kept}, but the hub recorded seq {}",
            records.len()
        )) && stderr.contains("records were removed from the end")
            && stderr.contains("restore audit.log from a backup")
            && stderr.contains("--accept-shortened-audit-log"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&audit_path).unwrap(),
        shortened,
        "the refused start left the log as it was"
    );

    // No backup: the operator accepts the loss explicitly; the hub resumes and audits it.
    let hub = HubProcess::start_with(
        &pki,
        &probe,
        &config,
        addr,
        &["--accept-shortened-audit-log"],
    )
    .await
    .expect("starts when the operator accepts the shortened log");
    hub.terminate().await;
    let log = std::fs::read_to_string(&audit_path).unwrap();
    let note = log
        .lines()
        .find(|l| l.contains("\"type\":\"audit-log-shortened\""))
        .expect("the override is audited");
    assert!(
        note.contains(&format!("\"recorded_seq\":{}", records.len()))
            && note.contains(&format!("\"found_seq\":{kept}")),
        "{note}"
    );
    // From then on the log and the store agree again.
    let out = hub_cli(&["audit", "verify", "--config", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hub = HubProcess::start(&pki, &probe, &config, addr)
        .await
        .expect("an ordinary start works again");
    hub.terminate().await;
}
