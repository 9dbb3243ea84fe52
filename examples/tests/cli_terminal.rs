//! Progress bars through the real binary on a real pseudo-terminal (util-linux `script`):
//! drawn on stderr only when it is a terminal, never with `--json`, and stdout keeps Helm's
//! lines either way.

#[path = "../../helmoci-oci/tests/support/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sha256_file(path: &Path) -> String {
    helmoci_core::digest::Digest::sha256_of(&fs::read(path).unwrap()).to_string()
}

/// Runs `helmoci ARGS > stdout_file` with stderr on a pseudo-terminal (util-linux
/// `script`); returns what the terminal showed.
fn on_terminal(script: &Path, home: &Path, args: &[&str], stdout_file: &Path) -> String {
    let command = format!(
        "{} {} > {}",
        env!("CARGO_BIN_EXE_helmoci"),
        args.join(" "),
        stdout_file.display()
    );
    let out = Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("TERM", "xterm")
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    assert!(out.status.success(), "{command}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// On a terminal, package, push, pull and copy (with an OCI layout and with the real
/// registry) draw a bar per blob on stderr and clear it;
/// stdout keeps exactly Helm's lines. (Off a terminal stderr stays empty: see the --json
/// test in `cli.rs`.)
#[test]
fn progress_bars_are_drawn_on_a_terminal_and_leave_stdout_alone() -> TestResult {
    let Some(script) = support::tool(
        "HELMOCI_SCRIPT_BIN",
        "script",
        "script (util-linux: a pseudo-terminal)",
    ) else {
        return Ok(());
    };
    let home = tempfile::tempdir()?;
    let h = home.path();
    // 2 MiB that gzip cannot shrink: several chunks, so the bars move.
    let chart = h.join("big");
    fs::create_dir_all(&chart)?;
    fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: big\nversion: 1.0.0\n",
    )?;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::with_capacity(2 << 20);
    while data.len() < 2 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    fs::write(chart.join("blob.bin"), &data)?;
    let stdout = h.join("stdout.txt");
    let read = |p: &Path| fs::read_to_string(p).unwrap();

    let pkg = h.join("pkg");
    let shown = on_terminal(
        &script,
        h,
        &[
            "package",
            &chart.display().to_string(),
            "-d",
            &pkg.display().to_string(),
        ],
        &stdout,
    );
    let tgz = pkg.join("big-1.0.0.tgz");
    assert!(shown.contains("package big"), "{shown:?}");
    assert_eq!(
        read(&stdout),
        format!(
            "Successfully packaged chart and saved it to: {}\n",
            tgz.display()
        )
    );
    let hex8 = &sha256_file(&tgz)["sha256:".len()..][..8];

    let layout = format!("oci-layout://{}", h.join("layout").display());
    let shown = on_terminal(
        &script,
        h,
        &["push", &tgz.display().to_string(), &layout],
        &stdout,
    );
    assert!(shown.contains(&format!("push chart {hex8}")), "{shown:?}");
    assert!(shown.contains("push config "), "{shown:?}");
    assert!(
        read(&stdout).starts_with(&format!("Pushed: {layout}/big:1.0.0\nDigest: sha256:")),
        "{}",
        read(&stdout)
    );

    let pull = |dest: &Path, extra: &[&str]| {
        let (chart, dest) = (format!("{layout}/big"), dest.display().to_string());
        let mut args = vec!["pull", &chart, "--version", "1.0.0", "-d", &dest];
        args.extend(extra);
        on_terminal(&script, h, &args, &stdout)
    };
    let pulled = h.join("pulled");
    let shown = pull(&pulled, &[]);
    assert!(shown.contains(&format!("pull chart {hex8}")), "{shown:?}");
    assert!(read(&stdout).starts_with(&format!("Pulled: {layout}/big:1.0.0\n")));
    assert_eq!(fs::read(pulled.join("big-1.0.0.tgz"))?, fs::read(&tgz)?);

    let second = format!("oci-layout://{}", h.join("second").display());
    let shown = on_terminal(
        &script,
        h,
        &["copy", &format!("{layout}/big:1.0.0"), &second],
        &stdout,
    );
    assert!(shown.contains(&format!("chart {hex8}")), "{shown:?}");
    assert!(read(&stdout).starts_with("Copied: "));

    // --json: no bars even on a terminal.
    let shown = pull(&h.join("pulled-json"), &["--json"]);
    assert_eq!(shown, "");
    let json: serde_json::Value = serde_json::from_str(&read(&stdout))?;
    assert_eq!(json["version"], "1.0.0");

    // The same bars for transfers with the real registry (its upload and download paths).
    let Some(registry) = support::registry::Registry::start() else {
        return Ok(());
    };
    let remote = registry.oci("charts");
    let shown = on_terminal(
        &script,
        h,
        &["push", &tgz.display().to_string(), &remote, "--plain-http"],
        &stdout,
    );
    assert!(shown.contains(&format!("push chart {hex8}")), "{shown:?}");
    assert!(
        read(&stdout).starts_with(&format!("Pushed: {}/charts/big:1.0.0\n", registry.host)),
        "{}",
        read(&stdout)
    );
    let from_registry = h.join("from-registry");
    let shown = on_terminal(
        &script,
        h,
        &[
            "pull",
            &format!("{remote}/big"),
            "--version",
            "1.0.0",
            "-d",
            &from_registry.display().to_string(),
            "--plain-http",
        ],
        &stdout,
    );
    assert!(shown.contains(&format!("pull chart {hex8}")), "{shown:?}");
    assert_eq!(
        fs::read(from_registry.join("big-1.0.0.tgz"))?,
        fs::read(&tgz)?
    );
    Ok(())
}
