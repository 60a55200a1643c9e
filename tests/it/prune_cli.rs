//! `dvm prune` run as the real binary: what it removes, what it keeps and why, `--dry-run`.

use crate::support::env;

use env::TestEnv;

const DAY: u64 = 24 * 60 * 60;

/// Installs the fixture RPM as `version` and backdates its manifest by `days_ago` days.
fn install_aged(t: &TestEnv, version: &str, days_ago: u64) {
    t.install_fixture_as(version);
    let path = t.home.join("versions").join(version).join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let installed_at = manifest["installed_at"].as_u64().unwrap();
    manifest["installed_at"] = (installed_at - days_ago * DAY).into();
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

fn downloads(t: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(t.home.join("cache/downloads"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn prune_removes_old_unprotected_versions_and_says_why_others_stay() {
    let t = TestEnv::new();
    install_aged(&t, "1.10.3", 200);
    install_aged(&t, "1.11.2", 200);
    install_aged(&t, "1.12.6", 200);
    install_aged(&t, "1.13.1", 200);
    install_aged(&t, "17.03.2-ce", 10);
    t.dvm(["use", "--global", "1.10.3"]).success();
    t.dvm(["alias", "old", "1.11"]).success();
    std::fs::write(t.cwd.join(".docker-version"), "1.12.6\n").unwrap();
    let cache = t.home.join("cache/downloads");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("docker-99.0.0.tgz"), b"nobody installed this").unwrap();

    let dry = t.dvm(["prune", "--dry-run"]);
    dry.success()
        .stdout_has("would remove docker 1.13.1 (installed 200 days ago")
        .stdout_has("kept docker 1.10.3: it is the global default")
        .stdout_has("kept docker 1.11.2: alias 'old' names it")
        .stdout_has("kept docker 1.12.6: it is the active version here")
        .stdout_has("would remove download")
        .stderr_has("would free");
    assert!(!dry.stdout.contains("17.03.2-ce"), "{}", dry.stdout);
    assert_eq!(t.installed().len(), 5, "dry run removed something");
    assert_eq!(downloads(&t), ["docker-99.0.0.tgz"]);

    let json: serde_json::Value =
        serde_json::from_str(&t.dvm(["prune", "--dry-run", "--json"]).success().stdout).unwrap();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["versions"][0]["version"], "1.13.1");
    assert_eq!(json["kept"][1]["reason"], "alias");
    assert_eq!(json["kept"][1]["detail"], "old");
    assert_eq!(json["files"][0]["kind"], "download");

    let run = t.dvm(["prune"]);
    run.success()
        .stdout_has("removed docker 1.13.1")
        .stderr_has("freed");
    assert_eq!(t.installed(), ["1.10.3", "1.11.2", "1.12.6", "17.03.2-ce"]);
    assert!(downloads(&t).is_empty());

    // With a shorter horizon the recent one goes too; from another folder 1.12.6 is not active.
    let elsewhere = t.files.clone();
    t.dvm_in(&elsewhere, ["prune", "--days", "5"])
        .success()
        .stdout_has("removed docker 1.12.6")
        .stdout_has("removed docker 17.03.2-ce");
    assert_eq!(t.installed(), ["1.10.3", "1.11.2"]);

    t.dvm(["prune"]).success().stderr_has("nothing to prune");
    // The shim still runs the default.
    let ran = t.docker_in(&t.files, ["--version"]);
    ran.success();
}

#[test]
fn prune_refuses_to_guess_when_the_version_file_here_is_broken() {
    let t = TestEnv::new();
    install_aged(&t, "1.12.6", 200);
    std::fs::write(t.cwd.join(".docker-version"), "not a version\n").unwrap();
    t.dvm(["prune"]).failure(2).stderr_has("nothing was pruned");
    assert_eq!(t.installed(), ["1.12.6"]);
}
