//! The `.part` file and its `.part.meta` sidecar, which says which URL and which version of the
//! remote file (ETag or Last-Modified) the `.part` bytes belong to.
//!
//! Ordering keeps a kill -9 at any moment safe: the meta is written before any byte of a new
//! download, and removed before a `.part` is truncated for a restart. A `.part` without a
//! matching meta is never resumed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use reqwest::header::{ETAG, HeaderMap, LAST_MODIFIED};
use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartMeta {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The full size of the remote file, when the server said.
    pub total: Option<u64>,
}

impl PartMeta {
    pub fn from_headers(url: &str, headers: &HeaderMap, total: Option<u64>) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        PartMeta {
            url: url.to_string(),
            etag: text(ETAG),
            last_modified: text(LAST_MODIFIED),
            total,
        }
    }

    /// The `If-Range` value: a strong ETag, else Last-Modified (weak ETags are not allowed there).
    pub fn validator(&self) -> Option<&str> {
        self.etag
            .as_deref()
            .filter(|e| !e.starts_with("W/"))
            .or(self.last_modified.as_deref())
    }
}

/// Whether a ranged answer with `headers` continues the file whose validator (see
/// [`PartMeta::validator`]) is `stored`. A server that ignores `If-Range` answers a resume of a
/// changed file with a 206 of the new one: its validator differs. An answer without a
/// validator cannot be judged, and passes.
pub fn continues(stored: Option<&str>, headers: &HeaderMap) -> bool {
    let answer = PartMeta::from_headers("", headers, None);
    match (stored, answer.validator()) {
        (Some(mine), Some(theirs)) => mine == theirs,
        _ => true,
    }
}

/// `dest` + `.part` and `dest` + `.part.meta`.
pub fn part_paths(dest: &Path) -> (PathBuf, PathBuf) {
    let mut part = dest.as_os_str().to_os_string();
    part.push(".part");
    let mut meta = part.clone();
    meta.push(".meta");
    (PathBuf::from(part), PathBuf::from(meta))
}

/// A `.part` that a previous run left for this very URL, with a validator to resume it safely.
#[derive(Debug, Clone)]
pub struct Resumable {
    pub offset: u64,
    pub meta: PartMeta,
}

pub fn find_resumable(part: &Path, meta_path: &Path, url: &str) -> Option<Resumable> {
    let meta: PartMeta = serde_json::from_slice(&fs::read(meta_path).ok()?).ok()?;
    let len = fs::metadata(part).ok()?.len();
    // A complete `.part` (killed before its rename) is confirmed by asking for its last byte.
    let offset = match meta.total {
        Some(total) if len == total => len.saturating_sub(1),
        _ => len,
    };
    let fits = meta.total.is_none_or(|t| offset < t);
    (meta.url == url && meta.validator().is_some() && offset > 0 && fits)
        .then_some(Resumable { offset, meta })
}

/// Writes the meta atomically (a torn meta would just not parse, but a rename is cheap).
pub fn write_meta(meta_path: &Path, meta: &PartMeta) -> Result<()> {
    let mut tmp = meta_path.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let json = serde_json::to_vec(meta).map_err(|e| {
        crate::error::Error::internal(format!("cannot encode download metadata: {e}"))
    })?;
    let mut f = fs::File::create(&tmp).with_path("create", &tmp)?;
    f.write_all(&json).with_path("write", &tmp)?;
    drop(f);
    fs::rename(&tmp, meta_path).with_path("rename into place", meta_path)
}

/// Removes a file that may not exist.
pub fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(crate::error::Error::io("remove", path, e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(url: &str, etag: Option<&str>, lm: Option<&str>, total: Option<u64>) -> PartMeta {
        PartMeta {
            url: url.into(),
            etag: etag.map(Into::into),
            last_modified: lm.map(Into::into),
            total,
        }
    }

    #[test]
    fn validator_prefers_strong_etag() {
        assert_eq!(
            meta("u", Some("\"a\""), Some("d"), None).validator(),
            Some("\"a\"")
        );
        assert_eq!(
            meta("u", Some("W/\"a\""), Some("d"), None).validator(),
            Some("d")
        );
        assert_eq!(meta("u", Some("W/\"a\""), None, None).validator(), None);
    }

    #[test]
    fn part_paths_append_suffixes() {
        let (p, m) = part_paths(Path::new("/c/docker-1.12.6.tgz"));
        assert_eq!(p, Path::new("/c/docker-1.12.6.tgz.part"));
        assert_eq!(m, Path::new("/c/docker-1.12.6.tgz.part.meta"));
    }

    #[test]
    fn resumable_only_for_same_url_with_validator() {
        let dir = tempfile::tempdir().unwrap();
        let (part, meta_path) = part_paths(&dir.path().join("f"));
        fs::write(&part, b"12345").unwrap();
        write_meta(
            &meta_path,
            &meta("http://x/f", Some("\"e\""), None, Some(10)),
        )
        .unwrap();
        assert_eq!(
            find_resumable(&part, &meta_path, "http://x/f")
                .unwrap()
                .offset,
            5
        );
        assert!(find_resumable(&part, &meta_path, "http://x/g").is_none());
        write_meta(&meta_path, &meta("http://x/f", None, None, Some(10))).unwrap();
        assert!(find_resumable(&part, &meta_path, "http://x/f").is_none());
        // A part as long as the whole file is confirmed by asking for its last byte; a longer
        // one cannot be resumed.
        write_meta(
            &meta_path,
            &meta("http://x/f", Some("\"e\""), None, Some(5)),
        )
        .unwrap();
        assert_eq!(
            find_resumable(&part, &meta_path, "http://x/f")
                .unwrap()
                .offset,
            4
        );
        write_meta(
            &meta_path,
            &meta("http://x/f", Some("\"e\""), None, Some(4)),
        )
        .unwrap();
        assert!(find_resumable(&part, &meta_path, "http://x/f").is_none());
        fs::write(&meta_path, b"{not json").unwrap();
        assert!(find_resumable(&part, &meta_path, "http://x/f").is_none());
    }
}
