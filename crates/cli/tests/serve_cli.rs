//! `relayhunt serve` as people start it: the real binary on a free loopback port, spoken to
//! over TCP with plain HTTP/1.1 — a page, an analysis kept in the store and shown on the
//! relay's page, and uploads over `--max-upload`, declared and chunked, refused with 413.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_relayhunt");
const MAX_UPLOAD: usize = 64 * 1024;

/// The server process, killed when the test ends (pass or fail).
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free right now (the OS picks it; the listener is closed again).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start `relayhunt serve` on a free port with a store in `dir`; wait until it answers.
fn start(dir: &Path) -> Server {
    for _attempt in 0..5 {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(BIN)
            .args(["serve", "--listen", &addr.to_string()])
            .args(["--max-upload", &MAX_UPLOAD.to_string()])
            .arg("--db")
            .arg(dir.join("store.sqlite"))
            .env("HOME", dir)
            .env_remove("RELAYHUNT_DB")
            .env("RELAYHUNT_CONFIG", dir.join("none.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start relayhunt serve");
        let mut server = Server { child, addr };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = server.child.try_wait() {
                break; // the port was taken in between: try another
            }
            if TcpStream::connect(addr).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = server.child.kill();
    }
    panic!("relayhunt serve did not start listening on loopback");
}

/// One HTTP/1.1 exchange (`Connection: close`): status and body.
fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before it has read all; a write error then is expected.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        b"",
    )
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, String) {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
        body,
    )
}

/// `body` as HTTP/1.1 chunks of 4 KiB, with the terminating chunk.
fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(4096) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn post_chunked(addr: SocketAddr, path: &str, ctype: &str, body: &[u8]) -> (u16, String) {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        &chunked(body),
    )
}

fn seed() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/seed-relay.eml"
    ))
    .unwrap()
}

#[test]
fn serve_answers_on_loopback_keeps_analyses_and_refuses_oversized_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let addr = server.addr;

    let (status, home) = get(addr, "/");
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("Analyze a message"), "{home}");
    assert!(
        home.contains(r#"name="store""#),
        "the form offers the store"
    );

    // An analysis kept in the store shows on the relay's page.
    let (status, created) = post(addr, "/api/analyze?store=1", &seed());
    assert_eq!(status, 201, "{created}");
    let v: serde_json::Value = serde_json::from_str(&created).unwrap();
    assert_eq!(v["analysis"]["stored"]["new"], true);
    let (status, relay) = get(addr, "/relays/198.51.100.25");
    assert_eq!(status, 200);
    assert!(
        relay.contains(r#"<td id="message-count">1</td>"#),
        "{relay}"
    );

    // Over --max-upload: declared, and chunked (form and API).
    let mut big = seed();
    big.extend(std::iter::repeat_n(b'x', MAX_UPLOAD + 16 * 1024));
    let (status, _) = post(addr, "/api/analyze", &big);
    assert_eq!(status, 413);
    let (status, body) = post_chunked(addr, "/api/analyze", "message/rfc822", &big);
    assert_eq!(status, 413, "{body}");
    let boundary = "relayhunt-serve-test";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"eml\"; filename=\"big.eml\"\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&big);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, body) = post_chunked(
        addr,
        "/analyze",
        &format!("multipart/form-data; boundary={boundary}"),
        &form,
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too large"), "{body}");
    // Chunked within the limit is analysed.
    let (status, body) = post_chunked(addr, "/api/analyze", "message/rfc822", &seed());
    assert_eq!(status, 201, "{body}");
    // Still serving.
    assert_eq!(get(addr, "/relays").0, 200);
}
