//! The one verification policy: every install path (a source, `--from URL`, `--from FILE`)
//! hands over what it knows about an archive as [`Evidence`], and [`check`] decides, in one
//! order, whether it may be installed and how it was verified.
//!
//! What each source publishes is gathered by `sources` (an [`Expected`]); the digests inside
//! an RPM are checked while `archive` reads it; this module weighs them.

mod tofu;

use std::fmt;

pub use tofu::TofuStore;

use crate::digest::{DigestAlgo, check_digest};
use crate::error::{Error, Result};
use crate::openpgp::SignedBy;
use crate::sources::Expected;

/// How an installed client was verified; recorded in manifests and shown by `dvm ls --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifiedBy {
    /// An OpenPGP signature over the whole RPM, by a key in the keyring.
    Signature,
    /// The checksum in primary.xml, which repomd.xml names by digest, and repomd.xml carries
    /// an OpenPGP signature (`repomd.xml.asc`) by a key in the keyring.
    SignedRepodata,
    /// A sha256 Docker published (`.sha256` sibling and/or dvm's embedded table).
    PublishedSha256,
    /// The checksum in the repository's primary.xml.
    Repodata,
    /// A sha256 an independent party recorded for the file (dvm's embedded static table).
    ThirdPartySha256,
    /// The digests inside the RPM itself (header and payload).
    RpmDigests,
    /// Nothing published: the digest seen the first time, remembered since.
    Tofu,
    /// A digest the user gave (`--sha256`).
    Pinned,
    /// Nothing at all: a local file or a URL nobody vouches for.
    None,
}

impl VerifiedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifiedBy::PublishedSha256 => "published-sha256",
            VerifiedBy::Repodata => "repodata",
            VerifiedBy::RpmDigests => "rpm-digests",
            VerifiedBy::Tofu => "tofu",
            VerifiedBy::Pinned => "pinned",
            VerifiedBy::Signature => "signature",
            VerifiedBy::SignedRepodata => "signed-repodata",
            VerifiedBy::ThirdPartySha256 => "third-party-sha256",
            VerifiedBy::None => "none",
        }
    }
}

impl fmt::Display for VerifiedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl VerifiedBy {
    /// Strongest first: a signature (on the package, then on the repository's metadata), what
    /// a user pinned, what Docker published, the
    /// archive's own digests, trust on first use, nothing.
    fn rank(self) -> u8 {
        match self {
            VerifiedBy::Signature => 0,
            VerifiedBy::SignedRepodata => 1,
            VerifiedBy::Pinned => 2,
            VerifiedBy::PublishedSha256 => 3,
            VerifiedBy::Repodata => 4,
            VerifiedBy::ThirdPartySha256 => 5,
            VerifiedBy::RpmDigests => 6,
            VerifiedBy::Tofu => 7,
            VerifiedBy::None => 8,
        }
    }

    /// Whether this method meets `level`.
    pub fn meets(self, level: Requirement) -> bool {
        match level {
            Requirement::Any => true,
            Requirement::Checksum => self.rank() < VerifiedBy::Tofu.rank(),
            Requirement::Signature => {
                matches!(self, VerifiedBy::Signature | VerifiedBy::SignedRepodata)
            }
        }
    }
}

/// The verification an install must reach (`--require`, `require_verification`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Requirement {
    /// Anything, trust on first use included.
    #[default]
    Any,
    /// Anything stronger than trust on first use.
    Checksum,
    /// An OpenPGP signature.
    Signature,
}

impl std::str::FromStr for Requirement {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "any" => Ok(Requirement::Any),
            "checksum" => Ok(Requirement::Checksum),
            "signature" => Ok(Requirement::Signature),
            _ => Err(Error::usage(format!(
                "'{}' is not a verification level",
                text.escape_default()
            ))
            .with_hint("use signature, checksum or any")),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Requirement::Any => "any",
            Requirement::Checksum => "checksum",
            Requirement::Signature => "signature",
        })
    }
}

/// What an install demands beyond "nothing contradicts the file".
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    pub require: Requirement,
    /// The source signs its packages (Docker's RPM repositories), so an unsigned one is suspect.
    pub signature_expected: bool,
    /// The user accepts unsigned packages where a signature is expected.
    pub allow_unsigned: bool,
}

/// Everything known about one archive when it is about to be committed.
pub struct Evidence<'a> {
    /// The archive as messages name it: its URL, or the path of a local file.
    pub shown: &'a str,
    pub sha256: &'a str,
    /// Only computed when repodata names a sha1 checksum.
    pub sha1: &'a str,
    /// What the archive's source says it must hash to; `None` when no source vouches for it
    /// (a local file, or a URL on no known base).
    pub expected: Option<&'a Expected>,
    /// `--sha256`.
    pub pin: Option<&'a str>,
    /// Whether `archive` checked the RPM's own header and payload digests.
    pub rpm_digests: bool,
    /// Where a trust-on-first-use record is kept, and its key, for [`Expected::Tofu`].
    pub tofu: Option<(&'a TofuStore, &'a str)>,
    /// The OpenPGP signature `archive` verified over the whole RPM.
    pub signature: Option<&'a SignedBy>,
    pub policy: Policy,
}

/// Checks `evidence` and returns every method that passed, strongest first; any mismatch is
/// an integrity error and nothing may be installed.
pub fn check(evidence: &Evidence) -> Result<Vec<VerifiedBy>> {
    let url = evidence.shown;
    let policy = evidence.policy;
    let mut verified = Vec::new();
    let mut first_seen = None;
    if let Some(pin) = evidence.pin {
        check_pin(pin, evidence.sha256, url)?;
        verified.push(VerifiedBy::Pinned);
    }
    match evidence.expected {
        Some(Expected::Published {
            sha256,
            evidence: from,
        }) => {
            let what = format!("sha256 (published: {})", from.join(", "));
            check_digest(sha256, evidence.sha256, &what, url)?;
            verified.push(VerifiedBy::PublishedSha256);
        }
        Some(expected @ Expected::Repodata { algo, hex, .. }) => {
            let actual = match algo {
                DigestAlgo::Sha256 => evidence.sha256,
                DigestAlgo::Sha1 => evidence.sha1,
            };
            check_digest(hex, actual, &format!("{} (repodata)", algo.as_str()), url)?;
            verified.push(method_for(expected));
        }
        Some(Expected::ThirdParty { sha256s, origin }) => {
            check_third_party(sha256s, origin, evidence.sha256, url)?;
            verified.push(VerifiedBy::ThirdPartySha256);
        }
        Some(Expected::Tofu) => {
            if let Some((store, key)) = evidence.tofu {
                // Recorded only once every other check has passed.
                if let Some(replace) = check_tofu(store, key, evidence)? {
                    first_seen = Some((store, key, replace));
                }
                verified.push(VerifiedBy::Tofu);
            }
        }
        None => {}
    }
    if evidence.rpm_digests {
        verified.push(VerifiedBy::RpmDigests);
    }
    // After the checksums: a swapped file is reported as swapped, not as unsigned.
    if check_signature(evidence)? {
        verified.push(VerifiedBy::Signature);
    }
    if verified.is_empty() {
        verified.push(VerifiedBy::None);
    }
    verified.sort_by_key(|m| m.rank());
    let best = verified[0];
    if !best.meets(policy.require) {
        return Err(Error::integrity(format!(
            "refusing {url}: the strongest check it passed is {best}, and --require {} was asked \
             for",
            policy.require
        )));
    }
    match first_seen {
        Some((store, key, true)) => store.replace(key, evidence.sha256).map(|_| ())?,
        Some((store, key, false)) => store.record(key, evidence.sha256)?,
        None => {}
    }
    Ok(verified)
}

/// Checks a file nothing publishes a checksum for against the record of its first install.
/// `Ok(Some(replace))`: the record is to be written once every other check has passed: there
/// is none yet (`false`), or the user's `--sha256` (already checked) names this file and wins
/// over the old one (`true`).
fn check_tofu(store: &TofuStore, key: &str, evidence: &Evidence) -> Result<Option<bool>> {
    let url = evidence.shown;
    match store.get(key)? {
        None => Ok(Some(false)),
        Some(recorded) if recorded.eq_ignore_ascii_case(evidence.sha256) => Ok(None),
        Some(_) if evidence.pin.is_some() => Ok(Some(true)),
        Some(recorded) => Err(Error::integrity(format!(
            "{url} differs from the file first installed from it: expected {recorded} (the \
             sha256 recorded then, trust on first use, in {}), got {}",
            store.path.display(),
            evidence.sha256
        ))
        .with_hint(format!(
            "nothing was installed and the download was discarded. If Docker republished the \
             file, forget the old record with `dvm trust forget {url}`, or install the new one \
             with --sha256 {}; otherwise do not use it (the file or your mirror may have been \
             tampered with)",
            evidence.sha256
        ))),
    }
}

/// Whether `evidence` carries a verified signature; an error when one is expected and absent.
fn check_signature(evidence: &Evidence) -> Result<bool> {
    let policy = evidence.policy;
    match evidence.signature {
        Some(_) => Ok(true),
        None if policy.signature_expected && !policy.allow_unsigned => {
            Err(Error::integrity(format!(
                "refusing {}: it carries no signature dvm can check, and this repository signs \
                 its packages",
                evidence.shown
            ))
            .with_hint(
                "a mirror may have stripped or replaced the signature; if you trust the file \
                 anyway, pass --allow-unsigned (or set allow_unsigned_rpms = true)",
            ))
        }
        None => Ok(false),
    }
}

/// `actual` must be one of the values an independent party recorded for the file (a file
/// republished under the same name has more than one).
fn check_third_party(sha256s: &[String], origin: &str, actual: &str, url: &str) -> Result<()> {
    if sha256s.iter().any(|s| s.eq_ignore_ascii_case(actual)) {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "sha256 mismatch for {url}: an independent record ({origin}) has {}, got {actual}",
        sha256s.join(" or "),
    ))
    .with_hint(
        "the file differs from the one recorded when it was published: do not use it; retry \
         later, or try another mirror",
    ))
}

/// The method a source's expectation will be verified by.
pub fn method_for(expected: &Expected) -> VerifiedBy {
    match expected {
        Expected::Published { .. } => VerifiedBy::PublishedSha256,
        Expected::Repodata {
            signed_by: Some(_), ..
        } => VerifiedBy::SignedRepodata,
        Expected::Repodata { .. } => VerifiedBy::Repodata,
        Expected::ThirdParty { .. } => VerifiedBy::ThirdPartySha256,
        Expected::Tofu => VerifiedBy::Tofu,
    }
}

fn check_pin(pin: &str, actual: &str, origin: &str) -> Result<()> {
    if pin.eq_ignore_ascii_case(actual) {
        Ok(())
    } else {
        Err(Error::integrity(format!(
            "sha256 mismatch for {origin}: expected {} (--sha256), got {actual}",
            pin.to_ascii_lowercase()
        ))
        .with_hint("the archive is not the one you pinned; nothing was installed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence<'a>(expected: Option<&'a Expected>, policy: Policy) -> Evidence<'a> {
        Evidence {
            shown: "pkg.rpm",
            sha256: "ab",
            sha1: "",
            expected,
            pin: None,
            rpm_digests: true,
            tofu: None,
            signature: None,
            policy,
        }
    }

    #[test]
    fn levels_rank_the_methods() {
        use VerifiedBy::*;
        for (method, checksum, signature) in [
            (Signature, true, true),
            (SignedRepodata, true, true),
            (Pinned, true, false),
            (PublishedSha256, true, false),
            (Repodata, true, false),
            (RpmDigests, true, false),
            (Tofu, false, false),
            (None, false, false),
        ] {
            assert!(method.meets(Requirement::Any));
            assert_eq!(method.meets(Requirement::Checksum), checksum, "{method}");
            assert_eq!(method.meets(Requirement::Signature), signature, "{method}");
        }
    }

    #[test]
    fn an_unsigned_package_where_one_is_expected_needs_the_users_consent() {
        let expected = Expected::Repodata {
            algo: DigestAlgo::Sha256,
            hex: "ab".into(),
            signed_by: Option::None,
        };
        let strict = Policy {
            signature_expected: true,
            ..Policy::default()
        };
        let err = check(&evidence(Some(&expected), strict)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Integrity);
        assert!(err.hint().unwrap().contains("--allow-unsigned"), "{err:?}");

        let allowed = Policy {
            allow_unsigned: true,
            ..strict
        };
        let got = check(&evidence(Some(&expected), allowed)).unwrap();
        assert_eq!(got, [VerifiedBy::Repodata, VerifiedBy::RpmDigests]);

        let require = Policy {
            require: Requirement::Signature,
            ..allowed
        };
        let err = check(&evidence(Some(&expected), require)).unwrap_err();
        assert!(
            err.message()
                .contains("strongest check it passed is repodata"),
            "{err:?}"
        );
    }

    #[test]
    fn a_mismatch_is_reported_before_a_missing_signature() {
        let expected = Expected::Repodata {
            algo: DigestAlgo::Sha256,
            hex: "cd".into(),
            signed_by: Option::None,
        };
        let strict = Policy {
            signature_expected: true,
            ..Policy::default()
        };
        let err = check(&evidence(Some(&expected), strict)).unwrap_err();
        assert!(
            err.message()
                .contains("does not match the sha256 (repodata)"),
            "{err:?}"
        );
    }
}
