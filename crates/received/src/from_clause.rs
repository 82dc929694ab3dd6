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

use crate::ci::{eq_ci_str, eq_keyword, has_byte, strip_prefix_ci};
use crate::hop::ParseNote;
use crate::ip_literal::{parse_ip_literal, parse_ip_prefix, IpPort};
use crate::lex::{comment_words, CommentWords, Token};
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
    /// `via SMTP` written inside the from clause (smtpd's `claiming to be "x" via SMTP by`).
    pub via: Option<&'a str>,
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
            // One allocation at the final size: `format!` would start from a guess of
            // four bytes and grow.
            Text::Bracketed(s) => ["[", s, "]"].concat(),
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
    /// A qmail-style writer (qmail's `d Mon yyyy hh:mm:ss -0000` date, qpsmtpd, an LMTP
    /// server such as Zimbra's): in `name (HELO x) (ip)` the name is its reverse lookup.
    pub qmail: bool,
    /// The date has no weekday (qmail and its patched builds; Mercury/32): in
    /// `name (HELO x) (ip)` the name is then qmail's REMOTEHOST.
    pub no_weekday: bool,
    /// A token of the line was never closed and swallowed the rest of it, or client text
    /// supplied a second `by`: the structure cannot be trusted.
    pub unclosed: bool,
}

const MAX_CANDS: usize = 8;
const MAX_COMMENTS: usize = 12;

#[derive(Debug, Clone, Copy)]
struct Cand {
    ip: IpPort,
    bracketed: bool,
    /// Token position in the from clause (after the name).
    pos: usize,
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

/// Where a comment's HELO text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeloMark {
    /// The comment *is* the HELO (`(HELO x)`, qmail/GMX): the comment ends it.
    Whole,
    /// The HELO starts inside the comment after receiver text (`helo=x`, `account u HELO
    /// x`): a client could close the parenthesis and keep writing, so everything after the
    /// marker up to `by` is client text.
    RunsOn,
}

/// What one comment of the from clause contributed.
#[derive(Default, Clone, Copy)]
struct CommentFacts<'a> {
    pos: usize,
    rdns: Option<&'a str>,
    rdns_unknown: bool,
    helo: Option<(HeloMark, Option<Text<'a>>)>,
    authenticated: bool,
    auth_user: Option<&'a str>,
    ident: Option<&'a str>,
    port: Option<u16>,
    /// A nested comment inside it holds an address.
    nested_addr: bool,
    /// Addresses the comment holds outside its HELO text.
    n_cands: usize,
    /// Only a bare address or `ident@address`, as qmail writes TCPREMOTEIP.
    bare: bool,
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
    let mut comments: [CommentFacts<'a>; MAX_COMMENTS] = [CommentFacts::default(); MAX_COMMENTS];
    let mut n_comments = 0usize;
    // Outside `[ip]` (Exim `$sender_fullhost`) and IMS `- ip` groups: (pos, dash).
    let mut outside: Option<(usize, bool)> = None;
    // First HELO marker after which the client's text may run on to `by`.
    let mut runs_on_at: Option<usize> = None;
    // `claiming to be "x"` (smtpd): position of the quoted HELO and its text.
    let mut claimed: Option<(usize, Option<Text<'a>>)> = None;
    let mut broken = ctx.unclosed;

    for (pos, tok) in rest.iter().enumerate() {
        match *tok {
            Token::Comment(c) => {
                if n_comments == MAX_COMMENTS {
                    broken = true;
                    continue;
                }
                let cf = read_comment(c, pos, &mut f, &mut receiver, &mut helo_ips);
                if matches!(cf.helo, Some((HeloMark::RunsOn, _))) {
                    runs_on_at = runs_on_at.or(Some(pos));
                }
                comments[n_comments] = cf;
                n_comments += 1;
            }
            Token::Bracket(inner, port) => {
                if let Some(mut p) = parse_ip_literal(inner) {
                    if p.port.is_none() {
                        p.port = port.and_then(|s| s.parse().ok());
                    }
                    receiver.push(Cand {
                        ip: p,
                        bracketed: true,
                        pos,
                    });
                    outside = Some((pos, false));
                }
            }
            Token::Word(w) => {
                if w.bytes().any(|b| matches!(b, b'(' | b')')) {
                    // A parenthesis the tokenizer could not pair: someone's text closed a
                    // comment early.
                    broken = true;
                }
                // Exchange 5.5 IMS / old SMTPSVC: `from HELO - 1.2.3.4 by …`.
                if pos >= 1 && matches!(rest[pos - 1], Token::Word("-")) {
                    if let Some(p) = parse_ip_literal(w) {
                        receiver.push(Cand {
                            ip: p,
                            bracketed: false,
                            pos,
                        });
                        outside = Some((pos, true));
                    }
                }
            }
            Token::Quoted(q) if claiming_before(rest, pos) => {
                // smtpd: `host(1.2.3.4), claiming to be "helo" via SMTP`.
                claimed = Some((pos, non_empty(q).map(Text::Plain)));
                runs_on_at = runs_on_at.or(Some(pos));
                if let Some(p) = parse_ip_literal(q) {
                    helo_ips.push(Cand {
                        ip: p,
                        bracketed: false,
                        pos,
                    });
                }
            }
            _ => {}
        }
    }
    let comment_at = |pos: usize| comments[..n_comments].iter().find(|c| c.pos == pos);

    // The receiver's record is the last address-bearing group: the client's text comes
    // before it (the HELO slot) or after a marker that makes later groups suspect.
    let last_pos = receiver.iter().map(|c| c.pos).max();
    let has_marker_helo =
        comments[..n_comments].iter().any(|c| c.helo.is_some()) || claimed.is_some();
    let name_is_peer = ctx.name_slot_is_peer || ctx.exim || has_marker_helo;
    let mut chosen: Option<IpPort> = None;
    // `None` with a chosen address: the leading name slot is the peer.
    let mut chosen_pos: Option<usize> = None;
    let mut ambiguous = false;
    // The leading name's address when it conflicts with the chosen group's (a candidate of
    // the ambiguity note, before the chosen address); a fixed pair rather than a `Cands`,
    // which every line would initialise for the rare ambiguous one.
    let mut amb_name: Option<IpPort> = None;

    if let Some(lp) = last_pos {
        let pick =
            receiver
                .iter()
                .filter(|c| c.pos == lp)
                .fold(None::<Cand>, |best, c| match best {
                    Some(b) if b.bracketed && !c.bracketed => Some(b),
                    _ => Some(c),
                });
        chosen = pick.map(|c| c.ip);
        chosen_pos = Some(lp);
        for c in receiver.iter() {
            if c.pos != lp {
                helo_ips.push(c);
            } else if chosen.is_some_and(|ch| ch.ip != c.ip.ip) {
                // Two different addresses in the receiver's own group.
                ambiguous = true;
            }
        }
        if let (Some(n), Some(c)) = (name_ip, chosen) {
            if n.ip != c.ip {
                if name_is_peer {
                    ambiguous = true;
                    amb_name = Some(n);
                } else {
                    helo_ips.push(Cand {
                        ip: n,
                        bracketed: false,
                        pos: usize::MAX,
                    });
                }
            }
        }
        if comment_at(lp).is_some_and(|c| c.nested_addr) {
            ambiguous = true;
        }
        if runs_on_at.is_some_and(|m| lp > m) {
            ambiguous = true;
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

    let tail_from = chosen_pos.map_or(0, |p| p + 1);
    let exim_ident = ctx.exim && outside.is_some_and(|(p, d)| !d && Some(p) == chosen_pos);
    if chosen.is_some()
        && (broken || !tail_is_receivers(rest, tail_from, &comments[..n_comments], exim_ident))
    {
        ambiguous = true;
    }
    if ambiguous {
        let mut seen: Vec<String> = Vec::with_capacity(2);
        for c in [amb_name, chosen.take()].into_iter().flatten() {
            let s = c.ip.to_string();
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        f.notes
            .push(ParseNote::AmbiguousClientIp { candidates: seen });
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

    let Some(peer) = chosen else {
        // No trustworthy peer record. The HELO is what a marker names (`(HELO x)`,
        // `helo=x`, `claiming to be "x"`), else the leading token. When the line has no
        // address at all (local or address-less receivers), a lone comment's host name and
        // any ident are reported as written.
        let marked = comments[..n_comments]
            .iter()
            .find_map(|c| c.helo.map(|h| h.1))
            .or(claimed.map(|c| c.1));
        f.helo = marked.unwrap_or(name);
        if !ambiguous && receiver.len == 0 && name_ip.is_none() {
            let whole_marker = comments[..n_comments]
                .iter()
                .any(|c| matches!(c.helo, Some((HeloMark::Whole, _))));
            if (ctx.qmail || ctx.no_weekday) && whole_marker {
                f.rdns = name_plain_of(name).filter(|n| !is_unknown(n));
            }
            if ctx.exim && marked.is_some() {
                // Exim without a network peer writes `from $sender_ident (helo=x)`.
                f.ident = name_plain_of(name);
            }
            if n_comments == 1 && comments[0].helo.is_none() {
                f.rdns = comments[0].rdns;
            }
            f.ident = f
                .ident
                .or(comments[..n_comments].iter().find_map(|c| c.ident));
        }
        return f;
    };
    f.ip = Some(peer.ip);
    f.port = peer.port;

    // What follows a run-on HELO marker is the client's, whatever it looks like.
    let before_run_on = |pos: usize| runs_on_at.is_none_or(|m| pos <= m);
    // Words after the group: IMP's `as user u`, smtpd's trailing `via SMTP`.
    for i in tail_from..rest.len() {
        if let Token::Word(w) = rest[i] {
            if eq_keyword(w, "as")
                && before_run_on(i)
                && matches!(rest.get(i + 1), Some(Token::Word(u)) if eq_keyword(u, "user"))
            {
                if let Some(Token::Word(user)) = rest.get(i + 2) {
                    f.authenticated = true;
                    f.auth_user = Some(user);
                }
            } else if eq_keyword(w, "via") {
                if let Some(Token::Word(v)) = rest.get(i + 1) {
                    f.via = Some(v);
                }
            }
        }
    }
    // Receiver facts: the chosen group itself and the comments after it.
    let chosen_comment = chosen_pos.and_then(&comment_at).copied();
    for c in comments[..n_comments]
        .iter()
        .filter(|c| (c.pos >= tail_from || Some(c.pos) == chosen_pos) && before_run_on(c.pos))
    {
        f.authenticated |= c.authenticated;
        f.auth_user = f.auth_user.or(c.auth_user);
        f.ident = f.ident.or(c.ident);
        f.port = f.port.or(c.port);
    }
    // The HELO the receiver annotated: `helo=` / `HELO x` in the group or after it, the
    // `(HELO x)` comment right before a qmail or `$sender_fullhost` group, smtpd's claim.
    let tail_helo = comments[..n_comments]
        .iter()
        .filter(|c| (c.pos >= tail_from || Some(c.pos) == chosen_pos) && before_run_on(c.pos))
        .find_map(|c| c.helo.map(|h| h.1));
    let dash = outside.is_some_and(|(p, d)| d && Some(p) == chosen_pos);
    let outside_chosen = outside.is_some_and(|(p, d)| !d && Some(p) == chosen_pos);
    let qmail_group = chosen_comment.is_some_and(|c| c.bare);
    let before_helo = chosen_pos
        .filter(|&p| p >= 1 && (qmail_group || outside_chosen))
        .and_then(|p| comment_at(p - 1))
        .and_then(|c| match c.helo {
            Some((HeloMark::Whole, h)) => Some(h),
            _ => None,
        });
    let explicit_helo = tail_helo.or(before_helo).or(claimed.map(|c| c.1));
    let before_helo = before_helo.filter(|_| tail_helo.is_none());

    let name_plain = match name {
        Some(Text::Plain(w)) if name_ip.is_none() => Some(w),
        _ => None,
    };
    let name_rdns = name_plain.filter(|n| !is_unknown(n));
    if dash {
        // ims-dash: the leading name is the HELO, no rDNS is written.
        f.helo = name;
    } else if outside_chosen {
        // exim-fullhost: a plain leading name is the verified rDNS; the parenthesised part
        // is the HELO, omitted when it equalled the rDNS (Exim spec, `$sender_fullhost`).
        f.rdns = name_rdns;
        let first_comment = comments[..n_comments]
            .first()
            .filter(|c| Some(c.pos) < chosen_pos);
        f.helo = match (explicit_helo, first_comment) {
            (Some(h), _) => h,
            (None, Some(c)) => match rest.get(c.pos) {
                Some(Token::Comment(t)) => non_empty(t).map(Text::Plain),
                _ => None,
            },
            (None, None) => name,
        };
    } else if let Some(h) = tail_helo.or(claimed.map(|c| c.1)) {
        // Exim `helo=`, CommuniGate `HELO`, smtpd's claim: the leading name is the
        // receiver's (its rDNS lookup), the HELO is annotated separately.
        f.helo = h;
        f.rdns = name_rdns;
    } else if let Some(h) = before_helo {
        // qmail `rdns (HELO x) (ip)`. The same shape can be a HELO through an MTA that
        // writes `HELO (ip)` (Exchange), so the name is the rDNS only when qmail wrote it.
        f.helo = h;
        f.rdns = name_rdns.filter(|_| ctx.qmail || ctx.no_weekday);
    } else if chosen_pos.is_none() {
        // The name slot is the peer (webmail, Exim `[ip]`): no HELO was written.
        f.helo = if ctx.exim { name } else { None };
    } else if ctx.exim || (ctx.qmail && qmail_group) {
        // Exim's `$sender_rcvhost` / qmail's REMOTEHOST: the leading name is the verified
        // rDNS, and the omitted HELO annotation means the HELO was the same name.
        f.rdns = name_rdns;
        f.helo = name;
    } else {
        f.helo = name;
        f.rdns = chosen_comment.and_then(|c| c.rdns);
    }
    f
}

fn name_plain_of(name: Option<Text<'_>>) -> Option<&str> {
    match name {
        Some(Text::Plain(w)) => Some(w),
        _ => None,
    }
}

/// `claiming to be` right before position `pos`.
fn claiming_before(rest: &[Token<'_>], pos: usize) -> bool {
    pos >= 3
        && matches!(rest[pos - 1], Token::Word(w) if eq_ci_str(w, "be"))
        && matches!(rest[pos - 2], Token::Word(w) if eq_ci_str(w, "to"))
        && matches!(rest[pos - 3], Token::Word(w) if eq_ci_str(w, "claiming"))
}

/// Is everything from `from` on what an MTA writes after the host-info? Comments of the
/// known kinds, smtpd's `claiming to be "x"` and `via SMTP`, IMP's `as user u`.
///
/// `exim_ident`: Exim 3's `$sender_fullhost` ends with the RFC 1413 ident in parentheses
/// (`rdns (helo) [ip] (ident)`), a single word.
fn tail_is_receivers(
    rest: &[Token<'_>],
    from: usize,
    comments: &[CommentFacts<'_>],
    exim_ident: bool,
) -> bool {
    let mut i = from;
    while i < rest.len() {
        match rest[i] {
            Token::Comment(c) => {
                // Only comments after the group are checked, so the prefix table is read
                // here rather than for every comment.
                let known = comments.iter().any(|k| k.pos == i)
                    && TAIL_PREFIXES
                        .iter()
                        .any(|p| strip_prefix_ci(c, p).is_some());
                let ident = exim_ident
                    && i + 1 == rest.len()
                    && !c.is_empty()
                    && !c.contains([' ', '[', '(', ','])
                    && parse_ip_prefix(c).is_none();
                if !known && !ident {
                    return false;
                }
                i += 1;
            }
            Token::Word(w) if eq_ci_str(w, "claiming") => {
                let ok = matches!(rest.get(i + 1), Some(Token::Word(t)) if eq_ci_str(t, "to"))
                    && matches!(rest.get(i + 2), Some(Token::Word(b)) if eq_ci_str(b, "be"))
                    && matches!(rest.get(i + 3), Some(Token::Quoted(_)));
                if !ok {
                    return false;
                }
                i += 4;
            }
            Token::Word(w) if eq_ci_str(w, "via") && i + 2 >= rest.len() => {
                i += 2;
            }
            Token::Word(w) if eq_ci_str(w, "as") => {
                let ok = matches!(rest.get(i + 1), Some(Token::Word(u)) if eq_ci_str(u, "user"))
                    && matches!(rest.get(i + 2), Some(Token::Word(_)));
                if !ok {
                    return false;
                }
                i += 3;
            }
            _ => return false,
        }
    }
    true
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn is_unknown(s: &str) -> bool {
    eq_ci_str(s, "unknown") || eq_ci_str(s, "[unknown]")
}

/// Lower-case (compared with [`eq_keyword`]).
const HELO_VERBS: [&str; 4] = ["helo", "ehlo", "lhlo", "hello"];

/// Words inside from-clause comments that qualify the host-info without naming a host
/// (lower-case, compared with [`eq_keyword`]).
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

/// Comments MTAs write after the host-info, by their first characters (case-insensitive):
/// TLS (Postfix `using`, Courier `TLS:`), client certificates (Postfix), SMTP AUTH (Postfix,
/// Sendmail, Courier, SquirrelMail), ident, envelope sender (qmail-ldap), Exim's
/// `port=`/`helo=`/`ident=` after a leading `[ip]`, CommuniGate's `account`/`HELO`.
const TAIL_PREFIXES: &[&str] = &[
    "using ",
    "TLS:",
    "Client ",
    "No client",
    "Authenticated sender:",
    "authenticated",
    "AUTH:",
    "IDENT:",
    "SquirrelMail authenticated",
    "proxying for",
    "envelope-from",
    "envelope-sender",
    "user=",
    "may be forged",
    "uid ",
    "version=",
    "port=",
    "helo=",
    "ident=",
    "account ",
    "HELO ",
    "EHLO ",
];

/// Read one comment of the from clause. Addresses the receiver recorded go to `receiver`,
/// addresses inside HELO text to `helo_ips`; side facts (auth, ident, envelope) are kept on
/// the returned facts so the caller can decide whether the comment is the receiver's.
fn read_comment<'a>(
    c: &'a str,
    pos: usize,
    f: &mut FromFacts<'a>,
    receiver: &mut Cands,
    helo_ips: &mut Cands,
) -> CommentFacts<'a> {
    let mut cf = CommentFacts {
        pos,
        ..Default::default()
    };
    // Comments that are not host-info at all.
    if let Some(user) = strip_prefix_ci(c, "Authenticated sender:") {
        cf.authenticated = true;
        cf.auth_user = non_empty(user);
        return cf;
    }
    if let Some(rest) = strip_prefix_ci(c, "authenticated") {
        cf.authenticated = true;
        let rest = rest.trim_start();
        cf.auth_user = strip_prefix_ci(rest, "as ")
            .and_then(non_empty)
            .or_else(|| strip_prefix_ci(rest, "user ").and_then(|u| u.split_whitespace().next()))
            .or_else(|| keyed(rest, "user="));
        return cf;
    }
    if strip_prefix_ci(c, "user=").is_some() {
        // Sendmail `(user=alice mech=PLAIN bits=0)`.
        cf.authenticated = true;
        cf.auth_user = keyed(c, "user=");
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
                cf.ident = clean_ident(v.trim());
            } else if let Some(v) = strip_prefix_ci(seg, "AUTH:") {
                cf.authenticated = true;
                cf.auth_user = v.split_whitespace().last();
            }
        }
        return cf;
    }
    if let Some(rest) = strip_prefix_ci(c, "SquirrelMail authenticated user") {
        cf.authenticated = true;
        cf.auth_user = non_empty(rest);
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

    // A nested comment: Sendmail's `(may be forged)` is fine, an address in one is not.
    // Most comments hold no `(`: the vectorised test answers that for less than
    // `str::find`'s `memchr` setup.
    if let Some(open) = has_byte(c, b'(')
        .then(|| c.bytes().position(|b| b == b'('))
        .flatten()
    {
        cf.nested_addr = comment_words(&c[open..])
            .any(|w| parse_ip_prefix(w.trim_matches(['(', ')'])).is_some());
    }

    let mut words = comment_pieces(c).peekable();
    let mut first = true;
    let mut in_helo = false;
    let mut n_words = 0usize;
    let mut n_addr_words = 0usize;
    while let Some(w) = words.next() {
        // End of this word in `c`, to slice "the rest of the comment".
        let byte_pos = offset_in(c, w) + w.len();
        let was_first = first;
        first = false;
        n_words += 1;

        if HELO_VERBS.iter().any(|v| eq_keyword(w, v)) {
            // qmail / CommuniGate: everything after the verb is the client's HELO text.
            let helo_text = c[byte_pos..].trim();
            let mark = if was_first {
                HeloMark::Whole
            } else {
                HeloMark::RunsOn
            };
            cf.helo = Some((mark, non_empty(helo_text).map(Text::Plain)));
            for hw in comment_words(helo_text) {
                if let Some(p) = parse_ip_prefix(hw.trim_matches('?')) {
                    helo_ips.push(Cand {
                        ip: p,
                        bracketed: false,
                        pos,
                    });
                }
            }
            break;
        }
        if let Some(h) = strip_prefix_ci(w, "helo=") {
            // Exim: the HELO follows the receiver's record; anything after it in the
            // comment (but `ident=`) is the client's text too.
            cf.helo = Some((HeloMark::RunsOn, non_empty(h).map(Text::Plain)));
            in_helo = true;
            if let Some(p) = parse_ip_literal(h) {
                helo_ips.push(Cand {
                    ip: p,
                    bracketed: false,
                    pos,
                });
            }
            continue;
        }
        if let Some(id) = strip_prefix_ci(w, "ident=") {
            cf.ident = clean_ident(id);
            continue;
        }
        if in_helo {
            if let Some(p) = parse_ip_prefix(w.trim_matches(['(', ')'])) {
                helo_ips.push(Cand {
                    ip: p,
                    bracketed: false,
                    pos,
                });
            }
            continue;
        }
        if let Some(p) = strip_prefix_ci(w, "port=") {
            cf.port = p.parse().ok();
            continue;
        }
        if eq_keyword(w, "account") {
            if let Some(user) = words.next() {
                cf.authenticated = true;
                cf.auth_user = Some(user.trim_start_matches('<').trim_end_matches('>'));
            }
            continue;
        }
        if eq_keyword(w, "with") {
            // Yahoo: `(user@1.2.3.4 with login)` — SMTP AUTH mechanism.
            n_words -= 1;
            if let Some(m) = words.peek() {
                if ["login", "plain", "cram-md5", "xoauth2"]
                    .iter()
                    .any(|k| eq_ci_str(k, m))
                {
                    cf.authenticated = true;
                    words.next();
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
                        pos,
                    });
                    cf.n_cands += 1;
                    cf.ident = clean_ident(user);
                }
                None => match id.rsplit_once('@') {
                    // `IDENT:user@rdns [ip]`: the user, then the host the receiver resolved.
                    Some((user, host)) if looks_like_host(host) && host.contains('.') => {
                        cf.ident = clean_ident(user);
                        cf.rdns = cf.rdns.or(Some(host));
                    }
                    _ => cf.ident = clean_ident(id),
                },
            }
            continue;
        }
        if let Some(p) = parse_ip_literal(w) {
            receiver.push(Cand {
                ip: p,
                bracketed: w.starts_with('['),
                pos,
            });
            cf.n_cands += 1;
            n_addr_words += 1;
            continue;
        }
        if let Some((user, host)) = w.rsplit_once('@') {
            if let Some(p) = parse_ip_prefix(host) {
                receiver.push(Cand {
                    ip: p,
                    bracketed: host.starts_with('['),
                    pos,
                });
                cf.n_cands += 1;
                n_addr_words += 1;
                cf.ident = clean_ident(user).or(cf.ident);
            } else {
                // Sendmail's `$_`: `ident@rdns [ip]` — the user, then the host it resolved.
                let host = host.trim_end_matches(']');
                cf.ident = clean_ident(user).or(cf.ident);
                if cf.rdns.is_none() && looks_like_host(host) && host.contains('.') {
                    cf.rdns = Some(host);
                }
            }
            continue;
        }
        if is_unknown(w) {
            cf.rdns_unknown = true;
            continue;
        }
        if QUALIFIER_WORDS.iter().any(|q| eq_keyword(w, q)) {
            continue;
        }
        if cf.rdns.is_none() && !cf.rdns_unknown && looks_like_host(w) {
            cf.rdns = Some(w.trim_start_matches('<').trim_end_matches('>'));
        }
    }
    cf.bare = n_words == 1 && n_addr_words == 1;
    cf
}

/// Where `word`, a slice [`comment_pieces`] cut from `c`, starts in `c`. Words are
/// separated only by spaces and commas, which no word starts with, so this is also where a
/// search for the word's text from the end of the previous word would land.
fn offset_in(c: &str, word: &str) -> usize {
    (word.as_ptr() as usize)
        .wrapping_sub(c.as_ptr() as usize)
        .min(c.len())
}

/// `key=value` among the words of a comment.
fn keyed<'a>(c: &'a str, key: &str) -> Option<&'a str> {
    c.split([' ', ','])
        .find_map(|w| strip_prefix_ci(w, key))
        .and_then(non_empty)
}

/// Words of a comment, with `name[1.2.3.4]` (no space, as some MTAs write) split into the
/// name and the bracketed address. `user@[ip]` stays whole (it is an ident form).
fn comment_pieces(c: &str) -> CommentPieces<'_> {
    CommentPieces {
        words: comment_words(c),
        pending: None,
    }
}

/// Iterator of [`comment_pieces`]: a plain state machine (the word, or its name and then
/// its bracket), which costs less than flattening a pair per word.
struct CommentPieces<'a> {
    words: CommentWords<'a>,
    /// The bracketed half of a split word, handed out next.
    pending: Option<&'a str>,
}

impl<'a> Iterator for CommentPieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        let w = self.words.next()?;
        let b = w.as_bytes();
        match b.iter().position(|&x| x == b'[') {
            Some(i) if i > 0 && !b[..i].iter().any(|x| matches!(x, b'@' | b'=' | b':')) => {
                self.pending = w.get(i..);
                w.get(..i)
            }
            _ => Some(w),
        }
    }
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
