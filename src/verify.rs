//! Checksum sources: published .sha256 files, the embedded legacy table, repodata, trust on
//! first use, pins. This module holds the data and the comparisons; hashing happens while
//! downloading (fetch) and extracting (archive).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{Error, IoContext, Result};
use crate::version::DockerVersion;

const LEGACY_TSV: &str = include_str!("../data/legacy-builds-sha256.tsv");

/// One row of the embedded table: the official URL of a legacy build and its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyBuild {
    pub version: DockerVersion,
    pub url: String,
    pub sha256: String,
}

/// The embedded table of legacy builds (data/legacy-builds-sha256.tsv), parsed once.
pub fn legacy_table() -> &'static [LegacyBuild] {
    static TABLE: OnceLock<Vec<LegacyBuild>> = OnceLock::new();
    TABLE.get_or_init(|| parse_legacy_tsv(LEGACY_TSV))
}

/// Rows that do not parse are left out (a unit test pins the row count of the embedded file).
fn parse_legacy_tsv(text: &str) -> Vec<LegacyBuild> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let version = DockerVersion::parse(cols.next()?).ok()?;
            let url = cols.next()?.trim();
            let sha256 = valid_sha256(cols.next()?.trim())?;
            url.starts_with("https://").then(|| LegacyBuild {
                version,
                url: url.to_string(),
                sha256,
            })
        })
        .collect()
}

/// 64 hex digits, lowercased; `None` otherwise.
pub fn valid_sha256(hex: &str) -> Option<String> {
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// The digest in a `.sha256` file: `<hex>  <name>`, `<hex> *<name>` or bare `<hex>`.
/// Anything else is a network-kind error, not an integrity one: a file that holds no checksum
/// (a login page, an error page) vouches for nothing and contradicts nothing.
pub fn parse_sha256_file(text: &str) -> Result<String> {
    let first = text
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .next()
        .unwrap_or("");
    valid_sha256(first).ok_or_else(|| {
        let shown: String = text.chars().take(80).collect();
        Error::network(format!(
            "not a sha256 checksum file (expected 64 hex digits, got '{}')",
            shown.escape_default()
        ))
        .with_hint(
            "the server answered with something else (an error or login page?); check the \
             network and the mirror, then retry",
        )
    })
}

/// How an installed client was verified; recorded in manifests and shown by `dvm ls --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifiedBy {
    /// A sha256 Docker published (`.sha256` sibling and/or dvm's embedded table).
    PublishedSha256,
    /// The checksum in the repository's primary.xml.
    Repodata,
    /// The digests inside the RPM itself (header and payload).
    RpmDigests,
    /// Nothing published: the digest seen the first time, remembered since.
    Tofu,
    /// A digest the user gave (`--sha256`).
    Pinned,
}

impl VerifiedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifiedBy::PublishedSha256 => "published-sha256",
            VerifiedBy::Repodata => "repodata",
            VerifiedBy::RpmDigests => "rpm-digests",
            VerifiedBy::Tofu => "tofu",
            VerifiedBy::Pinned => "pinned",
        }
    }
}

impl std::fmt::Display for VerifiedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fails with an integrity error naming what was expected, what arrived, and from where.
/// `what` says whose word the expectation is, e.g. "sha256 published at <url>.sha256".
pub fn check_digest(expected_hex: &str, actual_hex: &str, what: &str, url: &str) -> Result<()> {
    if !expected_hex.is_empty() && expected_hex.trim().eq_ignore_ascii_case(actual_hex.trim()) {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "{url} does not match the {what}: expected {expected_hex}, got {actual_hex}"
    ))
    .with_hint(
        "the file is corrupt or was tampered with; nothing was installed and the download was \
         discarded. Retry; if it persists, check your mirror",
    ))
}

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
                        crate::error::ErrorKind::Io,
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
        crate::store::write_atomic(&self.path, text.as_bytes())
    }

    fn lock(&self) -> Result<std::fs::File> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_path("create", dir)?;
        crate::store::lock_file(&dir.join(".lock"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_completely() {
        let table = legacy_table();
        assert_eq!(table.len(), 70);
        assert!(table.iter().any(|b| b.version.to_string() == "1.12.6"
            && b.url == "https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"));
        // Paths below the host never repeat, so the path alone identifies an entry.
        let mut paths: Vec<&str> = table
            .iter()
            .filter_map(|b| b.url.splitn(4, '/').nth(3))
            .collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 70);
    }

    #[test]
    fn bad_rows_are_left_out() {
        let tsv = "version\turl\tsha256\n1.0.0\thttps://x/a\tzz\nnope\thttps://x/b\t{}\n1.0.1\thttps://x/c\t{}\n"
            .replace("{}", &"a".repeat(64));
        let rows = parse_legacy_tsv(&tsv);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].url, "https://x/c");
    }
}
