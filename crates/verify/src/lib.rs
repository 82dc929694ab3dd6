//! `analyze --verify`: what the headers claim, checked again over live DNS.
//!
//! The analysis engine reads what the receiving server wrote in `Authentication-Results`;
//! this crate checks for itself and ties each result to the hop it concerns. Data flows
//! one way: the analysis [`Report`](relayhunt_analyze::Report) and the raw message go in
//! ([`check`]), the checks ask their questions through the [`dns::Dns`] trait ([`spf`],
//! [`signatures`] for DKIM/ARC/DMARC through mail-auth, [`hop`] for FCrDNS and HELO,
//! [`dnsbl`]), and [`compare`] turns the results into the `verification` section, findings
//! ([`findings`]) and corroboration for the relay verdict. [`run`] verifies the analyze
//! batch's chunks concurrently; [`cli`] holds the flags. DNS failures are `temperror`
//! everywhere, never pass or fail.

pub mod check;
pub mod cli;
pub mod compare;
pub mod dns;
pub mod dnsbl;
pub mod findings;
pub mod hop;
pub mod run;
pub mod signatures;
pub mod spf;
