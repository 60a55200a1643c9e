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
    let protected = protected_versions(ctx, store)?;
    let cutoff = opts
        .now
        .saturating_sub(opts.days.saturating_mul(SECONDS_PER_DAY));
    let mut report = PruneReport {
        dry_run: opts.dry_run,
        ..PruneReport::default()
    };
    // The archives the versions that stay were installed from.
    let mut needed_archives = BTreeSet::new();

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
        let old = manifest.installed_at <= cutoff;
        let keep_reason = protected.get(&v).cloned();
        match (old, keep_reason) {
            (true, None) => report.versions.push(PrunedVersion {
                version: v,
                installed_at: manifest.installed_at,
                bytes: dir_size(&store.layout().version_dir(&v)),
            }),
            (old, reason) => {
                if let (true, Some(reason)) = (old, reason) {
                    report.kept.push(KeptVersion { version: v, reason });
                }
                needed_archives.extend(manifest.archive_sha256);
            }
        }
    }

    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(opts.now);
    report.files = unneeded_downloads(store, &needed_archives, now)?;

    if !opts.dry_run {
        for pruned in &report.versions {
            let _lock = store.lock(&pruned.version)?;
            // Another process may have removed it while we waited.
            if store.is_installed(&pruned.version) {
                store.remove_version_dir(&pruned.version)?;
            }
        }
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
    }
    Ok(report)
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
mod tests {
    use super::*;
    use crate::archive::ArchiveKind;
    use crate::layout::Layout;
    use crate::store::{MANIFEST_NAME, Manifest};

    const NOW: u64 = 2_000_000_000;

    fn v(s: &str) -> DockerVersion {
        DockerVersion::parse(s).unwrap()
    }

    struct Fixture {
        _tmp: tempfile::TempDir,
        store: Store,
        cwd: PathBuf,
    }

    impl Fixture {
        fn new() -> Self {
            let tmp = tempfile::tempdir().unwrap();
            let cwd = tmp.path().join("work");
            fs::create_dir_all(&cwd).unwrap();
            Fixture {
                store: Store::new(Layout::under(tmp.path().join("home"))),
                cwd,
                _tmp: tmp,
            }
        }

        fn ctx(&self) -> Context {
            Context::empty(&self.cwd)
        }

        /// Installs a fake `version` `days_ago` days before NOW, from an archive with `archive`
        /// bytes that is left in the download cache.
        fn install(&self, version: &str, days_ago: u64, archive: Option<&[u8]>) {
            let layout = self.store.layout();
            let dir = layout.version_dir(&v(version));
            fs::create_dir_all(&dir).unwrap();
            fs::write(layout.client_path(&v(version)), b"#!/bin/sh\n").unwrap();
            let archive_sha256 = archive.map(|bytes| {
                let downloads = layout.downloads_dir();
                fs::create_dir_all(&downloads).unwrap();
                fs::write(downloads.join(format!("docker-{version}.tgz")), bytes).unwrap();
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
            });
            let manifest = Manifest {
                version: version.into(),
                source: "static".into(),
                origin: format!("https://example.invalid/docker-{version}.tgz"),
                archive_kind: ArchiveKind::TarGz,
                archive_sha256,
                client_sha256: "00".repeat(32),
                client_size: 10,
                verified_by: Vec::new(),
                installed_at: NOW - days_ago * SECONDS_PER_DAY,
                rpm: None,
            };
            fs::write(
                dir.join(MANIFEST_NAME),
                serde_json::to_vec(&manifest).unwrap(),
            )
            .unwrap();
        }

        fn prune(&self, days: u64, dry_run: bool) -> PruneReport {
            self.prune_at(days, dry_run, NOW)
        }

        fn prune_at(&self, days: u64, dry_run: bool, now: u64) -> PruneReport {
            prune(
                &self.ctx(),
                &self.store,
                &PruneOptions { days, now, dry_run },
            )
            .unwrap()
        }

        fn installed(&self) -> Vec<String> {
            self.store
                .installed()
                .iter()
                .map(|v| v.to_string())
                .collect()
        }

        fn downloads(&self) -> Vec<String> {
            let mut names: Vec<String> = fs::read_dir(self.store.layout().downloads_dir())
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        }
    }

    fn versions(report: &PruneReport) -> Vec<String> {
        report
            .versions
            .iter()
            .map(|p| p.version.to_string())
            .collect()
    }

    #[test]
    fn old_versions_go_recent_ones_stay() {
        let f = Fixture::new();
        f.install("1.12.6", 400, None);
        f.install("17.03.2-ce", 91, None);
        f.install("20.10.24", 89, None);
        f.install("24.0.9", 0, None);
        let report = f.prune(90, false);
        assert_eq!(versions(&report), ["1.12.6", "17.03.2-ce"]);
        assert!(report.kept.is_empty());
        assert!(report.bytes() > 0);
        assert_eq!(f.installed(), ["20.10.24", "24.0.9"]);

        // Exactly N days old counts as old.
        let report = f.prune(89, false);
        assert_eq!(versions(&report), ["20.10.24"]);
        assert_eq!(f.installed(), ["24.0.9"]);
    }

    #[test]
    fn dry_run_removes_nothing() {
        let f = Fixture::new();
        f.install("1.12.6", 400, Some(b"archive one"));
        fs::write(f.store.layout().downloads_dir().join("orphan.tgz"), b"x").unwrap();
        let report = f.prune(90, true);
        assert!(report.dry_run);
        assert_eq!(versions(&report), ["1.12.6"]);
        // Its archive goes with it, as does the orphan.
        assert_eq!(report.files.len(), 2, "{:?}", report.files);
        assert_eq!(f.installed(), ["1.12.6"]);
        assert_eq!(f.downloads(), ["docker-1.12.6.tgz", "orphan.tgz"]);
    }

    #[test]
    fn the_default_the_active_version_and_alias_targets_are_kept() {
        let f = Fixture::new();
        for version in ["1.9.1", "1.10.3", "1.11.2", "1.12.6", "1.13.1"] {
            f.install(version, 500, None);
        }
        f.store
            .set_default(&VersionSpec::parse("1.9").unwrap())
            .unwrap();
        fs::write(f.cwd.join(".docker-version"), "1.10.3\n").unwrap();
        f.store
            .set_alias("legacy", &VersionSpec::parse("1.11").unwrap())
            .unwrap();
        f.store.set_alias("host", &VersionSpec::System).unwrap();
        let report = f.prune(90, false);
        assert_eq!(versions(&report), ["1.12.6", "1.13.1"]);
        let kept: Vec<(String, KeepReason)> = report
            .kept
            .iter()
            .map(|k| (k.version.to_string(), k.reason.clone()))
            .collect();
        assert_eq!(
            kept,
            [
                ("1.9.1".to_string(), KeepReason::Default),
                ("1.10.3".to_string(), KeepReason::Active),
                ("1.11.2".to_string(), KeepReason::Alias("legacy".into())),
            ]
        );
        assert_eq!(f.installed(), ["1.9.1", "1.10.3", "1.11.2"]);

        // The environment variable of this shell makes a version active too.
        let ctx = f.ctx().with_var("DVM_DOCKER_VERSION", "1.11.2");
        fs::remove_file(f.cwd.join(".docker-version")).unwrap();
        f.store.remove_alias("legacy").unwrap();
        let report = prune(
            &ctx,
            &f.store,
            &PruneOptions {
                days: 90,
                now: NOW,
                dry_run: false,
            },
        )
        .unwrap();
        assert_eq!(versions(&report), ["1.10.3"]);
        assert_eq!(f.installed(), ["1.9.1", "1.11.2"]);
    }

    #[test]
    fn a_broken_version_file_stops_the_prune() {
        let f = Fixture::new();
        f.install("1.12.6", 400, None);
        fs::write(f.cwd.join(".docker-version"), "not a version!\n").unwrap();
        let err = prune(
            &f.ctx(),
            &f.store,
            &PruneOptions {
                days: 90,
                now: NOW,
                dry_run: false,
            },
        )
        .unwrap_err();
        assert!(err.message().contains("nothing was pruned"), "{err}");
        assert_eq!(f.installed(), ["1.12.6"]);
    }

    #[test]
    fn versions_without_a_readable_manifest_are_kept() {
        let f = Fixture::new();
        f.install("1.12.6", 400, None);
        let manifest = f
            .store
            .layout()
            .version_dir(&v("1.12.6"))
            .join(MANIFEST_NAME);
        fs::write(&manifest, b"{not json").unwrap();
        let report = f.prune(0, false);
        assert!(report.versions.is_empty());
        assert!(matches!(
            report.kept.as_slice(),
            [KeptVersion { reason: KeepReason::UnknownAge(why), .. }] if why.contains("corrupt")
        ));
        assert_eq!(f.installed(), ["1.12.6"]);
    }

    #[test]
    fn downloads_stay_exactly_while_an_installed_version_needs_them() {
        let f = Fixture::new();
        f.install("1.12.6", 400, Some(b"old archive"));
        f.install("20.10.24", 1, Some(b"new archive"));
        let downloads = f.store.layout().downloads_dir();
        // The same archive under another name (another mirror layout) is needed too.
        fs::write(downloads.join("copy-of-new.tgz"), b"new archive").unwrap();
        fs::write(downloads.join("uninstalled.tgz"), b"something else").unwrap();
        fs::create_dir(downloads.join("a-folder")).unwrap();
        let report = f.prune(90, false);
        let gone: Vec<String> = report
            .files
            .iter()
            .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(gone, ["docker-1.12.6.tgz", "uninstalled.tgz"]);
        assert!(report.files.iter().all(|p| p.kind == FileKind::Download));
        assert_eq!(
            f.downloads(),
            ["a-folder", "copy-of-new.tgz", "docker-20.10.24.tgz"]
        );
    }

    #[test]
    fn stale_partial_downloads_go_fresh_ones_stay() {
        let f = Fixture::new();
        let downloads = f.store.layout().downloads_dir();
        fs::create_dir_all(&downloads).unwrap();
        let now = crate::fsutil::now_unix();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(now)
            - STALE_PARTIAL_AFTER
            - Duration::from_secs(60);
        for name in [
            "stale.tgz.part",
            "stale.tgz.part.meta",
            "fresh.tgz.part",
            "fresh.tgz.part.meta",
        ] {
            fs::write(downloads.join(name), b"partial").unwrap();
        }
        // Only the .part's own age counts: a resumed download keeps its old sidecar.
        for name in ["stale.tgz.part", "fresh.tgz.part.meta"] {
            File::options()
                .write(true)
                .open(downloads.join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        fs::write(downloads.join("orphan.tgz.part.meta.tmp"), b"{}").unwrap();
        let report = f.prune_at(90, false, now);
        assert!(report.files.iter().all(|p| p.kind == FileKind::Partial));
        assert_eq!(f.downloads(), ["fresh.tgz.part", "fresh.tgz.part.meta"]);
        assert_eq!(report.files.len(), 3);
    }

    /// A download holds its folder's lock shared while it runs (see `http::folder`).
    #[cfg(unix)]
    fn download_running(downloads: &Path) -> File {
        let dir = File::open(downloads).unwrap();
        dir.lock_shared().unwrap();
        dir
    }

    #[cfg(unix)]
    #[test]
    fn partial_downloads_stay_while_a_download_runs() {
        let f = Fixture::new();
        f.install("1.12.6", 400, Some(b"old archive"));
        let downloads = f.store.layout().downloads_dir();
        // A download resuming an old `.part` has not written to it yet.
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
            - STALE_PARTIAL_AFTER
            - Duration::from_secs(60);
        fs::write(downloads.join("resumed.tgz.part"), b"partial").unwrap();
        File::options()
            .write(true)
            .open(downloads.join("resumed.tgz.part"))
            .unwrap()
            .set_modified(old)
            .unwrap();

        let running = download_running(&downloads);
        let report = f.prune(90, false);
        assert_eq!(versions(&report), ["1.12.6"]);
        assert_eq!(report.files.len(), 1, "{:?}", report.files);
        assert_eq!(report.files[0].kind, FileKind::Download);
        assert_eq!(f.downloads(), ["resumed.tgz.part"]);

        drop(running);
        let report = f.prune(90, false);
        assert_eq!(report.files.len(), 1, "{:?}", report.files);
        assert_eq!(report.files[0].kind, FileKind::Partial);
        assert!(f.downloads().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn cache_clean_leaves_partial_downloads_while_one_runs() {
        let f = Fixture::new();
        let layout = f.store.layout();
        let downloads = layout.downloads_dir();
        fs::create_dir_all(downloads.join("a-folder")).unwrap();
        fs::create_dir_all(layout.listings_dir()).unwrap();
        fs::write(layout.listings_dir().join("static.json"), b"{}").unwrap();
        for name in ["done.tgz", "running.tgz.part", "running.tgz.part.meta"] {
            fs::write(downloads.join(name), b"0123456789").unwrap();
        }

        let running = download_running(&downloads);
        let cleaned = clean_cache(layout).unwrap();
        assert_eq!((cleaned.files, cleaned.bytes), (2, 10));
        assert_eq!(
            cleaned.in_use,
            [
                downloads.join("running.tgz.part"),
                downloads.join("running.tgz.part.meta")
            ]
        );
        assert_eq!(f.downloads(), ["running.tgz.part", "running.tgz.part.meta"]);
        assert!(!layout.listings_dir().exists());

        drop(running);
        let cleaned = clean_cache(layout).unwrap();
        assert_eq!((cleaned.files, cleaned.bytes), (2, 20));
        assert!(cleaned.in_use.is_empty());
        // The folder stays: it carries the downloads' lock.
        assert!(downloads.is_dir() && f.downloads().is_empty());
    }

    #[test]
    fn cache_clean_without_a_cache_does_nothing() {
        let f = Fixture::new();
        assert_eq!(
            clean_cache(f.store.layout()).unwrap(),
            CacheCleaned::default()
        );
    }

    #[test]
    fn nothing_installed_and_no_cache_is_an_empty_report() {
        let f = Fixture::new();
        let report = f.prune(90, false);
        assert!(report.versions.is_empty() && report.files.is_empty() && report.kept.is_empty());
        assert_eq!(report.bytes(), 0);
    }
}
