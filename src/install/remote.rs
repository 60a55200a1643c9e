//! Installing from the network: `dvm install VERSION` (resolved against the sources) and
//! `dvm install --from URL`. One streaming pass per artifact: download → hash → extract, with
//! the archive kept in the cache so a reinstall works offline.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use super::checks::refuse_foreign_client;
use super::hints::stronger_sources_hint;
use super::published::PublishedChecksums;
use super::{InstallOptions, InstallReport, Provenance, finish_locked};
use crate::archive::{self, ExtractedClient};
use crate::config::Settings;
use crate::context::Context;
use crate::digest::HashingReader;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Fetcher, MAX_ARTIFACT_SIZE, NetConfig, ProgressEvent};
use crate::layout::Layout;
use crate::openpgp::LazyKeyring;
use crate::platform::{Platform, host_os};
use crate::select::version::{DockerVersion, VersionSpec};
use crate::sources::{
    self, Artifact, Catalog, Channel, Distro, Expected, Hosts, ListQuery, ListingCache, Query,
    RemoteListing, SourceKind, SourceOverrides,
};
use crate::store::Store;
use crate::trust::{self, Evidence, TofuStore};

/// What the user chose on the command line (flags win over env and config).
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    pub source: Option<SourceKind>,
    pub channel: Option<Channel>,
    pub distro: Option<Distro>,
    pub offline: bool,
    pub refresh: bool,
}

/// Progress of an install, for the CLI to render.
#[derive(Debug, Clone)]
pub enum InstallEvent {
    Resolved {
        spec: String,
        version: DockerVersion,
    },
    Download(ProgressEvent),
    FromCache {
        path: PathBuf,
    },
    /// Something the user should know that did not stop the install.
    Warning(String),
    /// What dvm is doing besides the obvious (trying another channel).
    Note(String),
}

/// Everything a network operation needs: the HTTP client, where each source lives, the
/// listing cache, the trust store, and the user's choices.
pub struct Remote {
    pub fetcher: Fetcher,
    pub hosts: Hosts,
    pub listings: ListingCache,
    pub platform: Platform,
    pub options: RemoteOptions,
    pub(super) downloads: PathBuf,
    /// Where each cached archive's lock lives (`<data>/locks`), out of the cache's way.
    locks: PathBuf,
    pub(super) trust: TofuStore,
    /// Docker's keys and `rpm_keys`, for repository and package signatures.
    pub(super) keys: LazyKeyring,
}

impl Remote {
    pub fn new(
        ctx: &Context,
        layout: &Layout,
        settings: &Settings,
        mut options: RemoteOptions,
    ) -> Result<Self> {
        settings.require_trusted_project()?;
        let overrides = SourceOverrides {
            legacy: settings.get("legacy_url").map(str::to_owned),
            static_builds: settings.get("static_url").map(str::to_owned),
            yum: settings.get("yum_url").map(str::to_owned),
            rpm: settings.get("rpm_url").map(str::to_owned),
        };
        let hosts = Hosts::new(settings.get("mirror"), &overrides)?;
        if options.source.is_none()
            && let Some(text) = settings.get("source")
        {
            options.source = Some(
                text.parse()
                    .map_err(|e: Error| e.context("setting `source`"))?,
            );
        }
        if options.distro.is_none()
            && let Some(text) = settings.get("distro")
        {
            options.distro = Some(
                text.parse()
                    .map_err(|e: Error| e.context("setting `distro`"))?,
            );
        }
        let net = NetConfig {
            retries: settings.retries(),
            connect_timeout: settings.connect_timeout(),
            stall_timeout: settings.stall_timeout(),
            offline: options.offline,
            insecure_allowed: hosts.configured_prefixes(),
            ..NetConfig::default()
        };
        let platform = match ctx.var("DVM_PLATFORM") {
            Some(text) => text.parse()?,
            None => Platform::current()?,
        };
        Ok(Remote {
            fetcher: Fetcher::new(ctx, net)?,
            hosts,
            listings: ListingCache {
                dir: layout.listings_dir(),
                ttl: settings.listing_ttl(),
                refresh: options.refresh,
                offline: options.offline,
            },
            platform,
            options,
            downloads: layout.downloads_dir(),
            locks: layout.locks_dir(),
            trust: TofuStore::in_data_dir(&layout.data),
            keys: LazyKeyring::new(settings.rpm_keys()),
        })
    }

    /// The sources as this configuration reaches them.
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog {
            http: &self.fetcher,
            hosts: &self.hosts,
            cache: &self.listings,
            keys: &self.keys,
        }
    }

    /// What `dvm install SPEC` asks the catalog, with the user's choices of source.
    pub(super) fn query(&self, spec: &VersionSpec) -> Query {
        Query {
            spec: spec.clone(),
            source: self.options.source,
            channel: self.options.channel,
            distro: self.options.distro.clone(),
            platform: self.platform,
            exclude: Vec::new(),
        }
    }

    /// `dvm ls-remote`: every listing, on the channel `dvm install` would read for `spec`.
    pub fn list(&self, spec: Option<&VersionSpec>) -> Result<RemoteListing> {
        self.catalog().list(&ListQuery {
            source: self.options.source,
            channel: Some(self.channel_for(spec)),
            distro: self.options.distro.clone(),
            platform: self.platform,
        })
    }

    /// The channel a request for `spec` reads (see [`Channel::for_request`]).
    pub fn channel_for(&self, spec: Option<&VersionSpec>) -> Channel {
        Channel::for_request(self.options.channel, spec)
    }

    /// The cached archive for a URL: keyed by its path below the source base, so every mirror
    /// of one file shares a cache entry.
    pub(super) fn cache_file(&self, url: &str) -> PathBuf {
        self.downloads.join(cache_name(&self.hosts.trust_key(url)))
    }

    /// Held while `cache_file` is read or downloaded, so that concurrent installs of one file
    /// (two `--from URL` of the same URL, say) share one download and never one `.part`.
    fn lock_download(&self, cache_file: &std::path::Path) -> Result<File> {
        // Named by a digest of the path: a long cache name plus a suffix could pass NAME_MAX.
        crate::fsutil::lock_keyed(
            &self.locks,
            "download",
            cache_file.as_os_str().as_encoded_bytes(),
        )
    }
}

/// The download cache's name for a key: anything but `[A-Za-z0-9._-]` becomes `_`.
pub(super) fn cache_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Downloads (or reads from the cache), extracts, verifies and commits one artifact.
/// `Ok(None)` when the server does not have it.
pub(super) fn install_artifact(
    remote: &Remote,
    store: &Store,
    artifact: &Artifact,
    opts: &InstallOptions,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Option<InstallReport>> {
    let staging = store.stage(&artifact.version.to_string())?;
    let Some(verified) = fetch_and_verify(
        remote,
        artifact,
        opts,
        &staging.client_path(),
        ClientCheck::ForThisHost,
        None,
        progress,
    )?
    else {
        return Ok(None);
    };
    let provenance = Provenance {
        version: artifact.version,
        source: artifact.source.to_string(),
        origin: artifact.url.clone(),
        archive_sha256: Some(verified.sha256),
        verified_by: verified.verified_by,
        checksum_from: match &verified.expected {
            Expected::Published { evidence, .. } => evidence.clone(),
            _ => Vec::new(),
        },
        repodata_signature: match verified.expected {
            Expected::Repodata { signed_by, .. } => signed_by,
            _ => None,
        },
    };
    finish_locked(store, staging, verified.client, provenance, opts).map(Some)
}

/// Whether the client must be able to run here (an install) or may be for any system (a
/// mirror holds clients for other platforms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCheck {
    ForThisHost,
    AnySystem,
}

/// An artifact downloaded (or read from the cache) and verified as an install verifies it.
pub struct VerifiedArtifact {
    pub client: ExtractedClient,
    /// The archive, complete, in the download cache.
    pub cache_file: PathBuf,
    pub sha256: String,
    pub expected: Expected,
    pub verified_by: Vec<trust::VerifiedBy>,
}

/// Downloads (or reads from the cache) `artifact`, extracts its client to `client_dest` and
/// verifies it by every check its source allows. `Ok(None)` when the server does not have it.
pub fn fetch_and_verify(
    remote: &Remote,
    artifact: &Artifact,
    opts: &InstallOptions,
    client_dest: &std::path::Path,
    check: ClientCheck,
    confirmed: Option<Expected>,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Option<VerifiedArtifact>> {
    // `confirmed`: what `expected_for` already said for this artifact in this run.
    let expected = match confirmed {
        Some(expected) => expected,
        None => expected_for(remote, artifact, progress)?,
    };
    let cache_file = remote.cache_file(&artifact.url);
    let Some(fetched) = fetch_current(remote, artifact, &expected, client_dest, progress)? else {
        return Ok(None);
    };
    // Only a build for another system (DVM_PLATFORM) or a mislabelled file on a mirror gets here.
    if check == ClientCheck::ForThisHost {
        refuse_foreign_client(
            &fetched.client,
            host_os(),
            &artifact.url,
            Some(&artifact.version),
        )
        .map_err(|e| {
            e.with_hint(format!(
                "dvm looked for {} builds; unset DVM_PLATFORM, or check the mirror",
                remote.platform
            ))
        })?;
    }
    let key = remote.hosts.trust_key(&artifact.url);
    // An explicit --sha256 wins over the record of the first install; say so when it differs.
    let replaced = match (&expected, opts.pinned_sha256.as_deref()) {
        (Expected::Tofu, Some(pin)) => remote
            .trust
            .get(&key)?
            .filter(|old| !old.eq_ignore_ascii_case(pin)),
        _ => None,
    };
    let verified_by = trust::check(&Evidence {
        shown: &artifact.url,
        sha256: &fetched.sha256,
        sha1: &fetched.sha1,
        expected: Some(&expected),
        pin: opts.pinned_sha256.as_deref(),
        rpm_digests: fetched.client.rpm.is_some(),
        tofu: Some((&remote.trust, &key)),
        signature: fetched
            .client
            .rpm
            .as_ref()
            .and_then(|r| r.signature.as_ref()),
        policy: opts.policy(matches!(artifact.source, SourceKind::Yum | SourceKind::Rpm)),
    })
    .map_err(|e| match e.hint() {
        Some(_) => e,
        None => e.with_hint(stronger_sources_hint(artifact, opts)),
    })
    .inspect_err(|_| {
        // A download that fails verification must not be reused from the cache.
        let _ = std::fs::remove_file(&cache_file);
    })?;
    if let Some(old) = replaced {
        progress(InstallEvent::Warning(format!(
            "--sha256 replaced the trust-on-first-use record of {key} (it was {old})"
        )));
    }
    Ok(Some(VerifiedArtifact {
        client: fetched.client,
        cache_file,
        sha256: fetched.sha256,
        expected,
        verified_by,
    }))
}

/// [`fetch_and_extract`], downloading again when the cached copy is not what `expected` says
/// is published now: upstream republished the file since it was cached, so the copy is stale
/// rather than tampered with.
fn fetch_current(
    remote: &Remote,
    artifact: &Artifact,
    expected: &Expected,
    client_dest: &std::path::Path,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Option<Fetched>> {
    let cache_file = remote.cache_file(&artifact.url);
    let fetch = || {
        let keys = remote.keys.get()?;
        // Repodata names each package's exact size; nothing else may exceed the ceiling.
        let limit = artifact
            .size
            .map_or(MAX_ARTIFACT_SIZE, |s| s.min(MAX_ARTIFACT_SIZE));
        fetch_and_extract(
            remote,
            &artifact.url,
            &cache_file,
            client_dest,
            limit,
            keys,
            progress,
        )
    };
    match fetch()? {
        Some(f) if f.from_cache && !remote.options.offline && expected.contradicts(&f.sha256) => {
            let _ = std::fs::remove_file(&cache_file);
            progress(InstallEvent::Warning(format!(
                "the cached download of {} is not what is published now; downloading it again",
                artifact.url
            )));
            fetch()
        }
        fetched => Ok(fetched),
    }
}

/// What `artifact` must match, fetching what its source publishes beside it (a legacy build's
/// `.sha256`), with a warning when the record holds more than one value.
pub fn expected_for(
    remote: &Remote,
    artifact: &Artifact,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Expected> {
    let expected = match sources::confirm_expected(&PublishedChecksums(remote), artifact) {
        // Offline, and the checksum file was never fetched: what the listing knows.
        Err(e) if remote.options.offline && e.kind() == ErrorKind::Network => {
            artifact.expected.clone()
        }
        result => result?,
    };
    if let Expected::ThirdParty { sha256s, .. } = &expected
        && sha256s.len() > 1
    {
        progress(InstallEvent::Warning(format!(
            "{} was republished: {} checksums are on record, and either is accepted",
            artifact.url,
            sha256s.len()
        )));
    }
    Ok(expected)
}

pub(super) struct Fetched {
    pub client: ExtractedClient,
    pub sha256: String,
    pub sha1: String,
    /// Read from the download cache rather than downloaded in this run.
    pub from_cache: bool,
}

/// From the cache when the archive is there; otherwise download it while extracting.
pub(super) fn fetch_and_extract(
    remote: &Remote,
    url: &str,
    cache_file: &std::path::Path,
    client_dest: &std::path::Path,
    limit: u64,
    keys: &crate::openpgp::Keyring,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<Option<Fetched>> {
    // One process downloads a file at a time; a second waits, then finds it in the cache.
    let _downloading = remote.lock_download(cache_file)?;
    // Opened once (no separate existence check), so a `cache clean` in between only means
    // downloading again.
    let cached = match File::open(cache_file) {
        Ok(file) if file.metadata().is_ok_and(|m| m.is_file()) => Some(file),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("open", cache_file, e)),
    };
    if let Some(file) = cached {
        progress(InstallEvent::FromCache {
            path: cache_file.to_path_buf(),
        });
        let mut reader = HashingReader::new(BufReader::with_capacity(256 * 1024, file)).with_sha1();
        let client =
            archive::extract_client_with_keys(&mut reader, client_dest, keys).map_err(|e| {
                if !matches!(e.kind(), ErrorKind::Archive | ErrorKind::Integrity) {
                    return e.context(url);
                }
                // A damaged cached copy must not fail every later install too.
                let _ = std::fs::remove_file(cache_file);
                e.context(url).with_hint(format!(
                    "the cached download {} was damaged and has been removed; run the command \
                 again to download it afresh",
                    cache_file.display()
                ))
            })?;
        let (sha256, sha1, _) = reader
            .finish_all()
            .map_err(|e| Error::io("read", cache_file, e))?;
        return Ok(Some(Fetched {
            client,
            sha256,
            sha1,
            from_cache: true,
        }));
    }
    if remote.options.offline {
        return Ok(None);
    }
    let mut client = None;
    let on_progress = |e: ProgressEvent| progress(InstallEvent::Download(e));
    let downloaded = remote
        .fetcher
        .download(url, cache_file, limit, &on_progress, &mut |reader| {
            // Called again from byte 0 if the file changed mid-download: start clean.
            let _ = std::fs::remove_file(client_dest);
            client = Some(
                archive::extract_client_with_keys(reader, client_dest, keys)
                    .map_err(|e| e.context(url))?,
            );
            Ok(())
        });
    match downloaded {
        Ok(d) => {
            let client =
                client.ok_or_else(|| Error::internal(format!("{url}: nothing was extracted")))?;
            Ok(Some(Fetched {
                client,
                sha256: d.sha256,
                sha1: d.sha1,
                from_cache: false,
            }))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
