//! Removing an installed version: what may be removed, and the removal itself. Never prints;
//! the caller says what happened.

use std::path::PathBuf;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::select::resolve::{self, Origin, VERSION_VAR};
use crate::select::version::{DockerVersion, VersionSpec};
use crate::store::Store;

/// The one installed version `requested` names. `system` is not dvm's to remove; a spec that
/// matches several versions never removes "the newest" by surprise; the global default needs
/// `force`.
pub fn select(store: &Store, requested: &VersionSpec, force: bool) -> Result<DockerVersion> {
    if *requested == VersionSpec::System {
        return Err(Error::usage(
            "`system` is the docker found on PATH outside dvm; dvm did not install it",
        )
        .with_hint("name an installed version; see them with `dvm ls`"));
    }
    let spec = store.resolve_alias(requested)?;
    let matching: Vec<DockerVersion> = store
        .installed()
        .into_iter()
        .filter(|v| spec.matches(v))
        .collect();
    let v = match (matching.as_slice(), &spec) {
        // A broken folder (see `Store::broken`) is removed when named exactly.
        ([], VersionSpec::Exact(v)) if store.broken().contains(v) => return Ok(*v),
        ([], _) => {
            return Err(
                Error::not_installed(requested).with_hint("see what is installed with `dvm ls`")
            );
        }
        ([v], _) => *v,
        (several, _) => {
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
    let default = store
        .default_spec()?
        .and_then(|s| store.find(&s).ok().flatten());
    if default == Some(v) && !force {
        return Err(Error::usage(format!("docker {v} is the global default"))
            .with_hint(format!("pick another default first (dvm use --global VERSION), or run: dvm uninstall --force {v}")));
    }
    Ok(v)
}

/// Removes `v` under its lock (atomically: it is renamed out of sight first).
pub fn remove(store: &Store, v: &DockerVersion) -> Result<()> {
    let _lock = store.lock(v)?;
    if !store.is_installed(v) && !store.broken().contains(v) {
        // Another process removed it while we waited for the lock.
        return Err(Error::not_installed(v));
    }
    store.remove_version_dir(v)
}

/// What still names a version about to be removed.
#[derive(Debug, Default)]
pub struct LeftBehind {
    /// Aliases that name it and no other installed version: they dangle once it is gone.
    pub aliases: Vec<String>,
    /// Selections here that pick it: each on its own, not only the one that wins, since a
    /// `dvm use` in this shell hides the version file, which still pins the version.
    pub pins: Vec<Pin>,
}

/// A selection that picks the version being removed.
#[derive(Debug)]
pub struct Pin {
    pub by: PinnedBy,
    /// The spec as written (`1.12`, an alias).
    pub spec: VersionSpec,
    /// What the spec picks once the version is gone, if anything.
    pub then: Option<DockerVersion>,
}

#[derive(Debug)]
pub enum PinnedBy {
    /// `DVM_DOCKER_VERSION` in this shell.
    EnvVar,
    /// The nearest version file.
    File(PathBuf),
    /// The global default (removable only with `force`).
    Default(PathBuf),
}

/// The aliases and selections that name `v`, found before it is removed. Selections dvm cannot
/// read (a broken version file) are left to the commands that use them to report.
pub fn left_behind(ctx: &Context, store: &Store, v: &DockerVersion) -> Result<LeftBehind> {
    let others: Vec<DockerVersion> = store.installed().into_iter().filter(|o| o != v).collect();
    // The installed version `spec` picks now, and what it picks without `v`.
    let picks = |spec: &VersionSpec| -> Option<Option<DockerVersion>> {
        let resolved = store.resolve_alias(spec).ok()?;
        (store.find(&resolved).ok().flatten() == Some(*v))
            .then(|| resolved.best_match(others.iter()).copied())
    };
    let mut found = LeftBehind::default();
    for (name, spec) in store.aliases()? {
        if picks(&spec) == Some(None) {
            found.aliases.push(name);
        }
    }
    let mut selections = Vec::new();
    if let Some(spec) = ctx
        .var(VERSION_VAR)
        .and_then(|text| VersionSpec::parse(text).ok())
    {
        selections.push((PinnedBy::EnvVar, spec));
    }
    if let Ok(Some(request)) = resolve::nearest_version_file(&ctx.cwd)
        && let Origin::File { path, .. } = request.origin
    {
        selections.push((PinnedBy::File(path), request.spec));
    }
    if let Ok(Some(spec)) = store.default_spec() {
        selections.push((PinnedBy::Default(store.layout().default_file()), spec));
    }
    for (by, spec) in selections {
        if let Some(then) = picks(&spec) {
            found.pins.push(Pin { by, spec, then });
        }
    }
    Ok(found)
}
