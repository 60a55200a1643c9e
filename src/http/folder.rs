//! A download folder is shared by the downloads writing into it and by whoever removes files
//! from it (`dvm cache clean`, `dvm prune`). Every download holds a shared lock on the folder
//! from before it looks at its `.part` until the finished file is in place; a cleaner takes
//! the lock exclusively, or, while downloads run, leaves their partial files alone.
//!
//! The lock is an `flock` on the folder itself, not on a lock file, so that nothing extra
//! shows up in the folder. For the same reason cleaners empty the folder but never remove it:
//! a new folder at the same path would not carry the lock.

use std::fs::{self, File};
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// A hold on a download folder's lock, released on drop (or when the process dies).
#[derive(Debug)]
pub struct FolderLock {
    #[cfg(unix)]
    _dir: File,
}

/// Creates `folder` if needed and holds its lock shared: cleaners leave its partial files
/// alone until this is dropped. Waits while a cleaner holds the lock (it only takes a moment).
pub(super) fn hold_shared(folder: &Path) -> Result<FolderLock> {
    #[cfg(unix)]
    {
        // Someone may remove the folder between our creating and locking it (an older dvm,
        // `rm -rf`); a lock on a folder no longer at `folder` protects nothing, so try again.
        for _ in 0..5 {
            fs::create_dir_all(folder).with_path("create", folder)?;
            let dir = match File::open(folder) {
                Ok(dir) => dir,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("open", folder, e)),
            };
            dir.lock_shared().with_path("lock", folder)?;
            if is_at(&dir, folder) {
                return Ok(FolderLock { _dir: dir });
            }
        }
        Err(Error::io(
            "lock",
            folder,
            std::io::Error::other("the folder keeps being removed while dvm downloads into it"),
        ))
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(folder).with_path("create", folder)?;
        Ok(FolderLock {})
    }
}

/// Takes `folder`'s lock exclusively if no download into it is running: `Ok(None)` while one
/// is. The folder must exist. Hold the lock while removing partial downloads.
pub fn try_lock_exclusive(folder: &Path) -> Result<Option<FolderLock>> {
    #[cfg(unix)]
    {
        let dir = File::open(folder).with_path("open", folder)?;
        match dir.try_lock() {
            Ok(()) => Ok(Some(FolderLock { _dir: dir })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(Error::io("lock", folder, e)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(Some(FolderLock {}))
    }
}

/// Whether a file name in a download folder belongs to a download that is not finished: a
/// `.part` or one of its sidecars (`.part.meta`, `.part.meta.tmp`).
pub fn is_partial(name: &str) -> bool {
    partial_stem(name).is_some()
}

/// `x.tgz` for `x.tgz.part`, `x.tgz.part.meta` and `x.tgz.part.meta.tmp`.
pub fn partial_stem(name: &str) -> Option<&str> {
    name.strip_suffix(".part.meta.tmp")
        .or_else(|| name.strip_suffix(".part.meta"))
        .or_else(|| name.strip_suffix(".part"))
}

#[cfg(unix)]
fn is_at(dir: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (dir.metadata(), fs::metadata(path)) {
        (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names() {
        for name in ["a.tgz.part", "a.tgz.part.meta", "a.tgz.part.meta.tmp"] {
            assert_eq!(partial_stem(name), Some("a.tgz"), "{name}");
        }
        for name in ["a.tgz", "a.part.tgz", "a.tgz.meta"] {
            assert!(!is_partial(name), "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_download_in_progress_keeps_cleaners_out_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("downloads");
        let download = hold_shared(&folder).unwrap();
        let other_download = hold_shared(&folder).unwrap();
        assert!(try_lock_exclusive(&folder).unwrap().is_none());
        drop(download);
        assert!(try_lock_exclusive(&folder).unwrap().is_none());
        drop(other_download);
        let cleaner = try_lock_exclusive(&folder).unwrap();
        assert!(cleaner.is_some());
        // A second cleaner is kept out as well.
        assert!(try_lock_exclusive(&folder).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_removed_and_made_again_is_locked_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("downloads");
        let stale = hold_shared(&folder).unwrap();
        fs::remove_dir(&folder).unwrap();
        // The old hold is on a folder that is gone: it does not keep cleaners out of the new one.
        let fresh = hold_shared(&folder).unwrap();
        drop(stale);
        assert!(try_lock_exclusive(&folder).unwrap().is_none());
        drop(fresh);
        assert!(try_lock_exclusive(&folder).unwrap().is_some());
    }
}
