//! Retries with exponential backoff and jitter (HELM-FACTS §8.8, §13).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// When and how often a request is retried.
///
/// Retried: connection errors and timeouts, `408`, `429` and `5xx` (except `501` and `505`).
/// Only requests whose body can be re-sent (everything this crate sends) and that are safe
/// to repeat (not chunk `PATCH`es) are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt. Default 5 (as ORAS).
    pub max_retries: u32,
    /// The first backoff; doubled per attempt, ±10 % jitter. Default 250 ms.
    pub initial_backoff: Duration,
    /// The largest backoff between attempts. Default 3 s.
    pub max_backoff: Duration,
    /// The largest `Retry-After` honoured; a longer one fails the request. Default 60 s.
    pub max_retry_after: Duration,
    /// No retry starts once this much time has passed since the first attempt. Default 2 min.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(3),
            max_retry_after: Duration::from_secs(60),
            max_total: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The pause before retry number `attempt` (0-based): `initial × 2^attempt`, ±10 %,
    /// at most `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_backoff);
        let jitter = 0.9 + fastrand::f64() * 0.2;
        base.mul_f64(jitter).min(self.max_backoff)
    }
}

/// True for statuses worth retrying.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429)
        || (status.is_server_error() && !matches!(status.as_u16(), 501 | 505))
}

/// True for transport errors worth retrying: not TLS failures (a bad certificate stays bad).
pub(crate) fn is_retryable_error(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<rustls::Error>() {
            return false;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData {
                return false;
            }
            // io::Error's source() skips the wrapped error itself.
            if let Some(inner) = io.get_ref() {
                source = Some(inner as &(dyn std::error::Error + 'static));
                continue;
            }
        }
        source = s.source();
    }
    e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()
}

/// `Retry-After` in seconds (the HTTP-date form is ignored: backoff applies).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let b0 = p.backoff(0);
        assert!(b0 >= Duration::from_millis(225) && b0 <= Duration::from_millis(275));
        assert!(p.backoff(2) >= Duration::from_millis(900));
        assert!(p.backoff(30) <= Duration::from_secs(3));
    }

    #[test]
    fn statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 501, 505] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }
}
