//! Loopback fixture servers for the takedown tests: HTTP (RDAP) and whois (port-43 style).
//!
//! Both run on std threads bound to 127.0.0.1:0 so they serve whatever runtime the test
//! uses, and record what they were asked so tests can prove caching and referrals.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(rel)
}

pub fn read(rel: &str) -> String {
    std::fs::read_to_string(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// One canned HTTP answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sleep before answering (slow-server tests).
    pub delay: Duration,
    /// Send the body without Content-Length, closing the connection at the end.
    pub until_close: bool,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/rdap+json".into())],
            body: body.into(),
            delay: Duration::ZERO,
            until_close: false,
        }
    }
    pub fn redirect(location: String) -> Self {
        Reply {
            status: 301,
            headers: vec![("Location".into(), location)],
            body: Vec::new(),
            delay: Duration::ZERO,
            until_close: false,
        }
    }
}

/// A loopback HTTP/1.1 server answering by exact path.
pub struct HttpFixture {
    pub addr: SocketAddr,
    pub hits: Arc<Mutex<Vec<String>>>,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
}

impl HttpFixture {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let (h, r) = (hits.clone(), routes.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (h, r) = (h.clone(), r.clone());
                std::thread::spawn(move || serve_http(conn, h, r));
            }
        });
        HttpFixture { addr, hits, routes }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

fn serve_http(
    conn: TcpStream,
    hits: Arc<Mutex<Vec<String>>>,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = percent_decode(line.split_whitespace().nth(1).unwrap_or("/"));
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
        }
        hits.lock().unwrap().push(path.clone());
        let reply = routes.lock().unwrap().get(&path).cloned().unwrap_or_else(|| {
            Reply::json(404, format!(r#"{{"errorCode":404,"title":"Not Found","description":["no fixture for {path}"]}}"#))
        });
        std::thread::sleep(reply.delay);
        let mut head = format!("HTTP/1.1 {} Fixture\r\n", reply.status);
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if reply.until_close {
            head.push_str("Connection: close\r\n\r\n");
        } else {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
        }
        if out.write_all(head.as_bytes()).is_err() {
            return;
        }
        for chunk in reply.body.chunks(64 * 1024) {
            if out.write_all(chunk).is_err() {
                return;
            }
        }
        if reply.until_close {
            return;
        }
    }
}

/// A loopback whois server: answers by exact query line, records every query.
pub struct WhoisFixture {
    pub addr: SocketAddr,
    pub queries: Arc<Mutex<Vec<String>>>,
}

impl WhoisFixture {
    /// `answers`: query line → answer text. `delay`: before answering. `flood`: bytes of
    /// garbage sent instead of any answer (oversized-response tests).
    pub fn start(answers: HashMap<String, String>, delay: Duration, flood: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let queries = Arc::new(Mutex::new(Vec::new()));
        let q = queries.clone();
        let answers = Arc::new(answers);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (q, answers) = (q.clone(), answers.clone());
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let mut byte = [0u8; 1];
                    while conn.read(&mut byte).unwrap_or(0) == 1
                        && byte[0] != b'\n'
                        && buf.len() < 4096
                    {
                        buf.push(byte[0]);
                    }
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches('\r')
                        .to_string();
                    q.lock().unwrap().push(line.clone());
                    std::thread::sleep(delay);
                    if flood > 0 {
                        let junk = vec![b'x'; 64 * 1024];
                        let mut sent = 0;
                        while sent < flood && conn.write_all(&junk).is_ok() {
                            sent += junk.len();
                        }
                        return;
                    }
                    let text = answers
                        .get(&line)
                        .cloned()
                        .unwrap_or_else(|| format!("% No entries found for {line}\n"));
                    let _ = conn.write_all(text.as_bytes());
                });
            }
        });
        WhoisFixture { addr, queries }
    }

    pub fn queries(&self) -> Vec<String> {
        self.queries.lock().unwrap().clone()
    }
}

/// Decode `%XX` escapes in a request path, as an HTTP server does before routing.
fn percent_decode(p: &str) -> String {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&p[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
