//! The response headers every page, image and API answer carries, as a table.
//!
//! Escaping (maud) keeps attacker text from becoming markup; these headers are the second
//! wall should a bug ever let some through: no script runs at all (`default-src 'none'`
//! with no `script-src`), nothing loads from elsewhere, forms post only back here, and the
//! browser neither sniffs types nor frames the pages.

/// One response header with the reason it is set.
#[derive(Debug, Clone, Copy)]
pub struct HeaderRule {
    pub name: &'static str,
    pub value: &'static str,
    pub reason: &'static str,
}

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Headers set (overriding) on every response.
pub const HEADERS: &[HeaderRule] = &[
    HeaderRule {
        name: "content-security-policy",
        value: CSP,
        reason: "no script, no inline style, nothing from other origins (CSP Level 3)",
    },
    HeaderRule {
        name: "x-content-type-options",
        value: "nosniff",
        reason: "a JSON or text answer holding HTML is never rendered as HTML",
    },
    HeaderRule {
        name: "x-frame-options",
        value: "DENY",
        reason: "no framing (clickjacking), for browsers without frame-ancestors",
    },
    HeaderRule {
        name: "referrer-policy",
        value: "same-origin",
        reason: "analysis URLs name messages; do not leak them to other sites (not \
                 no-referrer: it would make same-origin form posts carry `Origin: null`)",
    },
    HeaderRule {
        name: "cross-origin-opener-policy",
        value: "same-origin",
        reason: "other sites' windows get no handle on these pages",
    },
    HeaderRule {
        name: "cross-origin-resource-policy",
        value: "same-origin",
        reason: "other sites cannot embed the SVG or JSON",
    },
    HeaderRule {
        name: "cache-control",
        value: "no-store",
        reason: "analyses hold message content; keep them out of shared caches",
    },
];
