//! Live updates by Server-Sent Events: `message` when a new message is in the inbox
//! (with what the inbox row shows), `receipt` when receipts arrive for sent messages.
//! Each stream is a task with a small bounded queue; a client that does not read is
//! dropped, not buffered for. Streams are limited by `console.max_connections`.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame};
use hyper::StatusCode;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::http::{self as h, Resp};
use super::server::Ctx;
use super::view;
use crate::inbox::{InboxPosition, InboxQuery};

/// Events queued per stream at most.
const QUEUE: usize = 32;
/// A comment is sent this often so proxies and the browser keep the stream open.
const KEEPALIVE: Duration = Duration::from_secs(20);

struct SseBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// What a live inbox row needs (all text; the script sets it as text, never as HTML).
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    seq: u64,
    kind: String,
    title: String,
    sender: String,
    operation: String,
    priority: String,
    priority_label: String,
    received: String,
}

fn event(name: &str, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Open a stream.
pub fn stream(ctx: &Ctx<'_>, mut stop: watch::Receiver<bool>) -> Resp {
    let Ok(permit) = ctx.console.streams.clone().try_acquire_owned() else {
        return h::text(StatusCode::SERVICE_UNAVAILABLE, "too many live pages open");
    };
    let service = ctx.console.service.clone();
    let tr_lang = ctx.tr.lang;
    let catalog_rows = {
        // Labels are made in the officer's language once, here, for the task.
        let tr = ctx.tr;
        let kinds: Vec<(String, String)> = super::forms::KINDS
            .iter()
            .map(|k| ((*k).to_owned(), tr.code("kind", k)))
            .collect();
        let prios: Vec<(String, String)> = ["flash", "urgent", "routine"]
            .iter()
            .map(|p| ((*p).to_owned(), tr.code("priority", p)))
            .collect();
        (kinds, prios)
    };
    let officer = ctx.officer.name.clone();
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
    let mut inbox = service.inbox_watch();
    let mut receipts = service.receipts_watch();
    let start = *inbox.borrow_and_update();
    let receipts_now = *receipts.borrow_and_update();
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tr_lang;
        let (kinds, prios) = catalog_rows;
        let label = |list: &[(String, String)], v: &str| {
            list.iter()
                .find(|(k, _)| k == v)
                .map_or_else(|| v.to_owned(), |(_, l)| l.clone())
        };
        let mut last = start;
        if tx.try_send(Bytes::from_static(b"retry: 2000\n\n")).is_err() {
            return;
        }
        // The receipts version now: a page rendered before it (receipts arrived between
        // the page and this stream) reloads.
        if tx
            .try_send(event("receipt", &serde_json::json!({ "n": receipts_now })))
            .is_err()
        {
            return;
        }
        loop {
            tokio::select! {
                r = inbox.changed() => {
                    if r.is_err() { return; }
                    let query = InboxQuery {
                        position: InboxPosition::After(last),
                        limit: 50,
                        ..InboxQuery::default()
                    };
                    let Ok(page) = service.inbox(query, None).await else { continue };
                    for m in page.items {
                        last = last.max(m.seq);
                        let row = Row {
                            id: m.id.to_string(),
                            seq: m.seq,
                            kind: label(&kinds, m.kind.as_str()),
                            title: m.title.clone(),
                            sender: m.sender.to_string(),
                            operation: m.operation.to_string(),
                            priority: m.priority.as_str().to_owned(),
                            priority_label: label(&prios, m.priority.as_str()),
                            received: view::time(m.received_at),
                        };
                        if tx.try_send(event("message", &row)).is_err() {
                            tracing::debug!(%officer, "live stream dropped: the page does not read");
                            return;
                        }
                    }
                }
                r = receipts.changed() => {
                    if r.is_err() { return; }
                    let n = *receipts.borrow_and_update();
                    if tx.try_send(event("receipt", &serde_json::json!({ "n": n }))).is_err() { return; }
                }
                () = tokio::time::sleep(KEEPALIVE) => {
                    if tx.try_send(Bytes::from_static(b": keepalive\n\n")).is_err() { return; }
                }
                () = stopped(&mut stop) => return,
            }
        }
    });
    let mut r = h::respond(StatusCode::OK, "text/event-stream", SseBody { rx }.boxed());
    r.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    r
}
