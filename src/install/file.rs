//! `dvm install --from FILE`: a local archive, extracted and verified like a download.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use super::checks::refuse_foreign_client;
use super::naming::choose_version;
use super::{InstallOptions, InstallReport, Provenance, finish};
use crate::archive;
use crate::digest::HashingReader;
use crate::error::{Error, IoContext, Result};
use crate::platform::host_os;
use crate::store::Store;
use crate::trust::{self, Evidence};

/// `dvm install --from FILE`.
pub fn install_from_file(
    store: &Store,
    path: &Path,
    opts: &InstallOptions,
) -> Result<InstallReport> {
    if path.is_dir() {
        return Err(
            Error::usage(format!("{} is a folder, not an archive", path.display()))
                .with_hint("give the path of a downloaded .rpm, .tgz or docker binary"),
        );
    }
    // Before opening: a FIFO without a writer would block the open for ever.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::usage(format!(
            "{} is not a regular file (a FIFO, socket or device), so it is no archive",
            path.display()
        ))
        .with_hint("download the archive to a file first, then: dvm install --from FILE"));
    }
    let file = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Error::not_found(format!("{} does not exist", path.display()))
                .with_hint("give the path of a downloaded .rpm, .tgz or docker binary")
        } else {
            Error::io("open", path, e)
        }
    })?;
    let origin = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let staging = store.stage("from")?;
    let mut reader = HashingReader::new(BufReader::with_capacity(256 * 1024, file));
    let keys = opts.keyring()?;
    let extracted = archive::extract_client_with_keys(&mut reader, &staging.client_path(), &keys)
        .map_err(|e| e.context(format!("{}", path.display())))?;
    let (archive_sha256, _) = reader.finish().with_path("read", path)?;
    let version = choose_version(opts, &extracted, path);
    refuse_foreign_client(
        &extracted,
        host_os(),
        &path.display().to_string(),
        version.as_ref().ok(),
    )?;
    let version = version?;
    let origin = origin.display().to_string();
    let verified_by = trust::check(&Evidence {
        shown: &origin,
        sha256: &archive_sha256,
        sha1: "",
        expected: None,
        pin: opts.pinned_sha256.as_deref(),
        rpm_digests: extracted.rpm.is_some(),
        tofu: None,
        signature: extracted.rpm.as_ref().and_then(|r| r.signature.as_ref()),
        policy: opts.policy(false),
    })?;
    finish(
        store,
        staging,
        extracted,
        Provenance {
            version,
            source: "file".into(),
            origin,
            archive_sha256: Some(archive_sha256),
            verified_by,
            checksum_from: Vec::new(),
            repodata_signature: None,
        },
        opts,
    )
}
