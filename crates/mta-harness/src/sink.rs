//! A minimal loopback SMTP sink for daemons under test to deliver to: it accepts every
//! message and keeps it in memory (bounded), so tests can see what a relay delivered.
//! Bounded: at most 64 messages of 1 MiB each are kept; each session times out after 30 s.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MAX_MESSAGES: usize = 64;
const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// A running sink on 127.0.0.1. The listener thread lives as long as the process.
#[derive(Debug, Clone)]
pub struct Sink {
    /// The port daemons should deliver to.
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    /// Start a sink on a free loopback port.
    pub fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &store);
                });
            }
        });
        Ok(Self { port, messages })
    }

    /// Messages received so far (DATA contents).
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Wait until a message containing `needle` arrives, up to `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| m.contains(needle)) {
                return Some(m);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn serve(stream: TcpStream, store: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(std::io::Read::take(
        stream.try_clone()?,
        8 * MAX_MESSAGE_BYTES as u64,
    ));
    let mut w = stream;
    w.write_all(b"220 sink.relayhunt.test ESMTP\r\n")?;
    let mut in_data = false;
    let mut message = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if in_data {
            if line == ".\r\n" || line == ".\n" {
                in_data = false;
                w.write_all(b"250 2.0.0 kept\r\n")?;
                if let Ok(mut m) = store.lock() {
                    if m.len() < MAX_MESSAGES {
                        m.push(std::mem::take(&mut message));
                    }
                }
                message.clear();
            } else if message.len() < MAX_MESSAGE_BYTES {
                message.push_str(&line);
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => w.write_all(b"250-sink.relayhunt.test\r\n250 8BITMIME\r\n")?,
            "DATA" => {
                in_data = true;
                w.write_all(b"354 go ahead\r\n")?
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => w.write_all(b"250 ok\r\n")?,
        }
    }
}
