//! The listing cache: every listing document (autoindex page, repomd.xml, primary.xml, a legacy `.sha256`) is
//! cached as one file under the cache folder, named after its URL, but only once its parser
//! accepted it: a login page served with status 200 must not stand in for a listing for a day.
//! The file's mtime is its fetch time. A 404 is cached
//! too (as an empty `.absent` marker), so a warm `ls-remote` makes no request at all, even
//! when a repository is gone. primary.xml files are content-addressed by repomd.xml's checksum:
//! a cached copy that matches is used at any age.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha1::Digest as _;

use super::Http;
use crate::digest::{DigestAlgo, check_digest, digest};
use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone)]
pub struct ListingCache {
    pub dir: PathBuf,
    pub ttl: Duration,
    /// Refetch whatever the age.
    pub refresh: bool,
    /// Never fetch: use the cache whatever its age, and fail clearly when it has nothing.
    pub offline: bool,
}

impl ListingCache {
    /// The cache file for `url`: a readable, sanitized form of the URL plus a hash of it.
    pub fn file_for(&self, url: &str) -> PathBuf {
        let readable: String = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(120)
            .collect();
        let hash = hex::encode(sha2::Sha256::digest(url.as_bytes()));
        self.dir
            .join(format!("{readable}-{}", hash.get(..16).unwrap_or(&hash)))
    }

    fn marker_for(&self, url: &str) -> PathBuf {
        let mut p = self.file_for(url).into_os_string();
        p.push(".absent");
        PathBuf::from(p)
    }

    fn fresh(&self, path: &Path) -> bool {
        let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
            return false;
        };
        // A fetch time in the future (clock changes) counts as stale.
        SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age < self.ttl)
    }

    /// The cached copy at `path`, parsed. A copy that no longer parses (a login page cached
    /// by an older dvm, a damaged file) is removed, so it cannot block later runs.
    fn cached<T>(path: &Path, url: &str, parse: &impl Fn(&[u8]) -> Result<T>) -> Result<Cached<T>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cached::Miss),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        match parse(&bytes) {
            Ok(parsed) => Ok(Cached::Hit(parsed)),
            Err(e) => {
                remove_if_present(path)?;
                Ok(Cached::Discarded(e.context(format!(
                    "the cached copy of {url} was unreadable and has been removed"
                ))))
            }
        }
    }

    fn offline_miss(url: &str) -> Error {
        Error::network(format!("offline, and {url} has never been fetched"))
            .with_hint("run the command once without --offline to fill the listing cache")
    }

    fn offline_discarded(e: Error) -> Error {
        e.with_hint("run the command once without --offline to fetch it again")
    }

    fn store(&self, url: &str, found: Option<&[u8]>) -> Result<()> {
        let (data, marker) = (self.file_for(url), self.marker_for(url));
        match found {
            Some(bytes) => {
                crate::fsutil::write_atomic(&data, bytes)?;
                remove_if_present(&marker)
            }
            None => {
                crate::fsutil::write_atomic(&marker, b"")?;
                remove_if_present(&data)
            }
        }
    }

    /// A listing document, parsed by `parse`: from the cache while it is fresh, else from
    /// `http`. `Ok(None)`: the server says it does not exist (404/403/410).
    ///
    /// Only a document `parse` accepts is ever cached: a login page or an error page served
    /// with status 200 fails once, and the next run asks again. When the network fails (or
    /// answers with something that does not parse) and an expired copy exists, the expired
    /// copy is used (except with `refresh`).
    pub fn fetch<T>(
        &self,
        http: &dyn Http,
        url: &str,
        limit: u64,
        parse: impl Fn(&[u8]) -> Result<T>,
    ) -> Result<Option<T>> {
        let (data, marker) = (self.file_for(url), self.marker_for(url));
        if self.offline {
            return match Self::cached(&data, url, &parse)? {
                Cached::Hit(parsed) => Ok(Some(parsed)),
                Cached::Discarded(e) => Err(Self::offline_discarded(e)),
                Cached::Miss if marker.exists() => Ok(None),
                Cached::Miss => Err(Self::offline_miss(url)),
            };
        }
        if !self.refresh {
            // A fresh copy that no longer parses is removed and fetched again below.
            if self.fresh(&data)
                && let Cached::Hit(parsed) = Self::cached(&data, url, &parse)?
            {
                return Ok(Some(parsed));
            }
            if self.fresh(&marker) {
                return Ok(None);
            }
        }
        let failure = match http.get_bytes(url, limit) {
            Ok(None) => {
                self.store(url, None)?;
                return Ok(None);
            }
            Ok(Some(bytes)) => match parse(&bytes) {
                Ok(parsed) => {
                    self.store(url, Some(&bytes))?;
                    return Ok(Some(parsed));
                }
                Err(e) => not_kept(e, &bytes),
            },
            Err(e) => e,
        };
        if failure.kind() == ErrorKind::Network
            && !self.refresh
            && let Cached::Hit(stale) = Self::cached(&data, url, &parse)?
        {
            return Ok(Some(stale));
        }
        Err(failure)
    }

    /// A document whose digest is known in advance (primary.xml named by repomd.xml): a cached
    /// copy with that digest is used at any age; a download with another digest is an
    /// integrity error and is not cached, nor is one `parse` refuses.
    pub fn fetch_verified<T>(
        &self,
        http: &dyn Http,
        url: &str,
        limit: u64,
        algo: DigestAlgo,
        hex: &str,
        parse: impl Fn(&[u8]) -> Result<T>,
    ) -> Result<Option<T>> {
        let data = self.file_for(url);
        // A copy of another revision is no error: it is replaced below.
        let this_revision = |bytes: &[u8]| {
            digest(algo, bytes)
                .eq_ignore_ascii_case(hex)
                .then(|| parse(bytes))
                .transpose()
        };
        match Self::cached(&data, url, &this_revision)? {
            Cached::Hit(Some(parsed)) => return Ok(Some(parsed)),
            Cached::Discarded(e) if self.offline => return Err(Self::offline_discarded(e)),
            _ if self.offline => return Err(Self::offline_miss(url)),
            _ => {}
        }
        let Some(bytes) = http.get_bytes(url, limit)? else {
            return Ok(None);
        };
        let actual = digest(algo, &bytes);
        check_digest(hex, &actual, &format!("{algo} named in repomd.xml"), url)?;
        let parsed = parse(&bytes).map_err(|e| not_kept(e, &bytes))?;
        self.store(url, Some(&bytes))?;
        Ok(Some(parsed))
    }
}

/// What the cache holds for a URL.
enum Cached<T> {
    Hit(T),
    Miss,
    /// There was a copy, but it did not parse; it has been removed.
    Discarded(Error),
}

/// A downloaded document that did not parse: say it was not cached, and when it is an HTML
/// page, that a proxy login or captive portal is the likely cause.
fn not_kept(e: Error, bytes: &[u8]) -> Error {
    let advice = if looks_like_html(bytes) {
        "the server answered with an HTML page (a proxy login or captive portal?): log in or \
         check the mirror, then retry"
            .to_string()
    } else {
        e.hint()
            .unwrap_or("the server sent something else; check the mirror or retry later")
            .to_string()
    };
    e.with_hint(format!(
        "{advice}. This answer was not cached, so the next run asks again"
    ))
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let start: Vec<u8> = bytes
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}
