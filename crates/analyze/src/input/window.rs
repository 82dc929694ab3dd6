//! A read-only window onto part of a regular file, mapped from the page cache: how the block
//! reader takes large files without copying them.
//!
//! `read` copies every byte of the file from the page cache into a buffer of ours, and a
//! message cut by the end of a buffer is moved once more; in a one-thread profile of an mbox
//! in the page cache the copy alone took about 8.5% of all CPU samples. A mapping shows the
//! page cache's own pages instead: the messages of a chunk are ranges of its window, and a
//! message cut by the end of one window is simply the start of the next one (windows
//! overlap), so no byte is copied unless mbox quoting changes it.
//!
//! One window per chunk of a few MiB rather than the whole file: the pages a mapping has
//! touched count as the process's resident memory until it is unmapped, so a whole-file
//! mapping would grow to the file's size; a window is unmapped when the last chunk using it
//! is dropped, and memory stays as flat as with buffers.
//!
//! # Files that change while they are read
//!
//! The window shows the file as it is now. If another process truncates the file while a
//! window of it is mapped, touching a page past the new end makes the kernel send SIGBUS,
//! which ends the run (the same trade ripgrep makes when it maps files). relayhunt reads
//! mailboxes at rest; it does not catch the signal (that would need a process-wide handler
//! and could not tell which message was lost). A file that grows is read up to the length it
//! had when it was opened. Only regular files of at least [`super::MAP_MIN_BYTES`] are mapped:
//! stdin, pipes, FIFOs, character devices, `/proc` files (which report a length of 0) and
//! small files are read with `read`.

// The only unsafe code of the crate: creating a mapping (see `Window::map`).
#![allow(unsafe_code)]

use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::io;

/// `len` bytes of a file from `offset` on, mapped read-only.
#[derive(Debug)]
pub struct Window {
    map: Mmap,
}

impl Window {
    /// Map `len` bytes (> 0) of `file` from `offset` (any offset: the mapping starts at the
    /// page holding it). Pages are mapped on first touch, the kernel mapping the cached
    /// pages around each fault too; asking for all of them at once (`MAP_POPULATE`) was
    /// measured and did not win (see BENCHMARKS.md).
    pub(crate) fn map(file: &File, offset: u64, len: usize) -> io::Result<Self> {
        let mut opts = MmapOptions::new();
        opts.offset(offset).len(len);
        // SAFETY: the mapping is read-only and lives as long as this window; the slices
        // handed out borrow the window. They stay valid as long as no other process changes
        // or truncates the file during the run, which the module documentation states as
        // this reader's assumption (as ripgrep's); nothing in a file's content can break it.
        let map = unsafe { opts.map(file)? };
        Ok(Window { map })
    }

    /// The window's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }
}
