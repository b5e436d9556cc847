//! A real browser for tests of HTML pages served on loopback: headless Chromium driven
//! through chromedriver (WebDriver) with `fantoccini`.
//!
//! Each [`Browser`] starts its own `chromedriver` on a free port of 127.0.0.1, in its own
//! process group, with its own empty profile in a temporary directory, so several can run
//! at once. Dropping it closes the session and kills chromedriver and every Chromium
//! process it started. Needs Debian's `chromium` and `chromium-driver` packages.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// Where Debian's `chromium-driver` package puts chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian's `chromium` package puts the browser (a launcher script).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The viewport's size in CSS pixels, and so every screenshot's (the window is made
/// taller by the room the new headless mode keeps for a toolbar it does not draw).
pub const WINDOW: (u32, u32) = (1280, 800);

/// Flags for a headless Chromium that reaches nothing beyond loopback: without the
/// background-networking ones it tries to call Google, which this network refuses.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// How long chromedriver may take to answer ready, and Chromium to open a session.
const DRIVER_START: Duration = Duration::from_secs(20);
const SESSION_START: Duration = Duration::from_secs(60);
/// How often the `wait_*` helpers look again.
const POLL: Duration = Duration::from_millis(50);
/// Tries at a free port (another program may take the one just released).
const PORT_TRIES: usize = 5;

/// The reply to a form posted by [`Browser::post_form`].
#[derive(Debug, Clone)]
pub struct FormReply {
    /// The HTTP status of the final response (after redirects).
    pub status: u16,
    /// The final URL (after redirects).
    pub url: String,
    /// Whether a redirect was followed.
    pub redirected: bool,
    /// The response body as text.
    pub body: String,
}

/// A headless Chromium with a WebDriver session, its chromedriver and its profile.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    session: Option<String>,
    // Declared after the client and before the profile: dropped in that order.
    driver: Driver,
    dir: tempfile::TempDir,
}

impl Browser {
    /// Start chromedriver and a headless Chromium with an empty profile, window 1280x800.
    pub async fn start() -> Result<Self> {
        for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            if !Path::new(path).exists() {
                bail!(
                    "{path} is missing (package {package}): \
                     apt-get install chromium chromium-driver"
                );
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("cordon-browser-")
            .tempdir()
            .context("making the browser's temporary directory")?;
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile).context("making the browser profile directory")?;
        let driver = Driver::start(dir.path()).await?;

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities are not a JSON object");
        };
        let url = format!("http://127.0.0.1:{}", driver.port);
        let mut builder = ClientBuilder::new(HttpConnector::new());
        let connect = builder.capabilities(caps).connect(&url);
        let client = match tokio::time::timeout(SESSION_START, connect).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => bail!("opening a Chromium session: {e}{}", driver.log_tail()),
            Err(_) => bail!(
                "Chromium did not open a session within {SESSION_START:?}{}",
                driver.log_tail()
            ),
        };
        let session = client.session_id().await.ok().flatten();
        // The new headless mode keeps part of the window for a toolbar it does not draw:
        // grow the window by that much, so that the viewport (and every screenshot) is
        // exactly 1280x800.
        let chrome = client
            .execute("return window.outerHeight - window.innerHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0);
        if chrome > 0 {
            let _ = client.set_window_size(WINDOW.0, WINDOW.1 + chrome).await;
        }
        Ok(Self {
            client,
            session,
            driver,
            dir,
        })
    }

    /// The WebDriver client, for what the helpers here do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The directory holding the profile and chromedriver's log (removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process group of chromedriver and Chromium (chromedriver's pid).
    pub fn process_group(&self) -> u32 {
        self.driver.child.id()
    }

    /// Open `url` and wait for it to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))
    }

    /// The URL of the page shown.
    pub async fn current_url(&self) -> Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// The first element matching `css`, now.
    pub async fn find(&self, css: &str) -> Result<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => Ok(e),
            Err(e) => bail!("no {css:?} on {}: {e}", self.url_for_errors().await),
        }
    }

    /// Clear the field matching `css` and type `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.find(css).await?;
        field
            .clear()
            .await
            .with_context(|| format!("clearing {css:?}"))?;
        field
            .send_keys(text)
            .await
            .with_context(|| format!("typing into {css:?}"))
    }

    /// Click the element matching `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {css:?}"))
    }

    /// The rendered text of the element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String> {
        self.find(css)
            .await?
            .text()
            .await
            .with_context(|| format!("reading the text of {css:?}"))
    }

    /// The attribute `name` of the element matching `css` (`None` when it has none).
    pub async fn attribute(&self, css: &str, name: &str) -> Result<Option<String>> {
        self.find(css)
            .await?
            .attr(name)
            .await
            .with_context(|| format!("reading attribute {name:?} of {css:?}"))
    }

    /// Wait (at most `timeout`) for an element matching `css` to exist.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(e) => return Ok(e),
                Err(e) if Instant::now() >= deadline => {
                    bail!(
                        "no {css:?} on {} within {timeout:?}: {e}",
                        self.url_for_errors().await
                    )
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Wait (at most `timeout`) for the element matching `css` to contain `needle` in its
    /// rendered text, and return that text.
    pub async fn wait_for_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = e.text().await {
                    if text.contains(needle) {
                        return Ok(text);
                    }
                    last = Some(text);
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "{css:?} on {} did not show {needle:?} within {timeout:?}; last text: {}",
                    self.url_for_errors().await,
                    last.map_or("(no such element)".to_owned(), |t| format!("{t:?}")),
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Run `js` as the body of a function in the page and return what it returns (a
    /// returned promise is awaited). Runs whatever the page's Content-Security-Policy.
    pub async fn execute(&self, js: &str) -> Result<Value> {
        self.execute_with(js, Vec::new()).await
    }

    /// [`execute`](Self::execute) with `arguments[0..]` set to `args`.
    pub async fn execute_with(&self, js: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(js, args)
            .await
            .with_context(|| format!("running script {js:?}"))
    }

    /// The cookies the browser holds for the page shown (HttpOnly ones included).
    pub async fn cookies(&self) -> Result<Vec<Cookie<'static>>> {
        self.client
            .get_all_cookies()
            .await
            .context("reading the cookies")
    }

    /// Save a PNG of the window to `<target>/screenshots/<name>.png` and return its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            bail!("screenshot name {name:?} is not a plain file name");
        }
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let dir = crate::process::target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).with_context(|| format!("making {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Post the form matching `form_css` with `fetch()` from the page (same origin, its
    /// cookies sent), as the browser would submit it but without the fields named in
    /// `omit` (e.g. the CSRF token). The page stays as it is; the reply is returned.
    pub async fn post_form(&self, form_css: &str, omit: &[&str]) -> Result<FormReply> {
        const JS: &str = r#"
            const [sel, omit] = arguments;
            const form = document.querySelector(sel);
            if (!form) { throw new Error('no form ' + sel); }
            const data = new FormData(form);
            for (const name of omit) { data.delete(name); }
            const multipart = form.enctype === 'multipart/form-data';
            const body = multipart ? data : new URLSearchParams(data);
            // The attributes, not the properties: a field named `action` or `method`
            // would shadow them.
            const action = new URL(form.getAttribute('action') || '', location.href);
            return fetch(action, {
                method: (form.getAttribute('method') || 'post').toUpperCase(),
                body, credentials: 'same-origin',
            }).then(async r => ({
                status: r.status, url: r.url, redirected: r.redirected, body: await r.text(),
            }));
        "#;
        let v = self
            .execute_with(JS, vec![json!(form_css), json!(omit)])
            .await
            .with_context(|| format!("posting form {form_css:?} without {omit:?}"))?;
        let status = v["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| anyhow!("the form post gave no status: {v}"))?;
        let string = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Ok(FormReply {
            status,
            url: string("url"),
            redirected: v["redirected"].as_bool().unwrap_or(false),
            body: string("body"),
        })
    }

    /// Remove the fields named `field` from the form matching `form_css`, then submit it
    /// the ordinary way (the page navigates to the reply; wait for it with `wait_for`).
    pub async fn submit_form_without(&self, form_css: &str, field: &str) -> Result<()> {
        const JS: &str = r#"
            const [sel, name] = arguments;
            const form = document.querySelector(sel);
            if (!form) { throw new Error('no form ' + sel); }
            for (const el of Array.from(form.elements)) {
                if (el.name === name) { el.remove(); }
            }
            HTMLFormElement.prototype.submit.call(form);
        "#;
        self.execute_with(JS, vec![json!(form_css), json!(field)])
            .await
            .with_context(|| format!("submitting form {form_css:?} without {field:?}"))?;
        Ok(())
    }

    /// Close the session (Chromium quits) and stop chromedriver. Dropping does the same
    /// without reporting errors.
    pub async fn close(mut self) -> Result<()> {
        self.session = None;
        let closed = self.client.clone().close().await;
        drop(self);
        closed.context("closing the WebDriver session")
    }

    /// The page's URL for error messages (or why there is none).
    async fn url_for_errors(&self) -> String {
        match self.client.current_url().await {
            Ok(u) => u.to_string(),
            Err(e) => format!("(no URL: {e})"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromedriver to quit Chromium cleanly (it cannot wait for the async client
        // here: the runtime may be this very thread); the process group goes next anyway.
        if let Some(id) = self.session.take() {
            let path = format!("/session/{id}");
            if let Err(e) = http(self.driver.port, "DELETE", &path, Duration::from_secs(10)) {
                tracing::debug!(error = %e, "closing the WebDriver session");
            }
        }
    }
}

/// A chromedriver in its own process group: killed with all it started when dropped.
#[derive(Debug)]
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    /// Start chromedriver on a free port of 127.0.0.1 and wait until it is ready.
    async fn start(dir: &Path) -> Result<Self> {
        let log = dir.join("chromedriver.log");
        let mut last = None;
        for _ in 0..PORT_TRIES {
            let port = free_port()?;
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                // Chromium keeps its crash database under the config home, not the
                // profile: keep it in the temporary directory too.
                .env("XDG_CONFIG_HOME", dir.join("config"))
                .env("XDG_CACHE_HOME", dir.join("cache"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .with_context(|| {
                    format!("starting {CHROMEDRIVER} (apt-get install chromium chromium-driver)")
                })?;
            let mut driver = Self {
                child,
                port,
                log: log.clone(),
            };
            match driver.wait_ready().await {
                Ok(()) => return Ok(driver),
                // It exited: most likely the port was taken meanwhile; try another.
                Err(e) if driver.child.try_wait().ok().flatten().is_some() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow!("chromedriver did not start")))
    }

    /// Poll `/status` until it answers ready.
    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + DRIVER_START;
        let port = self.port;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "chromedriver on port {port} exited ({status}){}",
                    self.log_tail()
                );
            }
            let reply = tokio::task::spawn_blocking(move || {
                http(port, "GET", "/status", Duration::from_secs(2))
            })
            .await?;
            if let Ok((200, body)) = &reply {
                let ready = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v["value"]["ready"].as_bool());
                if ready == Some(true) {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "chromedriver on port {port} not ready within {DRIVER_START:?} \
                     (last answer: {reply:?}){}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The end of chromedriver's log, to append to an error.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("\nchromedriver log ({}):\n{tail}", self.log.display())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The Chromium processes (now children of init) die a moment later; wait for the
        // group to be gone so the profile is not removed under them.
        let deadline = Instant::now() + Duration::from_secs(3);
        while rustix::process::test_kill_process_group(group).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// One HTTP/1.1 request without body to chromedriver; the status and body of its reply.
fn http(port: u16, method: &str, path: &str, timeout: Duration) -> Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver keeps the connection open after its reply, "Connection: close" or
    // not: read the head, then as many bytes as it announces.
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, body_at) = loop {
        if let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
            break (String::from_utf8_lossy(&reply[..end]).into_owned(), end + 4);
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            bail!("chromedriver closed before the end of its reply's head");
        }
        reply.extend_from_slice(&buf[..n]);
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no status in {head:?}"))?;
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .ok_or_else(|| anyhow!("no Content-Length in {head:?}"))?;
    while reply.len() < body_at + length {
        let n = s.read(&mut buf)?;
        if n == 0 {
            bail!("chromedriver closed before the end of its reply");
        }
        reply.extend_from_slice(&buf[..n]);
    }
    let body = reply.get(body_at..body_at + length).unwrap_or_default();
    Ok((status, String::from_utf8_lossy(body).into_owned()))
}
