//! One connection: handshake, `Hello`/`Welcome`, the control stream, publish streams and
//! delivery lanes. A span per connection carries the remote address, then the node id and
//! certificate fingerprint once authenticated.

use std::sync::Arc;
use std::time::Duration;

use cordon_common::envelope::KeyBundle;
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::ChannelName;
use cordon_common::ids::MessageId;
use cordon_common::quic::{read_frame, write_frame, StreamError};
use cordon_common::wire::{
    DirectoryRequest, DirectoryResponse, ErrorCode, ErrorFrame, Frame, KeyBundleAck, Pong,
    Subscribed, Welcome,
};
use cordon_common::wire::{PublishAck, PublishOutcome};
use rustls::pki_types::CertificateDer;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::task::JoinHandle;
use tracing::{field, info, info_span, warn, Instrument};

use crate::audit::AuditEvent;
use crate::delivery::run_lanes;
use crate::directory::BundleUpdate;
use crate::handshake_audit::Refusal;
use crate::handshake_gate::HandshakeTicket;
use crate::listener::Admission;
use crate::publish::{check, enqueue, finish, Checked, Pending};
use crate::sessions::{LaneWakers, SessionHandle};
use crate::state::{now_ms, HubState, Peer};
use crate::tls::RefusedCert;

/// Longest the hub waits for a node to receive an `Error` frame before it closes the
/// connection (a node that does not acknowledge it delays only its own close).
const ERROR_FLUSH: Duration = Duration::from_secs(1);

/// Why a session ended.
#[derive(Debug)]
enum End {
    /// The peer went away or closed.
    Closed(String),
    /// The peer broke the protocol: close with this code.
    Peer(ErrorCode, String),
}

impl From<StreamError> for End {
    fn from(e: StreamError) -> Self {
        match e.peer_code() {
            Some(code) => End::Peer(code, e.to_string()),
            None => End::Closed(e.to_string()),
        }
    }
}

/// A short, stable reason for a refused handshake, for metrics and audit, read from
/// rustls's description of the failure (the verifier runs inside the TLS stack, so the
/// connection error is all the session sees).
fn refusal_reason(e: &quinn::ConnectionError) -> &'static str {
    let s = e.to_string().to_ascii_lowercase();
    let has = |n: &str| s.contains(n);
    if has("revoked") {
        "revoked"
    } else if has("expired") {
        "expired"
    } else if has("not valid yet") || has("notvalidyet") {
        "not-yet-valid"
    } else if has("unknown issuer")
        || has("unknownissuer")
        || has("bad signature")
        || has("badsignature")
    {
        "unknown-ca"
    } else if has("no certificates") || has("certificate required") || has("certificaterequired") {
        "no-certificate"
    } else if has("purpose") || has("extended key usage") || has("invalidpurpose") {
        "wrong-usage"
    } else if has("node profile") || has("profileerror") {
        "bad-profile"
    } else if has("timed out") {
        "timeout"
    } else {
        "other"
    }
}

/// The handshake of one connection, within the handshake timeout, holding `ticket`
/// until it ends; then a slot of `max_connections`. Refusals are counted and audited
/// (aggregated) with their reason code and, for a refused certificate, its fingerprint,
/// subject and serial.
async fn handshake(
    state: &HubState,
    incoming: quinn::Incoming,
    admission: &Admission,
    ticket: HandshakeTicket,
) -> Option<(quinn::Connection, OwnedSemaphorePermit)> {
    let addr = incoming.remote_address();
    let refusal = |code: &'static str, cert: Option<RefusedCert>| Refusal { addr, code, cert };
    let (config, verifier) = match admission.tls.for_connection() {
        Ok(v) => v,
        Err(e) => {
            warn!(error = %e, "cannot make the connection's TLS configuration");
            incoming.refuse();
            return None;
        }
    };
    let connecting = match incoming.accept_with(config) {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "cannot accept connection");
            return None;
        }
    };
    let done = tokio::time::timeout(state.config.limits.handshake_timeout(), connecting).await;
    drop(ticket);
    let conn = match done {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            let cert = verifier.take_refused();
            let code = cert.as_ref().map_or_else(|| refusal_reason(&e), |c| c.code);
            info!(reason = %code, error = %e, "handshake refused");
            admission.refused(state, refusal(code, cert)).await;
            return None;
        }
        Err(_) => {
            info!("handshake timed out");
            admission.refused(state, refusal("timeout", None)).await;
            return None;
        }
    };
    match admission.connections.clone().try_acquire_owned() {
        Ok(permit) => Some((conn, permit)),
        Err(_) => {
            info!("connection refused: limit reached");
            conn.close(
                ErrorCode::Overloaded.as_u16().into(),
                b"the hub is at its connection limit; try again later",
            );
            admission.refused(state, refusal("overloaded", None)).await;
            None
        }
    }
}

/// Handle one incoming connection until it ends.
pub async fn run_connection(
    state: Arc<HubState>,
    incoming: quinn::Incoming,
    admission: Arc<Admission>,
    ticket: HandshakeTicket,
) {
    let remote = incoming.remote_address();
    let span = info_span!("conn", %remote, node = field::Empty, fp = field::Empty);
    async move {
        let Some((conn, _permit)) = handshake(&state, incoming, &admission, ticket).await else {
            return;
        };
        let Some(cert) = conn
            .peer_identity()
            .and_then(|any| any.downcast::<Vec<CertificateDer<'static>>>().ok())
            .and_then(|chain| chain.first().cloned())
        else {
            conn.close(
                ErrorCode::Unauthorized.as_u16().into(),
                b"no client certificate",
            );
            return;
        };
        // The verifier already checked chain, revocation and profile; read the identity.
        let identity = match NodeIdentity::from_der(&cert) {
            Ok(id) => id,
            Err(e) => {
                conn.close(
                    ErrorCode::Unauthorized.as_u16().into(),
                    e.to_string().as_bytes(),
                );
                return;
            }
        };
        tracing::Span::current().record("node", field::display(&identity.node_id));
        tracing::Span::current().record("fp", field::display(&identity.fingerprint));
        info!("connected");
        state.metrics.connections.inc();
        state
            .audit
            .record(AuditEvent::Connected {
                node: identity.node_id.to_string(),
                addr: remote.to_string(),
                fingerprint: identity.fingerprint.to_hex(),
            })
            .await;
        let node = identity.node_id.to_string();
        let end = serve(state.clone(), conn.clone(), identity, cert.to_vec()).await;
        let reason = match &end {
            End::Closed(why) => why.clone(),
            End::Peer(code, why) => {
                warn!(%code, %why, "closing connection: protocol error");
                let _ = code;
                conn.close(code.as_u16().into(), why.as_bytes());
                format!("{code}: {why}")
            }
        };
        state.metrics.connections.dec();
        info!(%reason, "disconnected");
        state
            .audit
            .record(AuditEvent::Disconnected { node, reason })
            .await;
    }
    .instrument(span)
    .await;
}

async fn serve(
    state: Arc<HubState>,
    conn: quinn::Connection,
    identity: NodeIdentity,
    cert: Vec<u8>,
) -> End {
    let limits = &state.config.limits;
    let max_frame = limits.max_frame;
    // The first stream is the control stream; it must open and carry Hello in time.
    let first = tokio::time::timeout(limits.first_frame_timeout(), async {
        let (send, mut recv) = conn
            .accept_bi()
            .await
            .map_err(|e| End::Closed(e.to_string()))?;
        let hello = read_frame(&mut recv, max_frame).await?;
        Ok::<_, End>((send, recv, hello))
    })
    .await;
    let (mut ctl_send, mut ctl_recv) = match first {
        Err(_) => {
            return End::Peer(
                ErrorCode::Timeout,
                "no Hello within the first-frame timeout".into(),
            )
        }
        Ok(Err(e)) => return e,
        Ok(Ok((s, r, Some(Frame::Hello(hello))))) => {
            info!(agent = %hello.agent.chars().take(64).collect::<String>(), "hello");
            (s, r)
        }
        Ok(Ok((_, _, Some(other)))) => {
            return End::Peer(
                ErrorCode::Protocol,
                format!("expected Hello, got {}", other.name()),
            )
        }
        Ok(Ok((_, _, None))) => return End::Closed("control stream finished before Hello".into()),
    };

    // The handshake may have been made before a CRL reload (or resumed): check again.
    if let Err((code, why)) = crate::recheck::admit(&state, &conn, &mut ctl_send, &cert).await {
        return End::Peer(code, why);
    }
    let subject = crate::policy::Subject::from(&identity);
    let (grants, direct) = state.policy().grants_for(&subject, now_ms());
    let welcome = Welcome {
        node_id: identity.node_id.clone(),
        role: identity.role,
        organisation: identity.organisation.clone(),
        country: identity.country.clone(),
        fingerprint: identity.fingerprint,
        grants: grants.clone(),
        direct: direct.clone(),
        hub_time: now_ms(),
        max_frame: u32::try_from(max_frame).unwrap_or(u32::MAX),
    };
    if let Err(e) = write_frame(&mut ctl_send, &Frame::Welcome(welcome), max_frame).await {
        return e.into();
    }

    let cert = Arc::new(cert);
    let session = state.sessions.next_id();
    let peer = Arc::new(Peer {
        identity,
        subject,
        cert_der: cert.clone(),
        session,
    });
    let handle = SessionHandle {
        id: session,
        node_id: peer.node_id().clone(),
        cert_der: cert.clone(),
        grants: Arc::new((grants, direct)),
        conn: conn.clone(),
    };
    if let Some(old) = state.sessions.register(handle) {
        old.conn.close(
            ErrorCode::NoError.as_u16().into(),
            b"replaced by a newer connection of the same node",
        );
    }
    // A reload between the check before Welcome and this registration did not see us.
    crate::recheck::after_register(&state, &conn, &cert).await;
    let record = state.directory.seen(&peer.identity, &cert, now_ms());
    persist_node(&state, record).await;

    // Publish streams: every further stream the node opens.
    let publishers = tokio::spawn(
        accept_publish_streams(state.clone(), conn.clone(), peer.clone()).in_current_span(),
    );
    let mut lanes: Option<tokio::task::JoinHandle<()>> = None;
    let end = loop {
        let frame = match read_frame(&mut ctl_recv, max_frame).await {
            Ok(Some(f)) => f,
            Ok(None) => break End::Closed("node finished its control stream".into()),
            Err(e) => break e.into(),
        };
        let reply = match frame {
            Frame::Ping(p) => Frame::Pong(Pong { nonce: p.nonce }),
            Frame::Subscribe(s) if lanes.is_none() => {
                let (channels, reply) = subscribe(&state, &peer, s.channels).await;
                let wakers = Arc::new(LaneWakers::default());
                state.sessions.subscribe(session, &channels, wakers.clone());
                lanes = Some(tokio::spawn(
                    run_lanes(state.clone(), conn.clone(), peer.clone(), channels, wakers)
                        .in_current_span(),
                ));
                Frame::Subscribed(reply)
            }
            Frame::Subscribe(_) => {
                break End::Peer(ErrorCode::Protocol, "already subscribed".into())
            }
            Frame::DirectoryRequest(r) => Frame::DirectoryResponse(directory(&state, &peer, r)),
            Frame::KeyBundlePublish(b) => {
                Frame::KeyBundleAck(key_bundle(&state, &peer, b.bundle).await)
            }
            other => {
                break End::Peer(
                    ErrorCode::Protocol,
                    format!("{} frame on the control stream", other.name()),
                )
            }
        };
        if let Err(e) = write_frame(&mut ctl_send, &reply, max_frame).await {
            break e.into();
        }
    };
    if let End::Peer(code, why) = &end {
        let _ = write_frame(
            &mut ctl_send,
            &Frame::Error(ErrorFrame {
                code: code.as_u16(),
                message: why.clone(),
            }),
            max_frame,
        )
        .await;
        // The caller closes the connection next, which discards stream data not yet
        // delivered: let the Error frame reach the node first (bounded wait).
        if ctl_send.finish().is_ok() {
            let _ = tokio::time::timeout(ERROR_FLUSH, ctl_send.stopped()).await;
        }
    }
    publishers.abort();
    if let Some(l) = lanes {
        l.abort();
    }
    state.sessions.unregister(peer.node_id(), session);
    end
}

async fn persist_node(state: &Arc<HubState>, record: crate::store::NodeRecord) {
    let st = state.clone();
    match tokio::task::spawn_blocking(move || st.store.put_node(&record)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(error = %e, "cannot persist directory entry"),
        Err(e) => warn!(error = %e, "cannot persist directory entry"),
    }
}

/// Channels of one `Subscribe` that are considered; the rest are ignored (a node reads
/// far fewer), so that one frame cannot cost unbounded policy checks or audit records.
pub const MAX_SUBSCRIBE_CHANNELS: usize = 256;

/// Channels named in a `ReadRefused` record besides the first; the rest are counted.
const AUDITED_REFUSALS: usize = 16;

/// Decide a subscription: every requested channel the node may read (all of them if it
/// asked for none), plus its own direct channel. The request is cut to its first
/// [`MAX_SUBSCRIBE_CHANNELS`] and de-duplicated; its refusals make one audit record.
async fn subscribe(
    state: &Arc<HubState>,
    peer: &Arc<Peer>,
    requested: Vec<ChannelName>,
) -> (Vec<ChannelName>, Subscribed) {
    let policy = state.policy();
    let now = now_ms();
    let own = peer.node_id().direct_channel();
    let mut channels = vec![own.clone()];
    let mut refused: Vec<(ChannelName, String)> = Vec::new();
    let everything = requested.is_empty();
    let wanted: Vec<ChannelName> = if everything {
        policy.channels().cloned().collect()
    } else {
        requested.into_iter().take(MAX_SUBSCRIBE_CHANNELS).collect()
    };
    for c in wanted {
        if c == own || channels.contains(&c) || refused.iter().any(|(r, _)| *r == c) {
            continue;
        }
        match policy.may_read(&peer.subject, &c, now) {
            Ok(()) => channels.push(c),
            // Asking for "everything I may read" is not a request for the rest.
            Err(_) if everything => {}
            Err(d) => refused.push((c, d.reason)),
        }
    }
    if let Some(((first, reason), others)) = refused.split_first() {
        let also: Vec<String> = others
            .iter()
            .take(AUDITED_REFUSALS)
            .map(|(c, _)| c.to_string())
            .collect();
        state
            .audit
            .record(AuditEvent::ReadRefused {
                node: peer.node_id().to_string(),
                channel: first.to_string(),
                reason: reason.clone(),
                more: (others.len() - also.len()) as u64,
                also,
            })
            .await;
    }
    info!(
        channels = channels.len(),
        refused = refused.len(),
        "subscribed"
    );
    (channels.clone(), Subscribed { channels, refused })
}

/// Answer a directory request: the readers of each channel the node may read or publish
/// to (an empty list for any other, known or not), and the entries of those readers and
/// of the nodes it named.
fn directory(state: &HubState, peer: &Peer, req: DirectoryRequest) -> DirectoryResponse {
    let policy = state.policy();
    let now = now_ms();
    let subjects = state.directory.subjects();
    let mut readers = Vec::new();
    let mut wanted: Vec<cordon_common::ids::NodeId> = req.nodes.into_iter().take(1024).collect();
    for c in req.channels.into_iter().take(64) {
        let r = match c.direct_node() {
            Some(n) => vec![n],
            None if policy.may_see_readers(&peer.subject, &c, now) => {
                policy.readers(&c, subjects.iter(), now)
            }
            None => Vec::new(),
        };
        wanted.extend(r.iter().cloned());
        readers.push((c, r));
    }
    wanted.sort();
    wanted.dedup();
    let entries = wanted
        .iter()
        .filter_map(|n| state.directory.entry(n))
        .collect();
    DirectoryResponse {
        readers,
        entries,
        roster: state
            .roster()
            .map(|r| serde_bytes::ByteBuf::from(r.signed.as_bytes().to_vec())),
    }
}

async fn key_bundle(state: &Arc<HubState>, peer: &Arc<Peer>, bytes: Vec<u8>) -> KeyBundleAck {
    let refused = |reason: String| KeyBundleAck {
        accepted: false,
        reason,
    };
    let bundle = KeyBundle::from_bytes(bytes);
    let verified = match bundle.verify(&peer.identity) {
        Ok(v) => v,
        Err(e) => {
            warn!(error = %e, "key bundle refused");
            return refused(e.to_string());
        }
    };
    match state.directory.set_bundle(
        peer.node_id(),
        bundle.as_bytes().to_vec(),
        verified.created_at,
    ) {
        BundleUpdate::Stored(record) => {
            persist_node(state, record).await;
            KeyBundleAck {
                accepted: true,
                reason: String::new(),
            }
        }
        BundleUpdate::UnknownNode => refused("node unknown to the directory".into()),
        BundleUpdate::NotNewer { offered, held } => {
            let why = format!(
                "key bundle made at {offered} is not newer than the one held (made at {held}); \
                 newest wins: check this node's clock"
            );
            warn!(%why, "key bundle refused");
            refused(why)
        }
    }
}

/// Accept the node's publish streams; each is served by its own task.
async fn accept_publish_streams(state: Arc<HubState>, conn: quinn::Connection, peer: Arc<Peer>) {
    while let Ok((send, recv)) = conn.accept_bi().await {
        tokio::spawn(
            publish_stream(state.clone(), conn.clone(), peer.clone(), send, recv).in_current_span(),
        );
    }
}

/// One publish stream. Publishes are checked concurrently (up to the in-flight limit),
/// queued for storing and acknowledged in the order they arrived, so a sender's messages
/// keep their order. A malformed or oversized frame cuts the node off.
async fn publish_stream(
    state: Arc<HubState>,
    conn: quinn::Connection,
    peer: Arc<Peer>,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
) {
    let max_frame = state.config.limits.max_frame;
    let inflight = state.config.limits.publish_inflight;
    let (check_tx, mut check_rx) =
        mpsc::channel::<JoinHandle<Result<Checked, PublishAck>>>(inflight);
    let (ack_tx, mut ack_rx) = mpsc::channel::<Pending>(inflight);
    let sequencer = {
        let state = state.clone();
        tokio::spawn(
            async move {
                while let Some(h) = check_rx.recv().await {
                    let checked = h.await.unwrap_or_else(|e| {
                        Err(PublishAck {
                            id: MessageId(uuid::Uuid::nil()),
                            outcome: PublishOutcome::Invalid,
                            reason: format!("hub internal error: {e}"),
                        })
                    });
                    if ack_tx.send(enqueue(&state, checked).await).await.is_err() {
                        return;
                    }
                }
            }
            .in_current_span(),
        )
    };
    let acker = {
        let (state, peer) = (state.clone(), peer.clone());
        tokio::spawn(
            async move {
                while let Some(p) = ack_rx.recv().await {
                    let ack = finish(&state, &peer, p).await;
                    if write_frame(&mut send, &Frame::PublishAck(ack), max_frame)
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                let _ = send.finish();
            }
            .in_current_span(),
        )
    };
    loop {
        match read_frame(&mut recv, max_frame).await {
            Ok(Some(Frame::Publish(p))) => {
                let span = info_span!("publish", size = p.envelope.len(), id = field::Empty);
                let h =
                    tokio::spawn(check(state.clone(), peer.clone(), p.envelope).instrument(span));
                if check_tx.send(h).await.is_err() {
                    break;
                }
            }
            Ok(Some(other)) => {
                let why = format!("{} frame on a publish stream", other.name());
                warn!(%why, "protocol error");
                conn.close(ErrorCode::Protocol.as_u16().into(), why.as_bytes());
                break;
            }
            Ok(None) => break,
            Err(e) => {
                if let Some(code) = e.peer_code() {
                    warn!(%code, error = %e, "bad frame on a publish stream; cutting the node off");
                    state
                        .audit
                        .record(AuditEvent::PublishRefused {
                            id: None,
                            sender: peer.node_id().to_string(),
                            outcome: "invalid".into(),
                            reason: format!("connection closed: {e}"),
                        })
                        .await;
                    conn.close(code.as_u16().into(), e.to_string().as_bytes());
                }
                break;
            }
        }
    }
    drop(check_tx);
    let _ = sequencer.await;
    let _ = acker.await;
}
