//! `.helmignore` semantics, one named test per row (HELM-FACTS §3, Helm's
//! `pkg/ignore/rules_test.go`, and Go's `filepath.Match` corners).

use helmoci_core::ignore::IgnoreRules;
use helmoci_core::Error;

/// `ignored!(name, rules, path, is_dir)`: the rules ignore the entry.
macro_rules! ignored {
    ($name:ident, $rules:expr, $path:expr, $is_dir:expr) => {
        #[test]
        fn $name() {
            let rules = IgnoreRules::parse($rules).expect("rules in this table are valid");
            assert!(
                rules.ignores($path, $is_dir),
                "{:?} should ignore {:?} (dir: {})",
                $rules,
                $path,
                $is_dir
            );
        }
    };
}

/// `not_ignored!(name, rules, path, is_dir)`: the rules keep the entry.
macro_rules! not_ignored {
    ($name:ident, $rules:expr, $path:expr, $is_dir:expr) => {
        #[test]
        fn $name() {
            let rules = IgnoreRules::parse($rules).expect("rules in this table are valid");
            assert!(
                !rules.ignores($path, $is_dir),
                "{:?} should keep {:?} (dir: {})",
                $rules,
                $path,
                $is_dir
            );
        }
    };
}

/// `bad_rules!(name, rules, line, variant)`: parsing fails at that line.
macro_rules! bad_rules {
    ($name:ident, $rules:expr, $line:expr, $variant:ident) => {
        #[test]
        fn $name() {
            match IgnoreRules::parse($rules) {
                Err(Error::$variant { line, .. }) => assert_eq!(line, $line),
                other => panic!(
                    "{:?}: expected {} at line {}, got {other:?}",
                    $rules,
                    stringify!($variant),
                    $line
                ),
            }
        }
    };
}

// ---- HELM-FACTS §3 table ------------------------------------------------------------
ignored!(
    facts_star_txt_matches_basename_at_depth,
    "*.txt",
    "docs/a.txt",
    false
);
not_ignored!(
    facts_star_never_crosses_slash,
    "docs/*.txt",
    "docs/sub/a.txt",
    false
);
not_ignored!(
    facts_leading_slash_anchors_to_root,
    "/a.txt",
    "sub/a.txt",
    false
);
not_ignored!(facts_dir_rule_skips_file, "tmp/", "tmp", false);
ignored!(facts_dir_rule_matches_dir, "tmp/", "tmp", true);
ignored!(
    facts_negation_ignores_everything_else,
    "!keep.txt",
    "values.yaml",
    false
);
ignored!(
    facts_negated_dir_rule_ignores_any_file,
    "!tmp/",
    "values.yaml",
    false
);
ignored!(
    facts_negated_dir_rule_ignores_file_named_like_it,
    "!tmp/",
    "tmp",
    false
);
ignored!(
    facts_default_rule_drops_templates_dotfile,
    "",
    "templates/.gitkeep",
    false
);
not_ignored!(
    facts_git_dir_is_packaged_unless_listed,
    "",
    ".git/config",
    false
);
not_ignored!(facts_git_dir_itself_kept, "", ".git", true);

// ---- Helm's rules_test.go -----------------------------------------------------------
ignored!(helm_literal, "helm.txt", "helm.txt", false);
ignored!(helm_star_suffix, "helm.*", "helm.txt", false);
not_ignored!(helm_star_suffix_other_name, "helm.*", "rudder.txt", false);
ignored!(helm_star_txt, "*.txt", "tiller.txt", false);
ignored!(helm_star_txt_in_dir, "*.txt", "cargo/a.txt", false);
ignored!(helm_dir_star_txt, "cargo/*.txt", "cargo/a.txt", false);
ignored!(helm_dir_star_dot_star, "cargo/*.*", "cargo/a.txt", false);
not_ignored!(
    helm_dir_star_txt_other_dir,
    "cargo/*.txt",
    "mast/a.txt",
    false
);
ignored!(
    helm_class_and_question,
    "ru[c-e]?er.txt",
    "rudder.txt",
    false
);
ignored!(
    helm_default_rule_literal,
    "templates/.?*",
    "templates/.dotfile",
    false
);
not_ignored!(helm_dot_never_ignored, ".*", ".", true);
not_ignored!(helm_dot_slash_never_ignored, ".*", "./", true);
ignored!(helm_dot_star_matches_dotfile, ".*", ".joonix", false);
not_ignored!(helm_dot_star_skips_plain_file, ".*", "helm.txt", false);
not_ignored!(helm_empty_path_never_ignored, ".*", "", false);
ignored!(helm_dir_rule, "cargo/", "cargo", true);
ignored!(helm_dir_rule_trailing_slash_path, "cargo/", "cargo/", true);
not_ignored!(helm_dir_rule_other_dir, "cargo/", "mast/", true);
not_ignored!(helm_dir_rule_on_file, "helm.txt/", "helm.txt", false);
not_ignored!(helm_negation_keeps_match, "!helm.txt", "helm.txt", false);
ignored!(
    helm_negation_ignores_other,
    "!helm.txt",
    "tiller.txt",
    false
);
ignored!(helm_negation_ignores_dir, "!*.txt", "cargo", true);
ignored!(helm_negated_dir_rule_other_dir, "!cargo/", "mast/", true);
ignored!(helm_absolute, "/a.txt", "a.txt", false);
not_ignored!(helm_absolute_not_nested, "/a.txt", "cargo/a.txt", false);
ignored!(helm_absolute_with_dir, "/cargo/a.txt", "cargo/a.txt", false);

// ---- basename vs. path --------------------------------------------------------------
ignored!(
    basename_matches_deep_file,
    "secret.yaml",
    "templates/deep/er/secret.yaml",
    false
);
ignored!(
    basename_matches_directory,
    "build",
    "charts/sub/build",
    true
);
ignored!(basename_matches_file_and_dir_alike, "build", "build", false);
not_ignored!(
    path_pattern_is_anchored,
    "templates/a.yaml",
    "charts/sub/templates/a.yaml",
    false
);
ignored!(
    path_pattern_reaches_subchart,
    "charts/sub/values.yaml",
    "charts/sub/values.yaml",
    false
);
ignored!(
    path_pattern_with_star_dir,
    "*/values.yaml",
    "charts/values.yaml",
    false
);
not_ignored!(
    path_pattern_star_dir_one_level_only,
    "*/values.yaml",
    "charts/sub/values.yaml",
    false
);
not_ignored!(
    path_pattern_does_not_match_parent_prefix,
    "templates",
    "templates/a.yaml",
    false
);
not_ignored!(
    dir_path_pattern_does_not_match_children,
    "docs/",
    "docs/a.txt",
    false
);
ignored!(
    nested_dir_pattern,
    "charts/sub/tests/",
    "charts/sub/tests",
    true
);
ignored!(leading_slash_dir_rule, "/tmp/", "tmp", true);
not_ignored!(leading_slash_dir_rule_nested, "/tmp/", "a/tmp", true);
ignored!(leading_slash_glob, "/*.md", "README.md", false);
not_ignored!(
    leading_slash_glob_not_nested,
    "/*.md",
    "docs/README.md",
    false
);
not_ignored!(
    star_alone_is_basename_but_spares_root_markers,
    "*",
    ".",
    true
);
ignored!(star_alone_ignores_chart_yaml, "*", "Chart.yaml", false);
ignored!(star_alone_ignores_nested, "*", "templates/a/b.yaml", false);

// ---- Go glob corners ----------------------------------------------------------------
ignored!(question_mark_one_char, "?.txt", "a.txt", false);
not_ignored!(question_mark_not_two_chars, "?.txt", "ab.txt", false);
ignored!(question_mark_one_multibyte_char, "?.txt", "é.txt", false);
not_ignored!(question_never_crosses_slash, "a?b", "a/b", false);
ignored!(class_range, "file[0-9].txt", "file7.txt", false);
not_ignored!(class_range_miss, "file[0-9].txt", "filex.txt", false);
ignored!(class_negated, "file[^0-9].txt", "filex.txt", false);
not_ignored!(class_negated_miss, "file[^0-9].txt", "file1.txt", false);
ignored!(class_bang_is_literal, "file[!0-9].txt", "file!.txt", false);
ignored!(
    class_bang_matches_listed_digit,
    "file[!0-9].txt",
    "file5.txt",
    false
);
ignored!(class_unicode_range, "[α-ω].txt", "λ.txt", false);
ignored!(class_escaped_bracket, "[\\]]x", "]x", false);
ignored!(class_open_bracket_literal, "[[]x].txt", "[x].txt", false);
ignored!(escaped_star_is_literal, "a\\*b", "a*b", false);
not_ignored!(escaped_star_not_wildcard, "a\\*b", "axb", false);
ignored!(
    escaped_bang_is_literal_bang,
    "\\!important.txt",
    "!important.txt",
    false
);
not_ignored!(
    escaped_bang_is_not_negation,
    "\\!important.txt",
    "values.yaml",
    false
);
ignored!(escaped_hash_is_literal_hash, "\\#notes", "#notes", false);
ignored!(braces_are_literal, "{a,b}.txt", "{a,b}.txt", false);
not_ignored!(braces_do_not_alternate, "{a,b}.txt", "a.txt", false);
ignored!(star_in_middle, "a*z.txt", "abcz.txt", false);
ignored!(several_stars, "a*b*c", "aXbYbZc", false);
ignored!(star_matches_empty, "values*.yaml", "values.yaml", false);
ignored!(tilde_backup_files, "*~", "templates/cm.yaml~", false);
ignored!(space_inside_pattern, "my file.txt", "my file.txt", false);

// ---- line handling ------------------------------------------------------------------
ignored!(lines_are_trimmed, "   *.bak   \t", "a.bak", false);
ignored!(crlf_lines, "*.bak\r\n*.tmp\r\n", "x.tmp", false);
not_ignored!(comment_lines_skipped, "# *.yaml\n", "values.yaml", false);
not_ignored!(
    indented_comment_skipped,
    "   # *.yaml\n",
    "values.yaml",
    false
);
not_ignored!(no_inline_comments, "*.bak # backups", "a.bak", false);
ignored!(
    no_inline_comments_literal,
    "*.bak # backups",
    "a.bak # backups",
    false
);
ignored!(
    bom_on_first_line_is_stripped,
    "\u{feff}*.bak\n",
    "x.bak",
    false
);
not_ignored!(
    bom_on_later_line_is_kept,
    "a\n\u{feff}*.bak\n",
    "x.bak",
    false
);
ignored!(
    bom_on_later_line_matches_bom_name,
    "a\n\u{feff}*.bak\n",
    "\u{feff}x.bak",
    false
);
ignored!(blank_lines_between_rules, "\n\n*.bak\n\n", "x.bak", false);

// ---- rule order and negation --------------------------------------------------------
not_ignored!(
    negation_first_keeps_match_then_next_rule,
    "!*.yaml\n*.txt",
    "values.yaml",
    false
);
ignored!(
    negation_first_decides_for_others,
    "!*.yaml\n*.txt",
    "README.md",
    false
);
ignored!(
    positive_rule_before_negation_wins,
    "*.yaml\n!values.yaml",
    "values.yaml",
    false
);
ignored!(
    negation_of_dir_ignores_all_files,
    "!templates/",
    "templates/a.yaml",
    false
);
not_ignored!(
    negation_of_dir_keeps_that_dir,
    "!templates/",
    "templates",
    true
);
ignored!(negation_prunes_parent_dirs, "!keep.txt", "templates", true);
ignored!(
    negation_cannot_rescue_template_dotfiles,
    "!.keep",
    "templates/.keep",
    false
);
ignored!(default_rule_drops_dot_dir, "", "templates/.git", true);
not_ignored!(
    default_rule_spares_nested_dotfile,
    "",
    "templates/sub/.x",
    false
);
not_ignored!(
    default_rule_spares_subchart_templates,
    "",
    "charts/sub/templates/.x",
    false
);
not_ignored!(default_rule_needs_two_chars, "", "templates/.", false);
not_ignored!(
    default_rule_spares_plain_template,
    "",
    "templates/a.yaml",
    false
);
ignored!(bang_alone_ignores_everything, "!", "values.yaml", false);
ignored!(bang_slash_ignores_dirs, "!/", "templates", true);
not_ignored!(slash_alone_matches_nothing, "/", "templates", true);
not_ignored!(
    dir_rule_reverted_glob_invalid_matches_nothing,
    "a\\/",
    "a\\",
    true
);
ignored!(
    negated_invalid_after_strip_ignores_everything,
    "!a\\/",
    "a",
    true
);

// ---- bad rules ----------------------------------------------------------------------
bad_rules!(double_star_fails, "foo/**/bar", 1, IgnoreDoubleStar);
bad_rules!(double_star_alone_fails, "**", 1, IgnoreDoubleStar);
bad_rules!(double_star_in_class_fails, "[**]", 1, IgnoreDoubleStar);
bad_rules!(
    double_star_reports_its_line,
    "ok\n# c\n\na/**",
    4,
    IgnoreDoubleStar
);
bad_rules!(unclosed_range_fails, "[z-", 1, IgnorePattern);
bad_rules!(unclosed_class_fails, "a[", 1, IgnorePattern);
bad_rules!(empty_class_fails, "[]a]", 1, IgnorePattern);
bad_rules!(trailing_backslash_fails, "abc\\", 1, IgnorePattern);
bad_rules!(dash_first_in_class_fails, "[-x]", 1, IgnorePattern);
bad_rules!(negated_bad_glob_fails, "![", 1, IgnorePattern);
bad_rules!(
    bad_glob_after_no_match_chunk_fails,
    "zzz*[",
    1,
    IgnorePattern
);
bad_rules!(first_bad_line_wins, "ok\n[\n**\n", 2, IgnorePattern);

#[test]
fn empty_rules_ignore_nothing() {
    let rules = IgnoreRules::empty();
    for p in ["templates/.x", "Chart.yaml", ".git"] {
        assert!(!rules.ignores(p, false));
    }
}

#[test]
fn empty_file_has_only_the_default_rule() {
    let rules = IgnoreRules::parse("").expect("empty is fine");
    assert_eq!(rules, IgnoreRules::default());
    assert_eq!(rules.patterns().collect::<Vec<_>>(), ["templates/.?*"]);
}

#[test]
fn non_utf8_rules_and_paths() {
    let rules = IgnoreRules::parse_bytes(b"caf\xe9.txt\n").expect("bytes are fine");
    assert!(rules.ignores_bytes(b"docs/caf\xe9.txt", false));
    assert!(!rules.ignores("docs/café.txt", false));
}

#[test]
fn error_messages_name_line_and_fix() {
    let err = IgnoreRules::parse("a/**/b").expect_err("double star");
    assert_eq!(
        err.to_string(),
        ".helmignore:1: `a/**/b`: double-star (**) syntax is not supported (Helm matches with Go's filepath.Match); write the directory as `name/` instead"
    );
    let err = IgnoreRules::parse("x\n[").expect_err("bad glob");
    assert!(
        err.to_string()
            .starts_with(".helmignore:2: `[`: syntax error in pattern"),
        "{err}"
    );
}

#[test]
fn error_is_send_sync_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Error>();
}
