//! Reading: relay lists with filters, one relay's history, messages, probes, audits.
//!
//! Filters are added to the SQL only when set, each with its own numbered parameter, so
//! both engines see plain typed comparisons (PostgreSQL cannot type `$1 IS NULL`).

use crate::error::StoreError;
use crate::model::*;
use crate::sql::{Row, Value};
use crate::Store;
use std::net::IpAddr;

const RELAY_COLUMNS: &str = "ip, rdns, helo, first_seen, last_seen, message_count, probe_count, \
     last_probe_verdict, last_probed_at, report_count, last_reported_at, owner, abuse_contact";

fn relay(r: &Row) -> Result<Relay, StoreError> {
    Ok(Relay {
        ip: r.text(0)?,
        rdns: r.opt_text(1)?,
        helo: r.opt_text(2)?,
        first_seen: r.int(3)?,
        last_seen: r.int(4)?,
        message_count: r.int(5)?,
        probe_count: r.int(6)?,
        last_probe_verdict: r.opt_text(7)?,
        last_probed_at: r.opt_int(8)?,
        report_count: r.int(9)?,
        last_reported_at: r.opt_int(10)?,
        owner: r.opt_text(11)?,
        abuse_contact: r.opt_text(12)?,
    })
}

const MESSAGE_COLUMNS: &str = "id, content_hash, source, stored_at, seen_at, date_unix, \
     from_addr, from_name, subject, message_id, verdict, severity, relay_ip, origin_ip";

fn message(r: &Row) -> Result<MessageRow, StoreError> {
    Ok(MessageRow {
        id: r.int(0)?,
        content_hash: r.text(1)?,
        source: r.text(2)?,
        stored_at: r.int(3)?,
        seen_at: r.int(4)?,
        date_unix: r.opt_int(5)?,
        from_addr: r.opt_text(6)?,
        from_name: r.opt_text(7)?,
        subject: r.opt_text(8)?,
        message_id: r.opt_text(9)?,
        verdict: r.text(10)?,
        severity: r.text(11)?,
        relay_ip: r.opt_text(12)?,
        origin_ip: r.opt_text(13)?,
    })
}

const PROBE_COLUMNS: &str = "id, run, probed_at, target, ip, port, verdict, open_evidence, \
     detail, duration_ms";

fn probe_result(r: &Row, full: bool) -> Result<ProbeResultRow, StoreError> {
    Ok(ProbeResultRow {
        id: r.int(0)?,
        run: r.int(1)?,
        probed_at: r.int(2)?,
        target: r.text(3)?,
        ip: r.opt_text(4)?,
        port: r.opt_int(5)?,
        verdict: r.text(6)?,
        open_evidence: r.opt_text(7)?,
        detail: r.text(8)?,
        duration_ms: r.opt_int(9)?,
        transcript: if full { r.opt_text(10)? } else { None },
        result: if full { r.opt_text(11)? } else { None },
    })
}

const RUN_COLUMNS: &str = "id, started_at, finished_at, options, targets, findings, failures";

fn probe_run(r: &Row) -> Result<ProbeRun, StoreError> {
    Ok(ProbeRun {
        id: r.int(0)?,
        started_at: r.int(1)?,
        finished_at: r.opt_int(2)?,
        options: r.text(3)?,
        targets: r.int(4)?,
        findings: r.int(5)?,
        failures: r.int(6)?,
    })
}

const AUDIT_COLUMNS: &str =
    "id, audited_at, source, mta, verdict, findings, max_severity, warnings";

fn audit(r: &Row, full: bool) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        id: r.int(0)?,
        audited_at: r.int(1)?,
        source: r.text(2)?,
        mta: r.opt_text(3)?,
        verdict: r.opt_text(4)?,
        findings: r.int(5)?,
        max_severity: r.opt_text(6)?,
        warnings: r.int(7)?,
        report: if full { r.opt_text(8)? } else { None },
    })
}

const REPORT_COLUMNS: &str = "id, created_at, updated_at, relay_ip, message, probe_result, \
     format, recipient, status, destination, detail";

fn report(r: &Row) -> Result<ReportRow, StoreError> {
    Ok(ReportRow {
        id: r.int(0)?,
        created_at: r.int(1)?,
        updated_at: r.int(2)?,
        relay_ip: r.opt_text(3)?,
        message: r.opt_int(4)?,
        probe_result: r.opt_int(5)?,
        format: r.text(6)?,
        recipient: r.opt_text(7)?,
        status: r.text(8)?,
        destination: r.opt_text(9)?,
        detail: r.opt_text(10)?,
    })
}

/// `LIMIT n` (0 = none).
fn limit(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" LIMIT {n}")
    }
}

/// One list query: `SELECT columns FROM table [WHERE column = $1] ORDER BY order
/// [LIMIT n]`, every row through `map`. The lists of messages, probes, reports, runs and
/// audits differ only in these parts.
struct List<'a> {
    columns: &'a str,
    table: &'a str,
    /// Keep the rows whose `column` equals the value.
    only: Option<(&'a str, Value)>,
    order: &'a str,
    limit: usize,
}

impl Store {
    fn list<T>(
        &mut self,
        q: List<'_>,
        map: impl Fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let (filter, params) = match q.only {
            Some((column, value)) => (format!(" WHERE {column} = $1"), vec![value]),
            None => (String::new(), Vec::new()),
        };
        let sql = format!(
            "SELECT {} FROM {}{filter} ORDER BY {}{}",
            q.columns,
            q.table,
            q.order,
            limit(q.limit)
        );
        self.db.query(&sql, &params)?.iter().map(map).collect()
    }

    /// Relays matching `filter`, ordered by last seen or message count (ties by address).
    pub fn relays(&mut self, filter: &RelayFilter) -> Result<Vec<Relay>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        if let Some(since) = filter.since {
            params.push(Value::Int(since));
            clauses.push(format!("r.last_seen >= ${}", params.len()));
        }
        if let Some(v) = &filter.verdict {
            params.push(v.to_ascii_lowercase().into());
            let lower = params.len();
            params.push(v.to_ascii_uppercase().into());
            let upper = params.len();
            clauses.push(format!(
                "(EXISTS (SELECT 1 FROM messages m WHERE m.relay_ip = r.ip AND m.verdict = ${lower}) \
                 OR EXISTS (SELECT 1 FROM probe_results p WHERE p.ip = r.ip AND p.verdict = ${upper}))"
            ));
        }
        match filter.reported {
            Some(true) => clauses.push("r.report_count > 0".into()),
            Some(false) => clauses.push("r.report_count = 0".into()),
            None => {}
        }
        let order = match filter.order {
            RelayOrder::LastSeen => "r.last_seen DESC, r.message_count DESC, r.ip",
            RelayOrder::MessageCount => "r.message_count DESC, r.last_seen DESC, r.ip",
        };
        let columns = RELAY_COLUMNS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!("SELECT {columns} FROM relays r");
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(order);
        sql.push_str(&limit(filter.limit));
        self.db.query(&sql, &params)?.iter().map(relay).collect()
    }

    /// One relay's history: its row, the messages it relayed, its probes and the reports
    /// about it (each newest first, at most `limit` of each; 0 = all). `None` when the
    /// address was never seen.
    pub fn relay(
        &mut self,
        ip: IpAddr,
        limit_each: usize,
    ) -> Result<Option<RelayHistory>, StoreError> {
        let key: Value = ip.to_string().into();
        let Some(row) = self.db.query_opt(
            &format!("SELECT {RELAY_COLUMNS}, owner_json FROM relays WHERE ip = $1"),
            std::slice::from_ref(&key),
        )?
        else {
            return Ok(None);
        };
        let relay_row = relay(&row)?;
        let owner_json = row.opt_text(13)?;
        let only = |column| Some((column, key.clone()));
        let messages = self.list(
            List {
                columns: MESSAGE_COLUMNS,
                table: "messages",
                only: only("relay_ip"),
                order: "seen_at DESC, id DESC",
                limit: limit_each,
            },
            message,
        )?;
        let probes = self.list(
            List {
                columns: PROBE_COLUMNS,
                table: "probe_results",
                only: only("ip"),
                order: "probed_at DESC, id DESC",
                limit: limit_each,
            },
            |r| probe_result(r, false),
        )?;
        let reports = self.list(
            List {
                columns: REPORT_COLUMNS,
                table: "reports",
                only: only("relay_ip"),
                order: "created_at DESC, id DESC",
                limit: limit_each,
            },
            report,
        )?;
        Ok(Some(RelayHistory {
            relay: relay_row,
            owner_json,
            messages,
            probes,
            reports,
        }))
    }

    /// Stored messages, newest seen first; `relay` keeps those relayed by one address.
    pub fn messages(
        &mut self,
        relay: Option<IpAddr>,
        limit_n: usize,
    ) -> Result<Vec<MessageRow>, StoreError> {
        self.list(
            List {
                columns: MESSAGE_COLUMNS,
                table: "messages",
                only: relay.map(|ip| ("relay_ip", ip.to_string().into())),
                order: "seen_at DESC, id DESC",
                limit: limit_n,
            },
            message,
        )
    }

    /// One stored message with its hops, findings and report.
    pub fn message(&mut self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        self.message_where("id = $1", Value::Int(id))
    }

    /// One stored message by the SHA-256 of its content.
    pub fn message_by_hash(&mut self, hash: &str) -> Result<Option<StoredMessage>, StoreError> {
        self.message_where("content_hash = $1", hash.to_ascii_lowercase().into())
    }

    fn message_where(
        &mut self,
        cond: &str,
        key: Value,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let Some(row) = self.db.query_opt(
            &format!("SELECT {MESSAGE_COLUMNS}, report FROM messages WHERE {cond}"),
            &[key],
        )?
        else {
            return Ok(None);
        };
        let row_fields = message(&row)?;
        let report_json = row.text(14)?;
        let id = Value::Int(row_fields.id);
        let hops = self
            .db
            .query(
                "SELECT role, trusted, from_ip, from_rdns, from_helo, by_host, protocol, \
                 date_unix, delay_secs, flags, raw FROM hops WHERE message = $1 ORDER BY idx",
                std::slice::from_ref(&id),
            )?
            .iter()
            .map(|r| {
                Ok(NewHop {
                    role: r.text(0)?,
                    trusted: r.boolean(1)?,
                    from_ip: r.opt_text(2)?.and_then(|s| s.parse().ok()),
                    from_rdns: r.opt_text(3)?,
                    from_helo: r.opt_text(4)?,
                    by_host: r.opt_text(5)?,
                    protocol: r.opt_text(6)?,
                    date_unix: r.opt_int(7)?,
                    delay_secs: r.opt_int(8)?,
                    flags: r
                        .text(9)?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                    raw: r.text(10)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let findings = self
            .db
            .query(
                "SELECT finding, severity, title, hop FROM findings WHERE message = $1 \
                 ORDER BY idx",
                &[id],
            )?
            .iter()
            .map(|r| {
                Ok(NewFinding {
                    id: r.text(0)?,
                    severity: r.text(1)?,
                    title: r.text(2)?,
                    hop: r.opt_int(3)?.and_then(|h| usize::try_from(h).ok()),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(StoredMessage {
            row: row_fields,
            hops,
            findings,
            report: report_json,
        }))
    }

    /// Probe runs, newest first.
    pub fn probe_runs(&mut self, limit_n: usize) -> Result<Vec<ProbeRun>, StoreError> {
        self.list(
            List {
                columns: RUN_COLUMNS,
                table: "probe_runs",
                only: None,
                order: "started_at DESC, id DESC",
                limit: limit_n,
            },
            probe_run,
        )
    }

    /// One probe run with its results (transcripts included), in the order recorded.
    pub fn probe_run(
        &mut self,
        id: i64,
    ) -> Result<Option<(ProbeRun, Vec<ProbeResultRow>)>, StoreError> {
        let Some(run) = self.db.query_opt(
            &format!("SELECT {RUN_COLUMNS} FROM probe_runs WHERE id = $1"),
            &[Value::Int(id)],
        )?
        else {
            return Ok(None);
        };
        let results = self
            .db
            .query(
                &format!(
                    "SELECT {PROBE_COLUMNS}, transcript, result FROM probe_results \
                     WHERE run = $1 ORDER BY id"
                ),
                &[Value::Int(id)],
            )?
            .iter()
            .map(|r| probe_result(r, true))
            .collect::<Result<_, _>>()?;
        Ok(Some((probe_run(&run)?, results)))
    }

    /// One probe result with its transcript.
    pub fn probe_result(&mut self, id: i64) -> Result<Option<ProbeResultRow>, StoreError> {
        self.db
            .query_opt(
                &format!(
                    "SELECT {PROBE_COLUMNS}, transcript, result FROM probe_results WHERE id = $1"
                ),
                &[Value::Int(id)],
            )?
            .map(|r| probe_result(&r, true))
            .transpose()
    }

    /// Audits, newest first (without their report JSON).
    pub fn audits(&mut self, limit_n: usize) -> Result<Vec<AuditRow>, StoreError> {
        self.list(
            List {
                columns: AUDIT_COLUMNS,
                table: "audits",
                only: None,
                order: "audited_at DESC, id DESC",
                limit: limit_n,
            },
            |r| audit(r, false),
        )
    }

    /// One audit with its report JSON.
    pub fn audit(&mut self, id: i64) -> Result<Option<AuditRow>, StoreError> {
        self.db
            .query_opt(
                &format!("SELECT {AUDIT_COLUMNS}, report FROM audits WHERE id = $1"),
                &[Value::Int(id)],
            )?
            .map(|r| audit(&r, true))
            .transpose()
    }

    /// Abuse reports, newest first; `relay` keeps those about one address.
    pub fn reports(
        &mut self,
        relay: Option<IpAddr>,
        limit_n: usize,
    ) -> Result<Vec<ReportRow>, StoreError> {
        self.list(
            List {
                columns: REPORT_COLUMNS,
                table: "reports",
                only: relay.map(|ip| ("relay_ip", ip.to_string().into())),
                order: "created_at DESC, id DESC",
                limit: limit_n,
            },
            report,
        )
    }

    /// How many rows each table holds.
    pub fn counts(&mut self) -> Result<Counts, StoreError> {
        let row = self
            .db
            .query_opt(
                "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM hops), \
                 (SELECT COUNT(*) FROM findings), (SELECT COUNT(*) FROM relays), \
                 (SELECT COUNT(*) FROM probe_runs), (SELECT COUNT(*) FROM probe_results), \
                 (SELECT COUNT(*) FROM audits), (SELECT COUNT(*) FROM reports)",
                &[],
            )?
            .ok_or_else(|| StoreError::Corrupt("COUNT gave no row".into()))?;
        Ok(Counts {
            messages: row.int(0)?,
            hops: row.int(1)?,
            findings: row.int(2)?,
            relays: row.int(3)?,
            probe_runs: row.int(4)?,
            probe_results: row.int(5)?,
            audits: row.int(6)?,
            reports: row.int(7)?,
        })
    }
}
