//! Every lookup rule, table-driven over the fixture files in tests/fixtures.

use helmoci_auth::{ConfigKind, Credential, Location, Registry, Source};

use crate::support::Env;

/// What a lookup should give: the credential, and the file kind and key it came from
/// (`None` for anonymous).
struct Case {
    helm: Option<&'static str>,
    docker: Option<&'static str>,
    podman: Option<&'static str>,
    registry: &'static str,
    repository: Option<&'static str>,
    credential: Credential,
    from: Option<(ConfigKind, &'static str)>,
}

fn run(case: Case) {
    let env = Env::new();
    for (fixture, path) in [
        (case.helm, &env.helm),
        (case.docker, &env.docker),
        (case.podman, &env.podman),
    ] {
        if let Some(name) = fixture {
            env.copy_fixture(name, path);
        }
    }
    let registry: Registry = case.registry.parse().expect("registry");
    let found = env
        .store()
        .lookup(&registry, case.repository)
        .expect("lookup");
    assert_eq!(found.credential, case.credential);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    match (case.from, found.source) {
        (None, Source::Anonymous) => {}
        (
            Some((kind, key)),
            Source::Config {
                kind: k,
                location: Location::File { key: got, path },
            },
        ) => {
            assert_eq!((kind, key), (k, got.as_str()));
            let expected = match kind {
                ConfigKind::Helm => &env.helm,
                ConfigKind::Docker => &env.docker,
                ConfigKind::Podman => &env.podman,
            };
            assert_eq!(&path, expected);
        }
        (want, got) => panic!("expected {want:?}, got {got:?}"),
    }
}

const ALL: (Option<&str>, Option<&str>, Option<&str>) =
    (Some("helm.json"), Some("docker.json"), Some("podman.json"));

macro_rules! lookup {
    ($name:ident, $files:expr, $registry:expr, $repo:expr, $cred:expr, $from:expr) => {
        #[test]
        fn $name() {
            let (helm, docker, podman) = $files;
            run(Case {
                helm,
                docker,
                podman,
                registry: $registry,
                repository: $repo,
                credential: $cred,
                from: $from,
            });
        }
    };
}

fn basic(u: &str, p: &str) -> Credential {
    Credential::basic(u, p)
}

use ConfigKind::{Docker, Helm, Podman};

// Helm's file, exact key.
lookup!(
    helm_exact_key,
    ALL,
    "localhost:5000",
    None,
    basic("helm", "helmpass"),
    Some((Helm, "localhost:5000"))
);
lookup!(
    helm_wins_over_docker,
    ALL,
    "shared.example",
    None,
    basic("helm", "shared"),
    Some((Helm, "shared.example"))
);
lookup!(
    host_without_port_is_another_registry,
    (None, None, None),
    "localhost",
    None,
    Credential::Anonymous,
    None
);
lookup!(
    podman_host_without_port,
    ALL,
    "localhost",
    None,
    basic("podman", "noport"),
    Some((Podman, "localhost"))
);
// Docker's file: legacy keys and entry shapes.
lookup!(
    docker_legacy_https_v1_key,
    ALL,
    "legacy.example",
    None,
    basic("legacy", "pw"),
    Some((Docker, "https://legacy.example/v1/"))
);
lookup!(
    docker_legacy_username_password_http_port,
    ALL,
    "plain.example:5000",
    None,
    basic("old", "fashioned"),
    Some((Docker, "http://plain.example:5000"))
);
lookup!(
    docker_identity_token,
    ALL,
    "acr.example",
    None,
    Credential::IdentityToken("refresh-tok".into()),
    Some((Docker, "acr.example"))
);
lookup!(
    docker_registry_token,
    ALL,
    "bearer.example",
    None,
    Credential::RegistryToken("access-tok".into()),
    Some((Docker, "bearer.example"))
);
lookup!(
    exact_key_beats_port_variant,
    ALL,
    "exact.example",
    None,
    basic("exact", "host"),
    Some((Docker, "exact.example"))
);
lookup!(
    port_variant_is_its_own_key,
    ALL,
    "exact.example:443",
    None,
    basic("port", "443"),
    Some((Docker, "exact.example:443"))
);
lookup!(
    field_names_match_case_insensitively,
    ALL,
    "fieldcase.example",
    None,
    basic("upper", "field"),
    Some((Docker, "fieldcase.example"))
);
lookup!(
    unknown_fields_are_ignored,
    ALL,
    "extra.example",
    None,
    basic("extra", "fields"),
    Some((Docker, "extra.example"))
);
lookup!(
    password_may_contain_colons,
    ALL,
    "colon.example",
    None,
    basic("user", "pa:ss"),
    Some((Docker, "colon.example"))
);
lookup!(
    empty_entry_falls_through_to_podman,
    ALL,
    "empty.example",
    None,
    basic("podman", "empty"),
    Some((Podman, "empty.example"))
);
// Docker Hub in every spelling.
lookup!(
    hub_docker_io,
    ALL,
    "docker.io",
    None,
    basic("hubuser", "hubpw"),
    Some((Docker, "https://index.docker.io/v1/"))
);
lookup!(
    hub_index_docker_io,
    ALL,
    "index.docker.io",
    Some("library/nginx"),
    basic("hubuser", "hubpw"),
    Some((Docker, "https://index.docker.io/v1/"))
);
lookup!(
    hub_registry_1,
    ALL,
    "registry-1.docker.io",
    None,
    basic("hubuser", "hubpw"),
    Some((Docker, "https://index.docker.io/v1/"))
);
lookup!(
    hub_key_spelled_as_host,
    (None, Some("docker-hub-variants.json"), None),
    "docker.io",
    None,
    basic("variant", "hub"),
    Some((Docker, "registry-1.docker.io"))
);
// Podman: repository-scoped keys, longest prefix on `/` boundaries.
lookup!(
    podman_repository_key,
    ALL,
    "quay.io",
    Some("org/repo"),
    basic("quay", "repo"),
    Some((Podman, "quay.io/org/repo"))
);
lookup!(
    podman_deeper_repository_uses_repo_key,
    ALL,
    "quay.io",
    Some("org/repo/sub"),
    basic("quay", "repo"),
    Some((Podman, "quay.io/org/repo"))
);
lookup!(
    podman_namespace_key,
    ALL,
    "quay.io",
    Some("org/other"),
    basic("quay", "org"),
    Some((Podman, "quay.io/org"))
);
lookup!(
    podman_prefix_stops_at_slash,
    ALL,
    "quay.io",
    Some("orgx/repo"),
    basic("quay", "all"),
    Some((Podman, "quay.io"))
);
lookup!(
    podman_registry_key_without_repository,
    ALL,
    "quay.io",
    None,
    basic("quay", "all"),
    Some((Podman, "quay.io"))
);
lookup!(
    podman_repository_prefix_is_not_enough,
    ALL,
    "quay.io",
    Some("org/rep"),
    basic("quay", "org"),
    Some((Podman, "quay.io/org"))
);
lookup!(
    podman_legacy_url_key,
    ALL,
    "podlegacy.example",
    None,
    basic("podlegacy", "pw"),
    Some((Podman, "https://podlegacy.example/v2/"))
);
lookup!(
    podman_docker_hub_scoped,
    (None, None, Some("podman.json")),
    "registry-1.docker.io",
    Some("library/nginx"),
    basic("podhub", "library"),
    Some((Podman, "docker.io/library"))
);
lookup!(
    podman_docker_hub_other_repo,
    (None, None, Some("podman.json")),
    "docker.io",
    Some("bitnami/redis"),
    basic("podhub", "all"),
    Some((Podman, "docker.io"))
);
// Nothing anywhere.
lookup!(
    unknown_host_is_anonymous,
    ALL,
    "nowhere.example",
    None,
    Credential::Anonymous,
    None
);
lookup!(
    no_files_at_all_is_anonymous,
    (None, None, None),
    "localhost:5000",
    None,
    Credential::Anonymous,
    None
);

#[test]
fn explicit_credentials_apply_to_their_registry_only() {
    let env = Env::new();
    env.copy_fixture("helm.json", &env.helm);
    let mine: Registry = "mine.example".parse().unwrap();
    let store = env
        .store()
        .with_credential(mine.clone(), basic("first", "x"))
        .with_credential(mine.clone(), basic("explicit", "pw"));
    let found = store.lookup(&mine, None).unwrap();
    assert_eq!(
        (found.credential, found.source),
        (basic("explicit", "pw"), Source::Explicit)
    );
    let other = store
        .lookup(&"localhost:5000".parse().unwrap(), None)
        .unwrap();
    assert_eq!(other.credential, basic("helm", "helmpass"));
    let elsewhere = store
        .lookup(&"nowhere.example".parse().unwrap(), None)
        .unwrap();
    assert_eq!(elsewhere.source, Source::Anonymous);
}

#[test]
fn a_broken_entry_only_matters_when_it_is_the_match() {
    let env = Env::new();
    env.copy_fixture("docker.json", &env.docker);
    let store = env.store();
    assert!(store
        .lookup(&"legacy.example".parse().unwrap(), None)
        .is_ok());
    let err = store
        .lookup(&"broken.example".parse().unwrap(), None)
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&env.docker.display().to_string()), "{text}");
    assert!(
        text.contains("\"broken.example\"") && text.contains("base64"),
        "{text}"
    );
}
