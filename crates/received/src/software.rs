//! Which program wrote the hop, from the comments and phrases MTAs sign their lines with.
//!
//! Recognisers are data: each has an id, where it looks, and the reason it is trusted.
//! The first match in table order wins; the name is kept as written (version included),
//! so `Exim 4.96` and `Exim 4.50` stay distinguishable for the analyst.

use crate::ci::strip_prefix_ci;
use crate::ip_literal::parse_ip_literal;
use crate::lex::Token;

/// Where a recogniser looks.
#[derive(Clone, Copy, PartialEq, Eq)]
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
    // The first rule in table order with a hit anywhere in its place wins, with the first
    // comment it hits.
    let mut best: Option<(usize, &'a str)> = None;
    first_hits(all, Place::AnyComment, &mut best);
    first_hits(lead, Place::Lead, &mut best);
    if let Some((k, c)) = best {
        return Some(match RULES[k].canonical {
            Some(name) => name.to_string(),
            None => cap(c).to_string(),
        });
    }
    if let Some(w) = with_raw {
        if strip_prefix_ci(w, "Microsoft SMTPSVC").is_some() {
            let version = all.iter().find_map(|t| match *t {
                Token::Comment(c) if c.bytes().next().is_some_and(|b| b.is_ascii_digit()) => {
                    Some(c)
                }
                _ => None,
            });
            return Some(match version {
                // `concat` allocates once at the final size; `format!` guesses and grows.
                Some(v) => ["Microsoft SMTPSVC(", v, ")"].concat(),
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
                return Some(["Sendmail ", first].concat());
            }
            let name = c.split(',').next().unwrap_or(c).trim();
            if !name.is_empty() {
                return Some(cap(name).to_string());
            }
        }
    }
    None
}

// Every rule says what it recognises and why it is trusted.
const _: () = {
    let mut k = 0;
    while k < RULES.len() {
        assert!(!RULES[k].id.is_empty() && !RULES[k].reason.is_empty());
        k += 1;
    }
};

/// Lower-cased first byte of each rule's needle, in table order.
const FIRST: [u8; RULES.len()] = {
    let mut t = [0u8; RULES.len()];
    let mut k = 0;
    while k < RULES.len() {
        t[k] = RULES[k].needle.as_bytes()[0].to_ascii_lowercase();
        k += 1;
    }
    t
};

/// Lower `best` to the earliest rule of `place` that some comment of `tokens` starts
/// with, keeping the first such comment (a rule's later hits never replace it).
///
/// One pass over the comments, testing each only against the rules whose needle starts
/// with its first byte, instead of one pass over every comment per rule: the answer is
/// the same (the lowest rule index with a hit, then its first comment in order).
fn first_hits<'a>(tokens: &[Token<'a>], place: Place, best: &mut Option<(usize, &'a str)>) {
    for t in tokens {
        let Token::Comment(c) = *t else { continue };
        let Some(&b) = c.as_bytes().first() else {
            continue;
        };
        let b = b.to_ascii_lowercase();
        let end = best.map_or(RULES.len(), |(k, _)| k);
        for k in 0..end {
            if FIRST[k] == b
                && RULES[k].place == place
                && strip_prefix_ci(c, RULES[k].needle).is_some()
            {
                *best = Some((k, c));
                break;
            }
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
