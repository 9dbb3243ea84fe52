//! How Helm picks a version: OCI tags (`pkg/registry` `ValidateReference`, `Tags`,
//! `GetTagMatchingVersionOrConstraint`) and `index.yaml` entries (`IndexFile.Get`).

use super::{ChartVersion, VersionReq};
use crate::error::Result;

/// What Helm's `--devel` means when no version is given.
pub const DEVEL_CONSTRAINT: &str = ">0.0.0-0";

/// Whether Helm uses `requested` literally as the OCI tag, without listing tags: true
/// when it parses as a (lenient) version.
///
/// So `--version 1.2` pulls the tag `1.2`, never `1.2.0`, and `--version 1.2.3+build.1`
/// pulls `1.2.3_build.1` only (the caller writes `+` as `_`). Anything else, including
/// `""`, goes through [`select_tag`].
///
/// ```
/// use helmoci_core::version::is_exact_version;
/// assert!(is_exact_version("1.2") && is_exact_version("v1.0.0") && is_exact_version("1.2.3+b.1"));
/// assert!(!is_exact_version("") && !is_exact_version("^1.2") && !is_exact_version("latest"));
/// ```
pub fn is_exact_version(requested: &str) -> bool {
    requested.parse::<ChartVersion>().is_ok()
}

/// A listed tag that Helm's strict parse accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCandidate<'a> {
    /// The tag as the registry listed it (`1.2.3_build.1`).
    pub tag: &'a str,
    /// Its version, `_` read as `+`; `version.to_string()` is the name Helm uses.
    pub version: ChartVersion,
}

/// A listed tag that Helm never considers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTag<'a> {
    /// The tag as the registry listed it.
    pub tag: &'a str,
    /// Why Helm's strict parse rejects it.
    pub reason: SkipReason,
}

/// Why a tag is invisible to Helm's tag selection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// `v1.2.3`: strict SemVer but for the `v` prefix.
    VPrefix,
    /// `1.2`, `01.2.3`: a lenient version but not strict SemVer; Masterminds' reason.
    NotStrict {
        /// Masterminds' `StrictNewVersion` error, e.g. `invalid semantic version`.
        reason: String,
    },
    /// `latest`: not a version at all; Masterminds' reason.
    NotVersion {
        /// Masterminds' `StrictNewVersion` error.
        reason: String,
    },
}

/// The outcome of [`select_tag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSelection<'a> {
    /// The tags Helm considers, highest first (what `helm`'s `Tags` returns).
    pub candidates: Vec<TagCandidate<'a>>,
    /// The tags Helm ignores, in listing order, with the reason.
    pub skipped: Vec<SkippedTag<'a>>,
    /// The pick, or `None` when no candidate satisfies the request (or there are none).
    pub chosen: Option<TagCandidate<'a>>,
}

/// Reproduces Helm's choice of an OCI tag for a requested version or constraint, given the
/// repository's tag list.
///
/// Call it only when [`is_exact_version`] is false: Helm uses an exact version as the
/// tag without listing. Then, as Helm does:
///
/// 1. each tag gets `_` → `+` and a **strict** parse; tags that fail (`latest`,
///    `v1.2.3`, `1.2`) are left out, and reported in [`TagSelection::skipped`];
/// 2. the rest are sorted highest first. Helm's sort is unstable; this one is stable, so
///    tags of equal precedence (`1.0.0_a`, `1.0.0_b`) keep their listing order;
/// 3. with no candidates the result has `chosen: None` before the request is even
///    parsed (Helm: `unable to locate any tags in provided repository`);
/// 4. an empty request means `*` (the highest release), or [`DEVEL_CONSTRAINT`] when
///    `devel` is set (`--devel`, which Helm ignores when a version is given);
/// 5. a non-empty request first looks for a tag whose version string equals it, else
///    parses it as a [`VersionReq`] and picks the first (highest) candidate it matches.
///
/// ```
/// use helmoci_core::version::{select_tag, SkipReason};
///
/// let tags = ["1.0.0", "latest", "1.2.0", "v1.3.0", "1.1.0-rc.1", "1.1.0_build.7"];
/// let pick = select_tag(tags, "^1.0", false)?;
/// assert_eq!(pick.chosen.as_ref().map(|c| c.tag), Some("1.2.0"));
/// assert_eq!(pick.skipped.len(), 2);
/// assert_eq!(pick.skipped[1].reason, SkipReason::VPrefix);
///
/// // Empty: the highest release; with --devel, pre-releases too.
/// assert_eq!(select_tag(tags, "", false)?.chosen.map(|c| c.tag), Some("1.2.0"));
/// let pick = select_tag(tags, "<1.2.0-0", false)?;
/// assert_eq!(pick.chosen.map(|c| c.version.to_string()), Some("1.1.0+build.7".to_owned()));
///
/// // No strict tag at all: nothing is chosen, the constraint is not even parsed.
/// assert!(select_tag(["latest"], "latest", false)?.chosen.is_none());
/// assert!(select_tag(["1.0.0"], "latest", false).is_err());
/// # Ok::<(), helmoci_core::Error>(())
/// ```
///
/// # Errors
/// The request's [`VersionReq`] parse error, when there are candidates.
pub fn select_tag<'a, I>(tags: I, requested: &str, devel: bool) -> Result<TagSelection<'a>>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for tag in tags {
        let text = tag.replace('_', "+");
        match ChartVersion::parse_strict(&text) {
            Ok(version) => candidates.push(TagCandidate { tag, version }),
            Err(err) => skipped.push(SkippedTag {
                tag,
                reason: skip_reason(&text, err),
            }),
        }
    }
    candidates.sort_by(|a, b| b.version.cmp(&a.version));
    let mut selection = TagSelection {
        candidates,
        skipped,
        chosen: None,
    };
    if selection.candidates.is_empty() {
        return Ok(selection);
    }
    let requested = match requested {
        "" if devel => DEVEL_CONSTRAINT,
        other => other,
    };
    let req: VersionReq = if requested.is_empty() {
        VersionReq::any()
    } else {
        let exact = selection
            .candidates
            .iter()
            .find(|c| c.version.to_string() == requested);
        if let Some(exact) = exact {
            selection.chosen = Some(exact.clone());
            return Ok(selection);
        }
        requested.parse()?
    };
    selection.chosen = selection
        .candidates
        .iter()
        .find(|c| req.matches(&c.version))
        .cloned();
    Ok(selection)
}

fn skip_reason(text: &str, err: crate::Error) -> SkipReason {
    let reason = match err {
        crate::Error::InvalidVersion { reason, .. } => reason,
        other => other.to_string(),
    };
    if text
        .strip_prefix('v')
        .is_some_and(|rest| ChartVersion::parse_strict(rest).is_ok())
    {
        SkipReason::VPrefix
    } else if is_exact_version(text) {
        SkipReason::NotStrict { reason }
    } else {
        SkipReason::NotVersion { reason }
    }
}

/// Reproduces Helm's choice among a chart's `index.yaml` versions (`IndexFile.Get`),
/// returning the index of the chosen entry.
///
/// `versions` must already be in index order (Helm sorts entries highest first when it
/// loads the index, unparsable ones last). Then: an empty request means `*`; the request
/// is parsed as a constraint (an error even if some entry equals it literally); an entry
/// whose version text equals the request is chosen first; otherwise the first entry whose
/// version parses (leniently) and satisfies the constraint.
///
/// ```
/// use helmoci_core::version::select_version;
/// let versions = ["2.0.0-rc.1", "1.10.0", "1.9.0", "v1.2"];
/// assert_eq!(select_version(versions, "")?, Some(1));
/// assert_eq!(select_version(versions, "v1.2")?, Some(3)); // exact text first
/// assert_eq!(select_version(versions, "~1.9")?, Some(2));
/// assert_eq!(select_version(versions, ">=3")?, None);
/// # Ok::<(), helmoci_core::Error>(())
/// ```
///
/// # Errors
/// The request's [`VersionReq`] parse error.
pub fn select_version<'a, I>(versions: I, requested: &str) -> Result<Option<usize>>
where
    I: IntoIterator<Item = &'a str>,
{
    let versions: Vec<&str> = versions.into_iter().collect();
    let req: VersionReq = if requested.is_empty() {
        VersionReq::any()
    } else {
        requested.parse()?
    };
    if !requested.is_empty() {
        if let Some(i) = versions.iter().position(|v| *v == requested) {
            return Ok(Some(i));
        }
    }
    Ok(versions.iter().position(|v| {
        v.parse::<ChartVersion>()
            .is_ok_and(|version| req.matches(&version))
    }))
}
