//! A client of the local API, used by the command line (and by tests): finds the daemon
//! through `api.addr` and `api.token` in the data directory.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::{ApiError, ErrorBody};
use crate::config::{API_ADDR_FILE, TOKEN_FILE};

/// Largest answer read, bytes.
const MAX_ANSWER: usize = 256 * 1024 * 1024;

/// A call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The daemon is not running or cannot be reached.
    #[error("the node daemon is unreachable: {0}")]
    Unreachable(String),
    /// The daemon answered with an error.
    #[error("{}{}", .error.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(), .error.message)]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        error: ApiError,
    },
    /// The answer could not be understood.
    #[error("unexpected answer from the daemon: {0}")]
    Protocol(String),
}

/// A client of one node's API.
#[derive(Debug, Clone)]
pub struct ApiClient {
    addr: SocketAddr,
    token: String,
    timeout: Duration,
}

impl ApiClient {
    /// For the API at `addr` with `token`.
    pub fn new(addr: SocketAddr, token: String) -> Self {
        Self {
            addr,
            token,
            timeout: Duration::from_secs(30),
        }
    }

    /// From `api.addr` and `api.token` in a node's data directory.
    pub fn from_data_dir(dir: &Path) -> Result<Self, CallError> {
        let addr_path = dir.join(API_ADDR_FILE);
        let addr = std::fs::read_to_string(&addr_path).map_err(|e| {
            CallError::Unreachable(format!(
                "cannot read {} ({e}); is `cordon-node run` running?",
                addr_path.display()
            ))
        })?;
        let addr: SocketAddr = addr.trim().parse().map_err(|_| {
            CallError::Unreachable(format!("{} holds no address", addr_path.display()))
        })?;
        let token_path = dir.join(TOKEN_FILE);
        let token = std::fs::read_to_string(&token_path).map_err(|e| {
            CallError::Unreachable(format!("cannot read {}: {e}", token_path.display()))
        })?;
        Ok(Self::new(addr, token.trim().to_owned()))
    }

    /// Change how long one call may take (long polls add their wait).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The API address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Call `method path` with an optional JSON body; decode the JSON answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        extra_wait: Duration,
    ) -> Result<T, CallError> {
        let bytes = tokio::time::timeout(self.timeout + extra_wait, self.raw(method, path, body))
            .await
            .map_err(|_| CallError::Unreachable("the daemon did not answer in time".into()))??;
        serde_json::from_slice(&bytes).map_err(|e| CallError::Protocol(e.to_string()))
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes, CallError> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| CallError::Unreachable(format!("{}: {e}", self.addr)))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let auth = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| CallError::Protocol("the token is not a valid header value".into()))?;
        let host = HeaderValue::from_str(&self.addr.to_string())
            .map_err(|e| CallError::Protocol(e.to_string()))?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| CallError::Protocol(e.to_string()))?;
        req.headers_mut().insert(AUTHORIZATION, auth);
        req.headers_mut().insert(HOST, host);
        req.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let bytes = Limited::new(resp.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| CallError::Protocol(e.to_string()))?
            .to_bytes();
        driver.abort();
        if status.is_success() {
            return Ok(bytes);
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => Err(CallError::Api {
                status: status.as_u16(),
                error: b.error,
            }),
            Err(_) => Err(CallError::Protocol(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            ))),
        }
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        self.call(Method::GET, path, None, Duration::ZERO).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CallError> {
        let b = serde_json::to_vec(body).map_err(|e| CallError::Protocol(e.to_string()))?;
        self.call(Method::POST, path, Some(b), Duration::ZERO).await
    }
}

/// Percent-encode a query value.
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
