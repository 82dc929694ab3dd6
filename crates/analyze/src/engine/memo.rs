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

/// A multiply-rotate hash over eight bytes at a time (the FxHash step): host names are
/// short, and SipHash's rounds would cost more than the lookup.
#[derive(Default)]
pub struct WordHash(u64);

impl WordHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// Name → answer, bounded.
#[derive(Default)]
pub struct Memo<V> {
    map: HashMap<Box<[u8]>, V, BuildHasherDefault<WordHash>>,
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
