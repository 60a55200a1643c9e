//! The systems and architectures Docker published clients for, and the one dvm runs on.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    Linux,
    Mac,
    Windows,
}

impl Os {
    /// The folder name under `get.docker.com/builds/`.
    pub fn legacy_dir(self) -> &'static str {
        match self {
            Os::Linux => "Linux",
            Os::Mac => "Darwin",
            Os::Windows => "Windows",
        }
    }

    /// The folder name under `download.docker.com/`.
    pub fn static_dir(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Mac => "mac",
            Os::Windows => "win",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Os::Linux => "linux",
            Os::Mac => "mac",
            Os::Windows => "windows",
        })
    }
}

impl FromStr for Os {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linux" => Ok(Os::Linux),
            "mac" | "macos" | "darwin" | "osx" => Ok(Os::Mac),
            "windows" | "win" => Ok(Os::Windows),
            _ => Err(Error::usage(format!("unknown OS '{}'", s.escape_default()))
                .with_hint("use linux, mac or windows")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    I386,
    Armel,
    Armhf,
    Aarch64,
    Ppc64le,
    S390x,
}

impl Arch {
    /// Docker's folder name for this architecture (the same on legacy, static and RPM hosts).
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I386 => "i386",
            Arch::Armel => "armel",
            Arch::Armhf => "armhf",
            Arch::Aarch64 => "aarch64",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Arch {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x64" => Ok(Arch::X86_64),
            "i386" | "i686" | "386" | "x86" => Ok(Arch::I386),
            "armel" | "armv6" | "arm" => Ok(Arch::Armel),
            "armhf" | "armv7" | "armv7l" => Ok(Arch::Armhf),
            "aarch64" | "arm64" => Ok(Arch::Aarch64),
            "ppc64le" => Ok(Arch::Ppc64le),
            "s390x" => Ok(Arch::S390x),
            _ => Err(
                Error::usage(format!("unknown architecture '{}'", s.escape_default()))
                    .with_hint("use x86_64, i386, armel, armhf, aarch64, ppc64le or s390x"),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
}

impl Platform {
    pub fn new(os: Os, arch: Arch) -> Self {
        Platform { os, arch }
    }

    /// The platform dvm was built for.
    pub fn current() -> Result<Platform> {
        let os = if cfg!(target_os = "linux") {
            Os::Linux
        } else if cfg!(target_os = "macos") {
            Os::Mac
        } else if cfg!(windows) {
            Os::Windows
        } else {
            return Err(unsupported_platform("this operating system"));
        };
        let arch = if cfg!(target_arch = "x86_64") {
            Arch::X86_64
        } else if cfg!(target_arch = "x86") {
            Arch::I386
        } else if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(target_arch = "arm") {
            Arch::Armhf
        } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
            Arch::Ppc64le
        } else if cfg!(target_arch = "s390x") {
            Arch::S390x
        } else {
            return Err(unsupported_platform("this architecture"));
        };
        Ok(Platform { os, arch })
    }
}

fn unsupported_platform(what: &str) -> Error {
    Error::not_found(format!("Docker never published clients for {what}"))
        .with_hint("install a client by hand and use `dvm use system`")
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

/// `linux/x86_64`, `mac/arm64`, `windows/amd64`.
impl FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (os, arch) = s.split_once('/').ok_or_else(|| {
            Error::usage(format!("'{}' is not a platform", s.escape_default()))
                .with_hint("write OS/ARCH, e.g. linux/x86_64")
        })?;
        Ok(Platform {
            os: os.parse()?,
            arch: arch.parse()?,
        })
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
