//! `dvm use`, `dvm default` and `dvm local`: select a version for this shell, every shell, or
//! this folder.

use clap_complete::ArgValueCandidates;

use dvm::error::{Error, Result};
use dvm::select::resolve::VERSION_VAR;
use dvm::select::version::VersionSpec;

use super::exit::ExitStatus;
use super::output::shell_set_var;
use super::{App, Shell};

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm use 1.12.6\n  dvm use               (the version .docker-version names)\n  dvm use --global 20.10\n  dvm use system"
)]
pub struct UseArgs {
    /// A version (1.12.6, 20.10), an alias, `system`, or `auto` (the client matching the daemon) (default: the one the .docker-version
    /// here or above, else the global default, names).
    #[arg(add = ArgValueCandidates::new(super::completions::versions_aliases_system))]
    pub version: Option<String>,
    /// Set the global default instead of this shell's version.
    #[arg(long)]
    pub global: bool,
    /// Print shell code for the integration to eval (used by `dvm init`'s function).
    #[arg(long, value_enum, hide = true)]
    pub shell_eval: Option<Shell>,
}

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm default 20.10")]
pub struct DefaultArgs {
    /// A version (1.12.6, 20.10), an alias, `system`, or `auto` (the client matching the daemon).
    #[arg(add = ArgValueCandidates::new(super::completions::versions_aliases_system))]
    pub version: String,
}

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm local 1.12")]
pub struct LocalArgs {
    /// A version (1.12.6, 20.10), an alias, `system`, or `auto` (the client matching the daemon).
    #[arg(add = ArgValueCandidates::new(super::completions::versions_aliases_system))]
    pub version: String,
}

/// Checks a spec names something usable (installing it first when auto_install is on) and
/// returns it as it should be written.
fn checked_spec(app: &App, text: &str) -> Result<VersionSpec> {
    let spec = super::parse_spec(text)?;
    // `auto` is chosen per docker call, by the daemon it talks to.
    if matches!(spec, VersionSpec::System | VersionSpec::Auto) {
        return Ok(spec);
    }
    super::args::auto_install(app, &spec)?;
    let resolved = app.store.resolve_alias(&spec)?;
    if app.store.find(&resolved)?.is_none() {
        return Err(
            Error::not_installed(&spec).with_hint(format!("install it first: dvm install {spec}"))
        );
    }
    Ok(spec)
}

pub fn run_use(app: &App, args: UseArgs) -> Result<ExitStatus> {
    let spec = match &args.version {
        Some(text) => checked_spec(app, text)?,
        None if args.global => {
            return Err(
                Error::usage("`dvm use --global` needs the version to make the default")
                    .with_hint("for example: dvm use --global 20.10"),
            );
        }
        None => {
            let spec = super::args::version_here(app, "use")?;
            checked_spec(app, &spec.to_string())?
        }
    };
    app.ensure_shim()?;
    if args.global {
        set_global(app, &spec)?;
        return Ok(ExitStatus::Success);
    }
    let Some(shell) = args.shell_eval else {
        return Err(Error::usage(
            "`dvm use` changes the current shell, which needs dvm's shell integration",
        )
        .with_hint(format!(
            "add `eval \"$(dvm init bash)\"` (or zsh/fish/powershell) to your shell's rc file, \
                 or set it for every shell with: dvm use --global {spec}"
        )));
    };
    let value = spec.to_string();
    app.out
        .line(shell_set_var(shell, VERSION_VAR, Some(&value)));
    let shown = app
        .store
        .find(&app.store.resolve_alias(&spec)?)?
        .map(|v| v.to_string())
        .unwrap_or(value);
    app.out
        .info(format!("now using docker {shown} in this shell"));
    Ok(ExitStatus::Success)
}

pub fn run_default(app: &App, args: DefaultArgs) -> Result<ExitStatus> {
    let spec = checked_spec(app, &args.version)?;
    app.ensure_shim()?;
    set_global(app, &spec)?;
    Ok(ExitStatus::Success)
}

fn set_global(app: &App, spec: &VersionSpec) -> Result<()> {
    app.store.set_default(spec)?;
    app.out.info(format!("default docker is now {spec}"));
    if app.ctx.var(VERSION_VAR).is_some() {
        app.out.info(format!(
            "note: this shell still uses {} from {VERSION_VAR}",
            app.ctx.var(VERSION_VAR).unwrap_or_default()
        ));
    }
    Ok(())
}

pub fn run_local(app: &App, args: LocalArgs) -> Result<ExitStatus> {
    let spec = checked_spec(app, &args.version)?;
    let path = app.ctx.cwd.join(".docker-version");
    dvm::fsutil::write_atomic(&path, format!("{spec}\n").as_bytes())?;
    app.out.info(format!("wrote {} ({spec})", path.display()));
    Ok(ExitStatus::Success)
}
