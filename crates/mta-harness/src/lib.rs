//! Test harness: start real MTA daemons (Postfix, Exim, OpenSMTPD, Sendmail) on loopback with their
//! own config and spool in a temp dir, delivering only to a loopback sink.
//!
//! Tests across the workspace use it to check claims against the real software instead of
//! against our own idea of it: the probe crate asserts OPEN/CLOSED verdicts on live daemons,
//! the audit crate asserts that its static verdict agrees with what the daemon does.
//!
//! Every instance:
//! - lives in its own temp dir (config, queue/spool, log), removed on drop;
//! - listens on `127.0.0.1` only, on a free high port picked by binding port 0;
//! - sends ALL outbound mail to `127.0.0.1:SINK` (Postfix `relayhost`, Exim `manualroute`,
//!   OpenSMTPD `relay host`), never anywhere else, whatever the config under test says;
//! - is reported ready only once its port answers with a `220` banner (bounded wait).
//!
//! Config text may use placeholders the harness fills in: `{DIR}` (the instance dir),
//! `{SINK}` (the sink port), `{PORT}` (the main listener port) and `{PORT2}` (a second free
//! port, for e.g. a submission listener defined in master.cf).
//!
//! The daemons need the packages installed by `scripts/install-test-deps.sh`; tests call
//! [`require_or_skip`] so they skip loudly when a daemon is missing, or fail when the
//! environment variable `RELAYHUNT_REQUIRE_MTAS=1` says the MTAs must be there (CI).

mod exim;
mod instance;
mod opensmtpd;
mod ownership;
mod placeholders;
mod postfix;
mod sendmail;
mod sink;

pub use exim::{Exim, EximConfig};
pub use instance::Instance;
pub use opensmtpd::{OpenSmtpd, OpenSmtpdConfig};
pub use postfix::{Postfix, PostfixConfig};
pub use sendmail::{Sendmail, SendmailConfig};
pub use sink::Sink;

use std::path::PathBuf;

/// Where `scripts/install-test-deps.sh` unpacks Exim and OpenSMTPD; override with the
/// environment variable `RELAYHUNT_MTA_ROOT`.
pub fn mta_root() -> PathBuf {
    std::env::var_os("RELAYHUNT_MTA_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/relayhunt-mtas"))
}

/// True when the environment demands real MTAs (`RELAYHUNT_REQUIRE_MTAS=1`, set by CI).
pub fn mtas_required() -> bool {
    std::env::var("RELAYHUNT_REQUIRE_MTAS").is_ok_and(|v| v == "1" || v == "true")
}

/// Decide whether a test that needs the daemon `name` can run.
///
/// Returns `true` when `available` is true. Otherwise prints a loud skip notice and returns
/// `false`, or panics when `RELAYHUNT_REQUIRE_MTAS=1` (a missing MTA is then a failure).
pub fn require_or_skip(name: &str, available: bool) -> bool {
    if available {
        return true;
    }
    if mtas_required() {
        panic!(
            "{name} is not installed but RELAYHUNT_REQUIRE_MTAS=1: run `bash scripts/install-test-deps.sh`"
        );
    }
    // Written to the real stderr, past the test harness's output capture, so a skip is
    // visible in every test run.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {name} is not installed; run `bash scripts/install-test-deps.sh` (as root) to run this test"
    );
    false
}

/// Pick a free loopback TCP port by binding port 0 and releasing it.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
