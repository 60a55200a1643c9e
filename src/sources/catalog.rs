//! Finding artifacts across the sources: which sources may hold a spec, in which order, and
//! reading no more listings than needed (`dvm install`); and the union of every listing
//! (`dvm ls-remote`).

use super::{
    Artifact, Channel, Distro, Expected, Hosts, Http, ListingCache, Os, Platform, SourceKind,
    docker_ce, is_17_03_or_later, legacy, repodata, static_builds, yum,
};
use crate::error::{Error, ErrorKind, Result};
use crate::openpgp::LazyKeyring;
use crate::select::version::{DockerVersion, Edition, VersionSpec};

/// What every lookup needs, given once: the HTTP client, where each source lives, the
/// listing cache, and the keys repository signatures are checked against.
#[derive(Clone, Copy)]
pub struct Catalog<'a> {
    pub http: &'a dyn Http,
    pub hosts: &'a Hosts,
    pub cache: &'a ListingCache,
    pub keys: &'a LazyKeyring,
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
    /// Versions a partial spec or `latest` must pass over: an earlier pick the hosts turned out
    /// not to have (the legacy source lists from dvm's table, not from the host).
    pub exclude: Vec<DockerVersion>,
}

#[derive(Debug)]
pub struct Resolution {
    pub version: DockerVersion,
    /// In the order to try. The installer downloads each in turn: a missing file (404) moves
    /// on to the next; an integrity failure stops everything.
    pub candidates: Vec<Artifact>,
    /// Sources whose candidates come from listings not read yet, in order: the RPM
    /// repositories when the version was given exactly, and any repository whose listing
    /// failed its checksum while a partial spec was resolved. [`Resolution::next_batch`]
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

impl Catalog<'_> {
    /// Where to look for `query` and in which order, reading no more than it must.
    ///
    /// Partial specs and `latest` resolve against the listings (through `cache`) to the newest
    /// stable match; a listing that cannot be read is noted in `tried`, one that fails its
    /// checksum is left out with a warning (and its source stays pending, so the version can
    /// still not be installed from it). An exact version is tried at its constructed URL on
    /// static and legacy even when no listing names it; RPM candidates only ever come from
    /// repodata, and for an exact version those listings are left pending: installing a
    /// version static or legacy has costs no RPM request, and a broken RPM repository cannot
    /// block it.
    pub fn resolve(&self, query: &Query) -> Result<Resolution> {
        let channel = Channel::for_request(query.channel, Some(&query.spec));
        let sources = applicable_sources(query, channel)?;
        let mut read = ListingsRead::default();
        let version = match &query.spec {
            VersionSpec::Exact(v) => canonical(v),
            VersionSpec::Latest | VersionSpec::Partial { .. } => {
                self.newest_listed(query, &sources, channel, &mut read)?
            }
            VersionSpec::System | VersionSpec::Alias(_) | VersionSpec::Auto => {
                return Err(Error::usage(format!(
                    "'{}' is not something dvm can download",
                    query.spec
                ))
                .with_hint("give a version such as 20.10.24, 20.10 or latest (for the client matching a daemon: dvm detect)"));
            }
        };
        let mut resolved = Resolution {
            version,
            candidates: Vec::new(),
            pending: Vec::new(),
            tried: std::mem::take(&mut read.tried),
            searched: Vec::new(),
            warnings: std::mem::take(&mut read.warnings),
            query: query.clone(),
            channel,
            listing_error: read.listing_error.take(),
        };
        self.add_candidates(&mut resolved, &sources, &mut read)?;
        // Nothing to try first: the pending listings are all there is.
        if resolved.candidates.is_empty() {
            let listed = resolved.read_pending(self)?;
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

    /// The newest release matching a partial spec or `latest` across the listings of
    /// `sources`; what could not be read goes into `read`.
    fn newest_listed(
        &self,
        query: &Query,
        sources: &[SourceKind],
        channel: Channel,
        read: &mut ListingsRead,
    ) -> Result<DockerVersion> {
        let mut found: Vec<DockerVersion> = Vec::new();
        let mut integrity_error = None;
        for &source in sources {
            match read.listings.get(self, query, source, channel) {
                Ok(list) => found.extend(list.iter().map(|a| a.version)),
                Err(e) if e.kind() == ErrorKind::Integrity => {
                    read.warnings
                        .push(format!("left out the {source} listing: {}", e.message()));
                    read.unverified.push(source);
                    integrity_error.get_or_insert(e);
                }
                Err(e) => {
                    read.tried
                        .push(format!("{source} listing: {}", e.message()));
                    read.unreadable.push(source);
                    read.listing_error.get_or_insert(e);
                }
            }
        }
        // On a test channel the user asked for prereleases; on stable they never count.
        let prereleases = channel.offers_prereleases();
        let best = found
            .iter()
            .filter(|v| query.spec.selects(v, prereleases) && !query.exclude.contains(v))
            .max();
        if let Some(v) = best {
            return Ok(*v);
        }
        if integrity_error.is_none()
            && read.listing_error.is_none()
            && let Some(v) = self.newest_in_fallbacks(query, sources, read)
        {
            return Ok(v);
        }
        Err(integrity_error
            .or(read.listing_error.take())
            .unwrap_or_else(|| {
                Error::not_found(format!(
                    "no {channel} release matches '{}' for {} (looked at: {})",
                    query.spec,
                    query.platform,
                    join(sources)
                ))
                .with_hint(if channel == Channel::Stable {
                    "run `dvm ls-remote` to see what is available (prereleases: add --channel test)"
                } else {
                    "run `dvm ls-remote --channel test` to see what is available"
                })
            }))
    }

    /// The newest release matching a partial spec in the static folders of the fallback
    /// channels ([`Channel::fallbacks`]), in order: the first that has one wins. Never a
    /// prerelease, and a folder that cannot be read is only noted.
    fn newest_in_fallbacks(
        &self,
        query: &Query,
        sources: &[SourceKind],
        read: &mut ListingsRead,
    ) -> Option<DockerVersion> {
        if !sources.contains(&SourceKind::Static) {
            return None;
        }
        for &fallback in Channel::fallbacks(query.channel, &query.spec) {
            match read.listings.get(self, query, SourceKind::Static, fallback) {
                Ok(list) => {
                    let found = list
                        .iter()
                        .map(|a| &a.version)
                        .filter(|v| query.spec.selects(v, false) && !query.exclude.contains(v))
                        .max();
                    if let Some(v) = found {
                        return Some(*v);
                    }
                }
                Err(e) => read
                    .tried
                    .push(format!("static {fallback} listing: {}", e.message())),
            }
        }
        None
    }

    /// Each source's candidates for the resolved version, in order; RPM listings not read yet
    /// are left pending (see [`Catalog::resolve`]).
    fn add_candidates(
        &self,
        resolved: &mut Resolution,
        sources: &[SourceKind],
        read: &mut ListingsRead,
    ) -> Result<()> {
        let (version, channel, platform) =
            (resolved.version, resolved.channel, resolved.query.platform);
        let exact = matches!(resolved.query.spec, VersionSpec::Exact(_));
        for &source in sources {
            match source {
                SourceKind::Static => resolved.candidates.extend(static_builds::artifact(
                    self.hosts, &version, channel, platform,
                )),
                SourceKind::Legacy => resolved
                    .candidates
                    .extend(legacy::artifacts(self.hosts, &version, channel, platform)),
                SourceKind::Yum | SourceKind::Rpm if read.unreadable.contains(&source) => {}
                SourceKind::Yum | SourceKind::Rpm if exact || read.unverified.contains(&source) => {
                    resolved.pending.push(source);
                }
                // Read while resolving: its matches cost nothing more.
                SourceKind::Yum | SourceKind::Rpm => {
                    let query = resolved.query.clone();
                    let list = read.listings.get(self, &query, source, channel)?;
                    let matching = resolved.matching(list);
                    resolved.note_if_none(&matching, self, source);
                    resolved.candidates.extend(matching);
                }
            }
        }
        // A release the stable folder lacks may sit in the test or edge folder (17.10.0-ce).
        if sources.contains(&SourceKind::Static) && !version.is_prerelease() {
            for &fallback in Channel::fallbacks(resolved.query.channel, &resolved.query.spec) {
                resolved.candidates.extend(static_builds::artifact(
                    self.hosts, &version, fallback, platform,
                ));
            }
        }
        Ok(())
    }
}

/// What one resolution read, and what it could not.
#[derive(Default)]
struct ListingsRead {
    listings: Listings,
    tried: Vec<String>,
    warnings: Vec<String>,
    /// Sources whose listing could not be read, and those that failed a checksum.
    unreadable: Vec<SourceKind>,
    unverified: Vec<SourceKind>,
    listing_error: Option<Error>,
}

impl Resolution {
    /// The channel asked for (or implied by the spec); a candidate on another channel is a
    /// fallback ([`Channel::fallbacks`]).
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The next artifacts to try, in order: the candidates found while resolving, then those
    /// of each listing left pending (read only now, when everything before them was missing).
    /// `None` once there is nothing left.
    pub fn next_batch(&mut self, catalog: &Catalog) -> Result<Option<Vec<Artifact>>> {
        if !self.candidates.is_empty() {
            return Ok(Some(std::mem::take(&mut self.candidates)));
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        self.read_pending(catalog).map(Some)
    }

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
    fn read_pending(&mut self, catalog: &Catalog) -> Result<Vec<Artifact>> {
        let mut found = Vec::new();
        for source in std::mem::take(&mut self.pending) {
            let q = &self.query;
            match catalog.list_source(source, self.channel, q.distro.as_ref(), q.platform) {
                Ok(list) => {
                    let matching = self.matching(&list);
                    self.note_if_none(&matching, catalog, source);
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
    fn note_if_none(&mut self, matching: &[Artifact], catalog: &Catalog, source: SourceKind) {
        if matching.is_empty() {
            let urls = repository_urls(catalog, source, self.channel, &self.query);
            self.searched.extend(urls);
        }
    }
}

impl Catalog<'_> {
    /// Every candidate for `query` at once: [`Catalog::resolve`] with every pending listing
    /// read too. `dvm install` reads them only when it must ([`Resolution::next_batch`]).
    pub fn find_all(&self, query: &Query) -> Result<Resolution> {
        let mut resolved = self.resolve(query)?;
        let listed = resolved.read_pending(self)?;
        resolved.candidates.extend(listed);
        Ok(resolved)
    }
}

/// The repositories `source` reads for `query`: yum and rpm only, as in [`list_source`].
fn repository_urls(
    catalog: &Catalog,
    source: SourceKind,
    channel: Channel,
    query: &Query,
) -> Vec<String> {
    let Catalog {
        http, hosts, cache, ..
    } = *catalog;
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
fn applicable_sources(query: &Query, channel: Channel) -> Result<Vec<SourceKind>> {
    let platform_ok = |s: SourceKind| match s {
        SourceKind::Static => static_builds::arch_dir(query.platform).is_some(),
        SourceKind::Legacy => legacy::arch_dir(query.platform).is_some(),
        SourceKind::Yum | SourceKind::Rpm => {
            query.platform.os == Os::Linux && repodata::rpm_arch(query.platform.arch).is_some()
        }
    };
    if let Some(forced) = query.source {
        refuse_missing_channel(forced, channel)?;
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
        .filter(|&s| platform_ok(s) && s.may_match(&query.spec) && s.has_channel(channel))
        .collect())
}

/// `--source legacy --channel edge`: that source never published the channel.
pub(super) fn refuse_missing_channel(source: SourceKind, channel: Channel) -> Result<()> {
    if source.has_channel(channel) {
        return Ok(());
    }
    Err(
        Error::usage(format!("the {source} source has no {channel} channel"))
            .with_hint("the edge channel is only on the static and rpm sources (2017-2018)"),
    )
}

/// Listings read during one resolution, so each is fetched (or read from cache) once.
#[derive(Default)]
struct Listings {
    read: Vec<((SourceKind, Channel), Vec<Artifact>)>,
}

impl Listings {
    fn get(
        &mut self,
        catalog: &Catalog,
        query: &Query,
        source: SourceKind,
        channel: Channel,
    ) -> Result<&[Artifact]> {
        let key = (source, channel);
        if let Some(i) = self.read.iter().position(|(k, _)| *k == key) {
            return Ok(self.read.get(i).map(|(_, l)| l.as_slice()).unwrap_or(&[]));
        }
        let list = catalog.list_source(source, channel, query.distro.as_ref(), query.platform)?;
        self.read.push((key, list));
        Ok(self.read.last().map(|(_, l)| l.as_slice()).unwrap_or(&[]))
    }
}

/// Everything one source lists for `platform` on `channel`. Legacy "lists" the embedded table.
/// Yum and rpm read every default repository (or only `distro`); a repository that is missing
/// (404) is skipped, but one that cannot be read is an error even when another could: a
/// listing missing a repository would turn a network failure into "not found".
impl Catalog<'_> {
    pub fn list_source(
        &self,
        source: SourceKind,
        channel: Channel,
        distro: Option<&Distro>,
        platform: Platform,
    ) -> Result<Vec<Artifact>> {
        let Catalog {
            http,
            hosts,
            cache,
            keys,
        } = *self;
        match source {
            SourceKind::Static => static_builds::list(http, hosts, channel, platform, cache),
            SourceKind::Legacy => Ok(legacy::list(hosts, channel, platform)),
            SourceKind::Yum => {
                let distro = distro.cloned().unwrap_or_else(yum::default_distro);
                yum::list(http, hosts, &distro, channel, platform, cache, keys)
            }
            // RPM repositories hold Linux builds only; do not even read their folder listing.
            SourceKind::Rpm if platform.os != Os::Linux => Ok(Vec::new()),
            SourceKind::Rpm => {
                let distros = match distro {
                    Some(d) => vec![d.clone()],
                    None => docker_ce::default_distros(http, hosts, cache),
                };
                let mut all: Vec<Artifact> = Vec::new();
                let mut seen = std::collections::BTreeSet::new();
                for d in &distros {
                    // The first distribution that carries a version wins.
                    for a in docker_ce::list(http, hosts, d, channel, platform, cache, keys)? {
                        if seen.insert(a.version) {
                            all.push(a);
                        }
                    }
                }
                Ok(all)
            }
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
