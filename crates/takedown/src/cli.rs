//! Command-line surface of the takedown: `whois` and `report`.
//!
//! Flags are parsed by clap, turned into a lookup engine and report inputs here, and the
//! work is done by the library; per-target errors are printed and change the exit status
//! without stopping a batch (0 ok, 1 finding — a newly registered domain —, 2 error).

use crate::cache::{self, OwnerCache};
use crate::config::{self, Settings};
use crate::lookup::OwnerLookup;
use crate::owner::{DomainAge, Owner};
use crate::pacing::Pacer;
use crate::rdap::fetch::{IcannRdap, RdapConfig};
use crate::report::{self, evidence, probe_result, Format, ReportInput, Source};
use crate::whois::client::TcpWhois;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest message `report` reads (bytes).
pub const MAX_MESSAGE: u64 = 64 * 1024 * 1024;

/// How owner lookups are made (shared by `whois` and `report`).
#[derive(Debug, Clone, clap::Args)]
pub struct LookupArgs {
    /// Cache directory for owner answers [default: ~/.cache/relayhunt/owner].
    #[arg(long, value_name = "DIR", env = "RELAYHUNT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the owner cache.
    #[arg(long)]
    pub no_cache: bool,
    /// How long a cached owner stays valid, in hours.
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    pub cache_ttl: u64,
    /// Per-query time limit in seconds (RDAP request incl. redirects; whois exchange).
    #[arg(long, value_name = "SECS", default_value_t = 15.0)]
    pub timeout: f64,
    /// Minimum pause between two queries to the same server, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub interval_ms: u64,
    /// Directory holding IANA RDAP bootstrap files (ipv4.json, ipv6.json, dns.json) to use
    /// instead of fetching them from IANA.
    #[arg(long, value_name = "DIR", env = "RELAYHUNT_RDAP_BOOTSTRAP")]
    pub rdap_bootstrap: Option<PathBuf>,
    /// Allow plain-http RDAP servers (private mirrors, test fixtures).
    #[arg(long, env = "RELAYHUNT_RDAP_ALLOW_HTTP")]
    pub rdap_allow_http: bool,
    /// Skip RDAP, ask whois only.
    #[arg(long)]
    pub no_rdap: bool,
    /// Root whois server, where referrals start.
    #[arg(long, value_name = "HOST", default_value = crate::lookup::IANA_WHOIS, env = "RELAYHUNT_WHOIS_ROOT")]
    pub whois_root: String,
    /// Connect to ADDR when a referral names SERVER (`whois.ripe.net=10.0.0.5:43`);
    /// repeatable, or comma-separated in the variable.
    #[arg(
        long = "whois-route",
        value_name = "SERVER=ADDR",
        env = "RELAYHUNT_WHOIS_ROUTES",
        value_delimiter = ','
    )]
    pub whois_routes: Vec<String>,
}

/// Arguments of `relayhunt whois`.
#[derive(Debug, clap::Args)]
pub struct WhoisArgs {
    /// IP addresses and/or domain names.
    #[arg(required = true, value_name = "IP|DOMAIN")]
    pub targets: Vec<String>,
    /// One JSON object per target, one per line.
    #[arg(long)]
    pub json: bool,
    /// Flag domains registered within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub new_days: i64,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

/// Arguments of `relayhunt report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The message that came through the relay (raw RFC 5322, `-` for stdin).
    #[arg(value_name = "MESSAGE")]
    pub message: Option<PathBuf>,
    /// The relay to report (default: the relay the analysis finds in the message).
    #[arg(long, value_name = "IP")]
    pub relay: Option<IpAddr>,
    /// A `relayhunt probe --json` result whose transcript the report carries.
    #[arg(long, value_name = "FILE")]
    pub probe_result: Option<PathBuf>,
    /// Receivers you trust (CIDR, IP or host pattern), as for `analyze --trusted`; they
    /// decide which hop is the entry from the outside, i.e. which relay is reported.
    #[arg(long, value_name = "CIDR|HOST")]
    pub trusted: Vec<String>,
    /// Mention sender domains registered within this many days of the message.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub new_days: i64,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Eml)]
    pub format: Format,
    /// Where to write the report [default: abuse-report-<IP>.<eml|json>].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Send to this address instead of the looked-up abuse contact.
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// Do not look the owner up (requires --to).
    #[arg(long, requires = "to")]
    pub no_lookup: bool,
    /// Submit the report by SMTP as configured (default: write the file only).
    #[arg(long)]
    pub send: bool,
    /// Reporter and SMTP settings [default: ~/.config/relayhunt/report.conf].
    #[arg(long, value_name = "FILE", env = "RELAYHUNT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

fn engine(a: &LookupArgs) -> Result<OwnerLookup<IcannRdap, TcpWhois>, String> {
    let timeout = Duration::from_secs_f64(a.timeout.clamp(0.1, 600.0));
    let mut rdap = IcannRdap::new(RdapConfig {
        timeout,
        allow_http: a.rdap_allow_http,
        ..RdapConfig::default()
    })
    .map_err(|e| e.to_string())?;
    if let Some(dir) = &a.rdap_bootstrap {
        rdap = rdap.with_bootstrap_dir(dir).map_err(|e| e.to_string())?;
    }
    let mut whois = TcpWhois {
        timeout,
        ..TcpWhois::default()
    };
    for r in &a.whois_routes {
        let (name, addr) = r
            .split_once('=')
            .ok_or_else(|| format!("--whois-route {r:?}: expected SERVER=HOST:PORT"))?;
        whois
            .routes
            .insert(name.trim().to_ascii_lowercase(), addr.trim().to_string());
    }
    let mut l = OwnerLookup::new(rdap, whois);
    l.pacer = Pacer::new(Duration::from_millis(a.interval_ms));
    l.whois_root = a.whois_root.clone();
    l.no_rdap = a.no_rdap;
    if !a.no_cache {
        if let Some(dir) = a.cache_dir.clone().or_else(cache::default_dir) {
            l.cache = Some(OwnerCache::new(
                dir,
                Duration::from_secs(a.cache_ttl.saturating_mul(3600)),
            ));
        }
    }
    Ok(l)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Human rendering of an owner.
pub fn render_owner(o: &Owner) -> String {
    let mut s = format!("{}{}\n", o.query, if o.cached { " (cached)" } else { "" });
    let mut net = o
        .cidrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(r) = &o.range {
        net.push_str(&format!(" ({r})"));
    }
    if let Some(n) = &o.name {
        net.push_str(&format!(" {n}"));
    }
    if let Some(h) = o.handle.as_ref().filter(|h| Some(*h) != o.range.as_ref()) {
        net.push_str(&format!(" [{h}]"));
    }
    let line = |s: &mut String, k: &str, v: &str| s.push_str(&format!("  {k:<11}{v}\n"));
    line(&mut s, "network", net.trim());
    if o.org.is_some() || o.country.is_some() {
        let org = o.org.clone().unwrap_or_else(|| "-".into());
        let cc = o
            .country
            .as_ref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        line(&mut s, "org", &format!("{org}{cc}"));
    }
    if !o.asns.is_empty() {
        line(
            &mut s,
            "asn",
            &o.asns
                .iter()
                .map(|a| format!("AS{a}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if let Some(r) = &o.registered {
        let ch = o
            .last_changed
            .as_ref()
            .map(|c| format!(", changed {c}"))
            .unwrap_or_default();
        line(&mut s, "registered", &format!("{r}{ch}"));
    }
    if o.abuse.is_empty() {
        line(&mut s, "abuse", "(none found)");
    }
    for c in &o.abuse {
        let conf = match c.confidence {
            crate::owner::Confidence::High => "high",
            crate::owner::Confidence::Medium => "medium",
            crate::owner::Confidence::Low => "low",
        };
        line(
            &mut s,
            "abuse",
            &format!(
                "{}  [{conf}, {}: {}]",
                c.email,
                c.source.label(),
                c.found_at
            ),
        );
    }
    for src in &o.sources {
        line(&mut s, "source", src);
    }
    for n in &o.notes {
        line(&mut s, "note", n);
    }
    s
}

fn render_domain(d: &DomainAge) -> String {
    let mut s = format!("{}\n", d.domain);
    s.push_str(&format!(
        "  registered {}\n",
        d.registered.as_deref().unwrap_or("(not published)")
    ));
    if let Some(a) = d.age_days {
        s.push_str(&format!(
            "  age        {a} days{}\n",
            if d.newly_registered {
                "  NEWLY REGISTERED"
            } else {
                ""
            }
        ));
    }
    if let Some(r) = &d.registrar {
        s.push_str(&format!("  registrar  {r}\n"));
    }
    if let Some(src) = &d.source {
        s.push_str(&format!("  source     {src}\n"));
    }
    s
}

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

/// Run `report`; returns the exit code.
pub fn run_report(args: ReportArgs) -> u8 {
    match report_inner(args) {
        Ok(msg) => {
            eprintln!("{msg}");
            0
        }
        Err(e) => {
            eprintln!("relayhunt report: {e}");
            2
        }
    }
}

fn read_message(p: &PathBuf) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let r = if p.as_os_str() == "-" {
        std::io::stdin().take(MAX_MESSAGE + 1).read_to_end(&mut buf)
    } else {
        std::fs::File::open(p).and_then(|f| f.take(MAX_MESSAGE + 1).read_to_end(&mut buf))
    };
    r.map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    if buf.len() as u64 > MAX_MESSAGE {
        return Err(format!(
            "{} is larger than {MAX_MESSAGE} bytes; not a single message?",
            p.display()
        ));
    }
    Ok(buf)
}

/// Run the forensic analysis of the message (the same engine as `relayhunt analyze`).
fn analysis(raw: &[u8], trusted: &[String]) -> Result<relayhunt_analyze::Report, String> {
    let cfg = relayhunt_analyze::Config {
        trusted: trusted.to_vec(),
        now: Some(now_unix()),
        ..relayhunt_analyze::Config::default()
    };
    cfg.check().map_err(|e| format!("--trusted: {e}"))?;
    relayhunt_analyze::analyze_bytes(raw, &cfg)
        .map_err(|e| format!("cannot analyse the message: {e}"))
}

/// Findings worth showing an abuse desk: medium and above, at most five.
fn observations(r: &relayhunt_analyze::Report) -> Vec<String> {
    use relayhunt_analyze::report::Severity;
    r.findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .take(5)
        .map(|f| format!("{} [{}]", f.title, f.id))
        .collect()
}

fn report_inner(args: ReportArgs) -> Result<String, String> {
    let settings = {
        let explicit = args.config.is_some();
        let path = args.config.clone().or_else(config::default_file);
        Settings::load(path.as_deref(), explicit).map_err(|e| e.to_string())?
    };
    let reporter = settings
        .reporter()
        .map_err(|e| format!("reporter identity: {e}"))?;
    let raw = args
        .message
        .as_ref()
        .map(read_message)
        .transpose()?
        .map(|r| evidence::message_bytes(&r).to_vec());
    let probe = match &args.probe_result {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Some(
                probe_result::read(&text, args.relay)
                    .map_err(|e| format!("{}: {e}", p.display()))?,
            )
        }
        None => None,
    };
    if raw.is_none() && probe.is_none() {
        return Err("give the MESSAGE that came through the relay, or --probe-result FILE".into());
    }
    let mut notes = Vec::new();
    let analyzed = raw
        .as_deref()
        .map(|r| analysis(r, &args.trusted))
        .transpose()?;
    let relay = match (args.relay, &probe, &raw) {
        (Some(ip), _, _) => ip,
        (None, Some(p), _) if p.addr.is_some() => {
            p.addr.map(|a| a.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]))
        }
        (None, _, Some(_)) => {
            let a = analyzed.as_ref().ok_or("analysis unavailable")?;
            let ip = a.relay_ip.ok_or_else(|| {
                "the analysis found no untrusted relay in the message's Received chain; name it with --relay IP (or list your own servers with --trusted)".to_string()
            })?;
            notes.push(format!(
                "relay {ip} found by the analysis (the entry hop into trusted infrastructure)"
            ));
            ip
        }
        (None, _, None) => return Err("the probe result names no address; give --relay IP".into()),
    };
    if let Some(kind) = crate::lookup::special_kind(relay) {
        return Err(format!(
            "{relay} is a {kind} address; an abuse report needs the relay's public IP"
        ));
    }
    let mut ev = raw
        .as_deref()
        .map(|r| evidence::gather(r, Some(relay)))
        .unwrap_or_default();
    if let Some(a) = analyzed.as_ref().filter(|a| a.relay_ip == Some(relay)) {
        ev.observations = observations(a);
    }
    if raw.is_some() && ev.proving.is_none() && probe.is_none() {
        return Err(format!(
            "no Received header in the message records a connection from {relay}; the report would have no evidence (check --relay)"
        ));
    }
    let owner = if args.no_lookup {
        None
    } else {
        let l = engine(&args.lookup)?;
        let rt = runtime()?;
        let owner = match rt.block_on(l.owner(relay)) {
            Ok(o) => Some(o),
            Err(e) if args.to.is_some() => {
                notes.push(format!("owner lookup failed ({e}); using --to"));
                None
            }
            Err(e) => return Err(format!("{e}; give the recipient with --to ADDR")),
        };
        // The seed's "newly registered domain": the sender's domains, aged at message time.
        let at = ev.when_unix.unwrap_or_else(now_unix);
        let mut domains: Vec<String> = Vec::new();
        for d in [
            ev.from_domain.clone(),
            ev.mail_from
                .as_deref()
                .and_then(|m| m.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase()),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(reg) = psl::domain_str(&d).map(str::to_string) {
                if !domains.contains(&reg) {
                    domains.push(reg);
                }
            }
        }
        for d in domains {
            match rt.block_on(l.domain_age(&d, at, args.new_days)) {
                Ok(age) if age.newly_registered => ev.observations.push(format!(
                    "The sender domain {d} was registered {} ({} days before the message) — a newly registered domain",
                    age.registered.as_deref().unwrap_or("recently"),
                    age.age_days.unwrap_or(0)
                )),
                Ok(_) => {}
                Err(e) => notes.push(format!("domain age of {d} unknown: {e}")),
            }
        }
        owner
    };
    let to = match (&args.to, owner.as_ref().and_then(Owner::best_abuse)) {
        (Some(t), _) => t.clone(),
        (None, Some(c)) => {
            if c.confidence == crate::owner::Confidence::Low {
                notes.push(format!(
                    "{} is a guess ({}); it may bounce",
                    c.email,
                    c.source.label()
                ));
            }
            c.email.clone()
        }
        (None, None) => {
            return Err(format!(
                "no abuse contact found for {relay}; give the recipient with --to ADDR"
            ))
        }
    };
    let input = ReportInput {
        relay,
        source: probe.map(Source::Probe).unwrap_or(Source::Message),
        original: raw.as_deref(),
        evidence: ev,
        owner: owner.as_ref(),
        to,
        reporter: &reporter,
        now_unix: now_unix(),
    };
    let built = report::build(&input, args.format).map_err(|e| e.to_string())?;
    let path = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "abuse-report-{}.{}",
            relay.to_string().replace(':', "_"),
            args.format.extension()
        ))
    });
    std::fs::write(&path, &built.bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut msg = notes
        .iter()
        .map(|n| format!("note: {n}\n"))
        .collect::<String>();
    msg.push_str(&format!(
        "wrote {} ({:?}) for {} to {}",
        path.display(),
        args.format,
        relay,
        built.to
    ));
    if args.send {
        if args.format == Format::Xarf {
            return Err(format!("{msg}\nnot sent: XARF is a JSON document for web/API intake; send --format eml or arf"));
        }
        let smtp = settings
            .smtp()
            .map_err(|e| format!("{msg}\nnot sent: {e}"))?;
        let rt = runtime()?;
        let reply = rt
            .block_on(crate::submit::send(
                &smtp,
                &reporter.email,
                std::slice::from_ref(&built.to),
                &built.bytes,
            ))
            .map_err(|e| format!("{msg}\nnot sent: {e}"))?;
        msg.push_str(&format!("\nsent via {}:{}: {reply}", smtp.host, smtp.port));
    }
    Ok(msg)
}
