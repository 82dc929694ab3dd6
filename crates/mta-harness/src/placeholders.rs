//! Placeholder substitution in config text (`{DIR}`, `{SINK}`, `{PORT}`, `{PORT2}`).
//!
//! Configs under test are written once as text; the ports and paths of an instance are only
//! known at start, so they are filled in here.

use std::path::Path;

/// Values of one instance that config text can refer to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Values<'a> {
    pub dir: &'a Path,
    pub sink: u16,
    pub port: u16,
    pub port2: u16,
}

/// Replace every placeholder in `text`.
pub(crate) fn fill(text: &str, v: Values<'_>) -> String {
    text.replace("{DIR}", &v.dir.display().to_string())
        .replace("{SINK}", &v.sink.to_string())
        .replace("{PORT2}", &v.port2.to_string())
        .replace("{PORT}", &v.port.to_string())
}
