//! Package a chart directory reproducibly, like `helm package`, and print what a pipeline
//! needs: the archive, its digest and size, and the archived metadata.
//!
//! ```text
//! cargo run -p helmoci-examples --example package_chart -- examples/charts/hello /tmp/dist
//! ```

use std::path::PathBuf;

use helmoci_core::package::{package, PackageOptions};
use helmoci_core::time::Timestamp;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let chart = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("charts/hello"));
    let dest = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let opts = PackageOptions {
        destination: dest,
        // Every entry gets this mtime, so the same sources always give the same bytes;
        // leave it `None` to honour SOURCE_DATE_EPOCH or keep the files' own mtimes.
        mtime: Some(Timestamp::from_unix(1_700_000_000)),
        ..PackageOptions::default()
    };
    let packaged = package(&chart, &opts)?;
    println!("archive  {}", packaged.path.display());
    println!("digest   {}", packaged.digest);
    println!("size     {}", packaged.size);
    println!(
        "chart    {} {}",
        packaged.metadata.name, packaged.metadata.version
    );
    Ok(())
}
