//! Registry whois text → referral, network facts and abuse candidates. Sans-I/O.
//!
//! Field names differ per registry (ARIN `NetRange`/`OrgAbuseEmail`, RIPE-style `inetnum`/
//! `abuse-c`/`abuse-mailbox`, LACNIC `owner`); the tables below map each to its meaning.

use crate::owner::rank::Candidate;
use crate::owner::ContactSource;
use crate::rdap::extract::range_to_cidrs;

/// What a field means. (lower-cased key, meaning)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Range,
    Cidr,
    Name,
    Org,
    Country,
    Origin,
    Created,
    Changed,
    AbuseMail,
    AbuseHandle,
    Handle,
    Mail,
}

const FIELDS: &[(&str, Field)] = &[
    ("netrange", Field::Range), // ARIN
    ("inetnum", Field::Range),  // RIPE, APNIC, AFRINIC, LACNIC
    ("inet6num", Field::Range), // RIPE, APNIC, AFRINIC, LACNIC
    ("cidr", Field::Cidr),      // ARIN
    ("netname", Field::Name),   // ARIN (NetName), RIPE-style
    ("orgname", Field::Org),    // ARIN
    ("org-name", Field::Org),   // RIPE organisation object
    ("owner", Field::Org),      // LACNIC
    ("country", Field::Country),
    ("originas", Field::Origin),         // ARIN
    ("origin", Field::Origin),           // RIPE route object
    ("aut-num", Field::Origin),          // LACNIC network block
    ("regdate", Field::Created),         // ARIN
    ("created", Field::Created),         // RIPE, LACNIC
    ("updated", Field::Changed),         // ARIN
    ("last-modified", Field::Changed),   // RIPE
    ("changed", Field::Changed),         // LACNIC
    ("orgabuseemail", Field::AbuseMail), // ARIN
    ("rabuseemail", Field::AbuseMail),   // ARIN referral abuse POC
    ("abuse-mailbox", Field::AbuseMail), // RIPE, APNIC, AFRINIC role/irt/org
    ("abuse-c", Field::AbuseHandle),     // RIPE-style, LACNIC
    ("nic-hdl", Field::Handle),
    ("nic-hdl-br", Field::Handle), // LACNIC (registro.br)
    ("e-mail", Field::Mail),
    ("orgtechemail", Field::Mail),
    ("orgnocemail", Field::Mail),
];

fn meaning(key: &str) -> Option<Field> {
    let k = key.trim().to_ascii_lowercase();
    FIELDS.iter().find(|(n, _)| *n == k).map(|(_, f)| *f)
}

/// What one whois answer says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhoisFacts {
    /// Server this answer refers the query to (`refer:`, `whois:`, `ReferralServer: whois://`).
    pub referral: Option<String>,
    pub range: Option<String>,
    pub cidrs: Vec<ipnet::IpNet>,
    pub name: Option<String>,
    pub org: Option<String>,
    pub country: Option<String>,
    pub asns: Vec<u32>,
    pub registered: Option<String>,
    pub last_changed: Option<String>,
    pub candidates: Vec<Candidate>,
    pub mail_domains: Vec<String>,
}

fn kv(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    if k.is_empty() || k.starts_with(char::is_whitespace) || k.contains(' ') {
        return None;
    }
    Some((k, v.trim()))
}

fn parse_range(v: &str) -> (Vec<ipnet::IpNet>, Option<String>) {
    if let Some((a, b)) = v.split_once(" - ").or_else(|| v.split_once('-')) {
        if let (Ok(a), Ok(b)) = (a.trim().parse(), b.trim().parse()) {
            return (range_to_cidrs(a, b), Some(format!("{a} - {b}")));
        }
    }
    // LACNIC and inet6num write a prefix; LACNIC also abbreviates IPv4 (`200.7.84/23`).
    let mut s = v.trim().to_string();
    if let Some((p, len)) = s.split_once('/') {
        if !p.contains(':') {
            let mut octets: Vec<&str> = p.split('.').collect();
            while octets.len() < 4 {
                octets.push("0");
            }
            s = format!("{}/{len}", octets.join("."));
        }
    }
    match s.parse::<ipnet::IpNet>() {
        Ok(n) => (vec![n.trunc()], Some(v.trim().to_string())),
        Err(_) => (Vec::new(), None),
    }
}

fn size(cidrs: &[ipnet::IpNet]) -> u128 {
    cidrs
        .iter()
        .map(|n| match n {
            ipnet::IpNet::V4(n) => 1u128 << (32 - n.prefix_len()),
            ipnet::IpNet::V6(n) => 1u128
                .checked_shl(128 - u32::from(n.prefix_len()))
                .unwrap_or(u128::MAX),
        })
        .fold(0u128, u128::saturating_add)
}

fn asn(v: &str) -> Vec<u32> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter_map(|t| {
            let t = t.trim();
            let t = t
                .strip_prefix("AS")
                .or_else(|| t.strip_prefix("as"))
                .unwrap_or(t);
            t.parse().ok()
        })
        .collect()
}

/// Referral target of a `whois://host[:port]` or bare `host` value.
fn referral(v: &str) -> Option<String> {
    let v = v.trim();
    let host = if let Some(rest) = v.strip_prefix("whois://") {
        rest.trim_end_matches('/')
    } else if v.contains("://") {
        return None; // rwhois://, http:// — not port-43 whois
    } else {
        v
    };
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
    ok.then(|| host.to_ascii_lowercase())
}

/// RIPE / APNIC: `% Abuse contact for '198.51.100.0 - 198.51.100.255' is 'abuse@x.test'`.
fn abuse_comment(line: &str) -> Option<String> {
    let l = line.trim_start_matches(['%', '#']).trim();
    if !l.to_ascii_lowercase().starts_with("abuse contact for") {
        return None;
    }
    let (_, tail) = l.rsplit_once(" is ")?;
    let m = tail
        .trim()
        .trim_matches(|c| c == '\'' || c == '"' || c == '`');
    m.contains('@').then(|| m.to_string())
}

#[derive(Debug, Default)]
struct Block {
    handle: Option<String>,
    mails: Vec<String>,
    net: Option<(u128, Vec<ipnet::IpNet>, Option<String>)>,
    name: Option<String>,
    org: Option<String>,
    country: Option<String>,
    created: Option<String>,
    changed: Option<String>,
}

/// Read one whois answer.
///
/// Output is split into objects at blank lines. The most specific network object wins
/// (ARIN lists the parent allocation before the customer's reassignment); abuse mailboxes
/// in objects before it are kept but ranked lower.
pub fn read(text: &str, server: &str) -> WhoisFacts {
    let mut f = WhoisFacts::default();
    let mut blocks: Vec<Block> = vec![Block::default()];
    let mut abuse_handles: Vec<String> = Vec::new();
    // (block index, candidate) for field-borne abuse mailboxes.
    let mut field_cands: Vec<(usize, Candidate)> = Vec::new();
    for line in text.lines().take(20_000) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if blocks.last().is_some_and(|b| {
                b.handle.is_some()
                    || !b.mails.is_empty()
                    || b.net.is_some()
                    || b.org.is_some()
                    || b.name.is_some()
            }) {
                blocks.push(Block::default());
            }
            continue;
        }
        if line.starts_with('%') || line.starts_with('#') {
            if let Some(m) = abuse_comment(line) {
                f.candidates.push(Candidate {
                    email: m,
                    source: ContactSource::WhoisAbuseComment,
                    pref: None,
                    depth: 0,
                    found_at: format!("whois {server} abuse comment"),
                });
            }
            continue;
        }
        let Some((k, v)) = kv(line) else { continue };
        if v.is_empty() {
            continue;
        }
        let key = k.to_ascii_lowercase();
        if key == "refer" || key == "whois" || key == "referralserver" {
            if f.referral.is_none() {
                f.referral = referral(v);
            }
            continue;
        }
        let Some(field) = meaning(&key) else { continue };
        let idx = blocks.len() - 1;
        let block = &mut blocks[idx];
        match field {
            Field::Range | Field::Cidr => {
                let (cidrs, shown) = if field == Field::Cidr {
                    let c: Vec<ipnet::IpNet> =
                        v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
                    (c, None)
                } else {
                    parse_range(v)
                };
                if !cidrs.is_empty() {
                    let sz = size(&cidrs);
                    let shown = shown.or_else(|| block.net.as_ref().and_then(|b| b.2.clone()));
                    if block.net.as_ref().is_none_or(|(b, _, _)| sz <= *b) {
                        block.net = Some((sz, cidrs, shown));
                    }
                }
            }
            Field::Name => block.name = Some(v.to_string()),
            Field::Org => block.org = Some(v.to_string()),
            Field::Country => block.country = Some(v.to_ascii_uppercase()),
            Field::Origin => {
                for a in asn(v) {
                    if !f.asns.contains(&a) {
                        f.asns.push(a);
                    }
                }
            }
            Field::Created => block.created = Some(v.to_string()),
            Field::Changed => block.changed = Some(v.to_string()),
            Field::AbuseMail => {
                field_cands.push((
                    idx,
                    Candidate {
                        email: v.to_string(),
                        source: ContactSource::WhoisAbuseField,
                        pref: None,
                        depth: 0,
                        found_at: format!("whois {server} field {k}"),
                    },
                ));
                block.mails.push(v.to_string());
            }
            Field::AbuseHandle => abuse_handles.push(v.to_ascii_uppercase()),
            Field::Handle => block.handle = Some(v.to_ascii_uppercase()),
            Field::Mail => block.mails.push(v.to_string()),
        }
        if matches!(field, Field::Mail | Field::AbuseMail) {
            if let Some((_, d)) = v.rsplit_once('@') {
                let d = d.trim().to_ascii_lowercase();
                if !f.mail_domains.contains(&d) {
                    f.mail_domains.push(d);
                }
            }
        }
    }
    // The most specific network object; ties go to the later one.
    let best = blocks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.net.as_ref().map(|n| (i, n.0)))
        .min_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i);
    if let Some(bi) = best {
        let b = &blocks[bi];
        if let Some((_, cidrs, shown)) = &b.net {
            f.range = shown
                .clone()
                .or_else(|| cidrs.first().map(ToString::to_string));
            f.cidrs = cidrs.clone();
        }
        f.name = b.name.clone();
        f.registered = b.created.clone();
        f.last_changed = b.changed.clone();
        // Organisation and country: the network object's own, else the next object's
        // (ARIN and RIPE put the organisation right after the network).
        f.org = b
            .org
            .clone()
            .or_else(|| blocks[bi..].iter().find_map(|x| x.org.clone()));
        f.country = b
            .country
            .clone()
            .or_else(|| blocks[bi..].iter().find_map(|x| x.country.clone()));
    } else {
        f.name = blocks.iter().find_map(|b| b.name.clone());
        f.org = blocks.iter().find_map(|b| b.org.clone());
        f.country = blocks.iter().find_map(|b| b.country.clone());
    }
    for (i, mut c) in field_cands {
        if best.is_some_and(|bi| i < bi) {
            c.depth = 4;
            c.found_at.push_str(" (object of a less specific network)");
        }
        f.candidates.push(c);
    }
    for h in &abuse_handles {
        for b in &blocks {
            if b.handle.as_deref() == Some(h.as_str()) {
                for m in &b.mails {
                    f.candidates.push(Candidate {
                        email: m.clone(),
                        source: ContactSource::WhoisAbuseHandle,
                        pref: None,
                        depth: 1,
                        found_at: format!("whois {server} abuse-c {h}"),
                    });
                }
            }
        }
    }
    f
}

/// Field names registries use for a domain's creation date (lower-cased).
const CREATED_FIELDS: &[&str] = &[
    "creation date", // ICANN gTLD whois (RAA 2013 format)
    "created",       // RIPE-style ccTLDs (.fr, .nl style registries)
    "created on",
    "registered on",            // .uk
    "registration time",        // .cn
    "domain registration date", // .us
    "registered",
];

/// The creation date in a domain whois answer: (as written, Unix seconds). Accepts ISO 8601
/// dates with or without time.
pub fn creation_date(text: &str) -> Option<(String, i64)> {
    for line in text.lines().take(20_000) {
        let Some((k, v)) = line.trim().split_once(':') else {
            continue;
        };
        if !CREATED_FIELDS.contains(&k.trim().to_ascii_lowercase().as_str()) {
            continue;
        }
        let v = v.trim();
        let iso = if v.len() == 10 {
            format!("{v}T00:00:00Z")
        } else {
            v.replacen(' ', "T", 1)
        };
        let iso = if iso.len() == 19 {
            format!("{iso}Z")
        } else {
            iso
        };
        if let Some(t) = crate::rdap::extract::rfc3339_unix(&iso) {
            return Some((v.to_string(), t));
        }
    }
    None
}
