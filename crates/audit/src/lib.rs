//! Static config audit: say whether an MTA config relays for strangers, and the fix.

pub mod cli;
