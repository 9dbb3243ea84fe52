//! Authentication and TLS against the real registry: Basic over TLS with a generated CA,
//! mutual TLS, and bearer tokens from our token server.

use helmoci_oci::credential::{Credential, StaticCredentials};
use helmoci_oci::pull::PullOptions;
use helmoci_oci::push::PushOptions;
use helmoci_oci::reference::{ChartRef, Target};
use helmoci_oci::{Error, RegistryClient};

use crate::require;
use crate::support::registry::{Auth, Registry, PASSWORD, USER};
use crate::support::{certs, fake_chart, list_dir, token, TestResult};

#[tokio::test]
async fn basic_auth_over_tls_with_added_ca() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let certs = require!(certs::make(tmp.path()));
    let reg = require!(Registry::start_with(Auth::Basic, Some(&certs)));
    let chart = fake_chart(tmp.path(), "secure", "1.0.0", 5_000);
    let target: Target = reg.oci("p").parse()?;
    let creds = StaticCredentials::new().with(&reg.host, Credential::basic(USER, PASSWORD));
    let c = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .credentials(creds)
        .build()?;
    c.push(&chart, &target, &PushOptions::default()).await?;
    c.ping(&reg.host).await?;
    let from: ChartRef = format!("{}/secure:1.0.0", reg.oci("p")).parse()?;
    let p = c
        .pull(&from, &PullOptions::into_dir(tmp.path().join("o")))
        .await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&chart.path)?);

    // No credentials: a typed 401 with a hint, nothing written.
    let anon = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .build()?;
    let out = tmp.path().join("anon");
    let e = anon
        .pull(&from, &PullOptions::into_dir(&out))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert!(e.to_string().contains("log in"), "{e}");
    assert!(list_dir(&out).is_empty());

    // Wrong password.
    let bad = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .credentials(StaticCredentials::new().with(&reg.host, Credential::basic(USER, "wrong")))
        .build()?;
    let e = bad.ping(&reg.host).await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(!format!("{e:?}").contains("wrong"), "secret leaked: {e:?}");

    // Credentials are scoped to their host: another host gets none.
    let elsewhere = StaticCredentials::new().with("127.0.0.2:1", Credential::basic(USER, PASSWORD));
    let c2 = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .credentials(elsewhere)
        .build()?;
    assert_eq!(c2.ping(&reg.host).await.unwrap_err().status(), Some(401));

    // Untrusted CA: a transport error; accepting invalid certs works.
    let untrusted = RegistryClient::builder().build()?;
    let e = untrusted.ping(&reg.host).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    let insecure = RegistryClient::builder()
        .danger_accept_invalid_certs(true)
        .credentials(StaticCredentials::new().with(&reg.host, Credential::basic(USER, PASSWORD)))
        .build()?;
    insecure.ping(&reg.host).await?;
    Ok(())
}

#[tokio::test]
async fn mutual_tls() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let certs = require!(certs::make(tmp.path()));
    let reg = require!(Registry::start_full(Auth::None, Some(&certs), true));
    let with_cert = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .client_certificate_pem(
            &std::fs::read(&certs.client_cert)?,
            &std::fs::read(&certs.client_key)?,
        )
        .build()?;
    with_cert.ping(&reg.host).await?;
    let without = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .retry(helmoci_oci::RetryPolicy::none())
        .build()?;
    assert!(without.ping(&reg.host).await.is_err());
    // A bad PEM is reported by build(), not later.
    let e = RegistryClient::builder()
        .add_root_certificate_pem(b"not a pem")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Tls { .. }), "{e}");
    Ok(())
}

#[tokio::test]
async fn bearer_tokens_from_a_token_server() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let key = require!(certs::signing_key(tmp.path()));
    let ts = token::start(&key).await;
    let realm = format!("http://{}/token", ts.host);
    let reg = require!(Registry::start_with(
        Auth::Token {
            realm,
            bundle: &key.cert_pem
        },
        None
    ));
    let chart = fake_chart(tmp.path(), "tok", "0.3.0", 3_000);
    let target: Target = reg.oci("team").parse()?;
    let creds = StaticCredentials::new().with(&reg.host, Credential::basic(USER, PASSWORD));
    let c = RegistryClient::builder()
        .plain_http(true)
        .credentials(creds)
        .build()?;
    c.push(&chart, &target, &PushOptions::default()).await?;
    let token_requests = ts.requests().len();
    // Push asked for pull,push once and reused the token for every request.
    assert_eq!(
        token_requests,
        1,
        "{:?}",
        ts.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(ts.requests()[0]
        .path
        .contains("scope=repository%3Ateam%2Ftok%3Apull%2Cpush"));

    // Anonymous pull: the token server grants pull.
    let anon = RegistryClient::builder().plain_http(true).build()?;
    let from: ChartRef = format!("{}/tok", reg.oci("team")).parse()?;
    let p = anon
        .pull(
            &from,
            &PullOptions::into_dir(tmp.path().join("o")).version("0.3.0"),
        )
        .await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&chart.path)?);

    // Anonymous push: denied, with the registry's code.
    let e = anon
        .push(
            &fake_chart(tmp.path(), "tok", "0.4.0", 10),
            &target,
            &PushOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e.status(), Some(401 | 403)), "{e}");

    // Wrong password at the token service.
    let bad = RegistryClient::builder()
        .plain_http(true)
        .credentials(StaticCredentials::new().with(&reg.host, Credential::basic(USER, "nope")))
        .build()?;
    let e = bad.tags(&from).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert!(!e.to_string().contains("nope"));
    Ok(())
}

#[tokio::test]
async fn helm_pulls_what_we_pushed_with_basic_auth_over_tls_and_vice_versa() -> TestResult {
    use crate::support::helm::Helm;
    let mut helm = require!(Helm::new());
    let tmp = tempfile::tempdir()?;
    let certs = require!(certs::make(tmp.path()));
    helm.ssl_cert_file = Some(certs.ca_pem.clone());
    let reg = require!(Registry::start_with(Auth::Basic, Some(&certs)));
    let dir = crate::support::write_chart_dir(tmp.path(), "sec", "1.0.0", 500);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    let chart = crate::support::packaged(&tgz, crate::support::demo_metadata("sec", "1.0.0"));
    let creds = StaticCredentials::new().with(&reg.host, Credential::basic(USER, PASSWORD));
    let c = RegistryClient::builder()
        .add_root_certificate_file(&certs.ca_pem)
        .credentials(creds)
        .build()?;
    c.push(&chart, &reg.oci("ours").parse()?, &PushOptions::default())
        .await?;
    let out = tmp.path().join("helm-out");
    std::fs::create_dir_all(&out)?;
    helm.run(
        "c = h.RegistryClient(credentials_file=args['cf'])\nc.login(args['host'], args['u'], args['p'])\nh.pull(args['ref'], client=c, version='1.0.0', destination=args['dest'])\nh.push(args['tgz'], args['remote'], client=c)",
        serde_json::json!({
            "cf": tmp.path().join("helm-creds.json"), "host": reg.host, "u": USER, "p": PASSWORD,
            "ref": format!("{}/sec", reg.oci("ours")), "dest": out,
            "tgz": tgz, "remote": reg.oci("helm"),
        }),
    );
    assert_eq!(
        std::fs::read(out.join("sec-1.0.0.tgz"))?,
        std::fs::read(&tgz)?
    );
    let from: ChartRef = format!("{}/sec:1.0.0", reg.oci("helm")).parse()?;
    let p = c
        .pull(&from, &PullOptions::into_dir(tmp.path().join("o")))
        .await?;
    assert_eq!(std::fs::read(&p.path)?, std::fs::read(&tgz)?);
    Ok(())
}

// Multi-threaded: the token server must run while this thread waits for Helm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_and_we_share_a_token_registry() -> TestResult {
    use crate::support::helm::Helm;
    let helm = require!(Helm::new());
    let tmp = tempfile::tempdir()?;
    let key = require!(certs::signing_key(tmp.path()));
    let ts = token::start(&key).await;
    let realm = format!("http://{}/token", ts.host);
    let reg = require!(Registry::start_with(
        Auth::Token {
            realm,
            bundle: &key.cert_pem
        },
        None
    ));
    let dir = crate::support::write_chart_dir(tmp.path(), "tk", "2.0.0", 500);
    let tgz = helm.package(&dir, &tmp.path().join("pkg"));
    let chart = crate::support::packaged(&tgz, crate::support::demo_metadata("tk", "2.0.0"));
    let creds = StaticCredentials::new().with(&reg.host, Credential::basic(USER, PASSWORD));
    let c = RegistryClient::builder()
        .plain_http(true)
        .credentials(creds)
        .build()?;
    c.push(&chart, &reg.oci("ours").parse()?, &PushOptions::default())
        .await?;
    let out = tmp.path().join("helm-out");
    std::fs::create_dir_all(&out)?;
    // Helm pulls anonymously through the token handshake.
    helm.pull(&format!("{}/tk", reg.oci("ours")), Some("2.0.0"), &out);
    assert_eq!(
        std::fs::read(out.join("tk-2.0.0.tgz"))?,
        std::fs::read(&tgz)?
    );
    Ok(())
}
