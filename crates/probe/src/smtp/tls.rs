//! TLS for the probe: accept any certificate (a relay is a relay whatever its certificate) but
//! record whether it would have verified, and why not, with the certificate's subject, issuer
//! and validity as evidence.
//!
//! The verdict on the certificate comes from rustls' WebPKI verifier over the system roots; the
//! handshake signatures are still checked, so the recorded certificate is the one the peer holds
//! the key for.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, OnceLock};

/// How TLS was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Upgraded with STARTTLS (RFC 3207).
    Starttls,
    /// TLS from the first byte (RFC 8314, port 465).
    Implicit,
}

/// What the TLS handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// STARTTLS or implicit.
    pub mode: TlsMode,
    /// Negotiated protocol version, e.g. `TLSv1_3`.
    pub version: Option<String>,
    /// Negotiated cipher suite.
    pub cipher: Option<String>,
    /// Leaf certificate subject (RFC 4514 form).
    pub cert_subject: Option<String>,
    /// Leaf certificate issuer.
    pub cert_issuer: Option<String>,
    /// Start of validity, RFC 3339.
    pub not_before: Option<String>,
    /// End of validity, RFC 3339.
    pub not_after: Option<String>,
    /// DNS names and addresses in subjectAltName.
    pub subject_alt_names: Vec<String>,
    /// Whether the chain verified against the system roots for the name used.
    pub verified: bool,
    /// Why it did not verify (unknown issuer, expired, name mismatch…).
    pub verify_error: Option<String>,
}

fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}

/// The WebPKI verifier over the system roots, built once; `None` when no roots could be loaded.
fn webpki() -> Option<Arc<WebPkiServerVerifier>> {
    static V: OnceLock<Option<Arc<WebPkiServerVerifier>>> = OnceLock::new();
    V.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if roots.is_empty() {
            return None;
        }
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .ok()
    })
    .clone()
}

/// Slot the verifier writes its finding into.
pub type VerifyOutcome = Arc<Mutex<Option<Result<(), String>>>>;

#[derive(Debug)]
struct RecordingVerifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    outcome: VerifyOutcome,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = match &self.inner {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err("no trusted root certificates on this system".to_string()),
        };
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(result);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client config that accepts every certificate and reports into the returned slot.
pub fn client_config() -> Result<(Arc<ClientConfig>, VerifyOutcome), rustls::Error> {
    let outcome: VerifyOutcome = Arc::new(Mutex::new(None));
    let verifier = RecordingVerifier {
        inner: webpki(),
        provider: provider(),
        outcome: outcome.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((Arc::new(config), outcome))
}

/// Fill a [`TlsInfo`] from the finished handshake.
pub fn describe(
    mode: TlsMode,
    conn: &rustls::ClientConnection,
    outcome: &VerifyOutcome,
) -> TlsInfo {
    let verdict = outcome.lock().ok().and_then(|s| s.clone());
    let mut info = TlsInfo {
        mode,
        version: conn.protocol_version().map(|v| format!("{v:?}")),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite())),
        cert_subject: None,
        cert_issuer: None,
        not_before: None,
        not_after: None,
        subject_alt_names: Vec::new(),
        verified: matches!(verdict, Some(Ok(()))),
        verify_error: match verdict {
            Some(Err(e)) => Some(e),
            Some(Ok(())) => None,
            None => Some("certificate was not examined".to_string()),
        },
    };
    if let Some(leaf) = conn.peer_certificates().and_then(|c| c.first()) {
        describe_certificate(leaf, &mut info);
    }
    info
}

fn describe_certificate(der: &CertificateDer<'_>, info: &mut TlsInfo) {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) else {
        info.cert_subject = Some("(unparseable certificate)".to_string());
        return;
    };
    info.cert_subject = Some(cert.subject().to_string());
    info.cert_issuer = Some(cert.issuer().to_string());
    let validity = cert.validity();
    info.not_before = Some(crate::transcript::rfc3339(
        validity.not_before.timestamp(),
        0,
    ));
    info.not_after = Some(crate::transcript::rfc3339(
        validity.not_after.timestamp(),
        0,
    ));
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in san.value.general_names.iter().take(32) {
            match name {
                x509_parser::extensions::GeneralName::DNSName(d) => {
                    info.subject_alt_names.push(d.to_string())
                }
                x509_parser::extensions::GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => <[u8; 4]>::try_from(*b).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(*b).ok().map(std::net::IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        info.subject_alt_names.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
}
