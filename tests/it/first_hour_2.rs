//! "A new user's first hour", part 2: offline reinstalls from the download cache, replacing a
//! trust-on-first-use record, `doctor --network` without a mirror, and `auto_install` outside
//! the shim.

use crate::support::env::TestEnv;
use crate::support::replica::Replica;

/// Points `t` at a mirror nothing listens on, as when the network is down.
fn network_down(t: &mut TestEnv) {
    t.env("DVM_MIRROR", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9");
}

// ---------------------------------------------------------------------------------------------
// 2. Reinstalling from the cache needs no network

#[test]
fn a_forced_reinstall_with_the_mirror_down_uses_the_cached_rpm_and_checksum() {
    let r = Replica::docker();
    let t = crate::remote::env_for(&r);
    // 1.12.6 comes from yum (the replica has no legacy build of it); 1.8.0 from legacy, with
    // its `.sha256`.
    t.dvm(["install", "1.12.6"]).success();
    t.dvm(["install", "1.8.0"]).success();
    drop(r);
    // The legacy build of 1.12.6 is tried first and its `.sha256` cannot be fetched; the RPM
    // in the download cache, named by the cached repodata, still installs.
    t.dvm(["install", "1.12.6", "--force"])
        .success()
        .stderr_has("using the cached download")
        .stderr_has("installed docker 1.12.6 from")
        .stderr_has("the repository's checksum (repodata)");
    // The `.sha256` kept by the first install still vouches for the cached build.
    t.dvm(["install", "1.8.0", "--force"])
        .success()
        .stderr_has("using the cached download")
        .stderr_has("verified by the .sha256 served by");
    for v in ["1.12.6", "1.8.0"] {
        t.dvm(["install", v, "--force", "--offline"])
            .success()
            .stderr_has("using the cached download");
    }
    assert_eq!(t.installed(), ["1.12.6", "1.8.0"]);
}

#[test]
fn a_network_failure_says_offline_installs_from_the_cache() {
    let r = Replica::docker();
    let mut t = crate::remote::env_for(&r);
    t.dvm(["install", "1.8.0"]).success();
    drop(r);
    network_down(&mut t);
    // Never downloaded: the network is needed, and the hint names the way out that is not.
    t.dvm(["install", "1.13.1-rc1"])
        .failure(4)
        .stderr_has("could not download")
        .stderr_has("--offline installs from the download cache")
        .stderr_has("dvm install 1.13.1-rc1 --offline");
    // Uninstalled, so no manifest vouches for the cached build, and its `.sha256` was kept
    // under the old mirror's URL: the network is needed...
    t.dvm(["uninstall", "1.8.0"]).success();
    t.dvm(["install", "1.8.0"])
        .failure(4)
        .stderr_has("dvm install 1.8.0 --offline");
    // ...and a failed install leaves the cache as it was: the build still installs offline.
    t.dvm(["install", "1.8.0", "--offline"])
        .success()
        .stderr_has("using the cached download")
        .stderr_has("installed docker 1.8.0");
}

#[test]
fn under_another_mirror_url_a_forced_reinstall_uses_the_record_of_the_install() {
    let r = Replica::docker();
    let mut t = crate::remote::env_for(&r);
    t.dvm(["install", "1.12.6"]).success();
    let manifest = t.home.join("versions/1.12.6/manifest.json");
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    drop(r);
    // The listings were cached under the old mirror's URLs: none names the RPM now.
    network_down(&mut t);
    for extra in [&[][..], &["--offline"][..]] {
        let mut args = vec!["install", "1.12.6", "--force"];
        args.extend_from_slice(extra);
        t.dvm(&args)
            .success()
            .stderr_has("reinstalling docker 1.12.6 from the download cache: the archive is the one verified when it was installed (signature, repodata, rpm-digests)")
            .stderr_has("installed docker 1.12.6");
    }
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    for field in ["origin", "archive_sha256", "verified_by", "client_sha256"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    // A cached archive that changed since is not the one verified: refused (the RPM's own
    // digests catch it), removed, and then the network is needed.
    let cached = t.home.join(
        "cache/downloads/repo_main_centos_7_Packages_docker-engine-1.12.6-1.el7.centos.x86_64.rpm",
    );
    let mut bytes = std::fs::read(&cached).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&cached, bytes).unwrap();
    t.dvm(["install", "1.12.6", "--force"])
        .failure(5)
        .stderr_has("was damaged and has been removed");
    assert!(!cached.exists());
    t.dvm(["install", "1.12.6", "--force"])
        .failure(4)
        .stderr_has("dvm install 1.12.6 --offline");
    assert_eq!(t.installed(), ["1.12.6"]);
}

// ---------------------------------------------------------------------------------------------
// 8. A trust-on-first-use record can be replaced

/// Serves a new build under the same name, as when Docker republishes a release.
fn republish(r: &Replica, version: &str, marker: &str) -> String {
    use crate::support::archives;
    let client = archives::fake_client_script(&format!("{version} {marker}"));
    let bytes = archives::docker_tgz("docker/docker", &client);
    r.put(
        &crate::support::replica::static_path("stable", version),
        bytes,
    )
    .sha256
}

fn tofu_file(t: &TestEnv) -> String {
    std::fs::read_to_string(t.home.join("trust/static-sha256.tsv")).unwrap_or_default()
}

#[test]
fn a_republished_static_build_is_refused_with_the_way_out_and_sha256_replaces_the_record() {
    let r = Replica::docker();
    let t = crate::remote::env_for(&r);
    let url = r.url(&crate::support::replica::static_path(
        "stable",
        "17.03.0-ce",
    ));
    t.dvm(["install", "17.03.0-ce"])
        .success()
        .stderr_has("trust on first use");
    let first = tofu_file(&t);
    let new = republish(&r, "17.03.0-ce", "republished");
    assert!(!first.contains(&new));
    t.dvm(["cache", "clean"]).success();
    t.dvm(["install", "17.03.0-ce", "--force"])
        .failure(5)
        .stderr_has(&format!(
            "{url} differs from the file first installed from it"
        ))
        .stderr_has(&format!("dvm trust forget {url}"))
        .stderr_has(&format!("--sha256 {new}"));
    assert!(
        !t.dvm(["install", "17.03.0-ce", "--force"])
            .stderr
            .contains("Retry")
    );
    assert_eq!(tofu_file(&t), first, "a refusal changes no record");
    // An explicit --sha256 wins over the record, and replaces it.
    t.dvm(["install", "17.03.0-ce", "--force", "--sha256", &new])
        .success()
        .stderr_has("--sha256 replaced the trust-on-first-use record of")
        .stderr_has("installed docker 17.03.0-ce");
    assert!(tofu_file(&t).contains(&new), "{}", tofu_file(&t));
    assert_eq!(tofu_file(&t).lines().count(), 1);
    let client = std::fs::read(t.home.join("versions/17.03.0-ce/docker")).unwrap();
    assert!(String::from_utf8_lossy(&client).contains("republished"));
    // Later installs check against the new record.
    t.dvm(["cache", "clean"]).success();
    t.dvm(["install", "17.03.0-ce", "--force"]).success();
}

#[test]
fn trust_forget_removes_the_record_of_a_version_or_a_url() {
    let r = Replica::docker();
    let t = crate::remote::env_for(&r);
    for v in ["17.03.0-ce", "17.03.1-ce"] {
        t.dvm(["install", v]).success();
    }
    let run = t.dvm(["trust", "list"]);
    run.success()
        .stdout_has("linux/static/stable/x86_64/docker-17.03.0-ce.tgz\t")
        .stdout_has("linux/static/stable/x86_64/docker-17.03.1-ce.tgz\t");
    let new = republish(&r, "17.03.0-ce", "again");
    t.dvm(["cache", "clean"]).success();
    t.dvm(["install", "17.03.0-ce", "--force"]).failure(5);
    // By version.
    t.dvm(["trust", "forget", "17.03.0-ce"])
        .success()
        .stderr_has("forgot linux/static/stable/x86_64/docker-17.03.0-ce.tgz");
    let left = tofu_file(&t);
    assert!(
        !left.contains("17.03.0-ce") && left.contains("17.03.1-ce"),
        "{left}"
    );
    t.dvm(["install", "17.03.0-ce", "--force"])
        .success()
        .stderr_has("trust on first use");
    assert!(tofu_file(&t).contains(&new));
    // By URL, as the install message printed it (the mirror's), or by the official URL.
    let url = r.url(&crate::support::replica::static_path(
        "stable",
        "17.03.1-ce",
    ));
    t.dvm(["trust", "forget", &url])
        .success()
        .stderr_has("forgot linux/static/stable/x86_64/docker-17.03.1-ce.tgz");
    t.dvm([
        "trust",
        "forget",
        "https://download.docker.com/linux/static/stable/x86_64/docker-17.03.0-ce.tgz",
    ])
    .success();
    assert_eq!(tofu_file(&t).trim(), "");
    // Nothing left to forget, or not a version.
    t.dvm(["trust", "forget", "17.03.0-ce"])
        .failure(3)
        .stderr_has("no trust-on-first-use record matches 17.03.0-ce")
        .stderr_has("hint: list the records with `dvm trust list`");
    t.dvm(["trust", "forget", "20.10"])
        .failure(2)
        .stderr_has("hint: ");
}

// ---------------------------------------------------------------------------------------------
// 11. `dvm doctor --network` checks the download hosts; a system docker is a note

/// The checks `dvm doctor --json` printed.
fn doctor_checks(run: &crate::support::env::Run) -> Vec<serde_json::Value> {
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("doctor JSON");
    json["checks"].as_array().unwrap().clone()
}

#[test]
fn doctor_network_checks_every_download_host_and_reports_an_unreachable_one() {
    let srv = crate::support::server::FixtureServer::start();
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", srv.url())
        .env("DVM_STATIC_URL", "http://127.0.0.1:9")
        .env("DVM_RETRIES", "0");
    let run = t.dvm(["doctor", "--network", "--json"]);
    run.failure(1);
    let network: Vec<_> = doctor_checks(&run)
        .into_iter()
        .filter(|c| c["name"] == "network")
        .collect();
    for host in ["get.docker.com", "test.docker.com", "yum.dockerproject.org"] {
        let base = format!("{}/{host}", srv.url());
        assert!(
            network
                .iter()
                .any(|c| c["ok"] == true && c["detail"] == format!("{base} answers")),
            "{base}: {network:?}"
        );
    }
    let down = network
        .iter()
        .find(|c| c["ok"] == false)
        .expect("a failed check");
    assert!(
        down["detail"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:9 is unreachable"),
        "{down:?}"
    );
    assert!(
        down["fix"].as_str().unwrap().contains("--offline"),
        "{down:?}"
    );
    // download.docker.com serves static and rpm; the static override replaced it once.
    assert!(
        network
            .iter()
            .any(|c| c["detail"] == format!("{}/download.docker.com answers", srv.url())),
        "{network:?}"
    );
    assert!(!srv.requests().is_empty());
    // The text output shows the failure and its fix.
    t.dvm(["doctor", "--network"])
        .failure(1)
        .stdout_has("FAIL network     http://127.0.0.1:9 is unreachable");
}

#[test]
fn doctor_network_without_a_mirror_checks_dockers_own_hosts() {
    let mut t = TestEnv::new();
    // No mirror: Docker's hosts, reached through a proxy nothing listens on.
    t.env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("DVM_RETRIES", "0");
    let run = t.dvm(["doctor", "--network", "--json"]);
    run.failure(1);
    let network: Vec<_> = doctor_checks(&run)
        .into_iter()
        .filter(|c| c["name"] == "network")
        .collect();
    for base in [
        "https://get.docker.com",
        "https://test.docker.com",
        "https://download.docker.com",
    ] {
        let c = network
            .iter()
            .find(|c| c["detail"].as_str().unwrap().starts_with(base))
            .unwrap_or_else(|| panic!("{base} not checked: {network:?}"));
        assert_eq!(c["ok"], false, "{c:?}");
        assert!(c["fix"].as_str().unwrap().contains("DVM_MIRROR"), "{c:?}");
    }
    let yum = network
        .iter()
        .find(|c| {
            c["detail"]
                .as_str()
                .unwrap()
                .contains("yum.dockerproject.org")
        })
        .unwrap();
    assert_eq!(
        (yum["ok"].clone(), yum["note"].clone()),
        (true.into(), true.into())
    );
}

#[test]
fn doctor_calls_an_unmanaged_system_docker_a_note_not_ok() {
    let mut t = TestEnv::new();
    let bin = t.files.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let docker = bin.join("docker");
    std::fs::write(&docker, "#!/bin/sh\necho system docker\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    t.dvm(["setup", "--yes", "--no-modify-path"]).success();
    t.env(
        "PATH",
        format!(
            "{}:{}:/usr/bin:/bin",
            t.home.join("shims").display(),
            bin.display()
        ),
    );
    let run = t.dvm(["doctor"]);
    run.success().stdout_has(&format!(
        "note active      docker runs {}, a system docker dvm does not manage",
        docker.display()
    ));
    assert!(!run.stdout.contains("ok   active"), "{}", run.stdout);
    let json = t.dvm(["doctor", "--json"]);
    let active = doctor_checks(&json)
        .into_iter()
        .find(|c| c["name"] == "active")
        .unwrap();
    assert_eq!(
        (active["ok"].clone(), active["note"].clone()),
        (true.into(), true.into())
    );
}

// ---------------------------------------------------------------------------------------------
// 13. auto_install in `use`, `local` and `exec`, not only in the shim

#[test]
fn auto_install_installs_what_use_local_and_exec_name() {
    let r = Replica::docker();
    let mut t = crate::remote::env_for(&r);
    // Off: nothing is installed, and the hint says how.
    t.dvm(["use", "--global", "17.03"])
        .failure(3)
        .stderr_has("hint: install it first: dvm install 17.03");
    assert!(t.installed().is_empty());
    t.env("DVM_AUTO_INSTALL", "1");
    t.dvm(["use", "--global", "17.03"])
        .success()
        .stderr_has("docker 17.03 is not installed; installing it (auto_install is on)")
        .stderr_has("installed docker 17.03.2-ce from")
        .stderr_has("default docker is now 17.03");
    assert_eq!(t.installed(), ["17.03.2-ce"]);
    t.dvm(["local", "20.10.23"])
        .success()
        .stderr_has("installed docker 20.10.23");
    assert_eq!(
        std::fs::read_to_string(t.cwd.join(".docker-version")).unwrap(),
        "20.10.23\n"
    );
    t.dvm(["exec", "24.0.7", "--", "docker", "--version"])
        .success()
        .stderr_has("installed docker 24.0.7")
        .stdout_has("24.0.7");
    t.dvm(["use", "1.8.0", "--shell-eval", "bash"])
        .success()
        .stderr_has("installed docker 1.8.0")
        .stdout_has("export DVM_DOCKER_VERSION='1.8.0'");
    assert_eq!(t.installed(), ["1.8.0", "17.03.2-ce", "20.10.23", "24.0.7"]);
    // Already installed: no second install.
    let run = t.dvm(["use", "--global", "24.0.7"]);
    run.success();
    assert!(!run.stderr.contains("installing"), "{}", run.stderr);
}

#[test]
fn the_auto_install_setting_in_config_toml_counts_too() {
    let r = Replica::docker();
    let t = crate::remote::env_for(&r);
    t.dvm(["config", "set", "auto_install", "true"]).success();
    t.dvm(["use", "--global", "17.03.0-ce"])
        .success()
        .stderr_has("installed docker 17.03.0-ce");
    // A version no source has: the install's own error, not "not installed".
    t.dvm(["local", "19.03.99"]).failure(3).stderr_has("hint: ");
    assert!(!t.cwd.join(".docker-version").exists());
}

// ---------------------------------------------------------------------------------------------
// Smaller: the exit codes in `dvm --help`, and one installed program

#[test]
fn the_help_lists_every_exit_code_the_readme_does() {
    let t = TestEnv::new();
    let help = t.dvm(["--help"]);
    help.success();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("## Exit codes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    let codes: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(' ').next())
        .filter(|c| c.parse::<u32>().is_ok())
        .collect();
    assert!(codes.contains(&"127"), "{codes:?}");
    let exit_codes = help.stdout.split("Exit codes:").nth(1).unwrap();
    for code in codes {
        let listed = exit_codes
            .split([',', '\n'])
            .any(|item| item.trim().starts_with(&format!("{code} ")));
        assert!(
            listed,
            "exit code {code} missing from `dvm --help`:\n{exit_codes}"
        );
    }
}

/// `cargo install --path .` installs what the package's bin targets are: only `dvm` (the shim
/// is built by build.rs and embedded, never installed beside it).
#[test]
fn the_package_installs_only_dvm() {
    let root = env!("CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    assert_eq!(manifest.matches("[[bin]]").count(), 1, "{manifest}");
    assert!(manifest.contains("[[bin]]\nname = \"dvm\"\n"));
    // Cargo would also install every file of src/bin as a program of its own.
    assert!(!std::path::Path::new(&format!("{root}/src/bin")).exists());
}

/// `--verbose` (or `DVM_LOG=debug`) says what dvm downloads; `--verbose` with `--quiet` is a
/// usage error; a plain run stays as terse as before.
#[test]
fn verbose_names_each_download() {
    let r = crate::support::replica::Replica::docker();
    let t = crate::remote::env_for(&r);
    let url = r.url(&crate::support::replica::static_path("stable", "24.0.7"));
    t.dvm(["install", "24.0.7", "--verbose"])
        .success()
        .stderr_has(&format!("downloading {url}"));
    // Every request, listings included.
    let mut logged = crate::remote::env_for(&r);
    logged.env("DVM_LOG", "debug");
    logged
        .dvm(["install", "20.10"])
        .success()
        .stderr_has(&format!(
            "dvm: note: GET {}",
            r.url(&crate::support::replica::static_dir("stable"))
        ))
        .stderr_has("downloading http://");
    let plain = crate::remote::env_for(&r);
    let run = plain.dvm(["install", "20.10.23"]);
    run.success();
    assert!(!run.stderr.contains("downloading http"), "{}", run.stderr);
    assert!(!run.stderr.contains("GET http"), "{}", run.stderr);
    t.dvm(["ls", "--verbose", "--quiet"]).failure(2);
}
