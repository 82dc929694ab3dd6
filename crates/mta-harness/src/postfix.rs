//! Postfix instances: `postfix -c DIR start-fg` with a generated main.cf/master.cf.
//!
//! The caller's main.cf text comes first; the harness's own settings are appended after it
//! (in main.cf the last assignment wins), so paths, listen address and "deliver only to the
//! sink" cannot be overridden by the config under test. The caller's master.cf lines are
//! appended after a minimal set of the usual services, without chroot (the temp dir has no
//! chroot jail). Every route mail could take off the machine (transport maps, sender-
//! dependent relays, fallback relays, content filters, milters) is emptied; local and
//! virtual deliveries are discarded. Configs under test must not use network lookup tables
//! (SQL, LDAP, policy services on other hosts): the harness cannot neutralise those.

use crate::instance::{Instance, Launch};
use crate::ownership::chown;
use crate::placeholders::{fill, Values};
use std::path::Path;
use std::process::{Command, Stdio};

/// Postfix's command (installed with apt).
const POSTFIX: &str = "/usr/sbin/postfix";

/// A Postfix config under test.
#[derive(Debug, Clone, Default)]
pub struct PostfixConfig {
    /// main.cf text (may use `{DIR}`, `{SINK}`, `{PORT}`, `{PORT2}`).
    pub main_cf: String,
    /// `-o name=value` overrides for the main smtpd listener (without the `-o`).
    pub smtpd_overrides: Vec<String>,
    /// Extra master.cf lines, e.g. `127.0.0.1:{PORT2} inet n - n - - smtpd` plus `-o` lines.
    pub master_cf_extra: String,
    /// Extra files written into the instance dir (name relative to the dir, content).
    pub files: Vec<(String, String)>,
    /// Named extra smtpd listeners, each on its own port with its own `-o` overrides.
    pub services: Vec<(String, Vec<String>)>,
}

impl PostfixConfig {
    /// A config from main.cf text alone.
    pub fn main_cf(text: impl Into<String>) -> Self {
        Self {
            main_cf: text.into(),
            ..Self::default()
        }
    }

    /// The mistake from an old how-to: every client is "my network", so anyone relays.
    pub fn open() -> Self {
        Self::main_cf("mynetworks = 0.0.0.0/0\n")
    }

    /// Debian-like defaults with a mynetworks that excludes the loopback prober.
    pub fn closed() -> Self {
        Self::main_cf(
            "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination\n\
             mynetworks = 192.0.2.1/32\n",
        )
    }

    /// Add `-o` overrides to the main smtpd listener.
    pub fn with_smtpd_overrides<I, S>(mut self, overrides: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.smtpd_overrides
            .extend(overrides.into_iter().map(Into::into));
        self
    }

    /// Add master.cf lines.
    pub fn with_master_cf(mut self, lines: impl Into<String>) -> Self {
        self.master_cf_extra.push_str(&lines.into());
        self.master_cf_extra.push('\n');
        self
    }

    /// Add a named smtpd listener with its own `-o name=value` overrides (without the `-o`;
    /// placeholders allowed). Its port is `Instance::service_port(name)`: one daemon then
    /// serves many restriction sets side by side, each on its own port.
    pub fn with_service<I, S>(mut self, name: impl Into<String>, overrides: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.services
            .push((name.into(), overrides.into_iter().map(Into::into).collect()));
        self
    }

    /// Add a file (e.g. an access table) written into the instance dir.
    pub fn with_file(mut self, name: impl Into<String>, content: impl Into<String>) -> Self {
        self.files.push((name.into(), content.into()));
        self
    }
}

impl From<&str> for PostfixConfig {
    fn from(text: &str) -> Self {
        Self::main_cf(text)
    }
}

impl From<String> for PostfixConfig {
    fn from(text: String) -> Self {
        Self::main_cf(text)
    }
}

/// main.cf parameters the harness sets; the config's own settings of them are removed
/// (duplicates make every daemon log a warning at start, which can wedge postlogd).
const OWNED: &[&str] = &[
    "config_directory",
    "queue_directory",
    "data_directory",
    "maillog_file",
    "maillog_file_prefixes",
    "inet_interfaces",
    "inet_protocols",
    "myhostname",
    "myorigin",
    "alias_maps",
    "alias_database",
    "relayhost",
    "default_transport",
    "relay_transport",
    "transport_maps",
    "sender_dependent_relayhost_maps",
    "sender_dependent_default_transport_maps",
    "smtp_fallback_relay",
    "local_transport",
    "virtual_transport",
    "content_filter",
    "smtpd_proxy_filter",
    "smtpd_milters",
    "non_smtpd_milters",
    "smtp_dns_support_level",
];

/// Remove owned parameters (with their continuation lines) and keep only the last setting
/// of every other parameter, as Postfix itself would use.
fn without_owned(text: &str) -> String {
    // Logical lines: a line starting with whitespace continues the previous one.
    let mut logical: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) && !line.trim().is_empty() {
            if let Some(last) = logical.last_mut() {
                last.push('\n');
                last.push_str(line);
                continue;
            }
        }
        logical.push(line.to_string());
    }
    let name_of = |l: &str| -> Option<String> {
        let t = l.trim_start();
        if t.starts_with('#') || t.is_empty() {
            return None;
        }
        t.split_once('=').map(|(n, _)| n.trim().to_string())
    };
    let mut out = Vec::new();
    for (i, l) in logical.iter().enumerate() {
        if let Some(n) = name_of(l) {
            if OWNED.contains(&n.as_str()) {
                continue;
            }
            if logical[i + 1..]
                .iter()
                .any(|later| name_of(later).as_deref() == Some(n.as_str()))
            {
                continue;
            }
        }
        out.push(l.clone());
    }
    out.join("\n")
}

/// The Postfix daemon.
#[derive(Debug, Clone, Copy)]
pub struct Postfix;

/// The usual services, without chroot. `smtp`/`relay` deliver to the sink via relayhost.
const MASTER_CF_BASE: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

impl Postfix {
    /// True when the Postfix binaries are installed.
    pub fn available() -> bool {
        Path::new(POSTFIX).is_file() && Path::new("/usr/lib/postfix/sbin/master").is_file()
    }

    /// Start an instance with `config`, relaying everything to `127.0.0.1:sink_port`.
    pub fn start(config: impl Into<PostfixConfig>, sink_port: u16) -> anyhow::Result<Instance> {
        let config = config.into();
        crate::instance::start_with_retry(|| Self::start_once(&config, sink_port))
    }

    fn start_once(config: &PostfixConfig, sink_port: u16) -> anyhow::Result<Instance> {
        let (tempdir, dir) = crate::instance::workdir("postfix")?;
        let port = crate::free_port()?;
        let uses_port2 = config.main_cf.contains("{PORT2}")
            || config.master_cf_extra.contains("{PORT2}")
            || config.smtpd_overrides.iter().any(|o| o.contains("{PORT2}"));
        let port2 = if uses_port2 { crate::free_port()? } else { 0 };
        let values = Values {
            dir: &dir,
            sink: sink_port,
            port,
            port2,
        };
        std::fs::create_dir_all(dir.join("queue"))?;
        std::fs::create_dir_all(dir.join("data"))?;
        chown(&dir.join("data"), "postfix:postfix")?;
        for (name, content) in &config.files {
            std::fs::write(dir.join(name), fill(content, values))?;
        }
        let log_path = dir.join("maillog");
        let d = dir.display();
        let user = without_owned(&fill(&config.main_cf, values));
        let compat = if user
            .lines()
            .any(|l| l.trim_start().starts_with("compatibility_level"))
        {
            ""
        } else {
            "# harness: Debian's default compatibility level\ncompatibility_level = 3.6\n"
        };
        let main_cf = format!(
            "{compat}# config under test\n{user}\n\n# harness: paths, loopback listener, sink-only delivery\n\
             config_directory = {d}\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             maillog_file = {d}/maillog\n\
             maillog_file_prefixes = {d}\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             myhostname = relayhunt-postfix-{port}.test\n\
             myorigin = $myhostname\n\
             alias_maps =\n\
             alias_database =\n\
             relayhost = [127.0.0.1]:{sink_port}\n\
             default_transport = smtp\n\
             relay_transport = relay\n\
             transport_maps =\n\
             sender_dependent_relayhost_maps =\n\
             sender_dependent_default_transport_maps =\n\
             smtp_fallback_relay =\n\
             local_transport = discard:local\n\
             virtual_transport = discard:virtual\n\
             content_filter =\n\
             smtpd_proxy_filter =\n\
             smtpd_milters =\n\
             non_smtpd_milters =\n\
             smtp_dns_support_level = disabled\n",
        );
        std::fs::write(dir.join("main.cf"), main_cf)?;
        let mut master = format!("127.0.0.1:{port} inet n - n - - smtpd\n");
        for o in &config.smtpd_overrides {
            master.push_str(&format!("  -o {}\n", fill(o, values)));
        }
        let mut services = Vec::new();
        for (name, overrides) in &config.services {
            let p = crate::free_port()?;
            master.push_str(&format!(
                "127.0.0.1:{p} inet n - n - - smtpd\n  -o syslog_name=postfix/{name}\n"
            ));
            for o in overrides {
                let o = fill(o, values);
                // Values with spaces need master.cf's `-o { name = value }` form.
                match o.split_once('=') {
                    Some((n, v)) if o.contains(char::is_whitespace) => {
                        master.push_str(&format!("  -o {{ {} = {} }}\n", n.trim(), v.trim()))
                    }
                    _ => master.push_str(&format!("  -o {o}\n")),
                }
            }
            services.push((name.clone(), p));
        }
        master.push_str(MASTER_CF_BASE);
        master.push_str(&fill(&config.master_cf_extra, values));
        master.push('\n');
        std::fs::write(dir.join("master.cf"), master)?;

        let child = Command::new(POSTFIX)
            .arg("-c")
            .arg(&dir)
            .arg("start-fg")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("stderr.log"))?)
            .spawn()?;
        let mut stop = Command::new(POSTFIX);
        stop.arg("-c").arg(&dir).arg("stop");
        let watchdog_stop = format!("{POSTFIX} -c '{}' stop", dir.display());
        Instance::adopt(Launch {
            name: "postfix",
            port,
            port2: uses_port2.then_some(port2),
            services,
            dir,
            log_path,
            child,
            tempdir,
            stop_command: Some(stop),
            watchdog_stop,
            fatal_marker: Some("fatal:"),
            lock: None,
        })
    }
}
