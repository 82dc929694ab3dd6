//! `relayhunt whois IP|DOMAIN…`.

use super::args::WhoisFormat;
use super::engine::{engine, now_unix, runtime};
use super::render::{render_domain, render_owner};
use super::WhoisArgs;
use crate::special::special_range;
use std::io::Write;
use std::net::IpAddr;

/// Run `whois`; returns the exit code.
pub fn run_whois(args: WhoisArgs) -> u8 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_whois_to(args, &mut out)
}

/// Run `whois` writing results to `out` (errors go to stderr).
pub fn run_whois_to(args: WhoisArgs, out: &mut dyn Write) -> u8 {
    let l = match engine(&args.lookup) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("relayhunt whois: {e}");
            return 2;
        }
    };
    let rt = match runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("relayhunt whois: {e}");
            return 2;
        }
    };
    let mut status = 0u8;
    let mut targets: Vec<String> = Vec::new();
    for t in &args.targets {
        if t == "-" {
            targets.extend(stdin_targets());
        } else {
            targets.push(t.clone());
        }
    }
    let format = args.output_format();
    // `--json` collects the documents into one (an array for several targets); human and
    // NDJSON output stream as each answer arrives.
    let mut documents: Vec<serde_json::Value> = Vec::new();
    for t in &targets {
        let t = t.trim();
        let res: Result<(serde_json::Value, String), String> =
            if let Some(range) = t.parse::<IpAddr>().ok().and_then(special_range) {
                // No registry owns it: answered from the table, nothing asked.
                let text = format!("{t}\n  {}\n", range.answer());
                let doc = serde_json::json!({
                    "query": t,
                    "no_owner": {
                        "range": range.net,
                        "class": range.class,
                        "kind": range.kind,
                        "rfc": range.rfc,
                        "answer": range.answer(),
                    },
                });
                Ok((doc, text))
            } else if let Ok(ip) = t.parse::<IpAddr>() {
                rt.block_on(l.owner(ip))
                    .map_err(|e| e.to_string())
                    .map(|o| {
                        let text = render_owner(&o);
                        (serde_json::json!({ "query": t, "owner": o }), text)
                    })
            } else {
                rt.block_on(l.domain_age(t, now_unix(), args.new_days))
                    .map_err(|e| e.to_string())
                    .map(|d| {
                        if d.newly_registered {
                            status = status.max(1);
                        }
                        let text = render_domain(&d);
                        (serde_json::json!({ "query": t, "domain": d }), text)
                    })
            };
        let doc = match res {
            Ok((doc, text)) => {
                if format == WhoisFormat::Human && !args.quiet {
                    let _ = out.write_all(text.as_bytes());
                }
                doc
            }
            Err(e) => {
                status = 2;
                eprintln!("relayhunt whois: {t}: {e}");
                serde_json::json!({ "query": t, "error": e })
            }
        };
        match format {
            WhoisFormat::Ndjson if !args.quiet => {
                let _ = writeln!(out, "{doc}");
            }
            WhoisFormat::Json => documents.push(doc),
            _ => {}
        }
    }
    if format == WhoisFormat::Json && !args.quiet {
        let doc = if documents.len() == 1 {
            documents.remove(0)
        } else {
            serde_json::Value::Array(documents)
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    }
    status
}

/// Targets from a reader: one per line, at most 1,000,000, `#` comments skipped.
fn read_targets(r: impl std::io::BufRead) -> Vec<String> {
    r.lines()
        .map_while(Result::ok)
        .take(1_000_000)
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn stdin_targets() -> Vec<String> {
    read_targets(std::io::stdin().lock())
}

#[cfg(test)]
mod tests {
    #[test]
    fn target_lists_skip_comments_and_blank_lines() {
        let t = super::read_targets(
            &b"198.51.100.25  # the relay\n\n# origin\n203.0.113.7\r\nexample.test\n"[..],
        );
        assert_eq!(t, ["198.51.100.25", "203.0.113.7", "example.test"]);
    }
}
