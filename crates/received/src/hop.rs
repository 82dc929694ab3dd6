//! The parsed form of one `Received:` header: what the receiving MTA recorded about a hop.

use serde::Serialize;
use std::net::IpAddr;

/// One `Received:` header, parsed.
///
/// Every field is optional because real MTAs omit almost any of them; `raw` always holds
/// the unfolded header value so findings can quote their evidence verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Header value with folding removed (CRLF/LF + WSP collapsed to one space), trimmed.
    pub raw: String,
    /// The `from` clause: the client as the receiver saw it.
    pub from: FromPart,
    /// The `by` clause: the receiving server.
    pub by: ByPart,
    /// `via` link type, if given (rare; e.g. `via HTTP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The `with` protocol, normalised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The `with` clause exactly as written (e.g. `ESMTPSA`, `Microsoft SMTP Server`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_raw: Option<String>,
    /// Queue id from the `id` clause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Recipient from the `for` clause, angle brackets removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_addr: Option<String>,
    /// Envelope sender when the MTA logs it (`envelope-from <…>`, qmail, Exim `(envelope-from …)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_from: Option<String>,
    /// Authenticated user / SASL identity when logged (`Authenticated sender:`, `auth=`,
    /// Exim `(Exim … authenticated as …)`, `(authenticated bits=0)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_user: Option<String>,
    /// True when the receiver recorded that the client authenticated (ESMTPA/ESMTPSA,
    /// `Authenticated sender`, `auth=`, `authenticated` comment) even if no user is named.
    pub authenticated: bool,
    /// TLS parameters if recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    /// The date after the last `;`, parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<HopDate>,
    /// The date text as written (after `;`), even when it did not parse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_raw: Option<String>,
    /// Receiving software if named (`(Postfix)`, `(Exim 4.96)`, `Microsoft SMTP Server`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// Set when the line records no network relay at all: a mailbox retrieval or a local
    /// submission. Chain logic skips such hops when looking for the relay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_relay: Option<NonRelay>,
    /// Things the parser noticed: ignored HELO-borne IPs, ambiguity, truncation, garbage.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<ParseNote>,
}

/// Why a hop is not a network relay (see the `non_relay` module for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NonRelay {
    /// The user's own agent fetched the message from a mailbox (`with IMAP`/`POP3`,
    /// fetchmail, getmail): the "client" is the mailbox server, not a sender.
    Retrieval,
    /// A local program handed the message to the MTA (`from userid N`, qmail `invoked by
    /// uid N`, `with local`, Sendmail `/Submit`): no network peer at all.
    LocalPickup,
}

/// The client side of a hop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FromPart {
    /// Name the client gave in HELO/EHLO (client-controlled, never trusted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// Reverse-DNS name the receiver looked up (`unknown` normalised to `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdns: Option<String>,
    /// Client IP as recorded by the receiver; `None` when absent or ambiguous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Client TCP port when recorded (`[1.2.3.4]:5123`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// RFC 1413 ident user (`user@host` forms inside the from comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ident: Option<String>,
}

/// The server side of a hop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ByPart {
    /// Host name the receiver gave itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Receiver IP if written (`by mx.example ([10.1.2.3])`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
}

/// Transfer protocol from the `with` clause (RFC 3848 and common extensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    Smtp,
    Esmtp,
    Esmtps,
    Esmtpa,
    Esmtpsa,
    Lmtp,
    Lmtps,
    Lmtpa,
    Lmtpsa,
    Utf8Smtp,
    Utf8Smtps,
    Utf8Smtpa,
    Utf8Smtpsa,
    Http,
    Https,
    Mapi,
    Local,
    Imap,
    /// Anything else, kept as written (upper-cased).
    #[serde(untagged)]
    Other(String),
}

impl Protocol {
    /// RFC 3848: the `A` suffix means the client authenticated with SMTP AUTH.
    pub fn is_authenticated(&self) -> bool {
        matches!(
            self,
            Protocol::Esmtpa
                | Protocol::Esmtpsa
                | Protocol::Lmtpa
                | Protocol::Lmtpsa
                | Protocol::Utf8Smtpa
                | Protocol::Utf8Smtpsa
        )
    }

    /// RFC 3848: the `S` suffix means the session was protected by TLS.
    pub fn is_tls(&self) -> bool {
        matches!(
            self,
            Protocol::Esmtps
                | Protocol::Esmtpsa
                | Protocol::Lmtps
                | Protocol::Lmtpsa
                | Protocol::Utf8Smtps
                | Protocol::Utf8Smtpsa
                | Protocol::Https
        )
    }
}

/// TLS details when the receiver logged them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
}

/// A parsed hop timestamp: an instant plus the zone offset the MTA wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HopDate {
    /// Seconds since the Unix epoch, UTC.
    pub unix: i64,
    /// Offset from UTC the header was written in, in minutes (e.g. -420 for -0700).
    pub offset_minutes: i32,
}

/// Something the parser wants the analyst (or the analyzer) to know about a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParseNote {
    /// An IP appeared only in client-controlled text (HELO / injected comment) and was ignored.
    HeloIpIgnored { ip: String },
    /// Several candidate client IPs and no way to tell which the receiver recorded.
    AmbiguousClientIp { candidates: Vec<String> },
    /// The header exceeded [`crate::MAX_RECEIVED_LEN`] and was cut.
    Truncated { original_len: usize },
    /// The date part was present but unparseable.
    BadDate,
    /// No recognisable structure at all; only `raw` is meaningful.
    Unparsed,
    /// Free-form remark (unusual syntax that was still understood).
    Other { text: String },
}
