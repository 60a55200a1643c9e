//! `dvm install --from URL`: like a local file, but downloaded (and cached) first.

use super::checks::refuse_foreign_client;
use super::naming::choose_version_named;
use super::remote::{InstallEvent, Remote, fetch_and_extract};
use super::{InstallOptions, InstallReport, Provenance, finish};
use crate::error::{Error, Result};
use crate::http::MAX_ARTIFACT_SIZE;
use crate::platform::host_os;
use crate::sources::legacy;
use crate::store::Store;
use crate::trust::{self, Evidence};

/// `dvm install --from URL`: like a local file, but downloaded (and cached) first.
pub fn install_from_url(
    remote: &Remote,
    store: &Store,
    url: &str,
    opts: &InstallOptions,
    progress: &(dyn Fn(InstallEvent) + Sync),
) -> Result<InstallReport> {
    let staging = store.stage("url")?;
    let cache_file = remote.cache_file(url);
    let client_dest = staging.client_path();
    let keys = remote.keys.get()?;
    let fetched = fetch_and_extract(
        remote,
        url,
        &cache_file,
        &client_dest,
        MAX_ARTIFACT_SIZE,
        keys,
        progress,
    )?
    .ok_or_else(|| {
        if remote.options.offline {
            Error::network(format!(
                "offline, and {url} was never downloaded (it is not in the download cache)"
            ))
            .with_hint("run the command without --offline to download it")
        } else {
            Error::not_found(format!("{url} was not found (HTTP 404)"))
                .with_hint("check the URL, or download the file and use --from FILE")
        }
    })?;
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or("");
    let version = choose_version_named(opts, &fetched.client, name, url);
    refuse_foreign_client(&fetched.client, host_os(), url, version.as_ref().ok())?;
    let version = version?;
    let expected = legacy::expected_for_url(&remote.hosts, url);
    let verified_by = trust::check(&Evidence {
        shown: url,
        sha256: &fetched.sha256,
        sha1: &fetched.sha1,
        expected: expected.as_ref(),
        pin: opts.pinned_sha256.as_deref(),
        rpm_digests: fetched.client.rpm.is_some(),
        tofu: None,
        signature: fetched
            .client
            .rpm
            .as_ref()
            .and_then(|r| r.signature.as_ref()),
        policy: opts.policy(false),
    })
    .inspect_err(|_| {
        // A download that fails verification must not be reused from the cache.
        let _ = std::fs::remove_file(&cache_file);
    })?;
    let provenance = Provenance {
        version,
        source: "url".into(),
        origin: url.to_string(),
        archive_sha256: Some(fetched.sha256),
        verified_by,
        checksum_from: match expected {
            Some(crate::sources::Expected::Published { evidence, .. }) => evidence,
            _ => Vec::new(),
        },
        repodata_signature: None,
    };
    finish(store, staging, fetched.client, provenance, opts)
}
