//! Federations whose nodes serve the officers' console, for the console's tests and the
//! demo: `[console]` on 127.0.0.1:0 in each chosen node's configuration, and three
//! officers on each (`admin`, `officer` (sender), `reader`) with [`PASSWORD`].

use anyhow::{Context, Result};
use cordon_common::ids::Role;
use cordon_node::officers::{OfficerBook, OfficerRole};

use crate::federation::Federation;

/// The password of every test and demo officer.
pub const PASSWORD: &str = "correct horse battery";

/// The officers put on each console node: name and role.
pub const OFFICERS: [(&str, OfficerRole); 3] = [
    ("admin", OfficerRole::Admin),
    ("officer", OfficerRole::Sender),
    ("reader", OfficerRole::Reader),
];

/// Start a federation of `ids` whose nodes `consoles` serve the console.
pub async fn start(policy: &str, ids: &[(&str, Role)], consoles: &[&str]) -> Result<Federation> {
    let mut fed = Federation::prepare(policy, ids).await?;
    for id in consoles {
        let path = fed
            .configs
            .get(*id)
            .with_context(|| format!("no node {id}"))?
            .clone();
        let mut text = std::fs::read_to_string(&path)?;
        text.push_str("\n[console]\nlisten = \"127.0.0.1:0\"\n");
        std::fs::write(&path, text)?;
        let config = cordon_node::NodeConfig::load(&path)?;
        std::fs::create_dir_all(&config.data_dir)?;
        let book = OfficerBook::new(config.officers_path());
        for (name, role) in OFFICERS {
            book.add(name, role, PASSWORD)?;
        }
    }
    for (id, _) in ids {
        fed.start_node(id).await?;
    }
    Ok(fed)
}

/// The console address of node `id` (`http://127.0.0.1:PORT`).
pub fn url(fed: &Federation, id: &str) -> Result<String> {
    let addr = fed
        .node(id)?
        .console_addr()
        .with_context(|| format!("{id} serves no console"))?;
    Ok(format!("http://{addr}"))
}

/// An answer to [`request`].
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers (names lower case).
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Answer {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request to a console, as a browser without script would send it:
/// `headers` are added as given (`Cookie`, `Host`, `Origin`...); `form` is sent
/// urlencoded with POST.
pub async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: Option<&str>,
) -> Result<Answer> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = form.unwrap_or_default();
    if form.is_some() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut raw),
    )
    .await
    .context("the console did not answer within 20 s")??;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").context("no header end")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// Log in as `name`; the session cookie (`cordon_session=…`).
pub async fn login(base: &str, name: &str, password: &str) -> Result<String> {
    let form = format!(
        "name={}&password={}",
        name.replace(' ', "+"),
        password.replace(' ', "+")
    );
    let a = request(base, "POST", "/login", &[], Some(&form)).await?;
    anyhow::ensure!(a.status == 303, "login as {name}: status {}", a.status);
    let cookie = a
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .context("no session cookie")?;
    Ok(cookie.to_owned())
}

/// The CSRF token in a page (its hidden `csrf` field).
pub fn csrf_of(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\" value=\"")?;
    let rest = &page[at + 19..];
    Some(rest[..rest.find('"')?].to_owned())
}
