//! Built-in defaults of the parameters the audit reads, as Postfix 3.7 computes them from
//! `compatibility_level` (postconf(5), COMPATIBILITY_README).
//!
//! Unset `compatibility_level` means 0: Postfix then uses the backwards-compatible
//! `mynetworks_style = subnet`, `relay_domains = $mydestination` and an empty
//! `smtpd_relay_restrictions` — which is why old configs without the line trust whole
//! provider subnets.

/// The default of `name` at compatibility level `level` (major number).
pub fn default(name: &str, level: u32) -> Option<&'static str> {
    Some(match name {
        "compatibility_level" => "0",
        "mynetworks_style" => {
            if level < 2 {
                "subnet"
            } else {
                "host"
            }
        }
        "smtpd_relay_restrictions" => {
            if level < 1 {
                ""
            } else {
                "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
            }
        }
        "relay_domains" => {
            if level < 2 {
                "$mydestination"
            } else {
                ""
            }
        }
        "mydestination" => "$myhostname, localhost.$mydomain, localhost",
        "smtpd_recipient_restrictions"
        | "smtpd_client_restrictions"
        | "smtpd_helo_restrictions"
        | "smtpd_sender_restrictions"
        | "smtpd_restriction_classes"
        | "permit_mx_backup_networks"
        | "smtpd_authorized_xclient_hosts"
        | "smtpd_authorized_xforward_hosts"
        | "mynetworks" => "",
        "smtpd_sasl_auth_enable" => "no",
        "smtpd_sasl_security_options" => "noanonymous",
        "smtpd_sasl_tls_security_options" => "$smtpd_sasl_security_options",
        "inet_interfaces" => "all",
        "tls_append_default_CA" => "no",
        "smtpd_sasl_type" => "cyrus",
        "allow_untrusted_routing" => "no",
        "resolve_dequoted_address" => "yes",
        "smtpd_delay_reject" => "yes",
        "config_directory" => "/etc/postfix",
        "myhostname" => "host.invalid",
        "mydomain" => "invalid",
        "parent_domain_matches_subdomains" => "debug_peer_list,fast_flush_domains,mynetworks,permit_mbox_mail_networks,permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps",
        _ => return None,
    })
}

/// The major number of a `compatibility_level` value (`3.6` → 3, `level` junk → 0).
pub fn level_major(value: &str) -> u32 {
    value
        .trim()
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}
