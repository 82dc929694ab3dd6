//! A global connection rate limit shared by every target of a scan.
//!
//! Each connection takes the next free slot `1/rate` seconds after the previous one; a slot
//! is reserved under a short lock and waited for outside it, so waiting tasks do not block each
//! other.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Connections per second, evenly spaced.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `per_second` connections per second (must be > 0).
    pub fn new(per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second.max(1e-3)),
            next: Mutex::new(None),
        }
    }

    /// Wait for the next slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_connections() {
        let r = RateLimiter::new(20.0);
        let start = Instant::now();
        for _ in 0..11 {
            r.acquire().await;
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(490) && took < Duration::from_millis(900),
            "{took:?}"
        );
    }
}
