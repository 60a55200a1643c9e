//! A version folder missing its client or its manifest is broken, not installed: for the shim
//! and for dvm alike. `verify` and `doctor` report it, `install` repairs it, `uninstall`
//! removes it.

use crate::remote::env_for;
use crate::support::replica::Replica;

#[test]
fn a_folder_without_its_client_is_not_installed_and_install_repairs_it() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10.23"]).success();
    t.dvm(["install", "20.10.25"]).success();
    t.dvm(["default", "20.10"]).success();
    std::fs::remove_file(t.home.join("versions/20.10.25/docker")).unwrap();

    // The shim and `current` agree: 20.10 is the newest complete 20.10.x.
    t.docker_in(&t.cwd, ["--version"])
        .success()
        .stdout_has("20.10.23");
    t.dvm(["current"]).success().stdout_has("20.10.23");
    let ls = t.dvm(["ls"]);
    ls.success();
    assert!(!ls.stdout.contains("20.10.25"), "{}", ls.stdout);

    t.dvm(["verify"])
        .failure(7)
        .stdout_has("20.10.23: ok")
        .stdout_has("20.10.25: broken folder (its client is missing)")
        .stdout_has("repair: dvm install 20.10.25");
    t.dvm(["verify", "20.10.25"])
        .failure(7)
        .stdout_has("20.10.25: broken folder");
    t.dvm(["doctor"])
        .failure(1)
        .stdout_has("20.10.25: broken folder (its client is missing)");

    let repaired = t.dvm(["install", "20.10.25"]);
    repaired.success();
    assert!(
        !repaired.stderr.contains("already installed"),
        "{}",
        repaired.stderr
    );
    t.docker_in(&t.cwd, ["--version"])
        .success()
        .stdout_has("20.10.25");
    t.dvm(["verify"]).success();
}

#[test]
fn a_folder_without_its_manifest_is_not_installed_and_uninstall_removes_it() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10.23"]).success();
    std::fs::remove_file(t.home.join("versions/20.10.23/manifest.json")).unwrap();
    t.dvm(["use", "--global", "20.10.23"]).failure(3);
    t.dvm(["verify"])
        .failure(7)
        .stdout_has("20.10.23: broken folder (its manifest is missing)");
    t.dvm(["uninstall", "20.10.23"]).success();
    assert!(!t.home.join("versions/20.10.23").exists());
    t.dvm(["verify"]).success();
}

#[test]
fn verify_says_a_corrupt_manifest_is_a_store_problem_exit_7() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10.23"]).success();
    std::fs::write(
        t.home.join("versions/20.10.23/manifest.json"),
        b"{ not json",
    )
    .unwrap();
    t.dvm(["verify"])
        .failure(7)
        .stdout_has("the manifest")
        .stdout_has("is corrupt");
}
