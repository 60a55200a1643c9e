//! `dvm ls-remote`, and the remote set-up shared with `install`.

use dvm::error::{Error, Result};
use dvm::install::{InstallEvent, Remote};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Only versions matching this spec (1.12, 20.10, latest).
    pub version: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub channel: Option<String>,
    #[arg(long)]
    pub distro: Option<String>,
    /// Print JSON (schema in the README).
    #[arg(long)]
    pub json: bool,
    /// Refetch listings even if the cache is fresh.
    #[arg(long)]
    pub refresh: bool,
    /// Use cached listings only.
    #[arg(long)]
    pub offline: bool,
}

pub fn remote_setup(
    _app: &App,
    _source: Option<&str>,
    _channel: Option<&str>,
    _distro: Option<&str>,
    _offline: bool,
) -> Result<Remote> {
    Err(Error::internal("remote installs are not available yet")
        .with_hint("use dvm install --from FILE"))
}

pub fn progress_renderer(_app: &App) -> impl Fn(InstallEvent) {
    |_e| {}
}

pub fn mirror_checks(_app: &App) -> Vec<(String, bool)> {
    Vec::new()
}

pub fn run(_app: &App, _args: Args) -> Result<i32> {
    Err(Error::internal("dvm ls-remote is not available yet"))
}
