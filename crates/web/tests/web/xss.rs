//! Attacker-written header text stays text: payloads in Subject, From, display names, HELO,
//! rDNS, `by` names, Message-ID and Authentication-Results reach every page, the SVG and the
//! JSON, and nowhere become markup, an event handler or a script URL.

use crate::support::{get, state_with, tags, upload, upload_and_keep, Stores};
use relayhunt_web::Options;

/// A relay hop whose HELO and rDNS are payloads, under a Subject and From that are too.
pub const XSS_MESSAGE: &str = "Received: from mx1.victim.example (mx1.victim.example [192.0.2.10])\r
\tby inbox.victim.example (Postfix) with ESMTPS id 4AbCdE; Mon, 30 Nov 2026 10:00:05 +0000\r
Received: from <svg/onload=alert('rdns')> ([198.51.100.66] helo=<script>alert('helo')</script>)\r
\tby mx1.victim.example (Postfix) with ESMTP id 4XyZ for <ap@victim.example>; Mon, 30 Nov 2026 10:00:04 +0000\r
Received: from desk (unknown [203.0.113.9])\r
\tby </text><script>alert('by')</script> (Postfix) with SMTP; Mon, 30 Nov 2026 10:00:01 +0000\r
Authentication-Results: inbox.victim.example; spf=fail smtp.mailfrom=x@\"><script>alert('ar')</script>.example\r
From: \"<script>alert('name')</script>\" <ceo@victim.example>\r
To: ap@victim.example\r
Subject: <script>alert('subject')</script> ]]> <img src=x onerror=alert('img')>\r
Date: Mon, 30 Nov 2026 10:00:00 +0000\r
Message-ID: <x\"><script>alert('mid')</script>@evil.example>\r
\r
<script>alert('body')</script>\r
";

/// Elements the pages and the SVG are made of; anything else is injected markup.
const OUR_ELEMENTS: &[&str] = &[
    "html", "head", "meta", "title", "link", "body", "header", "nav", "main", "footer", "a", "h1",
    "h2", "h3", "p", "section", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td",
    "br", "small", "code", "pre", "article", "span", "div", "form", "label", "textarea", "input",
    "select", "option", "button", "ul", "li", "svg", "defs", "marker", "path", "text", "g", "line",
    "rect",
];

/// `s` as maud writes it in text and attribute values.
pub fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every tag is ours, no attribute is an event handler, no link is a script URL.
pub fn assert_inert(what: &str, markup: &str) {
    for t in tags(markup) {
        assert!(
            OUR_ELEMENTS.contains(&t.name.as_str()),
            "{what}: injected element <{}> in:\n{markup}",
            t.name
        );
        for (name, value) in &t.attrs {
            assert!(
                !name.starts_with("on"),
                "{what}: event handler {name} on <{}>",
                t.name
            );
            if matches!(name.as_str(), "href" | "src" | "action" | "xlink:href") {
                assert!(
                    value.starts_with('/') || value.starts_with('#'),
                    "{what}: {name}={value:?} on <{}> leaves the site",
                    t.name
                );
            }
        }
    }
    assert!(!markup.contains("<script"), "{what}: raw <script");
}

async fn analysed() -> (std::sync::Arc<relayhunt_web::AppState>, String) {
    let st = state_with(
        Options {
            trusted: vec!["*.victim.example".into()],
            ..Options::default()
        },
        vec![],
    );
    let url = upload(&st, XSS_MESSAGE.as_bytes()).await;
    (st, url)
}

#[tokio::test]
async fn payloads_reach_the_report_as_written() {
    // Otherwise the tests below would prove nothing.
    let (st, url) = analysed().await;
    let id = url.rsplit('/').next().unwrap();
    let a = st.get(id).unwrap();
    let r = &a.report;
    assert_eq!(
        r.summary.subject.as_deref().unwrap_or("").get(..8),
        Some("<script>")
    );
    assert!(r
        .summary
        .from
        .as_ref()
        .unwrap()
        .name
        .as_deref()
        .unwrap()
        .contains("<script>"));
    let hop = r
        .hops
        .iter()
        .find(|h| h.from.ip == Some("198.51.100.66".parse().unwrap()))
        .unwrap();
    // The parser keeps an Exim-style `helo=` as written but only a host-name-shaped rDNS;
    // the rDNS payload rides in the raw header text, which the page quotes as evidence and
    // the SVG as each box's title.
    assert_eq!(
        hop.from.helo.as_deref(),
        Some("<script>alert('helo')</script>"),
        "{hop:?}"
    );
    assert!(
        hop.raw.contains("from <svg/onload=alert('rdns')>"),
        "{hop:?}"
    );
    assert!(r
        .hops
        .iter()
        .any(|h| h.raw.contains("</text><script>alert('by')</script>")));
    assert_eq!(r.relay_ip, Some("198.51.100.66".parse().unwrap()));
}

#[tokio::test]
async fn analysis_page_shows_payloads_as_text() {
    let (_st, url) = analysed().await;
    let page = get(&_st, &url).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert_inert("analysis page", &html);
    for shown in [
        "<script>alert('subject')</script> ]]> <img src=x onerror=alert('img')>",
        "<script>alert('name')</script>",
        "<script>alert('helo')</script>",
    ] {
        assert!(
            html.contains(&escaped(shown)),
            "{shown:?} not shown escaped"
        );
    }
    // The relay's rDNS in the relay table, and the diagram's text inline.
    assert!(html.contains("&lt;svg/onload=alert('rdns')&gt;"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chain\""));
}

#[tokio::test]
async fn standalone_svg_shows_payloads_as_text() {
    let (st, url) = analysed().await;
    let svg = get(&st, &format!("{url}/chain.svg")).await;
    assert_eq!(svg.status, 200);
    assert!(svg.header("content-type").starts_with("image/svg+xml"));
    assert!(svg
        .header("content-security-policy")
        .contains("default-src 'none'"));
    let doc = svg.text();
    assert_inert("SVG", &doc);
    assert!(doc.contains(&escaped("helo=<script>alert('helo')</script>")));
    assert!(doc.contains(&escaped("</text><script>alert('by')</script>")));
    assert!(!doc.contains("</text><script>"));
}

async fn relay_pages_and_lists_show_payloads_as_text(stores: &Stores) {
    let st = stores.state(Options {
        trusted: vec!["*.victim.example".into()],
        ..Options::default()
    });
    upload_and_keep(&st, XSS_MESSAGE.as_bytes()).await;
    for uri in ["/", "/relays", "/relays/198.51.100.66"] {
        let r = get(&st, uri).await;
        assert_eq!(r.status, 200, "{uri}");
        let html = r.text();
        assert_inert(uri, &html);
        assert!(html.contains("198.51.100.66"), "{uri}");
    }
    let home = get(&st, "/").await.text();
    assert!(home.contains(&escaped("<script>alert('subject')</script>")));
}

#[tokio::test]
async fn json_carries_payloads_verbatim_and_is_never_sniffed_as_html() {
    let (st, url) = analysed().await;
    let id = url.rsplit('/').next().unwrap();
    let r = get(&st, &format!("/api/analysis/{id}")).await;
    assert!(r.header("content-type").starts_with("application/json"));
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    let v = r.json();
    assert_eq!(
        v["report"]["summary"]["from"]["name"],
        "<script>alert('name')</script>"
    );
}

/// Payloads as another client of a shared store (or an older relayhunt) might have written
/// them: in the relay's rDNS, HELO and owner, a message's subject, sender, hops, findings
/// and even verdict and severity, a probe's banner and transcript, a report's recipient,
/// and an audited file's name and value.
async fn stored_payloads_stay_text_on_every_store_page(stores: &Stores) {
    use relayhunt_store::*;
    let st = stores.state(Options {
        trusted: vec!["*.victim.example".into()],
        ..Options::default()
    });
    // Through the form, as a person would keep it: the HELO payload reaches the relay row.
    upload_and_keep(&st, XSS_MESSAGE.as_bytes()).await;
    let relay: std::net::IpAddr = "198.51.100.77".parse().unwrap();
    let audit_id = {
        let mut s = st.store.as_ref().unwrap().lock().unwrap();
        let hop = NewHop {
            role: "entry\"><script>alert('role')</script>".into(),
            from_ip: Some(relay),
            from_rdns: Some("x\"><svg/onload=alert('rdns')>.example".into()),
            from_helo: Some("<script>alert('helo')</script>".into()),
            by_host: Some("</td><script>alert('by')</script>".into()),
            flags: vec!["<b onclick=alert('flag')>".into()],
            raw: "Received: from <script>alert('raw')</script>".into(),
            ..NewHop::default()
        };
        s.add_messages(&[NewMessage {
            content_hash: "e3".repeat(32),
            source: "<img src=x onerror=alert('source')>".into(),
            seen_at: Some(1_796_000_000),
            from_addr: Some("\"><script>alert('from')</script>@evil.example".into()),
            from_name: Some("<script>alert('name')</script>".into()),
            subject: Some(
                "<script>alert('subject')</script> <img src=x onerror=alert('img')>".into(),
            ),
            message_id: Some("<x\"><script>alert('mid')</script>@evil.example>".into()),
            verdict: "\"><script>alert('verdict')</script>".into(),
            severity: "x\" onmouseover=\"alert('sev')".into(),
            relay_ip: Some(relay),
            relay_rdns: Some("x\"><svg/onload=alert('rdns')>.example".into()),
            relay_helo: Some("<script>alert('helo')</script>".into()),
            hops: vec![hop],
            findings: vec![NewFinding {
                id: "<script>alert('fid')</script>".into(),
                severity: "<i>high".into(),
                title: "<iframe src=javascript:alert('title')>".into(),
                hop: Some(0),
            }],
            owners: vec![RelayOwner {
                ip: Some(relay),
                summary: "<script>alert('owner')</script> AS64500".into(),
                abuse_contact: Some(
                    "\"><a href=javascript:alert('abuse')>x</a>@evil.example".into(),
                ),
                json: Some("{\"org\":\"<script>alert('org')</script>\"}".into()),
            }],
            report: "{\"subject\":\"<script>alert('json')</script>\"}".into(),
            ..NewMessage::default()
        }])
        .unwrap();
        let run = s
            .start_probe_run(&NewProbeRun {
                options: "<script>alert('options')</script>".into(),
            })
            .unwrap();
        s.add_probe_result(
            run,
            &NewProbeResult {
                target: "<svg onload=alert('target')>".into(),
                ip: Some(relay),
                port: Some(25),
                verdict: "<script>alert('pv')</script>".into(),
                detail: "</pre><script>alert('detail')</script>".into(),
                transcript: Some("S: 220 <script>alert('banner')</script> ESMTP\n".into()),
                server_name: Some("<script>alert('server')</script>".into()),
                ..NewProbeResult::default()
            },
        )
        .unwrap();
        s.finish_probe_run(run).unwrap();
        s.add_report(&NewReport {
            relay_ip: Some(relay),
            format: "<b>text".into(),
            recipient: Some("<script>alert('rcpt')</script>".into()),
            status: "<i>sent".into(),
            destination: Some("javascript:alert('dest')".into()),
            detail: Some("250 <script>alert('reply')</script>".into()),
            ..NewReport::default()
        })
        .unwrap();
        let report = relayhunt_audit::audit_text(
            "<img src=x onerror=alert('cfpath')>/main.cf",
            "mynetworks = 0.0.0.0/0 <script>alert('cf')</script>\n\
             smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
            Some(relayhunt_audit::Mta::Postfix),
        )
        .unwrap();
        let json = relayhunt_audit::output::json::render(&report);
        assert_eq!(report.findings.len(), 1, "{json}");
        s.add_audit(&NewAudit::from_report(&report, &json)).unwrap()
    };
    let mut pages = vec![
        "/".to_string(),
        "/relays".into(),
        "/relays/198.51.100.66".into(),
        "/relays/198.51.100.77".into(),
        "/messages/1".into(),
        "/messages/2".into(),
        "/probes".into(),
        "/probes/1".into(),
        "/audits".into(),
        format!("/audits/{audit_id}"),
    ];
    pages.sort();
    let mut all = String::new();
    for uri in &pages {
        let r = get(&st, uri).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text());
        let html = r.text();
        assert_inert(uri, &html);
        all.push_str(&html);
    }
    for shown in [
        "<script>alert('helo')</script>",
        "x\"><svg/onload=alert('rdns')>.example",
        "<script>alert('subject')</script> <img src=x onerror=alert('img')>",
        "<script>alert('owner')</script> AS64500",
        "S: 220 <script>alert('banner')</script> ESMTP",
        "<script>alert('rcpt')</script>",
        "mynetworks = 0.0.0.0/0 <script>alert('cf')</script>",
        "<img src=x onerror=alert('cfpath')>/main.cf",
        "</pre><script>alert('detail')</script>",
    ] {
        assert!(all.contains(&escaped(shown)), "{shown:?} not shown escaped");
    }
    // The relay pages show the HELO kept from the upload and the stored rDNS as text.
    let r66 = get(&st, "/relays/198.51.100.66").await.text();
    assert!(r66.contains(&escaped("<script>alert('helo')</script>")));
    let r77 = get(&st, "/relays/198.51.100.77").await.text();
    assert!(r77.contains(&format!(
        "<td id=\"relay-rdns\">{}</td>",
        escaped("x\"><svg/onload=alert('rdns')>.example")
    )));
    // JSON keeps them verbatim.
    let h = get(&st, "/api/relays/198.51.100.77").await.json();
    assert_eq!(h["rdns"], "x\"><svg/onload=alert('rdns')>.example");
    assert_eq!(h["probes"][0]["target"], "<svg onload=alert('target')>");
}

crate::store::on_both! {
    stored_payloads_on_postgres:
    relay_pages_and_lists_show_payloads_as_text => relay_pages_and_lists_show_payloads_as_text_sqlite,
    stored_payloads_stay_text_on_every_store_page
        => stored_payloads_stay_text_on_every_store_page_sqlite,
}
