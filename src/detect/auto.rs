//! `auto` for the shim: `dvm detect --for-shim` probes the daemon the docker argv and the
//! environment name, picks the client, remembers the choice in the cache the shim reads, and
//! falls back to the last choice (or the global default) when the daemon does not answer.
//! Never prints and never execs: the CLI does both.

use std::ffi::OsString;
use std::time::Duration;

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::select::auto::{ArgvEndpoint, CACHE_FILE, Cache, CachedChoice, endpoint_key};
use crate::select::version::{DockerVersion, VersionSpec};
use crate::store::Store;

use super::{ChoiceReason, DaemonTarget, Timeouts, choose_client, query_target};

/// Probing for the shim must not hold up a `docker` call for long.
pub const SHIM_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    total: Duration::from_secs(5),
};

/// What runs, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoChoice {
    pub version: DockerVersion,
    /// Something the user must hear (a fallback), for stderr.
    pub note: Option<String>,
}

/// How `resolve_for_shim` reaches the outside: releases to choose among and installing.
pub struct AutoHelpers<'a> {
    /// Releases dvm can install, read when no installed client matches the daemon.
    pub known: &'a dyn Fn() -> Vec<DockerVersion>,
    /// Installs a version; `Ok(false)` when auto-install is off.
    pub install: &'a dyn Fn(&DockerVersion) -> Result<bool>,
    pub ttl_seconds: u64,
    /// Seconds since the Unix epoch.
    pub now: u64,
}

/// The key the shim computes for a docker argv in `ctx` (the same function on both sides).
pub fn key_for(ctx: &Context, argv: &ArgvEndpoint) -> String {
    endpoint_key(
        &|name| ctx.var_os(name).map(|v| v.to_os_string()),
        argv,
        ctx.home.as_deref(),
    )
}

/// The client for the daemon `args` (a docker argv) and `ctx` name, for the shim.
pub fn resolve_for_shim(
    ctx: &Context,
    store: &Store,
    args: &[OsString],
    helpers: &AutoHelpers<'_>,
) -> Result<AutoChoice> {
    let argv = ArgvEndpoint::parse(args);
    let key = key_for(ctx, &argv);
    let data = &store.layout().data;
    // Many shims missing at once: one probe per endpoint; the others find its answer.
    let _probing = crate::fsutil::lock_keyed(&store.layout().locks_dir(), "auto", key.as_bytes())?;
    let mut cache = Cache::load(data);
    cache.ttl = helpers.ttl_seconds;
    if let Some(hit) = cache.fresh(&key, helpers.now)
        && store.is_installed(&hit.version)
    {
        return Ok(AutoChoice {
            version: hit.version,
            note: None,
        });
    }
    let target_ctx = with_argv_overrides(ctx, &argv);
    let probed = DaemonTarget::from_context(&target_ctx)
        .and_then(|target| query_target(&target, SHIM_TIMEOUTS).map(|d| (target, d)));
    let (target, daemon) = match probed {
        Ok(found) => found,
        Err(e) => return fall_back(store, &cache, &key, &e, helpers.now),
    };
    let version = pick(store, &daemon, helpers)?;
    let api = daemon
        .api()
        .map(|a| format!(", API {a}"))
        .unwrap_or_default();
    cache.entries.retain(|(k, _)| *k != key);
    let socket = crate::select::auto::socket_stamp(&key);
    cache.entries.push((
        key,
        CachedChoice {
            version,
            checked_at: helpers.now,
            detail: format!("daemon at {target}{api}"),
            socket,
        },
    ));
    crate::fsutil::write_atomic(&data.join(CACHE_FILE), cache.render().as_bytes())?;
    Ok(AutoChoice {
        version,
        note: None,
    })
}

/// The docker argv's `-H`, `--context`, `--config` and `--tlsverify` win over the
/// environment, as they do for the docker CLI.
fn with_argv_overrides(ctx: &Context, argv: &ArgvEndpoint) -> Context {
    let mut ctx = ctx.clone();
    if let Some(config) = &argv.config {
        ctx.set_var("DOCKER_CONFIG", config);
    }
    if let Some(context) = &argv.context {
        ctx.set_var("DOCKER_CONTEXT", context);
        ctx.set_var("DOCKER_HOST", "");
    } else if let Some(host) = &argv.host {
        ctx.set_var("DOCKER_HOST", host);
    }
    if argv.tls_verify {
        ctx.set_var("DOCKER_TLS_VERIFY", "1");
    }
    ctx
}

/// An installed client speaking the daemon's API exactly; else the best release known,
/// installed if auto-install allows; else the closest installed one.
fn pick(
    store: &Store,
    daemon: &super::DaemonVersion,
    helpers: &AutoHelpers<'_>,
) -> Result<DockerVersion> {
    let installed = store.installed();
    let local = choose_client(daemon, &installed).ok();
    if let Some(choice) = &local
        && matches!(
            choice.reason,
            ChoiceReason::DaemonVersion | ChoiceReason::SameMaxApi
        )
    {
        return Ok(choice.version);
    }
    let mut known = (helpers.known)();
    known.extend(installed.iter().copied());
    let best = choose_client(daemon, &known)?;
    if store.is_installed(&best.version) || (helpers.install)(&best.version)? {
        return Ok(best.version);
    }
    match local {
        Some(choice) => Ok(choice.version),
        None => Err(Error::not_found(format!(
            "docker {} matches the daemon, and no installed client is old enough for it",
            best.version
        ))
        .with_hint(format!(
            "install it: dvm install {} (or turn on auto_install)",
            best.version
        ))),
    }
}

/// The daemon did not answer: the last choice for this endpoint, else the global default.
fn fall_back(store: &Store, cache: &Cache, key: &str, why: &Error, now: u64) -> Result<AutoChoice> {
    if let Some(last) = cache.get(key)
        && store.is_installed(&last.version)
    {
        let minutes = now.saturating_sub(last.checked_at) / 60;
        return Ok(AutoChoice {
            version: last.version,
            note: Some(format!(
                "the daemon did not answer ({}); running docker {}, chosen for it {minutes} min ago",
                why.message(),
                last.version
            )),
        });
    }
    let default = store
        .default_spec()?
        .filter(|spec| *spec != VersionSpec::Auto)
        .and_then(|spec| store.find(&spec).ok().flatten());
    match default {
        Some(v) => Ok(AutoChoice {
            version: v,
            note: Some(format!(
                "the daemon did not answer ({}), and no client was chosen for it before; \
                 running the global default, docker {v}",
                why.message()
            )),
        }),
        None => Err(Error::new(
            ErrorKind::Daemon,
            format!(
                "`auto` cannot pick a client: the daemon did not answer ({}), no client was \
                 chosen for it before, and there is no global default to fall back to",
                why.message()
            ),
        )
        .with_hint(
            "start the daemon or check DOCKER_HOST, or set a default: dvm use --global VERSION",
        )),
    }
}
