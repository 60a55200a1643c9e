//! `auto`: the shim runs the client matching whichever daemon the docker CLI would talk to,
//! from a cache that `dvm detect --for-shim` fills by probing (fake daemons here).

use std::process::Stdio;

use crate::support::archives::{docker_tgz, fake_client_script};
use crate::support::daemon::{Behaviour, DockerConfigDir, FakeDaemon, eras};
use crate::support::env::{TestEnv, dvm_exe};

/// A store with the 1.12.6 and 20.10.24 clients, `auto` selected for this shell, and dvm
/// where the shim can find it.
fn auto_env() -> TestEnv {
    let mut t = TestEnv::new();
    for v in ["1.12.6", "20.10.24"] {
        let archive = t.file(
            &format!("docker-{v}.tgz"),
            &docker_tgz("docker/docker", &fake_client_script(v)),
        );
        t.dvm(["install", "--from", &archive.display().to_string()])
            .success();
    }
    t.dvm(["setup", "--yes", "--no-modify-path"]).success();
    t.env("DVM_DOCKER_VERSION", "auto")
        .env("DVM_EXE", dvm_exe().display().to_string())
        .env("DVM_MIRROR", "http://127.0.0.1:9")
        .env("DVM_RETRIES", "0");
    t
}

fn on(d: &FakeDaemon) -> Vec<(&'static str, &str)> {
    vec![("DOCKER_HOST", d.docker_host.as_str())]
}

fn version_requests(d: &FakeDaemon) -> usize {
    d.requests()
        .iter()
        .filter(|r| r.contains("/version"))
        .count()
}

#[test]
fn switching_docker_host_runs_the_matching_client_with_no_dvm_command_between() {
    let t = auto_env();
    let old = FakeDaemon::tcp(Behaviour::json(eras::V1_12_6));
    let new = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));

    t.docker_with(&on(&old), ["--version"])
        .success()
        .stdout_has("Docker version 1.12.6");
    t.docker_with(&on(&new), ["--version"])
        .success()
        .stdout_has("Docker version 20.10.24");
    // Warm: the cache answers, the daemon is not asked again.
    t.docker_with(&on(&old), ["ps"])
        .success()
        .stdout_has("Docker version 1.12.6");
    assert_eq!(version_requests(&old), 1);
    assert_eq!(version_requests(&new), 1);

    // `-H` in the docker argv wins over DOCKER_HOST, as for the docker CLI.
    t.docker_with(&on(&old), ["-H", &new.docker_host, "ps"])
        .success()
        .stdout_has("Docker version 20.10.24");
    t.docker_with(
        &on(&new),
        [format!("--host={}", old.docker_host).as_str(), "ps"],
    )
    .success()
    .stdout_has("Docker version 1.12.6");
}

#[test]
fn a_docker_context_switch_is_followed() {
    let t = auto_env();
    let old = FakeDaemon::tcp(Behaviour::json(eras::V1_12_6));
    let new = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));
    let config = DockerConfigDir::new(&t.user_home.join(".docker"));
    config.add_context("old-box", &old.docker_host);
    config.add_context("new-box", &new.docker_host);

    config.use_context("old-box");
    t.docker_with(&[], ["ps"]).success().stdout_has("1.12.6");
    config.use_context("new-box");
    t.docker_with(&[], ["ps"]).success().stdout_has("20.10.24");
    // DOCKER_CONTEXT and `--context` win over the file.
    t.docker_with(&[("DOCKER_CONTEXT", "old-box")], ["ps"])
        .success()
        .stdout_has("1.12.6");
    t.docker_with(&[], ["--context", "old-box", "ps"])
        .success()
        .stdout_has("1.12.6");
}

#[test]
fn an_unreachable_daemon_falls_back_to_its_last_choice_then_to_the_default() {
    let t = auto_env();
    let daemon = FakeDaemon::tcp(Behaviour::json(eras::V1_12_6));
    let host = daemon.docker_host.clone();
    t.docker_with(&[("DOCKER_HOST", &host)], ["ps"])
        .success()
        .stdout_has("1.12.6");
    drop(daemon);
    // The choice is made two hours older than auto_ttl allows: the daemon is asked again,
    // and does not answer.
    let cache = t.home.join("auto-cache");
    let text = std::fs::read_to_string(&cache).unwrap();
    let aged: String = text
        .lines()
        .map(|line| match line.split_once('\t') {
            Some((time, rest)) => {
                let time: u64 = time.parse().unwrap();
                format!("{}\t{rest}\n", time - 7200)
            }
            None => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&cache, aged).unwrap();
    let started = std::time::Instant::now();
    t.docker_with(&[("DOCKER_HOST", &host)], ["ps"])
        .success()
        .stdout_has("1.12.6")
        .stderr_has("the daemon did not answer")
        .stderr_has("running docker 1.12.6, chosen for it");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // A daemon never seen: the global default, said so.
    t.dvm(["default", "20.10.24"]).success();
    t.docker_with(&[("DOCKER_HOST", "tcp://127.0.0.1:9")], ["ps"])
        .success()
        .stdout_has("20.10.24")
        .stderr_has("running the global default, docker 20.10.24");
    // With no default either: a clear error, no loop.
    std::fs::remove_file(t.home.join("default")).unwrap();
    t.docker_with(&[("DOCKER_HOST", "tcp://127.0.0.1:9")], ["ps"])
        .failure(9)
        .stderr_has("`auto` cannot pick a client");
}

#[test]
fn concurrent_calls_on_a_cold_cache_make_one_probe() {
    let t = auto_env();
    let daemon = FakeDaemon::tcp(Behaviour::json(eras::V1_12_6));
    let vars = [("DOCKER_HOST", daemon.docker_host.as_str())];
    let children: Vec<_> = (0..16)
        .map(|_| {
            t.docker_command(&vars, ["ps"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("1.12.6"));
    }
    assert_eq!(version_requests(&daemon), 1);
}

#[test]
fn a_garbage_cache_file_is_ignored_and_rewritten() {
    let t = auto_env();
    let daemon = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));
    let cache = t.home.join("auto-cache");
    std::fs::write(&cache, b"\xff\xfe garbage\n12\tnot-a-version\tkey\n\0\0\0").unwrap();
    t.docker_with(&[("DOCKER_HOST", &daemon.docker_host)], ["ps"])
        .success()
        .stdout_has("20.10.24");
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(text.starts_with("# dvm auto v1 ttl=3600\n"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(&format!(
        "\t20.10.24\thost={};tls=0;certs=\t",
        daemon.docker_host
    )));

    t.dvm(["detect", "--clear-cache"]).success();
    assert!(!cache.exists());
}

/// A daemon on a unix socket and one over TLS with client certificates: each key carries its
/// address (and, with TLS, its certificates), so each gets its own client.
#[test]
fn unix_and_tls_daemons_each_get_their_client() {
    use crate::support::daemon::Pki;
    let t = auto_env();
    let sock = tempfile::tempdir().unwrap();
    let local = FakeDaemon::unix(sock.path(), Behaviour::json(eras::V1_12_6));
    let pki = Pki::generate();
    let certs = pki.write_cert_path(&t.files.join("certs"));
    let remote = FakeDaemon::tls(&pki, Behaviour::json(eras::V20_10_24));
    let certs = certs.display().to_string();

    t.docker_with(&on(&local), ["ps"])
        .success()
        .stdout_has("1.12.6");
    let tls = [
        ("DOCKER_HOST", remote.docker_host.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", certs.as_str()),
    ];
    t.docker_with(&tls, ["ps"]).success().stdout_has("20.10.24");
    assert_eq!(version_requests(&remote), 1);
}

/// `auto` is a spec like any other: `use --global`, version files; `current` and `which`
/// say what it chose for the daemon here and when.
#[test]
fn current_and_which_show_what_auto_chose_here() {
    let mut t = auto_env();
    let daemon = FakeDaemon::tcp(Behaviour::json(eras::V1_12_6));
    t.env("DOCKER_HOST", daemon.docker_host.clone());
    t.env("DVM_DOCKER_VERSION", "");
    std::fs::write(t.cwd.join(".docker-version"), "auto\n").unwrap();
    t.dvm(["current"])
        .success()
        .stdout_has("auto (no client chosen yet for host=tcp://")
        .stdout_has(".docker-version");
    t.dvm(["which"])
        .failure(3)
        .stderr_has("has chosen no client yet");

    t.docker_in(&t.cwd, ["ps"]).success().stdout_has("1.12.6");
    t.dvm(["current"]).success().stdout_has(&format!(
        "auto → 1.12.6 (daemon at {}, API 1.24, checked 0 min ago; set by",
        daemon.docker_host
    ));
    t.dvm(["which"])
        .success()
        .stdout_has("versions/1.12.6/docker");

    std::fs::remove_file(t.cwd.join(".docker-version")).unwrap();
    t.dvm(["use", "--global", "auto"]).success();
    t.dvm(["current"]).success().stdout_has("auto → 1.12.6");
}

/// The real docker CLI through the shim, chosen by `auto` for a daemon it can speak to.
#[test]
fn the_real_docker_cli_runs_through_auto() {
    let real = std::path::Path::new("/usr/local/bin/docker");
    if !real.is_file() {
        println!("skipping: no real docker CLI at /usr/local/bin/docker");
        return;
    }
    let t = auto_env();
    t.dvm([
        "install",
        "--from",
        &real.display().to_string(),
        "--as",
        "28.2.2",
    ])
    .success();
    let daemon = FakeDaemon::tcp(Behaviour::json(eras::V29_1_0));
    t.docker_with(&on(&daemon), ["--version"])
        .success()
        .stdout_has("Docker version 28.2.2");
    let current = t
        .dvm_cmd(["current"])
        .env("DOCKER_HOST", &daemon.docker_host)
        .output()
        .unwrap();
    crate::support::env::Run::from(current)
        .success()
        .stdout_has("auto → 28.2.2");
}

/// A local daemon restarted (upgraded) recreates its socket: the shim notices with one `stat`
/// and the next call asks the new daemon, without waiting for auto_ttl.
#[test]
fn a_restarted_local_daemon_is_asked_again_at_the_next_call() {
    let t = auto_env();
    let sock = tempfile::tempdir().unwrap();
    let old = FakeDaemon::unix(sock.path(), Behaviour::json(eras::V1_12_6));
    let host = old.docker_host.clone();
    t.docker_with(&[("DOCKER_HOST", &host)], ["ps"])
        .success()
        .stdout_has("1.12.6");
    t.docker_with(&[("DOCKER_HOST", &host)], ["ps"])
        .success()
        .stdout_has("1.12.6");
    assert_eq!(version_requests(&old), 1, "the warm cache answered");
    drop(old);
    let _ = std::fs::remove_file(sock.path().join("docker.sock"));
    let new = FakeDaemon::unix(sock.path(), Behaviour::json(eras::V20_10_24));
    assert_eq!(new.docker_host, host);
    t.docker_with(&[("DOCKER_HOST", &host)], ["ps"])
        .success()
        .stdout_has("20.10.24");
    assert_eq!(version_requests(&new), 1);
}
