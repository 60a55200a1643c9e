//! A loopback replica of Docker's four download hosts on one [`FixtureServer`], laid out so that
//! `DVM_MIRROR=<replica.mirror()>` finds everything where dvm looks on the real hosts:
//!
//! - `/download.docker.com/linux/static/{stable|test}/x86_64/docker-V.tgz` (autoindex folders)
//! - `/get.docker.com/builds/Linux/x86_64/docker-V[.tgz]` and `/test.docker.com/...` for
//!   prereleases, each with a `.sha256` sibling (`<hex>  <name>`)
//! - `/yum.dockerproject.org/repo/main/{distro}/{N}/` with `repodata/` and `Packages/`
//! - `/download.docker.com/linux/{distro}/{N}/x86_64/{channel}/` with `repodata/` and `Packages/`
//!
//! Every archive holds `archives::fake_client_script(V)` as its client (raw legacy builds, which
//! must be ELF, hold `archives::fake_elf`). Nothing here comes from the real hosts.
//!
//! Used as `crate::support::replica`, next to `archives` and `server`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use sha1::Digest as _;

use crate::support::archives::{self, RpmFamily};
use crate::support::server::{FixtureServer, RequestRecord, Route};

pub const STATIC_HOST: &str = "/download.docker.com";
pub const LEGACY_HOST: &str = "/get.docker.com";
pub const LEGACY_TEST_HOST: &str = "/test.docker.com";
pub const YUM_HOST: &str = "/yum.dockerproject.org";
pub const RPM_HOST: &str = "/download.docker.com";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(bytes))
}

/// A file the replica serves.
#[derive(Debug, Clone)]
pub struct Served {
    /// The server path, e.g. `/get.docker.com/builds/Linux/x86_64/docker-1.8.0`.
    pub path: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// How a repository's primary.xml declares its package checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoChecksum {
    Sha256,
    /// `type="sha"` with a sha1, as old createrepo wrote.
    Sha1,
}

/// One RPM in a repository.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: &'static str,
    pub ver: &'static str,
    pub rel: &'static str,
    /// What `docker --version` prints for the client inside (`None`: a package without a
    /// client, like docker-ce from 18.09 on, which only holds the daemon).
    pub client_version: Option<&'static str>,
}

impl Package {
    pub fn file_name(&self) -> String {
        format!("{}-{}-{}.x86_64.rpm", self.name, self.ver, self.rel)
    }

    fn build(&self) -> Vec<u8> {
        let exe = archives::S_IFREG | 0o755;
        let files: Vec<(&str, Vec<u8>, u32)> = match self.client_version {
            Some(v) => {
                let family = match self.name {
                    "docker-engine" => RpmFamily::Engine,
                    "docker-ce-cli" => RpmFamily::CeCli,
                    _ => RpmFamily::Ce,
                };
                family.files(&archives::fake_client_script(v))
            }
            None => vec![(
                "/usr/bin/dockerd",
                b"#!/bin/sh\necho dockerd\n".to_vec(),
                exe,
            )],
        };
        let borrowed: Vec<(&str, &[u8], u32)> = files
            .iter()
            .map(|(p, c, m)| (*p, c.as_slice(), *m))
            .collect();
        // Signed like Docker's own repositories; TestEnv trusts the test key.
        let rpm = archives::build_rpm(self.name, self.ver, self.rel, "gzip", &borrowed);
        super::signing::sign_rpm(
            &rpm,
            super::signing::TEST_KEY,
            super::signing::Covers::Header,
        )
    }
}

/// Where primary.xml says a package is (`<location xml:base=… href=…>`), and the server path
/// the replica really serves it at.
pub struct Location {
    pub xml_base: Option<String>,
    pub href: String,
    pub served: String,
}

/// A repository the replica serves: its folder and its packages as served.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The server path of the folder holding `repodata/` and `Packages/`.
    pub base: String,
    pub packages: Vec<Served>,
    pub primary: Served,
}

pub struct Replica {
    pub server: FixtureServer,
    /// What `put` serves, by path.
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Replica {
    /// An empty replica: every path 404s until something is added.
    pub fn empty() -> Replica {
        Replica {
            server: FixtureServer::start(),
            files: Mutex::new(BTreeMap::new()),
        }
    }

    /// The replica of Docker's hosts the acceptance tests use:
    /// - static stable: 17.03.0-ce, 17.03.1-ce, 20.10.23, 20.10.25, 24.0.7 (and a
    ///   rootless-extras archive that is not a version); static test: 23.0.0-rc.1
    /// - legacy: 1.8.0 (raw) on get.docker.com, 1.13.1-rc1 (tgz) on
    ///   test.docker.com, all with `.sha256` siblings and absent from dvm's embedded table
    /// - yum: fedora/24 (sha256 checksums) with docker-engine 1.12.6; centos/7 (`sha`
    ///   checksums) with docker-engine 1.11.2 and 1.12.6
    /// - docker-ce centos/7 stable: docker-ce 17.03.2-ce, docker-ce-cli 20.10.22 and 20.10.25
    ///   (beside a daemon-only docker-ce 20.10.25); centos/9 is absent
    pub fn docker() -> Replica {
        let r = Replica::empty();
        for v in ["17.03.0-ce", "17.03.1-ce", "20.10.23", "20.10.25", "24.0.7"] {
            r.add_static("stable", v);
        }
        r.server.add(
            &format!("{}docker-rootless-extras-24.0.7.tgz", static_dir("stable")),
            archives::tgz(&[archives::file("docker-rootless-extras/rootlesskit", b"x")]),
        );
        r.add_static("test", "23.0.0-rc.1");
        for v in ["1.8.0", "1.13.1-rc1"] {
            r.add_legacy(v);
        }
        r.add_yum_repo(
            "fedora/24",
            RepoChecksum::Sha256,
            &[engine("1.12.6", "1.fc24")],
        );
        r.add_yum_repo(
            "centos/7",
            RepoChecksum::Sha1,
            &[
                engine("1.11.2", "1.el7.centos"),
                engine("1.12.6", "1.el7.centos"),
            ],
        );
        r.add_docker_ce_repo(
            "centos/7",
            "stable",
            RepoChecksum::Sha256,
            &[
                Package {
                    name: "docker-ce",
                    ver: "17.03.2.ce",
                    rel: "1.el7.centos",
                    client_version: Some("17.03.2-ce"),
                },
                Package {
                    name: "docker-ce-cli",
                    ver: "20.10.22",
                    rel: "3.el7",
                    client_version: Some("20.10.22"),
                },
                Package {
                    name: "docker-ce-cli",
                    ver: "20.10.25",
                    rel: "3.el7",
                    client_version: Some("20.10.25"),
                },
                Package {
                    name: "docker-ce",
                    ver: "20.10.25",
                    rel: "3.el7",
                    client_version: None,
                },
            ],
        );
        r
    }

    /// `http://127.0.0.1:PORT`: the value for DVM_MIRROR.
    pub fn mirror(&self) -> String {
        self.server.url()
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url_for(path)
    }

    /// A static tarball holding a client that prints `version`.
    pub fn add_static(&self, channel: &str, version: &str) -> Served {
        let bytes = archives::docker_tgz("docker/docker", &archives::fake_client_script(version));
        self.put(&static_path(channel, version), bytes)
    }

    /// A legacy build with its `.sha256` sibling: a raw ELF up to 1.10, a tgz from 1.11;
    /// prereleases on test.docker.com.
    pub fn add_legacy(&self, version: &str) -> Served {
        let path = legacy_path(version);
        let bytes = if legacy_is_raw(version) {
            archives::fake_elf(format!("docker {version}").as_bytes())
        } else {
            archives::docker_tgz("docker/docker", &archives::fake_client_script(version))
        };
        let served = self.put(&path, bytes);
        self.add_sha256_sibling(&served.path, &served.sha256);
        served
    }

    /// `<path>.sha256` saying `hex  <file name>`.
    pub fn add_sha256_sibling(&self, path: &str, hex: &str) {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.server
            .add(&format!("{path}.sha256"), format!("{hex}  {name}\n"));
    }

    /// `yum.dockerproject.org/repo/main/<distro>/`.
    pub fn add_yum_repo(&self, distro: &str, checksum: RepoChecksum, pkgs: &[Package]) -> Repo {
        self.add_repo(&yum_repo_base("main", distro), checksum, pkgs)
    }

    /// `download.docker.com/linux/<distro>/x86_64/<channel>/`.
    pub fn add_docker_ce_repo(
        &self,
        distro: &str,
        channel: &str,
        checksum: RepoChecksum,
        pkgs: &[Package],
    ) -> Repo {
        self.add_repo(&docker_ce_repo_base(distro, channel), checksum, pkgs)
    }

    /// A yum repository at `base`: the RPMs under `Packages/`, and repodata naming each with
    /// its checksum; repomd.xml gives the sha256 of the gzip'd primary.xml.
    pub fn add_repo(&self, base: &str, checksum: RepoChecksum, pkgs: &[Package]) -> Repo {
        self.add_repo_at(base, checksum, pkgs, |file| Location {
            xml_base: None,
            href: format!("Packages/{file}"),
            served: format!("{base}/Packages/{file}"),
        })
    }

    /// A yum repository at `base` whose primary.xml places each package where `locate` says,
    /// as `createrepo --baseurl`, Nexus or a `../pool` layout write it.
    pub fn add_repo_at(
        &self,
        base: &str,
        checksum: RepoChecksum,
        pkgs: &[Package],
        locate: impl Fn(&str) -> Location,
    ) -> Repo {
        let mut served = Vec::new();
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n",
            pkgs.len()
        );
        for p in pkgs {
            let location = locate(&p.file_name());
            let rpm = self.put(&location.served, p.build());
            let xml_base = location
                .xml_base
                .map(|b| format!(" xml:base=\"{b}\""))
                .unwrap_or_default();
            let (ct, sum) = match checksum {
                RepoChecksum::Sha256 => ("sha256", rpm.sha256.clone()),
                RepoChecksum::Sha1 => ("sha", sha1_hex(&rpm.bytes)),
            };
            xml.push_str(&format!(
                r#"<package type="rpm">
  <name>{name}</name>
  <arch>x86_64</arch>
  <version epoch="0" ver="{ver}" rel="{rel}"/>
  <checksum type="{ct}" pkgid="YES">{sum}</checksum>
  <summary>The open-source application container engine</summary>
  <packager>Docker &lt;support@docker.com&gt;</packager>
  <time file="1484000000" build="1483990000"/>
  <size package="{size}" installed="{size}" archive="{size}"/>
  <location{xml_base} href="{href}"/>
  <format><rpm:license>ASL 2.0</rpm:license><file>/usr/bin/docker</file></format>
</package>
"#,
                name = p.name,
                ver = p.ver,
                rel = p.rel,
                size = rpm.bytes.len(),
                href = location.href,
            ));
            served.push(rpm);
        }
        xml.push_str("</metadata>\n");
        let primary = archives::gzip(xml.as_bytes());
        let sum = sha256_hex(&primary);
        let primary = self.put(&format!("{base}/repodata/{sum}-primary.xml.gz"), primary);
        let repomd = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1590000000</revision>
  <data type="primary">
    <checksum type="sha256">{sum}</checksum>
    <location href="repodata/{sum}-primary.xml.gz"/>
    <timestamp>1590000000</timestamp>
    <size>{size}</size>
  </data>
</repomd>
"#,
            size = primary.bytes.len()
        );
        self.put(&format!("{base}/repodata/repomd.xml"), repomd.into_bytes());
        Repo {
            base: base.to_string(),
            packages: served,
            primary,
        }
    }

    /// Signs `repo`'s repomd.xml as served now with `secret`, as `repodata/repomd.xml.asc`.
    pub fn sign_repomd(&self, repo: &Repo, secret: &str) -> Served {
        let repomd = self.server_bytes(&format!("{}/repodata/repomd.xml", repo.base));
        let asc = super::signing::sign_armored(secret, &repomd);
        self.put(&format!("{}/repodata/repomd.xml.asc", repo.base), asc)
    }

    /// Serves `bytes` at `path` and returns what is served.
    pub fn put(&self, path: &str, bytes: Vec<u8>) -> Served {
        self.server.add_with(path, Route::new(bytes.clone()));
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), bytes.clone());
        Served {
            path: path.to_string(),
            sha256: sha256_hex(&bytes),
            bytes,
        }
    }

    /// The bytes `put` last placed at `path`.
    #[track_caller]
    pub fn server_bytes(&self, path: &str) -> Vec<u8> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()
            .unwrap_or_else(|| panic!("the replica serves nothing at {path}"))
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.server.requests()
    }

    /// Requests that were not plain GETs of a replica path: a proxied CONNECT or an
    /// absolute-form request means dvm tried to reach a real host.
    pub fn escapes(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r.method != "GET"
                    || ![
                        STATIC_HOST,
                        LEGACY_HOST,
                        LEGACY_TEST_HOST,
                        YUM_HOST,
                        "/custom",
                        "/downloads",
                        "/nowhere",
                    ]
                    .iter()
                    .any(|h| r.path.starts_with(&format!("{h}/")))
            })
            .collect()
    }
}

pub fn engine(ver: &'static str, rel: &'static str) -> Package {
    Package {
        name: "docker-engine",
        ver,
        rel,
        client_version: Some(ver),
    }
}

/// `/download.docker.com/linux/static/<channel>/x86_64/`
pub fn static_dir(channel: &str) -> String {
    format!("{STATIC_HOST}/linux/static/{channel}/x86_64/")
}

pub fn static_path(channel: &str, version: &str) -> String {
    format!("{}docker-{version}.tgz", static_dir(channel))
}

fn legacy_is_raw(version: &str) -> bool {
    let mut parts = version.split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) < (1, 11)
}

/// `/get.docker.com/builds/Linux/x86_64/docker-V[.tgz]` (test.docker.com for prereleases).
pub fn legacy_path(version: &str) -> String {
    let host = if version.contains("-rc") || version.contains("-beta") {
        LEGACY_TEST_HOST
    } else {
        LEGACY_HOST
    };
    let ext = if legacy_is_raw(version) { "" } else { ".tgz" };
    format!("{host}/builds/Linux/x86_64/docker-{version}{ext}")
}

/// `/yum.dockerproject.org/repo/<repo>/<distro>`
pub fn yum_repo_base(repo: &str, distro: &str) -> String {
    format!("{YUM_HOST}/repo/{repo}/{distro}")
}

/// `/download.docker.com/linux/<distro>/x86_64/<channel>`
pub fn docker_ce_repo_base(distro: &str, channel: &str) -> String {
    format!("{RPM_HOST}/linux/{distro}/x86_64/{channel}")
}
