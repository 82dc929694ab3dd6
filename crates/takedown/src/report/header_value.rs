//! Making header values out of untrusted text without letting it inject headers.
//!
//! Subjects, names and addresses in a report come partly from the reported message — text
//! the attacker wrote. A CR or LF in them would start a new header line (RFC 5322 §2.2),
//! so every value is cleaned here: control characters are removed, length is bounded, and
//! addresses must be plain addr-specs. Quoting and RFC 2047 encoding of what remains is
//! mail-builder's job when the report is written.

/// Longest unstructured value kept (characters, before encoding).
pub const MAX_TEXT: usize = 200;

/// Why an address cannot go into a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    #[error("{0:?} is not a plain mail address (local@domain, printable ASCII, no spaces, brackets or line breaks)")]
    Invalid(String),
}

/// Unstructured text (Subject, display names): one line, bounded, no control characters.
pub fn text(s: &str) -> String {
    let mut clean: String = s
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if clean.chars().count() > MAX_TEXT {
        clean = clean.chars().take(MAX_TEXT).collect::<String>() + "…";
    }
    clean
}

/// A bare addr-spec, validated strictly.
pub fn address(s: &str) -> Result<String, AddressError> {
    let a = s.trim();
    let bad = || AddressError::Invalid(s.to_string());
    let (local, domain) = a.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if local_ok && domain_ok {
        Ok(a.to_string())
    } else {
        Err(bad())
    }
}

/// A domain name for ARF `Reported-Domain`: LDH labels only.
pub fn domain(s: &str) -> Option<String> {
    let d = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_in_text_cannot_start_a_new_header() {
        let t = text("Invoice\r\nBcc: victim@corp.test\r\n\r\nbody");
        assert!(!t.contains('\r') && !t.contains('\n'), "{t:?}");
        assert_eq!(t, "Invoice Bcc: victim@corp.test body");
    }

    #[test]
    fn long_text_is_bounded_on_a_character_boundary() {
        let t = text(&"Überweisung ".repeat(40));
        assert_eq!(t.chars().count(), MAX_TEXT + 1);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn addresses_with_breaks_brackets_or_spaces_are_refused() {
        assert_eq!(
            address(" abuse@somecloud.test ").unwrap(),
            "abuse@somecloud.test"
        );
        for bad in [
            "abuse@somecloud.test\r\nBcc: x@y.test",
            "abuse@somecloud.test>, <x@y.test",
            "a b@c.test",
            "abuse@",
            "@somecloud.test",
            "abuse@-bad.test",
            "abuse@nodot",
        ] {
            assert!(address(bad).is_err(), "{bad:?}");
        }
    }
}
