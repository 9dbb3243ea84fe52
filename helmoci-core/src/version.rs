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

mod chart_version;

pub use chart_version::ChartVersion;
