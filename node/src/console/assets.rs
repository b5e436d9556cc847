//! The style sheet and the script, embedded in the binary (nothing is fetched from
//! elsewhere, at build or at run time).

use hyper::header::{HeaderValue, CACHE_CONTROL};
use hyper::StatusCode;

use super::http::{self as h, Resp};

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

/// The asset at `path`, if it is one.
pub fn serve(path: &str) -> Option<Resp> {
    let (ctype, body) = match path {
        "/static/app.css" => ("text/css; charset=utf-8", CSS),
        "/static/app.js" => ("text/javascript; charset=utf-8", JS),
        _ => return None,
    };
    let mut r = h::respond(StatusCode::OK, ctype, h::full(body));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    Some(r)
}
