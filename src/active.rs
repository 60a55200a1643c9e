//! Which client a bare `docker` runs in a given context, and why: the shim's decision,
//! computed the same way (through `resolve`) so that `dvm current` never disagrees with it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::select::resolve::{self, Origin, Request, ResolveError, VERSION_VAR};
use crate::select::version::{DockerVersion, VersionSpec};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// `DVM_DOCKER_VERSION` (set by `dvm use`).
    EnvVar,
    /// A version file found walking up from the working directory.
    VersionFile,
    /// The global default.
    Default,
    /// Nothing selected a version, or `system` was selected.
    System,
}

#[derive(Debug, Clone, Serialize)]
pub struct Active {
    /// The spec as requested (`20.10`, `1.12.6`, `system`), if any.
    pub requested: Option<String>,
    /// The installed version it resolves to.
    pub version: Option<String>,
    pub reason: Reason,
    /// The file behind the request (version file or default file).
    pub origin_path: Option<PathBuf>,
    pub origin_line: Option<usize>,
    /// The client that would run; `None` when nothing can run.
    pub client_path: Option<PathBuf>,
    /// True when a version was requested but is not installed.
    pub missing: bool,
    /// With `auto`: the endpoint this call would talk to, and what was chosen for it.
    pub auto: Option<AutoState>,
}

/// What `auto` knows about the endpoint a docker call here would talk to.
#[derive(Debug, Clone, Serialize)]
pub struct AutoState {
    /// The endpoint key (address and TLS material, or named context).
    pub endpoint: String,
    /// Where the choice came from ("daemon at …, API …"), when there is one.
    pub detail: Option<String>,
    /// Seconds since the Unix epoch.
    pub checked_at: Option<u64>,
    /// Whether the shim would use the choice as it is, without asking the daemon again.
    pub fresh: bool,
}

/// Resolves like the shim does, for `ctx.cwd` and `ctx`'s variables.
pub fn active(ctx: &Context, store: &Store) -> Result<Active> {
    let layout = store.layout();
    let request =
        resolve::requested_version(ctx.var_os(VERSION_VAR), &ctx.cwd, &layout.default_file())
            .map_err(request_error)?;
    let Some(request) = request else {
        return Ok(system(ctx, store, None, Reason::System, None, None));
    };
    let (reason, origin_path, origin_line) = match &request.origin {
        Origin::EnvVar => (Reason::EnvVar, None, None),
        Origin::File { path, line } => (Reason::VersionFile, Some(path.clone()), Some(*line)),
        Origin::Default { path } => (Reason::Default, Some(path.clone()), None),
    };
    let spec = store.resolve_alias(&request.spec)?;
    if spec == VersionSpec::System {
        return Ok(system(
            ctx,
            store,
            Some(request.spec.to_string()),
            reason,
            origin_path,
            origin_line,
        ));
    }
    let (version, auto) = if spec == VersionSpec::Auto {
        let (version, state) = auto_choice(ctx, store);
        (version, Some(state))
    } else {
        (store.find(&spec)?, None)
    };
    Ok(Active {
        requested: Some(request.spec.to_string()),
        version: version.map(|v| v.to_string()),
        reason,
        origin_path,
        origin_line,
        client_path: version.map(|v| layout.client_path(&v)),
        // `auto` without a choice yet is not missing: the next docker call makes one.
        missing: version.is_none() && auto.is_none(),
        auto,
    })
}

/// The shim's view of `auto` here: the cached choice for the endpoint of a bare `docker`.
fn auto_choice(ctx: &Context, store: &Store) -> (Option<DockerVersion>, AutoState) {
    use crate::select::auto::{ArgvEndpoint, Cache, TTL_VAR};
    let key = crate::detect::auto::key_for(ctx, &ArgvEndpoint::default());
    let mut cache = Cache::load(&store.layout().data);
    cache.override_ttl(ctx.var(TTL_VAR));
    let fresh = cache.fresh(&key, crate::fsutil::now_unix()).is_some();
    let hit = cache.get(&key).filter(|c| store.is_installed(&c.version));
    let state = AutoState {
        endpoint: key.clone(),
        detail: hit.map(|c| c.detail.clone()),
        checked_at: hit.map(|c| c.checked_at),
        fresh,
    };
    (hit.map(|c| c.version), state)
}

/// What the folder asks for, ignoring this shell's `DVM_DOCKER_VERSION`: the nearest version
/// file walking up from `ctx.cwd`, else the global default; the same order and parser as
/// [`active`] (and the shim) below the variable. `dvm install` and `dvm use` take it when no
/// version is given. `None` when neither names a version.
pub fn requested_here(ctx: &Context, store: &Store) -> Result<Option<Request>> {
    resolve::requested_version(None, &ctx.cwd, &store.layout().default_file())
        .map_err(request_error)
}

fn request_error(e: ResolveError) -> Error {
    let hint = if e.origin == VERSION_VAR {
        format!("set {VERSION_VAR} to a version, or unset it: dvm use VERSION")
    } else {
        "fix or remove the file, or pick a version: dvm use VERSION".into()
    };
    Error::usage(e.to_string()).with_hint(hint)
}

fn system(
    ctx: &Context,
    store: &Store,
    requested: Option<String>,
    reason: Reason,
    origin_path: Option<PathBuf>,
    origin_line: Option<usize>,
) -> Active {
    let shims = store.layout().shims_dir();
    let client =
        resolve::find_system_docker(ctx.var_os("PATH"), &shims, &store.layout().shim_path());
    Active {
        requested,
        version: Some("system".into()),
        reason,
        origin_path,
        origin_line,
        missing: client.is_none(),
        client_path: client,
        auto: None,
    }
}

impl Active {
    /// Why nothing runs here, when nothing does: the error `current` and `which` report.
    pub fn not_runnable(&self) -> Option<Error> {
        // `auto` always has something to run: the next docker call asks the daemon.
        if (self.version.is_some() && !self.missing) || self.auto.is_some() {
            return None;
        }
        Some(match self.requested.as_deref() {
            None => Error::not_found(
                "no docker version is selected and no system docker is on PATH",
            )
            .with_hint(
                "install one and make it the default: dvm install latest && dvm use --global latest",
            ),
            Some("system") => Error::not_found(format!(
                "the system docker is requested ({}) but no docker outside dvm's shims is on PATH",
                self.explain_request()
            ))
            .with_hint("install docker, or pick a version: dvm use VERSION"),
            Some(requested) => Error::not_found(format!(
                "docker {requested} is requested ({}) but is not installed",
                self.explain()
            ))
            .with_hint(format!("run: dvm install {requested}")),
        })
    }

    /// "because …", for humans.
    pub fn explain(&self) -> String {
        let at = |p: &Path, line: Option<usize>| match line {
            Some(l) if l > 1 => format!("{}:{l}", p.display()),
            _ => p.display().to_string(),
        };
        match (&self.reason, &self.origin_path) {
            (Reason::EnvVar, _) => format!("set by {VERSION_VAR} (dvm use)"),
            (Reason::VersionFile, Some(p)) => format!("set by {}", at(p, self.origin_line)),
            (Reason::Default, Some(p)) => format!("the global default ({})", p.display()),
            (Reason::System, _) if self.requested.is_none() => match &self.client_path {
                Some(p) => format!(
                    "no version selected; using the system docker {}",
                    p.display()
                ),
                None => "no version selected".into(),
            },
            _ => "system".into(),
        }
    }

    /// Who asked, for a request that cannot be met.
    fn explain_request(&self) -> String {
        match (&self.reason, &self.origin_path) {
            (Reason::EnvVar, _) => format!("by {VERSION_VAR}"),
            (_, Some(p)) => format!("by {}", p.display()),
            _ => "explicitly".into(),
        }
    }

    pub fn version(&self) -> Option<DockerVersion> {
        self.version
            .as_deref()
            .and_then(|v| DockerVersion::parse(v).ok())
    }
}
