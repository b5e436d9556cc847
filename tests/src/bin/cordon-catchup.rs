//! `cordon-catchup`: how long a node that was offline takes to catch up.
//!
//! A hub and a real node daemon (NL-NCP) on 127.0.0.1; NL-NCP connects once (so senders
//! can encrypt to it) and stops. BE-NCP then publishes N alerts sealed to it, and the OCU
//! one flash notice. NL-NCP starts again; the program measures the time until every
//! message is verified, opened and stored in its inbox, and where the flash notice came.
//! Run with `cargo run --release -p cordon-testbed --bin cordon-catchup -- [--messages N]`.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use cordon_common::ids::{ChannelName, Role};
use cordon_common::msg::{Message, MessageKind, Priority};
use cordon_common::wire::PublishOutcome;
use cordon_node::inbox::{InboxFilter, InboxQuery};
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::client::alert_body;
use cordon_testbed::federation::write_node_config;
use cordon_testbed::{policy::COSMO_2, Pki, TestClient, TestHub};

/// Measure a node's offline catch-up.
#[derive(Debug, Parser)]
struct Args {
    /// Messages published while the node is offline.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// The hub's `limits.delivery_window` (unacknowledged deliveries per lane); 0 keeps
    /// the hub's default.
    #[arg(long, default_value_t = 0)]
    delivery_window: usize,
    /// The node's `limits.receive_batch` (deliveries verified and committed together); 0
    /// keeps the node's default.
    #[arg(long, default_value_t = 0)]
    receive_batch: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let pki = Pki::new()?;
    let limits = match args.delivery_window {
        0 => String::new(),
        w => format!("delivery_window = {w}"),
    };
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, &limits).await?;
    let nl = pki.node("NL-NCP", Role::Member)?;
    let cfg = write_node_config(&pki, &nl, hub.addr(), &pki.path().join("nodes/NL-NCP"))?;
    if args.receive_batch > 0 {
        let text = std::fs::read_to_string(&cfg)?;
        let limits = format!("\n[limits]\nreceive_batch = {}\n", args.receive_batch);
        std::fs::write(&cfg, text + &limits)?;
    }
    let node = RunningNode::start(NodeConfig::load(&cfg)?).await?;
    if !node.wait_connected(Duration::from_secs(15)).await {
        bail!("NL-NCP did not connect");
    }
    node.shutdown().await;

    let be = pki.node("BE-NCP", Role::Member)?;
    let mut be = TestClient::connect(&pki, &be, hub.addr(), false).await?;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse()?];
    let recipients = be.recipients(&to).await?;
    println!(
        "sealing {} alerts to {} recipients ...",
        args.messages,
        recipients.len()
    );
    let t = Instant::now();
    // Sealing is not what is measured: it runs on every core to keep the run short.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_worker = args.messages.div_ceil(workers);
    let be_ref = &be;
    let parts = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (to, recipients) = (&to, &recipients);
                scope.spawn(move || -> Result<Vec<Vec<u8>>> {
                    let range = w * per_worker..((w + 1) * per_worker).min(args.messages);
                    range
                        .map(|n| {
                            let h = be_ref.header(
                                MessageKind::Alert,
                                "cosmo-2",
                                to,
                                Priority::Routine,
                            )?;
                            be_ref.seal(&h, &alert_body(n)?, recipients)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a sealing thread panicked"))?
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let envelopes: Vec<Vec<u8>> = parts.into_iter().flatten().collect();
    println!(
        "sealed in {:.1} s; publishing ...",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let p = be.publisher().await?;
    let window = 256;
    let mut acked = 0;
    for (i, env) in envelopes.into_iter().enumerate() {
        p.send(env).await?;
        if i + 1 - acked >= window {
            if p.ack().await?.outcome != PublishOutcome::Stored {
                bail!("a publish was not stored");
            }
            acked += 1;
        }
    }
    while acked < args.messages {
        if p.ack().await?.outcome != PublishOutcome::Stored {
            bail!("a publish was not stored");
        }
        acked += 1;
    }
    let publish_s = t.elapsed().as_secs_f64();
    println!(
        "published and durably stored in {publish_s:.1} s ({:.0} msg/s)",
        args.messages as f64 / publish_s
    );
    let ocu = pki.node("OCU", Role::Ocu)?;
    let mut ocu = TestClient::connect(&pki, &ocu, hub.addr(), false).await?;
    let notice = serde_json::from_value(serde_json::json!({
        "title": "Phase change", "text": "Interdiction phase starts now.", "phase": "interdiction"
    }))?;
    let notices: Vec<ChannelName> = vec!["op/cosmo-2/notices".parse()?];
    let h = ocu.header(MessageKind::Notice, "cosmo-2", &notices, Priority::Flash)?;
    let r = ocu.recipients(&notices).await?;
    let env = ocu.seal(&h, &Message::Notice(notice).encode()?, &r)?;
    if ocu.publish(env).await?.outcome != PublishOutcome::Stored {
        bail!("the notice was not stored");
    }

    println!("NL-NCP comes back online ...");
    let t = Instant::now();
    let node = RunningNode::start(NodeConfig::load(&cfg)?).await?;
    let service = node.service().clone();
    let total = args.messages as u64 + 1;
    let mut notice_after = None;
    loop {
        let st = service.status().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if notice_after.is_none() {
            let q = InboxQuery {
                filter: InboxFilter {
                    kind: Some(MessageKind::Notice),
                    ..Default::default()
                },
                limit: 1,
                ..Default::default()
            };
            let page = service
                .inbox(q, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(item) = page.items.first() {
                notice_after = Some((item.seq, t.elapsed()));
            }
        }
        if st.inbox_count >= total {
            break;
        }
        if t.elapsed() > Duration::from_secs(600) {
            bail!("only {} of {total} after 600 s", st.inbox_count);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = t.elapsed();
    let (seq, at) = notice_after.context("the flash notice never arrived")?;
    println!(
        "caught up: {total} messages verified, opened and stored in {:.2} s ({:.0} msg/s)",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64()
    );
    println!(
        "flash notice: stored as inbox entry {seq} of {total}, {:.0} ms after the node started",
        at.as_secs_f64() * 1000.0
    );
    drop(service);
    node.shutdown().await;
    hub.hub.shutdown().await;
    Ok(())
}
