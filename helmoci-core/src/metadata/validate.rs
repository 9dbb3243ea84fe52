//! Helm's `Metadata.Validate`: sanitizing and validating `Chart.yaml` on every load.

use super::{ChartMetadata, Dependency, Maintainer};
use crate::Error;

/// Go's `sanitizeString`: every Unicode white space becomes a space and characters that
/// are not printable are deleted.
///
/// # Deviation from Helm
/// Go deletes unassigned code points too (it knows Unicode 15's tables); we delete
/// controls, format characters, surrogates and private-use characters, and keep
/// unassigned ones.
pub fn sanitize(s: &str) -> String {
    if s.chars().all(|c| c == ' ' || (c.is_ascii_graphic())) {
        return s.to_owned();
    }
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if is_printable(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

fn is_printable(c: char) -> bool {
    if c.is_control() {
        return false;
    }
    let n = c as u32;
    let format = matches!(n,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F);
    let private = matches!(n, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    let noncharacter = (n & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&n);
    !(format || private || noncharacter)
}

fn validation(message: String) -> Error {
    Error::Validation { message }
}

impl ChartMetadata {
    /// Sanitizes and validates the metadata exactly as Helm's `Metadata.Validate` does on
    /// every load, in Helm's order, with Helm's messages.
    ///
    /// ```
    /// use helmoci_core::ChartMetadata;
    /// let mut md = ChartMetadata { api_version: "v2".into(), name: "demo".into(),
    ///     version: "1.2.3.4".into(), ..Default::default() };
    /// let err = md.validate().unwrap_err();
    /// assert_eq!(err.to_string(), r#"validation: chart.metadata.version "1.2.3.4" is invalid"#);
    /// ```
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first rule broken.
    pub fn validate(&mut self) -> Result<(), Error> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        for s in self.sources.iter_mut().chain(self.keywords.iter_mut()) {
            *s = sanitize(s);
        }
        if self.api_version.is_empty() {
            return Err(validation("chart.metadata.apiVersion is required".into()));
        }
        if self.name.is_empty() {
            return Err(validation("chart.metadata.name is required".into()));
        }
        if self.name == "." || self.name == ".." {
            return Err(validation(format!(
                "chart.metadata.name {:?} is not allowed",
                self.name
            )));
        }
        if self.name.contains('/') {
            return Err(validation(format!(
                "chart.metadata.name {:?} is invalid",
                self.name
            )));
        }
        if self.version.is_empty() {
            return Err(validation("chart.metadata.version is required".into()));
        }
        if self
            .version
            .parse::<crate::version::ChartVersion>()
            .is_err()
        {
            return Err(validation(format!(
                "chart.metadata.version {:?} is invalid",
                self.version
            )));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err(validation(
                "chart.metadata.type must be application or library".into(),
            ));
        }
        for m in &mut self.maintainers {
            m.sanitize();
        }
        let mut seen = std::collections::HashSet::new();
        for d in &mut self.dependencies {
            d.validate()?;
            let key = if d.alias.is_empty() {
                d.name.clone()
            } else {
                d.alias.clone()
            };
            if !seen.insert(key.clone()) {
                return Err(validation(format!(
                    "more than one dependency with name or alias {key:?}"
                )));
            }
        }
        Ok(())
    }
}

impl Maintainer {
    fn sanitize(&mut self) {
        self.name = sanitize(&self.name);
        self.email = sanitize(&self.email);
        self.url = sanitize(&self.url);
    }
}

impl Dependency {
    /// Helm's `Dependency.Validate`: sanitizes name, version, repository, condition and
    /// tags, and checks that the alias matches `^[a-zA-Z0-9_-]+$`.
    pub fn validate(&mut self) -> Result<(), Error> {
        self.name = sanitize(&self.name);
        self.version = sanitize(&self.version);
        self.repository = sanitize(&self.repository);
        self.condition = sanitize(&self.condition);
        for t in &mut self.tags {
            *t = sanitize(t);
        }
        if !self.alias.is_empty()
            && !self
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(validation(format!(
                "dependency {:?} has disallowed characters in the alias",
                self.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(name: &str, version: &str) -> ChartMetadata {
        ChartMetadata {
            api_version: "v2".into(),
            name: name.into(),
            version: version.into(),
            ..Default::default()
        }
    }

    macro_rules! invalid {
        ($test:ident, $md:expr, $msg:expr) => {
            #[test]
            fn $test() {
                let mut m = $md;
                assert_eq!(m.validate().unwrap_err().to_string(), $msg);
            }
        };
    }

    invalid!(
        no_api_version,
        ChartMetadata {
            api_version: "".into(),
            ..md("a", "1.0.0")
        },
        "validation: chart.metadata.apiVersion is required"
    );
    invalid!(
        no_name,
        md("", "1.0.0"),
        "validation: chart.metadata.name is required"
    );
    invalid!(
        dot_name,
        md(".", "1.0.0"),
        r#"validation: chart.metadata.name "." is not allowed"#
    );
    invalid!(
        dotdot_name,
        md("..", "1.0.0"),
        r#"validation: chart.metadata.name ".." is not allowed"#
    );
    invalid!(
        slash_name,
        md("a/b", "1.0.0"),
        r#"validation: chart.metadata.name "a/b" is invalid"#
    );
    invalid!(
        no_version,
        md("a", ""),
        "validation: chart.metadata.version is required"
    );
    invalid!(
        four_part_version,
        md("a", "1.2.3.4"),
        r#"validation: chart.metadata.version "1.2.3.4" is invalid"#
    );
    invalid!(
        bad_type,
        ChartMetadata {
            chart_type: "app".into(),
            ..md("a", "1.0.0")
        },
        "validation: chart.metadata.type must be application or library"
    );
    invalid!(
        bad_alias,
        ChartMetadata {
            dependencies: vec![Dependency {
                name: "x".into(),
                alias: "a.b".into(),
                ..Default::default()
            }],
            ..md("a", "1.0.0")
        },
        r#"validation: dependency "x" has disallowed characters in the alias"#
    );
    invalid!(
        duplicate_dependency,
        ChartMetadata {
            dependencies: vec![
                Dependency {
                    name: "x".into(),
                    ..Default::default()
                },
                Dependency {
                    name: "y".into(),
                    alias: "x".into(),
                    ..Default::default()
                }
            ],
            ..md("a", "1.0.0")
        },
        r#"validation: more than one dependency with name or alias "x""#
    );

    #[test]
    fn sanitizes_like_go() {
        assert_eq!(sanitize("a\nb\n"), "a b ");
        assert_eq!(sanitize("tab\there\u{00A0}nbsp"), "tab here nbsp");
        assert_eq!(sanitize("zero\u{200B}width\u{7}bell"), "zerowidthbell");
        assert_eq!(sanitize("unicode é ✓"), "unicode é ✓");
        let mut m = ChartMetadata {
            description: "line one\nline two\n".into(),
            ..md("a", "1.0.0")
        };
        m.validate().unwrap();
        assert_eq!(m.description, "line one line two ");
    }

    #[test]
    fn lenient_versions_are_valid() {
        for v in ["1", "1.2", "v1.2.3", "01.02.03", "1.2.3-0a", "1.2.3+01"] {
            md("a", v).validate().unwrap_or_else(|e| panic!("{v}: {e}"));
        }
    }
}
