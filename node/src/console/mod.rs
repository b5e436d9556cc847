//! The officers' web console, served by `cordon-node run` when `[console]` is in
//! node.toml: server-rendered pages over [`Service`], in six languages, with live
//! updates by Server-Sent Events. Nothing is fetched from elsewhere: the style sheet and
//! the one small script are embedded in the binary.
//!
//! Security: loopback unless TLS is configured; officers log in with a password
//! (argon2id, [`crate::officers`]); the session cookie is HttpOnly, SameSite=Strict and
//! Secure under TLS; every form carries a CSRF token; the Host header must name this
//! console; every page carries a strict Content-Security-Policy; every action is logged
//! with the officer's name.

mod assets;
mod auth;
mod charts;
mod events;
mod forms;
mod http;
pub mod i18n;
mod layout;
mod pages;
mod query;
mod server;
mod view;

pub use auth::same_secret;
pub use http::percent_decode;
pub use server::{start, ConsoleError, ConsoleHandle};
