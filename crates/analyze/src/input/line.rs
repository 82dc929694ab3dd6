//! Bounded line reading for streaming inputs (mbox, stdin).
//!
//! `BufRead::read_until` grows its buffer without limit, so one 2 GiB line would take 2 GiB
//! of memory. These helpers keep at most a caller-given number of bytes and skip the rest,
//! and find line ends eight bytes at a time because every byte of a mailbox passes here.

use std::io::{self, BufRead};

/// Position of the first `needle` in `hay`, scanning a machine word at a time.
pub fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut start = 0;
    for chunk in hay.chunks_exact(8) {
        let word = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]) ^ pattern;
        // A zero byte in `word` marks a match (classic "has zero byte" test).
        if word.wrapping_sub(LO) & !word & HI != 0 {
            break;
        }
        start += 8;
    }
    hay[start..]
        .iter()
        .position(|&b| b == needle)
        .map(|p| p + start)
}

/// Outcome of reading one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRead {
    /// Bytes consumed from the reader (the whole line including `\n`); 0 at end of input.
    pub consumed: usize,
    /// True when part of the line was not stored because `out` reached its limit.
    pub clipped: bool,
}

/// Append one line (through its `\n`) to `out`, never letting `out` grow past `limit`
/// bytes; the part of the line that does not fit is consumed and dropped.
pub fn read_line_bounded<R: BufRead>(
    reader: &mut R,
    out: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    let mut read = LineRead {
        consumed: 0,
        clipped: false,
    };
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(read);
        }
        let (len, done) = match find_byte(buf, b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = limit.saturating_sub(out.len());
        let keep = len.min(room);
        out.extend_from_slice(&buf[..keep]);
        read.clipped |= keep < len;
        read.consumed += len;
        reader.consume(len);
        if done {
            return Ok(read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_matches_naive_search() {
        let hay: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        for needle in [0u8, 10, 13, 200, 250, 255] {
            for start in 0..20 {
                assert_eq!(
                    find_byte(&hay[start..], needle),
                    hay[start..].iter().position(|&b| b == needle),
                    "needle {needle} start {start}"
                );
            }
        }
        assert_eq!(find_byte(b"", b'\n'), None);
        assert_eq!(find_byte(b"abcdefgh\n", b'\n'), Some(8));
        assert_eq!(
            find_byte(b"\x80\x80\x80\x80\x80\x80\x80\x80\x0b\n", b'\n'),
            Some(9)
        );
    }

    #[test]
    fn long_lines_are_clipped_not_buffered() {
        let data = format!("{}\nshort\n", "x".repeat(100_000));
        let mut r = io::BufReader::with_capacity(64, data.as_bytes());
        let mut out = Vec::new();
        let first = read_line_bounded(&mut r, &mut out, 1000).unwrap();
        assert_eq!(first.consumed, 100_001);
        assert!(first.clipped);
        assert_eq!(out.len(), 1000);
        out.clear();
        let second = read_line_bounded(&mut r, &mut out, 1000).unwrap();
        assert_eq!((second.consumed, second.clipped), (6, false));
        assert_eq!(out, b"short\n");
        assert_eq!(
            read_line_bounded(&mut r, &mut out, 1000).unwrap().consumed,
            0
        );
    }
}
