//! `.helmignore`: rules (before the first NUL byte) against paths (after it, one per
//! line; a trailing `/` marks a directory). Never panics; the rules as listed by
//! `patterns()` parse again into rules that decide every path the same way.
#![no_main]

use helmoci_core::ignore::IgnoreRules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rules, paths) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"templates/a.yaml\n.git/\nx/y/z.bak\n"[..]),
    };
    let Ok(parsed) = IgnoreRules::parse_bytes(rules) else {
        return;
    };
    let listed: Vec<String> = parsed.patterns().map(|p| p.into_owned()).collect();
    // `patterns()` ends with the default rule, which `parse` adds again by itself.
    let relisted = listed[..listed.len().saturating_sub(1)].join("\n");
    let lossless = std::str::from_utf8(rules).is_ok();
    // A leading BOM is stripped from the file, so a listed pattern starting with one
    // (the file had two) cannot be written back as the first line.
    let again = if relisted.starts_with('\u{feff}') {
        None
    } else {
        IgnoreRules::parse(&relisted).ok()
    };
    for line in paths.split(|&b| b == b'\n').take(64) {
        let (path, is_dir) = match line.strip_suffix(b"/") {
            Some(p) => (p, true),
            None => (line, false),
        };
        let verdict = parsed.ignores_bytes(path, is_dir);
        assert_eq!(
            verdict,
            parsed.ignores_bytes(path, is_dir),
            "not deterministic"
        );
        if let (true, Some(again)) = (lossless, &again) {
            assert_eq!(
                again.ignores_bytes(path, is_dir),
                verdict,
                "re-parsed rules {relisted:?} decide {:?} differently",
                String::from_utf8_lossy(path)
            );
        }
    }
});
