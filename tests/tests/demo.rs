//! The demo is part of the test suite: every step of the example operation must happen
//! as described, over real QUIC with real certificates and real node daemons.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_operation_plays_as_described() {
    let fed = cordon_testbed::demo::run()
        .await
        .expect("every demo step happens");
    fed.shutdown().await;
}
