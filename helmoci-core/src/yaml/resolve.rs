//! YAML 1.1 scalar resolution as yaml.v2 does it (`resolve.go`), and the number formats Go
//! uses when sigs.k8s.io/yaml turns a resolved scalar into a string.

use std::borrow::Cow;

/// The long prefix of the YAML core tags (`!!str` is `tag:yaml.org,2002:str`).
pub(crate) const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A scalar after yaml.v2 resolution, in the form `interface{}` decoding gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved<'a> {
    /// `~`, `null`, empty, or `!!null`.
    Null,
    /// YAML 1.1 booleans (`yes`, `on`, `true`, ...).
    Bool(bool),
    /// An integer that fits Go's `int` (64-bit).
    Int(i64),
    /// An integer above `i64::MAX` that fits `uint64`.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A string; timestamps come out as written, `!!binary` decoded.
    Str(Cow<'a, str>),
}

/// What an untagged plain scalar resolves to (the tag yaml.v2's `resolve("", s)` returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlainKind {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    Str,
}

/// yaml.v2 `resolve("", s)`: the kind and value of an untagged plain scalar.
pub(crate) fn resolve_plain(s: &str) -> (PlainKind, Resolved<'_>) {
    resolve_with_hint(s, true)
}

/// Resolution shared by untagged scalars and the `!!int`/`!!float`/... tags.
/// `try_timestamp` is true for untagged and `!!timestamp` scalars.
fn resolve_with_hint(s: &str, try_timestamp: bool) -> (PlainKind, Resolved<'_>) {
    let str_result = (PlainKind::Str, Resolved::Str(Cow::Borrowed(s)));
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return str_result,
    };
    if let Some(found) = lookup_map(s) {
        return found;
    }
    match hint {
        b'.' => {
            if let Some(f) = parse_dot_float(s) {
                return (PlainKind::Float, Resolved::Float(f));
            }
        }
        b'D' | b'S' => {
            if try_timestamp && is_timestamp(s) {
                return (PlainKind::Timestamp, Resolved::Str(Cow::Borrowed(s)));
            }
            let plain: Cow<'_, str> = if s.contains('_') {
                Cow::Owned(s.replace('_', ""))
            } else {
                Cow::Borrowed(s)
            };
            match go_parse_int(&plain) {
                IntParse::Int(i) => return (PlainKind::Int, Resolved::Int(i)),
                IntParse::Uint(u) => return (PlainKind::Int, Resolved::Uint(u)),
                IntParse::No => {}
            }
            if is_yaml_style_float(&plain) {
                if let Some(f) = parse_finite(&plain) {
                    return (PlainKind::Float, Resolved::Float(f));
                }
            }
        }
        _ => {}
    }
    str_result
}

/// yaml.v2's `resolveMap`.
fn lookup_map(s: &str) -> Option<(PlainKind, Resolved<'static>)> {
    let r = match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (PlainKind::Bool, Resolved::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (PlainKind::Bool, Resolved::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (PlainKind::Null, Resolved::Null),
        ".nan" | ".NaN" | ".NAN" => (PlainKind::Float, Resolved::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (PlainKind::Float, Resolved::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (PlainKind::Float, Resolved::Float(f64::NEG_INFINITY)),
        _ => return None,
    };
    Some(r)
}

/// Resolves a scalar carrying an explicit tag the way yaml.v2 decodes it into `interface{}`.
/// `Err` carries yaml.v2's message (`cannot decode !!str `x` as a !!int`).
pub(crate) fn resolve_tagged<'a>(tag: &str, s: &'a str) -> Result<Resolved<'a>, String> {
    let short = tag.strip_prefix(CORE_TAG_PREFIX);
    match short {
        Some("str") => Ok(Resolved::Str(Cow::Borrowed(s))),
        Some("binary") => match decode_base64(s) {
            Some(bytes) => Ok(Resolved::Str(Cow::Owned(
                String::from_utf8_lossy(&bytes).into_owned(),
            ))),
            None => Err("!!binary value contains invalid base64 data".to_owned()),
        },
        // yaml.v2 checks `!!null` before resolving: the scalar is null whatever its text.
        Some("null") => Ok(Resolved::Null),
        Some(t @ ("bool" | "int" | "float" | "timestamp")) => {
            let (kind, value) = resolve_with_hint(s, t == "timestamp");
            let ok = match (t, kind) {
                ("bool", PlainKind::Bool)
                | ("int", PlainKind::Int)
                | ("float", PlainKind::Float)
                | ("timestamp", PlainKind::Timestamp) => true,
                // `!!float 1` is the float 1 (but a uint64 is refused, as in yaml.v2).
                ("float", PlainKind::Int) => {
                    if let Resolved::Int(i) = value {
                        return Ok(Resolved::Float(i as f64));
                    }
                    false
                }
                _ => false,
            };
            if ok {
                return Ok(value);
            }
            let got = match kind {
                PlainKind::Null => "null",
                PlainKind::Bool => "bool",
                PlainKind::Int => "int",
                PlainKind::Float => "float",
                PlainKind::Timestamp => "timestamp",
                PlainKind::Str => "str",
            };
            Err(format!("cannot decode !!{got} `{s}` as a !!{t}"))
        }
        // Any other tag (local `!foo`, the non-specific `!`, `!!map` on a scalar, ...) is
        // not resolvable: the text stays a string.
        _ => Ok(Resolved::Str(Cow::Borrowed(s))),
    }
}

/// Go's `strconv.ParseFloat` for yaml.v2's `.`-hinted scalars: `.5`, `.5e3`; out of range
/// is an error (so `.5e999` stays a string).
fn parse_dot_float(s: &str) -> Option<f64> {
    let rest = s.strip_prefix('.')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !valid_exponent(&rest[digits..]) {
        return None;
    }
    parse_finite(s)
}

/// An optional `[eE][-+]?[0-9]+` that must consume the whole rest.
fn valid_exponent(rest: &str) -> bool {
    if rest.is_empty() {
        return true;
    }
    let Some(exp) = rest.strip_prefix(['e', 'E']) else {
        return false;
    };
    let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
    !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit())
}

/// yaml.v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let int_digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &s[int_digits..];
    let rest = if int_digits == 0 {
        let Some(frac) = rest.strip_prefix('.') else {
            return false;
        };
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        &frac[n..]
    } else if let Some(frac) = rest.strip_prefix('.') {
        &frac[frac.bytes().take_while(u8::is_ascii_digit).count()..]
    } else {
        rest
    };
    valid_exponent(rest)
}

/// Parses a syntactically valid decimal float; `None` when Go would report a range error.
fn parse_finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

enum IntParse {
    Int(i64),
    Uint(u64),
    No,
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)` (underscores already removed).
fn go_parse_int(s: &str) -> IntParse {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    match go_parse_uint(body) {
        Some(u) if !neg && u <= i64::MAX as u64 => IntParse::Int(u as i64),
        Some(u) if neg && u <= 1u64 << 63 => IntParse::Int((u as i64).wrapping_neg()),
        // ParseUint has no sign: only an unsigned text can be a uint64.
        Some(u) if !neg && s.as_bytes().first() != Some(&b'+') => IntParse::Uint(u),
        _ => IntParse::No,
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` without underscores: `0x`/`0o`/`0b` prefixes and
/// leading-zero octal.
fn go_parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits) = if b[0] == b'0' {
        if b.len() >= 3 {
            match b[1].to_ascii_lowercase() {
                b'b' => (2, &b[2..]),
                b'o' => (8, &b[2..]),
                b'x' => (16, &b[2..]),
                _ => (8, &b[1..]),
            }
        } else {
            (8, &b[1..])
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        if u32::from(d) >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// yaml.v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`. Such
/// strings are quoted on output although yaml.v2 reads them as strings.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) || !s.contains(':') {
        return false;
    }
    let mut i = 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            // `:7x` with two digits starting above 5: the regex can only take one digit,
            // and then the next byte must be `:` or `.`, which a digit is not.
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

// ---- timestamps ------------------------------------------------------------------------

/// yaml.v2's `parseTimestamp`: does `s` parse with one of Go's layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`, `2006-1-2`?
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let Some((year, month, day, rest)) = parse_date(b) else {
        return false;
    };
    if rest.is_empty() {
        return day_valid(year, month, day);
    }
    // Time part: `T`, `t` (with zone) or ` ` (without zone).
    let (with_zone, rest) = match rest[0] {
        b'T' | b't' => (true, &rest[1..]),
        b' ' => (false, &rest[1..]),
        _ => return false,
    };
    let Some(rest) = parse_clock(rest) else {
        return false;
    };
    let rest = if with_zone {
        match parse_zone(rest) {
            Some(r) => r,
            None => return false,
        }
    } else {
        rest
    };
    rest.is_empty() && day_valid(year, month, day)
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(b: &[u8]) -> Option<(u32, &[u8])> {
    let d0 = *b.first().filter(|c| c.is_ascii_digit())?;
    match b.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&d1) => Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &b[2..])),
        None => Some((u32::from(d0 - b'0'), &b[1..])),
    }
}

fn parse_date(b: &[u8]) -> Option<(u32, u32, u32, &[u8])> {
    let year = b[..4]
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    let (month, rest) = getnum(&b[5..])?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let rest = rest.strip_prefix(b"-")?;
    let (day, rest) = getnum(rest)?;
    if day > 31 {
        return None;
    }
    Some((year, month, day, rest))
}

fn parse_clock(b: &[u8]) -> Option<&[u8]> {
    let (hour, rest) = getnum(b)?;
    let rest = rest.strip_prefix(b":")?;
    let (min, rest) = getnum(rest)?;
    let rest = rest.strip_prefix(b":")?;
    let (sec, mut rest) = getnum(rest)?;
    if hour >= 24 || min >= 60 || sec >= 60 {
        return None;
    }
    // `.999999999`: an optional fraction, `.` or `,` then digits.
    if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    Some(rest)
}

/// `Z07:00`: `Z`, or `±hh:mm`.
fn parse_zone(b: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = b.strip_prefix(b"Z") {
        return Some(rest);
    }
    if b.len() < 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
        return None;
    }
    let two = |x: &[u8]| -> Option<u32> {
        (x[0].is_ascii_digit() && x[1].is_ascii_digit())
            .then(|| u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0'))
    };
    let (hh, mm) = (two(&b[1..3])?, two(&b[4..6])?);
    if hh > 24 || mm > 60 {
        return None;
    }
    Some(&b[6..])
}

fn day_valid(year: u32, month: u32, day: u32) -> bool {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

// ---- base64 (Go's StdEncoding, which skips CR and LF) ---------------------------------

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| *b != b'\n' && *b != b'\r').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4).count();
    for (n, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != chunks) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

// ---- Go number formatting ----------------------------------------------------------------

/// Go's `strconv.FormatFloat(f, 'g', -1, bits)` for `bits` 32 or 64.
pub(crate) fn go_format_g(f: f64, bits32: bool) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    let sci = if bits32 {
        let g = f as f32;
        if g.is_infinite() {
            return if g > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
        }
        format!("{g:e}")
    } else {
        if f.is_infinite() {
            return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
        }
        format!("{f:e}")
    };
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e8`, `0e0`.
    let (neg, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci.as_str()),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return "0".to_owned();
    }
    let nd = digits.len() as i32;
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        return out;
    }
    let dp = exp + 1; // digits before the decimal point
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..-dp {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        for _ in 0..dp - nd {
            out.push('0');
        }
    } else {
        let (int, frac) = digits.split_at(dp as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// How yaml.v2 writes a float read back from Go's JSON encoding of `f` (what
/// sigs.k8s.io/yaml.Marshal does to a float64): integral values become integers, others
/// `'g'` at float64 precision, NaN and infinities `.nan`, `.inf`, `-.inf`.
pub(crate) fn yaml_float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    if f == f.trunc() && f.abs() < 1e21 {
        // Go's JSON writes the integer digits; yaml.v2 reads them as int or uint64.
        if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
            return (f as i64).to_string();
        }
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
            return (f as u64).to_string();
        }
    }
    go_format_g(f, false)
}
