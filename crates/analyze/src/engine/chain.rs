//! The hop chain in time: delays between hops and the dates that cannot be right.
//!
//! Servers' clocks disagree by seconds to minutes, so a hop a little "older" than the one
//! below it is normal; a tolerance (`Config::skew_tolerance_secs`) separates skew from a
//! header written with an invented date.

use crate::report::HopFlag;
use crate::Config;
use relayhunt_received::{Hop, ParseNote};

/// Per-hop delay (seconds from the previous, older hop) and time flags.
pub fn timing(hops: &[Hop], cfg: &Config) -> (Vec<Option<i64>>, Vec<Vec<HopFlag>>) {
    let mut delays = vec![None; hops.len()];
    let mut flags = vec![Vec::new(); hops.len()];
    let mut prev: Option<i64> = None;
    for (i, hop) in hops.iter().enumerate() {
        match hop.date {
            Some(d) => {
                if let Some(p) = prev {
                    let delay = d.unix.saturating_sub(p);
                    delays[i] = Some(delay);
                    if delay < -cfg.skew_tolerance_secs {
                        flags[i].push(HopFlag::NegativeDelay);
                    } else if delay > cfg.huge_delay_secs {
                        flags[i].push(HopFlag::HugeDelay);
                    }
                }
                if let Some(now) = cfg.now {
                    if d.unix > now.saturating_add(cfg.skew_tolerance_secs) {
                        flags[i].push(HopFlag::FutureDate);
                    }
                }
                prev = Some(d.unix);
            }
            None => {
                let bad = hop.date_raw.is_some()
                    || hop.notes.iter().any(|n| matches!(n, ParseNote::BadDate));
                flags[i].push(if bad {
                    HopFlag::BadDate
                } else {
                    HopFlag::MissingDate
                });
            }
        }
    }
    (delays, flags)
}
