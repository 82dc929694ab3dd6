//! The message's identity headers (From, To, Subject, …), decoded for display.
//!
//! RFC 2047 words and address syntax are left to mail-parser: the first instance of each
//! identity header is handed to it as a tiny header block, so nothing else of a hostile
//! message reaches it.

use super::identity::addr_domain;
use crate::report::{Mailbox, MessageSummary};
use crate::Message;
use mail_parser::{Addr, Address, MessageParser};

/// The fields handed to mail-parser. `Return-Path` and `List-Id` are taken from the
/// header as written, so they are not parsed; each field is one unfolded line, so leaving
/// them out changes nothing for the others.
const FIELDS: [&str; 6] = ["From", "To", "Subject", "Message-ID", "Date", "Reply-To"];

/// At most this many `To:` mailboxes are kept.
const MAX_TO: usize = 50;

fn mailbox(a: &Addr<'_>) -> Mailbox {
    let address = a.address().map(|s| s.trim().to_string());
    Mailbox {
        name: a
            .name()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        domain: address.as_deref().and_then(addr_domain),
        address,
    }
}

fn first(a: Option<&Address<'_>>) -> Option<Mailbox> {
    a.and_then(|a| a.first()).map(mailbox)
}

/// Extract the summary.
pub fn summarize(msg: &Message) -> MessageSummary {
    // Sized from the fields found, so the block is allocated once rather than grown.
    let found = FIELDS.map(|name| msg.first(name).map(|h| (name, &h.value[..])));
    let len = found
        .iter()
        .flatten()
        .map(|(name, value)| name.len() + value.len() + 4)
        .sum::<usize>();
    let mut block = String::with_capacity(len + 2);
    for (name, value) in found.iter().flatten() {
        block.push_str(name);
        block.push_str(": ");
        block.push_str(value);
        block.push_str("\r\n");
    }
    block.push_str("\r\n");
    let mut s = MessageSummary::default();
    let Some(parsed) = MessageParser::default().parse_headers(block.as_bytes()) else {
        return s;
    };
    s.from = first(parsed.from());
    s.to = parsed
        .to()
        .map(|a| a.iter().take(MAX_TO).map(mailbox).collect())
        .unwrap_or_default();
    s.subject = parsed.subject().map(str::to_string);
    s.message_id = parsed.message_id().map(str::to_string);
    s.date = msg.first("Date").map(|h| h.value.to_string());
    s.date_unix = parsed.date().map(|d| d.to_timestamp());
    s.reply_to = first(parsed.reply_to());
    s.return_path = msg.first("Return-Path").and_then(|h| {
        let v = h.value.trim().trim_matches(|c| c == '<' || c == '>').trim();
        (!v.is_empty()).then(|| v.to_string())
    });
    s.list_id = msg.first("List-Id").map(|h| h.value.to_string());
    s
}
