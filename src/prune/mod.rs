//! `dvm prune`: removes installed versions nobody has asked for in a while, and cached downloads
//! nothing needs.
//!
//! "In a while" is measured from the install time in the manifest. Tracking each use would
//! mean a write from the shim on every `docker` call, which costs more than the shim's whole
//! budget (0.05 ms); install time is a fair proxy for "this old client is probably done with".
//! Whatever its age, a version is kept when it is the global default, the active version here,
//! or the target of an alias.
//!
//! A complete download is kept exactly when a version that stays installed was installed from
//! it (its sha256 is that manifest's `archive_sha256`): that is what makes `dvm install --force`
//! work offline. Every other download goes, whatever its age. A `.part` (an interrupted
//! download) goes once it has not been written for [`STALE_PARTIAL_AFTER`], unless a download
//! is running (see [`crate::http::folder`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::context::Context;
use crate::digest::HashingReader;
use crate::error::{Error, IoContext, Result};
use crate::http;
use crate::layout::Layout;
use crate::select::version::{DockerVersion, VersionSpec};
use crate::store::Store;

pub const SECONDS_PER_DAY: u64 = 24 * 60 * 60;

/// A `.part` untouched this long is not going to be resumed.
pub const STALE_PARTIAL_AFTER: Duration = Duration::from_secs(SECONDS_PER_DAY);

#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// Versions installed at least this many days before `now` are candidates.
    pub days: u64,
    /// Seconds since the Unix epoch (a parameter so that tests can move the clock).
    pub now: u64,
    /// Report what would go, remove nothing.
    pub dry_run: bool,
}

/// Why an old version stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "reason", content = "detail")]
pub enum KeepReason {
    /// It is the global default.
    Default,
    /// `docker` runs it here (environment variable, version file or default).
    Active,
    /// An alias names it.
    Alias(String),
    /// Its manifest cannot be read, so its age is unknown.
    UnknownAge(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrunedVersion {
    #[serde(serialize_with = "display")]
    pub version: DockerVersion,
    /// Seconds since the Unix epoch.
    pub installed_at: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptVersion {
    #[serde(serialize_with = "display")]
    pub version: DockerVersion,
    #[serde(flatten)]
    pub reason: KeepReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A complete archive no installed version came from.
    Download,
    /// An interrupted download (`.part`) or its sidecar.
    Partial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrunedFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub bytes: u64,
}

/// What prune removed (or, with `dry_run`, would remove).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    pub dry_run: bool,
    pub versions: Vec<PrunedVersion>,
    /// Versions old enough to go that were kept, and why.
    pub kept: Vec<KeptVersion>,
    pub files: Vec<PrunedFile>,
}

impl PruneReport {
    /// Bytes freed (or that would be).
    pub fn bytes(&self) -> u64 {
        let versions: u64 = self.versions.iter().map(|v| v.bytes).sum();
        versions + self.files.iter().map(|f| f.bytes).sum::<u64>()
    }
}

fn display<S: serde::Serializer>(v: &DockerVersion, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Prunes `store` as seen from `ctx` (whose working folder and `DVM_DOCKER_VERSION` decide the
/// active version).
pub fn prune(ctx: &Context, store: &Store, opts: &PruneOptions) -> Result<PruneReport> {
    let mut report = plan(ctx, store, opts)?;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(opts.now);
    if opts.dry_run {
        // The versions to go are still installed: their archives count as unneeded.
        let needed = needed_archives(store, &report.versions);
        report.files = unneeded_downloads(store, &needed, now)?;
    } else {
        apply(ctx, store, &mut report, now)?;
    }
    Ok(report)
}

/// The versions that would go as things stand, and the old ones kept (with why).
pub(crate) fn plan(ctx: &Context, store: &Store, opts: &PruneOptions) -> Result<PruneReport> {
    let protected = protected_versions(ctx, store)?;
    let cutoff = opts
        .now
        .saturating_sub(opts.days.saturating_mul(SECONDS_PER_DAY));
    let mut report = PruneReport {
        dry_run: opts.dry_run,
        ..PruneReport::default()
    };
    for v in store.installed() {
        let manifest = match store.manifest(&v) {
            Ok(m) => m,
            Err(e) => {
                report.kept.push(KeptVersion {
                    version: v,
                    reason: KeepReason::UnknownAge(e.to_string()),
                });
                continue;
            }
        };
        // A manifest from the future (a clock moved back) counts as recent.
        if manifest.installed_at > cutoff {
            continue;
        }
        match protected.get(&v).cloned() {
            None => report.versions.push(PrunedVersion {
                version: v,
                installed_at: manifest.installed_at,
                bytes: dir_size(&store.layout().version_dir(&v)),
            }),
            Some(reason) => report.kept.push(KeptVersion { version: v, reason }),
        }
    }
    Ok(report)
}

/// Removes what `plan` chose. Time passed since (hashing a large cache takes a while), so each
/// version is checked again under its lock: one made the default, aliased or active meanwhile
/// stays, and so does one reinstalled meanwhile (its install time moved). The downloads to
/// remove are decided only then, from the versions still installed.
pub(crate) fn apply(
    ctx: &Context,
    store: &Store,
    report: &mut PruneReport,
    now: SystemTime,
) -> Result<()> {
    let planned = std::mem::take(&mut report.versions);
    for pruned in planned {
        let _lock = store.lock(&pruned.version)?;
        // Another process may have removed it while we waited.
        if !store.is_installed(&pruned.version) {
            continue;
        }
        let reinstalled = store
            .manifest(&pruned.version)
            .map_or(true, |m| m.installed_at != pruned.installed_at);
        if reinstalled {
            continue;
        }
        if let Some(reason) = protected_versions(ctx, store)?.remove(&pruned.version) {
            report.kept.push(KeptVersion {
                version: pruned.version,
                reason,
            });
            continue;
        }
        store.remove_version_dir(&pruned.version)?;
        report.versions.push(pruned);
    }
    report.files = unneeded_downloads(store, &needed_archives(store, &[]), now)?;
    let downloads = store.layout().downloads_dir();
    // Held while removing: a download starting meanwhile waits for it.
    let _no_download_runs = if downloads.is_dir() {
        let lock = http::folder::try_lock_exclusive(&downloads)?;
        if lock.is_none() {
            // A running download's `.part` may look stale (resumed from an old one):
            // partial files wait for a prune when no download runs.
            report.files.retain(|f| f.kind != FileKind::Partial);
        }
        lock
    } else {
        None
    };
    for file in &report.files {
        remove_file_if_exists(&file.path)?;
    }
    store.clean_stale_staging();
    Ok(())
}

/// The archives the installed versions, except those `going`, came from (their manifests'
/// `archive_sha256`).
fn needed_archives(store: &Store, going: &[PrunedVersion]) -> BTreeSet<String> {
    store
        .installed()
        .iter()
        .filter(|v| !going.iter().any(|g| g.version == **v))
        .filter_map(|v| store.manifest(v).ok())
        .filter_map(|m| m.archive_sha256)
        .collect()
}

/// The installed versions that must stay, with the first reason found for each.
fn protected_versions(ctx: &Context, store: &Store) -> Result<BTreeMap<DockerVersion, KeepReason>> {
    let mut protected = BTreeMap::new();
    let mut protect = |spec: &VersionSpec, reason: KeepReason| -> Result<()> {
        if *spec == VersionSpec::System {
            return Ok(());
        }
        if let Some(v) = store.find(spec)? {
            protected.entry(v).or_insert(reason);
        }
        Ok(())
    };
    if let Some(spec) = store.default_spec()? {
        protect(&spec, KeepReason::Default)?;
    }
    // Unable to tell what runs here, nothing may be called unused.
    let active = crate::active::active(ctx, store)
        .map_err(|e| e.context("cannot tell which version is active, so nothing was pruned"))?;
    if let Some(v) = active.version() {
        protect(&VersionSpec::Exact(v), KeepReason::Active)?;
    }
    for (name, spec) in store.aliases()? {
        protect(&spec, KeepReason::Alias(name))?;
    }
    Ok(protected)
}

/// Downloads whose sha256 is not in `needed`, and stale partial downloads.
fn unneeded_downloads(
    store: &Store,
    needed: &BTreeSet<String>,
    now: SystemTime,
) -> Result<Vec<PrunedFile>> {
    let dir = store.layout().downloads_dir();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", &dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_path("list", &dir)?;
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = if let Some(part) = partial_of(&dir, &name) {
            if !partial_is_stale(&part, now) {
                continue;
            }
            FileKind::Partial
        } else {
            let sha256 = sha256_of(&path)?;
            if needed.contains(&sha256) {
                continue;
            }
            FileKind::Download
        };
        files.push(PrunedFile {
            path,
            kind,
            bytes: meta.len(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// For a `.part` or one of its sidecars (`.part.meta`, `.part.meta.tmp`), the `.part` it
/// belongs to.
fn partial_of(dir: &Path, name: &str) -> Option<PathBuf> {
    let stem = http::folder::partial_stem(name)?;
    Some(dir.join(format!("{stem}.part")))
}

fn remove_file_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

/// What `dvm cache clean` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheCleaned {
    /// Downloads (complete or partial) removed.
    pub files: usize,
    pub bytes: u64,
    /// Partial downloads left in place because downloads were running: the next clean gets
    /// them.
    pub in_use: Vec<PathBuf>,
}

/// Empties the download cache and the listing cache. Downloads that are running are not
/// disturbed: their partial files (with every other one: which is whose cannot be told) stay.
/// The downloads folder itself stays too (it carries the downloads' lock).
pub fn clean_cache(layout: &Layout) -> Result<CacheCleaned> {
    let mut cleaned = CacheCleaned::default();
    let downloads = layout.downloads_dir();
    if downloads.is_dir() {
        let no_download_runs = http::folder::try_lock_exclusive(&downloads)?;
        let entries = fs::read_dir(&downloads).with_path("list", &downloads)?;
        for entry in entries {
            let entry = entry.with_path("list", &downloads)?;
            let path = entry.path();
            let name = entry.file_name();
            let partial = name.to_str().is_some_and(http::folder::is_partial);
            if partial && no_download_runs.is_none() {
                cleaned.in_use.push(path);
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                cleaned.bytes += dir_size(&path);
                fs::remove_dir_all(&path).with_path("remove", &path)?;
            } else {
                cleaned.bytes += meta.len();
                remove_file_if_exists(&path)?;
            }
            cleaned.files += 1;
        }
        cleaned.in_use.sort();
    }
    let listings = layout.listings_dir();
    if listings.exists() {
        fs::remove_dir_all(&listings).with_path("remove", &listings)?;
    }
    Ok(cleaned)
}

/// A `.part` not written for a day; a sidecar whose `.part` is gone is stale too.
fn partial_is_stale(part: &Path, now: SystemTime) -> bool {
    let Ok(modified) = fs::metadata(part).and_then(|m| m.modified()) else {
        return true;
    };
    now.duration_since(modified)
        .is_ok_and(|age| age >= STALE_PARTIAL_AFTER)
}

fn sha256_of(path: &Path) -> Result<String> {
    let file = File::open(path).with_path("open", path)?;
    let (sha256, _) = HashingReader::new(file).finish().with_path("read", path)?;
    Ok(sha256)
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| if m.is_dir() { 0 } else { m.len() })
        .sum()
}

#[cfg(test)]
mod tests;
