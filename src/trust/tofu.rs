//! Trust on first use: the digest seen the first time a file nothing vouches for was
//! installed, remembered so that a later download of the same file must match it.

use std::path::{Path, PathBuf};

use crate::digest::valid_sha256;
use crate::error::{Error, ErrorKind, IoContext, Result};

/// Trust-on-first-use digests for sources that publish none (static builds). A TSV file of
/// `<key>\t<sha256>` lines. Keys are paths below the source base (see
/// `sources::Hosts::trust_key`), so a mirror and the official host share trust; a file on
/// no known base is keyed by its full URL.
#[derive(Debug, Clone)]
pub struct TofuStore {
    pub path: PathBuf,
}

impl TofuStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TofuStore { path: path.into() }
    }

    /// `<data>/trust/static-sha256.tsv`
    pub fn in_data_dir(data: &Path) -> Self {
        TofuStore::new(data.join("trust").join("static-sha256.tsv"))
    }

    fn read(&self) -> Result<Vec<(String, String)>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", &self.path, e)),
        };
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed = line
                .split_once('\t')
                .and_then(|(k, h)| valid_sha256(h.trim()).map(|h| (k.to_string(), h)));
            match parsed {
                Some(entry) => out.push(entry),
                None => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "{} line {} is not '<key>\\t<sha256>'",
                            self.path.display(),
                            n + 1
                        ),
                    )
                    .with_hint(format!(
                        "fix or delete that line in {} (deleting forgets what dvm trusted)",
                        self.path.display()
                    )));
                }
            }
        }
        Ok(out)
    }

    pub fn get(&self, url_key: &str) -> Result<Option<String>> {
        Ok(self
            .read()?
            .into_iter()
            .find(|(k, _)| k == url_key)
            .map(|(_, h)| h))
    }

    /// Remembers `sha256` for `url_key`. Recording the same value again is a no-op; a
    /// different value for a known key is an integrity error (trust is never silently replaced).
    pub fn record(&self, url_key: &str, sha256: &str) -> Result<()> {
        self.set(url_key, sha256, false).map(|_| ())
    }

    /// Every record, as `(key, sha256)`, in file order.
    pub fn entries(&self) -> Result<Vec<(String, String)>> {
        self.read()
    }

    /// Sets the record for `url_key` to `sha256`, whatever it was (an explicit `--sha256`
    /// wins over what was seen first). Returns the value it replaced.
    pub fn replace(&self, url_key: &str, sha256: &str) -> Result<Option<String>> {
        self.set(url_key, sha256, true)
    }

    fn set(&self, url_key: &str, sha256: &str, replace: bool) -> Result<Option<String>> {
        if url_key.is_empty() || url_key.contains(['\t', '\n', '\r']) {
            return Err(Error::internal(format!(
                "trust key '{}' cannot be stored",
                url_key.escape_default()
            )));
        }
        let sha256 = valid_sha256(sha256).ok_or_else(|| {
            Error::internal(format!("'{}' is not a sha256", sha256.escape_default()))
        })?;
        // Parallel installs of different versions each add a line: serialise read-modify-write.
        let _lock = self.lock()?;
        let mut entries = self.read()?;
        let old = match entries.iter_mut().find(|(k, _)| k == url_key) {
            Some((_, known)) if *known == sha256 => return Ok(None),
            Some((_, known)) if replace => Some(std::mem::replace(known, sha256)),
            Some((_, known)) => {
                return Err(Error::integrity(format!(
                    "{url_key} was trusted with sha256 {known} before, and is now {sha256}"
                ))
                .with_hint(
                    "the file differs from the one first seen; if it was republished, forget \
                     the old record with `dvm trust forget URL`, or pass the new value with \
                     --sha256",
                ));
            }
            None => {
                entries.push((url_key.to_string(), sha256));
                None
            }
        };
        self.write(&entries)?;
        Ok(old)
    }

    /// Removes every record whose key `matches`; returns the removed `(key, sha256)` pairs.
    pub fn forget(&self, matches: impl Fn(&str) -> bool) -> Result<Vec<(String, String)>> {
        let _lock = self.lock()?;
        let (gone, kept): (Vec<_>, Vec<_>) =
            self.read()?.into_iter().partition(|(k, _)| matches(k));
        if !gone.is_empty() {
            self.write(&kept)?;
        }
        Ok(gone)
    }

    /// Rewrites the file with `entries`; the caller holds the lock.
    fn write(&self, entries: &[(String, String)]) -> Result<()> {
        let mut text = String::new();
        for (k, h) in entries {
            text.push_str(k);
            text.push('\t');
            text.push_str(h);
            text.push('\n');
        }
        crate::fsutil::write_atomic(&self.path, text.as_bytes())
    }

    fn lock(&self) -> Result<std::fs::File> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_path("create", dir)?;
        crate::fsutil::lock_file(&dir.join(".lock"))
    }
}
