//! The hop-chain SVG on real mail: one box per hop with the oldest at the bottom, arrows
//! with delays, the trust boundary, the relay hop outlined, findings pinned to their hops.

use crate::support::{corpus, get, sample, state, upload, NOW};
use crate::xss::assert_inert;
use relayhunt_web::chain_svg::{self, MAX_HOPS_DRAWN};

/// The `y` of hop `i`'s box in `svg`.
fn box_y(svg: &str, i: usize) -> i64 {
    let at = svg
        .find(&format!("id=\"svg-hop-{i}\""))
        .unwrap_or_else(|| panic!("no box for hop {i}"));
    let rect = at + svg[at..].find("<rect ").unwrap();
    let y = rect + svg[rect..].find(" y=\"").unwrap() + 4;
    svg[y..y + svg[y..].find('"').unwrap()].parse().unwrap()
}

/// The markup of hop `i`'s group.
fn group(svg: &str, i: usize) -> &str {
    let at = svg.find(&format!("id=\"svg-hop-{i}\"")).unwrap();
    let end = at + svg[at..].find("</g>").unwrap();
    &svg[at..end]
}

fn analyse(raw: &[u8]) -> relayhunt_analyze::Report {
    let cfg = relayhunt_analyze::Config {
        now: Some(NOW),
        ..Default::default()
    };
    relayhunt_analyze::analyze_bytes(raw, &cfg).unwrap()
}

#[test]
fn seed_relay_chain_is_drawn_bottom_up_with_boundary_relay_and_pins() {
    let r = analyse(&sample("seed-relay.eml"));
    let svg = chain_svg::render(&r).into_string();
    let n = r.hops.len();
    assert_eq!(svg.matches("<g class=\"hop\"").count(), n);
    // Oldest at the bottom: y decreases from hop 0 to the newest.
    for i in 1..n {
        assert!(
            box_y(&svg, i) < box_y(&svg, i - 1),
            "hop {i} above hop {}",
            i - 1
        );
    }
    // One arrow per pair, each with the delay the analyzer computed.
    assert_eq!(svg.matches("<g class=\"arrow\"").count(), n - 1);
    for c in r.chain.iter().skip(1) {
        if let Some(d) = c.delay_secs {
            assert!(svg.contains(&format!(">{}</text>", relayhunt_web::text::delay(d))));
        }
    }
    // The trust boundary, and the relay hop: the hop that recorded 198.51.100.25.
    assert_eq!(svg.matches("<g class=\"boundary\"").count(), 1);
    let relay = chain_svg::relay_hop(&r).unwrap();
    assert_eq!(r.hops[relay].from.ip, r.relay_ip);
    assert!(group(&svg, relay).contains("RELAY 198.51.100.25"));
    assert!(group(&svg, relay).contains("stroke=\"#c62828\" stroke-width=\"3.5\""));
    assert_eq!(svg.matches("RELAY ").count(), 1);
    // The boundary line lies below the entry hop's box and above the hop below it.
    let b = r.boundary.as_ref().unwrap();
    let line_at = svg.find("<g class=\"boundary\"").unwrap();
    let y1 = line_at + svg[line_at..].find("y1=\"").unwrap() + 4;
    let y: i64 = svg[y1..y1 + svg[y1..].find('"').unwrap()].parse().unwrap();
    assert!(y > box_y(&svg, b.entry_hop));
    if b.entry_hop > 0 {
        assert!(y < box_y(&svg, b.entry_hop - 1));
    }
    // Findings about a hop are pinned to it and link to their explanation.
    let pinned: Vec<(usize, usize)> = r
        .findings
        .iter()
        .enumerate()
        .filter_map(|(k, f)| f.hop.map(|h| (k, h)))
        .collect();
    assert!(!pinned.is_empty(), "the seed has hop findings");
    for (k, h) in pinned.iter().take(chain_svg::MAX_PINS_PER_HOP) {
        assert!(
            group(&svg, *h).contains(&format!("href=\"#finding-{k}\"")),
            "finding {k} on hop {h}"
        );
    }
}

#[test]
fn long_chains_draw_the_newest_hops_and_say_how_many_are_left_out() {
    let mut raw = String::new();
    for i in (0..100).rev() {
        raw.push_str(&format!(
            "Received: from h{i}.example (h{i}.example [198.51.100.{}]) by h{}.example with SMTP; Mon, 30 Nov 2026 10:{:02}:00 +0000\r\n",
            i % 250,
            i + 1,
            i % 60
        ));
    }
    raw.push_str("Subject: long\r\n\r\nbody\r\n");
    let r = analyse(raw.as_bytes());
    assert_eq!(r.hops.len(), 100);
    let svg = chain_svg::render(&r).into_string();
    assert_eq!(svg.matches("<g class=\"hop\"").count(), MAX_HOPS_DRAWN);
    assert!(svg.contains("40 older hops not drawn"));
    assert!(svg.contains("id=\"svg-hop-99\""));
    assert!(!svg.contains("id=\"svg-hop-39\""));
}

#[test]
fn no_chain_draws_a_note_instead() {
    let r = analyse(b"From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n");
    let svg = chain_svg::render(&r).into_string();
    assert!(svg.contains("no hop chain to draw"));
}

#[test]
fn every_message_of_a_real_folder_draws_one_inert_box_per_hop() {
    // Real mailing-list spam: long chains, odd Received syntax, hostile text.
    let Some(dir) = relayhunt_testdata::shared("corpus/osst_users_publicinbox") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 300);
    let mut drawn = 0;
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        let Ok(r) = relayhunt_analyze::analyze_bytes(&raw, &Default::default()) else {
            continue;
        };
        let svg = chain_svg::render(&r).into_string();
        assert_eq!(
            svg.matches("<g class=\"hop\"").count(),
            r.hops.len().min(MAX_HOPS_DRAWN),
            "{}",
            f.display()
        );
        assert_inert(&f.display().to_string(), &svg);
        drawn += 1;
    }
    assert!(drawn > 300);
}

#[tokio::test]
async fn the_page_shows_the_corpus_verdict_and_the_diagram() {
    let Some(path) = corpus(crate::browser::CORPUS_RELAY) else {
        return;
    };
    let st = state();
    let raw = std::fs::read(path).unwrap();
    let url = upload(&st, &raw).await;
    let html = get(&st, &url).await.text();
    let r = analyse(&raw);
    let kind = relayhunt_web::pages::analysis::words(r.verdict.kind.as_str());
    assert!(
        html.contains(&format!("<h1 id=\"verdict\">{kind}</h1>")),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/relays/{}\"", r.relay_ip.unwrap())));
    assert!(html.contains("class=\"chain\""));
    assert_inert("corpus page", &html);
}
