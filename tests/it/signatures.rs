//! OpenPGP signatures on RPMs (#13): a committed test key signs the committed rpmbuild fixtures
//! and packages built in the test, the way rpmsign does; dvm must accept exactly those.

use std::path::PathBuf;

use crate::support::archives::{RpmFamily, docker_rpm, rpm_with_payload};
use crate::support::env::TestEnv;
use crate::support::signing::{
    Covers, OTHER_KEY, OTHER_KEY_ID, TEST_KEY, TEST_KEY_ID, sign_rpm, test_public_key,
};
use dvm::ErrorKind;
use dvm::archive::{ExtractedClient, extract_client_with_keys};
use dvm::openpgp::Keyring;

fn rpmbuild_fixture() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpm/docker-engine-1.12.6-1.el7.centos.x86_64.gz.rpm");
    std::fs::read(path).unwrap()
}

fn trusting_the_test_key() -> Keyring {
    Keyring::with_user_keys(&[test_public_key().as_path()]).unwrap()
}

fn extract(rpm: &[u8], keys: &Keyring) -> (tempfile::TempDir, dvm::Result<ExtractedClient>) {
    let dir = tempfile::tempdir().unwrap();
    let got = extract_client_with_keys(rpm, &dir.path().join("docker"), keys);
    (dir, got)
}

#[test]
fn a_correctly_signed_rpm_names_its_key() {
    let keys = trusting_the_test_key();
    for covers in [Covers::Header, Covers::HeaderAndPayload] {
        for rpm in [
            rpmbuild_fixture(),
            docker_rpm(RpmFamily::CeCli, "xz", b"#!/bin/sh\n"),
        ] {
            let signed = sign_rpm(&rpm, TEST_KEY, covers);
            let (_dir, got) = extract(&signed, &keys);
            let info = got.unwrap().rpm.unwrap();
            let by = info.signature.expect("a verified signature");
            assert_eq!(by.key_id, TEST_KEY_ID, "{covers:?}");
            assert_eq!(by.hash, "SHA256");
            assert!(by.key.ends_with("test-signing.pub.asc"), "{by:?}");
        }
    }
}

#[test]
fn an_unsigned_rpm_has_no_signature() {
    let (_dir, got) = extract(&rpmbuild_fixture(), &trusting_the_test_key());
    assert_eq!(got.unwrap().rpm.unwrap().signature, None);
}

#[test]
fn a_package_altered_after_signing_is_refused() {
    let keys = trusting_the_test_key();
    let rpm = rpmbuild_fixture();
    for covers in [Covers::Header, Covers::HeaderAndPayload] {
        let signed = sign_rpm(&rpm, TEST_KEY, covers);
        // Another payload, with every digest recomputed to match: only the signature can tell.
        let (_, _, payload) = crate::support::archives::rpm_offsets(&signed);
        let mut other = signed[payload..].to_vec();
        let last = other.len() - 9;
        other[last] ^= 0x01;
        let altered = rpm_with_payload(&signed, &other);
        let (dir, got) = extract(&altered, &keys);
        let err = got.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "{covers:?}: {err:?}");
        assert!(
            err.message().contains(TEST_KEY_ID) && err.message().contains("docker-engine-1.12.6"),
            "{err:?}"
        );
        assert!(!dir.path().join("docker").exists() || covers == Covers::HeaderAndPayload);
    }
}

#[test]
fn a_package_signed_by_an_unknown_key_is_refused_naming_the_key() {
    let signed = sign_rpm(&rpmbuild_fixture(), OTHER_KEY, Covers::Header);
    let (_dir, got) = extract(&signed, &trusting_the_test_key());
    let err = got.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert_eq!(
        err.message(),
        format!(
            "refusing docker-engine-1.12.6-1.el7.centos.x86_64: it is signed by key \
             {OTHER_KEY_ID}, which dvm does not know"
        )
    );
    assert!(err.hint().unwrap().contains("rpm_keys"), "{err:?}");
    // Docker's keys alone do not know the test key either.
    let (_dir, got) = extract(&signed, &Keyring::docker().unwrap());
    assert_eq!(got.unwrap_err().kind(), ErrorKind::Integrity);
}

#[test]
fn install_reports_signature_and_require_refuses_an_unsigned_rpm() {
    let mut env = TestEnv::new();
    env.env("DVM_RPM_KEYS", test_public_key().display().to_string());
    let unsigned = env.files.join("unsigned.rpm");
    std::fs::write(&unsigned, rpmbuild_fixture()).unwrap();
    let signed = env.files.join("signed.rpm");
    std::fs::write(
        &signed,
        sign_rpm(&rpmbuild_fixture(), TEST_KEY, Covers::Header),
    )
    .unwrap();

    let from = unsigned.display().to_string();
    env.dvm(["install", "--from", &from, "--require", "signature"])
        .failure(5)
        .stderr_has("the strongest check it passed is rpm-digests");
    assert!(!env.home.join("versions/1.12.6").exists());

    env.dvm([
        "install",
        "--from",
        &signed.display().to_string(),
        "--require",
        "signature",
    ])
    .success();
    let json = env.dvm(["ls", "--json"]).success().stdout.clone();
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let verified = &listed[0]["verified_by"];
    assert_eq!(verified[0], "signature", "{json}");
    let shown = env.dvm(["verify", "--provenance"]).success().stdout.clone();
    assert!(
        shown.contains(&format!("signed by: key {TEST_KEY_ID} ("))
            && shown.contains("verified by: signature, rpm-digests"),
        "{shown}"
    );
}
