//! Many targets at once: hostile servers end as per-target verdicts within their limits while
//! the rest of the scan completes, under the concurrency and rate limits.

mod fakes;

use fakes::{banner, spawn, standard, Action, EHLO_PLAIN};
use indicatif::ProgressBar;
use relayhunt_probe::scan::dns::{Mx, StaticResolver};
use relayhunt_probe::scan::rate::RateLimiter;
use relayhunt_probe::scan::targets::{parse_target, TargetSpec};
use relayhunt_probe::scan::{scan, ScanConfig, ScanEvent};
use relayhunt_probe::{ProbeOptions, TargetResult, Timeouts, Verdict};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn config(concurrency: usize) -> ScanConfig {
    ScanConfig {
        ports: vec![25],
        implicit_tls_ports: vec![465],
        concurrency,
        probe: ProbeOptions {
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                reply: Duration::from_secs(1),
                target: Duration::from_secs(10),
            },
            ..ProbeOptions::default()
        },
    }
}

async fn run(
    specs: &[TargetSpec],
    cfg: &ScanConfig,
    resolver: &StaticResolver,
) -> (Vec<TargetResult>, Vec<String>) {
    let mut results = Vec::new();
    let mut failures = Vec::new();
    scan(
        specs,
        cfg,
        resolver,
        &ProgressBar::hidden(),
        |ev| match ev {
            ScanEvent::Result(r) => results.push(*r),
            ScanEvent::Failed { target, reason } => failures.push(format!("{target}: {reason}")),
        },
    )
    .await;
    (results, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_targets_do_not_stop_the_scan() {
    let open = fakes::open_relay().await;
    let closed = fakes::closed_relay().await;
    let tarpit = spawn(
        |_| Action::Silence,
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let endless = spawn(
        |_| Action::Endless,
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let garbage = spawn(
        |_| Action::Reply("SSH-2.0-OpenSSH_9.2\r\n".into()),
        |s, l| standard(s, l, EHLO_PLAIN),
        None,
        false,
    )
    .await;
    let hangup = spawn(
        banner,
        |s, l| {
            if l.starts_with("MAIL") && s.conn_index == 0 {
                Action::Close("421 4.7.0 try again later\r\n".into())
            } else if l.starts_with("RCPT") {
                Action::Reply("550 5.7.1 Relaying denied\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        None,
        false,
    )
    .await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let expected: HashMap<SocketAddr, Verdict> = [
        (open.addr, Verdict::Open),
        (closed.addr, Verdict::Closed),
        (tarpit.addr, Verdict::Timeout),
        (endless.addr, Verdict::ProtocolError),
        (garbage.addr, Verdict::ProtocolError),
        (hangup.addr, Verdict::Closed),
        (refused, Verdict::Unreachable),
    ]
    .into_iter()
    .collect();
    let specs: Vec<TargetSpec> = expected
        .keys()
        .map(|a| parse_target(&a.to_string()).unwrap())
        .collect();
    let start = Instant::now();
    let (results, failures) = run(&specs, &config(4), &StaticResolver::default()).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(results.len(), expected.len());
    for r in &results {
        assert_eq!(r.verdict, expected[&r.addr], "{}: {}", r.target, r.detail);
    }
    // The tarpit costs one reply timeout, not the scan.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_spaces_connections_across_targets() {
    let fakes: Vec<_> = open_relays(6).await;
    let specs: Vec<TargetSpec> = fakes
        .iter()
        .map(|f| parse_target(&f.addr.to_string()).unwrap())
        .collect();
    let mut cfg = config(6);
    cfg.probe.battery = vec![relayhunt_probe::battery::by_id("outside-plain").unwrap()];
    cfg.probe.rate = Some(Arc::new(RateLimiter::new(10.0)));
    let start = Instant::now();
    let (results, _) = run(&specs, &cfg, &StaticResolver::default()).await;
    assert_eq!(results.len(), 6);
    assert!(results.iter().all(|r| r.verdict == Verdict::Open));
    // Six connections at 10/s: the last one may start no earlier than 0.5 s in.
    assert!(
        start.elapsed() >= Duration::from_millis(480),
        "{:?}",
        start.elapsed()
    );
}

async fn open_relays(n: usize) -> Vec<fakes::Fake> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(fakes::open_relay().await);
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_target_probes_its_mx_hosts_on_loopback() {
    let open = fakes::open_relay().await;
    let closed = fakes::closed_relay().await;
    // Both fakes share 127.0.0.1, so give each MX its own loopback alias with the fake's port.
    let mut resolver = StaticResolver::default();
    resolver.mx.insert(
        "victim.test".into(),
        vec![
            Mx {
                preference: 10,
                exchange: "mx1.victim.test".into(),
            },
            Mx {
                preference: 20,
                exchange: "mx2.victim.test".into(),
            },
        ],
    );
    resolver
        .addrs
        .insert("mx1.victim.test".into(), vec!["127.0.0.1".parse().unwrap()]);
    resolver
        .addrs
        .insert("mx2.victim.test".into(), vec!["127.0.0.1".parse().unwrap()]);
    resolver.mx.insert(
        "nomail.test".into(),
        vec![Mx {
            preference: 0,
            exchange: String::new(),
        }],
    );
    let mut cfg = config(2);
    cfg.ports = vec![open.addr.port(), closed.addr.port()];
    let specs = [
        parse_target("victim.test").unwrap(),
        parse_target("nomail.test").unwrap(),
    ];
    let (results, failures) = run(&specs, &cfg, &resolver).await;
    assert_eq!(results.len(), 4, "2 MX hosts x 2 ports");
    assert!(results
        .iter()
        .all(|r| r.target.starts_with("victim.test MX mx")));
    let open_count = results
        .iter()
        .filter(|r| r.verdict == Verdict::Open)
        .count();
    assert_eq!(open_count, 2);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("null MX"), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_range_is_expanded() {
    let open = fakes::open_relay().await;
    // 127.0.0.1/32 on the fake's port plus 127.0.0.2/31 where nothing listens on that port.
    let mut cfg = config(4);
    cfg.ports = vec![open.addr.port()];
    cfg.probe.battery = vec![relayhunt_probe::battery::by_id("outside-plain").unwrap()];
    let specs = [
        parse_target("127.0.0.1/32").unwrap(),
        parse_target("127.0.0.2/31").unwrap(),
    ];
    let (results, _) = run(&specs, &cfg, &StaticResolver::default()).await;
    assert_eq!(results.len(), 3);
    let by_ip: HashMap<String, Verdict> = results
        .iter()
        .map(|r| (r.addr.ip().to_string(), r.verdict))
        .collect();
    assert_eq!(by_ip["127.0.0.1"], Verdict::Open);
    assert_eq!(by_ip["127.0.0.2"], Verdict::Unreachable);
    assert_eq!(by_ip["127.0.0.3"], Verdict::Unreachable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_target_with_port() {
    let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
        eprintln!("SKIPPED: no IPv6 loopback on this machine");
        return;
    };
    let fake = fakes::spawn_on(
        listener,
        banner,
        |s, l| {
            if l.starts_with("RCPT") {
                Action::Reply("550 5.7.1 Relaying denied\r\n".into())
            } else {
                standard(s, l, EHLO_PLAIN)
            }
        },
        None,
        false,
    );
    let spec = parse_target(&format!("[::1]:{}", fake.addr.port())).unwrap();
    let (results, _) = run(&[spec], &config(1), &StaticResolver::default()).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].verdict, Verdict::Closed, "{}", results[0].detail);
    let literal = results[0]
        .tests
        .iter()
        .find(|t| t.id == "percent-hack-ip")
        .unwrap();
    assert!(
        literal.rcpt_to.ends_with("@[IPv6:::1]"),
        "{}",
        literal.rcpt_to
    );
}
