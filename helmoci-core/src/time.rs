//! Timestamps for archives and locks: `SOURCE_DATE_EPOCH` and RFC 3339 in UTC.
//!
//! Helm stamps archive entries with file mtimes and `Chart.lock`'s `generated` with the wall
//! clock in the local zone. helmoci makes both reproducible: an explicit [`Timestamp`], or
//! `SOURCE_DATE_EPOCH` with Helm-main semantics (UTC, whole seconds), and always writes UTC.
//!
//! ```
//! use helmoci_core::time::Timestamp;
//! let t = Timestamp::from_unix(1_700_000_000);
//! assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20Z");
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// An instant in whole seconds since the Unix epoch (UTC), with optional nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// The instant `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// The current wall-clock time (nanosecond precision).
    pub fn now() -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }

    /// Converts a [`SystemTime`], keeping nanoseconds.
    pub fn from_system_time(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                secs: d.as_secs() as i64,
                nanos: d.subsec_nanos(),
            },
            Err(e) => {
                let d = e.duration();
                let (secs, nanos) = if d.subsec_nanos() == 0 {
                    (-(d.as_secs() as i64), 0)
                } else {
                    (-(d.as_secs() as i64) - 1, 1_000_000_000 - d.subsec_nanos())
                };
                Timestamp { secs, nanos }
            }
        }
    }

    /// Reads `SOURCE_DATE_EPOCH`: `Ok(None)` when unset or empty, as in Helm.
    ///
    /// # Errors
    /// [`Error::SourceDateEpoch`] when the value is not a non-negative integer.
    pub fn from_source_date_epoch() -> Result<Option<Timestamp>, Error> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.is_empty() => Timestamp::parse_source_date_epoch(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// Parses a `SOURCE_DATE_EPOCH` value (whole seconds, not negative).
    pub fn parse_source_date_epoch(value: &str) -> Result<Timestamp, Error> {
        let secs: i64 = value.trim().parse().map_err(|_| Error::SourceDateEpoch {
            value: value.to_owned(),
            reason: "not an integer number of seconds",
        })?;
        if secs < 0 {
            return Err(Error::SourceDateEpoch {
                value: value.to_owned(),
                reason: "must not be negative",
            });
        }
        Ok(Timestamp::from_unix(secs))
    }

    /// Whole seconds since the epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// Nanoseconds past the second.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Rounded to the nearest second, half up, as Go's tar writer rounds mtimes.
    pub fn round_to_second(&self) -> Timestamp {
        let secs = if self.nanos >= 500_000_000 {
            self.secs + 1
        } else {
            self.secs
        };
        Timestamp::from_unix(secs)
    }

    /// RFC 3339 in UTC without a fraction: `2023-11-14T22:13:20Z`.
    pub fn to_rfc3339(&self) -> String {
        let (y, mo, d, h, mi, s) = civil(self.secs);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// RFC 3339 in UTC with Go's `RFC3339Nano` fraction (trailing zeros trimmed).
    pub fn to_rfc3339_nano(&self) -> String {
        let (y, mo, d, h, mi, s) = civil(self.secs);
        let mut out = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }
}

impl Timestamp {
    /// Parses RFC 3339 (`2024-01-02T03:04:05.123456+01:00`, `…Z`), as Go's `time.Time`
    /// JSON decoding accepts it. `None` when it is not RFC 3339.
    ///
    /// ```
    /// use helmoci_core::time::Timestamp;
    /// let t = Timestamp::parse_rfc3339("2023-11-14T23:13:20.5+01:00").unwrap();
    /// assert_eq!((t.unix_seconds(), t.subsec_nanos()), (1_700_000_000, 500_000_000));
    /// ```
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(r)?;
            if s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &text[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            nanos = format!("{frac:0<9}").parse().ok()?;
        }
        let offset = match &text[i..] {
            "Z" | "z" => 0,
            zone if zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')) => {
                if zone.as_bytes()[3] != b':' {
                    return None;
                }
                let zh = num(i + 1..i + 3)?;
                let zm = num(i + 4..i + 6)?;
                let off = zh * 3600 + zm * 60;
                if zone.starts_with('-') {
                    -off
                } else {
                    off
                }
            }
            _ => return None,
        };
        let days = days_from_civil(y, mo as u32, d as u32);
        Some(Timestamp {
            secs: days * 86_400 + h * 3600 + mi * 60 + s - offset,
            nanos,
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Splits Unix seconds into UTC (year, month, day, hour, minute, second).
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp::from_unix(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix(951_782_400).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix(4_102_444_799).to_rfc3339(),
            "2099-12-31T23:59:59Z"
        );
        assert_eq!(
            Timestamp::from_unix(-1).to_rfc3339(),
            "1969-12-31T23:59:59Z"
        );
        let t = Timestamp {
            secs: 1_700_000_000,
            nanos: 123_450_000,
        };
        assert_eq!(t.to_rfc3339_nano(), "2023-11-14T22:13:20.12345Z");
    }

    #[test]
    fn parses_what_it_formats() {
        for secs in [0, 951_782_400, 1_700_000_000, 4_102_444_799] {
            let t = Timestamp::from_unix(secs);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        }
        assert!(Timestamp::parse_rfc3339("2024-01-02").is_none());
        assert!(Timestamp::parse_rfc3339("2024-13-02T00:00:00Z").is_none());
    }

    #[test]
    fn rounds_half_up() {
        let t = |nanos| Timestamp { secs: 10, nanos };
        assert_eq!(t(499_999_999).round_to_second().unix_seconds(), 10);
        assert_eq!(t(500_000_000).round_to_second().unix_seconds(), 11);
        assert_eq!(t(600_000_000).round_to_second().unix_seconds(), 11);
    }

    #[test]
    fn source_date_epoch_values() {
        assert_eq!(
            Timestamp::parse_source_date_epoch("1700000000").unwrap(),
            Timestamp::from_unix(1_700_000_000)
        );
        assert!(Timestamp::parse_source_date_epoch("-5").is_err());
        assert!(Timestamp::parse_source_date_epoch("soon").is_err());
    }
}
