//! The third-party static checksum table (`data/static-builds-sha256.tsv`) as a user meets
//! it: a static tarball at a path the table records must hash to the recorded value, on any
//! mirror; a path the table does not record installs as trust on first use; a file Docker
//! republished passes with either recorded value, and the install says it was republished.

use crate::remote::ls_json;
use crate::support::env;
use crate::support::replica;

use dvm::DockerVersion;
use dvm::sources::{Arch, Channel, Expected, Hosts, Os, Platform, static_builds};
use dvm::trust::{self, Evidence, Policy, VerifiedBy};
use env::TestEnv;
use replica::Replica;

/// What the independent record holds for linux/static/stable/x86_64/docker-20.10.24.tgz.
const RECORDED_20_10_24: &str = "ab91092320a87691a1eaf0225b48585db9c69cff0ed4b0f569f744ff765515e3";
/// Both values recorded for the republished linux/static/stable/x86_64/docker-27.5.0.tgz.
const RECORDED_27_5_0: [&str; 2] = [
    "c5417d206b8b59a53d70b0ea19b29813fd64a22459d9743f318b36936aff597a",
    "4fca6bb9a3f4e13c50dea35aeef57aad735aed8e7eff67ef3741f777ce2c2eb7",
];

/// remote.rs's environment, with no retries: every request a test counts is a first attempt.
fn env_for(r: &Replica) -> TestEnv {
    let mut t = crate::remote::env_for(r);
    t.env("DVM_RETRIES", "0");
    t
}

#[test]
fn a_static_tarball_the_table_records_is_refused_when_its_bytes_differ() {
    let r = Replica::docker();
    let fake = r.add_static("stable", "20.10.24");
    assert_ne!(fake.sha256, RECORDED_20_10_24);
    let t = env_for(&r);
    let run = t.dvm(["install", "20.10.24"]);
    run.failure(5)
        .stderr_has(&format!(
            "sha256 mismatch for {}",
            r.url(&replica::static_path("stable", "20.10.24"))
        ))
        .stderr_has("an independent record (cashapp/hermit-packages@")
        .stderr_has(RECORDED_20_10_24)
        .stderr_has(&format!("got {}", fake.sha256))
        .stderr_has("hint:");
    assert!(t.installed().is_empty(), "{:?}", t.installed());
    assert!(ls_json(&t).is_empty());

    // Again, with the file already downloaded once: the refused download was not kept, and it
    // is still refused (no trust-on-first-use record was written for it either).
    let path = replica::static_path("stable", "20.10.24");
    assert_eq!(r.server.count(&path), 1);
    t.dvm(["install", "20.10.24"])
        .failure(5)
        .stderr_has("an independent record");
    assert_eq!(
        r.server.count(&path),
        2,
        "the refused file came from the cache"
    );
    assert!(t.installed().is_empty());
}

#[test]
fn the_table_vouches_by_path_so_another_static_mirror_is_held_to_it_too() {
    // A private mirror of the static tree only (DVM_STATIC_URL), beside DVM_MIRROR.
    let r = Replica::docker();
    let custom = "/private/static";
    let path = format!("{custom}/linux/static/stable/x86_64/docker-20.10.24.tgz");
    let fake = r.put(
        &path,
        crate::support::archives::docker_tgz(
            "docker/docker",
            &crate::support::archives::fake_client_script("20.10.24"),
        ),
    );
    let mut t = env_for(&r);
    t.env("DVM_STATIC_URL", r.url(custom));
    t.dvm(["install", "20.10.24"])
        .failure(5)
        .stderr_has(&format!("sha256 mismatch for {}", r.url(&path)))
        .stderr_has(RECORDED_20_10_24)
        .stderr_has(&format!("got {}", fake.sha256));
    assert!(t.installed().is_empty(), "{:?}", t.installed());
}

#[test]
fn a_static_tarball_the_table_does_not_record_is_trust_on_first_use() {
    let r = Replica::docker();
    let t = env_for(&r);
    let url = r.url(&replica::static_path("stable", "20.10.25"));
    t.dvm(["install", "20.10.25"])
        .success()
        .stderr_has(&format!(
            "installed docker 20.10.25 from {url} (verified by trust on first use"
        ));
    assert_eq!(t.installed(), ["20.10.25"]);
    let entry = ls_json(&t)
        .into_iter()
        .find(|e| e["version"] == "20.10.25")
        .expect("20.10.25 in ls --json");
    assert_eq!(entry["verified_by"], serde_json::json!(["tofu"]));
}

#[test]
fn a_republished_file_warns_before_its_bytes_are_checked() {
    // The replica's 27.5.0 is neither of the two recorded files: the warning names the
    // republication, and the refusal names both values.
    let r = Replica::docker();
    let fake = r.add_static("stable", "27.5.0");
    let t = env_for(&r);
    let url = r.url(&replica::static_path("stable", "27.5.0"));
    t.dvm(["install", "27.5.0"])
        .failure(5)
        .stderr_has(&format!(
            "{url} was republished: 2 checksums are on record, and either is accepted"
        ))
        .stderr_has(&format!("{} or {}", RECORDED_27_5_0[0], RECORDED_27_5_0[1]))
        .stderr_has(&format!("got {}", fake.sha256));
    assert!(t.installed().is_empty());
}

fn check(expected: &Expected, sha256: &str) -> dvm::error::Result<Vec<VerifiedBy>> {
    trust::check(&Evidence {
        shown: "https://download.docker.com/linux/static/stable/x86_64/docker-27.5.0.tgz",
        sha256,
        sha1: "",
        expected: Some(expected),
        pin: None,
        rpm_digests: false,
        tofu: None,
        signature: None,
        policy: Policy::default(),
    })
}

#[test]
fn either_recorded_value_of_a_republished_file_passes_and_no_other_does() {
    let version = DockerVersion::parse("27.5.0").unwrap();
    let linux = Platform::new(Os::Linux, Arch::X86_64);
    let a = static_builds::artifact(&Hosts::official(), &version, Channel::Stable, linux).unwrap();
    let Expected::ThirdParty { sha256s, origin } = &a.expected else {
        panic!("{:?}", a.expected);
    };
    assert_eq!(sha256s, &RECORDED_27_5_0);
    assert!(origin.contains("hermit-packages"), "{origin}");

    for value in RECORDED_27_5_0 {
        assert_eq!(
            check(&a.expected, value).unwrap(),
            [VerifiedBy::ThirdPartySha256]
        );
        // Case does not matter to a hex digest.
        check(&a.expected, &value.to_uppercase()).unwrap();
    }
    let e = check(&a.expected, &"0".repeat(64)).unwrap_err();
    assert_eq!(e.kind(), dvm::error::ErrorKind::Integrity);
    for needle in [
        RECORDED_27_5_0[0],
        RECORDED_27_5_0[1],
        "an independent record",
    ] {
        assert!(e.message().contains(needle), "{needle}: {}", e.message());
    }
}
