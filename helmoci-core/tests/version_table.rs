//! Versions, constraints and tag selection, one named test per row of HELM-FACTS §5
//! (Masterminds/semver v3 as Helm v4 uses it), plus more corners.

use helmoci_core::version::{
    is_exact_version, select_tag, select_version, ChartVersion, SkipReason, VersionReq,
};
use helmoci_core::Error;

fn v(text: &str) -> ChartVersion {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is a valid version: {e}"))
}

/// `lenient_ok!(name, text, "M.m.p[-pre][+meta]")`: parses leniently, displays so.
macro_rules! lenient_ok {
    ($name:ident, $text:expr, $display:expr) => {
        #[test]
        fn $name() {
            let parsed = v($text);
            assert_eq!(parsed.to_string(), $display);
            assert_eq!(parsed.original(), $text);
        }
    };
}

/// `lenient_err!(name, text, reason)`: lenient parse fails with Masterminds' reason.
macro_rules! lenient_err {
    ($name:ident, $text:expr, $reason:expr) => {
        #[test]
        fn $name() {
            match $text.parse::<ChartVersion>() {
                Err(Error::InvalidVersion { version, reason }) => {
                    assert_eq!(version, $text);
                    assert_eq!(reason, $reason);
                }
                other => panic!("{:?}: expected an error, got {other:?}", $text),
            }
        }
    };
}

/// `strict!(name, text, Ok | Err(reason))`.
macro_rules! strict {
    ($name:ident, $text:expr, ok) => {
        #[test]
        fn $name() {
            let parsed = ChartVersion::parse_strict($text).expect("strict version");
            assert_eq!(parsed.to_string(), $text);
        }
    };
    ($name:ident, $text:expr, $reason:expr) => {
        #[test]
        fn $name() {
            match ChartVersion::parse_strict($text) {
                Err(Error::InvalidVersion { reason, .. }) => assert_eq!(reason, $reason),
                other => panic!("{:?}: expected an error, got {other:?}", $text),
            }
        }
    };
}

/// `req!(name, constraint, [matching versions], [non-matching versions])`.
macro_rules! req {
    ($name:ident, $req:expr, [$($yes:expr),* $(,)?], [$($no:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let req: VersionReq = $req.parse().unwrap_or_else(|e| panic!("{:?}: {e}", $req));
            $( assert!(req.matches(&v($yes)), "{:?} should match {:?}", $req, $yes); )*
            $( assert!(!req.matches(&v($no)), "{:?} should not match {:?}", $req, $no); )*
        }
    };
}

/// `req_err!(name, constraint, segment)`: `improper constraint: "<segment>"`.
macro_rules! req_err {
    ($name:ident, $req:expr, $segment:expr) => {
        #[test]
        fn $name() {
            match $req.parse::<VersionReq>() {
                Err(Error::InvalidConstraint { constraint }) => assert_eq!(constraint, $segment),
                other => panic!("{:?}: expected improper constraint, got {other:?}", $req),
            }
        }
    };
}

// ---- §5.1 lenient versions ----------------------------------------------------------
lenient_ok!(lenient_major_only, "1", "1.0.0");
lenient_ok!(lenient_major_minor, "1.2", "1.2.0");
lenient_ok!(lenient_v_major, "v1", "1.0.0");
lenient_ok!(lenient_v_full, "v1.2.3", "1.2.3");
lenient_ok!(lenient_leading_zeros_coerced, "01.02.03", "1.2.3");
lenient_ok!(lenient_prerelease_digit_then_letter, "1.2.3-0a", "1.2.3-0a");
lenient_ok!(lenient_metadata_leading_zero, "1.2.3+01", "1.2.3+01");
lenient_ok!(lenient_partial_with_prerelease, "1.2-beta", "1.2.0-beta");
lenient_ok!(lenient_partial_with_metadata, "v2+build.5", "2.0.0+build.5");
lenient_ok!(
    lenient_hyphens_in_prerelease,
    "1.0.0-a-b--c",
    "1.0.0-a-b--c"
);
lenient_ok!(
    lenient_u64_max,
    "18446744073709551615",
    "18446744073709551615.0.0"
);
lenient_err!(lenient_capital_v, "V1.2.3", "invalid semantic version");
lenient_err!(lenient_four_parts, "1.2.3.4", "invalid semantic version");
lenient_err!(
    lenient_prerelease_leading_zero,
    "1.2.3-01",
    "version segment starts with 0"
);
lenient_err!(
    lenient_prerelease_part_leading_zero,
    "1.2.3-beta.01",
    "version segment starts with 0"
);
lenient_err!(lenient_underscore, "1.2.3_4", "invalid semantic version");
lenient_err!(lenient_leading_space, " 1.2.3", "invalid semantic version");
lenient_err!(
    lenient_trailing_newline,
    "1.2.3\n",
    "invalid semantic version"
);
lenient_err!(lenient_dangling_dash, "1.2.3-", "invalid semantic version");
lenient_err!(lenient_dangling_plus, "1.2.3+", "invalid semantic version");
lenient_err!(
    lenient_empty_prerelease_part,
    "1.2.3-a..b",
    "invalid semantic version"
);
lenient_err!(lenient_latest, "latest", "invalid semantic version");
lenient_err!(lenient_empty, "", "invalid semantic version");
lenient_err!(lenient_trailing_dot, "1.", "invalid semantic version");
lenient_err!(lenient_wildcard, "1.x", "invalid semantic version");
lenient_err!(
    lenient_overflow,
    "1.18446744073709551616",
    "error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
);

// ---- §5.1 strict versions -----------------------------------------------------------
strict!(strict_plain, "1.2.3", ok);
strict!(strict_full, "1.2.3-rc.1+build.5", ok);
strict!(strict_zero, "0.0.0", ok);
strict!(strict_metadata_with_hyphen, "1.2.3+b-c", ok);
strict!(strict_empty, "", "version string empty");
strict!(strict_two_parts, "1.2", "invalid semantic version");
strict!(strict_latest, "latest", "invalid semantic version");
strict!(strict_v_prefix, "v1.2.3", "invalid characters in version");
strict!(
    strict_leading_zero,
    "01.2.3",
    "version segment starts with 0"
);
strict!(
    strict_prerelease_leading_zero,
    "1.2.3-01",
    "version segment starts with 0"
);
strict!(strict_dangling_dash, "1.2.3-", "invalid prerelease string");
strict!(
    strict_bad_prerelease_char,
    "1.2.3-a_b",
    "invalid prerelease string"
);
strict!(strict_bad_metadata, "1.2.3+a+b", "invalid metadata string");
strict!(strict_empty_metadata, "1.2.3+", "invalid metadata string");
strict!(
    strict_four_parts,
    "1.2.3.4",
    "invalid characters in version"
);
strict!(
    strict_underscore,
    "1.2.3_4",
    "invalid characters in version"
);
strict!(
    strict_empty_part,
    "1..3",
    "strconv.ParseUint: parsing \"\": invalid syntax"
);

// ---- §5.1 precedence ----------------------------------------------------------------
#[test]
fn precedence_chain_from_helm_facts() {
    let chain = [
        "1.0.0-1",
        "1.0.0-A",
        "1.0.0-a-b",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ];
    for pair in chain.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
}

#[test]
fn build_metadata_is_ignored() {
    assert_eq!(v("1.0.0+a"), v("1.0.0+b"));
    assert_eq!(v("v1.2"), v("1.2.0"));
    let set: std::collections::HashSet<_> = [v("1.0.0+a"), v("1.0.0+b"), v("1.0.0")].into();
    assert_eq!(set.len(), 1);
}

#[test]
fn numbers_compare_numerically() {
    assert!(v("1.10.0") > v("1.9.0"));
    assert!(v("10.0.0") > v("9.99.99"));
    assert!(v("1.0.0-rc.10") > v("1.0.0-rc.9"));
}

// ---- §5.2 partial versions (the "dirty" table) ----------------------------------------
req!(partial_minor, "1.2", ["1.2.0", "1.2.9"], ["1.1.9", "1.3.0"]);
req!(
    partial_minor_equals,
    "=1.2",
    ["1.2.0", "1.2.9"],
    ["1.1.9", "1.3.0"]
);
req!(
    partial_minor_x,
    "1.2.x",
    ["1.2.0", "1.2.9"],
    ["1.1.9", "1.3.0"]
);
req!(partial_major, "1", ["1.0.0", "1.9.9"], ["0.9.9", "2.0.0"]);
req!(
    partial_major_x,
    "1.x",
    ["1.0.0", "1.9.9"],
    ["0.9.9", "2.0.0"]
);
req!(
    partial_tilde_major,
    "~1",
    ["1.0.0", "1.9.9"],
    ["0.9.9", "2.0.0"]
);
req!(
    exact_full,
    "1.2.3",
    ["1.2.3", "1.2.3+meta"],
    ["1.2.4", "1.2.2"]
);
req!(
    exact_full_equals,
    "=1.2.3",
    ["1.2.3", "1.2.3+meta"],
    ["1.2.4", "1.2.2"]
);
req!(
    tilde_full,
    "~1.2.3",
    ["1.2.3", "1.2.99"],
    ["1.2.2", "1.3.0"]
);
req!(
    greater_partial_minor,
    ">1.2",
    ["1.3.0", "2.0.0"],
    ["1.2.9", "1.2.0"]
);
req!(greater_partial_major, ">1", ["2.0.0"], ["1.9.9", "1.0.0"]);
req!(
    less_equal_partial_minor,
    "<=1.2",
    ["1.2.9", "0.1.0"],
    ["1.3.0"]
);
req!(less_partial_minor, "<1.2", ["1.1.9"], ["1.2.0", "1.2.1"]);
req!(
    not_equal_partial_minor,
    "!=4.1",
    ["4.0.9", "4.2.0", "5.1.0"],
    ["4.1.0", "4.1.7"]
);
req!(
    not_equal_partial_major_x,
    "!=4.x",
    ["3.9.9", "5.0.0"],
    ["4.0.0", "4.9.9"]
);
req!(caret_full, "^1.2.3", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0"]);
req!(
    caret_zero_minor_full,
    "^0.2.3",
    ["0.2.3", "0.2.9"],
    ["0.2.2", "0.3.0"]
);
req!(
    caret_zero_minor_partial,
    "^0.2",
    ["0.2.0", "0.2.9"],
    ["0.1.9", "0.3.0"]
);
req!(
    caret_zero_zero_full,
    "^0.0.3",
    ["0.0.3"],
    ["0.0.2", "0.0.4"]
);
req!(
    caret_zero_zero_partial,
    "^0.0",
    ["0.0.0", "0.0.9"],
    ["0.1.0"]
);
req!(caret_zero_partial, "^0", ["0.0.0", "0.9.9"], ["1.0.0"]);
req!(
    star_any_release,
    "*",
    ["0.0.0", "1.2.3", "99.0.0"],
    ["1.0.0-rc.1"]
);
req!(x_any_release, "x", ["0.0.0", "1.2.3"], ["1.0.0-rc.1"]);
req!(
    tilde_star_any_release,
    "~*",
    ["0.0.0", "1.2.3"],
    ["1.0.0-rc.1"]
);
req!(
    tilde_zero_any_release,
    "~0.0.0",
    ["0.0.0", "1.2.3"],
    ["1.0.0-rc.1"]
);
req!(caret_star_only_zero, "^*", ["0.0.0"], ["0.0.1", "1.0.0"]);
req!(
    caret_zero_full_only_zero,
    "^0.0.0",
    ["0.0.0"],
    ["0.0.1", "0.1.0"]
);
req!(
    less_equal_star_only_zero_zero,
    "<=*",
    ["0.0.0", "0.0.9"],
    ["0.1.0", "1.0.0"]
);
req!(greater_star_above_zero, ">*", ["0.0.1", "1.0.0"], ["0.0.0"]);

// ---- §5.2 tricky cases ----------------------------------------------------------------
req!(tricky_star_rejects_prerelease, "*", [], ["1.0.0-rc.1"]);
req!(
    tricky_devel_admits_release_zero,
    ">0.0.0-0",
    ["0.0.0"],
    ["0.0.0-0"]
);
req!(
    tricky_caret_rejects_next_major_prerelease,
    "^1.2.3",
    [],
    ["2.0.0-rc.1"]
);
req!(tricky_less_rejects_prerelease, "<2.0.0", [], ["2.0.0-rc.1"]);
req!(tricky_less_prerelease_bound, "<2.0.0-0", [], ["2.0.0-rc.1"]);
req!(
    tricky_prerelease_floor_admits_other_minor,
    ">=1.2.3-beta",
    ["1.3.0-alpha"],
    []
);
req!(
    tricky_prerelease_group_admits_any,
    ">=1.2.3-beta <2",
    ["1.5.0-rc.1"],
    []
);
req!(
    tricky_tilde_prerelease,
    "~1.2.3-beta.2",
    ["1.2.4-beta.2"],
    []
);
req!(
    tricky_caret_zero_prerelease,
    "^0.2.3-beta.2",
    ["0.2.4-beta.2"],
    []
);
req!(
    tricky_prerelease_floor_far,
    ">=1.0.0-alpha",
    ["2.5.0-beta"],
    []
);
req!(tricky_hyphen_partial_upper, "1.2 - 1.4", ["1.4.9"], []);
req!(tricky_hyphen_full_upper, "1.2 - 1.4.0", [], ["1.4.1"]);
req!(tricky_no_spaces_is_a_version, "1.2-1.4", [], ["1.3.0"]);
req!(
    tricky_greater_major_is_next_major,
    "1.0.0 - 2.0.0 || >3",
    [],
    ["3.0.1"]
);
req!(
    tricky_or_groups,
    ">=1.1 <2 !=1.2.3 || >= 3",
    ["3.0.0"],
    ["1.2.3"]
);
req!(
    tricky_not_equal_ignores_metadata,
    "!=1.2.3",
    [],
    ["1.2.3+meta"]
);
req!(
    tricky_exact_ignores_metadata,
    "1.2.3+build.1",
    ["1.2.3+build.2"],
    []
);
req!(tricky_leading_zero_constraint, "01.2.3", ["1.2.3"], []);
req!(tricky_v_prefix_constraint, "v1.2.3", ["1.2.3"], []);
req!(
    tricky_two_anded_comparators,
    "12.3.34 ~1.2.3",
    [],
    ["12.3.34", "1.2.3"]
);
req_err!(tricky_latest_is_error, "latest", "latest");
req_err!(tricky_four_parts_is_error, "1.2.3.4", "1.2.3.4");
req_err!(tricky_trailing_or_is_error, "1.2 ||", "");

// ---- §5.2 grammar ---------------------------------------------------------------------
req!(and_by_space, ">=1 <2", ["1.5.0"], ["2.0.0", "0.9.0"]);
req!(and_by_comma, ">=1,<2", ["1.5.0"], ["2.0.0", "0.9.0"]);
req!(
    and_by_spaced_comma,
    ">= 1 , < 2",
    ["1.5.0"],
    ["2.0.0", "0.9.0"]
);
req!(op_arrow_ge, "=>1.2.3", ["1.2.3", "2.0.0"], ["1.2.2"]);
req!(op_arrow_le, "=<1.2.3", ["1.2.3", "0.1.0"], ["1.2.4"]);
req!(op_tilde_arrow, "~>1.2", ["1.2.0", "1.2.9"], ["1.3.0"]);
req!(op_space_after, "> 1.2.3", ["1.2.4"], ["1.2.3"]);
req!(capital_x_wildcard, "1.X", ["1.5.0"], ["2.0.0"]);
req!(star_in_minor, "1.*", ["1.5.0"], ["2.0.0"]);
req!(
    wildcard_patch_with_prerelease,
    "1.2.x-beta",
    ["1.2.5-rc.1", "1.2.0"],
    ["1.3.0"]
);
req!(
    hyphen_with_wildcards,
    "* - 2",
    ["0.0.0", "2.0.0", "2.9.9"],
    ["3.0.0"]
);
req!(
    hyphen_backwards_matches_nothing,
    "2 - 1",
    [],
    ["1.5.0", "2.0.0", "1.0.0"]
);
req!(hyphen_with_v, "v1 - v2", ["1.0.0", "2.5.0"], ["3.0.0"]);
req!(hyphen_in_or, "1 - 2 || 5", ["1.5.0", "5.9.0"], ["3.0.0"]);
req!(
    tilde_prerelease_floor,
    "~1.2.3-0",
    ["1.2.3-alpha", "1.2.9"],
    ["1.3.0"]
);
req!(
    ge_prerelease_zero,
    ">=0.0.0-0",
    ["0.0.0-0", "0.0.0", "1.0.0-rc.1"],
    []
);
req!(
    prerelease_group_only,
    ">=1.0.0-0 || <0.5",
    ["1.0.0-rc.1"],
    ["0.4.0-rc.1"]
);
// The pre-release decides once the group admits pre-releases: 1.2.5 differs from "-beta".
req!(
    not_equal_patch_x_prerelease,
    "!=1.2.x-beta",
    ["1.2.5-rc.1", "1.2.5", "1.3.0"],
    ["1.2.5-beta", "1.2.0-beta"]
);
req!(
    less_equal_wildcard_patch,
    "<=1.2.x",
    ["1.2.99", "1.1.0"],
    ["1.3.0"]
);
req!(ge_wildcard, ">=1.x", ["1.0.0", "5.0.0"], ["0.9.9"]);
req!(less_wildcard, "<1.x", ["0.9.9"], ["1.0.0"]);
// The range's second version swallows `||3` (`|` is in Masterminds' digit class); the
// rewritten text still splits into `>= 1, <= 2` or `3`.
req!(
    pipe_in_digits_rewritten_range,
    "1 - 2||3",
    ["1.5.0", "2.5.0", "3.9.0"],
    ["0.9.0", "4.0.0"]
);
req_err!(empty_is_error, "", "");
req_err!(blank_is_error, " ", " ");
req_err!(tab_is_error, "\t", "\t");
req_err!(dangling_operator, ">=", ">=");
req_err!(dangling_operator_after_version, "1.2 >=", "1.2 >=");
req_err!(leading_comma, ",1.2", ",1.2");
req_err!(space_before_hyphen_only, "1.2.3 -2.1.0", "1.2.3 -2.1.0");
req_err!(space_after_hyphen_only, "1.2.3- 2.1.0", "1.2.3- 2.1.0");
req_err!(
    error_names_rewritten_segment,
    ">=1.0.0 - 2.0.0",
    ">=>= 1.0.0, <= 2.0.0 "
);
req_err!(double_hyphen_range, "1 - 2 - 3", ">= 1, <= 2 - 3");
req_err!(capital_v, "V1.2.3", "V1.2.3");
req_err!(leading_or, "|| 1", "");

#[test]
fn version_that_fits_the_grammar_but_not_semver() {
    for bad in [
        "1x",
        "1.2.3-01",
        "**",
        "1|2",
        "1.2.3x",
        "1.99999999999999999999",
    ] {
        match bad.parse::<VersionReq>() {
            Err(Error::InvalidConstraintVersion { constraint, .. }) => assert_eq!(constraint, bad),
            other => panic!("{bad:?}: expected a constraint parser error, got {other:?}"),
        }
    }
}

#[test]
fn display_and_canonical() {
    let req: VersionReq = " >= 1.2 , <2 || ~3 ".parse().expect("valid");
    assert_eq!(req.to_string(), " >= 1.2 , <2 || ~3 ");
    assert_eq!(req.canonical(), ">=1.2 <2 || ~3");
    let again: VersionReq = req.canonical().parse().expect("canonical form parses");
    for x in ["1.2.0", "1.9.9", "2.0.0", "3.4.5", "4.0.0"] {
        assert_eq!(req.matches(&v(x)), again.matches(&v(x)), "{x}");
    }
}

// ---- §5.3 OCI tag selection -------------------------------------------------------------
#[test]
fn oci_exact_versions_are_literal_tags() {
    for exact in ["1.2", "v1.0.0", "01.2.3", "1.2.3+build.1"] {
        assert!(is_exact_version(exact), "{exact}");
    }
    for listed in [
        "",
        " ",
        "^1.2",
        "1.2 - 1.4",
        "latest",
        "=2.1.1+other",
        ">0.0.0-0",
    ] {
        assert!(!is_exact_version(listed), "{listed:?}");
    }
}

#[test]
fn oci_constraint_with_metadata_picks_listed_metadata() {
    let pick = select_tag(["2.1.1_meta", "2.0.0"], "=2.1.1+other", false).expect("valid");
    let chosen = pick.chosen.expect("a match");
    assert_eq!(chosen.tag, "2.1.1_meta");
    assert_eq!(chosen.version.to_string(), "2.1.1+meta");
}

#[test]
fn oci_not_equal_ignores_metadata() {
    let pick = select_tag(["2.1.1_meta", "2.0.0"], "!=2.1.1", false).expect("valid");
    assert_eq!(pick.chosen.map(|c| c.tag), Some("2.0.0"));
}

#[test]
fn oci_non_strict_tags_are_invisible() {
    let pick = select_tag(
        ["1.4", "1.3.0", "v1.5.0", "latest", "01.4.0"],
        "1.2 - 1.4",
        false,
    )
    .expect("valid");
    assert_eq!(pick.chosen.map(|c| c.tag), Some("1.3.0"));
    let reasons: Vec<_> = pick
        .skipped
        .iter()
        .map(|s| (s.tag, s.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "1.4",
                SkipReason::NotStrict {
                    reason: "invalid semantic version".into()
                }
            ),
            ("v1.5.0", SkipReason::VPrefix),
            (
                "latest",
                SkipReason::NotVersion {
                    reason: "invalid semantic version".into()
                }
            ),
            (
                "01.4.0",
                SkipReason::NotStrict {
                    reason: "version segment starts with 0".into()
                }
            ),
        ]
    );
}

#[test]
fn oci_empty_means_highest_release() {
    let tags = ["1.0.0", "2.0.0-rc.1", "1.5.0"];
    assert_eq!(
        select_tag(tags, "", false)
            .expect("ok")
            .chosen
            .map(|c| c.tag),
        Some("1.5.0")
    );
    assert_eq!(
        select_tag(tags, "", true)
            .expect("ok")
            .chosen
            .map(|c| c.tag),
        Some("2.0.0-rc.1")
    );
}

#[test]
fn oci_candidates_sorted_highest_first_stably() {
    let pick = select_tag(
        ["1.0.0_b", "1.0.0", "1.0.0_a", "0.9.0", "1.0.0-rc.1"],
        "",
        false,
    )
    .expect("ok");
    let order: Vec<_> = pick.candidates.iter().map(|c| c.tag).collect();
    assert_eq!(
        order,
        ["1.0.0_b", "1.0.0", "1.0.0_a", "1.0.0-rc.1", "0.9.0"]
    );
    assert_eq!(pick.chosen.map(|c| c.tag), Some("1.0.0_b"));
}

#[test]
fn oci_blank_or_broken_requests_are_errors() {
    let tags = ["1.2.3", "2.1.0"];
    for bad in [" ", "\t", "1.2.3 -2.1.0", "1.2.3- 2.1.0", "latest"] {
        assert!(
            matches!(
                select_tag(tags, bad, false),
                Err(Error::InvalidConstraint { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(select_tag(tags, "2 - 1", false)
        .expect("valid")
        .chosen
        .is_none());
    // `<= 2` is a partial upper bound: everything below 3.0.0.
    assert_eq!(
        select_tag(tags, "* - 2", false)
            .expect("valid")
            .chosen
            .map(|c| c.tag),
        Some("2.1.0")
    );
}

#[test]
fn oci_no_strict_tags_means_no_candidates_before_parsing() {
    let pick = select_tag(["latest", "v1.0.0"], "latest", false).expect("not parsed");
    assert!(pick.candidates.is_empty() && pick.chosen.is_none());
    assert_eq!(pick.skipped.len(), 2);
}

#[test]
fn oci_exact_string_match_comes_first() {
    // A lenient request is normally used as the tag directly; select_tag still follows
    // GetTagMatchingVersionOrConstraint for it: exact string first, then as a range.
    let pick = select_tag(["1.2.5", "1.2.0"], "1.2.0", false).expect("ok");
    assert_eq!(pick.chosen.map(|c| c.tag), Some("1.2.0"));
    let pick = select_tag(["1.2.5", "1.2.0"], "1.2", false).expect("ok");
    assert_eq!(pick.chosen.map(|c| c.tag), Some("1.2.5"));
}

// ---- §5.3 index.yaml selection -----------------------------------------------------------
#[test]
fn index_selection() {
    let versions = ["2.0.0-rc.1", "1.10.0", "1.9.0", "v1.2", "not-a-version"];
    assert_eq!(select_version(versions, "").expect("ok"), Some(1));
    assert_eq!(select_version(versions, ">0.0.0-0").expect("ok"), Some(0));
    assert_eq!(select_version(versions, "v1.2").expect("ok"), Some(3));
    assert_eq!(select_version(versions, "1.2.0").expect("ok"), Some(3));
    assert_eq!(select_version(versions, "^1.9").expect("ok"), Some(1));
    assert_eq!(select_version(versions, "~3").expect("ok"), None);
    assert!(select_version(versions, "not-a-version").is_err());
}
