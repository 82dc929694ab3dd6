//! The verdict evaluation: precision and recall of `open_relay_suspected` on the
//! hand-labelled corpus messages, exactness of the named relay IP, and the share of every
//! ham message in the corpus called an open relay.
//!
//! Run: `cargo run --release -p relayhunt-analyze --bin verdict-eval` (`-v` lists every
//! labelled message and every ham message called an open relay; `RELAYHUNT_SHARED`
//! overrides where the shared folder is).

use relayhunt_analyze::eval::{self, Class};
use relayhunt_analyze::Config;

fn main() {
    let verbose = std::env::args().any(|a| a == "-v" || a == "--verbose");
    let shared = eval::shared_dir();
    if !shared.join("corpus").is_dir() {
        eprintln!(
            "verdict-eval: no corpus at {}: set RELAYHUNT_SHARED to the shared folder",
            shared.display()
        );
        std::process::exit(2);
    }
    // `--explain FILE…`: the hop roles and relay assessment of single messages.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--signals") {
        let cfg = eval::mailbox_owner_config();
        for p in &args[1..] {
            for r in eval::analyze_file(std::path::Path::new(p), &cfg) {
                let sig: Vec<String> = r
                    .relay
                    .iter()
                    .flat_map(|a| a.signals.iter().map(|s| format!("{}={}", s.id, s.weight)))
                    .collect();
                println!(
                    "{p}\t{}\t{}",
                    r.relay_ip.map_or("-".into(), |i| i.to_string()),
                    sig.join(",")
                );
            }
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--explain") {
        // `--explain --default FILE…` explains under default settings instead.
        let (cfg, files) = match args.get(1).map(String::as_str) {
            Some("--default") => (Config::default(), &args[2..]),
            _ => (eval::mailbox_owner_config(), &args[1..]),
        };
        for p in files {
            for r in eval::analyze_file(std::path::Path::new(p), &cfg) {
                println!(
                    "== {p}\n{} [{}] {}",
                    r.verdict.kind, r.verdict.severity, r.verdict.summary
                );
                for c in r.chain.iter().rev() {
                    println!(
                        "  #{} {:?} {}: {}",
                        c.index, c.hop_role.kind, c.hop_role.rule, c.hop_role.why
                    );
                }
                if let Some(a) = &r.relay {
                    println!(
                        "  relay {} from {} confidence {:.2}",
                        a.relay, a.source, a.confidence
                    );
                    for s in &a.signals {
                        println!("    {:+.2} {} {}", s.weight, s.id, s.reason);
                    }
                }
            }
        }
        return;
    }
    let labels = eval::bundled_labels();
    let default_cfg = Config::default();
    let owner_cfg = eval::mailbox_owner_config();
    for (name, cfg) in [
        ("default settings", &default_cfg),
        (
            "--config tests/data/verdict/mailbox-owner.conf (the mailbox owner's MX hosts)",
            &owner_cfg,
        ),
    ] {
        println!("=== {name}");
        report(&eval::evaluate(&shared, &labels, cfg), verbose);
        println!();
    }
}

fn report(fig: &eval::Figures, verbose: bool) {
    if verbose {
        for s in &fig.scored {
            let ok = match s.label.class {
                Class::OpenRelay => s.called_open() && s.relay_ip == s.label.relay_ip,
                _ => !s.called_open(),
            };
            println!(
                "{} {:<20} {:<22} relay {:<16} want {:<16} {}",
                if ok { "ok  " } else { "MISS" },
                s.label.class.as_str(),
                s.verdict.map_or("-", |v| v.as_str()),
                s.relay_ip.map_or("-".into(), |i| i.to_string()),
                s.label.relay_ip.map_or("-".into(), |i| i.to_string()),
                s.label.path
            );
        }
        for h in &fig.ham {
            for p in &h.flagged {
                println!("HAM-OPEN-RELAY {p}");
            }
        }
        println!();
    }

    let mut classes: Vec<Class> = fig.scored.iter().map(|s| s.label.class).collect();
    classes.sort();
    classes.dedup();
    println!("labelled messages: {}", fig.scored.len());
    for c in classes {
        let of: Vec<_> = fig.scored.iter().filter(|s| s.label.class == c).collect();
        let called = of.iter().filter(|s| s.called_open()).count();
        println!(
            "  {:<20} {:>4}  called open_relay_suspected: {called}",
            c.as_str(),
            of.len()
        );
    }
    let modern = fig
        .scored
        .iter()
        .filter(|s| {
            s.label.path.contains("phishing_pot") || s.label.path.contains("osst_users_publicinbox")
        })
        .count();
    println!("  of which modern (phishing_pot, osst_users_publicinbox): {modern}");
    println!(
        "open_relay_suspected precision {:.3} ({} of {} calls), recall {:.3} ({} of {} open relays)",
        fig.precision(),
        fig.true_positives(),
        fig.true_positives() + fig.false_positives(),
        fig.recall(),
        fig.true_positives(),
        fig.open_relays()
    );
    println!(
        "relay IP exact for {} of {} open relays ({:.1} %)",
        fig.relay_ip_exact(),
        fig.open_relays(),
        100.0 * fig.relay_ip_exact() as f64 / fig.open_relays().max(1) as f64
    );
    println!(
        "authenticated-abuse / provider-relay / direct messages called open relay: {}",
        fig.forbidden_calls().len()
    );
    println!("ham called open_relay_suspected:");
    for h in &fig.ham {
        println!(
            "  {:<40} {:>5} messages {:>4} open_relay_suspected ({:.1} %)",
            h.folder,
            h.messages,
            h.open_relay,
            100.0 * h.open_relay as f64 / h.messages.max(1) as f64
        );
    }
    println!(
        "  all ham                                  {:>5} messages {:>4} open_relay_suspected ({:.2} %)",
        fig.ham_messages(),
        fig.ham_open_relay(),
        100.0 * fig.ham_rate()
    );
}
