//! The example programs run and do what they say: the offline ones on an OCI layout, the
//! others against the real registry. `cargo test` builds them into
//! `target/<profile>/examples/`.

#[path = "../../helmoci-oci/tests/support/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod support;

use std::path::PathBuf;
use std::process::Command;

use support::registry::Registry;

fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let path: PathBuf = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} was not built: run `cargo test -p helmoci-examples` (it builds the examples)",
        path.display()
    );
    let mut cmd = Command::new(path);
    cmd.env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run example");
    assert!(
        out.status.success(),
        "example failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn quickstart_runs_offline() {
    let out = run(&mut example("quickstart"));
    assert!(out.trim_end().ends_with("OK"), "{out}");
    // Each step prints a digest: the pulled manifest is the pushed one, the verified archive
    // the packaged one.
    let after = |prefix: &str| -> Vec<String> {
        out.lines()
            .filter_map(|l| l.trim_start().strip_prefix(prefix))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(|d| d.trim_end_matches(':').to_owned())
            .collect()
    };
    let manifests = after("manifest ");
    assert_eq!(manifests.len(), 2, "{out}");
    assert_eq!(manifests[0], manifests[1], "{out}");
    let archives = [after("digest ").concat(), after("5. verified ").concat()];
    assert!(archives[0].starts_with("sha256:"), "{out}");
    assert_eq!(archives[0], archives[1], "{out}");
    assert!(out.contains("4. pulled   ^0.1.0 = oci-layout://"), "{out}");
}

#[test]
fn package_chart_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(example("package_chart")
        .arg("charts/hello")
        .arg(tmp.path().join("a")));
    let b = run(example("package_chart")
        .arg("charts/hello")
        .arg(tmp.path().join("b")));
    let digest = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("digest"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(digest(&a), digest(&b));
}

#[test]
fn push_pull_mirror_and_quickstart_against_the_registry() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let remote = format!("oci://{}/charts", registry.host);
    let out = run(example("quickstart").args(["--registry", &remote, "--plain-http"]));
    assert!(out.contains("OK"), "{out}");

    run(example("package_chart").arg("charts/hello").arg(tmp.path()));
    let tgz = tmp.path().join("hello-0.1.0.tgz");
    // Identical content again: IfTagExists::Fail accepts the no-op.
    let out = run(example("push_with_docker_credentials")
        .args([tgz.to_str().unwrap(), &remote, "--plain-http"])
        .env("HOME", tmp.path())
        .env("DOCKER_CONFIG", tmp.path().join("docker"))
        .env("HELM_REGISTRY_CONFIG", tmp.path().join("registry.json")));
    assert!(out.contains("Pushed: "), "{out}");

    let dest = tmp.path().join("untar");
    let out = run(example("pull_and_untar").args([
        &format!("{remote}/hello"),
        "^0.1.0",
        dest.to_str().unwrap(),
        "--plain-http",
    ]));
    assert!(out.contains("Expanded into"), "{out}");
    assert!(dest.join("hello/templates/deployment.yaml").is_file());

    let layout = tmp.path().join("mirror");
    let out = run(example("mirror").args([
        &format!("{remote}/hello"),
        &format!("oci-layout://{}", layout.display()),
        "--plain-http",
    ]));
    assert!(out.contains("hello:0.1.0"), "{out}");
    assert!(layout.join("hello/index.json").is_file());
}

#[test]
fn dependency_update_runs_offline_from_file_repositories() {
    let out = run(&mut example("dependency_update"));
    assert!(
        out.contains("event: Archiving { name: \"web\", repository: \"file://../web\" }"),
        "{out}"
    );
    assert!(out.contains("saved charts/web-1.2.3.tgz"), "{out}");
    assert!(out.contains("lock written: true"), "{out}");
    // The lock, with the version `~1.2.0` resolved to and SOURCE_DATE_EPOCH's time.
    assert!(
        out.contains("- name: web\n  repository: file://../web\n  version: 1.2.3\n"),
        "{out}"
    );
    assert!(
        out.ends_with("generated: \"2023-11-14T22:13:20Z\"\n"),
        "{out}"
    );
}

#[test]
fn dependency_update_resolves_a_chart_it_pushed_to_the_registry() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let remote = format!("oci://{}/deps", registry.host);
    let out = run(example("dependency_update").args(["--registry", &remote, "--plain-http"]));
    assert!(
        out.contains(&format!("pushed {}/deps/db:1.4.0", registry.host)),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "event: Downloading {{ name: \"db\", repository: \"{remote}\" }}"
        )),
        "{out}"
    );
    assert!(out.contains("saved charts/db-1.4.0.tgz"), "{out}");
    assert!(out.contains("(1 downloaded, 0 from cache)"), "{out}");
    assert!(
        out.contains(&format!(
            "- name: db\n  repository: {remote}\n  version: 1.4.0\n"
        )),
        "{out}"
    );
}
