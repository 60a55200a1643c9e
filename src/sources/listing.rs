//! The union of every listing, for `dvm ls-remote`.

use super::catalog::refuse_missing_channel;
use super::{Catalog, Channel, DigestAlgo, Distro, Expected, Platform, SourceKind};
use crate::error::{ErrorKind, Result};
use crate::select::version::DockerVersion;

#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Only this source.
    pub source: Option<SourceKind>,
    /// Default: stable.
    pub channel: Option<Channel>,
    /// Repository for yum/rpm (default centos/7 for yum, centos/7 and centos/9 for rpm).
    pub distro: Option<Distro>,
    pub platform: Platform,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub version: DockerVersion,
    pub source: SourceKind,
    pub channel: Channel,
    pub url: String,
    /// A published or repodata sha256, when there is one.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RemoteListing {
    /// Oldest first; one entry per version and source, sources in dvm's preference order.
    pub entries: Vec<RemoteEntry>,
    /// Sources that could not be read (`<source>: <reason>`); the others are still listed.
    pub skipped: Vec<String>,
}

/// The union of what every source lists for `query`. A source that fails is noted in
/// `skipped`; it is an error when every networked source fails (or the one forced with
/// `source`), and always for an integrity failure.
impl Catalog<'_> {
    pub fn list(&self, query: &ListQuery) -> Result<RemoteListing> {
        let channel = query.channel.unwrap_or(Channel::Stable);
        let wanted: Vec<SourceKind> = match query.source {
            Some(s) => {
                refuse_missing_channel(s, channel)?;
                vec![s]
            }
            None => SourceKind::ALL
                .into_iter()
                .filter(|s| s.has_channel(channel))
                .collect(),
        };
        let mut listing = RemoteListing::default();
        let mut first_error = None;
        let mut any_ok = false;
        for source in wanted {
            let read = self.list_source(source, channel, query.distro.as_ref(), query.platform);
            match read {
                Ok(artifacts) => {
                    // The embedded legacy table cannot fail, so it does not count as a source read.
                    any_ok |= source != SourceKind::Legacy;
                    listing
                        .entries
                        .extend(artifacts.into_iter().map(|a| RemoteEntry {
                            sha256: match &a.expected {
                                Expected::Published { sha256, .. } => Some(sha256.clone()),
                                Expected::Repodata {
                                    algo: DigestAlgo::Sha256,
                                    hex,
                                    ..
                                } => Some(hex.clone()),
                                _ => None,
                            },
                            version: a.version,
                            source: a.source,
                            channel: a.channel,
                            url: a.url,
                        }));
                }
                Err(e) if e.kind() == ErrorKind::Integrity => return Err(e),
                Err(e) => {
                    listing.skipped.push(format!("{source}: {}", e.message()));
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error
            && !any_ok
        {
            return Err(e);
        }
        let rank = |s: SourceKind| {
            SourceKind::ALL
                .iter()
                .position(|x| *x == s)
                .unwrap_or(usize::MAX)
        };
        listing.entries.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| rank(a.source).cmp(&rank(b.source)))
        });
        listing
            .entries
            .dedup_by(|a, b| a.version == b.version && a.source == b.source);
        Ok(listing)
    }
}
