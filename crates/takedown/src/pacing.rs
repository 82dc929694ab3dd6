//! Politeness: a minimum interval between queries to the same server.
//!
//! Registries rate-limit and some block clients that hammer them (RIPE and ARIN publish
//! query limits). A batch waits here rather than getting itself banned.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-server pacing.
#[derive(Debug, Default)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// At most one query per `interval` to each server.
    pub fn new(interval: Duration) -> Self {
        Pacer {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Wait until a query to `server` is allowed, and book the slot.
    pub async fn wait(&self, server: &str) {
        if self.interval.is_zero() {
            return;
        }
        let until = {
            let Ok(mut m) = self.next.lock() else { return };
            let now = Instant::now();
            let slot = m.get(server).copied().filter(|t| *t > now).unwrap_or(now);
            m.insert(server.to_string(), slot + self.interval);
            slot
        };
        tokio::time::sleep_until(until.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_query_to_a_server_waits_the_interval_other_servers_do_not() {
        let p = Pacer::new(Duration::from_millis(150));
        let t = Instant::now();
        p.wait("whois.ripe.net").await;
        p.wait("whois.arin.net").await;
        assert!(t.elapsed() < Duration::from_millis(100));
        p.wait("whois.ripe.net").await;
        assert!(
            t.elapsed() >= Duration::from_millis(140),
            "{:?}",
            t.elapsed()
        );
    }
}
