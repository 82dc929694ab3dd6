//! What a probe may do and how long it may wait: the validated configuration shared by the
//! library entry point ([`crate::probe_target`]) and the scanner.

use crate::battery::{RelayTest, BATTERY};
use crate::scan::rate::RateLimiter;
use crate::smtp::reply::ReplyLimits;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Per-phase time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// Each complete reply (and each write, and the TLS handshake).
    pub reply: Duration,
    /// The whole target: every connection, the full battery and canaries.
    pub target: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            reply: Duration::from_secs(30),
            target: Duration::from_secs(300),
        }
    }
}

/// An email address split into local part and domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Local part.
    pub local: String,
    /// Domain.
    pub domain: String,
}

impl Mailbox {
    /// Parse `local@domain` (one `@`, both sides non-empty, no spaces or angle brackets).
    pub fn parse(s: &str) -> Option<Self> {
        let (local, domain) = s.rsplit_once('@')?;
        let ok = |p: &str| {
            !p.is_empty() && p.len() <= 254 && !p.contains(['<', '>', ' ', '\r', '\n', '@'])
        };
        (ok(local) && ok(domain)).then(|| Self {
            local: local.to_string(),
            domain: domain.to_string(),
        })
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// Whether to upgrade with STARTTLS when offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StarttlsPolicy {
    /// Upgrade when offered; if the handshake fails, record why and carry on in plaintext on a
    /// new connection (what a sending MTA does).
    #[default]
    Opportunistic,
    /// Never upgrade.
    Never,
}

/// Canary confirmation settings (`--confirm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmOptions {
    /// Ledger written by `relayhunt canary listen`; when set, the probe waits for the tokens.
    pub ledger: Option<PathBuf>,
    /// How long to wait for canaries after the battery.
    pub wait: Duration,
}

/// Everything a probe needs besides the target.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Name sent in EHLO/HELO.
    pub ehlo_name: String,
    /// Outside recipient (`{user}@{relay}`), ideally a mailbox the operator controls.
    pub recipient: Mailbox,
    /// Outside sender (`{sender}@{sender_domain}`).
    pub sender: Mailbox,
    /// Time limits.
    pub timeouts: Timeouts,
    /// Reply size limits.
    pub limits: ReplyLimits,
    /// STARTTLS behaviour.
    pub starttls: StarttlsPolicy,
    /// Speak TLS from the first byte (port 465).
    pub implicit_tls: bool,
    /// The tests to run, in order.
    pub battery: Vec<&'static RelayTest>,
    /// Reconnects allowed after 421 or a dropped connection.
    pub max_reconnects: u32,
    /// Open a fresh connection after this many refused commands, to stay under servers'
    /// per-session error limits (Postfix `smtpd_soft_error_limit` = 10 adds a 1 s delay per
    /// error beyond it, `smtpd_hard_error_limit` = 20 disconnects).
    pub errors_per_connection: u32,
    /// Open a fresh connection after this many syntax errors (500/501/503): Exim's
    /// `smtp_max_synprot_errors` = 3 drops the session at the third.
    pub syntax_errors_per_connection: u32,
    /// Send canaries through accepted variants.
    pub confirm: Option<ConfirmOptions>,
    /// Global connection rate limit shared by all targets.
    pub rate: Option<Arc<RateLimiter>>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            ehlo_name: "probe.relayhunt.invalid".into(),
            recipient: Mailbox {
                local: "relaytest".into(),
                domain: "example.net".into(),
            },
            sender: Mailbox {
                local: "antispam".into(),
                domain: "example.org".into(),
            },
            timeouts: Timeouts::default(),
            limits: ReplyLimits::default(),
            starttls: StarttlsPolicy::default(),
            implicit_tls: false,
            battery: BATTERY.iter().collect(),
            max_reconnects: 3,
            errors_per_connection: 8,
            syntax_errors_per_connection: 2,
            confirm: None,
            rate: None,
        }
    }
}
