//! The `with` clause: transfer protocol (RFC 3848 keywords and vendor spellings) and the
//! text MTAs put around it.
//!
//! The keyword table below maps every spelling seen in real headers to a [`Protocol`];
//! anything not in it is kept verbatim as [`Protocol::Other`]. `protocol_raw` keeps the
//! words exactly as written (`Microsoft SMTP Server`, `esmtpsa`, `local-esmtp`).

use crate::ci::{eq_ci_str, eq_keyword};
use crate::hop::Protocol;
use crate::lex::Token;

/// Case-insensitive exact spellings: `(spelling, protocol, reason)`. First match wins.
#[rustfmt::skip]
const PROTOCOL_RULES: &[(&str, Protocol, &str)] = &[
    ("SMTP", Protocol::Smtp, "RFC 5321 §4.4"),
    ("ESMTP", Protocol::Esmtp, "RFC 3848 §2"),
    ("ESMTPS", Protocol::Esmtps, "RFC 3848 §2"),
    ("ESMTPA", Protocol::Esmtpa, "RFC 3848 §2"),
    ("ESMTPSA", Protocol::Esmtpsa, "RFC 3848 §2"),
    ("LMTP", Protocol::Lmtp, "RFC 3848 §3"),
    ("LMTPS", Protocol::Lmtps, "RFC 3848 §3"),
    ("LMTPA", Protocol::Lmtpa, "RFC 3848 §3"),
    ("LMTPSA", Protocol::Lmtpsa, "RFC 3848 §3"),
    ("UTF8SMTP", Protocol::Utf8Smtp, "RFC 6531 §3.7.3"),
    ("UTF8SMTPS", Protocol::Utf8Smtps, "RFC 6531 §3.7.3"),
    ("UTF8SMTPA", Protocol::Utf8Smtpa, "RFC 6531 §3.7.3"),
    ("UTF8SMTPSA", Protocol::Utf8Smtpsa, "RFC 6531 §3.7.3"),
    ("UTF8ESMTP", Protocol::Utf8Smtp, "RFC 6531 registry alias"),
    ("UTF8ESMTPS", Protocol::Utf8Smtps, "RFC 6531 registry alias"),
    ("UTF8ESMTPA", Protocol::Utf8Smtpa, "RFC 6531 registry alias"),
    ("UTF8ESMTPSA", Protocol::Utf8Smtpsa, "RFC 6531 registry alias"),
    ("HTTP", Protocol::Http, "webmail submission"),
    ("HTTPS", Protocol::Https, "webmail over TLS; Exchange Online internal hops"),
    ("HTTPREST", Protocol::Http, "Gmail API submission"),
    ("mapi", Protocol::Mapi, "Exchange store submission"),
    ("local", Protocol::Local, "Exim/sendmail local submission"),
    ("IMAP", Protocol::Imap, "fetchmail retrieval"),
    ("ESMTP-TLS", Protocol::Esmtps, "CommuniGate spelling of ESMTPS"),
    ("local-esmtp", Protocol::Esmtp, "Exim -bs local SMTP"),
    ("local-esmtpa", Protocol::Esmtpa, "Exim -bs local SMTP with AUTH"),
    ("local-esmtps", Protocol::Esmtps, "Exim -bs local SMTP over TLS"),
    ("local-esmtpsa", Protocol::Esmtpsa, "Exim -bs local SMTP over TLS with AUTH"),
    ("local-smtp", Protocol::Smtp, "Exim -bs local SMTP"),
    ("local-bsmtp", Protocol::Smtp, "Exim -bS batched local SMTP"),
    ("BSMTP", Protocol::Smtp, "batched SMTP"),
    ("SMTPSVC", Protocol::Smtp, "IIS SMTP service (`Microsoft SMTPSVC(6.0…)`)"),
    ("SMTPS", Protocol::Esmtps, "Gmail writes SMTPS for TLS submission"),
    ("SMTPSA", Protocol::Esmtpsa, "TLS + AUTH, non-RFC spelling"),
    ("SMTPA", Protocol::Esmtpa, "AUTH, non-RFC spelling"),
    ("ASMTP", Protocol::Esmtpa, "Exim 3 / kundenserver `with asmtp`: authenticated SMTP"),
];

/// Map one word to a protocol, if it is a known spelling.
pub(crate) fn protocol_from_word(word: &str) -> Option<Protocol> {
    // `ESMTP/TLS/DHE-RSA-…` (S-Web), `ESMTP-TLS`: the part before `/`.
    let head = word
        .bytes()
        .position(|b| b == b'/')
        .map_or(word, |i| &word[..i]);
    // Only spellings of the head's length can match: they are compared, in table order,
    // instead of walking the whole table (every word of a with clause is looked up).
    let len = head.len();
    if len > MAX_SPELLING {
        return None;
    }
    BY_LENGTH[BY_LENGTH_START[len]..BY_LENGTH_START[len + 1]]
        .iter()
        .map(|&k| &PROTOCOL_RULES[usize::from(k)])
        .find(|(spelling, _, _)| eq_ci_str(spelling, head))
        .map(|(_, p, _)| p.clone())
}

/// The longest spelling in [`PROTOCOL_RULES`].
const MAX_SPELLING: usize = {
    let (mut m, mut k) = (0, 0);
    while k < PROTOCOL_RULES.len() {
        if PROTOCOL_RULES[k].0.len() > m {
            m = PROTOCOL_RULES[k].0.len();
        }
        k += 1;
    }
    m
};

/// Indices into [`PROTOCOL_RULES`] ordered by spelling length, table order within a
/// length; the spellings of length `n` are `BY_LENGTH[BY_LENGTH_START[n]..BY_LENGTH_START[n + 1]]`.
const BY_LENGTH: [u8; PROTOCOL_RULES.len()] = {
    let mut t = [0u8; PROTOCOL_RULES.len()];
    let (mut n, mut len) = (0, 0);
    while len <= MAX_SPELLING {
        let mut k = 0;
        while k < PROTOCOL_RULES.len() {
            if PROTOCOL_RULES[k].0.len() == len {
                t[n] = k as u8;
                n += 1;
            }
            k += 1;
        }
        len += 1;
    }
    t
};

/// See [`BY_LENGTH`].
const BY_LENGTH_START: [usize; MAX_SPELLING + 2] = {
    let mut t = [0usize; MAX_SPELLING + 2];
    let mut len = 0;
    while len <= MAX_SPELLING {
        let mut count = 0;
        let mut k = 0;
        while k < PROTOCOL_RULES.len() {
            if PROTOCOL_RULES[k].0.len() == len {
                count += 1;
            }
            k += 1;
        }
        t[len + 1] = t[len] + count;
        len += 1;
    }
    t
};

const _: () = assert!(PROTOCOL_RULES.len() <= u8::MAX as usize);

/// What the `with` clause says.
#[derive(Debug, Default)]
pub(crate) struct WithFacts<'a> {
    pub protocol: Option<Protocol>,
    /// First and last word of the leading run of words (the protocol as written).
    pub raw_words: Option<(&'a str, &'a str)>,
}

/// Read the protocol from the with-clause tokens.
pub(crate) fn analyze<'a>(tokens: &[Token<'a>]) -> WithFacts<'a> {
    let mut out = WithFacts::default();
    // Leading run of words/brackets before the first comment: the protocol as written.
    let mut first: Option<&'a str> = None;
    let mut last: Option<&'a str> = None;
    for t in tokens {
        match *t {
            Token::Word(w) if eq_keyword(w, "tls") && first.is_some() => break,
            Token::Word(w) | Token::Bracket(w, _) => {
                if first.is_none() {
                    first = Some(w);
                }
                last = Some(w);
            }
            _ => break,
        }
    }
    out.raw_words = first.zip(last);
    for t in tokens {
        let w = match *t {
            Token::Word(w) => w,
            Token::Bracket(b, _) => b,
            _ => continue,
        };
        if let Some(p) = protocol_from_word(w) {
            out.protocol = Some(p);
            break;
        }
        // A word or literal holding no whitespace (no byte up to a space, no non-ASCII
        // character) is its own only piece, already looked up: the normalised line holds
        // no whitespace but the spaces the tokenizer splits on.
        if !w.bytes().fold(false, |ws, b| ws | (b <= b' ' || b >= 0x80)) {
            continue;
        }
        for inner in w.split_whitespace() {
            if let Some(p) = protocol_from_word(inner) {
                out.protocol = Some(p);
                break;
            }
        }
        if out.protocol.is_some() {
            break;
        }
    }
    if out.protocol.is_none() {
        if let Some(w) = first {
            out.protocol = Some(Protocol::Other(w.to_ascii_uppercase()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(protocol_from_word("esmtpsa"), Some(Protocol::Esmtpsa));
        assert_eq!(
            protocol_from_word("ESMTP/TLS/DHE-RSA-AES256-GCM-SHA384"),
            Some(Protocol::Esmtp)
        );
        assert_eq!(protocol_from_word("ESMTP-TLS"), Some(Protocol::Esmtps));
        assert_eq!(protocol_from_word("local-esmtp"), Some(Protocol::Esmtp));
        assert_eq!(protocol_from_word("Thrift"), None);
        assert_eq!(protocol_from_word("LOCAL-ESMTPSA"), Some(Protocol::Esmtpsa));
        assert_eq!(protocol_from_word("local-esmtpsax"), None);
        assert_eq!(protocol_from_word(""), None);
    }

    /// The lookup by length answers as the walk over the whole table does, for every
    /// spelling in three cases and for its neighbours one byte longer or shorter.
    #[test]
    fn lookup_by_length_agrees_with_the_table() {
        let walk = |w: &str| {
            PROTOCOL_RULES
                .iter()
                .find(|(s, _, _)| s.eq_ignore_ascii_case(w))
                .map(|(_, p, _)| p.clone())
        };
        for (s, _, _) in PROTOCOL_RULES {
            for w in [
                s.to_string(),
                s.to_ascii_lowercase(),
                s.to_ascii_uppercase(),
                format!("{s}x"),
                s[1..].to_string(),
                s[..s.len() - 1].to_string(),
            ] {
                assert_eq!(protocol_from_word(&w), walk(&w), "{w}");
            }
        }
    }
}
