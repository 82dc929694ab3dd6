//! A small MIME writer (RFC 2045/2046): the report's own structure in CRLF, parts as given.
//!
//! Hand-written rather than a builder crate because the attached original must stay
//! byte-identical (a builder may re-encode or re-fold it) and because every header we emit
//! must pass through `header_value` first.

use std::hash::{Hash, Hasher};

/// One body part: header lines (already safe) and the body bytes.
#[derive(Debug, Clone)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// `text/plain; charset=utf-8`, quoted-printable so long evidence lines survive transport.
pub fn text_part(text: &str) -> Part {
    Part {
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            (
                "Content-Transfer-Encoding".into(),
                "quoted-printable".into(),
            ),
        ],
        body: quoted_printable(text).into_bytes(),
    }
}

/// A text attachment (e.g. an SMTP transcript), quoted-printable.
pub fn text_attachment(text: &str, filename: &str) -> Part {
    let mut p = text_part(text);
    p.headers.push((
        "Content-Disposition".into(),
        format!("attachment; filename=\"{filename}\""),
    ));
    p
}

/// The Content-Transfer-Encoding that lets `raw` travel unchanged (RFC 2046 §5.2.1: only
/// 7bit, 8bit or binary are allowed for message/rfc822).
pub fn identity_encoding(raw: &[u8]) -> &'static str {
    let long_line = raw.split(|&b| b == b'\n').any(|l| l.len() > 998);
    let bare_cr =
        raw.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') || raw.last() == Some(&b'\r');
    if long_line || bare_cr || raw.contains(&0) {
        "binary"
    } else if raw.is_ascii() {
        "7bit"
    } else {
        "8bit"
    }
}

/// The original message, attached unmodified.
pub fn rfc822_part(raw: &[u8], content_type: &str, filename: &str) -> Part {
    Part {
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            (
                "Content-Transfer-Encoding".into(),
                identity_encoding(raw).into(),
            ),
            (
                "Content-Disposition".into(),
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body: raw.to_vec(),
    }
}

/// A boundary that occurs in none of the bodies (RFC 2046 §5.1.1).
fn boundary(parts: &[Part]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.body.len().hash(&mut h);
        p.body.get(..4096).unwrap_or(&p.body).hash(&mut h);
    }
    boundary_with(h.finish(), parts)
}

fn boundary_with(seed: u64, parts: &[Part]) -> String {
    (0u32..)
        .map(|n| format!("=_relayhunt_{seed:016x}_{n}"))
        .find(|b| !parts.iter().any(|p| contains(&p.body, b.as_bytes())))
        .unwrap_or_default()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn header_line(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A whole message: top-level headers, then a multipart body of `subtype` (`mixed`,
/// `report; report-type=feedback-report`).
pub fn multipart(top: &[(String, String)], subtype: &str, parts: &[Part]) -> Vec<u8> {
    let b = boundary(parts);
    let mut out = Vec::new();
    for (n, v) in top {
        header_line(&mut out, n, v);
    }
    header_line(&mut out, "MIME-Version", "1.0");
    header_line(
        &mut out,
        "Content-Type",
        &format!("multipart/{subtype};\r\n boundary=\"{b}\""),
    );
    out.extend_from_slice(b"\r\nThis is a MIME-formatted message.\r\n");
    for p in parts {
        out.extend_from_slice(format!("\r\n--{b}\r\n").as_bytes());
        for (n, v) in &p.headers {
            header_line(&mut out, n, v);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.body);
    }
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    out
}

/// Quoted-printable (RFC 2045 §6.7), input line breaks become CRLF.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let bytes = line.as_bytes();
        let mut col = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let enc = match b {
                b' ' | b'\t' if last => format!("={b:02X}"),
                b'=' => "=3D".to_string(),
                33..=126 | b' ' | b'\t' => (b as char).to_string(),
                _ => format!("={b:02X}"),
            };
            if col + enc.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += enc.len();
            out.push_str(&enc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_wraps_and_escapes() {
        let long = "x".repeat(100);
        let q = quoted_printable(&format!("a=b \nÜ\n{long}"));
        assert!(q.starts_with("a=3Db=20\r\n=C3=9C\r\n"));
        assert!(q.split("\r\n").all(|l| l.len() <= 76));
    }

    #[test]
    fn encoding_declared_for_the_attachment_matches_its_bytes() {
        assert_eq!(identity_encoding(b"Subject: hi\r\n\r\nplain\r\n"), "7bit");
        assert_eq!(
            identity_encoding("Subject: hä\n\nbody\n".as_bytes()),
            "8bit"
        );
        assert_eq!(identity_encoding(&[b'a'; 1200]), "binary");
        assert_eq!(identity_encoding(b"a\rb\r\n"), "binary");
    }

    #[test]
    fn the_boundary_never_occurs_in_a_part() {
        let evil = Part {
            headers: vec![],
            body: b"x\r\n--=_relayhunt_0000000000000001_0\r\n".to_vec(),
        };
        let b = boundary_with(1, std::slice::from_ref(&evil));
        assert_eq!(b, "=_relayhunt_0000000000000001_1");
    }
}
