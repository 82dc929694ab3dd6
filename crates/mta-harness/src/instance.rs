//! A running daemon: its ports, dir and log, stopped and cleaned up on drop.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

/// How long a daemon may take to answer its first banner.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A daemon started by the harness. Dropping it stops the daemon and removes its dir.
pub struct Instance {
    /// The main SMTP listener on 127.0.0.1.
    pub port: u16,
    /// The second listener port (`{PORT2}` in the config), when the config used it.
    pub port2: Option<u16>,
    /// Named extra listeners (Postfix smtpd services with their own `-o` overrides) and
    /// their ports, so one daemon can serve many configs side by side.
    pub services: Vec<(String, u16)>,
    /// The instance dir (config, queue/spool, log).
    pub dir: PathBuf,
    /// The daemon's log file.
    pub log_path: PathBuf,
    pub(crate) child: Option<Child>,
    /// Extra command run before killing the child (e.g. `postfix stop`).
    pub(crate) stop_command: Option<std::process::Command>,
    /// Holds the temp dir until drop.
    pub(crate) _tempdir: Option<tempfile::TempDir>,
    pub(crate) name: &'static str,
    /// A lock serialising daemons that cannot run side by side; held (never read) until drop.
    pub(crate) _lock: Option<std::fs::File>,
    /// A log text that means the daemon will never serve (fail fast instead of waiting).
    pub(crate) fatal_marker: Option<&'static str>,
    /// The watchdog that cleans up if this process dies without dropping the instance.
    pub(crate) watchdog: Option<Child>,
}

/// A fresh instance directory for `mta` (`relayhunt-MTA-XXXX` under the temp dir), world
/// readable so the daemon's unprivileged users can reach their queue below it.
pub(crate) fn workdir(mta: &str) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let tempdir = tempfile::Builder::new()
        .prefix(&format!("relayhunt-{mta}-"))
        .tempdir()?;
    let dir = tempdir.path().to_path_buf();
    crate::ownership::set_mode(&dir, 0o755)?;
    Ok((tempdir, dir))
}

/// A daemon process a start function has just spawned, with everything needed to own it.
pub(crate) struct Launch {
    pub name: &'static str,
    pub port: u16,
    pub port2: Option<u16>,
    pub services: Vec<(String, u16)>,
    pub dir: PathBuf,
    pub log_path: PathBuf,
    pub child: Child,
    pub tempdir: tempfile::TempDir,
    /// Run before killing the child on drop (e.g. `postfix stop`).
    pub stop_command: Option<std::process::Command>,
    /// Shell command the watchdog runs if this test process dies first.
    pub watchdog_stop: String,
    pub fatal_marker: Option<&'static str>,
    pub lock: Option<std::fs::File>,
}

impl Instance {
    /// Take ownership of a started daemon: arm the cleanup watchdog, then wait until each
    /// listener answers. Every daemon goes through here so cleanup and readiness are alike.
    pub(crate) fn adopt(l: Launch) -> anyhow::Result<Instance> {
        let mut instance = Instance {
            port: l.port,
            port2: l.port2,
            services: l.services,
            dir: l.dir,
            log_path: l.log_path,
            child: Some(l.child),
            stop_command: l.stop_command,
            _tempdir: Some(l.tempdir),
            name: l.name,
            _lock: l.lock,
            fatal_marker: l.fatal_marker,
            watchdog: None,
        };
        instance.spawn_watchdog(&l.watchdog_stop);
        instance.wait_ready(l.port)?;
        if let Some(p2) = l.port2 {
            instance.wait_ready(p2)?;
        }
        let extra: Vec<u16> = instance.services.iter().map(|(_, p)| *p).collect();
        for p in extra {
            instance.wait_ready(p)?;
        }
        Ok(instance)
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("mta", &self.name)
            .field("port", &self.port)
            .field("port2", &self.port2)
            .field("dir", &self.dir)
            .finish()
    }
}

impl Instance {
    /// The daemon's log so far (for messages of failed tests).
    pub fn log(&self) -> String {
        let mut out = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        if let Ok(s) = std::fs::read_to_string(self.dir.join("stderr.log")) {
            // Postfix's startup checks complain about the temp dir's owners: not news.
            let s: Vec<&str> = s
                .lines()
                .filter(|l| {
                    !l.contains("not owned by root") && !l.contains("group or other writable")
                })
                .collect();
            if !s.is_empty() {
                out.push_str(&format!("--- stderr\n{}\n", s.join("\n")));
            }
        }
        // Exim writes main and panic logs side by side.
        if let Ok(entries) = std::fs::read_dir(self.dir.join("log")) {
            for e in entries.flatten() {
                if e.path() != self.log_path {
                    if let Ok(s) = std::fs::read_to_string(e.path()) {
                        out.push_str(&format!("--- {}\n{s}", e.path().display()));
                    }
                }
            }
        }
        out
    }

    /// The port of the named service (see `PostfixConfig::with_service`).
    pub fn service_port(&self, name: &str) -> Option<u16> {
        self.services
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| *p)
    }

    /// Socket address of the main listener.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Start a watchdog: if this process dies without dropping the instance (killed, timed
    /// out, or the instance lived in a static), it stops the daemon with `stop` (a shell
    /// command), terminates the daemon process and removes the instance dir.
    pub(crate) fn spawn_watchdog(&mut self, stop: &str) {
        let Some(child) = &self.child else { return };
        let script = format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; \
             kill {child} 2>/dev/null; sleep 2; kill -9 {child} 2>/dev/null; rm -rf '{dir}'",
            parent = std::process::id(),
            child = child.id(),
            dir = self.dir.display()
        );
        self.watchdog = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok();
    }

    /// Wait until `port` answers with a `220` banner, or the child dies, or time runs out.
    pub(crate) fn wait_ready(&mut self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    anyhow::bail!(
                        "{} exited with {status} before answering on 127.0.0.1:{port}; log:\n{}",
                        self.name,
                        self.log()
                    );
                }
            }
            if let Some(marker) = self.fatal_marker {
                let log = self.log();
                if log.contains(marker) {
                    anyhow::bail!(
                        "{} logged a fatal error before answering on 127.0.0.1:{port}; log:\n{log}",
                        self.name
                    );
                }
            }
            if let Ok(banner) = read_banner(port) {
                if banner.starts_with("220") {
                    return Ok(());
                }
                anyhow::bail!(
                    "{} answered on 127.0.0.1:{port} with {banner:?} instead of a 220 banner; log:\n{}",
                    self.name,
                    self.log()
                );
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "{} did not answer on 127.0.0.1:{port} within {READY_TIMEOUT:?}; log:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Connect, read the first reply line and hang up.
fn read_banner(port: u16) -> std::io::Result<String> {
    let stream = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    )?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(stream.take_bounded()).read_line(&mut line)?;
    Ok(line.trim_end().to_string())
}

/// Bound how much of a banner we read.
trait TakeBounded {
    fn take_bounded(self) -> std::io::Take<TcpStream>;
}

impl TakeBounded for TcpStream {
    fn take_bounded(self) -> std::io::Take<TcpStream> {
        std::io::Read::take(self, 4096)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Dropped normally: the watchdog is not needed (and must not act on a pid later).
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let had_stop_command = self.stop_command.is_some();
        if let Some(mut cmd) = self.stop_command.take() {
            // Bounded: a wedged daemon must not hang the test run.
            if let Ok(mut stopper) = cmd
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
            {
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = stopper.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = stopper.kill();
                let _ = stopper.wait();
            }
        }
        if let Some(mut child) = self.child.take() {
            if !had_stop_command {
                terminate(&child);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }
}

/// Send SIGTERM to a child (daemons shut down their own workers on TERM).
pub(crate) fn terminate(child: &Child) {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Start with retries: a port picked free may be taken by a parallel test before the daemon
/// binds it. Other failures are returned at once.
pub(crate) fn start_with_retry(
    mut start: impl FnMut() -> anyhow::Result<Instance>,
) -> anyhow::Result<Instance> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match start() {
            Ok(i) => return Ok(i),
            Err(e) if attempt < 3 && format!("{e:#}").contains("in use") => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Wait for a child that was given all its input, bounded by `limit`; its stdout as text.
pub(crate) fn wait_output(mut child: Child, limit: Duration) -> anyhow::Result<String> {
    use std::io::Read;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(1 << 20).read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("child did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let buf = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader thread panicked"))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
