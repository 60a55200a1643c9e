//! `dvm detect`: pick, install and use the client matching the daemon.

use dvm::error::{Error, Result};
use dvm::version::DockerVersion;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Only print the choice.
    #[arg(long)]
    pub print: bool,
    /// Print the choice as JSON.
    #[arg(long)]
    pub json: bool,
    /// Make the choice the global default.
    #[arg(long)]
    pub global: bool,
    /// Write the choice to .docker-version here.
    #[arg(long)]
    pub local: bool,
    #[arg(long, value_enum, hide = true)]
    pub shell_eval: Option<super::Shell>,
}

/// The maximum Engine API version of a release, for `--json` listings.
pub fn api_version_of(v: &DockerVersion) -> Option<String> {
    dvm::detect::api_range_for(v).map(|(max, _)| max.to_string())
}

pub fn run(_app: &App, _args: Args) -> Result<i32> {
    Err(Error::internal("dvm detect is not wired yet"))
}
