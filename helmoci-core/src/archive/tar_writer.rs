//! A tar writer that produces exactly the bytes Go's `archive/tar` writes for `helm package`.
//!
//! Helm writes one regular-file header per entry (no directories): mode `0644`, uid/gid 0,
//! empty user and group names, USTAR magic, the mtime rounded to whole seconds. Names over
//! 100 bytes are split into USTAR prefix and name at a `/`; names that cannot be split, or
//! that contain non-ASCII, get a PAX `x` header (`<dir>/PaxHeaders.0/<base>`) with a `path`
//! record first. The archive ends with two zero blocks and no further padding.

use std::io::{self, Write};

const BLOCK: usize = 512;
const NAME_SIZE: usize = 100;
const PREFIX_SIZE: usize = 155;

/// Writes Helm-compatible tar entries to `W`.
#[derive(Debug)]
pub(crate) struct TarWriter<W: Write> {
    out: W,
}

impl<W: Write> TarWriter<W> {
    pub(crate) fn new(out: W) -> Self {
        TarWriter { out }
    }

    /// Writes the header of a regular file; the caller then writes exactly `size` bytes
    /// with [`write_data`](Self::write_data) and calls [`pad`](Self::pad).
    pub(crate) fn write_header(&mut self, name: &str, size: u64, mtime: i64) -> io::Result<()> {
        let ascii = name.is_ascii();
        if name.len() <= NAME_SIZE && ascii {
            let block = header(name, "", b'0', 0o644, size, mtime, true);
            return self.out.write_all(&block);
        }
        if let Some((prefix, suffix)) = split_ustar_path(name) {
            let block = header(suffix, prefix, b'0', 0o644, size, mtime, true);
            return self.out.write_all(&block);
        }
        // PAX extended header carrying the full path.
        let record = pax_record("path", name);
        let (dir, file) = match name.rfind('/') {
            Some(i) => (&name[..i], &name[i + 1..]),
            None => ("", name),
        };
        let pax_name = if dir.is_empty() {
            format!("PaxHeaders.0/{file}")
        } else {
            format!("{dir}/PaxHeaders.0/{file}")
        };
        let pax_name = truncate_ascii(&pax_name);
        let pax_name = pax_name.trim_end_matches('/');
        let block = header(pax_name, "", b'x', 0, record.len() as u64, 0, false);
        self.out.write_all(&block)?;
        self.out.write_all(record.as_bytes())?;
        self.pad(record.len() as u64)?;
        let block = header(&truncate_ascii(name), "", b'0', 0o644, size, mtime, true);
        self.out.write_all(&block)
    }

    /// The writer for an entry's data (exactly the `size` promised by the header).
    pub(crate) fn data_writer(&mut self) -> &mut W {
        &mut self.out
    }

    /// Pads the entry's data of `size` bytes to a whole block.
    pub(crate) fn pad(&mut self, size: u64) -> io::Result<()> {
        let rem = (size % BLOCK as u64) as usize;
        if rem != 0 {
            self.out.write_all(&[0u8; BLOCK][..BLOCK - rem])?;
        }
        Ok(())
    }

    /// Writes a whole entry.
    pub(crate) fn append(&mut self, name: &str, data: &[u8], mtime: i64) -> io::Result<()> {
        self.write_header(name, data.len() as u64, mtime)?;
        self.out.write_all(data)?;
        self.pad(data.len() as u64)
    }

    /// Writes the end-of-archive marker (two zero blocks) and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 2 * BLOCK])?;
        Ok(self.out)
    }
}

/// Go's `splitUSTARPath`.
fn split_ustar_path(name: &str) -> Option<(&str, &str)> {
    let mut length = name.len();
    if length <= NAME_SIZE || !name.is_ascii() {
        return None;
    } else if length > PREFIX_SIZE + 1 {
        length = PREFIX_SIZE + 1;
    } else if name.as_bytes()[length - 1] == b'/' {
        length -= 1;
    }
    let i = name[..length].rfind('/')?;
    let nlen = name.len() - i - 1;
    if i == 0 || nlen > NAME_SIZE || nlen == 0 || i > PREFIX_SIZE {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

/// Go's `toASCII` (drops non-ASCII characters) then the 100-byte cut of `formatString`.
fn truncate_ascii(s: &str) -> String {
    let mut out: String = s.chars().filter(char::is_ascii).collect();
    out.truncate(NAME_SIZE);
    out
}

/// One PAX record, `"<len> key=value\n"`, where `<len>` counts the whole record.
fn pax_record(key: &str, value: &str) -> String {
    let base = key.len() + value.len() + 3;
    let mut size = base + base.to_string().len();
    let mut record = format!("{size} {key}={value}\n");
    if record.len() != size {
        size = record.len();
        record = format!("{size} {key}={value}\n");
    }
    record
}

/// Go's `formatOctal`: zero-padded octal, NUL-terminated, filling the field.
fn octal(field: &mut [u8], value: u64) {
    let digits = format!("{value:o}");
    let width = field.len() - 1;
    let s = format!("{digits:0>width$}");
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
    if n < field.len() {
        field[n] = 0;
    }
}

fn header(
    name: &str,
    prefix: &str,
    typeflag: u8,
    mode: u64,
    size: u64,
    mtime: i64,
    devices: bool,
) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    let n = name.len().min(NAME_SIZE);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    octal(&mut b[100..108], mode);
    octal(&mut b[108..116], 0);
    octal(&mut b[116..124], 0);
    octal(&mut b[124..136], size);
    octal(&mut b[136..148], mtime.max(0) as u64);
    b[156] = typeflag;
    b[257..263].copy_from_slice(b"ustar\0");
    b[263..265].copy_from_slice(b"00");
    if devices {
        octal(&mut b[329..337], 0);
        octal(&mut b[337..345], 0);
    }
    let p = prefix.len().min(PREFIX_SIZE);
    b[345..345 + p].copy_from_slice(&prefix.as_bytes()[..p]);
    // Checksum: sum of all bytes with the checksum field read as spaces.
    b[148..156].copy_from_slice(b"        ");
    let sum: u64 = b.iter().map(|&x| u64::from(x)).sum();
    octal(&mut b[148..155], sum);
    b[155] = b' ';
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_counts_itself() {
        assert_eq!(pax_record("path", "a"), "9 path=a\n");
        assert_eq!(pax_record("path", "abc"), "12 path=abc\n");
        let long = "x".repeat(150);
        let r = pax_record("path", &long);
        assert_eq!(r.len().to_string(), r.split(' ').next().unwrap());
    }

    #[test]
    fn golden_demo_chart_tar_equals_helms() {
        // HELM-FACTS §4 golden vector: Helm's tar stream for the demo chart, all mtimes 1700000000.
        let mut w = TarWriter::new(Vec::new());
        let t = 1_700_000_000;
        w.append(
            "demo/Chart.yaml",
            b"apiVersion: v2\nappVersion: 1.16.0\ndescription: A Helm chart for Kubernetes\nname: demo\ntype: application\nversion: 0.1.0\n",
            t,
        )
        .unwrap();
        w.append("demo/values.yaml", b"replicaCount: 1\n", t)
            .unwrap();
        w.append(
            "demo/templates/cm.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
            t,
        )
        .unwrap();
        w.append("demo/.helmignore", b".git/\n", t).unwrap();
        let tar = w.finish().unwrap();
        assert_eq!(tar.len(), 5120);
        assert_eq!(
            crate::digest::Digest::sha256_of(&tar).hex(),
            "e5f0f566b4f020d0c799c15a12ab66abc4e2feeeb12f57f4883b5164be626dd0"
        );
    }

    #[test]
    fn splits_like_go() {
        let dir = "d".repeat(60);
        let name = format!("{dir}/{}", "f".repeat(60));
        assert_eq!(split_ustar_path(&name), Some((dir.as_str(), &name[61..])));
        assert_eq!(split_ustar_path("short"), None);
        // A final component over 100 bytes cannot be split.
        assert_eq!(split_ustar_path(&format!("a/{}", "f".repeat(101))), None);
        // Non-ASCII never splits.
        assert_eq!(split_ustar_path(&format!("é/{}", "f".repeat(101))), None);
    }

    #[test]
    fn header_fields_match_go() {
        let b = header("demo/Chart.yaml", "", b'0', 0o644, 5, 1_700_000_000, true);
        assert_eq!(&b[100..108], b"0000644\0");
        assert_eq!(&b[108..116], b"0000000\0");
        assert_eq!(&b[124..136], b"00000000005\0");
        assert_eq!(&b[136..148], b"14524770400\0");
        assert_eq!(&b[329..345], b"0000000\x000000000\0");
        assert_eq!(b[155], b' ');
        assert_eq!(b[154], 0);
    }
}
