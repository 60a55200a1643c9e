//! Bad input everywhere: garbage versions on every command, broken version files, an
//! unreadable folder on the walk up, a DVM_HOME that cannot be written, a full disk and a
//! corrupt manifest. Each gets a clear error, and nothing already installed is lost.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::common::*;
use crate::support::archives;
use crate::support::env::TestEnv;
use crate::support::server::FixtureServer;

const EXIT_USAGE: i32 = 2;
const EXIT_NOT_FOUND: i32 = 3;
const EXIT_FILESYSTEM: i32 = 7;
/// The shim's "malformed version file".
const SHIM_MALFORMED: i32 = 2;
const HANG_LIMIT: Duration = Duration::from_secs(10);

/// The store and the working folders, minus lock files (taking a lock may create one).
fn everything_but_locks(t: &TestEnv) -> BTreeMap<PathBuf, String> {
    let root = t.home.parent().expect("TestEnv root");
    tree_snapshot(root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("dvm-home/locks"))
        .collect()
}

fn garbage_versions() -> Vec<OsString> {
    let mut out: Vec<OsString> = [
        "1..2",
        "latest-ish",
        "",
        " ",
        "-1",
        "1.2.3.4.5",
        "1.12.6-",
        "99999999999999999999999.1",
        "1.12.6/../../etc",
        "../../../etc/passwd",
        "1.12.6\n20.10",
        "1.12.6 ; touch /tmp/pwned",
        "$(id)",
        "%s%n%x",
        "🐳",
        "\u{202e}6.21.1",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    out.push(OsString::from("x".repeat(10 * 1024)));
    out.push(OsString::from(format!("{}1", "1.".repeat(5000))));
    // Not UTF-8 (a NUL cannot be passed in argv at all; version files test NUL bytes).
    out.push(OsString::from_vec(b"1.\xff.6".to_vec()));
    out.push(OsString::from_vec(b"\xc3\x28".to_vec()));
    out
}

#[test]
fn garbage_versions_are_refused_by_every_command() {
    // Anything that did parse as a version must not reach the internet.
    let server = FixtureServer::start();
    let t = remote_env(&server);
    install_local(&t, "1.13.1");
    t.dvm(["use", "--global", "1.13.1"]).success();
    let before = everything_but_locks(&t);
    let commands: [&[&str]; 10] = [
        &["install", "{}"],
        &["uninstall", "{}"],
        &["use", "{}", "--shell-eval", "bash"],
        &["use", "--global", "{}"],
        &["default", "{}"],
        &["local", "{}"],
        &["which", "{}"],
        &["exec", "{}", "--", "true"],
        &["alias", "work", "{}"],
        &["verify", "{}"],
    ];
    let garbage = garbage_versions();
    let mut runs = 0;
    for version in &garbage {
        for command in commands {
            let args: Vec<OsString> = command
                .iter()
                .map(|a| {
                    if *a == "{}" {
                        version.clone()
                    } else {
                        OsString::from(a)
                    }
                })
                .collect();
            let run = t.dvm(&args);
            runs += 1;
            let shown = format!("{args:?}");
            let shown = shown.get(..200).unwrap_or(&shown);
            assert_no_panic(&run, shown);
            assert!(
                [EXIT_USAGE, EXIT_NOT_FOUND].contains(&run.code),
                "{shown}: exit {}\n{}",
                run.code,
                run.stderr
            );
            assert!(run.stderr.contains("error"), "{shown}: {}", run.stderr);
        }
    }
    assert_eq!(
        server.requests(),
        [],
        "a garbage version reached the network"
    );
    assert_eq!(everything_but_locks(&t), before, "garbage changed files");
    assert!(!Path::new("/tmp/pwned").exists());
    let run = t.docker_in(&t.cwd, ["--version"]);
    assert!(ran_whole_client(&run, "1.13.1"), "{run:?}");
    if long_tests() {
        println!(
            "reliability: {runs} commands with {} garbage versions",
            garbage.len()
        );
    }
}

/// How a broken version file is made.
enum Make {
    Bytes(Vec<u8>),
    Dir,
    Fifo,
    Symlink(&'static str),
}

fn broken_version_files() -> Vec<(&'static str, &'static str, Make)> {
    let mut binary: Vec<u8> = (0..=255u8).collect();
    binary.extend_from_slice(b"\x00\x00\xff\xfe");
    let mut huge = b"20.10\n".to_vec();
    huge.resize(70 * 1024, b'#');
    vec![
        ("binary", ".docker-version", Make::Bytes(binary.clone())),
        ("huge", ".docker-version", Make::Bytes(huge)),
        (
            "latin-1",
            ".docker-version",
            Make::Bytes(b"1.12.6 \xe9t\xe9\n".to_vec()),
        ),
        (
            "NUL in the version",
            ".docker-version",
            Make::Bytes(b"1.13\x001\n".to_vec()),
        ),
        ("empty", ".docker-version", Make::Bytes(Vec::new())),
        (
            "only comments",
            ".dockerversion",
            Make::Bytes(b"# pinned later\n\n".to_vec()),
        ),
        (
            "garbage version",
            ".docker-version",
            Make::Bytes(b"1..2\n".to_vec()),
        ),
        ("a folder", ".docker-version", Make::Dir),
        ("a FIFO", ".docker-version", Make::Fifo),
        (
            "a link to /dev/zero",
            ".docker-version",
            Make::Symlink("/dev/zero"),
        ),
        (
            "tool-versions without a version",
            ".tool-versions",
            Make::Bytes(b"nodejs 18.0.0\ndocker\n".to_vec()),
        ),
        (
            "tool-versions binary",
            ".tool-versions",
            Make::Bytes(binary),
        ),
    ]
}

fn make(path: &Path, how: &Make) {
    match how {
        Make::Bytes(bytes) => fs::write(path, bytes).unwrap(),
        Make::Dir => fs::create_dir(path).unwrap(),
        Make::Fifo => {
            let ok = std::process::Command::new("mkfifo")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "mkfifo {}", path.display());
        }
        Make::Symlink(target) => std::os::unix::fs::symlink(target, path).unwrap(),
    }
}

#[test]
fn broken_version_files_are_reported_and_nothing_hangs() {
    let t = TestEnv::new();
    install_local(&t, "1.13.1");
    t.dvm(["use", "--global", "1.13.1"]).success();
    let path_var = t.path_var();
    let cases = broken_version_files();
    for (i, (what, name, how)) in cases.iter().enumerate() {
        let dir = project(&t, &format!("p{i}"));
        let file = dir.join(name);
        make(&file, how);
        let deep = t.nested(&dir, 2);

        let run = run_with_watchdog(
            shim_command(&t, &deep, &path_var, &["--version"]),
            HANG_LIMIT,
        )
        .unwrap_or_else(|| panic!("{what}: the shim hung"));
        assert_eq!(run.code, SHIM_MALFORMED, "{what}: {run:?}");
        assert!(
            run.stderr.contains(&file.display().to_string()),
            "{what}: the shim does not name the file: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{what}: a client ran: {run:?}");

        let mut current = t.dvm_cmd(["current"]);
        current.current_dir(&deep);
        let run = run_with_watchdog(current, HANG_LIMIT)
            .unwrap_or_else(|| panic!("{what}: dvm current hung"));
        assert_no_panic(&run, what);
        assert_eq!(run.code, EXIT_USAGE, "{what}: {run:?}");
        assert!(run.stderr.contains("hint:"), "{what}: {}", run.stderr);

        // The list still shows what is installed.
        let run = t.dvm_in(&deep, ["ls"]);
        run.success().stdout_has("1.13.1");
        // Outside the folder, docker still works.
        assert!(ran_whole_client(
            &t.docker_in(&t.cwd, ["--version"]),
            "1.13.1"
        ));
    }
    if long_tests() {
        println!("reliability: {} broken version files", cases.len());
    }
}

#[test]
fn a_broken_global_default_or_alias_is_reported_and_repairable() {
    let t = TestEnv::new();
    install_local(&t, "1.13.1");
    t.dvm(["alias", "work", "1.13.1"]).success();
    t.dvm(["use", "--global", "work"]).success();
    assert!(ran_whole_client(
        &t.docker_in(&t.cwd, ["--version"]),
        "1.13.1"
    ));

    fs::write(t.home.join("aliases/work"), b"\xff\xfe\x00garbage").unwrap();
    let run = t.docker_in(&t.cwd, ["--version"]);
    assert_eq!(run.code, SHIM_MALFORMED, "{run:?}");
    run.stderr_has("aliases");
    t.dvm(["alias", "work", "1.13.1"]).success();
    assert!(ran_whole_client(
        &t.docker_in(&t.cwd, ["--version"]),
        "1.13.1"
    ));

    fs::write(t.home.join("default"), vec![0u8; 100 * 1024]).unwrap();
    let run = t.docker_in(&t.cwd, ["--version"]);
    assert_eq!(run.code, SHIM_MALFORMED, "{run:?}");
    run.stderr_has("default");
    let run = t.dvm(["current"]);
    assert_no_panic(&run, "current");
    assert_eq!(run.code, EXIT_USAGE, "{run:?}");
    t.dvm(["ls"]).success().stdout_has("1.13.1");
    t.dvm(["use", "--global", "1.13.1"]).success();
    assert!(ran_whole_client(
        &t.docker_in(&t.cwd, ["--version"]),
        "1.13.1"
    ));
}

#[test]
fn an_unsearchable_folder_on_the_walk_up_is_skipped() {
    if running_as_root() {
        println!("skipped: running as root, which ignores folder permissions");
        return;
    }
    let t = TestEnv::new();
    install_local(&t, "1.13.1");
    install_local(&t, "1.12.6");
    t.dvm(["use", "--global", "1.12.6"]).success();
    // outer/.docker-version pins 1.13.1; outer/locked (mode 000) hides whatever it holds.
    let outer = project(&t, "outer");
    fs::write(outer.join(".docker-version"), "1.13.1\n").unwrap();
    let locked = outer.join("locked");
    let inner = t.nested(&locked, 1);
    fs::write(locked.join(".docker-version"), "garbage!\n").unwrap();
    // Lock the folder after entering the one below it (entering needs permission).
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("chmod 000 \"$1\" && docker --version; status=$?; chmod 755 \"$1\"; exit $status")
        .arg("sh")
        .arg(&locked)
        .env_clear()
        .env("HOME", &t.user_home)
        .env("DVM_HOME", &t.home)
        .env("PATH", t.path_var())
        .current_dir(&inner);
    let run = run_with_watchdog(cmd, HANG_LIMIT).expect("the shim hung");
    assert!(ran_whole_client(&run, "1.13.1"), "{run:?}");
}

#[test]
fn a_dvm_home_that_cannot_be_created_is_a_filesystem_error() {
    let mut t = TestEnv::new();
    let archive = t.file(
        "docker-1.12.6.tgz",
        &archives::docker_tgz("docker/docker", &padded_client("1.12.6", 4096)),
    );
    let plain = t.file("plain-file", b"not a folder");
    t.env("DVM_HOME", plain.join("dvm").display().to_string());
    let archive = archive.display().to_string();
    let run = t.dvm(["install", "--from", &archive]);
    assert_no_panic(&run, "install");
    run.failure(EXIT_FILESYSTEM).stderr_has("plain-file");
    assert!(run.stderr.contains("hint:") || run.stderr.contains("Not a directory"));
    for args in [
        &["alias", "work", "1.12.6"][..],
        &["ls"],
        &["ls", "--json"],
        &["current"],
        &["verify"],
        &["uninstall", "1.12.6"],
        &["use", "--global", "1.12.6"],
        &["cache", "clean"],
    ] {
        let run = t.dvm(args);
        assert_no_panic(&run, &format!("{args:?}"));
        assert!(
            [0, EXIT_NOT_FOUND, EXIT_FILESYSTEM].contains(&run.code),
            "{args:?}: {run:?}"
        );
    }
    assert_eq!(fs::read(&plain).unwrap(), b"not a folder");
}

#[test]
fn a_read_only_dvm_home_is_a_filesystem_error_and_keeps_what_it_has() {
    let t = TestEnv::new();
    install_local(&t, "1.13.1");
    let archive = t.file(
        "docker-1.12.6.tgz",
        &archives::docker_tgz("docker/docker", &padded_client("1.12.6", 4096)),
    );
    let archive = archive.display().to_string();
    let before = assert_store_consistent(&t.home);
    if running_as_root() {
        // Root ignores modes, so only a read-only mount will do.
        let mount = t.files.join("ro-mount");
        match Tmpfs::mount(&mount, "ro,size=64k") {
            Ok(m) => {
                let mut t2 = TestEnv::new();
                t2.env("DVM_HOME", m.path.display().to_string());
                let run = t2.dvm(["install", "--from", &archive]);
                assert_no_panic(&run, "install on a read-only mount");
                run.failure(EXIT_FILESYSTEM).stderr_has("read-only");
            }
            Err(why) => println!("skipped the read-only mount: {why}"),
        }
    } else {
        let set_mode = |mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            for dir in [t.home.clone(), t.home.join("versions")] {
                fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
            }
        };
        set_mode(0o555);
        let run = t.dvm(["install", "--from", &archive]);
        let uninstall = t.dvm(["uninstall", "1.13.1"]);
        set_mode(0o755);
        assert_no_panic(&run, "install into a read-only home");
        run.failure(EXIT_FILESYSTEM).stderr_has("permission");
        assert_no_panic(&uninstall, "uninstall from a read-only home");
        uninstall.failure(EXIT_FILESYSTEM);
    }
    assert_eq!(assert_store_consistent(&t.home), before);
    let project = project(&t, "p");
    fs::write(project.join(".docker-version"), "1.13.1").unwrap();
    assert!(ran_whole_client(
        &t.docker_in(&project, ["--version"]),
        "1.13.1"
    ));
}

#[test]
fn a_full_disk_is_a_filesystem_error_and_nothing_is_half_installed() {
    // The shim dvm places takes room too: measure it in a scratch home first.
    let probe = TestEnv::new();
    install_local(&probe, "1.0.0");
    let shim_size = fs::metadata(probe.home.join("shims/docker")).unwrap().len();
    // Room for the shim, a small version and not much more.
    let size_kib = shim_size / 1024 + 1024;
    let mount = match Tmpfs::mount(&probe.files.join("full"), &format!("size={size_kib}k")) {
        Ok(m) => m,
        Err(why) => {
            println!("skipped: cannot mount a small tmpfs ({why})");
            return;
        }
    };
    let mut t = TestEnv::new();
    t.env("DVM_HOME", mount.path.display().to_string());
    let t = t;
    let home = mount.path.clone();
    let small = padded_client("1.13.1", 64 * 1024);
    let small_archive = t.file(
        "docker-1.13.1.tgz",
        &archives::docker_tgz("docker/docker", &small),
    );
    t.dvm(["install", "--from", &small_archive.display().to_string()])
        .success();
    let before = assert_store_consistent(&home);

    // Bigger than what is left: it fails while the client is written.
    let big = padded_client("1.12.6", 3 << 20);
    let big_archive = t.file(
        "docker-1.12.6.tgz",
        &archives::docker_tgz("docker/docker", &big),
    );
    let run = t.dvm(["install", "--from", &big_archive.display().to_string()]);
    assert_no_panic(&run, "install on a full disk");
    run.failure(EXIT_FILESYSTEM)
        .stderr_has("hint: free some disk space");
    assert_eq!(assert_store_consistent(&home), before);
    assert_eq!(tmp_leftovers(&home), Vec::<String>::new());

    // The same through a download: the .part cannot grow.
    let server = FixtureServer::start();
    server.add(&static_path(V), archives::docker_tgz("docker/docker", &big));
    let mut remote = remote_env(&server);
    remote.env("DVM_HOME", home.display().to_string());
    let run = remote.dvm(["install", V]);
    assert_no_panic(&run, "download to a full disk");
    run.failure(EXIT_FILESYSTEM)
        .stderr_has("hint: free some disk space");
    assert_eq!(assert_store_consistent(&home), before);
    assert_eq!(tmp_leftovers(&home), Vec::<String>::new());

    // What was installed still runs.
    let project = project(&t, "p");
    fs::write(project.join(".docker-version"), "1.13.1").unwrap();
    let mut shim = shim_command(
        &t,
        &project,
        &format!("{}:/usr/bin:/bin", home.join("shims").display()),
        &["--version"],
    );
    shim.env("DVM_HOME", &home);
    let run = run_with_watchdog(shim, HANG_LIMIT).expect("the shim hung");
    assert!(ran_whole_client(&run, "1.13.1"), "{run:?}");
}

#[test]
fn a_corrupt_manifest_is_listed_verified_and_repairable() {
    let t = TestEnv::new();
    install_local(&t, "1.13.1");
    let client = install_local(&t, "1.12.6");
    let manifest = t.home.join("versions/1.12.6/manifest.json");
    fs::write(&manifest, b"{\"version\": \"1.12.6\", \"client_sha").unwrap();

    let ls = t.dvm(["ls", "--json"]);
    ls.success();
    let listed: serde_json::Value = serde_json::from_str(&ls.stdout).unwrap();
    let versions: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["version"].as_str())
        .collect();
    assert_eq!(versions, ["1.12.6", "1.13.1"]);

    let run = t.dvm(["verify"]);
    assert_no_panic(&run, "verify");
    assert_ne!(run.code, 0);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("1.12.6:")
            && l.contains("manifest")
            && l.contains("dvm install --force 1.12.6")),
        "verify names the version, the problem and the fix:\n{}",
        run.stdout
    );
    run.stdout_has("1.13.1: ok");

    // The client itself is untouched and still runs.
    let project = project(&t, "p");
    fs::write(project.join(".docker-version"), "1.12.6").unwrap();
    assert!(ran_whole_client(
        &t.docker_in(&project, ["--version"]),
        "1.12.6"
    ));

    let archive = t.files.join("docker-1.12.6.tgz");
    t.dvm([
        "install",
        "--force",
        "--from",
        &archive.display().to_string(),
    ])
    .success();
    t.dvm(["verify"]).success();
    assert_eq!(
        assert_store_consistent(&t.home)
            .into_iter()
            .find(|(v, _)| v == "1.12.6")
            .map(|(_, sha)| sha),
        Some(sha256_hex(&client))
    );
}

/// Store files in the shape the shim already refuses: a FIFO where a lock, the default or an
/// alias belongs, and a default or manifest of 2 GB (sparse). Each command answers at once
/// with a clear error naming the file; none hangs or reads the whole file.
#[test]
fn fifo_and_huge_store_files_are_refused_not_read() {
    let t = TestEnv::new();
    install_local(&t, "20.10.7");
    let within = Duration::from_secs(20);
    let run = |args: &[&str]| {
        run_with_watchdog(t.dvm_cmd(args), within)
            .unwrap_or_else(|| panic!("dvm {args:?} hung on a store file"))
    };
    let fifo = |path: &Path| make(path, &Make::Fifo);

    let lock = t.home.join("locks/20.10.8.lock");
    fs::create_dir_all(lock.parent().unwrap()).unwrap();
    fifo(&lock);
    let archive = t.file(
        "docker-20.10.8.tgz",
        &crate::support::archives::docker_tgz("docker/docker", &padded_client("20.10.8", 4096)),
    );
    let out = run(&["install", "--from", &archive.display().to_string()]);
    out.failure(7)
        .stderr_has("is not a regular file")
        .stderr_has("hint: remove it");
    fs::remove_file(&lock).unwrap();

    let default = t.home.join("default");
    fifo(&default);
    // `ls` still lists, and says why the default is not marked.
    run(&["ls"])
        .success()
        .stdout_has("20.10.7")
        .stderr_has("the global default is unreadable")
        .stderr_has("is not a regular file");
    run(&["current"])
        .failure(2)
        .stderr_has("is not a regular file");
    fs::remove_file(&default).unwrap();
    fs::File::create(&default)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    run(&["ls"]).success().stderr_has("larger than 64 KiB");
    fs::remove_file(&default).unwrap();

    let alias = t.home.join("aliases/prod");
    fs::create_dir_all(alias.parent().unwrap()).unwrap();
    fifo(&alias);
    run(&["aliases"])
        .failure(2)
        .stderr_has("is not a regular file");
    fs::remove_file(&alias).unwrap();

    let manifest = t.home.join("versions/20.10.7/manifest.json");
    fs::remove_file(&manifest).unwrap();
    fs::File::create(&manifest)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    run(&["verify"])
        .failure(7)
        .stdout_has("is larger than 1048576 bytes");
}

/// A `:` in DVM_HOME would split the shims folder in two on PATH.
#[test]
fn a_data_folder_with_the_path_separator_is_refused() {
    let mut t = TestEnv::new();
    t.home = t.files.join("team:dvm");
    t.dvm(["ls"])
        .failure(8)
        .stderr_has("contains ':', the PATH separator")
        .stderr_has("hint: set DVM_HOME");
    t.dvm(["setup", "--yes", "--no-modify-path"]).failure(8);
    assert!(!t.home.exists(), "nothing was created");
}

/// Store folders linked out of DVM_HOME are refused, not followed: nothing is written, or
/// deleted, where they point.
#[test]
fn symlinked_store_folders_are_refused_not_followed() {
    let t = TestEnv::new();
    let outside = t.files.join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(&t.home).unwrap();
    std::os::unix::fs::symlink(&outside, t.home.join("shims")).unwrap();
    t.dvm(["setup", "--yes", "--no-modify-path"])
        .failure(7)
        .stderr_has("shims is a symbolic link")
        .stderr_has("hint: remove the link");
    assert_eq!(list_dir(&outside), Vec::<String>::new());
    fs::remove_file(t.home.join("shims")).unwrap();

    // A folder named like a dead process's staging folder, where tmp/ points.
    let victim = outside.join("20.10.7.999999.0.0");
    fs::create_dir_all(&victim).unwrap();
    std::os::unix::fs::symlink(&outside, t.home.join("tmp")).unwrap();
    let archive = t.file(
        "docker-20.10.7.tgz",
        &archives::docker_tgz("docker/docker", &padded_client("20.10.7", 4096)),
    );
    t.dvm(["install", "--from", &archive.display().to_string()])
        .failure(7)
        .stderr_has("tmp is a symbolic link");
    assert!(
        victim.is_dir(),
        "the folder outside DVM_HOME is still there"
    );
    assert!(t.installed().is_empty());
}

/// `--from` a FIFO with no writer would block the open for ever.
#[test]
fn install_from_a_fifo_is_refused_at_once() {
    let t = TestEnv::new();
    let fifo = t.files.join("docker.tgz");
    make(&fifo, &Make::Fifo);
    let out = run_with_watchdog(
        t.dvm_cmd([
            "install",
            "--from",
            &fifo.display().to_string(),
            "--as",
            "20.10.7",
        ]),
        Duration::from_secs(20),
    )
    .expect("dvm install --from FIFO hung");
    out.failure(2)
        .stderr_has("is not a regular file")
        .stderr_has("hint:");
    assert!(t.installed().is_empty());
}
