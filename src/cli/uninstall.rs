//! `dvm uninstall`: removes a version (atomically: it is renamed out of sight first).

use clap_complete::ArgValueCandidates;

use dvm::error::{Error, Result};
use dvm::select::version::{DockerVersion, VersionSpec};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// The version to remove: an exact version, or a spec or alias that matches exactly one
    /// installed version.
    #[arg(add = ArgValueCandidates::new(super::completions::versions))]
    pub version: String,
    /// Remove it even if it is the global default.
    #[arg(long)]
    pub force: bool,
}

pub fn run(app: &App, args: Args) -> Result<i32> {
    let requested = super::parse_spec(&args.version)?;
    if requested == VersionSpec::System {
        return Err(Error::usage(
            "`system` is the docker found on PATH outside dvm; dvm did not install it",
        )
        .with_hint("name an installed version; see them with `dvm ls`"));
    }
    let spec = app.store.resolve_alias(&requested)?;
    // A spec that matches several versions never removes "the newest" by surprise.
    let matching: Vec<DockerVersion> = app
        .store
        .installed()
        .into_iter()
        .filter(|v| spec.matches(v))
        .collect();
    let v = match matching.as_slice() {
        [] => {
            return Err(
                Error::not_found(format!("docker {requested} is not installed"))
                    .with_hint("see what is installed with `dvm ls`"),
            );
        }
        [v] => *v,
        several => {
            let names: Vec<String> = several.iter().map(ToString::to_string).collect();
            return Err(Error::usage(format!(
                "{requested} matches {} installed versions: {}",
                several.len(),
                names.join(", ")
            ))
            .with_hint(format!(
                "name the one to remove, e.g. dvm uninstall {}",
                names.join(" or ")
            )));
        }
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
