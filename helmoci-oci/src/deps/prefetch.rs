//! Step 2½ of an update: what each dependency will download, fetched as soon as its own
//! lookup is done (OCI: tags → manifest → blob; HTTP: index → archive) instead of after all
//! of them. Best effort: whatever fails here is fetched again, and reported, by the
//! download step ([`super::fetch`]), which takes what was prefetched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use helmoci_core::deps::{resolve, Candidates, Fetch, Plan};
use helmoci_core::digest::Digest;
use tempfile::NamedTempFile;

use super::cache::ContentCache;
use super::lookup::{host_of, HostLimits, IndexJob};
use crate::pull::{download, resolve_in, Resolved};
use crate::reference::ChartRef;
use crate::registry::RegistryClient;
use crate::store::AnyStore;

/// An OCI pick fetched during the lookups.
pub(crate) struct Prefetched {
    /// Its manifest.
    pub(crate) resolved: Resolved,
    /// Its chart blob, verified, in the update's temporary directory; `None` when the
    /// content cache has it (or the download failed: the download step retries and
    /// reports).
    pub(crate) archive: Option<NamedTempFile>,
}

/// Where [`prefetch`] works.
pub(crate) struct Prefetch<'a> {
    pub(crate) limits: &'a HostLimits,
    pub(crate) into: &'a Mutex<HashMap<String, Prefetched>>,
    pub(crate) http: &'a Mutex<HashMap<String, (PathBuf, Digest)>>,
    pub(crate) max_archive_size: u64,
    /// The update's temporary directory.
    pub(crate) tmp: &'a Path,
    /// The content cache, whose archives are not downloaded again.
    pub(crate) cache: Option<&'a Path>,
}

/// Fetches the manifest and chart blob that dependencies `deps` will use, as soon as their
/// candidates are known: each OCI dependency goes tags → manifest → blob without waiting
/// for the other lookups. Best effort: a dependency that does not resolve, or whose
/// manifest or blob cannot be fetched now, is left for the download step to report.
pub(crate) async fn prefetch(
    client: &RegistryClient,
    plan: &Plan,
    deps: &[usize],
    candidates: Candidates<'_>,
    to: &Prefetch<'_>,
) {
    for &i in deps {
        let Some(planned) = plan.dependencies.get(i) else {
            continue;
        };
        let one = Plan {
            dependencies: vec![planned.clone()],
        };
        let Ok(resolution) = resolve(&one, std::slice::from_ref(&candidates)) else {
            continue;
        };
        let Some(Fetch::Oci { reference }) = resolution.resolved.first().map(|r| &r.fetch) else {
            continue;
        };
        if to.into.lock().map_or(true, |m| m.contains_key(reference)) {
            continue;
        }
        let Ok(chart) = format!("oci://{reference}").parse::<ChartRef>() else {
            continue;
        };
        let Ok(_permit) = to.limits.acquire(&host_of(reference)).await else {
            return;
        };
        let store = AnyStore::for_chart(client, &chart, false);
        let Ok(resolved) = resolve_in(&store, &chart, None).await else {
            continue;
        };
        let layer = &resolved.chart.chart;
        let cached = to
            .cache
            .is_some_and(|c| ContentCache::new(c).path_of(&layer.digest).is_file());
        let archive = if cached {
            None
        } else {
            download(&store, layer, to.tmp).await.ok()
        };
        if let Ok(mut m) = to.into.lock() {
            m.insert(reference.clone(), Prefetched { resolved, archive });
        }
    }
}

/// Downloads the archives that dependencies from the repository of `job` will use, as soon
/// as its index is read (named as the download step names them). Best effort, as
/// [`prefetch`]; archives the content cache has (by the index digest) are left to it.
pub(crate) async fn prefetch_http(
    plan: &Plan,
    job: &IndexJob,
    candidates: Candidates<'_>,
    to: &Prefetch<'_>,
) {
    for &i in &job.deps {
        let Some(planned) = plan.dependencies.get(i) else {
            continue;
        };
        let one = Plan {
            dependencies: vec![planned.clone()],
        };
        let Ok(resolution) = resolve(&one, std::slice::from_ref(&candidates)) else {
            continue;
        };
        let Some(Fetch::Http {
            url,
            digest,
            file_name,
        }) = resolution.resolved.first().map(|r| &r.fetch)
        else {
            continue;
        };
        if to.http.lock().map_or(true, |m| m.contains_key(url)) {
            continue;
        }
        let cached = match (to.cache, digest) {
            (Some(c), Some(hex)) => format!("sha256:{}", hex.to_ascii_lowercase())
                .parse::<Digest>()
                .is_ok_and(|d| ContentCache::new(c).path_of(&d).is_file()),
            _ => false,
        };
        if cached {
            continue;
        }
        let Ok(_permit) = to.limits.acquire(&host_of(url)).await else {
            return;
        };
        let dest = to.tmp.join(format!(".prefetch-{i}-{file_name}"));
        match job.repo.download(url, &dest, to.max_archive_size).await {
            Ok(actual) => {
                if let Ok(mut m) = to.http.lock() {
                    m.insert(url.clone(), (dest, actual));
                }
            }
            Err(_) => {
                let _ = std::fs::remove_file(&dest);
            }
        }
    }
}
