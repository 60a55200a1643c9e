//! Which docker client a bare `docker` runs here, and why. The one source of truth for the
//! resolution order, shared by the library and the shim (see [`crate::select`]).
//!
//! Order: `DVM_DOCKER_VERSION`, then the nearest version file walking up from the working
//! directory (`.docker-version`, `.dockerversion`, then a `docker` line in `.tool-versions`),
//! then the global default, then the system docker further down PATH.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::version::{DockerVersion, VersionSpec};

/// Variable that selects a version for one shell (set by `dvm use`).
pub const VERSION_VAR: &str = "DVM_DOCKER_VERSION";
/// Set by the shim when it hands over to a "system" docker, as `<hops>:<first shim>`; a shim
/// that sees too many hops refuses to hand over again, so no chain of shims can loop.
pub const RECURSION_GUARD_VAR: &str = "DVM_SHIM_HOPPED";
/// Set by the shim on everything it execs: how many shims deep this run is. A shim that sees
/// too many refuses to run anything, so no client can exec itself through the shim forever.
pub const DEPTH_VAR: &str = "DVM_SHIM_DEPTH";
/// Version file names, in the order they are consulted within one folder.
pub const VERSION_FILES: [&str; 3] = [".docker-version", ".dockerversion", ".tool-versions"];
/// A version file larger than this is not a version file.
const MAX_VERSION_FILE: u64 = 64 * 1024;

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    EnvVar,
    File { path: PathBuf, line: usize },
    Default { path: PathBuf },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::EnvVar => write!(f, "{VERSION_VAR}"),
            Origin::File { path, .. } => write!(f, "{}", path.display()),
            Origin::Default { path } => write!(f, "the global default ({})", path.display()),
        }
    }
}

/// A requested version and where the request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub spec: VersionSpec,
    pub origin: Origin,
}

/// A version file or variable that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.origin, line, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for ResolveError {}

fn file_error(path: &Path, line: Option<usize>, message: impl Into<String>) -> ResolveError {
    ResolveError {
        origin: path.display().to_string(),
        line,
        message: message.into(),
    }
}

/// The first applicable request, or `None` when nothing selects a version (fall back to system).
pub fn requested_version(
    env_value: Option<&OsStr>,
    cwd: &Path,
    default_file: &Path,
) -> Result<Option<Request>, ResolveError> {
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        let text = value.to_str().ok_or_else(|| ResolveError {
            origin: VERSION_VAR.into(),
            line: None,
            message: "is not valid UTF-8".into(),
        })?;
        let spec = VersionSpec::parse(text).map_err(|e| ResolveError {
            origin: VERSION_VAR.into(),
            line: None,
            message: e.to_string(),
        })?;
        return Ok(Some(Request {
            spec,
            origin: Origin::EnvVar,
        }));
    }
    if let Some(found) = nearest_version_file(cwd)? {
        return Ok(Some(found));
    }
    match read_small_file(default_file)? {
        None => Ok(None),
        Some(bytes) => {
            let (spec, _) = parse_version_file(default_file, &bytes, false)?.ok_or_else(|| {
                file_error(
                    default_file,
                    None,
                    "the global default is empty; run: dvm use --global VERSION",
                )
            })?;
            Ok(Some(Request {
                spec,
                origin: Origin::Default {
                    path: default_file.to_path_buf(),
                },
            }))
        }
    }
}

/// Walks up from `start`; in each folder consults the version files in order.
pub fn nearest_version_file(start: &Path) -> Result<Option<Request>, ResolveError> {
    let mut path = PathBuf::new();
    for dir in start.ancestors() {
        for (index, name) in VERSION_FILES.iter().enumerate() {
            path.clear();
            path.push(dir);
            path.push(name);
            let Some(bytes) = read_small_file(&path)? else {
                continue;
            };
            let is_tool_versions = index == 2;
            match parse_version_file(&path, &bytes, is_tool_versions)? {
                Some((spec, line)) => {
                    return Ok(Some(Request {
                        spec,
                        origin: Origin::File { path, line },
                    }));
                }
                // A .tool-versions without a docker line does not pin docker.
                None if is_tool_versions => continue,
                None => {
                    return Err(file_error(
                        &path,
                        None,
                        "holds no version; write one such as 20.10 or 1.12.6",
                    ));
                }
            }
        }
    }
    Ok(None)
}

/// Reads a version file (also an alias file). `Ok(None)` when it does not exist (or its folder
/// cannot be searched, which on the walk up means "not ours to read"); an error when it exists
/// but is unusable.
pub fn read_small_file(path: &Path) -> Result<Option<Vec<u8>>, ResolveError> {
    // `stat` before `open`: opening a FIFO would block until a writer comes, and a device
    // (or a link to one) is no version file either.
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory =>
        {
            return Ok(None);
        }
        // A folder on the way cannot be searched: the file's existence is unknowable, skip it.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Ok(None),
        Err(e) => return Err(file_error(path, None, format!("cannot be read: {e}"))),
    };
    if meta.is_dir() {
        return Err(file_error(path, None, "is a folder, not a version file"));
    }
    if !meta.is_file() {
        return Err(file_error(
            path,
            None,
            "is not a regular file (a FIFO, socket or device); a version file holds one version",
        ));
    }
    // It exists: failing to read it now is an error the user must see.
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_error(path, None, format!("cannot be read: {e}"))),
    };
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_VERSION_FILE) as usize);
    file.take(MAX_VERSION_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(path, None, format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_VERSION_FILE {
        return Err(file_error(
            path,
            None,
            "is larger than 64 KiB; a version file holds one version",
        ));
    }
    Ok(Some(bytes))
}

/// Parses a version file's bytes. Returns the spec and its 1-based line.
///
/// `.docker-version`, `.dockerversion` and the global default hold one spec, with `#` comments
/// and blank lines allowed. `.tool-versions` holds `tool version…` lines; only `docker` counts.
pub fn parse_version_file(
    path: &Path,
    bytes: &[u8],
    tool_versions: bool,
) -> Result<Option<(VersionSpec, usize)>, ResolveError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        // Name the line of the first bad byte, so a stray binary paste is easy to find.
        let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        file_error(
            path,
            Some(line),
            "is not UTF-8 text; it should hold a version such as 20.10",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: Option<(VersionSpec, usize)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        if content.contains('\0') {
            return Err(file_error(path, Some(line_no), "contains a NUL byte"));
        }
        let spec_text = if tool_versions {
            let mut words = content.split_whitespace();
            if words.next() != Some("docker") {
                continue;
            }
            match words.next() {
                Some(w) => w,
                None => {
                    return Err(file_error(
                        path,
                        Some(line_no),
                        "the docker line names no version",
                    ));
                }
            }
        } else {
            content
        };
        if found.is_some() {
            return Err(file_error(
                path,
                Some(line_no),
                "holds a second version; a version file holds exactly one",
            ));
        }
        let spec = VersionSpec::parse(spec_text)
            .map_err(|e| file_error(path, Some(line_no), e.to_string()))?;
        found = Some((spec, line_no));
        if tool_versions {
            break;
        }
    }
    Ok(found)
}

/// An installed version chosen for a spec, from the names of `versions_dir`'s entries.
/// Exact specs are checked by path first, so the common case reads no folder listing.
pub fn find_installed(versions_dir: &Path, spec: &VersionSpec) -> Option<DockerVersion> {
    if let VersionSpec::Exact(v) = spec {
        if is_complete(&versions_dir.join(v.to_string())) {
            return Some(*v);
        }
        return None;
    }
    let installed = installed_versions(versions_dir);
    spec.best_match(installed.iter()).copied()
}

/// The file in each version folder that records how the client got there.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The one rule, for the shim and dvm alike, of whether a version folder holds an installed
/// version: its client and its manifest are both there as regular files with content. A folder
/// missing either (emptied by hand, or by a disk that filled up) is broken, not installed.
pub fn is_complete(version_dir: &Path) -> bool {
    let regular =
        |name: &str| fs::metadata(version_dir.join(name)).is_ok_and(|m| m.is_file() && m.len() > 0);
    regular(executable_name()) && regular(MANIFEST_FILE)
}

/// Every installed version (see [`is_complete`]), unordered. Entries that are not version
/// folders, and broken ones, are ignored.
pub fn installed_versions(versions_dir: &Path) -> Vec<DockerVersion> {
    let mut versions = version_folders(versions_dir);
    versions.retain(|v| is_complete(&versions_dir.join(v.to_string())));
    versions
}

/// Every folder in the store named as dvm names a version, complete or not.
pub fn version_folders(versions_dir: &Path) -> Vec<DockerVersion> {
    let Ok(entries) = fs::read_dir(versions_dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let v = DockerVersion::parse(name.to_str()?).ok()?;
            // Only a folder named exactly as we write it is ours (not "17.3.0-ce" by hand).
            (v.to_string() == name.to_str()?).then_some(v)
        })
        .collect()
}

/// The next `docker` on PATH that is not a dvm shim: not in `shims_dir`, not the same file as
/// `own_exe` (hardlinks compare by inode), and not a symlink resolving to either.
pub fn find_system_docker(
    path_var: Option<&OsStr>,
    shims_dir: &Path,
    own_exe: &Path,
) -> Option<PathBuf> {
    let path_var = path_var?;
    let shims_canonical = fs::canonicalize(shims_dir).ok();
    let own = fs::metadata(own_exe).ok();
    for dir in std::env::split_paths(path_var) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        let candidate = dir.join(executable_name());
        let Ok(meta) = fs::metadata(&candidate) else {
            continue;
        };
        if !meta.is_file() || !is_executable(&meta) {
            continue;
        }
        if own.as_ref().is_some_and(|own| same_file(own, &meta)) {
            continue;
        }
        let Ok(canonical) = fs::canonicalize(&candidate) else {
            continue;
        };
        if let Some(shims) = &shims_canonical
            && canonical.parent() == Some(shims.as_path())
        {
            continue;
        }
        return Some(candidate);
    }
    None
}

fn executable_name() -> &'static str {
    if cfg!(windows) {
        "docker.exe"
    } else {
        "docker"
    }
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}
