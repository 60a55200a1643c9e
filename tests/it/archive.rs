//! `dvm::archive` against real rpmbuild fixtures, archives built in the test, and hostile ones.

use crate::support::archives;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Read;
use std::path::PathBuf;

use archives::*;
use dvm::ErrorKind;
use dvm::archive::{
    ArchiveKind, ExtractedClient, MAX_CLIENT_SIZE, extract_client, extract_client_with_limit,
    rpm_version_to_docker, sniff,
};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Per-thread allocation accounting, so the memory test is not disturbed by tests running
// beside it.

struct CountingAllocator;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn track(delta: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            track(layout.size() as i64);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            track(new_size as i64 - layout.size() as i64);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the most memory it held at once on this thread.
fn peak_memory<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get) - start;
    (out, peak.max(0) as u64)
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A temporary folder with an `out/` folder in it; the client goes to `out/docker`.
struct Out {
    dir: tempfile::TempDir,
    dest: PathBuf,
}

fn scratch() -> Out {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let dest = dir.path().join("out").join("docker");
    Out { dir, dest }
}

impl Out {
    fn extract(&self, bytes: &[u8]) -> dvm::Result<ExtractedClient> {
        extract_client(bytes, &self.dest)
    }

    fn client(&self) -> Vec<u8> {
        std::fs::read(&self.dest).unwrap()
    }

    /// Nothing at `dest`, nothing anywhere else either.
    fn assert_nothing_written(&self) {
        let top: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(top, ["out"], "files appeared beside out/");
        let inside: Vec<_> = std::fs::read_dir(self.dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(inside.is_empty(), "out/ should be empty, has {inside:?}");
    }

    /// Only `dest` was written.
    fn assert_only_client_written(&self) {
        let inside: Vec<_> = std::fs::read_dir(self.dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(inside, ["docker"]);
        let top: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(top, ["out"], "files appeared beside out/");
    }
}

/// Extraction must fail with `kind`, a message containing `needle`, and leave nothing behind.
fn expect_failure(bytes: &[u8], kind: ErrorKind, needle: &str) -> dvm::Error {
    let out = scratch();
    let err = out
        .extract(bytes)
        .expect_err(&format!("expected a failure mentioning {needle:?}"));
    assert_eq!(err.kind(), kind, "{err}");
    assert!(
        err.message().contains(needle),
        "message {:?} should mention {needle:?}",
        err.message()
    );
    assert!(err.hint().is_some(), "no hint on: {err}");
    out.assert_nothing_written();
    err
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Incompressible bytes, so that cutting a compressed stream in half cuts the client too.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

const COMPRESSORS: [&str; 4] = ["gzip", "xz", "zstd", "bzip2"];

// ---------------------------------------------------------------------------------------------
// The committed rpmbuild fixtures

const FIXTURE_CLIENT: &[u8] = b"#!/bin/sh\necho \"Docker version 1.12.6, build 78d1802\"\n";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpm")
        .join(format!(
            "docker-engine-1.12.6-1.el7.centos.x86_64.{name}.rpm"
        ));
    std::fs::read(path).unwrap()
}

#[test]
fn rpmbuild_fixtures_yield_the_client_in_every_compression() {
    for (file, compressor) in [
        ("gz", "gzip"),
        ("xz", "xz"),
        ("zstd", "zstd"),
        ("bz2", "bzip2"),
    ] {
        let out = scratch();
        let got = out.extract(&fixture(file)).unwrap();
        assert_eq!(out.client(), FIXTURE_CLIENT, "{file}");
        assert_eq!(got.kind, ArchiveKind::Rpm);
        assert_eq!(got.size, FIXTURE_CLIENT.len() as u64);
        assert_eq!(got.sha256, sha256_hex(FIXTURE_CLIENT));
        assert_eq!(
            got.sha256,
            "1c55cc198cf33859dc2259becc5070c156380d9c1c62322ee38ef67da63b5b0f"
        );
        let info = got.rpm.unwrap();
        assert_eq!(info.name, "docker-engine");
        assert_eq!(info.version, "1.12.6");
        assert_eq!(info.release, "1.el7.centos");
        assert_eq!(info.arch, "x86_64");
        assert_eq!(info.payload_compressor, compressor);
        assert_eq!(
            info.digests_verified,
            ["header-sha256", "header-sha1", "md5", "payload-sha256"],
            "{file}"
        );
        #[cfg(unix)]
        assert_eq!(mode_of(&out.dest), 0o755);
        out.assert_only_client_written();
    }
}

#[test]
fn tampered_fixtures_fail_integrity_and_leave_no_client() {
    let err = expect_failure(
        &fixture("tampered-header"),
        ErrorKind::Integrity,
        "header-sha256 digest mismatch",
    );
    assert!(err.message().contains("expected "), "{err}");
    assert!(err.message().contains("docker-engine-1.12.6"), "{err}");

    let err = expect_failure(
        &fixture("tampered-payload"),
        ErrorKind::Integrity,
        "digest mismatch",
    );
    assert!(
        err.message().contains("md5") || err.message().contains("payload-sha256"),
        "{err}"
    );
}

#[test]
fn fixture_versions_map_to_docker_versions() {
    let out = scratch();
    let info = out.extract(&fixture("gz")).unwrap().rpm.unwrap();
    let version = rpm_version_to_docker(&info.version, &info.release).unwrap();
    assert_eq!(version.to_string(), "1.12.6");
}

// ---------------------------------------------------------------------------------------------
// RPMs built here: every family, every compression

#[test]
fn every_rpm_family_in_every_compression() {
    let client = fake_client_script("17.03.2-ce");
    for family in RpmFamily::ALL {
        for compressor in COMPRESSORS {
            let rpm = docker_rpm(family, compressor, &client);
            let out = scratch();
            let got = out
                .extract(&rpm)
                .unwrap_or_else(|e| panic!("{family:?} {compressor}: {e}"));
            assert_eq!(out.client(), client, "{family:?} {compressor}");
            assert_eq!(got.sha256, sha256_hex(&client));
            let info = got.rpm.unwrap();
            let (name, version, release) = family.nvr();
            assert_eq!(
                (
                    info.name.as_str(),
                    info.version.as_str(),
                    info.release.as_str()
                ),
                (name, version, release)
            );
            assert_eq!(info.payload_compressor, compressor);
            assert_eq!(
                info.digests_verified,
                ["header-sha256", "header-sha1", "payload-sha256"],
                "{family:?} {compressor}"
            );
            out.assert_only_client_written();
        }
    }
}

#[test]
fn rpm_family_versions_map_to_docker_versions() {
    for (family, want) in [
        (RpmFamily::Engine, "1.12.6"),
        (RpmFamily::Ce, "17.03.2-ce"),
        (RpmFamily::CeCli, "18.09.0"),
    ] {
        let out = scratch();
        let info = out
            .extract(&docker_rpm(family, "gzip", b"client"))
            .unwrap()
            .rpm
            .unwrap();
        let version = rpm_version_to_docker(&info.version, &info.release).unwrap();
        assert_eq!(version.to_string(), want);
    }
}

#[test]
fn rpm_without_a_client_says_so_and_names_the_package() {
    let rpm = build_rpm(
        "docker-ce",
        "18.09.0",
        "3.el7",
        "xz",
        &[
            ("/usr/bin/dockerd", b"daemon", S_IFREG | 0o755),
            ("/usr/bin/docker-init", b"init", S_IFREG | 0o755),
        ],
    );
    let err = expect_failure(&rpm, ErrorKind::Archive, "has no usr/bin/docker");
    assert!(err.message().contains("docker-ce-18.09.0-3.el7"), "{err}");
    assert!(err.message().contains("./usr/bin/dockerd"), "{err}");
    assert!(err.hint().unwrap().contains("docker-ce-cli"));
}

#[test]
fn rpm_client_as_symlink_or_device_is_refused() {
    let symlink = build_rpm(
        "docker-ce-cli",
        "18.09.0",
        "3.el7",
        "gzip",
        &[("/usr/bin/docker", b"/etc/passwd", S_IFLNK | 0o777)],
    );
    expect_failure(&symlink, ErrorKind::Archive, "symbolic link");

    let device = build_rpm(
        "docker-ce-cli",
        "18.09.0",
        "3.el7",
        "zstd",
        &[("/usr/bin/docker", b"", S_IFCHR | 0o644)],
    );
    expect_failure(&device, ErrorKind::Archive, "character device");
}

/// A gzip docker-engine RPM whose payload is replaced by `entries`, digests recomputed.
fn rpm_with_cpio(entries: &[Vec<u8>]) -> Vec<u8> {
    let base = docker_rpm(RpmFamily::Engine, "gzip", b"placeholder");
    rpm_with_payload(&base, &gzip(&cpio(entries)))
}

#[test]
fn resigned_rpm_helper_produces_a_valid_package() {
    // The hostile cases below rely on this helper; prove it yields packages we accept.
    let rpm = rpm_with_cpio(&[cpio_entry(b"./usr/bin/docker", 0o100_755, 1, b"hello")]);
    let out = scratch();
    out.extract(&rpm).unwrap();
    assert_eq!(out.client(), b"hello");
}

#[test]
fn rpm_hostile_cpio_entries_are_refused() {
    let hardlink = rpm_with_cpio(&[
        cpio_entry(b"./usr/bin/docker", 0o100_755, 2, b""),
        cpio_entry(b"./usr/bin/dockerd", 0o100_755, 2, b"real data"),
    ]);
    expect_failure(&hardlink, ErrorKind::Archive, "hard link");

    let traversal = rpm_with_cpio(&[cpio_entry(
        b"./usr/share/../bin/docker",
        0o100_755,
        1,
        b"evil",
    )]);
    expect_failure(&traversal, ErrorKind::Archive, "through '..'");

    // A payload entry climbing out of the root refuses the package; `/usr/...` is just rooted.
    let escaping = rpm_with_cpio(&[
        cpio_entry(b"./../../etc/cron.d/evil", 0o100_644, 1, b"evil"),
        cpio_entry(b"./usr/bin/docker", 0o100_755, 1, b"client"),
    ]);
    expect_failure(&escaping, ErrorKind::Archive, "outside the folder");

    let fifo = rpm_with_cpio(&[cpio_entry(b"usr/bin/docker", 0o010_644, 1, b"")]);
    expect_failure(&fifo, ErrorKind::Archive, "FIFO");

    let mut lying = cpio_entry(b"./usr/bin/docker", 0o100_755, 1, b"client");
    lying[94..102].copy_from_slice(b"7fffffff");
    expect_failure(
        &rpm_with_cpio(&[lying]),
        ErrorKind::Archive,
        "claims a name of",
    );

    let mut short = cpio_entry(b"./usr/bin/docker", 0o100_755, 1, b"client");
    short[94..102].copy_from_slice(b"00000004");
    expect_failure(
        &rpm_with_cpio(&[short]),
        ErrorKind::Archive,
        "declared length",
    );

    // A file size that runs past the end of the payload.
    let mut long = cpio_entry(b"./usr/bin/docker", 0o100_755, 1, b"client");
    long[54..62].copy_from_slice(b"00100000");
    expect_failure(&rpm_with_cpio(&[long]), ErrorKind::Archive, "truncated");
}

#[test]
fn rpm_client_over_the_size_limit_is_refused() {
    let rpm = docker_rpm(RpmFamily::CeCli, "zstd", &vec![b'x'; 4096]);
    let out = scratch();
    let err = extract_client_with_limit(&rpm[..], &out.dest, 1024).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archive);
    assert!(err.message().contains("larger than"), "{err}");
    out.assert_nothing_written();
}

#[test]
fn rpm_with_absurd_header_counts_is_refused_before_allocating() {
    let rpm = docker_rpm(RpmFamily::Engine, "gzip", b"client");
    let (signature, main, _) = rpm_offsets(&rpm);
    for (at, value, needle) in [
        (signature + 8, u32::MAX, "4294967295 index entries"),
        (signature + 12, u32::MAX, "4294967295 bytes of data"),
        (main + 8, 100_001, "100001 index entries"),
        (main + 12, 64 * 1024 * 1024 + 1, "67108865 bytes"),
        (main + 8, 0, "claims 0 index entries"),
    ] {
        let mut bad = rpm.clone();
        bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
        expect_failure(&bad, ErrorKind::Archive, needle);
    }
}

#[test]
fn rpm_with_index_entries_pointing_outside_the_header_is_refused() {
    let rpm = docker_rpm(RpmFamily::Engine, "gzip", b"client");
    let (_, main, _) = rpm_offsets(&rpm);
    // The first real entry after the region tag: make its offset negative, then huge.
    let entry = main + 16 + 16;
    for offset in [0xffff_fff0u32, 0x7fff_ffff] {
        let mut bad = rpm.clone();
        bad[entry + 8..entry + 12].copy_from_slice(&offset.to_be_bytes());
        expect_failure(&bad, ErrorKind::Archive, "refusing the RPM");
    }
    let mut bad = rpm.clone();
    bad[entry + 12..entry + 16].copy_from_slice(&0x4000_0000u32.to_be_bytes());
    expect_failure(&bad, ErrorKind::Archive, "refusing the RPM");
}

#[test]
fn rpm_truncated_anywhere_is_an_archive_error() {
    let client = noise(64 * 1024, 7);
    for compressor in COMPRESSORS {
        let rpm = docker_rpm(RpmFamily::Ce, compressor, &client);
        let (signature, main, payload) = rpm_offsets(&rpm);
        for cut in [
            0,
            10,
            signature + 10,
            main + 20,
            payload + 3,
            payload + (rpm.len() - payload) / 2,
            rpm.len() - 5,
        ] {
            let out = scratch();
            let err = out
                .extract(&rpm[..cut])
                .expect_err(&format!("{compressor} cut at {cut}"));
            assert_eq!(
                err.kind(),
                ErrorKind::Archive,
                "{compressor} cut at {cut}: {err}"
            );
            out.assert_nothing_written();
        }
    }
}

#[test]
fn rpm_payload_altered_after_the_client_fails_integrity() {
    for compressor in COMPRESSORS {
        let mut rpm = docker_rpm(RpmFamily::Engine, compressor, b"client");
        let last = rpm.len() - 1;
        rpm[last] ^= 0x55;
        let err = expect_failure(&rpm, ErrorKind::Integrity, "payload-sha256 digest mismatch");
        assert!(err.message().contains("got "), "{err}");
    }
}

#[test]
fn rpm_without_usable_digests_is_unverifiable() {
    let rpm = docker_rpm(RpmFamily::Engine, "gzip", b"client");
    let (signature, main, _) = rpm_offsets(&rpm);

    let mut no_header_digest = rpm.clone();
    rpm_rename_tag(&mut no_header_digest, signature, 269, 9269);
    rpm_rename_tag(&mut no_header_digest, signature, 273, 9273);
    expect_failure(&no_header_digest, ErrorKind::Archive, "unverifiable RPM");

    let mut no_payload_digest = rpm.clone();
    rpm_rename_tag(&mut no_payload_digest, main, 5092, 9092);
    let payload = rpm_offsets(&no_payload_digest).2;
    let resigned = rpm_with_payload(&no_payload_digest, &no_payload_digest[payload..]);
    expect_failure(&resigned, ErrorKind::Archive, "unverifiable RPM");
}

// ---------------------------------------------------------------------------------------------
// tar.gz

#[test]
fn every_tgz_layout_yields_the_client() {
    let client = fake_elf(b"docker client");
    for layout in DOCKER_TGZ_LAYOUTS {
        let out = scratch();
        let got = out.extract(&docker_tgz(layout, &client)).unwrap();
        assert_eq!(got.kind, ArchiveKind::TarGz, "{layout}");
        assert_eq!(got.rpm, None);
        assert_eq!(out.client(), client, "{layout}");
        assert_eq!(got.sha256, sha256_hex(&client));
        assert_eq!(got.size, client.len() as u64);
        out.assert_only_client_written();
    }
}

#[cfg(unix)]
#[test]
fn setuid_bits_are_never_copied() {
    let tgz = tgz(&[TarEntry::File {
        path: "docker/docker",
        content: b"client",
        mode: 0o6777,
    }]);
    let out = scratch();
    out.extract(&tgz).unwrap();
    assert_eq!(mode_of(&out.dest), 0o755);
}

#[test]
fn tgz_client_that_is_not_a_regular_file_is_refused() {
    let cases = [
        (
            TarEntry::Symlink {
                path: "docker/docker",
                target: "/etc/passwd",
            },
            "symbolic link to /etc/passwd",
        ),
        (
            TarEntry::Hardlink {
                path: "docker/docker",
                target: "etc/passwd",
            },
            "hard link to etc/passwd",
        ),
        (
            TarEntry::CharDevice {
                path: "./docker/docker",
            },
            "character device",
        ),
        (
            TarEntry::Fifo {
                path: "usr/local/bin/docker",
            },
            "FIFO",
        ),
        (
            TarEntry::Dir {
                path: "docker/docker/",
            },
            "directory",
        ),
    ];
    for (entry, needle) in cases {
        expect_failure(&tgz(&[entry]), ErrorKind::Archive, needle);
    }
}

#[test]
fn tgz_traversal_is_never_written_and_never_becomes_the_client() {
    // An entry landing outside the archive's folder refuses the whole archive, before the
    // client or after it; `..` that stays inside is passed over.
    let client = fake_elf(b"good");
    for hostile in [
        &b"../../evil"[..],
        b"/tmp/evil-absolute",
        b"docker/../../evil",
        b"C:\\evil",
    ] {
        let evil = TarEntry::RawPath {
            path: hostile,
            content: b"evil",
        };
        let before = tgz(&[evil.clone(), file("docker/docker", &client)]);
        expect_failure(&before, ErrorKind::Archive, "outside the folder");
        let after = tgz(&[file("docker/docker", &client), evil]);
        expect_failure(&after, ErrorKind::Archive, "outside the folder");
    }
    let inside = tgz(&[
        TarEntry::RawPath {
            path: b"docker/x/../dockerd",
            content: b"fine",
        },
        file("docker/docker", &client),
    ]);
    let out = scratch();
    out.extract(&inside).unwrap();
    assert_eq!(out.client(), client);
    out.assert_only_client_written();

    let twice = tgz(&[
        file("docker/docker", &client),
        file("./docker/docker", &client),
    ]);
    expect_failure(&twice, ErrorKind::Archive, "holds the client twice");

    // `../docker/docker` escapes, and is refused for that (above).
    for path in [&b"foo/../docker/docker"[..], b"docker/x/../docker"] {
        let hostile = tgz(&[
            TarEntry::RawPath {
                path,
                content: b"evil",
            },
            file("docker/docker", &client),
        ]);
        expect_failure(&hostile, ErrorKind::Archive, "through '..'");
    }
}

#[test]
fn tgz_forged_oversize_header_is_refused_before_writing() {
    let tgz_bytes = tgz(&[TarEntry::ForgedSize {
        path: "docker/docker",
        claimed_size: MAX_CLIENT_SIZE + 1,
        content: b"tiny",
    }]);
    expect_failure(
        &tgz_bytes,
        ErrorKind::Archive,
        "larger than the 512 MiB limit",
    );
}

#[test]
fn tgz_bomb_is_bounded_by_the_limit() {
    // 4 MiB of zeros compress to a few KiB; the limit stops the copy, not the header.
    let bomb = tgz(&[file("docker/docker", &vec![0u8; 4 << 20])]);
    assert!(bomb.len() < 64 * 1024);
    let out = scratch();
    let err = extract_client_with_limit(&bomb[..], &out.dest, 1 << 20).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archive);
    assert!(err.message().contains("larger than"), "{err}");
    out.assert_nothing_written();
}

#[test]
fn tgz_truncated_is_an_archive_error() {
    let client = noise(256 * 1024, 3);
    let whole = docker_tgz("docker/docker", &client);
    for cut in [2, 10, whole.len() / 3, whole.len() / 2] {
        expect_failure(&whole[..cut], ErrorKind::Archive, "truncated or corrupt");
    }
    // A well-formed gzip stream around a tar that stops inside the client.
    let tar = tar_bytes(&[file("docker/docker", &client)]);
    let cut = gzip(&tar[..512 + 1000]);
    expect_failure(&cut, ErrorKind::Archive, "truncated or corrupt");
    // Garbage after a valid gzip header.
    let mut garbage = whole[..10].to_vec();
    garbage.extend(noise(4096, 9));
    expect_failure(&garbage, ErrorKind::Archive, "truncated or corrupt");
}

#[test]
fn tgz_without_client_lists_what_it_has() {
    let tgz_bytes = tgz(&[
        TarEntry::Dir { path: "bin/" },
        file("bin/dockerd", b"daemon"),
    ]);
    let err = expect_failure(&tgz_bytes, ErrorKind::Archive, "no docker client");
    assert!(err.message().contains("bin/dockerd"), "{err}");
    assert!(err.message().contains("docker/docker"), "{err}");
}

#[test]
fn tgz_huge_long_name_is_refused() {
    let name = vec![b'a'; 2 << 20];
    let tgz_bytes = tgz(&[
        TarEntry::LongName { name: &name },
        file("ignored", b"x"),
        file("docker/docker", b"client"),
    ]);
    expect_failure(&tgz_bytes, ErrorKind::Archive, "larger than 1024 KiB");
}

#[test]
fn tgz_long_name_reaching_the_client_is_honoured() {
    let tgz_bytes = tgz(&[
        TarEntry::LongName {
            name: b"docker/docker",
        },
        file("something-else", b"client"),
    ]);
    let out = scratch();
    out.extract(&tgz_bytes).unwrap();
    assert_eq!(out.client(), b"client");
}

// ---------------------------------------------------------------------------------------------
// Bare binaries and zip

#[test]
fn raw_binaries_are_the_client() {
    for (bytes, kind) in [
        (fake_elf(b"linux"), ArchiveKind::RawElf),
        (fake_macho(b"mac"), ArchiveKind::RawMachO),
        (
            [vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2], vec![0; 40]].concat(),
            ArchiveKind::RawMachO,
        ),
        (fake_pe(b"windows"), ArchiveKind::RawPe),
    ] {
        assert_eq!(sniff(&bytes), Some(kind));
        let out = scratch();
        let got = out.extract(&bytes).unwrap();
        assert_eq!(got.kind, kind);
        assert_eq!(out.client(), bytes);
        assert_eq!(got.sha256, sha256_hex(&bytes));
        out.assert_only_client_written();
    }
}

#[test]
fn raw_binary_over_the_limit_is_removed() {
    let big = fake_elf(&vec![1u8; 10_000]);
    let out = scratch();
    let err = extract_client_with_limit(&big[..], &out.dest, 4096).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archive);
    assert!(err.message().contains("larger than"), "{err}");
    out.assert_nothing_written();
}

#[test]
fn zip_yields_docker_exe() {
    let client = fake_pe(b"docker.exe");
    let out = scratch();
    let got = out.extract(&docker_zip(&client)).unwrap();
    assert_eq!(got.kind, ArchiveKind::Zip);
    assert_eq!(out.client(), client);
    assert_eq!(got.sha256, sha256_hex(&client));
    out.assert_only_client_written();
}

#[test]
fn zip_hostile_entries_are_refused() {
    let client = fake_pe(b"docker.exe");
    // A symlink's content is its target path, which is not a Windows executable.
    let symlink = zip_with(&[("docker/docker.exe", b"/etc/passwd")]);
    expect_failure(&symlink, ErrorKind::Archive, "not a Windows executable");

    let traversal = zip_with(&[("foo/../docker/docker.exe", &client)]);
    expect_failure(&traversal, ErrorKind::Archive, "through '..'");

    for hostile in [
        "../../evil.exe",
        "/evil.exe",
        "C:/evil.exe",
        "docker\\..\\..\\evil.exe",
    ] {
        let before = zip_with(&[(hostile, b"evil"), ("docker/docker.exe", &client)]);
        expect_failure(&before, ErrorKind::Archive, "outside the folder");
        let after = zip_with(&[("docker/docker.exe", &client), (hostile, b"evil")]);
        expect_failure(&after, ErrorKind::Archive, "outside the folder");
    }
    let inside = zip_with(&[
        ("docker/x/../dockerd.exe", b"fine"),
        ("docker/docker.exe", &client),
    ]);
    let out = scratch();
    out.extract(&inside).unwrap();
    assert_eq!(out.client(), client);
    out.assert_only_client_written();

    let missing = zip_with(&[("docker/dockerd.exe", &client)]);
    expect_failure(&missing, ErrorKind::Archive, "no docker client in the zip");

    let out = scratch();
    let big = docker_zip(&fake_pe(&vec![0u8; 8192]));
    let err = extract_client_with_limit(&big[..], &out.dest, 4096).unwrap_err();
    assert!(err.message().contains("larger than"), "{err}");
    out.assert_nothing_written();

    let whole = docker_zip(&client);
    let client_at = whole
        .windows(client.len())
        .position(|w| w == client)
        .unwrap();
    for cut in [4, 10, 40, client_at + client.len() / 2] {
        expect_failure(&whole[..cut], ErrorKind::Archive, "truncated or corrupt");
    }
}

// ---------------------------------------------------------------------------------------------
// Not archives at all, and the destination

#[test]
fn html_and_other_non_archives_are_named() {
    let err = expect_failure(
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>",
        ErrorKind::Archive,
        "not a Docker client archive",
    );
    assert!(err.message().contains("HTML"), "{err}");
    let err = expect_failure(b"", ErrorKind::Archive, "not a Docker client archive");
    assert!(err.message().contains("empty"), "{err}");
    let err = expect_failure(
        b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>",
        ErrorKind::Archive,
        "XML",
    );
    assert!(
        err.message().contains("not a Docker client archive"),
        "{err}"
    );
    expect_failure(
        &noise(100, 5)[..],
        ErrorKind::Archive,
        "not a Docker client archive",
    );
}

#[test]
fn an_existing_destination_is_never_overwritten_or_removed() {
    let out = scratch();
    std::fs::write(&out.dest, b"precious").unwrap();
    let err = out.extract(&fake_elf(b"new")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert_eq!(out.client(), b"precious");
}

#[test]
fn extraction_reads_a_tgz_to_the_end_of_its_gzip_stream() {
    // The gzip trailer after everything else is what covers the client: it must be read.
    let client = fake_elf(b"client");
    let filler = noise(1 << 20, 11);
    let tgz_bytes = tgz(&[
        file("docker/docker", &client),
        file("docker/dockerd", &filler),
    ]);
    let mut input = &tgz_bytes[..];
    let out = scratch();
    extract_client(&mut input, &out.dest).unwrap();
    assert!(input.is_empty(), "{} bytes were left unread", input.len());
    assert_eq!(out.client(), client);
}

// ---------------------------------------------------------------------------------------------
// The gzip trailer: a tarball's only integrity check

/// Where `needle` sits in `haystack` (noise is stored verbatim by deflate, so it can be found).
fn position_of(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the bytes are stored verbatim")
}

/// A tgz whose first entry is the client and whose second is `after`, both incompressible.
fn tgz_client_then(client: &[u8], after: &[u8]) -> Vec<u8> {
    tgz(&[file("docker/docker", client), file("docker/dockerd", after)])
}

#[test]
fn tgz_with_a_crc_error_is_refused_and_nothing_is_written() {
    let client = noise(300 * 1024, 21);
    let after = noise(200 * 1024, 22);
    let whole = tgz_client_then(&client, &after);
    // Sanity: the intact archive installs.
    let out = scratch();
    out.extract(&whole).unwrap();
    assert_eq!(out.client(), client);

    let len = whole.len();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // Inside the client's data: deflate stores noise as is, so only the CRC can tell.
    let mut inside = whole.clone();
    inside[position_of(&whole, &client[150_000..150_064]) + 10] ^= 0x40;
    cases.push(("a byte flipped inside the client", inside));
    // After the client, in the next entry: the client is intact, the archive is not.
    let mut after_client = whole.clone();
    after_client[position_of(&whole, &after[100_000..100_064]) + 10] ^= 0x01;
    cases.push(("a byte flipped after the client", after_client));
    let mut crc = whole.clone();
    crc[len - 8] ^= 0xff;
    cases.push(("a wrong CRC32 in the trailer", crc));
    let mut isize = whole.clone();
    isize[len - 4] ^= 0x01;
    cases.push(("a wrong ISIZE in the trailer", isize));
    cases.push(("the trailer cut off", whole[..len - 8].to_vec()));
    let mut trailing = whole.clone();
    trailing.extend(b"not another gzip member");
    cases.push(("garbage after the gzip stream", trailing));

    for (what, bytes) in &cases {
        let err = expect_failure(bytes, ErrorKind::Archive, "truncated or corrupt");
        assert!(
            err.message().contains("gzip"),
            "{what}: the message should say the gzip stream is bad: {err}"
        );
    }
}

#[test]
fn multi_member_tgz_is_checked_in_every_member() {
    let client = noise(100 * 1024, 31);
    let after = noise(100 * 1024, 32);
    let tar = tar_bytes(&[
        file("docker/docker", &client),
        file("docker/dockerd", &after),
    ]);
    // Cut inside the second entry, so the client is wholly in the first member.
    let split = 512 + client.len() + 512 + 1000;
    let first = gzip(&tar[..split]);
    let second = gzip(&tar[split..]);
    let whole = [first.clone(), second.clone()].concat();
    let out = scratch();
    out.extract(&whole).unwrap();
    assert_eq!(out.client(), client);

    let mut bad_first = first.clone();
    let at = bad_first.len() - 8;
    bad_first[at] ^= 0xff;
    let mut bad_second = second.clone();
    let at = bad_second.len() - 8;
    bad_second[at] ^= 0xff;
    for bytes in [
        [bad_first, second.clone()].concat(),
        [first, bad_second].concat(),
    ] {
        expect_failure(&bytes, ErrorKind::Archive, "truncated or corrupt");
    }
}

#[test]
fn zip_with_a_crc_error_in_the_client_is_refused() {
    let client = fake_pe(&noise(64 * 1024, 41));
    let mut bytes = docker_zip(&client);
    let at = position_of(&bytes, &client[30_000..30_064]) + 5;
    bytes[at] ^= 0x01;
    let err = expect_failure(&bytes, ErrorKind::Archive, "truncated or corrupt");
    assert!(err.message().contains("checksum"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Memory stays flat for a full-size client

/// Produces `len` bytes of an ELF-looking client without holding them.
struct LazyClient {
    remaining: usize,
    started: bool,
}

impl Read for LazyClient {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            self.started = true;
            let head = crate::support::archives::elf_header();
            buf[..head.len()].copy_from_slice(&head);
            self.remaining -= head.len();
            return Ok(head.len());
        }
        let n = buf.len().min(self.remaining);
        buf[..n].fill(0x90);
        self.remaining -= n;
        Ok(n)
    }
}

#[test]
fn memory_stays_flat_for_a_45_mb_client() {
    const SIZE: usize = 45 * 1024 * 1024;
    // Flat: whatever the client's size, only the chunks in flight between the decompressing
    // thread and the writing thread (three of 1 MiB) plus the decoder's own state.
    const BUDGET: u64 = 4 * 1024 * 1024;

    let out = scratch();
    let (got, peak) = peak_memory(|| {
        let input = LazyClient {
            remaining: SIZE,
            started: false,
        };
        extract_client(input, &out.dest).unwrap()
    });
    assert_eq!(got.size, SIZE as u64);
    assert!(peak < BUDGET, "raw copy peaked at {peak} bytes");

    let client: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let tgz_bytes = docker_tgz("docker/docker", &client);
    let out = scratch();
    let (got, peak) = peak_memory(|| extract_client(&tgz_bytes[..], &out.dest).unwrap());
    assert_eq!(got.size, SIZE as u64);
    assert!(peak < BUDGET, "tar.gz peaked at {peak} bytes");

    drop(client);

    // Building RPMs is slow in debug builds, so this one is smaller, but still larger than
    // the budget both compressed and not (noise does not compress).
    const RPM_CLIENT: usize = 12 * 1024 * 1024;
    let client = noise(RPM_CLIENT, 13);
    let rpm = docker_rpm(RpmFamily::CeCli, "zstd", &client);
    drop(client);
    let out = scratch();
    let (got, peak) = peak_memory(|| extract_client(&rpm[..], &out.dest).unwrap());
    assert_eq!(got.size, RPM_CLIENT as u64);
    assert!(peak < BUDGET, "rpm peaked at {peak} bytes");
}
