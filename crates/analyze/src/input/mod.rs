//! Message sources: files, mbox files, maildir folders, plain folders and stdin.
//!
//! [`Inputs`] turns the paths a user typed into one stream of raw messages, each with a
//! [`Location`] (path, message number within an mbox, byte offset), reading lazily so a
//! 10 GB mbox or a folder of a million files costs one message (iterator) or one chunk of a
//! few MiB plus the largest message (`next_chunk`, see `block`; large regular files are
//! mapped a window at a time, see `window`) of memory at a time. Every
//! failure is an item of the stream, not the end of it: a missing file or an oversized
//! message becomes an [`InputError`] naming where it happened, and the next source is read.

pub mod block;
mod discover;
pub mod line;
pub mod mbox;
mod window;

use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;

pub use block::{Chunk, ChunkBytes, ChunkSize, Entry, Span};
pub use discover::SourceKind;

/// Where a message came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The path as given (or as found under a given folder); `-` for stdin.
    #[serde(serialize_with = "serialize_path")]
    pub path: Arc<str>,
    /// 1-based message number within an mbox stream; `None` for single-message files.
    pub message: Option<usize>,
    /// Byte offset of the message's first byte within the file or stream.
    pub offset: u64,
}

fn serialize_path<S: serde::Serializer>(path: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(path)
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message {
            Some(n) => write!(f, "{} message {n}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// One message's bytes and where they came from.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// Where the message was read.
    pub location: Location,
    /// The message as stored (mbox `>From` quoting undone).
    pub bytes: Vec<u8>,
}

/// Something that could not be read, and where.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct InputError {
    /// The path (and message) concerned.
    pub location: Location,
    /// What went wrong.
    pub kind: InputErrorKind,
}

impl InputError {
    /// True when a whole path was unusable (missing, unreadable), as opposed to one bad
    /// message inside a readable source.
    pub fn is_path_error(&self) -> bool {
        !matches!(self.kind, InputErrorKind::TooLarge { .. })
    }
}

/// What went wrong reading a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The path does not exist.
    #[error("no such file or folder; check the path")]
    NotFound,
    /// The path exists but could not be opened or listed.
    #[error("cannot open: {0}; check permissions")]
    Open(#[source] io::Error),
    /// Reading failed part-way.
    #[error("read failed: {0}")]
    Read(#[source] io::Error),
    /// The message is larger than the per-message cap; it was skipped.
    #[error(
        "message exceeds {limit} bytes; skipped (raise --max-message-bytes or check the file)"
    )]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

/// How sources are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Messages larger than this are skipped with [`InputErrorKind::TooLarge`].
    pub max_message_bytes: usize,
}

impl ReadOptions {
    /// 64 MiB: larger than any real message with attachments that mail servers accept.
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

type Stream = Box<dyn Iterator<Item = Result<RawMessage, InputError>> + Send>;

/// Regular files of at least this many bytes are mapped by [`Inputs::next_chunk`] instead of
/// read (see `window`). Below it one or a few `read` calls cost less than setting up and
/// tearing down a mapping, and a maildir's files stay on the `read` path.
pub const MAP_MIN_BYTES: u64 = 1 << 20;

/// Messages from a list of paths (`-` = stdin), in the order given; folders are walked in
/// sorted name order.
///
/// Two ways to read them: as an iterator, one [`RawMessage`] at a time (each message copied
/// into its own buffer, mbox files read line by line: the plain reference path), or in
/// [`Chunk`]s through [`Inputs::next_chunk`] (large reads, messages as ranges of one buffer:
/// what `batch` uses). Both yield the same messages, errors and locations.
pub struct Inputs {
    queue: VecDeque<String>,
    current: Option<Stream>,
    block: Option<block::BlockStream>,
    /// The next chunk's buffer, holding the unfinished message the last chunk left.
    carried: Option<block::Fill>,
    /// A buffer handed back by the consumer, to fill next instead of allocating.
    spare: Option<Vec<u8>>,
    read_size: usize,
    /// Regular files of at least this size are mapped in `next_chunk`.
    map_min: u64,
    opts: ReadOptions,
    stdin_used: bool,
}

/// An opened source, or what to do instead.
enum Opened {
    Stream(Box<dyn Read + Send>, Arc<str>),
    /// A regular file to map, with its length.
    Mapped(File, u64, Arc<str>),
    Failed(InputError),
    /// A folder, expanded into the queue; or stdin named twice.
    Nothing,
}

impl Inputs {
    /// Read `paths` (each a file, folder or `-`) with `opts`.
    pub fn new<I, S>(paths: I, opts: ReadOptions) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Inputs {
            queue: paths.into_iter().map(Into::into).collect(),
            current: None,
            block: None,
            carried: None,
            spare: None,
            read_size: block::READ_SIZE,
            map_min: MAP_MIN_BYTES,
            opts,
            stdin_used: false,
        }
    }

    /// Ask sources for at most `bytes` per `read` call in [`Inputs::next_chunk`] (default
    /// [`block::READ_SIZE`]); tiny values put chunk and read boundaries everywhere, which
    /// the tests use.
    pub fn with_read_size(mut self, bytes: usize) -> Self {
        self.read_size = bytes.max(1);
        self
    }

    /// Map regular files of at least `bytes` bytes in [`Inputs::next_chunk`] (default
    /// [`MAP_MIN_BYTES`]; `u64::MAX` reads every file with `read`, 0 maps all but empty
    /// ones, which the tests use to put windows everywhere).
    pub fn map_files_from(mut self, bytes: u64) -> Self {
        self.map_min = bytes.max(1);
        self
    }

    fn error(path: &str, kind: InputErrorKind) -> InputError {
        InputError {
            location: Location {
                path: Arc::from(path),
                message: None,
                offset: 0,
            },
            kind,
        }
    }

    /// Open one path: a readable stream, or a folder expanded into the queue.
    fn open(&mut self, path: String) -> Opened {
        if path == "-" {
            if self.stdin_used {
                return Opened::Nothing;
            }
            self.stdin_used = true;
            return Opened::Stream(Box::new(io::stdin()), Arc::from("-"));
        }
        match discover::classify(&PathBuf::from(&path)) {
            Err(kind) => Opened::Failed(Self::error(&path, kind)),
            Ok(SourceKind::File) => match File::open(&path) {
                // What the open descriptor is, not what the path was a moment ago: only a
                // regular file is mapped (FIFOs, devices and stdin are read).
                Ok(f) => match f.metadata() {
                    Ok(m) if m.is_file() && m.len() >= self.map_min => {
                        Opened::Mapped(f, m.len(), Arc::from(path.as_str()))
                    }
                    _ => Opened::Stream(Box::new(f), Arc::from(path.as_str())),
                },
                Err(e) => Opened::Failed(Self::error(&path, open_error(e))),
            },
            Ok(SourceKind::Folder) | Ok(SourceKind::Maildir) => match discover::list(&path) {
                Ok(children) => {
                    for child in children.into_iter().rev() {
                        self.queue.push_front(child);
                    }
                    Opened::Nothing
                }
                Err(e) => Opened::Failed(Self::error(&path, open_error(e))),
            },
        }
    }

    /// The next chunk of at least `size` (unless the input ends first), its buffer taken
    /// from `spare` when that holds one; `None` when every source has been read.
    ///
    /// A chunk ends at a read boundary once it holds `size.messages` items or
    /// `size.bytes` bytes, so it can hold somewhat more; a message larger than the chunk
    /// grows the buffer (up to the per-message cap; beyond it the bytes are dropped as they
    /// are read).
    pub fn next_chunk(&mut self, size: ChunkSize, spare: Option<ChunkBytes>) -> Option<Chunk> {
        if let Some(spare) = spare {
            self.spare = Some(spare.into_buffer());
        }
        let read_size = self.read_size;
        let want = size.bytes.max(1) + read_size;
        let mut f = match self.carried.take() {
            Some(f) => f,
            None => block::Fill::new(self.buffer(want), read_size),
        };
        f.size = size;
        loop {
            let keep = self.block.as_ref().map_or(f.used, |b| b.keep_from(&f));
            if !f.items.is_empty()
                && (f.items.len() >= size.messages.max(1) || keep + f.mapped >= size.bytes.max(1))
            {
                return Some(self.hand_out(f, keep));
            }
            let reads = self.block.as_ref().is_none_or(|b| !b.is_mapped());
            if reads && f.buf.len() - f.used < read_size && keep > 0 {
                if !f.items.is_empty() {
                    return Some(self.hand_out(f, keep));
                }
                // Nothing to hand out before `keep`: drop those bytes (a message over the
                // cap) and go on in the same buffer.
                f.buf.copy_within(keep..f.used, 0);
                f.used -= keep;
                if let Some(b) = self.block.as_mut() {
                    b.rebase(keep);
                }
            }
            if let Some(b) = self.block.as_mut() {
                if b.step(&mut f) == block::Step::HandOut {
                    return Some(self.hand_out(f, keep));
                }
                if b.is_done() {
                    self.block = None;
                }
                continue;
            }
            let Some(path) = self.queue.pop_front() else {
                return (!f.items.is_empty()).then(|| f.into_chunk());
            };
            let max = self.opts.max_message_bytes;
            match self.open(path) {
                Opened::Stream(reader, path) => {
                    self.block = Some(block::BlockStream::new(reader, path, max))
                }
                Opened::Mapped(file, len, path) => {
                    self.block = Some(block::BlockStream::mapped(file, len, path, max))
                }
                Opened::Failed(e) => f.items.push(Entry::Failed(e)),
                Opened::Nothing => {}
            }
        }
    }

    /// A buffer of at least `len` bytes: the spare one when there is one. A new buffer is
    /// asked of the allocator as zeroed memory (`vec![0; n]`), which it can hand out from
    /// fresh pages without writing them, instead of being filled with zeros byte by byte.
    fn buffer(&mut self, len: usize) -> Vec<u8> {
        match self.spare.take() {
            Some(mut buf) if !buf.is_empty() => {
                if buf.len() < len {
                    buf.resize(len, 0);
                }
                buf
            }
            _ => vec![0; len],
        }
    }

    /// Hand out the items of `f`; the bytes from `keep` on (an unfinished message) move to
    /// the start of the next chunk's buffer.
    fn hand_out(&mut self, mut f: block::Fill, keep: usize) -> Chunk {
        let rest = f.used - keep;
        let mut next = self.buffer(f.buf.len().max(rest + self.read_size));
        next[..rest].copy_from_slice(&f.buf[keep..f.used]);
        if let Some(b) = self.block.as_mut() {
            b.rebase(keep);
        }
        let mut carried = block::Fill::new(next, self.read_size);
        carried.used = rest;
        self.carried = Some(carried);
        f.used = keep;
        f.into_chunk()
    }
}

fn open_error(e: io::Error) -> InputErrorKind {
    if e.kind() == io::ErrorKind::NotFound {
        InputErrorKind::NotFound
    } else {
        InputErrorKind::Open(e)
    }
}

/// A single message or an mbox, told apart by the first five bytes (`From `).
fn open_stream(mut reader: Box<dyn Read + Send>, path: Arc<str>, opts: ReadOptions) -> Stream {
    let head = match read_head(&mut reader, 5) {
        Ok(h) => h,
        Err(e) => {
            let err = InputError {
                location: Location {
                    path,
                    message: None,
                    offset: 0,
                },
                kind: InputErrorKind::Read(e),
            };
            return Box::new(std::iter::once(Err(err)));
        }
    };
    let is_mbox = head == b"From ";
    let reader = BufReader::with_capacity(256 * 1024, io::Cursor::new(head).chain(reader));
    if is_mbox {
        Box::new(mbox::MboxReader::new(reader, path, opts.max_message_bytes))
    } else {
        Box::new(std::iter::once(read_single(reader, path, opts)))
    }
}

/// The first `n` bytes (fewer at end of input); pipes may deliver them in pieces.
fn read_head(reader: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// A whole single-message source, refusing to hold more than the per-message cap.
fn read_single<R: Read>(
    reader: R,
    path: Arc<str>,
    opts: ReadOptions,
) -> Result<RawMessage, InputError> {
    let location = Location {
        path,
        message: None,
        offset: 0,
    };
    let limit = opts.max_message_bytes;
    let mut bytes = Vec::new();
    match reader.take(limit as u64 + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() > limit => Err(InputError {
            location,
            kind: InputErrorKind::TooLarge { limit },
        }),
        Ok(_) => Ok(RawMessage { location, bytes }),
        Err(e) => Err(InputError {
            location,
            kind: InputErrorKind::Read(e),
        }),
    }
}

impl Iterator for Inputs {
    type Item = Result<RawMessage, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(stream) = self.current.as_mut() {
                match stream.next() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let path = self.queue.pop_front()?;
            match self.open(path) {
                Opened::Stream(reader, path) => {
                    self.current = Some(open_stream(reader, path, self.opts))
                }
                Opened::Mapped(file, _, path) => {
                    self.current = Some(open_stream(Box::new(file), path, self.opts))
                }
                Opened::Failed(e) => return Some(Err(e)),
                Opened::Nothing => {}
            }
        }
    }
}
