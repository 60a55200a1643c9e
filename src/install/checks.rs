//! What an extracted client must be before it is installed: a binary for this system, and
//! not dvm's own shim.

use crate::archive::{BinaryFormat, ExtractedClient};
use crate::error::{Error, Result};
use crate::platform::Os;
use crate::select::version::DockerVersion;

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

/// Refuses dvm's `docker` shim as a client (say, `dvm install --from "$(command -v docker)"`
/// with the shims first on PATH): installed, every `docker` would exec the shim again.
/// Shims of other dvm builds are caught at run time by the shim's depth guard.
pub fn refuse_the_shim(client: &ExtractedClient, shown: &str) -> Result<()> {
    let shim = crate::store::SHIM_BINARY;
    if client.size != shim.len() as u64
        || client.sha256 != crate::digest::digest(crate::digest::DigestAlgo::Sha256, shim)
    {
        return Ok(());
    }
    Err(Error::archive(format!(
        "{shown} is dvm's own `docker` shim, not a Docker client; installed, it would run itself"
    ))
    .with_hint(
        "install a real client: dvm install VERSION, or --from the docker binary outside dvm's \
         shims folder (`dvm which system` names it)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(format: Option<BinaryFormat>, entry: Option<&str>) -> ExtractedClient {
        ExtractedClient {
            kind: crate::archive::ArchiveKind::TarGz,
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
}
