//! IP addresses as JSON strings, written as their `Display` forms write them (serde's form
//! for human-readable formats), without going through `fmt`: a report names a few
//! addresses per hop, and `fmt` (a `Display` into a buffer, then the copy) cost more than
//! the rest of the hop's rendering.
//!
//! IPv6 follows the standard library's rules (RFC 5952 §4): lowercase hex groups without
//! leading zeros, the first longest run of two or more zero groups as `::`, and
//! IPv4-mapped addresses (`::ffff:0:0/96`) with a dotted tail. The tests compare with
//! `Display` over every pattern of zero groups.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The decimal text of every octet: three digit slots, then how many are used.
const OCTETS: [[u8; 4]; 256] = {
    let mut table = [[0u8; 4]; 256];
    let mut v = 0;
    while v < 256 {
        let (h, t, u) = ((v / 100) as u8, (v / 10 % 10) as u8, (v % 10) as u8);
        table[v] = match v {
            0..=9 => [b'0' + u, 0, 0, 1],
            10..=99 => [b'0' + t, b'0' + u, 0, 2],
            _ => [b'0' + h, b'0' + t, b'0' + u, 3],
        };
        v += 1;
    }
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The quoted text of one address (at most 41 bytes: `"` + 39 + `"`), built with fixed-size
/// writes and appended in one piece.
struct Text {
    bytes: [u8; 48],
    len: usize,
}

impl Text {
    #[inline(always)]
    fn new() -> Self {
        Text {
            bytes: [b'"'; 48],
            len: 1,
        }
    }

    /// Write all of `chunk`, keep its first `used` bytes (the rest is overwritten next).
    #[inline(always)]
    fn put<const N: usize>(&mut self, chunk: [u8; N], used: usize) {
        if let Some(slot) = self.bytes.get_mut(self.len..self.len + N) {
            slot.copy_from_slice(&chunk);
            self.len += used;
        }
    }

    fn ipv4(&mut self, ip: Ipv4Addr) {
        let [a, b, c, d] = ip.octets().map(|octet| OCTETS[usize::from(octet)]);
        for (k, [x, y, z, used]) in [a, b, c, d].into_iter().enumerate() {
            if k > 0 {
                self.put([b'.'], 1);
            }
            self.put([x, y, z], usize::from(used));
        }
    }

    /// `group` in lowercase hex without leading zeros (`{:x}`).
    #[inline(always)]
    fn hex(&mut self, group: u16) {
        let digits = (16 - group.leading_zeros()).div_ceil(4).max(1);
        // The first digit in the top nibble.
        let g = group << (4 * (4 - digits));
        let text = [12, 8, 4, 0].map(|shift| HEX[usize::from((g >> shift) as u8 & 0xf)]);
        self.put(text, digits as usize);
    }

    /// Groups separated by `:`.
    fn groups(&mut self, groups: &[u16]) {
        if let Some((first, tail)) = groups.split_first() {
            self.hex(*first);
            for &group in tail {
                self.put([b':'], 1);
                self.hex(group);
            }
        }
    }

    fn ipv6(&mut self, ip: Ipv6Addr) {
        if let Some(v4) = ip.to_ipv4_mapped() {
            self.put(*b"::ffff:", 7);
            return self.ipv4(v4);
        }
        let groups = ip.segments();
        // The first longest run of zero groups (`start`, `len`).
        let (mut longest, mut current) = ((0, 0), (0, 0));
        for (k, &group) in groups.iter().enumerate() {
            if group == 0 {
                if current.1 == 0 {
                    current.0 = k;
                }
                current.1 += 1;
                if current.1 > longest.1 {
                    longest = current;
                }
            } else {
                current = (0, 0);
            }
        }
        let (start, len) = longest;
        if len > 1 {
            self.groups(&groups[..start]);
            self.put(*b"::", 2);
            self.groups(&groups[start + len..]);
        } else {
            self.groups(&groups);
        }
    }

    /// Close the quotes and append: the whole buffer (a fixed-size copy), cut to the text.
    #[inline(always)]
    fn finish(mut self, out: &mut Vec<u8>) {
        self.put([b'"'], 1);
        let end = out.len() + self.len;
        out.extend_from_slice(&self.bytes);
        out.truncate(end);
    }
}

/// Append `ip` as a JSON string (it never needs an escape).
pub fn write_ip(out: &mut Vec<u8>, ip: IpAddr) {
    let mut text = Text::new();
    match ip {
        IpAddr::V4(v4) => text.ipv4(v4),
        IpAddr::V6(v6) => text.ipv6(v6),
    }
    text.finish(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(ip: IpAddr) {
        let mut out = Vec::new();
        write_ip(&mut out, ip);
        assert_eq!(String::from_utf8(out).unwrap(), format!("\"{ip}\""));
    }

    #[test]
    fn every_ipv4_octet_in_every_position() {
        for v in 0..=255u8 {
            for k in 0..4 {
                let mut octets = [1, 22, 133, 4];
                octets[k] = v;
                same(IpAddr::from(octets));
            }
        }
    }

    #[test]
    fn every_pattern_of_zero_groups_as_display_writes_it() {
        // Each of the 256 patterns of zero and non-zero groups (where the `::` goes), with
        // non-zero groups of one to four hex digits, and each pattern under `::ffff:0:0/96`.
        let values = [0x1u16, 0xa, 0xff, 0x100, 0xabc, 0x1000, 0xffff, 0xdb8];
        for pattern in 0u32..256 {
            for shift in 0..values.len() {
                let groups: [u16; 8] = std::array::from_fn(|k| {
                    if pattern >> k & 1 == 1 {
                        values[(k + shift) % values.len()]
                    } else {
                        0
                    }
                });
                same(IpAddr::from(groups));
            }
        }
        for tail in [
            [0u16, 0],
            [0, 1],
            [0xc000, 0x0201],
            [0xffff, 0xffff],
            [1, 0],
        ] {
            for head in [0u16, 0xffff, 1] {
                same(IpAddr::from([0, 0, 0, 0, 0, head, tail[0], tail[1]]));
            }
        }
    }
}
