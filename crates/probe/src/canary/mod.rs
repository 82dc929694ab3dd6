//! Proof by delivery: canary messages with unique tokens, the SMTP sink that receives them and
//! the ledger file that records which tokens arrived.
//!
//! A `250` to `RCPT TO` says a server *agreed* to relay; only a message that comes out at the
//! other end proves it did. The probe sends a small message carrying a token through each
//! accepted variant; `relayhunt canary listen` (the [`sink`]) receives mail for the operator's
//! domain, extracts tokens and appends them to the [`ledger`]; the probe reads the ledger back.

pub mod ledger;
pub mod message;
pub mod sink;
pub mod token;
