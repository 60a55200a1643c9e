//! Installing a client: from a local archive (`--from FILE`), a URL (`--from URL`), or the
//! remote sources (`dvm install VERSION`). Every path ends the same way: extract into a private
//! staging folder, verify, take the version's lock, and rename into place.

mod checks;
mod file;
mod hints;
mod naming;
mod published;
mod record;
mod remote;
mod search;
mod tofu;
mod url;

use std::path::PathBuf;

pub use file::install_from_file;
pub use naming::infer_version_from_file_name;
pub use remote::{
    ClientCheck, InstallEvent, Remote, RemoteOptions, VerifiedArtifact, expected_for,
    fetch_and_verify,
};
pub use search::install_remote;
pub use tofu::{Forgotten, forget_trust, trust_records};
pub use url::install_from_url;

use crate::archive::ExtractedClient;
use crate::error::Result;
use crate::fsutil::now_unix;
use crate::select::version::DockerVersion;
use crate::store::{Committed, Manifest, Staging, Store};
use crate::trust::VerifiedBy;

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Install under this version whatever the archive says (`--as`).
    pub as_version: Option<DockerVersion>,
    /// Replace an installed copy.
    pub force: bool,
    /// Expected archive sha256 (`--sha256`).
    pub pinned_sha256: Option<String>,
    /// The verification the install must reach (`--require`, `require_verification`).
    pub require: crate::trust::Requirement,
    /// Accept an unsigned RPM from a repository that signs (`--allow-unsigned`).
    pub allow_unsigned: bool,
    /// Public key files whose RPM signatures are accepted besides Docker's (`rpm_keys`).
    pub rpm_keys: Vec<PathBuf>,
}

impl InstallOptions {
    /// Docker's keys and the user's.
    pub(crate) fn keyring(&self) -> Result<crate::openpgp::Keyring> {
        let paths: Vec<&std::path::Path> = self.rpm_keys.iter().map(PathBuf::as_path).collect();
        crate::openpgp::Keyring::with_user_keys(&paths)
    }

    /// The policy for a file from a source that does (or does not) sign its packages.
    pub(crate) fn policy(&self, signature_expected: bool) -> crate::trust::Policy {
        crate::trust::Policy {
            require: self.require,
            signature_expected,
            allow_unsigned: self.allow_unsigned,
        }
    }
}

/// What an install did.
#[derive(Debug, Clone)]
pub struct InstallReport {
    pub version: DockerVersion,
    pub client_path: PathBuf,
    /// False when the version was already installed and nothing changed.
    pub installed: bool,
    pub verified_by: Vec<VerifiedBy>,
    /// Where a published sha256 came from: the `.sha256` URLs read and dvm's embedded table,
    /// as [`crate::sources::Expected::Published`] names them.
    pub checksum_from: Vec<String>,
    pub source: String,
    pub origin: String,
}

/// Everything about an install except the extracted bytes.
pub struct Provenance {
    pub version: DockerVersion,
    pub source: String,
    pub origin: String,
    pub archive_sha256: Option<String>,
    pub verified_by: Vec<VerifiedBy>,
    /// See [`InstallReport::checksum_from`].
    pub checksum_from: Vec<String>,
    /// Who signed the repository metadata that named the archive's checksum.
    pub repodata_signature: Option<crate::openpgp::SignedBy>,
}

/// Takes the version's lock and renames the staged client into place.
pub fn finish(
    store: &Store,
    staging: Staging,
    extracted: ExtractedClient,
    provenance: Provenance,
    opts: &InstallOptions,
) -> Result<InstallReport> {
    let _lock = store.lock(&provenance.version)?;
    store.clean_stale_staging();
    finish_locked(store, staging, extracted, provenance, opts)
}

/// Renames the staged client into place; the caller holds the version's lock.
pub(crate) fn finish_locked(
    store: &Store,
    staging: Staging,
    extracted: ExtractedClient,
    provenance: Provenance,
    opts: &InstallOptions,
) -> Result<InstallReport> {
    checks::refuse_the_shim(&extracted, &provenance.origin)?;
    let v = provenance.version;
    let manifest = Manifest {
        version: v.to_string(),
        source: provenance.source.clone(),
        origin: provenance.origin.clone(),
        archive_kind: extracted.kind,
        archive_sha256: provenance.archive_sha256,
        client_sha256: extracted.sha256,
        client_size: extracted.size,
        verified_by: provenance.verified_by.clone(),
        installed_at: now_unix(),
        rpm: extracted.rpm,
        repodata_signature: provenance.repodata_signature,
    };
    let committed = store.commit(staging, &manifest, &v, opts.force)?;
    Ok(InstallReport {
        version: v,
        client_path: store.layout().client_path(&v),
        installed: committed == Committed::Installed,
        verified_by: provenance.verified_by,
        checksum_from: provenance.checksum_from,
        source: provenance.source,
        origin: provenance.origin,
    })
}
