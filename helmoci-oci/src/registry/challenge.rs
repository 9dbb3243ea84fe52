//! `WWW-Authenticate` challenges and token scopes (HELM-FACTS §8.7).

use std::collections::BTreeMap;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm="…"`.
    Basic,
    /// `Bearer realm="…",service="…",scope="…",error="…"`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        error: Option<String>,
    },
}

/// Parses a challenge header; `None` for schemes we do not speak or malformed input.
pub(crate) fn parse(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => {
            let mut params = parse_params(rest)?;
            let realm = params.remove("realm")?;
            Some(Challenge::Bearer {
                realm,
                service: params.remove("service"),
                scope: params.remove("scope"),
                error: params.remove("error"),
            })
        }
        _ => None,
    }
}

/// `key=value` or `key="quoted, value"` pairs separated by commas; keys lowercased.
fn parse_params(s: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b',' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            return Some(out);
        }
        let key_start = i;
        while i < b.len() && b[i] != b'=' {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let key = s[key_start..i].trim().to_ascii_lowercase();
        i += 1;
        let value = if b.get(i) == Some(&b'"') {
            i += 1;
            let mut v = String::new();
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    // A quoted-pair escapes the next character, which may be
                    // multi-byte: take it whole (indexing by byte would split it).
                    Some(b'\\') if i + 1 < b.len() => {
                        let c = s[i + 1..].chars().next()?;
                        v.push(c);
                        i += 1 + c.len_utf8();
                    }
                    Some(_) => {
                        let c = s[i..].chars().next()?;
                        v.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            v
        } else {
            let start = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            s[start..i].trim().to_owned()
        };
        out.insert(key, value);
    }
}

/// Merges scopes (`repository:ns/c:pull`), de-duplicating and sorting actions per resource;
/// `*` absorbs the other actions. Returns them sorted, as ORAS's `CleanScopes` does.
pub(crate) fn clean_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut by_resource: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut plain: Vec<String> = Vec::new();
    for scope in scopes.into_iter().flat_map(str::split_whitespace) {
        match scope.rsplit_once(':') {
            Some((resource, actions)) if resource.contains(':') => {
                let entry = by_resource.entry(resource.to_owned()).or_default();
                entry.extend(
                    actions
                        .split(',')
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned),
                );
            }
            _ => plain.push(scope.to_owned()),
        }
    }
    let mut out: Vec<String> = by_resource
        .into_iter()
        .filter_map(|(resource, mut actions)| {
            actions.sort();
            actions.dedup();
            if actions.iter().any(|a| a == "*") {
                actions = vec!["*".to_owned()];
            }
            (!actions.is_empty()).then(|| format!("{resource}:{}", actions.join(",")))
        })
        .collect();
    plain.sort();
    plain.dedup();
    out.extend(plain);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer() {
        let c = parse(r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:ns/c:pull,push",error="insufficient_scope""#).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:ns/c:pull,push".into()),
                error: Some("insufficient_scope".into()),
            }
        );
    }

    #[test]
    fn parses_basic_and_rejects_garbage() {
        assert_eq!(
            parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse("Negotiate"), None);
        assert_eq!(parse(r#"Bearer realm="unterminated"#), None);
        assert_eq!(parse("Bearer service=x"), None);
    }

    #[test]
    fn escaped_multibyte_characters_are_kept_whole() {
        // `\é` used to push one byte, split the character and panic on the next slice.
        assert_eq!(
            parse("Bearer realm=\"a\\é\\\"b\",service=\"\\ü\""),
            Some(Challenge::Bearer {
                realm: "aé\"b".into(),
                service: Some("ü".into()),
                scope: None,
                error: None,
            })
        );
    }

    #[test]
    fn scopes_are_merged() {
        assert_eq!(
            clean_scopes([
                "repository:a/b:push",
                "repository:a/b:pull repository:c:pull",
                "repository:a/b:pull",
                "registry:catalog:*"
            ]),
            [
                "registry:catalog:*",
                "repository:a/b:pull,push",
                "repository:c:pull"
            ]
        );
        assert_eq!(clean_scopes(["repository:a:pull,*"]), ["repository:a:*"]);
    }
}
