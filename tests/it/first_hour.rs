//! "A new user's first hour": `install`/`use` with no version follow the version file, reserved
//! and hostile alias names, `config get|list` with defaults, and what `uninstall` leaves behind.

use crate::support::env;

use env::{TestEnv, fixture_rpm};

fn install_fixture(t: &TestEnv) {
    t.dvm(["install", "--from", fixture_rpm("gz").to_str().unwrap()])
        .success()
        .stderr_has("installed docker 1.12.6");
}

// ---------------------------------------------------------------------------------------------
// 5. Reserved and hostile alias names

#[test]
fn alias_refuses_reserved_names_and_names_that_read_as_versions() {
    let t = TestEnv::new();
    install_fixture(&t);
    t.dvm(["alias", "default", "1.12.6"])
        .failure(2)
        .stderr_has("'default' cannot be an alias name")
        .stderr_has("hint: to set the global default: dvm use --global");
    t.dvm(["alias", "system", "1.12.6"])
        .failure(2)
        .stderr_has("'system' cannot be an alias name")
        .stderr_has("hint: ");
    for name in ["v20.10", "v1", "latest", "stable"] {
        t.dvm(["alias", name, "1.12.6"])
            .failure(2)
            .stderr_has(&format!("'{name}' cannot be an alias name"))
            .stderr_has("hint: pick ");
    }
    t.dvm(["aliases"]).success();
    assert!(!t.home.join("aliases/default").exists());
    assert!(!t.home.join("aliases/v20.10").exists());
    // A plain name still works.
    t.dvm(["alias", "work", "1.12.6"]).success();
    t.dvm(["aliases"]).success().stdout_has("work -> 1.12.6");
}

#[test]
fn unalias_refuses_paths_and_deletes_nothing_outside_the_aliases_folder() {
    let t = TestEnv::new();
    install_fixture(&t);
    t.dvm(["use", "--global", "1.12.6"]).success();
    // The aliases folder exists, so `aliases/../x` would resolve.
    t.dvm(["alias", "work", "1.12.6"]).success();
    let outside = t.file("precious.txt", b"keep me\n");
    let hostile = [
        (outside.display().to_string(), outside.clone()),
        ("../default".to_string(), t.home.join("default")),
        (
            "../versions/1.12.6/docker".to_string(),
            t.home.join("versions/1.12.6/docker"),
        ),
    ];
    for (name, target) in &hostile {
        assert!(target.is_file(), "{} exists before", target.display());
        for extra in [&[][..], &["--force"][..]] {
            let mut args = vec!["unalias"];
            args.extend_from_slice(extra);
            args.push(name);
            t.dvm(&args)
                .failure(2)
                .stderr_has("cannot be an alias name")
                .stderr_has("hint: ");
            assert!(
                target.is_file(),
                "`dvm {args:?}` removed {}",
                target.display()
            );
        }
    }
    t.dvm(["unalias", "default"])
        .failure(2)
        .stderr_has("hint: to set the global default");
    assert!(t.home.join("default").is_file());
    assert!(t.home.join("aliases/work").is_file());
    t.dvm(["unalias", "work"]).success();
    t.dvm(["unalias", "work"])
        .failure(3)
        .stderr_has("hint: see the aliases with `dvm aliases`");
}

#[test]
fn an_alias_named_default_left_by_an_older_dvm_gets_a_way_out() {
    let t = TestEnv::new();
    std::fs::create_dir_all(t.home.join("aliases")).unwrap();
    std::fs::write(t.home.join("aliases/default"), "1.12.6\n").unwrap();
    t.dvm(["unalias", "default"])
        .failure(2)
        .stderr_has(&format!(
            "hint: default was made by an older dvm; remove it with: rm {}",
            t.home.join("aliases/default").display()
        ));
    assert!(t.home.join("aliases/default").is_file());
}

// ---------------------------------------------------------------------------------------------
// 4. `dvm install` and `dvm use` with no version

/// A hermetic env whose network is unreachable: a test that reached for it fails, not hangs.
fn offline_env() -> TestEnv {
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", "http://127.0.0.1:9");
    t
}

#[test]
fn use_with_no_version_follows_the_version_file_like_use_v() {
    let mut t = offline_env();
    install_fixture(&t);
    t.install_fixture_as("20.10.24");
    std::fs::write(t.cwd.join(".docker-version"), "1.12\n").unwrap();
    let deep = t.nested(&t.cwd, 3);
    let named = t.dvm_in(&deep, ["use", "1.12", "--shell-eval", "bash"]);
    named.success();
    // Even after `dvm use` chose something else in this shell: the folder's version again.
    t.env("DVM_DOCKER_VERSION", "20.10.24");
    let bare = t.dvm_in(&deep, ["use", "--shell-eval", "bash"]);
    bare.success()
        .stderr_has(&format!(
            "docker 1.12 (from {})",
            t.cwd.join(".docker-version").display()
        ))
        .stderr_has("now using docker 1.12.6 in this shell");
    assert_eq!(bare.stdout, named.stdout);
    assert_eq!(bare.stdout.trim(), "export DVM_DOCKER_VERSION='1.12'");
    // Without the shell integration it says what `dvm use 1.12` says.
    t.dvm_in(&deep, ["use"])
        .failure(2)
        .stderr_has("needs dvm's shell integration");
    // A version file naming a version that is not installed: the install hint.
    std::fs::write(t.cwd.join(".docker-version"), "19.03.15\n").unwrap();
    t.dvm_in(&deep, ["use", "--shell-eval", "bash"])
        .failure(3)
        .stderr_has("hint: install it first: dvm install 19.03.15");
    // `--global` with no version is refused rather than guessed.
    t.dvm(["use", "--global"])
        .failure(2)
        .stderr_has("hint: for example: dvm use --global 20.10");
}

#[test]
fn use_and_install_with_no_version_fall_back_to_the_default_then_refuse() {
    let t = offline_env();
    for (command, args) in [
        ("use", &["use", "--shell-eval", "bash"][..]),
        ("install", &["install"][..]),
    ] {
        t.dvm(args)
            .failure(2)
            .stderr_has("no version given, and no .docker-version in")
            .stderr_has(&format!(
                "hint: pin this folder with `dvm local VERSION`, or name one: dvm {command} VERSION"
            ));
    }
    install_fixture(&t);
    t.dvm(["use", "--global", "1.12.6"]).success();
    let default_file = t.home.join("default");
    t.dvm(["use", "--shell-eval", "bash"])
        .success()
        .stdout_has("export DVM_DOCKER_VERSION='1.12.6'")
        .stderr_has(&format!("the global default ({})", default_file.display()));
    t.dvm(["install"])
        .success()
        .stderr_has("docker 1.12.6 is already installed");
}

#[test]
fn install_with_no_version_takes_the_version_file_here() {
    let mut t = offline_env();
    install_fixture(&t);
    std::fs::write(t.cwd.join(".dockerversion"), "1.12.6\n").unwrap();
    let deep = t.nested(&t.cwd, 2);
    t.env("DVM_DOCKER_VERSION", "20.10");
    t.dvm_in(&deep, ["install"])
        .success()
        .stderr_has(&format!(
            "docker 1.12.6 (from {})",
            t.cwd.join(".dockerversion").display()
        ))
        .stderr_has("docker 1.12.6 is already installed")
        .stderr_has("dvm: note: this shell selects 20.10 (DVM_DOCKER_VERSION)");
    std::fs::write(t.cwd.join(".dockerversion"), "system\n").unwrap();
    t.dvm_in(&deep, ["install"])
        .failure(2)
        .stderr_has("dvm does not install it")
        .stderr_has("hint: ");
    std::fs::write(t.cwd.join(".dockerversion"), "not a version\n").unwrap();
    t.dvm_in(&deep, ["install"])
        .failure(2)
        .stderr_has(".dockerversion:1")
        .stderr_has("hint: ");
}

#[test]
fn install_with_no_version_downloads_what_the_version_file_names() {
    let r = crate::support::replica::Replica::docker();
    let t = crate::remote::env_for(&r);
    std::fs::write(t.cwd.join(".docker-version"), "17.03.0-ce\n").unwrap();
    t.dvm(["install"])
        .success()
        .stderr_has("installed docker 17.03.0-ce");
    assert_eq!(t.installed(), ["17.03.0-ce"]);
    let run = t.docker_in(&t.cwd, ["--version"]);
    run.success();
}

// ---------------------------------------------------------------------------------------------
// 9. `dvm config get|list` show defaults and where each value comes from

#[test]
fn config_get_prints_the_effective_value_on_stdout_and_its_origin_on_stderr() {
    let mut t = TestEnv::new();
    for (key, value) in [
        ("retries", "3"),
        ("connect_timeout", "15"),
        ("stall_timeout", "60"),
        ("listing_ttl", "86400"),
        ("auto_install", "false"),
        ("require_verification", "any"),
    ] {
        let run = t.dvm(["config", "get", key]);
        run.success()
            .stderr_has(&format!("{key} = {value} (default)"));
        assert_eq!(run.stdout, format!("{value}\n"), "{key}");
    }
    // --quiet leaves only the value.
    let run = t.dvm(["--quiet", "config", "get", "retries"]);
    run.success();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("3\n", ""));
    // A key with no value by default: nothing on stdout, exit 1, what holds instead on stderr.
    let run = t.dvm(["config", "get", "mirror"]);
    run.failure(1)
        .stderr_has("mirror is not set (default: none: the official hosts)");
    assert_eq!(run.stdout, "");
    // Each origin in turn: user file, project file, environment.
    t.dvm(["config", "set", "retries", "5"]).success();
    let run = t.dvm(["config", "get", "retries"]);
    run.success().stderr_has(&format!(
        "retries = 5 ({})",
        t.home.join("config.toml").display()
    ));
    assert_eq!(run.stdout, "5\n");
    std::fs::write(t.cwd.join(".dvm.toml"), "retries = 1\n").unwrap();
    let run = t.dvm(["config", "get", "retries"]);
    run.success().stderr_has(&format!(
        "retries = 1 ({})",
        t.cwd.join(".dvm.toml").display()
    ));
    assert_eq!(run.stdout, "1\n");
    t.env("DVM_RETRIES", "7");
    let run = t.dvm(["config", "get", "retries"]);
    run.success().stderr_has("retries = 7 (from DVM_RETRIES)");
    assert_eq!(run.stdout, "7\n");
    // An unknown key is a usage error that lists the keys.
    t.dvm(["config", "get", "retry"])
        .failure(2)
        .stderr_has("unknown setting 'retry'")
        .stderr_has("hint: the settings are: mirror, legacy_url,")
        .stderr_has("retries");
    t.dvm(["config", "unset", "retry"])
        .failure(2)
        .stderr_has("hint: the settings are:");
}

#[test]
fn config_list_shows_defaults_and_what_holds_for_keys_without_one() {
    let t = TestEnv::new();
    let run = t.dvm(["config", "list"]);
    run.success()
        .stdout_has("retries          = 3 (default)")
        .stdout_has("listing_ttl      = 86400 (default)")
        .stdout_has("auto_install     = false (default)")
        .stdout_has("mirror           = (not set: none: the official hosts)")
        .stdout_has("source           = (not set: automatic:");
    let json: serde_json::Value =
        serde_json::from_str(&t.dvm(["config", "list", "--json"]).stdout).unwrap();
    let row = |key: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|row| row["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(row("retries")["value"], "3");
    assert_eq!(row("retries")["origin"], "default");
    assert_eq!(row("retries")["default"], "3");
    assert_eq!(row("mirror")["value"], serde_json::Value::Null);
    assert_eq!(row("mirror")["origin"], serde_json::Value::Null);
    assert_eq!(row("mirror")["default_help"], "none: the official hosts");
}

// ---------------------------------------------------------------------------------------------
// 12. What `dvm uninstall` leaves behind

#[test]
fn uninstall_warns_about_dangling_aliases_and_the_shell_and_folder_that_pin_it() {
    let mut t = TestEnv::new();
    install_fixture(&t);
    t.install_fixture_as("20.10.24");
    t.dvm(["alias", "legacy", "1.12.6"]).success();
    t.dvm(["alias", "old", "1.12"]).success();
    // Still satisfied by another version after the uninstall: no warning for it.
    t.dvm(["alias", "any", "latest"]).success();
    std::fs::write(t.cwd.join(".docker-version"), "1.12\n").unwrap();
    t.env("DVM_DOCKER_VERSION", "legacy");
    let run = t.dvm(["uninstall", "1.12.6"]);
    run.success()
        .stderr_has("uninstalled docker 1.12.6")
        .stderr_has(
            "dvm: warning: aliases legacy, old now name no installed version (docker 1.12.6 is gone)",
        )
        .stderr_has("dvm: warning: this shell pins docker 1.12.6 (DVM_DOCKER_VERSION=legacy)")
        .stderr_has(&format!(
            "dvm: warning: {} pins docker 1.12.6 (1.12); docker has nothing to run there until \
             you reinstall it (dvm install 1.12.6) or pick another: dvm local VERSION",
            t.cwd.join(".docker-version").display()
        ));
    assert!(!run.stderr.contains(" any"), "{}", run.stderr);
    // Without --force the aliases stay, so the user can still repoint them.
    assert!(t.home.join("aliases/legacy").is_file());
    assert!(t.home.join("aliases/old").is_file());
    assert_eq!(t.installed(), ["20.10.24"]);
}

#[test]
fn uninstall_force_removes_the_dangling_aliases_and_still_guards_the_default() {
    let t = TestEnv::new();
    install_fixture(&t);
    t.install_fixture_as("1.12.5");
    t.dvm(["alias", "legacy", "1.12.6"]).success();
    t.dvm(["alias", "series", "1.12"]).success();
    t.dvm(["use", "--global", "legacy"]).success();
    // The default still needs --force, as before.
    t.dvm(["uninstall", "1.12.6"])
        .failure(2)
        .stderr_has("docker 1.12.6 is the global default")
        .stderr_has("hint: ");
    assert_eq!(t.installed(), ["1.12.5", "1.12.6"]);
    let run = t.dvm(["uninstall", "--force", "1.12.6"]);
    run.success()
        .stderr_has("dvm: note: removed alias legacy, which named docker 1.12.6")
        .stderr_has(&format!(
            "dvm: warning: the global default ({}) pins docker 1.12.6 (legacy)",
            t.home.join("default").display()
        ));
    // `series` (1.12) still finds 1.12.5: kept, and not mentioned.
    assert!(!run.stderr.contains("series"), "{}", run.stderr);
    assert!(!t.home.join("aliases/legacy").exists());
    assert!(t.home.join("aliases/series").is_file());
    assert_eq!(t.installed(), ["1.12.5"]);
    // A folder pin that another version still satisfies: says what it picks now.
    install_fixture(&t);
    std::fs::write(t.cwd.join(".docker-version"), "1.12\n").unwrap();
    t.dvm(["uninstall", "1.12.6"])
        .success()
        .stderr_has(&format!(
            "dvm: warning: {} pins docker 1.12.6 (1.12); it now picks docker 1.12.5",
            t.cwd.join(".docker-version").display()
        ));
}
