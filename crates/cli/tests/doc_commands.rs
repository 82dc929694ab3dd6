//! Every `relayhunt …` command line shown in README.md and docs/*.md still works.
//!
//! Extraction, by rule:
//! - In fenced code blocks, a line is a command when it starts with `relayhunt ` (after an
//!   optional `$ ` prompt) or pipes into one (`… | relayhunt …`); a trailing `\` joins the
//!   next line. Other lines in the block are output and ignored.
//! - Inline code spans that start with `relayhunt ` (also across a line break) are commands
//!   too, but only parsed: prose shows them out of context (`relayhunt analyze --json
//!   good.eml missing.eml`). Prose may name a command or mode without its operands
//!   (`relayhunt whois --json`): then only its flags are checked.
//! - A synopsis (`relayhunt audit PATH [--mta postfix|exim] [--json | --sarif]`) is not run;
//!   every `--flag` it names must exist.
//!
//! Every command's arguments go through the real clap parser of the binary: a flag that
//! was renamed or removed fails here. Then each code-block command runs, in a scratch
//! folder, inside a network namespace that holds nothing but loopback, and must exit 0 or 1
//! (2 is a usage or input error). The namespace is what keeps a mis-marked line from ever
//! reaching the network: it fails instead.
//!
//! Marks, written at the end of the line's shell comment, say why a line is not run:
//! - `[network]`: needs the internet (real hosts, registries, your SMTP server).
//! - `[your data]`: needs the reader's own files or tools (`/etc/postfix`, `pbpaste`).
//!
//! A line ending in `&`, or marked `[server]`, is a server: it is started in the background
//! for the rest of its code block (so a following `probe 127.0.0.1:…` line has something
//! to talk to) and stopped at the block's end.
//!
//! The scratch folder holds stand-ins for the file names the docs use, built from the
//! bundled samples and test data: `suspicious.eml`, `msg.eml` (the seed relay message),
//! `spam.mbox`, `big.mbox`, `~/mail/spam.mbox` (all samples as one mbox), `~/Maildir/.Junk`
//! (a maildir; `HOME` is the scratch folder), `mail.conf` (the settings example of
//! docs/analyze-json.md), `deploy/postfix` (the seed's open Postfix config) and `samples/`. Owner lookups are pointed at closed loopback ports
//! (`RELAYHUNT_RDAP_BOOTSTRAP`, `RELAYHUNT_WHOIS_ROOT`), and the reporter identity comes
//! from a scratch `report.conf`.

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)]
#[path = "../src/main.rs"]
mod binary;

const BIN: &str = env!("CARGO_BIN_EXE_relayhunt");
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// Longest a documented command may run (seconds).
const LINE_TIMEOUT: u32 = 60;

#[derive(Debug, Clone, PartialEq)]
enum Mark {
    /// Runs, and must exit 0 or 1.
    Run,
    /// Started in the background for the rest of its block.
    Server,
    /// Parsed only: needs the network.
    Network,
    /// Parsed only: needs the reader's files or tools.
    YourData,
    /// Parsed only: shown inline in prose.
    Inline,
    /// Flags checked only.
    Synopsis,
}

#[derive(Debug, Clone)]
struct DocLine {
    file: String,
    line: usize,
    /// Code block number within the file (commands of one block share one shell).
    block: usize,
    /// The shell text, comment removed.
    shell: String,
    mark: Mark,
}

impl DocLine {
    fn at(&self) -> String {
        format!("{}:{}: {}", self.file, self.line, self.shell)
    }
}

fn doc_files() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The shell part and the comment of a line (a `#` outside quotes that starts a word).
fn split_comment(line: &str) -> (&str, &str) {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => {
                return (line[..i].trim_end(), &line[i + 1..]);
            }
            _ => {}
        }
        prev = c;
    }
    (line.trim_end(), "")
}

fn is_command(shell: &str) -> bool {
    shell.starts_with("relayhunt ") || shell == "relayhunt" || shell.contains("| relayhunt ")
}

fn is_synopsis(shell: &str) -> bool {
    shell.contains("[--") || shell.contains("…")
}

/// The inline `relayhunt …` spans of a paragraph (its lines with their numbers); a span
/// may run over a line break.
fn inline_spans(file: &str, block: usize, para: &[(usize, &str)], out: &mut Vec<DocLine>) {
    let Some(&(first, _)) = para.first() else {
        return;
    };
    let text = para.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
    let mut at = 0;
    for (i, piece) in text.split('`').enumerate() {
        let line = first + text[..at].matches('\n').count();
        at += piece.len() + 1;
        let span = piece.replace('\n', " ");
        if i % 2 == 0 || !span.starts_with("relayhunt ") {
            continue;
        }
        let mark = if is_synopsis(&span) {
            Mark::Synopsis
        } else {
            Mark::Inline
        };
        out.push(DocLine {
            file: file.to_string(),
            line,
            block,
            shell: span,
            mark,
        });
    }
}

fn extract(file: &Path) -> Vec<DocLine> {
    let name = file
        .strip_prefix(ROOT)
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let (mut in_block, mut block) = (false, 0);
    let mut pending: Option<(usize, String, String)> = None;
    let mut para: Vec<(usize, &str)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let n = n + 1;
        if raw.trim_start().starts_with("```") {
            inline_spans(&name, block, &para, &mut out);
            para.clear();
            in_block = !in_block;
            block += 1;
            continue;
        }
        if !in_block {
            if raw.trim().is_empty() {
                inline_spans(&name, block, &para, &mut out);
                para.clear();
            } else {
                para.push((n, raw));
            }
            continue;
        }
        let (shell, comment) = split_comment(raw.trim());
        let (start, mut shell, mut comment) = match pending.take() {
            Some((start, s, c)) => (start, format!("{s} {}", shell.trim()), c + comment),
            None => {
                let s = shell.strip_prefix("$ ").unwrap_or(shell);
                if !is_command(s) {
                    continue;
                }
                (n, s.to_string(), comment.to_string())
            }
        };
        if let Some(s) = shell.strip_suffix('\\') {
            pending = Some((start, s.trim_end().to_string(), comment));
            continue;
        }
        let mut mark = if is_synopsis(&shell) {
            Mark::Synopsis
        } else if comment.contains("[network]") {
            Mark::Network
        } else if comment.contains("[your data]") {
            Mark::YourData
        } else if comment.contains("[server]") {
            Mark::Server
        } else {
            Mark::Run
        };
        if let Some(s) = shell.strip_suffix('&') {
            shell = s.trim_end().to_string();
            if mark == Mark::Run {
                mark = Mark::Server;
            }
        }
        comment.clear();
        out.push(DocLine {
            file: name.clone(),
            line: start,
            block,
            shell,
            mark,
        });
    }
    inline_spans(&name, block, &para, &mut out);
    out
}

fn all_lines() -> Vec<DocLine> {
    doc_files().iter().flat_map(|f| extract(f)).collect()
}

/// The words of the `relayhunt` command in a shell line (pipes and redirections cut).
fn argv(shell: &str) -> Result<Vec<String>, String> {
    let from = shell.find("relayhunt").ok_or("no relayhunt command")?;
    let words = shlex::split(&shell[from..]).ok_or("unbalanced quotes")?;
    Ok(words
        .into_iter()
        .take_while(|w| !matches!(w.as_str(), "|" | ">" | ">>" | "<" | "&" | "&&" | ";" | "2>"))
        .collect())
}

/// Every `--flag` a synopsis names exists on its subcommand.
fn check_synopsis(l: &DocLine) -> Result<(), String> {
    use clap::CommandFactory;
    let words: Vec<&str> = l.shell.split_whitespace().collect();
    let mut cmd = binary::Cli::command();
    let mut sub = &mut cmd;
    for w in &words[1..] {
        if sub.find_subcommand(w).is_some() {
            sub = sub.find_subcommand_mut(w).unwrap();
        } else {
            break;
        }
    }
    sub.build();
    let longs: Vec<String> = sub
        .get_arguments()
        .flat_map(|a| {
            a.get_long_and_visible_aliases()
                .unwrap_or_default()
                .into_iter()
                .map(str::to_string)
        })
        .collect();
    for flag in l
        .shell
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|w| w.strip_prefix("--"))
    {
        if !longs.iter().any(|f| f == flag) {
            return Err(format!("--{flag} is not a flag of `{}`", sub.get_name()));
        }
    }
    Ok(())
}

fn parse(l: &DocLine) -> Result<(), String> {
    if l.mark == Mark::Synopsis {
        return check_synopsis(l);
    }
    let words = argv(&l.shell)?;
    match binary::Cli::try_parse_from(&words) {
        Ok(_) => Ok(()),
        // Prose names a command or a mode without its operands (`relayhunt whois --json`):
        // the flags it shows must still exist.
        Err(e)
            if l.mark == Mark::Inline
                && e.kind() == clap::error::ErrorKind::MissingRequiredArgument =>
        {
            check_synopsis(l)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// clap's own consistency checks (unique argument and group names, valid conflicts) on the
/// whole command tree: a clash otherwise shows only when that subcommand is run.
#[test]
fn the_command_tree_passes_clap_s_checks() {
    use clap::CommandFactory;
    binary::Cli::command().debug_assert();
}

#[test]
fn the_docs_show_commands_and_every_one_parses() {
    let lines = all_lines();
    assert!(
        lines.iter().filter(|l| l.mark == Mark::Run).count() >= 5,
        "too few runnable commands found: {lines:#?}"
    );
    let errors: Vec<String> = lines
        .iter()
        .filter_map(|l| parse(l).err().map(|e| format!("{}\n    {e}", l.at())))
        .collect();
    assert!(
        errors.is_empty(),
        "{} documented command line(s) no longer parse:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn the_extraction_rules_hold_on_a_known_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.md");
    std::fs::write(
        &page,
        "Run `relayhunt whois 192.0.2.1` or `relayhunt x [--json | --format F]`.\n\
         ```sh\n\
         $ relayhunt analyze a.eml   # one\n\
         output line mentioning relayhunt analyze\n\
         cat x | relayhunt audit - --json   # piped [your data]\n\
         relayhunt probe mail.example.org \\\n    --json   # [network]\n\
         relayhunt canary listen --port 2526 &\n\
         ```\n\
         \n\
         The `relayhunt whois --json` mode and `relayhunt analyze\n\
         --no-such-flag x.eml` across a line break.\n",
    )
    .unwrap();
    let got: Vec<(usize, String, Mark)> = extract(&page)
        .into_iter()
        .map(|l| (l.line, l.shell, l.mark))
        .collect();
    assert_eq!(
        got,
        [
            (1, "relayhunt whois 192.0.2.1".into(), Mark::Inline),
            (
                1,
                "relayhunt x [--json | --format F]".into(),
                Mark::Synopsis
            ),
            (3, "relayhunt analyze a.eml".into(), Mark::Run),
            (5, "cat x | relayhunt audit - --json".into(), Mark::YourData),
            (
                6,
                "relayhunt probe mail.example.org --json".into(),
                Mark::Network
            ),
            (
                8,
                "relayhunt canary listen --port 2526".into(),
                Mark::Server
            ),
            (11, "relayhunt whois --json".into(), Mark::Inline),
            (
                11,
                "relayhunt analyze --no-such-flag x.eml".into(),
                Mark::Inline
            ),
        ]
    );
    let lines = extract(&page);
    // A mode named without its operands passes on its flags; a wrong flag fails.
    assert_eq!(parse(&lines[6]), Ok(()));
    assert!(parse(&lines[7]).is_err());
    let missing_flag = DocLine {
        shell: "relayhunt whois --no-such-flag".into(),
        ..lines[6].clone()
    };
    assert!(parse(&missing_flag).is_err());
    assert_eq!(
        argv("cat x | relayhunt audit - --sarif > out.sarif").unwrap(),
        ["relayhunt", "audit", "-", "--sarif"]
    );
    // A renamed flag is caught.
    let bad = DocLine {
        file: "page.md".into(),
        line: 1,
        block: 0,
        shell: "relayhunt probe 127.0.0.1 --no-such-flag".into(),
        mark: Mark::Run,
    };
    assert!(parse(&bad).is_err());
}

/// `unshare` arguments that give a network namespace with only loopback, if this machine
/// allows one.
fn namespace() -> Option<Vec<&'static str>> {
    [&["-rn"][..], &["-n"][..]].into_iter().find_map(|args| {
        Command::new("unshare")
            .args(args)
            .args(["sh", "-c", "ip link set lo up"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| args.to_vec())
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The scratch folder with the stand-ins the module documentation lists.
fn scratch(dir: &Path) {
    let root = Path::new(ROOT);
    let samples = root.join("samples");
    copy_dir(&samples, &dir.join("samples"));
    let seed = samples.join("seed-relay.eml");
    for name in ["suspicious.eml", "msg.eml"] {
        std::fs::copy(&seed, dir.join(name)).unwrap();
    }
    let mut mbox = Vec::new();
    let mut emls: Vec<PathBuf> = std::fs::read_dir(&samples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    emls.sort();
    for p in &emls {
        relayhunt_analyze::input::mbox::write_message(
            &mut mbox,
            &std::fs::read(p).unwrap(),
            "MAILER-DAEMON",
            "Mon Jan  1 00:00:00 2024",
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.join("mail")).unwrap();
    for name in ["spam.mbox", "big.mbox", "mail/spam.mbox"] {
        std::fs::write(dir.join(name), &mbox).unwrap();
    }
    // The analyzer settings example of docs/analyze-json.md.
    std::fs::write(
        dir.join("mail.conf"),
        "[analyze]\nmx_hosts = [\"*.mx.example.org\", \"198.51.100.0/28\"]\n\
         forwarders = [\"*.alumni.example.edu\"]\nlist_servers = [\"lists.example.net\"]\n\
         trusted_authserv_ids = [\"mx.example.org\"]\n",
    )
    .unwrap();
    let junk = dir.join("Maildir/.Junk");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(junk.join(sub)).unwrap();
    }
    for (i, p) in emls.iter().enumerate() {
        std::fs::copy(p, junk.join(format!("cur/{i}.relayhunt:2,S"))).unwrap();
    }
    copy_dir(
        &root.join("crates/audit/tests/data/postfix/seed-open"),
        &dir.join("deploy/postfix"),
    );
    // Every registry behind a closed loopback port: a lookup fails at once, offline.
    let boot = dir.join("rdap-bootstrap");
    std::fs::create_dir_all(&boot).unwrap();
    for (file, space) in [
        ("ipv4.json", r#"["0.0.0.0/0"]"#),
        ("ipv6.json", r#"["::/0"]"#),
        ("dns.json", r#"["com","org","net","test","example"]"#),
    ] {
        std::fs::write(
            boot.join(file),
            format!(
                r#"{{"version":"1.0","publication":"2024-01-01T00:00:00Z","services":[[{space},["http://127.0.0.1:9/"]]]}}"#
            ),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("report.conf"),
        "reporter_email = abuse-desk@example.org\nsmtp_host = 127.0.0.1\nsmtp_port = 9\n",
    )
    .unwrap();
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// One shell script per code block: servers in the background, each command under a
/// timeout with its output and exit status in numbered files.
fn block_script(lines: &[&DocLine]) -> String {
    let mut s = String::from("ip link set lo up 2>/dev/null\n");
    for (i, l) in lines.iter().enumerate() {
        match l.mark {
            Mark::Server => s.push_str(&format!(
                "timeout {LINE_TIMEOUT} sh -c {} >bg.{i}.out 2>&1 </dev/null &\nservers=\"$servers $!\"\nsleep 1\n",
                quote(&l.shell)
            )),
            Mark::Run => s.push_str(&format!(
                "timeout {LINE_TIMEOUT} sh -c {} >out.{i} 2>err.{i} </dev/null; echo $? >rc.{i}\n",
                quote(&l.shell)
            )),
            _ => {}
        }
    }
    s.push_str("[ -n \"$servers\" ] && kill $servers 2>/dev/null\nwait\n");
    s
}

#[test]
fn documented_commands_run_offline_without_usage_errors() {
    let Some(ns) = namespace() else {
        let why = "no network namespace (`unshare -rn` / `unshare -n` refused)";
        assert!(
            std::env::var("RELAYHUNT_REQUIRE_NETNS").as_deref() != Ok("1"),
            "{why} but RELAYHUNT_REQUIRE_NETNS=1"
        );
        eprintln!("skipped: documented commands not run: {why}");
        return;
    };
    let lines = all_lines();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut blocks: Vec<(String, usize)> = lines
        .iter()
        .filter(|l| matches!(l.mark, Mark::Run | Mark::Server))
        .map(|l| (l.file.clone(), l.block))
        .collect();
    blocks.dedup();
    for (file, block) in blocks {
        let these: Vec<&DocLine> = lines
            .iter()
            .filter(|l| l.file == file && l.block == block)
            .filter(|l| matches!(l.mark, Mark::Run | Mark::Server))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        scratch(dir.path());
        std::fs::write(dir.path().join("block.sh"), block_script(&these)).unwrap();
        let started = std::time::Instant::now();
        let status = Command::new("unshare")
            .args(&ns)
            .args(["sh", "block.sh"])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("HOME", dir.path())
            .env("NO_COLOR", "1")
            .env(
                "RELAYHUNT_RDAP_BOOTSTRAP",
                dir.path().join("rdap-bootstrap"),
            )
            .env("RELAYHUNT_RDAP_ALLOW_HTTP", "true")
            .env("RELAYHUNT_WHOIS_ROOT", "127.0.0.1:9")
            .env("RELAYHUNT_CACHE_DIR", dir.path().join("cache"))
            .env("RELAYHUNT_CONFIG", dir.path().join("report.conf"))
            .status()
            .unwrap();
        assert!(status.success(), "{file} block {block}: the shell failed");
        eprintln!(
            "{file} block {block}: {} line(s) in {:.1?}",
            these.len(),
            started.elapsed()
        );
        for (i, l) in these.iter().enumerate() {
            if l.mark != Mark::Run {
                continue;
            }
            ran += 1;
            let read = |f: String| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
            let rc = read(format!("rc.{i}"));
            let rc: i32 = rc.trim().parse().unwrap_or(-1);
            if !matches!(rc, 0 | 1) {
                failures.push(format!(
                    "{}\n    exit {rc}{}; stderr: {}\n    (runs offline on loopback only; mark it [network] or [your data] if it cannot)",
                    l.at(),
                    if rc == 124 { " (timed out)" } else { "" },
                    read(format!("err.{i}")).trim()
                ));
            }
        }
    }
    eprintln!("ran {ran} documented commands");
    assert!(ran >= 5, "only {ran} documented commands ran");
    assert!(
        failures.is_empty(),
        "{} documented command(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
