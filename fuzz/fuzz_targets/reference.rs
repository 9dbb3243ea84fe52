//! `oci://` references, push targets and chart references: parsing never panics, and
//! parse → display → parse is the identity (and display is then stable).
#![no_main]

use helmoci_oci::reference::{ChartRef, Reference, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = text.parse::<Reference>() {
        let shown = r.to_string();
        let back: Reference = shown
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} displays as {shown:?}, which fails: {e}"));
        assert_eq!(back, r, "{text:?} -> {shown:?}");
        assert_eq!(back.to_string(), shown);
        let _ = (r.short(), r.endpoint(), r.name(), r.repository_only());
    }
    if let Ok(t) = text.parse::<Target>() {
        let shown = t.to_string();
        let back: Target = shown
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} displays as {shown:?}, which fails: {e}"));
        assert_eq!(back.to_string(), shown, "{text:?}");
    }
    if let Ok(c) = text.parse::<ChartRef>() {
        let shown = c.to_string();
        let back: ChartRef = shown
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} displays as {shown:?}, which fails: {e}"));
        assert_eq!(back, c, "{text:?} -> {shown:?}");
        let _ = (c.short(), c.without_version(), c.layout_path());
    }
});
