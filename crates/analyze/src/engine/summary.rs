//! The message's identity headers (From, To, Subject, …), decoded for display.
//!
//! RFC 2047 words and address syntax are left to mail-parser: the first instance of each
//! identity header is handed to it as a tiny header block, so nothing else of a hostile
//! message reaches it. Most values are in a plain form that mail-parser returns unchanged
//! or cut at obvious places (see [`plain`]); those are read directly, and only the others
//! go to mail-parser, which costs more than all the rest of the summary.

mod plain;

use super::identity::addr_domain;
use crate::report::{Mailbox, MessageSummary};
use crate::Message;
use mail_parser::{Address, MessageParser};

/// At most this many `To:` mailboxes are kept.
const MAX_TO: usize = 50;

fn mailbox(name: Option<&str>, address: Option<&str>) -> Mailbox {
    let address = address.map(|s| s.trim().to_string());
    Mailbox {
        name: name.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        domain: address.as_deref().and_then(addr_domain),
        address,
    }
}

fn first(a: Option<&Address<'_>>) -> Option<Mailbox> {
    a.and_then(|a| a.first())
        .map(|a| mailbox(a.name(), a.address()))
}

/// Extract the summary.
pub fn summarize(msg: &Message) -> MessageSummary {
    summarize_with(msg, true)
}

/// The fields handed to mail-parser, in this order. `Return-Path` and `List-Id` are taken
/// from the header as written, so they are not parsed; each field is one unfolded line.
const FIELDS: [&str; 6] = ["From", "To", "Subject", "Message-ID", "Date", "Reply-To"];

/// Read field `i` of [`FIELDS`] into `s` if its value is plain; false if it is not.
fn read_plain(s: &mut MessageSummary, i: usize, v: &str) -> bool {
    match i {
        0 | 1 | 5 => {
            let Some(list) = plain::mailboxes(v) else {
                return false;
            };
            let mut boxes = list.iter().map(|&(n, a)| mailbox(n, Some(a)));
            match i {
                0 => s.from = boxes.next(),
                1 => s.to = boxes.take(MAX_TO).collect(),
                _ => s.reply_to = boxes.next(),
            }
        }
        2 => match plain::text(v) {
            Some(text) => s.subject = text.map(str::to_string),
            None => return false,
        },
        3 => match plain::message_id(v) {
            Some(id) => s.message_id = Some(id.to_string()),
            None => return false,
        },
        _ => match plain::date(v) {
            Some(unix) => s.date_unix = unix,
            None => return false,
        },
    }
    true
}

/// The summary, reading plain values directly when `fast` (else every field goes to
/// mail-parser: the reference the fast path is tested against).
///
/// From the first field that is not plain on, every field goes to mail-parser, so it sees
/// those lines exactly as it would in the whole block: a few of its readers can run on
/// past the end of a line (a one-letter zone at the end of a date, an encoded word left
/// open), and then what follows must be what always followed. Plain values never do.
fn summarize_with(msg: &Message, fast: bool) -> MessageSummary {
    let mut s = MessageSummary::default();
    let values = FIELDS.map(|name| msg.first(name).map(|h| h.value()));
    if values.iter().all(Option::is_none) {
        // mail-parser finds no header in an empty block, and the summary has always been
        // empty then, Return-Path and List-Id included: kept so no document changes.
        return s;
    }
    let mut block = String::new();
    let mut asked = [false; 6];
    let mut asking = !fast;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else {
            continue;
        };
        asking = asking || !read_plain(&mut s, i, v);
        if asking {
            asked[i] = true;
            for part in [FIELDS[i], ": ", v, "\r\n"] {
                block.push_str(part);
            }
        }
    }
    if asking {
        block.push_str("\r\n");
        if let Some(parsed) = MessageParser::default().parse_headers(block.as_bytes()) {
            if asked[0] {
                s.from = first(parsed.from());
            }
            if asked[1] {
                s.to = parsed
                    .to()
                    .map(|a| {
                        a.iter()
                            .take(MAX_TO)
                            .map(|a| mailbox(a.name(), a.address()))
                            .collect()
                    })
                    .unwrap_or_default();
            }
            if asked[2] {
                s.subject = parsed.subject().map(str::to_string);
            }
            if asked[3] {
                s.message_id = parsed.message_id().map(str::to_string);
            }
            if asked[4] {
                s.date_unix = parsed.date().map(|d| d.to_timestamp());
            }
            if asked[5] {
                s.reply_to = first(parsed.reply_to());
            }
        }
    }
    s.date = msg.first("Date").map(|h| h.value().to_string());
    s.return_path = msg.first("Return-Path").and_then(|h| {
        let v = h
            .value()
            .trim()
            .trim_matches(|c| c == '<' || c == '>')
            .trim();
        (!v.is_empty()).then(|| v.to_string())
    });
    s.list_id = msg.first("List-Id").map(|h| h.value().to_string());
    s
}

#[cfg(test)]
mod tests;
