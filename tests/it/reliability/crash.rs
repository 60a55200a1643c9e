//! `kill -9` during installs: at download time, while extracting, around the final rename
//! and while the shim is placed. After each kill nothing partial is visible, the shim runs the
//! whole client or says it is not installed, and the next install recovers (resuming the
//! download) and leaves no temp files behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::common::*;
use crate::support::archives;
use crate::support::env::TestEnv;
use crate::support::server::{Fault, FixtureServer, Route};

/// When to pull the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// Once the `.part` holds half the archive (the server stalls there).
    MidDownload,
    /// Once the client file appears in a staging folder (extraction runs).
    Extracting,
    /// Once the version folder appears (right after the rename, while syncing).
    AfterRename,
    /// Once the shim's temp file appears (the shim is being placed).
    PlacingShim,
    /// After a random delay spread over the whole install.
    Random,
}

const MOMENTS: [Moment; 5] = [
    Moment::MidDownload,
    Moment::Extracting,
    Moment::Random,
    Moment::AfterRename,
    Moment::PlacingShim,
];

fn spawn_install(t: &TestEnv, args: &[&str]) -> Child {
    t.dvm_cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dvm install")
}

fn downloads(home: &Path) -> PathBuf {
    home.join("cache/downloads")
}

fn part_file(home: &Path) -> Option<PathBuf> {
    fs::read_dir(downloads(home))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "part"))
}

/// A `.part` the next install may resume: some bytes but not all, and a meta naming a
/// validator. (A complete `.part` is fetched again: a range past the end cannot be asked for.)
fn resumable_part(home: &Path) -> bool {
    let Some(part) = part_file(home) else {
        return false;
    };
    let mut meta = part.clone().into_os_string();
    meta.push(".meta");
    let Some(meta) = fs::read(&meta)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return false;
    };
    let has_validator = meta["etag"].is_string() || meta["last_modified"].is_string();
    let len = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let short = meta["total"].as_u64().is_none_or(|total| len < total);
    len > 0 && short && has_validator
}

fn staged_client(home: &Path) -> bool {
    fs::read_dir(home.join("tmp"))
        .is_ok_and(|rd| rd.flatten().any(|e| e.path().join("docker").exists()))
}

fn shim_temp(home: &Path) -> bool {
    list_dir(&home.join("shims"))
        .iter()
        .any(|n| n.starts_with(".docker."))
}

/// Waits for `moment` (or the end of the process), then kills it with SIGKILL.
/// Returns whether the process was still running when killed.
fn kill_at(
    mut child: Child,
    moment: Moment,
    home: &Path,
    random_delay: Duration,
    half: u64,
) -> bool {
    let started = Instant::now();
    // A moment that never comes (the process finished first) ends the wait.
    let limit = Duration::from_secs(20);
    loop {
        if child.try_wait().expect("poll dvm").is_some() {
            return false;
        }
        let now = match moment {
            Moment::MidDownload => part_file(home)
                .and_then(|p| fs::metadata(p).ok())
                .is_some_and(|m| m.len() >= half),
            Moment::Extracting => staged_client(home),
            Moment::AfterRename => home.join("versions").join(V).exists(),
            Moment::PlacingShim => shim_temp(home),
            Moment::Random => started.elapsed() >= random_delay,
        };
        if now || started.elapsed() > limit {
            break;
        }
        thread::sleep(Duration::from_micros(500));
    }
    let alive = child.try_wait().expect("poll dvm").is_none();
    let _ = child.kill();
    let _ = child.wait();
    alive
}

#[test]
fn kill_9_during_install_never_leaves_a_partial_version() {
    let server = FixtureServer::start();
    let client = padded_client(V, 1 << 20);
    let tgz = archives::docker_tgz("docker/docker", &client);
    let half = tgz.len() as u64 / 2;
    let path = static_path(V);
    server.add_with(
        &path,
        Route::new(tgz.clone()).fault(Fault::Stall {
            after: half,
            pause: Duration::from_millis(200),
        }),
    );
    let t = remote_env(&server);
    let project = t.cwd.join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(project.join(".docker-version"), V).unwrap();
    let want_sha = sha256_hex(&client);

    // One undisturbed install tells how long the whole thing takes, to spread random kills.
    let started = Instant::now();
    t.dvm(["install", V]).success();
    let full = started.elapsed();

    let mut rng = Rng::new(seed());
    let iterations = scaled(10, 40);
    let (mut killed_alive, mut resumed, mut had_version) = (0, 0, 0);
    for i in 0..iterations {
        // Start from nothing: no version, no cached archive.
        t.dvm(["uninstall", V]).success();
        let _ = fs::remove_dir_all(downloads(&t.home));
        let moment = MOMENTS[i % MOMENTS.len()];
        if moment == Moment::PlacingShim {
            fs::remove_file(t.home.join("shims/docker")).unwrap();
        }
        let delay = Duration::from_micros(rng.range(0, full.as_micros() as u64 * 6 / 5));
        let child = spawn_install(&t, &["install", V]);
        if kill_at(child, moment, &t.home, delay, half) {
            killed_alive += 1;
        }
        let context = format!("iteration {i}, killed at {moment:?} ({delay:?})");

        // Nothing partial is visible.
        let store = assert_store_consistent(&t.home);
        assert!(
            store.is_empty() || store == [(V.to_string(), want_sha.clone())],
            "{context}: {store:?}"
        );
        let ls = t.dvm(["ls", "--json"]);
        ls.success();
        let listed: serde_json::Value = serde_json::from_str(&ls.stdout).unwrap();
        assert_eq!(
            listed.as_array().map(Vec::len),
            Some(store.len()),
            "{context}: {}",
            ls.stdout
        );
        had_version += store.len();
        if t.home.join("shims/docker").exists() {
            let run = t.docker_in(&project, ["--version"]);
            let not_installed = run.code == 127 && run.stderr.contains("not installed");
            assert!(
                ran_whole_client(&run, V) || not_installed,
                "{context}: the shim ran {run:?}"
            );
            assert_eq!(ran_whole_client(&run, V), store.len() == 1, "{context}");
        }

        // The next install recovers, resuming what it can.
        let resumable = store.is_empty() && resumable_part(&t.home);
        server.clear_log();
        t.dvm(["install", V]).success();
        if resumable {
            let first = server
                .requests()
                .into_iter()
                .find(|r| r.path == path)
                .unwrap_or_else(|| panic!("{context}: no request after a kill"));
            assert!(
                first.range.is_some() && first.if_range.is_some(),
                "{context}: a resumable .part was downloaded again from the start: {first:?}"
            );
            resumed += 1;
        }
        assert_eq!(
            assert_store_consistent(&t.home),
            [(V.to_string(), want_sha.clone())],
            "{context}"
        );
        assert!(
            ran_whole_client(&t.docker_in(&project, ["--version"]), V),
            "{context}"
        );
        assert_eq!(tmp_leftovers(&t.home), Vec::<String>::new(), "{context}");
        assert_eq!(list_dir(&t.home.join("shims")), ["docker"], "{context}");
        assert_eq!(
            part_file(&t.home),
            None,
            "{context}: a .part outlived the install"
        );
    }
    assert!(resumed > 0, "no iteration resumed a download");
    println!(
        "reliability: {iterations} kill -9 during install ({killed_alive} while running, {had_version} already complete, {resumed} resumed with Range)"
    );
}

#[test]
fn kill_9_during_a_local_install_leaves_nothing_behind() {
    let t = TestEnv::new();
    let client = padded_client("1.12.6", 2 << 20);
    let archive = t.file(
        "docker-1.12.6.tgz",
        &archives::docker_tgz("docker/docker", &client),
    );
    let archive = archive.display().to_string();
    let want = [("1.12.6".to_string(), sha256_hex(&client))];
    let iterations = scaled(3, 15);
    let mut rng = Rng::new(seed());
    for i in 0..iterations {
        let _ = t.dvm(["uninstall", "1.12.6"]);
        let moment = [Moment::Extracting, Moment::Random][i % 2];
        let delay = Duration::from_millis(rng.range(0, 150));
        let child = spawn_install(&t, &["install", "--from", &archive]);
        kill_at(child, moment, &t.home, delay, 0);
        let store = assert_store_consistent(&t.home);
        assert!(
            store.is_empty() || store == want,
            "iteration {i}: {store:?}"
        );
        t.dvm(["install", "--from", &archive, "--force"]).success();
        assert_eq!(assert_store_consistent(&t.home), want);
        assert_eq!(
            tmp_leftovers(&t.home),
            Vec::<String>::new(),
            "iteration {i}"
        );
    }
    if long_tests() {
        println!("reliability: {iterations} kill -9 during local installs");
    }
}

/// A `kill -9` while the shim is written leaves `shims/.docker.<pid>.tmp`; the next install
/// removes it even though the shim itself is current by then.
#[test]
fn a_dead_process_temp_files_are_removed_by_the_next_install() {
    let t = TestEnv::new();
    let install = |v: &str| {
        let archive = t.file(
            &format!("docker-{v}.tgz"),
            &archives::docker_tgz("docker/docker", &padded_client(v, 1024)),
        );
        t.dvm(["install", "--from", &archive.display().to_string()])
            .success();
    };
    install("1.12.6");
    let mut exited = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = exited.id();
    exited.wait().unwrap();
    // Temp files as `write_atomic` names them: `.<name>.<pid>.<n>.tmp`.
    fs::write(
        t.home.join(format!("shims/.docker.{dead_pid}.0.tmp")),
        b"half a shim",
    )
    .unwrap();
    fs::write(t.home.join(format!(".default.{dead_pid}.3.tmp")), b"1.1").unwrap();
    let live = t
        .home
        .join(format!(".default.{}.0.tmp", std::process::id()));
    fs::write(&live, b"being written").unwrap();
    install("1.13.1");
    assert_eq!(list_dir(&t.home.join("shims")), ["docker"]);
    assert!(!t.home.join(format!(".default.{dead_pid}.3.tmp")).exists());
    assert!(live.exists(), "a live process's temp file is kept");
}
