//! `relayhunt whois IP|DOMAIN…`.

use super::engine::{engine, now_unix, runtime};
use super::render::{render_domain, render_owner};
use super::WhoisArgs;
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
    for t in &args.targets {
        let t = t.trim();
        let res: Result<String, String> = if let Ok(ip) = t.parse::<IpAddr>() {
            rt.block_on(l.owner(ip))
                .map_err(|e| e.to_string())
                .map(|o| {
                    if args.json {
                        serde_json::to_string(&serde_json::json!({ "query": t, "owner": o }))
                            .unwrap_or_default()
                            + "\n"
                    } else {
                        render_owner(&o)
                    }
                })
        } else {
            rt.block_on(l.domain_age(t, now_unix(), args.new_days))
                .map_err(|e| e.to_string())
                .map(|d| {
                    if d.newly_registered {
                        status = status.max(1);
                    }
                    if args.json {
                        serde_json::to_string(&serde_json::json!({ "query": t, "domain": d }))
                            .unwrap_or_default()
                            + "\n"
                    } else {
                        render_domain(&d)
                    }
                })
        };
        match res {
            Ok(text) => {
                let _ = out.write_all(text.as_bytes());
            }
            Err(e) => {
                status = 2;
                if args.json {
                    let _ = writeln!(out, "{}", serde_json::json!({ "query": t, "error": e }));
                }
                eprintln!("relayhunt whois: {t}: {e}");
            }
        }
    }
    status
}
