//! What the store costs the group committer per message, without the network: commits
//! batches of 1.6 KiB envelopes (the size of a sealed 1 KiB alert) into a fresh store in a
//! temporary directory, fsync'd as in the hub. docs/PERFORMANCE.md, durable publishes.
//!
//! ```sh
//! cargo run --release -p cordon-hub --example commit_bench -- 100 40000   # batch, messages
//! ```

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use cordon_common::ids::{ChannelName, MessageId};
use cordon_common::msg::{MessageKind, Priority};
use cordon_hub::store::{MessageMeta, NewMessage, RedbStore, Store};

fn arg(n: usize, default: usize) -> Result<usize> {
    std::env::args().nth(n).map_or(Ok(default), |a| {
        a.parse().context("arguments: BATCH MESSAGES")
    })
}

fn main() -> Result<()> {
    let batch = arg(1, 100)?.max(1);
    let total = arg(2, 40_000)?;
    let dir = tempfile::tempdir()?;
    let store = RedbStore::open(&dir.path().join("hub.redb"), 0)?;
    let channel: ChannelName = "op/cosmo-2/alerts".parse()?;
    let mut in_commit = Duration::ZERO;
    let mut done = 0;
    while done < total {
        let messages = (0..batch)
            .map(|i| {
                Ok(NewMessage {
                    meta: MessageMeta {
                        id: MessageId::new_v7(),
                        kind: MessageKind::Alert,
                        operation: "cosmo-2".parse()?,
                        sender: format!("RILO-{}", i % 8).parse()?,
                        to: vec![channel.clone()],
                        priority: Priority::Routine,
                        created_at: 1_800_000_000_000,
                        expires_at: 1_900_000_000_000,
                        in_reply_to: None,
                        size: 1650,
                    },
                    envelope: vec![0x42; 1650],
                    deliver_on: vec![channel.clone()],
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let started = Instant::now();
        store.commit_batch(&messages, &[], &[])?;
        in_commit += started.elapsed();
        done += batch;
    }
    println!(
        "batch {batch}: {:.1} µs per message in commit_batch ({done} messages)",
        in_commit.as_secs_f64() * 1e6 / done as f64
    );
    Ok(())
}
