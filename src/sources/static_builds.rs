//! `download.docker.com/{linux|mac|win}/static/{stable|test}/{arch}/docker-{v}.tgz` (`.zip` on
//! Windows), 17.03.0-ce onwards. Each folder serves an autoindex page. Nothing is published to
//! check the files against, so they are trusted on first use.

use super::{Arch, Artifact, Channel, Expected, Hosts, Http, Os, Platform, SourceKind, autoindex};
use crate::error::{Error, Result};
use crate::select::version::DockerVersion;
use crate::sources::ListingCache;

/// An autoindex page bigger than this is not an autoindex page.
const LISTING_LIMIT: u64 = 8 * 1024 * 1024;

pub fn arch_dir(platform: Platform) -> Option<&'static str> {
    use Arch::*;
    let ok = match platform.os {
        Os::Linux => matches!(
            platform.arch,
            X86_64 | Aarch64 | Armel | Armhf | Ppc64le | S390x
        ),
        Os::Mac => matches!(platform.arch, X86_64 | Aarch64),
        Os::Windows => platform.arch == X86_64,
    };
    ok.then(|| platform.arch.as_str())
}

/// `linux/static/stable/x86_64/`
pub fn folder_path(channel: Channel, platform: Platform) -> Option<String> {
    Some(format!(
        "{}/static/{channel}/{}/",
        platform.os.static_dir(),
        arch_dir(platform)?
    ))
}

pub fn folder_url(hosts: &Hosts, channel: Channel, platform: Platform) -> Option<String> {
    Some(format!(
        "{}/{}",
        hosts.static_builds,
        folder_path(channel, platform)?
    ))
}

pub fn file_name(version: &DockerVersion, os: Os) -> String {
    let ext = if os == Os::Windows { "zip" } else { "tgz" };
    format!("docker-{version}.{ext}")
}

/// The candidate at the URL Docker's naming gives `version` (for a version no listing named).
pub fn artifact(
    hosts: &Hosts,
    version: &DockerVersion,
    channel: Channel,
    platform: Platform,
) -> Option<Artifact> {
    artifact_named(
        hosts,
        version,
        channel,
        platform,
        &file_name(version, platform.os),
    )
}

/// The candidate for `file` in the folder, as a listing named it: its URL is the listing's
/// own name for it, never one rebuilt from the parsed version.
fn artifact_named(
    hosts: &Hosts,
    version: &DockerVersion,
    channel: Channel,
    platform: Platform,
    file: &str,
) -> Option<Artifact> {
    let path = format!("{}{file}", folder_path(channel, platform)?);
    let expected = match super::static_table::recorded(&path) {
        Some(recorded) => Expected::ThirdParty {
            sha256s: recorded.sha256s.clone(),
            origin: recorded.origin.clone(),
        },
        None => Expected::Tofu,
    };
    Some(Artifact {
        version: *version,
        source: SourceKind::Static,
        channel,
        url: format!("{}/{path}", hosts.static_builds),
        path,
        expected,
        size: None,
    })
}

/// The version a listed file name stands for: `docker-17.03.0-ce.tgz` -> 17.03.0-ce.
/// Other archives in the folder (`docker-rootless-extras-*`) are not versions and give `None`.
pub fn version_of(file: &str, os: Os) -> Option<DockerVersion> {
    let ext = if os == Os::Windows { ".zip" } else { ".tgz" };
    let v = file.strip_prefix("docker-")?.strip_suffix(ext)?;
    DockerVersion::parse(v).ok()
}

/// The folder's listing, through the cache. A missing folder (404) lists nothing; a page
/// that links to no docker archive is not the folder's listing (a login or error page served
/// with status 200) and is an error, never cached.
pub fn list(
    http: &dyn Http,
    hosts: &Hosts,
    channel: Channel,
    platform: Platform,
    cache: &ListingCache,
) -> Result<Vec<Artifact>> {
    let Some(folder) = folder_url(hosts, channel, platform) else {
        return Ok(Vec::new());
    };
    let parse = |page: &[u8]| parse_listing(page, &folder, hosts, channel, platform);
    Ok(cache
        .fetch(http, &folder, LISTING_LIMIT, parse)?
        .unwrap_or_default())
}

fn parse_listing(
    page: &[u8],
    folder: &str,
    hosts: &Hosts,
    channel: Channel,
    platform: Platform,
) -> Result<Vec<Artifact>> {
    let html = std::str::from_utf8(page).map_err(|_| {
        Error::network(format!("{folder} did not answer with a text listing"))
            .with_hint("check DVM_MIRROR / DVM_STATIC_URL, or retry later")
    })?;
    let mut out: Vec<Artifact> = autoindex::parse(html)
        .iter()
        .filter_map(|f| Some((version_of(f, platform.os)?, f)))
        .filter_map(|(v, f)| artifact_named(hosts, &v, channel, platform, f))
        .collect();
    if out.is_empty() {
        return Err(Error::network(format!(
            "{folder} links to no docker archive: it is not the folder's listing"
        ))
        .with_hint("check DVM_MIRROR / DVM_STATIC_URL, or retry later"));
    }
    out.sort_by_key(|a| a.version);
    out.dedup_by(|a, b| a.version == b.version);
    Ok(out)
}
