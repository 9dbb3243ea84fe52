//! Replays, on stable, every input under `tests/fixtures/fuzzed/` that a fuzz target in
//! `fuzz/` once crashed on or broke an invariant with (the gitoxide `fuzzed.rs` pattern).
//! The file name's prefix (`<target>-…`) picks the checks, which mirror the target's.

use std::io::Write;
use std::path::Path;

use helmoci_core::archive::{read_archive, Limits};
use helmoci_core::ignore::IgnoreRules;
use helmoci_core::index::IndexFile;
use helmoci_core::load::{load_archive, LoadOptions};
use helmoci_core::lock::Lock;
use helmoci_core::metadata::ChartMetadata;
use helmoci_core::value::Value;
use helmoci_core::version::{select_tag, ChartVersion, VersionReq};

/// Whether `v` holds a whole float (`2.0`, `0e-7`): Helm writes it as an integer (`2`), as
/// Go's yaml and JSON encoders do, so it reads back as one — a round trip Helm changes too.
fn has_whole_float(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.fract() == 0.0,
        Value::Seq(items) => items.iter().any(has_whole_float),
        Value::Map(m) => m.values().any(has_whole_float),
        _ => false,
    }
}

fn chart_yaml(data: &[u8]) {
    let _ = helmoci_core::yaml::parse(data, "Chart.yaml");
    if let Ok((md, _)) = ChartMetadata::from_yaml(data, "Chart.yaml") {
        let yaml = md.to_yaml();
        let lossy = format!("{md:?}").contains("\\u{85}")
            || md
                .dependencies
                .iter()
                .any(|d| d.import_values.iter().any(has_whole_float));
        // A `<<` key is written plain, as yaml.v2 writes it, and so reads back as a merge
        // key: Helm's own round trip breaks there identically (see yaml/tests.rs).
        if yaml.contains("<<:") {
            return;
        }
        let (again, _) = ChartMetadata::from_yaml(yaml.as_bytes(), "Chart.yaml").unwrap();
        // Helm's writer is lossy where it is (a raw NEL folds to a blank, as JSON then
        // yaml.v2 do; a whole float is written as an integer): what it writes must read
        // back to itself.
        if !lossy {
            assert_eq!(again, md, "{yaml}");
        }
        assert_eq!(again.to_yaml(), yaml);
        let json = md.to_config_json();
        if let (false, Ok((from_json, _))) = (
            lossy,
            ChartMetadata::from_yaml(json.as_bytes(), "config.json"),
        ) {
            assert_eq!(from_json.to_config_json(), json);
        }
    }
}

fn helmignore(data: &[u8]) {
    let (rules, paths) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"templates/a.yaml\n.git/\nx/y/z.bak\n"[..]),
    };
    let Ok(parsed) = IgnoreRules::parse_bytes(rules) else {
        return;
    };
    let listed: Vec<String> = parsed.patterns().map(|p| p.into_owned()).collect();
    let relisted = listed[..listed.len().saturating_sub(1)].join("\n");
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
        if let (true, Some(again)) = (std::str::from_utf8(rules).is_ok(), &again) {
            assert_eq!(again.ignores_bytes(path, is_dir), verdict, "{relisted:?}");
        }
    }
}

fn version(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let constraint = lines.next().unwrap_or("");
    let tags: Vec<&str> = lines.take(32).collect();
    let mut versions = Vec::new();
    for t in &tags {
        if let Ok(v) = t.parse::<ChartVersion>() {
            let back: ChartVersion = v.to_string().parse().unwrap();
            assert_eq!(back.cmp(&v), std::cmp::Ordering::Equal, "{t:?}");
            versions.push(v);
        } else {
            assert!(ChartVersion::parse_strict(t).is_err(), "{t:?}");
        }
    }
    if let Ok(req) = constraint.parse::<VersionReq>() {
        let canonical: VersionReq = req.canonical().parse().unwrap();
        for v in &versions {
            assert_eq!(canonical.matches(v), req.matches(v), "{constraint:?} {v:?}");
        }
    }
    for devel in [false, true] {
        if let Ok(sel) = select_tag(tags.iter().copied(), constraint, devel) {
            if let Some(chosen) = &sel.chosen {
                assert!(sel.candidates.contains(chosen));
            }
        }
    }
}

fn archive(data: &[u8]) {
    let limits = Limits {
        max_chart_size: 1 << 20,
        max_file_size: 256 << 10,
    };
    let input: Vec<u8> = match data.first() {
        Some(0x1f) | None => data.to_vec(),
        Some(_) => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&data[1..]).unwrap();
            gz.finish().unwrap()
        }
    };
    let mut total = 0;
    let mut short = false;
    let read = read_archive("fuzz.tgz", &input[..], &limits, |entry, r| {
        let n = std::io::copy(r, &mut std::io::sink()).map_err(|source| {
            helmoci_core::Error::ArchiveCorrupt {
                archive: "fuzz.tgz".into(),
                source,
            }
        })?;
        short |= n != entry.size;
        assert!(n <= entry.size);
        assert!(n <= limits.max_file_size);
        total += n;
        assert!(!entry.path.split('/').any(|c| c == ".." || c.is_empty()));
        Ok(())
    });
    if read.is_ok() {
        assert!(!short);
        assert!(total < limits.max_chart_size);
    }
    if load_archive(&input[..], "fuzz.tgz", &LoadOptions { limits }).is_ok() {
        assert!(read.is_ok());
    }
}

fn index_yaml(data: &[u8]) {
    if let Ok(index) = IndexFile::parse(data, "index.yaml") {
        let yaml = index.to_yaml();
        let again = IndexFile::parse(yaml.as_bytes(), "index.yaml").unwrap();
        assert_eq!(again.to_yaml(), yaml);
        let from_json = IndexFile::parse(index.to_json().as_bytes(), "index.json").unwrap();
        assert_eq!(from_json.to_yaml(), yaml);
    }
}

fn chart_lock(data: &[u8]) {
    if let Ok(lock) = Lock::from_yaml(data, "Chart.lock") {
        let yaml = lock.to_yaml();
        let again = Lock::from_yaml(yaml.as_bytes(), "Chart.lock").unwrap();
        assert_eq!(again.to_yaml(), yaml);
        // A lock without `generated` is written with Go's zero time, as Helm does.
        if !lock.generated.is_empty() {
            assert_eq!(again, lock);
        }
    }
}

/// The checks of fuzz target `target`.
fn checks(target: &str) -> Option<fn(&[u8])> {
    Some(match target {
        "chart_yaml" => chart_yaml,
        "helmignore" => helmignore,
        "version" => version,
        "archive" => archive,
        "index_yaml" => index_yaml,
        "chart_lock" => chart_lock,
        _ => return None,
    })
}

#[test]
fn every_fuzzed_input_replays_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzzed");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    for name in &names {
        let data = std::fs::read(dir.join(name)).unwrap();
        let (target, _) = name.split_once('-').unwrap_or((name, ""));
        let check =
            checks(target).unwrap_or_else(|| panic!("{name}: unknown fuzz target {target:?}"));
        eprintln!("replaying {name}");
        check(&data);
    }
}

/// After a parser or writer change: every input of the local fuzz corpora
/// (`fuzz/corpus/<target>/`, grown by `scripts/fuzz.sh`, not committed) through the same
/// checks, on stable, in seconds. `cargo test -p helmoci-core --test fuzzed -- --ignored`
#[test]
#[ignore = "needs the local fuzz corpora (fuzz/corpus is not committed)"]
fn local_fuzz_corpora_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&root).expect("fuzz/corpus: run scripts/fuzz.sh first") {
        let dir = entry.unwrap().path();
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(check) = checks(&target) else {
            continue;
        };
        for input in std::fs::read_dir(&dir).unwrap() {
            let path = input.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let run = std::panic::catch_unwind(|| check(&data));
            assert!(run.is_ok(), "{} breaks the {target} checks", path.display());
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} corpus inputs");
    assert!(replayed > 0);
}
