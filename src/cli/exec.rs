//! `dvm exec V -- CMD ARGS…`: runs CMD with version V's client first on PATH.

use std::ffi::OsString;
use std::process::Command;

use clap_complete::ArgValueCandidates;

use dvm::error::{Error, Result};
use dvm::select::resolve::VERSION_VAR;

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm exec 1.12.6 -- docker version")]
pub struct Args {
    /// The version whose client comes first on PATH.
    #[arg(add = ArgValueCandidates::new(super::completions::versions_aliases))]
    pub version: String,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let spec = super::parse_spec(&args.version)?;
    let spec = app.store.resolve_alias(&spec)?;
    // `system` needs no folder of its own: the shims hand over to it when told to.
    let (selected, first_on_path) = if spec == dvm::VersionSpec::System {
        ("system".to_string(), None)
    } else {
        super::args::auto_install(app, &spec)?;
        let v = app.store.find(&spec)?.ok_or_else(|| {
            Error::not_installed(&spec).with_hint(format!("run: dvm install {spec}"))
        })?;
        (v.to_string(), Some(app.layout.version_dir(&v)))
    };
    let mut paths: Vec<_> = first_on_path.into_iter().collect();
    if let Some(old) = app.ctx.var_os("PATH") {
        paths.extend(std::env::split_paths(old));
    }
    let path =
        std::env::join_paths(paths).map_err(|e| Error::usage(format!("cannot build PATH: {e}")))?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::usage("say which command to run after --"))?;
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .env_clear()
        .envs(app.ctx.vars())
        .env("PATH", path)
        // Shims started by the command resolve to the same version.
        .env(VERSION_VAR, &selected)
        .current_dir(&app.ctx.cwd);
    let not_run = |e: std::io::Error| {
        app.out.error(
            &Error::not_found(format!("cannot run {}: {e}", program.to_string_lossy()))
                .with_hint("check the command name and that it is on PATH"),
        );
        ExitStatus::CommandNotRun
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        Ok(not_run(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        match cmd.status() {
            Ok(status) => Ok(ExitStatus::Child(status.code().unwrap_or(1))),
            Err(e) => Ok(not_run(e)),
        }
    }
}
