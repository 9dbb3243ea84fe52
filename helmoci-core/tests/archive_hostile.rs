//! Hostile and malformed archives: each gets a typed error naming the rule, within bounded
//! time and memory; controls that must be accepted are accepted.

use std::io::Write;

use helmoci_core::archive::{read_archive, Limits};
use helmoci_core::load::{load_archive, LoadOptions};
use helmoci_core::Error;

/// One raw tar entry: a USTAR header with `name` written verbatim, then the data.
fn entry(name: &[u8], kind: tar::EntryType, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn file(name: &str, data: &[u8]) -> Vec<u8> {
    entry(name.as_bytes(), tar::EntryType::Regular, data)
}

/// A PAX `x` header carrying `path`, then a regular entry.
fn pax_file(path: &[u8], data: &[u8]) -> Vec<u8> {
    let mut record = Vec::new();
    let body_len = b" path=".len() + path.len() + 1;
    let mut len = body_len + body_len.to_string().len();
    if (len).to_string().len() != body_len.to_string().len() {
        len += 1;
    }
    record.extend_from_slice(len.to_string().as_bytes());
    record.extend_from_slice(b" path=");
    record.extend_from_slice(path);
    record.push(b'\n');
    let mut out = entry(b"PaxHeaders.0/x", tar::EntryType::XHeader, &record);
    out.extend(file("placeholder/x", data));
    out
}

fn tar_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut t: Vec<u8> = entries.concat();
    t.extend_from_slice(&[0u8; 1024]);
    t
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn chart_yaml() -> Vec<u8> {
    file(
        "demo/Chart.yaml",
        b"apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    )
}

fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<usize, Error> {
    read_archive(name, bytes, limits, |_, r| {
        std::io::copy(r, &mut std::io::sink())
            .map(|_| ())
            .map_err(|e| Error::ArchiveCorrupt {
                archive: name.into(),
                source: e,
            })
    })
}

fn reject(bytes: &[u8]) -> Error {
    read("hostile.tgz", bytes, &Limits::default()).expect_err("must be rejected")
}

macro_rules! rejected {
    ($name:ident, $bytes:expr, $pat:pat, $text:expr) => {
        #[test]
        fn $name() {
            let err = reject(&$bytes);
            assert!(matches!(err, $pat), "unexpected error: {err:?}");
            let mut msg = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                msg = format!("{msg}: {s}");
                source = s.source();
            }
            assert!(msg.contains($text), "{msg:?} should mention {:?}", $text);
        }
    };
}

use tar::EntryType as T;

rejected!(
    parent_dir,
    gz(&tar_of(&[chart_yaml(), file("demo/../evil", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "parent directory"
);
rejected!(
    parent_dir_after_cleaning,
    gz(&tar_of(&[
        chart_yaml(),
        file("demo/templates/../../x", b"x")
    ])),
    Error::ArchiveUnsafePath { .. },
    "parent directory"
);
rejected!(
    top_is_parent,
    gz(&tar_of(&[file("../Chart.yaml", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "parent directory"
);
rejected!(
    absolute,
    gz(&tar_of(&[file("/etc/passwd", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "absolute"
);
rejected!(
    symlink,
    gz(&tar_of(&[
        chart_yaml(),
        entry(b"demo/link", T::Symlink, b"")
    ])),
    Error::ArchiveEntryType { .. },
    "symbolic link"
);
rejected!(
    hard_link,
    gz(&tar_of(&[chart_yaml(), entry(b"demo/hard", T::Link, b"")])),
    Error::ArchiveEntryType { .. },
    "hard link"
);
rejected!(
    char_device,
    gz(&tar_of(&[chart_yaml(), entry(b"demo/tty", T::Char, b"")])),
    Error::ArchiveEntryType { .. },
    "character device"
);
rejected!(
    block_device,
    gz(&tar_of(&[chart_yaml(), entry(b"demo/sda", T::Block, b"")])),
    Error::ArchiveEntryType { .. },
    "block device"
);
rejected!(
    fifo,
    gz(&tar_of(&[chart_yaml(), entry(b"demo/pipe", T::Fifo, b"")])),
    Error::ArchiveEntryType { .. },
    "FIFO"
);
rejected!(
    duplicate,
    gz(&tar_of(&[
        chart_yaml(),
        file("demo/values.yaml", b"a: 1\n"),
        file("demo/values.yaml", b"a: 2\n")
    ])),
    Error::ArchiveUnsafePath { .. },
    "twice"
);
rejected!(
    duplicate_after_cleaning,
    gz(&tar_of(&[
        chart_yaml(),
        file("demo/a.txt", b"1"),
        file("demo/./a.txt", b"2")
    ])),
    Error::ArchiveUnsafePath { .. },
    "twice"
);
rejected!(
    two_top_dirs,
    gz(&tar_of(&[
        chart_yaml(),
        file("other/values.yaml", b"a: 1\n")
    ])),
    Error::ArchiveUnsafePath { .. },
    "one top directory"
);
rejected!(
    root_file,
    gz(&tar_of(&[file("README", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "outside the base directory"
);
rejected!(
    root_chart_yaml,
    gz(&tar_of(&[file("Chart.yaml", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "chart yaml not in base directory"
);
rejected!(
    backslash,
    gz(&tar_of(&[file("demo\\templates\\x.yaml", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "`\\`"
);
rejected!(
    drive_letter,
    gz(&tar_of(&[chart_yaml(), file("demo/c:/x", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "illegally named"
);
rejected!(
    non_utf8_name,
    gz(&tar_of(&[chart_yaml(), file_raw(b"demo/\xff\xfe.txt")])),
    Error::ArchiveUnsafePath { .. },
    "UTF-8"
);
rejected!(
    nul_in_pax_path,
    gz(&tar_of(&[chart_yaml(), pax_file(b"demo/a\0b", b"x")])),
    Error::ArchiveUnsafePath { .. },
    "NUL"
);
rejected!(
    pax_parent_dir,
    gz(&tar_of(&[
        chart_yaml(),
        pax_file(b"demo/../../etc/passwd", b"x")
    ])),
    Error::ArchiveUnsafePath { .. },
    "parent directory"
);
rejected!(
    not_gzip,
    *b"apiVersion: v2\nname: x\n",
    Error::NotGzip { .. },
    "gzipped"
);
rejected!(
    empty_input,
    Vec::<u8>::new(),
    Error::NotGzip { .. },
    "empty"
);
rejected!(
    truncated_gzip,
    {
        let g = gz(&tar_of(&[
            chart_yaml(),
            file("demo/values.yaml", &[b'a'; 10_000]),
        ]));
        g[..g.len() / 2].to_vec()
    },
    Error::ArchiveCorrupt { .. },
    "corrupt or truncated"
);
rejected!(
    truncated_tar,
    {
        let t = tar_of(&[chart_yaml(), file("demo/values.yaml", &[b'a'; 10_000])]);
        gz(&t[..3000])
    },
    Error::ArchiveCorrupt { .. },
    "corrupt or truncated"
);
rejected!(
    bad_crc,
    {
        let mut g = gz(&tar_of(&[chart_yaml()]));
        let n = g.len();
        g[n - 8] ^= 0xff;
        g
    },
    Error::ArchiveCorrupt { .. },
    "corrupt or truncated"
);
rejected!(
    only_directories,
    gz(&tar_of(&[
        entry(b"demo/", T::Directory, b""),
        entry(b"demo/templates/", T::Directory, b"")
    ])),
    Error::ArchiveEmpty { .. },
    "no files"
);
rejected!(
    no_entries,
    gz(&tar_of(&[])),
    Error::ArchiveEmpty { .. },
    "no files"
);
rejected!(
    file_over_limit,
    gz(&tar_of(&[
        chart_yaml(),
        file("demo/big.bin", &vec![0u8; 5 * 1024 * 1024 + 1])
    ])),
    Error::ArchiveFileTooLarge { .. },
    "maximum file size 5242880"
);
rejected!(
    sparse,
    gz(&tar_of(&[
        chart_yaml(),
        entry(b"demo/sparse", T::GNUSparse, b"")
    ])),
    Error::ArchiveEntryType { .. } | Error::ArchiveCorrupt { .. },
    "sparse"
);
rejected!(
    garbage_gzip_header,
    {
        let mut g = gz(&tar_of(&[chart_yaml()]));
        g[3] = 0xe0;
        g
    },
    Error::ArchiveCorrupt { .. },
    "corrupt"
);

fn file_raw(name: &[u8]) -> Vec<u8> {
    entry(name, T::Regular, b"x")
}

#[test]
fn decompression_bomb_stops_at_the_total_limit() {
    // 21 files of 5 MiB of zeros: about 100 KiB compressed, 105 MiB decompressed.
    let mut entries = vec![chart_yaml()];
    for i in 0..21 {
        entries.push(file(&format!("demo/z{i}"), &vec![0u8; 5 * 1024 * 1024]));
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&tar_of(&entries)).unwrap();
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 1_000_000);
    let err = reject(&bomb);
    assert!(
        matches!(
            err,
            Error::ChartTooLarge {
                limit: 104_857_600,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("maximum size 104857600"));
}

#[test]
fn total_must_stay_strictly_below_the_limit() {
    let limits = Limits {
        max_chart_size: 1000,
        max_file_size: 1000,
    };
    let exactly = gz(&tar_of(&[
        file("demo/a", &[1u8; 600]),
        file("demo/b", &[1u8; 400]),
    ]));
    assert!(matches!(
        read("t.tgz", &exactly, &limits),
        Err(Error::ChartTooLarge { limit: 1000, .. })
    ));
    let below = gz(&tar_of(&[
        file("demo/a", &[1u8; 600]),
        file("demo/b", &[1u8; 399]),
    ]));
    assert_eq!(read("t.tgz", &below, &limits).unwrap(), 2);
}

#[test]
fn a_file_of_exactly_the_file_limit_is_accepted() {
    let ok = gz(&tar_of(&[
        chart_yaml(),
        file("demo/five", &vec![7u8; 5 * 1024 * 1024]),
    ]));
    assert_eq!(read("ok.tgz", &ok, &Limits::default()).unwrap(), 2);
}

#[test]
fn header_allowance_caps_a_pax_extension_bomb() {
    // A PAX header that claims 200 MiB of extension data: capped, not buffered.
    let mut h = tar::Header::new_ustar();
    h.set_size(200 * 1024 * 1024);
    h.set_entry_type(T::XHeader);
    h.as_old_mut().name[..5].copy_from_slice(b"demo/");
    h.set_cksum();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(h.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    let err = reject(&enc.finish().unwrap());
    assert!(
        matches!(
            err,
            Error::ChartTooLarge { .. } | Error::ArchiveCorrupt { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn controls_are_accepted() {
    // Directory entries, `./` components, a PAX long name, and 10,000 tiny files.
    let mut entries = vec![
        entry(b"demo/", T::Directory, b""),
        chart_yaml(),
        file("demo/./templates/x.yaml", b"kind: x\n"),
        pax_file(
            format!("demo/files/{}", "n".repeat(200)).as_bytes(),
            b"long\n",
        ),
    ];
    for i in 0..10_000 {
        entries.push(file(&format!("demo/files/f{i}"), b"tiny\n"));
    }
    let archive = gz(&tar_of(&entries));
    let mut names = Vec::new();
    let n = read_archive("ok.tgz", &archive[..], &Limits::default(), |e, r| {
        let mut s = Vec::new();
        r.read_to_end(&mut s).unwrap();
        assert_eq!(s.len() as u64, e.size);
        names.push(e.path.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 10_003);
    assert!(names.contains(&"templates/x.yaml".to_owned()));
    assert!(names.contains(&format!("files/{}", "n".repeat(200))));
    let chart = load_archive(&archive[..], "ok.tgz", &LoadOptions::default()).unwrap();
    assert_eq!(chart.files.len(), 10_001);
}

#[test]
fn load_errors_name_the_archive_and_the_rule() {
    let bad = gz(&tar_of(&[chart_yaml(), file("demo/../evil", b"x")]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil-0.1.0.tgz");
    std::fs::write(&path, bad).unwrap();
    let err = helmoci_core::load::load(&path).unwrap_err();
    let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(chain.contains("evil-0.1.0.tgz"), "{chain}");
    assert!(chain.contains("demo/../evil"), "{chain}");
    assert!(chain.contains("parent directory"), "{chain}");
}

#[test]
fn yaml_given_as_a_chart_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.yaml");
    std::fs::write(&path, "a: 1\n").unwrap();
    let err = helmoci_core::load::load_archive_file(&path, &LoadOptions::default()).unwrap_err();
    let chain = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(|e| e.to_string())
            .unwrap_or_default()
    );
    assert!(chain.contains("YAML file"), "{chain}");
}
