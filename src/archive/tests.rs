use super::*;

#[test]
fn sniffs_every_magic() {
    let cases: [(&[u8], Option<ArchiveKind>); 12] = [
        (b"\xed\xab\xee\xdb\x03\x00", Some(ArchiveKind::Rpm)),
        (b"\x1f\x8b\x08\x00", Some(ArchiveKind::TarGz)),
        (b"PK\x03\x04", Some(ArchiveKind::Zip)),
        (b"\x7fELF\x02", Some(ArchiveKind::RawElf)),
        (b"\xfe\xed\xfa\xce", Some(ArchiveKind::RawMachO)),
        (b"\xfe\xed\xfa\xcf", Some(ArchiveKind::RawMachO)),
        (b"\xce\xfa\xed\xfe", Some(ArchiveKind::RawMachO)),
        (b"\xcf\xfa\xed\xfe", Some(ArchiveKind::RawMachO)),
        (b"\xca\xfe\xba\xbe", Some(ArchiveKind::RawMachO)),
        (b"MZ\x90\x00", Some(ArchiveKind::RawPe)),
        (b"<html>", None),
        (b"", None),
    ];
    for (bytes, want) in cases {
        assert_eq!(sniff(bytes), want, "{bytes:02x?}");
    }
}

#[test]
fn tells_client_binary_formats_apart() {
    let cases: [(&[u8], Option<BinaryFormat>); 10] = [
        (b"\x7fELF\x02\x01", Some(BinaryFormat::Elf)),
        (b"\xfe\xed\xfa\xce", Some(BinaryFormat::MachO)),
        (b"\xfe\xed\xfa\xcf", Some(BinaryFormat::MachO)),
        (b"\xce\xfa\xed\xfe", Some(BinaryFormat::MachO)),
        (b"\xcf\xfa\xed\xfe", Some(BinaryFormat::MachO)),
        (b"\xca\xfe\xba\xbe", Some(BinaryFormat::MachO)),
        (b"MZ\x90\x00", Some(BinaryFormat::Pe)),
        (b"#!/bin/sh\necho docker\n", None),
        (b"\x7fEL", None),
        (b"", None),
    ];
    for (bytes, want) in cases {
        assert_eq!(BinaryFormat::of(bytes), want, "{bytes:02x?}");
    }
}

#[test]
fn describes_what_is_not_an_archive() {
    for (bytes, needle) in [
        (&b""[..], "empty"),
        (b"\n  <!DOCTYPE html><html><body>Not Found", "HTML"),
        (b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey", "XML"),
        (b"{\"message\":\"rate limited\"}", "JSON"),
        (b"BZh91AY&SY", "bzip2"),
        (b"Hello, world\nsecond line", "text: \"Hello, world\""),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07\x08", "00 01 02 03"),
    ] {
        let said = describe_bytes(bytes);
        assert!(said.contains(needle), "{said} should mention {needle}");
    }
}

#[test]
fn resolves_entry_paths_like_an_extractor() {
    assert_eq!(
        resolve_entry_path(b"./docker/docker"),
        ("docker/docker".into(), false)
    );
    assert_eq!(
        resolve_entry_path(b"/docker//docker"),
        ("docker/docker".into(), false)
    );
    assert_eq!(
        resolve_entry_path(b"foo/../docker/docker"),
        ("docker/docker".into(), true)
    );
    assert_eq!(
        resolve_entry_path(b"../../etc/passwd"),
        ("etc/passwd".into(), true)
    );
    let paths = ["docker/docker"];
    assert!(match_client_path(b"foo/../docker/docker", &paths).is_err());
    assert_eq!(
        match_client_path(b"./docker/docker", &paths)
            .unwrap()
            .as_deref(),
        Some("docker/docker")
    );
    assert_eq!(match_client_path(b"docker/dockerd", &paths).unwrap(), None);
}

#[test]
fn tells_entries_escaping_the_archive_from_those_staying_inside() {
    for inside in [
        &b"docker/docker"[..],
        b"./docker/docker",
        b"docker//docker",
        b"docker/x/../dockerd",
        b"a/b/../../c",
        b"docker\\docker.exe",
        b"",
    ] {
        assert_eq!(escape_reason(inside), None, "{inside:?}");
    }
    for (outside, why) in [
        (&b"../evil"[..], "climbs out"),
        (b"./../evil", "climbs out"),
        (b"a/../../evil", "climbs out"),
        (b"docker\\..\\..\\evil.exe", "climbs out"),
        (b"..", "climbs out"),
        (b"/etc/passwd", "absolute"),
        (b"//server/share", "absolute"),
        (b"\\evil.exe", "absolute"),
        (b"C:evil.exe", "drive"),
        (b"c:/evil.exe", "drive"),
    ] {
        let said = escape_reason(outside).unwrap_or_else(|| panic!("{outside:?} stays inside?"));
        assert!(said.contains(why), "{outside:?}: {said}");
        let err = refuse_escaping(outside, "tar.gz").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Archive);
        assert!(
            err.hint()
                .is_some_and(|h| h.contains("nothing was installed"))
        );
    }
}
