//! The process environment as a value. The library never reads `std::env`: `main` builds a
//! `Context` once and passes it down, and tests build their own.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Context {
    vars: BTreeMap<OsString, OsString>,
    /// The working directory commands act on (version files are looked up from here).
    pub cwd: PathBuf,
    /// The user's home folder, if known.
    pub home: Option<PathBuf>,
    /// Whether stderr is a terminal (progress bars, colour).
    pub stderr_is_terminal: bool,
}

impl Context {
    /// Snapshot the real process environment. Only `main` calls this.
    pub fn from_process() -> Self {
        use std::io::IsTerminal;
        let vars: BTreeMap<_, _> = std::env::vars_os().collect();
        let home = vars
            .get(OsStr::new("HOME"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()));
        Context {
            vars,
            // A deleted working folder leaves no version file to find; like the shim, carry on
            // with the variable and the default rather than fail every command.
            cwd: std::env::current_dir().unwrap_or_default(),
            home,
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A context with no variables at all, for tests.
    pub fn empty(cwd: impl Into<PathBuf>) -> Self {
        Context {
            cwd: cwd.into(),
            ..Default::default()
        }
    }

    pub fn with_var(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.set_var(key, value);
        self
    }

    pub fn set_var(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) {
        self.vars.insert(key.into(), value.into());
    }

    /// A variable as UTF-8; a set-but-empty variable counts as unset, like most CLIs.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.var_os(key)
            .and_then(|v| v.to_str())
            .filter(|v| !v.is_empty())
    }

    pub fn var_os(&self, key: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(key)).map(|v| v.as_os_str())
    }

    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }
}
