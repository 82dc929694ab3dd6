//! Identity-header values in the plain forms nearly every message uses, read without
//! mail-parser.
//!
//! Each reader accepts one narrow form and answers `None` ("not plain: ask mail-parser")
//! for anything else: encoded words, quotes, comments, groups, escapes, odd spacing. So
//! it never has to agree with mail-parser on the hard cases, only on its own form, where
//! it gives exactly what mail-parser gives (the summary tests compare the two over the
//! corpus and over generated values).

/// Bytes that give an address field structure (quoted strings, comments, groups, routes,
/// escapes, lists, angle brackets).
fn structural(b: u8) -> bool {
    matches!(
        b,
        b'"' | b'(' | b')' | b',' | b';' | b':' | b'<' | b'>' | b'\\' | b'[' | b']'
    )
}

/// An RFC 2047 encoded word may start here: mail-parser decodes those.
fn encoded(v: &str) -> bool {
    v.contains("=?")
}

/// Unstructured text (`Subject:`): a value without encoded words is the text itself;
/// `Some(None)` for an empty one.
pub fn text(v: &str) -> Option<Option<&str>> {
    (!encoded(v)).then_some((!v.is_empty()).then_some(v))
}

/// `<id>` with no space or angle bracket inside: the id without its brackets.
pub fn message_id(v: &str) -> Option<&str> {
    let id = v.strip_prefix('<')?.strip_suffix('>')?;
    let bad = |b: u8| matches!(b, b'<' | b'>' | b' ' | b'\t' | b'\r' | b'\n');
    (!id.is_empty() && !id.bytes().any(bad)).then_some(id)
}

/// `local@domain` with no white space or structural byte.
fn addr_spec(a: &str) -> bool {
    a.contains('@')
        && !a
            .bytes()
            .any(|b| structural(b) || matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// An unquoted item: `addr`, `<addr>` or `Display Name <addr>` (the name without `@` or
/// structural bytes).
fn unquoted(item: &str) -> Option<(Option<&str>, &str)> {
    match item.strip_suffix('>') {
        Some(rest) => {
            let open = rest.find('<')?;
            let (name, addr) = (
                rest[..open].trim_end_matches([' ', '\t']),
                rest[open + 1..].trim_matches([' ', '\t']),
            );
            if !addr_spec(addr) || name.bytes().any(|b| structural(b) || b == b'@') {
                return None;
            }
            Some(((!name.is_empty()).then_some(name), addr))
        }
        None => addr_spec(item).then_some((None, item)),
    }
}

/// `"Display Name" <addr>` at the start of `v` (the quoted text without quote or
/// backslash, taken as written), and what follows it.
fn quoted(v: &str) -> Option<((Option<&str>, &str), &str)> {
    let q = v.strip_prefix('"')?;
    let close = q.find('"')?;
    let name = &q[..close];
    if name.contains('\\') {
        return None;
    }
    let tail = q[close + 1..]
        .trim_start_matches([' ', '\t'])
        .strip_prefix('<')?;
    let end = tail.find('>')?;
    let addr = tail[..end].trim_matches([' ', '\t']);
    addr_spec(addr).then_some(((Some(name), addr), &tail[end + 1..]))
}

/// A comma-separated list of `addr`, `<addr>`, `Display Name <addr>` or
/// `"Display Name" <addr>`: each as (name, address), empty items skipped.
pub fn mailboxes(v: &str) -> Option<Vec<(Option<&str>, &str)>> {
    if encoded(v) {
        return None;
    }
    // `undisclosed-recipients:;`: a group with no member, no mailbox at all.
    if let Some(phrase) = v.strip_suffix(';') {
        let phrase = phrase.trim_end_matches([' ', '\t']).strip_suffix(':')?;
        return (!phrase.bytes().any(|b| structural(b) || b == b'@')).then(Vec::new);
    }
    let mut out = Vec::with_capacity(1);
    let mut rest = v;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(out);
        }
        let (item, after) = if rest.starts_with('"') {
            quoted(rest)?
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (
                unquoted(rest[..end].trim_end_matches([' ', '\t']))?,
                &rest[end..],
            )
        };
        // An item ends at a comma or at the end of the value.
        rest = after.trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
        out.push(item);
    }
}

/// `[Www, ]D Mon YYYY HH:MM:SS ±hhmm[ (comment)]` as UTC seconds, computed as mail-parser
/// computes it (it does not check the day against the month, nor does this). Two-digit
/// years are read as it reads them (00–49 → 20xx, 50–99 → 19xx); a date without a zone
/// is one it rejects, `Some(None)`.
pub fn date(v: &str) -> Option<Option<i64>> {
    let mut b = v.as_bytes();
    if let [w1, w2, w3, b',', rest @ ..] = b {
        if ![w1, w2, w3].iter().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        // mail-parser skips the day name and any spaces after it.
        b = rest.trim_ascii_start();
    }
    let (day, b) = number(b, 1..=2)?;
    let [m1, m2, m3, b' ', b @ ..] = b.strip_prefix(b" ")? else {
        return None;
    };
    let month = match [m1, m2, m3].map(u8::to_ascii_lowercase) {
        [b'j', b'a', b'n'] => 1,
        [b'f', b'e', b'b'] => 2,
        [b'm', b'a', b'r'] => 3,
        [b'a', b'p', b'r'] => 4,
        [b'm', b'a', b'y'] => 5,
        [b'j', b'u', b'n'] => 6,
        [b'j', b'u', b'l'] => 7,
        [b'a', b'u', b'g'] => 8,
        [b's', b'e', b'p'] => 9,
        [b'o', b'c', b't'] => 10,
        [b'n', b'o', b'v'] => 11,
        [b'd', b'e', b'c'] => 12,
        _ => return None,
    };
    let (year, rest) = match b {
        // A year like 0049 is read by mail-parser as 49 and then as 2049.
        [b'1'..=b'9', _, _, _, b' ', ..] => number(b, 4..=4)?,
        [_, _, b' ', ..] => match number(b, 2..=2)? {
            (y @ 0..=49, rest) => (y + 2000, rest),
            (y, rest) => (y + 1900, rest),
        },
        _ => return None,
    };
    let [b' ', h1, h2, b':', n1, n2, b':', s1, s2, zone @ ..] = rest else {
        return None;
    };
    let two = |a: u8, b: u8| -> Option<u8> {
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
    };
    let (hour, minute, second) = (two(*h1, *h2)?, two(*n1, *n2)?, two(*s1, *s2)?);
    let zone = match zone {
        [] => return Some(None),
        [b' ', zone @ ..] => zone,
        _ => return None,
    };
    let (west, zone_hours, zone_minutes, rest) = self::zone(zone)?;
    // A comment after the zone is skipped, as mail-parser skips it.
    match rest {
        [] => {}
        [b' ', b'(', inner @ .., b')']
            if !inner.iter().any(|c| matches!(c, b'(' | b')' | b'\\')) => {}
        _ => return None,
    }
    let dt = mail_parser::DateTime {
        year: u16::try_from(year).ok()?,
        month,
        day: u8::try_from(day).ok()?,
        hour,
        minute,
        second,
        tz_before_gmt: west,
        tz_hour: zone_hours,
        tz_minute: zone_minutes,
    };
    Some(Some(dt.to_timestamp()))
}

/// A decimal number of `len` digits at the start of `b`, followed by a space (not taken).
fn number(b: &[u8], len: std::ops::RangeInclusive<usize>) -> Option<(u32, &[u8])> {
    let end = b.iter().position(|&c| c == b' ')?;
    if !len.contains(&end) || !b[..end].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = b[..end]
        .iter()
        .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    Some((n, &b[end..]))
}

/// The zone at the start of `b`, as mail-parser reads it: `±hhmm` (hours taken modulo 24
/// and minutes modulo 60, as it does) or one of the names it knows; (west of Greenwich,
/// hours, minutes, the rest).
fn zone(b: &[u8]) -> Option<(bool, u8, u8, &[u8])> {
    if let [sign @ (b'+' | b'-'), z @ (b'0'..=b'9'), z2, z3, z4, rest @ ..] = b {
        let digits = [*z, *z2, *z3, *z4];
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = digits
            .iter()
            .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
        let hours = u8::try_from((n / 100) % 24).ok()?;
        let minutes = u8::try_from((n % 100) % 60).ok()?;
        return Some((*sign == b'-', hours, minutes, rest));
    }
    let end = b.iter().position(|&c| c == b' ').unwrap_or(b.len());
    let hours: i8 = match &b[..end] {
        b"GMT" | b"UT" | b"UTC" => 0,
        b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" => -8,
        _ => return None,
    };
    Some((hours < 0, hours.unsigned_abs(), 0, &b[end..]))
}
