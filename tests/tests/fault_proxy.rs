//! The fault proxy alone: its decisions at the configured rates (no sockets), then real
//! UDP through it on 127.0.0.1 to an echoing "hub": loss, reordering, duplication, and a
//! partition that black-holes both ways and heals, changed while the proxy runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_testbed::faults::proxy::{decide, Fate};
use cordon_testbed::faults::{FaultProxy, Faults, LinkFaults, ProxyStats, SeededRng};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const N: u32 = 2000;

/// The fates of `n` datagrams under `f`.
fn fates(f: &Faults, n: usize, seed: u64) -> Vec<Fate> {
    let mut rng = SeededRng::new(seed);
    (0..n).map(|_| decide(f, &mut rng)).collect()
}

#[test]
fn decisions_follow_the_configured_rates_and_the_seed() {
    let f = Faults::lossy(0.1, 0.2, 0.01);
    let all = fates(&f, 100_000, 1);
    let dropped = all.iter().filter(|x| **x == Fate::Dropped).count();
    let reordered = all
        .iter()
        .filter(|x| {
            matches!(
                x,
                Fate::Send {
                    reordered: true,
                    ..
                }
            )
        })
        .count();
    let copies = all
        .iter()
        .filter(|x| matches!(x, Fate::Send { copy: Some(_), .. }))
        .count();
    assert!((9_000..11_000).contains(&dropped), "dropped {dropped}");
    // Of the 90 % sent.
    assert!(
        (16_000..20_000).contains(&reordered),
        "reordered {reordered}"
    );
    assert!((700..1_100).contains(&copies), "duplicated {copies}");
    assert_eq!(all, fates(&f, 100_000, 1), "the same seed, the same fates");
    assert_ne!(all, fates(&f, 100_000, 2));
    let hole = Faults {
        blackhole: true,
        ..Faults::NONE
    };
    assert!(fates(&hole, 1000, 3).iter().all(|x| *x == Fate::Blackholed));
    assert!(fates(&Faults::NONE, 1000, 4).iter().all(|x| matches!(
        x,
        Fate::Send {
            delay: Duration::ZERO,
            copy: None,
            reordered: false
        }
    )));
}

/// A "hub" that records each datagram's number and echoes it back.
async fn echo_hub() -> (SocketAddr, mpsc::UnboundedReceiver<u32>) {
    let s = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = s.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buf = [0u8; 64];
        while let Ok((n, from)) = s.recv_from(&mut buf).await {
            if n == 4 {
                let _ = tx.send(u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
            }
            let _ = s.send_to(&buf[..n], from).await;
        }
    });
    (addr, rx)
}

/// Send datagrams numbered `range` from `client` through the proxy, 100 µs apart.
async fn send_numbered(client: &UdpSocket, proxy: SocketAddr, range: std::ops::Range<u32>) {
    for i in range {
        client.send_to(&i.to_be_bytes(), proxy).await.unwrap();
        tokio::time::sleep(Duration::from_micros(100)).await;
    }
}

/// Wait until `done(stats)` holds (at most 10 s), then take what the hub got.
async fn settle(
    proxy: &FaultProxy,
    hub: &mut mpsc::UnboundedReceiver<u32>,
    done: impl Fn(&ProxyStats) -> bool,
) -> Vec<u32> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&proxy.stats()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "proxy did not settle: {:?}",
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut got = Vec::new();
    // Everything forwarded has been sent; loopback delivers it at once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let want = proxy.stats().to_hub.forwarded as usize;
    while got.len() < want && tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(100), hub.recv()).await {
            Ok(Some(i)) => got.push(i),
            _ => continue,
        }
    }
    got
}

/// Everything the proxy took in towards the hub has been decided and sent.
fn drained(s: &ProxyStats, n: u64) -> bool {
    let h = s.to_hub;
    h.received == n && h.forwarded + h.dropped + h.blackholed + h.overflow == n + h.duplicated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_drops_about_its_share_and_nothing_else() {
    let (hub, mut got) = echo_hub().await;
    let proxy = FaultProxy::start(hub, LinkFaults::both(Faults::lossy(0.1, 0.0, 0.0)), 11)
        .await
        .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    send_numbered(&client, proxy.addr(), 0..N).await;
    let arrived = settle(&proxy, &mut got, |s| drained(s, N.into())).await;
    let s = proxy.stats().to_hub;
    assert!((140..260).contains(&s.dropped), "{s}");
    assert_eq!(arrived.len() as u64, u64::from(N) - s.dropped, "{s}");
    assert!(
        arrived.windows(2).all(|w| w[0] < w[1]),
        "no reordering asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordering_lets_later_datagrams_overtake_and_loses_none() {
    let (hub, mut got) = echo_hub().await;
    let f = Faults {
        reorder: 0.2,
        reorder_by: Duration::from_millis(5),
        ..Faults::NONE
    };
    let proxy = FaultProxy::start(hub, LinkFaults::both(f), 12)
        .await
        .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    send_numbered(&client, proxy.addr(), 0..N).await;
    let arrived = settle(&proxy, &mut got, |s| drained(s, N.into())).await;
    assert_eq!(arrived.len(), N as usize, "all arrive");
    let overtaken = arrived.windows(2).filter(|w| w[0] > w[1]).count();
    let s = proxy.stats().to_hub;
    assert!(s.reordered > 300, "{s}");
    assert!(overtaken > 100, "only {overtaken} out of order ({s})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplication_sends_some_datagrams_twice() {
    let (hub, mut got) = echo_hub().await;
    let proxy = FaultProxy::start(hub, LinkFaults::both(Faults::lossy(0.0, 0.0, 0.05)), 13)
        .await
        .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    send_numbered(&client, proxy.addr(), 0..N).await;
    let arrived = settle(&proxy, &mut got, |s| drained(s, N.into())).await;
    let unique: HashSet<u32> = arrived.iter().copied().collect();
    let s = proxy.stats().to_hub;
    assert_eq!(unique.len(), N as usize);
    assert!((50..160).contains(&s.duplicated), "{s}");
    assert_eq!(arrived.len() - unique.len(), s.duplicated as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_black_holes_both_ways_and_heals_while_running() {
    let (hub, mut got) = echo_hub().await;
    let proxy = FaultProxy::start(hub, LinkFaults::default(), 14)
        .await
        .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut buf = [0u8; 16];

    // Clean: the datagram reaches the hub and the echo comes back.
    client
        .send_to(&1u32.to_be_bytes(), proxy.addr())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), client.recv(&mut buf))
        .await
        .expect("echo through a clean proxy")
        .unwrap();

    // Towards the node only: the hub gets the datagram, the echo is black-holed.
    proxy.partition(Some(cordon_testbed::faults::Direction::ToNode));
    client
        .send_to(&2u32.to_be_bytes(), proxy.addr())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while proxy.stats().to_node.blackholed < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Both ways: nothing reaches the hub.
    proxy.partition(None);
    send_numbered(&client, proxy.addr(), 100..200).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while proxy.stats().to_hub.blackholed < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut before_heal = Vec::new();
    while let Ok(i) = got.try_recv() {
        before_heal.push(i);
    }
    assert_eq!(
        before_heal,
        vec![1, 2],
        "only what passed before the partition"
    );

    // Healed: traffic flows both ways again.
    proxy.heal();
    assert_eq!(proxy.faults(), LinkFaults::default());
    client
        .send_to(&3u32.to_be_bytes(), proxy.addr())
        .await
        .unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = client.recv(&mut buf).await.unwrap();
            if buf[..n] == 3u32.to_be_bytes() {
                return;
            }
        }
    })
    .await;
    assert!(echo.is_ok(), "no echo after healing: {:?}", proxy.stats());
    assert_eq!(got.recv().await, Some(3));
    let s = proxy.stats();
    assert_eq!(s.to_hub.blackholed, 100, "{}", s.to_hub);
    assert_eq!(s.to_node.blackholed, 1, "{}", s.to_node);
}
