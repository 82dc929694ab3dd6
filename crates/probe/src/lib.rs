//! Active relay testing: talk SMTP to a named server and prove whether it relays.

pub mod cli;
