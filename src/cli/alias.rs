//! `dvm alias`, `dvm unalias`, `dvm aliases`.

use clap_complete::ArgValueCandidates;

use dvm::error::{Error, Result};
use dvm::select::resolve::{Origin, VERSION_VAR};
use dvm::select::version::{VersionSpec, is_alias_name};

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm alias legacy 1.12.6")]
pub struct AliasArgs {
    /// The alias name (a letter first, then letters, digits, - _ .).
    pub name: String,
    /// The version it names (1.12.6, 20.10, system).
    #[arg(add = ArgValueCandidates::new(super::completions::versions_system))]
    pub version: String,
}

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm unalias legacy")]
pub struct UnaliasArgs {
    #[arg(add = ArgValueCandidates::new(super::completions::alias_names))]
    pub name: String,
    /// Remove it even if the global default or the version file here names it.
    #[arg(long)]
    pub force: bool,
}

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm aliases")]
pub struct AliasesArgs {
    /// Print JSON: [{"name": ..., "version": ...}].
    #[arg(long)]
    pub json: bool,
}

pub fn run_alias(app: &App, args: AliasArgs) -> Result<ExitStatus> {
    dvm::store::check_alias_name(&args.name)?;
    let spec = super::parse_spec(&args.version)?;
    app.store.set_alias(&args.name, &spec)?;
    app.out.info(format!("{} -> {spec}", args.name));
    Ok(ExitStatus::Success)
}

pub fn run_unalias(app: &App, args: UnaliasArgs) -> Result<ExitStatus> {
    // The same rule as `dvm alias`: a path or a reserved word names no alias, so nothing is
    // looked up or removed for it.
    if let Err(e) = dvm::store::check_alias_name(&args.name) {
        // An older dvm let `dvm alias default V` through: say how to clear such a file.
        let leftover = app.layout.aliases_dir().join(&args.name);
        if is_alias_name(&args.name) && leftover.is_file() {
            let hint = format!(
                "{} was made by an older dvm; remove it with: rm {}",
                args.name,
                leftover.display()
            );
            return Err(e.with_hint(hint));
        }
        return Err(e);
    }
    let alias = VersionSpec::Alias(args.name.clone());
    if !args.force {
        // The selections dvm can see; version files elsewhere are the user's to check.
        let mut users = Vec::new();
        if app.store.default_spec()? == Some(alias.clone()) {
            users.push(format!(
                "the global default ({})",
                app.layout.default_file().display()
            ));
        }
        // Each selection on its own, not just the one that wins here: a `dvm use` in this
        // shell hides the version file, which still needs the alias.
        if app.ctx.var(VERSION_VAR) == Some(args.name.as_str()) {
            users.push(format!("{VERSION_VAR} in this shell"));
        }
        if let Ok(Some(request)) = dvm::select::resolve::nearest_version_file(&app.ctx.cwd)
            && request.spec == alias
            && let Origin::File { path, .. } = &request.origin
        {
            users.push(path.display().to_string());
        }
        if !users.is_empty() {
            return Err(Error::usage(format!(
                "alias '{}' is in use by {}",
                args.name,
                users.join(" and ")
            ))
            .with_hint(format!(
                "select something else first, or run: dvm unalias --force {}",
                args.name
            )));
        }
    }
    if !app.store.remove_alias(&args.name)? {
        return Err(Error::not_found(format!("no alias named '{}'", args.name))
            .with_hint("see the aliases with `dvm aliases`"));
    }
    app.out.info(format!("removed alias {}", args.name));
    Ok(ExitStatus::Success)
}

pub fn run_aliases(app: &App, args: AliasesArgs) -> Result<ExitStatus> {
    let aliases = app.store.aliases()?;
    if args.json {
        let list: Vec<_> = aliases
            .iter()
            .map(|(n, s)| serde_json::json!({ "name": n, "version": s.to_string() }))
            .collect();
        return app.out.json(&list).map(|()| ExitStatus::Success);
    }
    for (name, spec) in aliases {
        app.out.line(format!("{name} -> {spec}"));
    }
    Ok(ExitStatus::Success)
}
