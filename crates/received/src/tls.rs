//! TLS version and cipher, in each MTA's own notation.
//!
//! | id | writer | example |
//! |---|---|---|
//! | `postfix-using` | Postfix | `(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))` |
//! | `kv` | Gmail, Exchange, Sendmail, ecelerity | `(version=TLS1_3 cipher=…)`, `(version=TLS1_2, cipher=…)` |
//! | `tls-colon` | Courier, CommuniGate | `(TLS: TLSv1/SSLv3, 168bits,DES-CBC3-SHA)` |
//! | `exim-triple` | Exim < 4.92 | `(TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128)`, `(Cipher TLSv1:DES-CBC3-SHA:168)` |
//! | `exim-tls-word` | Exim ≥ 4.92 | `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384` |
//! | `slash` | S-Web and others | `with ESMTP/TLS/DHE-RSA-AES256-GCM-SHA384` |
//! | `qmail-tls` | qmail TLS patch | `with AES256-SHA encrypted SMTP` |
//!
//! Versions are kept as written (`TLSv1.3`, `TLS1_3`): the notation itself hints at the MTA.

use crate::ci::{eq_ci_str, eq_keyword, find_ci, has_byte, has_colon_equals, strip_prefix_ci};
use crate::lex::{comment_words, Token};

/// Borrowed TLS facts; either half may be missing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlsFacts<'a> {
    pub version: Option<&'a str>,
    pub cipher: Option<&'a str>,
}

impl<'a> TlsFacts<'a> {
    fn merge(&mut self, other: TlsFacts<'a>) {
        self.version = self.version.or(other.version);
        self.cipher = self.cipher.or(other.cipher);
    }
    pub fn is_empty(&self) -> bool {
        self.version.is_none() && self.cipher.is_none()
    }
}

/// Scan every token of the header (comments at any position, with-clause words).
pub(crate) fn scan<'a>(tokens: &[Token<'a>]) -> TlsFacts<'a> {
    let mut out = TlsFacts::default();
    for (i, t) in tokens.iter().enumerate() {
        // The first version and cipher found win: nothing later can change them.
        if out.version.is_some() && out.cipher.is_some() {
            break;
        }
        match *t {
            Token::Comment(c) => out.merge(from_comment(c)),
            Token::Word(w) => {
                if eq_keyword(w, "tls") {
                    if let Some(Token::Word(c)) = tokens.get(i + 1) {
                        if looks_like_cipher(c) {
                            out.merge(TlsFacts {
                                version: None,
                                cipher: Some(c),
                            });
                        }
                    }
                } else if eq_keyword(w, "encrypted") && i > 0 {
                    if let Token::Word(c) = tokens[i - 1] {
                        if looks_like_cipher(c) {
                            out.merge(TlsFacts {
                                version: None,
                                cipher: Some(c),
                            });
                        }
                    }
                } else if let Some(pos) = (w.len() > "/TLS/".len() && has_byte(w, b'/'))
                    .then(|| find_ci(w, "/TLS/"))
                    .flatten()
                {
                    let c = &w[pos + 5..];
                    if !c.is_empty() {
                        out.merge(TlsFacts {
                            version: None,
                            cipher: Some(c),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn from_comment(c: &str) -> TlsFacts<'_> {
    // postfix-using
    if let Some(rest) = strip_prefix_ci(c, "using ") {
        let mut words = rest.split_whitespace();
        let version = words.next();
        let mut cipher = None;
        while let Some(w) = words.next() {
            if eq_ci_str(w, "cipher") {
                cipher = words.next();
                break;
            }
        }
        return TlsFacts { version, cipher };
    }
    // Every notation below but the bare version holds a `:` or a `=`: most comments
    // (`(Postfix)`, host-info) have neither and skip the searches.
    let (has_colon, has_equals) = has_colon_equals(c);
    // tls-colon (possibly after `AUTH: …,`)
    if let Some(pos) = has_colon.then(|| find_ci(c, "TLS:")).flatten() {
        if pos == 0 || c[..pos].trim_end().ends_with(',') {
            let mut parts = c[pos + 4..]
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty());
            let version = parts.next();
            let cipher = parts.find(|p| !p.to_ascii_lowercase().ends_with("bits"));
            return TlsFacts { version, cipher };
        }
    }
    // kv
    if has_equals && (find_ci(c, "version=").is_some() || find_ci(c, "cipher=").is_some()) {
        let mut out = TlsFacts::default();
        for w in comment_words(c) {
            if let Some(v) = strip_prefix_ci(w, "version=") {
                out.version = out.version.or(Some(v).filter(|v| !v.is_empty()));
            } else if let Some(v) = strip_prefix_ci(w, "cipher=") {
                out.cipher = out.cipher.or(Some(v).filter(|v| !v.is_empty()));
            }
        }
        return out;
    }
    // exim-triple, optionally labelled: `(tls_cipher TLS-1.0:RSA_AES_256_CBC_SHA:32)`,
    // `(Cipher TLSv1:DES-CBC3-SHA:168)` (Exim 3 / customised received_header_text).
    // The triple has exactly two `:` and its optional label none: address comments
    // (`[2001:db8::1]`) have more and skip the splitting. It starts with its label
    // (`tls_cipher`, `cipher`) or its version (`TLS…`, `SSL…`, `UNKNOWN`): a comment
    // (trimmed by the tokenizer) starting with another byte is not counted at all.
    if has_colon && starts_triple(c) && c.bytes().filter(|&b| b == b':').count() == 2 {
        let triple = c
            .split_once(' ')
            .filter(|(label, _)| eq_ci_str(label, "tls_cipher") || eq_ci_str(label, "cipher"))
            .map_or(c, |(_, t)| t.trim());
        let mut parts = triple.split(':');
        if let (Some(v), Some(ci), Some(bits), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            if (is_version(v) || eq_ci_str(v, "UNKNOWN"))
                && looks_like_cipher(ci)
                && bits.bytes().all(|b| b.is_ascii_digit())
            {
                let version = (!eq_ci_str(v, "UNKNOWN")).then_some(v);
                return TlsFacts {
                    version,
                    cipher: Some(ci),
                };
            }
        }
    }
    // exim-tls-word: a bare version comment `(TLS1.3)`.
    if is_version(c) && !c.contains(' ') {
        return TlsFacts {
            version: Some(c),
            cipher: None,
        };
    }
    TlsFacts::default()
}

/// The first byte of every labelled or bare exim-triple: `t`(ls_cipher, LS), `c`(ipher),
/// `s`(SL), `u`(NKNOWN), in either case.
fn starts_triple(c: &str) -> bool {
    c.bytes()
        .next()
        .is_some_and(|b| matches!(b | 0x20, b't' | b'c' | b's' | b'u'))
}

// Inlined: every comment the other notations leave is asked, and most are answered from
// the first byte.
#[inline]
fn is_version(s: &str) -> bool {
    // Most comments and words start with another letter: answer before trimming.
    if s.bytes()
        .next()
        .is_none_or(|b| b.is_ascii_alphanumeric() && !matches!(b, b't' | b'T' | b's' | b'S'))
    {
        return false;
    }
    let s = s.trim();
    (strip_prefix_ci(s, "TLS").is_some() || strip_prefix_ci(s, "SSL").is_some())
        && s.len() <= 16
        && s[3..].bytes().any(|b| b.is_ascii_digit())
}

fn looks_like_cipher(s: &str) -> bool {
    s.len() >= 6
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.'))
        && s.bytes().any(|b| b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::tokenize;

    fn tls(s: &str) -> (Option<&str>, Option<&str>) {
        let toks: Vec<Token<'_>> = tokenize(s).tokens;
        let f = scan(&toks);
        (f.version, f.cipher)
    }

    #[test]
    fn each_notation() {
        assert_eq!(
            tls("(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))"),
            (Some("TLSv1.3"), Some("TLS_AES_256_GCM_SHA384"))
        );
        assert_eq!(
            tls("(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)"),
            (
                Some("TLS1_2"),
                Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
            )
        );
        assert_eq!(
            tls("(version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128)"),
            (Some("TLS1_3"), Some("TLS_AES_128_GCM_SHA256"))
        );
        assert_eq!(
            tls("(TLS: TLSv1/SSLv3, 168bits,DES-CBC3-SHA)"),
            (Some("TLSv1/SSLv3"), Some("DES-CBC3-SHA"))
        );
        assert_eq!(
            tls("(AUTH: CRAM-MD5 u, TLS: TLS1.3, 128bits, ECDHE_RSA_AES_128_GCM_SHA256)"),
            (Some("TLS1.3"), Some("ECDHE_RSA_AES_128_GCM_SHA256"))
        );
        assert_eq!(
            tls("with esmtpsa (TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128) (Exim 4.84_2)"),
            (Some("TLS1.2"), Some("ECDHE_RSA_AES_128_GCM_SHA256"))
        );
        assert_eq!(
            tls("with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96)"),
            (Some("TLS1.3"), Some("TLS_AES_256_GCM_SHA384"))
        );
        assert_eq!(
            tls("with ESMTP/TLS/DHE-RSA-AES256-GCM-SHA384"),
            (None, Some("DHE-RSA-AES256-GCM-SHA384"))
        );
        assert_eq!(
            tls("with AES256-SHA encrypted SMTP"),
            (None, Some("AES256-SHA"))
        );
        assert_eq!(tls("(Postfix) with ESMTP"), (None, None));
    }
}
