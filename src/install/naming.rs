//! Which version an archive holds, when the user gives a file or URL instead of a version.

use std::path::Path;

use super::InstallOptions;
use crate::archive::{self, ExtractedClient};
use crate::error::{Error, Result};
use crate::select::version::DockerVersion;

/// `--as` wins; then an RPM header's VERSION (content beats names); then the file name.
pub(super) fn choose_version(
    opts: &InstallOptions,
    extracted: &ExtractedClient,
    path: &Path,
) -> Result<DockerVersion> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    choose_version_named(opts, extracted, name, &path.display().to_string())
}

/// As [`choose_version`], with the name to infer from and how to show the archive.
pub(super) fn choose_version_named(
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
