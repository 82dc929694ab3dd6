//! The evidence for a relay in one raw message: which `Received:` line proves it and when.
//!
//! Sans-I/O and bounded: the header block is split here (at most [`MAX_HEADER_BYTES`] and
//! [`MAX_FIELDS`]) so a hostile message cannot stall the report. The proving line is the
//! newest `Received:` whose *from* clause records the relay's address — the header your
//! own server wrote when the relay connected to it; the line below it is the relay's own
//! account of where it got the message.

use std::net::IpAddr;

/// Header bytes read at most.
pub const MAX_HEADER_BYTES: usize = 1024 * 1024;
/// Header fields read at most.
pub const MAX_FIELDS: usize = 5000;

/// One header field of the reported message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// Value unfolded, trimmed, lossy UTF-8.
    pub value: String,
    /// 1-based line number of the field's first line.
    pub line: usize,
}

impl Field {
    /// The receiving server a `Received:` field names (`by host`), as the Received parser
    /// reads it. The from clause is written by the sender, so a scan for the first " by "
    /// would take a comment such as `(by evil.example)` planted there for the receiver and
    /// put the attacker's host name in the report as "our mail server".
    pub fn receiver(&self) -> Option<String> {
        relayhunt_received::parse(&self.value).by.host
    }
}

/// What the reported host did, as the Received chain shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Conduct {
    /// It passed on a message it had received, unauthenticated, from another host.
    OpenRelay { source: Option<IpAddr> },
    /// It passed on a message submitted by an authenticated user (compromised account).
    AuthenticatedRelay { user: Option<String> },
    /// It handed the message to us and no header below says where it came from.
    #[default]
    DirectSender,
}

/// What the report says about the relay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub relay_ip: Option<IpAddr>,
    /// Relay, authenticated relay or direct sender.
    pub conduct: Conduct,
    /// The `Received:` field recording the connection from the relay.
    pub proving: Option<Field>,
    /// The `Received:` field just below it (written by the relay, or claimed to be).
    pub relay_own: Option<Field>,
    /// When the relay handed the message over (UTC seconds), from the proving line's date,
    /// else the `Date:` header.
    pub when_unix: Option<i64>,
    /// Envelope sender: the `Return-Path:` address, else the proving line's
    /// `envelope-from` (ARF Original-Mail-From, XARF smtp_from).
    pub mail_from: Option<String>,
    /// Domain of the `From:` address (ARF Reported-Domain).
    pub from_domain: Option<String>,
    /// `Subject:` decoded (RFC 2047), untrusted text: bound and clean it before use.
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// Envelope recipient from the proving line's `for` clause (ARF Original-Rcpt-To).
    pub rcpt_to: Option<String>,
    /// `Authentication-Results:` fields, newest first (shown as supporting evidence).
    pub auth_results: Vec<Field>,
    /// Analyst-facing observations to include (from the analysis, if run).
    pub observations: Vec<String>,
}

/// The message proper: without a leading mbox `From ` separator line, which belongs to the
/// mailbox file, not to the message (RFC 4155).
pub fn message_bytes(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match raw.iter().position(|&b| b == b'\n') {
            Some(nl) => &raw[nl + 1..],
            None => raw,
        }
    } else {
        raw
    }
}

/// Split the header block into fields (bounded).
pub fn fields(raw: &[u8]) -> Vec<Field> {
    let head = &raw[..raw.len().min(MAX_HEADER_BYTES)];
    let mut out: Vec<Field> = Vec::new();
    for (i, line) in head.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line).replace('\0', "");
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                if last.value.len() < 64 * 1024 {
                    last.value.push(' ');
                    last.value.push_str(text.trim());
                }
            }
            continue;
        }
        if out.len() >= MAX_FIELDS {
            break;
        }
        if let Some((n, v)) = text.split_once(':') {
            if !n.is_empty() && !n.contains(char::is_whitespace) {
                out.push(Field {
                    name: n.to_string(),
                    value: v.trim().to_string(),
                    line: i + 1,
                });
            }
        }
    }
    for f in &mut out {
        f.value = f.value.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    out
}

/// The `from` clause of a Received value: everything before ` by ` (or before `;`).
fn from_clause(v: &str) -> &str {
    let lower = v.to_ascii_lowercase();
    let end = lower
        .find(" by ")
        .or_else(|| lower.find(';'))
        .unwrap_or(v.len());
    if lower.starts_with("from ") {
        &v[..end]
    } else {
        ""
    }
}

/// True when `ip` appears as an address token in `clause` (not inside a longer number).
fn mentions(clause: &str, ip: IpAddr) -> bool {
    let needle = ip.to_string().to_ascii_lowercase();
    let hay = clause.to_ascii_lowercase();
    let is_addr_char = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    let mut start = 0;
    while let Some(pos) = hay[start..].find(&needle) {
        let a = start + pos;
        let b = a + needle.len();
        let before = hay[..a].chars().next_back();
        let after = hay[b..].chars().next();
        if !before.is_some_and(is_addr_char) && !after.is_some_and(is_addr_char) {
            return true;
        }
        // `[IPv6:2001:db8::1]` — the prefix ends with ':' but is a tag, not an address.
        if hay[..a].ends_with("ipv6:") && !after.is_some_and(is_addr_char) {
            return true;
        }
        start = a + 1;
    }
    false
}

fn for_clause(v: &str) -> Option<String> {
    let lower = v.to_ascii_lowercase();
    let at = lower.find(" for ")?;
    let rest = v[at + 5..].trim_start();
    let end = rest.find([';', ' ', '(']).unwrap_or(rest.len());
    let a = rest[..end].trim_matches(['<', '>']);
    (a.contains('@')).then(|| a.to_string())
}

fn date_unix(v: &str) -> Option<i64> {
    let (_, d) = v.rsplit_once(';')?;
    mail_parser::DateTime::parse_rfc822(d.trim()).map(|d| d.to_timestamp())
}

fn angle(v: &str) -> String {
    let v = v.trim();
    match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => v[a + 1..b].trim().to_string(),
        _ => v.to_string(),
    }
}

/// The first address in the from clause's brackets or parentheses (`[192.0.2.1]`,
/// `(192.0.2.1)`, `[IPv6:2001:db8::1]`), as MTAs record the peer.
pub fn recorded_client(value: &str) -> Option<IpAddr> {
    let clause = from_clause(value);
    clause
        .split(|c: char| c == '[' || c == ']' || c == '(' || c == ')' || c.is_whitespace())
        .map(|t| t.trim_start_matches("IPv6:").trim_start_matches("ipv6:"))
        .find_map(|t| t.parse::<IpAddr>().ok())
}

/// How the relay's own header says it got the message.
fn conduct(own: &Field, relay: IpAddr) -> Conduct {
    let hop = relayhunt_received::parse(&own.value);
    let lower = own.value.to_ascii_lowercase();
    let authenticated = hop.authenticated
        || hop
            .protocol
            .as_ref()
            .is_some_and(relayhunt_received::Protocol::is_authenticated)
        || [
            " with esmtpa",
            " with esmtpsa",
            " with lmtpa",
            "authenticated sender:",
            "(authenticated",
            " auth=",
            "authenticated as ",
        ]
        .iter()
        .any(|k| lower.contains(k));
    if authenticated {
        return Conduct::AuthenticatedRelay {
            user: hop.auth_user,
        };
    }
    let source = hop
        .from
        .ip
        .or_else(|| recorded_client(&own.value))
        .filter(|s| *s != relay);
    if from_clause(&own.value).is_empty() {
        return Conduct::DirectSender;
    }
    Conduct::OpenRelay { source }
}

/// Gather the evidence for `relay` (or, without one, the message facts only).
pub fn gather(raw: &[u8], relay: Option<IpAddr>) -> Evidence {
    let fs = fields(raw);
    let get = |name: &str| fs.iter().find(|f| f.name.eq_ignore_ascii_case(name));
    let received: Vec<&Field> = fs
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Received"))
        .collect();
    let mut ev = Evidence {
        relay_ip: relay,
        ..Evidence::default()
    };
    if let Some(ip) = relay {
        if let Some(idx) = received.iter().position(|f| {
            relayhunt_received::parse(&f.value).from.ip == Some(ip)
                || mentions(from_clause(&f.value), ip)
        }) {
            let proving = received[idx].clone();
            ev.when_unix = date_unix(&proving.value);
            ev.rcpt_to = for_clause(&proving.value);
            ev.relay_own = received.get(idx + 1).map(|f| (*f).clone());
            ev.conduct = ev
                .relay_own
                .as_ref()
                .map(|f| conduct(f, ip))
                .unwrap_or_default();
            ev.proving = Some(proving);
        }
    }
    if ev.when_unix.is_none() {
        ev.when_unix = get("Date")
            .and_then(|f| mail_parser::DateTime::parse_rfc822(&f.value))
            .map(|d| d.to_timestamp());
    }
    // The envelope sender: `Return-Path:`, else what the proving line records of the
    // relay's MAIL FROM (`(envelope-from <x>)`, as Exim and others write it).
    ev.mail_from = get("Return-Path")
        .map(|f| angle(&f.value))
        .filter(|a| a.contains('@'))
        .or_else(|| {
            ev.proving
                .as_ref()
                .and_then(|p| relayhunt_received::parse(&p.value).envelope_from)
                .map(|a| angle(&a))
                .filter(|a| a.contains('@'))
        });
    ev.from_domain = get("From")
        .map(|f| angle(&f.value))
        .and_then(|a| a.rsplit_once('@').map(|(_, d)| d.to_string()))
        .and_then(|d| super::header_value::domain(&d));
    // As a reader sees it: RFC 2047 encoded words decoded by mail-parser (headers only,
    // within the bound above), else the raw value.
    ev.subject = mail_parser::MessageParser::new()
        .parse_headers(&raw[..raw.len().min(MAX_HEADER_BYTES)])
        .and_then(|m| m.subject().map(str::to_string))
        .or_else(|| get("Subject").map(|f| f.value.clone()));
    ev.message_id = get("Message-ID").map(|f| angle(&f.value));
    ev.auth_results = fs
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Authentication-Results"))
        .take(3)
        .cloned()
        .collect();
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"Return-Path: <ceo@victim-corp.test>\r\n\
Received: from mail-relay.somecloud.test (mail-relay.somecloud.test [198.51.100.25])\r\n\
\tby mx.example.org (Postfix) with ESMTP id 4Xk2\r\n\
\tfor <cfo@example.org>; Thu, 14 May 2026 14:20:01 -0700 (PDT)\r\n\
Received: from adsl-203-0-113-7.dyn.isp.test (adsl-203-0-113-7.dyn.isp.test [203.0.113.7])\r\n\
\tby mail-relay.somecloud.test (Postfix) with SMTP id 77A1; Thu, 14 May 2026 21:19:58 +0000\r\n\
From: \"CEO\" <ceo@victim-corp.test>\r\nSubject: Urgent wire\r\nDate: Thu, 14 May 2026 21:19:50 +0000\r\n\r\nbody\r\n";

    #[test]
    fn the_proving_line_is_the_one_recording_the_relay_as_client_and_its_time_is_utc() {
        let ev = gather(MSG, Some("198.51.100.25".parse().unwrap()));
        let p = ev.proving.as_ref().expect("proving line");
        assert_eq!(p.line, 2);
        assert!(p.value.contains("by mx.example.org"));
        assert_eq!(ev.relay_own.as_ref().unwrap().line, 5);
        // 14:20:01 -0700 is 21:20:01 UTC.
        assert_eq!(ev.when_unix, Some(1_778_793_601));
        assert_eq!(ev.rcpt_to.as_deref(), Some("cfo@example.org"));
        assert_eq!(ev.mail_from.as_deref(), Some("ceo@victim-corp.test"));
        assert_eq!(ev.from_domain.as_deref(), Some("victim-corp.test"));
    }

    #[test]
    fn the_relays_own_header_tells_open_relay_from_compromised_account() {
        let ev = gather(MSG, Some("198.51.100.25".parse().unwrap()));
        assert_eq!(
            ev.conduct,
            Conduct::OpenRelay {
                source: Some("203.0.113.7".parse().unwrap())
            }
        );
        let authed =
            String::from_utf8_lossy(MSG).replace("with SMTP id 77A1", "with ESMTPSA id 77A1");
        let ev = gather(authed.as_bytes(), Some("198.51.100.25".parse().unwrap()));
        assert!(
            matches!(ev.conduct, Conduct::AuthenticatedRelay { .. }),
            "{:?}",
            ev.conduct
        );
        let ev = gather(MSG, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(ev.conduct, Conduct::DirectSender);
    }

    #[test]
    fn without_return_path_the_envelope_sender_comes_from_the_proving_line() {
        let msg = b"Received: from relay.test ([198.51.100.25]) by mx.example.org with esmtp\r\n\
\t(envelope-from <bounce@relay.test>) id 1x; Thu, 14 May 2026 21:20:01 +0000\r\n\
Subject: s\r\n\r\nbody\r\n";
        let ev = gather(msg, Some("198.51.100.25".parse().unwrap()));
        assert_eq!(ev.mail_from.as_deref(), Some("bounce@relay.test"));
        // The Return-Path, where there is one, is the envelope sender at delivery.
        let ev = gather(MSG, Some("198.51.100.25".parse().unwrap()));
        assert_eq!(ev.mail_from.as_deref(), Some("ceo@victim-corp.test"));
    }

    #[test]
    fn an_ip_that_only_prefixes_another_is_not_a_match() {
        let ev = gather(MSG, Some("198.51.100.2".parse().unwrap()));
        assert!(ev.proving.is_none());
        assert!(mentions(
            "from x ([IPv6:2001:db8::25])",
            "2001:db8::25".parse().unwrap()
        ));
    }
}
