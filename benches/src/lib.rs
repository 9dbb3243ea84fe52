//! Synthetic charts for helmoci's benchmarks and the side-by-side comparison with Helm.
//!
//! Three sizes, as the issues specify: a small chart (~13 files, like `helm create`),
//! a chart of 2,000 templates, and an 80 MiB chart (20 files of 4 MiB, half compressible
//! text and half random bytes).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The benchmark charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// About 13 small files.
    Small,
    /// 2,000 templates of about 1 KiB.
    Templates2000,
    /// 20 files of 4 MiB (80 MiB), mixed compressible and random content.
    Big80MiB,
}

impl Size {
    /// All sizes, smallest first.
    pub const ALL: [Size; 3] = [Size::Small, Size::Templates2000, Size::Big80MiB];

    /// A short name used for directories and report rows.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Templates2000 => "templates2000",
            Size::Big80MiB => "big80mib",
        }
    }
}

/// A deterministic pseudo-random byte stream (xorshift), so every run builds the same chart.
fn noise(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn text(seed: usize, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut i = seed;
    while out.len() < len {
        out.extend_from_slice(
            format!(
                "  key{i}: value-{} # generated line {i}\n",
                i * 7919 % 10007
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(len);
    out
}

/// Writes the chart of `size` into `parent/<size name>/` (replacing it) and returns its path.
///
/// # Errors
/// I/O errors.
pub fn make_chart(parent: &Path, size: Size) -> io::Result<PathBuf> {
    let dir = parent.join(size.name());
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(dir.join("templates"))?;
    let chart_yaml = format!(
        "apiVersion: v2\nname: {}\ndescription: A benchmark chart\ntype: application\nversion: 1.0.0\nappVersion: \"1.0.0\"\n",
        size.name()
    );
    fs::write(dir.join("Chart.yaml"), chart_yaml)?;
    fs::write(dir.join(".helmignore"), ".git/\n*.bak\n")?;
    fs::write(dir.join("values.yaml"), text(0, 2_000))?;
    match size {
        Size::Small => {
            for name in [
                "deployment.yaml",
                "service.yaml",
                "ingress.yaml",
                "hpa.yaml",
                "serviceaccount.yaml",
                "_helpers.tpl",
                "NOTES.txt",
            ] {
                fs::write(dir.join("templates").join(name), text(name.len(), 1_500))?;
            }
            fs::create_dir_all(dir.join("templates/tests"))?;
            fs::write(
                dir.join("templates/tests/test-connection.yaml"),
                text(3, 600),
            )?;
            fs::write(dir.join("README.md"), text(4, 3_000))?;
            fs::write(dir.join("values.schema.json"), "{\"type\":\"object\"}\n")?;
        }
        Size::Templates2000 => {
            for i in 0..2_000 {
                let sub = dir.join(format!("templates/group{:02}", i % 20));
                fs::create_dir_all(&sub)?;
                fs::write(sub.join(format!("t{i:04}.yaml")), text(i, 1_024))?;
            }
        }
        Size::Big80MiB => {
            fs::create_dir_all(dir.join("files"))?;
            for i in 0..20u32 {
                let data = if i % 2 == 0 {
                    text(i as usize * 1000, 4 << 20)
                } else {
                    noise(i + 1, 4 << 20)
                };
                fs::write(dir.join(format!("files/blob{i:02}.bin")), data)?;
            }
        }
    }
    Ok(dir)
}
