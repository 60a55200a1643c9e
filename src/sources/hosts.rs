//! Where each source lives: Docker's official hosts, a mirror (`DVM_MIRROR`) or per-source
//! bases, and the path of a URL below them (the key that caches and trust share).

use crate::error::{Error, Result};

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
    /// The mirror every host was mapped under, if one was set.
    pub mirror: Option<String>,
}

pub(super) const OFFICIAL_LEGACY: &str = "https://get.docker.com";
pub(super) const OFFICIAL_LEGACY_TEST: &str = "https://test.docker.com";
pub(super) const OFFICIAL_DOWNLOAD: &str = "https://download.docker.com";
pub(super) const OFFICIAL_YUM: &str = "https://yum.dockerproject.org";

impl Hosts {
    pub fn official() -> Self {
        Hosts {
            legacy: OFFICIAL_LEGACY.into(),
            legacy_test: OFFICIAL_LEGACY_TEST.into(),
            static_builds: OFFICIAL_DOWNLOAD.into(),
            yum: OFFICIAL_YUM.into(),
            docker_ce: OFFICIAL_DOWNLOAD.into(),
            mirror: None,
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
                mirror: Some(m),
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

    /// Every distinct base, in source order (download.docker.com serves two sources).
    pub fn distinct_bases(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for base in self.bases() {
            if !out.iter().any(|o| o == base) {
                out.push(base.to_string());
            }
        }
        out
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
