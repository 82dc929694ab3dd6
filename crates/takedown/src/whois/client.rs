//! The real whois client: one TCP exchange per query, bounded in time and bytes.
//!
//! Written here rather than taken from a crate because the two limits that matter against
//! a slow or endless server — one deadline for the whole exchange and a byte cap — must
//! hold for every read, and because tests must be able to route a registry's name to a
//! loopback fixture (`routes`).

use super::{WhoisError, WhoisQuery};
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The real whois client.
#[derive(Debug, Clone)]
pub struct TcpWhois {
    /// Whole-exchange deadline.
    pub timeout: Duration,
    /// Largest answer accepted.
    pub max_bytes: usize,
    /// Server name → `host:port` to connect to instead (tests, private mirrors).
    pub routes: HashMap<String, String>,
    /// Contact only servers listed in `routes`; any other referral fails.
    pub only_routes: bool,
}

impl Default for TcpWhois {
    fn default() -> Self {
        TcpWhois {
            timeout: Duration::from_secs(15),
            max_bytes: 512 * 1024,
            routes: HashMap::new(),
            only_routes: false,
        }
    }
}

impl TcpWhois {
    fn address(&self, server: &str) -> String {
        let key = server.to_ascii_lowercase();
        if let Some(a) = self.routes.get(&key) {
            return a.clone();
        }
        if key.contains(':') && !key.starts_with('[') && key.matches(':').count() == 1 {
            key
        } else {
            format!("{key}:43")
        }
    }

    async fn exchange(&self, addr: &str, server: &str, query: &str) -> Result<String, WhoisError> {
        let mut sock =
            tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| WhoisError::Connect {
                    server: server.to_string(),
                    reason: e.to_string(),
                })?;
        let io = |e: std::io::Error| WhoisError::Io {
            server: server.to_string(),
            reason: e.to_string(),
        };
        sock.write_all(format!("{query}\r\n").as_bytes())
            .await
            .map_err(io)?;
        let mut out = Vec::with_capacity(8192);
        let mut buf = [0u8; 8192];
        loop {
            let n = sock.read(&mut buf).await.map_err(io)?;
            if n == 0 {
                break;
            }
            if out.len() + n > self.max_bytes {
                return Err(WhoisError::TooLarge {
                    server: server.to_string(),
                    limit: self.max_bytes,
                });
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

impl WhoisQuery for TcpWhois {
    async fn query(&self, server: &str, query: &str) -> Result<String, WhoisError> {
        if query.chars().any(char::is_control) {
            return Err(WhoisError::BadQuery(query.to_string()));
        }
        if self.only_routes && !self.routes.contains_key(&server.to_ascii_lowercase()) {
            return Err(WhoisError::Connect {
                server: server.to_string(),
                reason: "not in the whois routes, and only routed servers may be asked".into(),
            });
        }
        let addr = self.address(server);
        match tokio::time::timeout(self.timeout, self.exchange(&addr, server, query)).await {
            Ok(r) => r,
            Err(_) => Err(WhoisError::Timeout {
                server: server.to_string(),
                secs: self.timeout.as_secs_f64(),
            }),
        }
    }
}
