//! Installing a client: from a local archive (`--from FILE`), a URL (`--from URL`), or the
//! remote sources (`dvm install VERSION`). Every path ends the same way: extract into a private
//! staging folder, verify, take the version's lock, and rename into place.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::archive::{self, BinaryFormat, ExtractedClient};
use crate::error::{Error, IoContext, Result};
use crate::sources::Os;
use crate::store::{Committed, Manifest, Staging, Store, now_unix};
use crate::verify::VerifiedBy;
use crate::version::DockerVersion;

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Install under this version whatever the archive says (`--as`).
    pub as_version: Option<DockerVersion>,
    /// Replace an installed copy.
    pub force: bool,
    /// Expected archive sha256 (`--sha256`).
    pub pinned_sha256: Option<String>,
}

/// What an install did.
#[derive(Debug, Clone)]
pub struct InstallReport {
    pub version: DockerVersion,
    pub client_path: PathBuf,
    /// False when the version was already installed and nothing changed.
    pub installed: bool,
    pub verified_by: Vec<VerifiedBy>,
    pub source: String,
    pub origin: String,
}

/// Reads through `inner`, hashing every byte with sha256 (and sha1 when repodata asks for it).
pub struct HashingReader<R> {
    inner: R,
    sha256: Sha256,
    sha1: Option<sha1::Sha1>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            sha256: Sha256::new(),
            sha1: None,
            count: 0,
        }
    }

    pub fn with_sha1(mut self) -> Self {
        self.sha1 = Some(sha1::Sha1::new());
        self
    }

    /// Reads the rest to EOF, then returns (sha256 hex, bytes read).
    pub fn finish(self) -> io::Result<(String, u64)> {
        self.finish_all().map(|(sha256, _, count)| (sha256, count))
    }

    /// Reads the rest to EOF, then returns (sha256 hex, sha1 hex or empty, bytes read).
    pub fn finish_all(mut self) -> io::Result<(String, String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let sha1 = self
            .sha1
            .map(|h| hex::encode(h.finalize()))
            .unwrap_or_default();
        Ok((hex::encode(self.sha256.finalize()), sha1, self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        self.sha256.update(data);
        if let Some(h) = &mut self.sha1 {
            h.update(data);
        }
        self.count += n as u64;
        Ok(n)
    }
}

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
    let extracted = archive::extract_client(&mut reader, &staging.client_path())
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
    let mut verified_by = rpm_verification(&extracted);
    if let Some(pin) = &opts.pinned_sha256 {
        check_pin(pin, &archive_sha256, &origin.display().to_string())?;
        verified_by.push(VerifiedBy::Pinned);
    }
    finish(
        store,
        staging,
        extracted,
        Provenance {
            version,
            source: "file".into(),
            origin: origin.display().to_string(),
            archive_sha256: Some(archive_sha256),
            verified_by,
        },
        opts,
    )
}

/// Everything about an install except the extracted bytes.
pub struct Provenance {
    pub version: DockerVersion,
    pub source: String,
    pub origin: String,
    pub archive_sha256: Option<String>,
    pub verified_by: Vec<VerifiedBy>,
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
    };
    let committed = store.commit(staging, &manifest, &v, opts.force)?;
    Ok(InstallReport {
        version: v,
        client_path: store.layout().client_path(&v),
        installed: committed == Committed::Installed,
        verified_by: provenance.verified_by,
        source: provenance.source,
        origin: provenance.origin,
    })
}

pub fn rpm_verification(extracted: &ExtractedClient) -> Vec<VerifiedBy> {
    match &extracted.rpm {
        Some(_) => vec![VerifiedBy::RpmDigests],
        None => Vec::new(),
    }
}

pub fn check_pin(pin: &str, actual: &str, origin: &str) -> Result<()> {
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

/// The system this dvm was built for, when it is one Docker built clients for.
pub fn host_os() -> Option<Os> {
    if cfg!(target_os = "linux") {
        Some(Os::Linux)
    } else if cfg!(target_os = "macos") {
        Some(Os::Mac)
    } else if cfg!(windows) {
        Some(Os::Windows)
    } else {
        None
    }
}

/// The system a client binary in `format` runs on.
fn system_of(format: BinaryFormat) -> Os {
    match format {
        BinaryFormat::Elf => Os::Linux,
        BinaryFormat::MachO => Os::Mac,
        BinaryFormat::Pe => Os::Windows,
    }
}

fn os_name(os: Os) -> &'static str {
    match os {
        Os::Linux => "Linux",
        Os::Mac => "macOS",
        Os::Windows => "Windows",
    }
}

/// Refuses a client binary built for another system than `host` (see [`host_os`]): installed,
/// it could never run. Only recognised binaries are judged: anything else (a script, say)
/// passes, and so does anything on a host Docker never built for. `shown` names the archive;
/// `version`, when known, goes into the hint.
pub fn refuse_foreign_client(
    client: &ExtractedClient,
    host: Option<Os>,
    shown: &str,
    version: Option<&DockerVersion>,
) -> Result<()> {
    let (Some(format), Some(host)) = (client.format, host) else {
        return Ok(());
    };
    if system_of(format) == host {
        return Ok(());
    }
    let system = os_name(system_of(format));
    let here = os_name(host);
    let what = match &client.entry {
        Some(entry) => format!("holds a {system} client ({entry})"),
        None => format!("is a {system} client"),
    };
    let install = match version {
        Some(v) => format!("`dvm install {v}`"),
        None => "`dvm install VERSION`".to_string(),
    };
    Err(
        Error::archive(format!("{shown} {what}; it cannot run on {here}")).with_hint(format!(
            "install the {here} build instead: {install} (or --from a {here} .tgz, .rpm or binary)"
        )),
    )
}

/// `--as` wins; then an RPM header's VERSION (content beats names); then the file name.
fn choose_version(
    opts: &InstallOptions,
    extracted: &ExtractedClient,
    path: &Path,
) -> Result<DockerVersion> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    choose_version_named(opts, extracted, name, &path.display().to_string())
}

/// As [`choose_version`], with the name to infer from and how to show the archive.
pub(crate) fn choose_version_named(
    opts: &InstallOptions,
    extracted: &ExtractedClient,
    name: &str,
    shown: &str,
) -> Result<DockerVersion> {
    if let Some(v) = opts.as_version {
        return Ok(v);
    }
    if let Some(rpm) = &extracted.rpm
        && let Some(v) = archive::rpm_version_to_docker(&rpm.version, &rpm.release)
    {
        return Ok(v);
    }
    infer_version_from_file_name(name).ok_or_else(|| {
        Error::usage(format!("cannot tell which docker version {shown} is"))
            .with_hint("say it with --as VERSION, for example: dvm install --from FILE --as 1.12.6")
    })
}

/// `docker-engine-1.12.6-1.fc24.x86_64.rpm` → 1.12.6; `docker-17.03.0-ce.tgz` → 17.03.0-ce;
/// `docker-1.9.1` → 1.9.1. RPM names are name-version-release.arch.rpm.
pub fn infer_version_from_file_name(name: &str) -> Option<DockerVersion> {
    if let Some(stem) = name.strip_suffix(".rpm") {
        let (nvr, _arch) = stem.rsplit_once('.')?;
        let mut parts = nvr.rsplitn(3, '-');
        let release = parts.next()?;
        let version = parts.next()?;
        let _name = parts.next()?;
        return archive::rpm_version_to_docker(version, release);
    }
    let stem = [".tar.gz", ".tgz", ".zip", ".exe"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name);
    let version = stem.strip_prefix("docker-")?;
    DockerVersion::parse(version).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(format: Option<BinaryFormat>, entry: Option<&str>) -> ExtractedClient {
        ExtractedClient {
            kind: archive::ArchiveKind::TarGz,
            sha256: String::new(),
            size: 0,
            rpm: None,
            format,
            entry: entry.map(str::to_string),
        }
    }

    #[test]
    fn a_client_binary_runs_only_on_its_own_system() {
        use BinaryFormat::{Elf, MachO, Pe};
        let hosts = [None, Some(Os::Linux), Some(Os::Mac), Some(Os::Windows)];
        // Whether the client may be installed, host by host in the order of `hosts`.
        let table = [
            (None, [true, true, true, true]),
            (Some(Elf), [true, true, false, false]),
            (Some(MachO), [true, false, true, false]),
            (Some(Pe), [true, false, false, true]),
        ];
        for (format, allowed) in table {
            for (host, allowed) in hosts.into_iter().zip(allowed) {
                let got = refuse_foreign_client(&client(format, None), host, "f", None);
                assert_eq!(got.is_ok(), allowed, "{format:?} on {host:?}: {got:?}");
                if let Err(e) = got {
                    assert_eq!(e.kind(), crate::error::ErrorKind::Archive);
                }
            }
        }
    }

    #[test]
    fn a_foreign_client_is_named_with_the_build_to_install_instead() {
        let v = DockerVersion::parse("1.13.0").unwrap();
        let zip = client(Some(BinaryFormat::Pe), Some("docker/docker.exe"));
        let err = refuse_foreign_client(&zip, Some(Os::Linux), "docker-1.13.0.zip", Some(&v))
            .unwrap_err();
        assert_eq!(
            err.message(),
            "docker-1.13.0.zip holds a Windows client (docker/docker.exe); it cannot run on Linux"
        );
        assert!(
            err.hint().unwrap().contains("`dvm install 1.13.0`"),
            "{err:?}"
        );

        let raw = client(Some(BinaryFormat::Elf), None);
        let err = refuse_foreign_client(&raw, Some(Os::Mac), "docker-1.9.1", None).unwrap_err();
        assert_eq!(
            err.message(),
            "docker-1.9.1 is a Linux client; it cannot run on macOS"
        );
        assert!(err.hint().unwrap().contains("macOS build"), "{err:?}");
    }

    #[test]
    fn infers_versions_from_the_issue_table() {
        for (name, want) in [
            ("docker-engine-1.12.6-1.fc24.x86_64.rpm", "1.12.6"),
            ("docker-ce-17.03.2.ce-1.el7.centos.x86_64.rpm", "17.03.2-ce"),
            ("docker-ce-cli-20.10.24-3.el7.x86_64.rpm", "20.10.24"),
            ("docker-1.12.6.tgz", "1.12.6"),
            ("docker-17.03.0-ce.tgz", "17.03.0-ce"),
            ("docker-1.9.1", "1.9.1"),
        ] {
            assert_eq!(
                infer_version_from_file_name(name)
                    .map(|v| v.to_string())
                    .as_deref(),
                Some(want),
                "{name}"
            );
        }
        for name in ["docker", "client.tgz", "docker-latest.tgz", "foo.rpm", ""] {
            assert_eq!(infer_version_from_file_name(name), None, "{name}");
        }
    }
}
