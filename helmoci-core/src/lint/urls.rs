//! The URL and e-mail checks `helm lint` borrows from govalidator (the version Helm v4
//! pins, `a9d515a09cc2`) and Go's `net/url`.
//!
//! - [`is_request_url`]: govalidator's `IsRequestURL` — Go's `url.ParseRequestURI`
//!   succeeds and the URL has a scheme (used for `sources` and `icon`);
//! - [`is_url`]: govalidator's `IsURL` — Go's `url.Parse` succeeds and the text matches
//!   govalidator's URL pattern (used for maintainers' `url`);
//! - [`is_email`]: govalidator's `IsEmail` pattern (maintainers' `email`).
//!
//! The patterns are govalidator's, with `\d`, `\s` and `\S` spelled as the ASCII classes
//! Go's regexp gives them.

use std::sync::LazyLock;

use regex::Regex;

/// Go's `url.ParseRequestURI(s)` succeeds and gives a scheme.
pub(crate) fn is_request_url(s: &str) -> bool {
    matches!(go_parse(s, true), Some(u) if !u.scheme.is_empty())
}

/// govalidator's `IsURL`.
pub(crate) fn is_url(s: &str) -> bool {
    if s.is_empty() || s.chars().count() >= 2083 || s.len() <= 3 || s.starts_with('.') {
        return false;
    }
    let with_scheme;
    let parsed_text = if s.contains(':') && !s.contains("://") {
        with_scheme = format!("http://{s}");
        with_scheme.as_str()
    } else {
        s
    };
    // url.Parse: the fragment is cut off first and only needs valid escapes.
    let (before, fragment) = parsed_text.split_once('#').unwrap_or((parsed_text, ""));
    let Some(u) = go_parse(before, false) else {
        return false;
    };
    if !valid_escapes(fragment) || u.host.starts_with('.') {
        return false;
    }
    if u.host.is_empty() && !u.path.is_empty() && !u.path.contains('.') {
        return false;
    }
    URL_PATTERN.is_match(s)
}

/// govalidator's `IsEmail`.
pub(crate) fn is_email(s: &str) -> bool {
    EMAIL_PATTERN.is_match(s)
}

const IP: &str = r"(([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]{1,}|::(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))";
const URL_SCHEMA: &str = r"((ftp|tcp|udp|wss?|https?):\/\/)";
const URL_USERNAME: &str = r"([^\t\n\f\r ]+(:[^\t\n\f\r ]*)?@)";
const URL_PATH: &str = r"((\/|\?|#)[^\t\n\f\r ]*)";
const URL_PORT: &str = r"(:([0-9]{1,5}))";
const URL_IP: &str = r"([1-9][0-9]?|1[0-9][0-9]|2[01][0-9]|22[0-3]|24[0-9]|25[0-5])(\.([0-9]{1,2}|1[0-9][0-9]|2[0-4][0-9]|25[0-5])){2}(?:\.([0-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))";
const URL_SUBDOMAIN: &str =
    r"((www\.)|([a-zA-Z0-9]+([-_\.]?[a-zA-Z0-9])*[a-zA-Z0-9]\.[a-zA-Z0-9]+))";

static URL_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!(
        r"^{URL_SCHEMA}?{URL_USERNAME}?(({URL_IP}|(\[{IP}\])|(([a-zA-Z0-9]([a-zA-Z0-9_-]+)?[a-zA-Z0-9]([-\.][a-zA-Z0-9]+)*)|({URL_SUBDOMAIN}?))?(([a-zA-Z\x{{00a1}}-\x{{ffff}}0-9]+-?-?)*[a-zA-Z\x{{00a1}}-\x{{ffff}}0-9]+)(?:\.([a-zA-Z\x{{00a1}}-\x{{ffff}}]{{1,}}))?))\.?{URL_PORT}?{URL_PATH}?$"
    );
    // The pattern is a constant; a failure here is a bug caught by the unit tests.
    Regex::new(&pattern).unwrap_or_else(|_| Regex::new("^$").expect("trivial pattern"))
});

static EMAIL_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(EMAIL).unwrap_or_else(|_| Regex::new("^$").expect("trivial pattern"))
});

const EMAIL: &str = r#"^(((([a-zA-Z]|[0-9]|[!#\$%&'\*\+\-\/=\?\^_`{\|}~]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])+(\.([a-zA-Z]|[0-9]|[!#\$%&'\*\+\-\/=\?\^_`{\|}~]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])+)*)|((\x22)((((\x20|\x09)*(\x0d\x0a))?(\x20|\x09)+)?(([\x01-\x08\x0b\x0c\x0e-\x1f\x7f]|\x21|[\x23-\x5b]|[\x5d-\x7e]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])|(\([\x01-\x09\x0b\x0c\x0d-\x7f]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}]))))*(((\x20|\x09)*(\x0d\x0a))?(\x20|\x09)+)?(\x22)))@((([a-zA-Z]|[0-9]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])|(([a-zA-Z]|[0-9]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])([a-zA-Z]|[0-9]|-|\.|_|~|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])*([a-zA-Z]|[0-9]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])))\.)+(([a-zA-Z]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])|(([a-zA-Z]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])([a-zA-Z]|[0-9]|-|_|~|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])*([a-zA-Z]|[\x{00A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}])))\.?$"#;

/// The parts of a Go `url.URL` the checks look at.
struct GoUrl {
    scheme: String,
    host: String,
    path: String,
}

/// Go's `net/url` `parse(rawURL, viaRequest)` (the fragment already cut off).
fn go_parse(raw: &str, via_request: bool) -> Option<GoUrl> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) || (raw.is_empty() && via_request) {
        return None;
    }
    if raw == "*" {
        return Some(GoUrl {
            scheme: String::new(),
            host: String::new(),
            path: "*".into(),
        });
    }
    let (scheme, rest) = scheme(raw)?;
    let rest = match rest.strip_suffix('?') {
        Some(r) if rest.matches('?').count() == 1 => r,
        _ => rest.split_once('?').map_or(rest, |(r, _)| r),
    };
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            return Some(GoUrl {
                scheme,
                host: String::new(),
                path: String::new(),
            });
        }
        if via_request {
            return None;
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return None;
        }
    }
    let mut host = String::new();
    let mut path = rest;
    if (!scheme.is_empty() || !via_request && !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (auth, p) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        host = parse_authority(auth)?;
        path = p;
    }
    if !valid_escapes(path) {
        return None;
    }
    Some(GoUrl {
        scheme,
        host,
        path: path.to_owned(),
    })
}

/// Go's `getScheme`: `None` for `missing protocol scheme`.
fn scheme(raw: &str) -> Option<(String, &str)> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Some((String::new(), raw));
                }
            }
            b':' => {
                if i == 0 {
                    return None;
                }
                return Some((raw[..i].to_ascii_lowercase(), &raw[i + 1..]));
            }
            _ => return Some((String::new(), raw)),
        }
    }
    Some((String::new(), raw))
}

fn parse_authority(authority: &str) -> Option<String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    if let Some(userinfo) = userinfo {
        let valid = userinfo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c));
        if !valid || !valid_escapes(userinfo) {
            return None;
        }
    }
    Some(host)
}

fn parse_host(host: &str) -> Option<String> {
    if host.starts_with('[') {
        let i = host.rfind(']')?;
        if !valid_optional_port(&host[i + 1..]) {
            return None;
        }
    } else if let Some(i) = host.rfind(':') {
        if !valid_optional_port(&host[i..]) {
            return None;
        }
    }
    // unescape(host, encodeHost): escapes must be valid, and ASCII outside the host set
    // is refused.
    let bytes = host.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            if hex_value(hex[0]) < 8 && &bytes[i..i + 3] != b"%25" {
                return None;
            }
            i += 3;
            continue;
        }
        if c < 0x80 && !c.is_ascii_alphanumeric() && !b"!$&'()*+,;=:[]<>\"-_.~".contains(&c) {
            return None;
        }
        i += 1;
    }
    Some(host.to_owned())
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    }
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Every `%` is followed by two hex digits (Go's `unescape` in path and fragment mode).
fn valid_escapes(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            match bytes.get(i + 1..i + 3) {
                Some(h) if h.iter().all(u8::is_ascii_hexdigit) => i += 3,
                _ => return false,
            }
        } else {
            i += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! check {
        ($name:ident, $f:ident, $input:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!($f($input), $want, "{}({:?})", stringify!($f), $input);
            }
        };
    }

    check!(
        request_url_https,
        is_request_url,
        "https://example.com/x",
        true
    );
    check!(
        request_url_mailto_is_opaque,
        is_request_url,
        "mailto:a@b.c",
        true
    );
    check!(request_url_relative, is_request_url, "icon.png", false);
    check!(
        request_url_absolute_path,
        is_request_url,
        "/icon.png",
        false
    );
    check!(request_url_words, is_request_url, "not a url", false);
    check!(
        request_url_space_in_host,
        is_request_url,
        "http://a b/",
        false
    );
    check!(request_url_bad_port, is_request_url, "http://a:b/", false);
    check!(
        request_url_bad_escape,
        is_request_url,
        "http://a/%zz",
        false
    );
    check!(request_url_colon_first, is_request_url, ":foo", false);
    check!(request_url_empty, is_request_url, "", false);
    check!(url_https, is_url, "https://example.com/jane", true);
    check!(url_without_scheme, is_url, "example.com", true);
    check!(url_host_port, is_url, "example.com:8080", true);
    check!(url_bad_scheme, is_url, "ht!tp://bad url", false);
    check!(url_word, is_url, "localhost", false);
    check!(url_leading_dot, is_url, ".example.com", false);
    check!(url_short, is_url, "a.b", false);
    check!(url_ip, is_url, "http://192.168.0.1/", true);
    check!(email_plain, is_email, "jane@example.com", true);
    check!(email_plus, is_email, "jane+tag@sub.example.co", true);
    check!(email_missing_at, is_email, "not-an-email", false);
    check!(email_no_tld, is_email, "a@b", false);
    check!(email_unicode, is_email, "jöe@exämple.com", true);
    check!(email_upper, is_email, "Jane@Example.COM", true);
}
