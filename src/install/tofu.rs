//! `dvm trust`: the trust-on-first-use records installs keep for files nothing publishes a
//! checksum for, named by URL (keyed as installs key them) or by version.

use std::path::PathBuf;

use super::naming::infer_version_from_file_name;
use super::remote::Remote;
use crate::error::{Error, Result};
use crate::select::version::VersionSpec;

/// What `forget_trust` removed, and from which file.
pub struct Forgotten {
    pub file: PathBuf,
    /// `(key, sha256)`: the key is the path below the source's base, or a full URL.
    pub records: Vec<(String, String)>,
}

/// Every record, as `(key, sha256)`, and the file they live in.
pub fn trust_records(remote: &Remote) -> Result<(PathBuf, Vec<(String, String)>)> {
    Ok((remote.trust.path.clone(), remote.trust.entries()?))
}

/// Forgets the record of a URL (`what` holds `://`), or every record of one exact version's
/// files (any platform, channel or mirror), so that the next install trusts what it downloads
/// as a first use again. Nothing matching is "not found".
pub fn forget_trust(remote: &Remote, what: &str) -> Result<Forgotten> {
    let store = &remote.trust;
    let records = if what.contains("://") {
        let key = remote.hosts.trust_key(what);
        store.forget(|k| k == key || k == what)?
    } else {
        let spec = VersionSpec::parse(what).ok();
        let Some(VersionSpec::Exact(v)) = spec else {
            return Err(Error::usage(format!(
                "'{}' is neither a URL nor an exact version",
                what.escape_default()
            ))
            .with_hint(
                "name the URL the install refused (as its message printed it), or a version \
                 such as 20.10.24",
            ));
        };
        let spec = VersionSpec::Exact(v);
        store.forget(|k| {
            let name = k.rsplit('/').next().unwrap_or(k);
            infer_version_from_file_name(name).is_some_and(|found| spec.matches(&found))
        })?
    };
    if records.is_empty() {
        return Err(
            Error::not_found(format!("no trust-on-first-use record matches {what}")).with_hint(
                format!(
                    "list the records with `dvm trust list` (they are in {})",
                    store.path.display()
                ),
            ),
        );
    }
    Ok(Forgotten {
        file: store.path.clone(),
        records,
    })
}
