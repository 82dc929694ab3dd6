//! What a path is (message file, maildir, plain folder) and which entries a folder holds.
//!
//! Folders are listed in sorted order so runs are reproducible. Markdown files (`*.md`)
//! found while walking are skipped: corpora and sample folders carry a README. A maildir (a folder with
//! `cur/` and `new/`) yields the messages of `new/` and `cur/`; `tmp/` is skipped because
//! it holds deliveries still being written. Hidden files (`.DS_Store`, dovecot indexes live
//! at the maildir root and are not in `cur/`/`new/`) are skipped; hidden folders are only
//! entered when they are maildirs (Maildir++ subfolders such as `.Junk`). Symbolic links to
//! folders are not followed while walking, so link loops cannot trap the walk.

use super::InputErrorKind;
use std::fs;
use std::io;
use std::path::Path;

/// What a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A file or another readable stream (pipe): one message or an mbox.
    File,
    /// A maildir folder (`cur/`, `new/`).
    Maildir,
    /// Any other folder: walked recursively.
    Folder,
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

/// Classify a path given on the command line (symbolic links followed).
pub fn classify(path: &Path) -> Result<SourceKind, InputErrorKind> {
    let meta = fs::metadata(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            InputErrorKind::NotFound
        } else {
            InputErrorKind::Open(e)
        }
    })?;
    if meta.is_dir() {
        Ok(if is_maildir(path) {
            SourceKind::Maildir
        } else {
            SourceKind::Folder
        })
    } else {
        // Regular files, and also pipes such as `<(zcat spam.mbox.gz)` or /dev/stdin:
        // anything that can be opened and read is a stream of one message or an mbox.
        Ok(SourceKind::File)
    }
}

/// The entries of a folder to read next, as paths, in order.
pub fn list(dir: &str) -> io::Result<Vec<String>> {
    let base = Path::new(dir);
    if is_maildir(base) {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            out.extend(
                sorted_entries(&base.join(sub))?
                    .into_iter()
                    .filter_map(|(path, kind)| (kind == EntryKind::File).then_some(path)),
            );
        }
        // Maildir++ subfolders live next to cur/new as hidden folders.
        for (path, kind) in sorted_entries(base)? {
            if kind == EntryKind::Dir && is_hidden(&path) && is_maildir(Path::new(&path)) {
                out.push(path);
            }
        }
        return Ok(out);
    }
    Ok(sorted_entries(base)?
        .into_iter()
        .filter(|(path, kind)| match kind {
            EntryKind::File => !is_hidden(path) && !is_documentation(path),
            EntryKind::Dir => !is_hidden(path) || is_maildir(Path::new(path)),
            EntryKind::Other => false,
        })
        .map(|(path, _)| path)
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    Other,
}

/// Markdown files (a README next to collected samples or a corpus) are never mail; they
/// are skipped when walking a folder, but still read when named on the command line.
fn is_documentation(path: &str) -> bool {
    Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

fn is_hidden(path: &str) -> bool {
    Path::new(path)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn sorted_entries(dir: &Path) -> io::Result<Vec<(String, EntryKind)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Do not follow links to folders (loops); links to files are fine.
        let kind = match entry.file_type()? {
            t if t.is_dir() => EntryKind::Dir,
            t if t.is_file() => EntryKind::File,
            t if t.is_symlink() && path.is_file() => EntryKind::File,
            _ => EntryKind::Other,
        };
        out.push((path.to_string_lossy().into_owned(), kind));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
