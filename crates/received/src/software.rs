//! Which program wrote the hop, from the comments and phrases MTAs sign their lines with.
//!
//! Recognisers are data: each has an id, where it looks, and the reason it is trusted.
//! The first match in table order wins; the name is kept as written (version included),
//! so `Exim 4.96` and `Exim 4.50` stay distinguishable for the analyst.

use crate::ci::strip_prefix_ci;
use crate::ip_literal::parse_ip_literal;
use crate::lex::Token;

/// Where a recogniser looks.
#[derive(Clone, Copy)]
enum Place {
    /// Any comment after the from clause starting with the needle.
    AnyComment,
    /// The leading comments before the first clause.
    Lead,
}

struct SoftwareRule {
    id: &'static str,
    place: Place,
    needle: &'static str,
    /// Keep only this canonical name instead of the comment text.
    canonical: Option<&'static str>,
    reason: &'static str,
}

const RULES: &[SoftwareRule] = &[
    SoftwareRule { id: "exim", place: Place::AnyComment, needle: "Exim ", canonical: None, reason: "Exim's default received_header_text appends `(Exim $version_number)`" },
    SoftwareRule { id: "postfix", place: Place::AnyComment, needle: "Postfix", canonical: Some("Postfix"), reason: "Postfix smtpd writes `by $myhostname (Postfix)`; pickup writes `(Postfix, from userid N)`" },
    SoftwareRule { id: "qmail", place: Place::Lead, needle: "qmail ", canonical: Some("qmail"), reason: "qmail-queue writes `(qmail PID invoked by uid N)` / `invoked from network`" },
    SoftwareRule { id: "mdaemon", place: Place::AnyComment, needle: "MDaemon", canonical: None, reason: "MDaemon signs `(MDaemon PRO v19.0.2)`" },
    SoftwareRule { id: "communigate", place: Place::AnyComment, needle: "CommuniGate", canonical: None, reason: "CommuniGate Pro signs `(CommuniGate Pro SMTP x.y)`" },
    SoftwareRule { id: "domino", place: Place::AnyComment, needle: "Lotus Domino", canonical: None, reason: "Domino signs `(Lotus Domino Release x)`" },
    SoftwareRule { id: "domino-hcl", place: Place::AnyComment, needle: "Domino Release", canonical: None, reason: "HCL Domino signs `(Domino Release x)`" },
    SoftwareRule { id: "zimbra", place: Place::AnyComment, needle: "Zimbra", canonical: None, reason: "Zimbra MTA/LMTP lines name the product" },
    SoftwareRule { id: "amavis", place: Place::AnyComment, needle: "amavisd-new", canonical: Some("amavisd-new"), reason: "content filter re-injection `(amavisd-new, port 10024)`" },
];

/// Find the writer of the line. `all` is every token after the from clause, `by` the
/// by-clause tokens, `with_raw` the with text.
pub(crate) fn detect<'a>(
    all: &[Token<'a>],
    lead: &[Token<'a>],
    by: &[Token<'a>],
    with_raw: Option<&'a str>,
) -> Option<String> {
    // Each rule looks at every comment; the comments are picked out of the tokens once
    // (a line has a handful) instead of walking all tokens again for every rule.
    let all_comments = Comments::of(all);
    let lead_comments = Comments::of(lead);
    for rule in RULES {
        debug_assert!(!rule.id.is_empty() && !rule.reason.is_empty());
        let hay = match rule.place {
            Place::AnyComment => &all_comments,
            Place::Lead => &lead_comments,
        };
        if let Some(c) = hay.find(|c| strip_prefix_ci(c, rule.needle).is_some()) {
            return Some(match rule.canonical {
                Some(name) => name.to_string(),
                None => cap(c).to_string(),
            });
        }
    }
    // Microsoft: `with Microsoft SMTP Server (…)`, `with Microsoft SMTPSVC(6.0.3790.4675)`.
    if let Some(w) = with_raw {
        if strip_prefix_ci(w, "Microsoft SMTPSVC").is_some() {
            let version = all.iter().find_map(|t| match *t {
                Token::Comment(c) if c.bytes().next().is_some_and(|b| b.is_ascii_digit()) => {
                    Some(c)
                }
                _ => None,
            });
            return Some(match version {
                Some(v) => format!("Microsoft SMTPSVC({v})"),
                None => "Microsoft SMTPSVC".to_string(),
            });
        }
        if strip_prefix_ci(w, "Microsoft ").is_some() {
            return Some(cap(w).to_string());
        }
    }
    // Sendmail: `by host (8.14.7/8.14.7)` — version pair with a slash.
    // Otherwise the first by-clause comment that is not host-info.
    for t in by.iter().skip(1) {
        if let Token::Comment(c) = *t {
            if is_host_info(c) {
                continue;
            }
            let first = c.split([' ', ',']).next().unwrap_or("");
            if first.contains('/') && first.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                return Some(format!("Sendmail {first}"));
            }
            let name = c.split(',').next().unwrap_or(c).trim();
            if !name.is_empty() {
                return Some(cap(name).to_string());
            }
        }
    }
    None
}

/// The comments of a token run, in order: kept in place when there are few (as on
/// every real line), else read from the tokens on each search.
enum Comments<'t, 'a> {
    Few([&'a str; FEW], usize),
    Many(&'t [Token<'a>]),
}

/// More comments than any real line holds.
const FEW: usize = 12;

impl<'t, 'a> Comments<'t, 'a> {
    fn of(tokens: &'t [Token<'a>]) -> Self {
        let mut few = [""; FEW];
        let mut n = 0;
        for t in tokens {
            if let Token::Comment(c) = *t {
                if n == FEW {
                    return Comments::Many(tokens);
                }
                few[n] = c;
                n += 1;
            }
        }
        Comments::Few(few, n)
    }

    /// The first comment `hit` accepts.
    fn find(&self, mut hit: impl FnMut(&str) -> bool) -> Option<&'a str> {
        match self {
            Comments::Few(few, n) => few[..*n].iter().copied().find(|c| hit(c)),
            Comments::Many(tokens) => tokens.iter().find_map(|t| match *t {
                Token::Comment(c) if hit(c) => Some(c),
                _ => None,
            }),
        }
    }
}

/// `(name [ip])`, `([ip])`, `(ip)`: the receiver's own address, not a product name.
pub(crate) fn is_host_info(c: &str) -> bool {
    c.split_whitespace().any(|w| parse_ip_literal(w).is_some())
}

fn cap(s: &str) -> &str {
    let mut end = s.len().min(120);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].trim()
}
