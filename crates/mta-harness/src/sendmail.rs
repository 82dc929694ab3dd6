//! Sendmail instances: a sendmail.cf built with m4 from the unpacked sendmail-cf, run with
//! `sendmail -C CF -bD` (foreground daemon) from the unpacked sendmail-bin.
//!
//! The caller gives the `.mc` lines that matter (FEATUREs, defines) and optionally the
//! access and relay-domains text; the harness adds paths into the temp dir, a listener on
//! 127.0.0.1, `SMART_HOST` to `[127.0.0.1]` with the sink port, name lookups from files only
//! (no DNS), no default MSA listener (it would bind port 587 on every interface), and
//! `accept_unresolvable_domains` (there is no DNS to resolve sender domains). The temp dir
//! lives under world-writable /tmp, where Sendmail ignores class files and maps unless told
//! (`DontBlameSendmail=ClassFileInUnsafeDirPath,MapInUnsafeDirPath`).
//! Sendmail sleeps when it cannot qualify the host name, so the daemon runs in its own UTS
//! namespace (`unshare -u`) with a qualified one.
//!
//! Sendmail always trusts a client at 127.0.0.1 ("originated locally" in `Relay_ok`): tests
//! that need a stranger connect from another loopback address such as 127.0.0.2.

use crate::instance::{Instance, Launch};
use crate::ownership::set_mode;
use crate::placeholders::{fill, Values};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A Sendmail config under test.
#[derive(Debug, Clone, Default)]
pub struct SendmailConfig {
    /// `.mc` lines (FEATURE, define, …), placed before the MAILER lines.
    pub mc: String,
    /// Access-db source text (`Connect:… RELAY`), compiled with makemap.
    pub access: Option<String>,
    /// relay-domains file text.
    pub relay_domains: Option<String>,
}

impl SendmailConfig {
    /// A config from .mc lines.
    pub fn mc(text: impl Into<String>) -> Self {
        Self {
            mc: text.into(),
            ..Self::default()
        }
    }

    /// With access-db source text.
    pub fn with_access(mut self, text: impl Into<String>) -> Self {
        self.access = Some(text.into());
        self
    }

    /// With relay-domains text.
    pub fn with_relay_domains(mut self, text: impl Into<String>) -> Self {
        self.relay_domains = Some(text.into());
        self
    }
}

impl From<&str> for SendmailConfig {
    fn from(text: &str) -> Self {
        Self::mc(text)
    }
}

/// The Sendmail daemon (unpacked from sendmail-bin and sendmail-cf).
#[derive(Debug, Clone, Copy)]
pub struct Sendmail;

impl Sendmail {
    fn root() -> PathBuf {
        crate::mta_root().join("sendmail")
    }

    /// Path of the unpacked sendmail binary.
    pub fn binary() -> PathBuf {
        Self::root().join("usr/libexec/sendmail/sendmail")
    }

    /// True when sendmail, its cf files, makemap and m4 are present.
    pub fn available() -> bool {
        Self::binary().is_file()
            && Self::root()
                .join("usr/share/sendmail/cf/m4/cf.m4")
                .is_file()
            && Self::root().join("usr/sbin/makemap").is_file()
            && std::path::Path::new("/usr/bin/m4").is_file()
    }

    /// Start an instance with `config`, relaying everything to `127.0.0.1:sink_port`.
    pub fn start(config: impl Into<SendmailConfig>, sink_port: u16) -> anyhow::Result<Instance> {
        let config = config.into();
        crate::instance::start_with_retry(|| Self::start_once(&config, sink_port))
    }

    fn start_once(config: &SendmailConfig, sink_port: u16) -> anyhow::Result<Instance> {
        let (tempdir, dir) = crate::instance::workdir("sendmail")?;
        let port = crate::free_port()?;
        let values = Values {
            dir: &dir,
            sink: sink_port,
            port,
            port2: 0,
        };
        let d = dir.display().to_string();
        std::fs::create_dir_all(dir.join("mqueue"))?;
        set_mode(&dir.join("mqueue"), 0o700)?;
        std::fs::write(dir.join("service.switch"), "hosts files\naliases files\n")?;
        let cf_dir = Self::root().join("usr/share/sendmail/cf");
        let mut mc = format!(
            "divert(-1)dnl\ndivert(0)dnl\ninclude(`{cf}/m4/cf.m4')dnl\nOSTYPE(`linux')dnl\n\
             define(`confDOMAIN_NAME', `relayhunt-sendmail-{port}.test')dnl\n\
             define(`confSERVICE_SWITCH_FILE', `{d}/service.switch')dnl\n\
             define(`confDONT_PROBE_INTERFACES', `True')dnl\n\
             define(`QUEUE_DIR', `{d}/mqueue')dnl\n\
             define(`STATUS_FILE', `{d}/sendmail.st')dnl\n\
             define(`confPID_FILE', `{d}/sendmail.pid')dnl\n\
             define(`ALIAS_FILE', `')dnl\n\
             define(`confHELP_FILE', `')dnl\n\
             define(`confCR_FILE', `-o {d}/relay-domains')dnl\n\
             define(`SMART_HOST', `esmtp:[127.0.0.1]')dnl\n\
             define(`ESMTP_MAILER_ARGS', `TCP $h {sink_port}')dnl\n\
             define(`RELAY_MAILER_ARGS', `TCP $h {sink_port}')dnl\n\
             define(`SMTP_MAILER_ARGS', `TCP $h {sink_port}')dnl\n\
             DAEMON_OPTIONS(`Family=inet, Name=MTA-v4, Addr=127.0.0.1, Port={port}')dnl\n\
             FEATURE(`accept_unresolvable_domains')dnl\n\
             FEATURE(`no_default_msa')dnl\n\
             define(`confDONT_BLAME_SENDMAIL', `ClassFileInUnsafeDirPath,MapInUnsafeDirPath,GroupWritableDirPathSafe')dnl\n",
            cf = cf_dir.display()
        );
        if config.access.is_some() {
            mc.push_str(&format!(
                "FEATURE(`access_db', `hash -T<TMPF> -o {d}/access')dnl\n"
            ));
        }
        std::fs::write(
            dir.join("relay-domains"),
            config
                .relay_domains
                .as_deref()
                .map(|t| fill(t, values))
                .unwrap_or_default(),
        )?;
        mc.push_str(&fill(&config.mc, values));
        mc.push_str("\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n");
        std::fs::write(dir.join("sendmail.mc"), &mc)?;
        let cf = Command::new("m4")
            .arg(format!("-D_CF_DIR_={}/", cf_dir.display()))
            .arg(dir.join("sendmail.mc"))
            .stderr(Stdio::null())
            .output()?;
        anyhow::ensure!(!cf.stdout.is_empty(), "m4 produced no sendmail.cf");
        std::fs::write(dir.join("sendmail.cf"), &cf.stdout)?;
        set_mode(&dir.join("sendmail.cf"), 0o644)?;
        if let Some(access) = &config.access {
            std::fs::write(dir.join("access"), fill(access, values))?;
            let status = Command::new(Self::root().join("usr/sbin/makemap"))
                .arg("-C")
                .arg(dir.join("sendmail.cf"))
                .arg("hash")
                .arg(dir.join("access"))
                .stdin(std::fs::File::open(dir.join("access"))?)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            anyhow::ensure!(status.success(), "makemap hash {}/access failed", d);
        }
        let log_path = dir.join("sendmail.log");
        let log = std::fs::File::create(&log_path)?;
        let script = format!(
            "hostname relayhunt-sendmail-{port}.test && exec '{bin}' -C '{d}/sendmail.cf' -bD -q30m",
            bin = Self::binary().display()
        );
        let child = Command::new("unshare")
            .arg("-u")
            .arg("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        Instance::adopt(Launch {
            name: "sendmail",
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
