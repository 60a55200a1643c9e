//! The store: installed versions, their manifests, per-version locks, atomic installs, the
//! global default, aliases and the shim.
//!
//! A version folder appears only by `rename` from a fully written, fsynced staging folder, so
//! a visible version is always complete, whatever moment a process is killed at. A reinstall
//! exchanges the two folders in one step where the system allows, so the version never
//! disappears in between.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveKind, RpmInfo};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{
    exchange, lock_file, remove_dead_temp_files, sync_dir, write_atomic, write_atomic_as,
    write_synced,
};
use crate::layout::{Layout, client_file_name};
use crate::select::resolve;
use crate::select::version::{DockerVersion, VersionSpec, is_alias_name};
use crate::trust::VerifiedBy;
pub use staging::Staging;
use staging::{remove_abandoned_staging, staging_lock_path};

pub const MANIFEST_NAME: &str = resolve::MANIFEST_FILE;
/// A manifest is a few hundred bytes; anything near this is not one.
const MAX_MANIFEST: u64 = 1024 * 1024;

/// What dvm knows about an installed version. Written once, at install time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: String,
    /// `file`, `url`, or a remote source name (`legacy`, `static`, `yum`, `rpm`).
    pub source: String,
    /// Where the archive came from: a URL or a local path.
    pub origin: String,
    pub archive_kind: ArchiveKind,
    pub archive_sha256: Option<String>,
    pub client_sha256: String,
    pub client_size: u64,
    pub verified_by: Vec<VerifiedBy>,
    /// Seconds since the Unix epoch.
    pub installed_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<RpmInfo>,
    /// Who signed the `repomd.xml` that vouched for the archive's checksum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repodata_signature: Option<crate::openpgp::SignedBy>,
}

#[derive(Debug, Clone)]
pub struct Store {
    layout: Layout,
}

/// Holds a version's lock until dropped. Two installs of one version serialise on it.
#[derive(Debug)]
pub struct VersionLock {
    _file: File,
}

/// How an install ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    Installed,
    /// Another process installed the same version first; its copy is kept.
    AlreadyPresent,
}

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    pub fn new(layout: Layout) -> Self {
        Store { layout }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Installed versions, oldest first (the shim's rule: [`resolve::is_complete`]).
    pub fn installed(&self) -> Vec<DockerVersion> {
        let mut versions = resolve::installed_versions(&self.layout.versions_dir());
        versions.sort();
        versions
    }

    pub fn is_installed(&self, v: &DockerVersion) -> bool {
        resolve::is_complete(&self.layout.version_dir(v))
    }

    /// Version folders that are not installed versions: client or manifest missing, oldest
    /// first. `install` repairs them; `verify` and `doctor` report them.
    pub fn broken(&self) -> Vec<DockerVersion> {
        let mut versions = resolve::version_folders(&self.layout.versions_dir());
        versions.retain(|v| !self.is_installed(v));
        versions.sort();
        versions
    }

    /// Why `v`'s folder is broken: "its client is missing", say.
    pub fn what_is_missing(&self, v: &DockerVersion) -> &'static str {
        let dir = self.layout.version_dir(v);
        let present = |p: PathBuf| fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0);
        match (
            present(self.layout.client_path(v)),
            present(dir.join(MANIFEST_NAME)),
        ) {
            (false, false) => "its client and manifest are missing",
            (false, true) => "its client is missing",
            (true, false) => "its manifest is missing",
            (true, true) => "nothing is missing",
        }
    }

    /// The newest installed version matching `spec` (aliases resolved).
    pub fn find(&self, spec: &VersionSpec) -> Result<Option<DockerVersion>> {
        let spec = self.resolve_alias(spec)?;
        Ok(spec.best_match(self.installed().iter()).copied())
    }

    pub fn manifest(&self, v: &DockerVersion) -> Result<Manifest> {
        let path = self.layout.version_dir(v).join(MANIFEST_NAME);
        let bytes = crate::fsutil::read_store_file(&path, MAX_MANIFEST)?
            .ok_or_else(|| Error::io("read", &path, std::io::ErrorKind::NotFound.into()))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                crate::ErrorKind::Io,
                format!("the manifest {} is corrupt: {e}", path.display()),
            )
            .with_hint(format!("reinstall it: dvm install --force {v}"))
        })
    }

    fn ensure_dir(&self, dir: &Path) -> Result<()> {
        crate::fsutil::ensure_real_dir(dir)
    }

    /// Blocks until this process holds `v`'s lock.
    pub fn lock(&self, v: &DockerVersion) -> Result<VersionLock> {
        let dir = self.layout.locks_dir();
        self.ensure_dir(&dir)?;
        Ok(VersionLock {
            _file: lock_file(&dir.join(format!("{v}.lock")))?,
        })
    }

    /// A new staging folder. `label` (usually the version) prefixes its name so that stale
    /// folders of a version can be removed by whoever holds that version's lock.
    pub fn stage(&self, label: &str) -> Result<Staging> {
        let tmp = self.layout.tmp_dir();
        self.ensure_dir(&tmp)?;
        let n = STAGING_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = tmp.join(format!("{label}.{}.{n}.{nanos}", std::process::id()));
        // Locked before the folder exists, so a folder is never seen without its lock.
        let locks = self.layout.locks_dir();
        self.ensure_dir(&locks)?;
        let lock_path = staging_lock_path(&locks, &dir);
        let lock = lock_file(&lock_path)?;
        let staging = Staging {
            dir,
            committed: false,
            lock: Some((lock, lock_path)),
        };
        fs::create_dir(&staging.dir).with_path("create", &staging.dir)?;
        Ok(staging)
    }

    /// Removes staging folders and temp files left by processes that no longer run
    /// (after `kill -9`).
    pub fn clean_stale_staging(&self) {
        for dir in [
            self.layout.data.clone(),
            self.layout.aliases_dir(),
            self.layout.data.join("trust"),
            self.layout.listings_dir(),
        ] {
            remove_dead_temp_files(&dir);
        }
        remove_abandoned_staging(&self.layout.tmp_dir(), &self.layout.locks_dir());
    }

    /// Writes the manifest into `staging`, makes it durable and renames it into place.
    /// Call with the version's lock held.
    pub fn commit(
        &self,
        mut staging: Staging,
        manifest: &Manifest,
        v: &DockerVersion,
        replace: bool,
    ) -> Result<Committed> {
        let manifest_path = staging.dir.join(MANIFEST_NAME);
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| Error::internal(format!("cannot encode manifest: {e}")))?;
        write_synced(&manifest_path, &json)?;
        sync_dir(&staging.dir)?;
        let versions = self.layout.versions_dir();
        self.ensure_dir(&versions)?;
        let target = self.layout.version_dir(v);
        if target.exists() {
            // A broken folder (client or manifest gone) is repaired, never kept.
            if !replace && self.is_installed(v) {
                return Ok(Committed::AlreadyPresent);
            }
            // Swapped in one step where the system can: the shim finds the old client or the
            // new one, never nothing. The old folder, now at the staging path, goes on drop.
            if exchange(&staging.dir, &target).with_path("swap in", &target)? {
                sync_dir(&versions)?;
                sync_dir(&self.layout.tmp_dir())?;
                return Ok(Committed::Installed);
            }
            self.remove_version_dir(v)?;
        }
        fs::rename(&staging.dir, &target).with_path("move into place", &target)?;
        staging.committed = true;
        sync_dir(&versions)?;
        Ok(Committed::Installed)
    }

    /// Removes an installed version: renamed out of `versions/` first (atomic: the shim never
    /// sees half a folder), then deleted. Call with the version's lock held.
    pub fn remove_version_dir(&self, v: &DockerVersion) -> Result<()> {
        let target = self.layout.version_dir(v);
        let trash = self.stage(&format!("{v}.removing"))?;
        // `stage` created the folder; rename needs the target name free.
        fs::remove_dir(trash.path()).with_path("prepare", trash.path())?;
        fs::rename(&target, trash.path()).with_path("remove", &target)?;
        sync_dir(&self.layout.versions_dir())?;
        drop(trash); // removes the renamed folder
        Ok(())
    }

    pub fn default_spec(&self) -> Result<Option<VersionSpec>> {
        let path = self.layout.default_file();
        let reset = |e: resolve::ResolveError| {
            Error::usage(e.to_string()).with_hint("reset it: dvm use --global VERSION")
        };
        // The shim's own reader: the same checks (regular file, 64 KiB at most).
        match resolve::read_small_file(&path).map_err(reset)? {
            Some(bytes) => resolve::parse_version_file(&path, &bytes, false)
                .map(|found| found.map(|(spec, _)| spec))
                .map_err(reset),
            None => Ok(None),
        }
    }

    pub fn set_default(&self, spec: &VersionSpec) -> Result<()> {
        let path = self.layout.default_file();
        self.ensure_dir(&self.layout.data)?;
        write_atomic(&path, format!("{spec}\n").as_bytes())
    }

    /// Resolves an alias to the spec it names (one level); other specs pass through.
    pub fn resolve_alias(&self, spec: &VersionSpec) -> Result<VersionSpec> {
        let VersionSpec::Alias(name) = spec else {
            return Ok(spec.clone());
        };
        match self.alias(name)? {
            Some(target) => Ok(target),
            None => Err(
                Error::not_found(format!("no alias or version named '{name}'")).with_hint(
                    "list aliases with `dvm aliases`, or create one: dvm alias NAME VERSION",
                ),
            ),
        }
    }

    pub fn alias(&self, name: &str) -> Result<Option<VersionSpec>> {
        let path = self.layout.aliases_dir().join(name);
        let redo = |e: resolve::ResolveError| {
            Error::usage(e.to_string()).with_hint(format!(
                "set it again: dvm alias {name} VERSION (or dvm unalias {name})"
            ))
        };
        match resolve::read_small_file(&path).map_err(redo)? {
            Some(bytes) => {
                let found = resolve::parse_version_file(&path, &bytes, false)
                    .map_err(|e| Error::usage(e.to_string()))?;
                match found {
                    Some((VersionSpec::Alias(_), _)) => Err(Error::usage(format!(
                        "alias '{name}' points to another alias; aliases name versions"
                    ))),
                    Some((spec, _)) => Ok(Some(spec)),
                    None => Ok(None),
                }
            }
            None => Ok(None),
        }
    }

    pub fn set_alias(&self, name: &str, target: &VersionSpec) -> Result<()> {
        check_alias_name(name)?;
        if matches!(target, VersionSpec::Alias(_)) {
            return Err(Error::usage(
                "an alias must name a version, not another alias",
            ));
        }
        let dir = self.layout.aliases_dir();
        self.ensure_dir(&dir)?;
        write_atomic(&dir.join(name), format!("{target}\n").as_bytes())
    }

    /// Removes an alias file. Only a name that can be an alias is looked up, so no path
    /// (`/abs/file`, `../default`) ever reaches outside the aliases folder.
    pub fn remove_alias(&self, name: &str) -> Result<bool> {
        if !is_alias_name(name) {
            return Err(bad_alias_name(name));
        }
        let path = self.layout.aliases_dir().join(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("remove", &path, e)),
        }
    }

    pub fn aliases(&self) -> Result<Vec<(String, VersionSpec)>> {
        let dir = self.layout.aliases_dir();
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Some(spec) = self.alias(&name)? {
                out.push((name, spec));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The command that puts `v` back as it was installed: from its source, or from the file
    /// or URL it came from.
    pub fn reinstall_command(&self, v: &DockerVersion) -> String {
        match self.manifest(v) {
            Ok(m) if m.source == "file" || m.source == "url" => {
                let origin = if m
                    .origin
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-:+@=,".contains(&b))
                {
                    m.origin
                } else {
                    format!("'{}'", m.origin.replace('\'', "'\\''"))
                };
                format!("dvm install --force --from {origin} --as {v}")
            }
            _ => format!("dvm install --force {v}"),
        }
    }

    /// dvm's folders and files that others than their owner may write to: whoever can write
    /// there can replace the `docker` every shell runs. `deep` also checks every version.
    pub fn writable_by_others(&self, deep: bool) -> Vec<PathBuf> {
        let layout = &self.layout;
        let mut paths = vec![layout.data.clone(), layout.shims_dir(), layout.shim_path()];
        if deep {
            paths.push(layout.versions_dir());
            for v in self.installed() {
                let client = layout.client_path(&v);
                paths.extend(client.parent().map(Path::to_path_buf));
                paths.push(client);
            }
        }
        paths.retain(|path| is_writable_by_others(path));
        paths
    }

    /// Whether `ensure_shim` would change anything.
    pub fn shim_is_stale(&self) -> bool {
        !file_has_content(&self.layout.shim_path(), SHIM_BINARY)
    }

    /// Places the embedded shim at `<data>/shims/docker` when it is missing or differs,
    /// through a temp name and `rename` so a running `docker` never sees half a file.
    pub fn ensure_shim(&self) -> Result<bool> {
        self.ensure_dir(&self.layout.shims_dir())?;
        remove_dead_temp_files(&self.layout.shims_dir());
        if !self.shim_is_stale() {
            return Ok(false);
        }
        write_atomic_as(&self.layout.shim_path(), SHIM_BINARY, true)?;
        Ok(true)
    }
}

/// Refuses a name that cannot be an alias: not a plain name (a path, say), a word dvm gives a
/// meaning (`default`, `system`, `latest`, `stable`), or a name that reads as a version spec
/// (`v20.10`), which every command would take as that version and never as the alias.
pub fn check_alias_name(name: &str) -> Result<()> {
    if name == "default" {
        return Err(
            Error::usage("'default' cannot be an alias name: it is reserved").with_hint(
                "to set the global default: dvm use --global VERSION (or dvm default VERSION)",
            ),
        );
    }
    match VersionSpec::parse(name) {
        Ok(VersionSpec::Alias(parsed)) if parsed == name => Ok(()),
        Ok(VersionSpec::System) => Err(Error::usage(
            "'system' cannot be an alias name: it already names the docker outside dvm",
        )
        .with_hint("pick another name; select the system docker with: dvm use system")),
        Ok(VersionSpec::Latest) => Err(Error::usage(format!(
            "'{name}' cannot be an alias name: it already names the newest release"
        ))
        .with_hint("pick another name, such as work or legacy")),
        Ok(spec @ (VersionSpec::Exact(_) | VersionSpec::Partial { .. })) => {
            Err(Error::usage(format!(
                "'{name}' cannot be an alias name: it reads as the version {spec}, so it would never name the alias"
            ))
            .with_hint("pick a name that is not a version, such as work or legacy"))
        }
        _ => Err(bad_alias_name(name)),
    }
}

fn bad_alias_name(name: &str) -> Error {
    Error::usage(format!("'{name}' cannot be an alias name")).with_hint(
        "start with a letter; use letters, digits, '-', '_' or '.'; not latest/stable/system",
    )
}

#[cfg(unix)]
fn is_writable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // A symlink's own mode means nothing; what it points to is checked where it matters.
    fs::symlink_metadata(path)
        .is_ok_and(|m| !m.file_type().is_symlink() && m.permissions().mode() & 0o022 != 0)
}

#[cfg(not(unix))]
fn is_writable_by_others(_: &Path) -> bool {
    false
}

/// The shim program, compiled by build.rs (statically linked where the target allows).
pub const SHIM_BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dvm-shim"));

fn file_has_content(path: &Path, want: &[u8]) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    if file.metadata().map(|m| m.len()).ok() != Some(want.len() as u64) {
        return false;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return offset == want.len(),
            Ok(n) => {
                if want.get(offset..offset + n) != Some(&buf[..n]) {
                    return false;
                }
                offset += n;
            }
            Err(_) => return false,
        }
    }
}

/// `<label>.<pid>.<n>.<nanos>` → pid.
/// The result of re-hashing an installed client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum ClientCheck {
    Ok,
    Modified { expected: String, actual: String },
    Missing,
    ManifestUnreadable { reason: String },
}

impl Store {
    /// Re-hashes `v`'s client and compares it with the sha256 its manifest recorded.
    pub fn check_client(&self, v: &DockerVersion) -> ClientCheck {
        let manifest = match self.manifest(v) {
            Ok(m) => m,
            Err(e) => {
                return ClientCheck::ManifestUnreadable {
                    reason: e.to_string(),
                };
            }
        };
        let path = self.layout.client_path(v);
        let Ok(file) = File::open(&path) else {
            return ClientCheck::Missing;
        };
        let (actual, _) = match crate::digest::HashingReader::new(file).finish() {
            Ok(done) => done,
            Err(_) => return ClientCheck::Missing,
        };
        if actual == manifest.client_sha256 {
            ClientCheck::Ok
        } else {
            ClientCheck::Modified {
                expected: manifest.client_sha256,
                actual,
            }
        }
    }
}

mod staging;
#[cfg(test)]
mod tests;
