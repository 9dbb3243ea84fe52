//! A bearer-token server for distribution's `auth: token:` mode: signs ES256 JWTs with an
//! `x5c` header whose certificate is the registry's `rootcertbundle`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use super::certs::SigningKey;
use super::http::{Handler, Reply, Request, Server};
use super::registry::{PASSWORD, TOKEN_ISSUER, TOKEN_SERVICE, USER};

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn query_params(path: &str) -> Vec<(String, String)> {
    let q = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

/// Who asked: `Some(user)` with valid Basic credentials, `None` anonymous, `Err` bad ones.
fn user(req: &Request) -> Result<Option<String>, ()> {
    let Some(h) = req.header("authorization") else {
        return Ok(None);
    };
    let b = h.strip_prefix("Basic ").ok_or(())?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b)
        .map_err(|_| ())?;
    let s = String::from_utf8(raw).map_err(|_| ())?;
    if s == format!("{USER}:{PASSWORD}") {
        Ok(Some(USER.to_owned()))
    } else {
        Err(())
    }
}

/// Starts the token server. Anonymous callers get `pull` only; the test user gets what it
/// asks for.
pub async fn start(key: &SigningKey) -> Server {
    let rng = SystemRandom::new();
    let pair = Arc::new(
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.pkcs8_der, &rng).unwrap(),
    );
    let x5c = base64::engine::general_purpose::STANDARD.encode(&key.cert_der);
    let handler: Handler = Arc::new(move |req: Request| {
        let pair = pair.clone();
        let x5c = x5c.clone();
        Box::pin(async move {
            let who = match user(&req) {
                Ok(w) => w,
                Err(()) => {
                    return Reply::new(401).json(&serde_json::json!({"details": "bad credentials"}))
                }
            };
            let params = query_params(&req.path);
            let mut access = Vec::new();
            for (k, v) in &params {
                if k != "scope" {
                    continue;
                }
                for scope in v.split(' ') {
                    let parts: Vec<&str> = scope.splitn(3, ':').collect();
                    if parts.len() != 3 {
                        continue;
                    }
                    let actions: Vec<&str> = parts[2]
                        .split(',')
                        .filter(|a| who.is_some() || *a == "pull")
                        .collect();
                    access.push(
                        serde_json::json!({"type": parts[0], "name": parts[1], "actions": actions}),
                    );
                }
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [x5c]});
            let claims = serde_json::json!({
                "iss": TOKEN_ISSUER,
                "sub": who.clone().unwrap_or_default(),
                "aud": TOKEN_SERVICE,
                "exp": now + 300,
                "nbf": now - 10,
                "iat": now,
                "jti": format!("{}", fastrand::u64(..)),
                "access": access,
            });
            let signing_input = format!(
                "{}.{}",
                b64url(header.to_string().as_bytes()),
                b64url(claims.to_string().as_bytes())
            );
            let sig = pair
                .sign(&SystemRandom::new(), signing_input.as_bytes())
                .unwrap();
            let jwt = format!("{signing_input}.{}", b64url(sig.as_ref()));
            Reply::new(200).json(&serde_json::json!({"token": jwt, "expires_in": 300}))
        })
    });
    Server::start(handler).await
}
