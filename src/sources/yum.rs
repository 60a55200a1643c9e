//! docker-engine RPMs on `yum.dockerproject.org/repo/{main|testing}/{distro}/{N}/` (1.x to
//! 17.05), found through the repository's repodata; file names are never guessed.
//! The host shut down on 2020-03-31; mirrors carry the same tree.

use super::{Artifact, Channel, Distro, Hosts, Http, Os, Platform, SourceKind, repodata};
use crate::error::Result;
use crate::openpgp::LazyKeyring;
use crate::sources::ListingCache;

pub fn default_distro() -> Distro {
    Distro::new("centos", 7)
}

/// `repo/main/centos/7` (the folder holding `repodata/` and `Packages/`).
pub fn repo_path(distro: &Distro, channel: Channel) -> String {
    let repo = match channel {
        Channel::Stable => "main",
        Channel::Test => "testing",
        // There never was one; catalog never asks (see SourceKind::has_channel).
        Channel::Edge => "edge",
    };
    format!("repo/{repo}/{}/{}", distro.name, distro.release)
}

pub fn repo_url(hosts: &Hosts, distro: &Distro, channel: Channel) -> String {
    format!("{}/{}", hosts.yum, repo_path(distro, channel))
}

/// The docker-engine builds for `platform` in one repository; a missing repository lists nothing.
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
    let url = repo_url(hosts, distro, channel);
    let repo = repodata::Repo {
        base: &hosts.yum,
        url: &url,
        source: SourceKind::Yum,
        channel,
        keys,
    };
    repodata::list_repo(http, &repo, &["docker-engine"], arch, cache)
}
