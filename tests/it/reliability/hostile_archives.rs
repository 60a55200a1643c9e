//! Hostile archives through `dvm install --from FILE`: none panics, each gets a clear error
//! (exit 5 integrity or 6 bad archive), the store gets no version, and nothing is written
//! outside the store.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::common::*;
use crate::support::archives::*;
use crate::support::env::{Run, TestEnv, fixture_rpm};

const EXIT_INTEGRITY: i32 = 5;
const EXIT_ARCHIVE: i32 = 6;

/// A file that an escaping entry could create outside the sandbox (they must stay absent).
fn escape_target(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("dvm-escape-{}-{tag}", std::process::id()))
}

/// Everything under the TestEnv's root except the store itself.
fn outside_store(t: &TestEnv) -> BTreeMap<PathBuf, String> {
    let root = t.home.parent().expect("the TestEnv root");
    tree_snapshot(root)
        .into_iter()
        .filter(|(path, _)| !path.starts_with("dvm-home"))
        .collect()
}

/// Installs `bytes` saved as `name`; checks every invariant and returns the run.
#[track_caller]
fn install_hostile(t: &TestEnv, name: &str, bytes: &[u8], allowed: &[i32]) -> Run {
    let file = t.file(name, bytes);
    let before = outside_store(t);
    let run = t.dvm(["install", "--from", &file.display().to_string()]);
    assert_no_panic(&run, name);
    assert!(
        allowed.contains(&run.code),
        "{name}: exit {} (wanted one of {allowed:?})\n{}",
        run.code,
        run.stderr
    );
    assert!(
        run.stderr.contains("error:") && run.stderr.contains("hint:") && run.stderr.contains(name),
        "{name}: the error does not name the file and say what to do:\n{}",
        run.stderr
    );
    assert_eq!(
        assert_store_consistent(&t.home),
        [],
        "{name} installed something"
    );
    assert_eq!(tmp_leftovers(&t.home), Vec::<String>::new(), "{name}");
    assert!(
        !t.home.join("shims/docker").exists(),
        "{name}: a failed install placed the shim"
    );
    assert_eq!(outside_store(t), before, "{name} wrote outside the store");
    std::fs::remove_file(&file).expect("remove the fixture");
    run
}

fn tgz_name() -> &'static str {
    "docker-1.12.6.tgz"
}

const RPM_NAME: &str = "docker-engine-1.12.6-1.el7.centos.x86_64.rpm";

fn hostile_tarballs() -> Vec<(&'static str, Vec<u8>)> {
    let client = fake_client_script("1.12.6");
    let big = BIG_CLAIM;
    let sandbox_escape = escape_target("tar-rel");
    let abs_escape = escape_target("tar-abs");
    let long_escape = escape_target("tar-long");
    let rel = format!(
        "docker/../../../../../../../../../..{}",
        sandbox_escape.display()
    );
    let long = format!("../../../../../../../../../..{}", long_escape.display());
    let abs = abs_escape.display().to_string();
    vec![
        (
            "symlink to /etc/passwd as the client",
            tgz(&[TarEntry::Symlink {
                path: "docker/docker",
                target: "/etc/passwd",
            }]),
        ),
        (
            "relative symlink out of the archive as the client",
            tgz(&[TarEntry::Symlink {
                path: "docker/docker",
                target: "../../../../../../etc/passwd",
            }]),
        ),
        (
            "hardlink to /etc/passwd as the client",
            tgz(&[TarEntry::Hardlink {
                path: "docker/docker",
                target: "/etc/passwd",
            }]),
        ),
        (
            "hardlink to a sibling as the client",
            tgz(&[
                file("docker/dockerd", &client),
                TarEntry::Hardlink {
                    path: "docker/docker",
                    target: "docker/dockerd",
                },
            ]),
        ),
        (
            "character device as the client",
            tgz(&[TarEntry::CharDevice {
                path: "docker/docker",
            }]),
        ),
        (
            "fifo as the client",
            tgz(&[TarEntry::Fifo {
                path: "docker/docker",
            }]),
        ),
        (
            "directory as the client",
            tgz(&[TarEntry::Dir {
                path: "docker/docker/",
            }]),
        ),
        (
            "client reached through ..",
            tgz(&[TarEntry::RawPath {
                path: b"x/../docker/docker",
                content: &client,
            }]),
        ),
        (
            "client above the archive root",
            tgz(&[TarEntry::RawPath {
                path: b"../docker/docker",
                content: &client,
            }]),
        ),
        (
            ".. traversal out of the staging folder, no client",
            tgz(&[TarEntry::RawPath {
                path: rel.as_bytes(),
                content: b"escaped",
            }]),
        ),
        (
            "absolute path, no client",
            tgz(&[TarEntry::RawPath {
                path: abs.as_bytes(),
                content: b"escaped",
            }]),
        ),
        (
            "GNU long name with traversal, no client",
            tgz(&[
                TarEntry::LongName {
                    name: long.as_bytes(),
                },
                file("placeholder", b"escaped"),
            ]),
        ),
        (
            "client claiming 1 TiB",
            tgz(&[TarEntry::ForgedSize {
                path: "docker/docker",
                claimed_size: big,
                content: &client,
            }]),
        ),
        (
            "client claiming more than it carries",
            tgz(&[TarEntry::ForgedSize {
                path: "docker/docker",
                claimed_size: 100_000,
                content: &client,
            }]),
        ),
        ("decompression bomb (600 MiB of zeros)", zero_bomb_tgz(600)),
        ("no client at all", docker_tgz_without_client()),
        ("empty file", Vec::new()),
        ("gzip header then garbage", {
            let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
            bytes.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
            bytes
        }),
    ]
}

const BIG_CLAIM: u64 = 1 << 40;

fn docker_tgz_without_client() -> Vec<u8> {
    tgz(&[
        TarEntry::Dir { path: "docker/" },
        file("docker/dockerd", b"#!/bin/sh\n"),
        file("docker/docker-proxy", b"#!/bin/sh\n"),
    ])
}

/// A raw-deflate chunk that ends byte-aligned with the compressor's history reset, so copies of
/// it can be laid one after another in a single stream.
fn deflate_chunk(data: &[u8]) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut compressor = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() + 1024);
    compressor
        .compress_vec(data, &mut out, FlushCompress::Full)
        .expect("deflate");
    assert_eq!(
        compressor.total_in(),
        data.len() as u64,
        "deflate took it all"
    );
    out
}

/// A .tgz whose `docker/docker` is `mib` MiB of zeros (declared honestly in its header), built
/// in a few KiB without compressing the zeros `mib` times.
fn zero_bomb_tgz(mib: usize) -> Vec<u8> {
    bomb_tgz(&[("docker/docker", mib)])
}

/// A .tgz of `(path, MiB of zeros)` entries built from repeated deflate chunks.
fn bomb_tgz(entries: &[(&str, usize)]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mib_of_zeros = deflate_chunk(&vec![0u8; 1 << 20]);
    for (path, mib) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_path(path).expect("tar path");
        header.set_size((*mib as u64) << 20);
        header.set_mode(0o755);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        out.extend(deflate_chunk(header.as_bytes()));
        for _ in 0..*mib {
            out.extend_from_slice(&mib_of_zeros);
        }
    }
    out.extend(deflate_chunk(&[0u8; 1024]));
    // The final empty block, then a trailer that does not match (nothing gets that far).
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&[0u8; 8]);
    out
}

#[test]
fn hostile_tarballs_are_refused() {
    let t = TestEnv::new();
    let cases = hostile_tarballs();
    for (what, bytes) in &cases {
        let run = install_hostile(&t, tgz_name(), bytes, &[EXIT_ARCHIVE]);
        if what.contains("bomb") || what.contains("1 TiB") {
            run.stderr_has("larger than the 512 MiB limit");
        }
    }
    for tag in ["tar-rel", "tar-abs", "tar-long"] {
        assert!(!escape_target(tag).exists(), "{tag} escaped");
    }
    if long_tests() {
        println!("reliability: {} hostile tarballs refused", cases.len());
    }
}

#[test]
fn a_symlinked_folder_in_a_tarball_is_not_followed() {
    let t = TestEnv::new();
    let outside = t.files.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let client = fake_client_script("1.12.6");
    let target = outside.display().to_string();
    let bytes = tgz(&[
        TarEntry::Symlink {
            path: "docker",
            target: &target,
        },
        file("docker/docker", &client),
    ]);
    let archive = t.file(tgz_name(), &bytes);
    let run = t.dvm(["install", "--from", &archive.display().to_string()]);
    assert_no_panic(&run, "symlinked folder");
    // Either refused, or the client (and only it) lands in the store.
    let store = assert_store_consistent(&t.home);
    assert!(
        (run.code == EXIT_ARCHIVE && store.is_empty())
            || (run.code == 0 && store == [("1.12.6".to_string(), sha256_hex(&client))]),
        "{run:?} {store:?}"
    );
    assert_eq!(list_dir(&outside), Vec::<String>::new());
}

/// A decompression bomb whose entries each stay under the client limit but add up to more than
/// dvm will read past. Decompresses 2+ GiB, so long run only.
#[test]
fn a_bomb_of_skipped_entries_is_bounded() {
    if !long_tests() {
        return;
    }
    let t = TestEnv::new();
    let bytes = bomb_tgz(&[
        ("docker/dockerd", 500),
        ("docker/containerd", 500),
        ("docker/runc", 500),
        ("docker/ctr", 500),
        ("docker/proxy", 500),
        ("docker/docker", 1),
    ]);
    install_hostile(&t, tgz_name(), &bytes, &[EXIT_ARCHIVE]).stderr_has("decompression bomb");
    println!("reliability: 2.4 GiB skip bomb refused");
}

fn rpm_with_cpio(entries: &[Vec<u8>]) -> Vec<u8> {
    let base = docker_rpm(RpmFamily::Engine, "gzip", b"placeholder");
    rpm_with_payload(&base, &gzip(&cpio(entries)))
}

#[test]
fn hostile_rpms_are_refused() {
    let t = TestEnv::new();
    let client = fake_client_script("1.12.6");
    let mut cases: Vec<(String, Vec<u8>, &[i32])> = Vec::new();
    let either: &[i32] = &[EXIT_INTEGRITY, EXIT_ARCHIVE];
    for kind in ["tampered-header", "tampered-payload"] {
        let bytes = std::fs::read(fixture_rpm(kind)).unwrap();
        cases.push((kind.into(), bytes, &[EXIT_INTEGRITY]));
    }
    // Truncated in every compression, at the lead, the headers and the payload.
    for kind in ["gz", "xz", "zstd", "bz2"] {
        let bytes = std::fs::read(fixture_rpm(kind)).unwrap();
        let (signature, main, payload) = rpm_offsets(&bytes);
        for cut in [
            50,
            signature + 20,
            main + 40,
            payload + 10,
            payload + (bytes.len() - payload) / 2,
            bytes.len() - 3,
        ] {
            cases.push((
                format!("{kind} cut at {cut}"),
                bytes[..cut].to_vec(),
                either,
            ));
        }
    }
    // Bogus header counts and sizes.
    let rpm = docker_rpm(RpmFamily::Engine, "gzip", &client);
    let (signature, main, _) = rpm_offsets(&rpm);
    for (at, value) in [
        (signature + 8, u32::MAX),
        (signature + 12, u32::MAX),
        (main + 8, u32::MAX),
        (main + 8, 0),
        (main + 12, u32::MAX),
        (main + 16 + 16 + 8, 0xffff_fff0),
        (main + 16 + 16 + 12, 0x4000_0000),
    ] {
        let mut bad = rpm.clone();
        bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
        cases.push((format!("header word at {at} = {value:#x}"), bad, either));
    }
    // A cpio payload that lies, with every digest recomputed to match.
    let entry =
        |name: &[u8], mode: u32, nlink: u32, data: &[u8]| cpio_entry(name, mode, nlink, data);
    let mut huge_name = entry(b"./usr/bin/docker", 0o100_755, 1, &client);
    huge_name[94..102].copy_from_slice(b"ffffffff");
    let mut short_name = entry(b"./usr/bin/docker", 0o100_755, 1, &client);
    short_name[94..102].copy_from_slice(b"00000003");
    let mut huge_size = entry(b"./usr/bin/docker", 0o100_755, 1, &client);
    huge_size[54..62].copy_from_slice(b"ffffffff");
    let mut not_hex = entry(b"./usr/bin/docker", 0o100_755, 1, &client);
    not_hex[54..62].copy_from_slice(b"-0000001");
    let escape = escape_target("cpio").display().to_string();
    let escape_name = format!("./../../../../../../../..{escape}");
    for (what, payload) in [
        ("cpio name length 0xffffffff", vec![huge_name]),
        ("cpio name length too short", vec![short_name]),
        ("cpio file size 0xffffffff", vec![huge_size]),
        ("cpio size not hex", vec![not_hex]),
        (
            "cpio client as symlink",
            vec![entry(b"./usr/bin/docker", 0o120_777, 1, b"/etc/passwd")],
        ),
        (
            "cpio client as device",
            vec![entry(b"./usr/bin/docker", 0o020_644, 1, b"")],
        ),
        (
            "cpio client as hardlink",
            vec![
                entry(b"./usr/bin/docker", 0o100_755, 2, b""),
                entry(b"./usr/bin/dockerd", 0o100_755, 2, &client),
            ],
        ),
        (
            "cpio client through ..",
            vec![entry(b"./usr/lib/../bin/docker", 0o100_755, 1, &client)],
        ),
        (
            "cpio traversal, no client",
            vec![entry(escape_name.as_bytes(), 0o100_755, 1, b"escaped")],
        ),
    ] {
        cases.push((what.into(), rpm_with_cpio(&payload), &[EXIT_ARCHIVE]));
    }
    // Symlink and device clients built by the rpm crate itself (valid digests).
    cases.push((
        "rpm client as symlink".into(),
        build_rpm(
            "docker-engine",
            "1.12.6",
            "1.el7.centos",
            "gzip",
            &[("/usr/bin/docker", b"/etc/passwd", S_IFLNK | 0o777)],
        ),
        &[EXIT_ARCHIVE],
    ));
    cases.push((
        "rpm client as device".into(),
        build_rpm(
            "docker-engine",
            "1.12.6",
            "1.el7.centos",
            "xz",
            &[("/usr/bin/docker", b"", S_IFCHR | 0o644)],
        ),
        &[EXIT_ARCHIVE],
    ));
    for (what, bytes, allowed) in &cases {
        let run = install_hostile(&t, RPM_NAME, bytes, allowed);
        if what.starts_with("tampered") {
            run.stderr_has("digest mismatch");
        }
    }
    assert!(!escape_target("cpio").exists());
    if long_tests() {
        println!("reliability: {} hostile RPMs refused", cases.len());
    }
}

#[test]
fn hostile_zips_are_refused() {
    let t = TestEnv::new();
    let exe = fake_pe(&padded_client("17.09.0-ce", 4096));
    let escape = escape_target("zip").display().to_string();
    let traversal = format!("../../../../../../../../..{escape}");
    let full = docker_zip(&exe);
    // Cut in the middle of the client's bytes (a cut in the central directory after a whole,
    // CRC-checked client is no harm: streaming never reads that far).
    let client_at = full
        .windows(exe.len())
        .position(|w| w == exe.as_slice())
        .expect("the client is stored");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "traversal, no client",
            zip_with(&[(&traversal, b"escaped")]),
        ),
        (
            "absolute path, no client",
            zip_with(&[(&escape, b"escaped")]),
        ),
        (
            "client through ..",
            zip_with(&[("docker/x/../docker.exe", &exe)]),
        ),
        (
            "client that is not an executable (a symlink's target)",
            zip_with(&[("docker/docker.exe", b"/etc/passwd")]),
        ),
        (
            "truncated in the client",
            full[..client_at + exe.len() / 2].to_vec(),
        ),
        (
            "directory as the client",
            zip_with(&[("docker/docker.exe/", b"")]),
        ),
    ];
    for (what, bytes) in &cases {
        let run = install_hostile(&t, "docker-17.09.0-ce.zip", bytes, &[EXIT_ARCHIVE]);
        assert!(run.stderr.contains("docker-17.09.0-ce.zip"), "{what}");
    }
    assert!(!escape_target("zip").exists());
    if long_tests() {
        println!("reliability: {} hostile zips refused", cases.len());
    }
}

#[test]
fn the_store_still_works_after_hostile_archives() {
    // Hostile input must not damage what is already installed.
    let t = TestEnv::new();
    let client = padded_client("1.13.1", 4096);
    let good = t.file("docker-1.13.1.tgz", &docker_tgz("docker/docker", &client));
    t.dvm(["install", "--from", &good.display().to_string()])
        .success();
    let installed = assert_store_consistent(&t.home);
    for (_, bytes) in hostile_tarballs().iter().take(8) {
        let file = t.file(tgz_name(), bytes);
        let run = t.dvm(["install", "--from", &file.display().to_string()]);
        assert_no_panic(&run, "hostile tarball");
        assert_eq!(run.code, EXIT_ARCHIVE, "{}", run.stderr);
    }
    assert_eq!(assert_store_consistent(&t.home), installed);
    let project = t.cwd.join("p");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join(".docker-version"), "1.13.1").unwrap();
    assert!(ran_whole_client(
        &t.docker_in(&project, ["--version"]),
        "1.13.1"
    ));
}
