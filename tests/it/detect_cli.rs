//! `dvm detect` as a user runs it: the real binary, a fake daemon on a unix socket or loopback
//! TCP, and a loopback replica of download.docker.com's static tree for the listing and the
//! install.

use crate::support::archives;
use crate::support::daemon;
use crate::support::env;
use crate::support::server;

use daemon::{Behaviour, DockerConfigDir, FakeDaemon, eras};
use env::TestEnv;
use server::FixtureServer;

const STATIC_DIR: &str = "/download.docker.com/linux/static/stable/x86_64/";

/// A replica with a few static tarballs, each holding a client that prints its version.
fn replica() -> FixtureServer {
    let srv = FixtureServer::start();
    for v in ["17.03.2-ce", "19.03.15", "20.10.23", "20.10.24"] {
        srv.add(
            &format!("{STATIC_DIR}docker-{v}.tgz"),
            archives::docker_tgz("docker/docker", &archives::fake_client_script(v)),
        );
    }
    srv
}

/// A test home whose mirror is `srv` and whose daemon is `daemon`, on x86_64 Linux.
fn env_for(srv: &FixtureServer, daemon: &FakeDaemon) -> TestEnv {
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", srv.url())
        .env("DVM_PLATFORM", "linux/x86_64")
        .env("DOCKER_HOST", daemon.docker_host.clone());
    t
}

/// A 20.10.23 daemon: its own release, the choice, is a static build outside dvm's
/// third-party checksum table, so the replica's generated tarball installs (trust on first use).
fn v20_10_23() -> String {
    eras::V20_10_24.replace("20.10.24", "20.10.23")
}

fn tgz_path(v: &str) -> String {
    format!("{STATIC_DIR}docker-{v}.tgz")
}

#[test]
fn print_names_the_daemons_release_and_installs_nothing() {
    let srv = replica();
    let sock_dir = tempfile::tempdir().unwrap();
    let d = FakeDaemon::unix(sock_dir.path(), Behaviour::json(eras::V20_10_24));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect", "--print"]);
    run.success();
    assert_eq!(run.stdout, "20.10.24\n");
    assert!(t.installed().is_empty(), "{:?}", t.installed());
    assert_eq!(srv.count(&tgz_path("20.10.24")), 0);
    assert_eq!(d.requests().len(), 1);
    assert!(d.requests()[0].starts_with("GET /"), "{:?}", d.requests());
}

#[test]
fn print_over_tcp_falls_back_to_the_newest_release_with_the_same_api() {
    let srv = replica();
    // A 20.10 daemon whose exact release is not published: the newest 20.10 speaks its API.
    let body = eras::V20_10_24.replace("20.10.24", "20.10.21");
    let d = FakeDaemon::tcp(Behaviour::json(&body));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect", "--print"]);
    run.success();
    assert_eq!(run.stdout.trim(), "20.10.24");
}

#[test]
fn json_reports_the_daemon_the_choice_and_whether_it_is_installed() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(eras::V17_03_2));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect", "--json"]);
    run.success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "endpoint": d.docker_host,
            "context": null,
            "daemon": {
                "version": "17.03.2-ce",
                "api_version": "1.27",
                "min_api_version": "1.12",
                "os": "linux",
                "arch": "amd64",
            },
            "choice": {
                "version": "17.03.2-ce",
                "reason": "daemon-version",
                "daemon_api": "1.27",
                "note": null,
            },
            "installed": false,
            "installed_now": false,
            "saved": null,
        })
    );
    assert!(t.installed().is_empty());
}

#[test]
fn detect_global_installs_the_choice_and_makes_it_the_default() {
    let srv = replica();
    let sock_dir = tempfile::tempdir().unwrap();
    let d = FakeDaemon::unix(sock_dir.path(), Behaviour::json(&v20_10_23()));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect", "--global"]);
    run.success()
        .stderr_has("Docker 20.10.23 (API 1.41")
        .stderr_has("installed docker 20.10.23")
        .stderr_has("default docker is now 20.10.23");
    // The same words as `dvm install`: where it came from and how it was checked.
    let installed = run
        .stderr
        .lines()
        .find(|l| l.starts_with("installed docker 20.10.23"))
        .unwrap();
    assert!(
        installed.contains(&format!("from {}{}", srv.url(), tgz_path("20.10.23")))
            && installed.contains(" (verified by "),
        "{installed}"
    );
    assert_eq!(run.stdout, "", "nothing for a shell to evaluate");
    assert_eq!(t.installed(), ["20.10.23"]);
    assert_eq!(srv.count(&tgz_path("20.10.23")), 1);
    assert_eq!(
        std::fs::read_to_string(t.home.join("default")).unwrap(),
        "20.10.23\n"
    );
    let ran = t.docker_in(&t.cwd, ["--version"]);
    ran.success();
    assert_eq!(ran.stdout.trim(), "Docker version 20.10.23, build abc");

    // A second run finds it installed and downloads nothing.
    t.dvm(["detect", "--global"]).success();
    assert_eq!(srv.count(&tgz_path("20.10.23")), 1);
    let json: serde_json::Value =
        serde_json::from_str(&t.dvm(["detect", "--json"]).success().stdout).unwrap();
    assert_eq!(json["installed"], true);
}

#[test]
fn detect_local_writes_the_version_file_here() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(eras::V17_03_2));
    let t = env_for(&srv, &d);
    t.dvm(["detect", "--local"]).success();
    assert_eq!(
        std::fs::read_to_string(t.cwd.join(".docker-version")).unwrap(),
        "17.03.2-ce\n"
    );
    let ran = t.docker_in(&t.cwd, ["--version"]);
    assert_eq!(ran.stdout.trim(), "Docker version 17.03.2-ce, build abc");
}

#[test]
fn shell_eval_prints_the_export_for_the_integration_to_eval() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(&v20_10_23()));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect", "--shell-eval", "bash"]);
    run.success().stderr_has("now using docker 20.10.23");
    assert_eq!(run.stdout, "export DVM_DOCKER_VERSION='20.10.23'\n");
    assert_eq!(t.installed(), ["20.10.23"]);
    assert!(!t.home.join("default").exists());

    let run = t.dvm(["detect", "--shell-eval", "fish"]);
    assert_eq!(run.stdout, "set -gx DVM_DOCKER_VERSION '20.10.23'\n");

    // --print under the integration must still be safe to evaluate.
    let run = t.dvm(["detect", "--print", "--shell-eval", "bash"]);
    run.success();
    let evaluated = std::process::Command::new("bash")
        .arg("-c")
        .arg(&run.stdout)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&evaluated.stdout), "20.10.23\n");
}

#[test]
fn without_a_way_to_use_it_the_choice_is_installed_and_the_next_step_explained() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(&v20_10_23()));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect"]);
    run.success()
        .stderr_has("dvm use 20.10.23")
        .stderr_has("dvm detect --global");
    assert_eq!(run.stdout, "");
    assert_eq!(t.installed(), ["20.10.23"]);
}

#[test]
fn an_unreachable_listing_falls_back_to_installed_versions_with_a_warning() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(&v20_10_23()));
    let t = env_for(&srv, &d);
    t.dvm(["detect", "--global"]).success();
    drop(srv);

    // The daemon is now a 20.10.22 one: with no listing, the installed 20.10.23 speaks its API.
    let d = FakeDaemon::tcp(Behaviour::json(
        &eras::V20_10_24.replace("20.10.24", "20.10.22"),
    ));
    // Same store, and a mirror nobody answers (listings are cached per URL: none for it).
    let mut t2 = TestEnv::new();
    t2.env("DVM_HOME", t.home.display().to_string())
        .env("DVM_MIRROR", "http://127.0.0.1:9")
        .env("DVM_RETRIES", "0")
        .env("DOCKER_HOST", d.docker_host.clone());
    let run = t2.dvm(["detect", "--print"]);
    run.success()
        .stderr_has("cannot list the releases")
        .stderr_has("installed versions only");
    assert_eq!(run.stdout.trim(), "20.10.23");

    // Offline with no cache and nothing installed: nothing to choose from.
    let empty = {
        let mut e = TestEnv::new();
        e.env("DOCKER_HOST", d.docker_host.clone());
        e
    };
    let run = empty.dvm(["detect", "--print", "--offline"]);
    run.failure(3).stderr_has("(there are none)");
}

#[test]
fn daemon_failures_exit_with_the_daemon_code() {
    let srv = replica();
    let sock_dir = tempfile::tempdir().unwrap();
    let cases = [
        FakeDaemon::tcp(Behaviour::json(eras::NOT_JSON)),
        FakeDaemon::tcp(Behaviour::status(500, r#"{"message":"boom"}"#)),
        FakeDaemon::unix(sock_dir.path(), Behaviour::json(eras::JSON_WITHOUT_FIELDS)),
        // Neither ApiVersion nor Version.
        FakeDaemon::tcp(Behaviour::json("{}")),
    ];
    for d in &cases {
        let t = env_for(&srv, d);
        for args in [
            &["detect"][..],
            &["detect", "--print"],
            &["detect", "--json"],
        ] {
            let run = t.dvm(args);
            run.failure(9).stderr_has("dvm: error:").stderr_has("hint:");
            assert_eq!(run.stdout, "");
        }
        assert!(t.installed().is_empty());
    }

    // Nobody listening at all.
    let gone = sock_dir.path().join("nobody.sock");
    let mut t = TestEnv::new();
    t.env("DOCKER_HOST", format!("unix://{}", gone.display()));
    t.dvm(["detect", "--print"])
        .failure(9)
        .stderr_has(&gone.display().to_string());
    assert_eq!(
        srv.requests().len(),
        0,
        "no listing without a daemon answer"
    );
}

#[test]
fn json_with_global_or_local_installs_saves_and_says_what_was_done() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(&v20_10_23()));
    let t = env_for(&srv, &d);
    let run = t.dvm(["detect", "--json", "--global"]);
    run.success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["choice"]["version"], "20.10.23");
    assert_eq!(json["installed"], true);
    assert_eq!(json["installed_now"], true);
    let default_file = t.home.join("default");
    assert_eq!(
        json["saved"],
        serde_json::json!({"scope": "global", "path": default_file.display().to_string()})
    );
    assert_eq!(
        std::fs::read_to_string(&default_file).unwrap(),
        "20.10.23\n"
    );
    assert_eq!(t.installed(), ["20.10.23"]);

    let run = t.dvm(["detect", "--json", "--local"]);
    run.success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["installed_now"], false, "already installed");
    let version_file = t.cwd.join(".docker-version");
    assert_eq!(
        json["saved"],
        serde_json::json!({"scope": "local", "path": version_file.display().to_string()})
    );
    assert_eq!(
        std::fs::read_to_string(&version_file).unwrap(),
        "20.10.23\n"
    );
    assert_eq!(srv.count(&tgz_path("20.10.23")), 1);
}

#[test]
fn print_changes_nothing_so_it_refuses_global_and_local() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));
    let t = env_for(&srv, &d);
    for flag in ["--global", "--local"] {
        let run = t.dvm(["detect", "--print", flag]);
        run.failure(2).stderr_has("cannot be used with");
        assert_eq!(run.stdout, "");
    }
    assert!(t.installed().is_empty());
    assert!(d.requests().is_empty());
    let help = t.dvm(["detect", "--help"]);
    help.success();
    // Words, not lines: clap wraps to the terminal width.
    let words = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "installs and changes nothing, so it cannot be combined with --global or --local",
        "with --global or --local it also installs and saves the choice",
    ] {
        assert!(words.contains(said), "{said:?} not in {words}");
    }
}

#[test]
fn a_daemon_newer_than_the_table_gets_a_note_in_every_mode() {
    let srv = replica();
    let d = FakeDaemon::tcp(Behaviour::json(eras::FUTURE));
    let t = env_for(&srv, &d);
    let note = "newer than dvm's table; picking the newest release dvm knows, 20.10.24";
    let run = t.dvm(["detect", "--print"]);
    run.success().stderr_has(note).stderr_has("API 1.99");
    assert_eq!(run.stdout, "20.10.24\n");

    let run = t.dvm(["detect", "--json"]);
    run.success().stderr_has(note);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(json["choice"]["note"].as_str().unwrap().contains(note));

    // Installing the choice still says so; the replica's 20.10.24 is a generated tarball at a
    // path the third-party table records, so it is refused and nothing is installed.
    t.dvm(["detect"])
        .failure(5)
        .stderr_has(note)
        .stderr_has("an independent record");
    assert!(t.installed().is_empty(), "{:?}", t.installed());
}

/// `docker context use rootless` makes docker talk to another daemon; detect follows it and
/// says so.
#[test]
fn detect_follows_the_docker_cli_context() {
    let srv = replica();
    let sockets = tempfile::tempdir().unwrap();
    let rootless = FakeDaemon::unix(sockets.path(), Behaviour::json(eras::V17_03_2));
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", srv.url())
        .env("DVM_PLATFORM", "linux/x86_64");
    let docker = DockerConfigDir::new(&t.user_home.join(".docker"));
    docker.add_context("rootless", &rootless.docker_host);
    docker.use_context("rootless");

    let run = t.dvm(["detect", "--global"]);
    run.success()
        .stderr_has(&format!(
            "daemon at {} (context rootless): Docker 17.03.2-ce",
            rootless.docker_host
        ))
        .stderr_has("default docker is now 17.03.2-ce");
    assert_eq!(rootless.requests().len(), 1);

    let json: serde_json::Value =
        serde_json::from_str(&t.dvm(["detect", "--json"]).success().stdout).unwrap();
    assert_eq!(json["context"], "rootless");
    assert_eq!(json["endpoint"], rootless.docker_host);

    // DOCKER_HOST still wins, as for docker.
    let other = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));
    t.env("DOCKER_HOST", other.docker_host.clone());
    let run = t.dvm(["detect", "--print"]);
    assert_eq!(run.success().stdout, "20.10.24\n");

    // A context that does not exist is a configuration error naming it.
    let mut t = TestEnv::new();
    t.env("DOCKER_CONTEXT", "ghost");
    t.dvm(["detect", "--print"])
        .failure(8)
        .stderr_has("docker context 'ghost'")
        .stderr_has("hint:");
}

/// `detect` installs under the verification the settings require, as `dvm install` does: a
/// static build that nothing vouches for is refused when signatures are required.
#[test]
fn detect_installs_under_the_required_verification() {
    let srv = replica();
    let sock_dir = tempfile::tempdir().unwrap();
    let d = FakeDaemon::unix(sock_dir.path(), Behaviour::json(&v20_10_23()));
    let mut t = env_for(&srv, &d);
    t.env("DVM_REQUIRE_VERIFICATION", "signature");
    t.dvm(["detect", "--global"]).failure(5);
    assert!(t.installed().is_empty());
    assert!(!t.home.join("default").exists());
}
