//! References to charts: [`Reference`] (`oci://registry/repository[:tag][@digest]`),
//! [`Tag`], push [`Target`]s and pull [`ChartRef`]s (a registry or an OCI image layout).
//!
//! Parsing follows Helm and ORAS (HELM-FACTS §8.1): the digest is the text after the last
//! `@`, the tag is the last `:` piece when it has no `/`, `+` in a tag becomes `_`, and each
//! part is validated. Errors name the bad part:
//!
//! ```
//! use helmoci_oci::reference::{Reference, Tag};
//! let r: Reference = "oci://localhost:5000/charts/demo:1.0.0+b".parse()?;
//! assert_eq!((r.registry(), r.repository()), ("localhost:5000", "charts/demo"));
//! assert_eq!(r.tag().map(Tag::as_str), Some("1.0.0_b"));
//! assert_eq!(r.to_string(), "oci://localhost:5000/charts/demo:1.0.0_b");
//!
//! let err = "oci://r.example/ns/MyChart".parse::<Reference>().unwrap_err();
//! assert!(err.to_string().starts_with("invalid reference: invalid repository \"ns/MyChart\""));
//! # Ok::<(), helmoci_oci::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use helmoci_core::digest::Digest;

use crate::error::{Error, Result};

/// The scheme of registry references.
pub const OCI_SCHEME: &str = "oci://";
/// The scheme of OCI image layout targets.
pub const LAYOUT_SCHEME: &str = "oci-layout://";

/// An OCI tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
///
/// OCI tags cannot contain `+`, so Helm writes a chart version's build metadata with `_`:
///
/// ```
/// use helmoci_oci::reference::Tag;
/// let t = Tag::for_version("1.0.0+b")?;
/// assert_eq!(t.as_str(), "1.0.0_b");
/// assert_eq!(t.to_version(), "1.0.0+b");
/// # Ok::<(), helmoci_oci::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Validates `tag` as an OCI tag (no `+` rewriting).
    ///
    /// # Errors
    /// [`Error::InvalidReference`] with part `tag`.
    pub fn new(tag: &str) -> Result<Tag> {
        let bytes = tag.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= 128
            && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
            && bytes[1..]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok {
            Ok(Tag(tag.to_owned()))
        } else {
            Err(Error::InvalidReference {
                part: "tag",
                value: tag.to_owned(),
                reason: "a tag is 1 to 128 of A-Z a-z 0-9 _ . - and does not start with . or -",
            })
        }
    }

    /// The tag Helm uses for a chart version: `+` written as `_`.
    ///
    /// # Errors
    /// [`Error::InvalidReference`] when the result is not a valid tag.
    pub fn for_version(version: &str) -> Result<Tag> {
        Tag::new(&version.replace('+', "_"))
    }

    /// The chart version this tag stands for: `_` read back as `+`.
    pub fn to_version(&self) -> String {
        self.0.replace('_', "+")
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = Error;
    fn from_str(s: &str) -> Result<Tag> {
        Tag::new(s)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({})", self.0)
    }
}

/// A reference to a repository (and optionally a tag and/or digest) on a registry.
///
/// `Display` writes `oci://registry/repository[:tag][@digest]`; `FromStr` accepts that with
/// or without the `oci://` prefix.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<Tag>,
    digest: Option<Digest>,
}

impl Reference {
    /// Builds a reference from validated parts.
    ///
    /// # Errors
    /// [`Error::InvalidReference`] naming the invalid part.
    pub fn new(
        registry: &str,
        repository: &str,
        tag: Option<Tag>,
        digest: Option<Digest>,
    ) -> Result<Reference> {
        validate_registry(registry)?;
        validate_repository(repository)?;
        Ok(Reference {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }

    /// The registry as written (`host[:port]`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host actually contacted: `docker.io` is served by `registry-1.docker.io`.
    pub fn endpoint(&self) -> &str {
        registry_endpoint(&self.registry)
    }

    /// The repository (`ns/chart`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The last repository component: the chart name.
    pub fn name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: Tag) -> Reference {
        Reference {
            tag: Some(tag),
            digest: None,
            ..self.clone()
        }
    }

    /// The same repository with a digest (and no tag).
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The repository alone (no tag, no digest).
    pub fn repository_only(&self) -> Reference {
        Reference {
            tag: None,
            digest: None,
            ..self.clone()
        }
    }

    /// What the registry API takes after `/manifests/`: the digest if any, else the tag.
    pub fn reference_part(&self) -> Option<String> {
        match (&self.digest, &self.tag) {
            (Some(d), _) => Some(d.to_string()),
            (None, Some(t)) => Some(t.to_string()),
            (None, None) => None,
        }
    }

    /// Helm's short form without scheme: `registry/repository[:tag][@digest]`.
    pub fn short(&self) -> String {
        let s = self.to_string();
        s[OCI_SCHEME.len()..].to_owned()
    }
}

/// The host contacted for a registry name (`docker.io` → `registry-1.docker.io`).
pub fn registry_endpoint(registry: &str) -> &str {
    if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OCI_SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(input: &str) -> Result<Reference> {
        let rest = input.strip_prefix(OCI_SCHEME).unwrap_or(input);
        let (rest, digest) = match rest.rsplit_once('@') {
            Some((r, d)) => {
                let digest = d.parse::<Digest>().map_err(|_| Error::InvalidReference {
                    part: "digest",
                    value: d.to_owned(),
                    reason: "a digest is sha256: and 64 lowercase hex digits",
                })?;
                (r, Some(digest))
            }
            None => (rest, None),
        };
        let (rest, tag) = match rest.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(Tag::for_version(t)?)),
            _ => (rest, None),
        };
        let (registry, repository) = rest.split_once('/').ok_or(Error::InvalidReference {
            part: "repository",
            value: String::new(),
            reason: "a reference is oci://<registry>/<repository>",
        })?;
        Reference::new(registry, repository, tag, digest)
    }
}

/// Checks `host[:port]` the way ORAS does (the host of `dummy://<registry>`).
pub(crate) fn validate_registry(registry: &str) -> Result<()> {
    let bad = |reason| Error::InvalidReference {
        part: "registry",
        value: registry.to_owned(),
        reason,
    };
    let (host, port) = if let Some(v6) = registry.strip_prefix('[') {
        let (h, rest) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed IPv6 bracket"))?;
        if h.is_empty()
            || !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(bad("invalid IPv6 address"));
        }
        match rest {
            "" => (h, None),
            r => (
                h,
                Some(r.strip_prefix(':').ok_or_else(|| bad("text after ]"))?),
            ),
        }
    } else {
        match registry.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (registry, None),
        }
    };
    if host.is_empty() {
        return Err(bad("the registry host is empty"));
    }
    if !registry.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    {
        return Err(bad("a registry is host[:port]"));
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the port is a number"));
        }
        if p.parse::<u32>().map_or(true, |n| n > 65535) {
            return Err(bad("the port is at most 65535"));
        }
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, one path component.
pub(crate) fn is_valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

pub(crate) fn validate_repository(repository: &str) -> Result<()> {
    if repository.split('/').all(is_valid_component) {
        Ok(())
    } else {
        Err(Error::InvalidReference {
            part: "repository",
            value: repository.to_owned(),
            reason: "",
        })
    }
}

/// Where charts are pushed: a registry namespace or an OCI image layout directory.
///
/// `oci://host[:port][/namespace]` (never a tag: the chart name and version are added by
/// push) or `oci-layout://DIR`, where chart NAME lives in the image layout `DIR/NAME`.
///
/// ```
/// use helmoci_oci::reference::Target;
/// let t: Target = "oci://127.0.0.1:5000/charts".parse()?;
/// assert_eq!(t.to_string(), "oci://127.0.0.1:5000/charts");
/// let l: Target = "oci-layout://out/charts".parse()?;
/// assert!(matches!(l, Target::Layout { .. }));
/// assert!("oci://r.example/x:1".parse::<Target>().is_err());
/// # Ok::<(), helmoci_oci::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Target {
    /// A registry, with an optional namespace (`""` for none).
    Registry {
        /// `host[:port]`.
        registry: String,
        /// `/`-joined repository components, or `""`.
        namespace: String,
    },
    /// An OCI image layout root: chart NAME is the layout `dir/NAME`.
    Layout {
        /// The directory holding one image layout per chart name.
        dir: PathBuf,
    },
}

impl Target {
    /// Where chart `name` (at `tag`) lives in this target.
    ///
    /// # Errors
    /// [`Error::InvalidReference`] when `name` is not a valid repository component.
    pub fn chart(&self, name: &str, tag: Option<Tag>) -> Result<ChartRef> {
        if !is_valid_component(name) {
            return Err(Error::InvalidReference {
                part: "repository",
                value: name.to_owned(),
                reason: "chart names are lowercase letters, digits, and . _ - between them",
            });
        }
        Ok(match self {
            Target::Registry {
                registry,
                namespace,
            } => {
                let repo = if namespace.is_empty() {
                    name.to_owned()
                } else {
                    format!("{namespace}/{name}")
                };
                ChartRef::Registry(Reference::new(registry, &repo, tag, None)?)
            }
            Target::Layout { dir } => ChartRef::Layout {
                dir: dir.clone(),
                name: name.to_owned(),
                tag,
                digest: None,
            },
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Registry {
                registry,
                namespace,
            } if namespace.is_empty() => write!(f, "{OCI_SCHEME}{registry}"),
            Target::Registry {
                registry,
                namespace,
            } => write!(f, "{OCI_SCHEME}{registry}/{namespace}"),
            Target::Layout { dir } => write!(f, "{LAYOUT_SCHEME}{}", dir.display()),
        }
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(input: &str) -> Result<Target> {
        if let Some(dir) = input.strip_prefix(LAYOUT_SCHEME) {
            let dir = dir.trim_end_matches('/');
            if dir.is_empty() {
                return Err(Error::InvalidTarget {
                    input: input.to_owned(),
                    reason: "oci-layout:// needs a directory",
                });
            }
            return Ok(Target::Layout {
                dir: PathBuf::from(dir),
            });
        }
        let rest = input.strip_prefix(OCI_SCHEME).ok_or(Error::InvalidTarget {
            input: input.to_owned(),
            reason: "scheme prefix missing from remote (e.g. \"oci://\" or \"oci-layout://\")",
        })?;
        let rest = rest.trim_end_matches('/');
        let (registry, namespace) = rest.split_once('/').unwrap_or((rest, ""));
        validate_registry(registry)?;
        if !namespace.is_empty() {
            validate_repository(namespace)?;
        }
        Ok(Target::Registry {
            registry: registry.to_owned(),
            namespace: namespace.to_owned(),
        })
    }
}

/// A chart in a registry or an OCI image layout: what pull, resolve and copy read.
///
/// `oci://registry/ns/NAME[:tag][@digest]` or `oci-layout://DIR/NAME[:tag][@digest]`.
///
/// ```
/// use helmoci_oci::reference::ChartRef;
/// let c: ChartRef = "oci-layout://out/charts/demo:0.1.0".parse()?;
/// assert_eq!(c.name(), "demo");
/// assert_eq!(c.to_string(), "oci-layout://out/charts/demo:0.1.0");
/// # Ok::<(), helmoci_oci::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ChartRef {
    /// On a registry.
    Registry(Reference),
    /// In the OCI image layout `dir/name`.
    Layout {
        /// The directory holding one image layout per chart name.
        dir: PathBuf,
        /// The chart name (the layout's directory name).
        name: String,
        /// The tag (the index's `org.opencontainers.image.ref.name`).
        tag: Option<Tag>,
        /// A manifest digest.
        digest: Option<Digest>,
    },
}

impl ChartRef {
    /// The chart name (last repository component).
    pub fn name(&self) -> &str {
        match self {
            ChartRef::Registry(r) => r.name(),
            ChartRef::Layout { name, .. } => name,
        }
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            ChartRef::Registry(r) => r.tag(),
            ChartRef::Layout { tag, .. } => tag.as_ref(),
        }
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            ChartRef::Registry(r) => r.digest(),
            ChartRef::Layout { digest, .. } => digest.as_ref(),
        }
    }

    /// The same chart with `tag` and no digest.
    pub fn with_tag(&self, tag: Tag) -> ChartRef {
        match self {
            ChartRef::Registry(r) => ChartRef::Registry(r.with_tag(tag)),
            ChartRef::Layout { dir, name, .. } => ChartRef::Layout {
                dir: dir.clone(),
                name: name.clone(),
                tag: Some(tag),
                digest: None,
            },
        }
    }

    /// The same chart with `digest` and no tag.
    pub fn with_digest(&self, digest: Digest) -> ChartRef {
        match self {
            ChartRef::Registry(r) => ChartRef::Registry(r.with_digest(digest)),
            ChartRef::Layout { dir, name, .. } => ChartRef::Layout {
                dir: dir.clone(),
                name: name.clone(),
                tag: None,
                digest: Some(digest),
            },
        }
    }

    /// The same chart without tag and digest.
    pub fn without_version(&self) -> ChartRef {
        match self {
            ChartRef::Registry(r) => ChartRef::Registry(r.repository_only()),
            ChartRef::Layout { dir, name, .. } => ChartRef::Layout {
                dir: dir.clone(),
                name: name.clone(),
                tag: None,
                digest: None,
            },
        }
    }

    /// Helm's `Pulled:`/`Pushed:` form: `registry/repo:tag` (no scheme) or the layout URL.
    pub fn short(&self) -> String {
        match self {
            ChartRef::Registry(r) => r.short(),
            ChartRef::Layout { .. } => self.to_string(),
        }
    }

    /// The layout directory of this chart (`dir/name`), for layout references.
    pub fn layout_path(&self) -> Option<PathBuf> {
        match self {
            ChartRef::Layout { dir, name, .. } => Some(dir.join(name)),
            ChartRef::Registry(_) => None,
        }
    }
}

impl fmt::Display for ChartRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChartRef::Registry(r) => r.fmt(f),
            ChartRef::Layout {
                dir,
                name,
                tag,
                digest,
            } => {
                write!(f, "{LAYOUT_SCHEME}{}", Path::new(dir).join(name).display())?;
                if let Some(t) = tag {
                    write!(f, ":{t}")?;
                }
                if let Some(d) = digest {
                    write!(f, "@{d}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for ChartRef {
    type Err = Error;

    fn from_str(input: &str) -> Result<ChartRef> {
        let Some(rest) = input.strip_prefix(LAYOUT_SCHEME) else {
            if !input.starts_with(OCI_SCHEME) {
                return Err(Error::InvalidTarget {
                    input: input.to_owned(),
                    reason: "scheme prefix missing (e.g. \"oci://\" or \"oci-layout://\")",
                });
            }
            return input.parse().map(ChartRef::Registry);
        };
        let (dir, last) = rest.rsplit_once('/').ok_or(Error::InvalidTarget {
            input: input.to_owned(),
            reason: "a layout chart is oci-layout://DIR/NAME[:TAG][@DIGEST]",
        })?;
        // `oci-layout:///NAME` is the layout `/NAME`: its DIR is the root (as displayed
        // for a DIR of `/`, so display and parse agree).
        let dir = if dir.is_empty() && rest.starts_with('/') {
            "/"
        } else {
            dir
        };
        if dir.is_empty() {
            return Err(Error::InvalidTarget {
                input: input.to_owned(),
                reason: "a layout chart is oci-layout://DIR/NAME[:TAG][@DIGEST]",
            });
        }
        let (last, digest) = match last.split_once('@') {
            Some((l, d)) => (
                l,
                Some(d.parse::<Digest>().map_err(|_| Error::InvalidReference {
                    part: "digest",
                    value: d.to_owned(),
                    reason: "a digest is sha256: and 64 lowercase hex digits",
                })?),
            ),
            None => (last, None),
        };
        let (name, tag) = match last.split_once(':') {
            Some((n, t)) => (n, Some(Tag::for_version(t)?)),
            None => (last, None),
        };
        let mut c = Target::Layout {
            dir: PathBuf::from(dir),
        }
        .chart(name, tag)?;
        if let (ChartRef::Layout { digest: d, .. }, Some(x)) = (&mut c, digest) {
            *d = Some(x);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    macro_rules! bad_ref {
        ($name:ident, $input:expr, $part:expr) => {
            #[test]
            fn $name() {
                match $input.parse::<Reference>() {
                    Err(Error::InvalidReference { part, .. }) => assert_eq!(part, $part),
                    other => panic!("{:?} should be an invalid {}: {other:?}", $input, $part),
                }
            }
        };
    }
    bad_ref!(upper_case_repository, "oci://r.io/ns/MyChart", "repository");
    bad_ref!(double_dot, "oci://r.io/a..b", "repository");
    bad_ref!(trailing_dash, "oci://r.io/a-", "repository");
    bad_ref!(triple_underscore, "oci://r.io/a___b", "repository");
    bad_ref!(no_repository, "oci://r.io", "repository");
    bad_ref!(empty_component, "oci://r.io/a//b", "repository");
    bad_ref!(bad_port, "oci://r.io:99999/a", "registry");
    bad_ref!(bad_host, "oci://r io/a", "registry");
    bad_ref!(bad_tag, "oci://r.io/a:.x", "tag");
    bad_ref!(long_tag, format!("oci://r.io/a:{}", "x".repeat(129)), "tag");
    bad_ref!(bad_digest, "oci://r.io/a@sha256:abc", "digest");

    #[test]
    fn parses_like_helm() {
        let r: Reference = "oci://localhost:5000/ns/c".parse().unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("localhost:5000", "ns/c", None)
        );
        let d = Digest::sha256_of(b"x");
        let r: Reference = format!("oci://r.io/a__b/c-d--e.f:1.0.0+x.y@{d}")
            .parse()
            .unwrap();
        assert_eq!(r.tag().unwrap().as_str(), "1.0.0_x.y");
        assert_eq!(r.digest(), Some(&d));
        assert_eq!(r.reference_part(), Some(d.to_string()));
        assert_eq!(r.name(), "c-d--e.f");
    }

    #[test]
    fn docker_hub_is_contacted_as_registry_1() {
        let r: Reference = "oci://docker.io/me/c".parse().unwrap();
        assert_eq!(r.endpoint(), "registry-1.docker.io");
        assert_eq!(r.registry(), "docker.io");
    }

    #[test]
    fn ipv6_registry() {
        let r: Reference = "oci://[::1]:5000/c".parse().unwrap();
        assert_eq!(r.registry(), "[::1]:5000");
    }

    #[test]
    fn target_rejects_tags_and_missing_scheme() {
        assert!("oci://r.io/x:1".parse::<Target>().is_err());
        assert!("r.io/x".parse::<Target>().is_err());
        let t: Target = "oci://r.io".parse().unwrap();
        let c = t.chart("demo", Some(Tag::new("1").unwrap())).unwrap();
        assert_eq!(c.to_string(), "oci://r.io/demo:1");
    }

    #[test]
    fn layout_chart_ref() {
        let d = Digest::sha256_of(b"x");
        let c: ChartRef = format!("oci-layout:///tmp/x/demo@{d}").parse().unwrap();
        assert_eq!(c.layout_path().unwrap(), PathBuf::from("/tmp/x/demo"));
        assert_eq!(c.digest(), Some(&d));
        assert!("oci-layout://demo".parse::<ChartRef>().is_err());
        // Found by fuzzing: a layout in the root directory displayed as text that did not
        // parse back.
        for text in ["oci-layout:///demo", "oci-layout:////demo"] {
            let c: ChartRef = text.parse().unwrap();
            assert_eq!(c.layout_path().unwrap(), PathBuf::from("/demo"), "{text}");
            assert_eq!(c.to_string(), "oci-layout:///demo");
            assert_eq!(c.to_string().parse::<ChartRef>().unwrap(), c);
        }
        assert!("oci-layout://x/Demo".parse::<ChartRef>().is_err());
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,4}((\\.|_|__|-{1,2})[a-z0-9]{1,4}){0,2}"
    }

    proptest! {
        #[test]
        fn reference_round_trips(
            host in "[a-z][a-z0-9-]{0,8}(\\.[a-z]{2,4})?",
            port in proptest::option::of(1u16..),
            comps in proptest::collection::vec(component(), 1..4),
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            digest in proptest::option::of(any::<[u8; 8]>()),
        ) {
            let registry = match port { Some(p) => format!("{host}:{p}"), None => host };
            let r = Reference::new(
                &registry,
                &comps.join("/"),
                tag.map(|t| Tag::new(&t).unwrap()),
                digest.map(|d| Digest::sha256_of(&d)),
            ).unwrap();
            let back: Reference = r.to_string().parse().unwrap();
            prop_assert_eq!(back, r);
        }

        #[test]
        fn tag_version_round_trips(v in "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.]{1,8})?(\\+[a-z0-9.]{1,8})?") {
            let t = Tag::for_version(&v).unwrap();
            prop_assert_eq!(t.to_version(), v);
        }

        #[test]
        fn target_round_trips(host in "[a-z]{1,8}", comps in proptest::collection::vec(component(), 0..3)) {
            let s = if comps.is_empty() { format!("oci://{host}") } else { format!("oci://{host}/{}", comps.join("/")) };
            let t: Target = s.parse().unwrap();
            prop_assert_eq!(t.to_string(), s);
        }
    }
}
