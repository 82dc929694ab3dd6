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

/// Standard base64 (RFC 4648 §4), for DKIM public keys in zone files.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A DKIM key pair: the signing key's PKCS#8 bytes and the TXT record publishing it.
pub fn ed25519_key() -> (Vec<u8>, String) {
    use mail_auth::common::crypto::Ed25519Key;
    let pkcs8 = Ed25519Key::generate_pkcs8().expect("key generation");
    let key = Ed25519Key::from_pkcs8_der(&pkcs8).expect("key");
    let record = format!("v=DKIM1; k=ed25519; p={}", base64(&key.public_key()));
    (pkcs8, record)
}

/// Sign `msg` for `domain`/`selector` with the PKCS#8 key; `expires` seconds from now.
pub fn dkim_sign(msg: &str, key: &[u8], domain: &str, selector: &str, expires: u64) -> String {
    use mail_auth::common::crypto::Ed25519Key;
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::dkim::DkimSigner;
    let mut signer = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(key).unwrap())
        .domain(domain)
        .selector(selector)
        .headers(["From", "To", "Subject", "Date", "Message-ID"]);
    if expires > 0 {
        signer = signer.expiration(expires);
    }
    let sig = signer.sign(msg.as_bytes()).expect("sign");
    format!("{}{msg}", sig.to_header())
}
