//! Published checksum files (`<url>.sha256`), as an install reads them.

use super::remote::Remote;
use crate::digest::parse_sha256_file;
use crate::error::{ErrorKind, Result};
use crate::sources::{self, ListingCache};

/// Published checksum files (`<url>.sha256`): fetched afresh whenever dvm is online, and kept
/// in the listing cache so that an offline reinstall is checked against the same published
/// value instead of falling back to trust on first use.
pub(super) struct PublishedChecksums<'a>(pub(super) &'a Remote);

impl sources::Http for PublishedChecksums<'_> {
    fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let remote = self.0;
        let cache = ListingCache {
            refresh: !remote.options.offline,
            ..remote.listings.clone()
        };
        // Only a real checksum file is kept: an error page must not stand in for it offline.
        let checksum_file = |bytes: &[u8]| {
            parse_sha256_file(&String::from_utf8_lossy(bytes))
                .map(|_| bytes.to_vec())
                .map_err(|e| e.context(format!("reading {url}")))
        };
        match cache.fetch(&remote.fetcher, url, limit, checksum_file) {
            // Unreachable (or answering with something else): the copy kept by the last
            // online install still says what was published, as an expired listing does.
            Err(e) if e.kind() == ErrorKind::Network && !remote.options.offline => {
                let kept = ListingCache {
                    offline: true,
                    ..remote.listings.clone()
                };
                kept.fetch(&remote.fetcher, url, limit, checksum_file)
                    .or(Err(e))
            }
            fetched => fetched,
        }
    }
}
