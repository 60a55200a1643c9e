//! Builders for the archives Docker shipped (and hostile variants of them), for tests.
//! Used as `crate::support::archives`.
#![allow(dead_code)]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

pub const S_IFREG: u32 = 0o100_000;
pub const S_IFLNK: u32 = 0o120_000;
pub const S_IFCHR: u32 = 0o020_000;
pub const S_IFDIR: u32 = 0o040_000;

/// A `#!/bin/sh` script that prints like `docker --version` does.
pub fn fake_client_script(version: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho \"Docker version {version}, build abc\"\n").into_bytes()
}

/// The header of a 64-bit little-endian ELF executable, as a linker writes it: type EXEC, an
/// entry point, and one program header right after the 64-byte header (120 bytes in all).
pub fn elf_header() -> Vec<u8> {
    let mut h = vec![0u8; 120];
    h[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
    h[16] = 2;
    h[18] = 0x3e; // x86-64
    h[20] = 1;
    h[24..32].copy_from_slice(&0x40_1000u64.to_le_bytes());
    h[32..40].copy_from_slice(&64u64.to_le_bytes());
    h[52] = 64;
    h[54] = 56;
    h[56] = 1;
    h
}

/// A 64-bit little-endian ELF executable (a plausible header), then `payload`.
pub fn fake_elf(payload: &[u8]) -> Vec<u8> {
    let mut out = elf_header();
    out.extend_from_slice(payload);
    out
}

/// A 64-bit Mach-O executable (as on disk on x86_64 and arm64): header, one load command's
/// worth of space, then `payload`.
pub fn fake_macho(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xcf, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x01];
    out.resize(32, 0);
    out[12] = 2; // MH_EXECUTE
    out[16] = 1;
    out[20] = 72;
    out.resize(32 + 72, 0);
    out.extend_from_slice(payload);
    out
}

/// A Windows PE executable: the DOS stub pointing at a PE header that marks an executable
/// image, then `payload`.
pub fn fake_pe(payload: &[u8]) -> Vec<u8> {
    let mut out = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    out.resize(0x98, 0);
    out[0x3c] = 0x80;
    out[0x80..0x84].copy_from_slice(b"PE\0\0");
    out[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    out[0x80 + 22] = 0x22;
    out.extend_from_slice(payload);
    out
}

// ---------------------------------------------------------------------------------------------
// RPM

/// Builds an RPM with the `rpm` crate. `compressor` is "gzip", "xz", "zstd" or "bzip2".
/// Each file is `(absolute path, content, st_mode)`: a regular file (`S_IFREG | 0o755`), a
/// symlink (`S_IFLNK | 0o777`, content = target), a character device (`S_IFCHR | 0o644`) or a
/// directory (`S_IFDIR | 0o755`).
pub fn build_rpm(
    name: &str,
    version: &str,
    release: &str,
    compressor: &str,
    files: &[(&str, &[u8], u32)],
) -> Vec<u8> {
    // Fast levels: tests care about the format, not the ratio.
    let compression = match compressor {
        "gzip" => rpm::CompressionWithLevel::Gzip(6),
        "xz" => rpm::CompressionWithLevel::Xz(1),
        "zstd" => rpm::CompressionWithLevel::Zstd(3),
        "bzip2" => rpm::CompressionWithLevel::Bzip2(1),
        other => panic!("unknown compressor {other}"),
    };
    let config = rpm::BuildConfig::default()
        .compression(compression)
        .source_date(1_600_000_000u32);
    let mut builder = rpm::PackageBuilder::new(name, version, "Apache-2.0", "x86_64", "test");
    builder.using_config(config).release(release);
    for &(path, content, mode) in files {
        let permissions = (mode & 0o7777) as u16;
        match mode & 0o170_000 {
            S_IFREG => builder
                .with_file_contents(
                    content.to_vec(),
                    rpm::FileOptions::new(path).permissions(permissions),
                )
                .expect("add file"),
            S_IFLNK => builder
                .with_symlink(rpm::FileOptions::symlink(
                    path,
                    String::from_utf8(content.to_vec()).expect("utf-8 symlink target"),
                ))
                .expect("add symlink"),
            S_IFCHR => builder
                .with_special_file(rpm::FileOptions::character_device(path, 1, 3))
                .expect("add device"),
            S_IFDIR => builder
                .with_dir_entry(rpm::FileOptions::dir(path).permissions(permissions))
                .expect("add dir"),
            other => panic!("unsupported file type {other:o}"),
        };
    }
    let package = builder.build().expect("build rpm");
    let mut out = Vec::new();
    package.write(&mut out).expect("write rpm");
    out
}

/// The three families of Docker RPMs, with their typical neighbours of `/usr/bin/docker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmFamily {
    /// docker-engine 1.x: client, daemon and containerd in one package.
    Engine,
    /// docker-ce 17.x: client beside dockerd, docker-containerd, docker-init, docker-proxy.
    Ce,
    /// docker-ce-cli 18.09+: the client with completions and man pages.
    CeCli,
}

impl RpmFamily {
    pub const ALL: [RpmFamily; 3] = [RpmFamily::Engine, RpmFamily::Ce, RpmFamily::CeCli];

    /// (name, version, release) as the family wrote them.
    pub fn nvr(self) -> (&'static str, &'static str, &'static str) {
        match self {
            RpmFamily::Engine => ("docker-engine", "1.12.6", "1.el7.centos"),
            RpmFamily::Ce => ("docker-ce", "17.03.2.ce", "1.el7.centos"),
            RpmFamily::CeCli => ("docker-ce-cli", "18.09.0", "3.el7"),
        }
    }

    /// The files of the package, with `client` at `/usr/bin/docker`.
    pub fn files(self, client: &[u8]) -> Vec<(&'static str, Vec<u8>, u32)> {
        let exe = S_IFREG | 0o755;
        let doc = S_IFREG | 0o644;
        let mut files = vec![("/usr/bin/docker", client.to_vec(), exe)];
        let daemon = |name: &str| format!("#!/bin/sh\necho {name}\n").into_bytes();
        match self {
            RpmFamily::Engine => files.extend([
                ("/usr/bin/dockerd", daemon("dockerd"), exe),
                ("/usr/bin/docker-containerd", daemon("containerd"), exe),
                ("/usr/bin/docker-runc", daemon("runc"), exe),
                (
                    "/usr/lib/systemd/system/docker.service",
                    b"[Unit]\n".to_vec(),
                    doc,
                ),
            ]),
            RpmFamily::Ce => files.extend([
                ("/usr/bin/dockerd", daemon("dockerd"), exe),
                ("/usr/bin/docker-containerd", daemon("containerd"), exe),
                ("/usr/bin/docker-containerd-shim", daemon("shim"), exe),
                ("/usr/bin/docker-init", daemon("init"), exe),
                ("/usr/bin/docker-proxy", daemon("proxy"), exe),
                (
                    "/etc/udev/rules.d/80-docker.rules",
                    b"# udev\n".to_vec(),
                    doc,
                ),
            ]),
            RpmFamily::CeCli => files.extend([
                (
                    "/usr/share/bash-completion/completions/docker",
                    b"# bash completion\n".to_vec(),
                    doc,
                ),
                (
                    "/usr/share/zsh/vendor-completions/_docker",
                    b"#compdef docker\n".to_vec(),
                    doc,
                ),
                (
                    "/usr/share/fish/vendor_completions.d/docker.fish",
                    b"# fish\n".to_vec(),
                    doc,
                ),
                (
                    "/usr/share/man/man1/docker.1.gz",
                    gzip(b".TH DOCKER 1\n"),
                    doc,
                ),
                (
                    "/usr/share/man/man1/docker-run.1.gz",
                    gzip(b".TH RUN 1\n"),
                    doc,
                ),
            ]),
        }
        files
    }
}

/// A Docker RPM of `family` with `client` as `/usr/bin/docker`.
pub fn docker_rpm(family: RpmFamily, compressor: &str, client: &[u8]) -> Vec<u8> {
    let (name, version, release) = family.nvr();
    let files = family.files(client);
    let borrowed: Vec<(&str, &[u8], u32)> = files
        .iter()
        .map(|(path, content, mode)| (*path, content.as_slice(), *mode))
        .collect();
    build_rpm(name, version, release, compressor, &borrowed)
}

/// Where the parts of an RPM start: (signature header, main header, payload).
pub fn rpm_offsets(rpm: &[u8]) -> (usize, usize, usize) {
    let header_len = |at: usize| {
        let word = |o: usize| u32::from_be_bytes(rpm[o..o + 4].try_into().unwrap()) as usize;
        16 + word(at + 8) * 16 + word(at + 12)
    };
    let signature = 96;
    let signature_end = signature + header_len(signature);
    let main = signature_end.next_multiple_of(8);
    let payload = main + header_len(main);
    (signature, main, payload)
}

// ---------------------------------------------------------------------------------------------
// tar.gz

/// One tar entry, including the kinds no honest archive would contain.
#[derive(Debug, Clone)]
pub enum TarEntry<'a> {
    File {
        path: &'a str,
        content: &'a [u8],
        mode: u32,
    },
    Dir {
        path: &'a str,
    },
    Symlink {
        path: &'a str,
        target: &'a str,
    },
    Hardlink {
        path: &'a str,
        target: &'a str,
    },
    CharDevice {
        path: &'a str,
    },
    Fifo {
        path: &'a str,
    },
    /// The name field written byte for byte (`../x`, `/etc/x`, `foo/../docker/docker`).
    RawPath {
        path: &'a [u8],
        content: &'a [u8],
    },
    /// A GNU long-name record: the next entry takes `name` as its path.
    LongName {
        name: &'a [u8],
    },
    /// A regular file whose header claims `claimed_size` bytes but carries only `content`
    /// (the archive is then truncated, as a forged header would leave it).
    ForgedSize {
        path: &'a str,
        claimed_size: u64,
        content: &'a [u8],
    },
}

pub fn file<'a>(path: &'a str, content: &'a [u8]) -> TarEntry<'a> {
    TarEntry::File {
        path,
        content,
        mode: 0o755,
    }
}

fn tar_header(path: &[u8], kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    let name = &mut header.as_old_mut().name;
    assert!(path.len() < name.len(), "path too long for this builder");
    name[..path.len()].copy_from_slice(path);
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(1_600_000_000);
    header
}

/// An uncompressed tar of `entries`, ending with the two zero blocks.
pub fn tar_bytes(entries: &[TarEntry<'_>]) -> Vec<u8> {
    use tar::EntryType;
    let mut out = Vec::new();
    for entry in entries {
        let (mut header, content): (tar::Header, &[u8]) = match entry {
            TarEntry::File {
                path,
                content,
                mode,
            } => (
                tar_header(
                    path.as_bytes(),
                    EntryType::Regular,
                    content.len() as u64,
                    *mode,
                ),
                content,
            ),
            TarEntry::Dir { path } => (
                tar_header(path.as_bytes(), EntryType::Directory, 0, 0o755),
                &[],
            ),
            TarEntry::Symlink { path, target } | TarEntry::Hardlink { path, target } => {
                let kind = if matches!(entry, TarEntry::Symlink { .. }) {
                    EntryType::Symlink
                } else {
                    EntryType::Link
                };
                let mut header = tar_header(path.as_bytes(), kind, 0, 0o777);
                header.set_link_name(target).expect("link name");
                (header, &[])
            }
            TarEntry::CharDevice { path } => {
                let mut header = tar_header(path.as_bytes(), EntryType::Char, 0, 0o644);
                header.set_device_major(1).expect("major");
                header.set_device_minor(3).expect("minor");
                (header, &[])
            }
            TarEntry::Fifo { path } => {
                (tar_header(path.as_bytes(), EntryType::Fifo, 0, 0o644), &[])
            }
            TarEntry::RawPath { path, content } => (
                tar_header(path, EntryType::Regular, content.len() as u64, 0o755),
                content,
            ),
            TarEntry::LongName { name } => {
                let mut header = tar_header(
                    b"././@LongLink",
                    EntryType::GNULongName,
                    name.len() as u64 + 1,
                    0o644,
                );
                header.set_cksum();
                out.extend_from_slice(header.as_bytes());
                out.extend_from_slice(name);
                out.push(0);
                out.resize(out.len().next_multiple_of(512), 0);
                continue;
            }
            TarEntry::ForgedSize {
                path,
                claimed_size,
                content,
            } => (
                tar_header(path.as_bytes(), EntryType::Regular, *claimed_size, 0o755),
                content,
            ),
        };
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(content);
        if matches!(entry, TarEntry::ForgedSize { .. }) {
            return out;
        }
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A .tgz of `entries`.
pub fn tgz(entries: &[TarEntry<'_>]) -> Vec<u8> {
    gzip(&tar_bytes(entries))
}

/// The historical static tarball layouts: `docker/docker` and `./docker/docker` (1.11 on,
/// with dockerd, containerd and friends beside it), `usr/local/bin/docker` and
/// `./usr/local/bin/docker` (1.9/1.10, the client alone).
pub const DOCKER_TGZ_LAYOUTS: [&str; 4] = [
    "docker/docker",
    "./docker/docker",
    "usr/local/bin/docker",
    "./usr/local/bin/docker",
];

/// A static tarball in `layout` (one of [`DOCKER_TGZ_LAYOUTS`]) with `client` in it.
pub fn docker_tgz(layout: &str, client: &[u8]) -> Vec<u8> {
    let dot = if layout.starts_with("./") { "./" } else { "" };
    let p = |path: &str| format!("{dot}{path}");
    let siblings = b"#!/bin/sh\necho sibling\n";
    let (dirs, files): (Vec<String>, Vec<(String, &[u8])>) = match layout.trim_start_matches("./") {
        "docker/docker" => (
            vec![p("docker/")],
            vec![
                (p("docker/docker-containerd"), &siblings[..]),
                (p("docker/docker-containerd-ctr"), &siblings[..]),
                (p("docker/docker"), client),
                (p("docker/dockerd"), &siblings[..]),
                (p("docker/docker-proxy"), &siblings[..]),
                (p("docker/docker-runc"), &siblings[..]),
            ],
        ),
        "usr/local/bin/docker" => (
            vec![p("usr/"), p("usr/local/"), p("usr/local/bin/")],
            vec![(p("usr/local/bin/docker"), client)],
        ),
        other => panic!("unknown layout {other}"),
    };
    let mut entries: Vec<TarEntry<'_>> = dirs.iter().map(|d| TarEntry::Dir { path: d }).collect();
    entries.extend(files.iter().map(|(path, content)| file(path, content)));
    tgz(&entries)
}

// ---------------------------------------------------------------------------------------------
// zip

/// A stored (uncompressed) zip of `(name, content)` entries with a proper central directory,
/// as Windows builds were shipped (`docker/docker.exe`).
pub fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(content);
        let offset = out.len() as u32;
        let size = content.len() as u32;
        // Local file header.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes()); // version needed
        out.extend(0u16.to_le_bytes()); // flags
        out.extend(0u16.to_le_bytes()); // method: stored
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x5021u16.to_le_bytes()); // date
        out.extend(crc.sum().to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes()); // extra length
        out.extend(name.as_bytes());
        out.extend_from_slice(content);
        // Central directory record.
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(((3u16 << 8) | 20).to_le_bytes()); // made by: unix
        central.extend(20u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0x5021u16.to_le_bytes());
        central.extend(crc.sum().to_le_bytes());
        central.extend(size.to_le_bytes());
        central.extend(size.to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend(0u16.to_le_bytes()); // extra
        central.extend(0u16.to_le_bytes()); // comment
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attributes
        central.extend(((S_IFREG | 0o755) << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    let central_len = central.len() as u32;
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(central_len.to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A Windows release zip: `docker/docker.exe` beside `docker/dockerd.exe`.
pub fn docker_zip(client: &[u8]) -> Vec<u8> {
    zip_with(&[
        ("docker/", b""),
        ("docker/dockerd.exe", &fake_pe(b"daemon")),
        ("docker/docker.exe", client),
    ])
}

// ---------------------------------------------------------------------------------------------
// Taking RPMs apart and putting them back together, for hostile variants that still carry
// valid digests.

/// The first index entry of `tag` in the header at `header`: (type, absolute data offset, count).
pub fn rpm_find_tag(rpm: &[u8], header: usize, tag: u32) -> Option<(u32, usize, u32)> {
    let word = |o: usize| u32::from_be_bytes(rpm[o..o + 4].try_into().unwrap());
    let count = word(header + 8) as usize;
    let store = header + 16 + count * 16;
    (0..count).find_map(|i| {
        let entry = header + 16 + i * 16;
        (word(entry) == tag).then(|| {
            (
                word(entry + 4),
                store + word(entry + 8) as usize,
                word(entry + 12),
            )
        })
    })
}

/// Renames every index entry `from` to `to` in the header at `header`, hiding it from readers.
pub fn rpm_rename_tag(rpm: &mut [u8], header: usize, from: u32, to: u32) {
    let count = u32::from_be_bytes(rpm[header + 8..header + 12].try_into().unwrap()) as usize;
    for i in 0..count {
        let entry = header + 16 + i * 16;
        if rpm[entry..entry + 4] == from.to_be_bytes() {
            rpm[entry..entry + 4].copy_from_slice(&to.to_be_bytes());
        }
    }
}

/// `rpm` with its compressed payload replaced by `payload`, and every digest and size the
/// package carries recomputed to match, as a hostile packager would.
pub fn rpm_with_payload(rpm: &[u8], payload: &[u8]) -> Vec<u8> {
    use md5::Md5;
    use sha1::Sha1;
    use sha2::{Digest, Sha256};
    let (signature, main, payload_start) = rpm_offsets(rpm);
    let mut out = rpm[..payload_start].to_vec();
    if let Some((_, at, _)) = rpm_find_tag(&out, main, 5092) {
        let hex = hex::encode(Sha256::digest(payload));
        out[at..at + 64].copy_from_slice(hex.as_bytes());
    }
    let header = out[main..payload_start].to_vec();
    if let Some((_, at, _)) = rpm_find_tag(&out, signature, 269) {
        out[at..at + 40].copy_from_slice(hex::encode(Sha1::digest(&header)).as_bytes());
    }
    if let Some((_, at, _)) = rpm_find_tag(&out, signature, 273) {
        out[at..at + 64].copy_from_slice(hex::encode(Sha256::digest(&header)).as_bytes());
    }
    if let Some((_, at, _)) = rpm_find_tag(&out, signature, 1004) {
        let mut md5 = Md5::new();
        md5.update(&header);
        md5.update(payload);
        out[at..at + 16].copy_from_slice(&md5.finalize());
    }
    let total = (header.len() + payload.len()) as u64;
    if let Some((_, at, _)) = rpm_find_tag(&out, signature, 1000) {
        out[at..at + 4].copy_from_slice(&(total as u32).to_be_bytes());
    }
    if let Some((_, at, _)) = rpm_find_tag(&out, signature, 270) {
        out[at..at + 8].copy_from_slice(&total.to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// One newc cpio entry (`070701`), padded; names are written as given plus a NUL.
pub fn cpio_entry(name: &[u8], mode: u32, nlink: u32, data: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "070701{:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        1,
        0,
        0,
        1_600_000_000u32,
        data.len(),
        8,
        1,
        0,
        0,
        name.len() + 1,
        0
    )
    .into_bytes();
    out.extend_from_slice(name);
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// A cpio archive of already-built entries, with its trailer.
pub fn cpio(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = entries.concat();
    out.extend(cpio_entry(b"TRAILER!!!", 0, 1, b""));
    out
}
