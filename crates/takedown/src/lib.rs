//! Takedown: find who owns a relay IP (RDAP, whois) and write the abuse report.

pub mod cli;
