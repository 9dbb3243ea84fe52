//! `helmoci registry login|logout HOST`: like `helm registry login|logout`.

use std::io::Read;

use anyhow::{bail, Context};
use helmoci_auth::{Credential as AuthCredential, Registry, StoreTarget};
use helmoci_oci::credential::{Credential, StaticCredentials};

use crate::transport::{block_on, credential_store, TlsArgs};
use crate::Global;

/// `registry` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
    /// Log in to a registry (checks the credentials first, then stores them like Helm).
    Login(LoginArgs),
    /// Remove stored credentials for a registry.
    Logout(LogoutArgs),
}

/// Flags of `helmoci registry login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The registry: `host[:port]`.
    host: String,
    /// Username.
    #[arg(short = 'u', long)]
    username: Option<String>,
    /// Password (prefer --password-stdin).
    #[arg(short = 'p', long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from standard input (one trailing newline is removed).
    #[arg(long)]
    password_stdin: bool,
    /// Allow connections without TLS verification (same as --insecure-skip-tls-verify).
    #[arg(long)]
    insecure: bool,
    /// Store in Docker's config.json instead of Helm's registry config.
    #[arg(long)]
    docker_config: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Flags of `helmoci registry logout`.
#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// The registry: `host[:port]`.
    host: String,
    /// Remove from Docker's config.json instead of Helm's registry config.
    #[arg(long)]
    docker_config: bool,
}

/// Runs `login` or `logout`.
pub fn run(cmd: RegistryCommand, global: &Global) -> anyhow::Result<()> {
    match cmd {
        RegistryCommand::Login(args) => login(args, global),
        RegistryCommand::Logout(args) => logout(args, global),
    }
}

fn parse_host(host: &str) -> anyhow::Result<Registry> {
    if host.contains('/') {
        eprintln!("WARNING: registry login currently only supports registry hostname, not a repository path");
    }
    Ok(Registry::parse(host)?)
}

fn login(args: LoginArgs, global: &Global) -> anyhow::Result<()> {
    let registry = parse_host(&args.host)?;
    let Some(username) = args.username.clone() else {
        bail!("username required: pass -u/--username");
    };
    let password = if args.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the password from standard input")?;
        let s = s.strip_suffix('\n').unwrap_or(&s);
        s.strip_suffix('\r').unwrap_or(s).to_owned()
    } else if let Some(p) = args.password.clone() {
        p
    } else {
        bail!("password required: pass --password-stdin (or -p/--password)");
    };
    let mut tls = args.tls.clone();
    tls.insecure_skip_tls_verify |= args.insecure;
    let client = tls
        .builder()?
        .credentials(
            StaticCredentials::new()
                .with(registry.as_str(), Credential::basic(&username, &password)),
        )
        .build()?;
    block_on(client.ping(registry.as_str()))?
        .with_context(|| format!("authenticating to {:?}", registry.as_str()))?;
    let target = if args.docker_config {
        StoreTarget::DockerConfig
    } else {
        StoreTarget::HelmConfig
    };
    credential_store(global).login(
        &registry,
        &AuthCredential::basic(username, password),
        target,
    )?;
    println!("Login Succeeded");
    Ok(())
}

fn logout(args: LogoutArgs, global: &Global) -> anyhow::Result<()> {
    let registry = parse_host(&args.host)?;
    let target = if args.docker_config {
        StoreTarget::DockerConfig
    } else {
        StoreTarget::HelmConfig
    };
    credential_store(global).logout(&registry, target)?;
    println!("Removing login credentials for {}", args.host);
    Ok(())
}
