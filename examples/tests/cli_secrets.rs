//! Secret hygiene: every registry-talking `helmoci` command, run with `--debug` and real
//! credentials against a TLS + Basic-auth registry (and made to fail in the ways that print
//! the most), never prints the password, `user:password` or its base64 form.

#[path = "../../helmoci-oci/tests/support/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;
use support::certs;
use support::registry::{Auth, Registry, PASSWORD, USER};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `helmoci` with an isolated HOME and config locations.
fn helmoci(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_helmoci"));
    cmd.args(args)
        .env("HOME", home)
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("REGISTRY_AUTH_FILE", home.join("auth.json"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("RUST_BACKTRACE", "1")
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

/// The forms a leaked secret would take.
fn needles(password: &str) -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let pair = format!("{USER}:{password}");
    vec![
        password.to_owned(),
        pair.clone(),
        b64(&pair),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&pair),
        base64::engine::general_purpose::URL_SAFE.encode(&pair),
        b64(password),
    ]
}

/// Records each run and checks its output for secrets.
struct Runs {
    home: PathBuf,
    needles: Vec<String>,
    count: usize,
    bytes: usize,
}

impl Runs {
    /// Runs and returns the output after checking stdout and stderr for every needle.
    fn run(&mut self, args: &[&str], stdin: Option<&str>, want_success: bool) -> Output {
        let out = helmoci(&self.home, args, stdin);
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for n in &self.needles {
            assert!(
                !text.contains(n.as_str()),
                "`helmoci {}` printed a secret ({n:?} found):\n{text}",
                args.join(" ")
            );
        }
        assert_eq!(
            out.status.success(),
            want_success,
            "`helmoci {}`:\n{text}",
            args.join(" ")
        );
        self.count += 1;
        self.bytes += text.len();
        out
    }
}

#[test]
fn no_command_prints_the_password_with_debug() -> TestResult {
    let home = tempfile::tempdir()?;
    let Some(certs) = certs::make(home.path()) else {
        return Ok(());
    };
    let Some(registry) = Registry::start_with(Auth::Basic, Some(&certs)) else {
        return Ok(());
    };
    let ca = certs.ca_pem.to_str().unwrap().to_owned();
    let host = registry.host.clone();
    let remote = format!("oci://{host}/charts");
    let mut runs = Runs {
        home: home.path().to_owned(),
        needles: needles(PASSWORD),
        count: 0,
        bytes: 0,
    };

    // A chart to push.
    let charts_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/hello");
    let out_dir = home.path().join("pkg");
    runs.run(
        &[
            "package",
            charts_dir.to_str().unwrap(),
            "-d",
            out_dir.to_str().unwrap(),
        ],
        None,
        true,
    );
    let tgz = out_dir.join("hello-0.1.0.tgz");
    let tgz = tgz.to_str().unwrap();
    let creds = ["--username", USER, "--password", PASSWORD];
    let tls = ["--ca-file", ca.as_str(), "--debug"];
    let with = |args: &[&str], extra: &[&str]| -> Vec<String> {
        args.iter()
            .chain(extra)
            .chain(&tls)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |runs: &mut Runs, args: Vec<String>, stdin: Option<&str>, ok: bool| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        runs.run(&a, stdin, ok)
    };
    let chart = format!("{remote}/hello");
    let pulled = home.path().join("pulled");
    let pulled = pulled.to_str().unwrap();
    let layout = format!("oci-layout://{}", home.path().join("layout").display());

    // With explicit --username/--password on each command.
    run(&mut runs, with(&["push", tgz, &remote], &creds), None, true);
    run(
        &mut runs,
        with(
            &["pull", &chart, "--version", "0.1.0", "-d", pulled],
            &creds,
        ),
        None,
        true,
    );
    run(
        &mut runs,
        with(&["show", "chart", &chart], &creds),
        None,
        true,
    );
    run(
        &mut runs,
        with(&["show", "all", &chart], &creds),
        None,
        true,
    );
    run(&mut runs, with(&["tags", &chart], &creds), None, true);
    run(
        &mut runs,
        with(&["tags", &chart, "--json"], &creds),
        None,
        true,
    );

    // Failures with the right credentials: missing chart, missing version, bad digest.
    let missing = format!("{remote}/nope");
    run(
        &mut runs,
        with(&["pull", &missing, "-d", pulled], &creds),
        None,
        false,
    );
    run(
        &mut runs,
        with(
            &["pull", &chart, "--version", "9.9.9", "-d", pulled],
            &creds,
        ),
        None,
        false,
    );
    run(
        &mut runs,
        with(&["show", "values", &missing], &creds),
        None,
        false,
    );
    run(&mut runs, with(&["tags", &missing], &creds), None, false);

    // A wrong password: the wrong one must not print either.
    let wrong = "wr0ng-Pa55word";
    runs.needles.extend(needles(wrong));
    let bad = ["--username", USER, "--password", wrong];
    run(&mut runs, with(&["push", tgz, &remote], &bad), None, false);
    run(
        &mut runs,
        with(&["pull", &chart, "-d", pulled], &bad),
        None,
        false,
    );
    run(&mut runs, with(&["tags", &chart], &bad), None, false);
    run(
        &mut runs,
        with(
            &["registry", "login", &host, "-u", USER, "--password-stdin"],
            &[],
        ),
        Some(&format!("{wrong}\n")),
        false,
    );
    run(
        &mut runs,
        with(&["registry", "login", &host, "-u", USER, "-p", wrong], &[]),
        None,
        false,
    );

    // Login (both ways of passing the password), then every command from the stored login.
    run(
        &mut runs,
        with(
            &["registry", "login", &host, "-u", USER, "-p", PASSWORD],
            &[],
        ),
        None,
        true,
    );
    run(
        &mut runs,
        with(
            &["registry", "login", &host, "-u", USER, "--password-stdin"],
            &[],
        ),
        Some(&format!("{PASSWORD}\n")),
        true,
    );
    run(&mut runs, with(&["push", tgz, &remote], &[]), None, true);
    run(
        &mut runs,
        with(&["pull", &chart, "--version", "0.1.0", "-d", pulled], &[]),
        None,
        true,
    );
    run(&mut runs, with(&["show", "chart", &chart], &[]), None, true);
    run(&mut runs, with(&["tags", &chart], &[]), None, true);
    run(
        &mut runs,
        with(
            &[
                "copy",
                &format!("{chart}:0.1.0"),
                &format!("{remote}/copied"),
            ],
            &[],
        ),
        None,
        true,
    );
    run(
        &mut runs,
        with(&["copy", &format!("{chart}:0.1.0"), &layout], &[]),
        None,
        true,
    );
    run(
        &mut runs,
        with(&["copy", &format!("{chart}:9.9.9"), &layout], &[]),
        None,
        false,
    );
    run(
        &mut runs,
        with(&["pull", &missing, "-d", pulled], &[]),
        None,
        false,
    );
    run(
        &mut runs,
        vec!["registry".into(), "logout".into(), host.clone()],
        None,
        true,
    );

    eprintln!(
        "{} runs, {} bytes of output searched for {} secret forms: no hits",
        runs.count,
        runs.bytes,
        runs.needles.len()
    );
    assert!(runs.count >= 25);
    Ok(())
}

/// The libraries: errors (Display, `{:#}` chain and Debug) from a wrong password and from
/// failed operations with the right one, and the client and credential types themselves.
#[test]
fn library_errors_and_types_never_show_the_password() -> TestResult {
    use helmoci_oci::credential::{Credential, StaticCredentials};
    use helmoci_oci::pull::PullOptions;
    use helmoci_oci::reference::ChartRef;
    use helmoci_oci::RegistryClient;

    let home = tempfile::tempdir()?;
    let Some(certs) = certs::make(home.path()) else {
        return Ok(());
    };
    let Some(registry) = Registry::start_with(Auth::Basic, Some(&certs)) else {
        return Ok(());
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut seen = String::new();
    let mut record = |what: &str, text: String| {
        seen.push_str(what);
        seen.push_str(": ");
        seen.push_str(&text);
        seen.push('\n');
    };
    for password in [PASSWORD, "wr0ng-Pa55word"] {
        let cred = Credential::basic(USER, password);
        record("credential", format!("{cred:?}"));
        let source = StaticCredentials::new().with(&registry.host, cred);
        let client = RegistryClient::builder()
            .add_root_certificate_file(&certs.ca_pem)
            .credentials(source)
            .build()?;
        record("client", format!("{client:?}"));
        for r in ["charts/nope:1.0.0", "charts/nope"] {
            let chart: ChartRef = format!("oci://{}/{r}", registry.host).parse()?;
            let opts = PullOptions::into_dir(home.path().join("out"));
            for err in [
                rt.block_on(client.pull(&chart, &opts)).unwrap_err(),
                rt.block_on(client.tags(&chart)).map(|_| ()).unwrap_err(),
            ] {
                record("display", format!("{err}"));
                record("debug", format!("{err:?}"));
                record("pretty", format!("{err:#?}"));
                let mut chain = String::new();
                let mut source: Option<&dyn std::error::Error> = Some(&err);
                while let Some(e) = source {
                    chain.push_str(&format!("{e}: "));
                    source = e.source();
                }
                record("chain", chain);
            }
        }
    }
    let mut all = needles(PASSWORD);
    all.extend(needles("wr0ng-Pa55word"));
    for n in &all {
        assert!(!seen.contains(n.as_str()), "secret {n:?} printed:\n{seen}");
    }
    assert!(
        seen.contains("401") || seen.to_lowercase().contains("unauthorized"),
        "{seen}"
    );
    Ok(())
}
