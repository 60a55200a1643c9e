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
            repodata_signature: None,
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

/// Between deciding and deleting, another process made a candidate the default, and another
/// reinstalled one: both stay, with their archives.
#[test]
fn what_changed_after_the_plan_is_checked_again_before_deleting() {
    let f = Fixture::new();
    f.install("1.12.6", 400, Some(b"archive of 1.12.6"));
    f.install("17.03.2-ce", 400, Some(b"archive of 17.03.2-ce"));
    f.install("20.10.24", 400, Some(b"archive of 20.10.24"));
    let opts = PruneOptions {
        days: 90,
        now: NOW,
        dry_run: false,
    };
    let mut report = plan(&f.ctx(), &f.store, &opts).unwrap();
    assert_eq!(versions(&report), ["1.12.6", "17.03.2-ce", "20.10.24"]);

    // Meanwhile: `dvm use --global 24.0.7`-style change, and `install --force`.
    f.store
        .set_default(&VersionSpec::Exact(v("1.12.6")))
        .unwrap();
    f.install("17.03.2-ce", 0, Some(b"archive of 17.03.2-ce"));

    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
    apply(&f.ctx(), &f.store, &mut report, now).unwrap();
    assert_eq!(versions(&report), ["20.10.24"]);
    assert_eq!(
        report.kept,
        [KeptVersion {
            version: v("1.12.6"),
            reason: KeepReason::Default
        }]
    );
    assert_eq!(f.installed(), ["1.12.6", "17.03.2-ce"]);
    assert_eq!(
        f.downloads(),
        ["docker-1.12.6.tgz", "docker-17.03.2-ce.tgz"]
    );
}
