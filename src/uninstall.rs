//! Removing an installed version: what may be removed, and the removal itself. Never prints;
//! the caller says what happened.

use crate::error::{Error, Result};
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
