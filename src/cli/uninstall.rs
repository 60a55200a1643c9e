//! `dvm uninstall`: removes a version (atomically: it is renamed out of sight first).

use clap_complete::ArgValueCandidates;

use dvm::error::Result;

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm uninstall 1.12.6")]
pub struct Args {
    /// The version to remove: an exact version, or a spec or alias that matches exactly one
    /// installed version.
    #[arg(add = ArgValueCandidates::new(super::completions::versions))]
    pub version: String,
    /// Remove it even if it is the global default.
    #[arg(long)]
    pub force: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let requested = super::parse_spec(&args.version)?;
    let v = dvm::uninstall::select(&app.store, &requested, args.force)?;
    dvm::uninstall::remove(&app.store, &v)?;
    app.out.info(format!("uninstalled docker {v}"));
    Ok(ExitStatus::Success)
}
