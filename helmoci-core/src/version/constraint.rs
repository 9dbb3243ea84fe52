//! [`VersionReq`]: Masterminds/semver v3's `Constraints`, grammar and matching.
//!
//! Masterminds parses constraints with regular expressions, and several of Helm's
//! observable quirks (`1.2-1.4` being a version, the error text naming a rewritten
//! segment, `|` inside a version) come from exactly how those expressions match. So the
//! parser uses the same expressions, with Go's `\s` spelled out as `[\t\n\f\r ]`, on the
//! `regex` crate, whose leftmost-first semantics are Go's.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;

use super::ChartVersion;
use crate::error::{Error, Result};

/// Go's `\s` (RE2: no `\v`).
const WS: &str = r"[\t\n\f\r ]";
/// The operators, in Masterminds' order (the empty alternative is "no operator").
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
/// Masterminds' `cvRegex`: a version that may be partial, `v`-prefixed and use `x`/`X`/`*`.
/// (Its digit class also admits `|`, as the original does.)
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

struct Grammar {
    /// `constraintRegex`: one comparator, anchored.
    comparator: Regex,
    /// `constraintRangeRegex`: `A - B`.
    range: Regex,
    /// `findConstraintRegex`: the comparators of an AND group.
    find: Regex,
    /// `validConstraintRegex`: a whole AND group.
    valid: Regex,
}

fn grammar() -> &'static Grammar {
    static GRAMMAR: OnceLock<Grammar> = OnceLock::new();
    GRAMMAR.get_or_init(|| {
        let build = |pattern: String| Regex::new(&pattern).expect("constant regular expression");
        Grammar {
            comparator: build(format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")),
            range: build(format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")),
            find: build(format!(r"({OPS}){WS}*({CV})")),
            valid: build(format!(
                r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
            )),
        }
    })
}

/// A version constraint as Helm reads it (Masterminds/semver v3 `NewConstraint`), e.g. in
/// a `Chart.yaml` dependency or `--version`.
///
/// # Grammar
/// - `||` separates alternatives; inside one, comparators separated by blanks and/or a
///   comma must all hold (`>=1 <2`, `>=1,<2`, `>= 1 , < 2`).
/// - Operators: none or `=` (exact, or a range for a partial version), `!=`, `>`, `<`,
///   `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`; blanks may follow an operator.
/// - Versions may be partial (`1`, `1.2`), `v`-prefixed, and use `x`, `X` or `*`:
///   `1.2`, `1.2.x` and `=1.2` mean `>=1.2.0 <1.3.0`; `>1.2` means `>=1.3.0`;
///   `<=1.2` means `<1.3.0`; `~1.2.3` means `>=1.2.3 <1.3.0`; `^1.2.3` means
///   `>=1.2.3 <2.0.0`, `^0.2.3` means `>=0.2.3 <0.3.0`, `^0.0.3` only 0.0.3, and `^*`
///   only 0.0.0.
/// - `A - B` (blanks on both sides of the `-`) means `>= A, <= B`; `1.2-1.4` is the single
///   version `1.2.0-1.4`.
///
/// # Pre-releases
/// A pre-release version satisfies no comparator unless some comparator of the same
/// alternative has a pre-release itself; then plain precedence decides, for any
/// version (unlike npm and Cargo). So `*` rejects `1.0.0-rc.1` and `>0.0.0-0` (Helm's
/// `--devel`) accepts it.
///
/// ```
/// use helmoci_core::version::{ChartVersion, VersionReq};
///
/// let req: VersionReq = "~1.2".parse()?;
/// assert!(req.matches(&"1.2.9".parse()?) && !req.matches(&"1.3.0".parse()?));
///
/// let req: VersionReq = ">=1.1 <2 !=1.2.3 || >= 3".parse()?;
/// assert!(req.matches(&"3.0.0".parse()?) && !req.matches(&"1.2.3".parse()?));
///
/// let v: ChartVersion = "2.0.0-rc.1".parse()?;
/// assert!(!"*".parse::<VersionReq>()?.matches(&v));
/// assert!(">0.0.0-0".parse::<VersionReq>()?.matches(&v));
///
/// assert!("1.2 ||".parse::<VersionReq>().is_err());
/// # Ok::<(), helmoci_core::Error>(())
/// ```
#[derive(Clone)]
pub struct VersionReq {
    text: String,
    groups: Vec<Group>,
}

/// An AND group (one `||` alternative).
#[derive(Clone, Debug)]
struct Group {
    comparators: Vec<Comparator>,
    /// Some comparator names a pre-release: pre-release versions may match.
    has_prerelease: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// none or `=`: exact, or tilde for a partial version.
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

impl Op {
    fn from_text(op: &str) -> Option<Op> {
        Some(match op {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterEqual,
            "<=" | "=<" => Op::LessEqual,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            _ => return None,
        })
    }
}

/// One comparator, Masterminds' `constraint`.
#[derive(Clone, Debug)]
struct Comparator {
    op: Op,
    /// The operator as written (`=>`, `~>` ...).
    op_text: String,
    /// The version as written (`4.x`, `v1.2`).
    orig: String,
    /// The version compared against (missing and wildcard parts are 0).
    con: ChartVersion,
    /// Some part is a wildcard or missing.
    dirty: bool,
    /// The minor (and so the patch) is a wildcard or missing: `1`, `1.x`.
    minor_dirty: bool,
    /// Only the patch is a wildcard or missing: `1.2`, `1.2.x`.
    patch_dirty: bool,
}

impl VersionReq {
    /// The constraint that matches every release, `*` (what Helm uses for an empty
    /// version).
    ///
    /// ```
    /// use helmoci_core::version::VersionReq;
    /// assert!(VersionReq::any().matches(&"3.1.4".parse()?));
    /// assert!(!VersionReq::any().matches(&"3.1.4-rc.1".parse()?));
    /// # Ok::<(), helmoci_core::Error>(())
    /// ```
    pub fn any() -> VersionReq {
        // `*` always parses; the fallback (which would match nothing) only avoids a panic
        // path in library code.
        "*".parse().unwrap_or_else(|_| VersionReq {
            text: "*".to_owned(),
            groups: Vec::new(),
        })
    }

    /// Whether `version` satisfies the constraint (Masterminds' `Check`, with Helm's
    /// `IncludePrerelease = false`).
    ///
    /// ```
    /// use helmoci_core::version::VersionReq;
    /// let req: VersionReq = "1.2 - 1.4".parse()?;
    /// assert!(req.matches(&"1.4.9".parse()?));
    /// # Ok::<(), helmoci_core::Error>(())
    /// ```
    pub fn matches(&self, version: &ChartVersion) -> bool {
        self.groups.iter().any(|group| {
            group
                .comparators
                .iter()
                .all(|c| c.check(version, group.has_prerelease))
        })
    }

    /// The constraint as Masterminds prints it (`Constraints.String()`): each comparator
    /// as operator plus version as written, blank-separated, alternatives joined by
    /// `" || "`, hyphen ranges rewritten.
    ///
    /// ```
    /// use helmoci_core::version::VersionReq;
    /// let req: VersionReq = "1.2 - 1.4 ||  ~> 2.x,!=2.3".parse()?;
    /// assert_eq!(req.canonical(), ">=1.2 <=1.4 || ~>2.x !=2.3");
    /// assert_eq!(req.to_string(), "1.2 - 1.4 ||  ~> 2.x,!=2.3");
    /// # Ok::<(), helmoci_core::Error>(())
    /// ```
    pub fn canonical(&self) -> String {
        self.groups
            .iter()
            .map(|g| {
                g.comparators
                    .iter()
                    .map(|c| format!("{}{}", c.op_text, c.orig))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" || ")
    }

    /// The constraint text exactly as parsed (what [`Display`](fmt::Display) prints).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for VersionReq {
    type Err = Error;

    /// Parses a constraint like Masterminds' `NewConstraint`.
    ///
    /// # Errors
    /// - [`Error::InvalidConstraint`] (`improper constraint: "<segment>"`) when an
    ///   alternative is empty or blank, has a dangling operator, a version of four
    ///   parts, or any other text outside the grammar. The segment is the alternative as
    ///   Masterminds saw it, after hyphen ranges were rewritten.
    /// - [`Error::InvalidConstraintVersion`] (Masterminds' `constraint parser error`) when
    ///   the text fits the grammar but a version in it does not parse, e.g. `1x`,
    ///   `1.2.3-01`, or a number beyond `u64`.
    ///
    /// ```
    /// use helmoci_core::{version::VersionReq, Error};
    /// for bad in ["", " ", ">=", "1.2.3.4", "latest", "1.2 ||", "2 - 1 -"] {
    ///     assert!(matches!(bad.parse::<VersionReq>(), Err(Error::InvalidConstraint { .. })), "{bad:?}");
    /// }
    /// ```
    fn from_str(text: &str) -> Result<VersionReq> {
        let g = grammar();
        let rewritten = rewrite_ranges(g, text);
        let mut groups = Vec::new();
        for segment in rewritten.split("||") {
            if !g.valid.is_match(segment) {
                return Err(Error::InvalidConstraint {
                    constraint: segment.to_owned(),
                });
            }
            let mut pieces: Vec<&str> = g.find.find_iter(segment).map(|m| m.as_str()).collect();
            if pieces.is_empty() {
                pieces.push(segment);
            }
            let comparators = pieces
                .into_iter()
                .map(|piece| Comparator::parse(g, piece, text))
                .collect::<Result<Vec<_>>>()?;
            let has_prerelease = comparators.iter().any(|c| c.con.is_prerelease());
            groups.push(Group {
                comparators,
                has_prerelease,
            });
        }
        Ok(VersionReq {
            text: text.to_owned(),
            groups,
        })
    }
}

/// Masterminds' `rewriteRange`: every `A - B` becomes `>= A, <= B `. Each match found in
/// the original text replaces the first occurrence of its text in the string so far.
fn rewrite_ranges(g: &Grammar, text: &str) -> String {
    let mut out = text.to_owned();
    for caps in g.range.captures_iter(text) {
        let (Some(whole), Some(from), Some(to)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let replacement = format!(">= {}, <= {} ", from.as_str(), to.as_str());
        out = out.replacen(whole.as_str(), &replacement, 1);
    }
    out
}

impl Comparator {
    /// Masterminds' `parseConstraint`.
    fn parse(g: &Grammar, piece: &str, whole: &str) -> Result<Comparator> {
        let improper = || Error::InvalidConstraint {
            constraint: piece.to_owned(),
        };
        let caps = g.comparator.captures(piece).ok_or_else(improper)?;
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let op_text = group(1);
        let op = Op::from_text(op_text).ok_or_else(improper)?;
        let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
        let wild = |part: &str| matches!(part.trim_start_matches('.'), "x" | "X" | "*");
        let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
        let version_text = if wild(major) || major.is_empty() {
            dirty = true;
            format!("0.0.0{pre}")
        } else if wild(minor) || minor.is_empty() {
            dirty = true;
            minor_dirty = true;
            format!("{major}.0.0{pre}")
        } else if wild(patch) || patch.is_empty() {
            dirty = true;
            patch_dirty = true;
            format!("{major}{minor}.0{pre}")
        } else {
            group(2).to_owned()
        };
        let con: ChartVersion = version_text.parse().map_err(|e| match e {
            Error::InvalidVersion { reason, .. } => Error::InvalidConstraintVersion {
                constraint: whole.to_owned(),
                version: group(2).to_owned(),
                reason,
            },
            other => other,
        })?;
        Ok(Comparator {
            op,
            op_text: op_text.to_owned(),
            orig: group(2).to_owned(),
            con,
            dirty,
            minor_dirty,
            patch_dirty,
        })
    }

    /// Masterminds' constraint functions.
    fn check(&self, v: &ChartVersion, include_pre: bool) -> bool {
        // A pre-release only matches groups that ask for pre-releases.
        if v.is_prerelease() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual if self.dirty => self.tilde(v),
            Op::TildeOrEqual => v == c,
            Op::Tilde => self.tilde(v),
            Op::NotEqual => self.not_equal(v),
            Op::Greater => self.greater(v),
            Op::Less => v < c,
            Op::GreaterEqual => v >= c,
            Op::LessEqual => self.less_equal(v),
            Op::Caret => self.caret(v),
        }
    }

    fn tilde(&self, v: &ChartVersion) -> bool {
        let c = &self.con;
        if v < c {
            return false;
        }
        // ~0.0.0 (and ~*) accept everything >= 0.0.0.
        if (c.major(), c.minor(), c.patch()) == (0, 0, 0) && !self.minor_dirty && !self.patch_dirty
        {
            return true;
        }
        v.major() == c.major() && (v.minor() == c.minor() || self.minor_dirty)
    }

    fn not_equal(&self, v: &ChartVersion) -> bool {
        let c = &self.con;
        if self.dirty {
            if c.major() != v.major() {
                return true;
            }
            if c.minor() != v.minor() && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch() != v.patch() && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                if v.is_prerelease() || c.is_prerelease() {
                    return super::chart_version::compare_prerelease(
                        v.prerelease(),
                        c.prerelease(),
                    ) != std::cmp::Ordering::Equal;
                }
                return false;
            }
        }
        v != c
    }

    fn greater(&self, v: &ChartVersion) -> bool {
        let c = &self.con;
        if !self.dirty {
            return v > c;
        }
        if v.major() != c.major() {
            return v.major() > c.major();
        }
        if self.minor_dirty {
            // `>11` needs 12 or higher.
            return false;
        }
        if self.patch_dirty {
            // `>11.1` needs 11.2 or higher.
            return v.minor() > c.minor();
        }
        v > c
    }

    fn less_equal(&self, v: &ChartVersion) -> bool {
        let c = &self.con;
        if !self.dirty {
            return v <= c;
        }
        if v.major() > c.major() {
            return false;
        }
        !(v.major() == c.major() && v.minor() > c.minor() && !self.minor_dirty)
    }

    fn caret(&self, v: &ChartVersion) -> bool {
        let c = &self.con;
        if v < c {
            return false;
        }
        if c.major() > 0 || self.minor_dirty {
            return v.major() == c.major();
        }
        if v.major() > 0 {
            return false;
        }
        if c.minor() > 0 || self.patch_dirty {
            return v.minor() == c.minor();
        }
        if v.minor() > 0 {
            return false;
        }
        v.patch() == c.patch()
    }
}

impl fmt::Display for VersionReq {
    /// The constraint text as parsed; see [`VersionReq::canonical`] for Masterminds' form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VersionReq({:?})", self.text)
    }
}

impl PartialEq for VersionReq {
    /// Two constraints are equal when they were written the same.
    fn eq(&self, other: &VersionReq) -> bool {
        self.text == other.text
    }
}

impl Eq for VersionReq {}
