//! The short versions of the reliability scenarios (`docs/RELIABILITY.md`): each starts
//! a federation on 127.0.0.1, injects its fault while real node daemons publish and read,
//! and asserts the pass condition: nothing acknowledged `stored` is lost, no id is shown
//! twice in an inbox, nothing is left in an outbox. The long versions: `cordon-faults
//! --scale full`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_testbed::faults::scenarios;
use cordon_testbed::faults::{markdown, Scale};

/// Run `name` short and assert that it passed, printing its table row either way.
async fn short(name: &str) {
    cordon_testbed::init_test_logging();
    let report = scenarios::run(name, Scale::Short).await.unwrap();
    eprintln!("{}", markdown(std::slice::from_ref(&report)));
    if let Some(why) = &report.skipped {
        eprintln!("SKIPPED {name}: {why}");
        return;
    }
    assert!(report.stored > 0, "nothing was stored: {report:?}");
    assert!(report.passed(), "{name} failed: {report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossy_reordering_duplicating_links_lose_and_duplicate_nothing() {
    short("lossy-links").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_of_half_the_nodes_during_a_burst_heals_with_nothing_lost() {
    short("partition").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_sigkilled_under_load_loses_and_duplicates_nothing() {
    short("hub-kills").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_sigkilled_during_send_and_receive_lose_and_duplicate_nothing() {
    short("node-kills").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_disk_filling_up_and_freed_loses_nothing_stored() {
    short("disk-full").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_clock_ten_minutes_off_loses_nothing_stored() {
    short("clock-skew").await;
}

/// What the disk-full scenario finds today (docs/RELIABILITY.md, "Findings"): nothing
/// stored is lost, but the hub does not recover by itself. Once redb has met ENOSPC it
/// answers every later commit "Previous I/O error occurred. Please close and re-open the
/// database" until the process is restarted, so publishes after the disk is freed are
/// refused. (Publishes refused meanwhile are `unavailable` and sent again by the node:
/// that part is fixed.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "hub defect found by the fault suite: after its disk fills, the hub refuses every publish until restarted (redb keeps its I/O error); see docs/RELIABILITY.md"]
async fn the_hub_stores_again_once_its_disk_is_freed_and_nothing_sent_meanwhile_fails() {
    let report = scenarios::run("disk-full", Scale::Short).await.unwrap();
    if let Some(why) = &report.skipped {
        eprintln!("SKIPPED: {why}");
        return;
    }
    eprintln!("{}", markdown(std::slice::from_ref(&report)));
    assert!(report.passed(), "{report:#?}");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}
