//! Packaging progress: monotonic, ends at the chart's content size, same bytes as without.

use std::sync::{Arc, Mutex};

use helmoci_core::load::{load_dir, LoadOptions};
use helmoci_core::package::{package, PackageOptions, PackageProgress};
use helmoci_core::time::Timestamp;

#[test]
fn progress_is_monotonic_ends_at_the_content_size_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("big");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: big\nversion: 1.0.0\n",
    )
    .unwrap();
    let mut x: u64 = 7;
    for i in 0..8 {
        let text: String = (0..200_000)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                char::from(b'a' + (x >> 60) as u8)
            })
            .collect();
        std::fs::write(chart.join(format!("templates/t{i}.yaml")), text).unwrap();
    }
    let base = PackageOptions {
        mtime: Some(Timestamp::from_unix(1_700_000_000)),
        ..PackageOptions::default()
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let with = PackageOptions {
        destination: dir.path().join("with"),
        progress: Some(PackageProgress::new(move |done, total| {
            s.lock().unwrap().push((done, total))
        })),
        ..base.clone()
    };
    let without = PackageOptions {
        destination: dir.path().join("without"),
        ..base
    };
    let a = package(&chart, &with).unwrap();
    let b = package(&chart, &without).unwrap();
    assert_eq!(a.digest, b.digest, "progress changed the archive");

    let total = load_dir(&chart, &LoadOptions::default())
        .unwrap()
        .content_size();
    assert_eq!(total, 1_600_000);
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 3, "too few reports: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert!(seen.iter().all(|&(d, t)| t == total && d <= t), "{seen:?}");
    assert_eq!(seen.last(), Some(&(total, total)));
}
