//! Loading config files into memory once, so everything after this module is sans-I/O.
//!
//! A [`Bundle`] holds every small text file of the input (a directory is read recursively,
//! two levels deep, which covers `/etc/postfix`, `/etc/exim4/conf.d/*/` and `/etc/mail`).
//! Tables referenced by absolute paths (`hash:/etc/postfix/sender_access`) are found by
//! their path relative to the input root or by file name.

use crate::error::AuditError;
use std::path::{Path, PathBuf};

/// Largest config file we read.
pub const MAX_FILE_BYTES: u64 = 4 << 20;
/// Most files we read from one directory tree.
pub const MAX_FILES: usize = 2000;

/// One config file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown in findings.
    pub path: PathBuf,
    /// Contents (lossy UTF-8).
    pub text: String,
}

/// All files of one audit input.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The path the user gave.
    pub root: PathBuf,
    /// True when `root` is a single file.
    pub single_file: bool,
    /// The files, sorted by path.
    pub files: Vec<SourceFile>,
}

impl Bundle {
    /// Read `path` (a file, or a directory tree up to depth 3).
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let meta = std::fs::metadata(path).map_err(|source| AuditError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(path, 0, &mut files)?;
            files.sort_by(|a: &SourceFile, b| a.path.cmp(&b.path));
        } else {
            files.push(read_file(path)?);
        }
        Ok(Self {
            root: path.to_path_buf(),
            single_file: !meta.is_dir(),
            files,
        })
    }

    /// A bundle of one in-memory file.
    pub fn from_text(name: &str, text: &str) -> Self {
        Self {
            root: PathBuf::from(name),
            single_file: true,
            files: vec![SourceFile {
                path: PathBuf::from(name),
                text: text.to_string(),
            }],
        }
    }

    /// A bundle of several in-memory files (path, text), rooted at `root`.
    pub fn from_files(root: &str, files: &[(&str, &str)]) -> Self {
        let mut files: Vec<SourceFile> = files
            .iter()
            .map(|(p, t)| SourceFile {
                path: Path::new(root).join(p),
                text: t.to_string(),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Self {
            root: PathBuf::from(root),
            single_file: false,
            files,
        }
    }

    /// The file whose name is `name` directly under the root (or the single file itself
    /// when its name matches).
    pub fn named(&self, name: &str) -> Option<&SourceFile> {
        if self.single_file {
            return self
                .files
                .first()
                .filter(|f| f.path.file_name().is_some_and(|n| n == name));
        }
        let want = self.root.join(name);
        self.files.iter().find(|f| f.path == want)
    }

    /// Files under `dir` (relative to the root), sorted by path.
    pub fn under(&self, dir: &str) -> Vec<&SourceFile> {
        let base = self.root.join(dir);
        self.files
            .iter()
            .filter(|f| f.path.starts_with(&base))
            .collect()
    }

    /// Find a file referenced from a config by absolute or relative path: exact, then
    /// relative to the root (`/etc/postfix/x` → `ROOT/x` when ROOT is that dir), then by
    /// file name.
    pub fn resolve(&self, reference: &str) -> Option<&SourceFile> {
        let r = Path::new(reference);
        if let Some(f) = self.files.iter().find(|f| f.path == r) {
            return Some(f);
        }
        let name = r.file_name()?;
        let mut candidates = self
            .files
            .iter()
            .filter(|f| f.path.file_name() == Some(name));
        let first = candidates.next()?;
        Some(
            std::iter::once(first)
                .chain(candidates)
                .find(|f| r.ends_with(f.path.strip_prefix(&self.root).unwrap_or(&f.path)))
                .unwrap_or(first),
        )
    }
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<SourceFile>) -> Result<(), AuditError> {
    let entries = std::fs::read_dir(dir).map_err(|source| AuditError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if out.len() >= MAX_FILES {
            return Ok(());
        }
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.ends_with(".db") || name.ends_with(".lmdb") {
            continue;
        }
        if meta.is_dir() {
            if depth < 3 {
                walk(&p, depth + 1, out)?;
            }
        } else if meta.is_file() && meta.len() <= MAX_FILE_BYTES {
            if let Ok(f) = read_file(&p) {
                if !f.text.contains('\0') {
                    out.push(f);
                }
            }
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<SourceFile, AuditError> {
    let meta = std::fs::metadata(path).map_err(|source| AuditError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(AuditError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| AuditError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
