//! Go's `path/filepath.Match` on Unix, byte for byte.
//!
//! `.helmignore` patterns are Go globs, not gitignore globs: `*` and `?` never cross `/`,
//! classes are `[...]` / `[^...]` with ranges, `\` escapes the next character, and `{a,b}`
//! is literal. The algorithm below follows Go's (a chunk-by-chunk scan with no
//! backtracking across stars), including its error reporting: a malformed pattern is an
//! error whatever the name, because Go checks the rest of the pattern before it answers
//! "no match".
//!
//! Matching works on bytes, as Go does on strings: literal bytes compare byte-wise, while
//! `?` and classes consume one UTF-8 sequence (an invalid byte counts as one U+FFFD).

/// Go's `ErrBadPattern` (`syntax error in pattern`), with our reason for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadPattern(pub(crate) &'static str);

const REPLACEMENT: u32 = 0xFFFD;

/// Decodes one UTF-8 sequence the way Go's `utf8.DecodeRune` does: an invalid or
/// truncated sequence is `(U+FFFD, 1)`; an empty input is `(U+FFFD, 0)`.
pub(crate) fn decode_rune(s: &[u8]) -> (u32, usize) {
    let Some(&b0) = s.first() else {
        return (REPLACEMENT, 0);
    };
    if b0 < 0x80 {
        return (u32::from(b0), 1);
    }
    let want = match b0 {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (REPLACEMENT, 1),
    };
    match s.get(..want).map(std::str::from_utf8) {
        Some(Ok(text)) => match text.chars().next() {
            Some(c) => (u32::from(c), want),
            None => (REPLACEMENT, 1),
        },
        _ => (REPLACEMENT, 1),
    }
}

/// Reports whether `name` matches the shell pattern `pattern` (Go's `filepath.Match`).
///
/// # Errors
/// [`BadPattern`] when the pattern is malformed; as in Go, this is reported even when
/// the name could not match anyway.
pub(crate) fn go_match(pattern: &[u8], name: &[u8]) -> Result<bool, BadPattern> {
    let mut pattern = pattern;
    let mut name = name;
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the name unless it has a slash.
            return Ok(!name.contains(&b'/'));
        }
        // Try the chunk at the current position first.
        match match_chunk(chunk, name)? {
            // On the last chunk the name must be used up, or a star could still do better.
            Some(t) if t.is_empty() || !pattern.is_empty() => {
                name = t;
                continue 'pattern;
            }
            _ => {}
        }
        if star {
            // Let the star eat 1, 2, ... bytes, but never a slash.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    if !pattern.is_empty() || t.is_empty() {
                        name = t;
                        continue 'pattern;
                    }
                }
                i += 1;
            }
        }
        // No match: still report a malformed remainder, as Go does.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the next chunk: an optional run of stars, then everything up to the next
/// star outside a class.
fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut p = pattern;
    let mut star = false;
    while let [b'*', rest @ ..] = p {
        p = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            // A trailing backslash is reported by match_chunk.
            b'\\' if i + 1 < p.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &p[..i], &p[i..])
}

/// Matches `chunk` (literals, `?` and classes only) against the start of `s` and returns
/// what is left of `s`. After a mismatch the rest of the chunk is still parsed, so that a
/// malformed chunk is always an error.
fn match_chunk<'s>(chunk: &[u8], s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (rune, n) = decode_rune(s);
                    r = rune;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0usize;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = class_char(chunk, ranges == 0)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = class_char(&chunk[1..], false)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern("trailing backslash"));
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// One possibly escaped character of a class (Go's `getEsc`). A class character must be
/// followed by something (at least the closing `]`).
fn class_char(chunk: &[u8], first: bool) -> Result<(u32, &[u8]), BadPattern> {
    let mut chunk = match chunk.first() {
        None => return Err(BadPattern("unclosed character class")),
        Some(b'-') => return Err(BadPattern("`-` without a character before it in a class")),
        Some(b']') if first => return Err(BadPattern("empty character class")),
        Some(b']') => return Err(BadPattern("range without an upper bound in a class")),
        Some(_) => chunk,
    };
    if chunk[0] == b'\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(BadPattern("trailing backslash in a character class"));
        }
    }
    let (r, n) = decode_rune(chunk);
    if r == REPLACEMENT && n == 1 {
        return Err(BadPattern("invalid UTF-8 in a character class"));
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return Err(BadPattern("unclosed character class"));
    }
    Ok((r, rest))
}

/// Go's `filepath.Base` on Unix: the last element, trailing slashes ignored; `.` for an
/// empty path and `/` for a path of slashes.
pub(crate) fn base(path: &[u8]) -> &[u8] {
    if path.is_empty() {
        return b".";
    }
    let mut end = path.len();
    while end > 0 && path[end - 1] == b'/' {
        end -= 1;
    }
    if end == 0 {
        return b"/";
    }
    let trimmed = &path[..end];
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> Result<bool, BadPattern> {
        go_match(p.as_bytes(), n.as_bytes())
    }

    // Go's own table (path/filepath/match_test.go), Unix rows.
    #[test]
    fn go_match_table() {
        let ok: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "-", true),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
        ];
        for &(p, n, want) in ok {
            assert_eq!(m(p, n), Ok(want), "Match({p:?}, {n:?})");
        }
        let bad: &[(&str, &str)] = &[
            ("[]a]", "]"),
            ("[-]", "-"),
            ("[x-]", "x"),
            ("[x-]", "-"),
            ("[x-]", "z"),
            ("[-x]", "x"),
            ("[-x]", "-"),
            ("[-x]", "a"),
            ("\\", "a"),
            ("[a-b-c]", "a"),
            ("[", "a"),
            ("[^", "a"),
            ("[^bc", "a"),
            ("a[", "a"),
            ("a[", "ab"),
            ("a[", "x"),
            ("a/b[", "x"),
            ("*x[", "a"),
        ];
        for &(p, n) in bad {
            assert!(
                m(p, n).is_err(),
                "Match({p:?}, {n:?}) must be ErrBadPattern"
            );
        }
    }

    #[test]
    fn go_base() {
        for (p, want) in [
            ("", "."),
            (".", "."),
            ("/.", "."),
            ("/", "/"),
            ("////", "/"),
            ("x/", "x"),
            ("abc", "abc"),
            ("abc/def", "def"),
            ("a/b/.x", ".x"),
            ("a/b/c.x", "c.x"),
        ] {
            assert_eq!(base(p.as_bytes()), want.as_bytes(), "Base({p:?})");
        }
    }

    #[test]
    fn decode_rune_like_go() {
        assert_eq!(decode_rune(b""), (0xFFFD, 0));
        assert_eq!(decode_rune(b"a"), (0x61, 1));
        assert_eq!(decode_rune("☺".as_bytes()), (0x263A, 3));
        assert_eq!(decode_rune(&[0xE2, 0x98]), (0xFFFD, 1));
        assert_eq!(decode_rune(&[0xC0, 0x80]), (0xFFFD, 1));
        assert_eq!(decode_rune(&[0xED, 0xA0, 0x80]), (0xFFFD, 1));
    }

    proptest::proptest! {
        /// Go reports a malformed pattern whatever the name, so Helm's parse-time check
        /// against "abc" is the whole story; and nothing panics.
        #[test]
        fn bad_pattern_does_not_depend_on_name(
            p in "[ab*?\\[\\]^/!é-]{0,10}",
            n in "[ab/é*-]{0,8}",
        ) {
            let with_abc = go_match(p.as_bytes(), b"abc").is_err();
            proptest::prop_assert_eq!(go_match(p.as_bytes(), n.as_bytes()).is_err(), with_abc);
            let _ = go_match(p.as_bytes(), &n.as_bytes()[..n.len() / 2]);
        }
    }
}
