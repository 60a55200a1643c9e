//! `get.docker.com/builds/{Linux|Darwin|Windows}/{arch}/docker-{v}`: 1.x to 17.05.0-ce.
//! Prereleases live on `test.docker.com` under the same paths. Up to 1.10.x each file is the
//! bare client (`.exe` on Windows); from 1.11.0 a `.tgz` (`.zip` on Windows). Each has a
//! `<url>.sha256` sibling. There is no listing; the embedded table stands in for one.
//!
//! The embedded table is keyed by path below the host (`builds/Linux/x86_64/docker-1.12.6.tgz`):
//! an entry vouches for that file on the official host or on any configured legacy base, never
//! for another path and never for a file that is not on a legacy base (local files included).
//! Paths never repeat between get.docker.com and test.docker.com, so the path alone is a key.

use super::legacy_table::{LegacyBuild, known_legacy_versions, legacy_table};
use super::{Artifact, Channel, Expected, Hosts, Http, Os, Platform, SourceKind};
use crate::digest::parse_sha256_file;
use crate::error::{Error, Result};
use crate::select::version::DockerVersion;

/// A `.sha256` file is one line; anything bigger is not one.
const SHA256_FILE_LIMIT: u64 = 4096;

pub fn arch_dir(platform: Platform) -> Option<&'static str> {
    use super::Arch::*;
    let ok = match platform.os {
        Os::Linux => matches!(platform.arch, X86_64 | I386 | Armel | Aarch64),
        Os::Mac | Os::Windows => matches!(platform.arch, X86_64 | I386),
    };
    ok.then(|| platform.arch.as_str())
}

/// `docker-1.10.3`, `docker-1.10.3.exe`, `docker-1.12.6.tgz`, `docker-1.12.6.zip`.
pub fn file_name(version: &DockerVersion, os: Os) -> String {
    let raw = (version.major, version.minor) < (1, 11);
    let ext = match (raw, os) {
        (true, Os::Windows) => ".exe",
        (true, _) => "",
        (false, Os::Windows) => ".zip",
        (false, _) => ".tgz",
    };
    format!("docker-{version}{ext}")
}

/// Prereleases only ever lived on test.docker.com.
fn effective_channel(version: &DockerVersion, channel: Channel) -> Channel {
    if version.is_prerelease() {
        Channel::Test
    } else {
        channel
    }
}

/// `builds/Linux/x86_64/docker-1.12.6.tgz`
pub fn path(version: &DockerVersion, platform: Platform) -> Option<String> {
    let arch = arch_dir(platform)?;
    Some(format!(
        "builds/{}/{arch}/{}",
        platform.os.legacy_dir(),
        file_name(version, platform.os)
    ))
}

pub fn url(
    hosts: &Hosts,
    version: &DockerVersion,
    channel: Channel,
    platform: Platform,
) -> Option<String> {
    let base = match effective_channel(version, channel) {
        Channel::Stable => &hosts.legacy,
        Channel::Test => &hosts.legacy_test,
        // get.docker.com had no edge channel.
        Channel::Edge => return None,
    };
    Some(format!("{base}/{}", path(version, platform)?))
}

/// The candidate for `version`, with the embedded table's checksum when it has one.
pub fn artifact(
    hosts: &Hosts,
    version: &DockerVersion,
    channel: Channel,
    platform: Platform,
) -> Option<Artifact> {
    let path = path(version, platform)?;
    let url = url(hosts, version, channel, platform)?;
    Some(Artifact {
        version: *version,
        source: SourceKind::Legacy,
        channel: effective_channel(version, channel),
        expected: match table_entry(&path) {
            Some(entry) => Expected::Published {
                sha256: entry.sha256.clone(),
                evidence: vec![table_evidence(entry)],
            },
            None => Expected::Tofu,
        },
        url,
        path,
        size: None,
    })
}

/// The candidates for `version`, in the order to try them. Up to 1.10 a Linux release was
/// published twice: as the bare client, and as a `.tgz` holding `usr/local/bin/docker`; a
/// host (or mirror) may keep only one, so the bare client is tried first, then the tarball.
pub fn artifacts(
    hosts: &Hosts,
    version: &DockerVersion,
    channel: Channel,
    platform: Platform,
) -> Vec<Artifact> {
    let Some(bare) = artifact(hosts, version, channel, platform) else {
        return Vec::new();
    };
    let raw_era = (version.major, version.minor) < (1, 11);
    if !raw_era || platform.os != Os::Linux {
        return vec![bare];
    }
    let path = format!("{}.tgz", bare.path);
    let tarball = Artifact {
        url: format!("{}.tgz", bare.url),
        expected: match table_entry(&path) {
            Some(entry) => Expected::Published {
                sha256: entry.sha256.clone(),
                evidence: vec![table_evidence(entry)],
            },
            None => Expected::Tofu,
        },
        path,
        ..bare.clone()
    };
    vec![bare, tarball]
}

/// Every build dvm knows was published (the embedded list), as candidates for `platform`:
/// those the embedded table has a checksum for carry it, the others are trusted through their
/// `.sha256` sibling at install time. The table records Linux x86_64 files; for other
/// platforms the same releases are offered at their constructed URLs without a checksum.
/// Prereleases are on the test channel, everything else on stable; there is no edge.
pub fn list(hosts: &Hosts, channel: Channel, platform: Platform) -> Vec<Artifact> {
    if channel == Channel::Edge {
        return Vec::new();
    }
    known_legacy_versions()
        .iter()
        .filter(|v| v.is_prerelease() == (channel == Channel::Test))
        .flat_map(|v| artifacts(hosts, v, channel, platform))
        .collect()
}

fn table_evidence(entry: &LegacyBuild) -> String {
    format!("dvm's embedded table ({})", entry.url)
}

/// The table entry for a path below the legacy host.
pub fn table_entry(path: &str) -> Option<&'static LegacyBuild> {
    legacy_table()
        .iter()
        .find(|b| official_path(&b.url) == Some(path))
}

/// The table entry vouching for `url`, if `url` is on a legacy base (configured or official).
pub fn table_entry_for_url(hosts: &Hosts, url: &str) -> Option<&'static LegacyBuild> {
    let official = Hosts::official();
    let bases = [
        &hosts.legacy,
        &hosts.legacy_test,
        &official.legacy,
        &official.legacy_test,
    ];
    let path = bases.iter().find_map(|b| {
        url.strip_prefix(b.as_str())
            .and_then(|r| r.strip_prefix('/'))
    })?;
    table_entry(path)
}

/// What the embedded table says `url` must hash to, if `url` is on a legacy base.
pub fn expected_for_url(hosts: &Hosts, url: &str) -> Option<Expected> {
    table_entry_for_url(hosts, url).map(|entry| Expected::Published {
        sha256: entry.sha256.clone(),
        evidence: vec![table_evidence(entry)],
    })
}

fn official_path(url: &str) -> Option<&str> {
    [
        super::hosts::OFFICIAL_LEGACY,
        super::hosts::OFFICIAL_LEGACY_TEST,
    ]
    .iter()
    .find_map(|b| url.strip_prefix(b).and_then(|r| r.strip_prefix('/')))
}

/// Fetches `<url>.sha256` and reconciles it with the embedded table (already in
/// `artifact.expected`). Both present and different: integrity error naming both.
pub fn confirm_expected(http: &dyn Http, artifact: &Artifact) -> Result<Expected> {
    let sibling = format!("{}.sha256", artifact.url);
    let published = match http.get_bytes(&sibling, SHA256_FILE_LIMIT)? {
        Some(bytes) => Some(
            parse_sha256_file(&String::from_utf8_lossy(&bytes))
                .map_err(|e| e.context(format!("reading {sibling}")))?,
        ),
        None => None,
    };
    let table = table_entry(&artifact.path);
    match (published, table) {
        (Some(p), Some(t)) if !p.eq_ignore_ascii_case(&t.sha256) => Err(Error::integrity(format!(
            "the published checksums for {} disagree: {sibling} says {p}, but {} says {}",
            artifact.url,
            table_evidence(t),
            t.sha256
        ))
        .with_hint(
            "do not use this file; if you use a mirror, compare it with the official host and tell the mirror's operator",
        )),
        (Some(p), Some(t)) => Ok(Expected::Published {
            sha256: p,
            evidence: vec![sibling, table_evidence(t)],
        }),
        (Some(p), None) => Ok(Expected::Published {
            sha256: p,
            evidence: vec![sibling],
        }),
        (None, Some(t)) => Ok(Expected::Published {
            sha256: t.sha256.clone(),
            evidence: vec![table_evidence(t)],
        }),
        (None, None) => Ok(Expected::Tofu),
    }
}
