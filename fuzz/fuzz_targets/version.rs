//! Versions and constraints: first line a constraint, the other lines versions (and tags).
//! Nothing panics; a version re-parses from its display to an equal version; a constraint
//! re-parses from its canonical form and from its text, and both decide every version as
//! the original does; `matches` agrees for a version and its displayed form; tag selection
//! only picks a tag that parses.
#![no_main]

use helmoci_core::version::{select_tag, ChartVersion, VersionReq};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let constraint = lines.next().unwrap_or("");
    let tags: Vec<&str> = lines.take(32).collect();
    let mut versions: Vec<ChartVersion> = Vec::new();
    for t in &tags {
        let strict = ChartVersion::parse_strict(t);
        if let Ok(v) = t.parse::<ChartVersion>() {
            let shown = v.to_string();
            let back: ChartVersion = shown
                .parse()
                .unwrap_or_else(|e| panic!("{t:?} displays as {shown:?}, which fails: {e}"));
            assert_eq!(
                back.cmp(&v),
                std::cmp::Ordering::Equal,
                "{t:?} vs {shown:?}"
            );
            assert_eq!(back.to_string(), shown);
            versions.push(v);
        } else {
            assert!(
                strict.is_err(),
                "{t:?}: strict accepts what lenient rejects"
            );
        }
    }
    // Ordering is total and consistent.
    for a in &versions {
        for b in &versions {
            assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} {b:?}");
        }
    }
    let Ok(req) = constraint.parse::<VersionReq>() else {
        return;
    };
    let canonical = req.canonical();
    let from_canonical: VersionReq = canonical.parse().unwrap_or_else(|e| {
        panic!("{constraint:?}: canonical form {canonical:?} does not parse: {e}")
    });
    let from_text: VersionReq = req.to_string().parse().expect("display re-parses");
    for v in &versions {
        let m = req.matches(v);
        assert_eq!(
            from_canonical.matches(v),
            m,
            "{constraint:?} vs canonical {canonical:?} on {v:?}"
        );
        assert_eq!(from_text.matches(v), m);
        let shown: ChartVersion = v.to_string().parse().unwrap();
        assert_eq!(
            req.matches(&shown),
            m,
            "{constraint:?} on {v:?} vs {shown:?}"
        );
    }
    for devel in [false, true] {
        if let Ok(sel) = select_tag(tags.iter().copied(), constraint, devel) {
            if let Some(chosen) = &sel.chosen {
                assert!(
                    tags.contains(&chosen.tag),
                    "chose an unlisted tag {chosen:?}"
                );
                assert!(
                    sel.candidates.contains(chosen),
                    "chose a non-candidate {chosen:?}"
                );
                assert!(
                    ChartVersion::parse_strict(&chosen.tag.replace('_', "+")).is_ok(),
                    "chose a tag Helm's strict parse rejects: {chosen:?}"
                );
            }
            for w in sel.candidates.windows(2) {
                assert!(w[0].version >= w[1].version, "candidates not highest first");
            }
        }
    }
});
