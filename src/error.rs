//! The one error type. Every failure carries a kind (which maps to a documented exit code),
//! a message that names the file, version or URL involved, and a hint saying what to do next.

use std::fmt;
use std::path::Path;

/// What went wrong, coarsely. Each kind has a stable exit code (see README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Bad arguments, bad version spec, malformed version file.
    Usage,
    /// A version that is not installed, or that no source has.
    NotFound,
    /// The network failed: connect, timeout, HTTP error, server misbehaviour.
    Network,
    /// A checksum or digest did not match: the artifact must not be trusted.
    Integrity,
    /// The archive is corrupt, truncated, hostile or has no client in it.
    Archive,
    /// The local filesystem failed: permissions, full disk, read-only store, corrupt manifest.
    Io,
    /// The config file or a config variable is invalid.
    Config,
    /// The Docker daemon could not be reached or did not answer like a daemon.
    Daemon,
    /// A bug in dvm.
    Internal,
}

impl ErrorKind {
    /// The process exit code for this kind. Documented in the README; never renumber.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Network => 4,
            ErrorKind::Integrity => 5,
            ErrorKind::Archive => 6,
            ErrorKind::Io => 7,
            ErrorKind::Config => 8,
            ErrorKind::Daemon => 9,
            ErrorKind::Internal => 70,
        }
    }

    /// What to do next, for an error that carries no hint of its own: every error shown to a
    /// user ends with one.
    pub fn default_hint(self) -> &'static str {
        match self {
            ErrorKind::Usage => "see `dvm --help`, or `dvm COMMAND --help` for one command",
            ErrorKind::NotFound => {
                "see what is installed with `dvm ls`, and what can be installed with `dvm ls-remote`"
            }
            ErrorKind::Network => {
                "check the network, the proxy (HTTPS_PROXY) and the mirror (DVM_MIRROR), then retry"
            }
            ErrorKind::Integrity => {
                "do not use this file; download it again, from Docker's hosts if a mirror served it"
            }
            ErrorKind::Archive => {
                "the file is damaged or not a Docker client archive: get a fresh copy"
            }
            ErrorKind::Io => "check the permissions and free space of the folder named above",
            ErrorKind::Config => "fix the setting named above; `dvm config list` shows them all",
            ErrorKind::Daemon => {
                "check DOCKER_HOST (or the docker context) and that the daemon is running"
            }
            ErrorKind::Internal => {
                "this is a bug in dvm: please report it with the command that failed"
            }
        }
    }
}

#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }
    pub fn integrity(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Integrity, message)
    }
    pub fn archive(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Archive, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn daemon(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Daemon, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// An I/O failure on `path`, with a hint chosen from the OS error.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let hint = match err.kind() {
            K::PermissionDenied => Some(format!(
                "check the permissions of {} (dvm never needs root; set DVM_HOME to a folder you own)",
                path.display()
            )),
            K::ReadOnlyFilesystem => Some(format!(
                "{} is on a read-only filesystem; set DVM_HOME to a writable folder",
                path.display()
            )),
            K::StorageFull | K::QuotaExceeded => {
                Some("free some disk space (`dvm cache clean` removes downloaded archives)".into())
            }
            _ => None,
        };
        let mut e = Self::new(
            ErrorKind::Io,
            format!("could not {action} {}: {err}", path.display()),
        )
        .with_source(err);
        e.hint = hint;
        e
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Prefix the message with context, keeping kind and hint.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// "docker V is not installed" (not found), for a version or spec the store lacks. Callers
    /// add the hint that fits what the user was doing.
    pub fn not_installed(version: impl fmt::Display) -> Self {
        Self::not_found(format!("docker {version} is not installed"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Attach "what we were doing with which path" to an io::Result.
pub trait IoContext<T> {
    fn with_path(self, action: &str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn with_path(self, action: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(action, path, e))
    }
}
