//! The shim that `dvm install` places at `<home>/shims/docker`, on PATHs that lead back to it:
//! nothing to run is a clear exit 127, and no chain of shims, links or wrappers loops.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::common::*;
use crate::support::env::{Run, TestEnv};

/// Long enough for any honest run on a loaded machine; only a loop gets near it.
const HANG_LIMIT: Duration = Duration::from_secs(10);
const NOTHING_TO_RUN: i32 = 127;

/// A home with a version installed (so the shim is placed) but none selected.
fn home_with_shim() -> TestEnv {
    let t = TestEnv::new();
    install_local(&t, "1.13.1");
    assert!(t.home.join("shims/docker").is_file());
    t
}

fn dir(t: &TestEnv, name: &str) -> PathBuf {
    let d = t.files.join(name);
    fs::create_dir_all(&d).unwrap();
    d
}

fn path_of(dirs: &[&Path]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// `docker --version` through PATH, with a watchdog; `home` is `DVM_HOME` (or unset).
fn docker(t: &TestEnv, cwd: &Path, path_var: &str, home: Option<&Path>) -> Run {
    let mut cmd: Command = shim_command(t, cwd, path_var, &["--version"]);
    match home {
        Some(h) => cmd.env("DVM_HOME", h),
        None => cmd.env_remove("DVM_HOME"),
    };
    run_with_watchdog(cmd, HANG_LIMIT).expect("docker through the shim hung (a loop?)")
}

#[track_caller]
fn assert_nothing_to_run(run: &Run, needle: &str) {
    assert_eq!(run.code, NOTHING_TO_RUN, "{run:?}");
    assert!(run.stdout.is_empty(), "something ran: {run:?}");
    assert!(
        run.stderr.starts_with("dvm: ") && run.stderr.contains(needle),
        "stderr lacks {needle:?}: {}",
        run.stderr
    );
}

#[test]
fn no_version_and_no_system_docker_is_127() {
    let t = home_with_shim();
    let empty = dir(&t, "empty-bin");
    let shims = t.home.join("shims");
    for home in [Some(t.home.as_path()), None] {
        let run = docker(&t, &t.cwd, &path_of(&[&shims, &empty]), home);
        assert_nothing_to_run(&run, "no system docker was found");
    }
    // A selected version that is not installed says so, and does not fall through.
    let project = project(&t, "p");
    fs::write(project.join(".docker-version"), "1.12.6\n").unwrap();
    let run = docker(&t, &project, &path_of(&[&shims, &empty]), Some(&t.home));
    assert_nothing_to_run(&run, "is not installed");
}

#[test]
fn a_docker_on_path_that_links_to_the_shim_is_not_a_system_docker() {
    let t = home_with_shim();
    let shim = t.home.join("shims/docker");
    let shims = t.home.join("shims");
    let empty = dir(&t, "empty-bin");
    let linked = dir(&t, "linked-bin");
    symlink(&shim, linked.join("docker")).unwrap();
    // A link to the link, and a hard link: still the shim.
    let chained = dir(&t, "chained-bin");
    symlink(linked.join("docker"), chained.join("docker")).unwrap();
    let hard = dir(&t, "hard-bin");
    fs::hard_link(&shim, hard.join("docker")).unwrap();
    // A link that points at itself.
    let looping = dir(&t, "looping-bin");
    symlink(looping.join("docker"), looping.join("docker")).unwrap();
    // A relative PATH entry that finds a link in the working folder.
    symlink(&shim, t.cwd.join("docker")).unwrap();
    let dot = Path::new(".");

    for (what, path) in [
        ("link after", path_of(&[&shims, &linked, &empty])),
        ("link before", path_of(&[&linked, &shims, &empty])),
        ("link to link", path_of(&[&chained, &shims, &empty])),
        ("hard link", path_of(&[&shims, &hard, &empty])),
        ("self-loop link", path_of(&[&shims, &looping, &empty])),
        ("dot entry", path_of(&[&shims, dot, &empty])),
        ("shims twice", path_of(&[&shims, &shims, &empty])),
    ] {
        for home in [Some(t.home.as_path()), None] {
            let run = docker(&t, &t.cwd, &path, home);
            assert_eq!(
                run.code, NOTHING_TO_RUN,
                "{what} (DVM_HOME {home:?}): {run:?}"
            );
            assert!(run.stdout.is_empty(), "{what}: {run:?}");
            assert!(run.stderr.starts_with("dvm: "), "{what}: {run:?}");
        }
    }
}

#[test]
fn a_second_dvm_homes_shim_further_on_path_does_not_loop() {
    let first = home_with_shim();
    let second = home_with_shim();
    let empty = dir(&first, "empty-bin");
    let path = path_of(&[
        &first.home.join("shims"),
        &second.home.join("shims"),
        &empty,
    ]);
    // Each shim finds its own home from its own path: the first hands over to the second,
    // which has nothing either and stops instead of handing over again.
    let run = docker(&first, &first.cwd, &path, None);
    assert_nothing_to_run(&run, "stopped a loop");
    // Both told to use the first home: same.
    let run = docker(&first, &first.cwd, &path, Some(&first.home));
    assert_nothing_to_run(&run, "stopped a loop");

    // When the second home does select a version, handing over to it is what the user asked
    // for: its client runs (and is not mistaken for a loop).
    second.dvm(["use", "--global", "1.13.1"]).success();
    let run = docker(&first, &first.cwd, &path, None);
    assert!(ran_whole_client(&run, "1.13.1"), "{run:?}");
}

#[test]
fn the_recursion_guard_stops_wrapper_chains() {
    let t = home_with_shim();
    let shims = t.home.join("shims");
    let empty = dir(&t, "empty-bin");
    // A wrapper that calls `docker` again through PATH, as some corporate setups do, and one
    // that calls the shim by its full path.
    let wrapper = dir(&t, "wrapper-bin");
    write_program(
        &wrapper.join("docker"),
        &format!(
            "#!/bin/sh\nPATH={}\nexport PATH\nexec docker \"$@\"\n",
            path_of(&[&shims, &empty])
        ),
    );
    let direct = dir(&t, "direct-bin");
    write_program(
        &direct.join("docker"),
        &format!(
            "#!/bin/sh\nexec {} \"$@\"\n",
            shims.join("docker").display()
        ),
    );
    let mut chains = 0;
    for bin in [&wrapper, &direct] {
        for home in [Some(t.home.as_path()), None] {
            let run = docker(&t, &t.cwd, &path_of(&[&shims, bin, &empty]), home);
            assert_nothing_to_run(&run, "stopped a loop");
            chains += 1;
        }
    }
    // Ten wrappers deep, each handing to the next on PATH and the last back to the shim.
    let mut dirs = vec![shims.clone()];
    for i in 0..10 {
        let d = dir(&t, &format!("hop{i}"));
        write_program(
            &d.join("docker"),
            &format!(
                "#!/bin/sh\nexec {} \"$@\"\n",
                if i == 9 {
                    shims.join("docker")
                } else {
                    t.files.join(format!("hop{}", i + 1)).join("docker")
                }
                .display()
            ),
        );
        dirs.push(d);
    }
    dirs.push(empty.clone());
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let run = docker(&t, &t.cwd, &path_of(&refs), Some(&t.home));
    assert_nothing_to_run(&run, "stopped a loop");
    chains += 1;
    if long_tests() {
        println!("reliability: {chains} shim chains stopped");
    }
}
