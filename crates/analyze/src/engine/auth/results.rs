//! Parsers for `Authentication-Results:` / `ARC-Authentication-Results:` (RFC 8601 §2.2,
//! RFC 8617 §4.1.1) and `Received-SPF:` (RFC 7208 §9.1).
//!
//! Real headers bend the grammar: Exchange Online omits the authserv-id, writes
//! `action=none` without a ptype, and runs `header.d=none;dmarc=…` together. The parser is
//! a small tokenizer that respects comments and quoted strings, keeps comments (they carry
//! the "sender IP is …" evidence), and never fails: unknown pieces are kept as properties.

use crate::report::{AuthResults, MethodResult, Property, ReceivedSpf};
use std::borrow::Cow;

/// Split on `;` outside comments and quoted strings. Bounded by the input length. The
/// pieces are slices of `s`: everything but the separators is kept as written.
///
/// Every byte that steers the split is ASCII, so the walk is over bytes: a byte of a
/// multi-byte character is never one of them, and every cut lands on a character
/// boundary. (This runs over every `Authentication-Results:` header of every message;
/// walking `char`s decoded each one and cost twice as much.)
fn split_top(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    // Room for the usual header (an authserv-id and a handful of methods) without growing.
    let mut out = Vec::with_capacity(8);
    let mut start = 0;
    let mut depth = 0usize;
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            // The escaped character is skipped; were it multi-byte, its other bytes are
            // not ASCII and steer nothing.
            b'\\' if quoted || depth > 0 => i += 1,
            b'"' if depth == 0 => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted && depth > 0 => depth -= 1,
            b';' if depth == 0 && !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// Tokens of one segment: words (`a=b`, `a`), with comments pulled out separately.
/// Whitespace around `=` is tolerated (`header.d = example.org`).
///
/// Words and comments are slices of `seg`: a word is copied only when quote marks must be
/// taken out of it or a `key = value` written with spaces is joined. The walk is over
/// bytes (see [`split_top`]); only a character outside ASCII is decoded, to ask whether it
/// is white space.
fn tokens(seg: &str) -> (Vec<Cow<'_, str>>, Vec<&str>) {
    let b = seg.as_bytes();
    // Room for a method, its result and the usual properties without growing.
    let mut words: Vec<Cow<'_, str>> = Vec::with_capacity(8);
    let mut comments: Vec<&str> = Vec::new();
    let mut word = Word::default();
    let mut comment_at = 0;
    let mut depth = 0usize;
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if depth > 0 {
            // Nested parentheses stay part of the outermost comment.
            match c {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        push_comment(&mut comments, &seg[comment_at..i]);
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        // Bytes this character takes, and whether it is white space (`char::is_whitespace`).
        let (len, space) = if c.is_ascii() {
            (1, matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '))
        } else {
            match seg[i..].chars().next() {
                Some(ch) => (ch.len_utf8(), ch.is_whitespace()),
                None => break,
            }
        };
        match c {
            b'"' => {
                quoted = !quoted;
                word.start.get_or_insert(i);
                word.quotes = true;
            }
            b'(' if !quoted => {
                depth = 1;
                comment_at = i + 1;
                word.end(seg, i, &mut words);
            }
            _ if space && !quoted => word.end(seg, i, &mut words),
            _ => {
                word.start.get_or_insert(i);
                word.filled = true;
            }
        }
        i += len;
    }
    word.end(seg, seg.len(), &mut words);
    if depth > 0 {
        push_comment(&mut comments, &seg[comment_at..]);
    }
    (join_spaced_pairs(words), comments)
}

/// The word being read by [`tokens`]: where it starts, whether it holds a character
/// (quote marks alone make no word) and whether quote marks must be taken out of it.
#[derive(Default)]
struct Word {
    start: Option<usize>,
    filled: bool,
    quotes: bool,
}

impl Word {
    /// End the word at byte `end` of `seg`; keep it when it holds a character.
    fn end<'a>(&mut self, seg: &'a str, end: usize, words: &mut Vec<Cow<'a, str>>) {
        if let (true, Some(start)) = (self.filled, self.start) {
            let w = &seg[start..end];
            words.push(if self.quotes {
                Cow::Owned(w.replace('"', ""))
            } else {
                Cow::Borrowed(w)
            });
        }
        *self = Word::default();
    }
}

/// Keep a comment's text, trimmed, unless it is blank.
fn push_comment<'a>(comments: &mut Vec<&'a str>, text: &'a str) {
    let c = text.trim();
    if !c.is_empty() {
        comments.push(c);
    }
}

/// Re-join `key = value`, `key= value` and `key =value` written with spaces.
///
/// Joined in place: `words[..out]` holds the joined words and never overtakes the word
/// being read, so no second vector is needed (most segments have nothing to join).
fn join_spaced_pairs(mut words: Vec<Cow<'_, str>>) -> Vec<Cow<'_, str>> {
    let n = words.len();
    let mut out = 0;
    let mut i = 0;
    while i < n {
        let w = &words[i];
        if w == "=" && out > 0 && i + 1 < n {
            words[out - 1] = Cow::Owned(format!("{}={}", words[out - 1], words[i + 1]));
            i += 2;
        } else if w.ends_with('=') && w.len() > 1 && i + 1 < n && !words[i + 1].contains('=') {
            words[out] = Cow::Owned(format!("{w}{}", words[i + 1]));
            out += 1;
            i += 2;
        } else if w.starts_with('=') && w.len() > 1 && out > 0 {
            words[out - 1] = Cow::Owned(format!("{}{w}", words[out - 1]));
            i += 1;
        } else {
            words.swap(out, i);
            out += 1;
            i += 1;
        }
    }
    words.truncate(out);
    words
}

/// Parse one method segment (`spf=pass (comment) smtp.mailfrom=x`). `None` if it has no
/// `method=result`.
fn method(seg: &str) -> Option<MethodResult> {
    let (words, comments) = tokens(seg);
    let first = words.first()?;
    let (m, r) = first.split_once('=')?;
    let m = m.split('/').next().unwrap_or(m).trim().to_ascii_lowercase();
    if m.is_empty() {
        return None;
    }
    let mut out = MethodResult {
        method: m,
        result: r.trim().to_ascii_lowercase(),
        ..MethodResult::default()
    };
    for w in &words[1..] {
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim().trim_matches('"').to_string();
        if k == "reason" {
            out.reason = Some(v);
        } else {
            out.properties.push(Property { key: k, value: v });
        }
    }
    if !comments.is_empty() {
        out.comment = Some(comments.join("; "));
    }
    Some(out)
}

/// Parse an `Authentication-Results:` value. Never fails; a header with no understandable
/// method still yields its authserv-id.
pub fn parse_authentication_results(value: &str, line: usize) -> AuthResults {
    let segs = split_top(value);
    let mut out = AuthResults {
        line,
        ..AuthResults::default()
    };
    let mut rest = &segs[..];
    if let Some(first) = segs.first() {
        let (words, _) = tokens(first);
        match words.first() {
            // RFC form: authserv-id [version]
            Some(w) if !w.contains('=') => {
                out.authserv_id = Some(w.trim_end_matches('.').to_ascii_lowercase());
                rest = &segs[1..];
            }
            // Exchange Online form: no authserv-id, methods start at once.
            _ => {}
        }
    }
    for seg in rest {
        if let Some(m) = method(seg) {
            out.methods.push(m);
        }
    }
    out
}

/// Parse an `ARC-Authentication-Results:` value: `i=N; authserv-id; methods…`.
pub fn parse_arc_authentication_results(value: &str, line: usize) -> AuthResults {
    let v = value.trim_start();
    let mut instance = None;
    let mut body = v;
    if let Some(rest) = v.strip_prefix("i=").or_else(|| v.strip_prefix("I=")) {
        let (num, after) = rest.split_once(';').unwrap_or((rest, ""));
        instance = num.trim().parse().ok();
        body = after;
    }
    let mut out = parse_authentication_results(body, line);
    out.instance = instance;
    out
}

/// Parse a `Received-SPF:` value: `result (comment) key=value; key=value`.
pub fn parse_received_spf(value: &str, line: usize) -> ReceivedSpf {
    let (words, comments) = tokens(value);
    let mut out = ReceivedSpf {
        line,
        result: words
            .first()
            .map(|w| w.trim_end_matches(';').to_ascii_lowercase())
            .unwrap_or_default(),
        ..ReceivedSpf::default()
    };
    for w in words.iter().skip(1) {
        let w = w.trim_end_matches(';');
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        let v = Some(
            v.trim_matches('"')
                .trim_matches(|c| c == '<' || c == '>')
                .to_string(),
        );
        match k.to_ascii_lowercase().as_str() {
            "client-ip" => out.client_ip = v,
            "envelope-from" => out.envelope_from = v,
            "helo" => out.helo = v,
            "receiver" => out.receiver = v,
            _ => {}
        }
    }
    // Comment of the form "(receiver: domain of x designates …)" names the receiver.
    if out.receiver.is_none() {
        if let Some(c) = comments.first() {
            if let Some((who, _)) = c.split_once(':') {
                if !who.contains(' ') {
                    out.receiver = Some(who.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8601_example_with_several_methods() {
        let ar = parse_authentication_results(
            "mx.example.com 1; spf=fail (sender IP is 198.51.100.25) smtp.mailfrom=ceo@paypal.com; \
             dkim=none; dkim=pass reason=\"good sig\" header.d=mail.example.co.uk header.i=@example.co.uk; \
             dmarc=fail (p=reject) header.from=paypal.com",
            7,
        );
        assert_eq!(ar.authserv_id.as_deref(), Some("mx.example.com"));
        assert_eq!(ar.line, 7);
        let names: Vec<_> = ar
            .methods
            .iter()
            .map(|m| format!("{}={}", m.method, m.result))
            .collect();
        assert_eq!(names, ["spf=fail", "dkim=none", "dkim=pass", "dmarc=fail"]);
        assert_eq!(ar.methods[0].get("smtp.mailfrom"), Some("ceo@paypal.com"));
        assert_eq!(
            ar.methods[0].comment.as_deref(),
            Some("sender IP is 198.51.100.25")
        );
        assert_eq!(ar.methods[2].reason.as_deref(), Some("good sig"));
        assert_eq!(ar.methods[2].get("header.d"), Some("mail.example.co.uk"));
        assert_eq!(ar.methods[2].get("header.i"), Some("@example.co.uk"));
        assert_eq!(ar.methods[3].get("header.from"), Some("paypal.com"));
    }

    #[test]
    fn exchange_online_form_without_authserv_id() {
        let ar = parse_authentication_results(
            "spf=temperror (sender IP is 137.184.34.4) smtp.mailfrom=ubuntu-s-1vcpu; dkim=none (message not \
             signed) header.d=none;dmarc=temperror action=none header.from=atendimento.com.br;compauth=fail reason=001",
            3,
        );
        assert_eq!(ar.authserv_id, None);
        assert_eq!(ar.methods.len(), 4);
        assert_eq!(ar.methods[1].method, "dkim");
        assert_eq!(ar.methods[1].comment.as_deref(), Some("message not signed"));
        assert_eq!(ar.methods[2].get("action"), Some("none"));
        assert_eq!(ar.methods[2].get("header.from"), Some("atendimento.com.br"));
        assert_eq!(ar.methods[3].reason.as_deref(), Some("001"));
    }

    #[test]
    fn none_and_version_and_comments_with_semicolons() {
        let ar = parse_authentication_results("example.org 1; none", 1);
        assert_eq!(ar.authserv_id.as_deref(), Some("example.org"));
        assert!(ar.methods.is_empty());
        let ar = parse_authentication_results(
            "mx.google.com; spf=pass (google.com: domain of a@b.org designates 1.2.3.4; as permitted) smtp.mailfrom=a@b.org",
            1,
        );
        assert_eq!(ar.methods.len(), 1);
        assert_eq!(ar.methods[0].get("smtp.mailfrom"), Some("a@b.org"));
        // Garbage never panics and yields nothing useful.
        let ar = parse_authentication_results("((((;;;=\"", 1);
        assert!(ar.methods.len() <= 1);
    }

    #[test]
    fn arc_and_received_spf() {
        let arc = parse_arc_authentication_results(
            "i=2; lists.example.org; spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net",
            9,
        );
        assert_eq!(arc.instance, Some(2));
        assert_eq!(arc.authserv_id.as_deref(), Some("lists.example.org"));
        assert_eq!(arc.methods.len(), 2);
        let spf = parse_received_spf(
            "Fail (protection.outlook.com: domain of paypal.com does not designate 198.51.100.25 as permitted sender) \
             receiver=protection.outlook.com; client-ip=198.51.100.25; helo=mail-relay.somecloud.com;",
            4,
        );
        assert_eq!(spf.result, "fail");
        assert_eq!(spf.client_ip.as_deref(), Some("198.51.100.25"));
        assert_eq!(spf.helo.as_deref(), Some("mail-relay.somecloud.com"));
        assert_eq!(spf.receiver.as_deref(), Some("protection.outlook.com"));
        let spf = parse_received_spf(
            "pass (mx.example.org: domain of a@b.org designates 1.2.3.4 as permitted sender) client-ip=1.2.3.4; envelope-from=<a@b.org>;",
            5,
        );
        assert_eq!(spf.envelope_from.as_deref(), Some("a@b.org"));
        assert_eq!(spf.receiver.as_deref(), Some("mx.example.org"));
    }
}

#[cfg(test)]
mod walk_tests;
