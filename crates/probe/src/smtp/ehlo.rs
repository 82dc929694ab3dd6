//! What a server announces in its EHLO reply (RFC 5321 §4.1.1.1): its name and extensions.

use super::reply::Reply;
use serde::{Deserialize, Serialize};

/// Extensions recorded for the report. Unknown keywords are kept verbatim in `other`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extensions {
    /// The name the server gave on the first EHLO line.
    pub server_name: Option<String>,
    /// `STARTTLS` (RFC 3207).
    pub starttls: bool,
    /// Mechanisms listed by `AUTH` (RFC 4954), upper-cased.
    pub auth: Vec<String>,
    /// `SIZE` limit (RFC 1870), if stated.
    pub size: Option<u64>,
    /// `PIPELINING` (RFC 2920).
    pub pipelining: bool,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `XCLIENT` (Postfix): lets a trusted client impersonate others; worth flagging.
    pub xclient: bool,
    /// `8BITMIME` (RFC 6152).
    pub eightbitmime: bool,
    /// Other keywords with their parameters.
    pub other: Vec<String>,
}

/// Parse a 250 EHLO reply. Lines past the first are `keyword [params]`.
pub fn parse_ehlo(reply: &Reply) -> Extensions {
    let mut ext = Extensions {
        server_name: reply.first_word(),
        ..Extensions::default()
    };
    for line in reply.lines.iter().skip(1) {
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword.to_ascii_uppercase().as_str() {
            "STARTTLS" => ext.starttls = true,
            // `AUTH=LOGIN PLAIN` is an old Microsoft spelling of the same thing.
            k if k == "AUTH" || k.starts_with("AUTH=") => {
                let first = k.strip_prefix("AUTH=").filter(|s| !s.is_empty());
                for mech in first
                    .into_iter()
                    .map(str::to_string)
                    .chain(words.map(|w| w.to_ascii_uppercase()))
                {
                    if !ext.auth.contains(&mech) && ext.auth.len() < 32 {
                        ext.auth.push(mech);
                    }
                }
            }
            "SIZE" => ext.size = words.next().and_then(|w| w.parse().ok()),
            "PIPELINING" => ext.pipelining = true,
            "SMTPUTF8" => ext.smtputf8 = true,
            "XCLIENT" => ext.xclient = true,
            "8BITMIME" => ext.eightbitmime = true,
            _ if ext.other.len() < 32 => ext.other.push(line.chars().take(120).collect()),
            _ => {}
        }
    }
    ext
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exim_style_ehlo() {
        let reply = Reply {
            code: 250,
            lines: [
                "mail.example.net Hello localhost [127.0.0.1]",
                "SIZE 52428800",
                "8BITMIME",
                "PIPELINING",
                "AUTH PLAIN LOGIN",
                "X_PIPE_CONNECT",
                "CHUNKING",
                "STARTTLS",
                "SMTPUTF8",
                "HELP",
            ]
            .map(String::from)
            .to_vec(),
        };
        let e = parse_ehlo(&reply);
        assert_eq!(e.server_name.as_deref(), Some("mail.example.net"));
        assert_eq!(e.size, Some(52_428_800));
        assert!(e.starttls && e.pipelining && e.smtputf8 && e.eightbitmime && !e.xclient);
        assert_eq!(e.auth, ["PLAIN", "LOGIN"]);
        assert_eq!(e.other, ["X_PIPE_CONNECT", "CHUNKING", "HELP"]);
    }
}
