//! Whether the client authenticated, and as whom.
//!
//! Recorded in many ways: RFC 3848 `ESMTPA`/`ESMTPSA`, Postfix `(Authenticated sender: x)`,
//! Sendmail and Haraka `(authenticated bits=0)`, Exim `authenticated as x` / `auth=x`,
//! Courier `(AUTH: mech user)`, CommuniGate `(account x …)`, SquirrelMail
//! `(SquirrelMail authenticated user x)`, Yahoo `(user@ip with login)`, Sendmail
//! `(user=x mech=PLAIN bits=0)`, and Exchange's bare `Authenticated`. Webmail (`with HTTP`,
//! `via HTTP`) and GMX/Web.de `(mpNNN)` submission hops are flagged in `parse`. Keeping authenticated submissions apart is what separates a compromised
//! account from an open relay, so every notation counts.

use crate::ci::{eq_keyword, find_ci, has_colon_equals, strip_prefix_ci};
use crate::lex::Token;

/// Auth facts found outside the from clause (which reads its own comments).
#[derive(Debug, Default)]
pub(crate) struct AuthFacts<'a> {
    pub authenticated: bool,
    pub user: Option<&'a str>,
}

/// Scan comments and top-level words of the whole header.
pub(crate) fn scan<'a>(tokens: &[Token<'a>]) -> AuthFacts<'a> {
    let mut out = AuthFacts::default();
    for (i, t) in tokens.iter().enumerate() {
        match *t {
            Token::Comment(c) => {
                // The keyed notations (`user=`, `auth=`, `AUTH:`) need a `=` or a `:`;
                // most comments have neither. A comment with one is split into words or
                // segments only when it holds the key somewhere (IPv6 addresses and TLS
                // or Exim `key=value` comments rarely do): a word or segment starting
                // with the key is a place the key occurs.
                let (has_colon, has_equals) = has_colon_equals(c);
                if let Some(user) = strip_prefix_ci(c, "Authenticated sender:") {
                    out.authenticated = true;
                    out.user = out.user.or(non_empty(user));
                } else if let Some(rest) = strip_prefix_ci(c, "authenticated") {
                    out.authenticated = true;
                    if let Some(user) = strip_prefix_ci(rest.trim_start(), "as ") {
                        out.user = out.user.or(non_empty(user));
                    } else if let Some(user) = strip_prefix_ci(rest.trim_start(), "user ") {
                        out.user = out.user.or(user.split_whitespace().next());
                    } else {
                        out.user = out.user.or(keyed(rest, "user="));
                    }
                } else if has_equals && find_ci(c, "user=").is_some() && is_sendmail_auth(c) {
                    // Sendmail `(user=alice mech=PLAIN bits=0)` (`$&{auth_authen}` forms).
                    out.authenticated = true;
                    out.user = out.user.or(keyed(c, "user="));
                } else if let Some(user) = after_phrase(c, "authenticated user ") {
                    // Webmail: `(SquirrelMail authenticated user bob)`, `(… authenticated user bob)`.
                    out.authenticated = true;
                    out.user = out.user.or(user.split_whitespace().next());
                } else if let Some(v) = (has_colon && find_ci(c, "AUTH:").is_some())
                    .then_some(c)
                    .into_iter()
                    .flat_map(|c| c.split(','))
                    .find_map(|seg| strip_prefix_ci(seg.trim(), "AUTH:"))
                {
                    out.authenticated = true;
                    out.user = out.user.or(v.split_whitespace().last());
                } else if has_equals && find_ci(c, "auth=").is_some() {
                    for w in c.split_whitespace() {
                        if let Some(user) = strip_prefix_ci(w, "auth=") {
                            out.authenticated = true;
                            out.user = out.user.or(non_empty(user));
                        }
                    }
                }
            }
            Token::Word(w) => {
                if let Some(user) = strip_prefix_ci(w, "auth=") {
                    out.authenticated = true;
                    out.user = out.user.or(non_empty(user));
                } else if eq_keyword(w, "authenticated") {
                    out.authenticated = true;
                    if matches!(tokens.get(i + 1), Some(Token::Word(a)) if eq_keyword(a, "as")) {
                        if let Some(Token::Word(u) | Token::Angle(u)) = tokens.get(i + 2) {
                            out.user = out.user.or(non_empty(u));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `key=value` among the words of a comment.
fn keyed<'a>(c: &'a str, key: &str) -> Option<&'a str> {
    c.split([' ', ','])
        .find_map(|w| strip_prefix_ci(w, key))
        .and_then(non_empty)
}

/// A comment made of `user=`, `mech=` and `bits=` words, as Sendmail writes for AUTH.
fn is_sendmail_auth(c: &str) -> bool {
    let mut user = false;
    let mut other = false;
    for w in c.split([' ', ',']).filter(|w| !w.is_empty()) {
        if strip_prefix_ci(w, "user=").is_some() {
            user = true;
        } else if strip_prefix_ci(w, "mech=").is_some() || strip_prefix_ci(w, "bits=").is_some() {
            other = true;
        }
    }
    user && other
}

/// The text after the first case-insensitive occurrence of `phrase` in `c`.
fn after_phrase<'a>(c: &'a str, phrase: &str) -> Option<&'a str> {
    if c.len() < phrase.len() {
        return None;
    }
    // An ASCII phrase can only match at a character boundary.
    find_ci(c, phrase).and_then(|i| c.get(i + phrase.len()..))
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}
