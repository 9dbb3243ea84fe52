//! Chart versions and version constraints, exactly as Helm reads them
//! (Masterminds/semver v3, which Helm uses everywhere).
//!
//! - [`ChartVersion`]: lenient parse ([`FromStr`](std::str::FromStr), for `Chart.yaml`,
//!   `--version`, dependencies and `index.yaml`) and strict parse
//!   ([`ChartVersion::parse_strict`], for OCI tags), SemVer precedence with build metadata
//!   ignored.
//! - [`VersionReq`]: Masterminds' constraint grammar (`||`, blank- or comma-separated AND,
//!   `x`/`*` wildcards, partial versions, tilde, caret, hyphen ranges) and its
//!   pre-release rule, which differ from npm's and Cargo's.
//! - [`select_tag`], [`is_exact_version`] and [`select_version`]: how Helm picks an OCI
//!   tag or an `index.yaml` entry for a requested version.
//!
//! ```
//! use helmoci_core::version::{ChartVersion, VersionReq};
//!
//! let req: VersionReq = "^1.2.3".parse()?;
//! assert!(req.matches(&"1.9.0".parse()?));
//! assert!(!req.matches(&"2.0.0-rc.1".parse()?)); // pre-releases need a pre-release comparator
//! let v: ChartVersion = "01.02.03".parse()?;
//! assert_eq!(v.to_string(), "1.2.3");
//! # Ok::<(), helmoci_core::Error>(())
//! ```

mod chart_version;
mod constraint;
mod select;

pub use chart_version::ChartVersion;
pub use constraint::VersionReq;
pub use select::{
    is_exact_version, select_tag, select_version, SkipReason, SkippedTag, TagCandidate,
    TagSelection, DEVEL_CONSTRAINT,
};
