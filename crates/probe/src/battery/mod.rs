//! The relay battery: every relay test as a row of data.
//!
//! Each row is one MAIL FROM / RCPT TO pair written as a template (see [`template`]) with a
//! stable id, the addressing trick it exercises and where it comes from. Adding a variant is one
//! line here plus, ideally, one fake-server test. Sixteen rows reproduce nmap's
//! `smtp-open-relay` script test for test; the `host`/`domain`/`ip` siblings of each trick and
//! the sender variants come from RFC 5321 §3.6 (source routes), RFC 1123 §5.2.6 and the
//! historical percent/bang hacks that sendmail-era relays honoured.

pub mod template;

pub use template::{render, TemplateVars};

/// How a recipient address reaches outside, which decides how much an acceptance proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Addressing {
    /// A plain `user@outside-domain`: acceptance means the server agreed to relay it.
    Plain,
    /// A routing trick (percent hack, quoting, double `@`, source route, bang path): the server
    /// may accept it as a strange *local* address and bounce it later, so acceptance alone is
    /// not proof.
    Trick,
}

/// One relay test of the battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayTest {
    /// Stable identifier, used in output and documentation (`outside-plain`, `bang-path-ip`…).
    pub id: &'static str,
    /// Template of the reverse-path, without angle brackets (empty = null sender `<>`).
    pub mail_from: &'static str,
    /// Template of the forward-path, without angle brackets.
    pub rcpt_to: &'static str,
    /// Whether the recipient is a plain outside address or a routing trick.
    pub addressing: Addressing,
    /// Where the variant comes from.
    pub source: &'static str,
    /// Why a relay might accept it.
    pub reason: &'static str,
}

const NMAP: &str = "nmap smtp-open-relay";

macro_rules! t {
    ($id:literal, $from:literal, $to:literal, $addr:ident, $src:expr, $why:literal) => {
        RelayTest {
            id: $id,
            mail_from: $from,
            rcpt_to: $to,
            addressing: Addressing::$addr,
            source: $src,
            reason: $why,
        }
    };
}

/// The full battery, in the order it runs. Plain-recipient tests come first: they are the
/// strongest evidence and the most likely to be proven by a canary.
///
/// Placeholders: `{user}`/`{relay}` the outside recipient, `{sender}`/`{sender_domain}` the
/// outside sender, `{host}` the server's own name, `{domain}` its parent domain, `{ip}` its
/// address literal (`[192.0.2.1]` or `[IPv6:…]`).
pub const BATTERY: &[RelayTest] = &[
    // Sender variants with a plain outside recipient.
    t!(
        "null-sender",
        "",
        "{user}@{relay}",
        Plain,
        "nmap smtp-open-relay #1; RFC 5321 §4.5.5",
        "bounces use the null reverse-path and some relays wave them through"
    ),
    t!(
        "outside-plain",
        "{sender}@{sender_domain}",
        "{user}@{relay}",
        Plain,
        "nmap smtp-open-relay #2",
        "the textbook open relay: stranger to stranger"
    ),
    t!(
        "sender-own-domain",
        "{sender}@{domain}",
        "{user}@{relay}",
        Plain,
        "nmap smtp-open-relay #3",
        "relays that trust any sender claiming the server's own domain"
    ),
    t!(
        "sender-ip-literal",
        "{sender}@{ip}",
        "{user}@{relay}",
        Plain,
        "nmap smtp-open-relay #4",
        "relays that trust a sender at the server's own address literal"
    ),
    t!(
        "sender-own-host",
        "{sender}@{host}",
        "{user}@{relay}",
        Plain,
        "host variant of nmap #3",
        "relays that trust any sender claiming the server's own hostname"
    ),
    t!(
        "sender-bare-local",
        "{sender}",
        "{user}@{relay}",
        Plain,
        "RFC 5321 §4.1.2 (unqualified path, sendmail append_dot_mydomain)",
        "an unqualified sender is completed with the local domain and then trusted"
    ),
    t!(
        "sender-localhost",
        "{sender}@localhost",
        "{user}@{relay}",
        Plain,
        "historical sendmail/exim misconfigurations",
        "relays that trust senders at localhost"
    ),
    t!(
        "sender-postmaster",
        "postmaster@{domain}",
        "{user}@{relay}",
        Plain,
        "RFC 5321 §4.5.1 (postmaster must be accepted)",
        "relays that exempt postmaster from relay checks"
    ),
    t!(
        "sender-recipient-domain",
        "{sender}@{relay}",
        "{user}@{relay}",
        Plain,
        "spammer habit: sender in the victim's domain",
        "relays that allow mail when sender and recipient share a domain"
    ),
    // Percent hack: user%outside@server.
    t!(
        "percent-hack-ip",
        "{sender}@{ip}",
        "{user}%{relay}@{ip}",
        Trick,
        NMAP,
        "nmap #5: RFC 1123 §5.2.16 percent hack routed through the address literal"
    ),
    t!(
        "percent-hack-domain",
        "{sender}@{ip}",
        "{user}%{relay}@{domain}",
        Trick,
        NMAP,
        "nmap #6: percent hack routed through the server's domain"
    ),
    t!(
        "percent-hack-host",
        "{sender}@{ip}",
        "{user}%{relay}@{host}",
        Trick,
        "host variant of nmap #6",
        "percent hack routed through the server's hostname"
    ),
    // Quoted local parts.
    t!(
        "quoted-at",
        "{sender}@{ip}",
        "\"{user}@{relay}\"",
        Trick,
        NMAP,
        "nmap #7: a quoted address as local part, unquoted again by a later hop"
    ),
    t!(
        "quoted-percent",
        "{sender}@{ip}",
        "\"{user}%{relay}\"",
        Trick,
        NMAP,
        "nmap #8: quoted percent hack"
    ),
    t!(
        "quoted-at-ip",
        "{sender}@{ip}",
        "\"{user}@{relay}\"@{ip}",
        Trick,
        NMAP,
        "nmap #10: quoted outside address at the server's literal"
    ),
    t!(
        "quoted-at-domain",
        "{sender}@{ip}",
        "\"{user}@{relay}\"@{domain}",
        Trick,
        "domain variant of nmap #10",
        "quoted outside address at the server's domain"
    ),
    t!(
        "quoted-at-host",
        "{sender}@{ip}",
        "\"{user}@{relay}\"@{host}",
        Trick,
        "host variant of nmap #10",
        "quoted outside address at the server's hostname"
    ),
    t!(
        "quoted-percent-ip",
        "{sender}@{ip}",
        "\"{user}%{relay}\"@{ip}",
        Trick,
        "literal variant of nmap #8",
        "quoted percent hack at the server's literal"
    ),
    // Double @.
    t!(
        "double-at-ip",
        "{sender}@{ip}",
        "{user}@{relay}@{ip}",
        Trick,
        NMAP,
        "nmap #9: parsers that take the last @ as the domain and forward the rest"
    ),
    t!(
        "double-at-domain",
        "{sender}@{ip}",
        "{user}@{relay}@{domain}",
        Trick,
        NMAP,
        "nmap #11: double @ through the server's domain"
    ),
    t!(
        "double-at-host",
        "{sender}@{ip}",
        "{user}@{relay}@{host}",
        Trick,
        "host variant of nmap #11",
        "double @ through the server's hostname"
    ),
    t!(
        "trailing-at",
        "{sender}@{ip}",
        "{user}@{relay}@",
        Trick,
        "malformed-address handling",
        "parsers that strip an empty trailing domain and relay the rest"
    ),
    // Source routes (RFC 5321 §3.6.1 / appendix C: must be accepted syntactically, may be ignored).
    t!(
        "source-route-ip",
        "{sender}@{ip}",
        "@{ip}:{user}@{relay}",
        Trick,
        NMAP,
        "nmap #12: RFC 5321 §3.6.1 source route through the server's literal"
    ),
    t!(
        "source-route-domain",
        "{sender}@{ip}",
        "@{domain}:{user}@{relay}",
        Trick,
        NMAP,
        "nmap #13: source route through the server's domain"
    ),
    t!(
        "source-route-host",
        "{sender}@{ip}",
        "@{host}:{user}@{relay}",
        Trick,
        "host variant of nmap #13",
        "source route through the server's hostname"
    ),
    // UUCP bang paths.
    t!(
        "bang-path",
        "{sender}@{ip}",
        "{relay}!{user}",
        Trick,
        NMAP,
        "nmap #14: UUCP bang path as a local part"
    ),
    t!(
        "bang-path-ip",
        "{sender}@{ip}",
        "{relay}!{user}@{ip}",
        Trick,
        NMAP,
        "nmap #15: bang path at the server's literal"
    ),
    t!(
        "bang-path-domain",
        "{sender}@{ip}",
        "{relay}!{user}@{domain}",
        Trick,
        NMAP,
        "nmap #16: bang path at the server's domain"
    ),
    t!(
        "bang-path-host",
        "{sender}@{ip}",
        "{relay}!{user}@{host}",
        Trick,
        "host variant of nmap #16",
        "bang path at the server's hostname"
    ),
];

/// Find a test by id.
pub fn by_id(id: &str) -> Option<&'static RelayTest> {
    BATTERY.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for t in BATTERY {
            assert!(seen.insert(t.id), "duplicate id {}", t.id);
            assert!(
                t.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "id {} is not kebab-case",
                t.id
            );
        }
    }

    /// nmap's smtp-open-relay tries exactly these 16 MAIL FROM / RCPT TO shapes (with its
    /// `antispam@`/`relaytest@nmap.scanme.org` names); every one must be in the battery.
    #[test]
    fn covers_all_sixteen_nmap_tests() {
        let nmap: [(&str, &str); 16] = [
            ("", "{user}@{relay}"),
            ("{sender}@{sender_domain}", "{user}@{relay}"),
            ("{sender}@{domain}", "{user}@{relay}"),
            ("{sender}@{ip}", "{user}@{relay}"),
            ("{sender}@{ip}", "{user}%{relay}@{ip}"),
            ("{sender}@{ip}", "{user}%{relay}@{domain}"),
            ("{sender}@{ip}", "\"{user}@{relay}\""),
            ("{sender}@{ip}", "\"{user}%{relay}\""),
            ("{sender}@{ip}", "{user}@{relay}@{ip}"),
            ("{sender}@{ip}", "\"{user}@{relay}\"@{ip}"),
            ("{sender}@{ip}", "{user}@{relay}@{domain}"),
            ("{sender}@{ip}", "@{ip}:{user}@{relay}"),
            ("{sender}@{ip}", "@{domain}:{user}@{relay}"),
            ("{sender}@{ip}", "{relay}!{user}"),
            ("{sender}@{ip}", "{relay}!{user}@{ip}"),
            ("{sender}@{ip}", "{relay}!{user}@{domain}"),
        ];
        for (from, to) in nmap {
            assert!(
                BATTERY
                    .iter()
                    .any(|t| t.mail_from == from && t.rcpt_to == to),
                "nmap test MAIL FROM:<{from}> RCPT TO:<{to}> is missing"
            );
        }
    }

    /// Every trick that routes through the server exists in `[ip]`, host and domain form.
    #[test]
    fn tricks_have_ip_host_and_domain_variants() {
        for stem in [
            "percent-hack",
            "quoted-at",
            "double-at",
            "source-route",
            "bang-path",
        ] {
            for suffix in ["ip", "host", "domain"] {
                let id = format!("{stem}-{suffix}");
                assert!(by_id(&id).is_some(), "missing {id}");
            }
        }
    }
}
