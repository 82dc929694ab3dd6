//! The canary message: small, plainly labelled, carrying its token in Subject and body.
//!
//! It is what a relay would forward, so it must be a valid RFC 5322 message and explain itself
//! to whoever reads it. Dot-stuffing (RFC 5321 §4.5.2) is applied for transmission.

use crate::transcript::rfc3339_now;

/// Build the canary message text (CRLF line ends, no terminating dot).
pub fn build(token: &str, mail_from: &str, rcpt_to: &str, target: &str, test_id: &str) -> String {
    let from = if mail_from.is_empty() {
        "relayhunt-probe@invalid".to_string()
    } else {
        mail_from.to_string()
    };
    let id_domain = "relayhunt.invalid";
    format!(
        "From: <{from}>\r\n\
         To: <{rcpt_to}>\r\n\
         Subject: relayhunt relay canary {token}\r\n\
         Date: {date}\r\n\
         Message-ID: <{msgid}@{id_domain}>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         X-Relayhunt-Canary: {token}\r\n\
         \r\n\
         This message tests whether the mail server at {target} relays mail\r\n\
         for outsiders (relay test \"{test_id}\").\r\n\
         If you received it through that server, the server is an open relay.\r\n\
         \r\n\
         Token: {token}\r\n",
        date = rfc3339_now(),
        msgid = token.to_ascii_lowercase(),
    )
}

/// Dot-stuff a message and append the end-of-data marker.
pub fn to_data(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push(b'.');
        }
        out.extend_from_slice(line.as_bytes());
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::token::find_tokens;

    #[test]
    fn token_in_subject_and_body() {
        let m = build(
            "RH-CANARY-00112233445566778899",
            "a@b.example",
            "c@d.example",
            "127.0.0.1:25",
            "outside-plain",
        );
        assert!(m.contains("Subject: relayhunt relay canary RH-CANARY-00112233445566778899\r\n"));
        assert!(m.contains("\r\n\r\n"));
        assert_eq!(find_tokens(m.as_bytes()).len(), 1);
    }

    #[test]
    fn dot_stuffing() {
        assert_eq!(to_data("a\r\n.b\r\n"), b"a\r\n..b\r\n.\r\n");
    }
}
