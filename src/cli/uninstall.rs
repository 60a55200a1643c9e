//! `dvm uninstall`: removes a version (atomically: it is renamed out of sight first), and says
//! what still names it: aliases left dangling (removed too with `--force`), and the shell, the
//! folder or the default that picked it.

use clap_complete::ArgValueCandidates;

use dvm::error::Result;
use dvm::select::resolve::VERSION_VAR;
use dvm::select::version::DockerVersion;
use dvm::uninstall::{LeftBehind, Pin, PinnedBy};

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm uninstall 1.12.6")]
pub struct Args {
    /// The version to remove: an exact version, or a spec or alias that matches exactly one
    /// installed version.
    #[arg(add = ArgValueCandidates::new(super::completions::versions))]
    pub version: String,
    /// Remove it even if it is the global default, and remove the aliases that name only it.
    #[arg(long)]
    pub force: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let requested = super::parse_spec(&args.version)?;
    let v = dvm::uninstall::select(&app.store, &requested, args.force)?;
    let left = dvm::uninstall::left_behind(&app.ctx, &app.store, &v)?;
    dvm::uninstall::remove(&app.store, &v)?;
    app.out.info(format!("uninstalled docker {v}"));
    report_aliases(app, &left, &v, args.force)?;
    for pin in &left.pins {
        app.out.warn(pin_text(pin, &v));
    }
    Ok(ExitStatus::Success)
}

fn report_aliases(app: &App, left: &LeftBehind, v: &DockerVersion, force: bool) -> Result<()> {
    if left.aliases.is_empty() {
        return Ok(());
    }
    if force {
        for name in &left.aliases {
            app.store.remove_alias(name)?;
            app.out
                .note(format!("removed alias {name}, which named docker {v}"));
        }
        return Ok(());
    }
    let (what, names, verb) = match left.aliases.as_slice() {
        [one] => ("alias", one.clone(), "names"),
        many => ("aliases", many.join(", "), "name"),
    };
    app.out.warn(format!(
        "{what} {names} now {verb} no installed version (docker {v} is gone); remove with \
         `dvm unalias NAME`, or uninstall with --force to remove such aliases too"
    ));
    Ok(())
}

fn pin_text(pin: &Pin, v: &DockerVersion) -> String {
    let spec = &pin.spec;
    let (who, how) = match &pin.by {
        PinnedBy::EnvVar => (
            format!("this shell pins docker {v} ({VERSION_VAR}={spec})"),
            "dvm use VERSION",
        ),
        PinnedBy::File(path) => (
            format!("{} pins docker {v} ({spec})", path.display()),
            "dvm local VERSION",
        ),
        PinnedBy::Default(path) => (
            format!(
                "the global default ({}) pins docker {v} ({spec})",
                path.display()
            ),
            "dvm use --global VERSION",
        ),
    };
    match pin.then {
        Some(other) => format!("{who}; it now picks docker {other}"),
        None => format!(
            "{who}; docker has nothing to run there until you reinstall it (dvm install {v}) \
             or pick another: {how}"
        ),
    }
}
