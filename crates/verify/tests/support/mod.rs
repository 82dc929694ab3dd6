//! Shared by the verify tests: a resolver pointed at a loopback fixture server.

#![allow(dead_code)]

use relayhunt_dns_fixture::ZoneServer;
use relayhunt_verify::dns::cache::CachedDns;
use relayhunt_verify::dns::hickory::{HickoryDns, Servers};
use std::net::SocketAddr;
use std::time::Duration;

/// hickory-resolver asking only `addr`, giving up after `timeout`.
pub fn resolver_at(addr: SocketAddr, timeout: Duration) -> HickoryDns {
    HickoryDns::new(&Servers::Given(vec![addr]), timeout).expect("resolver")
}

/// A cached resolver asking `server`.
pub fn cached(server: &ZoneServer) -> CachedDns<HickoryDns> {
    CachedDns::new(resolver_at(server.addr(), Duration::from_secs(2)), 1000)
}

/// A zone: SOA plus `body`.
pub fn zone(body: &str) -> String {
    format!(
        "$TTL 60\n{}{}",
        relayhunt_dns_fixture::soa(),
        body.lines()
            .map(|l| format!("{}\n", l.trim()))
            .collect::<String>()
    )
}
