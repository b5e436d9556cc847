//! A scripted node for tests: connects with real certificates, publishes its key bundle,
//! seals to a channel's readers from the directory, and collects deliveries.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cordon_common::envelope::{
    open, seal, verify, Header, HeaderLimits, KemKeyPair, KeyBundle, ParsedEnvelope, RecipientKey,
    SealRng, PROTOCOL_VERSION,
};
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{ChannelName, MessageId, NodeId};
use cordon_common::msg::{MessageKind, Priority, Tlp};
use cordon_common::pki::{IdentityKey, TrustStore};
use cordon_common::quic::{read_frame, write_frame, TransportLimits};
use cordon_common::wire::{Deliver, DeliverAck, DirectoryRequest, Frame, PublishAck};
use cordon_node::client::{Connector, HubSession, HubTarget, Publisher};
use tokio::sync::mpsc;

use crate::pki::{NodeCreds, Pki};

/// Now, ms.
pub fn now_ms() -> u64 {
    cordon_common::testkit::now_ms()
}

/// The MessagePack body of a valid alert numbered `n` (about 1 KiB sealed).
pub fn alert_body(n: usize) -> Result<Vec<u8>> {
    let alert = serde_json::from_value(serde_json::json!({
        "title": format!("Alert {n}"),
        "summary": "Reefer containers with an unusual routing through Rotterdam.",
        "action": "monitor",
        "containers": ["CSQU3054383"],
        "grading": {"source": "B", "information": 2}
    }))?;
    Ok(cordon_common::msg::Message::Alert(alert).encode()?)
}

/// A connected test node.
pub struct TestClient {
    /// Its identity.
    pub identity: NodeIdentity,
    /// Its signing key.
    pub key: IdentityKey,
    /// Its certificate.
    pub cert_der: Vec<u8>,
    /// Its X25519 key.
    pub kem: KemKeyPair,
    /// The session.
    pub session: HubSession,
    publisher: Option<Publisher>,
    deliveries: Option<mpsc::Receiver<Deliver>>,
    trust: TrustStore,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestClient({})", self.identity.node_id)
    }
}

/// A connector for `creds` trusting `pki`'s root. Keep it to reconnect as a node daemon
/// does: its TLS client keeps a session cache and offers to resume.
pub fn connector(pki: &Pki, creds: &NodeCreds) -> Result<Connector> {
    let (chain, key) = creds.tls()?;
    Ok(Connector::new(
        &pki.roots()?,
        chain,
        key,
        &TransportLimits::default(),
    )?)
}

/// The hub at `addr`, by the name in its test certificate.
pub fn target(addr: SocketAddr) -> HubTarget {
    HubTarget {
        addr,
        server_name: "localhost".into(),
    }
}

/// Connect `creds` to the hub at `addr` (no bundle, no subscription yet).
pub async fn connect_raw(pki: &Pki, creds: &NodeCreds, addr: SocketAddr) -> Result<HubSession> {
    Ok(connector(pki, creds)?.connect(&target(addr)).await?)
}

/// Only the QUIC connection of `creds` to the hub at `addr`: TLS done, no `Hello` sent.
pub async fn connect_quic(
    pki: &Pki,
    creds: &NodeCreds,
    addr: SocketAddr,
) -> Result<quinn::Connection> {
    Ok(connector(pki, creds)?.connect_quic(&target(addr)).await?)
}

impl TestClient {
    /// Connect, publish a fresh key bundle, and (if `subscribe`) subscribe to everything
    /// readable, acknowledging deliveries automatically.
    pub async fn connect(
        pki: &Pki,
        creds: &NodeCreds,
        addr: SocketAddr,
        subscribe: bool,
    ) -> Result<Self> {
        let mut session = connect_raw(pki, creds, addr).await?;
        let key = creds.identity_key()?;
        // Stable across reconnects, as a real node's key file is: derived from the
        // certificate (test clients only; a node keeps a random key in x25519.key).
        let kem = KemKeyPair::derive(&creds.identity.fingerprint.0);
        let bundle = KeyBundle::sign(&creds.identity, &key, &kem, now_ms())?;
        let ack = session.publish_bundle(bundle.as_bytes().to_vec()).await?;
        if !ack.accepted {
            bail!("bundle refused: {}", ack.reason);
        }
        let mut me = Self {
            identity: creds.identity.clone(),
            key,
            cert_der: creds.cert_der.clone(),
            kem,
            session,
            publisher: None,
            deliveries: None,
            trust: pki.trust()?,
        };
        if subscribe {
            me.subscribe(vec![]).await?;
        }
        Ok(me)
    }

    /// Subscribe and start collecting (and acknowledging) deliveries. The hub opens its
    /// lanes as it has something to send on them (a lane with no data is invisible to
    /// QUIC), so lanes are accepted as they come, each read by its own task.
    pub async fn subscribe(
        &mut self,
        channels: Vec<ChannelName>,
    ) -> Result<cordon_common::wire::Subscribed> {
        self.subscribe_paced(channels, 100_000).await
    }

    /// [`Self::subscribe`], keeping at most `buffer` deliveries the test has not taken:
    /// once the buffer is full, each lane's task stops reading (after acknowledging the
    /// delivery in hand) until the test takes some, so the hub's delivery pauses with
    /// the test.
    pub async fn subscribe_paced(
        &mut self,
        channels: Vec<ChannelName>,
        buffer: usize,
    ) -> Result<cordon_common::wire::Subscribed> {
        let sub = self.session.subscribe(channels).await?;
        let (tx, rx) = mpsc::channel(buffer.max(1));
        let conn = self.session.connection().clone();
        let max_frame = self.session.max_frame();
        tokio::spawn(async move {
            while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while let Ok(Some(Frame::Deliver(d))) = read_frame(&mut recv, max_frame).await {
                        let ack = Frame::DeliverAck(DeliverAck {
                            channel: d.channel.clone(),
                            seq: d.seq,
                        });
                        if write_frame(&mut send, &ack, max_frame).await.is_err()
                            || tx.send(d).await.is_err()
                        {
                            break;
                        }
                    }
                });
            }
        });
        self.deliveries = Some(rx);
        Ok(sub)
    }

    /// The node id.
    pub fn id(&self) -> &NodeId {
        &self.identity.node_id
    }

    /// A header from this node.
    pub fn header(
        &self,
        kind: MessageKind,
        op: &str,
        to: &[ChannelName],
        priority: Priority,
    ) -> Result<Header> {
        let now = now_ms();
        Ok(Header {
            version: PROTOCOL_VERSION,
            id: MessageId::new_v7(),
            kind,
            operation: op.parse()?,
            to: to.to_vec(),
            sender: self.identity.node_id.clone(),
            sender_fp: self.identity.fingerprint,
            created_at: now,
            expires_at: now + 24 * 3600 * 1000,
            priority,
            tlp: Tlp::Amber,
            in_reply_to: None,
        })
    }

    /// The recipients of `to` from the hub's directory (verified bundles only), plus this node.
    pub async fn recipients(&mut self, to: &[ChannelName]) -> Result<Vec<RecipientKey>> {
        let dir = self
            .session
            .directory(DirectoryRequest {
                channels: to.to_vec(),
                nodes: vec![],
            })
            .await?;
        let mut out = vec![RecipientKey {
            node_id: self.identity.node_id.clone(),
            public: *self.kem.public(),
        }];
        for e in dir.entries {
            if e.node_id == self.identity.node_id {
                continue;
            }
            let id = self.trust.verify_node_cert(&e.cert, now_ms() / 1000)?;
            let Some(b) = e.bundle else { continue };
            let vb = KeyBundle::from_bytes(b.into_vec()).verify(&id)?;
            out.push(RecipientKey {
                node_id: vb.node_id,
                public: vb.public,
            });
        }
        Ok(out)
    }

    /// Seal `body` under `header` to `recipients`.
    pub fn seal(
        &self,
        header: &Header,
        body: &[u8],
        recipients: &[RecipientKey],
    ) -> Result<Vec<u8>> {
        Ok(seal(
            header,
            body,
            recipients,
            &self.key,
            &self.cert_der,
            &mut SealRng::from_os()?,
        )?)
    }

    /// Seal under `header` to `recipients` a body that makes the envelope `size` bytes
    /// (give or take the few bytes an ECDSA signature varies by; at least 2 KiB).
    pub fn seal_to_size(
        &self,
        header: &Header,
        recipients: &[RecipientKey],
        size: usize,
    ) -> Result<Vec<u8>> {
        const PROBE: usize = 1024;
        let overhead = self
            .seal(header, &[0; PROBE], recipients)?
            .len()
            .saturating_sub(PROBE);
        let body = size
            .checked_sub(overhead)
            .filter(|b| *b >= PROBE)
            .ok_or_else(|| anyhow!("an envelope of {size} bytes is too small to aim at"))?;
        self.seal(header, &vec![0x42; body], recipients)
    }

    /// Seal to the directory's readers of `to` and publish; returns the header and ack.
    pub async fn send(
        &mut self,
        kind: MessageKind,
        op: &str,
        to: &[&str],
        priority: Priority,
        body: &[u8],
    ) -> Result<(Header, PublishAck)> {
        let to: Vec<ChannelName> = to.iter().map(|c| c.parse()).collect::<Result<_, _>>()?;
        let header = self.header(kind, op, &to, priority)?;
        let recips = self.recipients(&to).await?;
        let env = self.seal(&header, body, &recips)?;
        let ack = self.publish(env).await?;
        Ok((header, ack))
    }

    /// A routine alert with `body` to `op/cosmo-2/alerts` (the test policy's alert channel).
    pub async fn send_alert(&mut self, body: &[u8]) -> Result<(Header, PublishAck)> {
        self.send(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            Priority::Routine,
            body,
        )
        .await
    }

    /// Publish envelope bytes on this client's publish stream and wait for the ack.
    pub async fn publish(&mut self, envelope: Vec<u8>) -> Result<PublishAck> {
        if self.publisher.is_none() {
            self.publisher = Some(self.session.publisher().await?);
        }
        let p = self
            .publisher
            .as_mut()
            .ok_or_else(|| anyhow!("no publisher"))?;
        Ok(p.publish(envelope).await?)
    }

    /// The publish stream (opened on first use).
    pub async fn publisher(&mut self) -> Result<&mut Publisher> {
        if self.publisher.is_none() {
            self.publisher = Some(self.session.publisher().await?);
        }
        self.publisher
            .as_mut()
            .ok_or_else(|| anyhow!("no publisher"))
    }

    /// The next delivery within `wait`, if any.
    pub async fn next_delivery(&mut self, wait: Duration) -> Result<Option<Deliver>> {
        let rx = self.deliveries.as_mut().context("not subscribed")?;
        match tokio::time::timeout(wait, rx.recv()).await {
            Ok(d) => Ok(d),
            Err(_) => Ok(None),
        }
    }

    /// Collect deliveries until `n` have arrived or `wait` passed.
    pub async fn collect(&mut self, n: usize, wait: Duration) -> Result<Vec<Deliver>> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        while out.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_delivery(left).await? {
                Some(d) => out.push(d),
                None => break,
            }
        }
        Ok(out)
    }

    /// Verify and open a delivered envelope as this node.
    pub fn open(&self, envelope: &[u8]) -> Result<(Header, Vec<u8>)> {
        let p = ParsedEnvelope::parse(envelope)?;
        let v = verify(p, &self.trust, now_ms(), &HeaderLimits::default())?;
        let body = open(&v, &self.identity.node_id, &self.kem)?;
        Ok((v.envelope.header.clone(), body))
    }
}
