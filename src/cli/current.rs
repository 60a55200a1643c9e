//! `dvm current`: the version `docker` runs here, and why.

use dvm::error::{Error, Result};
use dvm::resolve::VERSION_VAR;

use super::output::shell_set_var;
use super::{App, Shell};

#[derive(clap::Args)]
pub struct Args {
    /// Print JSON (schema in the README).
    #[arg(long)]
    pub json: bool,
    /// Print shell code that sets DVM_DOCKER_VERSION from the version file here (use-on-cd hook).
    #[arg(long, value_enum, hide = true)]
    pub shell_eval: Option<Shell>,
}

pub fn run(app: &App, args: Args) -> Result<i32> {
    if let Some(shell) = args.shell_eval {
        // The cd hook: follow the nearest version file, ignoring what the shell already set.
        let found = dvm::resolve::nearest_version_file(&app.ctx.cwd)
            .map_err(|e| Error::usage(e.to_string()))?;
        let value = found.map(|r| r.spec.to_string());
        app.out
            .line(shell_set_var(shell, VERSION_VAR, value.as_deref()));
        return Ok(0);
    }
    let active = dvm::active::active(&app.ctx, &app.store)?;
    if args.json {
        app.out.json(&active)?;
        return Ok(0);
    }
    match (&active.version, active.missing) {
        (Some(v), false) => {
            app.out.line(format!("{v} ({})", active.explain()));
            Ok(0)
        }
        _ => {
            let requested = active.requested.clone().unwrap_or_else(|| "system".into());
            if requested == "system" {
                Err(Error::not_found("no docker version is selected and no system docker is on PATH")
                    .with_hint("install one and make it the default: dvm install latest && dvm use --global latest"))
            } else {
                Err(Error::not_found(format!(
                    "docker {requested} is requested ({}) but is not installed",
                    active.explain()
                ))
                .with_hint(format!("run: dvm install {requested}")))
            }
        }
    }
}
