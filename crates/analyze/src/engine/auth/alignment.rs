//! DMARC identifier alignment (RFC 7489 §3.1): does the domain the receiver authenticated
//! (SPF's MAIL FROM, DKIM's d=) belong to the organisation in the visible `From:`?
//!
//! Relaxed mode compares organisational domains from the Public Suffix List, strict mode
//! compares exact domains. This is computed from the headers alone so it works on old mail
//! and on mail whose receiver wrote no `dmarc=` result.

use crate::engine::identity::{addr_domain, norm, norm_host, org_domain, same_org};
use crate::report::Alignment;

/// Domain of an identity that may be `user@domain`, `@domain` or a bare `domain`.
pub fn identity_domain(id: &str) -> Option<String> {
    let id = id.trim().trim_matches(|c| c == '<' || c == '>');
    let d = if id.contains('@') {
        addr_domain(id)?
    } else {
        norm_host(id)
    };
    (d.contains('.') && d != "none").then_some(d)
}

/// Relaxed alignment: same organisational domain.
pub fn aligned_relaxed(a: &str, b: &str) -> bool {
    same_org(a, b)
}

/// Strict alignment: same domain.
pub fn aligned_strict(a: &str, b: &str) -> bool {
    norm(a) == norm(b)
}

/// Compute alignment. `spf_pass` is the trusted SPF result being `pass`; `have_results`
/// says whether any trusted SPF/DKIM result exists at all.
pub fn compute(
    from_domain: Option<&str>,
    mail_from_domain: Option<&str>,
    dkim_pass_domains: &[String],
    spf_pass: bool,
    have_results: bool,
) -> Alignment {
    let mut a = Alignment {
        from_domain: from_domain.map(norm_host),
        from_org: from_domain.and_then(org_domain),
        mail_from_domain: mail_from_domain.map(norm_host),
        mail_from_org: mail_from_domain.and_then(org_domain),
        dkim_pass_domains: dkim_pass_domains.to_vec(),
        ..Alignment::default()
    };
    if let Some(from) = from_domain {
        if let Some(mf) = mail_from_domain {
            a.spf_aligned_relaxed = aligned_relaxed(from, mf);
            a.spf_aligned_strict = aligned_strict(from, mf);
        }
        a.dkim_aligned_relaxed = dkim_pass_domains.iter().any(|d| aligned_relaxed(from, d));
        a.dkim_aligned_strict = dkim_pass_domains.iter().any(|d| aligned_strict(from, d));
    }
    if have_results {
        a.dmarc_pass_relaxed = Some((spf_pass && a.spf_aligned_relaxed) || a.dkim_aligned_relaxed);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_and_strict_alignment_use_org_domains() {
        let a = compute(
            Some("example.co.uk"),
            Some("mail.example.co.uk"),
            &["example.co.uk".to_string()],
            true,
            true,
        );
        assert_eq!(a.from_org.as_deref(), Some("example.co.uk"));
        assert_eq!(a.mail_from_org.as_deref(), Some("example.co.uk"));
        assert!(a.spf_aligned_relaxed);
        assert!(!a.spf_aligned_strict);
        assert!(a.dkim_aligned_relaxed && a.dkim_aligned_strict);
        assert_eq!(a.dmarc_pass_relaxed, Some(true));

        // Same public suffix is not the same organisation.
        let b = compute(Some("example.co.uk"), Some("other.co.uk"), &[], true, true);
        assert!(!b.spf_aligned_relaxed);
        assert_eq!(b.dmarc_pass_relaxed, Some(false));

        // SPF passes for the relay's domain but From is paypal.com: not aligned.
        let c = compute(Some("paypal.com"), Some("somecloud.com"), &[], true, true);
        assert_eq!(c.dmarc_pass_relaxed, Some(false));

        // No trusted results: no DMARC conclusion.
        let d = compute(Some("paypal.com"), None, &[], false, false);
        assert_eq!(d.dmarc_pass_relaxed, None);
    }

    #[test]
    fn identity_domains() {
        assert_eq!(
            identity_domain("ceo@PayPal.com").as_deref(),
            Some("paypal.com")
        );
        assert_eq!(
            identity_domain("@example.org").as_deref(),
            Some("example.org")
        );
        assert_eq!(
            identity_domain("example.org").as_deref(),
            Some("example.org")
        );
        assert_eq!(identity_domain("ubuntu-s-1vcpu-1gb"), None);
        assert_eq!(identity_domain("none"), None);
    }
}
