//! Fixtures shaped like what Docker shipped: a client, a docker-ce-cli RPM with an xz payload,
//! a static `.tgz`, and a mirror replica with listings of realistic size.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::{Options, Result};

fn io_err(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> String {
    let shown = format!("{what} {}", path.display());
    move |e| format!("{shown}: {e}")
}

/// xorshift64*: deterministic, fast, good enough to look like data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// An ELF-looking file of `--size` bytes that compresses about like a Go binary (docker's
/// client: about 42% of its size with xz -2, 46% with gzip -6; this makes 35% and 44%): pieces
/// of a small set of recurring "code" blocks, near enough for gzip's window, among random bytes.
pub fn client(opts: &Options) -> Result<()> {
    let size = opts.number("size", 45 * 1024 * 1024)? as usize;
    let out = Path::new(opts.need("out")?);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let blocks: Vec<[u8; 64]> = (0..192)
        .map(|_| {
            let mut block = [0u8; 64];
            for word in block.chunks_mut(8) {
                word.copy_from_slice(&rng.next().to_le_bytes());
            }
            block
        })
        .collect();
    let mut data = Vec::with_capacity(size + 64);
    // A plausible ELF header (dvm refuses bare magic): type EXEC, an entry point, and one
    // program header right after it.
    let mut header = [0u8; 120];
    header[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
    header[16] = 2;
    header[24..32].copy_from_slice(&0x40_1000u64.to_le_bytes());
    header[32..40].copy_from_slice(&64u64.to_le_bytes());
    header[54] = 56;
    header[56] = 1;
    data.extend_from_slice(&header);
    while data.len() < size {
        let r = rng.next();
        let block = &blocks[(r % 192) as usize];
        let len = 8 + (r >> 8) as usize % 25;
        let start = (r >> 16) as usize % (64 - len + 1);
        data.extend_from_slice(&block[start..start + len]);
        if (r >> 32) % 10 < 7 {
            data.extend_from_slice(&rng.next().to_le_bytes()[..7]);
        }
    }
    data.truncate(size.max(header.len()));
    fs::write(out, &data).map_err(io_err("write", out))?;
    set_executable(out)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(io_err("chmod", path))
}

/// A docker-ce-cli RPM: the client at /usr/bin/docker plus completions and man pages, with an
/// xz payload. Level 2 is what EL7's rpmbuild used (`w2.xzdio`).
pub fn rpm(opts: &Options) -> Result<()> {
    let client = Path::new(opts.need("client")?);
    let out = Path::new(opts.need("out")?);
    let level = opts.number("level", 2)? as u32;
    let version = opts.get("version").unwrap_or("20.10.24");
    let release = opts.get("release").unwrap_or("3.el7");
    let config = rpm::BuildConfig::default()
        .compression(rpm::CompressionWithLevel::Xz(level))
        .source_date(1_680_000_000u32);
    let mut builder =
        rpm::PackageBuilder::new("docker-ce-cli", version, "ASL 2.0", "x86_64", "docker CLI");
    builder.using_config(config).release(release);
    let fail = |e: rpm::Error| format!("building the RPM: {e}");
    builder
        .with_file(
            client,
            rpm::FileOptions::new("/usr/bin/docker").permissions(0o755),
        )
        .map_err(fail)?;
    let docs: [(&str, &[u8]); 4] = [
        (
            "/usr/share/bash-completion/completions/docker",
            b"# bash completion for docker\n",
        ),
        (
            "/usr/share/zsh/vendor-completions/_docker",
            b"#compdef docker\n",
        ),
        (
            "/usr/share/fish/vendor_completions.d/docker.fish",
            b"# fish completion for docker\n",
        ),
        ("/usr/share/man/man1/docker.1", b".TH DOCKER 1\n"),
    ];
    for (path, content) in docs {
        builder
            .with_file_contents(
                content.to_vec(),
                rpm::FileOptions::new(path).permissions(0o644),
            )
            .map_err(fail)?;
    }
    let package = match opts.get("sign-key") {
        Some(key) => build_signed(builder, Path::new(key))?,
        None => builder.build().map_err(fail)?,
    };
    let file = File::create(out).map_err(io_err("create", out))?;
    let mut writer = BufWriter::new(file);
    package
        .write(&mut writer)
        .map_err(|e| format!("writing {}: {e}", out.display()))?;
    writer.flush().map_err(io_err("write", out))
}

/// The package signed like Docker's: an OpenPGP signature by the armored secret key `key`.
#[cfg(feature = "sign")]
fn build_signed(mut builder: rpm::PackageBuilder, key: &Path) -> Result<rpm::Package> {
    let signer = rpm::signature::pgp::Signer::from_asc_file(key)
        .map_err(|e| format!("reading the signing key {}: {e}", key.display()))?;
    builder
        .build_and_sign(signer)
        .map_err(|e| format!("building and signing the RPM: {e}"))
}

#[cfg(not(feature = "sign"))]
fn build_signed(_: rpm::PackageBuilder, key: &Path) -> Result<rpm::Package> {
    Err(format!(
        "cannot sign with {}: this helper was built without the `sign` feature",
        key.display()
    ))
}

/// A static-build `.tgz` laid out like Docker's: `docker/docker` among small neighbours.
pub fn tgz(opts: &Options) -> Result<()> {
    let client = Path::new(opts.need("client")?);
    let out = Path::new(opts.need("out")?);
    let file = File::create(out).map_err(io_err("create", out))?;
    let mut tar = tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::new(6)));
    let stub = |name: &str| format!("#!/bin/sh\necho {name}\n").into_bytes();
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(1_680_000_000);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes)
    };
    let fail = |e: std::io::Error| format!("writing {}: {e}", out.display());
    for name in ["containerd", "ctr"] {
        add(&format!("docker/{name}"), &stub(name)).map_err(fail)?;
    }
    let client_bytes = fs::read(client).map_err(io_err("read", client))?;
    add("docker/docker", &client_bytes).map_err(fail)?;
    for name in ["docker-init", "docker-proxy", "dockerd", "runc"] {
        add(&format!("docker/{name}"), &stub(name)).map_err(fail)?;
    }
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .and_then(|mut w| w.flush())
        .map_err(fail)
}

/// Releases as (major.minor, patches, suffix): the shape of Docker's history, so listings have
/// the size of the real ones.
const RELEASES: &[(&str, u32, &str)] = &[
    ("17.03", 3, "-ce"),
    ("17.06", 3, "-ce"),
    ("17.09", 2, "-ce"),
    ("17.12", 2, "-ce"),
    ("18.03", 2, "-ce"),
    ("18.06", 4, "-ce"),
    ("18.09", 10, ""),
    ("19.03", 16, ""),
    ("20.10", 25, ""),
    ("23.0", 7, ""),
    ("24.0", 10, ""),
    ("25.0", 6, ""),
    ("26.0", 3, ""),
    ("26.1", 5, ""),
    ("27.0", 4, ""),
    ("27.1", 3, ""),
    ("27.2", 2, ""),
    ("27.3", 2, ""),
    ("27.4", 2, ""),
    ("27.5", 2, ""),
    ("28.0", 5, ""),
    ("28.1", 2, ""),
    ("28.2", 3, ""),
];

fn releases() -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for &(minor, patches, suffix) in RELEASES {
        for patch in 0..patches {
            out.push((format!("{minor}.{patch}{suffix}"), !suffix.is_empty()));
        }
    }
    out
}

/// `DVM_MIRROR`'s tree: static autoindex pages, the docker-ce repositories for centos 7 and 9,
/// and the yum.dockerproject.org docker-engine repository.
pub fn mirror(opts: &Options) -> Result<()> {
    let root = Path::new(opts.need("out")?);
    let releases = releases();

    let mut names: Vec<String> = Vec::new();
    for (version, _) in &releases {
        names.push(format!("docker-{version}.tgz"));
        if !version.starts_with("17.") && !version.starts_with("18.") {
            names.push(format!("docker-rootless-extras-{version}.tgz"));
        }
    }
    names.sort();
    let static_dir = root.join("download.docker.com/linux/static/stable/x86_64");
    write(
        &static_dir.join("index.html"),
        autoindex("/linux/static/stable/x86_64/", &names).as_bytes(),
    )?;

    let ce = |centos: u32| -> Vec<Package> {
        let mut pkgs = Vec::new();
        for (n, (version, ce_suffix)) in releases.iter().enumerate() {
            let rpm_version = version.replace("-ce", ".ce");
            let too_old_for_9 = *ce_suffix || version.starts_with("19.") || n < 40;
            if centos == 9 && too_old_for_9 {
                continue;
            }
            let release = if *ce_suffix {
                "1.el7.centos".to_string()
            } else {
                format!("3.el{centos}")
            };
            pkgs.push(Package::new("docker-ce", &rpm_version, &release, "3"));
            if !ce_suffix {
                pkgs.push(Package::new("docker-ce-cli", &rpm_version, &release, "1"));
            }
            if version.as_str() >= "20.10" {
                pkgs.push(Package::new(
                    "docker-ce-rootless-extras",
                    &rpm_version,
                    &release,
                    "0",
                ));
            }
        }
        for (name, count) in [
            ("containerd.io", 40),
            ("docker-buildx-plugin", 25),
            ("docker-compose-plugin", 35),
            ("docker-scan-plugin", 12),
        ] {
            for i in 0..count {
                let version = format!("{}.{}.{}", i / 20, i / 5 % 4, i % 5);
                pkgs.push(Package::new(name, &version, &format!("1.el{centos}"), "0"));
            }
        }
        pkgs
    };
    for centos in [7, 9] {
        let base = root.join(format!(
            "download.docker.com/linux/centos/{centos}/x86_64/stable"
        ));
        write_repo(&base, &ce(centos))?;
    }

    let mut engine = Vec::new();
    for minor in 7..=13 {
        for patch in 0..5 {
            let version = format!("1.{minor}.{patch}");
            engine.push(Package::new("docker-engine", &version, "1.el7.centos", "0"));
            engine.push(Package::new(
                "docker-engine-selinux",
                &version,
                "1.el7.centos",
                "0",
            ));
            engine.push(Package::new(
                "docker-engine-debuginfo",
                &version,
                "1.el7.centos",
                "0",
            ));
        }
    }
    for version in ["17.03.0.ce", "17.03.1.ce", "17.04.0.ce", "17.05.0.ce"] {
        engine.push(Package::new("docker-engine", version, "1.el7.centos", "0"));
    }
    write_repo(
        &root.join("yum.dockerproject.org/repo/main/centos/7"),
        &engine,
    )
}

/// A docker-ce repository (centos/7, stable) of `--packages N` docker-ce-cli builds, each a
/// distinct version: the size at which reading repodata must stay linear.
pub fn big_repo(opts: &Options) -> Result<()> {
    let root = Path::new(opts.need("out")?);
    let count: usize = opts
        .need("packages")?
        .parse()
        .map_err(|e| format!("--packages: {e}"))?;
    let pkgs: Vec<Package> = (0..count)
        .map(|i| {
            let version = format!("{}.{}.{}", 20 + i / 10_000, i / 100 % 100, i % 100);
            Package::new("docker-ce-cli", &version, "3.el7", "1")
        })
        .collect();
    write_repo(
        &root.join("download.docker.com/linux/centos/7/x86_64/stable"),
        &pkgs,
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err("create", parent))?;
    }
    fs::write(path, bytes).map_err(io_err("write", path))
}

fn autoindex(title: &str, names: &[String]) -> String {
    let mut html = format!(
        "<html>\r\n<head><title>Index of {title}</title></head>\r\n<body>\r\n<h1>Index of {title}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for name in names {
        html.push_str(&format!(
            "<a href=\"{name}\">{name}</a>{:pad$}18-Jan-2023 12:00    69M\r\n",
            "",
            pad = 60usize.saturating_sub(name.len()).max(1)
        ));
    }
    html.push_str("</pre><hr></body>\r\n</html>\r\n");
    html
}

struct Package {
    name: String,
    version: String,
    release: String,
    epoch: String,
}

impl Package {
    fn new(name: &str, version: &str, release: &str, epoch: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            release: release.into(),
            epoch: epoch.into(),
        }
    }

    fn file(&self) -> String {
        format!("{}-{}-{}.x86_64.rpm", self.name, self.version, self.release)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `repodata/repomd.xml` and a gzipped primary.xml with entries as long as real ones.
fn write_repo(base: &Path, pkgs: &[Package]) -> Result<()> {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n",
        pkgs.len()
    );
    for p in pkgs {
        let file = p.file();
        xml.push_str(&format!(
            r#"<package type="rpm">
  <name>{name}</name>
  <arch>x86_64</arch>
  <version epoch="{epoch}" ver="{ver}" rel="{rel}"/>
  <checksum type="sha256" pkgid="YES">{sum}</checksum>
  <summary>The open-source application container engine</summary>
  <description>Docker is a product for you to build, ship and run any application as a lightweight container. Docker containers are both hardware-agnostic and platform-agnostic.</description>
  <packager>Docker &lt;support@docker.com&gt;</packager>
  <url>https://www.docker.com</url>
  <time file="1680000000" build="1679990000"/>
  <size package="38000000" installed="160000000" archive="160001000"/>
  <location href="Packages/{file}"/>
  <format>
    <rpm:license>ASL 2.0</rpm:license>
    <rpm:vendor>Docker</rpm:vendor>
    <rpm:group>Tools/Docker</rpm:group>
    <rpm:buildhost>build</rpm:buildhost>
    <rpm:sourcerpm>{name}-{ver}-{rel}.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="21836"/>
    <rpm:provides>
      <rpm:entry name="{name}" flags="EQ" epoch="{epoch}" ver="{ver}" rel="{rel}"/>
      <rpm:entry name="{name}(x86-64)" flags="EQ" epoch="{epoch}" ver="{ver}" rel="{rel}"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh"/>
      <rpm:entry name="container-selinux" flags="GE" epoch="2" ver="2.74"/>
      <rpm:entry name="containerd.io" flags="GE" ver="1.6.4"/>
      <rpm:entry name="iptables"/>
      <rpm:entry name="libc.so.6()(64bit)"/>
      <rpm:entry name="libc.so.6(GLIBC_2.3.4)(64bit)"/>
      <rpm:entry name="libdl.so.2()(64bit)"/>
      <rpm:entry name="libpthread.so.0()(64bit)"/>
      <rpm:entry name="systemd"/>
      <rpm:entry name="tar"/>
      <rpm:entry name="xz"/>
    </rpm:requires>
    <rpm:conflicts>
      <rpm:entry name="docker"/>
      <rpm:entry name="docker-io"/>
      <rpm:entry name="docker-engine"/>
    </rpm:conflicts>
    <file>/usr/bin/docker</file>
    <file>/usr/bin/dockerd</file>
    <file>/usr/bin/docker-proxy</file>
    <file>/usr/bin/docker-init</file>
  </format>
</package>
"#,
            name = p.name,
            epoch = p.epoch,
            ver = p.version,
            rel = p.release,
            sum = sha256_hex(file.as_bytes()),
        ));
    }
    xml.push_str("</metadata>\n");
    let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
    gz.write_all(xml.as_bytes())
        .and_then(|()| gz.flush())
        .map_err(|e| format!("gzip: {e}"))?;
    let primary = gz.finish().map_err(|e| format!("gzip: {e}"))?;
    let sum = sha256_hex(&primary);
    let href = format!("repodata/{sum}-primary.xml.gz");
    let repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1680000000</revision>
  <data type="primary">
    <checksum type="sha256">{sum}</checksum>
    <open-checksum type="sha256">{open}</open-checksum>
    <location href="{href}"/>
    <timestamp>1680000000</timestamp>
    <size>{size}</size>
    <open-size>{open_size}</open-size>
  </data>
</repomd>
"#,
        open = sha256_hex(xml.as_bytes()),
        size = primary.len(),
        open_size = xml.len(),
    );
    write(&base.join("repodata/repomd.xml"), repomd.as_bytes())?;
    write(&base.join(&href), &primary)
}
