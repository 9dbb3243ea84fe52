//! Go's `json.MarshalIndent` for text that is already valid JSON.

/// Go's `json.MarshalIndent(…, "", "\t")` applied to valid JSON text: drops insignificant
/// whitespace, escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings (Go's `compact` with
/// HTML escaping), and indents with tabs, writing empty containers as `{}` and `[]`.
pub(crate) fn indent_go(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n('\t', depth));
    };
    let (mut in_string, mut escaped) = (false, false);
    let (mut need_indent, mut depth) = (false, 0usize);
    for c in json.chars() {
        if in_string {
            match c {
                _ if escaped => {
                    escaped = false;
                    out.push(c);
                }
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                _ => out.push(c),
            }
            continue;
        }
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        if need_indent && c != '}' && c != ']' {
            need_indent = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                need_indent = true;
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '}' | ']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::indent_go;

    macro_rules! indent {
        ($name:ident, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                assert_eq!(indent_go($input), $expected);
            }
        };
    }
    indent!(empty_object, "{}", "{}");
    indent!(
        empty_containers_stay_closed,
        "{ \"a\" : [ ] , \"b\":{ }}",
        "{\n\t\"a\": [],\n\t\"b\": {}\n}"
    );
    indent!(
        nesting,
        "[1,[2,{\"k\":null}]]",
        "[\n\t1,\n\t[\n\t\t2,\n\t\t{\n\t\t\t\"k\": null\n\t\t}\n\t]\n]"
    );
    indent!(
        strings_are_opaque,
        r#"{"a\"{,:}":"x\\"}"#,
        "{\n\t\"a\\\"{,:}\": \"x\\\\\"\n}"
    );
    indent!(
        html_is_escaped,
        "\"<&>\u{2028}\u{2029}\"",
        r#""\u003c\u0026\u003e\u2028\u2029""#
    );
    indent!(
        whitespace_inside_strings_is_kept,
        "\" a \\n b \"",
        "\" a \\n b \""
    );
    indent!(
        numbers_are_verbatim,
        "[1.0, -0, 1E+2]",
        "[\n\t1.0,\n\t-0,\n\t1E+2\n]"
    );
}
