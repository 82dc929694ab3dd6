//! Hops that are not a network relay: mailbox retrieval and local submission.
//!
//! A relay verdict asks "which network peer handed this message on?". Two kinds of line
//! answer nothing to that question and must be skipped, not blamed: the user's own agent
//! fetching the message from a mailbox (its "client" is the mailbox server), and a local
//! program handing the message to the MTA (no peer at all). Both are recognised only from
//! text the *receiver* wrote (the `with` protocol, the comments of the by and with clauses,
//! the leading qmail / Sendmail comment), never from the from clause or the `for` recipient,
//! which the client chooses.

use crate::ci::{contains_ci, eq_ci_str, strip_prefix_ci};
use crate::hop::NonRelay;
use crate::lex::Token;

/// Where a rule looks.
#[derive(Clone, Copy)]
enum Place {
    /// The `with` protocol as written: the needle is a case-insensitive prefix of its first
    /// word, and the word must be exactly the needle or the needle plus digits / `S` / `-…`.
    With,
    /// Any comment after the from clause (or before any clause) starting with the needle.
    Comment,
    /// Any comment after the from clause (or before any clause) containing the needle.
    CommentContains,
    /// The comment before the first clause (qmail-queue's, Sendmail's `(from user)`).
    Lead,
}

struct Rule {
    id: &'static str,
    place: Place,
    needle: &'static str,
    kind: NonRelay,
    reason: &'static str,
}

#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { id: "retrieval-imap", place: Place::With, needle: "IMAP", kind: NonRelay::Retrieval,
           reason: "fetchmail/getmail write `by localhost with IMAP` for a mailbox fetch (fetchmail(1) `Received:` header)" },
    Rule { id: "retrieval-pop", place: Place::With, needle: "POP", kind: NonRelay::Retrieval,
           reason: "fetchmail/getmail write `with POP3` for a mailbox fetch" },
    Rule { id: "retrieval-fetchmail", place: Place::Comment, needle: "fetchmail", kind: NonRelay::Retrieval,
           reason: "fetchmail signs its line `(fetchmail-6.4.37)`" },
    Rule { id: "retrieval-getmail", place: Place::Comment, needle: "getmail", kind: NonRelay::Retrieval,
           reason: "getmail signs its line `(getmail 5.16)`" },
    Rule { id: "pickup-local", place: Place::With, needle: "local", kind: NonRelay::LocalPickup,
           reason: "Exim `with local` / `local-esmtp` (-bs), MTAs' `with LOCAL`: submitted by a local program" },
    Rule { id: "pickup-userid", place: Place::CommentContains, needle: "from userid ", kind: NonRelay::LocalPickup,
           reason: "Postfix pickup(8) writes `by host (Postfix, from userid N)` for sendmail(1) submissions; others copy it" },
    Rule { id: "pickup-qmail-uid", place: Place::Lead, needle: "invoked by uid", kind: NonRelay::LocalPickup,
           reason: "qmail-queue writes `(qmail PID invoked by uid N)` when a local user ran qmail-inject" },
    Rule { id: "pickup-qmail-alias", place: Place::Lead, needle: "invoked by alias", kind: NonRelay::LocalPickup,
           reason: "qmail-local re-injects a forwarded message as `(qmail PID invoked by alias)`" },
    Rule { id: "pickup-qmail-bounce", place: Place::Lead, needle: "invoked for bounce", kind: NonRelay::LocalPickup,
           reason: "qmail-send injects its own bounce as `(qmail PID invoked for bounce)`" },
];

/// Classify the line. `lead` holds the tokens before the first clause, `receiver` the by
/// and with clauses (the receiver's own text, not the client-chosen `for` recipient),
/// `with_word` the first protocol word.
pub(crate) fn classify(
    lead: &[Token<'_>],
    receiver: &[&[Token<'_>]],
    with_word: Option<&str>,
    has_from_clause: bool,
) -> Option<NonRelay> {
    // The comment rules are answered in one pass over the comments, on the first rule
    // that needs them: which needles some comment starts with or contains.
    let mut comment_hits: Option<[bool; RULES.len()]> = None;
    for (k, rule) in RULES.iter().enumerate() {
        debug_assert!(!rule.id.is_empty() && !rule.reason.is_empty());
        let hit = match rule.place {
            Place::With => with_word.is_some_and(|w| with_matches(w, rule.needle)),
            Place::Comment | Place::CommentContains => {
                let lead = if has_from_clause { &[][..] } else { lead };
                comment_hits.get_or_insert_with(|| comment_rule_hits(receiver, lead))[k]
            }
            Place::Lead => lead.iter().any(|t| match *t {
                Token::Comment(c) => {
                    qmail_tail(c).is_some_and(|rest| comment_starts(rest, rule.needle))
                }
                _ => false,
            }),
        };
        if hit {
            return Some(rule.kind);
        }
    }
    // Sendmail local submission: `(from user@localhost) by host (8.x/8.x/Submit) id …`, the
    // `(from …)` comment naming a local user and no network address.
    if !has_from_clause {
        for t in lead {
            if let Token::Comment(c) = *t {
                if let Some(who) = strip_prefix_ci(c, "from ") {
                    if is_local_user(who.trim()) {
                        return Some(NonRelay::LocalPickup);
                    }
                }
            }
        }
    }
    None
}

const fn reads_comments(place: Place) -> bool {
    matches!(place, Place::Comment | Place::CommentContains)
}

/// How many rules read the comments.
const N_COMMENT_RULES: usize = {
    let (mut n, mut k) = (0, 0);
    while k < RULES.len() {
        if reads_comments(RULES[k].place) {
            n += 1;
        }
        k += 1;
    }
    n
};

/// The rules that read the comments, by index in table order.
const COMMENT_RULES: [usize; N_COMMENT_RULES] = {
    let mut t = [0; N_COMMENT_RULES];
    let (mut n, mut k) = (0, 0);
    while k < RULES.len() {
        if reads_comments(RULES[k].place) {
            t[n] = k;
            n += 1;
        }
        k += 1;
    }
    t
};

/// For each rule of [`Place::Comment`] or [`Place::CommentContains`], whether some comment
/// of `receiver` or `lead` starts with or contains its needle (other rules: false).
///
/// One pass over the comments for all those rules, instead of one per rule: each
/// comment's leading blanks are trimmed once and its first byte decides which prefixes
/// can match.
fn comment_rule_hits(receiver: &[&[Token<'_>]], lead: &[Token<'_>]) -> [bool; RULES.len()] {
    let mut hits = [false; RULES.len()];
    // Plain loops: the chained iterator cost more than the comparisons.
    for part in receiver.iter().copied().chain([lead]) {
        for t in part {
            let Token::Comment(c) = *t else { continue };
            let trimmed = c.trim_start();
            for &k in &COMMENT_RULES {
                let rule = &RULES[k];
                hits[k] = hits[k]
                    || if matches!(rule.place, Place::Comment) {
                        strip_prefix_ci(trimmed, rule.needle).is_some()
                    } else {
                        c.len() >= rule.needle.len() && contains_ci(c, rule.needle)
                    };
            }
        }
    }
    hits
}

/// `IMAP`, `IMAP4`, `IMAPS`, `POP3`, `pop3s`, `local`, `local-esmtp` — not `IMAPX-ish`
/// words that merely start the same.
fn with_matches(word: &str, needle: &str) -> bool {
    let Some(rest) = strip_prefix_ci(word, needle) else {
        return false;
    };
    rest.is_empty()
        || rest.starts_with('-')
        || rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b.eq_ignore_ascii_case(&b'S'))
}

fn comment_starts(c: &str, needle: &str) -> bool {
    strip_prefix_ci(c.trim_start(), needle).is_some()
}

/// The part of `(qmail 1234 invoked by uid 7)` after the program name and PID
/// (`qmail+freegate 1234 …`, `qmail 1234 messnum 5 …` included).
fn qmail_tail(c: &str) -> Option<&str> {
    let rest = strip_prefix_ci(c, "qmail")?;
    let mut words = rest.splitn(2, ' ');
    let _name_suffix = words.next()?;
    let after = words.next()?.trim_start();
    let (pid, tail) = after.split_once(' ')?;
    pid.bytes()
        .all(|b| b.is_ascii_digit())
        .then_some(tail.trim_start())
}

/// `user@localhost`, `root@localhost.localdomain`, or a bare `user`: a local account, not a
/// network host.
fn is_local_user(who: &str) -> bool {
    if who.is_empty() || who.contains([' ', '[', '(']) {
        return false;
    }
    match who.rsplit_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && (eq_ci_str(host, "localhost") || strip_prefix_ci(host, "localhost.").is_some())
        }
        None => who
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one pass over the comments answers each comment rule as reading the comments
    /// once per rule would, alone and with other comments beside it.
    #[test]
    fn one_comment_pass_agrees_with_each_rule() {
        let comments = [
            "Postfix, from userid 1000",
            "  fetchmail-6.4.37 IMAP4",
            "getmail 5.16",
            "Postfix",
            "FROM USERID 0",
            "qmail 1 invoked by uid 7",
            "x from userid",
            "",
            " ",
            "é getmail",
        ];
        for a in comments {
            for b in comments {
                let toks = [Token::Comment(a), Token::Word("by"), Token::Comment(b)];
                let hits = comment_rule_hits(&[&toks[..1]], &toks[1..]);
                for (k, rule) in RULES.iter().enumerate() {
                    let per_rule = [a, b].iter().any(|c| match rule.place {
                        Place::Comment => comment_starts(c, rule.needle),
                        Place::CommentContains => contains_ci(c, rule.needle),
                        Place::With | Place::Lead => false,
                    });
                    assert_eq!(hits[k], per_rule, "{a:?} {b:?} {}", rule.id);
                }
            }
        }
    }

    #[test]
    fn with_words() {
        assert!(with_matches("IMAP", "IMAP"));
        assert!(with_matches("pop3", "POP"));
        assert!(with_matches("POP3S", "POP"));
        assert!(with_matches("local-esmtp", "local"));
        assert!(!with_matches("localhost", "local"));
        assert!(!with_matches("IMAPX", "IMAP"));
    }

    #[test]
    fn qmail_comment_tail() {
        assert_eq!(
            qmail_tail("qmail 1234 invoked by uid 7"),
            Some("invoked by uid 7")
        );
        assert_eq!(
            qmail_tail("qmail+freegate 9 invoked by alias"),
            Some("invoked by alias")
        );
        assert_eq!(qmail_tail("qmail x invoked by uid 7"), None);
    }

    #[test]
    fn local_users() {
        assert!(is_local_user("mdom@localhost"));
        assert!(is_local_user("root"));
        assert!(!is_local_user("host.example [1.2.3.4]"));
        assert!(!is_local_user("u@mail.example"));
    }
}
