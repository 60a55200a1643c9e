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
pub mod docker_ce;
pub mod legacy;
pub mod repodata;
pub mod static_builds;
pub mod yum;

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};
use crate::index::ListingCache;
use crate::version::{DockerVersion, Edition, VersionSpec};

/// The one network call sources need. `Ok(None)` means the server said 404/403/410.
/// Implemented by [`crate::fetch::Fetcher`]; tests implement it over an in-memory map.
pub trait Http {
    fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>>;
}

impl Http for crate::fetch::Fetcher {
    fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        crate::fetch::Fetcher::get_bytes(self, url, limit)
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
            VersionSpec::System | VersionSpec::Alias(_) => false,
        }
    }
}

fn is_17_03_or_later(v: &DockerVersion) -> bool {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Stable,
    Test,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Test => "test",
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
            _ => Err(
                Error::usage(format!("unknown channel '{}'", s.escape_default()))
                    .with_hint("use 'stable' or 'test'"),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    Linux,
    Mac,
    Windows,
}

impl Os {
    /// The folder name under `get.docker.com/builds/`.
    pub fn legacy_dir(self) -> &'static str {
        match self {
            Os::Linux => "Linux",
            Os::Mac => "Darwin",
            Os::Windows => "Windows",
        }
    }

    /// The folder name under `download.docker.com/`.
    pub fn static_dir(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Mac => "mac",
            Os::Windows => "win",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Os::Linux => "linux",
            Os::Mac => "mac",
            Os::Windows => "windows",
        })
    }
}

impl FromStr for Os {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linux" => Ok(Os::Linux),
            "mac" | "macos" | "darwin" | "osx" => Ok(Os::Mac),
            "windows" | "win" => Ok(Os::Windows),
            _ => Err(Error::usage(format!("unknown OS '{}'", s.escape_default()))
                .with_hint("use linux, mac or windows")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    I386,
    Armel,
    Armhf,
    Aarch64,
    Ppc64le,
    S390x,
}

impl Arch {
    /// Docker's folder name for this architecture (the same on legacy, static and RPM hosts).
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I386 => "i386",
            Arch::Armel => "armel",
            Arch::Armhf => "armhf",
            Arch::Aarch64 => "aarch64",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Arch {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x64" => Ok(Arch::X86_64),
            "i386" | "i686" | "386" | "x86" => Ok(Arch::I386),
            "armel" | "armv6" | "arm" => Ok(Arch::Armel),
            "armhf" | "armv7" | "armv7l" => Ok(Arch::Armhf),
            "aarch64" | "arm64" => Ok(Arch::Aarch64),
            "ppc64le" => Ok(Arch::Ppc64le),
            "s390x" => Ok(Arch::S390x),
            _ => Err(
                Error::usage(format!("unknown architecture '{}'", s.escape_default()))
                    .with_hint("use x86_64, i386, armel, armhf, aarch64, ppc64le or s390x"),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
}

impl Platform {
    pub fn new(os: Os, arch: Arch) -> Self {
        Platform { os, arch }
    }

    /// The platform dvm was built for.
    pub fn current() -> Result<Platform> {
        let os = if cfg!(target_os = "linux") {
            Os::Linux
        } else if cfg!(target_os = "macos") {
            Os::Mac
        } else if cfg!(windows) {
            Os::Windows
        } else {
            return Err(unsupported_platform("this operating system"));
        };
        let arch = if cfg!(target_arch = "x86_64") {
            Arch::X86_64
        } else if cfg!(target_arch = "x86") {
            Arch::I386
        } else if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(target_arch = "arm") {
            Arch::Armhf
        } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
            Arch::Ppc64le
        } else if cfg!(target_arch = "s390x") {
            Arch::S390x
        } else {
            return Err(unsupported_platform("this architecture"));
        };
        Ok(Platform { os, arch })
    }
}

fn unsupported_platform(what: &str) -> Error {
    Error::not_found(format!("Docker never published clients for {what}"))
        .with_hint("install a client by hand and use `dvm use system`")
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

/// `linux/x86_64`, `mac/arm64`, `windows/amd64`.
impl FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (os, arch) = s.split_once('/').ok_or_else(|| {
            Error::usage(format!("'{}' is not a platform", s.escape_default()))
                .with_hint("write OS/ARCH, e.g. linux/x86_64")
        })?;
        Ok(Platform {
            os: os.parse()?,
            arch: arch.parse()?,
        })
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

/// Per-source base URLs replacing `https://<host>` (DVM_LEGACY_URL, DVM_STATIC_URL,
/// DVM_YUM_URL, DVM_RPM_URL). `legacy` replaces both get.docker.com and test.docker.com:
/// their file names never collide (test only holds prereleases), so one mirror tree holds both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOverrides {
    pub legacy: Option<String>,
    pub static_builds: Option<String>,
    pub yum: Option<String>,
    pub rpm: Option<String>,
}

/// The base URL of each source, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    pub legacy: String,
    pub legacy_test: String,
    pub static_builds: String,
    pub yum: String,
    pub docker_ce: String,
}

const OFFICIAL_LEGACY: &str = "https://get.docker.com";
const OFFICIAL_LEGACY_TEST: &str = "https://test.docker.com";
const OFFICIAL_DOWNLOAD: &str = "https://download.docker.com";
const OFFICIAL_YUM: &str = "https://yum.dockerproject.org";

impl Hosts {
    pub fn official() -> Self {
        Hosts {
            legacy: OFFICIAL_LEGACY.into(),
            legacy_test: OFFICIAL_LEGACY_TEST.into(),
            static_builds: OFFICIAL_DOWNLOAD.into(),
            yum: OFFICIAL_YUM.into(),
            docker_ce: OFFICIAL_DOWNLOAD.into(),
        }
    }

    /// `mirror` (DVM_MIRROR) maps every host to `<mirror>/<host>`; a per-source override then
    /// replaces that source's base entirely.
    pub fn new(mirror: Option<&str>, overrides: &SourceOverrides) -> Result<Self> {
        let mut hosts = Hosts::official();
        if let Some(m) = mirror {
            let m = clean_base(m, "DVM_MIRROR")?;
            let under = |official: &str| {
                let host = official.trim_start_matches("https://");
                format!("{m}/{host}")
            };
            hosts = Hosts {
                legacy: under(OFFICIAL_LEGACY),
                legacy_test: under(OFFICIAL_LEGACY_TEST),
                static_builds: under(OFFICIAL_DOWNLOAD),
                yum: under(OFFICIAL_YUM),
                docker_ce: under(OFFICIAL_DOWNLOAD),
            };
        }
        if let Some(b) = &overrides.legacy {
            let b = clean_base(b, "DVM_LEGACY_URL")?;
            hosts.legacy = b.clone();
            hosts.legacy_test = b;
        }
        if let Some(b) = &overrides.static_builds {
            hosts.static_builds = clean_base(b, "DVM_STATIC_URL")?;
        }
        if let Some(b) = &overrides.yum {
            hosts.yum = clean_base(b, "DVM_YUM_URL")?;
        }
        if let Some(b) = &overrides.rpm {
            hosts.docker_ce = clean_base(b, "DVM_RPM_URL")?;
        }
        Ok(hosts)
    }

    fn bases(&self) -> [&str; 5] {
        [
            &self.legacy,
            &self.legacy_test,
            &self.static_builds,
            &self.yum,
            &self.docker_ce,
        ]
    }

    /// The bases the user configured (mirror or overrides), for which plain http is allowed.
    pub fn configured_prefixes(&self) -> Vec<String> {
        let official = Hosts::official();
        let mut out: Vec<String> = Vec::new();
        for (mine, theirs) in self.bases().into_iter().zip(official.bases()) {
            if mine != theirs && !out.iter().any(|o| o == mine) {
                out.push(mine.to_string());
            }
        }
        out
    }

    /// The path of `url` below whichever source base (configured or official) it lives under:
    /// `https://mirror/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz` ->
    /// `builds/Linux/x86_64/docker-1.12.6.tgz`. `None` for URLs on no known base (and for
    /// anything that is not a URL, such as a local file). The longest matching base wins.
    pub fn source_path(&self, url: &str) -> Option<String> {
        let official = Hosts::official();
        let mut best: Option<&str> = None;
        for base in self.bases().into_iter().chain(official.bases()) {
            if let Some(rest) = url.strip_prefix(base).and_then(|r| r.strip_prefix('/'))
                && best.is_none_or(|b| b.len() < base.len())
                && !rest.is_empty()
            {
                best = Some(base);
            }
        }
        let base = best?;
        let rest = url.get(base.len() + 1..)?;
        if rest.contains(['?', '#']) || rest.split('/').any(|s| s == ".." || s.is_empty()) {
            return None;
        }
        Some(rest.to_string())
    }

    /// The key trust-on-first-use records are filed under: the source path when the URL is on
    /// a known base (so a mirror and the official host share trust), else the URL itself.
    pub fn trust_key(&self, url: &str) -> String {
        self.source_path(url).unwrap_or_else(|| url.to_string())
    }
}

fn clean_base(base: &str, what: &str) -> Result<String> {
    let b = base.trim().trim_end_matches('/');
    let scheme_ok = b.starts_with("https://") || b.starts_with("http://");
    let host_ok = b
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    if !scheme_ok || !host_ok || b.contains(['?', '#', ' ', '\t', '\n']) {
        return Err(Error::config(format!(
            "{what} must be an http(s) base URL, got '{}'",
            base.escape_default()
        ))
        .with_hint(format!(
            "set {what} to something like https://mirror.example.com/docker"
        )));
    }
    Ok(b.to_string())
}

/// Which digest algorithm a repodata checksum uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgo {
    Sha1,
    Sha256,
}

impl DigestAlgo {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgo::Sha1 => "sha1",
            DigestAlgo::Sha256 => "sha256",
        }
    }
}

impl fmt::Display for DigestAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// The checksum in the repository's primary.xml (lowercase hex).
    Repodata { algo: DigestAlgo, hex: String },
    /// Nothing published: trust on first use.
    Tofu,
}

impl Expected {
    pub fn verified_by(&self) -> crate::verify::VerifiedBy {
        use crate::verify::VerifiedBy;
        match self {
            Expected::Published { .. } => VerifiedBy::PublishedSha256,
            Expected::Repodata { .. } => VerifiedBy::Repodata,
            Expected::Tofu => VerifiedBy::Tofu,
        }
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

#[derive(Debug, Clone)]
pub struct Query {
    pub spec: VersionSpec,
    /// Only this source (`--source`).
    pub source: Option<SourceKind>,
    /// `None`: stable, unless the spec names a prerelease (then test).
    pub channel: Option<Channel>,
    /// Repository for yum/rpm; default centos/7 (yum) and centos/7 then centos/9 (rpm).
    pub distro: Option<Distro>,
    pub platform: Platform,
}

#[derive(Debug)]
pub struct Resolved {
    pub version: DockerVersion,
    /// In the order to try. The installer downloads each in turn: a missing file (404) moves
    /// on to the next; an integrity failure stops everything.
    pub candidates: Vec<Artifact>,
    /// Sources whose candidates come from listings not read yet, in order: the RPM
    /// repositories when the version was given exactly, and any repository whose listing
    /// failed its checksum while a partial spec was resolved. [`Resolved::read_pending`]
    /// reads them, which the installer does only once every candidate above is missing.
    pub pending: Vec<SourceKind>,
    /// Listings that could not be read, as `<url>: <reason>`, for the final error message.
    pub tried: Vec<String>,
    /// Repositories that were read but hold no build of `version` (their URLs), so a final
    /// "not found" can say everywhere dvm looked.
    pub searched: Vec<String>,
    /// Listings left out of resolving a partial spec because they failed their checksum.
    /// The version was chosen without them; installing it from one of them still fails.
    pub warnings: Vec<String>,
    query: Query,
    channel: Channel,
    listing_error: Option<Error>,
}

/// Where to look for `query` and in which order, reading no more than it must.
///
/// Partial specs and `latest` resolve against the listings (through `cache`) to the newest
/// stable match; a listing that cannot be read is noted in `tried`, one that fails its checksum
/// is left out with a warning (and its source stays pending, so the version can still not be
/// installed from it). An exact version is tried at its constructed URL on static and legacy
/// even when no listing names it; RPM candidates only ever come from repodata, and for an exact
/// version those listings are left pending: installing a version static or legacy has costs no
/// RPM request, and a broken RPM repository cannot block it.
pub fn resolve(
    http: &dyn Http,
    hosts: &Hosts,
    query: &Query,
    cache: &ListingCache,
) -> Result<Resolved> {
    let sources = applicable_sources(query)?;
    let channel = query.channel.unwrap_or(if query.spec.wants_prerelease() {
        Channel::Test
    } else {
        Channel::Stable
    });
    let mut tried = Vec::new();
    let mut warnings = Vec::new();
    let mut listings = Listings::default();
    // Sources whose listing could not be read while resolving, and those that failed a checksum.
    let mut unreadable = Vec::new();
    let mut unverified = Vec::new();
    let mut listing_error = None;

    let version = match &query.spec {
        VersionSpec::Exact(v) => canonical(v),
        VersionSpec::Latest | VersionSpec::Partial { .. } => {
            let mut found: Vec<DockerVersion> = Vec::new();
            let mut integrity_error = None;
            for &source in &sources {
                match listings.get(http, hosts, query, source, channel, cache) {
                    Ok(list) => found.extend(list.iter().map(|a| a.version)),
                    Err(e) if e.kind() == ErrorKind::Integrity => {
                        warnings.push(format!("left out the {source} listing: {}", e.message()));
                        unverified.push(source);
                        integrity_error.get_or_insert(e);
                    }
                    Err(e) => {
                        tried.push(format!("{source} listing: {}", e.message()));
                        unreadable.push(source);
                        listing_error.get_or_insert(e);
                    }
                }
            }
            // On a test channel the user asked for prereleases; on stable they never count.
            let best = if channel == Channel::Test {
                found
                    .iter()
                    .filter(|v| query.spec.matches_with_prereleases(v))
                    .max()
            } else {
                query.spec.best_match(found.iter())
            };
            match best {
                Some(v) => *v,
                None => {
                    return Err(integrity_error.or(listing_error).unwrap_or_else(|| {
                        Error::not_found(format!(
                            "no {channel} release matches '{}' for {} (looked at: {})",
                            query.spec,
                            query.platform,
                            join(&sources)
                        ))
                        .with_hint(if channel == Channel::Stable {
                            "run `dvm ls-remote` to see what is available (prereleases: add --channel test)"
                        } else {
                            "run `dvm ls-remote --channel test` to see what is available"
                        })
                    }));
                }
            }
        }
        VersionSpec::System | VersionSpec::Alias(_) => {
            return Err(Error::usage(format!(
                "'{}' is not something dvm can download",
                query.spec
            ))
            .with_hint("give a version such as 20.10.24, 20.10 or latest"));
        }
    };

    let mut resolved = Resolved {
        version,
        candidates: Vec::new(),
        pending: Vec::new(),
        tried,
        searched: Vec::new(),
        warnings,
        query: query.clone(),
        channel,
        listing_error,
    };
    let exact = matches!(query.spec, VersionSpec::Exact(_));
    for &source in &sources {
        match source {
            SourceKind::Static => resolved.candidates.extend(static_builds::artifact(
                hosts,
                &version,
                channel,
                query.platform,
            )),
            SourceKind::Legacy => resolved.candidates.extend(legacy::artifact(
                hosts,
                &version,
                channel,
                query.platform,
            )),
            SourceKind::Yum | SourceKind::Rpm if unreadable.contains(&source) => {}
            SourceKind::Yum | SourceKind::Rpm if exact || unverified.contains(&source) => {
                resolved.pending.push(source);
            }
            // Read while resolving: its matches cost nothing more.
            SourceKind::Yum | SourceKind::Rpm => {
                let list = listings.get(http, hosts, query, source, channel, cache)?;
                let matching = resolved.matching(list);
                resolved.note_if_none(&matching, http, hosts, source, cache);
                resolved.candidates.extend(matching);
            }
        }
    }
    // Nothing to try first: the pending listings are all there is.
    if resolved.candidates.is_empty() {
        let listed = resolved.read_pending(http, hosts, cache)?;
        resolved.candidates = listed;
    }
    if resolved.candidates.is_empty() {
        return Err(resolved.listing_error.take().unwrap_or_else(|| {
            let mut message = format!(
                "no source has docker {version} for {} on the {channel} channel (looked at: {})",
                query.platform,
                join(&sources)
            );
            for url in &resolved.searched {
                message.push_str(&format!("\n  searched {url}/repodata"));
            }
            Error::not_found(message).with_hint("run `dvm ls-remote` to see what is available")
        }));
    }
    Ok(resolved)
}

impl Resolved {
    /// Whether a listing that might have held the version could not be fetched: then "not
    /// found" may only mean "not reachable".
    pub fn listing_unreachable(&self) -> bool {
        self.listing_error
            .as_ref()
            .is_some_and(|e| e.kind() == ErrorKind::Network)
    }

    /// Reads the pending listings and returns their candidates for `version`, in order
    /// (nothing is pending afterwards). A listing that cannot be read is noted in `tried`;
    /// one that fails its checksum is an error: the version is now needed from it.
    pub fn read_pending(
        &mut self,
        http: &dyn Http,
        hosts: &Hosts,
        cache: &ListingCache,
    ) -> Result<Vec<Artifact>> {
        let mut found = Vec::new();
        for source in std::mem::take(&mut self.pending) {
            let q = &self.query;
            match list_source(
                http,
                hosts,
                source,
                self.channel,
                q.distro.as_ref(),
                q.platform,
                cache,
            ) {
                Ok(list) => {
                    let matching = self.matching(&list);
                    self.note_if_none(&matching, http, hosts, source, cache);
                    found.extend(matching);
                }
                Err(e) if e.kind() == ErrorKind::Integrity => return Err(e),
                Err(e) => {
                    self.tried
                        .push(format!("{source} listing: {}", e.message()));
                    self.listing_error.get_or_insert(e);
                }
            }
        }
        Ok(found)
    }

    /// The builds of `version` in a listing.
    fn matching(&self, list: &[Artifact]) -> Vec<Artifact> {
        list.iter()
            .filter(|a| a.version.same_release(&self.version) && edition_ok(&self.version, a))
            .cloned()
            .collect()
    }

    /// A listing read without a match: its repositories go into `searched`.
    fn note_if_none(
        &mut self,
        matching: &[Artifact],
        http: &dyn Http,
        hosts: &Hosts,
        source: SourceKind,
        cache: &ListingCache,
    ) {
        if matching.is_empty() {
            let urls = repository_urls(http, hosts, source, self.channel, &self.query, cache);
            self.searched.extend(urls);
        }
    }
}

/// Every candidate for `query` at once: [`resolve`], then the pending listings read too.
/// `dvm install` uses [`resolve`] and reads the pending listings only when it must.
pub fn find_artifacts(
    http: &dyn Http,
    hosts: &Hosts,
    query: &Query,
    cache: &ListingCache,
) -> Result<Resolved> {
    let mut resolved = resolve(http, hosts, query, cache)?;
    let listed = resolved.read_pending(http, hosts, cache)?;
    resolved.candidates.extend(listed);
    Ok(resolved)
}

/// The repositories `source` reads for `query`: yum and rpm only, as in [`list_source`].
fn repository_urls(
    http: &dyn Http,
    hosts: &Hosts,
    source: SourceKind,
    channel: Channel,
    query: &Query,
    cache: &ListingCache,
) -> Vec<String> {
    let Some(arch) = repodata::rpm_arch(query.platform.arch) else {
        return Vec::new();
    };
    if query.platform.os != Os::Linux {
        return Vec::new();
    }
    match source {
        SourceKind::Yum => {
            let distro = query.distro.clone().unwrap_or_else(yum::default_distro);
            vec![yum::repo_url(hosts, &distro, channel)]
        }
        SourceKind::Rpm => query
            .distro
            .clone()
            .map_or_else(
                || docker_ce::default_distros(http, hosts, cache),
                |d| vec![d],
            )
            .iter()
            .map(|d| docker_ce::repo_url(hosts, d, channel, arch))
            .collect(),
        SourceKind::Static | SourceKind::Legacy => Vec::new(),
    }
}

/// For a listed artifact, an explicit `-ee`/`-ce` in the request must agree.
fn edition_ok(want: &DockerVersion, have: &Artifact) -> bool {
    want.edition.is_none() || have.version.edition.is_none() || want.edition == have.version.edition
}

/// 17.03 to 18.06 were published as `-ce`; `17.03.0` means `17.03.0-ce`.
fn canonical(v: &DockerVersion) -> DockerVersion {
    let mut v = *v;
    if v.edition.is_none() && is_17_03_or_later(&v) && (v.major, v.minor) < (18, 9) {
        v.edition = Some(Edition::Ce);
    }
    v
}

fn join(sources: &[SourceKind]) -> String {
    let names: Vec<&str> = sources.iter().map(|s| s.as_str()).collect();
    if names.is_empty() {
        "no source".into()
    } else {
        names.join(", ")
    }
}

/// The sources that may hold what `query` asks for, in the order to try them.
fn applicable_sources(query: &Query) -> Result<Vec<SourceKind>> {
    let platform_ok = |s: SourceKind| match s {
        SourceKind::Static => static_builds::arch_dir(query.platform).is_some(),
        SourceKind::Legacy => legacy::arch_dir(query.platform).is_some(),
        SourceKind::Yum | SourceKind::Rpm => {
            query.platform.os == Os::Linux && repodata::rpm_arch(query.platform.arch).is_some()
        }
    };
    if let Some(forced) = query.source {
        if !platform_ok(forced) {
            return Err(Error::not_found(format!(
                "the {forced} source has no builds for {}",
                query.platform
            ))
            .with_hint("drop --source to let dvm pick a source"));
        }
        return Ok(vec![forced]);
    }
    Ok(SourceKind::ALL
        .into_iter()
        .filter(|&s| platform_ok(s) && s.may_match(&query.spec))
        .collect())
}

/// Listings read during one resolution, so each is fetched (or read from cache) once.
#[derive(Default)]
struct Listings {
    read: Vec<(SourceKind, Vec<Artifact>)>,
}

impl Listings {
    fn get(
        &mut self,
        http: &dyn Http,
        hosts: &Hosts,
        query: &Query,
        source: SourceKind,
        channel: Channel,
        cache: &ListingCache,
    ) -> Result<&[Artifact]> {
        if let Some(i) = self.read.iter().position(|(s, _)| *s == source) {
            return Ok(self.read.get(i).map(|(_, l)| l.as_slice()).unwrap_or(&[]));
        }
        let list = list_source(
            http,
            hosts,
            source,
            channel,
            query.distro.as_ref(),
            query.platform,
            cache,
        )?;
        self.read.push((source, list));
        Ok(self.read.last().map(|(_, l)| l.as_slice()).unwrap_or(&[]))
    }
}

/// Everything one source lists for `platform` on `channel`. Legacy "lists" the embedded table.
/// Yum and rpm read every default repository (or only `distro`); a repository that is missing
/// (404) is skipped, but one that cannot be read is an error even when another could: a
/// listing missing a repository would turn a network failure into "not found".
pub fn list_source(
    http: &dyn Http,
    hosts: &Hosts,
    source: SourceKind,
    channel: Channel,
    distro: Option<&Distro>,
    platform: Platform,
    cache: &ListingCache,
) -> Result<Vec<Artifact>> {
    match source {
        SourceKind::Static => static_builds::list(http, hosts, channel, platform, cache),
        SourceKind::Legacy => Ok(legacy::list(hosts, channel, platform)),
        SourceKind::Yum => {
            let distro = distro.cloned().unwrap_or_else(yum::default_distro);
            yum::list(http, hosts, &distro, channel, platform, cache)
        }
        // RPM repositories hold Linux builds only; do not even read their folder listing.
        SourceKind::Rpm if platform.os != Os::Linux => Ok(Vec::new()),
        SourceKind::Rpm => {
            let distros = match distro {
                Some(d) => vec![d.clone()],
                None => docker_ce::default_distros(http, hosts, cache),
            };
            let mut all: Vec<Artifact> = Vec::new();
            for d in &distros {
                // The first distribution that carries a version wins.
                for a in docker_ce::list(http, hosts, d, channel, platform, cache)? {
                    if !all.iter().any(|x| x.version == a.version) {
                        all.push(a);
                    }
                }
            }
            Ok(all)
        }
    }
}

/// The final word on what `artifact` must hash to; call it before downloading a candidate.
/// For legacy builds this fetches the `<url>.sha256` sibling and checks it against the embedded
/// table: when both exist and disagree, that is an integrity error and nothing may be trusted.
/// Other sources already carry their answer.
pub fn confirm_expected(http: &dyn Http, artifact: &Artifact) -> Result<Expected> {
    match artifact.source {
        SourceKind::Legacy => legacy::confirm_expected(http, artifact),
        _ => Ok(artifact.expected.clone()),
    }
}

/// A relative location from a listing, safe to append to a base URL.
fn safe_relative(href: &str) -> bool {
    !href.is_empty()
        && !href.starts_with('/')
        && !href.contains("://")
        && !href.contains(['?', '#', '\\', ' ', '\t', '\n', '\r'])
        && href
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}
