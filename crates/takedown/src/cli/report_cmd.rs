//! `relayhunt report`: message or probe result → evidence → owner → document → file
//! (→ SMTP submission).

use super::engine::{engine, now_unix, runtime};
use super::{ReportArgs, MAX_MESSAGE};
use crate::config::{self, Settings};
use crate::owner::Owner;
use crate::record::{ReportRecorder, WrittenReport};
use crate::report::{self, evidence, probe_result, Format, ReportInput, Source};
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;

/// Run `report`; returns the exit code.
pub fn run_report(args: ReportArgs) -> u8 {
    run_report_with(args, None)
}

/// [`run_report`], recording the report written (and its sending) with `recorder`
/// (`--store`); a recorder error exits 2 after the report is written.
pub fn run_report_with(args: ReportArgs, recorder: Option<&mut dyn ReportRecorder>) -> u8 {
    let quiet = args.quiet;
    match report_inner(args, recorder) {
        Ok(msg) => {
            if !quiet {
                eprintln!("{msg}");
            }
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

fn report_inner(
    args: ReportArgs,
    mut recorder: Option<&mut dyn ReportRecorder>,
) -> Result<String, String> {
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
    if let Some(range) = crate::special::special_range(relay) {
        return Err(format!(
            "{relay}: {}; an abuse report needs the relay's public IP (name it with --relay IP)",
            range.answer()
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
    let format = args.report_format();
    let built = report::build(&input, format).map_err(|e| e.to_string())?;
    let path = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "abuse-report-{}.{}",
            relay.to_string().replace(':', "_"),
            format.extension()
        ))
    });
    std::fs::write(&path, &built.bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut msg = notes
        .iter()
        .map(|n| format!("note: {n}\n"))
        .collect::<String>();
    msg.push_str(&format!(
        "wrote {} ({}) for {} to {}",
        path.display(),
        format.name(),
        relay,
        built.to
    ));
    let recorded = match recorder.as_mut() {
        Some(rec) => {
            let written = WrittenReport {
                relay,
                message: raw.as_deref(),
                format: format.name(),
                recipient: &built.to,
                path: &path,
                bytes: &built.bytes,
                owner: owner.as_ref(),
            };
            let id = rec.written(&written).map_err(|e| {
                format!(
                    "{msg}
--store: {e}"
                )
            })?;
            msg.push_str(&format!(
                "
recorded as report #{id} in the store"
            ));
            Some(id)
        }
        None => None,
    };
    if args.send {
        if format == Format::Xarf {
            return Err(format!("{msg}\nnot sent: XARF is a JSON document for web/API intake; send --format eml or arf"));
        }
        let smtp = settings
            .smtp()
            .map_err(|e| format!("{msg}\nnot sent: {e}"))?;
        let rt = runtime()?;
        let sent = rt.block_on(crate::submit::send(
            &smtp,
            &reporter.email,
            std::slice::from_ref(&built.to),
            &built.bytes,
        ));
        if let (Some(rec), Some(id)) = (recorder.as_mut(), recorded) {
            let (status, detail) = match &sent {
                Ok(reply) => ("sent", reply.to_string()),
                Err(e) => ("failed", e.to_string()),
            };
            rec.status(id, status, &detail)
                .map_err(|e| format!("{msg}\n--store: {e}"))?;
        }
        let reply = sent.map_err(|e| format!("{msg}\nnot sent: {e}"))?;
        msg.push_str(&format!("\nsent via {}:{}: {reply}", smtp.host, smtp.port));
    }
    Ok(msg)
}
