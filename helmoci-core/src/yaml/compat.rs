//! Where libyaml's (YAML 1.1) syntax differs from saphyr-parser's (YAML 1.2), for the
//! differences real Chart.yaml files can hit:
//!
//! - libyaml accepts tabs as the only separator after a `:` (`key:<TAB>value`);
//!   saphyr-parser refuses them. The tabs are replaced by spaces and the parse retried.
//! - libyaml accepts the escape `\'` in double-quoted scalars; saphyr-parser refuses it. It
//!   is rewritten as `\x27` and the parse retried. So is a backslash before U+2028 or
//!   U+2029 (an escaped line break for libyaml), rewritten as a backslash before `\n`.
//! - saphyr-parser accepts the YAML 1.2 escape `\/`; libyaml refuses it
//!   ([`slash_escape_at`] finds it so the caller can fail as Helm does).
//! - libyaml reads only YAML 1.1 documents: `%YAML 1.2` is "found incompatible YAML
//!   document" ([`incompatible_version_line`]).
//! - libyaml reads U+2028 and U+2029 as line breaks; YAML 1.2 reads them as characters.
//!   In a quoted value, libyaml's reading is computed here ([`libyaml_quoted`]); anywhere
//!   else (a comment, a key, a plain or block scalar) the document is refused
//!   ([`Separators`]) rather than read differently from Helm.

use saphyr_parser::{ScanError, Span};

use super::style::{is_break, is_separator};

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
    let replacement = match escaped {
        '\'' => "\\x27".to_owned(),
        // A backslash before a line break escapes the break, for libyaml whichever break
        // it is: the value goes on, without it, after the next line's leading blanks. The
        // new line is indented past the backslash, which YAML 1.2 wants and the escape
        // drops.
        '\u{2028}' | '\u{2029}' => {
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..offset].chars().count();
            format!("\\\n{}", " ".repeat(column + 1))
        }
        _ => return None,
    };
    let mut fixed = String::with_capacity(text.len() + replacement.len());
    fixed.push_str(&text[..offset]);
    fixed.push_str(&replacement);
    fixed.push_str(&text[offset + 1 + escaped.len_utf8()..]);
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

/// The U+2028 (LINE SEPARATOR) and U+2029 (PARAGRAPH SEPARATOR) characters of a document,
/// and the quoted values (read as libyaml reads them) that hold some.
///
/// Anywhere else a separator starts a new line for libyaml only: `# note<LS>key: v` hides
/// from a YAML 1.2 reader a key that Helm sees, and `key: a<LS>b` is an error for Helm.
pub(crate) struct Separators {
    /// Byte offsets of the separators, ascending.
    at: Vec<usize>,
    /// Byte ranges of the quoted values read the libyaml way, ascending.
    quoted: Vec<(usize, usize)>,
}

impl Separators {
    /// `None` for a document without separators: nothing to check.
    pub(crate) fn find(text: &str) -> Option<Separators> {
        let at: Vec<usize> = text.match_indices(is_separator).map(|(i, _)| i).collect();
        (!at.is_empty()).then_some(Separators {
            at,
            quoted: Vec::new(),
        })
    }

    /// libyaml's value of the quoted value spanning `span`, when separators make it differ
    /// from YAML 1.2's (`None`: no separator in it, or one libyaml would refuse).
    pub(crate) fn quoted_value(
        &mut self,
        text: &str,
        span: &Span,
        cursor: &mut CharCursor,
    ) -> Option<String> {
        let start = cursor.byte_offset(text, span.start.index());
        let end = cursor.byte_offset(text, span.end.index());
        let raw = text.get(start..end)?;
        if !raw.contains(is_separator) {
            return None;
        }
        let value = libyaml_quoted(raw)?;
        self.quoted.push((start, end));
        Some(value)
    }

    /// The byte offset of the first separator before `end` (where reading stopped) that is
    /// not inside a quoted value read the libyaml way.
    pub(crate) fn first_outside(&self, end: usize) -> Option<usize> {
        self.at
            .iter()
            .copied()
            .take_while(|&at| at < end)
            .find(|&at| {
                let i = self.quoted.partition_point(|&(start, _)| start < at);
                !(i > 0 && at < self.quoted[i - 1].1)
            })
    }
}

/// The value libyaml (and so Helm) reads from a quoted scalar, `raw` being its source text
/// from the opening to the closing quote: line breaks (LF, CR, CRLF, NEL, and U+2028 and
/// U+2029, which stay themselves) fold with the blanks around them, and escapes decode.
/// `None` where libyaml fails: a bad escape, a document marker at the start of a line, or
/// text that does not end with the closing quote.
pub(crate) fn libyaml_quoted(raw: &str) -> Option<String> {
    let c: Vec<char> = raw.chars().collect();
    let quote = *c.first()?;
    let single = match quote {
        '\'' => true,
        '"' => false,
        _ => return None,
    };
    let is_blank = |ch: char| ch == ' ' || ch == '\t';
    let mut value = String::new();
    let mut i = 1;
    let mut line_start = false;
    loop {
        if line_start {
            let rest: String = c[i..c.len().min(i + 4)].iter().collect();
            let marker = rest.starts_with("---") || rest.starts_with("...");
            if marker
                && rest[3..]
                    .chars()
                    .next()
                    .is_none_or(|ch| is_blank(ch) || is_break(ch))
            {
                return None;
            }
        }
        let mut leading_blanks = false;
        while let Some(&ch) = c.get(i) {
            if is_blank(ch) || is_break(ch) {
                break;
            }
            line_start = false;
            if single && ch == '\'' && c.get(i + 1) == Some(&'\'') {
                value.push('\'');
                i += 2;
            } else if ch == quote {
                break;
            } else if !single && ch == '\\' && c.get(i + 1).is_some_and(|&n| is_break(n)) {
                i += 1 + break_len(&c, i + 1);
                leading_blanks = true;
                line_start = true;
                break;
            } else if !single && ch == '\\' {
                let (decoded, len) = unescape(&c[i + 1..])?;
                value.push(decoded);
                i += 1 + len;
            } else {
                value.push(ch);
                i += 1;
            }
        }
        match c.get(i) {
            None => return None,
            Some(&ch) if ch == quote && !(single && c.get(i + 1) == Some(&'\'')) => break,
            Some(_) => {}
        }
        let mut whitespace = String::new();
        let mut leading_break = String::new();
        let mut trailing_breaks = String::new();
        while let Some(&ch) = c.get(i) {
            if is_blank(ch) {
                if !leading_blanks {
                    whitespace.push(ch);
                }
                line_start = false;
                i += 1;
            } else if is_break(ch) {
                let read = if is_separator(ch) { ch } else { '\n' };
                if leading_blanks {
                    trailing_breaks.push(read);
                } else {
                    whitespace.clear();
                    leading_break.push(read);
                    leading_blanks = true;
                }
                i += break_len(&c, i);
                line_start = true;
            } else {
                break;
            }
        }
        if !leading_blanks {
            value.push_str(&whitespace);
        } else if leading_break.starts_with('\n') {
            if trailing_breaks.is_empty() {
                value.push(' ');
            } else {
                value.push_str(&trailing_breaks);
            }
        } else {
            value.push_str(&leading_break);
            value.push_str(&trailing_breaks);
        }
    }
    (i + 1 == c.len()).then_some(value)
}

/// Characters in the line break at `c[i]` (2 for CR LF).
fn break_len(c: &[char], i: usize) -> usize {
    if c[i] == '\r' && c.get(i + 1) == Some(&'\n') {
        2
    } else {
        1
    }
}

/// libyaml's double-quoted escapes (YAML 1.1: no `\/`): the character and how many
/// characters after the backslash it took.
fn unescape(c: &[char]) -> Option<(char, usize)> {
    let simple = match *c.first()? {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '\'' => '\'',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' | 'u' | 'U' => {
            let digits = match c[0] {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex: String = c.get(1..=digits)?.iter().collect();
            let code = u32::from_str_radix(&hex, 16).ok()?;
            return Some((char::from_u32(code)?, 1 + digits));
        }
        _ => return None,
    };
    Some((simple, 1))
}

#[cfg(test)]
mod tests {
    use super::libyaml_quoted;

    #[test]
    fn quoted_values_fold_as_libyaml_folds_them() {
        let cases = [
            ("\"a\u{2028}b\"", "a\u{2028}b"),
            ("\"a \u{2028}  b\"", "a\u{2028}b"),
            ("'a\u{2029}\n  b'", "a\u{2029}\nb"),
            ("\"a\n\u{2028}b\"", "a\u{2028}b"),
            ("\"a\n\n b\"", "a\nb"),
            ("\"a\n b\"", "a b"),
            ("\"a\\\u{2028}  b\"", "ab"),
            ("'it''s'", "it's"),
            ("\"\\x41\\u00e9\\U0001F600\\L\"", "A\u{e9}\u{1F600}\u{2028}"),
        ];
        for (raw, want) in cases {
            assert_eq!(libyaml_quoted(raw).as_deref(), Some(want), "{raw:?}");
        }
    }

    #[test]
    fn what_libyaml_refuses_is_none() {
        for raw in [
            "\"a\\/b\"",           // no \/ in YAML 1.1
            "\"a\u{2028}--- b\"",  // a document marker at the start of a line
            "\"a\u{2028}... b\"",  // likewise
            "\"a\u{2028}b",        // unterminated
            "\"a\u{2028}b\" tail", // not one scalar
            "\"\\xZZ\u{2028}\"",   // bad hex
            "\"\\uD800\u{2028}\"", // a surrogate
            "plain\u{2028}",       // not quoted
        ] {
            assert_eq!(libyaml_quoted(raw), None, "{raw:?}");
        }
    }
}
