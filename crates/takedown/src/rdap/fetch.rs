//! The real RDAP client: icann-rdap-client's IANA bootstrap and query URLs, a bounded fetch.
//!
//! Bootstrap (which registry serves which prefix, longest match) and query URL building
//! come from icann-rdap-client. The HTTP body is read here chunk by chunk so a hostile or
//! broken server cannot make us buffer more than [`RdapConfig::max_bytes`], and the whole
//! exchange, redirects included, runs under one deadline.

use super::{RdapAnswer, RdapError, RdapFetch};
use icann_rdap_client::http::{
    create_client, create_reqwest_client, ClientConfig, ReqwestClient, ReqwestClientConfig,
};
use icann_rdap_client::iana::{qtype_to_bootstrap_url, BootstrapStore, MemoryBootstrapStore};
use icann_rdap_client::rdap::QueryType;
use icann_rdap_common::httpdata::HttpData;
use icann_rdap_common::iana::{IanaRegistry, IanaRegistryType};
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Settings of the RDAP client.
#[derive(Debug, Clone)]
pub struct RdapConfig {
    /// Whole-request deadline, redirects included.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: usize,
    /// Allow plain http:// servers (loopback fixtures); real registries are https.
    pub allow_http: bool,
}

impl Default for RdapConfig {
    fn default() -> Self {
        RdapConfig {
            timeout: Duration::from_secs(15),
            max_bytes: 2 * 1024 * 1024,
            allow_http: false,
        }
    }
}

/// RDAP over HTTPS with IANA bootstrapping.
pub struct IcannRdap {
    cfg: RdapConfig,
    /// icann-rdap-client's wrapped client, used to fetch IANA registries when not injected.
    bootstrap_client: icann_rdap_client::http::Client,
    http: ReqwestClient,
    store: MemoryBootstrapStore,
    /// Registries were injected: never fetch missing ones from IANA.
    offline: bool,
}

impl std::fmt::Debug for IcannRdap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcannRdap").field("cfg", &self.cfg).finish()
    }
}

/// The IANA registry files a bootstrap directory may hold (IANA's own file names).
const REGISTRIES: &[IanaRegistryType] = &[
    IanaRegistryType::RdapBootstrapIpv4,
    IanaRegistryType::RdapBootstrapIpv6,
    IanaRegistryType::RdapBootstrapDns,
    IanaRegistryType::RdapBootstrapAsn,
];

impl IcannRdap {
    /// A client that fetches the IANA bootstrap registries on first use.
    pub fn new(cfg: RdapConfig) -> Result<Self, RdapError> {
        let secs = cfg.timeout.as_secs().max(1);
        let bootstrap_client = create_client(
            &ClientConfig::builder()
                .https_only(!cfg.allow_http)
                .timeout_secs(secs)
                .max_retries(0)
                .user_agent_suffix("relayhunt".to_string())
                .build(),
        )
        .map_err(|e| RdapError::Bootstrap(e.to_string()))?;
        let http = create_reqwest_client(
            &ReqwestClientConfig::builder()
                .https_only(!cfg.allow_http)
                .timeout_secs(secs)
                .follow_redirects(true)
                .user_agent_suffix("relayhunt".to_string())
                .build(),
        )
        .map_err(|e| RdapError::Bootstrap(e.to_string()))?;
        Ok(IcannRdap {
            cfg,
            bootstrap_client,
            http,
            store: MemoryBootstrapStore::new(),
            offline: false,
        })
    }

    /// Inject an IANA bootstrap registry (JSON in IANA's format, e.g. `ipv4.json`).
    /// Once a registry is injected the client is offline: it never fetches the others from
    /// IANA, and a query they would serve fails with [`RdapError::Bootstrap`].
    pub fn with_registry(mut self, kind: IanaRegistryType, json: &str) -> Result<Self, RdapError> {
        self.offline = true;
        let reg: IanaRegistry = serde_json::from_str(json)
            .map_err(|e| RdapError::Bootstrap(format!("{}: {e}", kind.file_name())))?;
        let http = HttpData::now().scheme("file").host("local").build();
        self.store
            .put_bootstrap_registry(&kind, reg, http)
            .map_err(|e| RdapError::Bootstrap(e.to_string()))?;
        Ok(self)
    }

    /// Inject every IANA registry file (`ipv4.json`, `ipv6.json`, `dns.json`, `asn.json`)
    /// present in `dir`.
    pub fn with_bootstrap_dir(mut self, dir: &Path) -> Result<Self, RdapError> {
        let mut found = 0;
        for kind in REGISTRIES {
            let p = dir.join(kind.file_name());
            if let Ok(text) = std::fs::read_to_string(&p) {
                self = self.with_registry(kind.clone(), &text)?;
                found += 1;
            }
        }
        if found == 0 {
            return Err(RdapError::Bootstrap(format!(
                "{} holds none of ipv4.json, ipv6.json, dns.json, asn.json",
                dir.display()
            )));
        }
        Ok(self)
    }

    async fn query(
        &self,
        q: QueryType,
        kind: IanaRegistryType,
        shown: String,
    ) -> Result<RdapAnswer, RdapError> {
        if self.offline && !self.store.has_bootstrap_registry(&kind).unwrap_or(false) {
            return Err(RdapError::Bootstrap(format!(
                "no {} among the injected bootstrap registries (not fetching it from IANA)",
                kind.file_name()
            )));
        }
        let base = qtype_to_bootstrap_url(&self.bootstrap_client, &self.store, &q, |_| {})
            .await
            .map_err(|e| match e {
                icann_rdap_client::RdapClientError::BootstrapError(_)
                | icann_rdap_client::RdapClientError::BootstrapUnavailable => {
                    RdapError::NoService {
                        query: shown.clone(),
                    }
                }
                other => RdapError::Bootstrap(other.to_string()),
            })?;
        let url = q.query_url(&base).map_err(|_| RdapError::BadQuery(shown))?;
        match tokio::time::timeout(self.cfg.timeout, self.get(&url)).await {
            Ok(r) => r,
            Err(_) => Err(RdapError::Timeout {
                url,
                secs: self.cfg.timeout.as_secs_f64(),
            }),
        }
    }

    async fn get(&self, url: &str) -> Result<RdapAnswer, RdapError> {
        let transport = |e: &dyn std::fmt::Display| RdapError::Transport {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let mut resp = self.http.get(url).send().await.map_err(|e| {
            if e.is_timeout() {
                RdapError::Timeout {
                    url: url.to_string(),
                    secs: self.cfg.timeout.as_secs_f64(),
                }
            } else {
                transport(&e)
            }
        })?;
        let final_url = resp.url().to_string();
        let status = resp.status().as_u16();
        if resp
            .content_length()
            .is_some_and(|n| n > self.cfg.max_bytes as u64)
        {
            return Err(RdapError::TooLarge {
                url: final_url,
                limit: self.cfg.max_bytes,
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > self.cfg.max_bytes {
                        return Err(RdapError::TooLarge {
                            url: final_url,
                            limit: self.cfg.max_bytes,
                        });
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(RdapError::Timeout {
                        url: final_url,
                        secs: self.cfg.timeout.as_secs_f64(),
                    })
                }
                Err(e) => return Err(transport(&e)),
            }
        }
        if !(200..300).contains(&status) {
            return Err(RdapError::Status {
                url: final_url,
                status,
            });
        }
        let body = serde_json::from_slice(&body).map_err(|e| RdapError::NotJson {
            url: final_url.clone(),
            reason: e.to_string(),
        })?;
        Ok(RdapAnswer {
            url: final_url,
            body,
        })
    }
}

impl RdapFetch for IcannRdap {
    async fn ip(&self, ip: IpAddr) -> Result<RdapAnswer, RdapError> {
        let (q, kind) = match ip {
            IpAddr::V4(a) => (QueryType::IpV4Addr(a), IanaRegistryType::RdapBootstrapIpv4),
            IpAddr::V6(a) => (QueryType::IpV6Addr(a), IanaRegistryType::RdapBootstrapIpv6),
        };
        self.query(q, kind, ip.to_string()).await
    }

    async fn domain(&self, name: &str) -> Result<RdapAnswer, RdapError> {
        let q = QueryType::from_str(name)
            .ok()
            .filter(|q| matches!(q, QueryType::Domain(_) | QueryType::ALabel(_)))
            .ok_or_else(|| RdapError::BadQuery(name.to_string()))?;
        self.query(q, IanaRegistryType::RdapBootstrapDns, name.to_string())
            .await
    }
}
