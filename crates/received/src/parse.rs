//! Entry point: one header value in, one [`Hop`] out.
//!
//! Stages, each in its own module: [`normalize`](crate::normalize) (unfold, clean, bound) →
//! [`lex`](crate::lex) (tokens) → date split at the last top-level `;` →
//! [`clause`](crate::clause) (from/by/via/with/id/for) → per-clause readers
//! ([`from_clause`](crate::from_clause), [`protocol`](crate::protocol)) and header-wide
//! recognisers ([`tls`](crate::tls), [`auth`](crate::auth), [`software`](crate::software)).
//! Work is linear in the input length and allocation is limited to the token vector and the
//! output strings.

use crate::ci::{eq_ci_str, eq_keyword, has_byte, strip_prefix_ci};
use crate::clause::{self, Clauses};
use crate::date::parse_date;
use crate::from_clause::{self, FromContext, FromFacts};
use crate::hop::{ByPart, FromPart, Hop, ParseNote, Protocol, TlsInfo};
use crate::ip_literal::parse_ip_literal;
use crate::lex::{self, Lexed, Token};
use crate::normalize::normalize;
use crate::{auth, non_relay, protocol, software, tls};
use std::ops::Range;

pub use crate::normalize::MAX_RECEIVED_LEN;

/// Parse one `Received:` header value (without the `Received:` name). Never panics.
pub fn parse(value: &str) -> Hop {
    let norm = normalize(value);
    let text = norm.text.as_str();
    let lexed = lex::tokenize(text);
    let tokens: &[Token<'_>] = &lexed.tokens;

    let mut notes = Vec::new();
    if let Some(original_len) = norm.truncated_from {
        notes.push(ParseNote::Truncated { original_len });
    }

    let (body_end, date_raw, date) = split_date(text, &lexed);
    let body = &tokens[..body_end];
    let clauses = clause::split(body);

    // An unclosed `(`, `[`, `<` or `"` swallows the rest of the line (it is always the last
    // token): whoever opened it, what it holds cannot be told apart, so no receiver fact is
    // read from it.
    let last_open = lexed.last_open;
    // Either way the receiver's part of the line cannot be told from client text.
    let unreadable = last_open || clauses.suspect;
    let with_tokens = without_swallowed(slice(body, &clauses.with), tokens, last_open);
    let with = protocol::analyze(with_tokens);
    let protocol_raw = with.raw_words.map(|(a, b)| lex::span(text, a, b));
    let via = leading_words(text, slice(body, &clauses.via));

    let lead = slice(body, &Some(clauses.lead.clone()));
    let by_tokens = without_swallowed(slice(body, &clauses.by), tokens, last_open);
    // Only text after the from clause can name the receiving software: the from clause
    // holds client-chosen text, which must not be able to switch dialect rules.
    let after_from = clauses.from.as_ref().map_or(clauses.lead.end, |r| r.end);
    let software = software::detect(
        without_swallowed(&tokens[after_from.min(tokens.len())..], tokens, last_open),
        lead,
        by_tokens,
        protocol_raw,
    );

    // The receiver's own text: after the from clause, minus the `for` recipient (which the
    // client chose) — split around it.
    // Only the body counts: nothing after the date is a receiver's auth record, and a `;`
    // in hostile text can end the body early.
    let recv_start = after_from.min(body.len());
    let (recv_a, recv_b): (&[Token<'_>], &[Token<'_>]) = match &clauses.for_ {
        Some(r) if r.start > recv_start && r.end <= body.len() => {
            (&body[recv_start..r.start - 1], &body[r.end..])
        }
        _ => (&body[recv_start..], &[]),
    };
    let with_word = protocol_raw.and_then(|w| w.split([' ', '/']).next());
    let non_relay = non_relay::classify(
        lead,
        &[by_tokens, with_tokens],
        with_word,
        clauses.from.is_some(),
    )
    .filter(|_| !unreadable);
    // Webmail: `with HTTP`, `via HTTP`, `by host (via HTTP)`. The peer logged in over HTTP,
    // so there is no HELO and the hop is an authenticated submission.
    let via_word = via.and_then(|v| v.split(' ').next());
    let http_hop = with_word.is_some_and(is_http_word)
        || via_word.is_some_and(is_http_word)
        || by_tokens.iter().any(|t| {
            matches!(*t, Token::Comment(c) if strip_prefix_ci(c, "via ").is_some_and(|v| is_http_word(v.trim())))
        });
    // Exchange Online's `with HTTPS via <server>` is a delivery between its own servers,
    // not a login; Outlook's `with mapi` is a mailbox owner's submission.
    let login_hop = (http_hop && via_word.is_none_or(is_http_word))
        || matches!(with.protocol, Some(Protocol::Mapi));
    let no_helo_protocol = http_hop || protocol_raw.is_some_and(|w| eq_ci_str(w, "NNFMP"));
    let ctx = FromContext {
        // LISTSERV's SMTPL listener writes `from <peer ip> by host (SMTPL release …)`.
        name_slot_is_peer: no_helo_protocol
            || software
                .as_deref()
                .is_some_and(|s| strip_prefix_ci(s, "SMTPL ").is_some()),
        exim: software.as_deref().is_some_and(|s| s.starts_with("Exim")),
        qmail: date_raw.is_some_and(is_qmail_date)
            || matches!(
                with.protocol,
                Some(Protocol::Lmtp | Protocol::Lmtps | Protocol::Lmtpa | Protocol::Lmtpsa)
            )
            || software.as_deref().is_some_and(|s| {
                ["qmail", "qpsmtpd", "qp "]
                    .iter()
                    .any(|q| strip_prefix_ci(s, q).is_some())
            }),
        unclosed: unreadable,
        no_weekday: date_raw.is_some_and(no_weekday),
    };

    // The from clause, or sendmail/NAVGW's `(from host [ip]) by …` written as a comment.
    let lead_from_tokens: Vec<Token<'_>>;
    let from_tokens: Option<&[Token<'_>]> = match &clauses.from {
        Some(r) => Some(&body[r.clone()]),
        None => match lead.first() {
            Some(Token::Comment(c)) => match strip_prefix_ci(c, "from ") {
                Some(inner) => {
                    lead_from_tokens = lex::tokenize(inner).tokens;
                    Some(&lead_from_tokens)
                }
                None => None,
            },
            _ => None,
        },
    };
    let ff: FromFacts<'_> = from_tokens
        .map(|t| from_clause::analyze(t, ctx))
        .unwrap_or_default();
    notes.extend(ff.notes);

    let by = read_by(by_tokens);
    let id = first_value(slice(body, &clauses.id));
    // EzMTS writes `; date for <rcpt>`: a `for` after the date still names the recipient.
    let for_addr = first_value(slice(body, &clauses.for_)).or_else(|| {
        let tail = &tokens[body_end.min(tokens.len())..];
        tail.iter()
            .position(|t| matches!(t, Token::Word(w) if eq_keyword(w, "for")))
            .and_then(|i| match tail.get(i + 1) {
                Some(Token::Angle(a)) => Some(*a),
                _ => None,
            })
    });
    let envelope_from = ff
        .envelope_from
        .or_else(|| first_value(slice(body, &clauses.late_from)))
        .or_else(|| scan_envelope_from(tokens))
        .filter(|s| !s.is_empty());

    let tls_facts = tls::scan(tokens);
    // Only the receiver's text can say the client authenticated; the from clause reports
    // its own (positional) findings.
    let mut auth_facts = auth::scan(lead);
    for part in [recv_a, recv_b] {
        let part = without_swallowed(part, tokens, last_open);
        let r = auth::scan(part);
        auth_facts.authenticated |= r.authenticated;
        auth_facts.user = auth_facts.user.or(r.user);
    }
    // With a swallowed tail the receiver's part cannot be found: claim no login.
    let authenticated = !unreadable
        && (ff.authenticated
            || auth_facts.authenticated
            || login_hop
            || by_tokens
                .iter()
                .any(|t| matches!(*t, Token::Comment(c) if is_mp_submission(c)))
            || with
                .protocol
                .as_ref()
                .is_some_and(Protocol::is_authenticated));

    if date_raw.is_some() && date.is_none() {
        notes.push(ParseNote::BadDate);
    }
    if is_unparsed(&clauses, date.is_some(), software.is_some()) {
        notes.push(ParseNote::Unparsed);
    }

    lex::recycle(lexed.tokens);
    // `raw` last: every other field is copied out of it first, then it moves in, so the
    // hop is built once rather than built and moved again.
    Hop {
        from: FromPart {
            helo: ff.helo.map(|h| h.to_owned_string()),
            rdns: ff.rdns.map(str::to_string),
            ip: ff.ip,
            port: ff.port,
            ident: ff.ident.map(str::to_string),
        },
        by,
        via: via.or(ff.via).map(str::to_string),
        protocol: with.protocol,
        protocol_raw: protocol_raw.map(str::to_string),
        id: id.map(str::to_string),
        for_addr: for_addr.map(str::to_string),
        envelope_from: envelope_from.map(str::to_string),
        auth_user: ff
            .auth_user
            .or(auth_facts.user)
            .filter(|_| authenticated)
            .map(str::to_string),
        authenticated,
        tls: (!tls_facts.is_empty()).then(|| TlsInfo {
            version: tls_facts.version.map(str::to_string),
            cipher: tls_facts.cipher.map(str::to_string),
        }),
        date,
        date_raw: date_raw.map(str::to_string),
        software,
        non_relay,
        notes,
        raw: norm.text,
    }
}

/// `part` without the line's last token when that token was never closed.
fn without_swallowed<'t, 'a>(
    part: &'t [Token<'a>],
    all: &[Token<'a>],
    last_open: bool,
) -> &'t [Token<'a>] {
    match (part.last(), all.last()) {
        (Some(p), Some(a)) if last_open && std::ptr::eq(p, a) => &part[..part.len() - 1],
        _ => part,
    }
}

/// qmail's date822fmt writes `1 Jan 2024 00:00:00 -0000`: no weekday, always `-0000`.
fn is_qmail_date(d: &str) -> bool {
    no_weekday(d) && d.ends_with(" -0000")
}

/// Postfix, Sendmail, Exim and Exchange always start the date with the weekday; qmail and
/// its patched builds (local zone instead of `-0000`) do not.
fn no_weekday(d: &str) -> bool {
    d.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// `HTTP`, `HTTPS`, `HTTPU`, `HTTPREST`: a web front end handed the message over.
fn is_http_word(w: &str) -> bool {
    strip_prefix_ci(w, "HTTP").is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// GMX / Web.de submission proxies sign `by mail.gmx.net (mp042)`: only authenticated
/// customers reach them.
fn is_mp_submission(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() > 2
        && b.len() <= 6
        && b[..2].eq_ignore_ascii_case(b"mp")
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// The run of words at the start of a clause, up to a comment or a stray `from`
/// (`via Frontend Transport`, `via smail from stdin`).
fn leading_words<'a>(text: &'a str, tokens: &[Token<'a>]) -> Option<&'a str> {
    let mut first = None;
    let mut last = None;
    for t in tokens {
        match *t {
            Token::Word(w) if !eq_keyword(w, "from") => {
                first = first.or(Some(w));
                last = Some(w);
            }
            _ => break,
        }
    }
    first.zip(last).map(|(a, b)| lex::span(text, a, b))
}

fn slice<'t, 'a>(tokens: &'t [Token<'a>], r: &Option<Range<usize>>) -> &'t [Token<'a>] {
    match r {
        Some(r) if r.start <= r.end && r.end <= tokens.len() => &tokens[r.clone()],
        _ => &[],
    }
}

/// Find the date: after the last `;` that is followed by a parseable date (or simply the
/// last `;`), else a trailing date written without `;` (SendGrid, some Sendmail builds).
/// Returns the end of the body (token index), the date text and the parsed date.
fn split_date<'a>(
    text: &'a str,
    lexed: &Lexed<'a>,
) -> (usize, Option<&'a str>, Option<crate::HopDate>) {
    let tokens = &lexed.tokens;
    // The receiver writes its date after its `by`; a `;` before the last `by` is inside
    // the client's HELO text and cannot start the date.
    let last_by = tokens
        .iter()
        .rposition(|t| matches!(*t, Token::Word(w) if eq_keyword(w, "by")));
    let after_by = last_by.map_or(0, |b| b + 1);
    let semis = lexed
        .semis_latest_first()
        .take_while(|&(i, _)| i >= after_by);
    let mut last: Option<(usize, &'a str)> = None;
    for (i, end) in semis.take(lex::SEMIS) {
        let date_text = text.get(end..).unwrap_or("").trim();
        if last.is_none() {
            last = Some((i, date_text));
        }
        if let Some(d) = parse_date(date_text) {
            return (i, Some(date_text), Some(d));
        }
    }
    if let Some((i, t)) = last {
        return (i, (!t.is_empty()).then_some(t), None);
    }
    // No `;`: a weekday or ISO date word late in the line starts the date.
    for (i, t) in tokens.iter().enumerate().skip(after_by) {
        if let Token::Word(w) = *t {
            if looks_like_date_start(w) {
                // Words are slices of `text`, uncut: their offset is where they start.
                let start = (w.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
                let date_text = &text[start..];
                if let Some(d) = parse_date(date_text) {
                    return (i, Some(date_text), Some(d));
                }
            }
        }
    }
    (tokens.len(), None, None)
}

fn looks_like_date_start(w: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let b = w.as_bytes();
    let iso =
        b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
    iso || DAYS.iter().any(|d| eq_ci_str(w.trim_end_matches(','), d))
}

/// `by host (comment [ip])`: the host, plus its own address when written.
fn read_by(tokens: &[Token<'_>]) -> ByPart {
    let mut by = ByPart::default();
    match tokens.first() {
        // RFC 5321 §4.4: `By-domain`. A mailbox there (`by user@host`) is forged garbage.
        // `has_byte`: a host name is short, and `contains` set up `memchr` for it.
        Some(Token::Word(w)) | Some(Token::Angle(w)) if !has_byte(w, b'@') => {
            by.ip = parse_ip_literal(w).map(|p| p.ip);
            by.host = Some(w.to_string());
        }
        Some(Token::Bracket(b, _)) => by.ip = parse_ip_literal(b).map(|p| p.ip),
        _ => {}
    }
    if by.ip.is_none() {
        for t in tokens.iter().skip(1) {
            if let Token::Comment(c) = *t {
                if let Some(p) = c.split_whitespace().find_map(parse_ip_literal) {
                    by.ip = Some(p.ip);
                    break;
                }
            } else if let Token::Bracket(b, _) = *t {
                if let Some(p) = parse_ip_literal(b) {
                    by.ip = Some(p.ip);
                    break;
                }
            }
        }
    }
    by
}

/// First word or angle address of a clause, angle brackets removed.
fn first_value<'a>(tokens: &[Token<'a>]) -> Option<&'a str> {
    tokens.iter().find_map(|t| match *t {
        Token::Word(w) => Some(w.trim_start_matches('<').trim_end_matches('>')),
        Token::Angle(a) => Some(a),
        _ => None,
    })
}

/// `(envelope-from <x>)`, `(envelope-sender <x>)` anywhere, or Haraka's bare
/// `envelope-from <x>`.
fn scan_envelope_from<'a>(tokens: &[Token<'a>]) -> Option<&'a str> {
    for (i, t) in tokens.iter().enumerate() {
        match *t {
            Token::Comment(c) => {
                for prefix in ["envelope-from", "envelope-sender"] {
                    if let Some(rest) = strip_prefix_ci(c, prefix) {
                        let v = rest
                            .trim()
                            .trim_start_matches('<')
                            .trim_end_matches('>')
                            .trim();
                        return Some(v);
                    }
                }
            }
            Token::Word(w) if eq_ci_str(w, "envelope-from") => {
                if let Some(Token::Angle(a) | Token::Word(a)) = tokens.get(i + 1) {
                    return Some(a);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_unparsed(c: &Clauses, has_date: bool, has_software: bool) -> bool {
    c.from.is_none()
        && c.by.is_none()
        && c.with.is_none()
        && c.id.is_none()
        && c.for_.is_none()
        && c.via.is_none()
        && !has_date
        && !has_software
}
