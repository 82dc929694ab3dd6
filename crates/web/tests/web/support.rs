//! Shared helpers: corpus paths, an app with a fixed clock, requests through the router,
//! multipart bodies, a tag scanner that lists the markup a page really contains.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use relayhunt_analyze::owner::{OwnerAnswer, OwnerLookup};
use relayhunt_takedown::config::Reporter;
use relayhunt_takedown::owner::{AbuseContact, Confidence, ContactSource, Owner};
use relayhunt_web::{AppState, Options};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

/// A corpus message by path below `corpus/` in the shared data (`../shared`, or
/// `$RELAYHUNT_SHARED`); `None` (the test returns, printed as skipped) on a clone without
/// it, a failure when CI requires it (`RELAYHUNT_REQUIRE_SHARED=1`).
pub fn corpus(rel: &str) -> Option<PathBuf> {
    relayhunt_testdata::shared(&format!("corpus/{rel}"))
}

/// A bundled sample message.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/").to_string() + name)
        .expect("sample")
}

/// Analysis time of the tests: 2026-12-01 00:00:00 UTC.
pub const NOW: i64 = 1_796_083_200;

/// An owner lookup answering from a table (the real RDAP/whois lookup is tested in the
/// takedown crate against loopback fixture servers).
pub struct TableOwner(pub Vec<(IpAddr, Owner)>);

impl OwnerLookup for TableOwner {
    fn lookup(&self, ip: IpAddr) -> Result<OwnerAnswer, String> {
        let o = self
            .0
            .iter()
            .find(|(i, _)| *i == ip)
            .map(|(_, o)| o.clone())
            .ok_or_else(|| format!("no registry answer for {ip}"))?;
        Ok(OwnerAnswer {
            summary: format!(
                "{} ({})",
                o.org.clone().unwrap_or_default(),
                o.cidrs.first().map(|c| c.to_string()).unwrap_or_default()
            ),
            owner: serde_json::to_value(&o).unwrap(),
        })
    }
}

/// An owner record for `ip` with `abuse` as its RDAP abuse contact.
pub fn owner(ip: &str, org: &str, abuse: &str) -> (IpAddr, Owner) {
    let ip: IpAddr = ip.parse().unwrap();
    (
        ip,
        Owner {
            query: ip.to_string(),
            cidrs: vec![format!("{ip}/24").parse::<ipnet::IpNet>().unwrap().trunc()],
            org: Some(org.to_string()),
            country: Some("NL".to_string()),
            abuse: vec![AbuseContact {
                email: abuse.to_string(),
                source: ContactSource::RdapAbuseRole,
                confidence: Confidence::High,
                found_at: "RDAP entity ABUSE1, roles abuse".to_string(),
            }],
            ..Owner::default()
        },
    )
}

/// The reporter identity tests sign reports with.
pub fn reporter() -> Reporter {
    Reporter {
        name: Some("Test Analyst".into()),
        email: "analyst@soc.example".into(),
        org: Some("Example SOC".into()),
    }
}

/// State with the test clock, a reporter, and `owners` as the lookup (none when empty).
pub fn state_with(options: Options, owners: Vec<(IpAddr, Owner)>) -> Arc<AppState> {
    let lookup: Option<Arc<dyn OwnerLookup + Send + Sync>> = if owners.is_empty() {
        None
    } else {
        Some(Arc::new(TableOwner(owners)))
    };
    Arc::new(AppState::new(
        Options {
            now: Some(NOW),
            ..options
        },
        lookup,
        Ok(reporter()),
    ))
}

/// Default state.
pub fn state() -> Arc<AppState> {
    state_with(Options::default(), Vec::new())
}

/// Where the stores of a test live: SQLite files in a temporary folder, or databases in a
/// throwaway PostgreSQL cluster on loopback. Each [`Stores::state`] gets a fresh, empty one.
pub enum Stores {
    /// SQLite files in this folder.
    Sqlite(tempfile::TempDir),
    /// Databases in this cluster.
    Postgres(relayhunt_pg_fixture::Cluster),
}

/// Numbers the stores of one test binary, so no two scenarios share one.
static NEXT_STORE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

impl Stores {
    /// SQLite files in a new temporary folder.
    pub fn sqlite() -> Stores {
        Stores::Sqlite(tempfile::tempdir().unwrap())
    }

    /// A new PostgreSQL cluster, or `None` (skip said on stderr) when PostgreSQL is not
    /// installed and CI does not require it (`RELAYHUNT_REQUIRE_MTAS=1`).
    pub fn postgres() -> Option<Stores> {
        relayhunt_pg_fixture::Cluster::start().map(Stores::Postgres)
    }

    /// State with the test clock and a fresh, empty store.
    pub fn state(&self, options: Options) -> Arc<AppState> {
        let n = NEXT_STORE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let target = match self {
            Stores::Sqlite(dir) => dir
                .path()
                .join(format!("store-{n}.sqlite"))
                .display()
                .to_string(),
            Stores::Postgres(pg) => pg.database(&format!("web_{n}")),
        };
        let store = relayhunt_store::Store::open(&target)
            .unwrap_or_else(|e| panic!("open a fresh store at {target}: {e}"));
        let st = AppState::new(
            Options {
                now: Some(NOW),
                ..options
            },
            None,
            Ok(reporter()),
        )
        .with_store(store);
        Arc::new(st)
    }
}

/// State with the test clock and a fresh SQLite store (its folder kept alive by the
/// returned guard).
pub fn state_with_store(options: Options) -> (Arc<AppState>, Stores) {
    let stores = Stores::sqlite();
    (stores.state(options), stores)
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

/// Send `req` (Host defaults to the loopback address) through a fresh router on `state`.
pub async fn send(state: &Arc<AppState>, mut req: Request<Body>) -> Reply {
    if !req.headers().contains_key(header::HOST) {
        req.headers_mut()
            .insert(header::HOST, "127.0.0.1:8025".parse().unwrap());
    }
    let app: Router = relayhunt_web::router(state.clone());
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET uri`.
pub async fn get(state: &Arc<AppState>, uri: &str) -> Reply {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A multipart/form-data body: `(field, file name, bytes)`; returns (content type, body).
pub fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----relayhunt-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, bytes) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: message/rfc822\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Post the form as the page does; returns the reply (a 303 to the analysis on success).
pub async fn post_form(state: &Arc<AppState>, fields: &[(&str, Option<&str>, &[u8])]) -> Reply {
    let (ctype, body) = multipart(fields);
    send(
        state,
        Request::post("/analyze")
            .header(header::CONTENT_TYPE, ctype)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// Upload `raw` as a file and return the analysis page URL.
pub async fn upload(state: &Arc<AppState>, raw: &[u8]) -> String {
    let r = post_form(
        state,
        &[("headers", None, b""), ("eml", Some("msg.eml"), raw)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.header("location")
}

/// Upload `raw` as a file with "Keep in the store" ticked; returns the analysis page URL.
pub async fn upload_and_keep(state: &Arc<AppState>, raw: &[u8]) -> String {
    let r = post_form(
        state,
        &[
            ("headers", None, b""),
            ("eml", Some("msg.eml"), raw),
            ("store", None, b"1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.header("location")
}

/// One start tag as found in markup: its name and attributes (names lower-cased, values
/// as written, entities left in).
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

/// Every start tag in `markup`, the way a browser's tokenizer would see them. Escaped text
/// (`&lt;script&gt;`) yields nothing, so a payload that became markup shows up here.
pub fn tags(markup: &str) -> Vec<Tag> {
    let b = markup.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' && i + 1 < b.len() && b[i + 1].is_ascii_alphabetic() {
            let mut j = i + 1;
            while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
                j += 1;
            }
            let name = markup[i + 1..j].to_ascii_lowercase();
            let mut attrs = Vec::new();
            // Attributes up to the closing `>`, honouring quotes.
            while j < b.len() && b[j] != b'>' {
                if b[j].is_ascii_whitespace() || b[j] == b'/' {
                    j += 1;
                    continue;
                }
                let start = j;
                while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'=' && b[j] != b'>' {
                    j += 1;
                }
                let attr = markup[start..j].to_ascii_lowercase();
                let mut value = String::new();
                if j < b.len() && b[j] == b'=' {
                    j += 1;
                    if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                        let q = b[j];
                        j += 1;
                        let vs = j;
                        while j < b.len() && b[j] != q {
                            j += 1;
                        }
                        value = markup[vs..j.min(b.len())].to_string();
                        j += 1;
                    } else {
                        let vs = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        value = markup[vs..j].to_string();
                    }
                }
                attrs.push((attr, value));
            }
            out.push(Tag { name, attrs });
            i = j;
        } else {
            i += 1;
        }
    }
    out
}
