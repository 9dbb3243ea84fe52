//! Every `helmoci` subcommand through the real binary: output lines, exit codes, files
//! written (or not), against OCI layouts, the real registry and real Helm.

#[path = "../../helmoci-oci/tests/support/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::certs;
use support::helm::Helm;
use support::registry::{Auth, Registry, PASSWORD, USER};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sample_chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/hello")
}

/// Runs `helmoci` with an isolated HOME and config locations.
fn helmoci(home: &Path, args: &[&str]) -> Output {
    helmoci_stdin(home, args, None)
}

fn helmoci_stdin(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_helmoci"));
    cmd.args(args)
        .env("HOME", home)
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("REGISTRY_AUTH_FILE", home.join("auth.json"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run helmoci");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("wait helmoci")
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

fn failed(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn package(home: &Path, out_dir: &Path) -> PathBuf {
    let stdout = ok(&helmoci(
        home,
        &[
            "package",
            sample_chart().to_str().unwrap(),
            "-d",
            out_dir.to_str().unwrap(),
        ],
    ));
    let path = stdout
        .strip_prefix("Successfully packaged chart and saved it to: ")
        .expect("Helm's package line")
        .trim();
    PathBuf::from(path)
}

#[test]
fn version_and_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let v = ok(&helmoci(home.path(), &["version"]));
    assert_eq!(v.trim(), format!("helmoci {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(ok(&helmoci(home.path(), &["-V"])), v);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&helmoci(home.path(), &["version", "--json"]))).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "version": env!("CARGO_PKG_VERSION") })
    );
    let err = failed(&helmoci(home.path(), &["package"]), 2);
    assert!(err.contains("CHART_DIR"), "{err}");
    failed(&helmoci(home.path(), &["no-such-command"]), 2);
    let bash = ok(&helmoci(home.path(), &["completion", "bash"]));
    assert!(
        bash.contains("helmoci") && bash.contains("complete"),
        "{bash}"
    );
    assert!(!ok(&helmoci(home.path(), &["completion", "zsh"])).is_empty());
}

#[test]
fn package_writes_helms_line_and_is_reproducible() {
    let home = tempfile::tempdir().unwrap();
    let a = package(home.path(), &home.path().join("a"));
    let b = package(home.path(), &home.path().join("b/c"));
    assert!(a.ends_with("hello-0.1.0.tgz"));
    assert_eq!(
        fs::read(&a).unwrap(),
        fs::read(&b).unwrap(),
        "SOURCE_DATE_EPOCH makes it reproducible"
    );
    let out = ok(&helmoci(
        home.path(),
        &[
            "package",
            sample_chart().to_str().unwrap(),
            "-d",
            home.path().join("v").to_str().unwrap(),
            "--version",
            "1.2.3+build.1",
            "--app-version",
            "9.9",
        ],
    ));
    assert!(out.trim().ends_with("hello-1.2.3+build.1.tgz"), "{out}");
    let json = ok(&helmoci(
        home.path(),
        &[
            "package",
            sample_chart().to_str().unwrap(),
            "-d",
            home.path().join("j").to_str().unwrap(),
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["name"], "hello");
    assert!(v[0]["digest"].as_str().unwrap().starts_with("sha256:"));
}

#[test]
fn errors_are_one_line_with_exit_code_1() {
    let home = tempfile::tempdir().unwrap();
    let chart = home.path().join("bad");
    fs::create_dir_all(&chart).unwrap();
    fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: bad\nversion: 1.2.3.4\n",
    )
    .unwrap();
    let err = failed(
        &helmoci(
            home.path(),
            &[
                "package",
                chart.to_str().unwrap(),
                "-d",
                home.path().join("out").to_str().unwrap(),
            ],
        ),
        1,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("Error: "), "{err}");
    assert!(
        err.contains(r#"chart.metadata.version "1.2.3.4" is invalid"#),
        "{err}"
    );
    assert!(!home.path().join("out").join("bad-1.2.3.4.tgz").exists());
    let err = failed(
        &helmoci(
            home.path(),
            &["push", chart.to_str().unwrap(), "oci://127.0.0.1:1/x"],
        ),
        1,
    );
    assert!(
        err.contains("cannot push directory, must provide chart archive (.tgz)"),
        "{err}"
    );
    let err = failed(
        &helmoci(
            home.path(),
            &["pull", "oci://127.0.0.1:1/ns/MyChart", "--version", "1.0.0"],
        ),
        1,
    );
    assert!(err.contains("invalid"), "{err}");
}

#[test]
fn show_prints_what_helm_prints() -> TestResult {
    let home = tempfile::tempdir()?;
    let tgz = package(home.path(), &home.path().join("out"));
    let helm = Helm::new();
    for what in ["chart", "values", "readme", "crds", "all"] {
        let from_dir = ok(&helmoci(
            home.path(),
            &["show", what, sample_chart().to_str().unwrap()],
        ));
        let from_tgz = ok(&helmoci(
            home.path(),
            &["show", what, tgz.to_str().unwrap()],
        ));
        assert_eq!(from_dir, from_tgz, "show {what}");
        if let Some(helm) = &helm {
            let expected = helm.run(
                "out = h.show(args['chart'], output_format=args['what'])",
                serde_json::json!({"chart": tgz, "what": what}),
            );
            assert_eq!(from_tgz, expected.as_str().unwrap(), "show {what} vs Helm");
        }
    }
    Ok(())
}

#[test]
fn push_tags_pull_copy_through_an_oci_layout() -> TestResult {
    let home = tempfile::tempdir()?;
    let tgz = package(home.path(), &home.path().join("out"));
    let store = home.path().join("store");
    let target = format!("oci-layout://{}", store.display());
    let out = ok(&helmoci(
        home.path(),
        &["push", tgz.to_str().unwrap(), &target],
    ));
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("Pushed: {target}/hello:0.1.0")
    );
    let digest = lines
        .next()
        .unwrap()
        .strip_prefix("Digest: ")
        .unwrap()
        .to_owned();
    assert!(digest.starts_with("sha256:"));
    assert!(store.join("hello/index.json").is_file());

    let chart = format!("{target}/hello");
    assert_eq!(ok(&helmoci(home.path(), &["tags", &chart])), "0.1.0\n");
    // show straight from the layout equals show of the archive.
    assert_eq!(
        ok(&helmoci(
            home.path(),
            &["show", "all", &chart, "--version", "^0.1"]
        )),
        ok(&helmoci(
            home.path(),
            &["show", "all", tgz.to_str().unwrap()]
        ))
    );
    assert_eq!(
        ok(&helmoci(home.path(), &["tags", &chart, "--json"])),
        "[\"0.1.0\"]\n"
    );

    let pulled = home.path().join("pulled");
    let out = ok(&helmoci(
        home.path(),
        &[
            "pull",
            &chart,
            "--version",
            "0.1.0",
            "-d",
            pulled.to_str().unwrap(),
        ],
    ));
    assert_eq!(out, format!("Pulled: {chart}:0.1.0\nDigest: {digest}\n"));
    assert_eq!(fs::read(pulled.join("hello-0.1.0.tgz"))?, fs::read(&tgz)?);

    // --untar leaves only the expanded chart; a second one refuses and changes nothing.
    let untar = home.path().join("untar");
    ok(&helmoci(
        home.path(),
        &[
            "pull",
            &chart,
            "--version",
            "0.1.0",
            "-d",
            untar.to_str().unwrap(),
            "--untar",
        ],
    ));
    assert_eq!(support::list_dir(&untar), vec!["hello".to_owned()]);
    assert!(untar.join("hello/templates/configmap.yaml").is_file());
    let err = failed(
        &helmoci(
            home.path(),
            &[
                "pull",
                &chart,
                "--version",
                "0.1.0",
                "-d",
                untar.to_str().unwrap(),
                "--untar",
            ],
        ),
        1,
    );
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(support::list_dir(&untar), vec!["hello".to_owned()]);

    // copy to a second layout, byte for byte (same manifest digest).
    let second = format!("oci-layout://{}", home.path().join("second").display());
    let out = ok(&helmoci(
        home.path(),
        &["copy", &format!("{chart}:0.1.0"), &second],
    ));
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    assert_eq!(
        ok(&helmoci(home.path(), &["tags", &format!("{second}/hello")])),
        "0.1.0\n"
    );
    // --json: a third layout gets both blobs; the second already has them.
    for (layout, blobs) in [
        (
            format!("oci-layout://{}", home.path().join("third").display()),
            2,
        ),
        (second.clone(), 0),
    ] {
        let out = ok(&helmoci(
            home.path(),
            &["copy", &format!("{chart}:0.1.0"), &layout, "--json"],
        ));
        let json: serde_json::Value = serde_json::from_str(&out)?;
        assert_eq!(
            json,
            serde_json::json!({
                "source": format!("{chart}:0.1.0"),
                "reference": format!("{layout}/hello:0.1.0"),
                "digest": digest,
                "blobs_copied": blobs,
            }),
            "{out}"
        );
    }

    // A missing version fails and writes nothing.
    let none = home.path().join("none");
    let err = failed(
        &helmoci(
            home.path(),
            &[
                "pull",
                &chart,
                "--version",
                "9.9.9",
                "-d",
                none.to_str().unwrap(),
            ],
        ),
        1,
    );
    assert!(err.starts_with("Error: "), "{err}");
    assert!(!none.join("hello-9.9.9.tgz").exists());
    Ok(())
}

/// The manifest's bytes as the registry serves them for `repo:tag` (plain HTTP/1.0, so
/// nothing of ours is involved in computing the digest).
fn registry_manifest(host: &str, repo: &str, tag: &str) -> Vec<u8> {
    use std::io::Read;
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    write!(
        conn,
        "GET /v2/{repo}/manifests/{tag} HTTP/1.0\r\nHost: {host}\r\nAccept: application/vnd.oci.image.manifest.v1+json\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).unwrap();
    let head_end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert!(response.starts_with(b"HTTP/1.0 200") || response.starts_with(b"HTTP/1.1 200"));
    response[head_end + 4..].to_vec()
}

fn sha256_file(path: &Path) -> String {
    helmoci_core::digest::Digest::sha256_of(&fs::read(path).unwrap()).to_string()
}

#[test]
fn push_and_pull_json_describe_what_the_registry_and_the_disk_hold() -> TestResult {
    let Some(registry) = Registry::start() else {
        return Ok(());
    };
    let home = tempfile::tempdir()?;
    let tgz = package(home.path(), &home.path().join("out"));
    let remote = format!("oci://{}/charts", registry.host);
    let push = helmoci(
        home.path(),
        &[
            "push",
            tgz.to_str().unwrap(),
            &remote,
            "--plain-http",
            "--json",
        ],
    );
    let pushed: serde_json::Value = serde_json::from_str(&ok(&push))?;
    // Not a terminal: no progress bars, nothing on stderr.
    assert_eq!(String::from_utf8_lossy(&push.stderr), "");
    let manifest = registry_manifest(&registry.host, "charts/hello", "0.1.0");
    let manifest_digest = helmoci_core::digest::Digest::sha256_of(&manifest).to_string();
    assert_eq!(
        pushed,
        serde_json::json!({
            "reference": format!("{}/charts/hello:0.1.0", registry.host),
            "digest": manifest_digest,
            "name": "hello",
            "version": "0.1.0",
            "chart_digest": sha256_file(&tgz),
            "size": fs::metadata(&tgz)?.len(),
            "path": tgz,
        })
    );
    // The manifest names the archive pushed.
    let m: serde_json::Value = serde_json::from_slice(&manifest)?;
    assert_eq!(m["layers"][0]["digest"], pushed["chart_digest"]);

    let chart = format!("{remote}/hello");
    let dest = home.path().join("pulled");
    let pull = helmoci(
        home.path(),
        &[
            "pull",
            &chart,
            "--version",
            "^0.1",
            "-d",
            dest.to_str().unwrap(),
            "--plain-http",
            "--json",
        ],
    );
    let pulled: serde_json::Value = serde_json::from_str(&ok(&pull))?;
    assert_eq!(String::from_utf8_lossy(&pull.stderr), "");
    let file = dest.join("hello-0.1.0.tgz");
    assert_eq!(
        pulled,
        serde_json::json!({
            "reference": format!("{}/charts/hello:0.1.0", registry.host),
            "digest": manifest_digest,
            "name": "hello",
            "version": "0.1.0",
            "chart_digest": sha256_file(&file),
            "size": fs::metadata(&file)?.len(),
            "path": file,
            "provenance": null,
        })
    );
    assert_eq!(pulled["chart_digest"], pushed["chart_digest"]);

    // --untar: the path is the expanded chart.
    let untar = home.path().join("untar");
    let pulled: serde_json::Value = serde_json::from_str(&ok(&helmoci(
        home.path(),
        &[
            "pull",
            &format!("{chart}:0.1.0"),
            "-d",
            untar.to_str().unwrap(),
            "--untar",
            "--plain-http",
            "--json",
        ],
    )))?;
    assert_eq!(pulled["path"], serde_json::json!(untar.join("hello")));
    assert!(untar.join("hello/Chart.yaml").is_file());
    assert_eq!(pulled["chart_digest"], pushed["chart_digest"]);
    assert_eq!(pulled["digest"], pushed["digest"]);
    assert_eq!(support::list_dir(&untar), ["hello"]);
    Ok(())
}

#[test]
fn push_and_pull_through_the_real_registry_interoperate_with_helm() -> TestResult {
    let Some(registry) = Registry::start() else {
        return Ok(());
    };
    let home = tempfile::tempdir()?;
    let tgz = package(home.path(), &home.path().join("out"));
    let remote = format!("oci://{}/charts", registry.host);
    let out = ok(&helmoci(
        home.path(),
        &["push", tgz.to_str().unwrap(), &remote, "--plain-http"],
    ));
    assert!(
        out.starts_with(&format!(
            "Pushed: {}/charts/hello:0.1.0\nDigest: sha256:",
            registry.host
        )),
        "{out}"
    );
    let chart = format!("{remote}/hello");
    let pulled = home.path().join("pulled");
    ok(&helmoci(
        home.path(),
        &[
            "pull",
            &chart,
            "--version",
            "0.1.0",
            "-d",
            pulled.to_str().unwrap(),
            "--plain-http",
        ],
    ));
    assert_eq!(fs::read(pulled.join("hello-0.1.0.tgz"))?, fs::read(&tgz)?);
    // --if-exists fail refuses to move an existing tag to other content.
    let other = home.path().join("other");
    ok(&helmoci(
        home.path(),
        &[
            "package",
            sample_chart().to_str().unwrap(),
            "-d",
            other.to_str().unwrap(),
            "--app-version",
            "2.0.0",
            "--version",
            "0.1.0",
        ],
    ));
    let err = failed(
        &helmoci(
            home.path(),
            &[
                "push",
                other.join("hello-0.1.0.tgz").to_str().unwrap(),
                &remote,
                "--plain-http",
                "--if-exists",
                "fail",
            ],
        ),
        1,
    );
    assert!(err.contains("0.1.0"), "{err}");
    // show from the registry prints exactly what Helm's show prints.
    let shown = ok(&helmoci(
        home.path(),
        &[
            "show",
            "chart",
            &chart,
            "--version",
            "0.1.0",
            "--plain-http",
        ],
    ));
    if let Some(helm) = Helm::new() {
        let theirs = helm.run(
            "out = h.show(args['ref'], output_format='chart', plain_http=True)",
            serde_json::json!({"ref": format!("{chart}:0.1.0")}),
        );
        assert_eq!(shown, theirs.as_str().unwrap());
        let dest = home.path().join("helm");
        fs::create_dir_all(&dest)?;
        helm.run(
            "h.pull(args['ref'], version='0.1.0', destination=args['dest'], plain_http=True)",
            serde_json::json!({"ref": chart, "dest": dest}),
        );
        assert_eq!(
            fs::read(dest.join("hello-0.1.0.tgz"))?,
            fs::read(&tgz)?,
            "Helm pulls our bytes"
        );
        assert_eq!(helm.tags(&chart), vec!["0.1.0".to_owned()]);
    }
    Ok(())
}

#[test]
fn registry_login_logout_with_basic_auth_over_tls() -> TestResult {
    let home = tempfile::tempdir()?;
    let Some(certs) = certs::make(home.path()) else {
        return Ok(());
    };
    let Some(registry) = Registry::start_with(Auth::Basic, Some(&certs)) else {
        return Ok(());
    };
    let ca = certs.ca_pem.to_str().unwrap();
    let config = home.path().join("registry.json");

    // A wrong password: exit 1, the host named, nothing written.
    let err = failed(
        &helmoci_stdin(
            home.path(),
            &[
                "registry",
                "login",
                &registry.host,
                "-u",
                USER,
                "--password-stdin",
                "--ca-file",
                ca,
            ],
            Some("wrong\n"),
        ),
        1,
    );
    assert!(err.contains(&registry.host), "{err}");
    assert!(
        !err.contains("wrong"),
        "the password must not be printed: {err}"
    );
    assert!(!config.exists());

    // The right one: Login Succeeded and Helm's exact file.
    let out = ok(&helmoci_stdin(
        home.path(),
        &[
            "registry",
            "login",
            &registry.host,
            "-u",
            USER,
            "--password-stdin",
            "--ca-file",
            ca,
            "--debug",
        ],
        Some(&format!("{PASSWORD}\n")),
    ));
    assert_eq!(out, "Login Succeeded\n");
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{USER}:{PASSWORD}"),
    );
    assert_eq!(
        fs::read_to_string(&config)?,
        format!(
            "{{\n\t\"auths\": {{\n\t\t\"{}\": {{\n\t\t\t\"auth\": \"{auth}\"\n\t\t}}\n\t}}\n}}",
            registry.host
        )
    );

    // The stored login is used by push and pull.
    let tgz = package(home.path(), &home.path().join("out"));
    let remote = format!("oci://{}/charts", registry.host);
    let out = helmoci(
        home.path(),
        &[
            "push",
            tgz.to_str().unwrap(),
            &remote,
            "--ca-file",
            ca,
            "--debug",
        ],
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(PASSWORD), "no secret in --debug output");
    ok(&out);
    let pulled = home.path().join("pulled");
    ok(&helmoci(
        home.path(),
        &[
            "pull",
            &format!("{remote}/hello"),
            "--version",
            "0.1.0",
            "-d",
            pulled.to_str().unwrap(),
            "--ca-file",
            ca,
        ],
    ));
    assert_eq!(fs::read(pulled.join("hello-0.1.0.tgz"))?, fs::read(&tgz)?);

    // Logout removes it; a pull is then anonymous and refused.
    let out = ok(&helmoci(
        home.path(),
        &["registry", "logout", &registry.host],
    ));
    assert_eq!(
        out,
        format!("Removing login credentials for {}\n", registry.host)
    );
    assert!(!fs::read_to_string(&config)?.contains(&auth));
    let err = failed(
        &helmoci(
            home.path(),
            &[
                "pull",
                &format!("{remote}/hello"),
                "--version",
                "0.1.0",
                "-d",
                pulled.to_str().unwrap(),
                "--ca-file",
                ca,
            ],
        ),
        1,
    );
    assert!(
        err.contains("401") || err.to_lowercase().contains("unauthorized"),
        "{err}"
    );
    Ok(())
}

/// A login made by Helm is used by helmoci, and a login made by helmoci is used by Helm,
/// against the real registry with basic auth over TLS.
#[test]
fn logins_are_shared_with_helm() -> TestResult {
    let home = tempfile::tempdir()?;
    let Some(certs) = certs::make(home.path()) else {
        return Ok(());
    };
    let Some(registry) = Registry::start_with(Auth::Basic, Some(&certs)) else {
        return Ok(());
    };
    let Some(mut helm) = Helm::new() else {
        return Ok(());
    };
    helm.ssl_cert_file = Some(certs.ca_pem.clone());
    let ca = certs.ca_pem.to_str().unwrap();
    let config = home.path().join("registry.json");
    let tgz = package(home.path(), &home.path().join("out"));
    let remote = format!("oci://{}/charts", registry.host);

    // Helm logs in and writes the file; helmoci pushes with it.
    helm.run(
        "c = h.RegistryClient(credentials_file=args['cfg'])\nc.login(args['host'], args['u'], args['p'])",
        serde_json::json!({"cfg": config, "host": registry.host, "u": USER, "p": PASSWORD}),
    );
    assert!(fs::read_to_string(&config)?.contains(&registry.host));
    ok(&helmoci(
        home.path(),
        &["push", tgz.to_str().unwrap(), &remote, "--ca-file", ca],
    ));

    // helmoci logs in afresh; Helm pulls with that file.
    fs::remove_file(&config)?;
    ok(&helmoci_stdin(
        home.path(),
        &[
            "registry",
            "login",
            &registry.host,
            "-u",
            USER,
            "--password-stdin",
            "--ca-file",
            ca,
        ],
        Some(PASSWORD),
    ));
    let dest = home.path().join("helm-pulled");
    fs::create_dir_all(&dest)?;
    helm.run(
        "c = h.RegistryClient(credentials_file=args['cfg'])\nc.pull(args['ref'], version='0.1.0', destination=args['dest'])",
        serde_json::json!({"cfg": config, "ref": format!("{remote}/hello"), "dest": dest}),
    );
    assert_eq!(fs::read(dest.join("hello-0.1.0.tgz"))?, fs::read(&tgz)?);
    Ok(())
}
