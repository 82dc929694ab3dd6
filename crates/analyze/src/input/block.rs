//! Reading sources in large blocks: the path `batch` takes, at the speed of the disk.
//!
//! The per-message reader ([`super::mbox::MboxReader`]) walks an mbox line by line and copies
//! every message into its own buffer; almost all of those bytes are bodies the analysis never
//! looks at. This reader instead cuts large blocks into messages where `From ` separator
//! lines are: it only stops at the places `memmem` finds the five bytes `From `, so a body
//! costs a vectorised scan and nothing else. A block is either
//! - a [`Window`] of a regular file mapped from the page cache (files of at least
//!   [`super::MAP_MIN_BYTES`]): messages are ranges of the window, not copied at all, and a
//!   message cut by the window's end starts the next window, which overlaps it; or
//! - for stdin, pipes and small files, the chunk's buffer, filled with `read` calls of
//!   [`READ_SIZE`] bytes: messages are ranges of it (a message that straddles two chunks is
//!   moved once, to the start of the next buffer).
//!
//! Only a mapped message with `>From ` lines is copied, into the chunk's buffer, because
//! undoing the quoting changes its bytes.
//!
//! It follows the per-message reader's rules exactly, and a test compares the two on every
//! kind of input: a separator is a `From ` line that [`super::mbox::is_separator`] accepts,
//! anywhere but on a message's first line; `>From ` lines (any number of `>`) lose one `>`;
//! a message over the size cap is an error and its bytes are dropped as they are read, and a
//! separator line that would push a message past the cap by its own length is not taken as
//! one (as the line reader, which stops storing there, does); a stream holding a single
//! message is located like a single file.

use super::mbox::is_separator;
use super::window::Window;
use super::{InputError, InputErrorKind, Location};
use memchr::memmem;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

/// Bytes asked of the source per `read` call: large enough that system calls are noise,
/// small enough that a chunk ends soon after it reaches its size.
pub const READ_SIZE: usize = 256 * 1024;

/// Messages read together: their bytes lie in the chunk's buffer or in one mapped window.
#[derive(Debug, Default)]
pub struct Chunk {
    pub(crate) bytes: ChunkBytes,
    pub(crate) items: Vec<Entry>,
}

/// One item of a chunk.
#[derive(Debug)]
pub enum Entry {
    /// A message: its bytes are `span` of the chunk's bytes (mbox quoting undone).
    Message {
        /// Where it came from.
        location: Location,
        /// Where its bytes are within the chunk.
        span: Span,
    },
    /// Something that could not be read.
    Failed(InputError),
}

/// Where a message's bytes lie within its chunk: a range of the buffer or of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub(crate) range: Range<usize>,
    pub(crate) mapped: bool,
}

impl Span {
    /// A range of the chunk's buffer.
    pub fn in_buffer(range: Range<usize>) -> Self {
        Span {
            range,
            mapped: false,
        }
    }

    /// Length of the message in bytes.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// True for an empty message.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

/// The bytes a chunk's messages lie in: its buffer (bytes read, and mapped messages whose
/// quoting was undone) and the window of a mapped file its other messages are ranges of.
#[derive(Debug, Default)]
pub struct ChunkBytes {
    buf: Vec<u8>,
    map: Option<Arc<Window>>,
}

impl ChunkBytes {
    /// The bytes of one message of the chunk.
    pub fn get(&self, span: &Span) -> &[u8] {
        match (&self.map, span.mapped) {
            (Some(w), true) => &w.bytes()[span.range.clone()],
            _ => &self.buf[span.range.clone()],
        }
    }

    /// Size of the buffer (not of the window): what keeping it for reuse costs.
    pub fn buffer_len(&self) -> usize {
        self.buf.len()
    }

    /// The buffer, to be filled again; the window (if no other chunk uses it) is unmapped.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

impl From<Vec<u8>> for ChunkBytes {
    fn from(buf: Vec<u8>) -> Self {
        ChunkBytes { buf, map: None }
    }
}

impl Chunk {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the chunk holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The bytes of a message entry.
    pub fn bytes(&self, span: &Span) -> &[u8] {
        self.bytes.get(span)
    }

    /// The items and the bytes their spans point into.
    pub fn into_parts(self) -> (Vec<Entry>, ChunkBytes) {
        (self.items, self.bytes)
    }

    /// A chunk from its parts (spans must lie within `bytes`).
    pub fn from_parts(items: Vec<Entry>, bytes: ChunkBytes) -> Self {
        Chunk { bytes, items }
    }
}

/// How large a chunk grows before it is handed out (whichever comes first; a chunk ends
/// at a read boundary, so it may hold a few more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSize {
    /// Messages.
    pub messages: usize,
    /// Bytes of buffer used.
    pub bytes: usize,
}

/// A chunk being filled.
pub(crate) struct Fill {
    pub(crate) buf: Vec<u8>,
    /// Bytes of `buf` holding data; the rest is room to read into.
    pub(crate) used: usize,
    pub(crate) items: Vec<Entry>,
    /// Most bytes asked of the source per `read` call.
    pub(crate) read_size: usize,
    /// The window the chunk's mapped messages lie in, once it holds one.
    pub(crate) map: Option<Arc<Window>>,
    /// Bytes of the chunk's mapped messages.
    pub(crate) mapped: usize,
    /// When the chunk is full (a mapped file is cut into messages a window at a time, so the
    /// split itself stops there).
    pub(crate) size: ChunkSize,
}

impl Fill {
    pub(crate) fn new(buf: Vec<u8>, read_size: usize) -> Self {
        Fill {
            buf,
            used: 0,
            items: Vec::new(),
            read_size: read_size.max(1),
            map: None,
            mapped: 0,
            size: ChunkSize {
                messages: usize::MAX,
                bytes: usize::MAX,
            },
        }
    }

    /// True once the chunk holds as many messages or bytes as it should.
    fn full(&self) -> bool {
        self.items.len() >= self.size.messages.max(1)
            || self.used + self.mapped >= self.size.bytes.max(1)
    }

    /// Bytes a fresh window should cover: a chunk's worth plus a read's.
    fn window_len(&self) -> usize {
        self.size.bytes.max(1).saturating_add(self.read_size)
    }

    /// The chunk's bytes, once it is handed out.
    pub(crate) fn into_chunk(self) -> Chunk {
        Chunk {
            bytes: ChunkBytes {
                buf: self.buf,
                map: self.map,
            },
            items: self.items,
        }
    }

    /// Make at least `n` bytes of room after `used` (the buffer keeps its length as its
    /// capacity, so refilled buffers are never zeroed again).
    pub(crate) fn reserve(&mut self, n: usize) {
        if self.buf.len() - self.used < n {
            let want = (self.used + n).max(self.buf.len() * 2);
            self.buf.resize(want, 0);
        }
    }

    /// Read once into the room; 0 at end of input.
    fn read_some(&mut self, reader: &mut dyn Read) -> io::Result<usize> {
        self.reserve(self.read_size);
        let end = self.used + self.read_size;
        loop {
            match reader.read(&mut self.buf[self.used..end]) {
                Ok(n) => {
                    self.used += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// What the stream is, once its first bytes are known.
enum Kind {
    Undecided,
    Single,
    Mbox(Box<MboxScan>),
}

/// Where a stream's bytes come from, and what its positions index.
enum Feed {
    /// `read` calls into the chunk's buffer; positions are indices of the buffer.
    Read(Box<dyn Read + Send>),
    /// Windows of a mapped regular file; positions are indices of the current window.
    Map(MapFeed),
}

/// A regular file read through mapped windows.
struct MapFeed {
    file: File,
    /// The file's length when it was opened: what is read of it.
    len: u64,
    window: Option<Arc<Window>>,
    /// File offset of the window's first byte.
    base: u64,
    /// The split reached the window's end: the next step needs a new window.
    exhausted: bool,
}

impl MapFeed {
    fn bytes(&self) -> &[u8] {
        self.window.as_deref().map_or(&[], Window::bytes)
    }
}

/// The stream's bytes at hand, which its positions index.
fn data<'a>(feed: &'a Feed, f: &'a Fill) -> &'a [u8] {
    match feed {
        Feed::Read(_) => &f.buf[..f.used],
        Feed::Map(m) => m.bytes(),
    }
}

/// What a step asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Step again, or hand the chunk out once it is full.
    Go,
    /// The stream needs a new window while the chunk holds messages of another one: hand
    /// the chunk out first.
    HandOut,
}

/// One source (file, pipe, stdin) being read into chunks.
pub(crate) struct BlockStream {
    feed: Feed,
    path: Arc<str>,
    max: usize,
    kind: Kind,
    /// Where this stream's unfinished data starts in the current buffer or window.
    start: usize,
    /// Stream offset of `start`.
    start_offset: u64,
    eof: bool,
    done: bool,
    started: bool,
}

/// State of an mbox split in progress. Positions are absolute indices of the current
/// buffer or window; the current message starts at `BlockStream::start` (or, once it went
/// over the cap and its bytes are being dropped, that is where the kept tail starts).
struct MboxScan {
    finder: memmem::Finder<'static>,
    /// Number of the current message (1-based).
    number: usize,
    /// Stream offset of the current message's first byte.
    msg_offset: u64,
    /// Where to look for the next `From ` (absolute).
    scan: usize,
    /// Quoted lines seen in the current message: offsets from its start of the `>` to drop.
    quoted: Vec<usize>,
    /// Bytes of the current message already dropped (over the cap).
    dropped: u64,
    /// The current message is over the cap: its bytes are dropped as they go.
    over: bool,
}

impl BlockStream {
    /// A stream read with `read` calls.
    pub(crate) fn new(reader: Box<dyn Read + Send>, path: Arc<str>, max: usize) -> Self {
        Self::with_feed(Feed::Read(reader), path, max)
    }

    /// A regular file of `len` bytes read through mapped windows.
    pub(crate) fn mapped(file: File, len: u64, path: Arc<str>, max: usize) -> Self {
        let mut s = Self::with_feed(
            Feed::Map(MapFeed {
                file,
                len,
                window: None,
                base: 0,
                exhausted: true,
            }),
            path,
            max,
        );
        s.eof = len == 0;
        s
    }

    fn with_feed(feed: Feed, path: Arc<str>, max: usize) -> Self {
        BlockStream {
            feed,
            path,
            max,
            kind: Kind::Undecided,
            start: 0,
            start_offset: 0,
            eof: false,
            done: false,
            started: false,
        }
    }

    /// True when the stream is read through mapped windows.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self.feed, Feed::Map(_))
    }

    /// Where this stream's unfinished data starts in the buffer: bytes before it may be
    /// handed out or moved; bytes from it on must be carried into the next buffer. A mapped
    /// stream keeps nothing in the buffer.
    pub(crate) fn keep_from(&self, f: &Fill) -> usize {
        match self.feed {
            Feed::Read(_) => self.start,
            Feed::Map(_) => f.used,
        }
    }

    /// The buffer's first `by` bytes were removed (moved away): shift positions (those of
    /// a mapped stream index its window, not the buffer).
    pub(crate) fn rebase(&mut self, by: usize) {
        if let Feed::Read(_) = self.feed {
            self.shift(by);
        }
    }

    /// The data the positions index now starts `by` bytes later.
    fn shift(&mut self, by: usize) {
        self.start -= by;
        if let Kind::Mbox(s) = &mut self.kind {
            s.scan -= by;
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    fn location(&self, message: Option<usize>, offset: u64) -> Location {
        Location {
            path: self.path.clone(),
            message,
            offset,
        }
    }

    /// Read one block (or, for a single-message source, all of it) and turn what is
    /// complete into items of `f`.
    pub(crate) fn step(&mut self, f: &mut Fill) -> Step {
        if self.done {
            return Step::Go;
        }
        match &self.feed {
            Feed::Read(_) => {
                if !self.started {
                    self.started = true;
                    self.start = f.used;
                }
                if !self.eof {
                    if let Err(e) = self.more(f) {
                        self.fail_read(f, e);
                        return Step::Go;
                    }
                }
            }
            Feed::Map(m) => {
                self.started = true;
                // A new window when the split reached the end of this one, or when a new
                // chunk would start with less than a chunk's worth of it left.
                let left = m.bytes().len() - self.start;
                let renew = m.exhausted || (f.map.is_none() && left < f.window_len());
                if !self.eof && renew {
                    if f.map.is_some() {
                        return Step::HandOut;
                    }
                    if let Err(e) = self.more(f) {
                        self.fail_read(f, e);
                        return Step::Go;
                    }
                }
            }
        }
        if let Kind::Undecided = self.kind {
            let data = data(&self.feed, f);
            if data.len() - self.start < 5 && !self.eof {
                self.want_more();
                return Step::Go;
            }
            self.kind = if data[self.start..].starts_with(b"From ") {
                Kind::Mbox(Box::new(MboxScan {
                    finder: memmem::Finder::new(b"From ").into_owned(),
                    number: 1,
                    msg_offset: 0,
                    scan: self.start + 1,
                    quoted: Vec::new(),
                    dropped: 0,
                    over: false,
                }))
            } else {
                Kind::Single
            };
        }
        match self.kind {
            Kind::Single => self.single(f),
            Kind::Mbox(_) => self.mbox(f),
            Kind::Undecided => {}
        }
        Step::Go
    }

    /// More data: one `read` into the buffer, or a new window that starts at `start` and
    /// reaches further than the last one (twice what it keeps of it, so a long message
    /// costs a few mappings, not one per read size). Sets `eof` at the end of the input.
    fn more(&mut self, f: &mut Fill) -> io::Result<()> {
        match &mut self.feed {
            Feed::Read(reader) => {
                if f.read_some(&mut **reader)? == 0 {
                    self.eof = true;
                }
            }
            Feed::Map(m) => {
                let kept = m.bytes().len() - self.start;
                let from = m.base + self.start as u64;
                let want = kept
                    .saturating_mul(2)
                    .max(kept + f.read_size)
                    .max(f.window_len());
                let len = (m.len - from).min(want as u64) as usize;
                m.window = Some(Arc::new(Window::map(&m.file, from, len)?));
                m.base = from;
                m.exhausted = false;
                if from + len as u64 == m.len {
                    self.eof = true;
                }
                self.shift(self.start);
            }
        }
        Ok(())
    }

    /// The split stopped for lack of data: a mapped stream needs a new window.
    fn want_more(&mut self) {
        if let Feed::Map(m) = &mut self.feed {
            m.exhausted = true;
        }
    }

    fn fail_read(&mut self, f: &mut Fill, e: io::Error) {
        self.done = true;
        let location = match &self.kind {
            Kind::Mbox(s) => {
                // Like the line reader: the offset just past the last whole line read.
                let data = &data(&self.feed, f)[self.start..];
                let lines = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
                let base = self.start_offset;
                self.location(Some(s.number), base + lines as u64)
            }
            _ => self.location(None, 0),
        };
        if let Feed::Read(_) = self.feed {
            f.used = self.start;
        }
        f.items.push(Entry::Failed(InputError {
            location,
            kind: InputErrorKind::Read(e),
        }));
    }

    /// A single-message source: all of it (up to the cap plus one byte) is one message.
    fn single(&mut self, f: &mut Fill) {
        let limit = self.max;
        // A mapped file's length is known: one over the cap is not mapped whole.
        let known_over = match &self.feed {
            Feed::Map(m) => m.len - m.base - self.start as u64 > limit as u64,
            Feed::Read(_) => false,
        };
        while !known_over && !self.eof && data(&self.feed, f).len() - self.start <= limit {
            if let Err(e) = self.more(f) {
                self.fail_read(f, e);
                return;
            }
        }
        self.done = true;
        let location = self.location(None, 0);
        let end = data(&self.feed, f).len();
        if known_over || end - self.start > limit {
            if let Feed::Read(_) = self.feed {
                f.used = self.start;
            }
            f.items.push(Entry::Failed(InputError {
                location,
                kind: InputErrorKind::TooLarge { limit },
            }));
        } else {
            emit(&self.feed, f, location, self.start, end, &[]);
            self.start = end;
        }
    }

    /// Split what the buffer or window holds of an mbox into messages. A mapped stream
    /// stops once the chunk is full, the rest of its window staying for the next chunk.
    fn mbox(&mut self, f: &mut Fill) {
        let Kind::Mbox(s) = &mut self.kind else {
            return;
        };
        let limit = self.max;
        let cap_plus_one = limit.saturating_add(1);
        let stops = matches!(self.feed, Feed::Map(_));
        loop {
            let hay = data(&self.feed, f);
            let Some(j) = s.finder.find(&hay[s.scan..]).map(|i| i + s.scan) else {
                break;
            };
            let m = self.start;
            let prev = hay[j - 1];
            if prev == b'>' {
                // `>From `, `>>From `, …: quoted when the `>` run starts a line.
                if !s.over {
                    let mut k = j - 1;
                    while k > m && hay[k - 1] == b'>' {
                        k -= 1;
                    }
                    if k == m || hay[k - 1] == b'\n' {
                        s.quoted.push(k - m);
                    }
                }
                s.scan = j + 5;
                continue;
            }
            if prev != b'\n' {
                s.scan = j + 5;
                continue;
            }
            // A line starting with `From `: a separator candidate. Its whole line is needed.
            // The message's length before it (mbox quoting undone) decides how long a
            // separator may be: `None` once the message is over the cap.
            let before = if s.over {
                None
            } else {
                Some((j - m) as u64 + s.dropped - s.quoted.len() as u64)
            };
            let fits = |u: Option<u64>, n: usize| match u {
                Some(u) if u <= limit as u64 => u + n as u64 <= cap_plus_one as u64,
                _ => n <= cap_plus_one,
            };
            let line_end = match memchr::memchr(b'\n', &hay[j..]) {
                Some(i) => j + i + 1,
                None if self.eof => hay.len(),
                None if !fits(before, hay.len() - j) => {
                    // Already too long to be a separator, whatever follows.
                    s.scan = j + 5;
                    continue;
                }
                None => {
                    // Wait for the rest of the line; while over the cap keep only it.
                    s.scan = j;
                    if s.over {
                        s.dropped += (j - 1 - m) as u64;
                        self.start_offset += (j - 1 - m) as u64;
                        self.start = j - 1;
                    }
                    if let Feed::Map(mf) = &mut self.feed {
                        mf.exhausted = true;
                    }
                    return;
                }
            };
            let n = line_end - j;
            let fits = fits(before, n);
            if !(fits && is_separator(&hay[j..line_end])) {
                s.scan = j + 5;
                continue;
            }
            // The current message ends here.
            let unquoted = (j - m) as u64 + s.dropped - s.quoted.len() as u64;
            let location = Location {
                path: self.path.clone(),
                message: Some(s.number),
                offset: s.msg_offset,
            };
            if s.over || unquoted > limit as u64 {
                f.items.push(Entry::Failed(InputError {
                    location,
                    kind: InputErrorKind::TooLarge { limit },
                }));
            } else {
                emit(&self.feed, f, location, m, j, &s.quoted);
            }
            let offset = self.start_offset + (j - m) as u64;
            s.number += 1;
            s.msg_offset = offset;
            s.quoted.clear();
            s.dropped = 0;
            s.over = false;
            self.start = j;
            self.start_offset = offset;
            s.scan = j + 1;
            if stops && f.full() {
                return;
            }
        }
        let m = self.start;
        let end = data(&self.feed, f).len();
        if self.eof {
            // The last message runs to the end of the input.
            self.done = true;
            if end > m {
                let unquoted = (end - m) as u64 + s.dropped - s.quoted.len() as u64;
                let number = s.number;
                let alone = number == 1;
                let location = Location {
                    path: self.path.clone(),
                    message: (!alone).then_some(number),
                    offset: s.msg_offset,
                };
                if s.over || unquoted > limit as u64 {
                    f.items.push(Entry::Failed(InputError {
                        location,
                        kind: InputErrorKind::TooLarge { limit },
                    }));
                } else {
                    emit(&self.feed, f, location, m, end, &s.quoted);
                }
                self.start = end;
            }
            return;
        }
        // No more separators in what was read: resume where a `From ` cut in two by the end
        // of the data could start.
        s.scan = s.scan.max(end.saturating_sub(4)).max(m + 1);
        let so_far = (s.scan - m) as u64 + s.dropped;
        if !s.over && so_far > s.quoted.len() as u64 + limit as u64 + 1 {
            // Certainly over the cap (a `>` of a quoted line cut in two is at most one
            // byte): from now on keep only what the search still needs.
            s.over = true;
            s.quoted.clear();
        }
        if s.over {
            let keep = s.scan - 1;
            s.dropped += (keep - m) as u64;
            self.start_offset += (keep - m) as u64;
            self.start = keep;
        }
        if let Feed::Map(mf) = &mut self.feed {
            mf.exhausted = true;
        }
    }
}

/// Add the message at `start..end` of the stream's data, with the `>` at each offset of
/// `quoted` (from `start`, ascending) dropped. Read data is unquoted where it lies; a mapped
/// message is a range of its window, or, when it has quoted lines, copied into the buffer
/// without those `>`.
fn emit(feed: &Feed, f: &mut Fill, location: Location, start: usize, end: usize, quoted: &[usize]) {
    let span = match feed {
        Feed::Read(_) => Span::in_buffer(start..unquote(&mut f.buf, start, end, quoted)),
        Feed::Map(m) => match &m.window {
            Some(w) if quoted.is_empty() => {
                f.map.get_or_insert_with(|| w.clone());
                f.mapped += end - start;
                Span {
                    range: start..end,
                    mapped: true,
                }
            }
            _ => Span::in_buffer(copy_unquoted(f, &m.bytes()[start..end], quoted)),
        },
    };
    f.items.push(Entry::Message { location, span });
}

/// Append `src` to the buffer without the `>` at each offset of `quoted`; where it went.
fn copy_unquoted(f: &mut Fill, src: &[u8], quoted: &[usize]) -> Range<usize> {
    f.reserve(src.len() - quoted.len());
    let start = f.used;
    let mut from = 0;
    for &q in quoted.iter().chain(std::iter::once(&src.len())) {
        let piece = &src[from..q];
        f.buf[f.used..f.used + piece.len()].copy_from_slice(piece);
        f.used += piece.len();
        from = q + 1;
    }
    start..f.used
}

/// Drop the `>` of each quoted line of the message `buf[start..end]` (offsets in `quoted`,
/// ascending) by moving the bytes after each one down; returns the message's new end.
fn unquote(buf: &mut [u8], start: usize, end: usize, quoted: &[usize]) -> usize {
    let Some(&first) = quoted.first() else {
        return end;
    };
    let mut write = start + first;
    for (i, &q) in quoted.iter().enumerate() {
        let from = start + q + 1;
        let to = quoted.get(i + 1).map_or(end, |&next| start + next);
        buf.copy_within(from..to, write);
        write += to - from;
    }
    write
}
