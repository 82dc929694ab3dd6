//! Mailboxes registries publish that are not mailboxes: redaction markers, dummies, filters.
//!
//! A report sent to `removed@…` or `unread@ripe.net` is lost, so every candidate passes this
//! table before it is ranked. Each rule has an id and the reason it exists; adding one is one
//! line plus one test case.

/// How a placeholder rule matches a lower-cased address.
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// The whole address equals this.
    Exact(&'static str),
    /// The local part (before `@`) equals this.
    Local(&'static str),
    /// The domain part equals this or is a subdomain of it.
    Domain(&'static str),
    /// The address contains this anywhere.
    Contains(&'static str),
}

/// One placeholder rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub matches: Match,
    pub reason: &'static str,
}

/// The placeholder table.
pub const RULES: &[Rule] = &[
    Rule {
        id: "PH-REDACTED",
        matches: Match::Contains("redacted"),
        reason: "RDAP redaction (RFC 9537) or registry privacy marker",
    },
    Rule {
        id: "PH-REMOVED",
        matches: Match::Local("removed"),
        reason: "address withdrawn by the registry",
    },
    Rule {
        id: "PH-NOT-AVAILABLE",
        matches: Match::Contains("not-available"),
        reason: "placeholder text",
    },
    Rule {
        id: "PH-DATA-PROTECTED",
        matches: Match::Contains("data-protected"),
        reason: "privacy placeholder",
    },
    Rule {
        id: "PH-NOREPLY",
        matches: Match::Local("noreply"),
        reason: "never read",
    },
    Rule {
        id: "PH-NO-REPLY",
        matches: Match::Local("no-reply"),
        reason: "never read",
    },
    Rule {
        id: "PH-NOBODY",
        matches: Match::Local("nobody"),
        reason: "never read",
    },
    Rule {
        id: "PH-NONE",
        matches: Match::Local("none"),
        reason: "placeholder text",
    },
    Rule {
        id: "PH-UNKNOWN",
        matches: Match::Local("unknown"),
        reason: "placeholder text",
    },
    Rule {
        id: "PH-RIPE-UNREAD",
        matches: Match::Exact("unread@ripe.net"),
        reason: "RIPE dummy mailbox for objects without a contact; the RIPE DB says it is not read",
    },
    Rule {
        id: "PH-RFC2606",
        matches: Match::Domain("example.com"),
        reason: "RFC 2606 example domain",
    },
    Rule {
        id: "PH-RFC2606-NET",
        matches: Match::Domain("example.net"),
        reason: "RFC 2606 example domain",
    },
    Rule {
        id: "PH-RFC2606-ORG",
        matches: Match::Domain("example.org"),
        reason: "RFC 2606 example domain",
    },
    Rule {
        id: "PH-INVALID-TLD",
        matches: Match::Domain("invalid"),
        reason: "RFC 2606 reserved TLD",
    },
    Rule {
        id: "PH-LOCALHOST",
        matches: Match::Domain("localhost"),
        reason: "not a mail domain",
    },
    Rule {
        id: "PH-MASKED",
        matches: Match::Contains("***"),
        reason: "address masked by the registry's output filter",
    },
];

/// Why an address was rejected: a placeholder rule id, or a syntax problem.
pub fn rejection(address: &str) -> Option<&'static str> {
    let a = address.trim().to_ascii_lowercase();
    let Some((local, domain)) = a.rsplit_once('@') else {
        return Some("SYNTAX-NO-AT");
    };
    if local.is_empty() || domain.is_empty() || !domain.contains('.') && domain != "localhost" {
        return Some("SYNTAX-PARTS");
    }
    if a.chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
    {
        return Some("SYNTAX-CHARS");
    }
    RULES
        .iter()
        .find(|r| match r.matches {
            Match::Exact(x) => a == x,
            Match::Local(x) => local == x,
            Match::Domain(x) => domain == x || domain.ends_with(&format!(".{x}")),
            Match::Contains(x) => a.contains(x),
        })
        .map(|r| r.id)
}

#[cfg(test)]
mod tests {
    use super::rejection;

    #[test]
    fn placeholders_are_rejected_with_their_rule() {
        let cases = [
            ("REDACTED FOR PRIVACY", Some("SYNTAX-NO-AT")),
            ("redacted@redacted.invalid", Some("PH-REDACTED")),
            ("removed@arin.net", Some("PH-REMOVED")),
            ("unread@ripe.net", Some("PH-RIPE-UNREAD")),
            ("abuse@example.com", Some("PH-RFC2606")),
            ("abuse@mail.example.net", Some("PH-RFC2606-NET")),
            ("***@cloudhost.test", Some("PH-MASKED")),
            ("abuse@nowhere", Some("SYNTAX-PARTS")),
            ("abuse@host.test\r\nBcc: x@y.test", Some("SYNTAX-CHARS")),
            ("abuse@cloudhost.test", None),
            ("Abuse@CloudHost.TEST", None),
        ];
        for (addr, want) in cases {
            assert_eq!(rejection(addr), want, "{addr:?}");
        }
    }
}
