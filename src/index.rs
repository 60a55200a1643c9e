//! ls-remote: listings from autoindex pages, yum repodata and the embedded legacy table, cached with a TTL.
//!
//! Every listing document (autoindex page, repomd.xml, primary.xml) is cached as one file under
//! the cache folder, named after its URL; the file's mtime is its fetch time. A 404 is cached
//! too (as an empty `.absent` marker), so a warm `ls-remote` makes no request at all, even
//! when a repository is gone. primary.xml files are content-addressed by repomd.xml's checksum:
//! a cached copy that matches is used at any age.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha1::Digest as _;

use crate::error::{Error, ErrorKind, Result};
use crate::sources::{
    self, Channel, DigestAlgo, Distro, Expected, Hosts, Http, Platform, SourceKind,
};
use crate::version::DockerVersion;

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

    fn read_cached(path: &Path) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    fn offline_miss(url: &str) -> Error {
        Error::network(format!("offline, and {url} has never been fetched"))
            .with_hint("run the command once without --offline to fill the listing cache")
    }

    fn store(&self, url: &str, found: Option<&[u8]>) -> Result<()> {
        let (data, marker) = (self.file_for(url), self.marker_for(url));
        match found {
            Some(bytes) => {
                crate::store::write_atomic(&data, bytes)?;
                remove_if_present(&marker)
            }
            None => {
                crate::store::write_atomic(&marker, b"")?;
                remove_if_present(&data)
            }
        }
    }

    /// A listing document, from the cache while it is fresh, else from `http`.
    /// `Ok(None)`: the server says it does not exist (404/403/410).
    /// When the network fails and an expired copy exists, the expired copy is used
    /// (except with `refresh`).
    pub fn fetch(&self, http: &dyn Http, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let (data, marker) = (self.file_for(url), self.marker_for(url));
        if self.offline {
            if let Some(bytes) = Self::read_cached(&data)? {
                return Ok(Some(bytes));
            }
            if marker.exists() {
                return Ok(None);
            }
            return Err(Self::offline_miss(url));
        }
        if !self.refresh {
            if self.fresh(&data)
                && let Some(bytes) = Self::read_cached(&data)?
            {
                return Ok(Some(bytes));
            }
            if self.fresh(&marker) {
                return Ok(None);
            }
        }
        match http.get_bytes(url, limit) {
            Ok(found) => {
                self.store(url, found.as_deref())?;
                Ok(found)
            }
            Err(e) if e.kind() == ErrorKind::Network && !self.refresh => {
                match Self::read_cached(&data)? {
                    Some(stale) => Ok(Some(stale)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// A document whose digest is known in advance (primary.xml named by repomd.xml): a cached
    /// copy with that digest is used at any age; a download with another digest is an
    /// integrity error and is not cached.
    pub fn fetch_verified(
        &self,
        http: &dyn Http,
        url: &str,
        limit: u64,
        algo: DigestAlgo,
        hex: &str,
    ) -> Result<Option<Vec<u8>>> {
        let data = self.file_for(url);
        if let Some(bytes) = Self::read_cached(&data)?
            && digest(algo, &bytes).eq_ignore_ascii_case(hex)
        {
            return Ok(Some(bytes));
        }
        if self.offline {
            return Err(Self::offline_miss(url));
        }
        let Some(bytes) = http.get_bytes(url, limit)? else {
            return Ok(None);
        };
        let actual = digest(algo, &bytes);
        crate::verify::check_digest(hex, &actual, &format!("{algo} named in repomd.xml"), url)?;
        self.store(url, Some(&bytes))?;
        Ok(Some(bytes))
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

fn digest(algo: DigestAlgo, bytes: &[u8]) -> String {
    match algo {
        DigestAlgo::Sha1 => hex::encode(sha1::Sha1::digest(bytes)),
        DigestAlgo::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
    }
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Only this source.
    pub source: Option<SourceKind>,
    /// Default: stable.
    pub channel: Option<Channel>,
    /// Repository for yum/rpm (default centos/7 for yum, centos/7 and centos/9 for rpm).
    pub distro: Option<Distro>,
    pub platform: Platform,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub version: DockerVersion,
    pub source: SourceKind,
    pub channel: Channel,
    pub url: String,
    /// A published or repodata sha256, when there is one.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RemoteListing {
    /// Oldest first; one entry per version and source, sources in dvm's preference order.
    pub entries: Vec<RemoteEntry>,
    /// Sources that could not be read (`<source>: <reason>`); the others are still listed.
    pub skipped: Vec<String>,
}

/// The union of what every source lists for `query`. A source that fails is noted in
/// `skipped`; it is an error when every networked source fails (or the one forced with
/// `source`), and always for an integrity failure.
pub fn list_remote(
    http: &dyn Http,
    hosts: &Hosts,
    query: &ListQuery,
    cache: &ListingCache,
) -> Result<RemoteListing> {
    let channel = query.channel.unwrap_or(Channel::Stable);
    let wanted: Vec<SourceKind> = match query.source {
        Some(s) => vec![s],
        None => SourceKind::ALL.to_vec(),
    };
    let mut listing = RemoteListing::default();
    let mut first_error = None;
    let mut any_ok = false;
    for source in wanted {
        let read = sources::list_source(
            http,
            hosts,
            source,
            channel,
            query.distro.as_ref(),
            query.platform,
            cache,
        );
        match read {
            Ok(artifacts) => {
                // The embedded legacy table cannot fail, so it does not count as a source read.
                any_ok |= source != SourceKind::Legacy;
                listing
                    .entries
                    .extend(artifacts.into_iter().map(|a| RemoteEntry {
                        sha256: match &a.expected {
                            Expected::Published { sha256, .. } => Some(sha256.clone()),
                            Expected::Repodata {
                                algo: DigestAlgo::Sha256,
                                hex,
                            } => Some(hex.clone()),
                            _ => None,
                        },
                        version: a.version,
                        source: a.source,
                        channel: a.channel,
                        url: a.url,
                    }));
            }
            Err(e) if e.kind() == ErrorKind::Integrity => return Err(e),
            Err(e) => {
                listing.skipped.push(format!("{source}: {}", e.message()));
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error
        && !any_ok
    {
        return Err(e);
    }
    let rank = |s: SourceKind| {
        SourceKind::ALL
            .iter()
            .position(|x| *x == s)
            .unwrap_or(usize::MAX)
    };
    listing.entries.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then_with(|| rank(a.source).cmp(&rank(b.source)))
    });
    listing
        .entries
        .dedup_by(|a, b| a.version == b.version && a.source == b.source);
    Ok(listing)
}
