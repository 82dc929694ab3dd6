//! Every message of the shared corpus through the report builder: no panic, the proving
//! line found, and the original attached byte for byte (eml and ARF, parsed back; XARF
//! validated against the published schema, its evidence decoded).

use mail_auth::report::Feedback;
use mail_parser::{MessageParser, PartType};
use relayhunt_takedown::config::Reporter;
use relayhunt_takedown::lookup::special_kind;
use relayhunt_takedown::report::header_value;
use relayhunt_takedown::report::{build, evidence, BuildError, Format, ReportInput, Source};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.file_name().is_some_and(|n| n != "README.md") {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_message_with_a_public_relay_yields_a_report_with_the_original_intact() {
    let Some(corpus) = relayhunt_testdata::shared("corpus") else {
        return;
    };
    let mut all = Vec::new();
    files(&corpus, &mut all);
    assert!(
        all.len() > 3000,
        "only {} files under {}: the corpus is incomplete",
        all.len(),
        corpus.display()
    );
    let reporter = Reporter {
        name: Some("Corpus Test".into()),
        email: "desk@example.org".into(),
        org: None,
    };
    let (mut reported, mut skipped) = (0, 0);
    let (mut xarf_valid, mut xarf_no_sender) = (0, 0);
    let mut failures = Vec::new();
    let mut reader_panics: Vec<String> = Vec::new();
    let mut reader_disagrees: Vec<String> = Vec::new();
    let t = Instant::now();
    for path in &all {
        let raw = std::fs::read(path).unwrap();
        let msg = evidence::message_bytes(&raw);
        let relay = evidence::fields(msg)
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case("Received"))
            .filter_map(|f| evidence::recorded_client(&f.value))
            .find(|ip| special_kind(*ip).is_none());
        let Some(relay) = relay else {
            skipped += 1;
            continue;
        };
        let ev = evidence::gather(msg, Some(relay));
        if ev.proving.is_none() {
            failures.push(format!("{}: no proving line for {relay}", path.display()));
            continue;
        }
        let input = ReportInput {
            relay,
            source: Source::Message,
            original: Some(msg),
            evidence: ev,
            owner: None,
            to: "abuse@provider.test".into(),
            reporter: &reporter,
            now_unix: 1_795_478_400,
        };
        for format in [Format::Eml, Format::Arf] {
            let built = build(&input, format).unwrap();
            // Exact check by the MIME structure itself: the last part's body runs from the
            // blank line after its headers to the CRLF before the closing delimiter.
            if last_part_body(&built.bytes) != Some(msg) {
                failures.push(format!("{}: {format:?} attachment differs", path.display()));
            }
            // Then an independent reader. mail-parser 0.11.9 panics on a few originals
            // ("Invalid part ID") and lets an original whose own multipart never closes
            // swallow the outer closing delimiter; both are counted, not failed.
            let bytes = built.bytes.clone();
            let read_back = std::panic::catch_unwind(move || {
                let offsets = MessageParser::default().parse(&bytes).and_then(|m| {
                    m.parts.iter().find_map(|p| match p.body {
                        PartType::Message(_) => {
                            Some((p.offset_body as usize, p.offset_end as usize))
                        }
                        _ => None,
                    })
                });
                let arf_ip = Feedback::parse_rfc5322(&bytes)
                    .ok()
                    .and_then(|f| f.source_ip());
                (offsets, arf_ip)
            });
            let Ok((offsets, arf_ip)) = read_back else {
                reader_panics.push(format!("{} ({format:?})", path.display()));
                continue;
            };
            if offsets.and_then(|(a, b)| built.bytes.get(a..b)) != Some(msg) {
                reader_disagrees.push(format!("{} ({format:?})", path.display()));
            }
            if format == Format::Arf && arf_ip != Some(relay) {
                failures.push(format!(
                    "{}: ARF unreadable or wrong Source-IP",
                    path.display()
                ));
            }
        }
        match build(&input, Format::Xarf) {
            Ok(built) => {
                let doc: serde_json::Value = serde_json::from_slice(&built.bytes).unwrap();
                let problems = crate::xarf_schema::problems(&doc);
                if !problems.is_empty() {
                    failures.push(format!("{}: XARF invalid: {problems:?}", path.display()));
                } else if crate::xarf_schema::evidence(&doc, "message/rfc822").as_deref()
                    != Some(msg)
                {
                    failures.push(format!("{}: XARF evidence differs", path.display()));
                } else {
                    xarf_valid += 1;
                }
            }
            // Refused only when the message records no plain envelope sender.
            Err(BuildError::NoEnvelopeSender(why)) => {
                let return_path = evidence::fields(msg)
                    .into_iter()
                    .find(|f| f.name.eq_ignore_ascii_case("Return-Path"))
                    .map(|f| {
                        f.value
                            .trim_matches(|c| c == '<' || c == '>' || c == ' ')
                            .to_string()
                    });
                if return_path.is_some_and(|a| header_value::address(&a).is_ok()) {
                    failures.push(format!(
                        "{}: XARF refused ({why}) though the Return-Path is an address",
                        path.display()
                    ));
                }
                xarf_no_sender += 1;
            }
            Err(e) => failures.push(format!("{}: XARF: {e}", path.display())),
        }
        reported += 1;
    }
    eprintln!(
        "{reported} reports (eml + ARF) from {} files, {skipped} without a public relay, in {:?}; \
         mail-parser panicked reading back {} and misplaced the attachment end in {}; \
         {xarf_valid} valid XARF, {xarf_no_sender} refused for want of an envelope sender",
        all.len(),
        t.elapsed(),
        reader_panics.len(),
        reader_disagrees.len(),
    );
    assert!(
        reader_panics.len() + reader_disagrees.len() < reported / 50,
        "{reader_panics:?} {reader_disagrees:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        reported > 2000,
        "only {reported} messages had a public relay"
    );
    assert_eq!(xarf_valid + xarf_no_sender, reported);
    assert!(
        xarf_no_sender < reported / 10,
        "{xarf_no_sender} of {reported} messages record no envelope sender"
    );
}

/// The body of the last MIME part, located by the top-level boundary.
fn last_part_body(report: &[u8]) -> Option<&[u8]> {
    let head_end = find(report, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&report[..head_end]).ok()?;
    let b = head.split("boundary=\"").nth(1)?.split('"').next()?;
    let close = format!("\r\n--{b}--\r\n");
    let end = report
        .len()
        .checked_sub(close.len())
        .filter(|&e| report[e..] == *close.as_bytes())?;
    let open = format!("\r\n--{b}\r\n");
    let last_open = rfind(&report[..end], open.as_bytes())? + open.len();
    let body_start = last_open + find(&report[last_open..end], b"\r\n\r\n")? + 4;
    Some(&report[body_start..end])
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn rfind(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).rposition(|w| w == n)
}
