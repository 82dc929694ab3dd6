//! Small text shaping for display: shortening attacker-sized strings, durations, times.
//!
//! Escaping is not done here (maud does it on output); these only bound length and make
//! numbers readable, always on `char` boundaries so hostile UTF-8 cannot split a character.

/// `s` cut to at most `max` characters, with `…` when cut, control characters (and the
/// non-characters XML forbids) shown as `�` so the SVG stays well-formed XML.
pub fn clip(s: &str, max: usize) -> String {
    let shown = |c: char| {
        if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
            '\u{FFFD}'
        } else {
            c
        }
    };
    if s.chars().count() <= max {
        return s.chars().map(shown).collect();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).map(shown).collect();
    out.push('…');
    out
}

/// A delay in seconds as people read it: `+4s`, `+3m 20s`, `+2h 5m`, `−1d 2h`.
pub fn delay(secs: i64) -> String {
    let sign = if secs < 0 { "−" } else { "+" };
    let s = secs.unsigned_abs();
    let body = if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m {}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d {}h", s / 86_400, (s % 86_400) / 3600)
    };
    format!("{sign}{body}")
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC` (the human output's date, marked UTC).
pub fn utc(unix: i64) -> String {
    format!("{} UTC", relayhunt_analyze::output::human::utc(unix))
}

/// The snake_case name serde gives a value (enums of the report), or `""`.
pub fn serde_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("ÄÖÜäöü", 4), "ÄÖÜ…");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("a\u{1}b\u{FFFE}", 10), "a\u{FFFD}b\u{FFFD}");
    }

    #[test]
    fn delays_read_like_people_write_them() {
        assert_eq!(delay(4), "+4s");
        assert_eq!(delay(200), "+3m 20s");
        assert_eq!(delay(-7 * 3600), "−7h 0m");
        assert_eq!(delay(90_000), "+1d 1h");
    }

    #[test]
    fn utc_matches_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        // Thu, 14 May 2026 21:20:02 +0000
        assert_eq!(utc(1_778_793_602), "2026-05-14 21:20:02 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }
}
