//! Ordering abuse candidates: registry-designated first, guesses last, one entry per mailbox.
//!
//! A score is the source's base weight plus small adjustments (vCard `pref`, nesting depth,
//! a local part that says `abuse`); confidence follows the source, not the score, so a
//! guess never reads as authoritative however it ranks.

use super::{AbuseContact, Confidence, ContactSource};

/// A candidate before ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub email: String,
    pub source: ContactSource,
    /// vCard `pref` parameter (RFC 6350 §5.3: 1 is most preferred), if any.
    pub pref: Option<u8>,
    /// Nesting depth of the RDAP entity (0 = directly under the network).
    pub depth: usize,
    pub found_at: String,
}

fn base(source: ContactSource) -> i32 {
    match source {
        ContactSource::RdapAbuseRole => 1000,
        ContactSource::WhoisAbuseComment => 900,
        ContactSource::WhoisAbuseField => 850,
        ContactSource::WhoisAbuseHandle => 800,
        ContactSource::RdapOtherRole => 400,
        ContactSource::Rfc2142 => 100,
    }
}

fn confidence(source: ContactSource) -> Confidence {
    match source {
        ContactSource::RdapAbuseRole
        | ContactSource::WhoisAbuseComment
        | ContactSource::WhoisAbuseField
        | ContactSource::WhoisAbuseHandle => Confidence::High,
        ContactSource::RdapOtherRole => Confidence::Medium,
        ContactSource::Rfc2142 => Confidence::Low,
    }
}

fn score(c: &Candidate) -> i32 {
    let mut s = base(c.source);
    // vCard pref 1..=100; absent ranks after any explicit preference.
    s -= i32::from(c.pref.unwrap_or(50).min(100));
    s -= (c.depth as i32).min(10) * 5;
    if c.email
        .split('@')
        .next()
        .is_some_and(|l| l.contains("abuse"))
    {
        s += 20;
    }
    s
}

/// Normalise a mailbox: trim, strip `mailto:`, lower-case the domain.
pub fn normalise(email: &str) -> String {
    let e = email.trim().trim_start_matches("mailto:").trim();
    match e.rsplit_once('@') {
        Some((l, d)) => format!("{l}@{}", d.to_ascii_lowercase()),
        None => e.to_string(),
    }
}

/// Drop placeholders (reporting each in `notes`), dedupe, and order best first.
pub fn rank(cands: Vec<Candidate>, notes: &mut Vec<String>) -> Vec<AbuseContact> {
    let mut kept: Vec<(i32, Candidate)> = Vec::new();
    for mut c in cands {
        c.email = normalise(&c.email);
        if let Some(rule) = super::placeholder::rejection(&c.email) {
            notes.push(format!(
                "dropped placeholder {:?} from {} ({rule})",
                c.email, c.found_at
            ));
            continue;
        }
        let s = score(&c);
        let key = c.email.to_ascii_lowercase();
        match kept
            .iter_mut()
            .find(|(_, k)| k.email.to_ascii_lowercase() == key)
        {
            Some(slot) if slot.0 >= s => {}
            Some(slot) => *slot = (s, c),
            None => kept.push((s, c)),
        }
    }
    kept.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.email.cmp(&b.1.email)));
    kept.into_iter()
        .map(|(_, c)| AbuseContact {
            confidence: confidence(c.source),
            email: c.email,
            source: c.source,
            found_at: c.found_at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(email: &str, source: ContactSource, pref: Option<u8>, depth: usize) -> Candidate {
        Candidate {
            email: email.into(),
            source,
            pref,
            depth,
            found_at: "test".into(),
        }
    }

    #[test]
    fn abuse_role_beats_other_roles_and_pref_orders_within_a_role() {
        let mut notes = vec![];
        let out = rank(
            vec![
                cand("noc@isp.test", ContactSource::RdapOtherRole, None, 0),
                cand("second@isp.test", ContactSource::RdapAbuseRole, Some(2), 1),
                cand("first@isp.test", ContactSource::RdapAbuseRole, Some(1), 1),
                cand("FIRST@ISP.TEST", ContactSource::Rfc2142, None, 0),
                cand("removed@isp.test", ContactSource::RdapAbuseRole, Some(1), 0),
            ],
            &mut notes,
        );
        let emails: Vec<_> = out.iter().map(|c| c.email.as_str()).collect();
        assert_eq!(
            emails,
            ["first@isp.test", "second@isp.test", "noc@isp.test"]
        );
        assert_eq!(out[0].confidence, Confidence::High);
        assert_eq!(out[2].confidence, Confidence::Medium);
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
