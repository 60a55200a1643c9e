//! docker-ce / docker-ce-cli RPMs on `download.docker.com/linux/{distro}/{N}/{arch}/{channel}/`
//! (17.03 onwards), found through repodata: release fields and dist tags changed between eras
//! (`17.03.2.ce-1.el7.centos`, `20.10.24-3.el7`, `24.0.7-1.el8`), so names are never guessed.
//! From 18.09 the client is in docker-ce-cli; before that in docker-ce.
//!
//! Default repositories: centos/7 (17.03 to 26.1), then centos/9 (late 20.10 onwards), then
//! the newest Fedora release the host lists (`linux/fedora/<N>/`). RHEL and older Fedora
//! releases carry the same builds rebuilt, so they are read only with an explicit `--distro`.

use super::{
    Artifact, Channel, Distro, Hosts, Http, Os, Platform, SourceKind, autoindex, repodata,
};
use crate::error::{Error, Result};
use crate::openpgp::LazyKeyring;
use crate::sources::ListingCache;

/// Package names holding the client, preferred first.
const CLIENT_PACKAGES: [&str; 2] = ["docker-ce-cli", "docker-ce"];

/// The repositories tried without `--distro`. The Fedora release is read from the host's
/// folder listing (through the cache); when that listing cannot be read, Fedora is skipped.
pub fn default_distros(http: &dyn Http, hosts: &Hosts, cache: &ListingCache) -> Vec<Distro> {
    let mut distros = vec![Distro::new("centos", 7), Distro::new("centos", 9)];
    let listing = format!("{}/linux/fedora/", hosts.docker_ce);
    // A page without release folders is not the listing (a login page?): not cached.
    let newest_release = |page: &[u8]| {
        autoindex::release_folders(&String::from_utf8_lossy(page))
            .pop()
            .ok_or_else(|| Error::network(format!("{listing} lists no release folder")))
    };
    if let Ok(Some(newest)) = cache.fetch(http, &listing, FOLDER_LISTING_LIMIT, newest_release) {
        distros.push(Distro::new("fedora", newest));
    }
    distros
}

/// A distribution's folder listing is a short HTML page.
const FOLDER_LISTING_LIMIT: u64 = 1 << 20;

/// `linux/centos/7/x86_64/stable` (the folder holding `repodata/` and `Packages/`).
pub fn repo_path(distro: &Distro, channel: Channel, arch: &str) -> String {
    format!("linux/{}/{}/{arch}/{channel}", distro.name, distro.release)
}

pub fn repo_url(hosts: &Hosts, distro: &Distro, channel: Channel, arch: &str) -> String {
    format!("{}/{}", hosts.docker_ce, repo_path(distro, channel, arch))
}

/// The client builds for `platform` in one repository; a missing repository lists nothing.
pub fn list(
    http: &dyn Http,
    hosts: &Hosts,
    distro: &Distro,
    channel: Channel,
    platform: Platform,
    cache: &ListingCache,
    keys: &LazyKeyring,
) -> Result<Vec<Artifact>> {
    let Some(arch) = repodata::rpm_arch(platform.arch).filter(|_| platform.os == Os::Linux) else {
        return Ok(Vec::new());
    };
    let url = repo_url(hosts, distro, channel, arch);
    let repo = repodata::Repo {
        base: &hosts.docker_ce,
        url: &url,
        source: SourceKind::Rpm,
        channel,
        keys,
    };
    repodata::list_repo(http, &repo, &CLIENT_PACKAGES, arch, cache)
}
