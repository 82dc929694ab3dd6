//! What the bench binaries measure of their own process: CPU seconds, peak resident
//! memory, the machine's load. Kept in one place so the analyze and store benches report
//! figures taken the same way (Linux `/proc`; elsewhere they read as unknown).

use std::fs;

/// CPU seconds (user + system, all threads) used by this process so far. Throughput per
/// CPU-second stays meaningful when other processes compete for the cores; 0 when
/// `/proc/self/stat` cannot be read.
pub fn cpu_secs() -> f64 {
    let Ok(stat) = fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // USER_HZ is 100 on every Linux architecture relayhunt targets.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size (VmHWM) in KiB since the last [`reset_peak_rss`].
pub fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Reset the peak resident set size to the current one (Linux ≥ 4.0), so each run's peak
/// is its own; false when not possible.
pub fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The 1, 5 and 15 minute load averages, to print next to the figures.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_used_cpu_and_memory() {
        // Burn a little CPU so the tick counters have moved past zero.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 50 {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(cpu_secs() > 0.0);
            assert!(peak_rss_kib().is_some_and(|k| k > 0));
            assert_eq!(load_average().split(' ').count(), 3);
        }
    }
}
