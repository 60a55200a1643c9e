//! `dvm install SPEC` against the sources: resolve the spec, try each candidate of the
//! resolved release in order, and for a partial spec pass over releases the hosts lack.

use super::hints::{not_found_everywhere, offline_hint, other_sources_hint};
use super::record::reinstall_from_record;
use super::remote::{InstallEvent, Remote, install_artifact};
use super::{InstallOptions, InstallReport};
use crate::error::{Error, ErrorKind, Result};
use crate::select::version::{DockerVersion, VersionSpec};
use crate::sources::{Query, SourceKind};
use crate::store::Store;

/// `dvm install SPEC`: resolve, then try each candidate in order, reading the RPM listings
/// only when static and legacy do not have the version. A missing file moves on to the next;
/// an integrity failure stops everything (a tampered source is reported, not routed around).
pub fn install_remote(
    remote: &Remote,
    store: &Store,
    spec: &VersionSpec,
    opts: &InstallOptions,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<InstallReport> {
    // An exact version already here needs no listing and no network.
    if let VersionSpec::Exact(_) = spec
        && !opts.force
        && let Some(v) = store.find(spec)?
    {
        return Ok(already_installed(store, v));
    }
    let mut exclude = Vec::new();
    loop {
        let query = Query {
            exclude: exclude.clone(),
            ..remote.query(spec)
        };
        match install_resolved(remote, store, spec, &query, opts, progress)? {
            Attempt::Installed(report) => return Ok(report),
            // A partial spec or `latest` picked a release the hosts do not have (the legacy
            // source offers dvm's table, not a listing): the next one down, a few times.
            Attempt::Missing(v, _)
                if !matches!(spec, VersionSpec::Exact(_)) && exclude.len() < MAX_PASSES_OVER =>
            {
                progress(InstallEvent::Note(format!(
                    "docker {v} is not on the hosts; trying the next release matching {spec}"
                )));
                exclude.push(v);
            }
            Attempt::Missing(_, e) => return Err(e),
        }
    }
}

/// How many releases a partial spec may pass over before giving up.
const MAX_PASSES_OVER: usize = 4;

/// How one resolution ended.
enum Attempt {
    Installed(InstallReport),
    /// No source had the resolved version (the error says where dvm looked).
    Missing(DockerVersion, Error),
}

/// Resolves `query` and tries each candidate of the resolved version.
// length: the candidate loop and its network fallbacks read best in one piece.
fn install_resolved(
    remote: &Remote,
    store: &Store,
    spec: &VersionSpec,
    query: &Query,
    opts: &InstallOptions,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Attempt> {
    let catalog = remote.catalog();
    let mut resolved = catalog.resolve(query)?;
    let v = resolved.version;
    progress(InstallEvent::Resolved {
        spec: spec.to_string(),
        version: v,
    });
    for warning in std::mem::take(&mut resolved.warnings) {
        progress(InstallEvent::Warning(warning));
    }
    if store.is_installed(&v) && !opts.force {
        return Ok(Attempt::Installed(already_installed(store, v)));
    }
    // One download per version: a concurrent install of the same version waits here, then
    // finds it installed.
    let _lock = store.lock(&v)?;
    if store.is_installed(&v) && !opts.force {
        return Ok(Attempt::Installed(already_installed(store, v)));
    }
    store.clean_stale_staging();
    let mut missing = Vec::new();
    // The first network failure. It does not stop the search: a later candidate may be in the
    // download cache (a 1.x RPM, say, after the legacy build's `.sha256` could not be fetched).
    let mut network_failure: Option<Error> = None;
    let channel = resolved.channel();
    while let Some(batch) = resolved.next_batch(&catalog)? {
        for artifact in &batch {
            // Once the network has failed, only what is in the download cache can still work.
            if network_failure.is_some() && !remote.cache_file(&artifact.url).is_file() {
                continue;
            }
            if artifact.channel != channel && artifact.source == SourceKind::Static {
                progress(InstallEvent::Note(format!(
                    "docker {v} is not in the {channel} channel; trying the {} channel: {}",
                    artifact.channel, artifact.url
                )));
            }
            match install_artifact(remote, store, artifact, opts, progress) {
                Ok(Some(report)) => return Ok(Attempt::Installed(report)),
                Ok(None) => missing.push(artifact.url.clone()),
                Err(e) if e.kind() == ErrorKind::Network && !remote.options.offline => {
                    network_failure.get_or_insert(e);
                }
                Err(e) if e.kind() == ErrorKind::Integrity => {
                    return Err(other_sources_hint(e, remote, artifact));
                }
                Err(e) => return Err(e),
            }
        }
    }
    let unreachable = network_failure.is_some() || resolved.listing_unreachable();
    if (unreachable || remote.options.offline)
        && let Some(report) = reinstall_from_record(remote, store, &v, opts, progress)?
    {
        return Ok(Attempt::Installed(report));
    }
    match network_failure {
        Some(e) => Err(offline_hint(e, remote, &v)),
        None => {
            let e = not_found_everywhere(remote, &v, &missing, &resolved);
            if e.kind() == ErrorKind::NotFound {
                Ok(Attempt::Missing(v, e))
            } else {
                Err(e)
            }
        }
    }
}

/// The report for a version that was already installed: nothing changed.
fn already_installed(store: &Store, v: DockerVersion) -> InstallReport {
    let manifest = store.manifest(&v).ok();
    InstallReport {
        version: v,
        client_path: store.layout().client_path(&v),
        installed: false,
        checksum_from: Vec::new(),
        verified_by: manifest
            .as_ref()
            .map(|m| m.verified_by.clone())
            .unwrap_or_default(),
        source: manifest
            .as_ref()
            .map(|m| m.source.clone())
            .unwrap_or_default(),
        origin: manifest.map(|m| m.origin).unwrap_or_default(),
    }
}
