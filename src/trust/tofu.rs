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
        if let Some((_, known)) = entries.iter().find(|(k, _)| k == url_key) {
            if *known == sha256 {
                return Ok(());
            }
            return Err(Error::integrity(format!(
                "{url_key} was trusted with sha256 {known} before, and is now {sha256}"
            ))
            .with_hint(format!(
                "Docker does not republish releases; if you are sure the new file is right, remove its line from {}",
                self.path.display()
            )));
        }
        entries.push((url_key.to_string(), sha256));
        let mut text = String::new();
        for (k, h) in &entries {
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
