//! `dvm which`: the path of a version's client.

use clap_complete::ArgValueCandidates;

use dvm::error::{Error, Result};

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm which\n  dvm which 1.12")]
pub struct Args {
    /// A version or spec; the active version when omitted.
    #[arg(add = ArgValueCandidates::new(super::completions::versions_aliases_system))]
    pub version: Option<String>,
    /// Print JSON: {"version": ..., "path": ...}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let (version, path) = match &args.version {
        Some(text) => {
            let spec = super::parse_spec(text)?;
            let spec = app.store.resolve_alias(&spec)?;
            if spec == dvm::VersionSpec::System {
                system_client(app)?
            } else {
                let v = app.store.find(&spec)?.ok_or_else(|| {
                    Error::not_installed(&spec).with_hint(format!("run: dvm install {spec}"))
                })?;
                (v.to_string(), app.layout.client_path(&v))
            }
        }
        None => {
            let active = dvm::active::active(&app.ctx, &app.store)?;
            if let Some(e) = active.not_runnable() {
                return Err(e);
            }
            match (active.version.clone(), active.client_path.clone()) {
                (Some(v), Some(p)) => (v, p),
                _ if active.auto.is_some() => {
                    return Err(Error::not_found(
                        "`auto` has chosen no client yet for the daemon a docker call here \
                         would talk to",
                    )
                    .with_hint("run any docker command (or dvm detect) and ask again"));
                }
                _ => {
                    return Err(Error::internal("a runnable version without a client path"));
                }
            }
        }
    };
    if args.json {
        app.out
            .json(&serde_json::json!({ "version": version, "path": path }))?;
    } else {
        app.out.line(path.display().to_string());
    }
    Ok(ExitStatus::Success)
}

fn system_client(app: &App) -> Result<(String, std::path::PathBuf)> {
    let path = dvm::select::resolve::find_system_docker(
        app.ctx.var_os("PATH"),
        &app.layout.shims_dir(),
        &app.layout.shim_path(),
    )
    .ok_or_else(|| {
        Error::not_found("no system docker on PATH (outside dvm's shims)")
            .with_hint("install docker, or use a dvm version: dvm ls")
    })?;
    Ok(("system".into(), path))
}
