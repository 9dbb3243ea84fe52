//! Chart archives through `load_archive` with small limits. An input starting with the
//! gzip magic byte is loaded as is; any other input is taken as a tar stream (after its
//! first byte) and gzipped here first, so the fuzzer explores tar headers instead of
//! fighting CRCs. Never panics; whatever loads respects the limits and holds no unsafe path.
#![no_main]

use std::io::Write;

use helmoci_core::archive::{read_archive, Limits};
use helmoci_core::load::{load_archive, LoadOptions};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_chart_size: 1 << 20,
    max_file_size: 256 << 10,
};

fuzz_target!(|data: &[u8]| {
    let input: Vec<u8> = match data.first() {
        Some(0x1f) | None => data.to_vec(),
        Some(_) => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&data[1..]).unwrap();
            gz.finish().unwrap()
        }
    };
    let mut total = 0u64;
    let mut short = false;
    let read = read_archive("fuzz.tgz", &input[..], &LIMITS, |entry, r| {
        let n = std::io::copy(r, &mut std::io::sink()).map_err(|source| {
            helmoci_core::Error::ArchiveCorrupt {
                archive: "fuzz.tgz".into(),
                source,
            }
        })?;
        // A short entry is reported by `read_archive` once the visitor returns.
        short |= n != entry.size;
        assert!(
            n <= entry.size,
            "{entry:?}: reader yields more than the header size"
        );
        assert!(
            entry.size <= LIMITS.max_file_size,
            "{entry:?} over the file limit"
        );
        total += n;
        let p = &entry.path;
        assert!(
            !p.is_empty()
                && !p.starts_with('/')
                && !p.contains('\\')
                && !p.split('/').any(|c| c == ".." || c == "." || c.is_empty()),
            "unsafe path accepted: {p:?}"
        );
        Ok(())
    });
    if read.is_ok() {
        assert!(!short, "a short entry was accepted");
        assert!(
            total < LIMITS.max_chart_size,
            "total {total} over the chart limit"
        );
    }
    let opts = LoadOptions { limits: LIMITS };
    if let Ok(chart) = load_archive(&input[..], "fuzz.tgz", &opts) {
        assert!(
            read.is_ok(),
            "load accepted what read_archive rejected: {read:?}"
        );
        let _ = (chart.name(), chart.crds(), chart.readme());
    }
});
