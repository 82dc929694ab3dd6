//! File modes and owners the daemons insist on (they refuse world-writable or foreign-owned
//! spools and configs, and drop privileges to their own users).

use std::path::Path;
use std::process::Command;

/// chmod.
pub(crate) fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| anyhow::anyhow!("chmod {mode:o} {}: {e}", path.display()))
}

/// chown USER:GROUP (through the `chown` command: the std library has no name lookup).
pub(crate) fn chown(path: &Path, owner: &str) -> anyhow::Result<()> {
    let status = Command::new("chown").arg(owner).arg(path).status()?;
    anyhow::ensure!(
        status.success(),
        "chown {owner} {} failed (the harness must run as root)",
        path.display()
    );
    Ok(())
}
