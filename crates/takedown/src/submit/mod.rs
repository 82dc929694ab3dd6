//! Sending the report: SMTP submission (RFC 6409) with STARTTLS (RFC 3207) or implicit TLS
//! (RFC 8314) and AUTH PLAIN (RFC 4616), to the server the user configured — never to the
//! abuse desk's MX directly. The client is lettre's.
//!
//! Bounded like every network client here: one deadline for connecting and each reply.
//! AUTH is refused over plain text, and every envelope address is validated so nothing
//! from the reported message can smuggle an SMTP command.

pub mod smtp;

pub use smtp::{send, SubmitError};
