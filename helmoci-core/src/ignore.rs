//! `.helmignore` rules, with Helm's semantics (which are not git's).
//!
//! Helm reads only the chart root's `.helmignore` and asks it about every file and
//! directory of the chart, by its path relative to the chart root with `/` separators
//! (`templates/cm.yaml`, `charts/sub/values.yaml`). An ignored directory is skipped whole.
//!
//! The rules, exactly as Helm's `pkg/ignore` applies them:
//!
//! - Lines are trimmed; blank lines and lines starting with `#` are skipped. A UTF-8 BOM
//!   is removed from the first line only. There are no inline comments.
//! - `**` anywhere is an error, and so is a pattern Go's `filepath.Match` rejects (such as
//!   an unclosed `[`); both are reported when the file is parsed.
//! - A leading `!` negates, a trailing `/` restricts the rule to directories, and a
//!   leading `/` is dropped. A pattern without `/` matches the entry's **basename** at
//!   any depth; a pattern with a `/` matches the **whole relative path**.
//! - Globs are Go's: `*` and `?` never cross `/`, `[...]`/`[^...]` classes with ranges,
//!   `\` escapes, `{a,b}` is literal.
//! - Rules run in file order and **the first decision wins**. A positive rule that
//!   matches ignores the entry. A negative rule `!p` ignores the entry when `p` does
//!   *not* match, and lets evaluation continue when it does. So `!keep.txt` ignores every
//!   other file, unlike gitignore.
//! - Helm appends the rule `templates/.?*` after the user's rules: dot files and dot
//!   directories directly under `templates/` are never packaged.
//! - `""`, `.` and `./` are never ignored.
//!
//! ```
//! use helmoci_core::ignore::IgnoreRules;
//!
//! let rules = IgnoreRules::parse("# build output\n*.bak\ntmp/\n/secret.txt\n")?;
//! assert!(rules.ignores("templates/cm.yaml.bak", false)); // basename, any depth
//! assert!(rules.ignores("tmp", true) && !rules.ignores("tmp", false)); // dirs only
//! assert!(rules.ignores("secret.txt", false) && !rules.ignores("sub/secret.txt", false));
//! assert!(rules.ignores("templates/.gitkeep", false)); // Helm's default rule
//! assert!(!rules.ignores(".git/config", false)); // .git is packaged unless listed
//! # Ok::<(), helmoci_core::Error>(())
//! ```
//!
//! Negation is where Helm differs most from gitignore:
//!
//! ```
//! use helmoci_core::ignore::IgnoreRules;
//!
//! let rules = IgnoreRules::parse("!keep.txt")?;
//! assert!(!rules.ignores("keep.txt", false));
//! assert!(rules.ignores("values.yaml", false)); // everything else is ignored
//! assert!(rules.ignores("templates", true)); // directories too
//! # Ok::<(), helmoci_core::Error>(())
//! ```

mod glob;

use std::fmt;

use crate::error::{Error, Result};

/// The rule Helm appends after the user's rules (`AddDefaults`).
const DEFAULT_RULE: &[u8] = b"templates/.?*";

/// The longest line Go's `bufio.Scanner` reads by default; Helm fails on longer lines.
const MAX_LINE: usize = 64 * 1024;

/// The rules of a chart's `.helmignore`, like Helm's `ignore.Rules`.
///
/// Build them with [`IgnoreRules::parse`] (a `.helmignore` file, plus Helm's default
/// rule), [`IgnoreRules::default`] (a chart without `.helmignore`: only the default rule)
/// or [`IgnoreRules::empty`] (no rules at all), then ask [`IgnoreRules::ignores`].
#[derive(Clone, PartialEq, Eq)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

/// One parsed line.
#[derive(Clone, PartialEq, Eq)]
struct Pattern {
    /// The trimmed line as written (with `!` and `/`).
    raw: Vec<u8>,
    /// The glob, without `!`, trailing `/` or leading `/`.
    glob: Vec<u8>,
    negate: bool,
    dir_only: bool,
    /// Match the basename only (the pattern has no `/`).
    basename: bool,
}

impl Pattern {
    fn matches(&self, path: &[u8]) -> bool {
        let subject = if self.basename {
            glob::base(path)
        } else {
            path
        };
        // Helm logs and treats as "no match" a glob that became invalid after `!`, `/`
        // were stripped (e.g. `a\/` becomes `a\`).
        glob::go_match(&self.glob, subject).unwrap_or(false)
    }
}

impl IgnoreRules {
    /// No rules at all: nothing is ignored, not even `templates/.x`.
    ///
    /// This is Helm's `ignore.Empty()`. A chart directory without `.helmignore` is
    /// loaded with [`IgnoreRules::default`] instead.
    ///
    /// ```
    /// use helmoci_core::ignore::IgnoreRules;
    /// assert!(!IgnoreRules::empty().ignores("templates/.gitkeep", false));
    /// ```
    pub fn empty() -> IgnoreRules {
        IgnoreRules {
            patterns: Vec::new(),
        }
    }

    /// Parses the text of a `.helmignore` file and appends Helm's default rule
    /// `templates/.?*`, giving the rules Helm's directory loader uses.
    ///
    /// # Errors
    /// - [`Error::IgnoreDoubleStar`] for a line containing `**`;
    /// - [`Error::IgnorePattern`] for a pattern Go's `filepath.Match` rejects, such as
    ///   `[` or a trailing `\`;
    /// - [`Error::IgnoreLineTooLong`] for a line of 64 KiB or more (Go's line scanner
    ///   gives up there).
    ///
    /// The first bad line (in file order) is reported, with its 1-based number.
    ///
    /// ```
    /// use helmoci_core::{ignore::IgnoreRules, Error};
    /// let err = IgnoreRules::parse("ok.txt\nlogs/**\n").unwrap_err();
    /// assert!(matches!(err, Error::IgnoreDoubleStar { line: 2, .. }));
    /// let err = IgnoreRules::parse("a[b").unwrap_err();
    /// assert!(matches!(err, Error::IgnorePattern { line: 1, .. }));
    /// ```
    pub fn parse(text: &str) -> Result<IgnoreRules> {
        IgnoreRules::parse_bytes(text.as_bytes())
    }

    /// Like [`IgnoreRules::parse`], for a file that need not be UTF-8 (Helm treats the
    /// file as bytes, and so does this).
    ///
    /// # Errors
    /// As [`IgnoreRules::parse`].
    pub fn parse_bytes(text: &[u8]) -> Result<IgnoreRules> {
        let mut rules = IgnoreRules::empty();
        for (index, line) in split_lines(text).enumerate() {
            let number = index + 1;
            if line.len() >= MAX_LINE {
                return Err(Error::IgnoreLineTooLong {
                    line: number,
                    length: line.len(),
                });
            }
            let line = if index == 0 {
                line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
            } else {
                line
            };
            rules.add_rule(line, number)?;
        }
        rules.add_default_rule();
        Ok(rules)
    }

    /// Reports whether Helm ignores the entry at `path`, a chart-root-relative path with
    /// `/` separators (`templates/cm.yaml`), which is a directory when `is_dir`.
    ///
    /// Pass paths as Helm's directory walk produces them: no leading `./`, no trailing
    /// `/`. `""`, `.` and `./` are never ignored. For a directory that is ignored, Helm
    /// skips everything below it without asking again.
    ///
    /// ```
    /// use helmoci_core::ignore::IgnoreRules;
    /// let rules = IgnoreRules::parse("docs/*.txt\n")?;
    /// assert!(rules.ignores("docs/a.txt", false));
    /// assert!(!rules.ignores("docs/sub/a.txt", false)); // `*` never crosses `/`
    /// # Ok::<(), helmoci_core::Error>(())
    /// ```
    pub fn ignores(&self, path: &str, is_dir: bool) -> bool {
        self.ignores_bytes(path.as_bytes(), is_dir)
    }

    /// Like [`IgnoreRules::ignores`], for a path that need not be UTF-8.
    pub fn ignores_bytes(&self, path: &[u8], is_dir: bool) -> bool {
        if path.is_empty() || path == b"." || path == b"./" {
            return false;
        }
        for p in &self.patterns {
            if p.negate {
                // A negative rule decides "ignore" when it does not match, and passes
                // the entry on to the next rule when it does.
                if (p.dir_only && !is_dir) || !p.matches(path) {
                    return true;
                }
                continue;
            }
            if p.dir_only && !is_dir {
                continue;
            }
            if p.matches(path) {
                return true;
            }
        }
        false
    }

    /// The rules as written (trimmed), in evaluation order, Helm's default rule last.
    ///
    /// ```
    /// use helmoci_core::ignore::IgnoreRules;
    /// let rules = IgnoreRules::parse("# c\n  *.bak  \n")?;
    /// assert_eq!(rules.patterns().collect::<Vec<_>>(), ["*.bak", "templates/.?*"]);
    /// # Ok::<(), helmoci_core::Error>(())
    /// ```
    pub fn patterns(&self) -> impl Iterator<Item = std::borrow::Cow<'_, str>> + '_ {
        self.patterns
            .iter()
            .map(|p| String::from_utf8_lossy(&p.raw))
    }

    fn add_default_rule(&mut self) {
        // The default rule is valid; `add_rule` cannot fail on it.
        let _ = self.add_rule(DEFAULT_RULE, 0);
    }

    /// Helm's `parseRule`.
    fn add_rule(&mut self, line: &[u8], number: usize) -> Result<()> {
        let rule = trim_space(line);
        if rule.is_empty() || rule[0] == b'#' {
            return Ok(());
        }
        let shown = || String::from_utf8_lossy(rule).into_owned();
        if rule.windows(2).any(|w| w == b"**") {
            return Err(Error::IgnoreDoubleStar {
                line: number,
                pattern: shown(),
            });
        }
        // Helm validates the whole rule, `!` and `/` included, against a non-empty name.
        if let Err(glob::BadPattern(reason)) = glob::go_match(rule, b"abc") {
            return Err(Error::IgnorePattern {
                line: number,
                pattern: shown(),
                reason,
            });
        }
        let mut rest = rule;
        let negate = rest.first() == Some(&b'!');
        if negate {
            rest = &rest[1..];
        }
        let dir_only = rest.last() == Some(&b'/');
        if dir_only {
            rest = &rest[..rest.len() - 1];
        }
        let (glob, basename) = match rest.strip_prefix(b"/") {
            Some(after) => (after, false),
            None => (rest, !rest.contains(&b'/')),
        };
        self.patterns.push(Pattern {
            raw: rule.to_vec(),
            glob: glob.to_vec(),
            negate,
            dir_only,
            basename,
        });
        Ok(())
    }
}

impl Default for IgnoreRules {
    /// The rules of a chart without `.helmignore`: only Helm's default rule
    /// `templates/.?*`.
    ///
    /// ```
    /// use helmoci_core::ignore::IgnoreRules;
    /// let rules = IgnoreRules::default();
    /// assert!(rules.ignores("templates/.gitkeep", false));
    /// assert!(!rules.ignores("templates/sub/.gitkeep", false));
    /// ```
    fn default() -> IgnoreRules {
        let mut rules = IgnoreRules::empty();
        rules.add_default_rule();
        rules
    }
}

impl fmt::Debug for IgnoreRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.patterns()).finish()
    }
}

/// Lines as Go's `bufio.ScanLines` yields them: split at `\n`, no empty token after a
/// final newline. (A `\r` before the `\n` is left in place; trimming removes it.)
fn split_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let mut lines = body.split(|&b| b == b'\n');
    if text.is_empty() {
        // No token at all for an empty file.
        let _ = lines.next();
    }
    lines
}

/// Go's `bytes.TrimSpace`: strips Unicode white space (as `unicode.IsSpace`) from both
/// ends; an invalid UTF-8 sequence stops the trimming.
fn trim_space(s: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < s.len() {
        let (r, n) = glob::decode_rune(&s[start..]);
        if !is_space(r, n) {
            break;
        }
        start += n;
    }
    let mut end = s.len();
    while end > start {
        // Find the last complete sequence, as Go's DecodeLastRune does.
        let mut found = None;
        for len in 1..=4.min(end - start) {
            let (r, n) = glob::decode_rune(&s[end - len..end]);
            if n == len && !(r == 0xFFFD && n == 1 && s[end - 1] >= 0x80) {
                found = Some((r, n));
                break;
            }
        }
        match found {
            Some((r, n)) if is_space(r, n) => end -= n,
            _ => break,
        }
    }
    &s[start..end]
}

fn is_space(r: u32, n: usize) -> bool {
    if n == 0 || (r == 0xFFFD && n == 1) {
        return false;
    }
    char::from_u32(r).is_some_and(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_space_like_go() {
        assert_eq!(trim_space(b"  a b \t\r"), b"a b");
        assert_eq!(trim_space("\u{a0}x\u{3000}".as_bytes()), b"x");
        assert_eq!(trim_space("\u{feff}x".as_bytes()), "\u{feff}x".as_bytes());
        assert_eq!(trim_space(b"\xff \x0b"), b"\xff");
        assert_eq!(trim_space(b" \xe2\x80"), b"\xe2\x80");
        assert_eq!(trim_space(b"\x0b\x0c"), b"");
    }

    #[test]
    fn split_lines_like_go_scanner() {
        let lines = |t: &str| {
            split_lines(t.as_bytes())
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        };
        assert!(lines("").is_empty());
        assert_eq!(lines("\n"), vec![b"".to_vec()]);
        assert_eq!(lines("a\nb"), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(
            lines("a\n\nb\n"),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn long_lines_fail_like_go() {
        let ok = "x".repeat(MAX_LINE - 1);
        assert!(IgnoreRules::parse(&ok).is_ok());
        let long = format!("a\n{}\n", "x".repeat(MAX_LINE));
        assert!(matches!(
            IgnoreRules::parse(&long),
            Err(Error::IgnoreLineTooLong { line: 2, .. })
        ));
    }
}
