//! Expanding battery templates into the addresses actually sent.
//!
//! Templates are plain strings with `{name}` placeholders so the battery stays a readable
//! table; the values come from the user's options (outside sender/recipient) and from what the
//! server said about itself (its name in the banner or EHLO reply, its address).

use std::net::IpAddr;

/// The values placeholders expand to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVars {
    /// Local part of the outside recipient (`{user}`).
    pub user: String,
    /// Outside recipient domain (`{relay}`): a domain the operator controls.
    pub relay: String,
    /// Local part of the outside sender (`{sender}`).
    pub sender: String,
    /// Outside sender domain (`{sender_domain}`).
    pub sender_domain: String,
    /// The server's own name (`{host}`), from its banner or EHLO reply.
    pub host: String,
    /// The server's domain (`{domain}`): `host` without its first label.
    pub domain: String,
    /// The server's address literal (`{ip}`), brackets included.
    pub ip: String,
}

impl TemplateVars {
    /// Build the variables for a server at `ip` that calls itself `server_name` (if it said).
    pub fn new(
        recipient: (&str, &str),
        sender: (&str, &str),
        server_name: Option<&str>,
        ip: IpAddr,
    ) -> Self {
        let literal = address_literal(ip);
        let host = server_name
            .filter(|n| is_plausible_hostname(n))
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
            .unwrap_or_else(|| literal.clone());
        let domain = parent_domain(&host).to_string();
        Self {
            user: recipient.0.to_string(),
            relay: recipient.1.to_string(),
            sender: sender.0.to_string(),
            sender_domain: sender.1.to_string(),
            host,
            domain,
            ip: literal,
        }
    }
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3).
pub fn address_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{v6}]"),
        },
    }
}

/// `mx1.example.org` → `example.org`; names with fewer than three labels stay as they are.
fn parent_domain(host: &str) -> &str {
    if host.starts_with('[') || host.matches('.').count() < 2 {
        return host;
    }
    host.split_once('.').map_or(host, |(_, rest)| rest)
}

/// Banner names are attacker-controlled: accept only LDH labels of sane length.
fn is_plausible_hostname(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Expand every `{name}` placeholder of `template`.
pub fn render(template: &str, vars: &TemplateVars) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let value = match &after[..close] {
            "user" => Some(&vars.user),
            "relay" => Some(&vars.relay),
            "sender" => Some(&vars.sender),
            "sender_domain" => Some(&vars.sender_domain),
            "host" => Some(&vars.host),
            "domain" => Some(&vars.domain),
            "ip" => Some(&vars.ip),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::battery::BATTERY;

    fn vars(name: Option<&str>) -> TemplateVars {
        TemplateVars::new(
            ("relaytest", "canary.example.net"),
            ("antispam", "probe.example.com"),
            name,
            "192.0.2.25".parse().unwrap(),
        )
    }

    #[test]
    fn renders_nmap_shapes() {
        let v = vars(Some("mx1.victim.example"));
        assert_eq!(
            render("{user}%{relay}@{ip}", &v),
            "relaytest%canary.example.net@[192.0.2.25]"
        );
        assert_eq!(
            render("@{domain}:{user}@{relay}", &v),
            "@victim.example:relaytest@canary.example.net"
        );
        assert_eq!(
            render("\"{user}@{relay}\"@{host}", &v),
            "\"relaytest@canary.example.net\"@mx1.victim.example"
        );
    }

    #[test]
    fn hostile_banner_name_falls_back_to_literal() {
        let v = vars(Some("evil>\r\nRCPT TO:<x@y>"));
        assert_eq!(v.host, "[192.0.2.25]");
        assert_eq!(v.domain, "[192.0.2.25]");
    }

    #[test]
    fn ipv6_literal_uses_tag() {
        assert_eq!(
            address_literal("2001:db8::1".parse().unwrap()),
            "[IPv6:2001:db8::1]"
        );
    }

    #[test]
    fn every_battery_placeholder_is_known() {
        let v = vars(Some("mx.example.org"));
        for t in BATTERY {
            for tpl in [t.mail_from, t.rcpt_to] {
                let out = render(tpl, &v);
                assert!(
                    !out.contains('{'),
                    "{}: unexpanded placeholder in {out}",
                    t.id
                );
            }
        }
    }
}
