//! The `docker` shim, run as a real program against data folders built by hand, and the shell
//! integration scripts evaluated by real shells (those that are installed).

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::shim::shim_exe;
/// Long enough for any honest run on a loaded machine; only a loop gets near it.
const HANG_LIMIT: Duration = Duration::from_secs(10);

/// A scratch folder next to the shim binary, so the shim can be hardlinked into it. Its name
/// has a space, so every path the shim and the scripts handle needs quoting.
fn scratch() -> TempDir {
    tempfile::Builder::new()
        .prefix("dvm shim ")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("scratch folder")
}

/// Writes a program that something will exec. A write handle held by this process would leak
/// into any child another test thread forks meanwhile and make exec fail with ETXTBSY, so the
/// program is put in place by a separate `install` process; only the staging copy is ours.
fn write_executable(path: &Path, text: &str) {
    let staging = path.with_extension("staging");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&staging, text).unwrap();
    install_program(&staging, path);
    fs::remove_file(staging).unwrap();
}

fn install_program(from: &Path, to: &Path) {
    let status = Command::new("install")
        .arg("-m")
        .arg("755")
        .arg(from)
        .arg(to)
        .status()
        .expect("run install");
    assert!(
        status.success(),
        "install {} {}",
        from.display(),
        to.display()
    );
}

/// A fake docker client: prints its name, each argument and the loop guard, then exits with
/// `FAKE_DOCKER_EXIT`. Only shell builtins, so it runs with any PATH.
fn fake_client(path: &Path, name: &str) {
    write_executable(
        path,
        &format!(
            "#!/bin/sh\n\
             printf 'Docker version %s\\n' '{name}'\n\
             for a in \"$@\"; do printf 'arg[%s]\\n' \"$a\"; done\n\
             printf 'hopped[%s]\\n' \"${{DVM_SHIM_HOPPED-}}\"\n\
             exit \"${{FAKE_DOCKER_EXIT:-0}}\"\n"
        ),
    );
}

/// A dvm data folder with the shim installed as `<data>/shims/docker`.
struct Home {
    data: PathBuf,
}

impl Home {
    fn new(parent: &Path, name: &str) -> Home {
        let data = parent.join(name);
        fs::create_dir_all(data.join("shims")).unwrap();
        // A hardlink, as dvm installs it (and no write handle that could make exec fail).
        fs::hard_link(shim_exe(), data.join("shims/docker")).unwrap();
        Home { data }
    }

    fn shims(&self) -> PathBuf {
        self.data.join("shims")
    }

    fn shim(&self) -> PathBuf {
        self.data.join("shims/docker")
    }

    fn install(&self, version: &str) -> &Self {
        fake_client(
            &self.data.join("versions").join(version).join("docker"),
            version,
        );
        self.write_manifest(version);
        self
    }

    /// Any non-empty `manifest.json`: with the client, it makes the folder an installed
    /// version for the shim (which never parses it).
    fn write_manifest(&self, version: &str) {
        let dir = self.data.join("versions").join(version);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("manifest.json"),
            format!("{{\"version\": \"{version}\"}}\n"),
        )
        .unwrap();
    }

    fn set_default(&self, spec: &str) {
        fs::write(self.data.join("default"), format!("{spec}\n")).unwrap();
    }

    /// The shim with a clean environment: only PATH (just the shims folder) and DVM_HOME.
    fn command(&self, cwd: &Path) -> Command {
        let mut command = Command::new(self.shim());
        command
            .env_clear()
            .env("PATH", self.shims())
            .env("DVM_HOME", &self.data)
            .current_dir(cwd);
        command
    }
}

/// Runs to completion, or fails the test if it is still running after `HANG_LIMIT`.
fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn_retrying(command);
    let deadline = Instant::now() + HANG_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{command:?} still ran after {HANG_LIMIT:?}: it loops or hangs");
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// Another test thread may be between fork and exec while holding a file we just wrote, which
/// makes exec fail with ETXTBSY for a moment.
fn spawn_retrying(command: &mut Command) -> std::process::Child {
    const TEXT_FILE_BUSY: i32 = 26;
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(TEXT_FILE_BUSY) && tries < 50 => {
                tries += 1;
                thread::sleep(Duration::from_millis(20));
            }
            other => return other.expect("spawn"),
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The version the fake client that ran reports, after checking the run succeeded.
fn ran_version(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}, stderr: {}",
        output.status,
        stderr(output)
    );
    stdout(output)
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Docker version "))
        .unwrap_or_else(|| panic!("no client ran: {}", stdout(output)))
        .to_string()
}

fn args_seen(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter_map(|l| l.strip_prefix("arg[")?.strip_suffix(']'))
        .map(str::to_string)
        .collect()
}

fn hopped_seen(output: &Output) -> String {
    stdout(output)
        .lines()
        .find_map(|l| l.strip_prefix("hopped[")?.strip_suffix(']'))
        .unwrap_or_else(|| panic!("client printed no guard line: {}", stdout(output)))
        .to_string()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

#[test]
fn env_var_beats_version_file_beats_global_default() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6")
        .install("17.03.2-ce")
        .install("20.10.25");
    let project = tmp.path().join("project");
    fs::create_dir_all(&project).unwrap();
    home.set_default("20.10.25");
    fs::write(project.join(".docker-version"), "17.03.2-ce\n").unwrap();

    let with_var = run(home.command(&project).env("DVM_DOCKER_VERSION", "1.12.6"));
    assert_eq!(ran_version(&with_var), "1.12.6");
    // Set but empty counts as unset.
    let empty_var = run(home.command(&project).env("DVM_DOCKER_VERSION", ""));
    assert_eq!(ran_version(&empty_var), "17.03.2-ce");
    let from_file = run(&mut home.command(&project));
    assert_eq!(ran_version(&from_file), "17.03.2-ce");
    let from_default = run(&mut home.command(tmp.path()));
    assert_eq!(ran_version(&from_default), "20.10.25");
}

#[test]
fn partial_specs_and_latest_pick_the_newest_installed_release() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    for v in ["20.10.3", "20.10.25", "20.10.7", "19.03.15", "23.0.0-rc.1"] {
        home.install(v);
    }
    for (spec, expected) in [
        ("20.10", "20.10.25"),
        ("20", "20.10.25"),
        ("19.3", "19.03.15"),
        ("latest", "20.10.25"),
        ("v20.10.7", "20.10.7"),
        ("23.0.0-rc.1", "23.0.0-rc.1"),
    ] {
        let out = run(home.command(tmp.path()).env("DVM_DOCKER_VERSION", spec));
        assert_eq!(ran_version(&out), expected, "spec {spec}");
    }
}

#[test]
fn version_file_kinds_and_their_order_within_a_folder() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6")
        .install("17.03.2-ce")
        .install("20.10.25");
    let project = tmp.path().join("project");
    fs::create_dir_all(&project).unwrap();

    fs::write(
        project.join(".tool-versions"),
        "# tools for this project\nnodejs 18.17.0\n\npython 3.11.4 # pinned\ndocker 1.12.6 # old daemon\nterraform 1.5.0\n",
    )
    .unwrap();
    assert_eq!(ran_version(&run(&mut home.command(&project))), "1.12.6");

    fs::write(project.join(".dockerversion"), "17.03.2-ce").unwrap();
    assert_eq!(ran_version(&run(&mut home.command(&project))), "17.03.2-ce");

    fs::write(
        project.join(".docker-version"),
        "# the team's client\n20.10.25\r\n",
    )
    .unwrap();
    assert_eq!(ran_version(&run(&mut home.command(&project))), "20.10.25");

    // A .tool-versions without a docker line does not stop the walk up.
    let sub = project.join("sub");
    fs::create_dir_all(&sub).unwrap();
    fs::write(sub.join(".tool-versions"), "nodejs 20.0.0\n").unwrap();
    assert_eq!(ran_version(&run(&mut home.command(&sub))), "20.10.25");
}

#[test]
fn the_nearest_version_file_wins_from_deep_below() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6").install("20.10.25");
    let project = tmp.path().join("project");
    let deep = (1..=8).fold(project.clone(), |p, i| p.join(format!("level {i}")));
    fs::create_dir_all(&deep).unwrap();
    fs::write(project.join(".docker-version"), "1.12.6\n").unwrap();
    home.set_default("20.10.25");

    assert_eq!(ran_version(&run(&mut home.command(&deep))), "1.12.6");

    // A nearer file in between takes over.
    fs::write(project.join("level 1/level 2/.docker-version"), "20.10").unwrap();
    assert_eq!(ran_version(&run(&mut home.command(&deep))), "20.10.25");
}

#[test]
fn a_missing_version_says_where_it_was_requested_and_how_to_install_it() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("20.10.25");
    let project = tmp.path().join("project");
    fs::create_dir_all(&project).unwrap();
    let file = project.join(".docker-version");
    fs::write(&file, "1.12.6\n").unwrap();

    let out = run(&mut home.command(&project));
    assert_exit(&out, 127);
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!(
            "dvm: docker 1.12.6 is requested by {} but is not installed; run: dvm install 1.12.6\n",
            file.display()
        )
    );

    let out = run(home.command(&project).env("DVM_DOCKER_VERSION", "1.12.6"));
    assert_exit(&out, 127);
    assert_eq!(
        stderr(&out),
        "dvm: docker 1.12.6 is requested by DVM_DOCKER_VERSION but is not installed; run: dvm install 1.12.6\n"
    );

    home.set_default("17.3");
    let out = run(&mut home.command(tmp.path()));
    assert_exit(&out, 127);
    assert_eq!(
        stderr(&out),
        format!(
            "dvm: docker 17.03 is requested by the global default ({}) but is not installed; run: dvm install 17.03\n",
            home.data.join("default").display()
        )
    );

    fs::write(&file, "20.9\n").unwrap();
    let out = run(&mut home.command(&project));
    assert_exit(&out, 127);
    assert_eq!(
        stderr(&out),
        format!(
            "dvm: docker 20.9 is requested by {} but is not installed; run: dvm install 20.9\n",
            file.display()
        )
    );
}

#[test]
fn malformed_version_files_are_reported_by_file_and_line_and_nothing_runs() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6").install("20.10.25");
    let binary: Vec<u8> = (0..=255u8).collect();
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("binary", binary, ":2: is not UTF-8 text"),
        (
            "huge",
            "1".repeat(100 * 1024).into_bytes(),
            ": is larger than 64 KiB",
        ),
        (
            "not utf-8",
            b"# fine\n\xff\xfe1.12.6\n".to_vec(),
            ":2: is not UTF-8 text",
        ),
        (
            "two versions",
            b"1.12.6\n20.10.25\n".to_vec(),
            ":2: holds a second version",
        ),
        (
            "nul byte",
            b"1.12.6\0\n".to_vec(),
            ":1: contains a NUL byte",
        ),
        (
            "garbage",
            b"\n\nlatest-ish!\n".to_vec(),
            ":3: 'latest-ish!' is not a Docker version",
        ),
    ];
    for (name, bytes, expected) in cases {
        let project = tmp.path().join(name);
        fs::create_dir_all(&project).unwrap();
        let file = project.join(".docker-version");
        fs::write(&file, bytes).unwrap();
        let out = run(&mut home.command(&project));
        assert_exit(&out, 2);
        assert_eq!(stdout(&out), "", "{name}: no client may run");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("dvm: {}{expected}", file.display())),
            "{name}: {err}"
        );
    }

    let out = run(home.command(tmp.path()).env("DVM_DOCKER_VERSION", "1..2"));
    assert_exit(&out, 2);
    assert!(stderr(&out).starts_with("dvm: DVM_DOCKER_VERSION: '1..2' is not a Docker version"));
}

#[test]
fn aliases_are_followed_one_level() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6").install("20.10.25");
    fs::create_dir_all(home.data.join("aliases")).unwrap();
    fs::write(home.data.join("aliases/legacy"), "1.12\n").unwrap();
    fs::write(home.data.join("aliases/chained"), "legacy\n").unwrap();

    let out = run(home.command(tmp.path()).env("DVM_DOCKER_VERSION", "legacy"));
    assert_eq!(ran_version(&out), "1.12.6");

    let out = run(home
        .command(tmp.path())
        .env("DVM_DOCKER_VERSION", "chained"));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("names another alias ('legacy')"),
        "{}",
        stderr(&out)
    );

    let out = run(home.command(tmp.path()).env("DVM_DOCKER_VERSION", "nosuch"));
    assert_exit(&out, 127);
    assert!(
        stderr(&out).starts_with(
            "dvm: alias 'nosuch' is requested by DVM_DOCKER_VERSION but does not exist"
        ),
        "{}",
        stderr(&out)
    );

    fs::write(home.data.join("aliases/legacy"), "1.13\n").unwrap();
    let out = run(home.command(tmp.path()).env("DVM_DOCKER_VERSION", "legacy"));
    assert_exit(&out, 127);
    assert_eq!(
        stderr(&out),
        "dvm: docker 1.13 (alias 'legacy') is requested by DVM_DOCKER_VERSION but is not installed; run: dvm install 1.13\n"
    );
}

/// PATH: our shims, a folder with a symlink to our shim, maybe more, then a real docker.
fn system_layout(tmp: &Path, home: &Home) -> (PathBuf, PathBuf) {
    let linked = tmp.join("linked bin");
    fs::create_dir_all(&linked).unwrap();
    symlink(home.shim(), linked.join("docker")).unwrap();
    let system = tmp.join("system bin");
    fake_client(&system.join("docker"), "system");
    (linked, system)
}

fn path_of<I: IntoIterator<Item = P>, P: AsRef<OsStr>>(dirs: I) -> std::ffi::OsString {
    std::env::join_paths(dirs.into_iter().map(|d| PathBuf::from(d.as_ref()))).unwrap()
}

#[test]
fn the_system_docker_further_down_path_runs_with_the_guard_set() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    let (linked, system) = system_layout(tmp.path(), &home);
    let path = path_of([home.shims(), linked, system]);

    let args = ["run", "--name", "two words", "-e", "ÄÖ=✓", "", "*"];
    let out = run(home.command(tmp.path()).env("PATH", &path).args(args));
    assert_eq!(ran_version(&out), "system");
    assert_eq!(args_seen(&out), args);
    assert_eq!(hopped_seen(&out), format!("1:{}", home.shim().display()));

    // `system` asked for explicitly does the same, and the exit code comes through.
    home.install("20.10.25").set_default("20.10.25");
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_DOCKER_VERSION", "system")
        .env("FAKE_DOCKER_EXIT", "42"));
    assert_exit(&out, 42);
    assert!(stdout(&out).starts_with("Docker version system\n"));
}

#[test]
fn no_version_and_no_system_docker_is_a_clear_error() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    let (linked, _) = system_layout(tmp.path(), &home);
    let out = run(home
        .command(tmp.path())
        .env("PATH", path_of([home.shims(), linked])));
    assert_exit(&out, 127);
    assert_eq!(
        stderr(&out),
        "dvm: no docker version is selected and no system docker was found on PATH; \
         run: dvm install <version> && dvm use --global <version>\n"
    );

    let out = run(home
        .command(tmp.path())
        .env("DVM_DOCKER_VERSION", "system")
        .env("PATH", home.shims()));
    assert_exit(&out, 127);
    assert!(
        stderr(&out)
            .starts_with("dvm: the system docker is requested by DVM_DOCKER_VERSION but no docker"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_dvm_installation_on_path_never_loops() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    let (linked, system) = system_layout(tmp.path(), &home);
    // Another installation's shim: a copy, so neither the inode nor the folder is ours.
    let other = tmp.path().join("other home/shims");
    fs::create_dir_all(&other).unwrap();
    install_program(shim_exe(), &other.join("docker"));

    // No system docker at all: a clear error and 127, whichever way the shims find their data.
    // With DVM_HOME the second shim has nowhere to hand over to; without it, the two see each
    // other as a system docker until the guard stops them.
    let path = path_of([home.shims(), linked.clone(), other.clone()]);
    for dvm_home in [true, false] {
        let mut command = home.command(tmp.path());
        command.env("PATH", &path);
        if !dvm_home {
            command.env_remove("DVM_HOME");
        }
        let out = run(&mut command);
        assert_exit(&out, 127);
        assert_eq!(stdout(&out), "");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!(
                "dvm: stopped a loop: the dvm shim {} handed over to a system docker that led \
                 back to a dvm shim",
                home.shim().display()
            )),
            "{err}"
        );
        assert!(
            err.contains("Is a second dvm installation's shims folder on PATH?"),
            "{err}"
        );
        assert!(
            err.contains(&format!("PATH={}", path.to_string_lossy())),
            "{err}"
        );
    }

    // With a real docker further down, sharing DVM_HOME: the second shim passes the call on.
    let path = path_of([home.shims(), linked, other, system]);
    let out = run(home.command(tmp.path()).env("PATH", &path));
    assert_eq!(ran_version(&out), "system");
    assert_eq!(hopped_seen(&out), format!("2:{}", home.shim().display()));
}

#[test]
fn the_guard_blocks_only_system_hand_overs() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6");
    let (_, system) = system_layout(tmp.path(), &home);
    let path = path_of([home.shims(), system]);

    // A managed client runs, and does not inherit the guard.
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_DOCKER_VERSION", "1.12.6")
        .env("DVM_SHIM_HOPPED", "/elsewhere/shims/docker"));
    assert_eq!(ran_version(&out), "1.12.6");
    assert_eq!(hopped_seen(&out), "");

    // A guard that cannot be read, or one at the hop limit, stops the hand-over.
    for guard in ["/elsewhere/shims/docker", "4:/elsewhere/shims/docker"] {
        let out = run(home
            .command(tmp.path())
            .env("PATH", &path)
            .env("DVM_SHIM_HOPPED", guard));
        assert_exit(&out, 127);
        assert!(
            stderr(&out).starts_with(
                "dvm: stopped a loop: the dvm shim /elsewhere/shims/docker handed over"
            ),
            "{}",
            stderr(&out)
        );
    }
    // Below the limit it hands over once more, counting the hop.
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_SHIM_HOPPED", "3:/elsewhere/shims/docker"));
    assert_eq!(ran_version(&out), "system");
    assert_eq!(hopped_seen(&out), "4:/elsewhere/shims/docker");
}

#[test]
fn a_system_docker_may_run_docker_again_but_a_loop_stops() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    let system = tmp.path().join("system bin");
    let path = path_of([home.shims(), system.clone()]);

    // Like a CLI plugin script: `docker outer` runs `docker inner` through PATH, so through
    // the shim again, which hands over to the same system docker.
    write_executable(
        &system.join("docker"),
        "#!/bin/sh
         if [ \"$1\" = outer ]; then exec docker inner; fi
         printf '%s ran, hopped[%s]\\n' \"$1\" \"$DVM_SHIM_HOPPED\"\n",
    );
    let out = run(home.command(tmp.path()).env("PATH", &path).arg("outer"));
    assert_eq!(
        stdout(&out),
        format!("inner ran, hopped[2:{}]\n", home.shim().display())
    );

    // A wrapper that always runs `docker` again would loop forever; it stops after a few hops.
    write_executable(&system.join("docker"), "#!/bin/sh\nexec docker \"$@\"\n");
    let out = run(home.command(tmp.path()).env("PATH", &path).arg("ps"));
    assert_exit(&out, 127);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with(&format!(
            "dvm: stopped a loop: the dvm shim {} handed over",
            home.shim().display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_dvm_home_the_data_folder_is_found_from_the_shim_location() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("20.10.25").set_default("20.10");
    let mut command = home.command(tmp.path());
    command.env_remove("DVM_HOME");
    assert_eq!(ran_version(&run(&mut command)), "20.10.25");

    // Called through a symlink elsewhere, it still finds its own data folder.
    let linked = tmp.path().join("bin");
    fs::create_dir_all(&linked).unwrap();
    symlink(home.shim(), linked.join("docker")).unwrap();
    let out = run(Command::new(linked.join("docker"))
        .env_clear()
        .env("PATH", &linked)
        .current_dir(tmp.path()));
    assert_eq!(ran_version(&out), "20.10.25");
}

#[test]
fn arguments_and_exit_codes_pass_through_unchanged() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    home.install("1.12.6").set_default("1.12.6");
    let args = [
        "run",
        "--rm",
        "-v",
        "/a path/with spaces:/data",
        "alpine",
        "sh",
        "-c",
        "echo \"$HOME\" 'quoted' `tick` $(sub) ; exit 3",
        "ünïcødé ✓ 日本",
        "",
        "--",
        "-h",
    ];
    let out = run(home
        .command(tmp.path())
        .args(args)
        .env("FAKE_DOCKER_EXIT", "0"));
    assert_eq!(ran_version(&out), "1.12.6");
    assert_eq!(args_seen(&out), args);

    for code in [1, 3, 125, 255] {
        let out = run(home
            .command(tmp.path())
            .arg("ps")
            .env("FAKE_DOCKER_EXIT", code.to_string()));
        assert_exit(&out, code);
        assert!(stdout(&out).starts_with("Docker version 1.12.6\n"));
    }
}

/// A fake `dvm` that installs by writing a fake client, and logs to stdout (which the shim must
/// move to stderr).
fn fake_dvm_installer(path: &Path, data: &Path, exit_code: i32) {
    let versions = data.join("versions");
    write_executable(
        path,
        &format!(
            "#!/bin/sh\n\
             echo \"fake dvm: $*\"\n\
             [ \"$1\" = install ] || exit 64\n\
             shift\n\
             if [ \"$1\" = --if-auto-install ]; then\n\
               [ -n \"${{FAKE_CONFIG_AUTO_INSTALL-}}\" ] || exit 1\n\
               shift\n\
             fi\n\
             [ {exit_code} -eq 0 ] || exit {exit_code}\n\
             mkdir -p '{versions}/'\"$1\"\n\
             printf '#!/bin/sh\\necho \"Docker version %s\"\\n' \"$1\" > '{versions}/'\"$1\"/docker\n\
             chmod +x '{versions}/'\"$1\"/docker\n\
             echo '{{}}' > '{versions}/'\"$1\"/manifest.json\n",
            versions = versions.display()
        ),
    );
}

#[test]
fn auto_install_runs_dvm_install_then_the_client() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    let dvm = tmp.path().join("tools/dvm");
    fake_dvm_installer(&dvm, &home.data, 0);
    fs::write(tmp.path().join(".docker-version"), "1.12.6").unwrap();
    // The fake needs mkdir and chmod.
    let path = path_of([
        home.shims(),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ]);

    // Off by default: dvm is asked about its settings (config files), says no, nothing is
    // installed, and the usual error follows.
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_EXE", &dvm));
    assert_exit(&out, 127);
    assert!(!home.data.join("versions/1.12.6").exists());
    assert_eq!(
        stderr(&out),
        "fake dvm: install --if-auto-install 1.12.6\n\
         dvm: docker 1.12.6 is requested by {}/.docker-version but is not installed; run: dvm install 1.12.6\n"
            .replace("{}", &tmp.path().display().to_string())
    );

    // The variable set to off wins over the settings: dvm is not even asked.
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_EXE", &dvm)
        .env("FAKE_CONFIG_AUTO_INSTALL", "1")
        .env("DVM_AUTO_INSTALL", "0"));
    assert_exit(&out, 127);
    assert!(!stderr(&out).contains("fake dvm"), "{}", stderr(&out));

    // The setting on in a config file (the fake's variable stands for it).
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_EXE", &dvm)
        .env("FAKE_CONFIG_AUTO_INSTALL", "1"));
    assert_eq!(stdout(&out), "Docker version 1.12.6\n");
    fs::remove_dir_all(home.data.join("versions/1.12.6")).unwrap();

    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_EXE", &dvm)
        .env("DVM_AUTO_INSTALL", "1"));
    assert_eq!(stdout(&out), "Docker version 1.12.6\n");
    assert!(
        stderr(&out).contains("fake dvm: install 1.12.6"),
        "{}",
        stderr(&out)
    );

    // Found on PATH when DVM_EXE is unset.
    fs::write(tmp.path().join(".docker-version"), "20.10.25").unwrap();
    let path = path_of([
        home.shims(),
        dvm.parent().unwrap().to_path_buf(),
        "/usr/bin".into(),
        "/bin".into(),
    ]);
    let out = run(home
        .command(tmp.path())
        .env("PATH", &path)
        .env("DVM_AUTO_INSTALL", "yes"));
    assert_eq!(ran_version(&out), "20.10.25");
}

#[test]
fn a_failed_auto_install_is_reported() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "home");
    let dvm = tmp.path().join("tools/dvm");
    fake_dvm_installer(&dvm, &home.data, 4);
    let out = run(home
        .command(tmp.path())
        .env("DVM_DOCKER_VERSION", "20.10")
        .env("DVM_EXE", &dvm)
        .env("DVM_AUTO_INSTALL", "true"));
    assert_exit(&out, 127);
    let err = stderr(&out);
    assert!(err.contains("fake dvm: install 20.10"), "{err}");
    assert!(
        err.contains("dvm: could not install docker 20.10 automatically"),
        "{err}"
    );

    let out = run(home
        .command(tmp.path())
        .env("DVM_DOCKER_VERSION", "20.10")
        .env("DVM_AUTO_INSTALL", "on"));
    assert_exit(&out, 127);
    assert!(
        stderr(&out).contains("the dvm program was not found"),
        "{}",
        stderr(&out)
    );
}

// ---- shell integration ----------------------------------------------------------------------

const BASH_INIT: &str = include_str!("../../shims/init/dvm.bash");
const ZSH_INIT: &str = include_str!("../../shims/init/dvm.zsh");
const FISH_INIT: &str = include_str!("../../shims/init/dvm.fish");
const PWSH_INIT: &str = include_str!("../../shims/init/dvm.ps1");

const USE_ON_CD_START: &str = "# >>> dvm use-on-cd >>>";
const USE_ON_CD_END: &str = "# <<< dvm use-on-cd <<<";

/// A fake dvm implementing the `--shell-eval` protocol: `use X` prints the export for SHELL,
/// `current` clears the choice on entering another `.docker-version`'s scope (the use-on-cd
/// hook), `fail` exits 3, anything else is echoed.
const FAKE_DVM: &str = r#"#!/bin/sh
cmd=$1
shell= prev=
for a in "$@"; do
    [ "$prev" = --shell-eval ] && shell=$a
    prev=$a
done
set_line() {
    case $shell in
        fish) printf "set -gx DVM_DOCKER_VERSION '%s'\n" "$1" ;;
        pwsh) printf "\$env:DVM_DOCKER_VERSION = '%s'\n" "$1" ;;
        *) printf "export DVM_DOCKER_VERSION='%s'\n" "$1" ;;
    esac
}
unset_line() {
    case $shell in
        fish) echo "set -e DVM_DOCKER_VERSION" ;;
        pwsh) echo 'Remove-Item Env:DVM_DOCKER_VERSION -ErrorAction SilentlyContinue' ;;
        *) echo "unset DVM_DOCKER_VERSION" ;;
    esac
}
case $cmd in
    use)
        [ -n "$shell" ] || { echo "fake dvm: use without --shell-eval" >&2; exit 2; }
        case $2 in
            --global | --local) echo "fake dvm: $2 $3" >&2; exit 0 ;;
        esac
        echo "Now using docker $2" >&2
        set_line "$2"
        ;;
    current)
        # The use-on-cd protocol: entering another version file's scope clears the choice.
        dir=$PWD found=
        while :; do
            if [ -f "$dir/.docker-version" ]; then found="$dir/.docker-version"; break; fi
            [ "$dir" = / ] && break
            dir=$(dirname "$dir")
        done
        [ "$found" = "${DVM_VERSION_FILE_SEEN-}" ] && exit 0
        if [ -n "$found" ] && [ -n "${DVM_DOCKER_VERSION-}" ]; then unset_line; fi
        case $shell in
            fish) printf "set -gx DVM_VERSION_FILE_SEEN '%s'\n" "$found" ;;
            pwsh) printf "\$env:DVM_VERSION_FILE_SEEN = '%s'\n" "$found" ;;
            *) printf "export DVM_VERSION_FILE_SEEN='%s'\n" "$found" ;;
        esac
        ;;
    fail) echo "fake dvm: failing" >&2; exit 3 ;;
    *) echo "fake dvm ran: $*" ;;
esac
"#;

struct ShellSetup {
    _tmp: TempDir,
    root: PathBuf,
    home: Home,
    init_file: PathBuf,
    init_file_without_cd: PathBuf,
}

impl ShellSetup {
    fn new(script: &str, extension: &str) -> ShellSetup {
        let tmp = scratch();
        let root = tmp.path().to_path_buf();
        let home = Home::new(&root, "dvm home");
        home.install("1.12.6").install("20.10.25").install("23.0.6");
        home.set_default("23.0.6");
        let dvm = root.join("dvm bin/dvm");
        write_executable(&dvm, FAKE_DVM);
        for project in ["project a", "project b", "plain"] {
            fs::create_dir_all(root.join(project)).unwrap();
        }
        fs::write(root.join("project a/.docker-version"), "1.12.6\n").unwrap();
        fs::write(root.join("project b/.docker-version"), "20.10.25\n").unwrap();

        let script = script
            .replace("__DVM_SHIMS__", &home.shims().display().to_string())
            .replace("__DVM_EXE__", &dvm.display().to_string());
        assert!(!script.contains("__DVM_"), "a placeholder is left");
        let init_file = root.join(format!("init.{extension}"));
        fs::write(&init_file, &script).unwrap();
        let init_file_without_cd = root.join(format!("init-no-cd.{extension}"));
        fs::write(&init_file_without_cd, strip_use_on_cd(&script)).unwrap();
        ShellSetup {
            _tmp: tmp,
            root,
            home,
            init_file,
            init_file_without_cd,
        }
    }

    /// A shell with a small, known environment; the shims folder is not on PATH yet.
    fn shell(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &self.root)
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("XDG_DATA_HOME", self.root.join("data"))
            .env("DVM_HOME", &self.home.data)
            .env("TERM", "dumb")
            .current_dir(&self.root);
        command
    }

    fn shims(&self) -> String {
        self.home.shims().display().to_string()
    }
}

/// What `dvm init` does without `--use-on-cd`.
fn strip_use_on_cd(script: &str) -> String {
    let start = script
        .find(USE_ON_CD_START)
        .expect("use-on-cd start marker");
    let end = script.find(USE_ON_CD_END).expect("use-on-cd end marker") + USE_ON_CD_END.len();
    format!(
        "{}{}",
        &script[..start],
        script[end..].trim_start_matches('\n')
    )
}

fn installed(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    if !found {
        println!("skipping: {program} not installed");
    }
    found
}

/// Lines of `marker=value` printed by a shell run.
fn marked(output: &Output, marker: &str) -> Vec<String> {
    let prefix = format!("{marker}=");
    stdout(output)
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .collect()
}

/// The versions of every fake client that ran, in order.
fn versions_run(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter_map(|l| l.strip_prefix("Docker version "))
        .map(str::to_string)
        .collect()
}

fn assert_path_once_and_first(setup: &ShellSetup, path_line: &str, separator: char) {
    let entries: Vec<&str> = path_line.split(separator).collect();
    assert_eq!(
        entries.first().copied(),
        Some(setup.shims().as_str()),
        "PATH={path_line}"
    );
    assert_eq!(
        entries.iter().filter(|e| **e == setup.shims()).count(),
        1,
        "PATH={path_line}"
    );
}

/// The POSIX-like shells share one scenario: evaluate twice, `dvm use`, `use --global`, a
/// failing subcommand and a pass-through subcommand.
fn posix_scenario(setup: &ShellSetup, program: &str, init: &Path) -> Output {
    let init = init.display();
    let script = format!(
        r#"
eval "$(cat '{init}')"
eval "$(cat '{init}')"
echo "path=$PATH"
echo "integration=$DVM_SHELL_INTEGRATION"
cd '{root}/plain'
docker version
dvm use 1.12.6
echo "use=$?"
docker --version
dvm use --global 20.10.25
echo "global=$?"
echo "var=$DVM_DOCKER_VERSION"
dvm fail
echo "fail=$?"
dvm ls-remote --all
"#,
        root = setup.root.display()
    );
    run(setup.shell(program).arg("-c").arg(script))
}

fn check_posix_scenario(setup: &ShellSetup, out: &Output, shell: &str) {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    assert_path_once_and_first(setup, &marked(out, "path")[0], ':');
    assert_eq!(marked(out, "integration"), [shell]);
    assert_eq!(versions_run(out), ["23.0.6", "1.12.6"], "{}", stdout(out));
    assert_eq!(marked(out, "use"), ["0"]);
    assert_eq!(marked(out, "global"), ["0"]);
    assert_eq!(marked(out, "var"), ["1.12.6"]);
    assert_eq!(marked(out, "fail"), ["3"]);
    assert!(stdout(out).contains("fake dvm ran: ls-remote --all\n"));
    assert!(stderr(out).contains("Now using docker 1.12.6"));
}

/// Each `cd` makes the version follow the version files (the shim reads them; the hook keeps
/// no variable in their way); without a file the global default applies.
const CD_SCENARIO: &str = r#"
cd '{root}/project a'
docker --version
cd '{root}/project b'
docker --version
cd '{root}/plain'
docker --version
echo "var=${DVM_DOCKER_VERSION-unset}"
"#;

fn check_cd_scenario(out: &Output) {
    assert_eq!(
        versions_run(out),
        ["1.12.6", "20.10.25", "23.0.6"],
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    assert_eq!(marked(out, "var"), ["unset"]);
}

#[test]
fn bash_integration() {
    if !installed("bash") {
        return;
    }
    let setup = ShellSetup::new(BASH_INIT, "bash");
    for init in [&setup.init_file, &setup.init_file_without_cd] {
        let out = posix_scenario(&setup, "bash", init);
        check_posix_scenario(&setup, &out, "bash");
    }

    // PROMPT_COMMAND only runs in an interactive shell; one reading stdin will do.
    let script = format!(
        "eval \"$(cat '{init}')\"\neval \"$(cat '{init}')\"\necho \"prompt=$PROMPT_COMMAND\"\n{cd}",
        init = setup.init_file.display(),
        cd = CD_SCENARIO.replace("{root}", &setup.root.display().to_string())
    );
    let mut shell = setup.shell("bash");
    shell.args(["--norc", "--noprofile", "-i"]);
    let out = run_with_stdin(&mut shell, &script);
    check_cd_scenario(&out);
    assert_eq!(marked(&out, "prompt"), ["__dvm_use_on_cd"]);
}

fn run_with_stdin(command: &mut Command, input: &str) -> Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), input).unwrap();
    command.stdin(fs::File::open(file.path()).unwrap());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn_retrying(command);
    let deadline = Instant::now() + HANG_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{command:?} still ran after {HANG_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn zsh_integration() {
    if !installed("zsh") {
        return;
    }
    let setup = ShellSetup::new(ZSH_INIT, "zsh");
    for init in [&setup.init_file, &setup.init_file_without_cd] {
        let out = posix_scenario(&setup, "zsh", init);
        check_posix_scenario(&setup, &out, "zsh");
    }

    let script = format!(
        "eval \"$(cat '{init}')\"\n{cd}",
        init = setup.init_file.display(),
        cd = CD_SCENARIO.replace("{root}", &setup.root.display().to_string())
    );
    let out = run(setup.shell("zsh").args(["-f", "-c", &script]));
    check_cd_scenario(&out);
}

#[test]
fn fish_integration() {
    if !installed("fish") {
        return;
    }
    let setup = ShellSetup::new(FISH_INIT, "fish");
    for init in [&setup.init_file, &setup.init_file_without_cd] {
        let script = format!(
            r#"
cat '{init}' | source
cat '{init}' | source
echo "path="(string join : $PATH)
echo "integration=$DVM_SHELL_INTEGRATION"
cd '{root}/plain'
docker version
dvm use 1.12.6
echo "use=$status"
docker --version
dvm use --global 20.10.25
echo "global=$status"
echo "var=$DVM_DOCKER_VERSION"
dvm fail
echo "fail=$status"
dvm ls-remote --all
"#,
            init = init.display(),
            root = setup.root.display()
        );
        let out = run(setup.shell("fish").args(["--no-config", "-c", &script]));
        check_posix_scenario(&setup, &out, "fish");
    }

    let cd = CD_SCENARIO
        .replace("{root}", &setup.root.display().to_string())
        .replace(
            "echo \"var=${DVM_DOCKER_VERSION-unset}\"",
            "set -q DVM_DOCKER_VERSION; and echo \"var=$DVM_DOCKER_VERSION\"; or echo var=unset",
        );
    let script = format!("cat '{}' | source\n{cd}", setup.init_file.display());
    let out = run(setup.shell("fish").args(["--no-config", "-c", &script]));
    check_cd_scenario(&out);
}

#[test]
fn pwsh_integration() {
    if !installed("pwsh") {
        return;
    }
    let setup = ShellSetup::new(PWSH_INIT, "ps1");
    let script = format!(
        r#"
Get-Content -Raw '{init}' | Invoke-Expression
Get-Content -Raw '{init}' | Invoke-Expression
"path=$env:PATH"
"integration=$env:DVM_SHELL_INTEGRATION"
Set-Location '{root}/plain'
docker version
dvm use 1.12.6
"use=$LASTEXITCODE"
docker --version
dvm use --global 20.10.25
"global=$LASTEXITCODE"
"var=$env:DVM_DOCKER_VERSION"
dvm fail
"fail=$LASTEXITCODE"
dvm ls-remote --all
"#,
        init = setup.init_file.display(),
        root = setup.root.display()
    );
    let out = run(setup
        .shell("pwsh")
        .args(["-NoProfile", "-NonInteractive", "-Command", &script]));
    check_posix_scenario(&setup, &out, "pwsh");

    // The hook runs from the prompt, which a script never draws: call the prompt ourselves.
    let script = format!(
        r#"
Get-Content -Raw '{init}' | Invoke-Expression
foreach ($dir in 'project a', 'project b', 'plain') {{
    Set-Location (Join-Path '{root}' $dir)
    $null = prompt
    docker --version
}}
"var=$(if ($env:DVM_DOCKER_VERSION) {{ $env:DVM_DOCKER_VERSION }} else {{ 'unset' }})"
"#,
        init = setup.init_file.display(),
        root = setup.root.display()
    );
    let out = run(setup
        .shell("pwsh")
        .args(["-NoProfile", "-NonInteractive", "-Command", &script]));
    check_cd_scenario(&out);
}

/// A managed client that runs `docker` again (a wrapper script, or a copy of a shim from
/// another dvm build) would exec forever; the depth guard stops it, counting every level.
#[test]
fn a_managed_client_that_runs_docker_again_stops_after_a_few_levels() {
    let tmp = scratch();
    let home = Home::new(tmp.path(), "data");
    let counter = tmp.path().join("runs");
    write_executable(
        &home.data.join("versions/20.10.5/docker"),
        &format!(
            "#!/bin/sh\nprintf x >> '{}'\nexec docker \"$@\"\n",
            counter.display()
        ),
    );
    home.write_manifest("20.10.5");
    home.set_default("20.10.5");
    let out = run(home.command(tmp.path()).arg("ps"));
    assert_exit(&out, 127);
    assert!(
        stderr(&out).starts_with("dvm: stopped a loop: docker was run through dvm's shim 8 times"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&counter).unwrap(), "x".repeat(8));

    // A copy of the shim where a client should be: the same guard.
    fs::create_dir_all(home.data.join("versions/20.10.6")).unwrap();
    install_program(shim_exe(), &home.data.join("versions/20.10.6/docker"));
    home.write_manifest("20.10.6");
    home.set_default("20.10.6");
    let out = run(home.command(tmp.path()).arg("ps"));
    assert_exit(&out, 127);
    assert!(stderr(&out).contains("stopped a loop"), "{}", stderr(&out));

    // Honest nesting (a plugin that runs `docker` once more) is untouched.
    home.install("20.10.7").set_default("20.10.7");
    let out = run(home
        .command(tmp.path())
        .env("DVM_SHIM_DEPTH", "6")
        .arg("version"));
    assert_exit(&out, 0);
    assert_eq!(ran_version(&out), "20.10.7");
}
