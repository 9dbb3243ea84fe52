//! `helm dependency update` from a Rust program: build an umbrella chart whose dependencies
//! are a `file://` chart directory (and, with `--registry`, a chart pushed to an OCI
//! registry first), resolve and download them with
//! `helmoci_oci::deps::update_dependencies`, print every progress event, then the lock.
//!
//! Offline by default; everything lives in a temporary directory and Helm's own
//! repository configuration and caches are left alone.
//!
//! ```text
//! cargo run -p helmoci-examples --example dependency_update
//! cargo run -p helmoci-examples --example dependency_update -- --registry oci://127.0.0.1:5000/deps --plain-http
//! ```

use std::path::Path;
use std::sync::Arc;

use helmoci_core::package::{package, PackageOptions};
use helmoci_oci::credential::ConfiguredCredentials;
use helmoci_oci::deps::{update_dependencies, DependencyOptions, Event};
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::Target;
use helmoci_oci::RegistryClient;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mut registry = None;
    let mut plain_http = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--registry" => registry = args.next(),
            "--plain-http" => plain_http = true,
            other => {
                return Err(format!(
                "unknown argument {other:?}; use [--registry oci://HOST:PORT/PATH] [--plain-http]"
            )
                .into())
            }
        }
    }
    let work = tempfile::tempdir()?;
    let client = RegistryClient::builder()
        .plain_http(plain_http)
        .credentials(ConfiguredCredentials::from_env())
        .build()?;

    // 1. A library chart next to the umbrella: a `file://` dependency, packaged on the fly.
    write_chart(&work.path().join("web"), "web", "1.2.3")?;
    let mut dependencies =
        String::from("- name: web\n  version: ~1.2.0\n  repository: file://../web\n");

    // 2. With a registry: package and push a `db` chart, then depend on it by constraint.
    if let Some(remote) = &registry {
        let db_dir = work.path().join("db");
        write_chart(&db_dir, "db", "1.4.0")?;
        let packaged = package(
            &db_dir,
            &PackageOptions {
                destination: work.path().join("packages"),
                ..PackageOptions::default()
            },
        )?;
        let target: Target = remote.parse()?;
        let pushed = client
            .push(&packaged, &target, &PushOptions::default())
            .await?;
        println!("pushed {}", pushed.reference.short());
        dependencies.push_str(&format!(
            "- name: db\n  version: ^1.0.0\n  repository: {}\n",
            remote.trim_end_matches('/')
        ));
    }

    // 3. The umbrella chart that needs them.
    let umbrella = work.path().join("umbrella");
    write_chart(&umbrella, "umbrella", "0.1.0")?;
    let chart_yaml = std::fs::read_to_string(umbrella.join("Chart.yaml"))?;
    std::fs::write(
        umbrella.join("Chart.yaml"),
        format!("{chart_yaml}dependencies:\n{dependencies}"),
    )?;

    // 4. Resolve and download. Repository config and caches point into the temp dir;
    //    `progress` receives Helm's steps as typed events.
    let mut options = DependencyOptions::default();
    options.repository_config = work.path().join("repositories.yaml");
    options.repository_cache = work.path().join("repository-cache");
    options.content_cache = None;
    options.progress = Some(Arc::new(|event: &Event| println!("event: {event:?}")));
    let updated = update_dependencies(&client, &umbrella, &options).await?;

    // 5. What happened: the archives saved into charts/, and the lock written.
    for path in &updated.saved {
        println!("saved {}", path.strip_prefix(&umbrella)?.display());
    }
    println!(
        "lock written: {} ({} downloaded, {} from cache)",
        updated.lock_written, updated.downloaded, updated.cache_hits
    );
    print!("{}", std::fs::read_to_string(umbrella.join("Chart.lock"))?);
    Ok(())
}

/// Writes a minimal application chart: `Chart.yaml`, `values.yaml` and one template.
fn write_chart(dir: &Path, name: &str, version: &str) -> Result {
    std::fs::create_dir_all(dir.join("templates"))?;
    std::fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\ntype: application\n"),
    )?;
    std::fs::write(dir.join("values.yaml"), "replicas: 1\n")?;
    std::fs::write(
        dir.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n",
    )?;
    Ok(())
}
