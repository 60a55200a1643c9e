//! `dvm install --from` with archives that extract but must not be installed: a tarball whose
//! gzip stream fails its CRC or length check, and clients built for another system.

use crate::support::archives;
use crate::support::env;
use crate::support::server;

use archives::*;
use env::TestEnv;
use server::FixtureServer;

const EXIT_ARCHIVE: i32 = 6;

/// Incompressible bytes, so that deflate stores them as they are and they can be found.
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

fn position_of(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the bytes are stored verbatim")
}

/// Installs `bytes` as `name` and expects the archive exit code, a message naming the file,
/// and an empty store afterwards.
fn refused(t: &TestEnv, name: &str, bytes: &[u8], needle: &str) -> env::Run {
    let path = t.file(name, bytes);
    let run = t.dvm(["install", "--from", &path.display().to_string()]);
    run.failure(EXIT_ARCHIVE)
        .stderr_has(name)
        .stderr_has(needle)
        .stderr_has("hint:");
    assert!(t.installed().is_empty(), "{name}: {:?}", t.installed());
    let ls = t.dvm(["ls"]);
    ls.success();
    assert!(
        ls.stdout.contains("no docker versions installed")
            || ls.stderr.contains("no docker versions installed"),
        "{name}: dvm ls lists something:\n{}{}",
        ls.stdout,
        ls.stderr
    );
    let leftovers: Vec<_> = std::fs::read_dir(t.home.join("tmp"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{name}: staging left {leftovers:?}");
    run
}

#[test]
fn a_tgz_failing_its_gzip_checks_installs_nothing() {
    let t = TestEnv::new();
    // A script client (runs anywhere) padded with noise after its last line.
    let mut client = fake_client_script("1.2.6");
    client.extend(b"exit 0\n");
    client.extend(noise(2 << 20, 7));
    let after = noise(256 * 1024, 8);
    let whole = tgz(&[
        file("docker/docker", &client),
        file("docker/dockerd", &after),
    ]);
    let len = whole.len();

    let mut inside = whole.clone();
    inside[position_of(&whole, &client[1_000_000..1_000_064]) + 10] ^= 0x40;
    let mut after_client = whole.clone();
    after_client[position_of(&whole, &after[100_000..100_064]) + 10] ^= 0x01;
    let mut isize = whole.clone();
    isize[len - 4] ^= 0x01;
    for bytes in [inside, after_client, isize] {
        refused(&t, "docker-1.2.6.tgz", &bytes, "corrupt");
    }

    // The same archive intact installs the client byte for byte.
    let good = t.file("docker-1.2.6.tgz", &whole);
    t.dvm(["install", "--from", &good.display().to_string()])
        .success();
    assert_eq!(t.installed(), ["1.2.6"]);
    let installed = std::fs::read(t.home.join("versions/1.2.6/docker")).unwrap();
    assert!(installed == client, "the installed client differs");
}

#[cfg(target_os = "linux")]
#[test]
fn clients_for_another_system_are_refused_on_linux() {
    let t = TestEnv::new();
    refused(
        &t,
        "docker-1.13.0.zip",
        &docker_zip(&fake_pe(b"windows client")),
        "docker-1.13.0.zip holds a Windows client (docker/docker.exe); it cannot run on Linux",
    )
    .stderr_has("install the Linux build instead: `dvm install 1.13.0`");

    refused(
        &t,
        "docker-17.03.0-ce.tgz",
        &docker_tgz("docker/docker", &fake_macho(b"mac client")),
        "holds a macOS client (docker/docker); it cannot run on Linux",
    );
    // Fat (universal) Mach-O and bare binaries too, even when the name says nothing.
    refused(
        &t,
        "mystery-binary",
        &[vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2], vec![0; 40]].concat(),
        "is a macOS client; it cannot run on Linux",
    );
    refused(
        &t,
        "docker-1.9.1.exe",
        &fake_pe(b"windows client"),
        "is a Windows client",
    );

    // Bytes that only start like an executable are none: a bare magic, an object file.
    refused(
        &t,
        "docker-20.10.7.tgz",
        &docker_tgz("docker/docker", b"\x7fELF\x02\x01\x01\x00"),
        "starts like an executable but is not one: it is shorter than an ELF header",
    );
    let mut object = crate::support::archives::fake_elf(b"code");
    object[16] = 1;
    refused(
        &t,
        "docker-20.10.8.tgz",
        &docker_tgz("docker/docker", &object),
        "its ELF type is 1, not an executable",
    );

    // An ELF client and a script client install as before.
    let elf = t.file("docker-1.9.1", &fake_elf(b"linux client"));
    t.dvm(["install", "--from", &elf.display().to_string()])
        .success();
    let script = t.file(
        "docker-1.13.0.tgz",
        &docker_tgz("docker/docker", &fake_client_script("1.13.0")),
    );
    t.dvm(["install", "--from", &script.display().to_string()])
        .success();
    assert_eq!(t.installed(), ["1.13.0", "1.9.1"]);
}

#[test]
fn the_same_checks_apply_to_install_from_a_url() {
    let server = FixtureServer::start();
    let mut t = TestEnv::new();
    t.env("DVM_CONNECT_TIMEOUT", "5").env("DVM_RETRIES", "1");
    let client = noise(512 * 1024, 9);
    let mut bad_crc = tgz(&[file("docker/docker", &client)]);
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xff;
    server.add("/docker-1.2.6.tgz", bad_crc);
    let url = server.url_for("/docker-1.2.6.tgz");
    // Twice: once downloading, once from whatever the download cache kept.
    for _ in 0..2 {
        t.dvm(["install", "--from", &url])
            .failure(EXIT_ARCHIVE)
            .stderr_has(&url)
            .stderr_has("gzip");
        assert!(t.installed().is_empty(), "{:?}", t.installed());
    }

    if cfg!(target_os = "linux") {
        server.add("/docker-1.13.0.zip", docker_zip(&fake_pe(b"windows")));
        let url = server.url_for("/docker-1.13.0.zip");
        t.dvm(["install", "--from", &url])
            .failure(EXIT_ARCHIVE)
            .stderr_has("holds a Windows client (docker/docker.exe); it cannot run on Linux")
            .stderr_has("`dvm install 1.13.0`");
        assert!(t.installed().is_empty(), "{:?}", t.installed());
    }
}

/// The real static layout (`docker/`, `docker/docker`, its siblings) with one more entry whose
/// name is `hostile`, placed after the client so that stopping at the client would miss it.
fn static_tgz_with(hostile: &[u8], client: &[u8]) -> Vec<u8> {
    let sibling = b"#!/bin/sh\necho sibling\n";
    tgz(&[
        TarEntry::Dir { path: "docker/" },
        file("docker/docker-containerd", sibling),
        file("docker/docker", client),
        file("docker/dockerd", sibling),
        TarEntry::RawPath {
            path: hostile,
            content: b"#!/bin/sh\necho owned\n",
        },
    ])
}

#[test]
fn a_tgz_with_an_entry_escaping_it_is_refused_whole() {
    let client = fake_client_script("17.03.2-ce");
    for hostile in [&b"../evil"[..], b"/tmp/evil", b"docker/../../evil"] {
        let t = TestEnv::new();
        let run = refused(
            &t,
            "docker-17.03.2-ce.tgz",
            &static_tgz_with(hostile, &client),
            "would be written outside the folder it is unpacked into",
        );
        run.stderr_has(&String::from_utf8_lossy(hostile))
            .stderr_has("nothing was installed");
    }
    // The same tarball without the hostile entry installs.
    let t = TestEnv::new();
    let good = t.file(
        "docker-17.03.2-ce.tgz",
        &static_tgz_with(b"docker/docker-runc", &client),
    );
    t.dvm(["install", "--from", &good.display().to_string()])
        .success();
    assert_eq!(t.installed(), ["17.03.2-ce"]);
}

#[test]
fn a_downloaded_static_build_with_a_dotdot_entry_installs_nothing() {
    let r = crate::support::replica::Replica::empty();
    let path = crate::support::replica::static_path("stable", "17.03.2-ce");
    r.put(
        &path,
        static_tgz_with(b"../evil", &fake_client_script("17.03.2-ce")),
    );
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", r.mirror())
        .env("DVM_PLATFORM", "linux/x86_64")
        .env("HTTPS_PROXY", r.mirror())
        .env("HTTP_PROXY", r.mirror())
        .env("DVM_CONNECT_TIMEOUT", "5")
        .env("DVM_RETRIES", "1");
    t.dvm(["install", "17.03.2-ce"])
        .failure(EXIT_ARCHIVE)
        .stderr_has("'../evil' would be written outside")
        .stderr_has("hint:");
    assert!(t.installed().is_empty(), "{:?}", t.installed());
    assert!(!t.home.join("evil").exists() && !t.home.join("../evil").exists());
    assert!(r.escapes().is_empty(), "{:#?}", r.escapes());
}
