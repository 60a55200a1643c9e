//! Acceptance tests for `dvm install VERSION` and `dvm ls-remote`: the real binary against one
//! loopback replica of Docker's download hosts (`DVM_MIRROR=http://127.0.0.1:PORT`).
//!
//! Every test also points HTTPS_PROXY/HTTP_PROXY at the replica, so an attempt to reach a real
//! host would show up in its request log instead of leaving the machine.

use crate::support::archives;
use crate::support::env;
use crate::support::replica;
use crate::support::server;

use env::{Run, TestEnv};
use replica::{Package, Replica, RepoChecksum, engine, sha256_hex};
use serde_json::Value;
use server::{Fault, Route};

/// A hermetic environment using `r` as the mirror of every host.
pub(crate) fn env_for(r: &Replica) -> TestEnv {
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", r.mirror());
    hermetic_net(&mut t, r);
    t
}

/// Platform pinned, short timeouts, and every proxy pointing at the replica.
fn hermetic_net(t: &mut TestEnv, r: &Replica) {
    t.env("DVM_PLATFORM", "linux/x86_64")
        .env("HTTPS_PROXY", r.mirror())
        .env("HTTP_PROXY", r.mirror())
        .env("DVM_CONNECT_TIMEOUT", "5")
        .env("DVM_STALL_TIMEOUT", "10")
        .env("DVM_RETRIES", "2");
}

#[track_caller]
fn no_escapes(r: &Replica) {
    let escapes = r.escapes();
    assert!(
        escapes.is_empty(),
        "requests left the replica: {escapes:#?}"
    );
}

pub(crate) fn ls_json(t: &TestEnv) -> Vec<Value> {
    let run = t.dvm(["ls", "--json"]);
    run.success();
    serde_json::from_str::<Value>(&run.stdout)
        .expect("ls --json is JSON")
        .as_array()
        .expect("ls --json is an array")
        .clone()
}

/// `dvm ls --json`'s entry for `version`.
#[track_caller]
fn manifest(t: &TestEnv, version: &str) -> Value {
    ls_json(t)
        .into_iter()
        .find(|e| e["version"] == version)
        .unwrap_or_else(|| panic!("{version} is not in dvm ls --json"))
}

#[track_caller]
fn verified_by(t: &TestEnv, version: &str) -> Vec<String> {
    manifest(t, version)["verified_by"]
        .as_array()
        .expect("verified_by is an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

/// Makes `version` the default and runs `docker --version` through the shim.
#[track_caller]
fn docker_version(t: &TestEnv, version: &str) -> String {
    t.dvm(["use", "--global", version]).success();
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.success();
    run.stdout.trim().to_string()
}

fn client_says(version: &str) -> String {
    format!("Docker version {version}, build abc")
}

/// The request paths in the order they were made.
fn paths(r: &Replica) -> Vec<String> {
    r.requests().into_iter().map(|q| q.path).collect()
}

#[track_caller]
fn position(log: &[String], path: &str) -> usize {
    log.iter()
        .position(|p| p == path)
        .unwrap_or_else(|| panic!("{path} was never requested: {log:#?}"))
}

/// The sha256 dvm's embedded table gives for the Linux x86_64 build of `version`.
fn table_sha256(version: &str) -> String {
    let tsv = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/legacy-builds-sha256.tsv"),
    )
    .expect("the embedded table");
    tsv.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&version))
        .and_then(|cols| cols.get(2).map(|s| s.to_string()))
        .unwrap_or_else(|| panic!("{version} is not in the table"))
}

// ---------------------------------------------------------------------------------------------
// Each source

#[test]
fn static_builds_by_exact_version_partial_spec_and_latest() {
    let r = Replica::docker();
    let t = env_for(&r);

    let url = r.url(&replica::static_path("stable", "17.03.0-ce"));
    let run = t.dvm(["install", "17.03.0-ce"]);
    run.success().stderr_has(&format!(
        "installed docker 17.03.0-ce from {url} (verified by trust on first use"
    ));
    assert_eq!(t.installed(), ["17.03.0-ce"]);
    assert_eq!(verified_by(&t, "17.03.0-ce"), ["tofu"]);
    assert_eq!(manifest(&t, "17.03.0-ce")["source"], "static");
    assert_eq!(docker_version(&t, "17.03.0-ce"), client_says("17.03.0-ce"));

    // 17.03.0 is 17.03.0-ce: already there, nothing downloaded again.
    r.server.clear_log();
    t.dvm(["install", "17.03.0"])
        .success()
        .stderr_has("docker 17.03.0-ce is already installed");
    assert_eq!(
        r.server
            .count(&replica::static_path("stable", "17.03.0-ce")),
        0
    );

    // A partial spec takes the newest release of the line that a listing names: the static
    // folder stops at 17.03.1-ce, the docker-ce repository has 17.03.2-ce.
    t.dvm(["install", "17.3", "--source", "static"])
        .success()
        .stderr_has("17.03 resolved to docker 17.03.1-ce");
    t.dvm(["install", "17.3"])
        .success()
        .stderr_has("17.03 resolved to docker 17.03.2-ce");
    t.dvm(["install", "20.10"])
        .success()
        .stderr_has("20.10 resolved to docker 20.10.25")
        .stderr_has(&r.url(&replica::static_path("stable", "20.10.25")));
    t.dvm(["install", "latest"])
        .success()
        .stderr_has("latest resolved to docker 24.0.7");
    assert_eq!(
        t.installed(),
        [
            "17.03.0-ce",
            "17.03.1-ce",
            "17.03.2-ce",
            "20.10.25",
            "24.0.7"
        ]
    );
    assert_eq!(docker_version(&t, "24.0.7"), client_says("24.0.7"));
    no_escapes(&r);
}

#[test]
fn legacy_raw_and_tgz_builds_are_verified_by_their_published_sha256() {
    let r = Replica::docker();
    let t = env_for(&r);

    // ≤ 1.10: the file is the bare client.
    let raw = replica::legacy_path("1.8.0");
    // The checksum came from the server itself, and the message says no more than that.
    t.dvm(["install", "1.8.0"]).success().stderr_has(&format!(
        "from {} (verified by the .sha256 served by {})",
        r.url(&raw),
        r.mirror()
    ));
    let m = manifest(&t, "1.8.0");
    assert_eq!(m["source"], "legacy");
    assert_eq!(verified_by(&t, "1.8.0"), ["published-sha256"]);
    let elf = archives::fake_elf(b"docker 1.8.0");
    assert_eq!(m["client_sha256"], sha256_hex(&elf));
    assert_eq!(
        std::fs::read(t.home.join("versions/1.8.0/docker")).unwrap(),
        elf
    );

    // ≥ 1.11: a tgz. 17.03.2-ce (a build dvm's table has no checksum for) is static-era
    // too, so static is asked first and 404s.
    r.add_legacy("17.03.2-ce");
    r.server.clear_log();
    let tgz = replica::legacy_path("17.03.2-ce");
    t.dvm(["install", "17.03.2-ce"])
        .success()
        .stderr_has(&format!(
            "from {} (verified by the .sha256 served by {})",
            r.url(&tgz),
            r.mirror()
        ));
    assert_eq!(verified_by(&t, "17.03.2-ce"), ["published-sha256"]);
    assert_eq!(manifest(&t, "17.03.2-ce")["source"], "legacy");
    let log = paths(&r);
    assert!(
        position(&log, &replica::static_path("stable", "17.03.2-ce"))
            < position(&log, &format!("{tgz}.sha256"))
    );
    assert_eq!(docker_version(&t, "17.03.2-ce"), client_says("17.03.2-ce"));
    assert_eq!(t.installed(), ["1.8.0", "17.03.2-ce"]);
    no_escapes(&r);
}

#[test]
fn yum_fedora_24_seed_case_is_verified_by_repodata_and_rpm_digests() {
    let r = Replica::docker();
    let t = env_for(&r);
    let rpm = format!(
        "{}/Packages/docker-engine-1.12.6-1.fc24.x86_64.rpm",
        replica::yum_repo_base("main", "fedora/24")
    );
    t.dvm([
        "install",
        "1.12.6",
        "--source",
        "yum",
        "--distro",
        "fedora/24",
    ])
    .success()
    .stderr_has(&format!("installed docker 1.12.6 from {}", r.url(&rpm)))
    .stderr_has("the repository's checksum (repodata), the RPM's own digests");
    assert_eq!(
        verified_by(&t, "1.12.6"),
        ["signature", "repodata", "rpm-digests"]
    );
    assert_eq!(manifest(&t, "1.12.6")["source"], "yum");
    assert_eq!(docker_version(&t, "1.12.6"), client_says("1.12.6"));
    // Nothing but the yum tree was read.
    assert!(
        paths(&r).iter().all(|p| p.starts_with(replica::YUM_HOST)),
        "{:#?}",
        paths(&r)
    );
    no_escapes(&r);
}

#[test]
fn yum_repository_with_sha1_checksums_verifies_with_sha1() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "1.11.2", "--source", "yum"])
        .success()
        .stderr_has("docker-engine-1.11.2-1.el7.centos.x86_64.rpm");
    assert_eq!(
        verified_by(&t, "1.11.2"),
        ["signature", "repodata", "rpm-digests"]
    );
    assert_eq!(docker_version(&t, "1.11.2"), client_says("1.11.2"));
}

#[test]
fn docker_ce_cli_rpm_through_the_rpm_source() {
    let r = Replica::docker();
    let t = env_for(&r);
    let rpm = format!(
        "{}/Packages/docker-ce-cli-20.10.25-3.el7.x86_64.rpm",
        replica::docker_ce_repo_base("centos/7", "stable")
    );
    t.dvm(["install", "20.10.25", "--source", "rpm"])
        .success()
        .stderr_has(&format!("installed docker 20.10.25 from {}", r.url(&rpm)));
    assert_eq!(
        verified_by(&t, "20.10.25"),
        ["signature", "repodata", "rpm-digests"]
    );
    assert_eq!(manifest(&t, "20.10.25")["source"], "rpm");
    assert_eq!(docker_version(&t, "20.10.25"), client_says("20.10.25"));
    // The daemon-only docker-ce package of the same version was never fetched.
    assert_eq!(
        r.server.count(&format!(
            "{}/Packages/docker-ce-20.10.25-3.el7.x86_64.rpm",
            replica::docker_ce_repo_base("centos/7", "stable")
        )),
        0
    );
    no_escapes(&r);
}

#[test]
fn default_order_is_static_then_legacy_then_rpm_repositories() {
    let r = Replica::docker();
    let t = env_for(&r);
    let ce_repo = replica::docker_ce_repo_base("centos/7", "stable");

    // 17.03.2-ce: neither static nor legacy have it; the docker-ce RPM does.
    let legacy = replica::legacy_path("17.03.2-ce");
    let rpm = format!("{ce_repo}/Packages/docker-ce-17.03.2.ce-1.el7.centos.x86_64.rpm");
    t.dvm(["install", "17.03.2-ce"])
        .success()
        .stderr_has(&format!("from {}", r.url(&rpm)));
    let log = paths(&r);
    let static_at = position(&log, &replica::static_path("stable", "17.03.2-ce"));
    let legacy_at = position(&log, &legacy);
    let rpm_at = position(&log, &rpm);
    assert!(static_at < legacy_at && legacy_at < rpm_at, "{log:#?}");
    assert_eq!(manifest(&t, "17.03.2-ce")["source"], "rpm");
    assert_eq!(docker_version(&t, "17.03.2-ce"), client_says("17.03.2-ce"));

    // 1.12.6 is not on the legacy host of this replica: yum (centos/7 by default) has it.
    r.server.clear_log();
    t.dvm(["install", "1.12.6"])
        .success()
        .stderr_has("docker-engine-1.12.6-1.el7.centos.x86_64.rpm");
    let log = paths(&r);
    assert!(
        position(&log, &replica::legacy_path("1.12.6"))
            < position(
                &log,
                &format!(
                    "{}/Packages/docker-engine-1.12.6-1.el7.centos.x86_64.rpm",
                    replica::yum_repo_base("main", "centos/7")
                )
            )
    );
    assert_eq!(manifest(&t, "1.12.6")["source"], "yum");

    // When static has it, static wins over the RPM of the same version.
    r.server.clear_log();
    t.dvm(["install", "20.10.25"]).success();
    assert_eq!(manifest(&t, "20.10.25")["source"], "static");
    assert_eq!(
        r.server.count(&format!(
            "{ce_repo}/Packages/docker-ce-cli-20.10.25-3.el7.x86_64.rpm"
        )),
        0
    );
    no_escapes(&r);
}

// ---------------------------------------------------------------------------------------------
// Channels and prereleases

#[test]
fn prereleases_come_only_from_the_test_channel_when_asked() {
    let r = Replica::docker();
    let t = env_for(&r);

    // Only a prerelease of 23.0 exists: on the stable channel a partial spec never takes it,
    // and the hint says how to ask for prereleases.
    t.dvm(["install", "23.0"])
        .failure(3)
        .stderr_has("no stable release matches '23.0'")
        .stderr_has("--channel test");
    assert!(t.installed().is_empty());

    // Asking for the test channel is asking for prereleases.
    let url = r.url(&replica::static_path("test", "23.0.0-rc.1"));
    t.dvm(["install", "23.0", "--channel", "test"])
        .success()
        .stderr_has("23.0 resolved to docker 23.0.0-rc.1")
        .stderr_has(&format!("from {url}"));
    assert_eq!(manifest(&t, "23.0.0-rc.1")["source"], "static");
    assert_eq!(
        docker_version(&t, "23.0.0-rc.1"),
        client_says("23.0.0-rc.1")
    );
    t.dvm(["install", "latest", "--channel", "test"])
        .success()
        .stderr_has("latest resolved to docker 23.0.0-rc.1")
        .stderr_has("already installed");
    // So is naming one.
    t.dvm(["uninstall", "--force", "23.0.0-rc.1"]).success();
    t.dvm(["install", "23.0.0-rc.1"])
        .success()
        .stderr_has(&format!("from {url}"));

    // A legacy prerelease lives on test.docker.com.
    let legacy = r.url(&replica::legacy_path("1.13.1-rc1"));
    assert!(legacy.contains("/test.docker.com/"));
    t.dvm(["install", "1.13.1-rc1"])
        .success()
        .stderr_has(&format!("from {legacy}"));
    assert_eq!(verified_by(&t, "1.13.1-rc1"), ["published-sha256"]);
    assert_eq!(t.installed(), ["1.13.1-rc1", "23.0.0-rc.1"]);

    // ls-remote --channel test shows it; the stable listing does not.
    let test = t.dvm(["ls-remote", "--channel", "test", "--source", "static"]);
    test.success().stdout_has("23.0.0-rc.1");
    let stable = t.dvm(["ls-remote", "--source", "static"]);
    stable.success();
    assert!(!stable.stdout.contains("rc"), "{}", stable.stdout);
    no_escapes(&r);
}

#[test]
fn ls_remote_filters_the_test_channel_by_the_rule_install_resolves_by() {
    let r = Replica::docker();
    // 18.09.0's prereleases as Docker published them: previews, then a beta, then rcs.
    let published = [
        "18.09.0-ce-tp0",
        "18.09.0-ce-tp1",
        "18.09.0-ce-tp2",
        "18.09.0-ce-tp3",
        "18.09.0-ce-tp4",
        "18.09.0-ce-tp5",
        "18.09.0-ce-tp6",
        "18.09.0-ce-beta1",
        "18.09.0-beta3",
        "18.09.0-rc1",
    ];
    for v in published.iter().rev() {
        r.add_static("test", v);
    }
    let t = env_for(&r);
    let json_versions = |run: &Run| -> Vec<String> {
        let json: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
        json.as_array()
            .expect("an array")
            .iter()
            .map(|e| e["version"].as_str().unwrap().to_string())
            .collect()
    };

    let text = t.dvm(["ls-remote", "23.0", "--channel", "test"]);
    text.success().stdout_has("23.0.0-rc.1");
    let json = t.dvm(["ls-remote", "23.0", "--channel", "test", "--json"]);
    json.success();
    assert_eq!(json_versions(&json), ["23.0.0-rc.1"]);
    // Naming a prerelease reads the test channel, as install does.
    let named = t.dvm(["ls-remote", "23.0.0-rc.1", "--json"]);
    named.success();
    assert_eq!(json_versions(&named), ["23.0.0-rc.1"]);

    // The order is Docker's: tp < beta < rc; install takes the newest of the same list.
    let run = t.dvm(["ls-remote", "18.09", "--channel", "test", "--json"]);
    run.success();
    assert_eq!(json_versions(&run), published);
    let latest = t.dvm(["ls-remote", "latest", "--channel", "test", "--json"]);
    latest.success();
    assert_eq!(json_versions(&latest), ["23.0.0-rc.1"]);
    t.dvm(["install", "18.09", "--channel", "test"])
        .success()
        .stderr_has("18.09 resolved to docker 18.09.0-rc1");
    t.dvm(["install", "latest", "--channel", "test"])
        .success()
        .stderr_has("latest resolved to docker 23.0.0-rc.1");

    // On stable, 23.0 has no match: text and JSON fail alike, JSON still printing its value.
    let text = t.dvm(["ls-remote", "23.0"]);
    text.failure(3)
        .stderr_has("no versions match '23.0' on the stable channel")
        .stderr_has("--channel test");
    let json = t.dvm(["ls-remote", "23.0", "--json"]);
    json.failure(3)
        .stderr_has("no versions match '23.0' on the stable channel");
    assert_eq!(json_versions(&json), Vec::<String>::new());
    no_escapes(&r);
}

#[test]
fn ls_remote_lists_every_known_legacy_prerelease_marking_the_checksum() {
    let r = Replica::docker();
    let t = env_for(&r);
    let run = t.dvm(["ls-remote", "1.12.5-rc1", "--source", "legacy", "--json"]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let source = &json[0]["sources"][0];
    assert_eq!(
        source["url"],
        r.url(&replica::legacy_path("1.12.5-rc1")),
        "{json}"
    );
    assert_eq!(source["channel"], "test");
    assert!(source["sha256"].is_null(), "{source}");
    // One the embedded table knows carries its checksum; 17.05.0-ce-rc3 is new in it.
    let run = t.dvm([
        "ls-remote",
        "17.05.0-ce-rc3",
        "--source",
        "legacy",
        "--json",
    ]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json[0]["sources"][0]["sha256"],
        table_sha256("17.05.0-ce-rc3")
    );

    let text = t.dvm(["ls-remote", "--source", "legacy", "--channel", "test"]);
    text.success();
    let line = |v: &str| {
        text.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(v))
            .unwrap_or_else(|| panic!("{v} is not listed:\n{}", text.stdout))
            .to_string()
    };
    assert!(line("1.12.5-rc1").ends_with("(legacy: no embedded checksum)"));
    assert!(line("1.5.0-rc1").contains("no embedded checksum"));
    assert!(
        !line("1.12.0-rc1").contains("checksum"),
        "{}",
        line("1.12.0-rc1")
    );
    let prereleases = text.stdout.lines().count();
    assert_eq!(prereleases, 74, "{}", text.stdout);
    // Stable-channel legacy builds: 1.0.0 onwards, without prereleases.
    let stable = t.dvm(["ls-remote", "--source", "legacy"]);
    stable.success().stdout_has("1.0.0 ");
    assert!(!stable.stdout.contains("-rc"), "{}", stable.stdout);
    no_escapes(&r);
}

#[test]
fn a_version_keeps_the_spelling_of_its_file_name() {
    let r = Replica::docker();
    // As in linux/static/test/x86_64/ and win/static/test/x86_64/: the minor has two digits.
    let served = r.add_static("test", "22.06.0-beta.0");
    assert!(served.path.ends_with("/docker-22.06.0-beta.0.tgz"));
    r.put(
        &format!(
            "{}/win/static/test/x86_64/docker-22.06.0-beta.0.zip",
            replica::STATIC_HOST
        ),
        archives::docker_zip(&archives::fake_pe(b"22.06.0-beta.0")),
    );
    let t = env_for(&r);
    let url = r.url(&served.path);

    let run = t.dvm(["ls-remote", "22", "--channel", "test", "--json"]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json[0]["version"], "22.06.0-beta.0", "{json}");
    assert_eq!(json[0]["sources"][0]["url"], url);
    t.dvm(["ls-remote", "--channel", "test"])
        .success()
        .stdout_has("22.06.0-beta.0");

    // Resolved from the listing, the listing's own file is fetched.
    t.dvm(["install", "22", "--channel", "test"])
        .success()
        .stderr_has("resolved to docker 22.06.0-beta.0")
        .stderr_has(&format!("from {url}"));
    assert_eq!(t.installed(), ["22.06.0-beta.0"]);
    assert_eq!(
        docker_version(&t, "22.06.0-beta.0"),
        client_says("22.06.0-beta.0")
    );
    // Named either way, it is the same version; named as on the page, that is its URL.
    t.dvm(["install", "22.6.0-beta.0"])
        .success()
        .stderr_has("already installed");
    t.dvm(["uninstall", "--force", "22.06.0-beta.0"]).success();
    t.dvm(["install", "22.06.0-beta.0"])
        .success()
        .stderr_has(&format!("from {url}"));
    let log = paths(&r);
    assert!(
        !log.iter().any(|p| p.contains("docker-22.6.0")),
        "a URL was rebuilt from the parsed version: {log:#?}"
    );

    // The Windows zip's listing keeps the name too.
    let mut win = env_for(&r);
    win.env("DVM_PLATFORM", "windows/x86_64");
    let run = win.dvm([
        "ls-remote",
        "--channel",
        "test",
        "--source",
        "static",
        "--json",
    ]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let versions: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["22.06.0-beta.0"]);
    assert!(
        json[0]["sources"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/win/static/test/x86_64/docker-22.06.0-beta.0.zip")
    );
    no_escapes(&r);
}

#[test]
fn a_release_only_in_the_test_folder_is_installed_from_there_saying_so() {
    let r = Replica::docker();
    // 17.10 never reached stable; the test folder holds it beside prereleases.
    for v in ["17.10.0-ce-rc1", "17.10.0-ce", "17.11.0-ce-rc3"] {
        r.add_static("test", v);
    }
    let t = env_for(&r);
    let url = r.url(&replica::static_path("test", "17.10.0-ce"));
    t.dvm(["install", "17.10.0-ce"])
        .success()
        .stderr_has(
            "dvm: note: docker 17.10.0-ce is not in the stable channel; trying the test channel",
        )
        .stderr_has(&format!("from {url}"));
    assert_eq!(manifest(&t, "17.10.0-ce")["source"], "static");
    let log = paths(&r);
    let stable = position(&log, &replica::static_path("stable", "17.10.0-ce"));
    assert!(stable < position(&log, &replica::static_path("test", "17.10.0-ce")));

    // A partial spec finds the release there too, and never a prerelease.
    t.dvm(["uninstall", "--force", "17.10.0-ce"]).success();
    t.dvm(["install", "17.10"])
        .success()
        .stderr_has("17.10 resolved to docker 17.10.0-ce")
        .stderr_has("trying the test channel");
    t.dvm(["install", "17.11"])
        .failure(3)
        .stderr_has("no stable release matches '17.11'");
    assert_eq!(t.installed(), ["17.10.0-ce"]);
    // Asking for a channel is asking for that channel only.
    t.dvm(["install", "17.10.0-ce", "--channel", "stable", "--force"])
        .failure(3);
    no_escapes(&r);
}

#[test]
fn the_edge_channel_lists_and_installs_the_monthly_releases() {
    let r = Replica::docker();
    let monthly = [
        "17.05.0-ce",
        "17.07.0-ce",
        "17.10.0-ce",
        "17.11.0-ce",
        "18.01.0-ce",
        "18.02.0-ce",
        "18.04.0-ce",
        "18.05.0-ce",
    ];
    for v in monthly {
        r.add_static("edge", v);
    }
    let t = env_for(&r);
    let run = t.dvm(["ls-remote", "--channel", "edge", "--json"]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let listed: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, monthly);
    assert_eq!(json[7]["sources"][0]["channel"], "edge");
    assert_eq!(
        json[7]["sources"][0]["url"],
        r.url(&replica::static_path("edge", "18.05.0-ce"))
    );
    t.dvm(["ls-remote", "18", "--channel", "edge"])
        .success()
        .stdout_has("18.05.0-ce");

    // Only in edge: stable, then test, then edge, each said.
    let edge = r.url(&replica::static_path("edge", "18.05.0-ce"));
    t.dvm(["install", "18.05.0-ce"])
        .success()
        .stderr_has("trying the test channel")
        .stderr_has(&format!(
            "dvm: note: docker 18.05.0-ce is not in the stable channel; trying the edge channel: {edge}"
        ))
        .stderr_has(&format!("from {edge}"));
    // Asked for by channel, edge is read directly; `latest` there is its newest.
    t.dvm(["install", "latest", "--channel", "edge"])
        .success()
        .stderr_has("latest resolved to docker 18.05.0-ce")
        .stderr_has("already installed");
    let direct = t.dvm(["install", "18.04.0-ce", "--channel", "edge"]);
    direct.success();
    assert!(!direct.stderr.contains("note:"), "{}", direct.stderr);
    assert_eq!(t.installed(), ["18.04.0-ce", "18.05.0-ce"]);

    // get.docker.com and yum.dockerproject.org never had an edge channel.
    t.dvm(["ls-remote", "--channel", "edge", "--source", "legacy"])
        .failure(2)
        .stderr_has("the legacy source has no edge channel");
    no_escapes(&r);
}

// ---------------------------------------------------------------------------------------------
// Integrity

#[test]
fn static_trust_on_first_use_catches_a_changed_archive() {
    let r = Replica::docker();
    let t = env_for(&r);
    let first = r.add_static("stable", "20.10.25");
    t.dvm(["install", "20.10.25"]).success();
    let trust = std::fs::read_to_string(t.home.join("trust/static-sha256.tsv")).unwrap();
    assert!(trust.contains(&first.sha256), "{trust}");

    // The same URL now serves something else.
    let path = replica::static_path("stable", "20.10.25");
    let changed = r.put(
        &path,
        archives::docker_tgz("docker/docker", b"#!/bin/sh\necho changed\n"),
    );
    t.dvm(["cache", "clean"]).success();
    let run = t.dvm(["install", "20.10.25", "--force"]);
    run.failure(5)
        .stderr_has(&format!("expected {}", first.sha256))
        .stderr_has(&format!("got {}", changed.sha256))
        .stderr_has(&r.url(&path));
    // The installed copy is untouched, and the bad download is not kept.
    assert_eq!(docker_version(&t, "20.10.25"), client_says("20.10.25"));
    let downloads = t.home.join("cache/downloads");
    let kept: Vec<_> = std::fs::read_dir(&downloads)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(kept.is_empty(), "{kept:?}");
}

#[test]
fn sha256_pin_must_match() {
    let r = Replica::docker();
    let t = env_for(&r);
    let good = r.add_static("stable", "20.10.23");
    t.dvm([
        "install",
        "20.10.23",
        "--sha256",
        &good.sha256.to_uppercase(),
    ])
    .success()
    .stderr_has("your --sha256 pin");
    assert_eq!(verified_by(&t, "20.10.23"), ["pinned", "tofu"]);

    let wrong = "ab".repeat(32);
    let actual = sha256_hex(&r.server_bytes(&replica::static_path("stable", "20.10.25")));
    t.dvm(["install", "20.10.25", "--sha256", &wrong])
        .failure(5)
        .stderr_has(&format!("expected {wrong} (--sha256), got {actual}"));
    assert_eq!(t.installed(), ["20.10.23"]);
    // A refused pin recorded no trust: installing without the pin still works.
    t.dvm(["install", "20.10.25"]).success();
}

#[test]
fn legacy_sibling_disagreeing_with_the_archive_stops_everything() {
    let r = Replica::docker();
    // Another source (the docker-ce RPM) has the same version: it must not be tried after
    // the mismatch.
    r.add_legacy("17.03.2-ce");
    let t = env_for(&r);
    let archive = replica::legacy_path("17.03.2-ce");
    let bogus = "cd".repeat(32);
    r.add_sha256_sibling(&archive, &bogus);

    let run = t.dvm(["install", "17.03.2-ce"]);
    run.failure(5)
        .stderr_has(&format!("expected {bogus}"))
        .stderr_has(&r.url(&archive))
        // The hint names the RPM source, which the user may choose.
        .stderr_has("--source rpm");
    assert!(t.installed().is_empty(), "{:?}", t.installed());
    let log = paths(&r);
    let at = position(&log, &archive);
    // After the mismatch only listings are read (for the hint): nothing is downloaded.
    let downloads: Vec<&String> = log[at + 1..]
        .iter()
        .filter(|p| !p.ends_with('/') && !p.contains("/repodata/"))
        .collect();
    assert_eq!(
        downloads,
        [] as [&String; 0],
        "downloads after the mismatch"
    );
    no_escapes(&r);
}

#[test]
fn embedded_table_disagreeing_is_an_integrity_error_without_fall_through() {
    // dvm's table holds the real sha256 of docker-1.12.6.tgz; the replica's fake differs.
    let r = Replica::docker();
    let t = env_for(&r);
    let path = replica::legacy_path("1.12.6");
    let fake = r.put(
        &path,
        archives::docker_tgz("docker/docker", &archives::fake_client_script("1.12.6")),
    );
    let yum_rpm = format!(
        "{}/Packages/docker-engine-1.12.6-1.el7.centos.x86_64.rpm",
        replica::yum_repo_base("main", "centos/7")
    );

    // No sibling: the table alone is the published checksum.
    let run = t.dvm(["install", "1.12.6"]);
    run.failure(5)
        .stderr_has("dvm's embedded table")
        .stderr_has(&format!("got {}", fake.sha256));
    assert!(t.installed().is_empty());
    assert_eq!(r.server.count(&yum_rpm), 0, "fell through to yum");

    // A sibling that vouches for the fake contradicts the table: refused before downloading.
    r.add_sha256_sibling(&path, &fake.sha256);
    r.server.clear_log();
    let run = t.dvm(["install", "1.12.6"]);
    run.failure(5).stderr_has("disagree");
    assert!(t.installed().is_empty());
    assert_eq!(
        r.server.count(&path),
        0,
        "the archive was downloaded anyway"
    );
    assert_eq!(r.server.count(&yum_rpm), 0, "fell through to yum");
}

#[test]
fn repodata_checksum_mismatches_are_integrity_errors() {
    let r = Replica::docker();
    let t = env_for(&r);
    let repo = r.add_yum_repo(
        "fedora/24",
        RepoChecksum::Sha256,
        &[engine("1.12.6", "1.fc24")],
    );
    // The package is swapped for another build after the metadata was written.
    let pkg = &repo.packages[0];
    r.put(
        &pkg.path,
        archives::build_rpm(
            "docker-engine",
            "1.12.6",
            "1.fc24",
            "gzip",
            &[(
                "/usr/bin/docker",
                b"#!/bin/sh\necho swapped\n",
                archives::S_IFREG | 0o755,
            )],
        ),
    );
    t.dvm([
        "install",
        "1.12.6",
        "--source",
        "yum",
        "--distro",
        "fedora/24",
    ])
    .failure(5)
    .stderr_has("(repodata)")
    .stderr_has(&format!("expected {}", pkg.sha256));
    assert!(t.installed().is_empty());

    // primary.xml that does not match repomd.xml.
    let r = Replica::docker();
    let t = env_for(&r);
    let repo = r.add_yum_repo(
        "fedora/24",
        RepoChecksum::Sha256,
        &[engine("1.12.6", "1.fc24")],
    );
    r.put(
        &repo.primary.path,
        archives::gzip(b"<metadata packages=\"0\"></metadata>"),
    );
    t.dvm([
        "install",
        "1.12.6",
        "--source",
        "yum",
        "--distro",
        "fedora/24",
    ])
    .failure(5)
    .stderr_has("repomd.xml");
    t.dvm(["ls-remote", "--source", "yum", "--distro", "fedora/24"])
        .failure(5);
    assert!(t.installed().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Nothing found

#[test]
fn not_found_anywhere_lists_every_url_tried() {
    let r = Replica::empty();
    let t = env_for(&r);
    let run = t.dvm(["install", "17.03.2-ce"]);
    // The replica is served as DVM_MIRROR, so the message names the mirror.
    run.failure(3)
        .stderr_has(&format!(
            "docker 17.03.2-ce is not on this mirror ({}) for linux/x86_64",
            r.mirror()
        ))
        .stderr_has(&format!(
            "tried {}",
            r.url(&replica::static_path("stable", "17.03.2-ce"))
        ))
        .stderr_has(&format!(
            "tried {}",
            r.url(&replica::legacy_path("17.03.2-ce"))
        ));
    // The repositories read for it are named too.
    for repo in [
        replica::yum_repo_base("main", "centos/7"),
        replica::docker_ce_repo_base("centos/7", "stable"),
        replica::docker_ce_repo_base("centos/9", "stable"),
    ] {
        run.stderr_has(&format!("searched {}/repodata", r.url(&repo)));
    }
    // The mirror is configured: the hint must not send the user to set one.
    assert!(!run.stderr.contains("shut down"), "{}", run.stderr);
    run.stderr_has("--from");
    assert!(t.installed().is_empty());
    no_escapes(&r);
}

#[test]
fn yum_on_its_dead_default_host_gets_the_mirror_hint() {
    // Every source on the replica except yum, which stays on yum.dockerproject.org: the
    // proxy (the replica) refuses the tunnel, so nothing leaves the machine.
    let r = Replica::empty();
    let mut t = TestEnv::new();
    hermetic_net(&mut t, &r);
    t.env("DVM_RETRIES", "0")
        .env("DVM_STATIC_URL", r.url(replica::STATIC_HOST))
        .env("DVM_LEGACY_URL", r.url(replica::LEGACY_HOST))
        .env("DVM_RPM_URL", r.url(replica::RPM_HOST));
    // Unreachable is not absent: the network exit code, with the dead host's hint.
    let run = t.dvm(["install", "1.12.6"]);
    run.failure(4)
        .stderr_has(&format!("tried {}", r.url(&replica::legacy_path("1.12.6"))))
        .stderr_has("skipped yum listing: could not download https://yum.dockerproject.org/")
        .stderr_has("yum.dockerproject.org was shut down")
        .stderr_has("DVM_MIRROR");
    // The only request for the real host was the tunnel the proxy (the replica) refused.
    let escapes = r.escapes();
    assert_eq!(escapes.len(), 1, "{escapes:#?}");
    assert_eq!(escapes[0].method, "CONNECT");
    assert_eq!(escapes[0].path, "yum.dockerproject.org:443");

    // DVM_YUM_URL set to a replica folder without the repository: the generic hint.
    t.env("DVM_YUM_URL", r.url("/nowhere/yum"));
    let run = t.dvm(["install", "1.12.6"]);
    run.failure(3).stderr_has("--from");
    assert!(!run.stderr.contains("shut down"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Per-source overrides

#[test]
fn per_source_overrides_from_env_and_config() {
    let r = Replica::docker();
    let custom_static = "/custom/static";
    r.put(
        &format!("{custom_static}/linux/static/stable/x86_64/docker-20.10.25.tgz"),
        archives::docker_tgz("docker/docker", b"#!/bin/sh\necho custom static\n"),
    );
    let custom_yum = "/custom/yum";
    r.add_repo(
        &format!("{custom_yum}/repo/main/fedora/24"),
        RepoChecksum::Sha256,
        &[Package {
            name: "docker-engine",
            ver: "1.12.6",
            rel: "1.fc24",
            client_version: Some("1.12.6-custom"),
        }],
    );

    let custom_rpm = "/custom/rpm";
    r.add_repo(
        &format!("{custom_rpm}/linux/centos/7/x86_64/stable"),
        RepoChecksum::Sha256,
        &[Package {
            name: "docker-ce-cli",
            ver: "20.10.23",
            rel: "1.el7",
            client_version: Some("20.10.23-custom"),
        }],
    );
    let custom_legacy = "/custom/legacy";
    let raw = archives::fake_elf(b"custom legacy");
    let legacy = r.put(
        &format!("{custom_legacy}/builds/Linux/x86_64/docker-1.8.0"),
        raw.clone(),
    );
    r.add_sha256_sibling(&legacy.path, &legacy.sha256);

    // From the environment: the override wins over DVM_MIRROR for that source only.
    let mut t = env_for(&r);
    t.env("DVM_STATIC_URL", r.url(custom_static))
        .env("DVM_RPM_URL", r.url(custom_rpm));
    t.dvm(["install", "20.10.23", "--source", "rpm"])
        .success()
        .stderr_has(&r.url(custom_rpm));
    assert_eq!(
        docker_version(&t, "20.10.23"),
        client_says("20.10.23-custom")
    );
    t.dvm(["install", "20.10.25"])
        .success()
        .stderr_has(&r.url(&format!(
            "{custom_static}/linux/static/stable/x86_64/docker-20.10.25.tgz"
        )));
    assert_eq!(docker_version(&t, "20.10.25"), "custom static");
    t.dvm(["install", "24.0.7"])
        .failure(3)
        .stderr_has(&r.url(custom_static));

    // From config.toml.
    let t = env_for(&r);
    t.dvm(["config", "set", "yum_url", &r.url(custom_yum)])
        .success();
    t.dvm(["config", "set", "static_url", &r.url(custom_static)])
        .success();
    t.dvm(["config", "set", "legacy_url", &r.url(custom_legacy)])
        .success();
    t.dvm(["install", "1.8.0"])
        .success()
        .stderr_has(&r.url(&legacy.path))
        .stderr_has("the .sha256 served by");
    assert_eq!(manifest(&t, "1.8.0")["client_sha256"], sha256_hex(&raw));
    t.dvm([
        "install",
        "1.12.6",
        "--source",
        "yum",
        "--distro",
        "fedora/24",
    ])
    .success()
    .stderr_has(&r.url(custom_yum));
    assert_eq!(docker_version(&t, "1.12.6"), client_says("1.12.6-custom"));
    t.dvm(["install", "20.10.25"])
        .success()
        .stderr_has(&r.url(custom_static));
    assert_eq!(docker_version(&t, "20.10.25"), "custom static");
    no_escapes(&r);
}

// ---------------------------------------------------------------------------------------------
// ls-remote

/// `(installed, version, sources)` of each ls-remote line.
fn ls_remote_lines(run: &Run) -> Vec<(bool, String, String)> {
    run.stdout
        .lines()
        .map(|line| {
            // No `*` here: that marks the active version in `dvm ls`.
            assert!(line.starts_with("  "), "{line}");
            let installed = line.ends_with("(installed)");
            let mut words = line.split_whitespace();
            let version = words.next().expect("a version").to_string();
            let sources = words.next().expect("sources").to_string();
            (installed, version, sources)
        })
        .collect()
}

#[test]
fn ls_remote_lists_every_source_in_order_and_marks_installed() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10.25"]).success();

    let run = t.dvm(["ls-remote"]);
    run.success();
    let lines = ls_remote_lines(&run);
    let versions: Vec<dvm::DockerVersion> = lines
        .iter()
        .map(|(_, v, _)| dvm::DockerVersion::parse(v).unwrap())
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "not sorted oldest first: {}",
        run.stdout
    );
    let find = |v: &str| {
        lines
            .iter()
            .find(|(_, x, _)| x == v)
            .unwrap_or_else(|| panic!("{v} missing:\n{}", run.stdout))
            .clone()
    };
    assert_eq!(
        find("20.10.25"),
        (true, "20.10.25".into(), "static,rpm".into())
    );
    assert_eq!(find("20.10.22"), (false, "20.10.22".into(), "rpm".into()));
    assert_eq!(
        find("1.12.6"),
        (false, "1.12.6".into(), "legacy,yum".into())
    );
    assert_eq!(
        find("17.03.0-ce"),
        (false, "17.03.0-ce".into(), "static,legacy".into())
    );
    assert_eq!(find("24.0.7").2, "static");
    assert_eq!(lines.iter().filter(|l| l.0).count(), 1);
    assert!(!run.stdout.contains("rootless"), "{}", run.stdout);
    assert!(!run.stdout.contains("-rc"), "{}", run.stdout);
    no_escapes(&r);
}

#[test]
fn ls_remote_json_schema_and_spec_filter() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10.25", "--source", "rpm"]).success();

    let run = t.dvm(["ls-remote", "20.10", "--json"]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let entries = json.as_array().expect("an array");
    let versions: Vec<&str> = entries
        .iter()
        .map(|e| e["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["20.10.22", "20.10.23", "20.10.25"]);
    for e in entries {
        let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{e}");
        assert!(e["installed"].is_boolean(), "{e}");
        assert!(
            e["api_version"].is_string() || e["api_version"].is_null(),
            "{e}"
        );
        for s in e["sources"].as_array().expect("sources") {
            let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 4, "{s}");
            assert!(s["source"].is_string() && s["channel"].is_string() && s["url"].is_string());
            assert!(s["sha256"].is_string() || s["sha256"].is_null(), "{s}");
        }
    }
    let newest = &entries[2];
    assert_eq!(newest["installed"], true);
    assert_eq!(newest["api_version"], "1.41");
    let rpm = replica::docker_ce_repo_base("centos/7", "stable");
    let served = r.server_bytes(&format!(
        "{rpm}/Packages/docker-ce-cli-20.10.25-3.el7.x86_64.rpm"
    ));
    assert_eq!(
        newest["sources"],
        serde_json::json!([
            {
                "source": "static",
                "channel": "stable",
                "url": r.url(&replica::static_path("stable", "20.10.25")),
                "sha256": null,
            },
            {
                "source": "rpm",
                "channel": "stable",
                "url": r.url(&format!("{rpm}/Packages/docker-ce-cli-20.10.25-3.el7.x86_64.rpm")),
                "sha256": sha256_hex(&served),
            },
        ])
    );
    assert_eq!(entries[0]["installed"], false);

    // A legacy entry carries the embedded table's checksum.
    let run = t.dvm(["ls-remote", "1.12.6", "--json"]);
    run.success();
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let legacy = &json[0]["sources"][0];
    assert_eq!(legacy["source"], "legacy");
    assert_eq!(legacy["sha256"], table_sha256("1.12.6"));
}

#[test]
fn ls_remote_cache_warm_refresh_and_offline() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["ls-remote"]).success();
    let cold = r.requests().len();
    assert!(cold > 0);

    // Warm: not one request, not even for the repositories that 404.
    r.server.clear_log();
    let warm = t.dvm(["ls-remote"]);
    warm.success();
    assert_eq!(r.requests(), [], "a warm ls-remote made requests");

    // --refresh asks again.
    let refreshed = t.dvm(["ls-remote", "--refresh"]);
    refreshed.success();
    assert_eq!(refreshed.stdout, warm.stdout);
    assert!(r.server.count(&replica::static_dir("stable")) > 0);
    assert!(
        r.server.count(&format!(
            "{}/repodata/repomd.xml",
            replica::docker_ce_repo_base("centos/7", "stable")
        )) > 0
    );

    // --offline with a warm cache works without requests; with a cold one it says why.
    r.server.clear_log();
    t.dvm(["ls-remote", "--offline"]).success();
    assert_eq!(r.requests(), []);
    let cold_env = env_for(&r);
    let run = cold_env.dvm(["ls-remote", "--offline"]);
    run.failure(4)
        .stderr_has("offline")
        .stderr_has("without --offline");
    assert_eq!(r.requests(), []);
}

// ---------------------------------------------------------------------------------------------
// Download cache

#[test]
fn reinstall_offline_from_the_download_cache() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "17.03.0-ce"]).success();
    t.dvm([
        "install",
        "1.12.6",
        "--source",
        "yum",
        "--distro",
        "fedora/24",
    ])
    .success();
    t.dvm(["uninstall", "17.03.0-ce"]).success();
    t.dvm(["uninstall", "1.12.6"]).success();
    assert!(t.installed().is_empty());

    r.server.clear_log();
    t.dvm(["install", "17.03.0-ce", "--offline"])
        .success()
        .stderr_has("using the cached download");
    t.dvm([
        "install",
        "1.12.6",
        "--offline",
        "--source",
        "yum",
        "--distro",
        "fedora/24",
    ])
    .success()
    .stderr_has("using the cached download");
    assert_eq!(r.requests(), [], "an --offline install made requests");
    assert_eq!(
        verified_by(&t, "1.12.6"),
        ["signature", "repodata", "rpm-digests"]
    );
    assert_eq!(docker_version(&t, "17.03.0-ce"), client_says("17.03.0-ce"));

    // A legacy build outside dvm's table is verified offline by the `.sha256` it published
    // when it was downloaded, not demoted to trust on first use.
    t.dvm(["install", "1.8.0"]).success();
    assert_eq!(verified_by(&t, "1.8.0"), ["published-sha256"]);
    t.dvm(["uninstall", "1.8.0"]).success();
    r.server.clear_log();
    t.dvm(["install", "1.8.0", "--offline"])
        .success()
        .stderr_has(&format!("verified by the .sha256 served by {}", r.mirror()));
    assert_eq!(verified_by(&t, "1.8.0"), ["published-sha256"]);
    assert_eq!(r.requests(), [], "an --offline install made requests");

    // Never downloaded: --offline says so.
    t.dvm(["install", "24.0.7", "--offline"])
        .failure(3)
        .stderr_has("--offline");
    assert_eq!(r.requests(), []);
}

#[test]
fn a_damaged_cached_download_is_removed_and_fetched_again() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "17.03.0-ce"]).success();
    t.dvm(["uninstall", "17.03.0-ce"]).success();
    let cached: Vec<_> = std::fs::read_dir(t.home.join("cache/downloads"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let bytes = std::fs::read(&cached[0]).unwrap();
    std::fs::write(&cached[0], &bytes[..bytes.len() / 2]).unwrap();

    t.dvm(["install", "17.03.0-ce"])
        .failure(6)
        .stderr_has("was damaged and has been removed");
    assert!(!cached[0].exists());
    assert!(t.installed().is_empty());
    t.dvm(["install", "17.03.0-ce"])
        .success()
        .stderr_has("verified by trust on first use");
    assert_eq!(t.installed(), ["17.03.0-ce"]);
}

// ---------------------------------------------------------------------------------------------
// Faults through the CLI

#[test]
fn a_503_then_200_is_retried() {
    let r = Replica::docker();
    let t = env_for(&r);
    let path = replica::static_path("stable", "20.10.25");
    let body = r.server_bytes(&path);
    r.server
        .add_with(&path, Route::new(body).fault(Fault::Status(503)).times(1));
    t.dvm(["install", "20.10.25"])
        .success()
        .stderr_has("retrying (attempt 1)");
    let statuses: Vec<u16> = r
        .requests()
        .into_iter()
        .filter(|q| q.path == path)
        .map(|q| q.status)
        .collect();
    assert_eq!(statuses, [503, 200]);
    assert_eq!(docker_version(&t, "20.10.25"), client_says("20.10.25"));
}

#[test]
fn a_connection_reset_mid_body_resumes() {
    let r = Replica::docker();
    let t = env_for(&r);
    let path = replica::static_path("stable", "20.10.25");
    let body = r.server_bytes(&path);
    let half = body.len() as u64 / 2;
    r.server.add_with(
        &path,
        Route::new(body.clone())
            .fault(Fault::ResetAfter(half))
            .times(1),
    );
    t.dvm(["install", "20.10.25"]).success();
    assert!(
        r.requests()
            .iter()
            .any(|q| q.path == path && q.range.is_some()),
        "no ranged request: {:#?}",
        r.requests()
    );
    assert_eq!(docker_version(&t, "20.10.25"), client_says("20.10.25"));
    assert_eq!(
        manifest(&t, "20.10.25")["client_sha256"],
        sha256_hex(&archives::fake_client_script("20.10.25"))
    );
}

#[test]
fn a_truncated_body_fails_then_the_next_run_resumes() {
    let r = Replica::docker();
    let mut t = env_for(&r);
    t.env("DVM_RETRIES", "0");
    let path = replica::static_path("stable", "20.10.25");
    let body = r.server_bytes(&path);
    let half = body.len() as u64 / 2;
    r.server.add_with(
        &path,
        Route::new(body).fault(Fault::Truncate(half)).times(1),
    );
    t.dvm(["install", "20.10.25"])
        .failure(4)
        .stderr_has(&r.url(&path));
    assert!(t.installed().is_empty());

    r.server.clear_log();
    t.dvm(["install", "20.10.25"]).success();
    let ranged: Vec<_> = r
        .requests()
        .into_iter()
        .filter(|q| q.path == path)
        .collect();
    assert_eq!(ranged.len(), 1, "{ranged:#?}");
    assert_eq!(ranged[0].range.as_deref(), Some(&*format!("bytes={half}-")));
    assert_eq!(ranged[0].status, 206);
    assert_eq!(docker_version(&t, "20.10.25"), client_says("20.10.25"));
}

#[test]
fn an_html_page_instead_of_the_archive_is_a_bad_archive() {
    let r = Replica::docker();
    let t = env_for(&r);
    let path = replica::static_path("stable", "20.10.25");
    r.server.add_with(
        &path,
        Route::html("<!DOCTYPE html><html><body>Please log in</body></html>"),
    );
    t.dvm(["install", "20.10.25"]).failure(6).stderr_has("HTML");
    assert!(t.installed().is_empty());
}

#[test]
fn plain_http_to_an_unconfigured_host_is_refused_before_connecting() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm([
        "install",
        "--from",
        "http://example.invalid/docker-1.12.6.tgz",
    ])
    .failure(8)
    .stderr_has("plain http");
    // HTTP_PROXY points at the replica: any attempt would have been logged there.
    assert_eq!(r.requests(), []);
    assert!(t.installed().is_empty());
}

#[test]
fn install_from_a_url() {
    let r = Replica::docker();
    let t = env_for(&r);
    let path = "/downloads/docker-1.12.6.tgz";
    let served = r.put(
        path,
        archives::docker_tgz("./docker/docker", &archives::fake_client_script("1.12.6")),
    );
    t.dvm(["install", "--from", &r.url(path)])
        .success()
        .stderr_has(&format!("installed docker 1.12.6 from {}", r.url(path)));
    let m = manifest(&t, "1.12.6");
    assert_eq!(m["source"], "url");
    assert_eq!(docker_version(&t, "1.12.6"), client_says("1.12.6"));

    // With a pin, and --as.
    t.dvm([
        "install",
        "--from",
        &r.url(path),
        "--as",
        "1.12.5",
        "--sha256",
        &served.sha256,
    ])
    .success();
    assert_eq!(verified_by(&t, "1.12.5"), ["pinned"]);
}

#[test]
fn install_from_a_legacy_url_is_checked_against_the_embedded_table() {
    // The same fake 1.12.6 at the legacy path of the mirror: dvm's table knows the real file.
    let r = Replica::docker();
    let t = env_for(&r);
    let path = replica::legacy_path("1.12.6");
    let fake = r.put(
        &path,
        archives::docker_tgz("docker/docker", &archives::fake_client_script("1.12.6")),
    );
    t.dvm(["install", "--from", &r.url(&path)])
        .failure(5)
        .stderr_has("embedded table")
        .stderr_has(&format!("got {}", fake.sha256));
    assert!(t.installed().is_empty());
}

#[test]
fn an_unreadable_repository_is_a_network_error_not_a_missing_version() {
    // centos/7 answers 503, centos/9 is absent (404): the listing is incomplete, not empty.
    let r = Replica::docker();
    let mut t = env_for(&r);
    t.env("DVM_RETRIES", "0");
    let repomd = format!(
        "{}/repodata/repomd.xml",
        replica::docker_ce_repo_base("centos/7", "stable")
    );
    r.server
        .add_with(&repomd, Route::new("down").fault(Fault::Status(503)));
    t.dvm(["install", "20.10.22", "--source", "rpm"])
        .failure(4)
        .stderr_has(&r.url(&repomd))
        .stderr_has("503");
    t.dvm(["ls-remote", "--source", "rpm"])
        .failure(4)
        .stderr_has(&r.url(&repomd));
    // Listing everything, the other sources still show, with a warning naming the failure.
    let all = t.dvm(["ls-remote"]);
    all.success()
        .stderr_has("skipped rpm:")
        .stdout_has("24.0.7");
    assert!(!all.stdout.contains("20.10.22"), "{}", all.stdout);
}

#[test]
fn ls_remote_with_nothing_listed_says_so() {
    let r = Replica::empty();
    let t = env_for(&r);
    let run = t.dvm(["ls-remote", "--source", "rpm"]);
    run.failure(3)
        .stderr_has("no versions are listed for linux/x86_64");
    assert!(!run.stderr.contains("without a version"), "{}", run.stderr);
    t.dvm(["ls-remote", "99.1", "--source", "static"])
        .failure(3)
        .stderr_has("no versions match '99.1'");
}

// ---------------------------------------------------------------------------------------------
// Auto-install through the shim

#[test]
fn the_shim_auto_installs_a_missing_version_when_asked() {
    let r = Replica::docker();
    let mut t = env_for(&r);
    std::fs::write(t.cwd.join(".docker-version"), "20.10.25\n").unwrap();
    // Places the shim without installing anything.
    t.dvm(["setup", "--no-modify-path"]).success();

    // Default: the clear error, and nothing is downloaded.
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.failure(127).stderr_has("run: dvm install 20.10.25");
    assert!(t.installed().is_empty());

    t.env("DVM_AUTO_INSTALL", "1")
        .env("DVM_EXE", env::dvm_exe().display().to_string());
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.success();
    assert_eq!(run.stdout.trim(), client_says("20.10.25"));
    assert!(
        run.stderr.contains("installed docker 20.10.25"),
        "{}",
        run.stderr
    );
    assert_eq!(t.installed(), ["20.10.25"]);
    no_escapes(&r);
}

#[test]
fn the_shim_auto_installs_when_a_config_file_says_so() {
    let r = Replica::docker();
    let mut t = env_for(&r);
    // The shim finds dvm to ask it about the settings; it does not parse config files itself.
    t.env("DVM_EXE", env::dvm_exe().display().to_string());
    std::fs::write(t.cwd.join(".docker-version"), "20.10.25\n").unwrap();
    t.dvm(["setup", "--no-modify-path"]).success();
    t.docker_in(&t.cwd, ["--version"])
        .failure(127)
        .stderr_has("run: dvm install 20.10.25");
    assert!(t.installed().is_empty());

    // The project's .dvm.toml.
    let project_file = t.cwd.join(".dvm.toml");
    std::fs::write(&project_file, "auto_install = true\n").unwrap();
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.success().stderr_has("installed docker 20.10.25");
    assert_eq!(run.stdout.trim(), client_says("20.10.25"));
    std::fs::remove_file(&project_file).unwrap();
    t.dvm(["uninstall", "20.10.25"]).success();

    // Settings that cannot be read turn auto-install off, with a warning, and the usual error.
    std::fs::write(t.home.join("config.toml"), "retries = \"x\"\n").unwrap();
    t.docker_in(&t.cwd, ["--version"])
        .failure(127)
        .stderr_has("auto-install is off because the settings cannot be read")
        .stderr_has("is requested by");
    std::fs::remove_file(t.home.join("config.toml")).unwrap();

    // The user's config.toml; the variable set to off still wins over it.
    t.dvm(["config", "set", "auto_install", "true"]).success();
    t.env("DVM_AUTO_INSTALL", "0");
    t.docker_in(&t.cwd, ["--version"]).failure(127);
    assert!(t.installed().is_empty());
    t.env("DVM_AUTO_INSTALL", "");
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.success();
    assert_eq!(run.stdout.trim(), client_says("20.10.25"));
    assert_eq!(t.installed(), ["20.10.25"]);
    no_escapes(&r);
}

#[test]
fn a_project_file_may_set_download_urls_only_once_trusted() {
    let r = Replica::docker();
    let mut t = TestEnv::new();
    hermetic_net(&mut t, &r);
    let project = t.cwd.join("cloned repo");
    std::fs::create_dir_all(&project).unwrap();
    let file = project.join(".dvm.toml");
    std::fs::write(&file, format!("mirror = \"{}\"\n", r.mirror())).unwrap();

    // A fresh clone cannot redirect downloads: nothing is fetched, nothing installed.
    t.dvm_in(&project, ["install", "20.10.25"])
        .failure(8)
        .stderr_has(&format!("{} sets mirror", file.display()))
        .stderr_has(&format!("dvm config trust {}", file.display()));
    assert!(r.requests().is_empty(), "{:#?}", r.requests());
    assert!(t.installed().is_empty());

    // Reading settings still works, and says the project's URL is ignored.
    t.dvm_in(&project, ["config", "list"])
        .success()
        .stdout_has("the project's value is ignored");
    // Editing the file does not trust what the user never read.
    t.dvm_in(&project, ["config", "set", "--project", "retries", "1"])
        .success()
        .stderr_has("also sets mirror, which you have not trusted");
    t.dvm_in(&project, ["install", "20.10.25"]).failure(8);
    // The environment overrides the project, so its mirror needs no trust.
    let mut with_env = TestEnv::new();
    hermetic_net(&mut with_env, &r);
    with_env.env("DVM_MIRROR", r.mirror());
    with_env
        .dvm_in(&project, ["ls-remote", "20.10"])
        .success()
        .stdout_has("20.10.25");

    t.dvm_in(&project, ["config", "trust"])
        .success()
        .stderr_has(&format!("trusted {}", file.display()));
    t.dvm_in(&project, ["install", "20.10.25"])
        .success()
        .stderr_has("installed docker 20.10.25");

    // An edit, say from a `git pull`, needs trusting again; so does a file moved elsewhere.
    std::fs::write(&file, format!("mirror = \"{}/other\"\n", r.mirror())).unwrap();
    t.dvm_in(&project, ["ls-remote", "20.10"])
        .failure(8)
        .stderr_has("(or it changed since you did)");
    t.dvm_in(&project, ["config", "trust", ".dvm.toml"])
        .success();
    t.dvm_in(&project, ["config", "untrust"]).success();
    t.dvm_in(&project, ["ls-remote", "20.10"]).failure(8);
    // Keys that do not choose hosts need no trust.
    std::fs::write(&file, "retries = 1\n").unwrap();
    t.dvm_in(&project, ["config", "get", "retries"]).success();
    no_escapes(&r);
}

// ---------------------------------------------------------------------------------------------
// Audit fixes: broken answers are never cached, RPM listings are read lazily, honest wording

const LOGIN_PAGE: &str =
    "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please log in</body></html>";

#[test]
fn a_login_page_from_the_mirror_is_not_cached_as_a_listing() {
    let r = Replica::docker();
    let t = env_for(&r);
    r.server
        .answer_everything_with(Some(Route::html(LOGIN_PAGE)));
    t.dvm(["install", "20.10"])
        .failure(4)
        .stderr_has("HTML page")
        .stderr_has("not cached");
    assert!(t.installed().is_empty());

    // The mirror is fixed: well within the listing TTL, the next run asks again and installs.
    r.server.answer_everything_with(None);
    r.server.clear_log();
    t.dvm(["install", "20.10"])
        .success()
        .stderr_has("20.10 resolved to docker 20.10.25");
    assert!(r.server.count(&replica::static_dir("stable")) > 0);
    assert_eq!(t.installed(), ["20.10.25"]);
    no_escapes(&r);
}

#[test]
fn a_login_page_as_a_legacy_checksum_file_is_a_network_error() {
    let r = Replica::docker();
    let t = env_for(&r);
    let sibling = format!("{}.sha256", replica::legacy_path("1.8.0"));
    r.server.add_with(&sibling, Route::html(LOGIN_PAGE));
    t.dvm(["install", "1.8.0"])
        .failure(4)
        .stderr_has(&r.url(&sibling))
        .stderr_has("not a sha256 checksum file")
        .stderr_has("HTML page");
    assert!(t.installed().is_empty());

    // Fixed: the published checksum is used again.
    let served = r.server_bytes(&replica::legacy_path("1.8.0"));
    r.add_sha256_sibling(&replica::legacy_path("1.8.0"), &sha256_hex(&served));
    t.dvm(["install", "1.8.0"])
        .success()
        .stderr_has("verified by the .sha256 served by");
}

/// The replica, with its docker-ce centos/7 primary.xml swapped after repomd.xml was written.
fn replica_with_a_corrupt_rpm_repository() -> Replica {
    let r = Replica::docker();
    let cli = |ver: &'static str| Package {
        name: "docker-ce-cli",
        ver,
        rel: "3.el7",
        client_version: Some(ver),
    };
    let repo = r.add_docker_ce_repo(
        "centos/7",
        "stable",
        RepoChecksum::Sha256,
        &[cli("20.10.22"), cli("20.10.25")],
    );
    r.put(
        &repo.primary.path,
        archives::gzip(b"<metadata packages=\"0\"></metadata>"),
    );
    r
}

fn rpm_requests(r: &Replica) -> Vec<String> {
    paths(r)
        .into_iter()
        .filter(|p| {
            let docker_ce =
                p.starts_with(&format!("{}/linux/", replica::RPM_HOST)) && !p.contains("/static/");
            docker_ce || p.starts_with(replica::YUM_HOST)
        })
        .collect()
}

#[test]
fn an_exact_version_on_static_makes_no_rpm_request() {
    // Healthy: one request, for the archive.
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10.25"]).success();
    assert_eq!(paths(&r), [replica::static_path("stable", "20.10.25")]);

    // A corrupted RPM repository does not block it either.
    let r = replica_with_a_corrupt_rpm_repository();
    let t = env_for(&r);
    t.dvm(["install", "20.10.25"])
        .success()
        .stderr_has(&r.url(&replica::static_path("stable", "20.10.25")));
    assert_eq!(rpm_requests(&r), Vec::<String>::new());
    assert_eq!(manifest(&t, "20.10.25")["source"], "static");

    // A version only that repository has: it is read now, and its failed checksum is fatal.
    t.dvm(["install", "20.10.22"])
        .failure(5)
        .stderr_has("repomd.xml");
    assert!(!rpm_requests(&r).is_empty());
    assert_eq!(t.installed(), ["20.10.25"]);
    no_escapes(&r);
}

#[test]
fn a_partial_spec_resolves_past_a_corrupt_rpm_repository_with_a_warning() {
    let r = replica_with_a_corrupt_rpm_repository();
    let t = env_for(&r);
    t.dvm(["install", "20.10"])
        .success()
        .stderr_has("20.10 resolved to docker 20.10.25")
        .stderr_has("left out the rpm listing")
        .stderr_has("repomd.xml");
    assert_eq!(manifest(&t, "20.10.25")["source"], "static");
    // Listing it is still an integrity error: ls-remote reports, it does not hide.
    t.dvm(["ls-remote"]).failure(5);
}

#[test]
fn install_messages_say_how_each_file_was_really_verified() {
    let r = Replica::docker();
    let t = env_for(&r);
    // A legacy build outside dvm's table whose .sha256 is missing (404).
    let path = replica::legacy_path("1.8.0");
    r.server.remove(&format!("{path}.sha256"));
    let run = t.dvm(["install", "1.8.0"]);
    run.success()
        .stderr_has("trust on first use only")
        .stderr_has(&format!("{}.sha256 was not found", r.url(&path)))
        .stderr_has("dvm's table has no entry");
    assert!(
        !run.stderr.contains("nothing is published"),
        "{}",
        run.stderr
    );
    assert_eq!(verified_by(&t, "1.8.0"), ["tofu"]);

    // --from URL: a URL, not a local file.
    let url_path = "/downloads/docker-20.10.23.tgz";
    r.put(
        url_path,
        archives::docker_tgz("docker/docker", &archives::fake_client_script("20.10.23")),
    );
    let run = t.dvm(["install", "--from", &r.url(url_path)]);
    run.success()
        .stderr_has("not verified: nothing is published for this URL");
    assert!(!run.stderr.contains("local file"), "{}", run.stderr);
}

#[test]
fn install_from_a_url_offline_says_it_never_downloaded_it() {
    let r = Replica::docker();
    let t = env_for(&r);
    let path = "/downloads/docker-20.10.25.tgz";
    r.put(
        path,
        archives::docker_tgz("docker/docker", &archives::fake_client_script("20.10.25")),
    );
    let run = t.dvm(["install", "--from", &r.url(path), "--offline"]);
    run.failure(4)
        .stderr_has("offline")
        .stderr_has("never downloaded")
        .stderr_has("without --offline");
    assert!(!run.stderr.contains("404"), "{}", run.stderr);
    assert_eq!(r.requests(), []);
}

#[test]
fn install_refresh_rereads_the_listings() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "latest"])
        .success()
        .stderr_has("latest resolved to docker 24.0.7");
    // A release appears; the cached listing does not know it yet.
    r.add_static("stable", "25.0.0");
    t.dvm(["install", "latest"])
        .success()
        .stderr_has("docker 24.0.7 is already installed");
    t.dvm(["install", "latest", "--refresh"])
        .success()
        .stderr_has("latest resolved to docker 25.0.0");
    t.dvm(["install", "latest", "--refresh", "--offline"])
        .failure(2);
}

#[test]
fn a_cached_download_upstream_has_since_republished_is_downloaded_again() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "1.8.0"]).success();
    t.dvm(["uninstall", "1.8.0"]).success();
    let path = replica::legacy_path("1.8.0");
    let served = r.put(&path, archives::fake_elf(b"docker 1.8.0, rebuilt"));
    r.add_sha256_sibling(&path, &served.sha256);
    t.dvm(["install", "1.8.0"])
        .success()
        .stderr_has("is not what is published now; downloading it again");
    let downloads = r
        .requests()
        .iter()
        .filter(|q| q.path == path && q.method == "GET" && q.status == 200)
        .count();
    assert_eq!(
        downloads, 2,
        "the stale copy was replaced by a fresh download"
    );
    t.dvm(["verify", "1.8.0"]).success();
}

/// A hostile mirror: repodata names the RPM's size, and the server keeps sending past it.
#[test]
fn an_rpm_longer_than_its_repodata_says_is_cut_off_with_exit_6() {
    let r = Replica::empty();
    let repo = r.add_docker_ce_repo(
        "centos/7",
        "stable",
        RepoChecksum::Sha256,
        &[Package {
            name: "docker-ce-cli",
            ver: "20.10.22",
            rel: "3.el7",
            client_version: Some("20.10.22"),
        }],
    );
    let rpm = &repo.packages[0];
    r.server.add_with(
        &rpm.path,
        Route::new(rpm.bytes.clone()).fault(Fault::Unannounced { extra: 64 << 20 }),
    );
    let t = env_for(&r);
    t.dvm(["install", "20.10.22", "--source", "rpm"])
        .failure(6)
        .stderr_has(&format!(
            "is too large: the server sent more than {} bytes",
            rpm.bytes.len()
        ))
        .stderr_has("hint:");
    assert!(t.installed().is_empty());
    let downloads = t.home.join("cache/downloads");
    let left: Vec<_> = std::fs::read_dir(&downloads)
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    assert!(r.server.bytes_served(&rpm.path) < 16 << 20);
}

/// A connection that fails names the host and the cause, and the hint fits what is
/// configured: the mirror the user set, or the proxy in the way, not "set DVM_MIRROR".
#[test]
fn an_unreachable_host_is_named_and_the_hint_fits_the_configuration() {
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", "http://127.0.0.1:9")
        .env("DVM_PLATFORM", "linux/x86_64")
        .env("DVM_RETRIES", "0");
    let run = t.dvm(["install", "20.10.7"]);
    run.failure(4)
        .stderr_has("cannot connect to 127.0.0.1:9: Connection refused")
        .stderr_has("hint: http://127.0.0.1:9/download.docker.com is the mirror you configured");
    assert!(
        !run.stderr.contains("set DVM_MIRROR to a mirror"),
        "{}",
        run.stderr
    );

    let mut t = TestEnv::new();
    t.env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("DVM_PLATFORM", "linux/x86_64")
        .env("DVM_RETRIES", "0");
    t.dvm(["install", "1.12.6", "--source", "legacy"])
        .failure(4)
        .stderr_has(
            "cannot connect to get.docker.com:443 through the proxy HTTPS_PROXY=http://127.0.0.1:9",
        )
        .stderr_has("hint: the connection goes through the proxy in HTTPS_PROXY");
}

/// The legacy source has no listing: dvm's table stands in, and a host (a mirror, say) may
/// lack its newest match. A partial spec then goes down to the release the host has.
#[test]
fn a_partial_spec_passes_over_releases_the_host_does_not_have() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "1.8"])
        .success()
        .stderr_has("docker 1.8.3 is not on the hosts; trying the next release matching 1.8")
        .stderr_has("docker 1.8.1 is not on the hosts");
    assert_eq!(t.installed(), ["1.8.0"]);
    // An exact version never turns into another.
    t.dvm(["install", "1.8.2"]).failure(3);
    assert_eq!(t.installed(), ["1.8.0"]);
}

/// A host that kept only the `.tgz` of a 1.10 release (both layouts were published): the bare
/// client is asked for first, then the tarball, which installs.
#[test]
fn a_1_10_release_found_only_as_a_tarball_installs() {
    let r = Replica::docker();
    let path = format!("{}.tgz", replica::legacy_path("1.10.3"));
    let served = r.put(
        &path,
        archives::docker_tgz(
            "usr/local/bin/docker",
            &archives::fake_client_script("1.10.3"),
        ),
    );
    r.add_sha256_sibling(&path, &served.sha256);
    let t = env_for(&r);
    t.dvm(["install", "1.10.3"]).success();
    assert_eq!(t.installed(), ["1.10.3"]);
    let asked = paths(&r);
    let bare = asked
        .iter()
        .position(|p| *p == replica::legacy_path("1.10.3"))
        .expect("the bare client was asked for");
    let tarball = asked
        .iter()
        .position(|p| *p == path)
        .expect("then the tarball");
    assert!(bare < tarball, "{asked:#?}");
}
