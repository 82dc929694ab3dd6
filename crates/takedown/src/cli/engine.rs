//! From flags to a working lookup engine (RDAP client, whois client, cache, pacing).

use super::LookupArgs;
use crate::cache::{self, OwnerCache};
use crate::lookup::OwnerLookup;
use crate::pacing::Pacer;
use crate::rdap::fetch::{IcannRdap, RdapConfig};
use crate::whois::client::TcpWhois;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(super) fn engine(a: &LookupArgs) -> Result<OwnerLookup<IcannRdap, TcpWhois>, String> {
    let timeout = Duration::from_secs_f64(a.lookup_timeout.clamp(0.1, 600.0));
    let mut rdap = IcannRdap::new(RdapConfig {
        timeout,
        allow_http: a.rdap_allow_http,
        ..RdapConfig::default()
    })
    .map_err(|e| e.to_string())?;
    if let Some(dir) = &a.rdap_bootstrap {
        rdap = rdap.with_bootstrap_dir(dir).map_err(|e| e.to_string())?;
    }
    let mut whois = TcpWhois {
        timeout,
        ..TcpWhois::default()
    };
    whois.only_routes = a.whois_only_routed;
    for r in &a.whois_routes {
        let (name, addr) = r
            .split_once('=')
            .ok_or_else(|| format!("--whois-route {r:?}: expected SERVER=HOST:PORT"))?;
        whois
            .routes
            .insert(name.trim().to_ascii_lowercase(), addr.trim().to_string());
    }
    let mut l = OwnerLookup::new(rdap, whois);
    l.pacer = Pacer::new(Duration::from_millis(a.interval_ms));
    l.whois_root = a.whois_root.clone();
    l.no_rdap = a.no_rdap;
    if !a.no_cache {
        if let Some(dir) = a.cache_dir.clone().or_else(cache::default_dir) {
            l.cache = Some(OwnerCache::new(
                dir,
                Duration::from_secs(a.cache_ttl.saturating_mul(3600)),
            ));
        }
    }
    Ok(l)
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))
}

pub(super) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
