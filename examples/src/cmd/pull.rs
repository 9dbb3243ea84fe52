//! `helmoci pull oci://REGISTRY/NAMESPACE/NAME`: like `helm pull`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use helmoci_core::archive::{expand, Limits};
use helmoci_core::load::LoadOptions;
use helmoci_core::provenance::{self, Verification};
use helmoci_core::PackagedChart;
use helmoci_oci::layout::Layout;
use helmoci_oci::pull::{PullOptions, Resolved};
use helmoci_oci::reference::ChartRef;

use super::push::registry_of;
use crate::progress::{bars, Output};
use crate::transport::{block_on, TransportArgs};
use crate::Global;

/// Flags of `helmoci pull`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The chart: `oci://host[:port]/path/name[:tag|@digest]` or `oci-layout://DIR/name[:tag]`.
    chart: String,
    /// A version or constraint (`1.2.3`, `^1.0.0`, `>=1 <2`); default: the reference's tag,
    /// else the highest release.
    #[arg(long, allow_hyphen_values = true)]
    version: Option<String>,
    /// Allow development versions (same as `--version '>0.0.0-0'` when no version is given).
    #[arg(long)]
    devel: bool,
    /// Where to write the chart (created if missing).
    #[arg(short = 'd', long, default_value = ".", value_name = "DIR")]
    destination: PathBuf,
    /// Expand the chart into `<destination>/<name>/` instead of keeping the `.tgz`.
    #[arg(long)]
    untar: bool,
    /// With --untar: the directory (relative to --destination) to expand into.
    #[arg(long, default_value = ".", value_name = "DIR")]
    untardir: PathBuf,
    /// Also fetch the provenance file (`.prov`) when the chart has one.
    #[arg(long)]
    prov: bool,
    /// Verify the chart against its provenance before writing anything (implies --prov);
    /// a missing or bad signature leaves nothing in the destination.
    #[arg(long)]
    verify: bool,
    /// With --verify: the keyring holding the signer's public key (binary or armored).
    /// Default: `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`.
    #[arg(long, value_name = "FILE")]
    keyring: Option<PathBuf>,
    /// Print one JSON object instead of Helm's lines: `reference` and `digest` (the
    /// manifest's, as in `Digest:`), the archive's `name`, `version`, `chart_digest` and
    /// `size`, `path` (the `.tgz` written, or with --untar the chart's directory),
    /// `provenance` (the `.prov` written, or null) and with --verify `verified`.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    transport: TransportArgs,
}

/// Pulls the chart and prints Helm's `Pulled:`/`Digest:` lines.
pub fn run(args: Args, global: &Global) -> anyhow::Result<()> {
    let chart: ChartRef = args.chart.parse()?;
    let client = args
        .transport
        .client(global, registry_of(&args.chart).as_deref())?;
    let version = match (&args.version, args.devel) {
        (None, true) => Some(">0.0.0-0".to_owned()),
        (v, _) => v.clone(),
    };
    let output = Output::from_json_flag(args.json);
    if args.verify {
        return pull_verified(&args, &client, &chart, version.as_deref(), output);
    }
    if args.untar {
        let dir = untar_dir(&args)?;
        let progress = bars(output);
        let fetched = block_on(client.fetch_chart_layer_with_progress(
            &chart,
            version.as_deref(),
            &dir,
            progress.as_ref(),
        ))??;
        let file = std::fs::File::open(fetched.file.path())
            .context("cannot reopen the downloaded chart")?;
        let expanded = expand(
            file,
            &fetched.resolved.reference.to_string(),
            &dir,
            &Limits::default(),
        )?;
        if global.debug {
            eprintln!("debug: expanded into {}", expanded.display());
        }
        return Report {
            resolved: &fetched.resolved,
            archive: fetched.file.path(),
            path: expanded,
            provenance: None,
            verification: None,
        }
        .print(output);
    }
    let mut opts = PullOptions::into_dir(&args.destination);
    opts.version = version;
    opts.provenance = args.prov;
    opts.progress = bars(output);
    let pulled = block_on(client.pull(&chart, &opts))??;
    Report {
        resolved: &pulled.resolved,
        archive: &pulled.path,
        path: pulled.path.clone(),
        provenance: pulled.provenance_path.clone(),
        verification: None,
    }
    .print(output)
}

/// `--untardir` under `--destination` (without `.` components), created.
fn untar_dir(args: &Args) -> anyhow::Result<PathBuf> {
    let dir: PathBuf = args
        .destination
        .join(&args.untardir)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// What a pull wrote: printed as Helm's lines or as `--json`.
struct Report<'a> {
    resolved: &'a Resolved,
    /// The verified archive (still there, maybe in a temp directory).
    archive: &'a Path,
    /// The `.tgz` written, or the directory the chart was expanded into.
    path: PathBuf,
    /// The `.prov` written.
    provenance: Option<PathBuf>,
    /// With `--verify`: who signed.
    verification: Option<Verification>,
}

impl Report<'_> {
    fn print(self, output: Output) -> anyhow::Result<()> {
        if output == Output::Human {
            println!("Pulled: {}", self.resolved.reference.short());
            println!("Digest: {}", self.resolved.manifest.digest);
            if let Some(v) = &self.verification {
                print!("{}", v.report());
            }
            return Ok(());
        }
        // Name and version as the archive's Chart.yaml says (the file name comes from the
        // reference), digest and size of the bytes on disk.
        let chart = PackagedChart::from_archive(self.archive, &LoadOptions::default())?;
        let mut json = serde_json::json!({
            "reference": self.resolved.reference.short(),
            "digest": self.resolved.manifest.digest.to_string(),
            "name": chart.metadata.name,
            "version": chart.metadata.version,
            "chart_digest": chart.digest.to_string(),
            "size": chart.size,
            "path": super::absolute(&self.path),
            "provenance": self.provenance.as_deref().map(super::absolute),
        });
        if let Some(v) = &self.verification {
            json["verified"] = serde_json::json!({
                "signed_by": v.signed_by,
                "fingerprint": v.fingerprint,
            });
        }
        println!("{}", serde_json::to_string_pretty(&json)?);
        Ok(())
    }
}

/// `pull --verify`: fetch the chart layer and its provenance into memory/temp files, verify,
/// and only then write `<name>-<version>.tgz` and its `.prov` (or expand with --untar).
fn pull_verified(
    args: &Args,
    client: &helmoci_oci::RegistryClient,
    chart: &ChartRef,
    version: Option<&str>,
    output: Output,
) -> anyhow::Result<()> {
    let keyring = super::verify::load_keyring(args.keyring.as_deref())?;
    std::fs::create_dir_all(&args.destination)
        .with_context(|| format!("cannot create {}", args.destination.display()))?;
    let tmp_dir = tempfile::Builder::new()
        .prefix(".helmoci-verify-")
        .tempdir_in(&args.destination)
        .with_context(|| format!("cannot write in {}", args.destination.display()))?;
    let progress = bars(output);
    let fetched = block_on(client.fetch_chart_layer_with_progress(
        chart,
        version,
        tmp_dir.path(),
        progress.as_ref(),
    ))??;
    let resolved = &fetched.resolved;
    let name = match (resolved.reference.tag(), resolved.reference.digest()) {
        (Some(t), _) => format!("{}-{}.tgz", chart.name(), t.to_version()),
        (None, Some(d)) => format!("{}@sha256-{}.tgz", chart.name(), d.hex()),
        (None, None) => format!("{}.tgz", chart.name()),
    };
    let prov_name = format!("{}.prov", resolved.reference.short());
    let Some(prov_layer) = &resolved.chart.provenance else {
        anyhow::bail!(
            "failed to fetch provenance {prov_name:?}: the chart has no provenance layer"
        );
    };
    if prov_layer.size > provenance::MAX_PROVENANCE_SIZE {
        anyhow::bail!(
            "failed to fetch provenance {prov_name:?}: {} bytes is over the {} byte limit",
            prov_layer.size,
            provenance::MAX_PROVENANCE_SIZE
        );
    }
    let prov = match &resolved.reference {
        ChartRef::Registry(r) => {
            let mut buf = std::io::Cursor::new(Vec::new());
            block_on(client.pull_blob(r, prov_layer, &mut buf))?
                .with_context(|| format!("failed to fetch provenance {prov_name:?}"))?;
            buf.into_inner()
        }
        ChartRef::Layout { .. } => {
            let dir = resolved.reference.layout_path().unwrap_or_default();
            Layout::new(dir)
                .read_small_blob(&prov_layer.digest)
                .with_context(|| format!("failed to fetch provenance {prov_name:?}"))?
        }
    };
    let verification = provenance::verify_bytes(
        &prov,
        &prov_name,
        &name,
        &resolved.chart.chart.digest,
        &keyring,
    )?;
    let report = |archive, path, provenance| Report {
        resolved,
        archive,
        path,
        provenance,
        verification: Some(verification.clone()),
    };
    if args.untar {
        let dir = untar_dir(args)?;
        let file = std::fs::File::open(fetched.file.path())
            .context("cannot reopen the downloaded chart")?;
        let expanded = expand(
            file,
            &resolved.reference.to_string(),
            &dir,
            &Limits::default(),
        )?;
        report(fetched.file.path(), expanded, None).print(output)
    } else {
        let tgz = args.destination.join(&name);
        let prov_path = provenance::prov_path(&tgz);
        let mut prov_tmp = tempfile::NamedTempFile::new_in(tmp_dir.path())
            .context("cannot write the provenance file")?;
        std::io::Write::write_all(&mut prov_tmp, &prov)
            .context("cannot write the provenance file")?;
        for f in [fetched.file.as_file(), prov_tmp.as_file()] {
            set_mode_0644(f)?;
            f.sync_all().context("cannot write the pulled chart")?;
        }
        // The .prov first: a chart archive never appears without its verified provenance.
        prov_tmp
            .persist(&prov_path)
            .with_context(|| format!("cannot write {}", prov_path.display()))?;
        fetched
            .file
            .persist(&tgz)
            .with_context(|| format!("cannot write {}", tgz.display()))?;
        report(&tgz, tgz.clone(), Some(prov_path)).print(output)
    }
}

fn set_mode_0644(f: &std::fs::File) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o644))
            .context("cannot set file permissions")?;
    }
    let _ = f;
    Ok(())
}
