//! HTTP plumbing for the console: response builders with the security headers every
//! answer carries, cookies, form and query decoding, bounded bodies.

use std::collections::HashMap;
use std::convert::Infallible;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};

/// Every console answer.
pub type Resp = Response<BoxBody<Bytes, Infallible>>;

/// The Content-Security-Policy of every page: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// A body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> BoxBody<Bytes, Infallible> {
    Full::new(bytes.into()).boxed()
}

/// An answer with the security headers set.
pub fn respond(status: StatusCode, content_type: &str, body: BoxBody<Bytes, Infallible>) -> Resp {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        // Not `no-referrer`: with it a browser sends `Origin: null` on its own forms.
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An HTML page.
pub fn html(status: StatusCode, markup: maud::Markup) -> Resp {
    respond(
        status,
        "text/html; charset=utf-8",
        full(markup.into_string()),
    )
}

/// Plain text (errors outside a page).
pub fn text(status: StatusCode, message: impl Into<String>) -> Resp {
    respond(status, "text/plain; charset=utf-8", full(message.into()))
}

/// `303 See Other` to `location` (after a form, or to the login page).
pub fn redirect(location: &str) -> Resp {
    let mut r = respond(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", full(""));
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A JSON answer.
pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Resp {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    respond(status, "application/json", full(body))
}

/// Adds a `Set-Cookie`.
pub fn set_cookie(r: &mut Resp, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A request header as text.
pub fn header_str(req: &Request<Incoming>, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Decodes `%xx` and `+` (forms and queries).
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Encodes a value for a query string.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An `application/x-www-form-urlencoded` text (or a query) as name → values, in order.
#[derive(Debug, Default, Clone)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// Decode; `None` when the encoding is broken or there are more than `max_fields`.
    pub fn parse(text: &str, max_fields: usize) -> Option<Form> {
        let mut fields = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            if fields.len() >= max_fields {
                return None;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            fields.push((percent_decode(k)?, percent_decode(v)?));
        }
        Some(Form { fields })
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Every field, in order.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.fields.clone()
    }

    /// Every field as a map (the first value wins), for re-showing a form.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        for (k, v) in &self.fields {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        m
    }
}

/// The request's query.
pub fn query(req: &Request<Incoming>) -> Form {
    Form::parse(req.uri().query().unwrap_or_default(), 64).unwrap_or_default()
}

/// Read a form body of at most `max` bytes.
pub async fn read_form(req: Request<Incoming>, max: usize) -> Result<Form, StatusCode> {
    let bytes = Limited::new(req.into_body(), max)
        .collect()
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?
        .to_bytes();
    let text = std::str::from_utf8(&bytes).map_err(|_| StatusCode::BAD_REQUEST)?;
    Form::parse(text, 4096).ok_or(StatusCode::BAD_REQUEST)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn forms_decode() {
        let f = Form::parse("a=1&b=x+y&c=%C3%A9&a=2&empty=&flag", 10).unwrap();
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.all("a"), vec!["1", "2"]);
        assert_eq!(f.get("b"), Some("x y"));
        assert_eq!(f.get("c"), Some("é"));
        assert_eq!(f.get("empty"), None);
        assert!(Form::parse("a=%zz", 10).is_none());
        assert!(Form::parse("a=1&b=2&c=3", 2).is_none());
        assert_eq!(percent_encode("op/cosmo-2 x"), "op%2Fcosmo-2%20x");
        assert_eq!(
            percent_decode(&percent_encode("BE-NCP / é")).unwrap(),
            "BE-NCP / é"
        );
    }
}
