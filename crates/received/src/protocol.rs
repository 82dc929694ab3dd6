//! The `with` clause: transfer protocol (RFC 3848 keywords and vendor spellings) and the
//! text MTAs put around it.
//!
//! The keyword table below maps every spelling seen in real headers to a [`Protocol`];
//! anything not in it is kept verbatim as [`Protocol::Other`]. `protocol_raw` keeps the
//! words exactly as written (`Microsoft SMTP Server`, `esmtpsa`, `local-esmtp`).

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
    PROTOCOL_RULES
        .iter()
        .find(|(spelling, _, _)| spelling.eq_ignore_ascii_case(head))
        .map(|(_, p, _)| p.clone())
}

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
            Token::Word(w) if w.eq_ignore_ascii_case("tls") && first.is_some() => break,
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
    }
}
