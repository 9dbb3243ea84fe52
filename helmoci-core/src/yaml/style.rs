//! How yaml.v2 picks a scalar's style: the style its encoder asks for (`stringv` in
//! encode.go) and what the emitter's analysis of the text allows (emitterc.go).

use std::borrow::Cow;

use super::resolve::{is_base60_float, resolve_plain, PlainKind};

/// The style yaml.v2 asks for (before the emitter's analysis may override it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What the emitter's `yaml_emitter_analyze_scalar` found out about a scalar.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Analysis {
    pub(crate) multiline: bool,
    pub(crate) flow_plain_allowed: bool,
    pub(crate) block_plain_allowed: bool,
    pub(crate) single_quoted_allowed: bool,
    pub(crate) block_allowed: bool,
}

/// What a string becomes when Go's JSON encoding of it is read back by yaml.v2.
///
/// JSON escapes every YAML line break but NEL (U+0085), so a raw NEL reaches yaml.v2 inside
/// a double-quoted scalar, where it is a line break and gets folded: spaces around it are
/// dropped, a single break becomes a space, and of several breaks in a row the first is
/// dropped and the rest become `\n`.
pub(crate) fn fold_json_breaks(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{85}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let breaks = run.chars().filter(|c| *c == '\u{85}').count();
        match breaks {
            0 => out.push_str(run),
            1 => out.push(' '),
            n => (1..n).for_each(|_| out.push('\n')),
        }
        run.clear();
    };
    for c in s.chars() {
        if c == ' ' || c == '\u{85}' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    Cow::Owned(out)
}

/// The scalar text and requested style yaml.v2's encoder gives a string (`stringv`).
pub(crate) fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        return Style::Literal;
    }
    let (kind, _) = resolve_plain(s);
    if kind == PlainKind::Str && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// libyaml's `is_break`: CR, LF, NEL, LS, PS.
pub(crate) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// U+2028 LINE SEPARATOR or U+2029 PARAGRAPH SEPARATOR: line breaks for libyaml,
/// ordinary characters for YAML 1.2.
pub(crate) fn is_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (on UTF-8 bytes, restated for characters): LF, printable
/// ASCII, U+00A0..U+D7FF, U+E000..U+FFFD except U+FEFF. Characters above U+FFFF are
/// *not* printable for libyaml, so they are escaped.
pub(crate) fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

/// `yaml_emitter_analyze_scalar`, with `unicode` on.
pub(crate) fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let (mut block_indicators, mut flow_indicators) = (false, false);
    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let (mut line_breaks, mut special_characters) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|n| matches!(n, ' ' | '\t'));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                '?' | ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_indicators = true,
                ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        // libyaml's `is_blankz`: blank, break or NUL.
        preceded_by_whitespace = matches!(c, ' ' | '\t' | '\0') || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    // Where we differ from yaml.v2: it writes a raw U+2028/U+2029 into a literal block,
    // which libyaml reads back but a YAML 1.2 reader does not (the block can swallow the
    // next key) and our reader refuses; such a string is double-quoted, with `\L`/`\P`
    // escapes, which every reader (Helm's too) reads as the same string.
    if chars.iter().any(|c| is_separator(*c)) {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}
