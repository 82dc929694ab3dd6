//! Per-thread memo for pure lookups keyed by a host name.
//!
//! The trust walk, the continuity check, the role rules and the verdict ask the same
//! questions of the same few names (a hop's `by`, rDNS and HELO) dozens of times per
//! message, and consecutive messages share their receivers. The answers depend on the name
//! alone, so each worker thread keeps them in a small table; it is emptied when it grows
//! past [`CAPACITY`] names, so memory stays flat whatever the input.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Most names a memo holds before it starts over.
pub const CAPACITY: usize = 4096;

/// FNV-1a: host names are short, and SipHash's set-up would cost more than the lookup.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Name → answer, bounded.
#[derive(Default)]
pub struct Memo<V> {
    map: HashMap<Box<[u8]>, V, BuildHasherDefault<Fnv>>,
}

impl<V: Clone> Memo<V> {
    /// The memoised answer for `key`, computing it with `f` the first time.
    pub fn get_or(&mut self, key: &[u8], f: impl FnOnce() -> V) -> V {
        if let Some(v) = self.map.get(key) {
            return v.clone();
        }
        let v = f();
        if self.map.len() >= CAPACITY {
            self.map.clear();
        }
        self.map.insert(key.into(), v.clone());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_once_and_stays_bounded() {
        let mut m: Memo<usize> = Memo::default();
        let mut calls = 0;
        for _ in 0..3 {
            let v = m.get_or(b"mx.example.org", || {
                calls += 1;
                14
            });
            assert_eq!(v, 14);
        }
        assert_eq!(calls, 1);
        for i in 0..CAPACITY * 2 {
            m.get_or(format!("h{i}.example").as_bytes(), || i);
        }
        assert!(m.map.len() <= CAPACITY);
    }
}
