//! On-disk owner cache, one JSON file per network, so a batch asks once per network.
//!
//! Keyed by the network's CIDR (not the IP): 10,000 messages relayed through one /24 make
//! one lookup. Entries older than the TTL are ignored and overwritten. The directory is
//! scanned once per process and kept in memory.

use crate::owner::Owner;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    fetched_unix: u64,
    owner: Owner,
}

/// The owner cache.
#[derive(Debug)]
pub struct OwnerCache {
    dir: PathBuf,
    ttl: Duration,
    entries: Mutex<Option<Vec<Entry>>>,
}

/// The default cache directory: `$XDG_CACHE_HOME/relayhunt/owner` or `~/.cache/relayhunt/owner`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("relayhunt/owner"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/relayhunt/owner"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl OwnerCache {
    /// A cache in `dir` whose entries live `ttl`.
    pub fn new(dir: impl Into<PathBuf>, ttl: Duration) -> Self {
        OwnerCache {
            dir: dir.into(),
            ttl,
            entries: Mutex::new(None),
        }
    }

    /// The directory the cache lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn load(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for e in rd.flatten().take(100_000) {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            if let Ok(meta) = e.metadata() {
                if meta.len() > 1024 * 1024 {
                    continue;
                }
            }
            if let Some(entry) = std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice::<Entry>(&b).ok())
            {
                out.push(entry);
            }
        }
        out
    }

    fn fresh(&self, e: &Entry) -> bool {
        now().saturating_sub(e.fetched_unix) < self.ttl.as_secs()
    }

    /// The cached owner of the most specific fresh network containing `ip`.
    pub fn get(&self, ip: IpAddr) -> Option<Owner> {
        let mut guard = self.entries.lock().ok()?;
        let entries = guard.get_or_insert_with(|| self.load());
        entries
            .iter()
            .filter(|e| self.fresh(e))
            .filter_map(|e| {
                let best = e
                    .owner
                    .cidrs
                    .iter()
                    .filter(|n| n.contains(&ip))
                    .map(|n| n.prefix_len())
                    .max()?;
                Some((best, e))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, e)| {
                let mut o = e.owner.clone();
                o.cached = true;
                o
            })
    }

    /// Store an owner under its networks. Owners without a known network are not cached.
    pub fn put(&self, owner: &Owner) -> std::io::Result<()> {
        let Some(first) = owner.cidrs.first() else {
            return Ok(());
        };
        std::fs::create_dir_all(&self.dir)?;
        let entry = Entry {
            fetched_unix: now(),
            owner: Owner {
                cached: false,
                ..owner.clone()
            },
        };
        let name = format!("{}.json", first.to_string().replace(['/', ':'], "_"));
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(&entry).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, self.dir.join(name))?;
        if let Ok(mut g) = self.entries.lock() {
            if let Some(v) = g.as_mut() {
                v.retain(|e| e.owner.cidrs.first() != Some(first));
                v.push(entry);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_is_found_again_for_any_ip_of_its_network_until_the_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let owner = Owner {
            query: "198.51.100.25".into(),
            cidrs: vec!["198.51.100.0/24".parse().unwrap()],
            name: Some("CLOUDHOST-NET".into()),
            ..Owner::default()
        };
        let cache = OwnerCache::new(dir.path(), Duration::from_secs(3600));
        cache.put(&owner).unwrap();
        // A fresh process reading the same directory.
        let again = OwnerCache::new(dir.path(), Duration::from_secs(3600));
        let hit = again
            .get("198.51.100.200".parse().unwrap())
            .expect("same /24");
        assert!(hit.cached);
        assert_eq!(hit.name.as_deref(), Some("CLOUDHOST-NET"));
        assert!(again.get("198.51.101.1".parse().unwrap()).is_none());
        let expired = OwnerCache::new(dir.path(), Duration::from_secs(0));
        assert!(expired.get("198.51.100.25".parse().unwrap()).is_none());
    }
}
