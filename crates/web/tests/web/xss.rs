//! Attacker-written header text stays text: payloads in Subject, From, display names, HELO,
//! rDNS, `by` names, Message-ID and Authentication-Results reach every page, the SVG and the
//! JSON, and nowhere become markup, an event handler or a script URL.

use crate::support::{get, state_with, tags, upload};
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
    "select", "option", "button", "svg", "defs", "marker", "path", "text", "g", "line", "rect",
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

#[tokio::test]
async fn relay_pages_and_lists_show_payloads_as_text() {
    let (st, _url) = analysed().await;
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
