//! Sources, listings and checksum sources, against an in-memory HTTP server that records
//! every request.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::Duration;

use dvm::digest;
use dvm::error::{Error, ErrorKind, Result};
use dvm::openpgp::LazyKeyring;
use dvm::sources::{
    self, Arch, Artifact, Catalog, Channel, DigestAlgo, Distro, Expected, Hosts, Http, ListQuery,
    ListingCache, Os, Platform, Query, RemoteListing, Resolution, SourceKind, SourceOverrides,
    autoindex, docker_ce, legacy, repodata, static_builds, yum,
};
use dvm::trust::{self, TofuStore, VerifiedBy};
use dvm::{DockerVersion, VersionSpec};
use sha2::Digest;

// The catalog's operations, taking its parts one by one as the tests hold them.
fn find_artifacts(
    http: &dyn Http,
    hosts: &Hosts,
    q: &Query,
    c: &ListingCache,
) -> Result<Resolution> {
    Catalog {
        http,
        hosts,
        cache: c,
        keys: &LazyKeyring::new(Vec::new()),
    }
    .find_all(q)
}

fn resolve(http: &dyn Http, hosts: &Hosts, q: &Query, c: &ListingCache) -> Result<Resolution> {
    Catalog {
        http,
        hosts,
        cache: c,
        keys: &LazyKeyring::new(Vec::new()),
    }
    .resolve(q)
}

fn list_remote(
    http: &dyn Http,
    hosts: &Hosts,
    q: &ListQuery,
    c: &ListingCache,
) -> Result<RemoteListing> {
    Catalog {
        http,
        hosts,
        cache: c,
        keys: &LazyKeyring::new(Vec::new()),
    }
    .list(q)
}

fn list_source(
    http: &dyn Http,
    hosts: &Hosts,
    source: SourceKind,
    channel: Channel,
    distro: Option<&Distro>,
    platform: Platform,
    c: &ListingCache,
) -> Result<Vec<Artifact>> {
    Catalog {
        http,
        hosts,
        cache: c,
        keys: &LazyKeyring::new(Vec::new()),
    }
    .list_source(source, channel, distro, platform)
}

#[derive(Default)]
struct MockHttp {
    files: HashMap<String, Vec<u8>>,
    failing: HashSet<String>,
    requests: RefCell<Vec<String>>,
}

impl MockHttp {
    fn put(&mut self, url: &str, body: impl Into<Vec<u8>>) {
        self.files.insert(url.to_string(), body.into());
    }
    fn requests(&self) -> Vec<String> {
        self.requests.borrow().clone()
    }
    fn clear(&self) {
        self.requests.borrow_mut().clear();
    }
}

impl Http for MockHttp {
    fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        self.requests.borrow_mut().push(url.to_string());
        if self.failing.contains(url) {
            return Err(Error::network(format!("connection refused: {url}")));
        }
        match self.files.get(url) {
            Some(b) if b.len() as u64 > limit => {
                Err(Error::network(format!("{url} is over the limit")))
            }
            Some(b) => Ok(Some(b.clone())),
            None => Ok(None),
        }
    }
}

fn v(s: &str) -> DockerVersion {
    DockerVersion::parse(s).unwrap()
}

fn linux() -> Platform {
    Platform::new(Os::Linux, Arch::X86_64)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn cache(dir: &tempfile::TempDir) -> ListingCache {
    ListingCache {
        dir: dir.path().join("listings"),
        ttl: Duration::from_secs(3600),
        refresh: false,
        offline: false,
    }
}

// ---------------------------------------------------------------- fixtures

fn nginx_index(title: &str, files: &[&str]) -> String {
    let mut html = format!(
        "<html>\r\n<head><title>Index of {title}</title></head>\r\n<body>\r\n<h1>Index of {title}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for f in files {
        html.push_str(&format!(
            "<a href=\"{f}\">{f}</a>                               18-Jan-2023 12:00    69M\r\n"
        ));
    }
    html.push_str("</pre><hr></body>\r\n</html>\r\n");
    html
}

struct Pkg<'a> {
    name: &'a str,
    epoch: &'a str,
    ver: &'a str,
    rel: &'a str,
    arch: &'a str,
    checksum_type: &'a str,
}

impl Pkg<'_> {
    fn file(&self) -> String {
        format!("{}-{}-{}.{}.rpm", self.name, self.ver, self.rel, self.arch)
    }
    fn checksum(&self) -> String {
        let h = sha256_hex(self.file().as_bytes());
        if self.checksum_type == "sha256" {
            h
        } else {
            h[..40].to_string()
        }
    }
}

fn pkg<'a>(name: &'a str, ver: &'a str, rel: &'a str) -> Pkg<'a> {
    Pkg {
        name,
        epoch: "0",
        ver,
        rel,
        arch: "x86_64",
        checksum_type: "sha256",
    }
}

fn primary_xml(pkgs: &[Pkg<'_>]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n",
        pkgs.len()
    );
    for p in pkgs {
        xml.push_str(&format!(
            r#"<package type="rpm">
  <name>{name}</name>
  <arch>{arch}</arch>
  <version epoch="{epoch}" ver="{ver}" rel="{rel}"/>
  <checksum type="{ct}" pkgid="YES">{sum}</checksum>
  <summary>The open-source application container engine &amp; friends</summary>
  <packager>Docker &lt;support@docker.com&gt;</packager>
  <url>https://www.docker.com</url>
  <time file="1484000000" build="1483990000"/>
  <size package="19000000" installed="80000000" archive="80001000"/>
  <location href="Packages/{file}"/>
  <format>
    <rpm:license>ASL 2.0</rpm:license>
    <rpm:provides><rpm:entry name="{name}" flags="EQ" epoch="{epoch}" ver="{ver}" rel="{rel}"/></rpm:provides>
    <rpm:requires><rpm:entry name="libc.so.6()(64bit)"/></rpm:requires>
    <file>/usr/bin/docker</file>
  </format>
</package>
"#,
            name = p.name,
            arch = p.arch,
            epoch = p.epoch,
            ver = p.ver,
            rel = p.rel,
            ct = p.checksum_type,
            sum = p.checksum(),
            file = p.file(),
        ));
    }
    xml.push_str("</metadata>\n");
    xml
}

/// Serves a yum repository at `base` (the folder holding repodata/). Returns the primary URL.
fn serve_repo(http: &mut MockHttp, base: &str, pkgs: &[Pkg<'_>]) -> String {
    let primary = gzip(primary_xml(pkgs).as_bytes());
    let sum = sha256_hex(&primary);
    let href = format!("repodata/{sum}-primary.xml.gz");
    let repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1590000000</revision>
  <data type="filelists">
    <checksum type="sha256">{zeros}</checksum>
    <location href="repodata/{zeros}-filelists.xml.gz"/>
  </data>
  <data type="primary">
    <checksum type="sha256">{sum}</checksum>
    <open-checksum type="sha256">{zeros}</open-checksum>
    <location href="{href}"/>
    <timestamp>1590000000</timestamp>
    <size>{size}</size>
  </data>
</repomd>
"#,
        zeros = "0".repeat(64),
        size = primary.len()
    );
    http.put(&format!("{base}/repodata/repomd.xml"), repomd);
    let url = format!("{base}/{href}");
    http.put(&url, primary);
    url
}

const STATIC_STABLE: &str = "https://download.docker.com/linux/static/stable/x86_64/";
const STATIC_TEST: &str = "https://download.docker.com/linux/static/test/x86_64/";
const YUM_C7: &str = "https://yum.dockerproject.org/repo/main/centos/7";
const CE_C7: &str = "https://download.docker.com/linux/centos/7/x86_64/stable";

/// A world with static listings, a docker-engine repo, a docker-ce repo, and centos/9 gone.
fn world() -> MockHttp {
    let mut http = MockHttp::default();
    http.put(
        STATIC_STABLE,
        nginx_index(
            "/linux/static/stable/x86_64/",
            &[
                "docker-17.03.0-ce.tgz",
                "docker-17.03.1-ce.tgz",
                "docker-17.03.2-ce.tgz",
                "docker-18.09.0.tgz",
                "docker-20.10.23.tgz",
                "docker-20.10.24.tgz",
                "docker-24.0.7.tgz",
                "docker-rootless-extras-24.0.7.tgz",
            ],
        ),
    );
    http.put(
        STATIC_TEST,
        nginx_index(
            "/linux/static/test/x86_64/",
            &[
                "docker-23.0.0-rc.1.tgz",
                "docker-24.0.7.tgz",
                "docker-25.0.0-beta.1.tgz",
            ],
        ),
    );
    serve_repo(
        &mut http,
        YUM_C7,
        &[
            pkg("docker-engine", "1.12.5", "1.el7.centos"),
            pkg("docker-engine", "1.12.6", "1.el7.centos"),
            pkg("docker-engine", "1.13.1", "1.el7.centos"),
            pkg("docker-engine-selinux", "1.13.1", "1.el7.centos"),
            pkg("docker-engine", "17.05.0.ce", "1.el7.centos"),
        ],
    );
    serve_repo(
        &mut http,
        CE_C7,
        &[
            pkg("docker-ce", "17.03.2.ce", "1.el7.centos"),
            pkg("docker-ce", "20.10.24", "3.el7"),
            Pkg {
                epoch: "1",
                ..pkg("docker-ce-cli", "20.10.24", "3.el7")
            },
            pkg("containerd.io", "1.6.20", "3.1.el7"),
        ],
    );
    http
}

fn query(spec: &str) -> Query {
    Query {
        spec: VersionSpec::parse(spec).unwrap(),
        source: None,
        channel: None,
        distro: None,
        platform: linux(),
        exclude: Vec::new(),
    }
}

fn urls(candidates: &[Artifact]) -> Vec<&str> {
    candidates.iter().map(|a| a.url.as_str()).collect()
}

// ---------------------------------------------------------------- URL construction

#[test]
fn legacy_urls_for_every_os_and_arch() {
    let h = Hosts::official();
    let url = |ver: &str, os, arch, ch| legacy::url(&h, &v(ver), ch, Platform::new(os, arch));
    use Arch::*;
    use Channel::*;
    use Os::*;
    let cases = [
        (
            "1.10.3",
            Linux,
            X86_64,
            Stable,
            "https://get.docker.com/builds/Linux/x86_64/docker-1.10.3",
        ),
        (
            "1.10.3",
            Linux,
            I386,
            Stable,
            "https://get.docker.com/builds/Linux/i386/docker-1.10.3",
        ),
        (
            "1.10.3",
            Mac,
            X86_64,
            Stable,
            "https://get.docker.com/builds/Darwin/x86_64/docker-1.10.3",
        ),
        (
            "1.10.3",
            Windows,
            X86_64,
            Stable,
            "https://get.docker.com/builds/Windows/x86_64/docker-1.10.3.exe",
        ),
        (
            "1.11.0",
            Linux,
            X86_64,
            Stable,
            "https://get.docker.com/builds/Linux/x86_64/docker-1.11.0.tgz",
        ),
        (
            "1.12.6",
            Mac,
            I386,
            Stable,
            "https://get.docker.com/builds/Darwin/i386/docker-1.12.6.tgz",
        ),
        (
            "1.12.6",
            Windows,
            I386,
            Stable,
            "https://get.docker.com/builds/Windows/i386/docker-1.12.6.zip",
        ),
        (
            "17.05.0-ce",
            Linux,
            Armel,
            Stable,
            "https://get.docker.com/builds/Linux/armel/docker-17.05.0-ce.tgz",
        ),
        (
            "17.05.0-ce",
            Linux,
            Aarch64,
            Stable,
            "https://get.docker.com/builds/Linux/aarch64/docker-17.05.0-ce.tgz",
        ),
        (
            "1.13.0-rc1",
            Linux,
            X86_64,
            Stable,
            "https://test.docker.com/builds/Linux/x86_64/docker-1.13.0-rc1.tgz",
        ),
        (
            "1.10.0-rc1",
            Windows,
            X86_64,
            Test,
            "https://test.docker.com/builds/Windows/x86_64/docker-1.10.0-rc1.exe",
        ),
        (
            "1.12.6",
            Linux,
            X86_64,
            Test,
            "https://test.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz",
        ),
    ];
    for (ver, os, arch, ch, want) in cases {
        assert_eq!(
            url(ver, os, arch, ch).as_deref(),
            Some(want),
            "{ver} {os}/{arch}"
        );
    }
    assert_eq!(url("1.12.6", Linux, Ppc64le, Stable), None);
    assert_eq!(url("1.12.6", Mac, Aarch64, Stable), None);
}

#[test]
fn static_urls_for_every_os_and_arch() {
    let h = Hosts::official();
    let url = |ver: &str, os, arch, ch| {
        static_builds::artifact(&h, &v(ver), ch, Platform::new(os, arch)).map(|a| a.url)
    };
    use Arch::*;
    use Channel::*;
    use Os::*;
    let d = "https://download.docker.com";
    let cases = [
        (
            "17.03.0-ce",
            Linux,
            X86_64,
            Stable,
            format!("{d}/linux/static/stable/x86_64/docker-17.03.0-ce.tgz"),
        ),
        (
            "20.10.24",
            Linux,
            Aarch64,
            Stable,
            format!("{d}/linux/static/stable/aarch64/docker-20.10.24.tgz"),
        ),
        (
            "20.10.24",
            Linux,
            Armel,
            Stable,
            format!("{d}/linux/static/stable/armel/docker-20.10.24.tgz"),
        ),
        (
            "20.10.24",
            Linux,
            Armhf,
            Stable,
            format!("{d}/linux/static/stable/armhf/docker-20.10.24.tgz"),
        ),
        (
            "20.10.24",
            Linux,
            Ppc64le,
            Stable,
            format!("{d}/linux/static/stable/ppc64le/docker-20.10.24.tgz"),
        ),
        (
            "20.10.24",
            Linux,
            S390x,
            Stable,
            format!("{d}/linux/static/stable/s390x/docker-20.10.24.tgz"),
        ),
        (
            "23.0.0-rc.1",
            Linux,
            X86_64,
            Test,
            format!("{d}/linux/static/test/x86_64/docker-23.0.0-rc.1.tgz"),
        ),
        (
            "20.10.24",
            Mac,
            X86_64,
            Stable,
            format!("{d}/mac/static/stable/x86_64/docker-20.10.24.tgz"),
        ),
        (
            "24.0.7",
            Mac,
            Aarch64,
            Stable,
            format!("{d}/mac/static/stable/aarch64/docker-24.0.7.tgz"),
        ),
        (
            "24.0.7",
            Windows,
            X86_64,
            Stable,
            format!("{d}/win/static/stable/x86_64/docker-24.0.7.zip"),
        ),
    ];
    for (ver, os, arch, ch, want) in cases {
        assert_eq!(
            url(ver, os, arch, ch),
            Some(want.clone()),
            "{ver} {os}/{arch}"
        );
    }
    assert_eq!(url("24.0.7", Mac, I386, Stable), None);
    assert_eq!(url("24.0.7", Windows, Aarch64, Stable), None);
    assert_eq!(url("24.0.7", Linux, I386, Stable), None);
}

#[test]
fn rpm_repository_urls() {
    let h = Hosts::official();
    let c7: Distro = "centos/7".parse().unwrap();
    let f24: Distro = "fedora/24".parse().unwrap();
    assert_eq!(
        yum::repo_url(&h, &c7, Channel::Stable),
        "https://yum.dockerproject.org/repo/main/centos/7"
    );
    assert_eq!(
        yum::repo_url(&h, &f24, Channel::Test),
        "https://yum.dockerproject.org/repo/testing/fedora/24"
    );
    assert_eq!(
        docker_ce::repo_url(&h, &c7, Channel::Stable, "x86_64"),
        "https://download.docker.com/linux/centos/7/x86_64/stable"
    );
    assert_eq!(
        docker_ce::repo_url(&h, &f24, Channel::Test, "aarch64"),
        "https://download.docker.com/linux/fedora/24/aarch64/test"
    );
    for bad in [
        "centos",
        "centos/",
        "/7",
        "centos/7/x",
        "CentOS/7",
        "centos/seven",
        "../7",
        "centos/99999",
    ] {
        assert!(bad.parse::<Distro>().is_err(), "{bad}");
    }
    assert_eq!(
        "oraclelinux/7".parse::<Distro>().unwrap().to_string(),
        "oraclelinux/7"
    );
}

#[test]
fn yum_fedora_24_is_found_through_repodata() {
    let mut http = MockHttp::default();
    let base = "https://yum.dockerproject.org/repo/main/fedora/24";
    serve_repo(
        &mut http,
        base,
        &[
            pkg("docker-engine", "1.12.6", "1.fc24"),
            pkg("docker-engine", "1.12.5", "1.fc24"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let mut q = query("1.12.6");
    q.source = Some(SourceKind::Yum);
    q.distro = Some("fedora/24".parse().unwrap());
    let r = find_artifacts(&http, &Hosts::official(), &q, &cache(&dir)).unwrap();
    assert_eq!(
        urls(&r.candidates),
        [
            "https://yum.dockerproject.org/repo/main/fedora/24/Packages/docker-engine-1.12.6-1.fc24.x86_64.rpm"
        ]
    );
    let a = &r.candidates[0];
    assert_eq!(
        a.path,
        "repo/main/fedora/24/Packages/docker-engine-1.12.6-1.fc24.x86_64.rpm"
    );
    assert_eq!(a.size, Some(19_000_000));
    assert_eq!(
        a.expected,
        Expected::Repodata {
            algo: DigestAlgo::Sha256,
            hex: sha256_hex(b"docker-engine-1.12.6-1.fc24.x86_64.rpm"),
            signed_by: None,
        }
    );
    assert_eq!(trust::method_for(&a.expected), VerifiedBy::Repodata);
}

// ---------------------------------------------------------------- mirrors

#[test]
fn mirror_maps_every_host_and_overrides_replace_one_source() {
    let h = Hosts::new(
        Some("http://mirror.lan/docker/"),
        &SourceOverrides::default(),
    )
    .unwrap();
    assert_eq!(h.legacy, "http://mirror.lan/docker/get.docker.com");
    assert_eq!(h.legacy_test, "http://mirror.lan/docker/test.docker.com");
    assert_eq!(
        h.static_builds,
        "http://mirror.lan/docker/download.docker.com"
    );
    assert_eq!(h.yum, "http://mirror.lan/docker/yum.dockerproject.org");
    assert_eq!(h.docker_ce, "http://mirror.lan/docker/download.docker.com");
    assert_eq!(
        legacy::url(&h, &v("1.12.6"), Channel::Stable, linux()).unwrap(),
        "http://mirror.lan/docker/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"
    );
    assert_eq!(
        legacy::url(&h, &v("1.13.0-rc1"), Channel::Stable, linux()).unwrap(),
        "http://mirror.lan/docker/test.docker.com/builds/Linux/x86_64/docker-1.13.0-rc1.tgz"
    );
    assert_eq!(
        static_builds::folder_url(&h, Channel::Stable, linux()).unwrap(),
        "http://mirror.lan/docker/download.docker.com/linux/static/stable/x86_64/"
    );
    assert_eq!(
        yum::repo_url(&h, &Distro::new("centos", 7), Channel::Stable),
        "http://mirror.lan/docker/yum.dockerproject.org/repo/main/centos/7"
    );
    let mut prefixes = h.configured_prefixes();
    prefixes.sort();
    assert_eq!(
        prefixes,
        [
            "http://mirror.lan/docker/download.docker.com",
            "http://mirror.lan/docker/get.docker.com",
            "http://mirror.lan/docker/test.docker.com",
            "http://mirror.lan/docker/yum.dockerproject.org",
        ]
    );
    assert!(Hosts::official().configured_prefixes().is_empty());

    let overrides = SourceOverrides {
        legacy: Some("https://old.example/builds-mirror/".into()),
        static_builds: Some("https://static.example".into()),
        yum: None,
        rpm: Some("http://rpm.example/ce".into()),
    };
    let h = Hosts::new(Some("https://m.example"), &overrides).unwrap();
    assert_eq!(h.legacy, "https://old.example/builds-mirror");
    assert_eq!(h.legacy_test, "https://old.example/builds-mirror");
    assert_eq!(h.static_builds, "https://static.example");
    assert_eq!(h.yum, "https://m.example/yum.dockerproject.org");
    assert_eq!(h.docker_ce, "http://rpm.example/ce");
    assert_eq!(
        legacy::url(&h, &v("1.13.0-rc1"), Channel::Test, linux()).unwrap(),
        "https://old.example/builds-mirror/builds/Linux/x86_64/docker-1.13.0-rc1.tgz"
    );
    assert_eq!(
        docker_ce::repo_url(&h, &Distro::new("centos", 7), Channel::Stable, "x86_64"),
        "http://rpm.example/ce/linux/centos/7/x86_64/stable"
    );
    // Overrides alone leave the other hosts official.
    let only_rpm = SourceOverrides {
        rpm: Some("http://rpm.example".into()),
        ..Default::default()
    };
    let h = Hosts::new(None, &only_rpm).unwrap();
    assert_eq!(h.static_builds, "https://download.docker.com");
    assert_eq!(h.configured_prefixes(), ["http://rpm.example"]);

    for bad in [
        "ftp://x",
        "mirror.lan",
        "http://",
        "https:///x",
        "http://a b",
    ] {
        let e = Hosts::new(Some(bad), &SourceOverrides::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        assert!(e.message().contains("DVM_MIRROR"), "{}", e.message());
    }
    let e = Hosts::new(
        None,
        &SourceOverrides {
            yum: Some("file:///srv".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.message().contains("DVM_YUM_URL"));
}

#[test]
fn source_paths_and_trust_keys_are_shared_by_mirror_and_official_host() {
    let h = Hosts::new(Some("http://mirror.lan"), &SourceOverrides::default()).unwrap();
    let path = "linux/static/stable/x86_64/docker-20.10.24.tgz";
    let mirrored = format!("http://mirror.lan/download.docker.com/{path}");
    let official = format!("https://download.docker.com/{path}");
    assert_eq!(h.source_path(&mirrored).as_deref(), Some(path));
    assert_eq!(h.source_path(&official).as_deref(), Some(path));
    assert_eq!(h.trust_key(&mirrored), h.trust_key(&official));
    assert_eq!(
        h.source_path("https://elsewhere.example/docker-20.10.24.tgz"),
        None
    );
    assert_eq!(
        h.trust_key("https://elsewhere.example/x.tgz"),
        "https://elsewhere.example/x.tgz"
    );
    assert_eq!(h.source_path("/home/me/docker-20.10.24.tgz"), None);
    assert_eq!(
        h.source_path("http://mirror.lan/download.docker.com/linux/../x.tgz"),
        None
    );
    assert_eq!(
        h.source_path("http://mirror.lan/download.docker.comevil/x.tgz"),
        None
    );
}

// ---------------------------------------------------------------- parsers

#[test]
fn autoindex_nginx_style() {
    let html = nginx_index(
        "/linux/static/stable/x86_64/",
        &[
            "docker-17.03.0-ce.tgz",
            "docker-20.10.24.tgz",
            "docker-rootless-extras-20.10.24.tgz",
        ],
    );
    assert_eq!(
        autoindex::parse(&html),
        [
            "docker-17.03.0-ce.tgz",
            "docker-20.10.24.tgz",
            "docker-rootless-extras-20.10.24.tgz"
        ]
    );
}

#[test]
fn autoindex_apache_style_ignores_parent_sort_and_foreign_links() {
    let html = r#"<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /win/static/stable/x86_64</title></head><body>
<h1>Index of /win/static/stable/x86_64</h1>
<table>
<tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>
<tr><td><a href="/win/static/stable/">Parent Directory</a></td></tr>
<tr><td><A HREF='docker-17.09.0-ce.zip'>docker-17.09.0-ce.zip</A></td></tr>
<tr><td><a href="./docker-24.0.7.zip">docker-24.0.7.zip</a></td></tr>
<tr><td><a href="docker-24.0.7.zip?C=N">again with a query</a></td></tr>
<tr><td><a href="https://evil.example/docker-99.0.0.zip">elsewhere</a></td></tr>
<tr><td><a href="/win/static/stable/x86_64/docker-98.0.0.zip">absolute path</a></td></tr>
<tr><td><a href="sub/docker-97.0.0.zip">subfolder</a></td></tr>
<tr><td><a href="docker-24.0.7.zip">docker-24.0.7.zip</a></td></tr>
<tr><td><a href="docker-24.0.7.zip.sha256">checksum</a></td></tr>
<tr><td><a href="notes.txt">notes</a></td></tr>
</table></body></html>"#;
    assert_eq!(
        autoindex::parse(html),
        ["docker-17.09.0-ce.zip", "docker-24.0.7.zip"]
    );
}

#[test]
fn repodata_parses_repomd_and_primary_in_every_compression() {
    let pkgs = [
        pkg("docker-engine", "1.12.6", "1.el7.centos"),
        Pkg {
            checksum_type: "sha",
            ..pkg("docker-engine", "1.11.2", "1.el7.centos")
        },
    ];
    let mut http = MockHttp::default();
    let primary_url = serve_repo(&mut http, "https://r", &pkgs);
    let repomd = http.files.get("https://r/repodata/repomd.xml").unwrap();
    let href = repodata::primary_location(repomd).unwrap();
    assert_eq!(format!("https://r/{href}"), primary_url);
    let r = repodata::primary_ref(repomd).unwrap();
    let gz = http.files.get(&primary_url).unwrap();
    assert_eq!(r.checksum, Some((DigestAlgo::Sha256, sha256_hex(gz))));

    let xml = primary_xml(&pkgs);
    let xz = {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(xml.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let zst = zstd::encode_all(xml.as_bytes(), 3).unwrap();
    for (what, bytes) in [
        ("plain", xml.as_bytes().to_vec()),
        ("gz", gz.clone()),
        ("xz", xz),
        ("zst", zst),
    ] {
        let parsed = repodata::parse_primary(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(parsed.len(), 2, "{what}");
        let p = &parsed[0];
        assert_eq!(p.name, "docker-engine");
        assert_eq!(p.arch, "x86_64");
        assert_eq!(
            (p.epoch.as_str(), p.version.as_str(), p.release.as_str()),
            ("0", "1.12.6", "1.el7.centos")
        );
        assert_eq!(p.checksum_type, "sha256");
        assert_eq!(
            p.checksum,
            sha256_hex(b"docker-engine-1.12.6-1.el7.centos.x86_64.rpm")
        );
        assert_eq!(
            p.location,
            "Packages/docker-engine-1.12.6-1.el7.centos.x86_64.rpm"
        );
        assert_eq!(p.size, Some(19_000_000));
        assert_eq!(parsed[1].checksum_type, "sha");
        assert_eq!(parsed[1].checksum.len(), 40);
    }
}

#[test]
fn repodata_rejects_garbage_without_panicking() {
    assert!(repodata::primary_location(b"<repomd><data type=\"other\"/></repomd>").is_err());
    assert!(repodata::primary_location(b"\x00\xff not xml").is_err());
    assert!(repodata::parse_primary(b"<metadata><package><name>x</nam></package>").is_err());
    assert!(repodata::parse_primary(&[0x1f, 0x8b, 8, 0, 0, 0]).is_err());
    assert!(repodata::parse_primary(&[0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]).is_err());
    // An incomplete package is skipped, not invented.
    let partial =
        b"<metadata><package type=\"rpm\"><name>docker-engine</name></package></metadata>";
    assert_eq!(repodata::parse_primary(partial).unwrap(), []);
}

#[test]
fn a_repository_pointing_outside_itself_is_refused() {
    let mut http = MockHttp::default();
    http.put(
        &format!("{YUM_C7}/repodata/repomd.xml"),
        r#"<repomd><data type="primary"><location href="../../../../etc/primary.xml"/></data></repomd>"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let e = yum::list(
        &http,
        &Hosts::official(),
        &Distro::new("centos", 7),
        Channel::Stable,
        linux(),
        &cache(&dir),
        &LazyKeyring::new(Vec::new()),
    )
    .unwrap_err();
    assert!(e.message().contains("outside"), "{}", e.message());
}

proptest::proptest! {
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = autoindex::parse(&text);
        let _ = repodata::primary_location(&bytes);
        let _ = repodata::parse_primary(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_near_valid_xml(cut in 0usize..2000, flip in 0usize..2000) {
        let mut xml = primary_xml(&[pkg("docker-ce", "20.10.24", "3.el7")]).into_bytes();
        if let Some(b) = xml.get_mut(flip) { *b ^= 0x20; }
        xml.truncate(cut);
        let _ = repodata::parse_primary(&xml);
        let _ = autoindex::parse(&String::from_utf8_lossy(&xml));
    }
}

// ---------------------------------------------------------------- resolution

#[test]
fn partial_specs_resolve_to_the_newest_stable_match() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let resolve =
        |spec: &str| find_artifacts(&http, &h, &query(spec), &c).map(|r| r.version.to_string());
    assert_eq!(resolve("1.12").unwrap(), "1.12.6");
    assert_eq!(resolve("1.13").unwrap(), "1.13.1");
    assert_eq!(resolve("17.3").unwrap(), "17.03.2-ce");
    assert_eq!(resolve("17.03").unwrap(), "17.03.2-ce");
    assert_eq!(resolve("17.03.0").unwrap(), "17.03.0-ce");
    assert_eq!(resolve("18.09.0").unwrap(), "18.09.0");
    assert_eq!(resolve("20.10").unwrap(), "20.10.24");
    assert_eq!(resolve("latest").unwrap(), "24.0.7");
    assert_eq!(resolve("23").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(resolve("1.99").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(resolve("system").unwrap_err().kind(), ErrorKind::Usage);
}

#[test]
fn prereleases_come_only_from_the_test_channel() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let r = find_artifacts(&http, &h, &query("23.0.0-rc.1"), &c).unwrap();
    assert_eq!(r.version.to_string(), "23.0.0-rc.1");
    assert_eq!(
        urls(&r.candidates)[0],
        "https://download.docker.com/linux/static/test/x86_64/docker-23.0.0-rc.1.tgz"
    );
    assert!(r.candidates.iter().all(|a| a.channel == Channel::Test));
    // On the stable channel partial specs never pick prereleases; asking for the test
    // channel is asking for them, so there `latest` and `25` take 25.0.0-beta.1.
    assert_eq!(
        find_artifacts(&http, &h, &query("25"), &c)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    for spec in ["latest", "25", "25.0"] {
        let mut q = query(spec);
        q.channel = Some(Channel::Test);
        assert_eq!(
            find_artifacts(&http, &h, &q, &c)
                .unwrap()
                .version
                .to_string(),
            "25.0.0-beta.1",
            "{spec}"
        );
    }
    let mut q = query("24.0");
    q.channel = Some(Channel::Test);
    assert_eq!(
        find_artifacts(&http, &h, &q, &c)
            .unwrap()
            .version
            .to_string(),
        "24.0.7"
    );
}

#[test]
fn candidates_come_in_source_order() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let r = find_artifacts(&http, &h, &query("1.12"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        [
            "https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz",
            "https://yum.dockerproject.org/repo/main/centos/7/Packages/docker-engine-1.12.6-1.el7.centos.x86_64.rpm",
        ]
    );
    // Up to 1.10 the bare client first, then the tarball published beside it.
    let r = find_artifacts(&http, &h, &query("1.10.3"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        [
            "https://get.docker.com/builds/Linux/x86_64/docker-1.10.3",
            "https://get.docker.com/builds/Linux/x86_64/docker-1.10.3.tgz",
        ]
    );

    let r = find_artifacts(&http, &h, &query("17.03.2-ce"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        [
            "https://download.docker.com/linux/static/stable/x86_64/docker-17.03.2-ce.tgz",
            "https://get.docker.com/builds/Linux/x86_64/docker-17.03.2-ce.tgz",
            // 17.x/18.x releases missing from stable may sit in the test or edge folder.
            "https://download.docker.com/linux/static/test/x86_64/docker-17.03.2-ce.tgz",
            "https://download.docker.com/linux/static/edge/x86_64/docker-17.03.2-ce.tgz",
            "https://download.docker.com/linux/centos/7/x86_64/stable/Packages/docker-ce-17.03.2.ce-1.el7.centos.x86_64.rpm",
        ]
    );
    assert_eq!(r.candidates[0].expected, Expected::Tofu);

    // 18.09+: the client is in docker-ce-cli, not docker-ce.
    let r = find_artifacts(&http, &h, &query("20.10"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        [
            "https://download.docker.com/linux/static/stable/x86_64/docker-20.10.24.tgz",
            "https://download.docker.com/linux/centos/7/x86_64/stable/Packages/docker-ce-cli-20.10.24-3.el7.x86_64.rpm",
        ]
    );
    // centos/9 does not exist here: skipped, and no error.
    assert!(r.tried.is_empty(), "{:?}", r.tried);

    // --source forces one source.
    let mut q = query("20.10.24");
    q.source = Some(SourceKind::Rpm);
    let r = find_artifacts(&http, &h, &q, &c).unwrap();
    assert_eq!(r.candidates.len(), 1);
    assert_eq!(r.candidates[0].source, SourceKind::Rpm);

    // macOS has no RPMs.
    let mut q = query("20.10.24");
    q.platform = Platform::new(Os::Mac, Arch::Aarch64);
    let r = find_artifacts(&http, &h, &q, &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        ["https://download.docker.com/mac/static/stable/aarch64/docker-20.10.24.tgz"]
    );
    q.source = Some(SourceKind::Yum);
    assert_eq!(
        find_artifacts(&http, &h, &q, &c).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn an_exact_version_no_listing_names_is_still_tried() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let r = find_artifacts(&http, &h, &query("20.10.99"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        ["https://download.docker.com/linux/static/stable/x86_64/docker-20.10.99.tgz"]
    );
    // Not in the embedded table either: legacy is tried at its constructed URL.
    let r = find_artifacts(&http, &h, &query("1.12.7"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        ["https://get.docker.com/builds/Linux/x86_64/docker-1.12.7.tgz"]
    );
    assert_eq!(r.candidates[0].expected, Expected::Tofu);
}

#[test]
fn an_unreachable_repository_is_noted_not_fatal() {
    let mut http = world();
    http.failing.insert(format!("{YUM_C7}/repodata/repomd.xml"));
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let r = find_artifacts(&http, &Hosts::official(), &query("1.12"), &c).unwrap();
    assert_eq!(r.version.to_string(), "1.12.6");
    assert_eq!(
        urls(&r.candidates),
        ["https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"]
    );
    assert!(
        r.tried.iter().any(|t| t.contains("connection refused")),
        "{:?}",
        r.tried
    );
    // Forced onto the broken source, the failure is the answer.
    let mut q = query("1.12.6");
    q.source = Some(SourceKind::Yum);
    assert_eq!(
        find_artifacts(&http, &Hosts::official(), &q, &c)
            .unwrap_err()
            .kind(),
        ErrorKind::Network
    );
}

#[test]
fn a_mirror_serves_every_listing() {
    let official = world();
    let mut http = MockHttp::default();
    for (url, body) in &official.files {
        let mirrored = url.replacen("https://", "http://mirror.lan/", 1);
        http.put(&mirrored, body.clone());
    }
    let h = Hosts::new(Some("http://mirror.lan"), &SourceOverrides::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = find_artifacts(&http, &h, &query("1.12"), &cache(&dir)).unwrap();
    assert_eq!(
        urls(&r.candidates),
        [
            "http://mirror.lan/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz",
            "http://mirror.lan/yum.dockerproject.org/repo/main/centos/7/Packages/docker-engine-1.12.6-1.el7.centos.x86_64.rpm",
        ]
    );
    assert!(
        http.requests()
            .iter()
            .all(|u| u.starts_with("http://mirror.lan/"))
    );
    // The embedded table still vouches for the same path on the mirror.
    assert!(
        matches!(&r.candidates[0].expected, Expected::Published { sha256, .. }
        if sha256 == "cadc6025c841e034506703a06cf54204e51d0cadfae4bae62628ac648d82efdd")
    );
}

// ---------------------------------------------------------------- legacy checksums

const SHA_1_12_6: &str = "cadc6025c841e034506703a06cf54204e51d0cadfae4bae62628ac648d82efdd";

fn legacy_artifact(h: &Hosts, ver: &str, platform: Platform) -> Artifact {
    legacy::artifact(h, &v(ver), Channel::Stable, platform).unwrap()
}

#[test]
fn legacy_table_lookups_are_by_exact_path() {
    let h = Hosts::official();
    let a = legacy_artifact(&h, "1.12.6", linux());
    match &a.expected {
        Expected::Published { sha256, evidence } => {
            assert_eq!(sha256, SHA_1_12_6);
            assert!(
                evidence[0]
                    .contains("https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz")
            );
        }
        other => panic!("{other:?}"),
    }
    // Same version, different file: the table says nothing.
    let mac = legacy_artifact(&h, "1.12.6", Platform::new(Os::Mac, Arch::X86_64));
    assert_eq!(mac.expected, Expected::Tofu);
    assert!(legacy::table_entry_for_url(&h, &mac.url).is_none());
    // A prerelease entry is on test.docker.com.
    let rc = legacy_artifact(&h, "1.13.0-rc1", linux());
    assert!(matches!(rc.expected, Expected::Published { .. }));
    assert_eq!(rc.channel, Channel::Test);
    // Never for a local file or another host.
    assert!(legacy::table_entry_for_url(&h, "/tmp/docker-1.12.6.tgz").is_none());
    assert!(
        legacy::table_entry_for_url(
            &h,
            "https://evil.example/builds/Linux/x86_64/docker-1.12.6.tgz"
        )
        .is_none()
    );
    assert_eq!(
        legacy::table_entry_for_url(
            &h,
            "https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"
        )
        .map(|b| b.sha256.as_str()),
        Some(SHA_1_12_6)
    );
    // A mirror of the same path is vouched for.
    let m = Hosts::new(Some("http://mirror.lan"), &SourceOverrides::default()).unwrap();
    assert!(
        legacy::table_entry_for_url(
            &m,
            "http://mirror.lan/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"
        )
        .is_some()
    );
}

#[test]
fn legacy_sibling_and_table_must_agree() {
    let h = Hosts::official();
    let a = legacy_artifact(&h, "1.12.6", linux());
    let sibling = format!("{}.sha256", a.url);

    let mut http = MockHttp::default();
    http.put(
        &sibling,
        format!("{}  docker-1.12.6.tgz\n", SHA_1_12_6.to_uppercase()),
    );
    match sources::confirm_expected(&http, &a).unwrap() {
        Expected::Published { sha256, evidence } => {
            assert_eq!(sha256, SHA_1_12_6);
            assert_eq!(evidence.len(), 2);
            assert_eq!(evidence[0], sibling);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(http.requests(), std::slice::from_ref(&sibling));

    let other = "0".repeat(64);
    http.put(&sibling, format!("{other}  docker-1.12.6.tgz\n"));
    let e = sources::confirm_expected(&http, &a).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    for needle in [
        other.as_str(),
        SHA_1_12_6,
        sibling.as_str(),
        "https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz",
    ] {
        assert!(
            e.message().contains(needle),
            "{needle} missing from: {}",
            e.message()
        );
    }

    // Sibling missing: the table alone.
    let http = MockHttp::default();
    assert!(matches!(sources::confirm_expected(&http, &a).unwrap(),
        Expected::Published { sha256, evidence } if sha256 == SHA_1_12_6 && evidence.len() == 1));

    // Not in the table: the sibling alone; neither: trust on first use.
    let mac = legacy_artifact(&h, "1.12.6", Platform::new(Os::Mac, Arch::X86_64));
    let mut http = MockHttp::default();
    let sum = "ab".repeat(32);
    http.put(&format!("{}.sha256", mac.url), sum.clone());
    assert!(matches!(sources::confirm_expected(&http, &mac).unwrap(),
        Expected::Published { sha256, .. } if sha256 == sum));
    assert_eq!(
        sources::confirm_expected(&MockHttp::default(), &mac).unwrap(),
        Expected::Tofu
    );

    // A sibling that is not a checksum file is not trusted, but it vouches for nothing and
    // contradicts nothing either: a network-kind error (a login page), not an integrity one.
    let mut http = MockHttp::default();
    http.put(&sibling, "<html>Not Found</html>");
    let e = sources::confirm_expected(&http, &a).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(e.message().contains(&sibling), "{}", e.message());
    assert!(
        e.message().contains("not a sha256 checksum file"),
        "{}",
        e.message()
    );

    // Other sources are returned as they are, with no request: a static build outside the
    // third-party table is trust on first use, one inside it carries the recorded value.
    let s = static_builds::artifact(&h, &v("20.10.25"), Channel::Stable, linux()).unwrap();
    let http = MockHttp::default();
    assert_eq!(
        sources::confirm_expected(&http, &s).unwrap(),
        Expected::Tofu
    );
    let s = static_builds::artifact(&h, &v("20.10.24"), Channel::Stable, linux()).unwrap();
    match sources::confirm_expected(&http, &s).unwrap() {
        Expected::ThirdParty { sha256s, origin } => {
            assert_eq!(
                sha256s,
                ["ab91092320a87691a1eaf0225b48585db9c69cff0ed4b0f569f744ff765515e3"]
            );
            assert!(origin.contains("hermit-packages"), "{origin}");
        }
        other => panic!("{other:?}"),
    }
    assert!(http.requests().is_empty());
}

// ---------------------------------------------------------------- verify

#[test]
fn sha256_files_and_digest_checks() {
    let hex = "ab".repeat(32);
    assert_eq!(
        digest::parse_sha256_file(&format!("{hex}  docker-1.12.6.tgz\n")).unwrap(),
        hex
    );
    assert_eq!(
        digest::parse_sha256_file(&format!("{hex} *docker.exe")).unwrap(),
        hex
    );
    assert_eq!(digest::parse_sha256_file(&hex.to_uppercase()).unwrap(), hex);
    for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65)] {
        assert!(digest::parse_sha256_file(bad).is_err(), "{bad}");
    }
    digest::check_digest(&hex, &hex.to_uppercase(), "published sha256", "https://x/y").unwrap();
    let e = digest::check_digest(
        &hex,
        &"cd".repeat(32),
        "sha256 published at https://x/y.sha256",
        "https://x/y",
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    for needle in [hex.as_str(), &"cd".repeat(32), "https://x/y.sha256"] {
        assert!(e.message().contains(needle), "{}", e.message());
    }
    assert!(e.hint().is_some());
}

#[test]
fn verified_by_serialises_in_kebab_case() {
    let all = [
        (VerifiedBy::PublishedSha256, "published-sha256"),
        (VerifiedBy::Repodata, "repodata"),
        (VerifiedBy::RpmDigests, "rpm-digests"),
        (VerifiedBy::Tofu, "tofu"),
        (VerifiedBy::Pinned, "pinned"),
    ];
    for (v, s) in all {
        assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{s}\""));
        assert_eq!(
            serde_json::from_str::<VerifiedBy>(&format!("\"{s}\"")).unwrap(),
            v
        );
        assert_eq!(v.to_string(), s);
    }
}

#[test]
fn tofu_store_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = TofuStore::in_data_dir(dir.path());
    assert_eq!(store.path, dir.path().join("trust/static-sha256.tsv"));
    let key = Hosts::official()
        .trust_key("https://download.docker.com/linux/static/stable/x86_64/docker-20.10.24.tgz");
    assert_eq!(key, "linux/static/stable/x86_64/docker-20.10.24.tgz");
    assert_eq!(store.get(&key).unwrap(), None);
    let a = "ab".repeat(32);
    store.record(&key, &a).unwrap();
    store
        .record(
            "linux/static/stable/x86_64/docker-24.0.7.tgz",
            &"cd".repeat(32),
        )
        .unwrap();
    store.record(&key, &a.to_uppercase()).unwrap();
    let again = TofuStore::new(store.path.clone());
    assert_eq!(again.get(&key).unwrap(), Some(a.clone()));
    let e = again.record(&key, &"ef".repeat(32)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    assert_eq!(again.get(&key).unwrap(), Some(a));
    assert!(again.record("bad\tkey", &"ab".repeat(32)).is_err());
    // No temporary files are left behind (the lock file stays, empty).
    let names: Vec<_> = std::fs::read_dir(dir.path().join("trust"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != ".lock")
        .collect();
    assert_eq!(names, ["static-sha256.tsv"]);

    std::fs::write(&store.path, "garbage line\n").unwrap();
    let e = store.get(&key).unwrap_err();
    assert!(e.message().contains("line 1"), "{}", e.message());
}

// ---------------------------------------------------------------- ls-remote and the cache

fn list_query() -> ListQuery {
    ListQuery {
        source: None,
        channel: None,
        distro: None,
        platform: linux(),
    }
}

#[test]
fn list_remote_is_the_sorted_union_of_all_sources() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let listing = list_remote(&http, &Hosts::official(), &list_query(), &cache(&dir)).unwrap();
    assert!(listing.skipped.is_empty(), "{:?}", listing.skipped);
    let shown: Vec<String> = listing
        .entries
        .iter()
        .map(|e| format!("{} {}", e.version, e.source))
        .collect();
    let mut sorted = listing.entries.clone();
    sorted.sort_by_key(|e| e.version);
    assert_eq!(sorted, listing.entries, "sorted by version");
    for want in [
        "1.0.1 legacy",
        "1.12.6 legacy",
        "1.12.6 yum",
        "17.03.2-ce static",
        "17.03.2-ce rpm",
        "24.0.7 static",
    ] {
        assert!(shown.contains(&want.to_string()), "{want} not in {shown:?}");
    }
    let pos = |s: &str| shown.iter().position(|x| x == s).unwrap();
    assert!(pos("17.03.2-ce static") < pos("17.03.2-ce rpm"));
    assert!(
        !shown.iter().any(|s| s.contains("rc")),
        "no prereleases on stable: {shown:?}"
    );
    assert!(!shown.iter().any(|s| s.contains("rootless")));
    let mut keys: Vec<(DockerVersion, SourceKind)> = listing
        .entries
        .iter()
        .map(|e| (e.version, e.source))
        .collect();
    keys.dedup();
    assert_eq!(
        keys.len(),
        listing.entries.len(),
        "one entry per version and source"
    );
    let e = listing
        .entries
        .iter()
        .find(|e| e.version == v("1.12.6") && e.source == SourceKind::Legacy)
        .unwrap();
    assert_eq!(e.sha256.as_deref(), Some(SHA_1_12_6));
    let e = listing
        .entries
        .iter()
        .find(|e| e.version == v("20.10.24") && e.source == SourceKind::Rpm)
        .unwrap();
    assert!(e.url.ends_with("docker-ce-cli-20.10.24-3.el7.x86_64.rpm"));
    assert_eq!(
        e.sha256.as_deref(),
        Some(sha256_hex(b"docker-ce-cli-20.10.24-3.el7.x86_64.rpm").as_str())
    );

    let mut q = list_query();
    q.channel = Some(Channel::Test);
    q.source = Some(SourceKind::Static);
    let test = list_remote(&http, &Hosts::official(), &q, &cache(&dir)).unwrap();
    let shown: Vec<String> = test.entries.iter().map(|e| e.version.to_string()).collect();
    assert_eq!(shown, ["23.0.0-rc.1", "24.0.7", "25.0.0-beta.1"]);
}

#[test]
fn macos_listings_read_no_rpm_repositories() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let mut q = list_query();
    q.platform = Platform::new(Os::Mac, Arch::X86_64);
    let listing = list_remote(&http, &Hosts::official(), &q, &cache(&dir)).unwrap();
    assert!(
        listing
            .entries
            .iter()
            .all(|e| matches!(e.source, SourceKind::Static | SourceKind::Legacy))
    );
    assert!(
        listing
            .entries
            .iter()
            .any(|e| e.url == "https://get.docker.com/builds/Darwin/x86_64/docker-1.12.6.tgz")
    );
    assert_eq!(
        http.requests(),
        ["https://download.docker.com/mac/static/stable/x86_64/"]
    );
}

#[test]
fn a_failing_source_is_skipped_in_listings() {
    let mut http = world();
    http.failing.insert(STATIC_STABLE.to_string());
    let dir = tempfile::tempdir().unwrap();
    let listing = list_remote(&http, &Hosts::official(), &list_query(), &cache(&dir)).unwrap();
    assert_eq!(listing.skipped.len(), 1);
    assert!(
        listing.skipped[0].starts_with("static: "),
        "{:?}",
        listing.skipped
    );
    assert!(
        listing
            .entries
            .iter()
            .all(|e| e.source != SourceKind::Static)
    );
    let mut q = list_query();
    q.source = Some(SourceKind::Static);
    assert_eq!(
        list_remote(&http, &Hosts::official(), &q, &cache(&dir))
            .unwrap_err()
            .kind(),
        ErrorKind::Network
    );
}

#[test]
fn warm_cache_makes_no_requests_refresh_refetches_offline_needs_a_cache() {
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let h = Hosts::official();
    let c = cache(&dir);

    let offline = ListingCache {
        offline: true,
        ..c.clone()
    };
    let e = list_remote(&http, &h, &list_query(), &offline).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(e.message().contains("offline"), "{}", e.message());
    assert!(
        e.message().contains("https://"),
        "names the URL: {}",
        e.message()
    );
    assert!(e.hint().is_some_and(|h| h.contains("without --offline")));
    assert!(http.requests().is_empty());

    let cold = list_remote(&http, &h, &list_query(), &c).unwrap();
    let cold_requests = http.requests();
    assert!(cold_requests.contains(&STATIC_STABLE.to_string()));
    // centos/9 is missing (404): asked once, then remembered as absent.
    assert!(cold_requests.iter().any(|u| u.contains("/centos/9/")));
    http.clear();

    let warm = list_remote(&http, &h, &list_query(), &c).unwrap();
    assert_eq!(
        http.requests(),
        Vec::<String>::new(),
        "a warm ls-remote makes no request"
    );
    assert_eq!(warm.entries, cold.entries);
    let warm_install = find_artifacts(&http, &h, &query("latest"), &c).unwrap();
    assert_eq!(warm_install.version.to_string(), "24.0.7");
    assert!(http.requests().is_empty());

    let refresh = ListingCache {
        refresh: true,
        ..c.clone()
    };
    let refreshed = list_remote(&http, &h, &list_query(), &refresh).unwrap();
    let requests = http.requests();
    assert!(requests.contains(&STATIC_STABLE.to_string()));
    assert!(requests.contains(&format!("{CE_C7}/repodata/repomd.xml")));
    assert!(requests.iter().any(|u| u.contains("/centos/9/")));
    assert_eq!(refreshed.entries, cold.entries);
    http.clear();

    // An expired cache is refetched.
    let expired = ListingCache {
        ttl: Duration::ZERO,
        ..c.clone()
    };
    list_remote(&http, &h, &list_query(), &expired).unwrap();
    assert!(http.requests().contains(&STATIC_STABLE.to_string()));
    http.clear();

    // Offline with a cache: whatever its age, no request.
    let offline = ListingCache {
        ttl: Duration::ZERO,
        ..offline
    };
    assert_eq!(
        list_remote(&http, &h, &list_query(), &offline)
            .unwrap()
            .entries,
        cold.entries
    );
    assert!(http.requests().is_empty());

    // No temporary files are left in the cache folder.
    for entry in std::fs::read_dir(&c.dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".tmp"), "{name}");
    }
}

#[test]
fn a_primary_that_does_not_match_repomd_is_refused() {
    let mut http = world();
    let primary_url = http
        .files
        .keys()
        .find(|u| u.starts_with(CE_C7) && u.ends_with("primary.xml.gz"))
        .unwrap()
        .clone();
    http.put(&primary_url, gzip(b"<metadata/>"));
    let dir = tempfile::tempdir().unwrap();
    let mut q = query("20.10.24");
    q.source = Some(SourceKind::Rpm);
    let e = find_artifacts(&http, &Hosts::official(), &q, &cache(&dir)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    assert!(e.message().contains(&primary_url), "{}", e.message());
}

#[test]
fn source_and_platform_names_round_trip() {
    for s in SourceKind::ALL {
        assert_eq!(s.to_string().parse::<SourceKind>().unwrap(), s);
    }
    assert_eq!("STATIC".parse::<SourceKind>().unwrap(), SourceKind::Static);
    assert_eq!(
        "apt".parse::<SourceKind>().unwrap_err().kind(),
        ErrorKind::Usage
    );
    assert_eq!("test".parse::<Channel>().unwrap(), Channel::Test);
    assert!("nightly".parse::<Channel>().is_err());
    assert_eq!("linux/amd64".parse::<Platform>().unwrap(), linux());
    assert_eq!(
        "darwin/arm64".parse::<Platform>().unwrap(),
        Platform::new(Os::Mac, Arch::Aarch64)
    );
    assert_eq!(Os::Mac.legacy_dir(), "Darwin");
    assert_eq!(Os::Windows.static_dir(), "win");
    assert!("linux".parse::<Platform>().is_err());
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert_eq!(Platform::current().unwrap(), linux());
    }
}

#[test]
fn docker_ce_falls_back_to_the_newest_fedora_the_host_lists() {
    let mut http = MockHttp::default();
    http.put(
        "https://download.docker.com/linux/fedora/",
        "<html><body><pre><a href=\"../\">../</a>\n<a href=\"39/\">39/</a>\n<a href=\"41/\">41/</a>\n<a href=\"40/\">40/</a>\n<a href=\"docker-ce.repo\">docker-ce.repo</a></pre></body></html>",
    );
    let f41 = "https://download.docker.com/linux/fedora/41/x86_64/stable";
    serve_repo(&mut http, f41, &[pkg("docker-ce-cli", "27.3.1", "1.fc41")]);
    let dir = tempfile::tempdir().unwrap();
    let q = Query {
        source: Some(SourceKind::Rpm),
        ..query("27.3.1")
    };
    let resolved = find_artifacts(&http, &Hosts::official(), &q, &cache(&dir)).unwrap();
    assert_eq!(
        urls(&resolved.candidates),
        [format!("{f41}/Packages/docker-ce-cli-27.3.1-1.fc41.x86_64.rpm").as_str()]
    );
    // centos/7 and centos/9 were asked first.
    let asked = http.requests();
    let pos = |needle: &str| asked.iter().position(|u| u.contains(needle)).unwrap();
    assert!(pos("centos/7") < pos("linux/fedora/41"));
    assert!(pos("centos/9") < pos("linux/fedora/41"));
}

#[test]
fn release_folders_are_read_from_a_listing() {
    let page = "<a href=\"../\">../</a><a href=\"24/\">24/</a><a href='./7/'>7</a><a href=\"x/\">x</a><a href=\"25\">25</a><a href=\"docker-1.tgz\">";
    assert_eq!(autoindex::release_folders(page), [7, 24]);
    assert!(autoindex::release_folders("").is_empty());
}

// ---------------------------------------------------------------- broken answers are not cached

const LOGIN_PAGE: &str = "<!DOCTYPE html><html><body><form>Please log in</form></body></html>";

#[test]
fn a_listing_that_does_not_parse_is_never_cached() {
    let good = world();
    let repomd = format!("{CE_C7}/repodata/repomd.xml");
    let mut portal = world();
    for url in [STATIC_STABLE, repomd.as_str()] {
        portal.put(url, LOGIN_PAGE);
    }
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let rpm_c7 = |http: &MockHttp| {
        list_source(
            http,
            &h,
            SourceKind::Rpm,
            Channel::Stable,
            Some(&Distro::new("centos", 7)),
            linux(),
            &c,
        )
    };
    let stable = |http: &MockHttp| {
        list_source(
            http,
            &h,
            SourceKind::Static,
            Channel::Stable,
            None,
            linux(),
            &c,
        )
    };

    // Behind the portal: both fail as network errors that say nothing was kept.
    for e in [rpm_c7(&portal).unwrap_err(), stable(&portal).unwrap_err()] {
        assert_eq!(e.kind(), ErrorKind::Network, "{}", e.message());
        let hint = e.hint().unwrap_or_default();
        assert!(hint.contains("HTML page"), "{hint}");
        assert!(hint.contains("not cached"), "{hint}");
    }
    assert!(
        rpm_c7(&portal)
            .unwrap_err()
            .message()
            .contains("repomd.xml")
    );
    assert!(
        stable(&portal)
            .unwrap_err()
            .message()
            .contains("links to no docker archive")
    );
    assert!(!c.file_for(&repomd).exists());
    assert!(!c.file_for(STATIC_STABLE).exists());

    // The network is fixed: the next run asks again and succeeds, well within the TTL.
    assert_eq!(rpm_c7(&good).unwrap().len(), 2);
    assert_eq!(stable(&good).unwrap().len(), 7);
    assert!(good.requests().contains(&repomd));
    assert!(good.requests().contains(&STATIC_STABLE.to_string()));
    // And now it is cached.
    good.clear();
    rpm_c7(&good).unwrap();
    stable(&good).unwrap();
    assert_eq!(good.requests(), Vec::<String>::new());
}

#[test]
fn a_cached_copy_that_does_not_parse_is_removed_and_fetched_again() {
    // What an older dvm left behind: a login page cached as the static listing.
    let http = world();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    std::fs::create_dir_all(&c.dir).unwrap();
    std::fs::write(c.file_for(STATIC_STABLE), LOGIN_PAGE).unwrap();

    let offline = ListingCache {
        offline: true,
        ..c.clone()
    };
    let list =
        |cache: &ListingCache| static_builds::list(&http, &h, Channel::Stable, linux(), cache);
    let e = list(&offline).unwrap_err();
    assert!(e.message().contains("has been removed"), "{}", e.message());
    assert!(e.hint().is_some_and(|h| h.contains("without --offline")));
    assert!(!c.file_for(STATIC_STABLE).exists());
    assert!(http.requests().is_empty());

    // Online and fresh: the bad copy is not used, the listing is fetched.
    std::fs::write(c.file_for(STATIC_STABLE), LOGIN_PAGE).unwrap();
    assert_eq!(list(&c).unwrap().len(), 7);
    assert_eq!(http.requests(), [STATIC_STABLE]);
    assert!(
        std::fs::read_to_string(c.file_for(STATIC_STABLE))
            .unwrap()
            .contains("docker-24.0.7.tgz")
    );
}

#[test]
fn an_expired_listing_stands_in_for_an_answer_that_does_not_parse() {
    let good = world();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let expired = ListingCache {
        ttl: Duration::ZERO,
        ..c.clone()
    };
    let list = |http: &MockHttp, cache: &ListingCache| {
        static_builds::list(http, &h, Channel::Stable, linux(), cache)
    };
    let before = list(&good, &c).unwrap();
    let mut portal = world();
    portal.put(STATIC_STABLE, LOGIN_PAGE);
    assert_eq!(list(&portal, &expired).unwrap(), before);
    assert_eq!(portal.requests(), [STATIC_STABLE]);
    // The good copy is kept; --refresh does not fall back to it.
    let refresh = ListingCache {
        refresh: true,
        ..c.clone()
    };
    assert_eq!(
        list(&portal, &refresh).unwrap_err().kind(),
        ErrorKind::Network
    );
    assert_eq!(list(&good, &c).unwrap(), before);
}

#[test]
fn a_primary_that_does_not_parse_is_not_cached_even_when_its_digest_matches() {
    let mut http = MockHttp::default();
    let garbage = gzip(b"<metadata><package");
    let sum = sha256_hex(&garbage);
    let primary = format!("{CE_C7}/repodata/{sum}-primary.xml.gz");
    http.put(&primary, garbage);
    http.put(
        &format!("{CE_C7}/repodata/repomd.xml"),
        format!(
            "<repomd><data type=\"primary\"><checksum type=\"sha256\">{sum}</checksum><location href=\"repodata/{sum}-primary.xml.gz\"/></data></repomd>"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let e = list_source(
        &http,
        &Hosts::official(),
        SourceKind::Rpm,
        Channel::Stable,
        Some(&Distro::new("centos", 7)),
        linux(),
        &c,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{}", e.message());
    assert!(e.message().contains(&primary), "{}", e.message());
    assert!(!c.file_for(&primary).exists());
}

// ---------------------------------------------------------------- lazy RPM listings

/// The world, with centos/7's docker-ce primary.xml swapped after repomd.xml was written.
fn world_with_corrupt_ce_repo() -> (MockHttp, String) {
    let mut http = world();
    let primary_url = http
        .files
        .keys()
        .find(|u| u.starts_with(CE_C7) && u.ends_with("primary.xml.gz"))
        .unwrap()
        .clone();
    http.put(&primary_url, gzip(b"<metadata packages=\"0\"/>"));
    (http, primary_url)
}

#[test]
fn an_exact_version_reads_no_rpm_listing_until_asked() {
    let (http, primary_url) = world_with_corrupt_ce_repo();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let mut r = resolve(&http, &h, &query("20.10.24"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        ["https://download.docker.com/linux/static/stable/x86_64/docker-20.10.24.tgz"]
    );
    assert_eq!(r.pending, [SourceKind::Rpm]);
    assert!(r.warnings.is_empty());
    assert_eq!(http.requests(), Vec::<String>::new(), "no listing was read");

    // Only when static turns out not to have it is the repository read, and then its
    // failed checksum is fatal.
    let catalog = Catalog {
        http: &http,
        hosts: &h,
        cache: &c,
        keys: &LazyKeyring::new(Vec::new()),
    };
    let first = r
        .next_batch(&catalog)
        .unwrap()
        .expect("the static candidate comes first");
    assert_eq!(
        urls(&first),
        ["https://download.docker.com/linux/static/stable/x86_64/docker-20.10.24.tgz"]
    );
    let e = r.next_batch(&catalog).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    assert!(e.message().contains(&primary_url), "{}", e.message());
    assert!(r.pending.is_empty());

    // Old versions: legacy first, yum pending.
    let r = resolve(&http, &h, &query("1.12.6"), &c).unwrap();
    assert_eq!(
        urls(&r.candidates),
        ["https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"]
    );
    assert_eq!(r.pending, [SourceKind::Yum]);

    // With only RPM sources there is nothing to try first: the listing is read at once.
    let mut q = query("20.10.24");
    q.source = Some(SourceKind::Rpm);
    assert_eq!(
        resolve(&http, &h, &q, &c).unwrap_err().kind(),
        ErrorKind::Integrity
    );
}

#[test]
fn a_partial_spec_resolves_past_a_repository_that_fails_its_checksum() {
    let (http, primary_url) = world_with_corrupt_ce_repo();
    let dir = tempfile::tempdir().unwrap();
    let c = cache(&dir);
    let h = Hosts::official();
    let mut r = resolve(&http, &h, &query("20.10"), &c).unwrap();
    assert_eq!(r.version.to_string(), "20.10.24");
    assert_eq!(
        urls(&r.candidates),
        ["https://download.docker.com/linux/static/stable/x86_64/docker-20.10.24.tgz"]
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("rpm listing"), "{:?}", r.warnings);
    assert!(r.warnings[0].contains(&primary_url), "{:?}", r.warnings);
    // The tampered repository is never a source of candidates: needing it is fatal.
    assert_eq!(r.pending, [SourceKind::Rpm]);
    let catalog = Catalog {
        http: &http,
        hosts: &h,
        cache: &c,
        keys: &LazyKeyring::new(Vec::new()),
    };
    assert!(r.next_batch(&catalog).unwrap().is_some(), "static first");
    assert_eq!(
        r.next_batch(&catalog).unwrap_err().kind(),
        ErrorKind::Integrity
    );

    // 17.03: static lists 17.03.2-ce, so the corrupted repository is not needed to resolve it.
    let r = resolve(&http, &h, &query("17.03"), &c).unwrap();
    assert_eq!(r.version.to_string(), "17.03.2-ce");

    // When no other source resolves the spec, the integrity error is the answer.
    let mut q = query("20.10");
    q.source = Some(SourceKind::Rpm);
    assert_eq!(
        resolve(&http, &h, &q, &c).unwrap_err().kind(),
        ErrorKind::Integrity
    );
}
