//! Tag listing with `Link` pagination, capped.

use reqwest::header::LINK;
use reqwest::Method;
use serde::Deserialize;

use super::client::{read_capped, Req};
use super::RegistryClient;
use crate::error::{Error, Result};
use crate::manifest::MAX_MANIFEST_SIZE;
use crate::reference::Reference;

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl RegistryClient {
    /// Like `GET /v2/<repo>/tags/list`, following `Link: <…>; rel="next"` pages: every tag,
    /// in the registry's order. Each page is capped at 4 MiB and the total at the client's
    /// `max_tags`.
    ///
    /// # Errors
    /// [`Error::Registry`] (404 `NAME_UNKNOWN` for a missing repository), [`Error::TooLarge`],
    /// [`Error::Protocol`] for bad pages, [`Error::Transport`].
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn list_tags(&self, repository: &Reference) -> Result<Vec<String>> {
        let ctx = Self::ctx(repository, false);
        let mut url = self
            .inner
            .url(&ctx, &format!("{}/tags/list", ctx.repository))?;
        let mut tags = Vec::new();
        let mut pages = 0usize;
        loop {
            pages += 1;
            let req = Req::new(Method::GET, url.clone(), "tags");
            let resp = self.inner.send_expect(&ctx, &req, &[200]).await?;
            let next = resp
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let body = read_capped(resp, MAX_MANIFEST_SIZE)
                .await
                .map_err(|e| match e {
                    Error::TooLarge { .. } => Error::TooLarge {
                        what: "tag list page",
                        reference: repository.short(),
                        limit: MAX_MANIFEST_SIZE,
                    },
                    other => other,
                })?;
            let page: TagPage = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
                registry: ctx.registry.clone(),
                what: "tag list".into(),
                reason: e.to_string(),
            })?;
            tags.extend(page.tags.unwrap_or_default());
            if tags.len() > self.inner.max_tags {
                return Err(Error::TooLarge {
                    what: "tag list",
                    reference: repository.short(),
                    limit: self.inner.max_tags as u64,
                });
            }
            match next {
                Some(link) if pages < 100_000 => {
                    url = url.join(&link).map_err(|e| Error::Protocol {
                        registry: ctx.registry.clone(),
                        what: "tag list".into(),
                        reason: format!("invalid Link {link:?}: {e}"),
                    })?;
                }
                _ => return Ok(tags),
            }
        }
    }

    /// Like `GET /v2/` with authentication: checks that the registry answers and accepts the
    /// credentials (what `helm registry login` checks).
    ///
    /// # Errors
    /// [`Error::Registry`] (401 for bad credentials), [`Error::Transport`].
    ///
    /// # Cancellation
    /// Nothing is left behind.
    pub async fn ping(&self, registry: &str) -> Result<()> {
        crate::reference::validate_registry(registry)?;
        let ctx = super::client::Ctx {
            registry: registry.to_owned(),
            endpoint: crate::reference::registry_endpoint(registry).to_owned(),
            repository: String::new(),
            push: false,
        };
        let url = self.inner.url(&ctx, "")?;
        let req = Req::new(Method::GET, url, "");
        self.inner.send_expect(&ctx, &req, &[200]).await?;
        Ok(())
    }
}

/// The target of `rel="next"` in a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn link_header() {
        assert_eq!(
            next_link(r#"</v2/c/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/c/tags/list?last=b&n=2")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }
}
