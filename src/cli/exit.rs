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
