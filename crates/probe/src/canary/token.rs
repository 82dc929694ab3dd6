//! Canary tokens: `RH-CANARY-` followed by 20 lowercase hex digits, unique per message.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Every token starts with this.
pub const PREFIX: &str = "RH-CANARY-";
const HEX_LEN: usize = 20;

/// A fresh token. Uniqueness comes from a per-process random key, the clock and a counter;
/// tokens are identifiers, not secrets.
pub fn new_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(n);
    h.write_u64(nanos);
    let a = h.finish();
    h.write_u64(a ^ 0x9e37_79b9_7f4a_7c15);
    let b = h.finish();
    let hex = format!("{a:016x}{b:016x}");
    format!("{PREFIX}{}", &hex[..HEX_LEN])
}

/// All distinct tokens found in `text` (case-insensitive prefix, hex digits folded to lower).
pub fn find_tokens(text: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let prefix = PREFIX.as_bytes();
    let mut i = 0;
    while i + prefix.len() + HEX_LEN <= text.len() {
        if text[i..i + prefix.len()].eq_ignore_ascii_case(prefix) {
            let hex = &text[i + prefix.len()..i + prefix.len() + HEX_LEN];
            let followed_by_hex = text
                .get(i + prefix.len() + HEX_LEN)
                .is_some_and(u8::is_ascii_hexdigit);
            if hex.iter().all(u8::is_ascii_hexdigit) && !followed_by_hex {
                let token = format!(
                    "{PREFIX}{}",
                    String::from_utf8_lossy(hex).to_ascii_lowercase()
                );
                if !out.contains(&token) {
                    out.push(token);
                }
                i += prefix.len() + HEX_LEN;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_findable() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), PREFIX.len() + HEX_LEN);
        let text = format!("Subject: relayhunt canary {a}\r\n\r\nbody {b} and again {a}\r\n");
        assert_eq!(find_tokens(text.as_bytes()), vec![a, b]);
    }

    #[test]
    fn rejects_near_misses() {
        assert!(find_tokens(b"RH-CANARY-0123456789abcdef012").is_empty());
        assert!(find_tokens(b"RH-CANARY-0123456789abcdef0123456").is_empty());
        assert!(find_tokens(b"RH-CANARY-0123456789abcdefg123").is_empty());
        assert_eq!(
            find_tokens(b"x rh-canary-0123456789ABCDEF0123 y"),
            vec!["RH-CANARY-0123456789abcdef0123".to_string()]
        );
    }
}
