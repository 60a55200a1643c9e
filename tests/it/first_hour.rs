//! "A new user's first hour": `install`/`use` with no version follow the version file, reserved
//! and hostile alias names, `config get|list` with defaults, and what `uninstall` leaves behind.

use crate::support::env;

use env::{TestEnv, fixture_rpm};

fn install_fixture(t: &TestEnv) {
    t.dvm(["install", "--from", fixture_rpm("gz").to_str().unwrap()])
        .success()
        .stderr_has("installed docker 1.12.6");
}

#[allow(dead_code)]
fn install_fixture_as(t: &TestEnv, version: &str) {
    t.dvm([
        "install",
        "--from",
        fixture_rpm("gz").to_str().unwrap(),
        "--as",
        version,
    ])
    .success();
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
            assert!(target.is_file(), "`dvm {args:?}` removed {}", target.display());
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
