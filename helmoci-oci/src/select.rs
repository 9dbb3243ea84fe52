//! Which tag a requested version means (HELM-FACTS §5.3), minimal until helmoci-core's
//! `version` module (Masterminds constraints) is wired in.
//!
//! Implemented here:
//! - a version that parses leniently (`v?N(.N)?(.N)?(-pre)?(+meta)?`) is the tag, literally
//!   (`+` written `_`), with no listing — exactly Helm's rule;
//! - no version (or `""`) lists the tags, reads each (`_` as `+`) as a *strict* SemVer, and
//!   picks the highest release (no prerelease), as Helm's `*`;
//! - `--devel` without a version (`>0.0.0-0`) picks the highest version, pre-releases
//!   included;
//! - anything else is a constraint: [`pick`] is the one function the constraint engine
//!   replaces; for now it answers [`Error::ConstraintUnsupported`].

use std::cmp::Ordering;

use crate::error::{Error, Result};

/// Helm's `--devel` constraint when no version is given.
pub(crate) const DEVEL: &str = ">0.0.0-0";

/// A strict SemVer (`M.m.p[-pre][+meta]`, no `v`, no leading zeros), as Helm reads tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StrictVersion {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<String>,
    /// The tag as listed.
    pub(crate) tag: String,
    /// Masterminds' `String()`: `M.m.p[-pre][+meta]`.
    pub(crate) text: String,
}

fn numeric(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl StrictVersion {
    /// Parses a tag the way Helm does: `_` read as `+`, then strict SemVer.
    pub(crate) fn from_tag(tag: &str) -> std::result::Result<StrictVersion, &'static str> {
        let text = tag.replace('_', "+");
        if text.starts_with('v') {
            return Err("starts with v (not strict SemVer)");
        }
        let (rest, meta) = match text.split_once('+') {
            Some((r, m)) => (r, Some(m)),
            None => (text.as_str(), None),
        };
        if let Some(m) = meta {
            if !m.split('.').all(ident_ok) {
                return Err("invalid metadata string");
            }
        }
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        let [ma, mi, pa] = parts.as_slice() else {
            return Err("not M.m.p (not strict SemVer)");
        };
        let (Some(major), Some(minor), Some(patch)) = (numeric(ma), numeric(mi), numeric(pa))
        else {
            return Err("not M.m.p without leading zeros (not strict SemVer)");
        };
        let pre: Vec<String> = match pre {
            None => Vec::new(),
            Some(p) => {
                let ids: Vec<&str> = p.split('.').collect();
                for id in &ids {
                    if !ident_ok(id) {
                        return Err("invalid prerelease string");
                    }
                    if id.bytes().all(|b| b.is_ascii_digit()) && id.len() > 1 && id.starts_with('0')
                    {
                        return Err("version segment starts with 0");
                    }
                }
                ids.into_iter().map(str::to_owned).collect()
            }
        };
        Ok(StrictVersion {
            major,
            minor,
            patch,
            pre,
            tag: tag.to_owned(),
            text,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// SemVer precedence (build metadata ignored).
    pub(crate) fn precedence(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = match (a.parse::<u64>(), b.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => a.cmp(b),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

/// Masterminds' lenient `NewVersion` syntax: `v?N(.N)?(.N)?(-pre)?(+meta)?`.
pub(crate) fn is_lenient_version(v: &str) -> bool {
    let s = v.strip_prefix('v').unwrap_or(v);
    let (rest, meta) = match s.split_once('+') {
        Some((r, m)) => (r, Some(m)),
        None => (s, None),
    };
    if meta.is_some_and(|m| !m.split('.').all(ident_ok)) {
        return false;
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    if let Some(p) = pre {
        for id in p.split('.') {
            if !ident_ok(id)
                || (id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()))
            {
                return false;
            }
        }
    }
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u64>().is_ok()
        })
}

/// The tags that are strict versions, highest first (stable for equal precedence), and
/// the others with the reason they are invisible to Helm.
pub(crate) fn sort_tags(tags: &[String]) -> (Vec<StrictVersion>, Vec<String>) {
    let mut versions = Vec::new();
    let mut skipped = Vec::new();
    for t in tags {
        match StrictVersion::from_tag(t) {
            Ok(v) => versions.push(v),
            Err(reason) => skipped.push(format!("{t} ({reason})")),
        }
    }
    versions.sort_by(|a, b| b.precedence(a));
    (versions, skipped)
}

/// Picks the tag for `version` among `sorted` (highest first). The constraint engine hook:
/// `""` means the highest release; other constraints are not supported yet.
pub(crate) fn pick<'a>(
    version: &str,
    sorted: &'a [StrictVersion],
) -> Result<Option<&'a StrictVersion>> {
    if let Some(v) = sorted.iter().find(|v| v.text == version) {
        return Ok(Some(v));
    }
    if version.is_empty() {
        return Ok(sorted.iter().find(|v| !v.is_prerelease()));
    }
    if version == DEVEL {
        let floor =
            StrictVersion::from_tag("0.0.0-0").map_err(|_| Error::ConstraintUnsupported {
                version: version.to_owned(),
            })?;
        return Ok(sorted
            .iter()
            .find(|v| v.precedence(&floor) == Ordering::Greater));
    }
    Err(Error::ConstraintUnsupported {
        version: version.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_versions() {
        for ok in [
            "1", "1.2", "v1", "v1.2.3", "01.02.03", "1.2.3-0a", "1.2.3+01", "1.0.0+b",
        ] {
            assert!(is_lenient_version(ok), "{ok}");
        }
        for bad in [
            "V1.2.3", "1.2.3.4", "1.2.3-01", "1.2.3_4", " 1.2.3", "1.2.3-", "latest", "", "^1.0",
            ">=1 <2", "1.x",
        ] {
            assert!(!is_lenient_version(bad), "{bad}");
        }
    }

    #[test]
    fn strict_tags_and_precedence() {
        let tags: Vec<String> = [
            "1.0.0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.11",
            "1.0.0-beta.2",
            "1.0.0-1",
            "latest",
            "v2.0.0",
            "1.2",
            "0.9.0_build.1",
            "2.0.0-rc.1",
        ]
        .map(String::from)
        .to_vec();
        let (sorted, skipped) = sort_tags(&tags);
        let order: Vec<&str> = sorted.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(
            order,
            [
                "2.0.0-rc.1",
                "1.0.0",
                "1.0.0-beta.11",
                "1.0.0-beta.2",
                "1.0.0-alpha.1",
                "1.0.0-alpha",
                "1.0.0-1",
                "0.9.0+build.1"
            ]
        );
        assert_eq!(skipped.len(), 3);
        assert_eq!(pick("", &sorted).unwrap().unwrap().tag, "1.0.0");
        assert_eq!(
            pick("0.9.0+build.1", &sorted).unwrap().unwrap().tag,
            "0.9.0_build.1"
        );
        assert!(matches!(
            pick("^1", &sorted),
            Err(Error::ConstraintUnsupported { .. })
        ));
    }
}
