//! Tokeniser for the structured part of a `Received:` value.
//!
//! RFC 5322 §3.6.7 gives `Received:` a loose grammar of name/value pairs separated by
//! comments; real MTAs add bracketed address literals, angle addresses and quoted strings in
//! every position. The tokeniser classifies those pieces once, in a single forward pass with
//! no backtracking, and hands out slices of the normalised text (no copies). Unbalanced
//! brackets or parentheses simply run to the end of the input.

/// One lexical item. Slices borrow the normalised header text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A run of characters up to whitespace or a delimiter (`host.example`, `ESMTPS`, `id`).
    Word(&'a str),
    /// Content of a `( … )` comment, nested comments included verbatim.
    Comment(&'a str),
    /// Content of `[ … ]`, plus a `:port` written right after the closing bracket.
    Bracket(&'a str, Option<&'a str>),
    /// Content of `< … >`.
    Angle(&'a str),
    /// Content of a `" … "` quoted string.
    Quoted(&'a str),
    /// A top-level `;` (the last one introduces the date).
    Semi,
}

use std::cell::Cell;

/// How many of the last top-level `;` [`Lexed`] remembers: the date is looked for after
/// one of the last four.
pub(crate) const SEMIS: usize = 4;

/// The tokens of a line, plus the two facts about their positions later stages need.
///
/// Positions are kept only where they are used (the last `;`s, whether the last token is
/// unclosed) instead of beside every token, so the token vector is the one the clause
/// readers borrow and is not copied out of a wider one.
pub(crate) struct Lexed<'a> {
    pub tokens: Vec<Token<'a>>,
    /// The last token's opening `(`, `[`, `<` or `"` was never closed: it ran to the end of
    /// the input and swallowed whatever followed (a sign of hostile or broken structure).
    /// Only the last token can be unclosed.
    pub last_open: bool,
    /// Token index and byte offset just after each of the last [`SEMIS`] `;` tokens, as a
    /// ring indexed by `n_semis`.
    semis: [(usize, usize); SEMIS],
    n_semis: usize,
}

thread_local! {
    /// The emptied token vector of the last line this thread parsed (see [`recycle`]).
    static SPARE: Cell<Vec<Token<'static>>> = const { Cell::new(Vec::new()) };
}

/// Token vectors above this capacity are freed rather than kept: a hostile 16 KiB line
/// must not pin its vector for the life of the thread.
const SPARE_MAX: usize = 1024;

/// Give a line's token vector back for the next line on this thread.
///
/// A line's vector is usually over a kilobyte, past the allocator's per-thread cache, so
/// allocating and freeing it cost more than any stage that reads it. The vector is kept
/// empty between lines; converting between token lifetimes collects the empty vector into
/// one of the same layout, which the standard library does in place (same allocation), so
/// no unsafe code is needed. Were it ever not in place, it would only allocate again.
pub(crate) fn recycle(tokens: Vec<Token<'_>>) {
    if tokens.capacity() <= SPARE_MAX {
        SPARE.set(emptied(tokens));
    }
}

/// `tokens`' allocation, emptied, as a vector of tokens of another lifetime.
// `filter_map` (not `filter`) because the item type changes; nothing is ever yielded.
#[allow(clippy::unnecessary_filter_map)]
fn emptied<'b>(mut tokens: Vec<Token<'_>>) -> Vec<Token<'b>> {
    tokens.clear();
    tokens.into_iter().filter_map(|_| None).collect()
}

impl<'a> Lexed<'a> {
    fn with_capacity(n: usize) -> Self {
        let spare = emptied(SPARE.take());
        Lexed {
            tokens: if spare.capacity() >= n {
                spare
            } else {
                Vec::with_capacity(n)
            },
            last_open: false,
            semis: [(0, 0); SEMIS],
            n_semis: 0,
        }
    }

    fn push(&mut self, token: Token<'a>, end: usize, open: bool) {
        if token == Token::Semi {
            self.semis[self.n_semis % SEMIS] = (self.tokens.len(), end);
            self.n_semis += 1;
        }
        self.tokens.push(token);
        self.last_open = open;
    }

    /// The last [`SEMIS`] `;` tokens, the latest first: token index and the byte offset
    /// just after the `;`.
    pub fn semis_latest_first(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.n_semis.min(SEMIS)).map(move |k| self.semis[(self.n_semis - 1 - k) % SEMIS])
    }
}

/// Split `text` into tokens. Commas count as separators, like whitespace.
pub(crate) fn tokenize(text: &str) -> Lexed<'_> {
    let bytes = text.as_bytes();
    let mut out = Lexed::with_capacity(32);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b',' | b'\t' => i += 1,
            b';' => {
                i += 1;
                out.push(Token::Semi, i, false);
            }
            b'(' => {
                let start = i + 1;
                let mut depth = 1usize;
                let mut j = start;
                // Jump between parentheses; the text between them is not looked at.
                while let Some(k) = memchr::memchr2(b'(', b')', &bytes[j..]) {
                    j += k;
                    if bytes[j] == b'(' {
                        depth += 1;
                    } else {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    j += 1;
                }
                if depth > 0 {
                    j = bytes.len();
                }
                let inner = text[start..j].trim();
                i = (j + 1).min(bytes.len());
                out.push(Token::Comment(inner), i, j >= bytes.len());
            }
            b'[' => {
                let start = i + 1;
                let close = find_byte(bytes, start, b']');
                if bytes[start..close].iter().any(|&b| breaks_group(b)) {
                    // Not an address literal: a stray `[` in someone's text.
                    out.push(Token::Word(&text[i..i + 1]), i + 1, false);
                    i += 1;
                    continue;
                }
                let inner = text[start..close].trim();
                i = (close + 1).min(bytes.len());
                let mut port = None;
                if i < bytes.len() && bytes[i] == b':' {
                    let p_start = i + 1;
                    let mut p_end = p_start;
                    while p_end < bytes.len() && bytes[p_end].is_ascii_digit() {
                        p_end += 1;
                    }
                    if p_end > p_start {
                        port = Some(&text[p_start..p_end]);
                        i = p_end;
                    }
                }
                out.push(Token::Bracket(inner, port), i, close >= bytes.len());
            }
            b'<' => {
                // A quoted local part may hold `>` (`<"a>b"@example>`): skip quoted runs.
                let start = i + 1;
                let (close, stray) = angle_end(bytes, start);
                if stray {
                    // Not an address: a stray `<` in someone's text.
                    out.push(Token::Word(&text[i..i + 1]), i + 1, false);
                    i += 1;
                    continue;
                }
                i = (close + 1).min(bytes.len());
                out.push(
                    Token::Angle(text[start..close].trim()),
                    i,
                    close >= bytes.len(),
                );
            }
            b'"' => {
                let start = i + 1;
                let close = find_byte(bytes, start, b'"');
                i = (close + 1).min(bytes.len());
                out.push(Token::Quoted(&text[start..close]), i, close >= bytes.len());
            }
            _ => {
                let start = i;
                i = word_end(bytes, i);
                // A `[` glued to a word (`a]b-1.host`, `user@[1.2.3.4]`) stays in the word
                // when the word already started; only a leading `[` opens a literal.
                if i < bytes.len() && bytes[i] == b'[' && i > start && bytes[i - 1] == b'@' {
                    let close = find_byte(bytes, i, b']');
                    // Only a real literal (`user@[1.2.3.4]`): never swallow past a blank.
                    if close < bytes.len() && !bytes[i..close].iter().any(|&b| breaks_group(b)) {
                        i = close + 1;
                    }
                }
                out.push(Token::Word(&text[start..i]), i, false);
                // A word is mostly followed by one space: step over it here rather than
                // through another turn of the dispatch above.
                if bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
            }
        }
    }
    out
}

/// End of the word starting at `i`: the first byte at or after it that [`ENDS_WORD`].
///
/// Eight bytes at a time: a block is let through when none of its bytes can end a word,
/// and the first that may is looked up in the table (words are host names, keywords and
/// ids, several blocks long for the host names, and the byte loop cost more than the
/// rest of the tokenizer).
#[inline]
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(block) = bytes
        .get(i..i + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
    {
        let may_end = may_end_word(u64::from_le_bytes(block));
        if may_end == 0 {
            i += 8;
            continue;
        }
        let k = i + (may_end.trailing_zeros() / 8) as usize;
        if ENDS_WORD[usize::from(bytes[k])] {
            return k;
        }
        i = k + 1;
    }
    while i < bytes.len() && !ENDS_WORD[usize::from(bytes[i])] {
        i += 1;
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// High bit set on each byte of the block (little-endian in `w`) that may end a word: every
/// byte under `-` (space, tab, `"`, `(`, `,` and a few others), `;`, `<` and `[`. A superset
/// of [`ENDS_WORD`], exact per byte: no byte's arithmetic borrows from or carries into the
/// next (each is done with the byte's high bit forced on, or on its low seven bits).
#[inline]
fn may_end_word(w: u64) -> u64 {
    let ascii = !w & HIGH;
    // `b >= k` for an ASCII byte: `(b | 0x80) - k` keeps the high bit.
    let ge = |k: u64| (w | HIGH).wrapping_sub(ONES * k) & HIGH;
    let below_dash = !ge(0x2d);
    let semi_or_lt = ge(0x3b) & !ge(0x3d);
    let t = w ^ (ONES * u64::from(b'['));
    let bracket = !((((t & LOW7) + LOW7) | t) & HIGH);
    (below_dash | semi_or_lt | bracket) & ascii
}

/// Bytes that end a word: separators and the openers of the other token kinds.
const ENDS_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let ends = *b" \t,;(<\"[";
    let mut k = 0;
    while k < ends.len() {
        t[ends[k] as usize] = true;
        k += 1;
    }
    t
};

/// Where the angle address whose content starts at `start` closes: the index of its `>`
/// (or the end of the input), and whether a byte that [`breaks_group`] came first outside
/// quotes (then it is a stray `<`). Quoted runs may hold `>` and blanks.
///
/// Outside quotes the bytes that matter are looked up in one table, so the common address
/// (`<user@example.org>`) costs a table test per byte rather than four comparisons.
fn angle_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut close = start;
    loop {
        while close < bytes.len() && !ANGLE_STOPS[usize::from(bytes[close])] {
            close += 1;
        }
        let Some(&b) = bytes.get(close) else {
            return (close, false);
        };
        match b {
            b'>' => return (close, false),
            b'"' => {
                // A quoted run: only its closing `"` matters.
                match bytes[close + 1..].iter().position(|&c| c == b'"') {
                    Some(k) => close += k + 2,
                    None => return (bytes.len(), false),
                }
            }
            _ => return (close, true),
        }
    }
}

/// The bytes [`angle_end`] stops at outside quotes: `>`, `"` and those that [`breaks_group`].
const ANGLE_STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b == b'>' as usize || b == b'"' as usize || breaks_group(b as u8);
        b += 1;
    }
    t
};

/// Characters an address literal or an angle address (outside quotes) never holds: a `<`
/// or `[` followed by one before its closing bracket is a stray character, not a group
/// that may swallow the receiver's text after it.
const fn breaks_group(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b';')
}

/// Index of the first `needle` at or after `from`, or the end of the input.
fn find_byte(bytes: &[u8], from: usize, needle: u8) -> usize {
    bytes[from.min(bytes.len())..]
        .iter()
        .position(|&c| c == needle)
        .map_or(bytes.len(), |p| from + p)
}

/// The text of `text` from the start of `first` to the end of `last`, both of which must be
/// slices of `text` (as every token is). Falls back to `first` if they are not.
pub(crate) fn span<'a>(text: &'a str, first: &'a str, last: &'a str) -> &'a str {
    let base = text.as_ptr() as usize;
    let start = (first.as_ptr() as usize).wrapping_sub(base);
    let end = (last.as_ptr() as usize)
        .wrapping_sub(base)
        .wrapping_add(last.len());
    text.get(start..end).unwrap_or(first)
}

/// Words of a comment's content, split on spaces and commas.
pub(crate) fn comment_words(content: &str) -> CommentWords<'_> {
    CommentWords { rest: content }
}

/// Iterator of [`comment_words`]. Both separators are ASCII, so the split is done on
/// bytes: the same words as `split([' ', ','])` without its empty pieces, without the
/// per-character pattern matching.
pub(crate) struct CommentWords<'a> {
    rest: &'a str,
}

impl<'a> Iterator for CommentWords<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.rest.as_bytes();
        let start = b.iter().position(|&c| c != b' ' && c != b',')?;
        let len = separator_at(&b[start..]).unwrap_or(b.len() - start);
        // Both ends are at an ASCII separator or an end of the text: char boundaries.
        let word = self.rest.get(start..start + len)?;
        self.rest = self.rest.get(start + len..).unwrap_or("");
        Some(word)
    }
}

/// Index of the first space or comma of `b`, eight bytes at a time: the lowest flagged
/// byte of a block is exact (only bytes above a true match can be flagged falsely), and
/// comment words are host names and ids, often a block or more long.
fn separator_at(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(block) = b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        let w = u64::from_le_bytes(block);
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let m = zero(w ^ (ONES * u64::from(b' '))) | zero(w ^ (ONES * u64::from(b',')));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b' ' || c == b',')
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token<'_>> {
        tokenize(s).tokens
    }

    #[test]
    fn classifies_all_shapes() {
        assert_eq!(
            toks("from a (b [1.2.3.4] (x)) [5.6.7.8]:25 <u@v> \"q\"; d"),
            vec![
                Token::Word("from"),
                Token::Word("a"),
                Token::Comment("b [1.2.3.4] (x)"),
                Token::Bracket("5.6.7.8", Some("25")),
                Token::Angle("u@v"),
                Token::Quoted("q"),
                Token::Semi,
                Token::Word("d"),
            ]
        );
    }

    #[test]
    fn unbalanced_input_runs_to_the_end() {
        assert_eq!(
            toks("a (b (c"),
            vec![Token::Word("a"), Token::Comment("b (c")]
        );
        assert_eq!(toks("[x"), vec![Token::Bracket("x", None)]);
        assert_eq!(
            toks("[x (y [1.2.3.4])"),
            vec![
                Token::Word("["),
                Token::Word("x"),
                Token::Comment("y [1.2.3.4]")
            ]
        );
        assert_eq!(toks("< (a)")[0], Token::Word("<"));
        assert_eq!(toks("<a(b)>"), vec![Token::Angle("a(b)")]);
        assert_eq!(toks("u@[ (x)")[..2], [Token::Word("u@"), Token::Word("[")]);
        assert_eq!(toks("<"), vec![Token::Angle("")]);
    }

    #[test]
    fn unclosed_tokens_are_marked_open() {
        assert!(tokenize("a (b) (c").last_open);
        assert!(!tokenize("a (b) (c)").last_open);
        assert!(!tokenize("a (b (c)) d").last_open);
        assert!(tokenize("\"x").last_open);
        assert!(!tokenize("<\"a>b\"@c>").last_open);
        assert_eq!(
            toks("<\"a>b\"@c> d"),
            vec![Token::Angle("\"a>b\"@c"), Token::Word("d")]
        );
    }

    #[test]
    fn the_last_semicolons_are_remembered() {
        let l = tokenize("a; b ;c; d;e ;");
        let semis: Vec<(usize, usize)> = l.semis_latest_first().collect();
        assert_eq!(semis, vec![(9, 14), (7, 11), (5, 8), (3, 6)]);
        assert_eq!(tokenize("a b").semis_latest_first().count(), 0);
    }

    #[test]
    fn comment_words_split_like_str_split() {
        for c in [
            "",
            " ",
            ",",
            "a",
            " a ",
            "a,b",
            "a, b,,c ",
            "é,ü ñ",
            ",,x,,",
            "using TLSv1.3 with",
        ] {
            let ours: Vec<&str> = comment_words(c).collect();
            let std: Vec<&str> = c.split([' ', ',']).filter(|w| !w.is_empty()).collect();
            assert_eq!(ours, std, "{c:?}");
        }
    }

    /// Comment words split as `str::split` does, over generated texts of blanks, commas,
    /// bytes one bit from them and multi-byte characters, several blocks long.
    #[test]
    fn comment_words_agree_with_str_split() {
        let alphabet = [
            "a", " ", ",", "\u{c}", "-", "\u{1}", "é", "x.y", "\u{a0}", "@",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..50_000 {
            let c: String = (0..next(40))
                .map(|_| {
                    if next(3) == 0 {
                        alphabet[next(alphabet.len())]
                    } else {
                        "b"
                    }
                })
                .collect();
            let ours: Vec<&str> = comment_words(&c).collect();
            let std: Vec<&str> = c.split([' ', ',']).filter(|w| !w.is_empty()).collect();
            assert_eq!(ours, std, "{c:?}");
        }
    }

    /// The block reader ends every word where the byte loop does, over bytes chosen
    /// around the edges of its tests (`,`/`-`, `:`/`;`/`<`/`=`, `[`/`\\`, high bytes
    /// whose low seven bits are one of those).
    #[test]
    fn word_ends_agree_with_the_table() {
        let alphabet = [
            b'a', b'-', b',', b' ', b'\t', b';', b'<', b'=', b':', b'[', b'\\', b'"', b'(', b')',
            b'+', b'.', b'@', 0xdb, 0xac, 0xad, 0xc3, 0xa9, 0xbb, 0xbc, 0x7f, 0,
        ];
        let by_bytes = |b: &[u8], mut i: usize| {
            while i < b.len() && !ENDS_WORD[usize::from(b[i])] {
                i += 1;
            }
            i
        };
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Mostly word bytes, so that runs span several blocks.
                v.push(if seed.is_multiple_of(3) {
                    alphabet[((seed >> 8) % alphabet.len() as u64) as usize]
                } else {
                    b'a' + (seed >> 8) as u8 % 26
                });
            }
            for i in 0..=v.len() {
                assert_eq!(word_end(&v, i), by_bytes(&v, i), "{v:?} {i}");
            }
        }
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut v = [b'x'; 8];
                v[at] = b;
                let want = if ENDS_WORD[usize::from(b)] { at } else { 8 };
                assert_eq!(word_end(&v, 0), want, "{b} at {at}");
                assert!(!ENDS_WORD[usize::from(b)] || may_end_word(u64::from_le_bytes(v)) != 0);
            }
        }
    }

    /// The table scan of angle addresses ends where the byte loop it replaced did, over
    /// generated texts of quotes, blanks, `;`, `>` and letters.
    #[test]
    fn angle_ends_agree_with_the_byte_loop() {
        let by_bytes = |bytes: &[u8], start: usize| {
            let mut close = start;
            let mut quoted = false;
            let mut stray = false;
            while close < bytes.len() && (quoted || bytes[close] != b'>') {
                if bytes[close] == b'"' {
                    quoted = !quoted;
                } else if !quoted && breaks_group(bytes[close]) {
                    stray = true;
                    break;
                }
                close += 1;
            }
            (close, stray)
        };
        let alphabet = [b'a', b'"', b' ', b'\t', b';', b'>', b'<', b'@', 0xc3];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let v: Vec<u8> = (0..len)
                .map(|k| alphabet[((seed >> (k % 20 * 3)) % alphabet.len() as u64) as usize])
                .collect();
            for start in 0..=v.len() {
                assert_eq!(angle_end(&v, start), by_bytes(&v, start), "{v:?} {start}");
            }
        }
    }

    #[test]
    fn at_bracket_stays_in_word() {
        assert_eq!(
            toks("kgbxn@[1.2.3.4]"),
            vec![Token::Word("kgbxn@[1.2.3.4]")]
        );
    }
}
