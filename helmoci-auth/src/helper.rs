//! Docker credential helpers: `docker-credential-<name> get|store|erase|list`.
//!
//! The protocol (docker/docker-credential-helpers, used by Docker, oras-go and Helm): the
//! action is the only argument; `get` and `erase` read the server key on stdin, `store` reads
//! `{"ServerURL":…,"Username":…,"Secret":…}`, `get` prints the same object and `list`
//! prints `{"<server>":"<username>",…}`. A username of `<token>` means the secret is an
//! identity (refresh) token. The text `credentials not found in native keychain` means
//! "no entry".
//!
//! Every run is bounded: a timeout (default 10 s) after which the helper is killed, and a cap
//! on its output (default 1 MiB). Helper messages are shortened to one line and never
//! repeat the secret that was sent to them. Only the helper process itself is killed; a
//! process it started and left running is not waited for.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use helmoci_core::json::write_str;

use crate::{Credential, Secret};

/// How long a helper may run before it is killed: 10 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a helper may print on stdout: 1 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 1024 * 1024;
/// What helpers print when they have no entry.
pub const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";
/// The username helpers use to mark an identity token.
pub const TOKEN_USERNAME: &str = "<token>";

/// Limits and search path for running helpers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperOptions {
    /// How long one helper run may take before it is killed. Default 10 s.
    pub timeout: Duration,
    /// The most bytes a helper may print on stdout. Default 1 MiB.
    pub max_output: usize,
    /// Directories searched for `docker-credential-<name>`, in `PATH` syntax; `None` uses the
    /// process's `PATH`. Default `None`.
    pub search_path: Option<OsString>,
}

impl Default for HelperOptions {
    fn default() -> Self {
        HelperOptions {
            timeout: DEFAULT_TIMEOUT,
            max_output: DEFAULT_MAX_OUTPUT,
            search_path: None,
        }
    }
}

/// A helper action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelperAction {
    /// Read a credential.
    Get,
    /// Save a credential (login).
    Store,
    /// Delete a credential (logout).
    Erase,
    /// List server keys and usernames.
    List,
}

impl HelperAction {
    /// The argument passed to the helper: `get`, `store`, `erase` or `list`.
    pub fn as_str(self) -> &'static str {
        match self {
            HelperAction::Get => "get",
            HelperAction::Store => "store",
            HelperAction::Erase => "erase",
            HelperAction::List => "list",
        }
    }
}

impl fmt::Display for HelperAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a credential helper run failed. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HelperError {
    /// A helper name that could not be a program name.
    #[error("{name:?} is not a valid credential helper name (use letters, digits, `.`, `_`, `-`); fix credsStore/credHelpers")]
    InvalidName {
        /// The configured name.
        name: String,
    },
    /// The program is not on the search path.
    #[error("{program} was not found on PATH; install it, or remove the credsStore/credHelpers entry that names it")]
    Missing {
        /// `docker-credential-<name>`.
        program: String,
    },
    /// The program exists but could not be started.
    #[error("cannot run {program}")]
    Spawn {
        /// The program's path.
        program: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The helper ran past the timeout and was killed.
    #[error("`{program} {action}` did not finish within {timeout:?} and was killed")]
    Timeout {
        /// `docker-credential-<name>`.
        program: String,
        /// The action.
        action: HelperAction,
        /// The timeout.
        timeout: Duration,
    },
    /// The helper exited unsuccessfully.
    #[error("`{program} {action}` failed ({status}): {message}")]
    Failed {
        /// `docker-credential-<name>`.
        program: String,
        /// The action.
        action: HelperAction,
        /// The exit status, e.g. `exit status: 1`.
        status: String,
        /// The helper's first line of output, shortened, secrets removed.
        message: String,
    },
    /// The helper printed more than the output cap.
    #[error("`{program} {action}` printed more than {limit} bytes and was stopped")]
    OutputTooLarge {
        /// `docker-credential-<name>`.
        program: String,
        /// The action.
        action: HelperAction,
        /// The cap in bytes.
        limit: usize,
    },
    /// The helper's answer is not the JSON the protocol defines.
    #[error("`{program} {action}` printed an invalid answer: {problem}")]
    InvalidOutput {
        /// `docker-credential-<name>`.
        program: String,
        /// The action.
        action: HelperAction,
        /// What is wrong (the output itself is never quoted).
        problem: &'static str,
    },
    /// The credential kind cannot be kept in a helper.
    #[error("{program} cannot store {kind}; only a username and password or an identity token can be stored in a credential helper")]
    Unsupported {
        /// `docker-credential-<name>`.
        program: String,
        /// The credential's kind.
        kind: &'static str,
    },
}

/// One credential helper, `docker-credential-<name>`.
///
/// ```no_run
/// use helmoci_auth::{CredentialHelper, HelperOptions};
/// let helper = CredentialHelper::new("pass", HelperOptions::default());
/// if let Some(credential) = helper.get("ghcr.io")? {
///     println!("found {credential}");
/// }
/// # Ok::<(), helmoci_auth::HelperError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CredentialHelper {
    name: String,
    options: HelperOptions,
}

impl CredentialHelper {
    /// The helper named `name` (as in `credsStore`), run with `options`.
    pub fn new(name: impl Into<String>, options: HelperOptions) -> Self {
        CredentialHelper {
            name: name.into(),
            options,
        }
    }

    /// The helper's name, e.g. `pass`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The program name, `docker-credential-<name>`.
    pub fn program(&self) -> String {
        format!("docker-credential-{}", self.name)
    }

    /// Like `docker-credential-<name> get`: the credential for `server_key`, or `None` when
    /// the helper has none (or an empty one).
    ///
    /// # Errors
    /// Any [`HelperError`]: missing program, timeout, failure, oversized or invalid output.
    pub fn get(&self, server_key: &str) -> Result<Option<Credential>, HelperError> {
        let Some(out) = self.run(HelperAction::Get, server_key.as_bytes(), None)? else {
            return Ok(None);
        };
        let invalid = |problem| self.invalid(HelperAction::Get, problem);
        let value: serde_json::Value =
            serde_json::from_slice(&out).map_err(|_| invalid("it is not JSON"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| invalid("it is not a JSON object"))?;
        let field = |name: &str| match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid("`Username` or `Secret` is not a string")),
        };
        let (username, secret) = (field("Username")?, field("Secret")?);
        Ok(if username == TOKEN_USERNAME {
            Some(Credential::IdentityToken(Secret::new(secret)))
        } else if username.is_empty() && secret.is_empty() {
            None
        } else {
            Some(Credential::basic(username, secret))
        })
    }

    /// Like `docker-credential-<name> store`: saves `credential` under `server_key`.
    /// An identity token is stored with the username `<token>`.
    ///
    /// # Errors
    /// [`HelperError::Unsupported`] for anonymous and registry-token credentials, and the
    /// errors of running the helper.
    pub fn store(&self, server_key: &str, credential: &Credential) -> Result<(), HelperError> {
        let (username, secret) = match credential {
            Credential::Basic { username, password } => (username.as_str(), password),
            Credential::IdentityToken(t) => (TOKEN_USERNAME, t),
            Credential::RegistryToken(_) | Credential::Anonymous => {
                return Err(HelperError::Unsupported {
                    program: self.program(),
                    kind: if credential.is_anonymous() {
                        "an anonymous credential"
                    } else {
                        "a registry token"
                    },
                })
            }
        };
        let mut input = String::from("{\"ServerURL\":");
        write_str(&mut input, server_key);
        input.push_str(",\"Username\":");
        write_str(&mut input, username);
        input.push_str(",\"Secret\":");
        write_str(&mut input, secret.expose());
        input.push('}');
        self.run(HelperAction::Store, input.as_bytes(), Some(secret.expose()))?;
        Ok(())
    }

    /// Like `docker-credential-<name> erase`. Returns `false` when the helper said it had no
    /// such entry (which is a success, as in Helm).
    ///
    /// # Errors
    /// The errors of running the helper.
    pub fn erase(&self, server_key: &str) -> Result<bool, HelperError> {
        Ok(self
            .run(HelperAction::Erase, server_key.as_bytes(), None)?
            .is_some())
    }

    /// Like `docker-credential-<name> list`: server keys and their usernames.
    ///
    /// # Errors
    /// The errors of running the helper, or an answer that is not a JSON object of strings.
    pub fn list(&self) -> Result<BTreeMap<String, String>, HelperError> {
        let Some(out) = self.run(HelperAction::List, b"", None)? else {
            return Ok(BTreeMap::new());
        };
        let value: serde_json::Value = serde_json::from_slice(&out)
            .map_err(|_| self.invalid(HelperAction::List, "it is not JSON"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| self.invalid(HelperAction::List, "it is not a JSON object"))?;
        obj.iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(u) => Ok((k.clone(), u.clone())),
                _ => Err(self.invalid(HelperAction::List, "a username is not a string")),
            })
            .collect()
    }

    fn invalid(&self, action: HelperAction, problem: &'static str) -> HelperError {
        HelperError::InvalidOutput {
            program: self.program(),
            action,
            problem,
        }
    }

    /// Finds the program on the search path.
    fn locate(&self) -> Result<PathBuf, HelperError> {
        let valid = !self.name.is_empty()
            && !self.name.starts_with('.')
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !valid {
            return Err(HelperError::InvalidName {
                name: self.name.clone(),
            });
        }
        let program = self.program();
        self.find_on_path(&program)
            .ok_or(HelperError::Missing { program })
    }

    /// The path of executable `program` on the search path.
    pub(crate) fn find_on_path(&self, program: &str) -> Option<PathBuf> {
        let search = match &self.options.search_path {
            Some(p) => Some(p.clone()),
            None => std::env::var_os("PATH"),
        };
        let names: Vec<String> = if cfg!(windows) {
            vec![
                format!("{program}.exe"),
                format!("{program}.cmd"),
                program.to_owned(),
            ]
        } else {
            vec![program.to_owned()]
        };
        for dir in search.iter().flat_map(std::env::split_paths) {
            for name in &names {
                let candidate = dir.join(name);
                if is_executable(&candidate) {
                    return Some(candidate);
                }
            }
        }
        None
    }

    /// Runs the helper with `input` on stdin. `Ok(None)` means "credentials not found".
    fn run(
        &self,
        action: HelperAction,
        input: &[u8],
        secret: Option<&str>,
    ) -> Result<Option<Vec<u8>>, HelperError> {
        let path = self.locate()?;
        let program = self.program();
        let timeout = self.options.timeout;
        let deadline = Instant::now() + timeout;
        let mut child = spawn(&path, action)?;
        let timed_out = || HelperError::Timeout {
            program: program.clone(),
            action,
            timeout,
        };
        let too_large = || HelperError::OutputTooLarge {
            program: program.clone(),
            action,
            limit: self.options.max_output,
        };

        if let Some(mut stdin) = child.stdin.take() {
            let input = input.to_vec();
            // A helper that never reads must not block us: write from a thread.
            thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let stdout = reader(child.stdout.take(), self.options.max_output);
        let stderr = reader(child.stderr.take(), 64 * 1024);

        let mut out: Option<io::Result<Vec<u8>>> = None;
        let mut pause = Duration::from_millis(1);
        let status: ExitStatus = loop {
            if out.is_none() {
                out = stdout.try_recv().ok();
            }
            if matches!(&out, Some(Ok(o)) if o.len() > self.options.max_output) {
                kill(&mut child);
                return Err(too_large());
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(source) => {
                    kill(&mut child);
                    return Err(HelperError::Spawn {
                        program: path,
                        source,
                    });
                }
            }
            let now = Instant::now();
            if now >= deadline {
                kill(&mut child);
                return Err(timed_out());
            }
            thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(20));
        };
        // The helper has exited; its output may still be in flight, or held open by a
        // process it started. Wait for it no longer than the deadline.
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(50));
        let out = match out {
            Some(r) => r,
            None => stdout.recv_timeout(wait).map_err(|_| timed_out())?,
        };
        let out = out.unwrap_or_default();
        if out.len() > self.options.max_output {
            return Err(too_large());
        }
        let err = stderr
            .recv_timeout(Duration::from_millis(50))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&out);
        let err_text = String::from_utf8_lossy(&err);
        if text.trim() == NOT_FOUND_MESSAGE
            || (!status.success() && err_text.trim().ends_with(NOT_FOUND_MESSAGE))
        {
            return Ok(None);
        }
        if !status.success() {
            let message = if text.trim().is_empty() {
                &err_text
            } else {
                &text
            };
            return Err(HelperError::Failed {
                program,
                action,
                status: status.to_string(),
                message: short_message(message, secret),
            });
        }
        Ok(Some(out))
    }
}

/// Starts the helper; retries briefly on ETXTBSY (a freshly written script whose write
/// handle another thread's fork still holds).
fn spawn(path: &PathBuf, action: HelperAction) -> Result<Child, HelperError> {
    let mut attempt = 0;
    loop {
        let result = Command::new(path)
            .arg(action.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match result {
            Ok(child) => return Ok(child),
            Err(e) if cfg!(target_os = "linux") && e.raw_os_error() == Some(26) && attempt < 10 => {
                attempt += 1;
                thread::sleep(Duration::from_millis(10 * attempt));
            }
            Err(source) => {
                return Err(HelperError::Spawn {
                    program: path.clone(),
                    source,
                })
            }
        }
    }
}

/// Reads a pipe on a thread, keeping at most `cap + 1` bytes and discarding the rest.
fn reader<R: Read + Send + 'static>(
    pipe: Option<R>,
    cap: usize,
) -> mpsc::Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Some(pipe) = pipe else {
            let _ = tx.send(Ok(Vec::new()));
            return;
        };
        let mut buf = Vec::new();
        let mut limited = pipe.take(cap as u64 + 1);
        let result = limited.read_to_end(&mut buf).map(|_| buf);
        let _ = tx.send(result);
        // Keep draining so the helper never blocks on a full pipe.
        let _ = io::copy(&mut limited.into_inner(), &mut io::sink());
    });
    rx
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The first line of a helper's message, at most 200 characters, with `secret` removed.
fn short_message(text: &str, secret: Option<&str>) -> String {
    let line = text.trim().lines().next().unwrap_or("").trim();
    let mut line: String = line.chars().take(200).collect();
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        line = line.replace(secret, "<redacted>");
        // A secret cut by the 200-character limit could still show its start.
        if let Some(k) = (4..secret.len())
            .rev()
            .find(|&k| secret.is_char_boundary(k) && line.ends_with(&secret[..k]))
        {
            line.truncate(line.len() - k);
            line.push_str("<redacted>");
        }
    }
    if line.is_empty() {
        "no message".to_owned()
    } else {
        line
    }
}

#[cfg(unix)]
fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &std::path::Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_drop_secrets() {
        assert_eq!(
            short_message("bad pw hunter2\nmore", Some("hunter2")),
            "bad pw <redacted>"
        );
        let long = format!("{}hunter2", "x".repeat(196));
        let m = short_message(&long, Some("hunter2"));
        assert!(!m.contains("hunt"), "{m}");
        assert_eq!(short_message("  \n", None), "no message");
    }

    #[test]
    fn invalid_names_are_refused() {
        for name in ["", "../x", ".hidden", "a b", "a/b"] {
            let h = CredentialHelper::new(name, HelperOptions::default());
            assert!(
                matches!(h.get("h"), Err(HelperError::InvalidName { .. })),
                "{name}"
            );
        }
    }
}
