//! End to end with the real Docker CLI on this machine: pack `/usr/local/bin/docker` into an
//! RPM and a tgz, install both, and run `docker --version` through the shim from a folder nested
//! 8 levels below its `.docker-version`. Skips (with a message) when the client is absent.

use crate::support::archives;
use crate::support::env;

use std::path::Path;
use std::process::Command;

use env::TestEnv;

const REAL_CLIENT: &str = "/usr/local/bin/docker";

/// The client's bytes and what it prints for `--version`, or `None` to skip.
fn real_client() -> Option<(Vec<u8>, String)> {
    if !Path::new(REAL_CLIENT).is_file() {
        println!("skipping: {REAL_CLIENT} is not present");
        return None;
    }
    let out = Command::new(REAL_CLIENT).arg("--version").output().ok()?;
    let version_line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !version_line.starts_with("Docker version ") {
        println!("skipping: {REAL_CLIENT} --version did not answer like a Docker CLI");
        return None;
    }
    Some((std::fs::read(REAL_CLIENT).ok()?, version_line))
}

/// `Docker version 28.2.2, build e6534b4` → `28.2.2`.
fn version_of(line: &str) -> String {
    line.trim_start_matches("Docker version ")
        .split(',')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn run_through_shim(t: &TestEnv, version: &str, expected_line: &str) {
    std::fs::write(t.cwd.join(".docker-version"), format!("{version}\n")).unwrap();
    let deep = t.nested(&t.cwd, 8);
    let run = t.docker_in(&deep, ["--version"]);
    run.success();
    assert_eq!(run.stdout.trim(), expected_line);
    let current = t.dvm_in(&deep, ["current"]);
    assert!(
        current.stdout.starts_with(&format!("{version} (set by")),
        "{}",
        current.stdout
    );
}

#[test]
fn real_client_packed_in_an_rpm_installs_and_runs_through_the_shim() {
    let Some((client, line)) = real_client() else {
        return;
    };
    let version = version_of(&line);
    let t = TestEnv::new();
    let rpm = archives::build_rpm(
        "docker-ce-cli",
        &version,
        "1.el9",
        "zstd",
        &[
            ("/usr/bin/docker", &client, archives::S_IFREG | 0o755),
            (
                "/usr/share/bash-completion/completions/docker",
                b"# completion\n",
                archives::S_IFREG | 0o644,
            ),
        ],
    );
    let file = t.file(&format!("docker-ce-cli-{version}-1.el9.x86_64.rpm"), &rpm);
    t.dvm(["install", "--from", file.to_str().unwrap()])
        .success()
        .stderr_has(&format!("installed docker {version}"));
    let installed = std::fs::read(t.home.join("versions").join(&version).join("docker")).unwrap();
    assert!(
        installed == client,
        "the installed client differs from the packed one"
    );
    run_through_shim(&t, &version, &line);
}

#[test]
fn real_client_packed_in_a_tgz_installs_and_runs_through_the_shim() {
    let Some((client, line)) = real_client() else {
        return;
    };
    let version = version_of(&line);
    let t = TestEnv::new();
    let tgz = archives::docker_tgz("docker/docker", &client);
    let file = t.file(&format!("docker-{version}.tgz"), &tgz);
    t.dvm(["install", "--from", file.to_str().unwrap()])
        .success()
        .stderr_has(&format!("installed docker {version}"));
    run_through_shim(&t, &version, &line);
}
