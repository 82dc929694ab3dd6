//! Probing one target: open an SMTP session, run the battery, confirm with canaries, decide.
//!
//! The flow per target is connect → (implicit TLS) → banner → EHLO (HELO fallback) →
//! STARTTLS when offered → for each test `MAIL FROM`, `RCPT TO`, optional canary `DATA`, `RSET`.
//! A `421` or a dropped connection leads to a reconnect and a retry of the same test; the
//! connection is also refreshed after a few refusals so per-session error limits do not slow
//! or end the battery. When the server announces PIPELINING (RFC 2920) the three commands of a
//! test go out in one write, and tests whose sender was already accepted go several per write.
//! Every wait is bounded and the whole target has its own deadline, after which the partial
//! transcript is still returned.

use crate::battery::{render, Addressing, TemplateVars};
use crate::canary::{ledger, message, token};
use crate::options::{ProbeOptions, StarttlsPolicy};
use crate::result::{CanaryRecord, SenderRefusal, TargetResult, TestOutcome, TestRecord};
use crate::smtp::connection::{ConnError, Connection};
use crate::smtp::ehlo::{parse_ehlo, Extensions};
use crate::smtp::reply::{Reply, ReplyClass};
use crate::smtp::tls::{TlsInfo, TlsMode};
use crate::transcript::Transcript;
use crate::verdict::{decide, ConfirmState, Fatal, FatalKind};
use std::net::SocketAddr;
use std::time::Instant;

/// Probe one SMTP server at `target` with the whole battery.
///
/// Never fails: network trouble becomes the verdict (UNREACHABLE, TIMEOUT, PROTOCOL-ERROR) with
/// the transcript so far.
pub async fn probe_target(target: SocketAddr, opts: &ProbeOptions) -> TargetResult {
    probe_named(&target.to_string(), target, None, opts).await
}

/// Like [`probe_target`], with the label to report and the host name (for TLS SNI) the user
/// gave.
pub async fn probe_named(
    label: &str,
    addr: SocketAddr,
    host_name: Option<&str>,
    opts: &ProbeOptions,
) -> TargetResult {
    let started = Instant::now();
    let mut run = Run::new(label, addr, host_name, opts);
    let limit = opts.timeouts.target;
    if tokio::time::timeout(limit, run.execute()).await.is_err() {
        let message = format!("whole-target time limit of {limit:?} reached");
        run.transcript.note(&message);
        run.stop_remaining(&message);
        run.fatal = Some(Fatal {
            kind: FatalKind::Timeout,
            message,
        });
    }
    let confirm = run.wait_for_canaries().await;
    let decision = decide(&run.tests, run.fatal.as_ref(), confirm);
    run.transcript
        .note(format!("verdict {}: {}", decision.verdict, decision.detail));
    TargetResult {
        target: label.to_string(),
        addr,
        verdict: decision.verdict,
        open_evidence: decision.open_evidence,
        detail: decision.detail,
        accepted_tests: run
            .tests
            .iter()
            .filter(|t| t.outcome == TestOutcome::Accepted)
            .map(|t| t.id.clone())
            .collect(),
        banner: run.banner,
        greeting_command: run.greeting_command,
        extensions: run.extensions,
        extensions_tls: run.extensions_tls,
        tls: run.tls,
        tls_error: run.tls_error,
        tests: run.tests,
        reconnects: run.connections.saturating_sub(1),
        duration_ms: started.elapsed().as_millis() as u64,
        transcript: run.transcript,
    }
}

/// What one test step asks of the battery loop.
enum Step {
    /// The test finished; `refusals` replies counted as errors by the server (`syntax` of them
    /// syntax errors, which Exim limits to 3 per session); `closed` when the server ended the
    /// session right after (421 to RSET).
    Done {
        refusals: u32,
        syntax: u32,
        closed: bool,
    },
    /// The server said 421: reconnect and retry.
    Closing,
}

struct Run<'a> {
    opts: &'a ProbeOptions,
    label: String,
    addr: SocketAddr,
    host_name: Option<String>,
    transcript: Transcript,
    tests: Vec<TestRecord>,
    duplicate: Vec<bool>,
    rendered_with_name: bool,
    banner: Option<Reply>,
    greeting_command: Option<String>,
    extensions: Option<Extensions>,
    extensions_tls: Option<Extensions>,
    tls: Option<TlsInfo>,
    tls_error: Option<String>,
    skip_starttls: bool,
    /// The current session announced PIPELINING (RFC 2920).
    pipelining: bool,
    /// Senders this server accepted: tests using them may be pipelined several at a time.
    good_senders: Vec<String>,
    /// Senders this server refused, with the reply: trick tests switch to the outside sender
    /// at once instead of collecting another refusal (Exim counts them as syntax errors).
    refused_senders: Vec<(String, Reply)>,
    connections: u32,
    fatal: Option<Fatal>,
}

const NOT_RUN: &str = "not run";

impl<'a> Run<'a> {
    fn new(label: &str, addr: SocketAddr, host_name: Option<&str>, opts: &'a ProbeOptions) -> Self {
        let mut run = Self {
            opts,
            label: label.to_string(),
            addr,
            host_name: host_name.map(str::to_string),
            transcript: Transcript::new(),
            tests: Vec::new(),
            duplicate: Vec::new(),
            rendered_with_name: false,
            banner: None,
            greeting_command: None,
            extensions: None,
            extensions_tls: None,
            tls: None,
            tls_error: None,
            skip_starttls: false,
            pipelining: false,
            good_senders: Vec::new(),
            refused_senders: Vec::new(),
            connections: 0,
            fatal: None,
        };
        run.render_tests(None);
        run
    }

    /// Expand the battery for this server; tests whose addresses repeat an earlier test's are
    /// marked as duplicates and not sent twice.
    fn render_tests(&mut self, server_name: Option<&str>) {
        let o = self.opts;
        let vars = TemplateVars::new(
            (&o.recipient.local, &o.recipient.domain),
            (&o.sender.local, &o.sender.domain),
            server_name,
            self.addr.ip(),
        );
        self.tests.clear();
        self.duplicate.clear();
        for t in &o.battery {
            let mail_from = render(t.mail_from, &vars);
            let rcpt_to = render(t.rcpt_to, &vars);
            let same = self
                .tests
                .iter()
                .find(|r| r.mail_from == mail_from && r.rcpt_to == rcpt_to)
                .map(|r| r.id.clone());
            self.duplicate.push(same.is_some());
            self.tests.push(TestRecord {
                id: t.id.to_string(),
                addressing: t.addressing,
                mail_from,
                rcpt_to,
                mail_reply: None,
                rcpt_reply: None,
                outcome: TestOutcome::Skipped,
                error: Some(match same {
                    Some(id) => format!("same addresses as {id}"),
                    None => NOT_RUN.to_string(),
                }),
                canary: None,
                sender_refused: None,
            });
        }
    }

    fn stop_remaining(&mut self, why: &str) {
        for (t, dup) in self.tests.iter_mut().zip(&self.duplicate) {
            if !dup && t.outcome == TestOutcome::Skipped && t.error.as_deref() == Some(NOT_RUN) {
                t.error = Some(format!("{NOT_RUN}: {why}"));
            }
        }
    }

    fn fail(&mut self, fatal: Fatal) {
        self.stop_remaining(&fatal.message.clone());
        self.fatal = Some(fatal);
    }

    async fn execute(&mut self) {
        let mut conn = match self.open_session().await {
            Ok(c) => c,
            Err(f) => return self.fail(f),
        };
        let mut refusals = 0u32;
        let mut syntax = 0u32;
        let mut forced = 0u32;
        let mut attempts = 0u32;
        let mut i = 0;
        let mut live = true;
        while i < self.tests.len() {
            if self.duplicate[i] {
                i += 1;
                continue;
            }
            if !live
                || refusals >= self.opts.errors_per_connection
                || syntax >= self.opts.syntax_errors_per_connection
            {
                if live {
                    self.transcript
                        .note("refreshing the connection to stay under the server's error limit");
                    conn.quit(&mut self.transcript).await;
                }
                conn = match self.open_session().await {
                    Ok(c) => c,
                    Err(f) => return self.fail(f),
                };
                refusals = 0;
                syntax = 0;
            }
            // Worst case two refusals per test: keep the batch inside the error budget.
            let budget = (self.opts.errors_per_connection.saturating_sub(refusals) / 2).max(1);
            let batch = self.next_batch(i, budget as usize);
            let outcome = if batch.len() > 1 {
                let (done, step, rest) = self.run_batch(&mut conn, &batch).await;
                if let Step::Done {
                    refusals: r,
                    syntax: x,
                    closed,
                } = step
                {
                    refusals += r;
                    syntax += x;
                    live = !closed;
                }
                if done > 0 {
                    forced = 0;
                    attempts = 0;
                }
                match (batch.get(done), rest) {
                    (Some(&next), Some(res)) => {
                        i = next;
                        res
                    }
                    (Some(&next), None) => {
                        // Stopped early (session closing, or a test to rerun on its own).
                        i = next;
                        continue;
                    }
                    (None, _) => {
                        i = batch[batch.len() - 1] + 1;
                        continue;
                    }
                }
            } else {
                self.run_test(&mut conn, i).await
            };
            match outcome {
                Ok(Step::Done {
                    refusals: r,
                    syntax: x,
                    closed,
                }) => {
                    refusals += r;
                    syntax += x;
                    // Progress: only consecutive hang-ups count towards giving up.
                    forced = 0;
                    attempts = 0;
                    i += 1;
                    live = !closed;
                }
                Ok(Step::Closing) | Err(ConnError::Closed { .. }) | Err(ConnError::Io(_)) => {
                    live = false;
                    forced += 1;
                    attempts += 1;
                    if forced > self.opts.max_reconnects {
                        let message = format!(
                            "server ended the session {forced} times (421 or disconnect); giving up"
                        );
                        self.tests[i].outcome = TestOutcome::Error;
                        self.tests[i].error = Some(message.clone());
                        return self.fail(Fatal {
                            kind: FatalKind::Protocol,
                            message,
                        });
                    }
                    self.transcript.note(format!(
                        "session ended during test {}; reconnecting",
                        self.tests[i].id
                    ));
                    if attempts >= 2 {
                        self.tests[i].outcome = TestOutcome::Error;
                        self.tests[i].error =
                            Some("server ended the session on this test twice".into());
                        attempts = 0;
                        i += 1;
                    }
                }
                Err(e) => {
                    let message = format!("test {}: {e}", self.tests[i].id);
                    self.tests[i].outcome = TestOutcome::Error;
                    self.tests[i].error = Some(e.to_string());
                    let kind = if e.is_timeout() {
                        FatalKind::Timeout
                    } else {
                        FatalKind::Protocol
                    };
                    return self.fail(Fatal { kind, message });
                }
            }
        }
        if live {
            conn.quit(&mut self.transcript).await;
        }
    }

    /// Connect, greet, and upgrade to TLS when possible.
    async fn open_session(&mut self) -> Result<Connection, Fatal> {
        loop {
            if let Some(rate) = &self.opts.rate {
                rate.acquire().await;
            }
            self.connections += 1;
            let t = self.opts.timeouts;
            let mut conn = Connection::connect(
                self.addr,
                t.connect,
                t.reply,
                self.opts.limits,
                &mut self.transcript,
            )
            .await
            .map_err(|e| setup_fatal(&e, "connect"))?;
            if self.opts.implicit_tls {
                let (c, info) = conn
                    .upgrade_tls(
                        TlsMode::Implicit,
                        self.host_name.as_deref(),
                        &mut self.transcript,
                    )
                    .await
                    .map_err(|e| {
                        self.tls_error = Some(e.to_string());
                        Fatal {
                            kind: if e.is_timeout() {
                                FatalKind::Timeout
                            } else {
                                FatalKind::Protocol
                            },
                            message: format!("implicit TLS failed: {e}"),
                        }
                    })?;
                conn = c;
                self.tls = Some(info);
            }
            let banner = conn
                .read_reply("banner", &mut self.transcript)
                .await
                .map_err(|e| setup_fatal(&e, "banner"))?;
            match banner.class() {
                ReplyClass::Accepted => {}
                ReplyClass::Rejected | ReplyClass::AuthRequired => {
                    self.banner.get_or_insert(banner.clone());
                    return Err(Fatal {
                        kind: FatalKind::RefusedAtGreeting,
                        message: format!("server refuses service at greeting: {banner}"),
                    });
                }
                ReplyClass::Closing | ReplyClass::TempFailed => {
                    self.banner.get_or_insert(banner.clone());
                    return Err(Fatal {
                        kind: FatalKind::Unreachable,
                        message: format!("server turned us away at greeting: {banner}"),
                    });
                }
            }
            let banner_name = banner.first_word();
            self.banner.get_or_insert(banner);
            let (ext, command) = self.greet(&mut conn).await?;
            self.pipelining = ext.pipelining;
            if self.greeting_command.is_none() {
                self.greeting_command = Some(command.to_string());
                self.extensions = Some(ext.clone());
            }
            if !self.rendered_with_name {
                self.rendered_with_name = true;
                let name = ext.server_name.clone().or(banner_name);
                self.render_tests(name.as_deref());
            }
            let offer = ext.starttls
                && !conn.is_tls()
                && !self.skip_starttls
                && self.opts.starttls == StarttlsPolicy::Opportunistic;
            if !offer {
                return Ok(conn);
            }
            let reply = conn
                .command("STARTTLS", &mut self.transcript)
                .await
                .map_err(|e| setup_fatal(&e, "STARTTLS"))?;
            if reply.code != 220 {
                self.transcript
                    .note("STARTTLS refused; continuing in plaintext");
                self.tls_error = Some(format!("STARTTLS refused: {reply}"));
                self.skip_starttls = true;
                return Ok(conn);
            }
            match conn
                .upgrade_tls(
                    TlsMode::Starttls,
                    self.host_name.as_deref(),
                    &mut self.transcript,
                )
                .await
            {
                Ok((mut c, info)) => {
                    self.tls = Some(info);
                    let (ext, _) = self.greet(&mut c).await?;
                    self.pipelining = ext.pipelining;
                    self.extensions_tls.get_or_insert(ext);
                    return Ok(c);
                }
                Err(e) => {
                    self.tls_error = Some(e.to_string());
                    self.skip_starttls = true;
                    self.transcript
                        .note("continuing without TLS on a new connection");
                }
            }
        }
    }

    /// EHLO, falling back to HELO when EHLO is refused (RFC 5321 §4.1.1.1).
    async fn greet(&mut self, conn: &mut Connection) -> Result<(Extensions, &'static str), Fatal> {
        let ehlo = format!("EHLO {}", self.opts.ehlo_name);
        let reply = conn
            .command(&ehlo, &mut self.transcript)
            .await
            .map_err(|e| setup_fatal(&e, "EHLO"))?;
        if reply.class() == ReplyClass::Accepted {
            return Ok((parse_ehlo(&reply), "EHLO"));
        }
        if reply.class() == ReplyClass::Closing {
            return Err(Fatal {
                kind: FatalKind::Unreachable,
                message: format!("server closed the session at EHLO: {reply}"),
            });
        }
        let helo = format!("HELO {}", self.opts.ehlo_name);
        let reply = conn
            .command(&helo, &mut self.transcript)
            .await
            .map_err(|e| setup_fatal(&e, "HELO"))?;
        if reply.class() != ReplyClass::Accepted {
            return Err(Fatal {
                kind: FatalKind::Protocol,
                message: format!("server refused both EHLO and HELO: {reply}"),
            });
        }
        let name = reply.first_word();
        Ok((
            Extensions {
                server_name: name,
                ..Extensions::default()
            },
            "HELO",
        ))
    }

    /// The tests to send together from `i`: with PIPELINING and without canaries, up to
    /// [`BATCH`] consecutive tests whose sender this server already accepted; otherwise `i`
    /// alone (a new sender is tried on its own, so a refusal cannot cascade through a batch).
    fn next_batch(&self, i: usize, budget: usize) -> Vec<usize> {
        if !self.pipelining || self.opts.confirm.is_some() {
            return vec![i];
        }
        let max = BATCH.min(budget);
        let mut out = Vec::with_capacity(max);
        for k in i..self.tests.len() {
            if out.len() == max {
                break;
            }
            if self.duplicate[k] {
                continue;
            }
            if !self.good_senders.contains(&self.tests[k].mail_from) {
                if out.is_empty() {
                    out.push(k);
                }
                break;
            }
            out.push(k);
        }
        out
    }

    /// Send several tests in one pipelined write and read their replies in order.
    ///
    /// Returns how many tests completed, their combined step, and — if a test was interrupted
    /// — the result for the test at that position (which the caller handles like a single
    /// test). A test whose sender is unexpectedly refused ends the batch without a result so
    /// it reruns on its own (with the outside sender, for tricks).
    async fn run_batch(
        &mut self,
        conn: &mut Connection,
        idxs: &[usize],
    ) -> (usize, Step, Option<Result<Step, ConnError>>) {
        let mut refusals = 0;
        let mut syntax = 0;
        let mut lines: Vec<String> = Vec::with_capacity(idxs.len() * 3);
        for &k in idxs {
            let rec = &mut self.tests[k];
            rec.mail_reply = None;
            rec.rcpt_reply = None;
            rec.canary = None;
            rec.error = None;
            rec.sender_refused = None;
            lines.push(format!("MAIL FROM:<{}>", rec.mail_from));
            lines.push(format!("RCPT TO:<{}>", rec.rcpt_to));
            lines.push("RSET".to_string());
        }
        let ids: Vec<&str> = idxs.iter().map(|&k| self.tests[k].id.as_str()).collect();
        self.transcript
            .note(format!("tests {} (pipelined)", ids.join(", ")));
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let done_step = |refusals, syntax, closed| Step::Done {
            refusals,
            syntax,
            closed,
        };
        if let Err(e) = conn.send_batch(&refs, &mut self.transcript).await {
            return (0, done_step(0, 0, false), Some(Err(e)));
        }
        let mut rerun_from: Option<usize> = None;
        for (pos, &k) in idxs.iter().enumerate() {
            let mut got: [Option<Reply>; 3] = [None, None, None];
            for (slot, what) in got.iter_mut().zip(["MAIL FROM", "RCPT TO", "RSET"]) {
                match conn.read_reply(what, &mut self.transcript).await {
                    Ok(r) => *slot = Some(r),
                    Err(e) => {
                        let done = rerun_from.unwrap_or(pos);
                        return (done, done_step(refusals, syntax, false), Some(Err(e)));
                    }
                }
            }
            let [Some(mail), Some(rcpt), Some(rset)] = got else {
                return (pos, done_step(refusals, syntax, false), None);
            };
            let closed = rset.class() == ReplyClass::Closing;
            if mail.class() == ReplyClass::Closing || rcpt.class() == ReplyClass::Closing {
                let done = rerun_from.unwrap_or(pos);
                return (
                    done,
                    done_step(refusals, syntax, false),
                    Some(Ok(Step::Closing)),
                );
            }
            note_sender(
                &mut self.good_senders,
                &mut self.refused_senders,
                &self.tests[k].mail_from,
                &mail,
            );
            let rec = &mut self.tests[k];
            if mail.class() != ReplyClass::Accepted {
                refusals += 2;
                syntax += u32::from(is_syntax_error(&mail)) + u32::from(is_syntax_error(&rcpt));
                rec.mail_reply = Some(mail.clone());
                rec.outcome = outcome_of(mail.class());
                if rerun_from.is_none() && rec.addressing == Addressing::Trick {
                    rerun_from = Some(pos);
                }
            } else {
                if rcpt.class() != ReplyClass::Accepted {
                    refusals += 1;
                    syntax += u32::from(is_syntax_error(&rcpt));
                }
                rec.outcome = outcome_of(rcpt.class());
                rec.mail_reply = Some(mail);
                rec.rcpt_reply = Some(rcpt);
            }
            if closed {
                let done = rerun_from.unwrap_or(pos + 1);
                return (done, done_step(refusals, syntax, true), None);
            }
        }
        let done = rerun_from.unwrap_or(idxs.len());
        (done, done_step(refusals, syntax, false), None)
    }

    /// One relay test on an open session.
    ///
    /// When a routing-trick test's sender is refused (Exim refuses `antispam@[ip]` with "domain
    /// literals not allowed"), the recipient trick would go untested — nmap stops there. The
    /// test is retried with the plain outside sender so the RCPT TO trick is still exercised;
    /// the refused sender and its reply stay on record.
    async fn run_test(&mut self, conn: &mut Connection, i: usize) -> Result<Step, ConnError> {
        let transcript = &mut self.transcript;
        let rec = &mut self.tests[i];
        let fallback = format!("{}", self.opts.sender);
        rec.mail_reply = None;
        rec.rcpt_reply = None;
        rec.canary = None;
        rec.error = None;
        rec.sender_refused = None;
        transcript.note(format!("test {}", rec.id));
        let mut refusals = 0;
        let mut syntax = 0;
        if rec.addressing == Addressing::Trick && rec.mail_from != fallback {
            if let Some((_, reply)) = self
                .refused_senders
                .iter()
                .find(|(s, _)| *s == rec.mail_from)
            {
                transcript.note(format!(
                    "sender {} was refused earlier; using the outside sender {fallback}",
                    rec.mail_from
                ));
                let refused = std::mem::replace(&mut rec.mail_from, fallback.clone());
                rec.sender_refused = Some(SenderRefusal {
                    mail_from: refused,
                    reply: reply.clone(),
                });
            }
        }
        if self.pipelining && self.opts.confirm.is_none() && rec.sender_refused.is_none() {
            // RFC 2920: MAIL, RCPT and RSET in one write, three replies in order.
            let mail_cmd = format!("MAIL FROM:<{}>", rec.mail_from);
            let rcpt_cmd = format!("RCPT TO:<{}>", rec.rcpt_to);
            conn.send_batch(&[&mail_cmd, &rcpt_cmd, "RSET"], transcript)
                .await?;
            let mail = conn.read_reply("MAIL FROM", transcript).await?;
            if mail.class() == ReplyClass::Closing {
                return Ok(Step::Closing);
            }
            let rcpt = conn.read_reply("RCPT TO", transcript).await?;
            let rset = conn.read_reply("RSET", transcript).await?;
            let closed = rset.class() == ReplyClass::Closing;
            let mail_class = mail.class();
            note_sender(
                &mut self.good_senders,
                &mut self.refused_senders,
                &rec.mail_from,
                &mail,
            );
            if mail_class != ReplyClass::Accepted {
                // The RCPT after a refused MAIL is answered 503 (bad sequence).
                refusals += 2;
                syntax += u32::from(is_syntax_error(&mail)) + u32::from(is_syntax_error(&rcpt));
                let retry = mail_class == ReplyClass::Rejected
                    && rec.addressing == Addressing::Trick
                    && rec.mail_from != fallback
                    && !closed;
                if !retry {
                    rec.mail_reply = Some(mail);
                    rec.outcome = outcome_of(mail_class);
                    return Ok(Step::Done {
                        refusals,
                        syntax,
                        closed,
                    });
                }
                transcript.note(format!(
                    "sender refused; retrying {} with the outside sender {fallback}",
                    rec.id
                ));
                let refused = std::mem::replace(&mut rec.mail_from, fallback.clone());
                rec.sender_refused = Some(SenderRefusal {
                    mail_from: refused,
                    reply: mail,
                });
                // Fall through to the one-command-at-a-time path with the new sender.
            } else {
                let class = rcpt.class();
                if class == ReplyClass::Closing {
                    return Ok(Step::Closing);
                }
                if class != ReplyClass::Accepted {
                    refusals += 1;
                    syntax += u32::from(is_syntax_error(&rcpt));
                }
                rec.mail_reply = Some(mail);
                rec.rcpt_reply = Some(rcpt);
                rec.outcome = outcome_of(class);
                return Ok(Step::Done {
                    refusals,
                    syntax,
                    closed,
                });
            }
        }
        loop {
            let reply = conn
                .command(&format!("MAIL FROM:<{}>", rec.mail_from), transcript)
                .await?;
            let class = reply.class();
            note_sender(
                &mut self.good_senders,
                &mut self.refused_senders,
                &rec.mail_from,
                &reply,
            );
            match class {
                ReplyClass::Closing => return Ok(Step::Closing),
                ReplyClass::Accepted => {
                    rec.mail_reply = Some(reply);
                    break;
                }
                other => {
                    refusals += 1;
                    syntax += u32::from(is_syntax_error(&reply));
                    let retry = other == ReplyClass::Rejected
                        && rec.addressing == Addressing::Trick
                        && rec.sender_refused.is_none()
                        && rec.mail_from != fallback;
                    if retry {
                        transcript.note(format!(
                            "sender refused; retrying {} with the outside sender {fallback}",
                            rec.id
                        ));
                        let refused = std::mem::replace(&mut rec.mail_from, fallback.clone());
                        rec.sender_refused = Some(SenderRefusal {
                            mail_from: refused,
                            reply,
                        });
                        continue;
                    }
                    rec.mail_reply = Some(reply);
                    rec.outcome = outcome_of(other);
                    let r = conn.command("RSET", transcript).await?;
                    return Ok(Step::Done {
                        refusals,
                        syntax,
                        closed: r.class() == ReplyClass::Closing,
                    });
                }
            }
        }
        let reply = conn
            .command(&format!("RCPT TO:<{}>", rec.rcpt_to), transcript)
            .await?;
        let class = reply.class();
        if class == ReplyClass::Closing {
            return Ok(Step::Closing);
        }
        if class != ReplyClass::Accepted {
            refusals += 1;
            syntax += u32::from(is_syntax_error(&reply));
        }
        rec.rcpt_reply = Some(reply);
        rec.outcome = outcome_of(class);
        if class == ReplyClass::Accepted && self.opts.confirm.is_some() {
            let record = send_canary(conn, transcript, &self.label, rec).await?;
            rec.canary = Some(record);
        }
        let r = conn.command("RSET", transcript).await?;
        Ok(Step::Done {
            refusals,
            syntax,
            closed: r.class() == ReplyClass::Closing,
        })
    }

    /// After the battery: wait for the canaries on the ledger, if one was given.
    async fn wait_for_canaries(&mut self) -> ConfirmState {
        let Some(confirm) = &self.opts.confirm else {
            return ConfirmState::default();
        };
        let mut state = ConfirmState {
            enabled: true,
            waited: false,
            wait_secs: confirm.wait.as_secs(),
        };
        let tokens: Vec<String> = self
            .tests
            .iter()
            .filter_map(|t| t.canary.as_ref())
            .filter(|c| c.message_accepted)
            .map(|c| c.token.clone())
            .collect();
        let Some(path) = &confirm.ledger else {
            return state;
        };
        if tokens.is_empty() {
            return state;
        }
        state.waited = true;
        self.transcript.note(format!(
            "waiting up to {:?} for {} canary token(s) in {}",
            confirm.wait,
            tokens.len(),
            path.display()
        ));
        match ledger::wait_for(path, &tokens, confirm.wait).await {
            Ok(found) => {
                for c in self.tests.iter_mut().filter_map(|t| t.canary.as_mut()) {
                    if let Some(a) = found.get(&c.token) {
                        c.arrived_at = Some(a.received_at.clone());
                        c.arrived_from = Some(a.peer.clone());
                        self.transcript.note(format!(
                            "canary {} arrived at {} from {}",
                            c.token, a.received_at, a.peer
                        ));
                    }
                }
            }
            Err(e) => self
                .transcript
                .note(format!("cannot read canary ledger {}: {e}", path.display())),
        }
        state
    }
}

/// Send one canary message through an accepted MAIL/RCPT pair.
async fn send_canary(
    conn: &mut Connection,
    transcript: &mut Transcript,
    label: &str,
    rec: &TestRecord,
) -> Result<CanaryRecord, ConnError> {
    let token = token::new_token();
    let mut record = CanaryRecord {
        token: token.clone(),
        data_reply: None,
        end_reply: None,
        message_accepted: false,
        arrived_at: None,
        arrived_from: None,
    };
    let reply = conn.command("DATA", transcript).await?;
    let go = reply.code == 354;
    record.data_reply = Some(reply);
    if !go {
        return Ok(record);
    }
    let text = message::build(&token, &rec.mail_from, &rec.rcpt_to, label, &rec.id);
    for line in text.strip_suffix("\r\n").unwrap_or(&text).split("\r\n") {
        transcript.push(crate::transcript::Direction::Client, line);
    }
    transcript.push(crate::transcript::Direction::Client, ".");
    conn.write_raw(&message::to_data(&text), "message").await?;
    let end = conn.read_reply("end of DATA", transcript).await?;
    record.message_accepted = end.class() == ReplyClass::Accepted;
    record.end_reply = Some(end);
    Ok(record)
}

/// Tests sent together in one pipelined write (at most 2 refusals each, so a batch stays
/// under the refresh threshold of [`ProbeOptions::errors_per_connection`]).
const BATCH: usize = 4;

/// Remember whether the server accepted or refused a sender.
fn note_sender(
    good: &mut Vec<String>,
    refused: &mut Vec<(String, Reply)>,
    sender: &str,
    reply: &Reply,
) {
    match reply.class() {
        ReplyClass::Accepted if !good.iter().any(|g| g == sender) => {
            good.push(sender.to_string());
        }
        ReplyClass::Rejected => {
            good.retain(|g| g != sender);
            if !refused.iter().any(|(r, _)| r == sender) {
                refused.push((sender.to_string(), reply.clone()));
            }
        }
        _ => {}
    }
}

/// 500/501/503/555: replies servers count as syntax or protocol errors.
fn is_syntax_error(reply: &Reply) -> bool {
    matches!(reply.code, 500 | 501 | 503 | 555)
}

fn outcome_of(class: ReplyClass) -> TestOutcome {
    match class {
        ReplyClass::Accepted => TestOutcome::Accepted,
        ReplyClass::TempFailed | ReplyClass::Closing => TestOutcome::TempFailed,
        ReplyClass::Rejected => TestOutcome::Rejected,
        ReplyClass::AuthRequired => TestOutcome::AuthRequired,
    }
}

/// Map a failure while setting up a session to the verdict it implies.
fn setup_fatal(e: &ConnError, phase: &str) -> Fatal {
    let kind = match e {
        ConnError::Connect { .. } => FatalKind::Unreachable,
        e if e.is_timeout() => FatalKind::Timeout,
        ConnError::Closed { .. } | ConnError::Io(_) if phase == "banner" => FatalKind::Unreachable,
        _ => FatalKind::Protocol,
    };
    Fatal {
        kind,
        message: format!("{phase}: {e}"),
    }
}
