//! Reinstalling from the record of an earlier install. When the network fails (or `--offline`
//! finds nothing, because the listing that named the archive was fetched under another
//! `DVM_MIRROR`, say), an installed version whose archive is still in the download cache and
//! still hashes to the sha256 its manifest recorded is reinstalled from that archive, with the
//! verification recorded then: the bytes are the ones that were verified.

use std::path::PathBuf;

use super::remote::{InstallEvent, Remote, cache_name, fetch_and_extract};
use super::{InstallOptions, InstallReport, Provenance, finish_locked};
use crate::error::Result;
use crate::http::MAX_ARTIFACT_SIZE;
use crate::select::version::DockerVersion;
use crate::store::Store;

/// `Ok(None)` when there is no such record, the archive is gone or changed, or the recorded
/// verification does not meet what `opts` ask for. The caller holds the version's lock.
pub(super) fn reinstall_from_record(
    remote: &Remote,
    store: &Store,
    v: &DockerVersion,
    opts: &InstallOptions,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Option<InstallReport>> {
    let Ok(manifest) = store.manifest(v) else {
        return Ok(None);
    };
    let Some(recorded) = manifest.archive_sha256.clone() else {
        return Ok(None);
    };
    let from_a_source = matches!(
        manifest.source.as_str(),
        "static" | "legacy" | "yum" | "rpm"
    );
    let Some(cache_file) = cached_archive_of(remote, &manifest.origin) else {
        return Ok(None);
    };
    let pin_agrees = opts
        .pinned_sha256
        .as_deref()
        .is_none_or(|pin| pin.eq_ignore_ascii_case(&recorded));
    let strong_enough = manifest.verified_by.iter().any(|m| m.meets(opts.require));
    if !from_a_source || !pin_agrees || !strong_enough {
        return Ok(None);
    }
    let staging = store.stage(&v.to_string())?;
    let keys = remote.keys.get()?;
    let Some(fetched) = fetch_and_extract(
        remote,
        &manifest.origin,
        &cache_file,
        &staging.client_path(),
        MAX_ARTIFACT_SIZE,
        keys,
        progress,
    )?
    else {
        return Ok(None);
    };
    if !fetched.from_cache || !fetched.sha256.eq_ignore_ascii_case(&recorded) {
        return Ok(None);
    }
    let methods: Vec<&str> = manifest.verified_by.iter().map(|m| m.as_str()).collect();
    progress(InstallEvent::Note(format!(
        "reinstalling docker {v} from the download cache: the archive is the one verified when \
         it was installed ({}), and nothing could be checked anew",
        methods.join(", ")
    )));
    let provenance = Provenance {
        version: *v,
        source: manifest.source.clone(),
        origin: manifest.origin.clone(),
        archive_sha256: Some(recorded),
        verified_by: manifest.verified_by.clone(),
        checksum_from: Vec::new(),
        repodata_signature: manifest.repodata_signature.clone(),
    };
    finish_locked(store, staging, fetched.client, provenance, opts).map(Some)
}

/// The cached archive of `origin`. Its name is the path below the base it came from; when that
/// base is no longer configured (another `DVM_MIRROR`), `origin` is not on a known base, and the
/// archive is the cached file whose name ends `origin` at a path boundary (the longest such
/// name). The caller checks its sha256 against the record, so a wrong match installs nothing.
fn cached_archive_of(remote: &Remote, origin: &str) -> Option<PathBuf> {
    let direct = remote.cache_file(origin);
    if direct.is_file() {
        return Some(direct);
    }
    let whole = cache_name(origin);
    std::fs::read_dir(&remote.downloads)
        .ok()?
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| {
            !name.ends_with(".part")
                && whole
                    .strip_suffix(name.as_str())
                    .is_some_and(|head| head.ends_with('_'))
        })
        .max_by_key(String::len)
        .map(|name| remote.downloads.join(name))
        .filter(|path| path.is_file())
}
