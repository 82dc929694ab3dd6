//! Parser for `Received:` trace headers (RFC 5321 §4.4 and the many dialects MTAs write).
//!
//! This crate is sans-I/O: a header value goes in, a [`Hop`] comes out. It never panics on
//! input and does bounded work per header, because every byte of a `Received:` line below
//! the first trusted hop was written by whoever sent the message.
//!
//! The one rule that matters most: [`Hop::from`]'s `ip` is the address the *receiving*
//! server recorded for its peer. Addresses that appear only inside text the client chose
//! (the HELO argument, an injected comment) are never promoted to the client IP; when the
//! line is ambiguous the IP stays `None` and a [`ParseNote`] says why.

mod auth;
mod ci;
mod clause;
mod date;
mod from_clause;
mod hop;
mod ip_literal;
mod lex;
mod non_relay;
mod normalize;
mod parse;
mod protocol;
mod software;
mod tls;

pub use hop::{ByPart, FromPart, Hop, HopDate, NonRelay, ParseNote, Protocol, TlsInfo};
pub use parse::{parse, MAX_RECEIVED_LEN};
