//! Unix seconds ↔ UTC calendar text, for `--since` and listings (no time-zone database:
//! the store speaks UTC only).

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD HH:MM` in UTC.
pub fn format_utc(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", s / 3600, s % 3600 / 60)
}

/// Parse a `--since` value relative to `now`: `7d`, `12h`, `30m`, `2w` (ago), a date
/// `2026-11-01`, a UTC time `2026-11-01T08:30[:00][Z]` / `2026-11-01 08:30`, or Unix
/// seconds (`@1767225600` or a bare number of 9+ digits).
pub fn parse_since(v: &str, now: i64) -> Result<i64, String> {
    let v = v.trim();
    let bad = || {
        format!(
            "--since {v:?}: expected an age (7d, 12h, 30m, 2w), a date (2026-11-01), a UTC \
             time (2026-11-01T08:30Z) or Unix seconds (@1767225600)"
        )
    };
    if let Some(secs) = v.strip_prefix('@') {
        return secs.parse().map_err(|_| bad());
    }
    if v.len() >= 9 && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().map_err(|_| bad());
    }
    let age = v
        .char_indices()
        .last()
        .filter(|(i, c)| c.is_ascii_lowercase() && *i > 0 && !v[..*i].contains(['-', ':']));
    if let Some((i, unit)) = age {
        let n: i64 = v[..i].parse().map_err(|_| bad())?;
        let per = match unit {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        return n
            .checked_mul(per)
            .and_then(|d| now.checked_sub(d))
            .ok_or_else(bad);
    }
    let (date, time) = match v.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
        None => (v, None),
    };
    let mut parts = date.split('-');
    let mut num = |lo: i64, hi: i64| -> Result<i64, String> {
        let n: i64 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if (lo..=hi).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    };
    let (y, m, d) = (num(1970, 9999)?, num(1, 12)?, num(1, 31)?);
    if parts.next().is_some() {
        return Err(bad());
    }
    let mut secs = 0;
    if let Some(t) = time {
        let mut hms = t.split(':');
        let mut field = |hi: i64, required: bool| -> Result<i64, String> {
            match hms.next() {
                Some(x) => x
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=hi).contains(n))
                    .ok_or_else(bad),
                None if required => Err(bad()),
                None => Ok(0),
            }
        };
        secs = field(23, true)? * 3600 + field(59, true)? * 60 + field(60, false)?;
        if hms.next().is_some() {
            return Err(bad());
        }
    }
    Ok(days_from_civil(y, m, d) * 86_400 + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_ages_count_back() {
        assert_eq!(parse_since("1970-01-01", 0), Ok(0));
        assert_eq!(parse_since("2026-12-01", 0), Ok(1_796_083_200));
        assert_eq!(format_utc(1_796_083_200), "2026-12-01 00:00");
        assert_eq!(parse_since("2024-02-29T13:05Z", 0), Ok(1_709_211_900));
        assert_eq!(format_utc(1_709_211_900), "2024-02-29 13:05");
        assert_eq!(parse_since("2024-02-29 13:05:30", 0), Ok(1_709_211_930));
        assert_eq!(parse_since("7d", 1_000_000), Ok(1_000_000 - 7 * 86_400));
        assert_eq!(parse_since("90m", 10_000), Ok(10_000 - 5_400));
        assert_eq!(parse_since("@1767225600", 0), Ok(1_767_225_600));
        assert_eq!(parse_since("1767225600", 0), Ok(1_767_225_600));
        for bad in [
            "",
            "yesterday",
            "7y",
            "2026-13-01",
            "2026-11-01T25:00",
            "-3d",
            "2026-1",
        ] {
            assert!(parse_since(bad, 0).is_err(), "{bad}");
        }
        assert_eq!(format_utc(-1), "1969-12-31 23:59");
    }
}
