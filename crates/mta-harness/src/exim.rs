//! Exim instances: `exim4 -C CONF -bdf` from the unpacked Debian package.
//!
//! The caller gives a whole Exim config (main section, `begin acl`, `begin authenticators`,
//! …). The harness removes the main-section options it must own (paths, ports, users), puts
//! its own first, and replaces the `routers` and `transports` sections with one manualroute
//! router sending every domain to `127.0.0.1::SINK` (`self = send`) over an smtp transport
//! with `allow_localhost` — so nothing can leave the machine whatever the ACLs say.

use crate::instance::{Instance, Launch};
use crate::ownership::{chown, set_mode};
use crate::placeholders::{fill, Values};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Main-section options the harness owns; the config's own settings of them are dropped.
const OWNED_OPTIONS: &[&str] = &[
    "keep_environment",
    "add_environment",
    "exim_user",
    "exim_group",
    "spool_directory",
    "log_file_path",
    "pid_file_path",
    "daemon_smtp_ports",
    "daemon_smtp_port",
    "local_interfaces",
    "primary_hostname",
    "tls_certificate",
    "tls_privatekey",
    "tls_advertise_hosts",
];

/// An Exim config under test.
#[derive(Debug, Clone, Default)]
pub struct EximConfig {
    /// The whole config text (may use `{DIR}`, `{SINK}`, `{PORT}`).
    pub text: String,
    /// Extra files written into the instance dir.
    pub files: Vec<(String, String)>,
}

/// The rcpt ACL of Debian's exim4-config, trimmed to what decides relaying.
const DEBIAN_RCPT_ACL: &str = r#"
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept hosts = :
  deny domains = +local_domains
       local_parts = ^[.] : ^.*[@%!/|]
       message = restricted characters in address
  deny domains = !+local_domains
       local_parts = ^[./|] : ^.*[@%!] : ^.*/\\.\\./
       message = restricted characters in address
  accept local_parts = postmaster
         domains = +local_domains
  accept hosts = +relay_from_hosts
         control = submission/sender_retain
  accept authenticated = *
         control = submission/sender_retain
  require message = relay not permitted
          domains = +local_domains : +relay_to_domains
  accept
"#;

impl EximConfig {
    /// A config from whole config text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            files: Vec::new(),
        }
    }

    /// The mistake from old how-tos: every host may relay (`hostlist relay_from_hosts = *`).
    pub fn open() -> Self {
        Self::text(format!(
            "domainlist local_domains = @ : localhost\ndomainlist relay_to_domains =\n\
             hostlist relay_from_hosts = *\n{DEBIAN_RCPT_ACL}"
        ))
    }

    /// Debian's defaults with relay_from_hosts excluding the loopback prober.
    pub fn closed() -> Self {
        Self::text(format!(
            "domainlist local_domains = @ : localhost\ndomainlist relay_to_domains =\n\
             hostlist relay_from_hosts = 192.0.2.1\n{DEBIAN_RCPT_ACL}"
        ))
    }

    /// Add a file written into the instance dir.
    pub fn with_file(mut self, name: impl Into<String>, content: impl Into<String>) -> Self {
        self.files.push((name.into(), content.into()));
        self
    }
}

impl From<&str> for EximConfig {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for EximConfig {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

/// The Exim daemon (unpacked from exim4-daemon-light).
#[derive(Debug, Clone, Copy)]
pub struct Exim;

impl Exim {
    /// Path of the unpacked exim4 binary.
    pub fn binary() -> PathBuf {
        crate::mta_root().join("exim/usr/sbin/exim4")
    }

    /// True when exim4 is unpacked and installed where it re-execs itself to deliver.
    pub fn available() -> bool {
        Self::binary().is_file() && std::path::Path::new("/usr/sbin/exim4").is_file()
    }

    /// Start an instance with `config`, delivering everything to `127.0.0.1:sink_port`.
    pub fn start(config: impl Into<EximConfig>, sink_port: u16) -> anyhow::Result<Instance> {
        let config = config.into();
        crate::instance::start_with_retry(|| Self::start_once(&config, sink_port))
    }

    fn start_once(config: &EximConfig, sink_port: u16) -> anyhow::Result<Instance> {
        let (tempdir, dir) = crate::instance::workdir("exim")?;
        let port = crate::free_port()?;
        let values = Values {
            dir: &dir,
            sink: sink_port,
            port,
            port2: 0,
        };
        for sub in ["spool", "log"] {
            std::fs::create_dir_all(dir.join(sub))?;
            chown(&dir.join(sub), "Debian-exim:Debian-exim")?;
        }
        for (name, content) in &config.files {
            std::fs::write(dir.join(name), fill(content, values))?;
            set_mode(&dir.join(name), 0o644)?;
        }
        let text = compose(&fill(&config.text, values), &dir, port, sink_port);
        let conf = dir.join("exim.conf");
        std::fs::write(&conf, text)?;
        set_mode(&conf, 0o644)?;
        let log_path = dir.join("log/mainlog");
        let stderr = std::fs::File::create(dir.join("log/stderr"))?;
        let child = Command::new(Self::binary())
            .arg("-C")
            .arg(&conf)
            .arg("-bdf")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()?;
        Instance::adopt(Launch {
            name: "exim",
            port,
            port2: None,
            services: Vec::new(),
            dir,
            log_path,
            child,
            tempdir,
            stop_command: None,
            watchdog_stop: "true".into(),
            fatal_marker: None,
            lock: None,
        })
    }
}

impl Exim {
    /// Run one SMTP session through Exim's host-checking mode (`exim4 -bh CLIENT`): the real
    /// binary applies the config's ACLs as if `client` had connected, and nothing is
    /// delivered or queued. Lets tests stage any client address from loopback. Returns the
    /// reply code of the banner and of each command, in order.
    pub fn host_check(
        config: impl Into<EximConfig>,
        client: std::net::IpAddr,
        commands: &[&str],
    ) -> anyhow::Result<Vec<u16>> {
        use std::io::Write;
        let config = config.into();
        let (_tempdir, dir) = crate::instance::workdir("exim-bh")?;
        let values = Values {
            dir: &dir,
            sink: 9,
            port: 9,
            port2: 0,
        };
        for sub in ["spool", "log"] {
            std::fs::create_dir_all(dir.join(sub))?;
            chown(&dir.join(sub), "Debian-exim:Debian-exim")?;
        }
        for (name, content) in &config.files {
            std::fs::write(dir.join(name), fill(content, values))?;
            set_mode(&dir.join(name), 0o644)?;
        }
        let conf = dir.join("exim.conf");
        std::fs::write(&conf, compose(&fill(&config.text, values), &dir, 9, 9))?;
        set_mode(&conf, 0o644)?;
        let mut child = Command::new(Self::binary())
            .arg("-C")
            .arg(&conf)
            .arg("-bh")
            .arg(client.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut input = child.stdin.take().expect("piped stdin");
        for c in commands {
            input.write_all(format!("{c}\r\n").as_bytes())?;
        }
        drop(input);
        let out = crate::instance::wait_output(child, std::time::Duration::from_secs(20))?;
        // Replies are `NNN text` / `NNN-text`; the ACL trace lines start with `>>>`.
        Ok(out
            .lines()
            .filter(|l| {
                l.len() >= 4
                    && l.as_bytes()[..3].iter().all(u8::is_ascii_digit)
                    && l.as_bytes()[3] == b' '
            })
            .filter_map(|l| l[..3].parse().ok())
            .collect())
    }
}

/// Build the config the daemon runs: harness main options, the caller's config without the
/// options and sections the harness owns, then the sink-only routers and transports.
fn compose(user: &str, dir: &std::path::Path, port: u16, sink: u16) -> String {
    let d = dir.display();
    let mut out = format!(
        "# harness: paths, users, loopback listener\n\
         keep_environment =\n\
         exim_user = Debian-exim\n\
         exim_group = Debian-exim\n\
         spool_directory = {d}/spool\n\
         log_file_path = {d}/log/%slog\n\
         pid_file_path = {d}/exim.pid\n\
         daemon_smtp_ports = {port}\n\
         local_interfaces = 127.0.0.1\n\
         primary_hostname = relayhunt-exim-{port}.test\n\
         tls_advertise_hosts =\n\
         # config under test\n"
    );
    let mut section = String::from("main");
    let mut skipping_continuation = false;
    for line in user.lines() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("begin ") {
            section = name.trim().to_string();
            skipping_continuation = false;
            if section != "routers" && section != "transports" {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        if section == "routers" || section == "transports" {
            continue;
        }
        if skipping_continuation {
            skipping_continuation = line.trim_end().ends_with('\\');
            continue;
        }
        if section == "main" && is_owned_option(trimmed) {
            skipping_continuation = line.trim_end().ends_with('\\');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!(
        "\nbegin routers\n\n\
         harness_to_sink:\n  driver = manualroute\n  domains = *\n  \
         route_list = * 127.0.0.1::{sink}\n  self = send\n  transport = harness_sink_smtp\n\n\
         begin transports\n\n\
         harness_sink_smtp:\n  driver = smtp\n  allow_localhost\n  hosts_avoid_tls = *\n"
    ));
    out
}

/// Does this main-section line set an option the harness owns?
fn is_owned_option(line: &str) -> bool {
    let name = line
        .split(|c: char| c == '=' || c.is_whitespace())
        .next()
        .unwrap_or("");
    let name = name
        .strip_prefix("no_")
        .or_else(|| name.strip_prefix("not_"))
        .unwrap_or(name);
    OWNED_OPTIONS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_replaces_routing_and_owned_options() {
        let user = "spool_directory = /var/spool/exim4\nqualify_domain = example.org\n\
                    begin acl\nacl_check_rcpt:\n  accept\n\
                    begin routers\ndnslookup:\n  driver = dnslookup\n\
                    begin transports\nremote_smtp:\n  driver = smtp\n";
        let out = compose(user, std::path::Path::new("/tmp/x"), 2525, 2626);
        assert!(!out.contains("/var/spool/exim4"));
        assert!(out.contains("qualify_domain = example.org"));
        assert!(out.contains("acl_check_rcpt:"));
        assert!(!out.contains("dnslookup"));
        assert!(out.contains("route_list = * 127.0.0.1::2626"));
        assert_eq!(out.matches("begin routers").count(), 1);
    }
}
