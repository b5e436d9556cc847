//! Prometheus metrics of the hub, served as text on a local address.
//!
//! Names: `cordon_connections` (gauge), `cordon_handshakes_refused_total{reason}`,
//! `cordon_retries_total` (connection attempts answered with a QUIC Retry),
//! `cordon_audit_writable` (1, or 0 once the audit log cannot be written),
//! `cordon_publishes_total{outcome}`, `cordon_deliveries_total`, `cordon_backlog{node}`
//! (unacknowledged messages per node, updated as lanes run), `cordon_commit_seconds`
//! (histogram of durable commit latency), `cordon_commit_batch_size` (histogram),
//! `cordon_check_batch_size` (histogram: publishes checked together, their signatures in
//! one batch equation), `cordon_crls_overdue` (gauge: CRLs in force past their
//! `nextUpdate`).

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A `reason` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// Why.
    pub reason: String,
}

/// An `outcome` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// stored, duplicate, denied, invalid.
    pub outcome: String,
}

/// A `node` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeLabel {
    /// The node id.
    pub node: String,
}

/// Every metric of the hub.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Open connections.
    pub connections: Gauge,
    /// Handshakes refused, by reason.
    pub handshakes_refused: Family<ReasonLabel, Counter>,
    /// Connection attempts answered with a QUIC Retry (address validation).
    pub retries: Counter,
    /// 1 while the audit log can be written, 0 once a write failed (publishes refused).
    pub audit_writable: Gauge,
    /// Publishes by outcome.
    pub publishes: Family<OutcomeLabel, Counter>,
    /// Deliveries sent.
    pub deliveries: Counter,
    /// Unacknowledged backlog per node (kept by a connected node's lanes, recomputed for
    /// the others by [`crate::backlog`]).
    pub backlog: Family<NodeLabel, Gauge>,
    /// Durable commit latency, seconds.
    pub commit_seconds: Histogram,
    /// Messages per durable commit.
    pub commit_batch: Histogram,
    /// Publishes checked together by one check thread.
    pub check_batch: Histogram,
    /// CRLs in force past their `nextUpdate`.
    pub crls_overdue: Gauge,
}

impl Metrics {
    /// A fresh registry with every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("cordon");
        let connections = Gauge::default();
        registry.register("connections", "Open node connections", connections.clone());
        let handshakes_refused = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "handshakes_refused",
            "Handshakes refused, by reason",
            handshakes_refused.clone(),
        );
        let retries = Counter::default();
        registry.register(
            "retries",
            "Connection attempts answered with a QUIC Retry (address validation)",
            retries.clone(),
        );
        let audit_writable = Gauge::default();
        registry.register(
            "audit_writable",
            "1 while the audit log can be written; 0: publishes are refused",
            audit_writable.clone(),
        );
        let publishes = Family::<OutcomeLabel, Counter>::default();
        registry.register("publishes", "Publishes, by outcome", publishes.clone());
        let deliveries = Counter::default();
        registry.register("deliveries", "Deliver frames sent", deliveries.clone());
        let backlog = Family::<NodeLabel, Gauge>::default();
        registry.register(
            "backlog",
            "Messages stored for a node and not yet acknowledged",
            backlog.clone(),
        );
        let commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "commit_seconds",
            "Durable commit latency",
            commit_seconds.clone(),
        );
        let commit_batch = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        registry.register(
            "commit_batch_size",
            "Messages per durable commit",
            commit_batch.clone(),
        );
        let check_batch = Histogram::new(exponential_buckets(1.0, 2.0, 8));
        registry.register(
            "check_batch_size",
            "Publishes checked together (signatures in one batch equation)",
            check_batch.clone(),
        );
        let crls_overdue = Gauge::default();
        registry.register(
            "crls_overdue",
            "CRLs in force past their nextUpdate (install the CA's new CRL)",
            crls_overdue.clone(),
        );
        Self {
            registry,
            connections,
            handshakes_refused,
            retries,
            audit_writable,
            publishes,
            deliveries,
            backlog,
            commit_seconds,
            commit_batch,
            check_batch,
            crls_overdue,
        }
    }

    /// Count a publish outcome.
    pub fn publish(&self, outcome: &str) {
        self.publishes
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Count a refused handshake.
    pub fn handshake_refused(&self, reason: &str) {
        self.handshakes_refused
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Serve `GET /metrics` on `addr` until the task is dropped. Returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move {
                        let resp = if req.uri().path() == "/metrics" {
                            Response::builder()
                                .header("content-type", "text/plain; version=0.0.4")
                                .body(Full::new(Bytes::from(metrics.render())))
                        } else {
                            Response::builder()
                                .status(404)
                                .body(Full::new(Bytes::from_static(b"not found\n")))
                        };
                        resp.map_err(std::io::Error::other)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok((bound, task))
}
