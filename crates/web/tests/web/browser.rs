//! In real headless Chromium, as a person would: upload a corpus message, read the verdict,
//! see the diagram, follow the link to the relay's history; paste a hostile message and see
//! that nothing in it runs. Keeps a screenshot of the analysis page in the target dir.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `$RELAYHUNT_CHROMIUM`). Without it the tests
//! skip, except in CI (`RELAYHUNT_REQUIRE_MTAS=1` or `RELAYHUNT_REQUIRE_BROWSER=1`), where
//! they fail.

use crate::support::{corpus, reporter, state_with_store, NOW};
use crate::xss::XSS_MESSAGE;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::cdp::browser_protocol::page::EventJavascriptDialogOpening;
use chromiumoxide::cdp::js_protocol::runtime::EventExceptionThrown;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use futures::StreamExt;
use relayhunt_web::{AppState, Options};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The corpus message the browser uploads: spam handed to the recipient's server by an
/// unrelated host (a relay), with a multi-hop chain.
pub const CORPUS_RELAY: &str =
    "spamassassin_public/spam/00001.7848dde101aa985090474a91ec93fcf0.eml";

/// Where the screenshot of the analysis page is kept.
pub fn screenshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web/analysis-page.png")
}

fn required() -> bool {
    ["RELAYHUNT_REQUIRE_MTAS", "RELAYHUNT_REQUIRE_BROWSER"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|x| x == "1"))
}

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("RELAYHUNT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.is_file() {
        return Some(p);
    }
    assert!(
        !required(),
        "{} not found: install Debian's chromium (scripts/install-test-deps.sh) or set RELAYHUNT_CHROMIUM",
        p.display()
    );
    eprintln!("skipping browser test: {} not found", p.display());
    None
}

/// The app on 127.0.0.1 (an ephemeral port), served until the test ends.
async fn serve(state: Arc<AppState>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, relayhunt_web::router(state))
            .await
            .unwrap();
    });
    addr
}

struct Chromium {
    browser: Browser,
    events: tokio::task::JoinHandle<()>,
}

impl Chromium {
    async fn launch(exe: &PathBuf, name: &str) -> Chromium {
        let profile = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("chromium-profile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut cfg = BrowserConfig::builder()
            .chrome_executable(exe)
            .user_data_dir(&profile)
            .window_size(1100, 1400)
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(30))
            // Nothing but the loopback server: no updates, metrics, sync or prefetch (keys
            // without the leading dashes, as chromiumoxide adds them).
            .args([
                "disable-background-networking",
                "disable-component-update",
                "disable-domain-reliability",
                "disable-sync",
                "no-pings",
                "no-first-run",
                "dns-prefetch-disable",
            ]);
        if relayhunt_pg_fixture::is_root() {
            cfg = cfg.no_sandbox();
        }
        let (browser, mut handler) = Browser::launch(cfg.build().unwrap()).await.unwrap();
        let events = tokio::spawn(async move {
            while let Some(ev) = handler.next().await {
                if ev.is_err() {
                    break;
                }
            }
        });
        Chromium { browser, events }
    }

    async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        let _ = self.events.await;
    }
}

/// Inner text of the first element matching `css`, when there is one.
async fn text_of(page: &Page, css: &str) -> Option<String> {
    page.find_element(css).await.ok()?.inner_text().await.ok()?
}

/// Poll until `css` exists and its text satisfies `ok` (5 s at most).
async fn wait_for(page: &Page, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        if let Some(t) = text_of(page, css).await {
            if ok(&t) {
                return t;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{css} did not appear (page: {:?})",
            page.url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn eval<T: serde::de::DeserializeOwned>(page: &Page, js: &str) -> T {
    page.evaluate(js).await.unwrap().into_value().unwrap()
}

/// Count dialogs and uncaught script errors: an injected `alert(…)` would open one.
fn watch_scripts(page: &Page, dialogs: Arc<AtomicUsize>) -> impl std::future::Future<Output = ()> {
    let page = page.clone();
    async move {
        let mut d = page
            .event_listener::<EventJavascriptDialogOpening>()
            .await
            .unwrap();
        let mut x = page.event_listener::<EventExceptionThrown>().await.unwrap();
        loop {
            tokio::select! {
                Some(_) = d.next() => { dialogs.fetch_add(1, Ordering::SeqCst); }
                Some(_) = x.next() => { dialogs.fetch_add(1, Ordering::SeqCst); }
                else => break,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_a_corpus_message_see_verdict_and_diagram_then_the_relay_history() {
    let Some(exe) = chromium() else { return };
    // Chromium reads the chosen file at submit time; give it a path without `..`.
    let Some(path) = corpus(CORPUS_RELAY) else {
        return;
    };
    let path = path.canonicalize().unwrap();
    let raw = std::fs::read(&path).unwrap();
    let expected = relayhunt_analyze::analyze_bytes(
        &raw,
        &relayhunt_analyze::Config {
            now: Some(NOW),
            ..Default::default()
        },
    )
    .unwrap();
    let relay = expected.relay_ip.expect("the corpus message names a relay");
    let (st, _dir) = state_with_store(Options::default());
    let addr = serve(st).await;
    let chrome = Chromium::launch(&exe, "upload").await;
    let page = chrome
        .browser
        .new_page(format!("http://{addr}/"))
        .await
        .unwrap();
    assert_eq!(wait_for(&page, "h1", |_| true).await, "Analyze a message");

    // Choose the file in the form's file input, as the file dialog would, and submit.
    let input = page.find_element("input[type=file]").await.unwrap();
    page.execute(
        SetFileInputFilesParams::builder()
            .file(path.display().to_string())
            .backend_node_id(input.backend_node_id)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    // Tick "Keep in the store", so the relay's history remembers the message.
    page.find_element("input#store")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.find_element("button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let verdict = wait_for(&page, "h1#verdict", |_| true).await;
    let kind = relayhunt_web::pages::analysis::words(expected.verdict.kind.as_str());
    assert_eq!(verdict, kind);
    // The diagram: one box per hop, the boundary, the relay outlined.
    let boxes: usize = eval(&page, "document.querySelectorAll('svg.chain g.hop').length").await;
    assert_eq!(boxes, expected.hops.len());
    let relay_tag: String = eval(
        &page,
        "Array.from(document.querySelectorAll('svg.chain text')).map(t => t.textContent).filter(t => t.startsWith('RELAY ')).join('|')",
    )
    .await;
    assert_eq!(relay_tag, format!("RELAY {relay}"));
    let shown: f64 = eval(
        &page,
        "document.querySelector('svg.chain').getBoundingClientRect().height",
    )
    .await;
    assert!(shown > 100.0, "the diagram is laid out ({shown}px)");
    let shot = screenshot_path();
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &shot)
        .await
        .unwrap();
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot {}",
        shot.display()
    );

    // Follow the relay link to its history.
    page.find_element("#relay-link")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = wait_for(&page, "h1#relay-ip", |_| true).await;
    assert_eq!(h1, format!("Relay {relay}"));
    assert_eq!(text_of(&page, "#message-count").await.as_deref(), Some("1"));
    let subject = expected.summary.subject.clone().unwrap_or_default();
    let listed = text_of(&page, "#relay-messages").await.unwrap_or_default();
    assert!(
        listed.contains(subject.trim()),
        "{listed:?} lacks {subject:?}"
    );
    // The store's own page for the message is one click further.
    page.find_element("#relay-messages a")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let stored_subject = wait_for(&page, "h1#message-subject", |_| true).await;
    assert_eq!(
        stored_subject.trim(),
        expected.summary.subject.clone().unwrap_or_default().trim()
    );
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_xss_payloads_stay_inert_in_the_browser() {
    let Some(exe) = chromium() else { return };
    let st = Arc::new(AppState::new(
        Options {
            now: Some(NOW),
            trusted: vec!["*.victim.example".into()],
            ..Options::default()
        },
        None,
        Ok(reporter()),
    ));
    let addr = serve(st).await;
    let chrome = Chromium::launch(&exe, "xss").await;
    let page = chrome
        .browser
        .new_page(format!("http://{addr}/"))
        .await
        .unwrap();
    let dialogs = Arc::new(AtomicUsize::new(0));
    let watcher = tokio::spawn(watch_scripts(&page, dialogs.clone()));
    wait_for(&page, "h1", |_| true).await;
    // Paste: put the text in the textarea, then press the button.
    let js = format!(
        "document.querySelector('#headers').value = {}; true",
        serde_json::to_string(XSS_MESSAGE).unwrap()
    );
    let _: bool = eval(&page, &js).await;
    page.find_element("button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&page, "h1#verdict", |_| true).await;

    let subject: String = eval(&page, "document.querySelector('#subject').textContent").await;
    assert_eq!(
        subject,
        "<script>alert('subject')</script> ]]> <img src=x onerror=alert('img')>"
    );
    let from: String = eval(&page, "document.querySelector('#from').textContent").await;
    assert!(from.starts_with("<script>alert('name')</script>"), "{from}");
    let injected: usize = eval(
        &page,
        "document.querySelectorAll('script, img, iframe, object, embed, svg svg, [onload], [onerror]').length",
    )
    .await;
    assert_eq!(injected, 0, "no element came from the message");
    let helo_text: bool = eval(
        &page,
        "Array.from(document.querySelectorAll('svg.chain title')).some(t => t.textContent.includes(\"<script>alert('helo')</script>\"))",
    )
    .await;
    assert!(helo_text, "the HELO payload is drawn as text in the SVG");

    // The standalone SVG parses as XML (no parsererror) and holds no script either.
    let url = page.url().await.unwrap().unwrap();
    page.goto(format!("{url}/chain.svg")).await.unwrap();
    let (root, errors, scripts): (String, usize, usize) = eval(
        &page,
        "[document.documentElement.localName, document.getElementsByTagName('parsererror').length, document.getElementsByTagName('script').length]",
    )
    .await;
    assert_eq!((root.as_str(), errors, scripts), ("svg", 0, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dialogs.load(Ordering::SeqCst), 0, "a payload ran");
    watcher.abort();
    chrome.close().await;
}
