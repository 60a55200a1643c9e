//! The everyday commands, run as the real binary against a temp home (no network).

use crate::support::env;

use env::{TestEnv, fixture_rpm};

const FIXTURE_OUTPUT: &str = "Docker version 1.12.6, build 78d1802";

fn install_fixture(t: &TestEnv, kind: &str) {
    t.dvm(["install", "--from", fixture_rpm(kind).to_str().unwrap()])
        .success()
        .stderr_has("installed docker 1.12.6");
}

#[test]
fn install_from_each_rpm_compression_and_run_through_the_shim() {
    for kind in ["gz", "xz", "zstd", "bz2"] {
        let t = TestEnv::new();
        install_fixture(&t, kind);
        assert_eq!(t.installed(), ["1.12.6"], "{kind}");
        assert!(
            t.home.join("shims/docker").is_file(),
            "the shim is placed on install"
        );
        t.dvm(["use", "--global", "1.12.6"]).success();
        let run = t.docker_in(&t.cwd, ["--version"]);
        run.success();
        assert_eq!(run.stdout.trim(), FIXTURE_OUTPUT, "{kind}");
    }
}

#[test]
fn tampered_rpms_are_refused_with_the_integrity_exit_code_and_install_nothing() {
    for kind in ["tampered-header", "tampered-payload"] {
        let t = TestEnv::new();
        let run = t.dvm(["install", "--from", fixture_rpm(kind).to_str().unwrap()]);
        run.failure(5);
        assert!(run.stderr.contains("dvm: error:"), "{}", run.stderr);
        assert!(t.installed().is_empty(), "{kind} left {:?}", t.installed());
        let tmp = t.home.join("tmp");
        let leftovers: Vec<_> = std::fs::read_dir(&tmp)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    }
}

#[test]
fn version_file_eight_levels_up_selects_the_client() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    std::fs::write(
        t.cwd.join(".docker-version"),
        "# pinned for this repo\n1.12\n",
    )
    .unwrap();
    let deep = t.nested(&t.cwd, 8);
    let run = t.docker_in(&deep, ["--version"]);
    run.success();
    assert_eq!(run.stdout.trim(), FIXTURE_OUTPUT);
    let current = t.dvm_in(&deep, ["current"]);
    current.success();
    assert_eq!(
        current.stdout.trim(),
        format!(
            "1.12.6 (set by {}:2)",
            t.cwd.join(".docker-version").display()
        )
    );
}

#[test]
fn missing_version_gets_the_install_hint_and_exit_127() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    std::fs::write(t.cwd.join(".docker-version"), "20.10.25\n").unwrap();
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.failure(127);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "dvm: docker 20.10.25 is requested by {} but is not installed; run: dvm install 20.10.25",
            t.cwd.join(".docker-version").display()
        )
    );
}

#[test]
fn garbage_version_file_is_an_error_naming_file_and_line() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    std::fs::write(t.cwd.join(".docker-version"), "# ok\nlatest-ish!\n").unwrap();
    let run = t.dvm(["current"]);
    run.failure(2);
    run.stderr_has(&format!("{}:2:", t.cwd.join(".docker-version").display()));
    std::fs::write(t.cwd.join(".docker-version"), [0xff, 0xfe, 0x00, 0x31]).unwrap();
    t.dvm(["current"]).failure(2).stderr_has("not UTF-8");
}

#[test]
fn ls_marks_active_and_default_and_json_reports_verification() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm([
        "install",
        "--from",
        fixture_rpm("xz").to_str().unwrap(),
        "--as",
        "1.12.5",
    ])
    .success();
    t.dvm(["use", "--global", "1.12.5"]).success();
    let ls = t.dvm(["ls"]);
    ls.success();
    assert_eq!(ls.stdout, "* 1.12.5  (default)\n  1.12.6\n");

    std::fs::write(t.cwd.join(".docker-version"), "1.12.6\n").unwrap();
    let ls = t.dvm(["ls"]);
    assert_eq!(ls.stdout, "  1.12.5  (default)\n* 1.12.6\n");

    let json: serde_json::Value = serde_json::from_str(&t.dvm(["ls", "--json"]).stdout).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["version"], "1.12.6");
    assert_eq!(list[1]["active"], true);
    assert_eq!(list[1]["source"], "file");
    assert_eq!(list[1]["verified_by"], serde_json::json!(["rpm-digests"]));
    assert_eq!(list[0]["default"], true);
}

#[test]
fn use_without_integration_explains_and_with_integration_prints_shell_code() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["use", "1.12.6"]).failure(2).stderr_has("dvm init");
    let run = t.dvm(["use", "1.12", "--shell-eval", "bash"]);
    run.success();
    assert_eq!(run.stdout, "export DVM_DOCKER_VERSION='1.12'\n");
    let fish = t.dvm(["use", "1.12.6", "--shell-eval", "fish"]);
    assert_eq!(fish.stdout, "set -gx DVM_DOCKER_VERSION '1.12.6'\n");
    t.dvm(["use", "9.9.9", "--shell-eval", "bash"])
        .failure(3)
        .stderr_has("dvm install 9.9.9");
}

#[test]
fn env_var_beats_version_file_beats_default() {
    let mut t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm([
        "install",
        "--from",
        fixture_rpm("xz").to_str().unwrap(),
        "--as",
        "1.12.5",
    ])
    .success();
    t.dvm([
        "install",
        "--from",
        fixture_rpm("bz2").to_str().unwrap(),
        "--as",
        "1.11.2",
    ])
    .success();
    t.dvm(["default", "1.11.2"]).success();
    assert!(
        t.dvm(["current"])
            .stdout
            .starts_with("1.11.2 (the global default")
    );
    std::fs::write(t.cwd.join(".docker-version"), "1.12.5\n").unwrap();
    assert!(t.dvm(["current"]).stdout.starts_with("1.12.5 (set by"));
    t.env("DVM_DOCKER_VERSION", "1.12.6");
    assert_eq!(
        t.dvm(["current"]).stdout,
        "1.12.6 (set by DVM_DOCKER_VERSION (dvm use))\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&t.dvm(["current", "--json"]).stdout).unwrap();
    assert_eq!(json["version"], "1.12.6");
    assert_eq!(json["reason"], "env-var");
}

#[test]
fn local_writes_a_version_file_here() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["local", "1.12"]).success();
    assert_eq!(
        std::fs::read_to_string(t.cwd.join(".docker-version")).unwrap(),
        "1.12\n"
    );
    t.dvm(["local", "7.7.7"]).failure(3);
}

#[test]
fn which_and_exec_use_the_requested_version() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    let which = t.dvm(["which", "1.12"]);
    which.success();
    assert_eq!(
        which.stdout.trim(),
        t.home.join("versions/1.12.6/docker").display().to_string()
    );
    let exec = t.dvm(["exec", "1.12.6", "--", "docker", "--version"]);
    exec.success();
    assert_eq!(exec.stdout.trim(), FIXTURE_OUTPUT);
    t.dvm(["which", "2.0.0"])
        .failure(3)
        .stderr_has("dvm install 2.0.0");

    // A command that cannot run exits 127, like `env`.
    t.dvm(["exec", "1.12.6", "--", "no-such-command-here"])
        .failure(127)
        .stderr_has("cannot run no-such-command-here");
    // `system` selects the docker outside dvm for the shims the command starts.
    let exec = t.dvm([
        "exec",
        "system",
        "--",
        "sh",
        "-c",
        "echo $DVM_DOCKER_VERSION",
    ]);
    exec.success();
    assert_eq!(exec.stdout, "system\n");
}

#[test]
fn which_and_current_say_why_nothing_runs() {
    let mut t = TestEnv::new();
    install_fixture(&t, "gz");
    let pin = t.cwd.join(".docker-version");
    std::fs::write(&pin, "20.10\n").unwrap();
    let expected = format!(
        "docker 20.10 is requested (set by {}) but is not installed",
        pin.display()
    );
    t.dvm(["which"])
        .failure(3)
        .stderr_has(&expected)
        .stderr_has("run: dvm install 20.10");
    t.dvm(["current"]).failure(3).stderr_has(&expected);
    // The JSON form says the same, with the same exit code.
    let run = t.dvm(["current", "--json"]);
    run.failure(3);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["missing"], true);
    assert_eq!(json["requested"], "20.10");

    // `system` asked for and none on PATH: the request is named, not "nothing selected".
    t.env("DVM_DOCKER_VERSION", "system");
    t.env("PATH", t.home.join("shims").display().to_string());
    t.dvm(["which"])
        .failure(3)
        .stderr_has("the system docker is requested (by DVM_DOCKER_VERSION)");
    t.env("PATH", t.path_var());

    // A bad variable is blamed on the variable, not on a file.
    t.env("DVM_DOCKER_VERSION", "garbage!");
    t.dvm(["current"])
        .failure(2)
        .stderr_has("DVM_DOCKER_VERSION")
        .stderr_has("hint: set DVM_DOCKER_VERSION to a version, or unset it");
}

#[test]
fn uninstall_refuses_the_default_unless_forced() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["use", "--global", "1.12.6"]).success();
    t.dvm(["uninstall", "1.12.6"])
        .failure(2)
        .stderr_has("--force");
    assert_eq!(t.installed(), ["1.12.6"]);
    t.dvm(["uninstall", "--force", "1.12.6"]).success();
    assert!(t.installed().is_empty());
    t.dvm(["uninstall", "1.12.6"]).failure(3);
}

#[test]
fn uninstall_removes_exactly_one_version_or_asks_which() {
    let t = TestEnv::new();
    let rpm = fixture_rpm("gz");
    for v in ["1.12.5", "1.12.6", "17.03.0-ce"] {
        t.dvm(["install", "--from", rpm.to_str().unwrap(), "--as", v])
            .success();
    }
    t.dvm(["uninstall", "1.12"])
        .failure(2)
        .stderr_has("1.12 matches 2 installed versions: 1.12.5, 1.12.6")
        .stderr_has("dvm uninstall 1.12.5 or 1.12.6");
    t.dvm(["uninstall", "latest"]).failure(2);
    t.dvm(["uninstall", "system"])
        .failure(2)
        .stderr_has("dvm did not install it");
    assert_eq!(t.installed(), ["1.12.5", "1.12.6", "17.03.0-ce"]);
    // One match, through a partial spec or an alias, is removed.
    t.dvm(["uninstall", "17"])
        .success()
        .stderr_has("uninstalled docker 17.03.0-ce");
    t.dvm(["alias", "old", "1.12.5"]).success();
    t.dvm(["uninstall", "old"]).success();
    assert_eq!(t.installed(), ["1.12.6"]);
}

#[test]
fn reinstall_is_a_no_op_unless_forced() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["install", "--from", fixture_rpm("gz").to_str().unwrap()])
        .success()
        .stderr_has("already installed");
    t.dvm([
        "install",
        "--force",
        "--from",
        fixture_rpm("xz").to_str().unwrap(),
    ])
    .success()
    .stderr_has("installed docker 1.12.6");
}

#[test]
fn install_from_a_missing_file_or_unknown_version_name_is_clear() {
    let t = TestEnv::new();
    t.dvm(["install", "--from", "/nonexistent/docker-1.2.3.tgz"])
        .failure(3)
        .stderr_has("/nonexistent/docker-1.2.3.tgz does not exist");
    let elf = t.file(
        "mystery-binary",
        &crate::support::archives::fake_elf(b"rest-of-a-binary"),
    );
    t.dvm(["install", "--from", elf.to_str().unwrap()])
        .failure(2)
        .stderr_has("--as");
    t.dvm(["install", "--from", elf.to_str().unwrap(), "--as", "1.9.1"])
        .success();
    assert_eq!(t.installed(), ["1.9.1"]);
}

#[test]
fn pinned_sha256_mismatch_is_an_integrity_error() {
    let t = TestEnv::new();
    let run = t.dvm([
        "install",
        "--from",
        fixture_rpm("gz").to_str().unwrap(),
        "--sha256",
        &"0".repeat(64),
    ]);
    run.failure(5).stderr_has("expected 0000");
    assert!(t.installed().is_empty());
}

#[test]
fn verify_detects_a_client_modified_after_install() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["verify"]).success().stdout_has("1.12.6: ok");
    std::fs::write(
        t.home.join("versions/1.12.6/docker"),
        "#!/bin/sh\necho evil\n",
    )
    .unwrap();
    t.dvm(["verify"]).failure(5).stdout_has("MODIFIED");
}

#[test]
fn aliases_work_wherever_a_version_does() {
    let mut t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["alias", "legacy", "1.12"]).success();
    t.dvm(["aliases"]).success().stdout_has("legacy -> 1.12");
    std::fs::write(t.cwd.join(".docker-version"), "legacy\n").unwrap();
    assert!(t.dvm(["current"]).stdout.starts_with("1.12.6 (set by"));
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.success();
    assert_eq!(run.stdout.trim(), FIXTURE_OUTPUT);
    // In use by the version file here, or by the global default: refused unless forced.
    t.dvm(["unalias", "legacy"])
        .failure(2)
        .stderr_has(&format!(
            "alias 'legacy' is in use by {}",
            t.cwd.join(".docker-version").display()
        ))
        .stderr_has("dvm unalias --force legacy");
    // Still in use by the file when this shell selects something else.
    t.env("DVM_DOCKER_VERSION", "1.12.6");
    t.dvm(["unalias", "legacy"])
        .failure(2)
        .stderr_has(".docker-version");
    t.env("DVM_DOCKER_VERSION", "legacy");
    t.dvm(["unalias", "legacy"])
        .failure(2)
        .stderr_has("DVM_DOCKER_VERSION in this shell and ");
    t.env("DVM_DOCKER_VERSION", "");
    std::fs::remove_file(t.cwd.join(".docker-version")).unwrap();
    t.dvm(["use", "--global", "legacy"]).success();
    t.dvm(["unalias", "legacy"])
        .failure(2)
        .stderr_has("in use by the global default");
    t.dvm(["unalias", "--force", "legacy"]).success();
    t.dvm(["aliases"]).success();
    assert!(!t.home.join("aliases/legacy").exists());
    t.dvm(["alias", "9bad", "1.12"]).failure(2);
}

#[test]
fn config_set_get_list_with_env_precedence() {
    let mut t = TestEnv::new();
    t.dvm(["config", "set", "retries", "5"]).success();
    assert_eq!(t.dvm(["config", "get", "retries"]).stdout, "5\n");
    t.dvm(["config", "set", "retries", "many"]).failure(8);
    t.dvm(["config", "set", "nonsense", "1"]).failure(2);
    // Every value is checked when it is written, not when a download later trips on it.
    t.dvm(["config", "set", "source", "foo"])
        .failure(8)
        .stderr_has("source = 'foo' is not one of static, legacy, yum, rpm");
    t.dvm(["config", "set", "distro", "fedora"])
        .failure(8)
        .stderr_has("distro = 'fedora' is not a NAME/RELEASE distribution");
    t.dvm(["config", "set", "stall_timeout", "0"])
        .failure(8)
        .stderr_has("stall_timeout = '0' is not a whole number of seconds from 1 to");
    // Too big for what reads them: refused, never written as something else.
    for (key, value) in [
        ("retries", "4294967296"),
        ("listing_ttl", "18446744073709551615"),
    ] {
        t.dvm(["config", "set", key, value])
            .failure(8)
            .stderr_has(&format!("{key} = '{value}' is not a whole number"));
    }
    t.dvm(["config", "set", "listing_ttl", "4294967295"])
        .success();
    assert_eq!(
        t.dvm(["config", "get", "listing_ttl"]).stdout,
        "4294967295\n"
    );
    t.dvm(["config", "set", "source", "static"]).success();
    std::fs::write(t.home.join("config.toml"), "distro = \"fedora\"\n").unwrap();
    t.dvm(["install", "1.12.6"])
        .failure(8)
        .stderr_has("config.toml");
    std::fs::remove_file(t.home.join("config.toml")).unwrap();
    t.env("DVM_RETRIES", "7");
    assert_eq!(t.dvm(["config", "get", "retries"]).stdout, "7\n");
    t.env("DVM_SOURCE", "foo");
    t.dvm(["install", "1.12.6"])
        .failure(8)
        .stderr_has("DVM_SOURCE");
    t.env("DVM_SOURCE", "");
    t.dvm(["config", "list"])
        .success()
        .stdout_has("retries          = 7 (from DVM_RETRIES)");
}

#[test]
fn a_project_dvm_toml_sits_between_the_environment_and_the_user_config() {
    let mut t = TestEnv::new();
    t.dvm(["config", "set", "retries", "5"]).success();
    t.dvm(["config", "set", "distro", "centos/7"]).success();
    let project = t.cwd.join("project");
    let deep = t.nested(&project, 3);
    std::fs::write(
        project.join(".dvm.toml"),
        "# pinned for this repository\nretries = 1\nsource = \"static\"\n",
    )
    .unwrap();
    t.env("DVM_SOURCE", "rpm");

    let run = t.dvm_in(&deep, ["config", "list"]);
    run.success();
    let file = project.join(".dvm.toml").display().to_string();
    run.stdout_has(&format!("retries          = 1 ({file})"))
        .stdout_has("source           = rpm (from DVM_SOURCE)")
        .stdout_has(&format!(
            "distro           = centos/7 ({})",
            t.home.join("config.toml").display()
        ));
    let json: serde_json::Value =
        serde_json::from_str(&t.dvm_in(&deep, ["config", "list", "--json"]).stdout).unwrap();
    let origin = |key: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|row| row["key"] == key)
            .map(|row| row["origin"].clone())
            .unwrap()
    };
    assert_eq!(origin("retries"), "project");
    assert_eq!(origin("source"), "env");
    assert_eq!(origin("distro"), "file");
    // Outside the project the user's file applies.
    assert_eq!(t.dvm(["config", "get", "retries"]).stdout, "5\n");

    // `set --project` edits the nearest project file, keeping its other keys.
    t.dvm_in(&deep, ["config", "set", "--project", "retries", "2"])
        .success();
    assert_eq!(t.dvm_in(&deep, ["config", "get", "retries"]).stdout, "2\n");
    assert_eq!(t.dvm_in(&deep, ["config", "get", "source"]).stdout, "rpm\n");
    assert!(!deep.join(".dvm.toml").exists());
    // `unset --project` edits an existing file and never creates one.
    t.dvm(["config", "unset", "--project", "retries"])
        .failure(3)
        .stderr_has("no .dvm.toml in");
    assert!(!t.cwd.join(".dvm.toml").exists());

    // A broken project file is an error that names it, wherever below it dvm runs.
    std::fs::write(project.join(".dvm.toml"), "retries = \"lots\"\n").unwrap();
    t.dvm_in(&deep, ["config", "list"])
        .failure(8)
        .stderr_has(&file)
        .stderr_has("retries = 'lots' is not a whole number");
    std::fs::write(project.join(".dvm.toml"), b"\xff\xfe\x00garbage").unwrap();
    t.dvm_in(&deep, ["config", "list"])
        .failure(8)
        .stderr_has(&format!("{file} is not UTF-8 text"));

    // A project file arrives with `git clone`: a huge one is refused without reading it all,
    // and a long value is quoted short.
    std::fs::write(project.join(".dvm.toml"), "a".repeat(200_000)).unwrap();
    let run = t.dvm_in(&deep, ["config", "list"]);
    run.failure(8).stderr_has("is larger than 64 KiB");
    assert!(run.stderr.len() < 1_000, "{}", run.stderr.len());
    std::fs::write(
        project.join(".dvm.toml"),
        format!("mirror = \"{}\"\n", "b".repeat(50_000)),
    )
    .unwrap();
    let run = t.dvm_in(&deep, ["config", "list"]);
    run.failure(8).stderr_has("is not an http(s) URL");
    assert!(run.stderr.len() < 1_000, "{}", run.stderr.len());
    std::fs::write(project.join(".dvm.toml"), "retries = [1, 2\n").unwrap();
    t.dvm_in(&deep, ["config", "list"])
        .failure(8)
        .stderr_has("is not valid TOML (line 1)");

    // `dvm doctor` reports a project file that wants to choose download hosts untrusted.
    std::fs::write(
        project.join(".dvm.toml"),
        "mirror = \"https://mirror.example\"\n",
    )
    .unwrap();
    let run = t.dvm_in(&deep, ["doctor", "--json"]);
    run.failure(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let config = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "config")
        .unwrap();
    assert_eq!(config["ok"], false);
    assert_eq!(
        config["fix"],
        format!("read the file; if you trust it, run: dvm config trust {file}")
    );
}

#[test]
fn install_from_a_folder_or_a_damaged_file_says_so() {
    let t = TestEnv::new();
    t.dvm(["install", "--from", t.cwd.to_str().unwrap()])
        .failure(2)
        .stderr_has("is a folder, not an archive");
    let damaged = t.file("docker-1.12.6.tgz", b"\x1f\x8b\x08\x00garbage");
    let run = t.dvm(["install", "--from", damaged.to_str().unwrap()]);
    run.failure(6).stderr_has("get a fresh copy");
    assert!(!run.stderr.contains("cache"), "{}", run.stderr);
    assert!(t.installed().is_empty());
}

#[test]
fn a_deleted_working_folder_gives_the_shims_answer() {
    let t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["use", "--global", "1.12.6"]).success();
    std::fs::create_dir(t.cwd.join("gone")).unwrap();
    // Enter the folder, delete it, then run dvm and the shim from there.
    let like_dvm = t.dvm_cmd(["current"]);
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.env_clear()
        .current_dir(&t.cwd)
        .arg("-c")
        .arg("cd gone && rmdir ../gone && \"$0\" current && \"$0\" ls && docker --version");
    cmd.arg(env::dvm_exe());
    for (key, value) in like_dvm.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    let default_file = t.home.join("default").display().to_string();
    assert_eq!(
        lines,
        [
            format!("1.12.6 (the global default ({default_file}))").as_str(),
            "* 1.12.6  (default)",
            FIXTURE_OUTPUT
        ],
        "{stdout}"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let t = TestEnv::new();
    t.dvm(["install", "1..2"])
        .failure(2)
        .stderr_has("'1..2' is not a Docker version");
    let long = "9".repeat(10_000);
    t.dvm(["use", "--global", &long])
        .failure(2)
        .stderr_has("too long");
    t.dvm(["install"]).failure(2);
}

/// The rc lines setup writes: TestEnv's PATH has no dvm, so they name it by its path.
fn bash_line() -> String {
    format!("eval \"$('{}' init bash)\"", env::dvm_exe().display())
}
fn zsh_line() -> String {
    format!("eval \"$('{}' init zsh)\"", env::dvm_exe().display())
}
fn fish_line() -> String {
    format!("'{}' init fish | source", env::dvm_exe().display())
}

/// How many times `file` holds `line` (0 when the file does not exist).
fn lines_in(file: &std::path::Path, line: &str) -> usize {
    std::fs::read_to_string(file)
        .map(|text| text.lines().filter(|l| l.trim() == line).count())
        .unwrap_or(0)
}

#[test]
fn setup_adds_the_integration_once_and_only_with_consent() {
    let mut t = TestEnv::new();
    t.env("SHELL", "/bin/bash");
    let bashrc = t.user_home.join(".bashrc");
    // No terminal to ask on and no --yes: nothing changes.
    t.dvm(["setup"]).failure(2).stderr_has("--yes");
    assert!(!bashrc.exists());

    t.dvm(["setup", "--no-modify-path"])
        .success()
        .stdout_has(&bash_line());
    assert!(!bashrc.exists());
    assert!(t.home.join("shims/docker").is_file());

    t.dvm(["setup", "--yes"]).success();
    t.dvm(["setup", "--yes"])
        .success()
        .stderr_has("nothing to change");
    assert_eq!(lines_in(&bashrc, &bash_line()), 1);
}

#[test]
fn setup_creates_no_rc_file_for_a_shell_the_user_does_not_use() {
    let mut t = TestEnv::new();
    t.env("SHELL", "/usr/bin/bash");
    t.dvm(["setup", "--yes"]).success();
    assert_eq!(lines_in(&t.user_home.join(".bashrc"), &bash_line()), 1);
    assert!(!t.user_home.join(".zshrc").exists());
    assert!(!t.user_home.join(".config").exists());

    // fish has run here (its config folder exists): it is in use too.
    std::fs::create_dir_all(t.user_home.join(".config/fish")).unwrap();
    t.dvm(["setup", "--yes"]).success();
    let config_fish = t.user_home.join(".config/fish/config.fish");
    assert_eq!(lines_in(&config_fish, &fish_line()), 1);
    assert!(!t.user_home.join(".zshrc").exists());

    // Without SHELL and without rc files, setup only says what to add.
    let t = TestEnv::new();
    t.dvm(["setup", "--yes"])
        .success()
        .stdout_has(&bash_line())
        .stdout_has(&fish_line());
    assert_eq!(std::fs::read_dir(&t.user_home).unwrap().count(), 0);
}

#[test]
fn setup_configures_every_shell_with_an_rc_file_and_the_login_shell() {
    let mut t = TestEnv::new();
    t.env("SHELL", "/usr/bin/fish");
    std::fs::write(t.user_home.join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    std::fs::write(t.user_home.join(".zshrc"), "setopt autocd\n").unwrap();
    t.dvm(["setup", "--yes"]).success();
    t.dvm(["setup", "--yes"])
        .success()
        .stderr_has("nothing to change");
    // fish is the login shell: its config file and folders are created.
    let config_fish = t.user_home.join(".config/fish/config.fish");
    assert_eq!(lines_in(&config_fish, &fish_line()), 1);
    let bashrc = std::fs::read_to_string(t.user_home.join(".bashrc")).unwrap();
    assert!(bashrc.starts_with("alias ll='ls -l'\n"), "{bashrc}");
    assert_eq!(lines_in(&t.user_home.join(".bashrc"), &bash_line()), 1);
    assert_eq!(lines_in(&t.user_home.join(".zshrc"), &zsh_line()), 1);
}

#[test]
fn setup_finds_zshrc_under_zdotdir() {
    let mut t = TestEnv::new();
    let zdotdir = t.user_home.join("zsh config");
    t.env("SHELL", "/bin/zsh")
        .env("ZDOTDIR", zdotdir.display().to_string());
    t.dvm(["setup", "--no-modify-path"])
        .success()
        .stdout_has(&format!(
            "{}: {}",
            zdotdir.join(".zshrc").display(),
            zsh_line()
        ));
    t.dvm(["setup", "--yes"]).success();
    assert_eq!(lines_in(&zdotdir.join(".zshrc"), &zsh_line()), 1);
    assert!(!t.user_home.join(".zshrc").exists());

    // An existing .zshrc under ZDOTDIR counts when zsh is not the login shell.
    let mut t = TestEnv::new();
    let zdotdir = t.user_home.join("zdot");
    std::fs::create_dir_all(&zdotdir).unwrap();
    std::fs::write(zdotdir.join(".zshrc"), "").unwrap();
    t.env("SHELL", "/bin/bash")
        .env("ZDOTDIR", zdotdir.display().to_string());
    t.dvm(["setup", "--yes"]).success();
    assert_eq!(lines_in(&zdotdir.join(".zshrc"), &zsh_line()), 1);
    assert_eq!(lines_in(&t.user_home.join(".bashrc"), &bash_line()), 1);
    assert!(!t.user_home.join(".zshrc").exists());
}

#[test]
fn setup_finds_fish_config_under_xdg_config_home() {
    let mut t = TestEnv::new();
    let xdg = t.user_home.join("xdg");
    t.env("SHELL", "/usr/local/bin/fish")
        .env("XDG_CONFIG_HOME", xdg.display().to_string());
    t.dvm(["setup", "--yes"]).success();
    assert_eq!(lines_in(&xdg.join("fish/config.fish"), &fish_line()), 1);
    assert!(!t.user_home.join(".config").exists());
    assert!(!t.user_home.join(".bashrc").exists());

    // A line an earlier dvm put in conf.d counts: fish does not load dvm twice.
    let mut t = TestEnv::new();
    let conf_d = t.user_home.join(".config/fish/conf.d");
    std::fs::create_dir_all(&conf_d).unwrap();
    let completion = format!("'{}' completions fish | source", env::dvm_exe().display());
    std::fs::write(
        conf_d.join("dvm.fish"),
        format!("{}\n{completion}\n", fish_line()),
    )
    .unwrap();
    t.env("SHELL", "/usr/bin/fish");
    t.dvm(["setup", "--yes"])
        .success()
        .stderr_has("nothing to change");
    assert!(!t.user_home.join(".config/fish/config.fish").exists());
}

#[test]
fn doctor_reports_each_problem_with_its_fix() {
    let mut t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["use", "--global", "1.12.6"]).success();
    // TestEnv puts the shims first on PATH: healthy.
    t.dvm(["doctor"]).success().stdout_has("ok   path");

    std::fs::write(
        t.home.join("versions/1.12.6/docker"),
        "#!/bin/sh\necho changed\n",
    )
    .unwrap();
    t.env("PATH", "/usr/bin:/bin");
    let run = t.dvm(["doctor", "--json"]);
    run.failure(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["healthy"], false);
    let failed: Vec<(&str, &str)> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| (c["name"].as_str().unwrap(), c["fix"].as_str().unwrap()))
        .collect();
    // Installed from a file: the fix reinstalls from that file.
    let reinstall = format!(
        "dvm install --force --from {} --as 1.12.6",
        fixture_rpm("gz").display()
    );
    assert!(
        failed.contains(&("store", reinstall.as_str())),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|(name, fix)| *name == "path" && fix.contains("dvm init")),
        "{failed:?}"
    );
    t.dvm(["verify"])
        .failure(5)
        .stdout_has(&format!("reinstall: {reinstall}"));
}

#[test]
fn doctor_says_what_a_bare_docker_runs_and_finds_writable_clients() {
    use std::os::unix::fs::PermissionsExt;
    let mut t = TestEnv::new();
    install_fixture(&t, "gz");
    t.dvm(["use", "--global", "1.12.6"]).success();
    // Another docker ahead of the shims.
    let other = t.cwd.join("other-bin");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("docker"), "#!/bin/sh\n").unwrap();
    t.env("PATH", format!("{}:{}", other.display(), t.path_var()));
    let run = t.dvm(["doctor"]);
    run.failure(1).stdout_has(&format!(
        "a bare `docker` runs {}, not dvm's shim; through the shim, docker runs {}",
        other.join("docker").display(),
        t.home.join("versions/1.12.6/docker").display()
    ));
    t.env("PATH", t.path_var());

    // A client or version folder others may write to is a problem, with its fix.
    let client = t.home.join("versions/1.12.6/docker");
    let versions = t.home.join("versions");
    std::fs::set_permissions(&client, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&versions, std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = t.dvm(["doctor"]);
    run.failure(1)
        .stdout_has(&format!("fix: chmod go-w {}", client.display()))
        .stdout_has(&format!("fix: chmod go-w {}", versions.display()));

    // Commands that place the shim warn about the shims folder.
    let shims = t.home.join("shims");
    std::fs::set_permissions(&shims, std::fs::Permissions::from_mode(0o777)).unwrap();
    t.dvm(["use", "--global", "1.12.6"])
        .success()
        .stderr_has(&format!(
            "dvm: warning: {} is writable by other users",
            shims.display()
        ));
    for path in [&client, &versions, &shims] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    t.dvm(["doctor"]).success();
}

/// `dvm install --from "$(command -v docker)"` with the shims first on PATH names the shim:
/// installed, it would exec itself on every `docker`.
#[test]
fn the_shim_is_refused_as_a_client() {
    let t = TestEnv::new();
    let shim = crate::support::shim::shim_exe().display().to_string();
    t.dvm(["install", "--from", &shim, "--as", "20.10.5"])
        .failure(6)
        .stderr_has("is dvm's own `docker` shim, not a Docker client")
        .stderr_has("hint: install a real client");
    assert!(t.installed().is_empty());
}
