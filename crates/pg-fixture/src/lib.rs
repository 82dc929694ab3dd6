//! A throwaway PostgreSQL cluster on loopback for the tests: `initdb` into a temporary
//! folder, `pg_ctl start` on a free port with `fsync=off`, stopped and deleted on drop.
//! One crate so that every suite running against PostgreSQL (the store, the web UI's
//! store pages) starts it the same way.
//!
//! `initdb` refuses to run as root, and tests run as root in CI: then the folder is given
//! to the `postgres` user and the server programs run through `runuser -u postgres`.
//! Without PostgreSQL installed the tests skip loudly, unless `RELAYHUNT_REQUIRE_MTAS=1`
//! (set by CI) or `RELAYHUNT_REQUIRE_POSTGRES=1` says it must be there.

use std::path::{Path, PathBuf};
use std::process::Command;

/// True when the environment demands a real PostgreSQL.
pub fn required() -> bool {
    ["RELAYHUNT_REQUIRE_MTAS", "RELAYHUNT_REQUIRE_POSTGRES"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| v == "1" || v == "true"))
}

/// The newest `/usr/lib/postgresql/N/bin`, or `PG_BIN`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

/// True when the process runs as root (PostgreSQL and Chromium both refuse or need care
/// then: initdb must drop to another user, Chromium needs `--no-sandbox`).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A running cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    /// The port it listens on (127.0.0.1 only).
    pub port: u16,
}

fn run(as_postgres: bool, program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .env_remove("PGDATA")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Cluster {
    /// Start a cluster, or `None` (after saying why) when PostgreSQL is not installed and
    /// not [`required`].
    pub fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            let why = "PostgreSQL server programs not found (/usr/lib/postgresql/*/bin; \
                       install Debian's `postgresql` or run scripts/install-test-deps.sh)";
            assert!(!required(), "{why}");
            eprintln!("SKIPPED: {why}");
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("relayhunt-pg-")
            .tempdir()
            .expect("temporary folder");
        if as_postgres {
            let st = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(
                st.success(),
                "chown postgres {} failed",
                dir.path().display()
            );
        }
        let data = dir.path().join("data");
        let out = run(
            as_postgres,
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A port can be taken between choosing and binding it: try a few.
        for _ in 0..5 {
            let port = free_port();
            let opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off",
                dir.path().display()
            );
            let log = dir.path().join("log");
            let out = run(
                as_postgres,
                &bin.join("pg_ctl"),
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-l",
                    log.to_str().unwrap(),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &opts,
                    "start",
                ],
            );
            if out.status.success() {
                return Some(Cluster {
                    dir,
                    bin,
                    as_postgres,
                    port,
                });
            }
            eprintln!(
                "pg_ctl start on port {port} failed: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start");
    }

    /// Create database `name` and return its URL.
    pub fn database(&self, name: &str) -> String {
        let out = run(
            false,
            &self.bin.join("createdb"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ],
        );
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = run(
            self.as_postgres,
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap_or(""),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
