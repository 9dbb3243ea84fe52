//! `dependency update|build --verify --keyring`: charts signed by us with a key GnuPG makes
//! for the test, pushed with their `.prov` to the real registry and served with it from an
//! HTTP chart repository; compared with Helm's `dependency_update(verify=True)`. Every
//! failure (no provenance, unknown signer, altered `.prov`) leaves `charts/` and the lock
//! byte for byte as they were.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use helmoci_core::package::{package, PackageOptions};
use helmoci_core::provenance::{self, Keyring};
use helmoci_core::time::Timestamp;
use helmoci_oci::deps::{
    build_dependencies, update_dependencies, DependencyOptions, Event, Verify,
};
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::Target;
use helmoci_oci::{Error, RegistryClient};

use crate::chartrepo::{chart_src, write_index, ChartRepo};
use crate::deps::{assert_same_as_helm, chain, fast_retry, recorder, snapshot};
use crate::provenance_keys::Gpg;
use crate::require;
use crate::support::helm::Helm;
use crate::support::registry::Registry;
use crate::support::TestResult;

/// On the registry (`oci://…/signed`): `signed` 1.0.0 (signed), `plain` 1.0.0 (no
/// provenance layer), `altered` 1.0.0 (a `.prov` whose signed text was changed). In the
/// HTTP repository: `web` 1.0.0 with `web-1.0.0.tgz.prov`, `db` 0.3.0 without. A `file://`
/// chart `lib`. Keyrings: Alice's public key (the signer), Mallory's (someone else).
struct Fixture {
    root: tempfile::TempDir,
    reg: Registry,
    repo: ChartRepo,
    client: RegistryClient,
    alice: PathBuf,
    mallory: PathBuf,
    _gpg: Gpg,
}

fn package_at(root: &Path, name: &str, version: &str, dest: &Path) -> PathBuf {
    let opts = PackageOptions {
        destination: dest.to_owned(),
        mtime: Some(Timestamp::from_unix(1_700_000_000)),
        ..PackageOptions::default()
    };
    package(&chart_src(root, name, version), &opts)
        .unwrap()
        .path
}

/// Changes one hex digit of the signed `files:` sum: the signature no longer matches.
fn alter(prov: &Path) {
    let text = std::fs::read_to_string(prov).unwrap();
    let at = text.find(": sha256:").unwrap() + ": sha256:".len();
    let digit = if &text[at..=at] == "0" { "1" } else { "0" };
    let altered = format!("{}{digit}{}", &text[..at], &text[at + 1..]);
    std::fs::write(prov, altered).unwrap();
}

/// Alice and Mallory in a fresh GnuPG home: Alice's secret key (to sign) and the two
/// public keyrings written under `r` (no private key stays on disk).
fn keys(r: &Path) -> Option<(Gpg, Keyring, PathBuf, PathBuf)> {
    let gpg = Gpg::new()?;
    gpg.gen_key(
        "Alice Test <alice@example.com>",
        "ed25519",
        "1y",
        None,
        None,
    );
    gpg.gen_key(
        "Mallory Test <mallory@example.com>",
        "ed25519",
        "1y",
        None,
        None,
    );
    let secring = r.join("secring.gpg");
    gpg.export_secret(&secring, "", &["alice@example.com"]);
    let (alice, mallory) = (r.join("alice.gpg"), r.join("mallory.gpg"));
    gpg.export_public(&alice, false, &["alice@example.com"]);
    gpg.export_public(&mallory, false, &["mallory@example.com"]);
    let signer = Keyring::load(&secring).unwrap();
    std::fs::remove_file(&secring).unwrap();
    Some((gpg, signer, alice, mallory))
}

impl Fixture {
    async fn new() -> Option<Fixture> {
        let reg = Registry::start()?;
        let root = tempfile::tempdir().unwrap();
        let r = root.path().to_owned();
        let (gpg, signer, alice, mallory) = keys(&r)?;

        let client = RegistryClient::builder()
            .plain_http(true)
            .retry(fast_retry())
            .build()
            .unwrap();
        let target: Target = reg.oci("signed").parse().unwrap();
        let out = r.join("oci-out");
        for (name, sign, tamper) in [
            ("signed", true, false),
            ("plain", false, false),
            ("altered", true, true),
        ] {
            let tgz = package_at(&r, name, "1.0.0", &out);
            if sign {
                let prov = provenance::sign(&tgz, &signer, "alice", None).unwrap();
                if tamper {
                    alter(&prov);
                }
            }
            let chart =
                crate::support::packaged(&tgz, helmoci_core::load::load(&tgz).unwrap().metadata);
            let pushed = client
                .push(&chart, &target, &PushOptions::default())
                .await
                .unwrap();
            assert_eq!(pushed.provenance.is_some(), sign, "{name}");
        }
        let www = r.join("www/charts");
        let web = package_at(&r, "web", "1.0.0", &www);
        provenance::sign(&web, &signer, "alice", None).unwrap();
        package_at(&r, "db", "0.3.0", &www);
        write_index(&www);
        let repo = ChartRepo::serve(r.join("www")).await;
        let lib = r.join("lib");
        std::fs::create_dir_all(lib.join("templates")).unwrap();
        std::fs::write(
            lib.join("Chart.yaml"),
            "apiVersion: v2\nname: lib\nversion: 0.2.0\ntype: library\n",
        )
        .unwrap();
        Some(Fixture {
            root,
            reg,
            repo,
            client,
            alice,
            mallory,
            _gpg: gpg,
        })
    }

    /// `<root>/<sub>/umbrella` depending on `deps` (`name@version` of the fixture's charts;
    /// `lib` is the `file://` one).
    fn umbrella(&self, sub: &str, deps: &[&str]) -> PathBuf {
        let dir = self.root.path().join(sub).join("umbrella");
        std::fs::create_dir_all(&dir).unwrap();
        let mut yaml =
            String::from("apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n");
        for d in deps {
            let repository = match *d {
                "web" | "db" => self.repo.url.clone(),
                "lib" => "file://../../lib".to_owned(),
                _ => self.reg.oci("signed"),
            };
            yaml.push_str(&format!(
                "- name: {d}\n  version: \">=0.1.0\"\n  repository: {repository}\n"
            ));
        }
        std::fs::write(dir.join("Chart.yaml"), yaml).unwrap();
        dir
    }

    fn options(&self, cache: &str, verify: Verify) -> DependencyOptions {
        let c = self.root.path().join(cache);
        let mut o = DependencyOptions::default();
        o.repository_config = c.join("repositories.yaml");
        o.repository_cache = c.join("repository");
        o.content_cache = Some(c.join("content"));
        o.verify = verify;
        o
    }

    fn ring(&self, path: &Path) -> Arc<Keyring> {
        Arc::new(Keyring::load(path).unwrap())
    }

    fn always(&self, path: &Path) -> Verify {
        Verify::Always(self.ring(path))
    }
}

fn helm_update(helm: &Helm, dir: &Path, keyring: &Path) -> Result<serde_json::Value, String> {
    helm.try_run(
        "h.dependency_update(args['dir'], plain_http=True, verify=True, keyring=args['ring'])",
        serde_json::json!({ "dir": dir, "ring": keyring }),
    )
}

fn verified(events: &[Event]) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Verified { name, verification } => {
                Some((name.clone(), verification.signed_by.clone()))
            }
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn no_prov_files(dir: &Path) -> bool {
    !std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".prov"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_update_equals_helms_and_checks_cached_archives_too() -> TestResult {
    let helm = require!(Helm::new());
    let fx = require!(Fixture::new().await);
    let deps = ["signed", "web", "lib"];
    let helm_dir = fx.umbrella("helm", &deps);
    helm_update(&helm, &helm_dir, &fx.alice).map_err(|e| format!("helm: {e}"))?;

    let ours = fx.umbrella("ours", &deps);
    let (progress, events) = recorder();
    let mut opts = fx.options("cache", fx.always(&fx.alice));
    opts.progress = Some(progress);
    let updated = update_dependencies(&fx.client, &ours, &opts).await?;
    assert_eq!(updated.downloaded, 2);
    // Helm keeps no .prov in charts/ (its move skips files that are not charts): neither do we.
    assert_same_as_helm(&ours, &helm_dir);
    assert!(no_prov_files(&helm_dir) && no_prov_files(&ours));
    let alice = vec!["Alice Test <alice@example.com>".to_owned()];
    assert_eq!(
        verified(&events.lock().unwrap()),
        vec![
            ("signed".to_owned(), alice.clone()),
            ("web".to_owned(), alice.clone())
        ],
        "file:// is not verified, as in Helm"
    );

    // Archives from the content cache are verified too: their .prov is fetched again.
    let before = snapshot(&ours);
    let (progress, events) = recorder();
    opts.progress = Some(progress);
    let again = update_dependencies(&fx.client, &ours, &opts).await?;
    assert_eq!((again.downloaded, again.cache_hits), (0, 2));
    assert_eq!(verified(&events.lock().unwrap()).len(), 2);
    assert_eq!(snapshot(&ours), before);

    // …so an altered .prov next to a cached archive fails, and nothing changes.
    let prov = fx.root.path().join("www/charts/web-1.0.0.tgz.prov");
    let good = std::fs::read(&prov)?;
    alter(&prov);
    let err = update_dependencies(
        &fx.client,
        &ours,
        &fx.options("cache", fx.always(&fx.alice)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::DependencyNotVerified { .. }),
        "{err:?}"
    );
    let text = chain(&err);
    assert!(
        text.starts_with(&format!(
            "dependency \"web\" 1.0.0 ({}/web-1.0.0.tgz) does not verify against its provenance; charts/ and the lock are unchanged: {}/web-1.0.0.tgz.prov: invalid signature by key ",
            fx.repo.url, fx.repo.url
        )),
        "{text}"
    );
    assert_eq!(snapshot(&ours), before);
    std::fs::write(&prov, good)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_wrong_keyring_and_altered_prov_fail_and_change_nothing() -> TestResult {
    let helm = require!(Helm::new());
    let fx = require!(Fixture::new().await);

    let cases: Vec<(&str, &[&str], &Path, &str)> = vec![
        (
            "unsigned OCI",
            &["plain", "lib"],
            &fx.alice,
            "dependency \"plain\" 1.0.0 is not signed: failed to fetch provenance \"oci://",
        ),
        (
            "unsigned HTTP",
            &["db"],
            &fx.alice,
            "dependency \"db\" 0.3.0 is not signed: failed to fetch provenance \"http://",
        ),
        (
            "wrong keyring",
            &["signed"],
            &fx.mallory,
            "dependency \"signed\" 1.0.0 (oci://",
        ),
        (
            "altered OCI provenance",
            &["altered"],
            &fx.alice,
            "dependency \"altered\" 1.0.0 (oci://",
        ),
    ];
    for (what, deps, ring, start) in cases {
        // Updated without verification first: charts/ and Chart.lock exist.
        let sub = what.replace(' ', "-");
        let dir = fx.umbrella(&sub, deps);
        update_dependencies(&fx.client, &dir, &fx.options("cache", Verify::Never)).await?;
        let before = snapshot(&dir);
        assert!(
            before.contains_key("Chart.lock") && before.len() > 3,
            "{what}"
        );
        let err = update_dependencies(&fx.client, &dir, &fx.options("cache", fx.always(ring)))
            .await
            .unwrap_err();
        let text = chain(&err);
        assert!(text.starts_with(start), "{what}: {text}");
        match what {
            "unsigned OCI" => {
                assert!(matches!(err, Error::DependencyNotSigned { .. }), "{err:?}");
                assert!(
                    text.contains(":1.0.0.prov\": manifest does not contain a layer with mediatype application/vnd.cncf.helm.chart.provenance.v1.prov; charts/ and the lock are unchanged"),
                    "{text}"
                );
            }
            "unsigned HTTP" => {
                assert!(matches!(err, Error::DependencyNotSigned { .. }), "{err:?}");
                assert!(
                    text.contains("/db-0.3.0.tgz.prov\": 404 Not Found;"),
                    "{text}"
                );
            }
            "wrong keyring" => {
                assert!(
                    matches!(err, Error::DependencyNotVerified { .. }),
                    "{err:?}"
                );
                assert!(text.contains("signature made by unknown entity"), "{text}");
                assert!(text.contains(&fx.mallory.display().to_string()), "{text}");
            }
            _ => {
                assert!(
                    matches!(err, Error::DependencyNotVerified { .. }),
                    "{err:?}"
                );
                assert!(text.contains("invalid signature by key"), "{text}");
            }
        }
        assert_eq!(
            snapshot(&dir),
            before,
            "{what}: charts/ or the lock changed"
        );

        // Helm refuses the same chart.
        let helm_dir = fx.umbrella(&format!("helm-{sub}"), deps);
        let herr = helm_update(&helm, &helm_dir, ring).unwrap_err();
        match what {
            "unsigned OCI" | "unsigned HTTP" => {
                assert!(
                    herr.contains("failed to fetch provenance"),
                    "{what}: {herr}"
                )
            }
            "wrong keyring" => assert!(herr.contains("unknown entity"), "{what}: {herr}"),
            _ => assert!(herr.contains("invalid signature"), "{what}: {herr}"),
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_verifies_if_possible_like_helms_cli() -> TestResult {
    let helm = require!(Helm::new());
    let fx = require!(Fixture::new().await);
    let deps = ["signed", "plain", "db"];
    let dir = fx.umbrella("ours", &deps);
    update_dependencies(&fx.client, &dir, &fx.options("cache", Verify::Never)).await?;
    std::fs::remove_dir_all(dir.join("charts"))?;

    // No provenance: a warning, as Helm's `dependency build --verify` (VerifyIfPossible).
    let (progress, events) = recorder();
    let mut opts = fx.options("cache", Verify::IfPossible(fx.ring(&fx.alice)));
    opts.progress = Some(progress);
    build_dependencies(&fx.client, &dir, &opts).await?;
    let events = events.lock().unwrap().clone();
    let mut warnings: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    warnings.sort();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with(&format!(
            "Verification not found for {}/db-0.3.0.tgz: failed to fetch provenance",
            fx.repo.url
        )),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with(&format!(
            "Verification not found for {}/plain:1.0.0: failed to fetch provenance",
            fx.reg.oci("signed")
        )),
        "{warnings:?}"
    );
    assert_eq!(verified(&events).len(), 1);
    let mut files = crate::support::list_dir(&dir.join("charts"));
    files.sort();
    assert_eq!(
        files,
        ["db-0.3.0.tgz", "plain-1.0.0.tgz", "signed-1.0.0.tgz"]
    );
    // Helm's CLI sets VerifyIfPossible for `dependency build --verify`
    // (pkg/cmd/dependency_build.go), which is what `Verify::IfPossible` and our CLI do.
    // The SDK's `dependency_build(verify=True)` applies VerifyAlways instead, like
    // `Verify::Always`: it refuses the unsigned dependency.
    let helm_dir = fx.root.path().join("helm/umbrella");
    std::fs::create_dir_all(&helm_dir)?;
    std::fs::copy(dir.join("Chart.yaml"), helm_dir.join("Chart.yaml"))?;
    std::fs::copy(dir.join("Chart.lock"), helm_dir.join("Chart.lock"))?;
    let herr = helm
        .try_run(
            "h.dependency_build(args['dir'], plain_http=True, verify=True, keyring=args['ring'])",
            serde_json::json!({ "dir": helm_dir, "ring": fx.alice }),
        )
        .unwrap_err();
    assert!(herr.contains("failed to fetch provenance"), "{herr}");
    let err = build_dependencies(&fx.client, &dir, &fx.options("cache", fx.always(&fx.alice)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DependencyNotSigned { .. }), "{err:?}");

    // A provenance that does not verify still fails.
    let before = snapshot(&dir);
    let opts = fx.options("cache", Verify::IfPossible(fx.ring(&fx.mallory)));
    let err = build_dependencies(&fx.client, &dir, &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::DependencyNotVerified { .. }),
        "{err:?}"
    );
    assert_eq!(snapshot(&dir), before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_provenance_goes_with_the_archives_credentials() -> TestResult {
    use crate::deps_http::{chart, client, options, serve, AUTH};
    let root = tempfile::tempdir()?;
    let r = root.path();
    let (_gpg, signer, alice, _) = require!(keys(r));
    // The repository requires Basic credentials for everything, the .prov included.
    let repo_dir = r.join("repo");
    let web = package_at(r, "web", "1.0.0", &repo_dir);
    provenance::sign(&web, &signer, "alice", None)?;
    write_index(&repo_dir);
    let repo = serve(repo_dir, true).await;
    let dir = chart(r);
    let mut opts = options(r, &format!("http://{}/", repo.host), false);
    opts.verify = Verify::Always(Arc::new(Keyring::load(&alice)?));
    update_dependencies(&client(), &dir, &opts).await?;
    let requests = repo.requests();
    assert!(
        requests.iter().any(|q| q.path == "/web-1.0.0.tgz.prov"),
        "{:?}",
        requests.iter().map(|q| &q.path).collect::<Vec<_>>()
    );
    assert!(requests
        .iter()
        .all(|q| q.header("authorization") == Some(AUTH)));
    Ok(())
}
