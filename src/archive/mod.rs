//! Archives: find the docker client inside whatever Docker shipped, by content, as a stream.
//! (Owned by the archive work: rpm.rs, cpio.rs, tar.rs, raw.rs, zip.rs live beside this file.)

use std::io::Read;
use std::path::Path;

use crate::error::Result;

/// The largest client entry we accept (real clients are under 100 MB).
pub const MAX_CLIENT_SIZE: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveKind {
    Rpm,
    TarGz,
    Zip,
    RawElf,
    RawMachO,
    RawPe,
}

/// What an RPM's header said, and which of its digests were checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpmInfo {
    pub name: String,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub payload_compressor: String,
    /// e.g. ["header-sha256", "header-sha1", "payload-sha256", "md5"]
    pub digests_verified: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ExtractedClient {
    pub kind: ArchiveKind,
    /// Lowercase hex sha256 of the client as written.
    pub sha256: String,
    pub size: u64,
    pub rpm: Option<RpmInfo>,
}

/// Reads an archive from `input` and writes only the client to `dest` (created, 0755, fsynced).
/// Reads only as far as verification needs; the caller drains whatever is left.
pub fn extract_client<R: Read>(input: R, dest: &Path) -> Result<ExtractedClient> {
    let _ = (input, dest);
    todo!()
}

/// Maps RPM version/release fields to Docker's spelling (stub until the archive work lands).
pub fn rpm_version_to_docker(
    version: &str,
    release: &str,
) -> Option<crate::version::DockerVersion> {
    let _ = release;
    crate::version::DockerVersion::parse(version).ok()
}
