//! The node's side of a hub connection: QUIC with mutual TLS, `Hello`/`Welcome`, and the
//! requests of the control stream; publish streams; delivery lanes.

use std::net::SocketAddr;
use std::sync::Arc;

use cordon_common::pki::TrustStore;
use cordon_common::quic::{
    crypto_provider, read_frame, transport_config, write_frame, StreamError, TransportLimits, ALPN,
};
use cordon_common::wire::{
    Deliver, DeliverAck, DirectoryRequest, DirectoryResponse, ErrorCode, Frame, Hello,
    KeyBundleAck, KeyBundlePublish, Ping, Publish, PublishAck, Subscribe, Subscribed, Welcome,
    DEFAULT_MAX_FRAME,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::hub_verifier::HubCertVerifier;
use crate::refusal::{self, Refusal};
use cordon_common::ids::ChannelName;

/// The connection could not be made or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// TLS or QUIC configuration.
    #[error("client configuration: {0}")]
    Config(String),
    /// The connection could not be established (network, hub certificate, refusal).
    #[error("cannot connect to the hub: {0}")]
    Connect(String),
    /// The hub closed the connection or a stream.
    #[error("hub connection lost: {0}")]
    Lost(String),
    /// The hub sent something unexpected.
    #[error("protocol error from the hub: {0}")]
    Protocol(String),
    /// The hub refused this node's certificate, or this node refused the hub's: the
    /// message says which, why, and what to do.
    #[error("{0}")]
    Refused(Refusal),
    /// The hub sent an Error frame.
    #[error("hub error {code}: {message}")]
    Hub {
        /// The code.
        code: u16,
        /// The hub's words.
        message: String,
    },
}

impl ClientError {
    /// The certificate refusal this error stands for, if it is one.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Self::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// A refusal if `e` is one, else [`ClientError::Connect`].
    fn connect(e: quinn::ConnectionError) -> Self {
        refusal::of_connection_error(&e).map_or_else(|| Self::Connect(e.to_string()), Self::Refused)
    }

    /// After the handshake: a refusal if the hub said so (an `Error` frame or the code it
    /// closed `conn` with), else `self`.
    fn or_refusal(self, conn: &quinn::Connection) -> Self {
        let from_frame = match &self {
            Self::Hub { code, message } => refusal::of_error_frame(*code, message),
            _ => None,
        };
        from_frame
            .or_else(|| {
                conn.close_reason()
                    .as_ref()
                    .and_then(refusal::of_connection_error)
            })
            .map_or(self, Self::Refused)
    }
}

impl From<StreamError> for ClientError {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Closed(s) => ClientError::Lost(s),
            other => ClientError::Protocol(other.to_string()),
        }
    }
}

/// How to reach and authenticate to the hub.
#[derive(Debug, Clone)]
pub struct HubTarget {
    /// The hub's UDP address.
    pub addr: SocketAddr,
    /// The name in the hub's certificate (DNS name or IP as text).
    pub server_name: String,
}

/// A QUIC endpoint with this node's TLS identity.
#[derive(Debug, Clone)]
pub struct Connector {
    endpoint: quinn::Endpoint,
    config: quinn::ClientConfig,
    verifier: Arc<HubCertVerifier>,
    agent: String,
}

impl Connector {
    /// Build from the federation roots (no CRLs), this node's certificate chain and key.
    pub fn new(
        roots: &[CertificateDer<'static>],
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        limits: &TransportLimits,
    ) -> Result<Self, ClientError> {
        let trust = TrustStore::new(roots.to_vec(), vec![])
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Self::with_verifier(Arc::new(HubCertVerifier::new(&trust)?), chain, key, limits)
    }

    /// Build with a hub certificate verifier (roots and CRLs, reloadable), this node's
    /// certificate chain and key.
    pub fn with_verifier(
        verifier: Arc<HubCertVerifier>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        limits: &TransportLimits,
    ) -> Result<Self, ClientError> {
        let cfg = |e: String| ClientError::Config(e);
        let mut tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| cfg(e.to_string()))?
            // rustls's door for any verifier of one's own; this one is webpki's, with
            // the node's CRLs (`hub_verifier`), and relaxes nothing.
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_client_auth_cert(chain, key)
            .map_err(|e| cfg(e.to_string()))?;
        tls.alpn_protocols = vec![ALPN.to_vec()];
        tls.enable_early_data = false;
        let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
            .map_err(|e| cfg(e.to_string()))?;
        let mut config = quinn::ClientConfig::new(Arc::new(quic));
        config.transport_config(Arc::new(transport_config(limits)));
        let bind: SocketAddr = ([0, 0, 0, 0], 0).into();
        let endpoint = quinn::Endpoint::client(bind).map_err(|e| cfg(e.to_string()))?;
        Ok(Self {
            endpoint,
            config,
            verifier,
            agent: format!("cordon-node/{}", env!("CARGO_PKG_VERSION")),
        })
    }

    /// The hub certificate verifier (its CRLs are reloadable).
    pub fn verifier(&self) -> &Arc<HubCertVerifier> {
        &self.verifier
    }

    /// Connect and exchange `Hello`/`Welcome`. A refused certificate (either side's) is
    /// [`ClientError::Refused`], with the reason.
    pub async fn connect(&self, target: &HubTarget) -> Result<HubSession, ClientError> {
        let conn = self.connect_quic(target).await?;
        self.hello(conn).await
    }

    async fn hello(&self, conn: quinn::Connection) -> Result<HubSession, ClientError> {
        let (ctl_send, ctl_recv, welcome) = match self.hello_inner(&conn).await {
            Ok(v) => v,
            Err(e) => return Err(e.or_refusal(&conn)),
        };
        let max_frame = (welcome.max_frame as usize).min(DEFAULT_MAX_FRAME);
        Ok(HubSession {
            conn,
            ctl_send,
            ctl_recv,
            welcome,
            max_frame,
        })
    }

    async fn hello_inner(
        &self,
        conn: &quinn::Connection,
    ) -> Result<(quinn::SendStream, quinn::RecvStream, Welcome), ClientError> {
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| ClientError::Lost(e.to_string()))?;
        let hello = Frame::Hello(Hello {
            agent: self.agent.clone(),
            max_frame: DEFAULT_MAX_FRAME as u32,
        });
        write_frame(&mut send, &hello, DEFAULT_MAX_FRAME).await?;
        let welcome = match read_frame(&mut recv, DEFAULT_MAX_FRAME).await? {
            Some(Frame::Welcome(w)) => w,
            Some(Frame::Error(e)) => {
                return Err(ClientError::Hub {
                    code: e.code,
                    message: e.message,
                })
            }
            Some(other) => {
                return Err(ClientError::Protocol(format!(
                    "expected Welcome, got {}",
                    other.name()
                )))
            }
            None => return Err(ClientError::Lost(close_reason(conn))),
        };
        Ok((send, recv, welcome))
    }

    /// The QUIC connection alone (TLS done, no `Hello` yet): for diagnostics and for
    /// tests of what the hub does with a peer that misbehaves after the handshake.
    pub async fn connect_quic(&self, target: &HubTarget) -> Result<quinn::Connection, ClientError> {
        self.endpoint
            .connect_with(self.config.clone(), target.addr, &target.server_name)
            .map_err(|e| ClientError::Connect(e.to_string()))?
            .await
            .map_err(ClientError::connect)
    }
}

fn close_reason(conn: &quinn::Connection) -> String {
    conn.close_reason()
        .map_or_else(|| "stream finished".to_owned(), |r| r.to_string())
}

/// Accepts the hub's delivery lanes as they appear: a lane stream becomes visible only
/// when the hub first delivers on it (PROTOCOL.md §4).
#[derive(Debug, Clone)]
pub struct LaneAcceptor {
    conn: quinn::Connection,
    max_frame: usize,
}

impl LaneAcceptor {
    /// Wait for the next lane. Cancel-safe: a lane not yet taken stays queued.
    pub async fn accept(&self) -> Result<DeliveryLane, ClientError> {
        let (send, recv) = self
            .conn
            .accept_bi()
            .await
            .map_err(|e| ClientError::Lost(e.to_string()))?;
        Ok(DeliveryLane {
            send,
            recv,
            max_frame: self.max_frame,
        })
    }
}

/// An established session with the hub.
#[derive(Debug)]
pub struct HubSession {
    conn: quinn::Connection,
    ctl_send: quinn::SendStream,
    ctl_recv: quinn::RecvStream,
    welcome: Welcome,
    max_frame: usize,
}

impl HubSession {
    /// What the hub said in `Welcome`.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// The QUIC connection.
    pub fn connection(&self) -> &quinn::Connection {
        &self.conn
    }

    /// The hub's maximum frame.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    async fn request(&mut self, f: Frame) -> Result<Frame, ClientError> {
        write_frame(&mut self.ctl_send, &f, self.max_frame).await?;
        match read_frame(&mut self.ctl_recv, self.max_frame).await? {
            Some(Frame::Error(e)) => Err(ClientError::Hub {
                code: e.code,
                message: e.message,
            }),
            Some(f) => Ok(f),
            None => Err(ClientError::Lost(close_reason(&self.conn))),
        }
    }

    /// Publish this node's key bundle.
    pub async fn publish_bundle(&mut self, bundle: Vec<u8>) -> Result<KeyBundleAck, ClientError> {
        match self
            .request(Frame::KeyBundlePublish(KeyBundlePublish { bundle }))
            .await?
        {
            Frame::KeyBundleAck(a) => Ok(a),
            other => Err(ClientError::Protocol(format!(
                "expected KeyBundleAck, got {}",
                other.name()
            ))),
        }
    }

    /// Ask the directory.
    pub async fn directory(
        &mut self,
        req: DirectoryRequest,
    ) -> Result<DirectoryResponse, ClientError> {
        match self.request(Frame::DirectoryRequest(req)).await? {
            Frame::DirectoryResponse(r) => Ok(r),
            other => Err(ClientError::Protocol(format!(
                "expected DirectoryResponse, got {}",
                other.name()
            ))),
        }
    }

    /// Subscribe (empty: everything this node may read).
    pub async fn subscribe(
        &mut self,
        channels: Vec<cordon_common::ids::ChannelName>,
    ) -> Result<Subscribed, ClientError> {
        match self
            .request(Frame::Subscribe(Subscribe { channels }))
            .await?
        {
            Frame::Subscribed(s) => Ok(s),
            other => Err(ClientError::Protocol(format!(
                "expected Subscribed, got {}",
                other.name()
            ))),
        }
    }

    /// Round trip to the hub.
    pub async fn ping(&mut self, nonce: u64) -> Result<(), ClientError> {
        match self.request(Frame::Ping(Ping { nonce })).await? {
            Frame::Pong(p) if p.nonce == nonce => Ok(()),
            other => Err(ClientError::Protocol(format!(
                "expected Pong, got {}",
                other.name()
            ))),
        }
    }

    /// Open a publish stream.
    pub async fn publisher(&self) -> Result<Publisher, ClientError> {
        let (send, recv) = self
            .conn
            .open_bi()
            .await
            .map_err(|e| ClientError::Lost(e.to_string()))?;
        Ok(Publisher {
            send,
            recv,
            max_frame: self.max_frame,
        })
    }

    /// A handle that accepts delivery lanes while the session is used for other requests.
    pub fn lane_acceptor(&self) -> LaneAcceptor {
        LaneAcceptor {
            conn: self.conn.clone(),
            max_frame: self.max_frame,
        }
    }

    /// Close the connection.
    pub fn close(&self) {
        self.conn.close(ErrorCode::NoError.as_u16().into(), b"bye");
    }
}

/// A publish stream. Publishes may be pipelined; acks come back in order.
#[derive(Debug)]
pub struct Publisher {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
    max_frame: usize,
}

impl Publisher {
    /// Send one envelope without waiting for its ack.
    pub async fn send(&mut self, envelope: Vec<u8>) -> Result<(), ClientError> {
        Ok(write_frame(
            &mut self.send,
            &Frame::Publish(Publish { envelope }),
            self.max_frame,
        )
        .await?)
    }

    /// The next ack, in the order of `send`.
    pub async fn ack(&mut self) -> Result<PublishAck, ClientError> {
        match read_frame(&mut self.recv, self.max_frame).await? {
            Some(Frame::PublishAck(a)) => Ok(a),
            Some(Frame::Error(e)) => Err(ClientError::Hub {
                code: e.code,
                message: e.message,
            }),
            Some(other) => Err(ClientError::Protocol(format!(
                "expected PublishAck, got {}",
                other.name()
            ))),
            None => Err(ClientError::Lost("publish stream finished".into())),
        }
    }

    /// Send one envelope and wait for its ack.
    pub async fn publish(&mut self, envelope: Vec<u8>) -> Result<PublishAck, ClientError> {
        self.send(envelope).await?;
        self.ack().await
    }

    /// The raw send stream (tests use it to send garbage).
    pub fn raw_send(&mut self) -> &mut quinn::SendStream {
        &mut self.send
    }
}

/// A delivery lane opened by the hub.
#[derive(Debug)]
pub struct DeliveryLane {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
    max_frame: usize,
}

impl DeliveryLane {
    /// The next delivery; `Ok(None)` when the hub finished the lane.
    pub async fn next(&mut self) -> Result<Option<Deliver>, ClientError> {
        match read_frame(&mut self.recv, self.max_frame).await? {
            Some(Frame::Deliver(d)) => Ok(Some(d)),
            Some(Frame::Error(e)) => Err(ClientError::Hub {
                code: e.code,
                message: e.message,
            }),
            Some(other) => Err(ClientError::Protocol(format!(
                "expected Deliver, got {}",
                other.name()
            ))),
            None => Ok(None),
        }
    }

    /// Acknowledge a delivery once it is durable here.
    pub async fn ack(&mut self, d: &Deliver) -> Result<(), ClientError> {
        let f = Frame::DeliverAck(DeliverAck {
            channel: d.channel.clone(),
            seq: d.seq,
        });
        Ok(write_frame(&mut self.send, &f, self.max_frame).await?)
    }
}

impl DeliveryLane {
    /// Split into the half that reads deliveries and the half that acknowledges them, so
    /// that reading ahead and committing a batch can overlap.
    pub fn split(self) -> (LaneReader, LaneAcker) {
        (
            LaneReader {
                recv: self.recv,
                max_frame: self.max_frame,
            },
            LaneAcker {
                send: self.send,
                max_frame: self.max_frame,
            },
        )
    }
}

/// The reading half of a delivery lane.
#[derive(Debug)]
pub struct LaneReader {
    recv: quinn::RecvStream,
    max_frame: usize,
}

impl LaneReader {
    /// The next delivery; `Ok(None)` when the hub finished the lane.
    pub async fn next(&mut self) -> Result<Option<Deliver>, ClientError> {
        match read_frame(&mut self.recv, self.max_frame).await? {
            Some(Frame::Deliver(d)) => Ok(Some(d)),
            Some(Frame::Error(e)) => Err(ClientError::Hub {
                code: e.code,
                message: e.message,
            }),
            Some(other) => Err(ClientError::Protocol(format!(
                "expected Deliver, got {}",
                other.name()
            ))),
            None => Ok(None),
        }
    }
}

/// The acknowledging half of a delivery lane.
#[derive(Debug)]
pub struct LaneAcker {
    send: quinn::SendStream,
    max_frame: usize,
}

impl LaneAcker {
    /// Acknowledge a delivery (channel and seq) once it is durable here.
    pub async fn ack(&mut self, channel: &ChannelName, seq: u64) -> Result<(), ClientError> {
        let f = Frame::DeliverAck(DeliverAck {
            channel: channel.clone(),
            seq,
        });
        Ok(write_frame(&mut self.send, &f, self.max_frame).await?)
    }
}
