//! The reliability scenarios of `docs/RELIABILITY.md`, one function each, at two scales.
//! Each starts its own federation on 127.0.0.1 (fresh CA, hub, real node daemons), injects
//! its fault while nodes publish and read through their API, then waits until every
//! message is settled and every stored one is in every reader's inbox, and reports what
//! it counted ([`ScenarioReport`]). The pass condition: nothing acknowledged `stored` is
//! lost, no id is shown twice in an inbox, nothing is left hanging in an outbox.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use cordon_common::ids::{ChannelName, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::wire::PublishOutcome;
use cordon_node::api_client::ApiClient;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::daemons::{node_config, Fleet, HubProcess, NodeProcess};
use super::disk::Tmpfs;
use super::ledger::{inbox, post_alert, settle, Ledger, SentState, CHANNEL};
use super::proxy::{Faults, LinkFaults, ProxyStats};
use super::report::{Scale, ScenarioReport};
use super::rng::SeededRng;
use crate::client::alert_body;
use crate::policy::COSMO_2;
use crate::{Pki, TestClient, TestHub};

/// The scenarios, by name, in the order of the table.
pub const NAMES: [&str; 6] = [
    "lossy-links",
    "partition",
    "hub-kills",
    "node-kills",
    "disk-full",
    "clock-skew",
];

/// The seed of every run's random choices (proxies, kill times).
pub const SEED: u64 = 0x00C0_4D0B;

/// Run scenario `name` at `scale`.
pub async fn run(name: &str, scale: Scale) -> Result<ScenarioReport> {
    match name {
        "lossy-links" => lossy_links(scale).await,
        "partition" => partition(scale).await,
        "hub-kills" => hub_kills(scale).await,
        "node-kills" => node_kills(scale).await,
        "disk-full" => disk_full(scale).await,
        "clock-skew" => clock_skew(scale).await,
        other => anyhow::bail!("no scenario {other:?}; one of {}", NAMES.join(", ")),
    }
}

fn report(name: &str, setup: String) -> ScenarioReport {
    ScenarioReport {
        name: name.to_owned(),
        setup,
        ..Default::default()
    }
}

/// Each of `senders` posts `per_node` alerts (numbered from `from`), spread over
/// `spread`, all at once; the ids go into `ledger`.
async fn burst(
    apis: &BTreeMap<String, ApiClient>,
    senders: &[String],
    per_node: usize,
    from: usize,
    spread: Duration,
    ledger: &mut Ledger,
) -> Result<()> {
    let gap = spread / u32::try_from(per_node.max(1)).unwrap_or(u32::MAX);
    let mut posting = JoinSet::new();
    for s in senders {
        let api = apis
            .get(s)
            .with_context(|| format!("{s} has no API"))?
            .clone();
        let s = s.clone();
        posting.spawn(async move {
            let mut ids = Vec::with_capacity(per_node);
            for n in from..from + per_node {
                ids.push(post_alert(&api, &s, n).await?);
                tokio::time::sleep(gap).await;
            }
            Ok::<_, anyhow::Error>((s, ids))
        });
    }
    while let Some(r) = posting.join_next().await {
        let (s, ids) = r??;
        for id in ids {
            ledger.add(&s, id);
        }
    }
    Ok(())
}

/// A steady load until `stop`: each sender posts an alert every `gap`; the ids go into
/// `out`. Posting goes to the node's own API, which queues durably even when the hub
/// is down.
fn steady_load(
    apis: &BTreeMap<String, ApiClient>,
    gap: Duration,
    out: &Arc<Mutex<Vec<(String, String)>>>,
    stop: &watch::Receiver<bool>,
) -> JoinSet<Result<()>> {
    let mut tasks = JoinSet::new();
    for (s, api) in apis {
        let (s, api, out, mut stop) = (s.clone(), api.clone(), out.clone(), stop.clone());
        tasks.spawn(async move {
            // Bounded: 10 000 posts per node at the most.
            for n in 0..10_000 {
                if *stop.borrow() {
                    break;
                }
                let id = post_alert(&api, &s, n).await?;
                out.lock()
                    .map_err(|_| anyhow::anyhow!("load ledger poisoned"))?
                    .push((s.clone(), id));
                tokio::select! {
                    () = tokio::time::sleep(gap) => {}
                    _ = stop.changed() => break,
                }
            }
            Ok(())
        });
    }
    tasks
}

fn proxy_note(fleet: &Fleet) -> String {
    let stats: Vec<ProxyStats> = fleet.proxies.values().map(|p| p.stats()).collect();
    let total = ProxyStats::sum(&stats);
    format!(
        "proxies, node → hub: {}; hub → node: {}",
        total.to_hub, total.to_node
    )
}

/// A hub in this process and `n` node daemons (each behind its own clean proxy when
/// `proxied`), ready for a scenario.
struct InProcess {
    hub: TestHub,
    fleet: Fleet,
    apis: BTreeMap<String, ApiClient>,
    // Last: the CA's directory outlives the daemons using its files.
    pki: Pki,
}

impl InProcess {
    async fn start(n: usize, proxied: bool) -> Result<Self> {
        let pki = Pki::new()?;
        let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "").await?;
        let fleet = Fleet::start(&pki, hub.addr(), n, proxied.then_some(SEED), "").await?;
        let apis = fleet.apis();
        Ok(Self {
            hub,
            fleet,
            apis,
            pki,
        })
    }

    /// Settle (`recovery` says from when), note what the proxies did, and stop.
    async fn finish(
        self,
        ledger: &mut Ledger,
        fault_end: Instant,
        wait: Duration,
        recovery: &str,
        r: &mut ScenarioReport,
    ) -> Result<()> {
        settle(ledger, &self.apis, &self.fleet.ids, fault_end, wait, r).await?;
        if !self.fleet.proxies.is_empty() {
            r.notes.push(proxy_note(&self.fleet));
        }
        r.notes.push(format!("recovery: {recovery}"));
        self.fleet.shutdown().await;
        self.hub.hub.shutdown().await;
        drop(self.pki);
        Ok(())
    }
}

/// 10 % loss, 20 % reordering and 1 % duplication on every node's link, both ways,
/// while every node publishes and reads; the faults stay on until everything is in.
pub async fn lossy_links(scale: Scale) -> Result<ScenarioReport> {
    let started = Instant::now();
    let (n, per) = (scale.pick(5, 20), scale.pick(10, 25));
    let mut r = report(
        "lossy-links",
        format!("{n} nodes × {per} alerts; 10 % loss, 20 % reorder, 1 % dup each way"),
    );
    let run = InProcess::start(n, true).await?;
    let lossy = Faults {
        delay: Duration::from_millis(1),
        jitter: Duration::from_millis(2),
        ..Faults::lossy(0.10, 0.20, 0.01)
    };
    run.fleet.set_faults(LinkFaults::both(lossy));
    let mut ledger = Ledger::default();
    let ids = run.fleet.ids.clone();
    burst(&run.apis, &ids, per, 0, Duration::from_secs(2), &mut ledger).await?;
    let wait = Duration::from_secs(scale.pick(45, 180));
    let recovery = "from the last post until the last delivery, faults still on";
    run.finish(&mut ledger, Instant::now(), wait, recovery, &mut r)
        .await?;
    r.elapsed = started.elapsed();
    Ok(r)
}

/// Half the nodes cut off (both ways) during a burst from every node, then healed.
pub async fn partition(scale: Scale) -> Result<ScenarioReport> {
    let started = Instant::now();
    let (n, per) = (scale.pick(4, 20), scale.pick(10, 25));
    let cut = Duration::from_secs(scale.pick(3, 30));
    let mut r = report(
        "partition",
        format!(
            "{n} nodes × {per} alerts; {} of them cut off for {} s during the burst",
            n / 2,
            cut.as_secs()
        ),
    );
    let run = InProcess::start(n, true).await?;
    let ids = run.fleet.ids.clone();
    let cut_at = Instant::now();
    for id in ids.iter().take(n / 2) {
        run.fleet.proxies.get(id).context("proxy")?.partition(None);
    }
    let mut ledger = Ledger::default();
    burst(&run.apis, &ids, per, 0, cut / 2, &mut ledger).await?;
    tokio::time::sleep_until(cut_at + cut).await;
    for id in ids.iter().take(n / 2) {
        run.fleet.proxies.get(id).context("proxy")?.heal();
    }
    let healed = Instant::now();
    let wait = Duration::from_secs(scale.pick(45, 120));
    let recovery = "from healing until the last delivery";
    run.finish(&mut ledger, healed, wait, recovery, &mut r)
        .await?;
    r.elapsed = started.elapsed();
    Ok(r)
}

/// The hub (a `cordon-hub` process) killed with SIGKILL again and again while every node
/// publishes and reads, and started again on the same data and port each time.
pub async fn hub_kills(scale: Scale) -> Result<ScenarioReport> {
    let started = Instant::now();
    let (n, kills) = (scale.pick(4, 8), scale.pick(3, 20));
    let gap = Duration::from_millis(scale.pick(100, 100));
    let mut r = report(
        "hub-kills",
        format!(
            "{n} nodes posting every {} ms; hub SIGKILLed {kills} times{}",
            gap.as_millis(),
            scale.pick("; node idle timeout 5 s", "")
        ),
    );
    let pki = Pki::new()?;
    let mut hub = HubProcess::start(&pki, &pki.path().join("hub"), COSMO_2, None).await?;
    let fleet = Fleet::start(&pki, hub.addr, n, None, scale.quick_idle()).await?;
    let apis = fleet.apis();
    let posted = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut load = steady_load(&apis, gap, &posted, &stop_rx);
    let mut rng = SeededRng::stream(SEED, 1);
    let mut restarts = Vec::new();
    for _ in 0..kills {
        // Between 0.3 and 1.5 s of load before each kill.
        let run_for = Duration::from_millis(300 + (rng.unit() * 1200.0) as u64);
        tokio::time::sleep(run_for).await;
        if let Some(status) = hub.exited()? {
            r.notes.push(format!("the hub exited by itself: {status}"));
        }
        hub.kill()?;
        let down = Instant::now();
        hub.restart(&pki).await?;
        restarts.push(down.elapsed());
    }
    let last_restart = Instant::now();
    // A little load after the last restart too, then stop it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_tx.send_replace(true);
    while let Some(t) = load.join_next().await {
        t??;
    }
    let mut ledger = Ledger::default();
    for (s, id) in posted
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .drain(..)
    {
        ledger.add(&s, id);
    }
    let wait = Duration::from_secs(scale.pick(60, 120));
    settle(&mut ledger, &apis, &fleet.ids, last_restart, wait, &mut r).await?;
    let longest = restarts.iter().max().copied().unwrap_or_default();
    r.notes.push(format!(
        "{kills} kills; the hub was back (accepting connections) within {:.1} s of each kill at the longest",
        longest.as_secs_f64()
    ));
    r.notes
        .push("recovery: from the last restart until the last delivery".into());
    fleet.shutdown().await;
    drop(hub);
    r.elapsed = started.elapsed();
    Ok(r)
}

/// A sending node and a reading node (`cordon-node` processes) killed with SIGKILL in
/// the middle of sending and of receiving, again and again, and started again.
pub async fn node_kills(scale: Scale) -> Result<ScenarioReport> {
    let started = Instant::now();
    let (kills, per) = (scale.pick(3, 20), scale.pick(20, 50));
    let mut r = report(
        "node-kills",
        format!(
            "a sender killed during send and a reader during receive, {kills} times each; {per} alerts per round from each side"
        ),
    );
    let pki = Pki::new()?;
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "").await?;
    let mut sender = NodeProcess::new(node_config(&pki, "F-SEND", hub.addr())?);
    let mut reader = NodeProcess::new(node_config(&pki, "F-READ", hub.addr())?);
    let mut s_api = sender.start().await?;
    let mut r_api = reader.start().await?;
    // Two nodes in this process: one publishes what the reader receives; both read.
    let fleet = Fleet::start(&pki, hub.addr(), 2, None, "").await?;
    let feeder = fleet.ids[0].clone();
    let mut apis = fleet.apis();
    let feeder_api = apis.get(&feeder).context("feeder")?.clone();
    let mut ledger = Ledger::default();
    let (mut during_send, mut during_receive) = (0, 0);
    let mut rng = SeededRng::stream(SEED, 2);
    let both = vec!["F-SEND".to_owned(), feeder.clone()];
    for round in 0..kills {
        // Both post at once; the sender's outbox publishes while the feeder's alerts are
        // being delivered to the reader.
        let posting = BTreeMap::from([
            ("F-SEND".to_owned(), s_api.clone()),
            (feeder.clone(), feeder_api.clone()),
        ]);
        burst(
            &posting,
            &both,
            per,
            round * per,
            Duration::ZERO,
            &mut ledger,
        )
        .await?;
        // 0 to 10 ms after the last post.
        tokio::time::sleep(Duration::from_millis((rng.unit() * 10.0) as u64)).await;
        let fed: HashSet<&String> = ledger.sent.get(&feeder).into_iter().flatten().collect();
        let (inbox_now, depth) = tokio::join!(inbox(&r_api), s_api.get::<Value>("/v1/status"));
        let got = inbox_now?.keys().filter(|id| fed.contains(id)).count();
        let depth = depth?;
        reader.kill()?;
        sender.kill()?;
        if got < fed.len() {
            during_receive += 1;
        }
        if depth["outbox_depth"].as_u64().unwrap_or(0) > 0 {
            during_send += 1;
        }
        s_api = sender.start().await?;
        r_api = reader.start().await?;
    }
    let restarted = Instant::now();
    apis.insert("F-SEND".into(), s_api);
    apis.insert("F-READ".into(), r_api);
    let readers: Vec<String> = apis.keys().cloned().collect();
    let wait = Duration::from_secs(scale.pick(60, 120));
    settle(&mut ledger, &apis, &readers, restarted, wait, &mut r).await?;
    r.notes.push(format!(
        "{during_send} of {kills} sender kills came with messages in its outbox; {during_receive} of {kills} reader kills with deliveries still to come"
    ));
    r.notes
        .push("recovery: from the last restart until the last delivery".into());
    fleet.shutdown().await;
    drop((sender, reader));
    hub.hub.shutdown().await;
    r.elapsed = started.elapsed();
    Ok(r)
}

/// The hub's data directory on a small tmpfs that fills up during a burst, then is freed.
pub async fn disk_full(scale: Scale) -> Result<ScenarioReport> {
    let started = Instant::now();
    let (n, per) = (3, scale.pick(10, 30));
    let full_for = Duration::from_secs(scale.pick(3, 10));
    let mut r = report(
        "disk-full",
        format!(
            "{n} nodes × {per} alerts before, during and after; the hub's 8 MiB tmpfs full for {} s{}",
            full_for.as_secs(),
            scale.pick("; node idle timeout 5 s", "")
        ),
    );
    let pki = Pki::new()?;
    let disk = match Tmpfs::mount(&pki.path().join("hub-disk"), "8m") {
        Ok(d) => d,
        Err(why) => {
            r.skipped = Some(why);
            return Ok(r);
        }
    };
    let mut hub =
        HubProcess::start(&pki, &pki.path().join("hub"), COSMO_2, Some(disk.path())).await?;
    let fleet = Fleet::start(&pki, hub.addr, n, None, scale.quick_idle()).await?;
    let apis = fleet.apis();
    let mut ledger = Ledger::default();
    burst(
        &apis,
        &fleet.ids,
        per,
        0,
        Duration::from_millis(500),
        &mut ledger,
    )
    .await?;
    let filler = disk.fill()?;
    r.notes
        .push(format!("filled the hub's disk with {} KiB", filler / 1024));
    burst(
        &apis,
        &fleet.ids,
        per,
        per,
        Duration::from_millis(500),
        &mut ledger,
    )
    .await?;
    tokio::time::sleep(full_for).await;
    ledger.refresh(&apis).await?;
    let refused_while_full = ledger.with(SentState::Refused).len();
    disk.free()?;
    let freed = Instant::now();
    if let Some(status) = hub.exited()? {
        r.findings.push(format!(
            "the hub stopped while its disk was full ({status}); started again after freeing it"
        ));
        hub.restart(&pki).await?;
    }
    // The disk is free again: are new publishes stored, without any operator action?
    let before: HashSet<String> = ledger.state.keys().cloned().collect();
    burst(
        &apis,
        &fleet.ids,
        per,
        2 * per,
        Duration::from_millis(500),
        &mut ledger,
    )
    .await?;
    let after: Vec<String> = ledger
        .state
        .keys()
        .filter(|id| !before.contains(*id))
        .cloned()
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while after
        .iter()
        .any(|id| ledger.state.get(id) == Some(&SentState::Pending))
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        ledger.refresh(&apis).await?;
    }
    // Refused for good, or still waiting in the outbox (`unavailable`, sent again).
    let not_stored_after = after
        .iter()
        .filter(|id| ledger.state.get(*id) != Some(&SentState::Stored))
        .count();
    if not_stored_after > 0 {
        r.findings.push(format!(
            "the hub did not store {not_stored_after} of {} publishes made after its disk was freed within 20 s: it does not recover from a full disk by itself; an operator restart (SIGKILL here) brought it back",
            after.len()
        ));
        hub.kill()?;
        hub.restart(&pki).await?;
        burst(
            &apis,
            &fleet.ids,
            per,
            3 * per,
            Duration::from_millis(500),
            &mut ledger,
        )
        .await?;
    }
    let wait = Duration::from_secs(scale.pick(90, 120));
    settle(&mut ledger, &apis, &fleet.ids, freed, wait, &mut r).await?;
    if refused_while_full > 0 {
        r.findings.push(format!(
            "{refused_while_full} publishes made while the disk was full were settled as failed at the node: nothing lost that was stored, but an officer must send them again (the hub should answer `unavailable`, which the node sends again)"
        ));
    }
    r.notes
        .push("recovery: from freeing the disk until the last delivery".into());
    fleet.shutdown().await;
    drop(hub);
    drop(disk);
    r.elapsed = started.elapsed();
    Ok(r)
}

/// A node whose clock is 10 minutes behind, then 10 minutes ahead, publishes to real
/// node daemons. The node daemon has no clock offset of its own, so the skewed node is
/// the scripted client: its envelopes carry `created_at`/`expires_at` 10 minutes off;
/// its TLS handshake and key bundle use the true clock.
pub async fn clock_skew(scale: Scale) -> Result<ScenarioReport> {
    let started = Instant::now();
    let (n, per) = (3, scale.pick(10, 50));
    let mut r = report(
        "clock-skew",
        format!(
            "a node 10 min behind, then 10 min ahead, sends {per} alerts each to {n} node daemons"
        ),
    );
    let run = InProcess::start(n, false).await?;
    let creds = run.pki.node("F-SKEW", Role::Rilo)?;
    let mut skewed = TestClient::connect(&run.pki, &creds, run.hub.addr(), false).await?;
    let to: Vec<ChannelName> = vec![CHANNEL.parse()?];
    let recipients = skewed.recipients(&to).await?;
    let mut ledger = Ledger::default();
    let ten_min: i64 = 10 * 60 * 1000;
    for (offset, label) in [(-ten_min, "behind"), (ten_min, "ahead")] {
        let (mut stored, mut refused) = (0, BTreeMap::<String, usize>::new());
        for i in 0..per {
            let mut h = skewed.header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)?;
            h.created_at = h.created_at.saturating_add_signed(offset);
            h.expires_at = h.created_at + 24 * 3600 * 1000;
            let env = skewed.seal(&h, &alert_body(i)?, &recipients)?;
            let ack = skewed.publish(env).await?;
            let id = h.id.to_string();
            ledger.add("F-SKEW", id.clone());
            let state = if ack.outcome == PublishOutcome::Stored {
                stored += 1;
                SentState::Stored
            } else {
                *refused
                    .entry(format!("{:?}: {}", ack.outcome, ack.reason))
                    .or_default() += 1;
                SentState::Refused
            };
            ledger.state.insert(id, state);
        }
        r.notes.push(format!(
            "10 min {label}: {stored} stored, refused: {refused:?}"
        ));
    }
    let wait = Duration::from_secs(scale.pick(30, 60));
    skewed.session.close();
    let recovery = "from the last publish until the last delivery";
    run.finish(&mut ledger, Instant::now(), wait, recovery, &mut r)
        .await?;
    r.elapsed = started.elapsed();
    Ok(r)
}
