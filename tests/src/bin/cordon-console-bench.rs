//! `cordon-console-bench`: the officers' console under load, for `docs/PERFORMANCE.md`.
//!
//! Live updates to many open consoles: a federation on 127.0.0.1 (real hub, real QUIC,
//! fsync'd stores) where BE-NCP serves the console; N officers' sessions each hold the
//! live-update stream (`/events`) open, as N open browser tabs do; RILO-WE then sends
//! alerts at a fixed rate, and every stream must show every alert. Reported: streams
//! that got all of them, and the time from the sender's `send` to each stream's event
//! (p50, p99, max).
//!
//! `cargo build --release -p cordon-testbed --bin cordon-console-bench`
//! `./target/release/cordon-console-bench --consoles 200 --messages 50`
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use cordon_common::ids::Role;
use cordon_node::service::SendRequest;
use cordon_testbed::console::{self, login, PASSWORD};
use cordon_testbed::federation::EXAMPLE_POLICY;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

/// Console benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Open consoles (live-update streams).
    #[arg(long, default_value_t = 200)]
    consoles: usize,
    /// Alerts sent while they are open.
    #[arg(long, default_value_t = 50)]
    messages: usize,
    /// Alerts per second.
    #[arg(long, default_value_t = 10)]
    rate: u64,
}

type Arrivals = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

/// Hold one live stream open and note when each message id arrives.
async fn stream(
    base: String,
    cookie: String,
    arrivals: Arrivals,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Result<()> {
    let addr = base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await?;
    let req = format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut text = String::new();
    let mut told = false;
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            bail!("stream closed");
        }
        let now = Instant::now();
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if !told && text.contains("retry:") {
            told = true;
            let _ = ready.send(()).await;
        }
        while let Some(at) = text.find("event: message\ndata: ") {
            let rest = &text[at + 21..];
            let Some(end) = rest.find('\n') else { break };
            let json: serde_json::Value = serde_json::from_str(&rest[..end]).unwrap_or_default();
            if let Some(id) = json.get("id").and_then(|v| v.as_str()) {
                arrivals
                    .lock()
                    .await
                    .entry(id.to_owned())
                    .or_default()
                    .push(now);
            }
            text = rest[end..].to_owned();
        }
        if text.len() > 64 * 1024 {
            text.clear();
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    let nodes = [("RILO-WE", Role::Rilo), ("BE-NCP", Role::Member)];
    let fed = console::start(EXAMPLE_POLICY, &nodes, &["BE-NCP"]).await?;
    let base = console::url(&fed, "BE-NCP")?;
    println!(
        "console benchmark: {} open consoles on BE-NCP ({base}), {} alerts at {}/s",
        a.consoles, a.messages, a.rate
    );
    let t = Instant::now();
    let mut cookies = Vec::with_capacity(a.consoles);
    for _ in 0..a.consoles {
        cookies.push(login(&base, "reader", PASSWORD).await?);
    }
    println!(
        "  {} logins (argon2id each) in {:.1} s",
        a.consoles,
        t.elapsed().as_secs_f64()
    );
    let arrivals: Arrivals = Arc::new(Mutex::new(HashMap::new()));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(a.consoles);
    for c in cookies {
        tokio::spawn(stream(base.clone(), c, arrivals.clone(), ready_tx.clone()));
    }
    for _ in 0..a.consoles {
        tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
            .await
            .context("a live stream did not open within 30 s")?;
    }
    println!("  {} live streams open", a.consoles);
    let sender = fed.node("RILO-WE")?.service().clone();
    let mut sent = Vec::with_capacity(a.messages);
    let gap = Duration::from_micros(1_000_000 / a.rate.max(1));
    for i in 0..a.messages {
        let started = Instant::now();
        let req = SendRequest {
            kind: "alert".into(),
            to: vec!["op/cosmo-2/alerts".into()],
            body: serde_json::json!({
                "title": format!("Bench alert {i}"),
                "summary": "Console live-update benchmark",
                "action": "monitor",
                "grading": { "source": "B", "information": 2 },
            }),
            ..SendRequest::default()
        };
        let acc = sender.send(req).await?;
        sent.push((acc.id.to_string(), started));
        tokio::time::sleep(gap.saturating_sub(started.elapsed())).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = arrivals.lock().await;
        let complete = sent
            .iter()
            .all(|(id, _)| got.get(id).is_some_and(|v| v.len() >= a.consoles));
        drop(got);
        if complete || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = arrivals.lock().await;
    let mut lat = Vec::new();
    let mut missing = 0usize;
    for (id, at) in &sent {
        let v = got.get(id).map(Vec::as_slice).unwrap_or_default();
        missing += a.consoles.saturating_sub(v.len());
        lat.extend(v.iter().map(|t| t.duration_since(*at)));
    }
    lat.sort();
    println!(
        "  events: {} of {} delivered to the streams ({missing} missing); send-to-screen p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        a.consoles * a.messages,
        pct(&lat, 0.5).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    drop(got);
    fed.shutdown().await;
    if missing > 0 {
        bail!("{missing} live updates missing");
    }
    Ok(())
}
