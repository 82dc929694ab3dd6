//! Truth, not opinion: for every audit rule that changes live behaviour, the real daemon is
//! started on loopback with that config (delivering only to a loopback sink), probed with
//! `relayhunt_probe`, and the audit verdict must agree with the probe verdict:
//!
//! - OPEN RELAY ⇔ the probe finds it open;
//! - CLOSED ⇔ the probe finds it closed;
//! - CONDITIONAL ⇔ the probe finds it open from where the condition holds, and closed from
//!   where it does not (the prober on 127.0.0.1 is on the server's subnet, but outside a
//!   Docker/NAT range — NAT itself cannot be staged on loopback).
//!
//! The prober connects from 127.0.0.1, which every MTA trusts by default. To make it a
//! stranger, safe configs are run "as seen by a stranger": their loopback entries in
//! mynetworks / relay_from_hosts / `from local` are replaced by 192.0.2.1 (TEST-NET-1). The
//! audit must give the same verdict on the original and on the stranger's view.
//!
//! Rules keyed on what the probe battery does not vary are shown with raw SMTP exchanges:
//! the client address (Postfix XCLIENT from loopback, Exim's `-bh ADDR` host-checking mode,
//! 127.0.0.2 for OpenSMTPD and Sendmail, which treat 127.0.0.1 as local), client
//! certificates (`openssl s_client`), `AUTH ANONYMOUS`, routed addresses. Rules whose
//! condition cannot be staged here (NAT, DNS the attacker controls, public CAs,
//! authenticators) are covered by the static tests; docs/audit.md says which is which.
//!
//! Needs the MTAs from `scripts/install-test-deps.sh`; skips loudly without them unless
//! `RELAYHUNT_REQUIRE_MTAS=1`.

mod common;
mod exim;
mod opensmtpd;
mod postfix;
mod postfix_routes;
mod sendmail;
