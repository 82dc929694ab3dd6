//! Splitting the token stream into RFC 5321 §4.4 clauses (`from`, `by`, `via`, `with`,
//! `id`, `for`) plus the date after the last top-level `;`.
//!
//! Keywords are matched case-insensitively and only as whole top-level words, so `for`
//! inside `(using TLSv1.3 with cipher …)` or `(for [1.2.3.4])` never starts a clause. Each
//! keyword is taken once: a second `by` (`by uid 7791`) is just a word of the current clause.
//! MTAs write clauses in any order, so each one is simply the run of tokens up to the next
//! keyword.

use crate::ci::eq_keyword;
use crate::lex::Token;
use std::ops::Range;

/// Token ranges of each clause; empty ranges mean "absent".
#[derive(Debug, Default, Clone)]
pub(crate) struct Clauses {
    /// Tokens before the first keyword (qmail's `(qmail 1 invoked …)`, garbage).
    pub lead: Range<usize>,
    pub from: Option<Range<usize>>,
    pub by: Option<Range<usize>>,
    pub via: Option<Range<usize>>,
    pub with: Option<Range<usize>>,
    pub id: Option<Range<usize>>,
    pub for_: Option<Range<usize>>,
    /// XMail / IBM write `for <rcpt> from <sender>` after `by`: the envelope sender.
    pub late_from: Option<Range<usize>>,
    /// Client text supplied one of several `by` keywords (see [`receiver_by`]).
    pub suspect: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kw {
    From,
    By,
    Via,
    With,
    Id,
    For,
    LateFrom,
}

fn keyword(word: &str) -> Option<Kw> {
    // By length, then the case-insensitive letters: one or two comparisons per word
    // instead of a walk over the table.
    let kw = match word.len() {
        2 if eq_keyword(word, "by") => Kw::By,
        2 if eq_keyword(word, "id") => Kw::Id,
        3 if eq_keyword(word, "via") => Kw::Via,
        3 if eq_keyword(word, "for") => Kw::For,
        4 if eq_keyword(word, "from") => Kw::From,
        4 if eq_keyword(word, "with") => Kw::With,
        _ => return None,
    };
    Some(kw)
}

/// The receiver's `by`: the last top-level `by` of the body that is not qmail-scanner's
/// `by uid N`. The client's HELO comes before it and may itself contain ` by `. The second
/// value is true when a `for` stands between the first and that last `by`: then either
/// the HELO or the recipient (both client text) supplied a `by`, and the line cannot be
/// read safely.
pub(crate) fn receiver_by(tokens: &[Token<'_>]) -> Option<(usize, bool)> {
    let is_kw = |t: &Token<'_>, k: &str| matches!(*t, Token::Word(w) if eq_keyword(w, k));
    let is_by =
        |i: usize| is_kw(&tokens[i], "by") && !tokens.get(i + 1).is_some_and(|n| is_kw(n, "uid"));
    let last = (0..tokens.len()).rev().find(|&i| is_by(i))?;
    let first = (0..last).find(|&i| is_by(i)).unwrap_or(last);
    let suspect = tokens[first..last].iter().any(|t| is_kw(t, "for"));
    Some((last, suspect))
}

/// Assign every token of the body (everything before the date) to a clause.
///
/// Between `from` and the receiver's `by` everything belongs to the from clause: that span
/// starts with the client's HELO, which can hold any keyword (`with`, `id`, `by`, `via`).
pub(crate) fn split(tokens: &[Token<'_>]) -> Clauses {
    let body_end = tokens.len();
    let mut c = Clauses::default();
    let mut seen = [false; 7];
    let mut current: Option<(Kw, usize)> = None;
    let mut first_kw_at = body_end;
    let recv = receiver_by(tokens);
    let recv_by = recv.map(|r| r.0);
    c.suspect = recv.is_some_and(|r| r.1);

    let close = |c: &mut Clauses, cur: Option<(Kw, usize)>, end: usize| {
        if let Some((kw, start)) = cur {
            let r = Some(start..end);
            match kw {
                Kw::From => c.from = r,
                Kw::By => c.by = r,
                Kw::Via => c.via = r,
                Kw::With => c.with = r,
                Kw::Id => c.id = r,
                Kw::For => c.for_ = r,
                Kw::LateFrom => c.late_from = r,
            }
        }
    };

    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = *t else { continue };
        let Some(mut kw) = keyword(w) else { continue };
        if matches!(current, Some((Kw::From, _))) && recv_by.is_some_and(|b| i < b) {
            continue;
        }
        if kw == Kw::From && (seen[Kw::From as usize] || current.is_some()) {
            // A later `from` only counts when it introduces an envelope sender.
            let next_is_addr = matches!(tokens.get(i + 1), Some(Token::Angle(_)))
                || matches!(tokens.get(i + 1), Some(Token::Word(n)) if n.contains('@'));
            if !next_is_addr || seen[Kw::LateFrom as usize] {
                continue;
            }
            kw = Kw::LateFrom;
        }
        if seen[kw as usize] {
            continue;
        }
        seen[kw as usize] = true;
        if current.is_none() {
            first_kw_at = i;
        }
        close(&mut c, current, i);
        current = Some((kw, i + 1));
    }
    close(&mut c, current, body_end);
    c.lead = 0..first_kw_at.min(body_end);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::tokenize;

    fn body(s: &str) -> Vec<Token<'_>> {
        let all: Vec<Token<'_>> = tokenize(s).tokens;
        let end = all
            .iter()
            .rposition(|t| *t == Token::Semi)
            .unwrap_or(all.len());
        all[..end].to_vec()
    }

    #[test]
    fn clauses_in_any_order() {
        let toks = body("from a by b (Postfix) for <x> with ESMTP id 1; date");
        let c = split(&toks);
        assert_eq!(c.from, Some(1..2));
        assert_eq!(c.by, Some(3..5));
        assert_eq!(c.for_, Some(6..7));
        assert_eq!(c.with, Some(8..9));
        assert_eq!(c.id, Some(10..11));
    }

    #[test]
    fn second_by_is_a_word() {
        let toks = body("from q by alpha by uid 7791 with qmail-scanner");
        let c = split(&toks);
        assert_eq!(c.by, Some(3..7));
    }

    #[test]
    fn helo_keywords_stay_in_the_from_clause() {
        let toks = body("from x with y by z (a [1.2.3.4]) by mx (Postfix) with ESMTP id 1; d");
        let c = split(&toks);
        assert_eq!(c.from, Some(1..7));
        assert_eq!(c.by, Some(8..10));
        assert_eq!(c.with, Some(11..12));
    }

    #[test]
    fn late_from_is_envelope_sender() {
        let toks = body("from h by b with ESMTP for <r@x> from <s@y>; d");
        let c = split(&toks);
        assert!(c.late_from.is_some());
    }
}
