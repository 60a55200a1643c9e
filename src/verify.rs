//! Checksum sources: published .sha256 files, the embedded legacy table, repodata, trust on first use, pins.

/// How an installed client was verified (recorded in its manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifiedBy {
    PublishedSha256,
    Repodata,
    RpmDigests,
    Tofu,
    Pinned,
}
