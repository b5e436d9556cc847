//! Pieces for tests that play a hub themselves (a compromised or faulty one) against a
//! real node daemon: accept one node on an endpoint from [`crate::Pki::test_hub_endpoint`]
//! and answer its `Hello` with a `Welcome` carrying the given grants.

use anyhow::{bail, Context, Result};
use cordon_common::identity::NodeIdentity;
use cordon_common::quic::{read_frame, write_frame};
use cordon_common::wire::{Frame, Grant, Welcome, DEFAULT_MAX_FRAME};
use rustls_pki_types::CertificateDer;

use crate::client::now_ms;

/// A node accepted by a test hub: its connection, certificate identity and control
/// stream (after `Welcome`).
#[derive(Debug)]
pub struct AcceptedNode {
    /// The QUIC connection.
    pub conn: quinn::Connection,
    /// Who the node's certificate says it is.
    pub identity: NodeIdentity,
    /// The control stream, hub side.
    pub ctl_send: quinn::SendStream,
    /// The control stream, node side.
    pub ctl_recv: quinn::RecvStream,
}

/// Accept the next node on `endpoint`, read its `Hello`, and send a `Welcome` with
/// `grants` (and no direct grants).
pub async fn accept_node(endpoint: &quinn::Endpoint, grants: Vec<Grant>) -> Result<AcceptedNode> {
    let conn = endpoint
        .accept()
        .await
        .context("the endpoint closed")?
        .await?;
    let cert = conn
        .peer_identity()
        .and_then(|any| any.downcast::<Vec<CertificateDer<'static>>>().ok())
        .and_then(|chain| chain.first().cloned())
        .context("no client certificate")?;
    let identity = NodeIdentity::from_der(&cert)?;
    let (mut ctl_send, mut ctl_recv) = conn.accept_bi().await?;
    match read_frame(&mut ctl_recv, DEFAULT_MAX_FRAME).await? {
        Some(Frame::Hello(_)) => {}
        other => bail!("expected Hello, got {other:?}"),
    }
    let welcome = Welcome {
        node_id: identity.node_id.clone(),
        role: identity.role,
        organisation: identity.organisation.clone(),
        country: identity.country.clone(),
        fingerprint: identity.fingerprint,
        grants,
        direct: vec![],
        hub_time: now_ms(),
        max_frame: u32::try_from(DEFAULT_MAX_FRAME).unwrap_or(u32::MAX),
    };
    write_frame(&mut ctl_send, &Frame::Welcome(welcome), DEFAULT_MAX_FRAME).await?;
    Ok(AcceptedNode {
        conn,
        identity,
        ctl_send,
        ctl_recv,
    })
}
