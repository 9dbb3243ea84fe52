//! Answering authentication challenges: Basic, and the bearer-token handshake with tokens
//! cached per registry host and scope (HELM-FACTS §8.7).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use url::Url;

use super::challenge::{clean_scopes, Challenge};
use super::client::{read_capped, Ctx, Inner};
use crate::credential::Credential;
use crate::error::{Error, Result};

/// The largest token response accepted (128 KiB).
pub const MAX_TOKEN_RESPONSE: u64 = 128 * 1024;

/// `Authorization` values per host (Basic) and per host and scope (Bearer).
#[derive(Default)]
pub(crate) struct AuthCache {
    entries: Mutex<HashMap<(String, String), Cached>>,
    /// One authentication at a time, so concurrent requests share one token.
    flight: tokio::sync::Mutex<()>,
}

struct Cached {
    header: String,
    expires: Option<Instant>,
}

impl AuthCache {
    /// The header to send to `host` for `scope`, if one is known and fresh.
    /// A `pull` scope is also served by a cached `pull,push` token for the repository.
    pub(crate) fn header(&self, host: &str, scope: &str) -> Option<String> {
        let map = self.entries.lock().ok()?;
        let fresh = |c: &&Cached| c.expires.is_none_or(|e| e > Instant::now());
        let get = |s: &str| map.get(&(host.to_owned(), s.to_owned())).filter(fresh);
        get("")
            .or_else(|| get(scope))
            .or_else(|| {
                scope
                    .strip_suffix(":pull")
                    .and_then(|base| get(&format!("{base}:pull,push")))
            })
            .map(|c| c.header.clone())
    }

    fn put(&self, host: &str, scope: &str, header: String, expires: Option<Instant>) {
        if let Ok(mut map) = self.entries.lock() {
            map.insert(
                (host.to_owned(), scope.to_owned()),
                Cached { header, expires },
            );
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Inner {
    async fn credential(&self, ctx: &Ctx) -> Result<Credential> {
        let source = self.credentials.clone();
        let (registry, repository) = (ctx.registry.clone(), ctx.repository.clone());
        tokio::task::spawn_blocking(move || source.credential(&registry, &repository))
            .await
            .map_err(|_| Error::Background {
                what: "credential lookup",
            })
    }

    /// Answers `challenge` and caches the result. `Ok(false)` when there is nothing better
    /// to send (the caller then reports the 401/403 with a hint).
    pub(crate) async fn authenticate(
        &self,
        ctx: &Ctx,
        scope: &str,
        challenge: &Challenge,
        sent: Option<&str>,
    ) -> Result<bool> {
        let _flight = self.auth.flight.lock().await;
        let current = self.auth.header(&ctx.endpoint, scope);
        if current.is_some() && current.as_deref() != sent {
            // Another request authenticated meanwhile.
            return Ok(true);
        }
        let credential = self.credential(ctx).await?;
        match challenge {
            Challenge::Basic => match credential {
                Credential::Basic { username, password } => {
                    if username.is_empty() || password.expose().is_empty() {
                        return Err(Error::Auth {
                            registry: ctx.registry.clone(),
                            reason: "missing username or password for basic auth".into(),
                        });
                    }
                    let header = basic_header(&username, password.expose());
                    if sent == Some(header.as_str()) {
                        return Ok(false);
                    }
                    self.auth.put(&ctx.endpoint, "", header, None);
                    Ok(true)
                }
                _ => Ok(false),
            },
            Challenge::Bearer {
                realm,
                service,
                scope: challenged,
                ..
            } => {
                let scopes = clean_scopes([scope].into_iter().chain(challenged.as_deref()));
                let token = match credential {
                    Credential::RegistryToken(t) => {
                        let header = format!("Bearer {}", t.expose());
                        if sent == Some(header.as_str()) {
                            return Ok(false);
                        }
                        self.auth.put(&ctx.endpoint, scope, header, None);
                        return Ok(true);
                    }
                    c => {
                        self.fetch_token(ctx, realm, service.as_deref(), &scopes, &c)
                            .await?
                    }
                };
                let expires = Instant::now()
                    + Duration::from_secs(token.1.unwrap_or(60).saturating_sub(5).max(1));
                self.auth.put(
                    &ctx.endpoint,
                    scope,
                    format!("Bearer {}", token.0),
                    Some(expires),
                );
                Ok(true)
            }
        }
    }

    async fn fetch_token(
        &self,
        ctx: &Ctx,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credential: &Credential,
    ) -> Result<(String, Option<u64>)> {
        let fail = |reason: String| Error::Auth {
            registry: ctx.registry.clone(),
            reason,
        };
        let mut url =
            Url::parse(realm).map_err(|e| fail(format!("invalid token realm {realm:?}: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.plain_http => {}
            other => {
                return Err(fail(format!(
                    "refusing token realm {realm:?}: scheme {other} (https is required unless the registry is plain HTTP)"
                )))
            }
        }
        if let Some(reason) = internal_realm(&url, &ctx.endpoint) {
            return Err(fail(format!("refusing token realm {realm:?}: {reason}")));
        }
        let resp = match credential {
            Credential::IdentityToken(refresh) => {
                let form = {
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    form.append_pair("grant_type", "refresh_token");
                    form.append_pair("refresh_token", refresh.expose());
                    if let Some(s) = service {
                        form.append_pair("service", s);
                    }
                    if !scopes.is_empty() {
                        form.append_pair("scope", &scopes.join(" "));
                    }
                    form.append_pair("client_id", "helmoci");
                    form.finish()
                };
                self.http
                    .post(url.clone())
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(form)
                    .send()
                    .await
            }
            c => {
                {
                    let mut q = url.query_pairs_mut();
                    for s in scopes {
                        q.append_pair("scope", s);
                    }
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                }
                let mut rb = self.http.get(url.clone());
                if let Credential::Basic { username, password } = c {
                    rb = rb.header(AUTHORIZATION, basic_header(username, password.expose()));
                }
                rb.send().await
            }
        };
        let mut shown = url.clone();
        shown.set_query(None);
        let resp = resp.map_err(|e| fail(format!("token request to {shown} failed: {e}")))?;
        let status = resp.status();
        let body = read_capped(resp, MAX_TOKEN_RESPONSE)
            .await
            .map_err(|e| match e {
                Error::TooLarge { .. } => Error::TooLarge {
                    what: "token response",
                    reference: shown.to_string(),
                    limit: MAX_TOKEN_RESPONSE,
                },
                other => other,
            })?;
        if !status.is_success() {
            let hint = if status.as_u16() == 401 {
                " (check the username and password)"
            } else {
                ""
            };
            return Err(fail(format!(
                "token service {shown} answered {}{hint}",
                status.as_u16()
            )));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| fail(format!("token service {shown} sent invalid JSON: {e}")))?;
        let token = if parsed.access_token.is_empty() {
            parsed.token
        } else {
            parsed.access_token
        };
        if token.is_empty() {
            return Err(fail(format!("token service {shown} sent no token")));
        }
        Ok((token, parsed.expires_in))
    }
}

/// Like ORAS: a realm on a loopback, private or link-local IP is refused unless it is the
/// registry's own host (port ignored), so a registry cannot aim our credentials at an
/// internal service.
fn internal_realm(realm: &Url, registry_endpoint: &str) -> Option<&'static str> {
    let ip: std::net::IpAddr = match realm.host()? {
        url::Host::Ipv4(v4) => v4.into(),
        url::Host::Ipv6(v6) => v6.into(),
        url::Host::Domain(_) => return None,
    };
    let internal = match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    let registry_host = registry_endpoint
        .rsplit_once(':')
        .filter(|(h, p)| !p.contains(']') && !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(registry_endpoint, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let same = registry_host.parse::<std::net::IpAddr>().ok() == Some(ip);
    (internal && !same).then_some("an internal address that is not the registry's host")
}

fn basic_header(username: &str, password: &str) -> String {
    let raw = format!("{username}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

#[cfg(test)]
mod tests {
    use super::internal_realm;
    use url::Url;

    #[test]
    fn internal_realms_only_on_the_registry_host() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(internal_realm(&u("http://127.0.0.1:9/token"), "127.0.0.1:5000").is_none());
        assert!(internal_realm(&u("http://127.0.0.1/token"), "registry.example").is_some());
        assert!(internal_realm(&u("http://10.1.2.3/token"), "127.0.0.1:5000").is_some());
        assert!(internal_realm(&u("http://[::1]:1/t"), "[::1]:5000").is_none());
        assert!(internal_realm(&u("https://auth.example/token"), "127.0.0.1:5000").is_none());
        assert!(internal_realm(&u("https://8.8.8.8/token"), "r.example").is_none());
    }
}
