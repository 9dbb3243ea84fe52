//! Properties of versions and constraints.

use std::cmp::Ordering;

use helmoci_core::version::{ChartVersion, VersionReq};
use helmoci_core::Error;
use proptest::prelude::*;

/// A valid identifier: numeric without a leading zero, or alphanumeric with a letter or
/// hyphen.
fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        "[0-9]{0,2}[a-zA-Z-][0-9a-zA-Z-]{0,4}",
    ]
}

fn dotted(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(identifier(), 1..=max).prop_map(|parts| parts.join("."))
}

/// Any lenient version text: optional `v`, 1-3 numbers (maybe with leading zeros),
/// optional pre-release and metadata.
fn lenient_text() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(
            prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "0[0-9]{1,3}"],
            1..=3,
        ),
        prop::option::of(dotted(3)),
        prop::option::of("[0-9a-zA-Z-]{1,5}(\\.[0-9a-zA-Z-]{1,5}){0,2}"),
    )
        .prop_map(|(v, nums, pre, meta)| {
            let mut s = String::new();
            if v {
                s.push('v');
            }
            s.push_str(&nums.join("."));
            if let Some(pre) = pre {
                s.push('-');
                s.push_str(&pre);
            }
            if let Some(meta) = meta {
                s.push('+');
                s.push_str(&meta);
            }
            s
        })
}

/// A strict version without metadata, small numbers.
fn strict_text() -> impl Strategy<Value = String> {
    (0u64..4, 0u64..4, 0u64..4, prop::option::of(dotted(3))).prop_map(|(a, b, c, pre)| match pre {
        Some(pre) => format!("{a}.{b}.{c}-{pre}"),
        None => format!("{a}.{b}.{c}"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_round_trips(text in lenient_text()) {
        let parsed: ChartVersion = text.parse().expect("generated versions are valid");
        let shown = parsed.to_string();
        let again: ChartVersion = shown.parse().expect("Display output parses");
        prop_assert_eq!(again.to_string(), shown.clone());
        prop_assert_eq!(&again, &parsed);
        prop_assert_eq!(again.metadata(), parsed.metadata());
        prop_assert_eq!(again.original(), shown.as_str());
        prop_assert_eq!(parsed.original(), text.as_str());
        // A display form is strict SemVer, too.
        prop_assert!(ChartVersion::parse_strict(&shown).is_ok());
    }

    #[test]
    fn precedence_agrees_with_semver_crate(a in strict_text(), b in strict_text()) {
        let (x, y): (ChartVersion, ChartVersion) = (a.parse().expect("valid"), b.parse().expect("valid"));
        let (sx, sy) = (semver::Version::parse(&a).expect("valid"), semver::Version::parse(&b).expect("valid"));
        prop_assert_eq!(x.cmp(&y), sx.cmp(&sy), "{} vs {}", a, b);
        prop_assert_eq!(x == y, x.cmp(&y) == Ordering::Equal);
    }

    #[test]
    fn precedence_is_a_total_order(a in lenient_text(), b in lenient_text(), c in lenient_text()) {
        let (x, y, z): (ChartVersion, ChartVersion, ChartVersion) =
            (a.parse().expect("valid"), b.parse().expect("valid"), c.parse().expect("valid"));
        prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        if x <= y && y <= z {
            prop_assert!(x <= z);
        }
    }

    /// Lenient parse accepts exactly Masterminds' `looseSemVerRegex` (bar the u64 range
    /// and leading zeros in numeric pre-release identifiers, which it rejects after).
    #[test]
    fn lenient_parse_matches_the_masterminds_regex(text in "[v0-9.+a_x-]{0,10}") {
        let re = regex::Regex::new(
            r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
        ).expect("valid regex");
        let parsed = text.parse::<ChartVersion>();
        let regex_says = re.is_match(&text);
        match parsed {
            Ok(_) => prop_assert!(regex_says),
            Err(Error::InvalidVersion { reason, .. }) => {
                prop_assert_eq!(regex_says, reason != "invalid semantic version", "{}", reason)
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }

    /// Simple comparators (operator + full version) agree with a naive model of
    /// Masterminds' rules: plain precedence, AND within a group, OR across groups, and a
    /// pre-release version only considered by groups that mention a pre-release.
    #[test]
    fn constraints_agree_with_naive_model(
        groups in prop::collection::vec(
            prop::collection::vec((0usize..6, strict_text(), 0usize..3), 1..=3),
            1..=2,
        ),
        version in strict_text(),
    ) {
        const OPS: [&str; 6] = ["=", "!=", ">", "<", ">=", "<="];
        const SEPS: [&str; 3] = [" ", ",", " , "];
        let v: ChartVersion = version.parse().expect("valid");
        let text = groups
            .iter()
            .map(|g| {
                g.iter()
                    .enumerate()
                    .map(|(i, (op, ver, sep))| {
                        let sep = if i == 0 { "" } else { SEPS[*sep] };
                        format!("{sep}{}{ver}", OPS[*op])
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" || ");
        let req: VersionReq = text.parse().expect("generated constraints are valid");
        let model = groups.iter().any(|g| {
            let admits_pre = g.iter().any(|(_, ver, _)| ver.contains('-'));
            if v.is_prerelease() && !admits_pre {
                return false;
            }
            g.iter().all(|(op, ver, _)| {
                let c: ChartVersion = ver.parse().expect("valid");
                match OPS[*op] {
                    "=" => v == c,
                    "!=" => v != c,
                    ">" => v > c,
                    "<" => v < c,
                    ">=" => v >= c,
                    _ => v <= c,
                }
            })
        });
        prop_assert_eq!(req.matches(&v), model, "{:?} vs {}", text, version);
    }

    #[test]
    fn constraint_parsing_never_panics(text in "[v0-9.xX*|,<>=!~^ -]{0,16}", version in lenient_text()) {
        if let Ok(req) = text.parse::<VersionReq>() {
            let _ = req.matches(&version.parse().expect("valid"));
            prop_assert_eq!(req.to_string(), text);
        }
    }

    #[test]
    fn version_parsing_never_panics(text in "\\PC{0,16}") {
        let _ = text.parse::<ChartVersion>();
        let _ = ChartVersion::parse_strict(&text);
    }
}
