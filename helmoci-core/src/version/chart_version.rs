//! [`ChartVersion`]: Masterminds/semver v3's `Version`, lenient and strict.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::{Error, Result};

const INVALID: &str = "invalid semantic version";
const EMPTY: &str = "version string empty";
const BAD_CHARS: &str = "invalid characters in version";
const LEADING_ZERO: &str = "version segment starts with 0";
const BAD_PRERELEASE: &str = "invalid prerelease string";
const BAD_METADATA: &str = "invalid metadata string";

/// A chart version, parsed the way Helm parses it (Masterminds/semver v3).
///
/// - [`FromStr`] is the **lenient** `NewVersion` used for `Chart.yaml`, `--version`,
///   dependencies and `index.yaml`: `v?N(.N)?(.N)?(-pre)?(+meta)?`, missing parts are 0,
///   leading zeros in `N` are accepted (`01.02.03` is 1.2.3), each `N` fits a `u64`.
/// - [`ChartVersion::parse_strict`] is `StrictNewVersion`, used for OCI tags: exactly
///   `M.m.p`, no `v`, no leading zeros.
///
/// [`Display`](fmt::Display) gives Masterminds' `String()` (`M.m.p[-pre][+meta]`, never a
/// `v`); [`ChartVersion::original`] gives the text as written (Helm names archives and
/// tags with it).
///
/// # Ordering and equality
/// Versions compare by SemVer precedence, exactly as Masterminds' `Compare`:
/// `1.0.0-1 < 1.0.0-A < 1.0.0-a-b < 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta
/// < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0`.
/// **Build metadata is ignored, by `==` too** (Masterminds' `Equal`): `1.0.0+a == 1.0.0+b`,
/// and so is the original spelling (`v1.2 == 1.2.0`). [`Hash`] agrees with `==`.
/// Compare [`ChartVersion::original`] or [`ChartVersion::metadata`] when the exact text
/// matters.
///
/// ```
/// use helmoci_core::version::ChartVersion;
///
/// let v: ChartVersion = "v1.2".parse()?;
/// assert_eq!((v.major(), v.minor(), v.patch()), (1, 2, 0));
/// assert_eq!(v.to_string(), "1.2.0");
/// assert_eq!(v.original(), "v1.2");
///
/// let a: ChartVersion = "1.0.0-beta.2".parse()?;
/// let b: ChartVersion = "1.0.0-beta.11".parse()?;
/// assert!(a < b && b < "1.0.0".parse()?);
/// assert_eq!("1.0.0+a".parse::<ChartVersion>()?, "1.0.0+b".parse()?);
///
/// assert!(ChartVersion::parse_strict("1.2").is_err()); // not a strict tag
/// # Ok::<(), helmoci_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ChartVersion {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

impl ChartVersion {
    /// Parses a strict SemVer 2 version, like Masterminds' `StrictNewVersion` (what Helm
    /// applies to OCI tags): exactly `M.m.p[-pre][+meta]`, no `v`, no leading zeros.
    ///
    /// # Errors
    /// [`Error::InvalidVersion`] with Masterminds' reason: `version string empty`,
    /// `invalid semantic version` (not three parts), `invalid characters in version`,
    /// `version segment starts with 0`, `invalid prerelease string`,
    /// `invalid metadata string`, or Go's `strconv.ParseUint` error for an empty or too
    /// large number.
    ///
    /// ```
    /// use helmoci_core::version::ChartVersion;
    /// assert!(ChartVersion::parse_strict("1.2.3-rc.1+build.5").is_ok());
    /// for bad in ["v1.2.3", "1.2", "01.2.3", "latest", ""] {
    ///     assert!(ChartVersion::parse_strict(bad).is_err(), "{bad}");
    /// }
    /// ```
    pub fn parse_strict(text: &str) -> Result<ChartVersion> {
        let fail = |reason: &str| Error::InvalidVersion {
            version: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.is_empty() {
            return Err(fail(EMPTY));
        }
        let mut parts = text.splitn(3, '.');
        let (Some(major), Some(minor), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(fail(INVALID));
        };
        let (rest, metadata) = match rest.split_once('+') {
            Some((rest, meta)) => {
                validate_metadata(meta).map_err(fail)?;
                (rest, meta)
            }
            None => (rest, ""),
        };
        let (patch, pre) = match rest.split_once('-') {
            Some((patch, pre)) => {
                validate_prerelease(pre).map_err(fail)?;
                (patch, pre)
            }
            None => (rest, ""),
        };
        for part in [major, minor, patch] {
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(BAD_CHARS));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(fail(LEADING_ZERO));
            }
        }
        let number = |s: &str| parse_uint(s).map_err(|e| fail(&e));
        Ok(ChartVersion {
            major: number(major)?,
            minor: number(minor)?,
            patch: number(patch)?,
            pre: pre.to_owned(),
            metadata: metadata.to_owned(),
            original: text.to_owned(),
        })
    }

    /// Lenient parse, Masterminds' `NewVersion` (with its default `CoerceNewVersion`).
    fn parse_lenient(text: &str) -> Result<ChartVersion> {
        let fail = |reason: String| Error::InvalidVersion {
            version: text.to_owned(),
            reason,
        };
        let loose = LooseParts::scan(text).ok_or_else(|| fail(INVALID.to_owned()))?;
        let segment = |digits: &str| {
            parse_uint(digits).map_err(|e| fail(format!("error parsing version segment: {e}")))
        };
        let major = segment(loose.major)?;
        let minor = loose.minor.map_or(Ok(0), segment)?;
        let patch = loose.patch.map_or(Ok(0), segment)?;
        if !loose.pre.is_empty() {
            validate_prerelease(loose.pre).map_err(|r| fail(r.to_owned()))?;
        }
        Ok(ChartVersion {
            major,
            minor,
            patch,
            pre: loose.pre.to_owned(),
            metadata: loose.metadata.to_owned(),
            original: text.to_owned(),
        })
    }

    /// The major version.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version (0 when it was left out, as in `1`).
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch version (0 when it was left out, as in `1.2`).
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The pre-release, without its `-` (`""` when there is none).
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// The build metadata, without its `+` (`""` when there is none).
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The text as it was parsed (Masterminds' `Original()`), e.g. `v1.2`.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Whether this version has a pre-release part, which constraints treat specially.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl FromStr for ChartVersion {
    type Err = Error;

    /// Lenient parse (Masterminds' `NewVersion`), see [`ChartVersion`].
    ///
    /// # Errors
    /// [`Error::InvalidVersion`] with Masterminds' reason: `invalid semantic version` for
    /// anything not of the form `v?N(.N)?(.N)?(-pre)?(+meta)?` (including `""`, `V1`,
    /// `1.2.3.4`, ` 1.2.3`), `version segment starts with 0` for a numeric pre-release
    /// identifier with a leading zero, `error parsing version segment: …` for a number
    /// beyond `u64`.
    ///
    /// ```
    /// use helmoci_core::version::ChartVersion;
    /// for ok in ["1", "1.2", "v1", "v1.2.3", "01.02.03", "1.2.3-0a", "1.2.3+01"] {
    ///     assert!(ok.parse::<ChartVersion>().is_ok(), "{ok}");
    /// }
    /// for bad in ["V1.2.3", "1.2.3.4", "1.2.3-01", "1.2.3_4", " 1.2.3", "1.2.3-", "latest", ""] {
    ///     assert!(bad.parse::<ChartVersion>().is_err(), "{bad}");
    /// }
    /// ```
    fn from_str(text: &str) -> Result<ChartVersion> {
        ChartVersion::parse_lenient(text)
    }
}

impl fmt::Display for ChartVersion {
    /// Masterminds' `String()`: `M.m.p[-pre][+meta]`, without any `v`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl fmt::Debug for ChartVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.original == self.to_string() {
            write!(f, "ChartVersion({})", self.original)
        } else {
            write!(f, "ChartVersion({} as {:?})", self, self.original)
        }
    }
}

impl Ord for ChartVersion {
    /// Masterminds' `Compare`: numbers, then pre-release (a release is higher), build
    /// metadata ignored.
    fn cmp(&self, other: &ChartVersion) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }
}

impl PartialOrd for ChartVersion {
    fn partial_cmp(&self, other: &ChartVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ChartVersion {
    /// Equal precedence (Masterminds' `Equal`): build metadata and spelling are ignored.
    fn eq(&self, other: &ChartVersion) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ChartVersion {}

impl Hash for ChartVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Equal precedence implies equal numbers and an identical pre-release string
        // (numeric identifiers have no leading zeros), so this agrees with `==`.
        (self.major, self.minor, self.patch, &self.pre).hash(state);
    }
}

/// Masterminds' `comparePrerelease`: dot-separated identifiers compared in turn, a
/// missing identifier sorts first.
pub(crate) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (l, r) => match compare_identifier(l.unwrap_or(""), r.unwrap_or("")) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// Masterminds' `comparePrePart`: an identifier that parses as a `u64` is numeric and
/// sorts below any other; two numbers compare by value, two others bytewise.
fn compare_identifier(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.is_empty() {
        return Ordering::Less;
    }
    if b.is_empty() {
        return Ordering::Greater;
    }
    match (parse_uint(a).ok(), parse_uint(b).ok()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// Go's `strconv.ParseUint(s, 10, 64)`, with Go's error text.
fn parse_uint(s: &str) -> std::result::Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseUint: parsing {s:?}: invalid syntax"));
    }
    s.parse::<u64>()
        .map_err(|_| format!("strconv.ParseUint: parsing {s:?}: value out of range"))
}

/// Masterminds' `validatePrerelease` (`""` is invalid: one empty identifier).
fn validate_prerelease(pre: &str) -> std::result::Result<(), &'static str> {
    for part in pre.split('.') {
        if part.is_empty() {
            return Err(BAD_PRERELEASE);
        }
        if part.bytes().all(|b| b.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err(LEADING_ZERO);
            }
        } else if !part.bytes().all(is_identifier_byte) {
            return Err(BAD_PRERELEASE);
        }
    }
    Ok(())
}

/// Masterminds' `validateMetadata` (called only when there is a `+`).
fn validate_metadata(meta: &str) -> std::result::Result<(), &'static str> {
    if meta
        .split('.')
        .all(|part| !part.is_empty() && part.bytes().all(is_identifier_byte))
    {
        Ok(())
    } else {
        Err(BAD_METADATA)
    }
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The pieces of Masterminds' `looseSemVerRegex`
/// (`^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-(ident(\.ident)*))?(\+(ident(\.ident)*))?$`,
/// `ident = [0-9A-Za-z-]+`). The grammar is unambiguous, so a left-to-right scan gives
/// the same groups as the regex.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LooseParts<'a> {
    pub(crate) major: &'a str,
    pub(crate) minor: Option<&'a str>,
    pub(crate) patch: Option<&'a str>,
    pub(crate) pre: &'a str,
    pub(crate) metadata: &'a str,
}

impl<'a> LooseParts<'a> {
    pub(crate) fn scan(text: &'a str) -> Option<LooseParts<'a>> {
        let rest = text.strip_prefix('v').unwrap_or(text);
        let (major, mut rest) = split_digits(rest)?;
        let mut numbers = [None, None];
        for slot in &mut numbers {
            match rest.strip_prefix('.') {
                Some(after) => {
                    let (n, after) = split_digits(after)?;
                    *slot = Some(n);
                    rest = after;
                }
                None => break,
            }
        }
        let (pre, rest) = match rest.strip_prefix('-') {
            Some(after) => {
                let end = after.find('+').unwrap_or(after.len());
                (identifiers(&after[..end])?, &after[end..])
            }
            None => ("", rest),
        };
        let metadata = match rest.strip_prefix('+') {
            Some(after) => identifiers(after)?,
            None if rest.is_empty() => "",
            None => return None,
        };
        Some(LooseParts {
            major,
            minor: numbers[0],
            patch: numbers[1],
            pre,
            metadata,
        })
    }
}

/// A non-empty run of ASCII digits at the start, and the rest.
fn split_digits(s: &str) -> Option<(&str, &str)> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// `ident(\.ident)*` covering all of `s`.
fn identifiers(s: &str) -> Option<&str> {
    s.split('.')
        .all(|p| !p.is_empty() && p.bytes().all(is_identifier_byte))
        .then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str, strict: bool) -> String {
        let result = if strict {
            ChartVersion::parse_strict(text)
        } else {
            text.parse()
        };
        match result {
            Err(Error::InvalidVersion { reason, .. }) => reason,
            other => format!("parsed: {other:?}"),
        }
    }

    #[test]
    fn lenient_reasons_are_masterminds() {
        assert_eq!(reason("", false), INVALID);
        assert_eq!(reason("1.2.3-01", false), LEADING_ZERO);
        assert_eq!(reason("1.2.3-beta.01", false), LEADING_ZERO);
        assert_eq!(
            reason("18446744073709551616", false),
            "error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
        );
        assert_eq!(reason("1.2.3\n", false), INVALID);
    }

    #[test]
    fn strict_reasons_are_masterminds() {
        assert_eq!(reason("", true), EMPTY);
        assert_eq!(reason("1.2", true), INVALID);
        assert_eq!(reason("v1.2.3", true), BAD_CHARS);
        assert_eq!(reason("01.2.3", true), LEADING_ZERO);
        assert_eq!(reason("1.2.3-", true), BAD_PRERELEASE);
        assert_eq!(reason("1.2.3-a..b", true), BAD_PRERELEASE);
        assert_eq!(reason("1.2.3-01", true), LEADING_ZERO);
        assert_eq!(reason("1.2.3+", true), BAD_METADATA);
        assert_eq!(reason("1.2.3-a+b+c", true), BAD_METADATA);
        assert_eq!(reason("1.2.3_4", true), BAD_CHARS);
        assert_eq!(reason("latest", true), INVALID);
        assert_eq!(
            reason("1..2", true),
            "strconv.ParseUint: parsing \"\": invalid syntax"
        );
        assert_eq!(
            reason("1.2.99999999999999999999", true),
            "strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
    }

    #[test]
    fn huge_numeric_prerelease_is_alphanumeric_like_masterminds() {
        let big: ChartVersion = "1.0.0-99999999999999999999".parse().expect("valid");
        let small: ChartVersion = "1.0.0-5".parse().expect("valid");
        let alpha: ChartVersion = "1.0.0-a".parse().expect("valid");
        assert!(small < big && big < alpha);
    }
}
