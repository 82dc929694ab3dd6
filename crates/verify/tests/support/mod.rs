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

/// The algorithm of a generated DKIM key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// `a=ed25519-sha256` (RFC 8463).
    Ed25519,
    /// `a=rsa-sha256` with a 2048-bit key, what most signers publish.
    Rsa,
}

/// A DKIM key generated for one test run.
pub struct DkimKey {
    pub alg: Alg,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
    /// The TXT record publishing the public key.
    pub record: String,
}

/// A new key pair of `alg`.
pub fn dkim_key(alg: Alg) -> DkimKey {
    match alg {
        Alg::Ed25519 => {
            let (pkcs8, record) = ed25519_key();
            DkimKey { alg, pkcs8, record }
        }
        Alg::Rsa => {
            use aws_lc_rs::encoding::AsDer;
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .expect("RSA key generation");
            let pkcs8 = pair.as_der().expect("PKCS#8").as_ref().to_vec();
            let record = format!(
                "v=DKIM1; k=rsa; p={}",
                base64(&rsa_key(&pkcs8).public_key())
            );
            DkimKey { alg, pkcs8, record }
        }
    }
}

/// mail-auth's RSA signing key from PKCS#8 bytes.
pub fn rsa_key(
    pkcs8: &[u8],
) -> mail_auth::common::crypto::RsaKey<mail_auth::common::crypto::Sha256> {
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    mail_auth::common::crypto::RsaKey::from_key_der(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        pkcs8,
    )))
    .expect("RSA key")
}

/// Sign `msg` with `key` for `domain`/`selector`; `expires` seconds from now (0: no `x=`).
pub fn dkim_sign_with(
    msg: &str,
    key: &DkimKey,
    domain: &str,
    selector: &str,
    expires: u64,
) -> String {
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::dkim::DkimSigner;
    match key.alg {
        Alg::Ed25519 => dkim_sign(msg, &key.pkcs8, domain, selector, expires),
        Alg::Rsa => {
            let mut signer = DkimSigner::from_key(rsa_key(&key.pkcs8))
                .domain(domain)
                .selector(selector)
                .headers(SIGNED_HEADERS);
            if expires > 0 {
                signer = signer.expiration(expires);
            }
            let sig = signer.sign(msg.as_bytes()).expect("sign");
            format!("{}{msg}", sig.to_header())
        }
    }
}

/// The headers the tests sign.
const SIGNED_HEADERS: [&str; 5] = ["From", "To", "Subject", "Date", "Message-ID"];

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
        .headers(SIGNED_HEADERS);
    if expires > 0 {
        signer = signer.expiration(expires);
    }
    let sig = signer.sign(msg.as_bytes()).expect("sign");
    format!("{}{msg}", sig.to_header())
}
