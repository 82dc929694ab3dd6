//! The verdict evaluation: hand-labelled corpus messages and every ham message of the
//! shared corpus, run through the engine, scored.
//!
//! Labels live in `tests/data/verdict/labels.tsv` (path under the shared folder, class,
//! relay IP for open relays, one-line why). They were written by reading each message's
//! headers, never from the analyzer's output. The ham set is every message of the corpus
//! folders whose publishers marked them as legitimate mail (SpamAssassin's easy and hard
//! ham, SpamAssassin's "nice" test messages). Used by the `verdict-eval` binary (figures for
//! BENCHMARKS.md) and by `tests/verdict_eval.rs` (the thresholds, so they cannot regress).

use crate::input::{Inputs, ReadOptions};
use crate::report::VerdictKind;
use crate::{Config, Limits, Message};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// What a labelled message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Relayed by a server that accepts mail from anyone.
    OpenRelay,
    /// Relayed by an ISP's or hoster's smarthost for its own customer (no login trace).
    CustomerSmarthost,
    /// Relayed by a mailbox provider, ESP or filtering service for its own customer.
    ProviderRelay,
    /// Sent through an account that logged in (stolen or abused credentials).
    AuthenticatedAbuse,
    /// Passed on by a forwarder for the recipient.
    Forwarder,
    /// Passed on by a mailing list.
    List,
    /// Sent straight from its origin to the recipient's infrastructure.
    Direct,
}

impl Class {
    /// Parse the label column.
    pub fn parse(s: &str) -> Option<Class> {
        Some(match s {
            "open_relay" => Class::OpenRelay,
            "customer_smarthost" => Class::CustomerSmarthost,
            "provider_relay" => Class::ProviderRelay,
            "authenticated_abuse" => Class::AuthenticatedAbuse,
            "forwarder" => Class::Forwarder,
            "list" => Class::List,
            "direct" => Class::Direct,
            _ => return None,
        })
    }

    /// The label column's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::OpenRelay => "open_relay",
            Class::CustomerSmarthost => "customer_smarthost",
            Class::ProviderRelay => "provider_relay",
            Class::AuthenticatedAbuse => "authenticated_abuse",
            Class::Forwarder => "forwarder",
            Class::List => "list",
            Class::Direct => "direct",
        }
    }
}

/// One labelled message.
#[derive(Debug, Clone)]
pub struct Label {
    /// Path under the shared folder.
    pub path: String,
    /// Class.
    pub class: Class,
    /// The relay's IP for open relays.
    pub relay_ip: Option<IpAddr>,
    /// Why, in one line.
    pub why: String,
}

/// Parse the labels file; errors name the line.
pub fn parse_labels(text: &str) -> Result<Vec<Label>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, class, ip, why] = cols[..] else {
            return Err(format!(
                "labels line {}: expected 4 tab-separated columns (path, class, relay IP or -, why), got {}",
                i + 1,
                cols.len()
            ));
        };
        let class = Class::parse(class)
            .ok_or_else(|| format!("labels line {}: unknown class {class:?}", i + 1))?;
        let relay_ip = match ip {
            "-" => None,
            s => Some(
                s.parse()
                    .map_err(|_| format!("labels line {}: bad relay IP {s:?}", i + 1))?,
            ),
        };
        if class == Class::OpenRelay && relay_ip.is_none() {
            return Err(format!("labels line {}: an open relay needs its IP", i + 1));
        }
        if why.trim().len() < 20 {
            return Err(format!(
                "labels line {}: the why is missing or too short",
                i + 1
            ));
        }
        out.push(Label {
            path: path.to_string(),
            class,
            relay_ip,
            why: why.to_string(),
        });
    }
    Ok(out)
}

/// The trust configuration of the corpus mailboxes' owner
/// (`tests/data/verdict/mailbox-owner.conf`): their own MX hosts, as an analyst reading that
/// mailbox sets them once with `--config`.
pub fn mailbox_owner_config() -> Config {
    let file =
        crate::cli::FileSettings::parse(include_str!("../tests/data/verdict/mailbox-owner.conf"))
            .unwrap_or_else(|(line, e)| panic!("mailbox-owner.conf line {line}: {e}"));
    Config {
        trusted: file.trusted,
        mx_hosts: file.mx_hosts,
        forwarders: file.forwarders,
        list_servers: file.list_servers,
        ..Config::default()
    }
}

/// The labels shipped with the crate.
pub fn bundled_labels() -> Vec<Label> {
    parse_labels(include_str!("../tests/data/verdict/labels.tsv"))
        .unwrap_or_else(|e| panic!("tests/data/verdict/labels.tsv: {e}"))
}

/// `../shared` next to the repository (overridable with `RELAYHUNT_SHARED`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("RELAYHUNT_SHARED").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
        PathBuf::from,
    )
}

/// The ham folders of the corpus, relative to the shared folder.
pub const HAM_FOLDERS: &[&str] = &[
    "corpus/spamassassin_public/easy_ham",
    "corpus/spamassassin_public/easy_ham_2",
    "corpus/spamassassin_public/hard_ham",
    "corpus/spamassassin_public/hard_ham_2",
    "corpus/spamassassin_tdata/nice",
];

/// Every file of a folder, sorted.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

/// Analyse every message in a file (a single message, or an mbox) as the CLI would.
pub fn analyze_file(path: &Path, cfg: &Config) -> Vec<crate::Report> {
    let limits = Limits::default();
    Inputs::new(
        [path.to_string_lossy().into_owned()],
        ReadOptions::default(),
    )
    .filter_map(Result::ok)
    .filter_map(|m| {
        let msg = Message::parse(&m.bytes, &limits).ok()?;
        Some(crate::engine::analyze(&msg, cfg))
    })
    .collect()
}

/// One labelled message's outcome.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The label.
    pub label: Label,
    /// The verdict given.
    pub verdict: Option<VerdictKind>,
    /// The relay IP named.
    pub relay_ip: Option<IpAddr>,
}

impl Scored {
    /// Called an open relay.
    pub fn called_open(&self) -> bool {
        self.verdict == Some(VerdictKind::OpenRelaySuspected)
    }
}

/// Ham figures for one folder.
#[derive(Debug, Clone, Default)]
pub struct HamFolder {
    /// Folder.
    pub folder: String,
    /// Messages analysed.
    pub messages: usize,
    /// Of those, called `open_relay_suspected`.
    pub open_relay: usize,
    /// Paths called open relay.
    pub flagged: Vec<String>,
}

/// All figures.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Per labelled message.
    pub scored: Vec<Scored>,
    /// Per ham folder.
    pub ham: Vec<HamFolder>,
}

impl Figures {
    /// Open relays in the labelled set.
    pub fn open_relays(&self) -> usize {
        self.scored
            .iter()
            .filter(|s| s.label.class == Class::OpenRelay)
            .count()
    }

    /// Open relays called open relay.
    pub fn true_positives(&self) -> usize {
        self.scored
            .iter()
            .filter(|s| s.label.class == Class::OpenRelay && s.called_open())
            .count()
    }

    /// Non-open-relays called open relay.
    pub fn false_positives(&self) -> usize {
        self.scored
            .iter()
            .filter(|s| s.label.class != Class::OpenRelay && s.called_open())
            .count()
    }

    /// Precision of `open_relay_suspected` on the labelled set.
    pub fn precision(&self) -> f64 {
        let called = self.true_positives() + self.false_positives();
        if called == 0 {
            1.0
        } else {
            self.true_positives() as f64 / called as f64
        }
    }

    /// Recall of `open_relay_suspected` on the labelled open relays.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives(), self.open_relays())
    }

    /// Open relays whose named relay IP is the labelled one (whatever the verdict).
    pub fn relay_ip_exact(&self) -> usize {
        self.scored
            .iter()
            .filter(|s| s.label.class == Class::OpenRelay && s.relay_ip == s.label.relay_ip)
            .count()
    }

    /// Authenticated-abuse, provider-relay or direct messages called open relay.
    pub fn forbidden_calls(&self) -> Vec<&Scored> {
        self.scored
            .iter()
            .filter(|s| {
                matches!(
                    s.label.class,
                    Class::AuthenticatedAbuse | Class::ProviderRelay | Class::Direct
                ) && s.called_open()
            })
            .collect()
    }

    /// Ham messages analysed.
    pub fn ham_messages(&self) -> usize {
        self.ham.iter().map(|h| h.messages).sum()
    }

    /// Ham messages called open relay.
    pub fn ham_open_relay(&self) -> usize {
        self.ham.iter().map(|h| h.open_relay).sum()
    }

    /// Share of ham called open relay.
    pub fn ham_rate(&self) -> f64 {
        ratio(self.ham_open_relay(), self.ham_messages())
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Score the labels and the ham folders under `shared`.
pub fn evaluate(shared: &Path, labels: &[Label], cfg: &Config) -> Figures {
    let mut fig = Figures::default();
    for l in labels {
        let r = analyze_file(&shared.join(&l.path), cfg);
        let first = r.first();
        fig.scored.push(Scored {
            label: l.clone(),
            verdict: first.map(|r| r.verdict.kind),
            relay_ip: first.and_then(|r| r.relay_ip),
        });
    }
    for folder in HAM_FOLDERS {
        let mut h = HamFolder {
            folder: folder.to_string(),
            ..HamFolder::default()
        };
        for p in files_in(&shared.join(folder)) {
            for r in analyze_file(&p, cfg) {
                h.messages += 1;
                if r.verdict.kind == VerdictKind::OpenRelaySuspected {
                    h.open_relay += 1;
                    h.flagged
                        .push(p.strip_prefix(shared).unwrap_or(&p).display().to_string());
                }
            }
        }
        fig.ham.push(h);
    }
    fig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_and_bad_lines_are_named() {
        let l = parse_labels(
            "# c\ncorpus/a.eml\topen_relay\t192.0.2.1\tan open relay accepted from a dial-up\n",
        )
        .unwrap();
        assert_eq!(l[0].class, Class::OpenRelay);
        assert!(
            parse_labels("corpus/a.eml\topen_relay\t-\tan open relay accepted from a dial-up")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            parse_labels("corpus/a.eml\tspam\t-\twhy why why why why why why")
                .unwrap_err()
                .contains("unknown class")
        );
        assert!(bundled_labels().len() >= 100);
    }
}
