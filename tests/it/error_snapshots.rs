//! Whole-output snapshots of the errors users see: for each situation, the exit code and
//! everything dvm printed, with the temporary folders replaced by stable names. Only
//! situations that need no server are here; the network's errors are asserted in `remote`
//! and `reliability`.

use crate::support::env::TestEnv;

/// Runs `args` in a fresh environment prepared by `setup`, and renders the result.
fn outcome(setup: impl FnOnce(&mut TestEnv), args: &[&str]) -> String {
    let mut env = TestEnv::new();
    // Nothing reachable: a test that reached for the network would fail, not hang.
    env.env("DVM_MIRROR", "http://127.0.0.1:9");
    setup(&mut env);
    let run = env.dvm(args);
    // Every error says what to do next.
    if run.stderr.contains("dvm: error:") {
        assert!(run.stderr.contains("\n  hint: "), "{}", run.stderr);
    }
    let text = format!(
        "$ dvm {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    redact(&env, &text)
}

fn redact(env: &TestEnv, text: &str) -> String {
    let mut out = text.to_string();
    for (path, name) in [
        (&env.home, "[DVM_HOME]"),
        (&env.user_home, "[HOME]"),
        (&env.cwd, "[CWD]"),
        (&env.files, "[FILES]"),
    ] {
        out = out.replace(&path.display().to_string(), name);
    }
    out
}

fn none(_: &mut TestEnv) {}

macro_rules! error_snapshot {
    ($name:ident, $setup:expr, [$($arg:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(outcome($setup, &[$($arg),*]));
        }
    };
}

error_snapshot!(a_version_that_does_not_parse, none, ["install", "1.x.y"]);
error_snapshot!(
    use_of_a_version_not_installed,
    none,
    ["use", "1.12.6", "--shell-eval", "bash"]
);
error_snapshot!(which_of_a_version_not_installed, none, ["which", "20.10"]);
error_snapshot!(
    exec_of_a_version_not_installed,
    none,
    ["exec", "1.12.6", "--", "docker"]
);
error_snapshot!(
    uninstall_of_a_version_not_installed,
    none,
    ["uninstall", "1.12.6"]
);
error_snapshot!(uninstall_of_system, none, ["uninstall", "system"]);
error_snapshot!(an_unknown_alias, none, ["use", "--global", "my-alias"]);
error_snapshot!(an_alias_with_a_bad_name, none, ["alias", "../x", "1.12.6"]);
error_snapshot!(an_unknown_source, none, ["ls-remote", "--source", "ftp"]);
error_snapshot!(
    an_unknown_channel,
    none,
    ["ls-remote", "--channel", "nightly"]
);
error_snapshot!(
    a_bad_distro,
    none,
    ["install", "1.12.6", "--distro", "centos"]
);
error_snapshot!(
    a_bad_platform,
    |e: &mut TestEnv| {
        e.env("DVM_PLATFORM", "linux");
    },
    ["install", "1.12.6"]
);
error_snapshot!(
    a_mirror_that_is_not_a_url,
    |e: &mut TestEnv| {
        e.env("DVM_MIRROR", "ftp://mirror");
    },
    ["install", "1.12.6"]
);
error_snapshot!(
    install_from_a_missing_file,
    none,
    ["install", "--from", "nope.rpm"]
);
error_snapshot!(
    install_from_a_folder,
    |e: &mut TestEnv| {
        std::fs::create_dir_all(e.cwd.join("folder")).unwrap();
    },
    ["install", "--from", "folder"]
);
error_snapshot!(
    install_from_a_file_that_is_no_archive,
    |e: &mut TestEnv| {
        std::fs::write(e.cwd.join("docker-1.12.6.tgz"), b"this is not a tarball").unwrap();
    },
    ["install", "--from", "docker-1.12.6.tgz"]
);
error_snapshot!(
    install_from_a_file_with_no_version_in_its_name,
    |e: &mut TestEnv| {
        std::fs::write(e.cwd.join("client"), b"#!/bin/sh\necho hi\n").unwrap();
    },
    ["install", "--from", "client"]
);
error_snapshot!(
    a_garbage_version_file,
    |e: &mut TestEnv| {
        std::fs::write(e.cwd.join(".docker-version"), "not a version at all\n").unwrap();
    },
    ["current"]
);
error_snapshot!(
    a_garbage_config_file,
    |e: &mut TestEnv| {
        let config = e.home.join("config.toml");
        std::fs::write(config, "retries = [\n").unwrap();
    },
    ["config", "list"]
);
error_snapshot!(an_unknown_setting, none, ["config", "get", "colour"]);
error_snapshot!(
    offline_with_nothing_cached,
    |e: &mut TestEnv| {
        e.env("DVM_MIRROR", "https://mirror.example");
    },
    ["install", "20.10", "--offline"]
);
error_snapshot!(
    detect_with_a_bad_docker_host,
    |e: &mut TestEnv| {
        e.env("DOCKER_HOST", "ssh://old-box");
    },
    ["detect", "--print"]
);
error_snapshot!(exec_with_no_command, none, ["exec", "system"]);
