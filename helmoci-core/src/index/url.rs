//! URL joining as Helm does it with Go's `net/url` (`internal/urlutil.URLJoin` and
//! `repo.ResolveReferenceURL`).
//!
//! A small RFC 3986 splitter rather than the `url` crate: the WHATWG rules of `url`
//! lower-case hosts, drop default ports and re-encode paths, while Go keeps the text.
//!
//! # Deviation from Helm
//! Paths are joined as written; Go would percent-encode characters such as spaces or
//! non-ASCII letters in the result.

use crate::Error;

/// A URL split into its RFC 3986 parts (`scheme://authority/path?query#fragment`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Parts {
    scheme: String,
    authority: Option<String>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

fn parse(text: &str) -> Result<Parts, Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    if text.chars().any(|c| c.is_control()) {
        return Err(invalid("invalid control character in URL"));
    }
    let (rest, fragment) = match text.split_once('#') {
        Some((r, f)) => (r, Some(f.to_owned())),
        None => (text, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q.to_owned())),
        None => (rest, None),
    };
    let mut scheme = String::new();
    let mut rest = rest;
    if let Some(i) = rest.find(':') {
        let candidate = &rest[..i];
        let valid = candidate.chars().enumerate().all(|(n, c)| {
            c.is_ascii_alphabetic() || (n > 0 && (c.is_ascii_digit() || "+-.".contains(c)))
        });
        if valid && !candidate.is_empty() {
            scheme = candidate.to_owned();
            rest = &rest[i + 1..];
        } else if !candidate.contains('/') {
            return Err(invalid("first path segment in URL cannot contain colon"));
        }
    }
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            if authority.contains('[') && !authority.contains(']') {
                return Err(invalid("missing ']' in host"));
            }
            (Some(authority.to_owned()), after[end..].to_owned())
        }
        None => (None, rest.to_owned()),
    };
    Ok(Parts {
        scheme,
        authority,
        path,
        query,
        fragment,
    })
}

impl Parts {
    fn render(&self) -> String {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if let Some(a) = &self.authority {
            out.push_str("//");
            out.push_str(a);
            if !self.path.is_empty() && !self.path.starts_with('/') {
                out.push('/');
            }
        }
        out.push_str(&self.path);
        if let Some(q) = self.query.as_deref().filter(|q| !q.is_empty()) {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = self.fragment.as_deref().filter(|f| !f.is_empty()) {
            out.push('#');
            out.push_str(f);
        }
        out
    }
}

/// The URL as Helm's `urlutil.Equal` compares it (empty path → `/`, path cleaned), or
/// `None` when it does not parse.
pub(crate) fn normalized(text: &str) -> Option<String> {
    let mut u = parse(text).ok()?;
    if u.path.is_empty() {
        u.path = "/".into();
    }
    u.path = clean_path(&u.path);
    Some(u.render())
}

/// Go's `path.Clean`.
pub(crate) fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `path.Join`: non-empty elements joined with `/` and cleaned; `""` if all are empty.
pub(crate) fn join_path(elems: &[&str]) -> String {
    let non_empty: Vec<&str> = elems.iter().copied().filter(|e| !e.is_empty()).collect();
    if non_empty.is_empty() {
        return String::new();
    }
    clean_path(&non_empty.join("/"))
}

/// Helm's `urlutil.URLJoin`: the base URL with `path` joined onto its path (query kept).
/// Falls back to a plain path join when `base` is not a URL, as Helm's callers do.
pub fn url_join(base: &str, path: &str) -> String {
    match parse(base) {
        Ok(mut u) => {
            u.path = join_path(&[&u.path, path]);
            u.render()
        }
        Err(_) => join_path(&[base, path]),
    }
}

/// Helm's `ResolveReferenceURL`: where a chart whose `urls[0]` is `reference` is
/// downloaded from, for a repository at `repo_url`.
///
/// An absolute reference is used as it is. A relative one is resolved against the
/// repository URL with a trailing `/` added, and **the repository URL's query replaces
/// the result's** (so `?token=…` on the repository URL carries over to chart downloads).
///
/// ```
/// use helmoci_core::index::resolve_reference_url;
/// let u = |r| resolve_reference_url("https://h.example/charts?t=1", r).unwrap();
/// assert_eq!(u("demo-0.1.0.tgz"), "https://h.example/charts/demo-0.1.0.tgz?t=1");
/// assert_eq!(u("../x/demo.tgz"), "https://h.example/x/demo.tgz?t=1");
/// assert_eq!(u("/abs/demo.tgz?q=2"), "https://h.example/abs/demo.tgz?t=1");
/// assert_eq!(u("https://cdn.example/demo.tgz"), "https://cdn.example/demo.tgz");
/// ```
///
/// # Errors
/// [`Error::InvalidUrl`] when either URL does not parse (as Go's `url.Parse` refuses it).
pub fn resolve_reference_url(repo_url: &str, reference: &str) -> Result<String, Error> {
    let r = parse(reference)?;
    if !r.scheme.is_empty() {
        return Ok(reference.to_owned());
    }
    let mut base = parse(repo_url)?;
    base.path = format!("{}/", base.path.trim_end_matches('/'));
    let mut out = if r.authority.is_some() {
        Parts {
            scheme: base.scheme.clone(),
            path: resolve_path(&r.path, ""),
            ..r.clone()
        }
    } else if r.path.is_empty() {
        Parts {
            fragment: r.fragment.clone(),
            ..base.clone()
        }
    } else {
        Parts {
            scheme: base.scheme.clone(),
            authority: base.authority.clone(),
            path: resolve_path(&base.path, &r.path),
            query: None,
            fragment: r.fragment.clone(),
        }
    };
    out.query = base.query.clone();
    Ok(out.render())
}

/// Go's `resolvePath` (RFC 3986 §5.2 merge and dot-segment removal).
fn resolve_path(base: &str, reference: &str) -> String {
    let full = if reference.is_empty() {
        base.to_owned()
    } else if !reference.starts_with('/') {
        let i = base.rfind('/').map_or(0, |i| i + 1);
        format!("{}{}", &base[..i], reference)
    } else {
        reference.to_owned()
    };
    if full.is_empty() {
        return String::new();
    }
    let mut dst = String::from("/");
    let mut first = true;
    let mut last = "";
    for elem in full.split('/') {
        last = elem;
        if elem == "." {
            first = false;
            continue;
        }
        if elem == ".." {
            let s = dst[1..].to_owned();
            dst = String::from("/");
            match s.rfind('/') {
                Some(i) => dst.push_str(&s[..i]),
                None => first = true,
            }
        } else {
            if !first {
                dst.push('/');
            }
            dst.push_str(elem);
            first = false;
        }
    }
    if last == "." || last == ".." {
        dst.push('/');
    }
    if dst.len() > 1 && dst.as_bytes()[1] == b'/' {
        dst.remove(0);
    }
    dst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_join_like_go() {
        assert_eq!(url_join("", ""), "");
        assert_eq!(url_join("", "sub"), "sub");
        assert_eq!(url_join("sub", "a.tgz"), "sub/a.tgz");
        assert_eq!(
            url_join("https://x.example/charts?tok=1", "a.tgz"),
            "https://x.example/charts/a.tgz?tok=1"
        );
        assert_eq!(
            url_join("https://x.example/charts/", "sub"),
            "https://x.example/charts/sub"
        );
        assert_eq!(
            url_join("https://x.example", "a.tgz"),
            "https://x.example/a.tgz"
        );
        assert_eq!(
            url_join("https://x.example/a/../b", "c+1.tgz"),
            "https://x.example/b/c+1.tgz"
        );
    }

    #[test]
    fn resolve_like_go() {
        let r = |b: &str, x: &str| resolve_reference_url(b, x).unwrap();
        assert_eq!(r("http://h/charts/", "a.tgz"), "http://h/charts/a.tgz");
        assert_eq!(r("http://h/charts", "./a.tgz"), "http://h/charts/a.tgz");
        assert_eq!(r("http://h", "a.tgz"), "http://h/a.tgz");
        assert_eq!(r("http://h/x", "//cdn/a.tgz"), "http://cdn/a.tgz");
        assert_eq!(r("http://h/x", "../../../a.tgz"), "http://h/a.tgz");
        assert_eq!(r("http://h/x?k=v", "a.tgz#f"), "http://h/x/a.tgz?k=v#f");
        assert!(resolve_reference_url("http://h", "1:x").is_err());
    }

    #[test]
    fn clean_like_go() {
        for (i, o) in [
            ("", "."),
            ("/", "/"),
            ("a/../..", ".."),
            ("/a/../..", "/"),
            ("a//b/./c/", "a/b/c"),
        ] {
            assert_eq!(clean_path(i), o, "{i}");
        }
    }
}
