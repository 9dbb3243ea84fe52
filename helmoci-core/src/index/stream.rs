//! A streaming fast path for large `index.yaml` files.
//!
//! The general YAML reader builds the whole document as a tree before Helm's decoding
//! runs, which costs about twenty times the file size at peak for a 20 MB index. Indexes
//! are one big `entries` map of small items, so here each chart version is built as a
//! small tree, decoded and validated, and dropped before the next one is read: peak memory
//! is the decoded index plus one item.
//!
//! Anything this path does not handle exactly as the general reader does (anchors,
//! aliases, tags, merge keys, duplicate keys, `%YAML` directives, unusual characters, any
//! syntax or decoding error) makes it give up, and the caller parses the input again with
//! the general reader, which then reports the error or the same result.

use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, Span, StrInput};

use super::parse::{
    check_top_key, decode_item, decode_top_field, decode_versions, empty_index, finish, Ctx,
};
use super::IndexFile;
use crate::metadata::Warning;
use crate::yaml::{is_separator, Node, NodeValue, ScalarStyle};
use crate::Error;

/// Nesting this fast path handles; deeper documents go to the general reader.
const MAX_DEPTH: usize = 64;

/// The fast path gave up; parse with the general reader.
struct GiveUp;

impl From<Error> for GiveUp {
    fn from(_: Error) -> GiveUp {
        GiveUp
    }
}

type Step<T> = Result<T, GiveUp>;

/// `None` when the input needs the general reader.
pub(super) fn parse(
    input: &[u8],
    source: &str,
) -> Option<Result<(IndexFile, Vec<Warning>), Error>> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).ok()?;
    // U+2028/U+2029 are line breaks for libyaml: only the general reader reads them as
    // Helm does (or refuses them).
    let plain_chars = |c: char| {
        (matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}')
            && !is_separator(c)
    };
    if text.contains("%YAML") || !text.chars().all(plain_chars) {
        return None;
    }
    let mut ctx = Ctx {
        source,
        strict: true,
        warnings: Vec::new(),
    };
    let mut events = Events {
        parser: Parser::new_from_str(text),
    };
    let index = read(&mut events, &mut ctx).ok()?;
    Some(finish(index, ctx))
}

struct Events<'a> {
    parser: Parser<'a, StrInput<'a>>,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Step<(Event<'a>, Span)> {
        match self.parser.next_event() {
            Some(Ok(e)) => Ok(e),
            _ => Err(GiveUp),
        }
    }

    /// The next event that is not stream or document framing.
    fn next_content(&mut self) -> Step<(Event<'a>, Span)> {
        loop {
            let (e, span) = self.next()?;
            match e {
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
                Event::StreamEnd | Event::DocumentEnd => return Err(GiveUp),
                e => return Ok((e, span)),
            }
        }
    }
}

fn read(events: &mut Events<'_>, ctx: &mut Ctx<'_>) -> Step<IndexFile> {
    let mut index = empty_index();
    let (first, _) = events.next_content()?;
    if !matches!(first, Event::MappingStart(0, None)) {
        return Err(GiveUp);
    }
    let mut seen = HashSet::new();
    loop {
        let (event, span) = events.next()?;
        if matches!(event, Event::MappingEnd) {
            return Ok(index);
        }
        let key = scalar_key(event, &span)?;
        let name = key.key_string().ok_or(GiveUp)?;
        if name == "<<" || !seen.insert(name.clone()) {
            return Err(GiveUp);
        }
        check_top_key(ctx, &key)?;
        let (event, span) = events.next()?;
        if name.eq_ignore_ascii_case("entries") && matches!(event, Event::MappingStart(0, None)) {
            read_entries(events, ctx, &mut index)?;
        } else {
            let value = build(events, event, &span, 1)?;
            decode_top_field(ctx, &key, &value, &mut index)?;
        }
    }
}

fn read_entries(events: &mut Events<'_>, ctx: &mut Ctx<'_>, index: &mut IndexFile) -> Step<()> {
    let mut seen = HashSet::new();
    loop {
        let (event, span) = events.next()?;
        if matches!(event, Event::MappingEnd) {
            return Ok(());
        }
        let key = scalar_key(event, &span)?;
        let name = key.key_string().ok_or(GiveUp)?;
        if name == "<<" || !seen.insert(name.clone()) {
            return Err(GiveUp);
        }
        let (event, span) = events.next()?;
        let versions = if matches!(event, Event::SequenceStart(0, None)) {
            let mut out = Vec::new();
            loop {
                let (event, span) = events.next()?;
                if matches!(event, Event::SequenceEnd) {
                    break;
                }
                let item = build(events, event, &span, 3)?;
                if let Some(entry) = decode_item(ctx, &name, &item)? {
                    out.push(entry);
                }
            }
            out
        } else {
            let list = build(events, event, &span, 2)?;
            decode_versions(ctx, &name, &list)?
        };
        index.entries.insert(name, versions);
    }
}

fn scalar_key(event: Event<'_>, span: &Span) -> Step<Node> {
    match event {
        Event::Scalar(..) => build_scalar(event, span),
        _ => Err(GiveUp),
    }
}

fn build_scalar(event: Event<'_>, span: &Span) -> Step<Node> {
    let Event::Scalar(text, style, 0, None) = event else {
        return Err(GiveUp);
    };
    if style == SaphyrStyle::DoubleQuoted && text.contains('/') {
        // The general reader checks for `\/`, which YAML 1.1 refuses.
        return Err(GiveUp);
    }
    let style = match style {
        SaphyrStyle::Plain => ScalarStyle::Plain,
        SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        SaphyrStyle::Literal => ScalarStyle::Literal,
        SaphyrStyle::Folded => ScalarStyle::Folded,
    };
    Ok(node(
        NodeValue::Scalar {
            text: text.into_owned(),
            style,
            tag: None,
        },
        span,
    ))
}

fn node(value: NodeValue, span: &Span) -> Node {
    Node {
        value,
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Builds the node that starts with `event` (no anchors, aliases, tags, merge keys or
/// duplicate keys).
fn build(events: &mut Events<'_>, event: Event<'_>, span: &Span, depth: usize) -> Step<Node> {
    if depth > MAX_DEPTH {
        return Err(GiveUp);
    }
    match event {
        Event::Scalar(..) => build_scalar(event, span),
        Event::SequenceStart(0, None) => {
            let mut items = Vec::new();
            loop {
                let (e, s) = events.next()?;
                if matches!(e, Event::SequenceEnd) {
                    return Ok(node(NodeValue::Seq(items), span));
                }
                items.push(build(events, e, &s, depth + 1)?);
            }
        }
        Event::MappingStart(0, None) => {
            let mut pairs: Vec<(Node, Node)> = Vec::new();
            let mut seen = HashSet::new();
            loop {
                let (e, s) = events.next()?;
                if matches!(e, Event::MappingEnd) {
                    return Ok(node(NodeValue::Map(pairs), span));
                }
                let key = scalar_key(e, &s)?;
                let name = key.key_string().ok_or(GiveUp)?;
                if name == "<<" || !seen.insert(name) {
                    return Err(GiveUp);
                }
                let (e, s) = events.next()?;
                let value = build(events, e, &s, depth + 1)?;
                pairs.push((key, value));
            }
        }
        _ => Err(GiveUp),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::general;

    /// The fast path gives exactly what the general reader gives, or gives up.
    fn same(doc: &str) -> bool {
        let fast = super::parse(doc.as_bytes(), "i.yaml");
        let slow = general(doc.as_bytes(), "i.yaml", None);
        match fast {
            None => false,
            Some(Ok(f)) => {
                let s = slow.expect("general reader accepts what the fast path accepts");
                assert_eq!(f, s, "{doc}");
                true
            }
            Some(Err(e)) => {
                assert_eq!(e.to_string(), slow.unwrap_err().to_string(), "{doc}");
                true
            }
        }
    }

    #[test]
    fn agrees_with_the_general_reader() {
        let fast = [
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.10\n    urls: [x]\n    created: 2024-01-02T03:04:05.5+01:00\n  - null\n  - {name: a, version: bad}\n  b: null\n  c: []\ngenerated: \"2024-01-02T03:04:05Z\"\n",
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    dependencies: [{name: b}, {name: b}]\n    annotations: {x: 1.50, 'true': yes}\n    maintainers:\n    - {name: m, email: e}\nserverInfo: {contextPath: /x}\npublicKeys: [k]\nannotations: {a: b}\n",
            "entries: {}\n",
            "apiVersion: v1\nentries: {a: [{name: a, version: 1.0.0, description: |\n    multi\n    line\n}]}\n",
        ];
        for doc in fast {
            assert!(same(doc), "fast path gave up on {doc}");
        }
        let slow = [
            "apiVersion: v1\nentries:\n  a: &x\n  - {name: a, version: 1.0.0}\n  b: *x\n",
            "apiVersion: v1\napiVersion: v1\nentries: {}\n",
            "apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, name: b}\n",
            "apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, bogus: 1}\n",
            "apiVersion: v1\nentries:\n  a:\n  - !!map {name: a, version: 1.0.0}\n",
            "apiVersion: v1\nbogus: 1\n",
            "- a\n",
            "apiVersion: v1\nentries:\n  a:\n  - {name: a, version: [1]}\n",
            "apiVersion: v1\nentries: {a: [{name: \"a/b\", version: 1.0.0}]}\n",
            "apiVersion: v1\n  bad: indent\n",
        ];
        for doc in slow {
            assert!(!same(doc), "fast path should give up on {doc}");
        }
    }

    fn fragment() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just("apiVersion: v1\n".to_owned()),
            Just("entries:\n".to_owned()),
            Just("  a:\n".to_owned()),
            Just("  - name: a\n".to_owned()),
            Just("    version: 1.0.0\n".to_owned()),
            Just("    urls: [x]\n".to_owned()),
            Just("  - null\n".to_owned()),
            Just("  - {name: b, version: 2}\n".to_owned()),
            Just("    created: 2024-01-02T03:04:05Z\n".to_owned()),
            Just("generated: x\n".to_owned()),
            "[ -~\n]{0,12}",
        ]
    }

    proptest::proptest! {
        #[test]
        fn fast_path_never_disagrees(parts in proptest::collection::vec(fragment(), 0..10)) {
            let _ = same(&parts.concat());
        }
    }
}
