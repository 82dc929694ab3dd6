//! The `from` clause: HELO name, reverse DNS, client address, ident — and which of the
//! addresses in it the *receiving* server actually recorded.
//!
//! Everything after `from` mixes text the client chose (its HELO argument) with text the
//! receiver wrote (its view of the TCP peer). Where each MTA puts the real peer address:
//!
//! | rule id | shape | writer | real peer |
//! |---|---|---|---|
//! | `paren-host` | `from HELO (rdns [ip])`, `from HELO (ip)` | Postfix, Sendmail, Gmail, Exchange, Courier, IIS | the host-info comment |
//! | `exim-rcvhost` | `from rdns ([ip]:port helo=HELO)`, `from [ip] (port=p helo=HELO)` | Exim, ecelerity, ASSP | the bracket before `helo=` / the leading `[ip]` |
//! | `exim-fullhost` | `from rdns (HELO) [ip]` | Exim `sender_fullhost`, MDaemon, SMTPD32 | the bracket *outside* the parentheses |
//! | `ims-dash` | `from HELO - ip` | Exchange 5.5 IMS, old IIS SMTPSVC | the address after the dash |
//! | `qmail` | `from rdns (HELO x) (ident@ip)` | qmail, qpsmtpd, CommuniGate | the comment after the HELO comment |
//!
//! Because the client's text always comes *first* (the HELO token) or sits after an explicit
//! `HELO`/`helo=` marker, the receiver's host-info is the *last* address-bearing comment and
//! every address inside HELO text is ignored ([`ParseNote::HeloIpIgnored`]). A leading IP
//! literal is the peer only when the line says separately what the HELO was (then the leading
//! token cannot be the HELO) or the protocol has no HELO at all (HTTP webmail); otherwise it
//! may be the client's HELO and no IP is attributed ([`ParseNote::AmbiguousClientIp`]).

use crate::hop::ParseNote;
use crate::ip_literal::{parse_ip_literal, parse_ip_prefix, strip_prefix_ci, IpPort};
use crate::lex::{comment_words, Token};
use std::net::IpAddr;

/// What the from clause says, borrowed from the header text.
#[derive(Debug, Default)]
pub(crate) struct FromFacts<'a> {
    pub helo: Option<Text<'a>>,
    pub rdns: Option<&'a str>,
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
    pub ident: Option<&'a str>,
    pub auth_user: Option<&'a str>,
    pub authenticated: bool,
    pub envelope_from: Option<&'a str>,
    pub notes: Vec<ParseNote>,
}

/// A name as written: a plain slice, or a bracketed literal to be re-wrapped in `[ ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    Plain(&'a str),
    Bracketed(&'a str),
}

impl Text<'_> {
    pub fn to_owned_string(self) -> String {
        match self {
            Text::Plain(s) => s.to_string(),
            Text::Bracketed(s) => format!("[{s}]"),
        }
    }
}

/// Context from the rest of the header that changes how the from clause reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FromContext {
    /// The protocol has no HELO (HTTP webmail, Yahoo's internal NNFMP): the leading token
    /// is the receiver's record of the peer.
    pub name_slot_is_peer: bool,
    /// Exim wrote the line: the leading name is the verified rDNS and an omitted `helo=`
    /// means the HELO equalled it.
    pub exim: bool,
}

const MAX_CANDS: usize = 8;

#[derive(Debug, Clone, Copy)]
struct Cand {
    ip: IpPort,
    bracketed: bool,
    comment: usize,
}

/// Fixed-size candidate list: no allocation on the hot path.
#[derive(Default)]
struct Cands {
    items: [Option<Cand>; MAX_CANDS],
    len: usize,
}

impl Cands {
    fn push(&mut self, c: Cand) {
        if self.len < MAX_CANDS {
            self.items[self.len] = Some(c);
            self.len += 1;
        }
    }
    fn iter(&self) -> impl Iterator<Item = Cand> + '_ {
        self.items[..self.len].iter().flatten().copied()
    }
}

/// What one comment of the from clause contributed.
#[derive(Default)]
struct CommentFacts<'a> {
    rdns: Option<&'a str>,
    rdns_unknown: bool,
}

/// Analyse the tokens of the from clause (the `from` keyword excluded).
pub(crate) fn analyze<'a>(tokens: &[Token<'a>], ctx: FromContext) -> FromFacts<'a> {
    let mut f = FromFacts::default();
    let mut name: Option<Text<'a>> = None;
    let mut name_ip: Option<IpPort> = None;
    let mut rest = tokens;
    match tokens.first() {
        Some(Token::Word(w)) => {
            name = Some(Text::Plain(w));
            name_ip = parse_ip_literal(w);
            rest = &tokens[1..];
        }
        Some(Token::Bracket(inner, port)) => {
            name = Some(Text::Bracketed(inner));
            name_ip = parse_ip_literal(inner).map(|mut p| {
                if p.port.is_none() {
                    p.port = port.and_then(|s| s.parse().ok());
                }
                p
            });
            rest = &tokens[1..];
        }
        _ => {}
    }

    let mut receiver = Cands::default();
    let mut helo_ips = Cands::default();
    let mut outside: Option<IpPort> = None;
    let mut outside_is_dash = false;
    let mut first_comment: Option<(usize, &'a str)> = None;
    let mut comment_rdns: [Option<CommentFacts<'a>>; MAX_CANDS] = Default::default();
    let mut explicit_helo: Option<Option<Text<'a>>> = None;
    let mut comment_no = 0usize;
    let mut prev_word_claiming = false;

    for (pos, tok) in rest.iter().enumerate() {
        match *tok {
            Token::Comment(c) => {
                if first_comment.is_none() && outside.is_none() {
                    first_comment = Some((comment_no, c));
                }
                let cf = read_comment(
                    c,
                    comment_no,
                    &mut f,
                    &mut receiver,
                    &mut helo_ips,
                    &mut explicit_helo,
                );
                if comment_no < MAX_CANDS {
                    comment_rdns[comment_no] = Some(cf);
                }
                comment_no += 1;
            }
            Token::Bracket(inner, port) => {
                if let Some(mut p) = parse_ip_literal(inner) {
                    if p.port.is_none() {
                        p.port = port.and_then(|s| s.parse().ok());
                    }
                    outside = Some(p);
                }
            }
            Token::Word(w) => {
                // Exchange 5.5 IMS / old SMTPSVC: `from HELO - 1.2.3.4 by …`.
                if pos >= 1 && matches!(rest[pos - 1], Token::Word("-")) {
                    if let Some(p) = parse_ip_literal(w) {
                        outside = Some(p);
                        outside_is_dash = true;
                    }
                }
                // Tahina / smtpd: `…(1.2.3.4), claiming to be "helo" via SMTP`.
                prev_word_claiming = w.eq_ignore_ascii_case("be")
                    && pos >= 2
                    && matches!(rest[pos - 2], Token::Word(c) if c.eq_ignore_ascii_case("claiming"));
                if name.is_none() && pos == 0 {
                    name = Some(Text::Plain(w));
                }
                // IMP / Horde webmail: `… as user jason@localhost by …`.
                if w.eq_ignore_ascii_case("as")
                    && matches!(rest.get(pos + 1), Some(Token::Word(u)) if u.eq_ignore_ascii_case("user"))
                {
                    if let Some(Token::Word(user)) = rest.get(pos + 2) {
                        f.authenticated = true;
                        f.auth_user = Some(user);
                    }
                }
                if f.envelope_from.is_none() && w.eq_ignore_ascii_case("envelope-from") {
                    if let Some(Token::Angle(a)) = rest.get(pos + 1) {
                        f.envelope_from = Some(a);
                    }
                }
            }
            Token::Quoted(q) if prev_word_claiming => {
                explicit_helo = Some(non_empty(q).map(Text::Plain));
                if let Some(p) = parse_ip_literal(q) {
                    helo_ips.push(Cand {
                        ip: p,
                        bracketed: false,
                        comment: usize::MAX,
                    });
                }
            }
            _ => {}
        }
    }

    let has_explicit_helo = explicit_helo.is_some();
    // The leading token is the receiver's record when the HELO is written elsewhere, when
    // the protocol has no HELO, or when Exim wrote the line (Exim's `$sender_rcvhost` puts
    // the verified name or `[ip]` first, never the HELO).
    let name_is_peer = has_explicit_helo || ctx.name_slot_is_peer || ctx.exim;
    let mut chosen: Option<IpPort> = None;
    let mut chosen_comment: Option<usize> = None;

    if let Some(o) = outside {
        // exim-fullhost: `rdns (HELO) [ip]` — the parenthesised part is client text.
        chosen = Some(o);
        for c in receiver.iter() {
            helo_ips.push(c);
        }
    } else if receiver.len > 0 {
        // paren-host / qmail: the last address-bearing comment is the receiver's.
        let last_comment = receiver.iter().map(|c| c.comment).max().unwrap_or(0);
        let pick =
            receiver
                .iter()
                .filter(|c| c.comment == last_comment)
                .fold(None::<Cand>, |best, c| match best {
                    Some(b) if b.bracketed && !c.bracketed => Some(b),
                    _ => Some(c),
                });
        chosen = pick.map(|c| c.ip);
        chosen_comment = Some(last_comment);
        for c in receiver.iter().filter(|c| c.comment != last_comment) {
            helo_ips.push(c);
        }
        if let (Some(n), Some(c)) = (name_ip, chosen) {
            if n.ip != c.ip {
                if name_is_peer {
                    f.notes.push(ParseNote::AmbiguousClientIp {
                        candidates: vec![n.ip.to_string(), c.ip.to_string()],
                    });
                    chosen = None;
                } else {
                    helo_ips.push(Cand {
                        ip: n,
                        bracketed: false,
                        comment: usize::MAX,
                    });
                }
            }
        }
    } else if let Some(n) = name_ip {
        if name_is_peer {
            chosen = Some(n);
        } else {
            f.notes.push(ParseNote::AmbiguousClientIp {
                candidates: vec![n.ip.to_string()],
            });
        }
    }

    // Every address that came only from client text, once each.
    let mut reported: [Option<IpAddr>; MAX_CANDS] = [None; MAX_CANDS];
    let mut n_reported = 0;
    for c in helo_ips.iter() {
        let ip = c.ip.ip;
        if chosen.is_some_and(|ch| ch.ip == ip) || reported[..n_reported].contains(&Some(ip)) {
            continue;
        }
        if n_reported < MAX_CANDS {
            reported[n_reported] = Some(ip);
            n_reported += 1;
        }
        f.notes
            .push(ParseNote::HeloIpIgnored { ip: ip.to_string() });
    }

    if let Some(c) = chosen {
        f.ip = Some(c.ip);
        f.port = f.port.or(c.port);
    }

    // Names: who is the HELO and who is the rDNS depends on the shape.
    let name_is_literal = name_ip.is_some();
    let name_plain = match name {
        Some(Text::Plain(w)) if !name_is_literal => Some(w),
        _ => None,
    };
    if outside_is_dash {
        // ims-dash: the leading name is the HELO, no rDNS is written.
        f.helo = name;
    } else if outside.is_some() {
        // exim-fullhost: a plain leading name is the verified rDNS; the parenthesised part
        // is the HELO, omitted when it equalled the rDNS (Exim spec, `$sender_fullhost`).
        f.rdns = name_plain.filter(|n| !is_unknown(n));
        f.helo = match (explicit_helo, first_comment) {
            (Some(h), _) => h,
            (None, Some((_, c))) => non_empty(c).map(Text::Plain),
            (None, None) => name,
        };
    } else if let Some(h) = explicit_helo {
        f.helo = h;
        f.rdns = name_plain.filter(|n| !is_unknown(n));
    } else if ctx.exim && chosen_comment.is_some() {
        f.rdns = name_plain.filter(|n| !is_unknown(n));
        f.helo = name;
    } else {
        f.helo = name;
        let idx = chosen_comment.or(if comment_no == 1 { Some(0) } else { None });
        if let Some(cf) = idx
            .and_then(|i| comment_rdns.get(i))
            .and_then(|c| c.as_ref())
        {
            f.rdns = cf.rdns;
        }
    }
    f
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn is_unknown(s: &str) -> bool {
    s.eq_ignore_ascii_case("unknown") || s.eq_ignore_ascii_case("[unknown]")
}

const HELO_VERBS: [&str; 4] = ["HELO", "EHLO", "LHLO", "HELLO"];

/// Words inside from-clause comments that qualify the host-info without naming a host.
const QUALIFIER_WORDS: [&str; 10] = [
    "may",
    "be",
    "forged",
    "verified",
    "unverified",
    "rdns",
    "failed",
    "softdnserr",
    "named",
    "port",
];

/// Read one comment of the from clause, recording candidates and side facts.
fn read_comment<'a>(
    c: &'a str,
    idx: usize,
    f: &mut FromFacts<'a>,
    receiver: &mut Cands,
    helo_ips: &mut Cands,
    explicit_helo: &mut Option<Option<Text<'a>>>,
) -> CommentFacts<'a> {
    let mut cf = CommentFacts::default();
    // Comments that are not host-info at all.
    if let Some(user) = strip_prefix_ci(c, "Authenticated sender:") {
        f.authenticated = true;
        f.auth_user = non_empty(user);
        return cf;
    }
    if let Some(rest) = strip_prefix_ci(c, "authenticated") {
        f.authenticated = true;
        if let Some(user) = strip_prefix_ci(rest.trim_start(), "as ") {
            f.auth_user = non_empty(user);
        }
        return cf;
    }
    // Courier and friends: `(IDENT: user, AUTH: LOGIN alice, TLS: TLSv1.3,256bits,…)`.
    // (Sendmail's `IDENT:user@host [ip]` has no space after the colon and is host-info.)
    let labelled = ["IDENT: ", "AUTH: ", "TLS: "]
        .iter()
        .any(|l| strip_prefix_ci(c, l).is_some());
    if labelled {
        for seg in c.split(',').map(str::trim) {
            if let Some(v) = strip_prefix_ci(seg, "IDENT:") {
                f.ident = clean_ident(v.trim());
            } else if let Some(v) = strip_prefix_ci(seg, "AUTH:") {
                f.authenticated = true;
                f.auth_user = v.split_whitespace().last();
            }
        }
        return cf;
    }
    if let Some(rest) = strip_prefix_ci(c, "SquirrelMail authenticated user") {
        f.authenticated = true;
        f.auth_user = non_empty(rest);
        return cf;
    }
    for prefix in ["envelope-from", "envelope-sender"] {
        if let Some(rest) = strip_prefix_ci(c, prefix) {
            let v = rest
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim();
            if f.envelope_from.is_none() {
                f.envelope_from = Some(v);
            }
            return cf;
        }
    }
    for prefix in [
        "using ",
        "TLS:",
        "Client ",
        "No client",
        "uid ",
        "proxying for",
        "version=",
    ] {
        if strip_prefix_ci(c, prefix).is_some() {
            return cf;
        }
    }

    let mut words = comment_pieces(c).peekable();
    let mut byte_pos = 0usize;
    while let Some(w) = words.next() {
        // Position of this word in `c`, to slice "the rest of the comment".
        let at = c[byte_pos..].find(w).map_or(byte_pos, |p| byte_pos + p);
        byte_pos = at + w.len();

        if HELO_VERBS.iter().any(|v| v.eq_ignore_ascii_case(w)) {
            // qmail / CommuniGate: everything after the verb is the client's HELO text.
            let helo_text = c[byte_pos..].trim();
            *explicit_helo = Some(non_empty(helo_text).map(Text::Plain));
            for hw in comment_words(helo_text) {
                if let Some(p) = parse_ip_prefix(hw.trim_matches('?')) {
                    helo_ips.push(Cand {
                        ip: p,
                        bracketed: false,
                        comment: idx,
                    });
                }
            }
            break;
        }
        if let Some(h) = strip_prefix_ci(w, "helo=") {
            *explicit_helo = Some(non_empty(h).map(Text::Plain));
            if let Some(p) = parse_ip_literal(h) {
                helo_ips.push(Cand {
                    ip: p,
                    bracketed: false,
                    comment: idx,
                });
            }
            continue;
        }
        if let Some(id) = strip_prefix_ci(w, "ident=") {
            f.ident = clean_ident(id);
            continue;
        }
        if let Some(p) = strip_prefix_ci(w, "port=") {
            f.port = p.parse().ok();
            continue;
        }
        if w.eq_ignore_ascii_case("account") {
            if let Some(user) = words.next() {
                byte_pos = c[byte_pos..].find(user).map_or(byte_pos, |p| byte_pos + p) + user.len();
                f.authenticated = true;
                f.auth_user = Some(user.trim_start_matches('<').trim_end_matches('>'));
            }
            continue;
        }
        if w.eq_ignore_ascii_case("with") {
            // Yahoo: `(user@1.2.3.4 with login)` — SMTP AUTH mechanism.
            if let Some(m) = words.peek() {
                if ["login", "plain", "cram-md5", "xoauth2"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(m))
                {
                    f.authenticated = true;
                }
            }
            continue;
        }
        if let Some(id) = strip_prefix_ci(w, "IDENT:") {
            // Sendmail `IDENT:user@host` / `IDENT:user@[ip]` (no rDNS: the peer address).
            match id
                .rsplit_once('@')
                .and_then(|(u, h)| parse_ip_literal(h).map(|p| (u, h, p)))
            {
                Some((user, host, p)) => {
                    receiver.push(Cand {
                        ip: p,
                        bracketed: host.starts_with('['),
                        comment: idx,
                    });
                    f.ident = clean_ident(user);
                }
                None => f.ident = clean_ident(id),
            }
            continue;
        }
        if let Some(p) = parse_ip_literal(w) {
            receiver.push(Cand {
                ip: p,
                bracketed: w.starts_with('['),
                comment: idx,
            });
            continue;
        }
        if let Some((user, host)) = w.rsplit_once('@') {
            if let Some(p) = parse_ip_prefix(host) {
                receiver.push(Cand {
                    ip: p,
                    bracketed: host.starts_with('['),
                    comment: idx,
                });
                f.ident = clean_ident(user).or(f.ident);
            } else {
                f.ident = clean_ident(w);
            }
            continue;
        }
        if is_unknown(w) {
            cf.rdns_unknown = true;
            continue;
        }
        if QUALIFIER_WORDS.iter().any(|q| q.eq_ignore_ascii_case(w)) {
            continue;
        }
        if cf.rdns.is_none() && !cf.rdns_unknown && looks_like_host(w) {
            cf.rdns = Some(w.trim_start_matches('<').trim_end_matches('>'));
        }
    }
    cf
}

/// Words of a comment, with `name[1.2.3.4]` (no space, as some MTAs write) split into the
/// name and the bracketed address. `user@[ip]` stays whole (it is an ident form).
fn comment_pieces(c: &str) -> impl Iterator<Item = &str> {
    comment_words(c).flat_map(|w| {
        let split_at = w
            .find('[')
            .filter(|&i| i > 0 && !w[..i].contains(['@', '=', '[', ':']));
        match split_at {
            Some(i) => [Some(&w[..i]), Some(&w[i..])],
            None => [Some(w), None],
        }
        .into_iter()
        .flatten()
    })
}

/// An ident as written, without the brackets some MTAs wrap it in.
fn clean_ident(s: &str) -> Option<&str> {
    non_empty(s.trim_matches(|c| matches!(c, '[' | ']' | '<' | '>')))
}

/// A plausible host name: letters, digits, dots, dashes, underscores.
fn looks_like_host(w: &str) -> bool {
    let w = w.trim_start_matches('<').trim_end_matches('>');
    !w.is_empty()
        && w.len() <= 255
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}
