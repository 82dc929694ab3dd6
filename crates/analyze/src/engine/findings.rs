//! The catalogue of finding ids: one entry per kind of conclusion the engine can draw,
//! with its title. Ids are stable (scripts match on them); titles are for humans.

use crate::report::{Evidence, Finding, Severity};
use crate::HeaderField;

/// One catalogue entry.
#[derive(Debug)]
pub struct Kind {
    /// Stable id.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
}

macro_rules! kinds {
    ($($name:ident = $id:literal, $title:literal;)*) => {
        $(#[doc = $title] pub const $name: Kind = Kind { id: $id, title: $title };)*
        /// Every finding kind.
        pub const CATALOG: &[Kind] = &[$($name),*];
    };
}

kinds! {
    OPEN_RELAY = "relay.open_relay_suspected", "Open relay suspected";
    COMPROMISED_ACCOUNT = "relay.compromised_account", "Authenticated account used to send from an unrelated source";
    AUTH_SUBMISSION = "relay.authenticated_submission", "Relay accepted the message with SMTP AUTH";
    KNOWN_PROVIDER = "relay.known_provider", "Relay is a known mail provider";
    MAILING_LIST = "relay.mailing_list", "Relay is a mailing list";
    FORWARDER = "relay.forwarder", "Relay is a forwarder";
    DIRECT_TO_MX = "relay.direct_to_mx", "Message sent straight to your server by its origin";
    CUSTOMER_SMARTHOST = "relay.customer_smarthost", "Relay is the sender's own smarthost or provider";
    LOCAL_ORIGIN = "relay.local_origin", "Server submitted the message itself";
    UNAUTH_RELAY = "relay.unauthenticated_relay", "Relayed without recorded authentication";
    FORGED_CHAIN = "chain.forged", "Received chain below the trust boundary is inconsistent";
    IMPOSSIBLE_ORDER = "chain.impossible_order", "Hop dates run backwards below the trust boundary";
    DISCONTINUITY = "chain.discontinuity", "Received headers do not connect";
    PRIVATE_IP = "chain.private_ip", "Private address where a public one belongs";
    ORIGIN_DYNAMIC = "origin.dynamic", "Origin is a dynamic / residential access line";
    ORIGIN_NO_RDNS = "origin.missing_rdns", "Origin has no reverse DNS";
    ORIGIN_IP_HELO = "origin.ip_literal_helo", "Origin greeted with an IP literal";
    HELO_FORGERY = "origin.helo_mismatch", "HELO name does not match the client's reverse DNS";
    NEGATIVE_DELAY = "time.negative_delay", "Hop dated before the hop below it";
    HUGE_DELAY = "time.huge_delay", "Very long delay between hops";
    FUTURE_DATE = "time.future_date", "Hop dated in the future";
    MISSING_DATE = "time.missing_date", "Hop without a usable date";
    AUTH_FAILED = "auth.failed", "Sender authentication failed";
    AUTH_FORGED = "auth.forged_results", "Authentication-Results planted before delivery";
    AUTH_UNTRUSTED = "auth.untrusted_results", "Authentication results from an untrusted checker ignored";
    BEC_REPLY_TO = "bec.reply_to_mismatch", "Replies go to a different organisation than From";
    BEC_RETURN_PATH = "bec.return_path_mismatch", "Envelope sender is a different organisation than From";
    BEC_DISPLAY_NAME = "bec.display_name_address", "Display name carries another address";
    TRUNCATED = "input.truncated", "Header block was cut by input limits";
}

/// Quote a header as evidence.
pub fn quote(h: &HeaderField) -> Evidence {
    Evidence {
        line: h.line,
        header: h.name.to_string(),
        text: h.raw.trim_end().to_string(),
    }
}

/// Build a finding.
pub fn finding(
    kind: &Kind,
    severity: Severity,
    hop: Option<usize>,
    explanation: String,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        id: kind.id,
        severity,
        title: kind.title.to_string(),
        explanation,
        hop,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_dotted() {
        let mut ids: Vec<_> = super::CATALOG.iter().map(|k| k.id).collect();
        assert!(ids.iter().all(|i| i.contains('.')));
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
