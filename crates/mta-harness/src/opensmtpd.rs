//! OpenSMTPD instances: `smtpd -d -f CONF` from the unpacked Debian package.
//!
//! OpenSMTPD's spool (`/var/spool/smtpd`) and control socket (`/run/smtpd.sock`) are fixed
//! at compile time, so two daemons would collide. Each instance therefore runs in its own
//! mount namespace (`unshare -m`) with both paths bind-mounted from its temp dir. Where
//! namespaces are not permitted, instances are serialised by a file lock instead.
//!
//! The config's `listen on` lines are rewritten to `127.0.0.1 port PORT` (then `PORT2`,
//! then free ports reported as `Instance::services`, named by the listener's `tag`),
//! keeping their options, and every `action` becomes `relay host smtp://127.0.0.1:SINK`
//! (keeping its name), so the match rules under test decide and nothing leaves the machine.

use crate::instance::{Instance, Launch};
use crate::ownership::set_mode;
use crate::placeholders::{fill, Values};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// An OpenSMTPD config under test.
#[derive(Debug, Clone, Default)]
pub struct OpenSmtpdConfig {
    /// smtpd.conf text (may use `{DIR}`, `{SINK}`, `{PORT}`, `{PORT2}`).
    pub text: String,
    /// Extra files (tables) written into the instance dir.
    pub files: Vec<(String, String)>,
}

impl OpenSmtpdConfig {
    /// A config from smtpd.conf text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            files: Vec::new(),
        }
    }

    /// The mistake: `match from any for any` relays for anyone.
    pub fn open() -> Self {
        Self::text(
            "listen on localhost\n\
             action \"local\" mbox alias <aliases>\n\
             action \"out\" relay\n\
             table aliases { postmaster = root }\n\
             match from any for domain \"relayhunt.test\" action \"local\"\n\
             match from any for any action \"out\"\n",
        )
    }

    /// Debian's default: only local clients relay. Loopback is local, so the prober is
    /// excluded by listing the trusted sources explicitly.
    pub fn closed() -> Self {
        Self::text(
            "listen on localhost\n\
             table trusted { 192.0.2.1 }\n\
             table aliases { postmaster = root }\n\
             action \"local\" mbox alias <aliases>\n\
             action \"out\" relay\n\
             match from any for domain \"relayhunt.test\" action \"local\"\n\
             match from src <trusted> for any action \"out\"\n",
        )
    }

    /// Add a file written into the instance dir.
    pub fn with_file(mut self, name: impl Into<String>, content: impl Into<String>) -> Self {
        self.files.push((name.into(), content.into()));
        self
    }
}

impl From<&str> for OpenSmtpdConfig {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for OpenSmtpdConfig {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

/// The OpenSMTPD daemon (unpacked from opensmtpd).
#[derive(Debug, Clone, Copy)]
pub struct OpenSmtpd;

impl OpenSmtpd {
    /// Path of the unpacked smtpd binary.
    pub fn binary() -> PathBuf {
        crate::mta_root().join("opensmtpd/usr/sbin/smtpd")
    }

    /// True when smtpd is unpacked and its users exist.
    pub fn available() -> bool {
        Self::binary().is_file() && std::path::Path::new("/var/spool/smtpd").is_dir()
    }

    /// Check a config with `smtpd -n` (parse only); returns the daemon's complaint on error.
    pub fn check(config: &str) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let conf = dir.path().join("smtpd.conf");
        std::fs::write(&conf, config)?;
        let out = Command::new(Self::binary())
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "smtpd -n rejected the config: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    }

    /// Start an instance with `config`, relaying everything to `127.0.0.1:sink_port`.
    pub fn start(config: impl Into<OpenSmtpdConfig>, sink_port: u16) -> anyhow::Result<Instance> {
        let config = config.into();
        crate::instance::start_with_retry(|| Self::start_once(&config, sink_port))
    }

    fn start_once(config: &OpenSmtpdConfig, sink_port: u16) -> anyhow::Result<Instance> {
        let lock = if namespaces_work() {
            None
        } else {
            let f = std::fs::File::create(std::env::temp_dir().join("relayhunt-opensmtpd.lock"))?;
            f.lock()?;
            Some(f)
        };
        let (tempdir, dir) = crate::instance::workdir("opensmtpd")?;
        let port = crate::free_port()?;
        let port2 = crate::free_port()?;
        let values = Values {
            dir: &dir,
            sink: sink_port,
            port,
            port2,
        };
        for (name, content) in &config.files {
            std::fs::write(dir.join(name), fill(content, values))?;
            // smtpd refuses a `pki … key` file others can read.
            let mode = if name.ends_with(".key") { 0o600 } else { 0o644 };
            set_mode(&dir.join(name), mode)?;
        }
        let filled = fill(&config.text, values);
        let count = filled
            .lines()
            .filter(|l| l.trim_start().starts_with("listen on"))
            .count();
        let mut ports = vec![port, port2];
        while ports.len() < count {
            ports.push(crate::free_port()?);
        }
        let (text, names) = rewrite(&filled, &ports, sink_port);
        let listeners = names.len();
        // Listeners beyond the second are named services (by their `tag`, if any).
        let services: Vec<(String, u16)> = names
            .into_iter()
            .zip(ports.iter().copied())
            .skip(2)
            .collect();
        let conf = dir.join("smtpd.conf");
        std::fs::write(&conf, text)?;
        set_mode(&conf, 0o644)?;
        let log_path = dir.join("smtpd.log");
        let log = std::fs::File::create(&log_path)?;
        let child = if lock.is_none() {
            for sub in ["run", "spool"] {
                std::fs::create_dir_all(dir.join(sub))?;
            }
            set_mode(&dir.join("spool"), 0o711)?;
            let script = format!(
                "mount --bind '{d}/run' /run && mount --bind '{d}/spool' /var/spool/smtpd && exec '{bin}' -d -f '{conf}'",
                d = dir.display(),
                bin = Self::binary().display(),
                conf = conf.display()
            );
            Command::new("unshare")
                .arg("-m")
                .arg("sh")
                .arg("-c")
                .arg(script)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()?
        } else {
            Command::new(Self::binary())
                .arg("-d")
                .arg("-f")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()?
        };
        Instance::adopt(Launch {
            name: "opensmtpd",
            port,
            port2: (listeners > 1).then_some(port2),
            services,
            dir,
            log_path,
            child,
            tempdir,
            stop_command: None,
            watchdog_stop: "true".into(),
            fatal_marker: None,
            lock,
        })
    }
}

/// Can this process create mount namespaces? (Checked once.)
fn namespaces_work() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        Command::new("unshare")
            .args(["-m", "sh", "-c", "mount --bind /tmp /tmp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Rewrite listeners (the n-th to `ports[n]`) and actions; returns the text and the name of
/// each listener (its `tag`, or `listener-N`).
fn rewrite(text: &str, ports: &[u16], sink: u16) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut names = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let tokens: Vec<&str> = trimmed.split_whitespace().collect();
        if tokens.len() >= 3 && tokens[0] == "listen" && tokens[1] == "on" {
            let p = ports.get(names.len()).copied().unwrap_or(0);
            let tag = tokens
                .iter()
                .position(|t| *t == "tag")
                .and_then(|i| tokens.get(i + 1))
                .map(|t| t.trim_matches('"').to_string());
            names.push(tag.unwrap_or_else(|| format!("listener-{}", names.len() + 1)));
            let mut rest = Vec::new();
            let mut i = 3;
            while i < tokens.len() {
                match tokens[i] {
                    "port" => i += 2,
                    "inet4" | "inet6" => i += 1,
                    t => {
                        rest.push(t);
                        i += 1;
                    }
                }
            }
            out.push_str(&format!(
                "listen on 127.0.0.1 port {p} {}\n",
                rest.join(" ")
            ));
            continue;
        }
        if tokens.len() >= 3 && tokens[0] == "action" {
            out.push_str(&format!(
                "action {} relay host smtp://127.0.0.1:{sink}\n",
                tokens[1]
            ));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    (out, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_pins_listeners_and_actions_to_loopback() {
        let (out, n) = rewrite(
            "listen on eth0 port 25 tls pki mx\nlisten on 0.0.0.0 port 587 auth\n\
             action \"local\" maildir\naction \"out\" relay host smtp://mx.example.net\n\
             match from any for any action \"out\"\n",
            &[2525, 2587],
            2626,
        );
        assert_eq!(n, vec!["listener-1", "listener-2"]);
        assert!(out.contains("listen on 127.0.0.1 port 2525 tls pki mx\n"));
        assert!(out.contains("listen on 127.0.0.1 port 2587 auth\n"));
        assert!(out.contains("action \"local\" relay host smtp://127.0.0.1:2626\n"));
        assert!(!out.contains("mx.example.net"));
        assert!(out.contains("match from any for any action \"out\""));
    }
}
