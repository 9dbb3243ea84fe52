//! Table tests: one named test per row, so a failure names the case.

use std::collections::BTreeMap;

use super::resolve::{go_format_g, is_base60_float, is_timestamp, yaml_float_text};
use super::*;

fn doc(input: &str) -> Node {
    parse(input.as_bytes(), "test.yaml")
        .expect("valid YAML")
        .expect("not empty")
}

fn one(map: &[(&str, Value)]) -> Value {
    Value::Map(
        map.iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// What a Go string field gets from `v: <yaml>` (HELM-FACTS §0.3).
macro_rules! go_string {
    ($name:ident, $yaml:expr, $want:expr) => {
        #[test]
        fn $name() {
            let d = doc(&format!("v: {}\n", $yaml));
            let got = d.get("v").and_then(Node::to_go_string);
            assert_eq!(got.as_deref(), Some($want), "v: {}", $yaml);
        }
    };
}

go_string!(fact_version_1_10_is_1_1, "1.10", "1.1");
go_string!(fact_app_version_1_0_is_1, "1.0", "1");
go_string!(fact_123456789_123_float32, "123456789.123", "1.2345679e+08");
go_string!(fact_annotation_1_50_is_1_5, "1.50", "1.5");
go_string!(fact_date_as_written, "2024-01-02", "2024-01-02");
go_string!(fact_leading_zero_octal, "010", "8");
go_string!(fact_0o_octal, "0o17", "15");
go_string!(fact_hex, "0x1F", "31");
go_string!(fact_underscores, "1_000", "1000");
go_string!(fact_exponent, "1e3", "1000");
go_string!(fact_on_is_true, "on", "true");
go_string!(fact_yes_is_true, "yes", "true");
go_string!(fact_tilde_is_empty, "~", "");
go_string!(null_is_empty, "null", "");
go_string!(empty_is_empty, "", "");
go_string!(off_is_false, "off", "false");
go_string!(capital_no_is_false, "NO", "false");
go_string!(mixed_case_is_string, "yEs", "yEs");
go_string!(binary_literal, "0b101", "5");
go_string!(negative_binary, "-0b101", "-5");
go_string!(plus_sign_dropped, "+12", "12");
go_string!(minus_zero_int, "-0", "0");
go_string!(minus_zero_float, "-0.0", "-0");
go_string!(eight_is_float_not_octal, "08", "8");
go_string!(dot_five, ".5", "0.5");
go_string!(out_of_range_float_stays_string, "1e400", "1e400");
go_string!(
    beyond_i64_is_uint,
    "18446744073709551615",
    "18446744073709551615"
);
go_string!(beyond_u64_is_float32, "99999999999999999999", "1e+20");
go_string!(i64_min, "-9223372036854775808", "-9223372036854775808");
go_string!(base60_is_string, "1:30", "1:30");
go_string!(
    timestamp_as_written,
    "2024-01-02T10:00:00Z",
    "2024-01-02T10:00:00Z"
);
go_string!(small_float_exponent, "1e-7", "1e-07");
go_string!(million_uses_exponent, "1234567.0", "1.234567e+06");
go_string!(inf_is_go_inf, ".inf", "+Inf");
go_string!(nan_is_go_nan, ".NaN", "NaN");
go_string!(explicit_str_keeps_text, "!!str 1.10", "1.10");
go_string!(explicit_float_tag, "!!float 1", "1");
go_string!(explicit_int_of_quoted, "!!int \"12\"", "12");
go_string!(binary_tag_decodes, "!!binary aGVsbG8=", "hello");
go_string!(local_tag_is_string, "!foo 12", "12");
go_string!(non_specific_tag_is_string, "! 12", "12");
go_string!(single_quoted_is_string, "'1.10'", "1.10");
go_string!(double_quoted_is_string, "\"yes\"", "yes");
go_string!(version_like_is_string, "1.2.3", "1.2.3");
go_string!(invalid_date_is_string, "2024-02-30", "2024-02-30");

#[test]
fn collections_have_no_go_string() {
    let d = doc("a: [1]\nb: {c: d}\n");
    assert_eq!(d.get("a").and_then(Node::to_go_string), None);
    assert_eq!(d.get("b").and_then(Node::to_go_string), None);
}

/// yaml.v2's output for a string value `k: <value>` (HELM-FACTS §0.2).
macro_rules! emits {
    ($name:ident, $value:expr, $want:expr) => {
        #[test]
        fn $name() {
            let got = to_yaml_string(&one(&[("k", s($value))]));
            assert_eq!(got, format!("k: {}\n", $want), "value {:?}", $value);
        }
    };
}

emits!(quote_1_0, "1.0", "\"1.0\"");
emits!(quote_yes, "yes", "\"yes\"");
emits!(quote_on, "on", "\"on\"");
emits!(quote_y, "y", "\"y\"");
emits!(quote_n, "n", "\"n\"");
emits!(quote_null, "null", "\"null\"");
emits!(quote_tilde, "~", "\"~\"");
emits!(quote_012, "012", "\"012\"");
emits!(quote_1e3, "1e3", "\"1e3\"");
emits!(quote_0o17, "0o17", "\"0o17\"");
emits!(quote_1_000, "1_000", "\"1_000\"");
emits!(quote_empty, "", "\"\"");
emits!(quote_date, "2024-01-02", "\"2024-01-02\"");
emits!(quote_tab_escaped, "a\tb", "\"a\\tb\"");
emits!(single_constraint, ">=1.22.0-0", "'>=1.22.0-0'");
emits!(single_star, "*", "'*'");
emits!(single_colon_space, "a: b", "'a: b'");
emits!(single_space_hash, "x #y", "'x #y'");
emits!(single_trailing_space, "trail ", "'trail '");
emits!(single_doubles_quotes, "'q'", "'''q'''");
emits!(plain_semver, "0.1.0", "0.1.0");
emits!(plain_app_version, "1.16.0", "1.16.0");
emits!(plain_caret, "^1.0", "^1.0");
emits!(plain_tilde_range, "~1", "~1");
emits!(plain_or_range, "1.2.3 || 2.0", "1.2.3 || 2.0");
emits!(plain_unicode, "unicode é", "unicode é");
emits!(plain_html, "A <b> & c", "A <b> & c");
emits!(quote_base60, "1:30", "\"1:30\"");
emits!(plain_invalid_date, "2024-02-30", "2024-02-30");
emits!(quote_leap_day, "2024-02-29", "\"2024-02-29\"");
emits!(plain_hash_inside, "x#y", "x#y");
emits!(single_leading_dash_space, "- x", "'- x'");
emits!(plain_leading_dash, "-x", "-x");
emits!(single_document_marker, "---", "'---'");
emits!(plain_merge_key_text, "<<", "<<");
emits!(literal_clip, "a\nb\n", "|\n  a\n  b");
emits!(literal_strip, "a\nb", "|-\n  a\n  b");
emits!(literal_keep, "a\nb\n\n", "|+\n  a\n  b\n");
emits!(literal_indent_indicator, " a\nb", "|2-\n   a\n  b");
emits!(double_for_space_before_break, "a \nb", "\"a \\nb\"");
emits!(
    nel_folds_like_json_read_back,
    "x\u{85}\u{85}y",
    "|-\n  x\n  y"
);
emits!(single_nel_becomes_space, "nel\u{85}x", "nel x");
emits!(escape_emoji, "emoji 😀", "\"emoji \\U0001F600\"");
emits!(escape_del, "del\u{7f}", "\"del\\x7F\"");
emits!(plain_nbsp, "\u{a0}nbsp", "\u{a0}nbsp");
emits!(
    bom_escapes_everything,
    "\u{feff}bom",
    "\"\\uFEFF\\x62\\x6F\\x6D\""
);
emits!(
    folds_plain_after_column_80,
    "alpha be gamma d epsilon zeta eta theta i kappa alpha be gamma d epsilon zeta eta theta i kappa",
    "alpha be gamma d epsilon zeta eta theta i kappa alpha be gamma d epsilon zeta eta\n  theta i kappa"
);
emits!(no_fold_without_spaces, &"x".repeat(120), "x".repeat(120));

#[test]
fn nested_layout_like_helm() {
    let dep = one(&[
        ("name", s("redis")),
        ("tags", Value::Seq(vec![s("a"), s("b")])),
        (
            "import-values",
            Value::Seq(vec![one(&[("child", s("c")), ("parent", s("p"))])]),
        ),
    ]);
    let md = one(&[
        ("dependencies", Value::Seq(vec![dep])),
        ("annotations", Value::Map(BTreeMap::new())),
        ("keywords", Value::Seq(vec![])),
        ("deprecated", Value::Bool(true)),
        // `n` reads back as a YAML 1.1 boolean, so the key is quoted.
        ("n", Value::Null),
    ]);
    assert_eq!(
        to_yaml_string(&md),
        "annotations: {}\ndependencies:\n- import-values:\n  - child: c\n    parent: p\n  name: redis\n  \
         tags:\n  - a\n  - b\ndeprecated: true\nkeywords: []\n\"n\": null\n"
    );
}

#[test]
fn long_and_multiline_keys_are_complex() {
    let long = "l".repeat(129);
    let md = one(&[(long.as_str(), s("w")), ("a\nb", s("v"))]);
    assert_eq!(
        to_yaml_string(&md),
        format!("? |-\n  a\n  b\n: v\n? {long}\n: w\n")
    );
}

/// Where we differ from yaml.v2: it writes a raw U+2028/U+2029 into a literal block and
/// into a single-quoted complex key, which libyaml reads back but YAML 1.2 does not (and
/// our reader refuses); both are double-quoted with escapes, and read back to the same
/// value. A value without `\n` keeps yaml.v2's single-quoted form, read the libyaml way.
#[test]
fn separators_are_never_written_where_they_read_differently() {
    let md = one(&[
        ("block", s("a\nb\u{2028}c")),
        ("k\u{2029}y", s("v")),
        ("quoted", s("p\u{2028}q")),
    ]);
    let yaml = to_yaml_string(&md);
    assert_eq!(
        yaml,
        "block: \"a\\nb\\Lc\"\n? \"k\\Py\"\n: v\nquoted: 'p\u{2028}  q'\n"
    );
    let back = doc(&yaml);
    assert_eq!(back.resolve(), md);
}

#[test]
fn root_scalars_and_empty_collections() {
    assert_eq!(to_yaml_string(&Value::Null), "null\n");
    assert_eq!(to_yaml_string(&s("x")), "x\n");
    assert_eq!(to_yaml_string(&Value::Seq(vec![])), "[]\n");
    assert_eq!(to_yaml_string(&Value::Map(BTreeMap::new())), "{}\n");
    assert_eq!(
        to_yaml_string(&Value::Seq(vec![Value::Seq(vec![s("a")])])),
        "- - a\n"
    );
}

macro_rules! float_text {
    ($name:ident, $f:expr, $want:expr) => {
        #[test]
        fn $name() {
            assert_eq!(yaml_float_text($f), $want);
        }
    };
}

float_text!(float_integral_is_int, 5.0, "5");
float_text!(float_half, 1.5, "1.5");
float_text!(float_million_g, 1234567.5, "1.2345675e+06");
float_text!(float_small, 0.000_001, "1e-06");
float_text!(float_1e20_beyond_u64, 1e20, "1e+20");
float_text!(float_1e19_is_uint, 1e19, "10000000000000000000");
float_text!(float_neg_zero, -0.0, "0");
float_text!(float_nan, f64::NAN, ".nan");
float_text!(float_neg_inf, f64::NEG_INFINITY, "-.inf");

#[test]
fn go_g_formats() {
    assert_eq!(go_format_g(100_000.0, false), "100000");
    assert_eq!(go_format_g(1e6, false), "1e+06");
    assert_eq!(go_format_g(0.0001, false), "0.0001");
    assert_eq!(go_format_g(0.00001, false), "1e-05");
    assert_eq!(go_format_g(1.1, true), "1.1");
    assert_eq!(go_format_g(1e39, true), "+Inf");
}

macro_rules! timestamp {
    ($name:ident, $s:expr, $want:expr) => {
        #[test]
        fn $name() {
            assert_eq!(is_timestamp($s), $want, "{:?}", $s);
        }
    };
}

timestamp!(ts_date, "2024-01-02", true);
timestamp!(ts_short_fields, "2024-1-2", true);
timestamp!(ts_rfc3339, "2024-01-02T10:00:00Z", true);
timestamp!(ts_offset, "2024-01-02T10:00:00.123+02:00", true);
timestamp!(ts_lower_t, "2024-01-02t10:00:00Z", true);
timestamp!(ts_space_no_zone, "2024-01-02 10:00:00.5", true);
timestamp!(ts_space_with_zone_is_not, "2024-01-02 10:00:00Z", false);
timestamp!(ts_bad_day, "2024-02-30", false);
timestamp!(ts_bad_month, "2024-13-01", false);
timestamp!(ts_three_digit_month, "2024-001-02", false);
timestamp!(ts_five_digit_year, "20240-01-02", false);

#[test]
fn base60_detection() {
    assert!(is_base60_float("1:30"));
    assert!(is_base60_float("190:20:30.15"));
    assert!(is_base60_float("-1:2"));
    assert!(!is_base60_float("1:60"));
    assert!(!is_base60_float("12:30:00x"));
    assert!(!is_base60_float("a:30"));
}

// ---- parsing -------------------------------------------------------------------------------

#[test]
fn map_keys_become_strings_like_sigs_yaml() {
    let v = doc("true: a\n1.5: b\n0x10: c\n.inf: d\n2024-01-02: e\n-1: f\n").resolve();
    let want = one(&[
        ("true", s("a")),
        ("1.5", s("b")),
        ("16", s("c")),
        (".inf", s("d")),
        ("2024-01-02", s("e")),
        ("-1", s("f")),
    ]);
    assert_eq!(v, want);
}

#[test]
fn resolves_yaml_1_1_values() {
    let v = doc("a: 010\nb: 1.5\nc: yes\nd: ~\ne: [x, 'y']\nf: 2024-01-02\n").resolve();
    let want = one(&[
        ("a", Value::Int(8)),
        ("b", Value::Float(1.5)),
        ("c", Value::Bool(true)),
        ("d", Value::Null),
        ("e", Value::Seq(vec![s("x"), s("y")])),
        ("f", s("2024-01-02")),
    ]);
    assert_eq!(v, want);
}

#[test]
fn merge_keys_apply_in_document_order() {
    let v = doc(
        "b: &b {k: merged, m: 1}\nbefore:\n  k: explicit\n  <<: *b\nafter:\n  <<: *b\n  k: explicit\n",
    )
    .resolve();
    let Value::Map(m) = v else { panic!("a map") };
    assert_eq!(
        m["before"],
        one(&[("k", s("merged")), ("m", Value::Int(1))])
    );
    assert_eq!(
        m["after"],
        one(&[("k", s("explicit")), ("m", Value::Int(1))])
    );
}

#[test]
fn merge_list_earlier_wins() {
    let v = doc("a: &a {k: a}\nb: &b {k: b, j: b}\nx:\n  <<: [*a, *b]\n").resolve();
    let Value::Map(m) = v else { panic!("a map") };
    assert_eq!(m["x"], one(&[("k", s("a")), ("j", s("b"))]));
}

#[test]
fn quoted_merge_key_is_a_plain_key() {
    let v = doc("\"<<\": {k: v}\n").resolve();
    assert_eq!(v, one(&[("<<", one(&[("k", s("v"))]))]));
}

#[test]
fn duplicate_keys_last_wins() {
    assert_eq!(doc("a: 1\na: 2\n").resolve(), one(&[("a", Value::Int(2))]));
    // `1` and `"1"` are both the JSON key "1".
    assert_eq!(
        doc("1: int\n\"1\": str\n").resolve(),
        one(&[("1", s("str"))])
    );
}

#[test]
fn first_document_only_bom_and_empty() {
    assert_eq!(
        doc("\u{feff}a: 1\n---\na: 2\n").resolve(),
        one(&[("a", Value::Int(1))])
    );
    assert_eq!(parse(b"", "x").ok(), Some(None));
    assert_eq!(parse(b"# only a comment\n", "x").ok(), Some(None));
    assert_eq!(parse(b"---\n", "x").ok(), Some(None));
}

#[test]
fn positions_are_one_based() {
    let d = doc("a:\n  b: c\n");
    let b = d.get("a").and_then(|a| a.get("b")).expect("a.b");
    assert_eq!((b.line, b.column), (2, 6));
}

fn parse_error(input: &[u8]) -> (usize, usize, String) {
    match parse(input, "bad.yaml") {
        Err(Error::Yaml {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file, "bad.yaml");
            (line, column, message)
        }
        other => panic!("expected a YAML error, got {other:?}"),
    }
}

#[test]
fn syntax_error_has_position() {
    let (line, _, _) = parse_error(b"a: b\n c: [\n");
    assert!(line >= 2);
}

#[test]
fn invalid_utf8_is_an_error() {
    let (line, column, message) = parse_error(b"a: b\nc: \xff\n");
    assert_eq!((line, column), (2, 4));
    assert!(message.contains("UTF-8"), "{message}");
}

#[test]
fn control_characters_are_refused() {
    let (line, column, message) = parse_error(b"a: \x01\n");
    assert_eq!((line, column), (1, 4));
    assert!(
        message.contains("control characters are not allowed"),
        "{message}"
    );
}

#[test]
fn billion_laughs_fails_fast() {
    let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        y.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let start = std::time::Instant::now();
    let (_, _, message) = parse_error(y.as_bytes());
    assert!(message.contains("excessive aliasing"), "{message}");
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn self_referencing_anchor_is_refused() {
    let (_, _, message) = parse_error(b"a: &a [x, *a]\n");
    assert!(message.contains("contains itself"), "{message}");
}

#[test]
fn unknown_alias_is_refused() {
    parse_error(b"a: *nope\n");
}

#[test]
fn deep_nesting_is_refused() {
    let y = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    let (_, _, message) = parse_error(y.as_bytes());
    assert!(
        message.contains("depth") || message.contains("recursion"),
        "{message}"
    );
    // saphyr-parser stops flow nesting at 255 levels; block nesting meets our own limit.
    let y = format!("{}x\n", "- ".repeat(1001));
    let (_, _, message) = parse_error(y.as_bytes());
    assert!(message.contains("max depth"), "{message}");
}

#[test]
fn merge_of_alias_to_sequence_is_refused() {
    let (_, _, message) = parse_error(b"l: &l [{a: 1}]\nb:\n  <<: *l\n");
    assert!(message.contains("map merge requires"), "{message}");
}

#[test]
fn merge_of_scalar_is_refused() {
    let (_, _, message) = parse_error(b"a: &a x\nb:\n  <<: *a\n");
    assert!(message.contains("map merge requires"), "{message}");
}

#[test]
fn strict_resolution_fails_like_helm() {
    for input in [
        "~: x\n",
        "a: .inf\n",
        "a: !!int abc\n",
        "[a]: b\n",
        "18446744073709551615: x\n",
    ] {
        let d = doc(input);
        assert!(
            d.try_resolve("Chart.yaml").is_err(),
            "{input:?} should fail"
        );
    }
    assert_eq!(doc("~: x\n").resolve(), one(&[("null", s("x"))]));
}

#[test]
fn try_to_yaml_string_refuses_what_helm_refuses() {
    assert!(try_to_yaml_string(&one(&[("k", Value::Float(f64::NAN))])).is_err());
    assert!(try_to_yaml_string(&one(&[("k", s("del\u{7f}"))])).is_err());
    assert_eq!(
        try_to_yaml_string(&one(&[("k", s("ok"))])).ok().as_deref(),
        Some("k: ok\n")
    );
}

#[test]
fn merge_key_text_is_written_plain_like_yaml_v2() {
    // yaml.v2 does not quote a `<<` key, so reading its output back merges: Helm's
    // round trip breaks on such a key, and so does ours, identically.
    assert_eq!(to_yaml_string(&one(&[("<<", s("x"))])), "<<: x\n");
}

// ---- libyaml syntax that saphyr-parser alone would read differently -------------------------

#[test]
fn tab_after_colon_is_a_separator() {
    assert_eq!(
        doc("k:\tv\nj:\t1\n").resolve(),
        one(&[("k", s("v")), ("j", Value::Int(1))])
    );
    assert_eq!(doc("{k:\tv}\n").resolve(), one(&[("k", s("v"))]));
    // Inside a quoted scalar the tab is content.
    assert_eq!(doc("k: \"a:\tb\"\n").resolve(), one(&[("k", s("a:\tb"))]));
}

#[test]
fn quote_escape_in_double_quotes() {
    assert_eq!(
        doc("k: \"it\\'s \\'x\\'\"\n").resolve(),
        one(&[("k", s("it's 'x'"))])
    );
}

#[test]
fn slash_escape_is_refused() {
    let (line, _, message) = parse_error(b"a: 1\nk: \"a\\/b\"\n");
    assert_eq!(line, 2);
    assert!(message.contains("unknown escape"), "{message}");
    // An escaped backslash before a slash is fine.
    assert_eq!(doc("k: \"a\\\\/b\"\n").resolve(), one(&[("k", s("a\\/b"))]));
}

#[test]
fn only_yaml_1_1_documents() {
    let (line, _, message) = parse_error(b"# c\n%YAML 1.2\n---\na: 1\n");
    assert_eq!(line, 2);
    assert!(message.contains("incompatible YAML document"), "{message}");
    assert_eq!(
        doc("%YAML 1.1\n---\na: 1\n").resolve(),
        one(&[("a", Value::Int(1))])
    );
}
