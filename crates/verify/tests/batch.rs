//! The batch verifier `analyze --verify` uses: messages verified concurrently but never more
//! than `jobs` at once, and the notes returned in input order.

mod support;

use relayhunt_analyze::verification::Verifier;
use relayhunt_dns_fixture::ZoneServer;
use relayhunt_verify::check::Checker;
use relayhunt_verify::dns::cache::CachedDns;
use relayhunt_verify::dns::hickory::{HickoryDns, Servers};
use relayhunt_verify::dns::{Dns, Kind, Lookup};
use relayhunt_verify::run::BatchVerifier;
use relayhunt_verify::signatures::offline_authenticator;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use support::zone;

const MESSAGES: usize = 12;
const JOBS: usize = 3;

/// A resolver that records how many different messages have a lookup in flight at once.
/// Message `i`'s sender domain is `m{i}.example`, so its SPF and DMARC questions name it;
/// each lookup is held 30 ms so overlapping messages overlap here.
struct Gauge<D> {
    inner: D,
    in_flight: Mutex<(HashMap<usize, usize>, usize)>,
}

/// `m7.example.` or `_dmarc.m7.example.` → 7.
fn message_of(name: &str) -> Option<usize> {
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    let i = labels.iter().position(|l| *l == "example")?;
    labels
        .get(i.checked_sub(1)?)?
        .strip_prefix('m')?
        .parse()
        .ok()
}

impl<D: Dns> Gauge<D> {
    fn enter(&self, m: usize) {
        let mut g = self.in_flight.lock().unwrap();
        *g.0.entry(m).or_default() += 1;
        g.1 = g.1.max(g.0.len());
    }

    fn leave(&self, m: usize) {
        let mut g = self.in_flight.lock().unwrap();
        let n = g.0.get_mut(&m).unwrap();
        *n -= 1;
        if *n == 0 {
            g.0.remove(&m);
        }
    }
}

impl<D: Dns> Dns for Gauge<D> {
    fn query(&self, name: &str, kind: Kind) -> impl Future<Output = Lookup> + Send {
        let name = name.to_string();
        async move {
            let m = message_of(&name);
            if let Some(m) = m {
                self.enter(m);
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
            let answer = self.inner.query(&name, kind).await;
            if let Some(m) = m {
                self.leave(m);
            }
            answer
        }
    }
}

/// The seeds' message with relay 192.0.2.(10+i) and sender domain m{i}.example.
fn message(i: usize) -> String {
    let seed = std::fs::read_to_string(format!(
        "{}/../../samples/seed-relay.eml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    seed.replace("198.51.100.25", &format!("192.0.2.{}", 10 + i))
        .replace("northwind-traders.example", &format!("m{i}.example"))
}

#[test]
fn a_batch_is_verified_at_most_jobs_at_a_time_in_input_order() {
    // Every sender domain publishes SPF -all (odd ones also allow their relay) and no DMARC.
    let records: String = (0..MESSAGES)
        .map(|i| {
            if i % 2 == 1 {
                format!("m{i} IN TXT \"v=spf1 ip4:192.0.2.{} -all\"\n", 10 + i)
            } else {
                format!("m{i} IN TXT \"v=spf1 -all\"\n")
            }
        })
        .collect();
    let server = ZoneServer::start(&[
        ("example", &zone(&records)),
        ("2.0.192.in-addr.arpa", &zone("")),
        ("113.0.203.in-addr.arpa", &zone("")),
    ])
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hickory = {
        let _guard = rt.enter();
        HickoryDns::new(&Servers::Given(vec![server.addr()]), Duration::from_secs(2)).unwrap()
    };
    let checker = Checker {
        dns: Gauge {
            inner: CachedDns::new(hickory, 1000),
            in_flight: Mutex::new((HashMap::new(), 0)),
        },
        zones: Vec::new(),
        auth: offline_authenticator().unwrap(),
        resolver: server.addr().to_string(),
    };
    let verifier = BatchVerifier::new(checker, JOBS).unwrap();
    let raws: Vec<String> = (0..MESSAGES).map(message).collect();
    let reports: Vec<_> = raws
        .iter()
        .map(|r| relayhunt_analyze::analyze_bytes(r.as_bytes(), &Default::default()).unwrap())
        .collect();
    let items: Vec<(&[u8], &relayhunt_analyze::Report)> = raws
        .iter()
        .zip(&reports)
        .map(|(r, rep)| (r.as_bytes(), rep))
        .collect();
    let notes = verifier.verify(&items);
    assert_eq!(notes.len(), MESSAGES);
    for (i, note) in notes.iter().enumerate() {
        let relay = note.section["spf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["role"] == "relay")
            .unwrap_or_else(|| panic!("message {i}: {}", note.section));
        assert_eq!(relay["domain"], format!("m{i}.example"));
        assert_eq!(relay["ip"], format!("192.0.2.{}", 10 + i));
        let expected = if i % 2 == 1 { "pass" } else { "fail" };
        assert_eq!(relay["result"], expected, "message {i}: {relay}");
    }
    let most = verifier.checker().dns.in_flight.lock().unwrap().1;
    assert!(most <= JOBS, "{most} messages in flight with {JOBS} jobs");
    assert!(most >= 2, "messages were verified one at a time");
}
