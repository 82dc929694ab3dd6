//! The hop timestamp after the last `;` (RFC 5322 §3.3 `date-time`), plus the sloppy forms
//! real MTAs write: no weekday, 2-digit years, `-0000`, named zones (`PDT`, `GMT`, `UT`,
//! `EST` — RFC 5322 §4.3 obsolete zones and common others), `(PDT)` comments, single-digit
//! days and hours, fractional seconds, asctime order (`Fri Feb 07 10:18:12 2003 -0800`),
//! `date(1)` order (`Fri Sep 14 14:36:56 EDT 2018`), ISO (`2018-03-26 13:35:36.27 +0000 UTC`),
//! US numeric (`4/20/2018 11:01:16 PM`) and `DD.MM.YYYY`.
//!
//! The parser is a single pass that classifies each piece (weekday, month, day, year, time,
//! zone, AM/PM) independently, so field order does not matter and junk pieces are skipped.
//! A missing zone is read as UTC (that is what the writers of such lines meant in practice).

use crate::ci::{eq_ci_str, strip_prefix_ci};
use crate::hop::HopDate;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// [`MONTHS`] and [`WEEKDAYS`] (lower-case letters) as the keys [`name_index`] compares.
const MONTH_KEYS: [u32; 12] = name_keys(MONTHS);
const WEEKDAY_KEYS: [u32; 7] = name_keys(WEEKDAYS);

const fn name_keys<const N: usize>(names: [&str; N]) -> [u32; N] {
    let mut t = [0u32; N];
    let mut k = 0;
    while k < N {
        let b = names[k].as_bytes();
        assert!(b.len() == 3);
        t[k] = u32::from_le_bytes([b[0], b[1], b[2], 0]);
        k += 1;
    }
    t
}

/// Index of the three-byte name `b` among `keys` (see [`name_keys`]), ignoring ASCII case:
/// each byte with its `0x20` bit set equals a lower-case letter exactly when it is that
/// letter in either case, so one compare per name answers as `eq_ignore_ascii_case`.
fn name_index(keys: &[u32], b: &[u8]) -> Option<usize> {
    let &[x, y, z] = b else {
        return None;
    };
    let key = u32::from_le_bytes([x | 0x20, y | 0x20, z | 0x20, 0]);
    keys.iter().position(|&k| k == key)
}

/// Named zones: RFC 5322 §4.3 obsolete zones first, then ones seen in real headers.
const ZONES: &[(&str, i32)] = &[
    ("UT", 0),
    ("GMT", 0),
    ("UTC", 0),
    ("Z", 0),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
    ("AKST", -540),
    ("AKDT", -480),
    ("HST", -600),
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("MET", 60),
    ("MEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("JST", 540),
    ("KST", 540),
    ("HKT", 480),
    ("SGT", 480),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("NZDT", 780),
];

#[derive(Default, Debug)]
struct Fields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hms: Option<(u32, u32, u32)>,
    pm: Option<bool>,
    offset: Option<i32>,
    named_offset: Option<i32>,
}

/// Parse a date text; `None` when no plausible date is in it.
pub(crate) fn parse_date(text: &str) -> Option<HopDate> {
    match canonical_fields(text.as_bytes()) {
        Some(f) => build(&f),
        None => general(text),
    }
}

/// The piece-by-piece reader for every form.
fn general(text: &str) -> Option<HopDate> {
    let mut f = Fields::default();
    let mut depth = 0usize;
    for raw_piece in text.split([' ', ',']) {
        let mut piece = raw_piece;
        let opens = piece.bytes().filter(|&b| b == b'(').count();
        let closes = piece.bytes().filter(|&b| b == b')').count();
        let in_comment = depth > 0 || opens > 0;
        depth = (depth + opens).saturating_sub(closes);
        piece = piece.trim_matches(|c| c == '(' || c == ')');
        if piece.is_empty() {
            continue;
        }
        if in_comment {
            // Only a zone name inside a comment is useful: `-0700 (PDT)`.
            if let Some(z) = named_zone(piece) {
                f.named_offset.get_or_insert(z);
            }
            continue;
        }
        classify(piece, &mut f);
    }
    build(&f)
}

/// The form nearly every MTA writes, `[Www, ]D[D] Mon YYYY HH:MM:SS +HHMM[ (comment)]`,
/// read in one pass without splitting into pieces. Anything else (or an out-of-range
/// field) returns `None` and goes through the general reader, which gives the same fields
/// for every text this accepts; this only saves the per-piece work on the common case.
fn canonical_fields(b: &[u8]) -> Option<Fields> {
    let mut i = 0;
    // Optional `Www, `.
    if b.len() >= 5 && b[0].is_ascii_alphabetic() {
        // Compared as bytes: only ASCII can equal a weekday name.
        let day = b.get(..3)?;
        if name_index(&WEEKDAY_KEYS, day).is_none() || &b[3..5] != b", " {
            return None;
        }
        i = 5;
    }
    let digits = |from: usize, n: usize| -> Option<u32> {
        let s = b.get(from..from + n)?;
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let day_len = if b.get(i + 1) == Some(&b' ') { 1 } else { 2 };
    let day = digits(i, day_len)?;
    i += day_len;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let mon = b.get(i + 1..i + 4)?;
    let month = name_index(&MONTH_KEYS, mon)? as u32 + 1;
    i += 4;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    // Four digits; the year `parse_year` gives for them, without a text round trip.
    let year4 = i64::from(digits(i + 1, 4)?);
    let year = if year4 < 1000 { 1900 + year4 } else { year4 };
    i += 5;
    if b.get(i) != Some(&b' ') || b.get(i + 3) != Some(&b':') || b.get(i + 6) != Some(&b':') {
        return None;
    }
    let (h, m, sec) = (digits(i + 1, 2)?, digits(i + 4, 2)?, digits(i + 7, 2)?);
    if h > 24 || m >= 60 || sec > 60 {
        return None;
    }
    i += 9;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let sign = *b.get(i + 1)?;
    let (zh, zm) = (digits(i + 2, 2)?, digits(i + 4, 2)?);
    if !(sign == b'+' || sign == b'-') || zh > 23 || zm >= 60 {
        return None;
    }
    i += 6;
    // Nothing after the zone, or one comment holding no parentheses of its own (only a
    // zone name could be read from it, and the numeric zone wins over that anyway).
    match &b[i..] {
        [] => {}
        [b' ', b'(', inner @ .., b')'] if !inner.iter().any(|&c| c == b'(' || c == b')') => {}
        _ => return None,
    }
    let off = (zh * 60 + zm) as i32;
    Some(Fields {
        year: Some(year),
        month: Some(month),
        day: Some(day),
        hms: Some((h, m, sec)),
        pm: None,
        offset: Some(if sign == b'-' { -off } else { off }),
        named_offset: None,
    })
}

fn classify(piece: &str, f: &mut Fields) {
    let p = piece.trim_end_matches(['.', ';']);
    if p.is_empty() {
        return;
    }
    let first = p.as_bytes()[0];
    // ISO `2024-03-15T10:30:00Z`.
    if let Some((d, t)) = p.split_once('T') {
        if d.len() == 10 && d.as_bytes()[4] == b'-' {
            classify(d, f);
            let t = t.trim_end_matches('Z');
            if t.len() < p.len() && p.ends_with('Z') {
                f.offset.get_or_insert(0);
            }
            classify(t, f);
            return;
        }
    }
    if (first == b'+' || first == b'-') && f.hms.is_some() && f.offset.is_none() {
        if let Some(off) = numeric_zone(&p[1..]) {
            f.offset = Some(if first == b'-' { -off } else { off });
            return;
        }
    }
    if first.is_ascii_digit() {
        if p.contains(':') {
            if f.hms.is_none() {
                f.hms = time(p);
            }
            return;
        }
        if let Some(parts) = split3(p, '/') {
            numeric_date(parts, true, f);
            return;
        }
        if let Some(parts) = split3(p, '-') {
            if let Some(m) = month_index(parts.1).filter(|_| f.month.is_none()) {
                f.day = parts.0.parse().ok();
                f.month = Some(m);
                f.year = parse_year(parts.2);
            } else {
                numeric_date(parts, true, f);
            }
            return;
        }
        if let Some(parts) = split3(p, '.') {
            if parts.2.len() == 4 || f.hms.is_some() {
                numeric_date(parts, false, f);
            } else if f.hms.is_none() && [parts.0, parts.1, parts.2].iter().all(|x| x.len() <= 2) {
                f.hms = time(&p.replace('.', ":"));
            }
            return;
        }
        if p.bytes().all(|b| b.is_ascii_digit()) {
            if p.len() >= 3 {
                if f.year.is_none() {
                    f.year = parse_year(p);
                }
            } else if f.day.is_none() && (f.year.is_none() || f.month.is_some()) {
                f.day = p.parse().ok();
            } else if f.year.is_none() {
                f.year = parse_year(p);
            }
        }
        return;
    }
    if first.is_ascii_alphabetic() {
        if eq_ci_str(p, "AM") || eq_ci_str(p, "PM") {
            f.pm = Some(eq_ci_str(p, "PM"));
            return;
        }
        if let Some(z) = named_zone(p) {
            f.named_offset.get_or_insert(z);
            return;
        }
        if p.len() >= 3 && WEEKDAYS.iter().any(|w| strip_prefix_ci(p, w).is_some()) {
            return;
        }
        if f.month.is_none() {
            if let Some(m) = month_index(p) {
                f.month = Some(m);
            }
        }
    }
}

fn split3(p: &str, sep: char) -> Option<(&str, &str, &str)> {
    let mut it = p.split(sep);
    let (a, b, c) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || a.is_empty() || b.is_empty() || c.is_empty() {
        return None;
    }
    Some((a, b, c))
}

/// `4/20/2018`, `2018-4-20`, `20.04.2018`: year-first when the first part has 4 digits;
/// otherwise month-first for `/`/`-` (US) and day-first for `.` (European). Only fills an
/// empty date, and only from all-digit parts, so a later junk token cannot clobber it.
fn numeric_date(parts: (&str, &str, &str), month_first: bool, f: &mut Fields) {
    let (a, b, c) = parts;
    let all_digits = [a, b, c]
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|x| x.is_ascii_digit()));
    if !all_digits || f.year.is_some() || f.month.is_some() || f.day.is_some() {
        return;
    }
    let num = |p: &str| p.parse::<u32>().ok();
    let (y, m, d) = if a.len() == 4 {
        (parse_year(a), num(b), num(c))
    } else if month_first && num(a).is_some_and(|m| m <= 12) {
        (parse_year(c), num(a), num(b))
    } else {
        // Day first: European order, or a "month" above 12 (`22/08/2002`).
        (parse_year(c), num(b), num(a))
    };
    f.year = y;
    f.month = m;
    f.day = d;
}

fn month_index(p: &str) -> Option<u32> {
    if p.len() < 3 || !p.is_char_boundary(3) {
        return None;
    }
    let head = &p[..3];
    name_index(&MONTH_KEYS, head.as_bytes()).map(|i| i as u32 + 1)
}

fn named_zone(p: &str) -> Option<i32> {
    ZONES
        .iter()
        .find(|(n, _)| eq_ci_str(n, p))
        .map(|&(_, off)| off)
}

/// `hhmm`, `hh:mm`, `hh` → minutes.
fn numeric_zone(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let digit = |i: usize| -> Option<i32> {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i32::from(c - b'0'))
    };
    let (h, m) = match b.len() {
        4 => (digit(0)? * 10 + digit(1)?, digit(2)? * 10 + digit(3)?),
        5 if b[2] == b':' => (digit(0)? * 10 + digit(1)?, digit(3)? * 10 + digit(4)?),
        2 => (digit(0)? * 10 + digit(1)?, 0),
        1 => (digit(0)?, 0),
        _ => return None,
    };
    (h <= 23 && m < 60).then_some(h * 60 + m)
}

fn time(p: &str) -> Option<(u32, u32, u32)> {
    let mut it = p.split(':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let s: u32 = match it.next() {
        Some(sec) => sec.split('.').next()?.parse().ok()?,
        None => 0,
    };
    (h <= 24 && m < 60 && s <= 60).then_some((h, m, s))
}

fn parse_year(p: &str) -> Option<i64> {
    let y: i64 = p.parse().ok()?;
    Some(match p.len() {
        1 | 2 => {
            if y < 50 {
                2000 + y
            } else {
                1900 + y
            }
        }
        // `tm_year` printed raw (`0102`, `102`) by broken mailers means 1900 + n.
        _ if y < 1000 => 1900 + y,
        _ => y,
    })
}

fn build(f: &Fields) -> Option<HopDate> {
    let year = f.year?;
    let month = f.month?;
    let day = f.day?;
    if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (mut h, m, s) = f.hms.unwrap_or((0, 0, 0));
    match f.pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let offset = f.offset.or(f.named_offset).unwrap_or(0);
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    Some(HopDate {
        unix: local - i64::from(offset) * 60,
        offset_minutes: offset,
    })
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(s: &str) -> Option<(i64, i32)> {
        parse_date(s).map(|d| (d.unix, d.offset_minutes))
    }

    /// The packed-key lookup finds the name `eq_ignore_ascii_case` finds, for every name
    /// in upper, lower and mixed case and with each byte swapped for its neighbours and
    /// its `0x20` partner.
    #[test]
    fn name_lookup_agrees_with_eq_ignore_ascii_case() {
        for (names, keys) in [
            (&MONTHS[..], &MONTH_KEYS[..]),
            (&WEEKDAYS[..], &WEEKDAY_KEYS[..]),
        ] {
            let want = |b: &[u8]| {
                names
                    .iter()
                    .position(|n| n.as_bytes().eq_ignore_ascii_case(b))
            };
            for n in names {
                let n = n.as_bytes();
                for k in 0..3 {
                    for delta in [0u8, 1, 0x20, 0x1f, 0x21, 0xff, 0x80] {
                        let mut v = n.to_vec();
                        v[k] = v[k].wrapping_add(delta);
                        assert_eq!(name_index(keys, &v), want(&v), "{v:?}");
                        let up = v.to_ascii_uppercase();
                        assert_eq!(name_index(keys, &up), want(&up), "{up:?}");
                    }
                }
            }
            assert_eq!(name_index(keys, b"ja"), None);
        }
    }

    #[test]
    fn rfc5322_and_sloppy_forms() {
        // 2018-04-21T03:01:01Z = 1524279661
        assert_eq!(
            unix("Sat, 21 Apr 2018 03:01:01 +0000"),
            Some((1524279661, 0))
        );
        assert_eq!(
            unix("Saturday, 21 Apr 2018 03:01:01 +0000"),
            Some((1524279661, 0))
        );
        assert_eq!(unix("21 Apr 2018 03:01:01 -0000"), Some((1524279661, 0)));
        assert_eq!(unix("Apr 21 2018 3:01:01 +0000"), Some((1524279661, 0)));
        assert_eq!(
            unix("Fri, 20 Apr 2018 20:01:01 -0700 (PDT)"),
            Some((1524279661, -420))
        );
        assert_eq!(
            unix("Fri, 20 Apr 2018 20:01:01 PDT"),
            Some((1524279661, -420))
        );
        assert_eq!(
            unix("Fri, 20 Apr 18 20:01:01 PDT"),
            Some((1524279661, -420))
        );
        assert_eq!(
            unix("Sat,  21 Apr  2018  3:01:01  GMT"),
            Some((1524279661, 0))
        );
        assert_eq!(unix("Sat, 21 Apr 2018 03:01:01 UT"), Some((1524279661, 0)));
        assert_eq!(
            unix("Fri Apr 20 23:01:01 EDT 2018"),
            Some((1524279661, -240))
        );
        assert_eq!(
            unix("Fri Apr 20 23:01:01 2018 -0400"),
            Some((1524279661, -240))
        );
        assert_eq!(
            unix("4/20/2018 11:01:01 PM -0400 (EDT)"),
            Some((1524279661, -240))
        );
        assert_eq!(
            unix("2018-04-21 03:01:01.270951634 +0000 UTC"),
            Some((1524279661, 0))
        );
        assert_eq!(unix("21.04.2018 03:01:01 +0000"), Some((1524279661, 0)));
        assert_eq!(
            unix("Sat, 21 Apr 2018 03.01.01 +0000"),
            Some((1524279661, 0))
        );
        assert_eq!(
            unix("Sat, 21 Apr 2018 05:01:01 +02:00"),
            Some((1524279661, 120))
        );
        assert_eq!(unix("1 Jan 1970 00:00:00 +0000"), Some((0, 0)));
        assert_eq!(unix("21/04/2018 03:01:01"), Some((1524279661, 0)));
        assert_eq!(
            unix("Sat, 21 Apr 2018 03:01:01 +0000 id 000A1B2C.65A2B3C4.00001234"),
            Some((1524279661, 0))
        );
        assert_eq!(
            unix("Sat, 21 Apr 0118 03:01:01 +0000"),
            Some((1524279661, 0))
        );
    }

    /// Every text the one-pass reader accepts reads the same through the general one.
    #[test]
    fn canonical_form_agrees_with_the_general_reader() {
        let weekdays = ["", "Tue, ", "tue, ", "Xyz, ", "Tue,  ", "Tuesday, "];
        let days = ["1", "01", "15", "31", "32", "0", "123", "x"];
        let months = ["Mar", "mar", "MAR", "Mars", "Foo", "M"];
        let years = ["2024", "0118", "1899", "24", "20245", "20a4"];
        let times = [
            "10:30:00", "24:00:00", "23:59:60", "25:00:00", "10:60:00", "1:30:00",
        ];
        let zones = ["+0000", "-0700", "+2400", "+0960", "-00:30", "PDT", "+000"];
        let tails = [
            "",
            " (PDT)",
            " (UTC)",
            " ()",
            " (a (b))",
            " (x",
            " x",
            " (CET) (MET)",
            " (+0100)",
        ];
        let mut accepted = 0;
        for w in weekdays {
            for d in days {
                for m in months {
                    for y in years {
                        for t in times {
                            for z in zones {
                                for tail in tails {
                                    let text = format!("{w}{d} {m} {y} {t} {z}{tail}");
                                    if let Some(f) = canonical_fields(text.as_bytes()) {
                                        accepted += 1;
                                        let (fast, slow) = (build(&f), general(&text));
                                        assert_eq!(
                                            fast.map(|d| (d.unix, d.offset_minutes)),
                                            slow.map(|d| (d.unix, d.offset_minutes)),
                                            "{text:?}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(
            accepted > 1000,
            "the one-pass reader accepted only {accepted}"
        );
    }

    #[test]
    fn rejects_non_dates() {
        assert_eq!(unix(""), None);
        assert_eq!(unix("14:47:44 +0000"), None);
        assert_eq!(unix("hello world"), None);
        assert_eq!(unix("Sat, 41 Apr 2018 03:01:01 +0000"), None);
        assert_eq!(unix("Sat, 21 Foo 2018 03:01:01 +0000"), None);
    }
}
