//! Where libyaml's (YAML 1.1) syntax differs from saphyr-parser's (YAML 1.2), for the
//! differences real Chart.yaml files can hit:
//!
//! - libyaml accepts tabs as the only separator after a `:` (`key:<TAB>value`);
//!   saphyr-parser refuses them. The tabs are replaced by spaces and the parse retried.
//! - libyaml accepts the escape `\'` in double-quoted scalars; saphyr-parser refuses it. It
//!   is rewritten as `\x27` and the parse retried.
//! - saphyr-parser accepts the YAML 1.2 escape `\/`; libyaml refuses it
//!   ([`slash_escape_at`] finds it so the caller can fail as Helm does).
//! - libyaml reads only YAML 1.1 documents: `%YAML 1.2` is "found incompatible YAML
//!   document" ([`incompatible_version_line`]).

use saphyr_parser::{ScanError, Span};

/// How many fixes one document may need before we give up with the parser's error.
pub(crate) const MAX_FIXES: usize = 64;

/// Maps the parser's character indices to byte offsets, moving forward through the text.
pub(crate) struct CharCursor {
    chars: usize,
    bytes: usize,
}

impl CharCursor {
    pub(crate) fn new() -> CharCursor {
        CharCursor { chars: 0, bytes: 0 }
    }

    /// The byte offset of character `index` in `text` (past the end: `text.len()`).
    pub(crate) fn byte_offset(&mut self, text: &str, index: usize) -> usize {
        if index < self.chars || self.bytes > text.len() {
            *self = CharCursor::new();
        }
        for c in text[self.bytes..].chars() {
            if self.chars >= index {
                break;
            }
            self.chars += 1;
            self.bytes += c.len_utf8();
        }
        self.bytes
    }
}

/// The source rewritten so that saphyr-parser accepts what libyaml accepts at the place
/// `err` points to, or `None` when `err` is a real syntax error.
pub(crate) fn fix(text: &str, err: &ScanError) -> Option<String> {
    let at = CharCursor::new().byte_offset(text, err.marker().index());
    if err
        .info()
        .contains("':' must be followed by a valid YAML whitespace")
    {
        return fix_tab_after_colon(text, at);
    }
    if err.info().contains("unknown escape character") {
        return fix_quote_escape(text, at);
    }
    None
}

/// `key:<TAB>value`: the tabs between the `:` and `at` become spaces (same length, so every
/// position stays where it was).
fn fix_tab_after_colon(text: &str, at: usize) -> Option<String> {
    let before = &text[..at];
    let tabs = before.len() - before.trim_end_matches('\t').len();
    if tabs == 0 || !before[..at - tabs].ends_with(':') {
        return None;
    }
    let mut fixed = String::with_capacity(text.len());
    fixed.push_str(&text[..at - tabs]);
    fixed.extend(std::iter::repeat_n(' ', tabs));
    fixed.push_str(&text[at..]);
    Some(fixed)
}

/// `"...\'..."`: the first escape in the double-quoted scalar starting at `at` that
/// saphyr-parser does not know is `\'`; it becomes `\x27`.
fn fix_quote_escape(text: &str, at: usize) -> Option<String> {
    let (offset, escaped) = escapes(text, at).find(|(_, c)| !saphyr_knows(*c))?;
    if escaped != '\'' {
        return None;
    }
    let mut fixed = String::with_capacity(text.len() + 2);
    fixed.push_str(&text[..offset]);
    fixed.push_str("\\x27");
    fixed.push_str(&text[offset + 2..]);
    Some(fixed)
}

fn saphyr_knows(c: char) -> bool {
    matches!(
        c,
        '0' | 'a'
            | 'b'
            | 't'
            | '\t'
            | 'n'
            | 'v'
            | 'f'
            | 'r'
            | 'e'
            | ' '
            | '"'
            | '/'
            | '\\'
            | 'N'
            | '_'
            | 'L'
            | 'P'
            | 'x'
            | 'u'
            | 'U'
            | '\n'
            | '\r'
    )
}

/// The escapes (`\` offset, escaped character) of the double-quoted scalar whose opening
/// quote is at byte `at`.
fn escapes(text: &str, at: usize) -> impl Iterator<Item = (usize, char)> + '_ {
    let body = text.get(at..).unwrap_or("");
    let mut chars = body.char_indices().skip(usize::from(body.starts_with('"')));
    std::iter::from_fn(move || loop {
        let (i, c) = chars.next()?;
        match c {
            '"' => return None,
            '\\' => {
                let (_, e) = chars.next()?;
                return Some((at + i, e));
            }
            _ => {}
        }
    })
}

/// Where a double-quoted scalar spanning `span` uses the escape `\/`, which libyaml
/// refuses (`found unknown escape character`).
pub(crate) fn slash_escape_at(text: &str, span: &Span, cursor: &mut CharCursor) -> bool {
    let at = cursor.byte_offset(text, span.start.index());
    escapes(text, at).any(|(_, c)| c == '/')
}

/// The 1-based line of a `%YAML` directive other than `%YAML 1.1` before the first
/// document, which libyaml refuses (`found incompatible YAML document`).
pub(crate) fn incompatible_version_line(text: &str) -> Option<usize> {
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let directive = trimmed.strip_prefix('%')?;
        let mut words = directive.split([' ', '\t']).filter(|w| !w.is_empty());
        if words.next() == Some("YAML") && words.next().is_some_and(|v| v != "1.1") {
            return Some(n + 1);
        }
    }
    None
}
