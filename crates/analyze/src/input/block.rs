//! Reading sources in large blocks: the path `batch` takes, at the speed of the disk.
//!
//! The per-message reader ([`super::mbox::MboxReader`]) walks an mbox line by line and copies
//! every message into its own buffer; almost all of those bytes are bodies the analysis never
//! looks at. This reader instead fills one big buffer per [`Chunk`] with `read` calls of
//! [`READ_SIZE`] bytes and cuts it into messages where `From ` separator lines are: it only
//! stops at the places `memmem` finds the five bytes `From `, so a body costs a vectorised
//! scan and nothing else. Messages are ranges of the chunk's buffer, never copied (a message
//! that straddles two chunks is moved once, to the start of the next buffer).
//!
//! It follows the per-message reader's rules exactly, and a test compares the two on every
//! kind of input: a separator is a `From ` line that [`super::mbox::is_separator`] accepts,
//! anywhere but on a message's first line; `>From ` lines (any number of `>`) lose one `>`;
//! a message over the size cap is an error and its bytes are dropped as they are read, and a
//! separator line that would push a message past the cap by its own length is not taken as
//! one (as the line reader, which stops storing there, does); a stream holding a single
//! message is located like a single file.

use super::mbox::is_separator;
use super::{InputError, InputErrorKind, Location};
use memchr::memmem;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

/// Bytes asked of the source per `read` call: large enough that system calls are noise,
/// small enough that a chunk ends soon after it reaches its size.
pub const READ_SIZE: usize = 256 * 1024;

/// Messages read together: their bytes lie in one buffer.
#[derive(Debug, Default)]
pub struct Chunk {
    pub(crate) buf: Vec<u8>,
    pub(crate) items: Vec<Entry>,
}

/// One item of a chunk.
#[derive(Debug)]
pub enum Entry {
    /// A message: its bytes are `range` of the chunk's buffer (mbox quoting undone).
    Message {
        /// Where it came from.
        location: Location,
        /// Its bytes within the chunk.
        range: Range<usize>,
    },
    /// Something that could not be read.
    Failed(InputError),
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
    pub fn bytes(&self, range: &Range<usize>) -> &[u8] {
        &self.buf[range.clone()]
    }

    /// The items and the buffer their ranges point into.
    pub fn into_parts(self) -> (Vec<Entry>, Vec<u8>) {
        (self.items, self.buf)
    }

    /// A chunk from its parts (ranges must lie within `buf`).
    pub fn from_parts(items: Vec<Entry>, buf: Vec<u8>) -> Self {
        Chunk { buf, items }
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
}

impl Fill {
    pub(crate) fn new(buf: Vec<u8>, read_size: usize) -> Self {
        Fill {
            buf,
            used: 0,
            items: Vec::new(),
            read_size: read_size.max(1),
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

/// One source (file, pipe, stdin) being read into chunks.
pub(crate) struct BlockStream {
    reader: Box<dyn Read + Send>,
    path: Arc<str>,
    max: usize,
    kind: Kind,
    /// Where this stream's unfinished data starts in the current buffer.
    start: usize,
    /// Stream offset of `start`.
    start_offset: u64,
    eof: bool,
    done: bool,
    started: bool,
}

/// State of an mbox split in progress. Buffer positions are absolute indices of the
/// current buffer; the current message starts at `BlockStream::start` (or, once it went
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
    pub(crate) fn new(reader: Box<dyn Read + Send>, path: Arc<str>, max: usize) -> Self {
        BlockStream {
            reader,
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

    /// Where this stream's unfinished data starts: bytes before it may be handed out or
    /// moved; bytes from it on must be carried into the next buffer.
    pub(crate) fn keep_from(&self) -> usize {
        self.start
    }

    /// The buffer's first `by` bytes were removed (moved away): shift positions.
    pub(crate) fn rebase(&mut self, by: usize) {
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
    pub(crate) fn step(&mut self, f: &mut Fill) {
        if self.done {
            return;
        }
        if !self.started {
            self.started = true;
            self.start = f.used;
        }
        if !self.eof {
            match f.read_some(&mut *self.reader) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => {
                    self.fail_read(f, e);
                    return;
                }
            }
        }
        if let Kind::Undecided = self.kind {
            if f.used - self.start < 5 && !self.eof {
                return;
            }
            self.kind = if f.buf[self.start..f.used].starts_with(b"From ") {
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
    }

    fn fail_read(&mut self, f: &mut Fill, e: io::Error) {
        self.done = true;
        let location = match &self.kind {
            Kind::Mbox(s) => {
                // Like the line reader: the offset just past the last whole line read.
                let data = &f.buf[self.start..f.used];
                let lines = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
                let base = self.start_offset;
                self.location(Some(s.number), base + lines as u64)
            }
            _ => self.location(None, 0),
        };
        f.used = self.start;
        f.items.push(Entry::Failed(InputError {
            location,
            kind: InputErrorKind::Read(e),
        }));
    }

    /// A single-message source: all of it (up to the cap plus one byte) is one message.
    fn single(&mut self, f: &mut Fill) {
        let limit = self.max;
        while !self.eof && f.used - self.start <= limit {
            match f.read_some(&mut *self.reader) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => {
                    self.fail_read(f, e);
                    return;
                }
            }
        }
        self.done = true;
        let location = self.location(None, 0);
        let len = f.used - self.start;
        if len > limit {
            f.used = self.start;
            f.items.push(Entry::Failed(InputError {
                location,
                kind: InputErrorKind::TooLarge { limit },
            }));
        } else {
            f.items.push(Entry::Message {
                location,
                range: self.start..f.used,
            });
            self.start = f.used;
        }
    }

    /// Split what the buffer holds of an mbox into messages.
    fn mbox(&mut self, f: &mut Fill) {
        let Kind::Mbox(s) = &mut self.kind else {
            return;
        };
        let limit = self.max;
        let cap_plus_one = limit.saturating_add(1);
        loop {
            let hay = &f.buf[..f.used];
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
                None if self.eof => f.used,
                None if !fits(before, f.used - j) => {
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
                let end = unquote(&mut f.buf, m, j, &s.quoted);
                f.items.push(Entry::Message {
                    location,
                    range: m..end,
                });
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
        }
        let m = self.start;
        if self.eof {
            // The last message runs to the end of the input.
            self.done = true;
            if f.used > m {
                let unquoted = (f.used - m) as u64 + s.dropped - s.quoted.len() as u64;
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
                    let end = unquote(&mut f.buf, m, f.used, &s.quoted);
                    f.items.push(Entry::Message {
                        location,
                        range: m..end,
                    });
                }
                self.start = f.used;
            }
            return;
        }
        // No more separators in what was read: resume where a `From ` cut in two by the end
        // of the data could start.
        s.scan = s.scan.max(f.used.saturating_sub(4)).max(m + 1);
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
    }
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
