//! The local HTTP+JSON API over [`Service`], on a loopback address, for the officers'
//! command line and national systems. Every request carries `Authorization: Bearer
//! <token>`, the token being the content of `api.token` in the data directory (mode
//! 0600, created on first start). Bad input gets a 4xx answer whose JSON body names the
//! field. The calls are documented with examples in `docs/API.md`.

// Request helpers return the error answer itself; it is built at most once per request,
// so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::MessageId;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::console::{percent_decode, same_secret};
use crate::inbox::{parse_time_bound, InboxFilter, InboxPosition, InboxQuery, TimeRange};
use crate::service::{decode_json, FieldError, SendRequest, Service, ServiceError};

/// The token file could not be read or made.
#[derive(Debug, thiserror::Error)]
#[error("API token file {path}: {message}")]
pub struct TokenError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Read the API token, or create one (32 random bytes, hex, mode 0600) if absent.
pub fn load_or_create_token(path: &Path) -> Result<String, TokenError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |message: String| TokenError {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mode = std::fs::metadata(path)
                .map_err(|e| err(e.to_string()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "API token file was readable by others; setting mode 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(e.to_string()))?;
            }
            let t = text.trim().to_owned();
            if t.len() < 32 || !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(err(
                    "must hold at least 32 printable characters (delete it to have a new one made)"
                        .into(),
                ));
            }
            Ok(t)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use ring::rand::SecureRandom;
            let mut b = [0u8; 32];
            ring::rand::SystemRandom::new()
                .fill(&mut b)
                .map_err(|_| err("system random number generator failed".into()))?;
            let t = hex::encode(b);
            cordon_common::pki::write_secret_file(path, format!("{t}\n").as_bytes())
                .map_err(|e| err(e.to_string()))?;
            Ok(t)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// The error body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ApiError {
    /// `invalid`, `unauthorized`, `not-found`, `method-not-allowed`, `conflict`,
    /// `too-large`, `timeout`, `internal`.
    pub code: String,
    /// The offending field, for `invalid` (the first, when several are wrong).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Every offending field, when several are wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// `{"error": ApiError}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
}

type Resp = Response<Full<Bytes>>;

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Resp {
    let body = serde_json::to_vec_pretty(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error_response(status: StatusCode, code: &str, field: Option<String>, message: String) -> Resp {
    let mut r = json_response(
        status,
        &ErrorBody {
            error: ApiError {
                code: code.to_owned(),
                field,
                message,
                errors: vec![],
            },
        },
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

fn invalid(field: &str, message: impl Into<String>) -> Resp {
    error_response(
        StatusCode::BAD_REQUEST,
        "invalid",
        Some(field.to_owned()),
        message.into(),
    )
}

fn service_error(e: ServiceError) -> Resp {
    match e {
        ServiceError::Invalid { field, message } => invalid(&field, message),
        ServiceError::InvalidFields(errors) => {
            let message = ServiceError::InvalidFields(errors.clone()).to_string();
            let field = errors.first().map(|e| e.field.clone());
            json_response(
                StatusCode::BAD_REQUEST,
                &ErrorBody {
                    error: ApiError {
                        code: "invalid".into(),
                        field,
                        message,
                        errors,
                    },
                },
            )
        }
        ServiceError::NotFound(m) => error_response(StatusCode::NOT_FOUND, "not-found", None, m),
        ServiceError::Conflict(m) => error_response(StatusCode::CONFLICT, "conflict", None, m),
        ServiceError::Internal(m) => {
            tracing::error!(error = %m, "API call failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", None, m)
        }
    }
}

fn reply<T: Serialize>(status: StatusCode, r: Result<T, ServiceError>) -> Resp {
    match r {
        Ok(v) => json_response(status, &v),
        Err(e) => service_error(e),
    }
}

fn parse_query(q: Option<&str>) -> Result<HashMap<String, String>, Resp> {
    let mut m = HashMap::new();
    for pair in q.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        let (Some(k), Some(v)) = (percent_decode(k), percent_decode(v)) else {
            return Err(invalid("query", "bad percent-encoding"));
        };
        m.insert(k, v);
    }
    Ok(m)
}

fn query_num(q: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, Resp> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| invalid(name, format!("{v:?} is not a whole number"))),
    }
}

fn query_bool(q: &HashMap<String, String>, name: &str) -> Result<bool, Resp> {
    match q.get(name).map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(v) => Err(invalid(name, format!("{v:?} is not true or false"))),
    }
}

/// The message a path names: a whole id, or a unique prefix of one.
async fn path_id(service: &Service, s: &str) -> Result<MessageId, Resp> {
    let text = percent_decode(s).ok_or_else(|| invalid("id", "bad percent-encoding"))?;
    service.resolve_id(&text).await.map_err(service_error)
}

/// `{"to_new_readers": true}`: the one resend there is, asked for by name.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResendBody {
    #[serde(default)]
    to_new_readers: bool,
}

/// What the API serves with.
#[derive(Debug)]
pub struct ApiContext {
    /// The officers' operations.
    pub service: Service,
    /// The bearer token.
    pub token: String,
    /// Largest request body.
    pub max_body: usize,
    /// Time allowed for a request's headers, and between requests on one connection.
    pub header_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_timeout: Duration,
}

/// Answer one request.
pub async fn handle(ctx: &ApiContext, req: Request<Incoming>) -> Resp {
    let authorized = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same_secret(t.trim().as_bytes(), ctx.token.as_bytes()));
    if !authorized {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            None,
            "missing or wrong bearer token (see api.token in the node's data directory)".into(),
        );
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = match parse_query(req.uri().query()) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let s = &ctx.service;
    match (&method, segs.as_slice()) {
        (&Method::GET, ["v1", "status"]) => reply(StatusCode::OK, s.status().await),
        (&Method::GET, ["v1", "channels"]) => json_response(StatusCode::OK, &s.channels()),
        (&Method::POST, ["v1", "messages"]) => {
            let value = match read_json(req, ctx).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            let request: SendRequest = match decode_json("", value) {
                Ok(r) => r,
                Err(e) => return service_error(e),
            };
            reply(StatusCode::ACCEPTED, s.send(request).await)
        }
        (&Method::GET, ["v1", "inbox"]) => match inbox_query(&query) {
            Ok((q, wait)) => reply(StatusCode::OK, s.inbox(q, wait).await),
            Err(r) => r,
        },
        (&Method::GET, ["v1", "inbox", "counts"]) => reply(StatusCode::OK, s.inbox_counts().await),
        (&Method::GET, ["v1", "messages", id]) => match path_id(s, id).await {
            Ok(id) => reply(StatusCode::OK, s.show(id).await),
            Err(r) => r,
        },
        (&Method::POST, ["v1", "messages", id, "ack"]) => match path_id(s, id).await {
            Ok(id) => reply(StatusCode::OK, s.ack(id).await),
            Err(r) => r,
        },
        (&Method::GET, ["v1", "messages", id, "receipts"]) => match path_id(s, id).await {
            Ok(id) => reply(StatusCode::OK, s.receipts(id).await),
            Err(r) => r,
        },
        (&Method::GET, ["v1", "messages", id, "attachments", name]) => {
            let Some(name) = percent_decode(name) else {
                return invalid("attachment", "bad percent-encoding");
            };
            match path_id(s, id).await {
                Ok(id) => reply(StatusCode::OK, s.attachment(id, name).await),
                Err(r) => r,
            }
        }
        (&Method::POST, ["v1", "messages", id, "cancel"]) => match path_id(s, id).await {
            Ok(id) => reply(StatusCode::OK, s.cancel(id).await),
            Err(r) => r,
        },
        (&Method::POST, ["v1", "messages", id, "resend"]) => {
            let id = match path_id(s, id).await {
                Ok(id) => id,
                Err(r) => return r,
            };
            let value = match read_json(req, ctx).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            match decode_json::<ResendBody>("", value) {
                Ok(ResendBody {
                    to_new_readers: true,
                }) => reply(StatusCode::ACCEPTED, s.resend(id).await),
                Ok(_) => invalid(
                    "to_new_readers",
                    "must be true: a message is resent only to readers it was not sealed to",
                ),
                Err(e) => service_error(e),
            }
        }
        (&Method::GET, ["v1", "sent"]) => match query_num(&query, "limit", 100) {
            Ok(l) => reply(
                StatusCode::OK,
                s.sent(usize::try_from(l).unwrap_or(usize::MAX)).await,
            ),
            Err(r) => r,
        },
        (&Method::GET, ["v1", "refusals"]) => match query_num(&query, "limit", 100) {
            Ok(l) => reply(
                StatusCode::OK,
                s.refusals(usize::try_from(l).unwrap_or(usize::MAX)).await,
            ),
            Err(r) => r,
        },
        (_, ["v1", "status" | "channels" | "messages" | "inbox" | "sent" | "refusals"])
        | (_, ["v1", "inbox", "counts"])
        | (_, ["v1", "messages", _])
        | (_, ["v1", "messages", _, "ack" | "receipts" | "cancel" | "resend"])
        | (_, ["v1", "messages", _, "attachments", _]) => error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            None,
            format!("{method} is not allowed on {path}"),
        ),
        _ => error_response(
            StatusCode::NOT_FOUND,
            "not-found",
            None,
            format!("no such call: {method} {path}"),
        ),
    }
}

/// The parameters `GET /v1/inbox` takes; any other is refused (a misspelt filter must
/// not silently list everything).
const INBOX_PARAMS: [&str; 20] = [
    "operation",
    "channel",
    "kind",
    "priority",
    "unread",
    "unacknowledged",
    "container",
    "vessel",
    "sender",
    "text",
    "received_from",
    "received_to",
    "created_from",
    "created_to",
    "before",
    "after",
    "limit",
    "wait",
    "flash_first",
    "count",
];

/// Parameter `name` parsed with `FromStr`, naming it in the error.
fn query_parsed<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, Resp>
where
    T::Err: std::fmt::Display,
{
    q.get(name)
        .map(|v| v.parse::<T>().map_err(|e| invalid(name, e.to_string())))
        .transpose()
}

fn query_time(q: &HashMap<String, String>, name: &str, end: bool) -> Result<Option<u64>, Resp> {
    q.get(name)
        .map(|v| parse_time_bound(v, end).map_err(|e| invalid(name, e)))
        .transpose()
}

fn query_range(q: &HashMap<String, String>, prefix: &str) -> Result<TimeRange, Resp> {
    Ok(TimeRange {
        from: query_time(q, &format!("{prefix}_from"), false)?,
        to: query_time(q, &format!("{prefix}_to"), true)?,
    })
}

/// The request's body as JSON, within the body limits.
async fn read_json(req: Request<Incoming>, ctx: &ApiContext) -> Result<serde_json::Value, Resp> {
    let body = read_body(req, ctx.max_body, ctx.body_timeout).await?;
    serde_json::from_slice(&body).map_err(|e| invalid("request", format!("not JSON: {e}")))
}

/// The query and the long-poll wait of `GET /v1/inbox`.
fn inbox_query(q: &HashMap<String, String>) -> Result<(InboxQuery, Option<Duration>), Resp> {
    if let Some(unknown) = q.keys().find(|k| !INBOX_PARAMS.contains(&k.as_str())) {
        return Err(invalid(
            unknown,
            format!(
                "unknown parameter; the inbox takes {}",
                INBOX_PARAMS.join(", ")
            ),
        ));
    }
    let filter = InboxFilter {
        operation: query_parsed(q, "operation")?,
        channel: query_parsed(q, "channel")?,
        kind: query_parsed(q, "kind")?,
        priority: query_parsed(q, "priority")?,
        unread: query_bool(q, "unread")?,
        unacknowledged: query_bool(q, "unacknowledged")?,
        container: q.get("container").cloned(),
        vessel: q.get("vessel").cloned(),
        sender: q.get("sender").cloned(),
        text: q.get("text").cloned(),
        received: query_range(q, "received")?,
        created: query_range(q, "created")?,
    };
    let before: Option<u64> = query_parsed(q, "before")?;
    let after: Option<u64> = query_parsed(q, "after")?;
    let position = match (before, after) {
        (Some(_), Some(_)) => return Err(invalid("before", "give before or after, not both")),
        (_, Some(a)) => InboxPosition::After(a),
        (b, None) => InboxPosition::Newest { before: b },
    };
    let wait = query_num(q, "wait", 0)?;
    let limit = query_num(q, "limit", 100)?;
    let query = InboxQuery {
        filter,
        position,
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        flash_first: query_bool(q, "flash_first")?,
        count: query_bool(q, "count")?,
    };
    Ok((query, (wait > 0).then(|| Duration::from_secs(wait))))
}

async fn read_body(req: Request<Incoming>, max: usize, within: Duration) -> Result<Bytes, Resp> {
    let read = tokio::time::timeout(within, Limited::new(req.into_body(), max).collect());
    match read.await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Err(_) => Err(error_response(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            None,
            format!(
                "request body not received within {} s; send it at once",
                within.as_secs()
            ),
        )),
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    None,
                    format!("request body above {max} bytes"),
                ))
            } else {
                Err(invalid("request", format!("cannot read the body: {e}")))
            }
        }
    }
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Serve the API on `listener` until shutdown; at most `max_connections` at once.
pub async fn serve(
    listener: TcpListener,
    ctx: Arc<ApiContext>,
    max_connections: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(max_connections));
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut shutdown) => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "API accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };
        while conns.try_join_next().is_some() {}
        let ctx = ctx.clone();
        let ctx_timeout = ctx.header_timeout;
        let mut stop = shutdown.clone();
        conns.spawn(async move {
            let _permit = permit;
            let svc = hyper::service::service_fn(move |req| {
                let ctx = ctx.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&ctx, req).await) }
            });
            // The header timeout needs a timer; without one hyper ignores it silently.
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(ctx_timeout)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(%peer, error = %e, "API connection ended");
                    }
                }
                _ = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                }
            }
        });
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    // Aborted connections are gone (and with them their hold on the store) only once
    // joined: a restart in the same process must find the database closed.
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// Bind the API listener; only loopback addresses are accepted.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{addr} is not a loopback address"),
        ));
    }
    TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn token_is_created_0600_hex_and_reread() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("api.token");
        let t = load_or_create_token(&p).unwrap();
        assert_eq!(t.len(), 64);
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load_or_create_token(&p).unwrap(), t);
        std::fs::write(&p, "short").unwrap();
        assert!(load_or_create_token(&p).is_err());
    }

    #[test]
    fn queries_decode() {
        let q = parse_query(Some("channel=op%2Fcosmo-2%2Falerts&unread&after=3")).unwrap();
        assert_eq!(q["channel"], "op/cosmo-2/alerts");
        assert!(query_bool(&q, "unread").unwrap());
        assert_eq!(query_num(&q, "after", 0).unwrap(), 3);
        let (f, wait) = inbox_query(&q).unwrap();
        assert_eq!(f.position, InboxPosition::After(3));
        assert!(f.filter.unread && wait.is_none());
        assert!(parse_query(Some("a=%zz")).is_err());
    }

    /// The field an answer's error names.
    fn field_of(r: &Resp) -> String {
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body = futures_body(r);
        let e: ErrorBody = serde_json::from_slice(&body).unwrap();
        e.error.field.unwrap_or_default()
    }

    fn futures_body(r: &Resp) -> Vec<u8> {
        let body = r.body().clone();
        let collected = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(body.collect())
            .unwrap();
        collected.to_bytes().to_vec()
    }

    #[test]
    fn inbox_parameters_parse_and_bad_ones_are_named() {
        let q = parse_query(Some(
            "operation=cosmo-2&kind=alert&priority=flash&unacknowledged&container=CSQU%203054383\
             &vessel=IMO+9074729&sender=BE&text=cocaine+reefer&received_from=2026-11-30\
             &received_to=2026-11-30&created_to=2026-12-01T12:00:00Z&before=70&limit=50\
             &flash_first&count=1",
        ))
        .unwrap();
        let (f, _) = inbox_query(&q).unwrap();
        assert_eq!(f.position, InboxPosition::Newest { before: Some(70) });
        assert!(f.flash_first && f.count && f.filter.unacknowledged && !f.filter.unread);
        assert_eq!(f.limit, 50);
        assert_eq!(f.filter.container.as_deref(), Some("CSQU 3054383"));
        assert_eq!(f.filter.vessel.as_deref(), Some("IMO 9074729"));
        assert_eq!(f.filter.text.as_deref(), Some("cocaine reefer"));
        let day = parse_time_bound("2026-11-30", false).unwrap();
        assert_eq!(f.filter.received.from, Some(day));
        assert_eq!(f.filter.received.to, Some(day + 86_400_000));
        assert_eq!(f.filter.operation.unwrap().as_str(), "cosmo-2");
        // Neither a position nor a filter: newest first, everything.
        let (f, _) = inbox_query(&HashMap::new()).unwrap();
        assert_eq!(f.position, InboxPosition::Newest { before: None });
        assert_eq!(f.filter, InboxFilter::default());
        for (query, field) in [
            ("kind=warning", "kind"),
            ("priority=high", "priority"),
            ("operation=Cosmo", "operation"),
            ("received_from=yesterday", "received_from"),
            ("before=1&after=2", "before"),
            ("contianer=CSQU3054383", "contianer"),
            ("limit=-1", "limit"),
        ] {
            let e = inbox_query(&parse_query(Some(query)).unwrap()).unwrap_err();
            assert_eq!(field_of(&e), field, "{query}");
        }
    }
}
