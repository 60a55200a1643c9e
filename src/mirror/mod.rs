//! `dvm mirror`: the chosen Docker clients, downloaded and verified as `dvm install` does, laid
//! out as `DIR/<host>/<path>` (the layout `DVM_MIRROR` reads), with the listings clients need
//! regenerated for exactly what the tree holds, and a manifest that records every file.
//! A run is incremental (files already held and unchanged upstream are not fetched again)
//! and atomic per file; one run at a time holds the tree's lock.

mod manifest;
mod tree;

use std::path::{Path, PathBuf};

pub use manifest::{MANIFEST_NAME, MirrorManifest, MirroredFile, MirroredRpm};

use crate::error::{Error, ErrorKind, Result};
use crate::install::{
    ClientCheck, InstallEvent, InstallOptions, Remote, expected_for, fetch_and_verify,
};
use crate::platform::Platform;
use crate::select::version::VersionSpec;
use crate::sources::{Artifact, Expected, Query, SourceKind};

/// What to mirror, and where.
pub struct MirrorRequest {
    pub specs: Vec<VersionSpec>,
    pub platforms: Vec<Platform>,
    pub to: PathBuf,
}

/// Progress of a run, for the CLI to render.
#[derive(Debug, Clone)]
pub enum MirrorEvent {
    /// `path` (below the tree) was downloaded, verified and written.
    Wrote {
        path: String,
        verified_by: String,
    },
    /// `path` is in the tree and unchanged upstream.
    Unchanged {
        path: String,
    },
    /// Upstream now publishes other bytes under `path`; the new file replaces the old.
    ChangedUpstream {
        path: String,
        was: String,
        now: String,
    },
    /// No source has `spec` for `platform`.
    Missing {
        spec: String,
        platform: Platform,
        why: String,
    },
    Install(InstallEvent),
}

/// What a run did, by path below the tree.
#[derive(Debug, Default)]
pub struct MirrorReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub changed_upstream: Vec<String>,
    pub missing: Vec<String>,
}

/// Mirrors every spec for every platform into `request.to`.
pub fn mirror(
    remote: &Remote,
    request: &MirrorRequest,
    opts: &InstallOptions,
    progress: &(dyn Fn(MirrorEvent) + Sync),
) -> Result<MirrorReport> {
    let dir = &request.to;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let _lock = crate::fsutil::lock_file(&dir.join(".dvm-mirror.lock"))?;
    clear_stale_scratch(dir);
    let mut run = Run {
        remote,
        opts,
        dir,
        scratch: dir.join(format!(".dvm-scratch-{}", std::process::id())),
        manifest: MirrorManifest::load(dir)?,
        report: MirrorReport::default(),
        progress,
    };
    let outcome = (|| {
        for spec in &request.specs {
            for platform in &request.platforms {
                run.one(spec, *platform)?;
                // Saved after each file, so a killed run keeps what it finished.
                run.manifest.save(dir)?;
            }
        }
        tree::regenerate(dir, &mut run.manifest)?;
        run.manifest.save(dir)
    })();
    let _ = std::fs::remove_file(&run.scratch);
    outcome.map(|()| run.report)
}

/// Scratch files of runs that were killed: with the lock held, no other run is using one.
fn clear_stale_scratch(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(".dvm-scratch-")
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

struct Run<'a> {
    remote: &'a Remote,
    opts: &'a InstallOptions,
    dir: &'a Path,
    /// Where each client is extracted to while its archive is verified.
    scratch: PathBuf,
    manifest: MirrorManifest,
    report: MirrorReport,
    progress: &'a (dyn Fn(MirrorEvent) + Sync),
}

impl Run<'_> {
    /// Resolves `spec` for `platform` and brings its artifact into the tree.
    fn one(&mut self, spec: &VersionSpec, platform: Platform) -> Result<()> {
        let options = &self.remote.options;
        let query = Query {
            spec: spec.clone(),
            source: options.source,
            channel: options.channel,
            distro: options.distro.clone(),
            platform,
            exclude: Vec::new(),
        };
        let catalog = self.remote.catalog();
        let mut resolved = match catalog.resolve(&query) {
            Ok(resolved) => resolved,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.missing(spec, platform, e.message().to_string());
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        while let Some(batch) = resolved.next_batch(&catalog)? {
            for artifact in &batch {
                if self.bring(artifact, platform)? {
                    return Ok(());
                }
            }
        }
        let why = format!("no source has docker {} for {platform}", resolved.version);
        self.missing(spec, platform, why);
        Ok(())
    }

    fn missing(&mut self, spec: &VersionSpec, platform: Platform, why: String) {
        self.report.missing.push(format!("{spec} ({platform})"));
        (self.progress)(MirrorEvent::Missing {
            spec: spec.to_string(),
            platform,
            why,
        });
    }

    /// Brings one artifact into the tree unless it is there and unchanged; false when the
    /// server does not have it.
    fn bring(&mut self, artifact: &Artifact, platform: Platform) -> Result<bool> {
        let path = tree_path(artifact);
        let install_progress = |e: InstallEvent| (self.progress)(MirrorEvent::Install(e));
        let mut confirmed = None;
        if let Some(held) = self.manifest.files.get(&path) {
            // What upstream publishes now, not what the listing said (a legacy build's
            // checksum lives in its `.sha256` sibling, read only at this point).
            let expected = expected_for(self.remote, artifact, &install_progress)?;
            if unchanged(self.dir, &path, held, &expected) {
                self.report.unchanged.push(path.clone());
                (self.progress)(MirrorEvent::Unchanged { path });
                return Ok(true);
            }
            // Read once: the download below is checked against the same answer.
            confirmed = Some(expected);
        }
        let verified = fetch_and_verify(
            self.remote,
            artifact,
            self.opts,
            &self.scratch,
            ClientCheck::AnySystem,
            confirmed,
            &install_progress,
        )?;
        let Some(verified) = verified else {
            return Ok(false);
        };
        tree::place(self.dir, &path, &verified.cache_file)?;
        let record = record_of(artifact, platform, &verified, &path);
        if let Some(held) = self.manifest.files.get(&path)
            && held.sha256 != record.sha256
        {
            self.report.changed_upstream.push(path.clone());
            (self.progress)(MirrorEvent::ChangedUpstream {
                path: path.clone(),
                was: held.sha256.clone(),
                now: record.sha256.clone(),
            });
        }
        let shown: Vec<&str> = record.verified_by.iter().map(|m| m.as_str()).collect();
        (self.progress)(MirrorEvent::Wrote {
            path: path.clone(),
            verified_by: shown.join(", "),
        });
        self.manifest.files.insert(path.clone(), record);
        self.report.written.push(path);
        Ok(true)
    }
}

/// Whether the tree's copy of `path` is still what upstream publishes: the file is there with
/// the recorded size, and whatever upstream publishes for it (a checksum) is what was recorded.
/// With nothing published (static tarballs outside dvm's table), the held copy stands.
fn unchanged(dir: &Path, path: &str, held: &MirroredFile, expected: &Expected) -> bool {
    std::fs::metadata(dir.join(path)).is_ok_and(|m| m.is_file() && m.len() == held.size)
        && !expected.contradicts(&held.sha256)
}

/// `<host>/<path>`: where `DVM_MIRROR` clients look for the artifact.
fn tree_path(artifact: &Artifact) -> String {
    let host = match artifact.source {
        SourceKind::Static | SourceKind::Rpm => "download.docker.com",
        SourceKind::Yum => "yum.dockerproject.org",
        // Prereleases live on test.docker.com, releases on get.docker.com.
        SourceKind::Legacy if artifact.version.is_prerelease() => "test.docker.com",
        SourceKind::Legacy => "get.docker.com",
    };
    format!("{host}/{}", artifact.path)
}

fn record_of(
    artifact: &Artifact,
    platform: Platform,
    verified: &crate::install::VerifiedArtifact,
    path: &str,
) -> MirroredFile {
    let size = std::fs::metadata(&verified.cache_file).map_or(0, |m| m.len());
    let rpm = verified.client.rpm.as_ref().map(|info| MirroredRpm {
        repo: repository_folder(artifact, path),
        name: info.name.clone(),
        version: info.version.clone(),
        release: info.release.clone(),
        arch: info.arch.clone(),
        signed_by: info.signature.as_ref().map(|s| s.key_id.clone()),
    });
    MirroredFile {
        sha256: verified.sha256.clone(),
        size,
        source_url: artifact.url.clone(),
        verified_by: verified.verified_by.clone(),
        version: artifact.version.to_string(),
        platform: platform.to_string(),
        rpm,
        published_sha256: match &verified.expected {
            Expected::Published { sha256, .. } => Some(sha256.clone()),
            _ => None,
        },
    }
}

/// The folder holding `repodata/` for an RPM at `path`: `linux/<distro>/<N>/<arch>/<channel>`
/// on download.docker.com, `repo/<main|testing>/<distro>/<N>` on yum.dockerproject.org.
fn repository_folder(artifact: &Artifact, path: &str) -> String {
    let depth = match artifact.source {
        SourceKind::Yum => 5,
        _ => 6,
    };
    path.split('/').take(depth).collect::<Vec<_>>().join("/")
}

/// `dvm mirror --check DIR`: every file the manifest lists, re-hashed.
pub fn check(dir: &Path) -> Result<usize> {
    let manifest = MirrorManifest::load(dir)?;
    if manifest.files.is_empty() && !dir.join(MANIFEST_NAME).exists() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "{} is not a dvm mirror: it has no {MANIFEST_NAME}",
                dir.display()
            ),
        )
        .with_hint("make one with: dvm mirror SPEC... --to DIR"));
    }
    let bad = tree::check(dir, &manifest)?;
    if !bad.is_empty() {
        return Err(Error::integrity(format!(
            "{} of {} files in {} do not match its manifest:\n  {}",
            bad.len(),
            manifest.files.len() + manifest.generated.len(),
            dir.display(),
            bad.join("\n  ")
        ))
        .with_hint("run dvm mirror again with the same specs to fetch them afresh"));
    }
    Ok(manifest.files.len() + manifest.generated.len())
}
