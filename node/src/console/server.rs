//! Listening, TLS, connection limits, and routing each request to its page.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use super::auth::{same_secret, LoginThrottle, Session, Sessions, SESSION_COOKIE};
use super::http::{self as h, Resp};
use super::i18n::{Catalog, Lang, Tr};
use super::pages;
use crate::config::ConsoleConfig;
use crate::officers::{Officer, OfficerBook, OfficerRole};
use crate::service::Service;

/// The console could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// Binding the address.
    #[error("cannot listen on {addr} for the console: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key.
    #[error("console TLS: {0}; check console.tls_cert and console.tls_key in node.toml")]
    Tls(String),
    /// The translations (a build defect).
    #[error(transparent)]
    Catalog(#[from] super::i18n::CatalogError),
}

/// Everything a page may use.
#[derive(Debug)]
pub struct Console {
    pub(super) service: Service,
    pub(super) officers: OfficerBook,
    pub(super) sessions: Sessions,
    pub(super) throttle: LoginThrottle,
    pub(super) catalog: Catalog,
    pub(super) config: ConsoleConfig,
    pub(super) local: SocketAddr,
    pub(super) tls: bool,
    /// Live-update streams open now, at most `config.max_connections`.
    pub(super) streams: Arc<Semaphore>,
}

/// One authenticated request's context.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The console.
    pub console: &'a Console,
    /// The session.
    pub session: Session,
    /// The officer, as the officers file says now.
    pub officer: Officer,
    /// Their language.
    pub tr: Tr<'a>,
    /// The session cookie's value.
    pub token: String,
}

impl Ctx<'_> {
    /// Whether the officer may do what `role` may.
    pub fn may(&self, role: OfficerRole) -> bool {
        self.officer.role.allows(role)
    }
}

/// A running console.
#[derive(Debug)]
pub struct ConsoleHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its task.
    pub task: JoinHandle<()>,
}

/// Start the console: bind, then serve until `shutdown`.
pub async fn start(
    config: ConsoleConfig,
    service: Service,
    officers: OfficerBook,
    shutdown: watch::Receiver<bool>,
) -> Result<ConsoleHandle, ConsoleError> {
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ConsoleError::Bind {
            addr: config.listen,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ConsoleError::Bind {
        addr: config.listen,
        source,
    })?;
    let console = Arc::new(Console {
        service,
        officers,
        sessions: Sessions::new(Duration::from_secs(config.idle_minutes * 60)),
        throttle: LoginThrottle::default(),
        catalog: Catalog::load()?,
        streams: Arc::new(Semaphore::new(config.max_connections)),
        tls: tls.is_some(),
        local,
        config,
    });
    tracing::info!(addr = %local, tls = console.tls, "console listening");
    let task = tokio::spawn(serve(listener, tls, console, shutdown));
    Ok(ConsoleHandle { addr: local, task })
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, ConsoleError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ConsoleError::Tls(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(ConsoleError::Tls(format!(
            "{}: no certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ConsoleError::Tls(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConsoleError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| ConsoleError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    console: Arc<Console>,
    mut shutdown: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(console.config.max_connections));
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
                    tracing::warn!(error = %e, "console accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };
        while conns.try_join_next().is_some() {}
        let console = console.clone();
        let tls = tls.clone();
        let mut stop = shutdown.clone();
        conns.spawn(async move {
            let _permit = permit;
            let span = tracing::info_span!("console", %peer);
            let _ = &span;
            match tls {
                None => connection(TokioIo::new(stream), peer, console, &mut stop).await,
                Some(acceptor) => {
                    let accepted =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await;
                    match accepted {
                        Ok(Ok(s)) => connection(TokioIo::new(s), peer, console, &mut stop).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "console TLS failed"),
                        Err(_) => tracing::debug!(%peer, "console TLS handshake timed out"),
                    }
                }
            }
        });
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

async fn connection<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    console: Arc<Console>,
    stop: &mut watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let stop_for_streams = stop.clone();
    let svc = hyper::service::service_fn(move |req| {
        let console = console.clone();
        let stop = stop_for_streams.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(&console, req, peer, stop).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(20))
        .max_buf_size(64 * 1024)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "console connection ended");
            }
        }
        _ = stopped(stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
        }
    }
}

/// Whether the Host header names this console (DNS rebinding defence).
fn host_allowed(console: &Console, host: Option<&str>) -> bool {
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    let port = console.local.port();
    let mut allowed = vec![
        console.local.to_string(),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ];
    for h in &console.config.hosts {
        let h = h.to_ascii_lowercase();
        allowed.push(format!("{h}:{port}"));
        allowed.push(h);
    }
    if console.tls && port == 443 {
        allowed.push("localhost".into());
    }
    allowed.contains(&host)
}

/// The language for a request without an officer (the login page).
pub(super) fn browser_lang(req: &Request<Incoming>) -> Lang {
    h::query(req)
        .get("lang")
        .and_then(Lang::from_code)
        .or_else(|| h::cookie(req, "cordon_lang").and_then(Lang::from_code))
        .unwrap_or_else(|| {
            Lang::negotiate(h::header_str(req, header::ACCEPT_LANGUAGE).unwrap_or_default())
        })
}

async fn handle(
    console: &Console,
    req: Request<Incoming>,
    peer: SocketAddr,
    stop: watch::Receiver<bool>,
) -> Resp {
    if !host_allowed(console, h::header_str(&req, header::HOST)) {
        return h::text(
            StatusCode::MISDIRECTED_REQUEST,
            "this console answers only to its own address; add the name to console.hosts in node.toml",
        );
    }
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if method == Method::GET {
        if let Some(r) = super::assets::serve(&path) {
            return r;
        }
    }
    match (&method, path.as_str()) {
        (&Method::GET, "/login") => return pages::login::form(console, &req, None),
        (&Method::POST, "/login") => return pages::login::submit(console, req, peer).await,
        _ => {}
    }
    // Everything else needs a session.
    let Some(token) = h::cookie(&req, SESSION_COOKIE).map(str::to_owned) else {
        return h::redirect("/login");
    };
    let Some(session) = console.sessions.get(&token) else {
        return h::redirect("/login");
    };
    let officer = match console.officers.get(&session.officer) {
        Ok(o) if !o.disabled => o,
        Ok(_) | Err(_) => {
            console.sessions.remove_officer(&session.officer);
            return h::redirect("/login");
        }
    };
    let lang = officer
        .language
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_else(|| browser_lang(&req));
    let ctx = Ctx {
        console,
        tr: Tr::new(&console.catalog, lang),
        session,
        officer,
        token,
    };
    if method == Method::POST {
        if let Some(r) = cross_site(&req) {
            tracing::warn!(officer = %ctx.officer.name, %path, "cross-site form refused");
            return r;
        }
    }
    pages::route(&ctx, req, &method, &path, stop).await
}

/// A POST whose Origin names another site is refused before its body is read. (An
/// opaque `Origin: null`, which some privacy settings send for every form, is left to
/// the CSRF token and the SameSite=Strict cookie.)
fn cross_site(req: &Request<Incoming>) -> Option<Resp> {
    let origin = h::header_str(req, header::ORIGIN)?;
    if origin == "null" {
        return None;
    }
    let host = h::header_str(req, header::HOST).unwrap_or_default();
    let origin_host = origin.split("://").nth(1).unwrap_or_default();
    if !origin_host.eq_ignore_ascii_case(host) {
        return Some(h::text(StatusCode::FORBIDDEN, "cross-site request refused"));
    }
    None
}

/// Checks the form's CSRF token against the session's.
pub(super) fn csrf_ok(ctx: &Ctx<'_>, form: &h::Form) -> bool {
    form.get("csrf")
        .is_some_and(|t| same_secret(t.as_bytes(), ctx.session.csrf.as_bytes()))
}
