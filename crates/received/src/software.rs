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

/// For each byte, the rules whose needle starts with it (either case), one bit per rule
/// index.
const BY_FIRST: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut k = 0;
    while k < RULES.len() {
        let b = RULES[k].needle.as_bytes()[0];
        t[b.to_ascii_lowercase() as usize] |= 1 << k;
        t[b.to_ascii_uppercase() as usize] |= 1 << k;
        k += 1;
    }
    t
};

/// The rules of each place, one bit per rule index.
const IN_PLACE: [u16; 2] = {
    let mut t = [0u16; 2];
    let mut k = 0;
    while k < RULES.len() {
        t[RULES[k].place as usize] |= 1 << k;
        k += 1;
    }
    t
};

const _: () = assert!(RULES.len() <= 16);

/// Lower `best` to the earliest rule of `place` that some comment of `tokens` starts
/// with, keeping the first such comment (a rule's later hits never replace it).
///
/// One pass over the comments, testing each only against the rules of `place` whose
/// needle starts with its first byte (one table lookup), instead of one pass over every
/// comment per rule: the answer is the same (the lowest rule index with a hit, then its
/// first comment in order).
fn first_hits<'a>(tokens: &[Token<'a>], place: Place, best: &mut Option<(usize, &'a str)>) {
    let in_place = IN_PLACE[place as usize];
    for t in tokens {
        let Token::Comment(c) = *t else { continue };
        let Some(&b) = c.as_bytes().first() else {
            continue;
        };
        // Rules below the best so far only.
        let below = best.map_or(u16::MAX, |(k, _)| (1u16 << k) - 1);
        let mut candidates = BY_FIRST[usize::from(b)] & in_place & below;
        while candidates != 0 {
            let k = candidates.trailing_zeros() as usize;
            if strip_prefix_ci(c, RULES[k].needle).is_some() {
                *best = Some((k, c));
                break;
            }
            candidates &= candidates - 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The table-driven pass picks the rule and comment that one pass over the comments
    /// per rule, in table order, picks: for every pair of comments and both places.
    #[test]
    fn first_hits_agree_with_one_pass_per_rule() {
        let comments = [
            "Exim 4.96",
            "exim 4.50",
            "Postfix",
            "POSTFIX, from userid 0",
            "qmail 123 invoked by uid 7",
            "MDaemon PRO v19",
            "CommuniGate Pro SMTP 6",
            "Lotus Domino Release 9",
            "Domino Release 12",
            "Zimbra 9",
            "amavisd-new, port 10024",
            "Eximx",
            "",
            "é Postfix",
            "[1.2.3.4]",
        ];
        for place in [Place::AnyComment, Place::Lead] {
            for a in comments {
                for b in comments {
                    let toks = [Token::Comment(a), Token::Word("by"), Token::Comment(b)];
                    let want = RULES.iter().enumerate().find_map(|(k, rule)| {
                        (rule.place == place)
                            .then(|| {
                                [a, b]
                                    .into_iter()
                                    .find(|c| strip_prefix_ci(c, rule.needle).is_some())
                            })
                            .flatten()
                            .map(|c| (k, c))
                    });
                    let mut got = None;
                    first_hits(&toks, place, &mut got);
                    assert_eq!(got, want, "{a:?} {b:?}");
                    // A best already found is only ever lowered.
                    let mut lowered = Some((4, "x"));
                    first_hits(&toks, place, &mut lowered);
                    let expect = match want {
                        Some((k, c)) if k < 4 => Some((k, c)),
                        _ => Some((4, "x")),
                    };
                    assert_eq!(lowered, expect, "{a:?} {b:?}");
                }
            }
        }
    }
}
