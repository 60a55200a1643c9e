//! `dvm uninstall`: removes a version (atomically: it is renamed out of sight first).

use clap_complete::ArgValueCandidates;

use dvm::error::{Error, Result};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// The version to remove (an exact installed version, or a spec that names one).
    #[arg(add = ArgValueCandidates::new(super::completions::versions))]
    pub version: String,
    /// Remove it even if it is the global default.
    #[arg(long)]
    pub force: bool,
}

pub fn run(app: &App, args: Args) -> Result<i32> {
    let spec = super::parse_spec(&args.version)?;
    let Some(v) = app.store.find(&spec)? else {
        return Err(Error::not_found(format!("docker {spec} is not installed"))
            .with_hint("see what is installed with `dvm ls`"));
    };
    let default = app
        .store
        .default_spec()?
        .and_then(|s| app.store.find(&s).ok().flatten());
    if default == Some(v) && !args.force {
        return Err(Error::usage(format!("docker {v} is the global default"))
            .with_hint(format!("pick another default first (dvm use --global VERSION), or run: dvm uninstall --force {v}")));
    }
    let _lock = app.store.lock(&v)?;
    if !app.store.is_installed(&v) {
        // Another process removed it while we waited for the lock.
        return Err(Error::not_found(format!("docker {v} is not installed")));
    }
    app.store.remove_version_dir(&v)?;
    app.out.info(format!("uninstalled docker {v}"));
    Ok(0)
}
