//! File-system building blocks: atomic writes, locks, folder exchange, permissions, and the
//! tidying of temp files that a killed process left behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, IoContext, Result};

/// Removes `write_atomic` temp files in `dir` left by processes that no longer run (a
/// `kill -9` mid-write); a live process's temp file is about to be renamed, so it stays.
pub fn remove_dead_temp_files(dir: &Path) {
    remove_entries_of_dead_processes(dir, temp_file_pid, |p| fs::remove_file(p));
}

/// Removes each entry of `dir` whose name carries (per `pid_of`) the pid of a process that no
/// longer runs. Failures are ignored: this is tidying, and the next run tries again.
fn remove_entries_of_dead_processes(
    dir: &Path,
    pid_of: fn(&str) -> Option<u32>,
    remove: impl Fn(&Path) -> std::io::Result<()>,
) {
    // A folder linked elsewhere is not ours to tidy (see `ensure_real_dir`).
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(pid_of) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = remove(&entry.path());
        }
    }
}

/// `.<name>.<pid>.<n>.tmp` → pid.
fn temp_file_pid(name: &str) -> Option<u32> {
    let stem = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = stem.rsplitn(3, '.');
    let _n: u64 = parts.next()?.parse().ok()?;
    let pid = parts.next()?.parse().ok()?;
    parts.next().filter(|rest| !rest.is_empty())?;
    Some(pid)
}

/// Blocks until this process holds an exclusive lock on `path` (created if missing); the
/// lock lasts as long as the returned file is open, and the OS drops it if the process dies.
pub fn lock_file(path: &Path) -> Result<File> {
    let mut options = nonblocking_open();
    options.create(true).truncate(false).write(true);
    let file = match options.open(path) {
        Ok(file) => file,
        // A FIFO without a reader fails the open (ENXIO): say what is really wrong.
        Err(_) if fs::metadata(path).is_ok_and(|m| !m.is_file()) => {
            return Err(irregular(path));
        }
        Err(e) => return Err(Error::io("open the lock", path, e)),
    };
    refuse_irregular(&file, path)?;
    file.lock().with_path("lock", path)?;
    Ok(file)
}

/// Open options that never block on a FIFO put where a store file belongs.
fn nonblocking_open() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    options
}

/// A store file dvm reads or locks must be a regular file: a FIFO would hang the read, a
/// device would feed it forever.
fn refuse_irregular(file: &File, path: &Path) -> Result<()> {
    let meta = file.metadata().with_path("inspect", path)?;
    if meta.is_file() {
        return Ok(());
    }
    Err(irregular(path))
}

fn irregular(path: &Path) -> Error {
    Error::new(
        crate::error::ErrorKind::Io,
        format!(
            "{} is not a regular file (a FIFO, socket or device), so dvm will not use it",
            path.display()
        ),
    )
    .with_hint(format!(
        "remove it and run the command again: rm {}",
        path.display()
    ))
}

/// Creates `dir` (and its parents) and refuses it when it is a symbolic link: a store folder
/// linked elsewhere would have dvm write, or delete, outside its home.
pub fn ensure_real_dir(dir: &Path) -> Result<()> {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::new(
            crate::error::ErrorKind::Io,
            format!(
                "{} is a symbolic link; dvm keeps its own folders inside its home and will not \
                 follow a link out of it",
                dir.display()
            ),
        )
        .with_hint(format!(
            "remove the link (rm {}) and run the command again, or point DVM_HOME at the \
             folder it links to",
            dir.display()
        )));
    }
    fs::create_dir_all(dir).with_path("create", dir)
}

/// Reads a store file of at most `limit` bytes (a manifest, say), refusing anything that is
/// not a regular file and anything larger, without reading more than `limit + 1` bytes.
/// `Ok(None)` when it does not exist.
pub fn read_store_file(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut options = nonblocking_open();
    options.read(true);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    refuse_irregular(&file, path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_path("read", path)?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            crate::error::ErrorKind::Io,
            format!(
                "{} is larger than {limit} bytes, far more than dvm ever writes there",
                path.display()
            ),
        )
        .with_hint(format!(
            "remove it and run the command again: rm {}",
            path.display()
        )));
    }
    Ok(Some(bytes))
}

/// Atomically exchanges two existing paths. `Ok(false)` when this system or file system
/// cannot (the caller falls back to remove-then-rename).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        // An old kernel, or a file system without exchange (some network and FUSE ones).
        Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    // Without /proc we cannot tell cheaply; keep the folder (it only costs disk).
    true
}

pub fn set_executable(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .with_path("set permissions on", path)?;
    }
    let _ = path;
    Ok(())
}

pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).with_path("create", path)?;
    f.write_all(bytes).with_path("write", path)?;
    f.sync_all().with_path("sync", path)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
/// readers see the old content or the new, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_as(path, bytes, false)
}

/// As [`write_atomic`]; `executable` makes the file 0755 before it becomes visible. The temp
/// name is `.<name>.<pid>.<n>.tmp`, so [`remove_dead_temp_files`] can tell whose it was.
pub fn write_atomic_as(path: &Path, bytes: &[u8], executable: bool) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .ok_or_else(|| Error::internal(format!("{} has no parent folder", path.display())))?;
    std::fs::create_dir_all(dir).with_path("create", dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_path("create", &tmp)?;
        f.write_all(bytes).with_path("write", &tmp)?;
        f.sync_all().with_path("sync", &tmp)?;
        if executable {
            set_executable(&tmp)?;
        }
        std::fs::rename(&tmp, path).with_path("replace", path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_path("sync", dir)?;
    }
    let _ = dir;
    Ok(())
}

/// The lock for `key` in `dir` (created, and refused if a symlink), named
/// `<prefix>-<digest of key>.lock`: any key, however long, makes a short file name.
pub fn lock_keyed(dir: &Path, prefix: &str, key: &[u8]) -> Result<File> {
    ensure_real_dir(dir)?;
    let digest = crate::digest::digest(crate::digest::DigestAlgo::Sha256, key);
    let short = digest.get(..16).unwrap_or(&digest);
    lock_file(&dir.join(format!("{prefix}-{short}.lock")))
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// All of `file` (opened from `path`), refusing one larger than `cap` bytes: "no `what` is"
/// that large, so the user has pointed at the wrong file. Reads at most `cap + 1` bytes.
pub fn read_capped(file: File, path: &Path, cap: u64, what: &str, hint: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_path("read", path)?;
    if bytes.len() as u64 > cap {
        return Err(Error::config(format!(
            "{} is larger than {} KiB, which no {what} is",
            path.display(),
            cap / 1024
        ))
        .with_hint(hint));
    }
    Ok(bytes)
}
