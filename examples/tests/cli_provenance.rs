//! `helmoci package --sign`, `helmoci verify` and `helmoci pull --verify` through the real
//! binary, against real Helm (v4 SDK) and the real registry on 127.0.0.1. Keys are made by
//! GnuPG for each test; with `CI=true` a missing gpg, Helm or registry fails the test.

#[path = "../../helmoci-oci/tests/support/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod support;

#[path = "../../helmoci-core/tests/provenance_keys/mod.rs"]
mod provenance_keys;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use provenance_keys::{Gpg, TestKey};
use support::helm::Helm;
use support::registry::Registry;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sample_chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/hello")
}

fn helmoci(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helmoci"))
        .args(args)
        .env("HOME", home)
        .env("GNUPGHOME", home.join("no-gnupg"))
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("REGISTRY_AUTH_FILE", home.join("auth.json"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdin(Stdio::null())
        .output()
        .expect("run helmoci")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "helmoci failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn failed(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    format!(
        "sha256:{}",
        helmoci_core::digest::Digest::sha256_of(&bytes).hex()
    )
}

fn list(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<String> = rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

/// Alice (ed25519, no passphrase), Bob (rsa3072, passphrase `pw`), Mallory; rings exported.
struct Keys {
    _gpg: Gpg,
    alice: TestKey,
    secring: PathBuf,
    pubring: PathBuf,
    alice_only: PathBuf,
    mallory_only: PathBuf,
    passfile: PathBuf,
}

fn keys(dir: &Path) -> Option<Keys> {
    let gpg = Gpg::new()?;
    let alice = gpg.gen_key(
        "Alice Test <alice@example.com>",
        "ed25519",
        "1y",
        None,
        None,
    );
    gpg.gen_key(
        "Bob Test <bob@example.com>",
        "rsa3072",
        "1y",
        Some("pw"),
        None,
    );
    gpg.gen_key(
        "Mallory Test <mallory@example.com>",
        "ed25519",
        "1y",
        None,
        None,
    );
    let k = Keys {
        alice,
        secring: dir.join("secring.gpg"),
        pubring: dir.join("pubring.gpg"),
        alice_only: dir.join("alice.asc"),
        mallory_only: dir.join("mallory.gpg"),
        passfile: dir.join("pass.txt"),
        _gpg: gpg,
    };
    k._gpg.export_secret(&k.secring, "pw", &[]);
    k._gpg.export_public(&k.pubring, false, &[]);
    k._gpg
        .export_public(&k.alice_only, true, &["alice@example.com"]);
    k._gpg
        .export_public(&k.mallory_only, false, &["mallory@example.com"]);
    std::fs::write(&k.passfile, "pw\n").unwrap();
    Some(k)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn package_sign_and_verify() -> TestResult {
    let home = tempfile::tempdir()?;
    let h = home.path();
    let Some(k) = keys(h) else { return Ok(()) };
    let out = h.join("out");
    let chart = sample_chart();
    let sign = |key: &str, extra: &[&str]| {
        let mut args = vec![
            "package",
            s(&chart),
            "-d",
            s(&out),
            "--sign",
            "--key",
            key,
            "--keyring",
            s(&k.secring),
        ];
        args.extend(extra);
        helmoci(h, &args)
    };
    ok(&sign("alice", &[]));
    let tgz = out.join("hello-0.1.0.tgz");
    assert_eq!(list(&out), vec!["hello-0.1.0.tgz", "hello-0.1.0.tgz.prov"]);
    let stdout = ok(&helmoci(
        h,
        &["verify", s(&tgz), "--keyring", s(&k.alice_only)],
    ));
    assert_eq!(
        stdout,
        format!(
            "Signed by: Alice Test <alice@example.com>\nUsing Key With Fingerprint: {}\nChart Hash Verified: {}\n",
            k.alice.fingerprint,
            sha256(&tgz)
        )
    );
    if let Some(helm) = Helm::new() {
        let v = helm.run(
            "out = h.verify(args['tgz'], args['ring'])",
            serde_json::json!({"tgz": tgz, "ring": k.pubring}),
        );
        assert_eq!(v["file_hash"], sha256(&tgz).as_str());
    }
    let json: serde_json::Value = serde_json::from_str(&ok(&helmoci(
        h,
        &["verify", s(&tgz), "--keyring", s(&k.alice_only), "--json"],
    )))?;
    assert_eq!(
        json,
        serde_json::json!({
            "signed_by": ["Alice Test <alice@example.com>"],
            "fingerprint": k.alice.fingerprint,
            "chart_digest": sha256(&tgz),
            "path": std::path::absolute(&tgz)?,
            "provenance": std::path::absolute(out.join("hello-0.1.0.tgz.prov"))?,
        })
    );

    // Passphrase-protected key: from a file; a wrong one fails and leaves no archive.
    ok(&sign("Bob Test", &["--passphrase-file", s(&k.passfile)]));
    ok(&helmoci(
        h,
        &["verify", s(&tgz), "--keyring", s(&k.pubring)],
    ));
    std::fs::remove_dir_all(&out)?;
    let wrong = h.join("wrong.txt");
    std::fs::write(&wrong, "nope\n")?;
    let err = failed(&sign("bob@", &["--passphrase-file", s(&wrong)]));
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!err.contains("nope"), "passphrase printed: {err}");
    assert_eq!(list(&out), Vec::<String>::new());
    let err = failed(&sign("bob@", &[]));
    assert!(err.contains("--passphrase-file"), "{err}");

    // Key selection errors, in Helm's words.
    let err = failed(&sign("nobody", &[]));
    assert!(err.starts_with("Error: cannot sign"), "{err}");
    assert!(err.contains("private key not found"), "{err}");
    let err = failed(&sign("Test", &[]));
    assert!(
        err.contains("more than one key contain the id \"Test\""),
        "{err}"
    );
    let err = failed(&helmoci(
        h,
        &[
            "package",
            s(&chart),
            "-d",
            s(&out),
            "--sign",
            "--keyring",
            s(&k.secring),
        ],
    ));
    assert!(
        err.contains("--key is required for signing a package"),
        "{err}"
    );
    let err = failed(&helmoci(
        h,
        &[
            "package",
            s(&chart),
            "-d",
            s(&out),
            "--sign",
            "--key",
            "alice",
            "--keyring",
            s(&k.pubring),
        ],
    ));
    assert!(err.contains("provided key is not a private key"), "{err}");

    // Verify failures: unknown key, tampered archive, not a tgz, no .prov.
    ok(&sign("alice", &[]));
    let err = failed(&helmoci(
        h,
        &["verify", s(&tgz), "--keyring", s(&k.mallory_only)],
    ));
    assert!(err.contains("unknown entity"), "{err}");
    let prov = out.join("hello-0.1.0.tgz.prov");
    let copy = h.join("copy");
    std::fs::create_dir_all(&copy)?;
    let mut bytes = std::fs::read(&tgz)?;
    bytes.extend_from_slice(b"\0");
    std::fs::write(copy.join("hello-0.1.0.tgz"), &bytes)?;
    std::fs::copy(&prov, copy.join("hello-0.1.0.tgz.prov"))?;
    let err = failed(&helmoci(
        h,
        &[
            "verify",
            s(&copy.join("hello-0.1.0.tgz")),
            "--keyring",
            s(&k.pubring),
        ],
    ));
    assert!(
        err.contains("sha256 sum does not match for hello-0.1.0.tgz"),
        "{err}"
    );
    let err = failed(&helmoci(
        h,
        &["verify", s(&chart), "--keyring", s(&k.pubring)],
    ));
    assert!(err.contains("chart must be a tgz file"), "{err}");
    std::fs::remove_file(&prov)?;
    let err = failed(&helmoci(
        h,
        &["verify", s(&tgz), "--keyring", s(&k.pubring)],
    ));
    assert!(err.contains("could not load provenance file"), "{err}");
    // No --keyring and no default keyring.
    let err = failed(&helmoci(h, &["verify", s(&tgz)]));
    assert!(err.contains("pubring.gpg"), "{err}");
    Ok(())
}

/// Helm fetches the provenance layer the way any registry client does (manifest, then blob)
/// and verifies the archive it pulled itself.
const HELM_PULL_AND_VERIFY: &str = r#"
import urllib.request
h.pull(args['ref'], version=args['version'], destination=args['dest'], plain_http=True)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
req = urllib.request.Request(args['manifest'], headers={'Accept': 'application/vnd.oci.image.manifest.v1+json'})
m = json.load(opener.open(req))
prov = [l for l in m['layers'] if l['mediaType'] == 'application/vnd.cncf.helm.chart.provenance.v1.prov']
data = opener.open(args['blobs'] + prov[0]['digest']).read()
tgz = args['dest'] + '/' + args['file']
open(tgz + '.prov', 'wb').write(data)
out = h.verify(tgz, args['ring'])
"#;

#[test]
fn signed_charts_round_trip_through_the_registry_with_helm() -> TestResult {
    let Some(registry) = Registry::start() else {
        return Ok(());
    };
    let home = tempfile::tempdir()?;
    let h = home.path();
    let Some(k) = keys(h) else { return Ok(()) };
    let Some(helm) = Helm::new() else {
        return Ok(());
    };
    let remote = format!("oci://{}/charts", registry.host);

    // Ours: package --sign, push (the .prov goes along), Helm pulls and verifies.
    let out = h.join("out");
    ok(&helmoci(
        h,
        &[
            "package",
            s(&sample_chart()),
            "-d",
            s(&out),
            "--sign",
            "--key",
            "alice",
            "--keyring",
            s(&k.secring),
        ],
    ));
    let tgz = out.join("hello-0.1.0.tgz");
    ok(&helmoci(h, &["push", s(&tgz), &remote, "--plain-http"]));
    let helm_dest = h.join("helm-pulled");
    std::fs::create_dir_all(&helm_dest)?;
    let v = helm.run(
        HELM_PULL_AND_VERIFY,
        serde_json::json!({
            "ref": format!("{remote}/hello"), "version": "0.1.0", "dest": helm_dest,
            "file": "hello-0.1.0.tgz", "ring": k.pubring,
            "manifest": format!("http://{}/v2/charts/hello/manifests/0.1.0", registry.host),
            "blobs": format!("http://{}/v2/charts/hello/blobs/", registry.host),
        }),
    );
    assert_eq!(v["file_hash"], sha256(&tgz).as_str());
    assert_eq!(
        v["signed_by"],
        serde_json::json!(["Alice Test <alice@example.com>"])
    );

    // Ours pulled back with --verify: both files, Helm's output lines.
    let dest = h.join("pulled");
    let stdout = ok(&helmoci(
        h,
        &[
            "pull",
            &format!("{remote}/hello"),
            "--version",
            "0.1.0",
            "-d",
            s(&dest),
            "--plain-http",
            "--verify",
            "--keyring",
            s(&k.pubring),
        ],
    ));
    assert!(
        stdout.starts_with(&format!(
            "Pulled: {}/charts/hello:0.1.0\nDigest: sha256:",
            registry.host
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nSigned by: Alice Test <alice@example.com>\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!("Chart Hash Verified: {}\n", sha256(&tgz))),
        "{stdout}"
    );
    assert_eq!(list(&dest), vec!["hello-0.1.0.tgz", "hello-0.1.0.tgz.prov"]);

    // Helm's: packaged and signed by Helm (passphrase key), pushed by Helm, pulled and
    // verified by us.
    let hdir = h.join("helm-out");
    let htgz = helm.package(&sample_chart_version(h, "0.2.0"), &hdir);
    helm.run(
        "out = h.sign(args['tgz'], key=args['key'], keyring=args['ring'], passphrase_file=args['pass'])",
        serde_json::json!({"tgz": htgz, "key": "bob@example.com", "ring": k.secring, "pass": k.passfile}),
    );
    helm.push(&htgz, &remote);
    let dest2 = h.join("pulled2");
    let stdout = ok(&helmoci(
        h,
        &[
            "pull",
            &format!("{remote}/hello:0.2.0"),
            "-d",
            s(&dest2),
            "--plain-http",
            "--verify",
            "--keyring",
            s(&k.pubring),
        ],
    ));
    assert!(
        stdout.contains("Signed by: Bob Test <bob@example.com>\n"),
        "{stdout}"
    );
    assert_eq!(
        list(&dest2),
        vec!["hello-0.2.0.tgz", "hello-0.2.0.tgz.prov"]
    );
    assert_eq!(
        std::fs::read(dest2.join("hello-0.2.0.tgz"))?,
        std::fs::read(&htgz)?
    );
    assert_eq!(
        std::fs::read(dest2.join("hello-0.2.0.tgz.prov"))?,
        std::fs::read(format!("{}.prov", htgz.display()))?
    );
    // --untar --verify expands only after verification; --json says who signed.
    let untar = h.join("untar");
    let json = ok(&helmoci(
        h,
        &[
            "pull",
            &format!("{remote}/hello:0.2.0"),
            "-d",
            s(&untar),
            "--plain-http",
            "--untar",
            "--verify",
            "--keyring",
            s(&k.pubring),
            "--json",
        ],
    ));
    assert_eq!(list(&untar), vec!["hello"]);
    let pulled: serde_json::Value = serde_json::from_str(&json)?;
    assert_eq!(pulled["path"], serde_json::json!(untar.join("hello")));
    assert_eq!(pulled["chart_digest"], serde_json::json!(sha256(&htgz)));
    assert_eq!(pulled["version"], "0.2.0");
    assert_eq!(
        pulled["verified"]["signed_by"],
        serde_json::json!(["Bob Test <bob@example.com>"])
    );

    // A bad signature (unknown key) or no provenance at all: nothing is written.
    let none = h.join("none");
    let err = failed(&helmoci(
        h,
        &[
            "pull",
            &format!("{remote}/hello:0.2.0"),
            "-d",
            s(&none),
            "--plain-http",
            "--verify",
            "--keyring",
            s(&k.mallory_only),
        ],
    ));
    assert!(err.contains("unknown entity"), "{err}");
    assert_eq!(list(&none), Vec::<String>::new());
    let err = failed(&helmoci(
        h,
        &[
            "pull",
            &format!("{remote}/hello:0.2.0"),
            "-d",
            s(&none),
            "--plain-http",
            "--untar",
            "--verify",
            "--keyring",
            s(&k.mallory_only),
        ],
    ));
    assert!(err.contains("unknown entity"), "{err}");
    assert_eq!(list(&none), Vec::<String>::new());
    let unsigned = h.join("unsigned");
    let utgz = helm.package(&sample_chart_version(h, "0.3.0"), &unsigned);
    helm.push(&utgz, &remote);
    let err = failed(&helmoci(
        h,
        &[
            "pull",
            &format!("{remote}/hello:0.3.0"),
            "-d",
            s(&none),
            "--plain-http",
            "--verify",
            "--keyring",
            s(&k.pubring),
        ],
    ));
    assert!(err.contains("failed to fetch provenance"), "{err}");
    assert_eq!(list(&none), Vec::<String>::new());
    Ok(())
}

/// A copy of the sample chart with another version.
fn sample_chart_version(h: &Path, version: &str) -> PathBuf {
    let dir = h.join(format!("src-{version}")).join("hello");
    copy_dir(&sample_chart(), &dir);
    let cy = dir.join("Chart.yaml");
    let text = std::fs::read_to_string(&cy).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("version:") {
                format!("version: {version}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&cy, text).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `charts/*` and `Chart.lock` of a chart directory, byte for byte.
fn chart_state(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = list(&dir.join("charts"))
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join("charts").join(&f)).unwrap();
            (format!("charts/{f}"), bytes)
        })
        .collect();
    out.push((
        "Chart.lock".into(),
        std::fs::read(dir.join("Chart.lock")).unwrap(),
    ));
    out.push(("(entries)".into(), list(dir).join(",").into_bytes()));
    out
}

#[test]
fn dependency_update_and_build_verify() -> TestResult {
    let Some(registry) = Registry::start() else {
        return Ok(());
    };
    let home = tempfile::tempdir()?;
    let h = home.path();
    let Some(k) = keys(h) else { return Ok(()) };
    let remote = format!("oci://{}/charts", registry.host);
    // hello 0.1.0 signed by Alice and pushed with its .prov; hello 0.3.0 unsigned.
    let out = h.join("out");
    ok(&helmoci(
        h,
        &[
            "package",
            s(&sample_chart()),
            "-d",
            s(&out),
            "--sign",
            "--key",
            "alice",
            "--keyring",
            s(&k.secring),
        ],
    ));
    ok(&helmoci(
        h,
        &[
            "package",
            s(&sample_chart_version(h, "0.3.0")),
            "-d",
            s(&out),
        ],
    ));
    for v in ["0.1.0", "0.3.0"] {
        let tgz = out.join(format!("hello-{v}.tgz"));
        ok(&helmoci(h, &["push", s(&tgz), &remote, "--plain-http"]));
    }
    let umbrella = |name: &str, version: &str| {
        let dir = h.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\ndependencies:\n- name: hello\n  version: {version}\n  repository: {remote}\n"),
        )
        .unwrap();
        dir
    };
    let (config, cache) = (h.join("repositories.yaml"), h.join("repository"));
    let dep = |cmd: &str, dir: &Path, extra: &[&str]| {
        let mut args = vec![
            "dependency",
            cmd,
            s(dir),
            "--plain-http",
            "--repository-config",
            s(&config),
            "--repository-cache",
            s(&cache),
        ];
        args.extend(extra);
        helmoci(h, &args)
    };

    // Signed: Helm's lines, the archive in charts/ (no .prov, as Helm), and with --debug
    // `helm verify`'s lines.
    let signed = umbrella("signed", "0.1.0");
    let stdout = ok(&dep(
        "update",
        &signed,
        &["--verify", "--keyring", s(&k.pubring)],
    ));
    assert!(
        stdout.contains(&format!(
            "Saving 1 charts\nDownloading hello from repo {remote}\n"
        )),
        "{stdout}"
    );
    assert_eq!(list(&signed.join("charts")), vec!["hello-0.1.0.tgz"]);
    let stdout = ok(&dep(
        "build",
        &signed,
        &["--verify", "--keyring", s(&k.alice_only), "--debug"],
    ));
    assert!(
        stdout.contains("Verified hello\nSigned by: Alice Test <alice@example.com>\n"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!(
        "Using Key With Fingerprint: {}\n",
        k.alice.fingerprint
    )));

    // Someone else's keyring: one error line naming the dependency; nothing changes.
    let before = chart_state(&signed);
    let err = failed(&dep(
        "update",
        &signed,
        &["--verify", "--keyring", s(&k.mallory_only)],
    ));
    assert!(
        err.starts_with(&format!(
            "Error: dependency \"hello\" 0.1.0 ({remote}/hello:0.1.0) does not verify against its provenance; charts/ and the lock are unchanged: {remote}/hello:0.1.0.prov: signature made by unknown entity"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(chart_state(&signed), before);
    // No --keyring and no default keyring ($GNUPGHOME/pubring.gpg).
    let err = failed(&dep("update", &signed, &["--verify"]));
    assert!(err.contains("no-gnupg/pubring.gpg"), "{err}");
    assert_eq!(chart_state(&signed), before);

    // Unsigned: `update --verify` refuses it; `build --verify` warns, as Helm's CLI does.
    let unsigned = umbrella("unsigned", "0.3.0");
    ok(&dep("update", &unsigned, &[]));
    let before = chart_state(&unsigned);
    let err = failed(&dep(
        "update",
        &unsigned,
        &["--verify", "--keyring", s(&k.pubring)],
    ));
    assert!(
        err.starts_with(&format!(
            "Error: dependency \"hello\" 0.3.0 is not signed: failed to fetch provenance \"{remote}/hello:0.3.0.prov\": manifest does not contain a layer with mediatype application/vnd.cncf.helm.chart.provenance.v1.prov; charts/ and the lock are unchanged"
        )),
        "{err}"
    );
    assert_eq!(chart_state(&unsigned), before);
    let built = dep(
        "build",
        &unsigned,
        &["--verify", "--keyring", s(&k.pubring)],
    );
    ok(&built);
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(
        stderr.contains(&format!(
            "WARNING: Verification not found for {remote}/hello:0.3.0: failed to fetch provenance"
        )),
        "{stderr}"
    );
    assert_eq!(chart_state(&unsigned), before);
    Ok(())
}
