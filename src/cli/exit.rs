//! How a command ended, as the process reports it. Error kinds keep their own codes
//! (`ErrorKind::exit_code`, documented in the README); these are the others.

use dvm::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: a check found a problem (`doctor`), a setting has no value (`config get`), or the
    /// user declined (`setup`).
    CheckFailed,
    /// What went wrong is already printed (as JSON); the code says which kind it was.
    Failed(ErrorKind),
    /// 127, as for `env` and shells: `dvm exec` could not start its command.
    CommandNotRun,
    /// The exit code of the command `dvm exec` ran (where it cannot exec in dvm's place).
    #[cfg(not(unix))]
    Child(i32),
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::CheckFailed => 1,
            ExitStatus::Failed(kind) => kind.exit_code(),
            ExitStatus::CommandNotRun => 127,
            #[cfg(not(unix))]
            ExitStatus::Child(code) => code,
        }
    }
}

/// Every exit code dvm and its shim use, with what it means: the man page's EXIT STATUS (the
/// README's "Exit codes" table says the same, and a test holds them together).
pub fn documented_codes() -> Vec<(i32, &'static str)> {
    vec![
        (ExitStatus::Success.code(), "success"),
        (
            ExitStatus::CheckFailed.code(),
            "a check failed (doctor), a setting has no value (config get), or a question was declined (setup)",
        ),
        (
            ErrorKind::Usage.exit_code(),
            "usage: bad arguments, bad version spec, malformed version file",
        ),
        (
            ErrorKind::NotFound.exit_code(),
            "not found: version not installed, or no source has it",
        ),
        (
            ErrorKind::Network.exit_code(),
            "network failure, including an answer that is not what was asked for, and --offline for something never fetched",
        ),
        (
            ErrorKind::Integrity.exit_code(),
            "integrity: a checksum, digest or signature did not match",
        ),
        (
            ErrorKind::Archive.exit_code(),
            "bad archive: corrupt, truncated, hostile, or no client in it",
        ),
        (
            ErrorKind::Io.exit_code(),
            "filesystem: permissions, full disk, read-only store, corrupt manifest",
        ),
        (ErrorKind::Config.exit_code(), "configuration"),
        (
            ErrorKind::Daemon.exit_code(),
            "Docker daemon unreachable or not a daemon",
        ),
        (ErrorKind::Internal.exit_code(), "internal error (a bug)"),
        (
            ExitStatus::CommandNotRun.code(),
            "(the docker shim) nothing to run: version not installed, no system docker, loop stopped; (dvm exec) the command could not be run",
        ),
    ]
}
