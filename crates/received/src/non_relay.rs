//! Hops that are not a network relay: mailbox retrieval and local submission.
//!
//! A relay verdict asks "which network peer handed this message on?". Two kinds of line
//! answer nothing to that question and must be skipped, not blamed: the user's own agent
//! fetching the message from a mailbox (its "client" is the mailbox server), and a local
//! program handing the message to the MTA (no peer at all). Both are recognised only from
//! text the *receiver* wrote (the `with` protocol, the comments of the by and with clauses,
//! the leading qmail / Sendmail comment), never from the from clause or the `for` recipient,
//! which the client chooses.

use crate::ci::{contains_ci, strip_prefix_ci};
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
    for rule in RULES {
        debug_assert!(!rule.id.is_empty() && !rule.reason.is_empty());
        let hit = match rule.place {
            Place::With => with_word.is_some_and(|w| with_matches(w, rule.needle)),
            Place::Comment | Place::CommentContains => {
                let lead = if has_from_clause { &[][..] } else { lead };
                // Plain loops: the chained iterator cost more than the comparisons.
                let mut hit = false;
                for part in receiver.iter().copied().chain([lead]) {
                    for t in part {
                        if let Token::Comment(c) = *t {
                            hit = if matches!(rule.place, Place::Comment) {
                                comment_starts(c, rule.needle)
                            } else {
                                c.len() >= rule.needle.len() && contains_ci(c, rule.needle)
                            };
                            if hit {
                                break;
                            }
                        }
                    }
                    if hit {
                        break;
                    }
                }
                hit
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
                && (host.eq_ignore_ascii_case("localhost")
                    || strip_prefix_ci(host, "localhost.").is_some())
        }
        None => who
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
