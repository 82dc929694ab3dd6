//! The `with` clause: transfer protocol (RFC 3848 keywords and vendor spellings) and the
//! text MTAs put around it.
//!
//! The keyword table below maps every spelling seen in real headers to a [`Protocol`];
//! anything not in it is kept verbatim as [`Protocol::Other`]. `protocol_raw` keeps the
//! words exactly as written (`Microsoft SMTP Server`, `esmtpsa`, `local-esmtp`).

use crate::hop::Protocol;
use crate::lex::Token;

/// One spelling of a protocol and why it maps where it does.
struct ProtocolRule {
    spelling: &'static str,
    protocol: fn() -> Protocol,
    reason: &'static str,
}

/// Case-insensitive exact spellings, first match wins.
const PROTOCOL_RULES: &[ProtocolRule] = &[
    ProtocolRule {
        spelling: "SMTP",
        protocol: || Protocol::Smtp,
        reason: "RFC 5321 §4.4",
    },
    ProtocolRule {
        spelling: "ESMTP",
        protocol: || Protocol::Esmtp,
        reason: "RFC 3848 §2",
    },
    ProtocolRule {
        spelling: "ESMTPS",
        protocol: || Protocol::Esmtps,
        reason: "RFC 3848 §2",
    },
    ProtocolRule {
        spelling: "ESMTPA",
        protocol: || Protocol::Esmtpa,
        reason: "RFC 3848 §2",
    },
    ProtocolRule {
        spelling: "ESMTPSA",
        protocol: || Protocol::Esmtpsa,
        reason: "RFC 3848 §2",
    },
    ProtocolRule {
        spelling: "LMTP",
        protocol: || Protocol::Lmtp,
        reason: "RFC 3848 §3",
    },
    ProtocolRule {
        spelling: "LMTPS",
        protocol: || Protocol::Lmtps,
        reason: "RFC 3848 §3",
    },
    ProtocolRule {
        spelling: "LMTPA",
        protocol: || Protocol::Lmtpa,
        reason: "RFC 3848 §3",
    },
    ProtocolRule {
        spelling: "LMTPSA",
        protocol: || Protocol::Lmtpsa,
        reason: "RFC 3848 §3",
    },
    ProtocolRule {
        spelling: "UTF8SMTP",
        protocol: || Protocol::Utf8Smtp,
        reason: "RFC 6531 §3.7.3",
    },
    ProtocolRule {
        spelling: "UTF8SMTPS",
        protocol: || Protocol::Utf8Smtps,
        reason: "RFC 6531 §3.7.3",
    },
    ProtocolRule {
        spelling: "UTF8SMTPA",
        protocol: || Protocol::Utf8Smtpa,
        reason: "RFC 6531 §3.7.3",
    },
    ProtocolRule {
        spelling: "UTF8SMTPSA",
        protocol: || Protocol::Utf8Smtpsa,
        reason: "RFC 6531 §3.7.3",
    },
    ProtocolRule {
        spelling: "UTF8ESMTP",
        protocol: || Protocol::Utf8Smtp,
        reason: "RFC 6531 registry alias",
    },
    ProtocolRule {
        spelling: "UTF8ESMTPS",
        protocol: || Protocol::Utf8Smtps,
        reason: "RFC 6531 registry alias",
    },
    ProtocolRule {
        spelling: "UTF8ESMTPA",
        protocol: || Protocol::Utf8Smtpa,
        reason: "RFC 6531 registry alias",
    },
    ProtocolRule {
        spelling: "UTF8ESMTPSA",
        protocol: || Protocol::Utf8Smtpsa,
        reason: "RFC 6531 registry alias",
    },
    ProtocolRule {
        spelling: "HTTP",
        protocol: || Protocol::Http,
        reason: "webmail submission (RFC 5321 §4.4 'via' link)",
    },
    ProtocolRule {
        spelling: "HTTPS",
        protocol: || Protocol::Https,
        reason: "webmail over TLS; Exchange Online internal hops",
    },
    ProtocolRule {
        spelling: "HTTPREST",
        protocol: || Protocol::Http,
        reason: "Gmail API submission",
    },
    ProtocolRule {
        spelling: "mapi",
        protocol: || Protocol::Mapi,
        reason: "Exchange store submission",
    },
    ProtocolRule {
        spelling: "local",
        protocol: || Protocol::Local,
        reason: "Exim/sendmail local submission",
    },
    ProtocolRule {
        spelling: "IMAP",
        protocol: || Protocol::Imap,
        reason: "fetchmail retrieval",
    },
    ProtocolRule {
        spelling: "ESMTP-TLS",
        protocol: || Protocol::Esmtps,
        reason: "CommuniGate spelling of ESMTPS",
    },
    ProtocolRule {
        spelling: "local-esmtp",
        protocol: || Protocol::Esmtp,
        reason: "Exim -bs local SMTP",
    },
    ProtocolRule {
        spelling: "local-esmtpa",
        protocol: || Protocol::Esmtpa,
        reason: "Exim -bs local SMTP with AUTH",
    },
    ProtocolRule {
        spelling: "local-smtp",
        protocol: || Protocol::Smtp,
        reason: "Exim -bs local SMTP",
    },
    ProtocolRule {
        spelling: "BSMTP",
        protocol: || Protocol::Smtp,
        reason: "batched SMTP",
    },
    ProtocolRule {
        spelling: "SMTPSVC",
        protocol: || Protocol::Smtp,
        reason: "IIS SMTP service (`Microsoft SMTPSVC(6.0…)`)",
    },
    ProtocolRule {
        spelling: "SMTPS",
        protocol: || Protocol::Esmtps,
        reason: "Gmail writes SMTPS for TLS submission",
    },
    ProtocolRule {
        spelling: "SMTPSA",
        protocol: || Protocol::Esmtpsa,
        reason: "TLS + AUTH, non-RFC spelling",
    },
    ProtocolRule {
        spelling: "SMTPA",
        protocol: || Protocol::Esmtpa,
        reason: "AUTH, non-RFC spelling",
    },
];

/// Map one word to a protocol, if it is a known spelling.
pub(crate) fn protocol_from_word(word: &str) -> Option<Protocol> {
    // `ESMTP/TLS/DHE-RSA-…` (S-Web), `ESMTP-TLS`: the part before `/`.
    let head = word.split('/').next().unwrap_or(word);
    PROTOCOL_RULES
        .iter()
        .find(|r| r.spelling.eq_ignore_ascii_case(head))
        .map(|r| {
            debug_assert!(!r.reason.is_empty());
            (r.protocol)()
        })
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
