//! The report written straight into the line buffer, without the serde walk.
//!
//! Driven by the derives, the compact serializer spent most of a line in the serde layers
//! rather than in writing: one call per field, every field name scanned for escapes like
//! any string, every address formatted by `fmt` into a buffer and then copied. Here each
//! report type writes itself: field names are ready byte strings (`,"raw":`), the fields a
//! derive skips (`skip_serializing_if`, `skip`) are skipped by the same rule, addresses are
//! formatted by hand (`address`), and strings go through the same escaping ([`write_str`]).
//!
//! The derives stay the contract: serde_json renders the same types for `--json` and is
//! the reference `tests/ndjson_writer.rs` compares this writer against, byte for byte, over
//! the corpus, hostile values and a report with every optional part present. Every struct
//! is destructured in full and every enum matched without a wildcard, so a field or variant
//! added to a report type does not compile until it is written here too.

use super::address::write_ip;
use super::escape::write_str;
use crate::input::Location;
use crate::report::{
    Alignment, AuthReport, AuthResults, ChainEntry, DkimOutcome, Evidence, Finding, HopFlag,
    HopRole, HopRoleInfo, Mailbox, MessageSummary, MethodResult, Property, ReceivedSpf,
    RelayAssessment, Report, Signal, TrustBoundary, Verdict,
};
use relayhunt_received::{ByPart, FromPart, Hop, HopDate, NonRelay, ParseNote, Protocol, TlsInfo};
use serde_json::ser::{CompactFormatter, Formatter};
use std::net::IpAddr;

/// A value written as compact JSON, as serde_json writes its `Serialize` form.
pub trait Json {
    /// Append the value.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// `,"name":` (or `{"name":` with `first`) as one byte string.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
    (first $name:literal) => {
        concat!("{\"", $name, "\":").as_bytes()
    };
}

/// `key` then `value`.
#[inline(always)]
fn member<T: Json + ?Sized>(out: &mut Vec<u8>, key: &[u8], value: &T) {
    out.extend_from_slice(key);
    value.write_json(out);
}

/// `key` then the value when there is one (`skip_serializing_if = "Option::is_none"`).
#[inline(always)]
fn present<T: Json>(out: &mut Vec<u8>, key: &[u8], value: &Option<T>) {
    if let Some(v) = value {
        member(out, key, v);
    }
}

/// An object all of whose members may be skipped: each is written as `,"name":value`
/// after `start` (the length of `out` before the object), and [`close_object`] turns the
/// first `,` into the `{`.
#[inline(always)]
fn close_object(out: &mut Vec<u8>, start: usize) {
    match out.get_mut(start) {
        Some(comma) => {
            *comma = b'{';
            out.push(b'}');
        }
        None => out.extend_from_slice(b"{}"),
    }
}

impl Json for str {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }
}

impl Json for String {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str(out, self);
    }
}

impl Json for bool {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

macro_rules! integer {
    ($($t:ty => $write:ident,)*) => {$(
        impl Json for $t {
            #[inline]
            fn write_json(&self, out: &mut Vec<u8>) {
                // serde_json's own formatter (itoa); writing to a Vec<u8> cannot fail.
                let _ = CompactFormatter.$write(out, *self);
            }
        }
    )*};
}

integer! {
    u16 => write_u16,
    u32 => write_u32,
    u64 => write_u64,
    i32 => write_i32,
    i64 => write_i64,
}

impl Json for usize {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        // As serde: a `u64`.
        (*self as u64).write_json(out);
    }
}

impl Json for f32 {
    fn write_json(&self, out: &mut Vec<u8>) {
        // serde_json writes non-finite floats as null.
        if self.is_finite() {
            let _ = CompactFormatter.write_f32(out, *self);
        } else {
            out.extend_from_slice(b"null");
        }
    }
}

impl<T: Json> Json for Option<T> {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

impl<T: Json> Json for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        if let Some((head, tail)) = self.split_first() {
            head.write_json(out);
            for v in tail {
                out.push(b',');
                v.write_json(out);
            }
        }
        out.push(b']');
    }
}

impl<T: Json> Json for Vec<T> {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }
}

impl Json for IpAddr {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_ip(out, *self);
    }
}

impl Json for Location {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Location {
            path,
            message,
            offset,
        } = self;
        member(out, key!(first "path"), &**path);
        member(out, key!("message"), message);
        member(out, key!("offset"), offset);
        out.push(b'}');
    }
}

/// The members of a [`Report`], each as `,"name":value`: the report continues the object
/// its line opened with `source` (what `#[serde(flatten)]` does in the serde_json form).
pub fn write_report_fields(out: &mut Vec<u8>, report: &Report) {
    let Report {
        schema_version,
        summary,
        hops,
        chain,
        boundary,
        verdict,
        findings,
        auth,
        relay_ip,
        origin_ip,
        truncated,
        relay,
    } = report;
    member(out, key!("schema_version"), *schema_version);
    member(out, key!("summary"), summary);
    member(out, key!("hops"), hops);
    member(out, key!("chain"), chain);
    member(out, key!("boundary"), boundary);
    member(out, key!("verdict"), verdict);
    member(out, key!("findings"), findings);
    member(out, key!("auth"), auth);
    member(out, key!("relay_ip"), relay_ip);
    member(out, key!("origin_ip"), origin_ip);
    member(out, key!("truncated"), truncated);
    member(out, key!("relay"), relay);
}

impl Json for MessageSummary {
    fn write_json(&self, out: &mut Vec<u8>) {
        let MessageSummary {
            from,
            to,
            subject,
            message_id,
            date,
            date_unix,
            reply_to,
            return_path,
            list_id,
        } = self;
        member(out, key!(first "from"), from);
        member(out, key!("to"), to);
        member(out, key!("subject"), subject);
        member(out, key!("message_id"), message_id);
        member(out, key!("date"), date);
        member(out, key!("date_unix"), date_unix);
        member(out, key!("reply_to"), reply_to);
        member(out, key!("return_path"), return_path);
        member(out, key!("list_id"), list_id);
        out.push(b'}');
    }
}

impl Json for Mailbox {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Mailbox {
            name,
            address,
            domain,
        } = self;
        member(out, key!(first "name"), name);
        member(out, key!("address"), address);
        member(out, key!("domain"), domain);
        out.push(b'}');
    }
}

impl Json for Hop {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Hop {
            raw,
            from,
            by,
            via,
            protocol,
            protocol_raw,
            id,
            for_addr,
            envelope_from,
            auth_user,
            authenticated,
            tls,
            date,
            date_raw,
            software,
            non_relay,
            notes,
        } = self;
        member(out, key!(first "raw"), raw);
        member(out, key!("from"), from);
        member(out, key!("by"), by);
        present(out, key!("via"), via);
        present(out, key!("protocol"), protocol);
        present(out, key!("protocol_raw"), protocol_raw);
        present(out, key!("id"), id);
        present(out, key!("for_addr"), for_addr);
        present(out, key!("envelope_from"), envelope_from);
        present(out, key!("auth_user"), auth_user);
        member(out, key!("authenticated"), authenticated);
        present(out, key!("tls"), tls);
        present(out, key!("date"), date);
        present(out, key!("date_raw"), date_raw);
        present(out, key!("software"), software);
        present(out, key!("non_relay"), non_relay);
        if !notes.is_empty() {
            member(out, key!("notes"), notes);
        }
        out.push(b'}');
    }
}

impl Json for FromPart {
    fn write_json(&self, out: &mut Vec<u8>) {
        let FromPart {
            helo,
            rdns,
            ip,
            port,
            ident,
        } = self;
        let start = out.len();
        present(out, key!("helo"), helo);
        present(out, key!("rdns"), rdns);
        present(out, key!("ip"), ip);
        present(out, key!("port"), port);
        present(out, key!("ident"), ident);
        close_object(out, start);
    }
}

impl Json for ByPart {
    fn write_json(&self, out: &mut Vec<u8>) {
        let ByPart { host, ip } = self;
        let start = out.len();
        present(out, key!("host"), host);
        present(out, key!("ip"), ip);
        close_object(out, start);
    }
}

impl Json for Protocol {
    fn write_json(&self, out: &mut Vec<u8>) {
        // `rename_all = "UPPERCASE"`; `Other` is untagged: its text.
        let name = match self {
            Protocol::Smtp => "SMTP",
            Protocol::Esmtp => "ESMTP",
            Protocol::Esmtps => "ESMTPS",
            Protocol::Esmtpa => "ESMTPA",
            Protocol::Esmtpsa => "ESMTPSA",
            Protocol::Lmtp => "LMTP",
            Protocol::Lmtps => "LMTPS",
            Protocol::Lmtpa => "LMTPA",
            Protocol::Lmtpsa => "LMTPSA",
            Protocol::Utf8Smtp => "UTF8SMTP",
            Protocol::Utf8Smtps => "UTF8SMTPS",
            Protocol::Utf8Smtpa => "UTF8SMTPA",
            Protocol::Utf8Smtpsa => "UTF8SMTPSA",
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Mapi => "MAPI",
            Protocol::Local => "LOCAL",
            Protocol::Imap => "IMAP",
            Protocol::Other(text) => text,
        };
        write_str(out, name);
    }
}

impl Json for TlsInfo {
    fn write_json(&self, out: &mut Vec<u8>) {
        let TlsInfo { version, cipher } = self;
        let start = out.len();
        present(out, key!("version"), version);
        present(out, key!("cipher"), cipher);
        close_object(out, start);
    }
}

impl Json for HopDate {
    fn write_json(&self, out: &mut Vec<u8>) {
        let HopDate {
            unix,
            offset_minutes,
        } = self;
        member(out, key!(first "unix"), unix);
        member(out, key!("offset_minutes"), offset_minutes);
        out.push(b'}');
    }
}

impl Json for NonRelay {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self {
            NonRelay::Retrieval => b"\"retrieval\"",
            NonRelay::LocalPickup => b"\"local_pickup\"",
        });
    }
}

impl Json for ParseNote {
    fn write_json(&self, out: &mut Vec<u8>) {
        // `tag = "kind"`, `rename_all = "snake_case"`: the variant's fields follow the tag.
        match self {
            ParseNote::HeloIpIgnored { ip } => {
                out.extend_from_slice(b"{\"kind\":\"helo_ip_ignored\"");
                member(out, key!("ip"), ip);
            }
            ParseNote::AmbiguousClientIp { candidates } => {
                out.extend_from_slice(b"{\"kind\":\"ambiguous_client_ip\"");
                member(out, key!("candidates"), candidates);
            }
            ParseNote::Truncated { original_len } => {
                out.extend_from_slice(b"{\"kind\":\"truncated\"");
                member(out, key!("original_len"), original_len);
            }
            ParseNote::BadDate => out.extend_from_slice(b"{\"kind\":\"bad_date\""),
            ParseNote::Unparsed => out.extend_from_slice(b"{\"kind\":\"unparsed\""),
            ParseNote::Other { text } => {
                out.extend_from_slice(b"{\"kind\":\"other\"");
                member(out, key!("text"), text);
            }
        }
        out.push(b'}');
    }
}

impl Json for ChainEntry {
    fn write_json(&self, out: &mut Vec<u8>) {
        let ChainEntry {
            index,
            line,
            delay_secs,
            role,
            trusted,
            trust_reason,
            hop_role,
            flags,
        } = self;
        member(out, key!(first "index"), index);
        member(out, key!("line"), line);
        member(out, key!("delay_secs"), delay_secs);
        member(out, key!("role"), role);
        member(out, key!("trusted"), trusted);
        member(out, key!("trust_reason"), trust_reason);
        member(out, key!("hop_role"), hop_role);
        member(out, key!("flags"), flags);
        out.push(b'}');
    }
}

impl Json for HopRole {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self {
            HopRole::Trusted => b"\"trusted\"",
            HopRole::Entry => b"\"entry\"",
            HopRole::Claimed => b"\"claimed\"",
        });
    }
}

impl Json for HopRoleInfo {
    fn write_json(&self, out: &mut Vec<u8>) {
        let HopRoleInfo { kind, rule, why } = self;
        member(out, key!(first "kind"), kind.as_str());
        member(out, key!("rule"), *rule);
        member(out, key!("why"), why);
        out.push(b'}');
    }
}

impl Json for HopFlag {
    fn write_json(&self, out: &mut Vec<u8>) {
        let name = match self {
            HopFlag::NegativeDelay => "negative_delay",
            HopFlag::HugeDelay => "huge_delay",
            HopFlag::FutureDate => "future_date",
            HopFlag::MissingDate => "missing_date",
            HopFlag::BadDate => "bad_date",
            HopFlag::DynamicClient => "dynamic_client",
            HopFlag::MissingRdns => "missing_rdns",
            HopFlag::IpLiteralHelo => "ip_literal_helo",
            HopFlag::HeloMismatch => "helo_mismatch",
            HopFlag::PrivateClient => "private_client",
            HopFlag::Discontinuity => "discontinuity",
            HopFlag::Authenticated => "authenticated",
        };
        write_str(out, name);
    }
}

impl Json for TrustBoundary {
    fn write_json(&self, out: &mut Vec<u8>) {
        let TrustBoundary {
            entry_hop,
            entry_line,
            relay_ip,
            relay_rdns,
            relay_helo,
            trusted_by,
        } = self;
        member(out, key!(first "entry_hop"), entry_hop);
        member(out, key!("entry_line"), entry_line);
        member(out, key!("relay_ip"), relay_ip);
        member(out, key!("relay_rdns"), relay_rdns);
        member(out, key!("relay_helo"), relay_helo);
        member(out, key!("trusted_by"), trusted_by);
        out.push(b'}');
    }
}

impl Json for Verdict {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Verdict {
            kind,
            severity,
            summary,
        } = self;
        member(out, key!(first "kind"), kind.as_str());
        member(out, key!("severity"), severity.as_str());
        member(out, key!("summary"), summary);
        out.push(b'}');
    }
}

impl Json for Finding {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Finding {
            id,
            severity,
            title,
            explanation,
            hop,
            evidence,
        } = self;
        member(out, key!(first "id"), *id);
        member(out, key!("severity"), severity.as_str());
        member(out, key!("title"), title);
        member(out, key!("explanation"), explanation);
        member(out, key!("hop"), hop);
        member(out, key!("evidence"), evidence);
        out.push(b'}');
    }
}

impl Json for Evidence {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Evidence { line, header, text } = self;
        member(out, key!(first "line"), line);
        member(out, key!("header"), header);
        member(out, key!("text"), text);
        out.push(b'}');
    }
}

impl Json for AuthReport {
    fn write_json(&self, out: &mut Vec<u8>) {
        let AuthReport {
            trusted_authserv_ids,
            results,
            arc,
            received_spf,
            spf,
            dkim,
            dmarc,
            alignment,
        } = self;
        member(
            out,
            key!(first "trusted_authserv_ids"),
            trusted_authserv_ids,
        );
        member(out, key!("results"), results);
        member(out, key!("arc"), arc);
        member(out, key!("received_spf"), received_spf);
        member(out, key!("spf"), spf);
        member(out, key!("dkim"), dkim);
        member(out, key!("dmarc"), dmarc);
        member(out, key!("alignment"), alignment);
        out.push(b'}');
    }
}

impl Json for AuthResults {
    fn write_json(&self, out: &mut Vec<u8>) {
        let AuthResults {
            line,
            instance,
            authserv_id,
            trusted,
            methods,
        } = self;
        member(out, key!(first "line"), line);
        member(out, key!("instance"), instance);
        member(out, key!("authserv_id"), authserv_id);
        member(out, key!("trusted"), trusted);
        member(out, key!("methods"), methods);
        out.push(b'}');
    }
}

impl Json for MethodResult {
    fn write_json(&self, out: &mut Vec<u8>) {
        let MethodResult {
            method,
            result,
            reason,
            comment,
            properties,
        } = self;
        member(out, key!(first "method"), method);
        member(out, key!("result"), result);
        member(out, key!("reason"), reason);
        member(out, key!("comment"), comment);
        member(out, key!("properties"), properties);
        out.push(b'}');
    }
}

impl Json for Property {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Property { key, value } = self;
        member(out, key!(first "key"), key);
        member(out, key!("value"), value);
        out.push(b'}');
    }
}

impl Json for ReceivedSpf {
    fn write_json(&self, out: &mut Vec<u8>) {
        let ReceivedSpf {
            line,
            result,
            client_ip,
            envelope_from,
            helo,
            receiver,
            trusted,
        } = self;
        member(out, key!(first "line"), line);
        member(out, key!("result"), result);
        member(out, key!("client_ip"), client_ip);
        member(out, key!("envelope_from"), envelope_from);
        member(out, key!("helo"), helo);
        member(out, key!("receiver"), receiver);
        member(out, key!("trusted"), trusted);
        out.push(b'}');
    }
}

impl Json for DkimOutcome {
    fn write_json(&self, out: &mut Vec<u8>) {
        let DkimOutcome { result, domain } = self;
        member(out, key!(first "result"), result);
        member(out, key!("domain"), domain);
        out.push(b'}');
    }
}

impl Json for Alignment {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Alignment {
            from_domain,
            from_org,
            mail_from_domain,
            mail_from_org,
            dkim_pass_domains,
            spf_aligned_relaxed,
            spf_aligned_strict,
            dkim_aligned_relaxed,
            dkim_aligned_strict,
            dmarc_pass_relaxed,
        } = self;
        member(out, key!(first "from_domain"), from_domain);
        member(out, key!("from_org"), from_org);
        member(out, key!("mail_from_domain"), mail_from_domain);
        member(out, key!("mail_from_org"), mail_from_org);
        member(out, key!("dkim_pass_domains"), dkim_pass_domains);
        member(out, key!("spf_aligned_relaxed"), spf_aligned_relaxed);
        member(out, key!("spf_aligned_strict"), spf_aligned_strict);
        member(out, key!("dkim_aligned_relaxed"), dkim_aligned_relaxed);
        member(out, key!("dkim_aligned_strict"), dkim_aligned_strict);
        member(out, key!("dmarc_pass_relaxed"), dmarc_pass_relaxed);
        out.push(b'}');
    }
}

impl Json for RelayAssessment {
    fn write_json(&self, out: &mut Vec<u8>) {
        let RelayAssessment {
            hop,
            relay_ip,
            relay,
            source,
            explained_above,
            unrelated,
            signals,
            confidence,
            evidence: _, // `#[serde(skip)]`
        } = self;
        member(out, key!(first "hop"), hop);
        member(out, key!("relay_ip"), relay_ip);
        member(out, key!("relay"), relay);
        member(out, key!("source"), source);
        member(out, key!("explained_above"), explained_above);
        member(out, key!("unrelated"), unrelated);
        member(out, key!("signals"), signals);
        member(out, key!("confidence"), confidence);
        out.push(b'}');
    }
}

impl Json for Signal {
    fn write_json(&self, out: &mut Vec<u8>) {
        let Signal {
            id,
            weight,
            reason,
            evidence,
        } = self;
        member(out, key!(first "id"), &**id);
        member(out, key!("weight"), weight);
        member(out, key!("reason"), reason);
        member(out, key!("evidence"), evidence);
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same<T: Json + serde::Serialize>(v: T) {
        let mut out = b"x".to_vec();
        v.write_json(&mut out);
        assert_eq!(out[1..], serde_json::to_vec(&v).unwrap()[..]);
    }

    #[test]
    fn integers_of_every_length_and_both_ends_as_serde_json_writes_them() {
        for digits in 0..20 {
            let p = 10u64.pow(digits);
            for v in [p - 1, p, p + 1, p.saturating_mul(9)] {
                same(v);
                same(v as usize);
                same(v as i64);
                same((v as i64).wrapping_neg());
                same(v as u32);
                same(v as i32);
                same((v as i32).wrapping_neg());
                same(v as u16);
            }
        }
        same(u64::MAX);
        same(usize::MAX);
        same(i64::MIN);
        same(i64::MAX);
        same(i32::MIN);
        same(i32::MAX);
        same(u32::MAX);
        same(u16::MAX);
        same(0u64);
    }
}
