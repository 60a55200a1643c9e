//! Where Docker's clients can be downloaded: one module per source, plus mirrors and selection.
//!
//! Four sources, tried in this order on Linux:
//! 1. `static`: `download.docker.com/{linux|mac|win}/static/{channel}/{arch}/docker-{v}.tgz`
//!    (17.03.0-ce onwards; an autoindex page lists them; nothing is published to verify them,
//!    so they are trusted on first use).
//! 2. `legacy`: `get.docker.com/builds/{OS}/{arch}/docker-{v}[.tgz]` (1.x to 17.05.0-ce;
//!    prereleases on `test.docker.com`; no listing; `.sha256` siblings plus an embedded table).
//! 3. `yum`: docker-engine RPMs on `yum.dockerproject.org` (1.x to 17.05), found via repodata.
//! 4. `rpm`: docker-ce / docker-ce-cli RPMs on `download.docker.com/linux/{distro}/...`
//!    (17.03 onwards), found via repodata.
//!
//! macOS and Windows only have `static` and `legacy`.

pub mod autoindex;
mod cache;
mod catalog;
pub mod docker_ce;
mod hosts;
pub mod legacy;
mod legacy_table;
mod listing;
mod location;
pub mod repodata;
pub mod static_builds;
mod static_table;
pub mod yum;

use std::fmt;
use std::str::FromStr;

pub use cache::ListingCache;
pub use catalog::{Catalog, Query, Resolution, confirm_expected};
pub use hosts::{Hosts, SourceOverrides};
pub use legacy_table::{LegacyBuild, legacy_table};
pub use listing::{ListQuery, RemoteEntry, RemoteListing};

pub use crate::digest::DigestAlgo;
use crate::error::{Error, Result};
pub use crate::platform::{Arch, Os, Platform};
use crate::select::version::{DockerVersion, VersionSpec};

/// The one network call sources need. `Ok(None)` means the server said 404/403/410.
/// Implemented by [`crate::http::Fetcher`]; tests implement it over an in-memory map.
pub trait Http {
    fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>>;
}

impl Http for crate::http::Fetcher {
    fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        crate::http::Fetcher::get_bytes(self, url, limit)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    Legacy,
    Static,
    Yum,
    Rpm,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [
        SourceKind::Static,
        SourceKind::Legacy,
        SourceKind::Yum,
        SourceKind::Rpm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Legacy => "legacy",
            SourceKind::Static => "static",
            SourceKind::Yum => "yum",
            SourceKind::Rpm => "rpm",
        }
    }

    /// Whether this source ever carried `v` (by Docker's release history, not by asking).
    fn covers(self, v: &DockerVersion) -> bool {
        match self {
            SourceKind::Legacy | SourceKind::Yum => !is_after_17_05(v),
            SourceKind::Static | SourceKind::Rpm => is_17_03_or_later(v),
        }
    }

    /// Whether any release matching `spec` can be on this source.
    /// Whether this source publishes `channel`: edge was only ever on download.docker.com.
    pub fn has_channel(self, channel: Channel) -> bool {
        channel != Channel::Edge || matches!(self, SourceKind::Static | SourceKind::Rpm)
    }

    fn may_match(self, spec: &VersionSpec) -> bool {
        match spec {
            VersionSpec::Exact(v) => self.covers(v),
            VersionSpec::Partial { major, minor } => {
                let old = *major < 17 || (*major == 17 && minor.is_none_or(|m| m <= 5));
                let new = *major > 17 || (*major == 17 && minor.is_none_or(|m| m >= 3));
                match self {
                    SourceKind::Legacy | SourceKind::Yum => old,
                    SourceKind::Static | SourceKind::Rpm => new,
                }
            }
            VersionSpec::Latest => matches!(self, SourceKind::Static | SourceKind::Rpm),
            VersionSpec::System | VersionSpec::Alias(_) | VersionSpec::Auto => false,
        }
    }
}

pub(crate) fn is_17_03_or_later(v: &DockerVersion) -> bool {
    (v.major, v.minor) >= (17, 3)
}

fn is_after_17_05(v: &DockerVersion) -> bool {
    (v.major, v.minor) > (17, 5)
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(SourceKind::Legacy),
            "static" => Ok(SourceKind::Static),
            "yum" => Ok(SourceKind::Yum),
            "rpm" => Ok(SourceKind::Rpm),
            _ => Err(
                Error::usage(format!("unknown source '{}'", s.escape_default()))
                    .with_hint("use one of: static, legacy, yum, rpm"),
            ),
        }
    }
}

/// Docker's release channels. `edge` held the monthly `YY.MM.0-ce` releases of 2017-2018
/// (static builds and docker-ce RPMs only); `test` holds prereleases, and a few releases that
/// never reached stable (17.10.0-ce).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Stable,
    Test,
    Edge,
}

impl Channel {
    /// The channel a request reads: the one asked for, else test for a spec naming a
    /// prerelease (`23.0.0-rc.1`), else stable. `dvm install` and `dvm ls-remote` share it.
    pub fn for_request(asked: Option<Channel>, spec: Option<&VersionSpec>) -> Channel {
        asked.unwrap_or(if spec.is_some_and(VersionSpec::wants_prerelease) {
            Channel::Test
        } else {
            Channel::Stable
        })
    }

    /// Where else an exact or partial spec is looked for when the stable channel lacks it:
    /// test first, then edge. Only for 17.x and 18.x (the years of the monthly edge releases,
    /// which are the stable-named builds missing from stable: 17.10.0-ce), only when no channel
    /// was asked for, and only for a spec naming no prerelease; a partial spec takes no
    /// prerelease from them.
    pub fn fallbacks(asked: Option<Channel>, spec: &VersionSpec) -> &'static [Channel] {
        let major = match spec {
            VersionSpec::Exact(v) if !v.is_prerelease() => v.major,
            VersionSpec::Partial { major, .. } => *major,
            _ => return &[],
        };
        if asked.is_none() && (17..=18).contains(&major) {
            &[Channel::Test, Channel::Edge]
        } else {
            &[]
        }
    }

    /// Whether asking for this channel is asking for prereleases (see
    /// [`VersionSpec::selects`](crate::select::version::VersionSpec::selects)).
    pub fn offers_prereleases(self) -> bool {
        self == Channel::Test
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Test => "test",
            Channel::Edge => "edge",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "stable" => Ok(Channel::Stable),
            "test" => Ok(Channel::Test),
            "edge" => Ok(Channel::Edge),
            _ => Err(
                Error::usage(format!("unknown channel '{}'", s.escape_default()))
                    .with_hint("use 'stable', 'test' (prereleases) or 'edge' (2017-2018)"),
            ),
        }
    }
}

/// A distribution repository: `centos/7`, `fedora/24`, `rhel/8`, `oraclelinux/7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Distro {
    pub name: String,
    pub release: u32,
}

impl Distro {
    pub fn new(name: &str, release: u32) -> Self {
        Distro {
            name: name.to_string(),
            release,
        }
    }
}

impl fmt::Display for Distro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.name, self.release)
    }
}

impl FromStr for Distro {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::usage(format!("'{}' is not a distribution", s.escape_default()))
                .with_hint("write NAME/RELEASE, e.g. centos/7 or fedora/24")
        };
        let (name, release) = s.trim().split_once('/').ok_or_else(bad)?;
        let name_ok = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let release_ok = !release.is_empty()
            && release.len() <= 4
            && release.bytes().all(|b| b.is_ascii_digit());
        if !name_ok || !release_ok {
            return Err(bad());
        }
        let release = release.parse().map_err(|_| bad())?;
        Ok(Distro {
            name: name.to_string(),
            release,
        })
    }
}

/// What an artifact must hash to, and on whose word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A published sha256: `evidence` names each place it came from (URLs, the embedded table).
    Published {
        sha256: String,
        evidence: Vec<String>,
    },
    /// The checksum in the repository's primary.xml (lowercase hex); `signed_by` signed the
    /// repomd.xml that vouches for that primary.xml (`repomd.xml.asc`), when there is one.
    Repodata {
        algo: DigestAlgo,
        hex: String,
        signed_by: Option<crate::openpgp::SignedBy>,
    },
    /// Checksums an independent party recorded for the file (two when it was republished;
    /// either passes); `origin` says where they were first seen.
    ThirdParty {
        sha256s: Vec<String>,
        origin: String,
    },
    /// Nothing published: trust on first use.
    Tofu,
}

impl Expected {
    /// Whether a file hashing to `sha256` is ruled out by a published sha256 (a repodata
    /// checksum of another algorithm, or nothing published, rules nothing out).
    pub fn contradicts(&self, sha256: &str) -> bool {
        let published: &[String] = match self {
            Expected::Published { sha256, .. } => std::slice::from_ref(sha256),
            Expected::Repodata {
                algo: DigestAlgo::Sha256,
                hex,
                ..
            } => std::slice::from_ref(hex),
            Expected::ThirdParty { sha256s, .. } => sha256s,
            Expected::Repodata { .. } | Expected::Tofu => return false,
        };
        !published.iter().any(|p| p.eq_ignore_ascii_case(sha256))
    }
}

/// One downloadable file that should hold the client for `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub version: DockerVersion,
    pub source: SourceKind,
    pub channel: Channel,
    pub url: String,
    /// `url` below its source base (see [`Hosts::source_path`]): the same on every mirror.
    pub path: String,
    pub expected: Expected,
    /// The size repodata announced, if any.
    pub size: Option<u64>,
}

/// A relative location from a listing, safe to append to a base URL.
pub(crate) fn safe_relative(href: &str) -> bool {
    !href.is_empty()
        && !href.starts_with('/')
        && !href.contains("://")
        && !href.contains(['?', '#', '\\', ' ', '\t', '\n', '\r'])
        && href
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}
