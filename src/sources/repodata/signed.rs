//! `repodata/repomd.xml.asc`: where a repository publishes a detached signature of its
//! repomd.xml (download.docker.com does), it is checked before repomd.xml is believed. A valid
//! one makes every checksum below it `signed-repodata`; a bad one, or one by an unknown key,
//! refuses the repository (exit 5). A repository without one (404) stays plain `repodata`.

use super::{PrimaryRef, REPOMD_LIMIT};
use crate::error::{Error, Result};
use crate::openpgp::{LazyKeyring, PendingSignature, SignatureProblem, SignedBy, verify_detached};
use crate::sources::{Http, ListingCache};

/// An armored signature is a few hundred bytes.
const SIGNATURE_LIMIT: u64 = 64 * 1024;

/// repomd.xml's primary reference, and who signed repomd.xml, through the cache.
/// `Ok(None)`: the repository does not exist.
pub(super) fn read_repomd(
    http: &dyn Http,
    repomd_url: &str,
    cache: &ListingCache,
    keys: &LazyKeyring,
    primary_of: &dyn Fn(&[u8]) -> Result<PrimaryRef>,
) -> Result<Option<(PrimaryRef, Option<SignedBy>)>> {
    match read_once(http, repomd_url, cache, keys, primary_of) {
        // The two files are cached apart, so a copy of one may be from an older revision than
        // the other: read both again before calling the pair forged.
        Err(Stale(_)) if !cache.refresh && !cache.offline => {
            let again = ListingCache {
                refresh: true,
                ..cache.clone()
            };
            read_once(http, repomd_url, &again, keys, primary_of).map_err(|e| e.into_error())
        }
        other => other.map_err(|e| e.into_error()),
    }
}

/// A failed read; `Stale` when the signature does not match repomd.xml, which a fresh read of
/// both may cure.
enum Failure {
    Stale(Error),
    Fatal(Error),
}
use Failure::{Fatal, Stale};

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Stale(e) | Fatal(e) => e,
        }
    }
}

fn read_once(
    http: &dyn Http,
    repomd_url: &str,
    cache: &ListingCache,
    keys: &LazyKeyring,
    primary_of: &dyn Fn(&[u8]) -> Result<PrimaryRef>,
) -> std::result::Result<Option<(PrimaryRef, Option<SignedBy>)>, Failure> {
    let with_bytes = |bytes: &[u8]| primary_of(bytes).map(|p| (p, bytes.to_vec()));
    let Some((primary, repomd)) = cache
        .fetch(http, repomd_url, REPOMD_LIMIT, with_bytes)
        .map_err(Fatal)?
    else {
        return Ok(None);
    };
    let asc_url = format!("{repomd_url}.asc");
    // Only something that reads as a signature is cached (not a login page served as 200).
    let readable = |bytes: &[u8]| {
        PendingSignature::from_armored(bytes)
            .map(|_| bytes.to_vec())
            .map_err(|problem| problem.into_error(&asc_url))
    };
    let Some(asc) = cache
        .fetch(http, &asc_url, SIGNATURE_LIMIT, readable)
        .map_err(Fatal)?
    else {
        return Ok(Some((primary, None)));
    };
    let keyring = keys.get().map_err(Fatal)?;
    match verify_detached(&asc, &repomd, keyring) {
        Ok(by) => Ok(Some((primary, Some(by)))),
        Err(problem) => {
            let stale = matches!(problem, SignatureProblem::Mismatch { .. });
            let e = problem.into_error(repomd_url);
            Err(if stale { Stale(e) } else { Fatal(e) })
        }
    }
}
