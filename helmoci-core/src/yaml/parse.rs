//! Builds a [`Node`] tree from saphyr-parser's events the way yaml.v2 decodes a document:
//! first document only, aliases expanded (with yaml.v2's excessive-aliasing rule), merge
//! keys applied in document order, duplicate keys resolved to the last one.

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, ScanError, Span};

use super::compat;
use super::resolve::CORE_TAG_PREFIX;
use super::{key_identity, Node, NodeValue, ScalarStyle};
use crate::error::{Error, Result};

/// Nesting deeper than this is refused. yaml.v2 allows 10000; charts never come close, and
/// a bound keeps every recursive walk of the tree well inside a thread's stack.
pub(crate) const MAX_DEPTH: usize = 1000;

/// A node while the document is being read: children are shared, so an anchor costs
/// nothing until the tree is materialized.
struct INode {
    kind: IKind,
    line: usize,
    column: usize,
    /// Nodes in this subtree, aliases counted at their full size.
    size: u64,
    /// Levels in this subtree (a scalar is 1).
    height: usize,
}

enum IKind {
    Scalar {
        text: String,
        style: ScalarStyle,
        tag: Option<String>,
    },
    Seq(Vec<Rc<INode>>),
    Map(Vec<(Rc<INode>, Rc<INode>)>),
}

/// A mapping entry while reading: key, value, and whether the value was an alias.
type Entry = (Rc<INode>, Rc<INode>, bool);

enum FrameKind {
    Seq(Vec<Rc<INode>>),
    Map(Vec<Entry>, Option<Rc<INode>>),
}

struct Frame {
    kind: FrameKind,
    anchor: usize,
    line: usize,
    column: usize,
}

struct Builder<'a> {
    file: &'a str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Rc<INode>>,
    open_anchors: Vec<usize>,
    decode_count: u64,
    alias_count: u64,
    root: Option<Rc<INode>>,
}

/// See [`super::parse`].
pub(crate) fn parse(input: &[u8], file: &str) -> Result<Option<Node>> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = position(&input[..e.valid_up_to()]);
            return Err(error(
                file,
                line,
                column,
                "invalid UTF-8 (Helm reads Chart.yaml and index.yaml as UTF-8)",
            ));
        }
    };
    check_characters(text, file)?;
    // libyaml reads NEL (U+0085) as a line break everywhere, like LF; YAML 1.2 (and so
    // saphyr-parser) does not.
    let nel_free;
    let text = if text.contains('\u{85}') {
        nel_free = text.replace('\u{85}', "\n");
        nel_free.as_str()
    } else {
        text
    };
    if let Some(line) = compat::incompatible_version_line(text) {
        return Err(error(
            file,
            line,
            1,
            "found incompatible YAML document (only %YAML 1.1 is read)",
        ));
    }
    let mut source = std::borrow::Cow::Borrowed(text);
    let mut fixes = 0;
    let root = loop {
        match read(&source, file) {
            Ok(root) => break root,
            Err(Failure::Yaml(e)) => return Err(e),
            Err(Failure::Scan(e)) => match compat::fix(&source, &e) {
                Some(fixed) if fixes < compat::MAX_FIXES => {
                    fixes += 1;
                    source = std::borrow::Cow::Owned(fixed);
                }
                _ => {
                    return Err(error(
                        file,
                        e.marker().line(),
                        e.marker().col() + 1,
                        e.info(),
                    ))
                }
            },
        }
    };
    let Some(root) = root else { return Ok(None) };
    if let IKind::Scalar {
        text,
        style: ScalarStyle::Plain,
        tag: None,
    } = &root.kind
    {
        if text.is_empty() {
            return Ok(None);
        }
    }
    Ok(Some(materialize(&root)))
}

/// Why reading failed: a syntax error saphyr-parser reported (which [`compat::fix`] may
/// repair), or our own error.
enum Failure {
    Scan(ScanError),
    Yaml(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Yaml(e)
    }
}

/// Reads the first document of `text` into a shared tree.
fn read(text: &str, file: &str) -> Result<Option<Rc<INode>>, Failure> {
    let mut b = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        open_anchors: Vec::new(),
        decode_count: 0,
        alias_count: 0,
        root: None,
    };
    let mut cursor = compat::CharCursor::new();
    let mut separators = compat::Separators::find(text);
    // Character index where reading stopped (the end of the first document).
    let mut end = 0;
    let mut parser = Parser::new_from_str(text);
    while b.root.is_none() {
        let Some(next) = parser.next_event() else {
            break;
        };
        let (event, span) = next.map_err(Failure::Scan)?;
        end = span.end.index();
        match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Scalar(value, style, anchor, tag) => {
                let (line, column) = at(&span);
                if style == SaphyrStyle::DoubleQuoted
                    && value.contains('/')
                    && compat::slash_escape_at(text, &span, &mut cursor)
                {
                    let message =
                        "while parsing a quoted scalar, found unknown escape character \\/ \
                                   (YAML 1.1 has no such escape: write / alone)";
                    return Err(error(file, line, column, message).into());
                }
                // A key holding a separator stays unread here: libyaml refuses it (a
                // simple key cannot span lines).
                let quoted = matches!(style, SaphyrStyle::DoubleQuoted | SaphyrStyle::SingleQuoted);
                let libyaml_value = match &mut separators {
                    Some(separators) if quoted && !b.expects_key() => {
                        separators.quoted_value(text, &span, &mut cursor)
                    }
                    _ => None,
                };
                let node = INode {
                    kind: IKind::Scalar {
                        text: libyaml_value.unwrap_or_else(|| value.into_owned()),
                        style: convert_style(style),
                        tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    },
                    line,
                    column,
                    size: 1,
                    height: 1,
                };
                b.complete(Rc::new(node), anchor);
            }
            Event::SequenceStart(anchor, _) => b.open(FrameKind::Seq(Vec::new()), anchor, &span)?,
            Event::MappingStart(anchor, _) => {
                b.open(FrameKind::Map(Vec::new(), None), anchor, &span)?
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(&span)?,
            Event::Alias(id) => b.alias(id, &span)?,
        }
    }
    if let Some(separators) = &separators {
        let end = compat::CharCursor::new().byte_offset(text, end);
        if let Some(at) = separators.first_outside(end) {
            let (line, column) = position(&text.as_bytes()[..at]);
            let name = if text[at..].starts_with('\u{2028}') {
                "U+2028 (line separator)"
            } else {
                "U+2029 (paragraph separator)"
            };
            let message = format!(
                "{name} outside a quoted value: Helm's YAML 1.1 parser reads it as a line \
                 break and YAML 1.2 as a character, so the two would read this file \
                 differently (write a line break instead, or put the text in a quoted value)"
            );
            return Err(error(file, line, column, &message).into());
        }
    }
    Ok(b.root)
}

impl Builder<'_> {
    /// Whether the next node completes a mapping key (rather than a value or an item).
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: FrameKind::Map(_, None),
                ..
            })
        )
    }

    fn open(&mut self, kind: FrameKind, anchor: usize, span: &Span) -> Result<()> {
        let (line, column) = at(span);
        if self.stack.len() + 1 > MAX_DEPTH {
            return Err(error(
                self.file,
                line,
                column,
                &format!("exceeded max depth of {MAX_DEPTH}"),
            ));
        }
        if anchor > 0 {
            self.open_anchors.push(anchor);
        }
        self.stack.push(Frame {
            kind,
            anchor,
            line,
            column,
        });
        Ok(())
    }

    fn close(&mut self, span: &Span) -> Result<()> {
        let Some(frame) = self.stack.pop() else {
            let (line, column) = at(span);
            return Err(error(self.file, line, column, "unbalanced collection end"));
        };
        if frame.anchor > 0 {
            self.open_anchors.retain(|a| *a != frame.anchor);
        }
        let (kind, size, height) = match frame.kind {
            FrameKind::Seq(items) => {
                let (size, height) = measure(items.iter());
                (IKind::Seq(items), size, height)
            }
            FrameKind::Map(entries, _) => {
                let entries = merge_and_dedupe(entries, self.file)?;
                let (size, height) = measure(entries.iter().flat_map(|(k, v)| [k, v]));
                (IKind::Map(entries), size, height)
            }
        };
        let node = INode {
            kind,
            line: frame.line,
            column: frame.column,
            size,
            height,
        };
        self.complete(Rc::new(node), frame.anchor);
        Ok(())
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<()> {
        let (line, column) = at(span);
        if self.open_anchors.contains(&id) {
            return Err(error(
                self.file,
                line,
                column,
                "anchor value contains itself",
            ));
        }
        let Some(target) = self.anchors.get(&id).cloned() else {
            return Err(error(self.file, line, column, "unknown anchor referenced"));
        };
        if self.stack.len() + target.height > MAX_DEPTH {
            return Err(error(
                self.file,
                line,
                column,
                &format!("exceeded max depth of {MAX_DEPTH}"),
            ));
        }
        self.alias_count = self.alias_count.saturating_add(target.size);
        self.decode_count = self.decode_count.saturating_add(target.size);
        if excessive_aliasing(self.alias_count, self.decode_count) {
            return Err(error(
                self.file,
                line,
                column,
                "document contains excessive aliasing",
            ));
        }
        // The alias itself carries no anchor; the shared node keeps its position.
        self.push_child(target, true);
        Ok(())
    }

    fn complete(&mut self, node: Rc<INode>, anchor: usize) {
        self.decode_count = self.decode_count.saturating_add(1);
        if anchor > 0 {
            self.anchors.insert(anchor, Rc::clone(&node));
        }
        self.push_child(node, false);
    }

    fn push_child(&mut self, node: Rc<INode>, is_alias: bool) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame {
                kind: FrameKind::Seq(items),
                ..
            }) => items.push(node),
            Some(Frame {
                kind: FrameKind::Map(entries, pending),
                ..
            }) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node, is_alias)),
            },
        }
    }
}

/// yaml.v2's `allowedAliasRatio` rule (decode.go): past 100 aliased and 1000 total nodes,
/// aliases may make up 99% of a small document, scaling down to 10% from 4M nodes.
fn excessive_aliasing(alias_count: u64, decode_count: u64) -> bool {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    if alias_count <= 100 || decode_count <= 1000 {
        return false;
    }
    let d = decode_count as f64;
    let allowed = if d <= LOW {
        0.99
    } else if d >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((d - LOW) / (HIGH - LOW))
    };
    alias_count as f64 / d > allowed
}

fn measure<'n>(children: impl Iterator<Item = &'n Rc<INode>>) -> (u64, usize) {
    children.fold((1, 1), |(size, height), c| {
        (size.saturating_add(c.size), height.max(c.height + 1))
    })
}

fn is_merge_key(node: &INode) -> bool {
    match &node.kind {
        IKind::Scalar { text, style, tag } => {
            text == "<<"
                && match tag.as_deref() {
                    None | Some("!") => *style == ScalarStyle::Plain,
                    Some(t) => t.strip_prefix(CORE_TAG_PREFIX) == Some("merge"),
                }
        }
        _ => false,
    }
}

/// Applies `<<` merge keys where they stand (later keys override earlier ones, so an
/// explicit key *before* a merge loses to the merged value, as in yaml.v2) and keeps the
/// last of duplicate keys, at the position of the first.
fn merge_and_dedupe(entries: Vec<Entry>, file: &str) -> Result<Vec<(Rc<INode>, Rc<INode>)>> {
    let mut out: Vec<(Rc<INode>, Rc<INode>)> = Vec::with_capacity(entries.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut insert = |k: &Rc<INode>, v: &Rc<INode>, out: &mut Vec<(Rc<INode>, Rc<INode>)>| {
        let id = match &k.kind {
            IKind::Scalar { text, style, tag } => key_identity(text, *style, tag.as_deref()),
            // Collections as keys never collide (try_resolve refuses them anyway).
            _ => format!("\u{0}complex:{}", out.len()),
        };
        match index.get(&id) {
            Some(&i) => out[i] = (Rc::clone(k), Rc::clone(v)),
            None => {
                index.insert(id, out.len());
                out.push((Rc::clone(k), Rc::clone(v)));
            }
        }
    };
    for (k, v, v_is_alias) in &entries {
        if !is_merge_key(k) {
            insert(k, v, &mut out);
            continue;
        }
        let want_map = || {
            error(
                file,
                v.line,
                v.column,
                "map merge requires map or sequence of maps as the value",
            )
        };
        match &v.kind {
            IKind::Map(merged) => merged.iter().for_each(|(mk, mv)| insert(mk, mv, &mut out)),
            // yaml.v2 takes a sequence of maps, but not through an alias.
            IKind::Seq(_) if *v_is_alias => return Err(want_map()),
            IKind::Seq(items) => {
                // Earlier maps take precedence, so they are applied last.
                for item in items.iter().rev() {
                    let IKind::Map(merged) = &item.kind else {
                        return Err(want_map());
                    };
                    merged.iter().for_each(|(mk, mv)| insert(mk, mv, &mut out));
                }
            }
            IKind::Scalar { .. } => return Err(want_map()),
        }
    }
    Ok(out)
}

fn materialize(node: &INode) -> Node {
    let value = match &node.kind {
        IKind::Scalar { text, style, tag } => NodeValue::Scalar {
            text: text.clone(),
            style: *style,
            tag: tag.clone(),
        },
        IKind::Seq(items) => NodeValue::Seq(items.iter().map(|n| materialize(n)).collect()),
        IKind::Map(entries) => NodeValue::Map(
            entries
                .iter()
                .map(|(k, v)| (materialize(k), materialize(v)))
                .collect(),
        ),
    };
    Node {
        value,
        line: node.line,
        column: node.column,
    }
}

fn convert_style(style: SaphyrStyle) -> ScalarStyle {
    match style {
        SaphyrStyle::Plain => ScalarStyle::Plain,
        SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        SaphyrStyle::Literal => ScalarStyle::Literal,
        SaphyrStyle::Folded => ScalarStyle::Folded,
    }
}

/// 1-based line and column of a span's start.
fn at(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// 1-based line and column just after `before`.
fn position(before: &[u8]) -> (usize, usize) {
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let last_line = before.rsplit(|b| *b == b'\n').next().unwrap_or(before);
    (line, String::from_utf8_lossy(last_line).chars().count() + 1)
}

/// libyaml's reader check: only `#x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] |
/// [#xE000-#xFFFD] | [#x10000-#x10FFFF]` may appear in a YAML stream.
fn check_characters(text: &str, file: &str) -> Result<()> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    match text.char_indices().find(|(_, c)| !allowed(*c)) {
        None => Ok(()),
        Some((i, c)) => {
            let (line, column) = position(&text.as_bytes()[..i]);
            Err(error(
                file,
                line,
                column,
                &format!(
                    "control characters are not allowed (found U+{:04X})",
                    u32::from(c)
                ),
            ))
        }
    }
}

fn error(file: &str, line: usize, column: usize, message: &str) -> Error {
    Error::Yaml {
        file: file.to_owned(),
        line,
        column,
        message: message.to_owned(),
    }
}
