//! Staging folders: where an install builds a version before renaming it into place, each
//! with a lock that says it is in use.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::client_file_name;

/// A private folder under `<data>/tmp`, removed on drop unless committed. Its lock file
/// (`<data>/locks/staging-<folder>.lock`, held while it lives) tells other processes it is in
/// use, even from another machine or container sharing the store, where its pid means nothing.
#[derive(Debug)]
pub struct Staging {
    pub(super) dir: PathBuf,
    pub(super) committed: bool,
    pub(super) lock: Option<(File, PathBuf)>,
}

impl Staging {
    pub fn path(&self) -> &Path {
        &self.dir
    }
    pub fn client_path(&self) -> PathBuf {
        self.dir.join(client_file_name())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
        // The folder first: a lock file without its folder is harmless, the reverse is not.
        if let Some((file, path)) = self.lock.take() {
            let _ = fs::remove_file(&path);
            drop(file);
        }
    }
}

const STAGING_LOCK_PREFIX: &str = "staging-";

pub(super) fn staging_lock_path(locks: &Path, dir: &Path) -> PathBuf {
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    locks.join(format!("{STAGING_LOCK_PREFIX}{name}.lock"))
}

/// Folders in `tmp` (staging, or versions being removed) whose lock nobody holds: their
/// process died (`kill -9`). A folder without a lock file, which no dvm writes any more, is
/// removed only when a day old, since its owner cannot be known. Locks left by a process
/// killed just after its folder was renamed into place go too.
pub(super) fn remove_abandoned_staging(tmp: &Path, locks: &Path) {
    let is_link = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if is_link(tmp) || is_link(locks) {
        return;
    }
    for entry in fs::read_dir(tmp).into_iter().flatten().flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let lock_path = staging_lock_path(locks, &path);
        let abandoned = if lock_path.exists() {
            try_lock(&lock_path).is_some()
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 24 * 3600))
        };
        if abandoned {
            let _ = fs::remove_dir_all(&path);
            let _ = fs::remove_file(&lock_path);
        }
    }
    for entry in fs::read_dir(locks).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(folder) = name
            .strip_prefix(STAGING_LOCK_PREFIX)
            .and_then(|n| n.strip_suffix(".lock"))
        else {
            continue;
        };
        if !tmp.join(folder).exists() && try_lock(&entry.path()).is_some() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The lock on `path` if nobody holds it (the file must exist; it is not created).
fn try_lock(path: &Path) -> Option<File> {
    let file = fs::OpenOptions::new().write(true).open(path).ok()?;
    file.try_lock().ok()?;
    Some(file)
}
