//! Many dvm processes on one DVM_HOME: one download per version, complete versions only,
//! no staging leftovers, and install/uninstall races that end consistent.

use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use super::common::*;
use crate::support::archives;
use crate::support::env::{Run, TestEnv};
use crate::support::server::{Fault, FixtureServer, Route};

fn spawn(t: &TestEnv, args: &[&str]) -> Child {
    t.dvm_cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dvm")
}

fn finish(child: Child) -> Run {
    let out = child.wait_with_output().expect("wait for dvm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A route that pauses halfway, so every process starts while the first still downloads.
fn stalled(body: Vec<u8>, pause_ms: u64) -> Route {
    let half = body.len() as u64 / 2;
    Route::new(body).fault(Fault::Stall {
        after: half,
        pause: Duration::from_millis(pause_ms),
    })
}

#[track_caller]
fn assert_one_full_download(server: &FixtureServer, path: &str, size: usize) {
    let gets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect();
    assert_eq!(
        gets.len(),
        1,
        "{path} was requested more than once: {gets:?}"
    );
    assert_eq!(gets[0].method, "GET");
    assert_eq!(
        gets[0].range, None,
        "the only download was ranged: {gets:?}"
    );
    assert_eq!(
        server.bytes_served(path),
        size as u64,
        "{path}: bytes served"
    );
}

#[test]
fn parallel_installs_of_one_version_download_it_once() {
    let server = FixtureServer::start();
    let client = padded_client(V, 1 << 20);
    let tgz = archives::docker_tgz("docker/docker", &client);
    let path = static_path(V);
    server.add_with(&path, stalled(tgz.clone(), 600));
    let t = remote_env(&server);

    let processes = scaled(8, 32);
    let children: Vec<Child> = (0..processes).map(|_| spawn(&t, &["install", V])).collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    for run in &runs {
        run.success();
    }
    let fresh = runs
        .iter()
        .filter(|r| r.stderr.contains("installed docker") || r.stdout.contains("installed docker"))
        .filter(|r| !(r.stderr.contains("already") || r.stdout.contains("already")))
        .count();
    assert_eq!(fresh, 1, "exactly one process installs: {runs:#?}");

    assert_one_full_download(&server, &path, tgz.len());
    assert_eq!(
        assert_store_consistent(&t.home),
        [(V.to_string(), sha256_hex(&client))]
    );
    assert_eq!(tmp_leftovers(&t.home), Vec::<String>::new());
    if long_tests() {
        println!("reliability: {processes} parallel installs of one version, 1 download");
    }
}

/// `--from URL` knows no version until the archive is read, so only a lock on the cached file
/// keeps two processes from writing one `.part`.
#[test]
fn parallel_installs_from_one_url_share_one_download() {
    let server = FixtureServer::start();
    let client = padded_client(V, 1 << 20);
    let tgz = archives::docker_tgz("docker/docker", &client);
    let path = "/downloads/docker-client.tgz";
    server.add_with(path, stalled(tgz.clone(), 600));
    let t = remote_env(&server);
    let url = server.url_for(path);

    let processes = scaled(4, 16);
    let children: Vec<Child> = (0..processes)
        .map(|_| spawn(&t, &["install", "--from", &url, "--as", V]))
        .collect();
    for run in children.into_iter().map(finish) {
        run.success();
    }
    assert_one_full_download(&server, path, tgz.len());
    assert_eq!(
        assert_store_consistent(&t.home),
        [(V.to_string(), sha256_hex(&client))]
    );
}

/// (version, client, archive) for each of `count` versions installed at once.
type Installed = Vec<(String, Vec<u8>, Vec<u8>)>;

/// Installs `count` different versions with one process each, all at the same time.
fn install_versions_in_parallel(count: usize) -> (FixtureServer, TestEnv, Installed) {
    let server = FixtureServer::start();
    let mut installed = Vec::new();
    for i in 0..count {
        let v = format!("20.10.{i}");
        let client = padded_client(&v, 128 * 1024);
        let tgz = archives::docker_tgz("./docker/docker", &client);
        server.add_with(&static_path(&v), stalled(tgz.clone(), 300));
        installed.push((v, client, tgz));
    }
    let t = remote_env(&server);
    let children: Vec<Child> = installed
        .iter()
        .map(|(v, _, _)| spawn(&t, &["install", v]))
        .collect();
    for child in children {
        finish(child).success();
    }
    (server, t, installed)
}

#[test]
fn parallel_installs_of_different_versions_each_download_once() {
    let processes = scaled(8, 24);
    let (server, t, installed) = install_versions_in_parallel(processes);
    let mut want: Vec<(String, String)> = Vec::new();
    for (v, client, tgz) in &installed {
        assert_one_full_download(&server, &static_path(v), tgz.len());
        want.push((v.clone(), sha256_hex(client)));
    }
    want.sort();
    assert_eq!(assert_store_consistent(&t.home), want);
    assert_eq!(tmp_leftovers(&t.home), Vec::<String>::new());
    // Every version runs through the shim.
    for (v, _, _) in &installed {
        let project = t.cwd.join(v);
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(project.join(".docker-version"), v).unwrap();
        let run = t.docker_in(&project, ["--version"]);
        assert!(ran_whole_client(&run, v), "{v}: {run:?}");
    }
    if long_tests() {
        println!("reliability: {processes} parallel installs of different versions");
    }
}

/// Trust on first use must remember every archive, or the next install of a forgotten one
/// trusts whatever it gets: parallel installs of different versions must not overwrite each
/// other's records.
#[test]
fn parallel_installs_keep_every_trust_record() {
    let (_server, t, installed) = install_versions_in_parallel(scaled(8, 24));
    let trust = std::fs::read_to_string(t.home.join("trust/static-sha256.tsv")).unwrap();
    for (v, _, tgz) in &installed {
        let line = format!("docker-{v}.tgz\t{}", sha256_hex(tgz));
        assert!(trust.contains(&line), "trust store lacks {v}:\n{trust}");
    }
}

/// What a racing `dvm uninstall` may answer: done, or "not installed" (the install lost).
const UNINSTALL_OK: [i32; 2] = [0, 3];

#[test]
fn install_racing_uninstall_leaves_the_version_whole_or_absent() {
    let server = FixtureServer::start();
    let client = padded_client(V, 512 * 1024);
    let tgz = archives::docker_tgz("docker/docker", &client);
    server.add_with(&static_path(V), stalled(tgz.clone(), 100));
    let t = remote_env(&server);
    let archive = t.file(&format!("docker-{V}.tgz"), &tgz);
    let archive = archive.display().to_string();
    let mut rng = Rng::new(seed());
    let rounds = scaled(10, 60);
    let mut outcomes = [0usize; 2]; // [ended installed, ended absent]

    // A reader that keeps running the shim: it must only ever see the whole client or none.
    let project = t.cwd.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join(".docker-version"), V).unwrap();
    let racing = AtomicBool::new(true);
    let shim_checks = thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut seen = 0;
            while racing.load(Ordering::SeqCst) {
                let run = t.docker_in(&project, ["--version"]);
                let whole = ran_whole_client(&run, V);
                // Not installed (or, before the first install, no shim yet: sh says 127 too).
                // The fake client is a script: the kernel starts /bin/sh with its path, so an
                // uninstall between that exec and sh opening the file reads as "cannot open";
                // a real (binary) client is opened by exec itself and cannot hit this window.
                let absent = run.code == 127
                    || (run.code == 2
                        && run.stdout.is_empty()
                        && run.stderr.contains("cannot open")
                        && run.stderr.contains("/versions/"));
                assert!(whole || absent, "the shim saw a broken client: {run:?}");
                seen += 1;
                thread::sleep(Duration::from_millis(5));
            }
            seen
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            race_rounds(&t, &archive, &client, rounds, &mut rng, &mut outcomes)
        }));
        racing.store(false, Ordering::SeqCst);
        let seen = reader
            .join()
            .expect("the shim reader found a broken client");
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
        seen
    });
    // Nothing of a dead process is left behind once the races are over.
    finish(spawn(&t, &["install", "--force", V])).success();
    assert_eq!(tmp_leftovers(&t.home), Vec::<String>::new());
    if long_tests() {
        println!(
            "reliability: install/uninstall race, {rounds} rounds ({} ended installed, {} absent), {shim_checks} shim runs",
            outcomes[0], outcomes[1]
        );
    }
}

fn race_rounds(
    t: &TestEnv,
    archive: &str,
    client: &[u8],
    rounds: usize,
    rng: &mut Rng,
    outcomes: &mut [usize; 2],
) {
    for round in 0..rounds {
        // Each round clears the download cache now and then, so some installs download
        // (slowly) while the uninstall runs.
        if rng.range(0, 3) == 0 {
            let _ = std::fs::remove_dir_all(t.home.join("cache/downloads"));
        }
        let install_args: Vec<String> = match rng.range(0, 3) {
            0 => vec!["install".into(), V.into()],
            1 => vec!["install".into(), "--force".into(), V.into()],
            _ => vec![
                "install".into(),
                "--from".into(),
                archive.to_string(),
                "--as".into(),
                V.into(),
                "--force".into(),
            ],
        };
        let install_args: Vec<&str> = install_args.iter().map(String::as_str).collect();
        let uninstall_first = rng.range(0, 2) == 0;
        let delay = Duration::from_millis(rng.range(0, 200));
        let (first, second): (&[&str], &[&str]) = if uninstall_first {
            (&["uninstall", V], &install_args)
        } else {
            (&install_args, &["uninstall", V])
        };
        let a = spawn(t, first);
        thread::sleep(delay);
        let b = spawn(t, second);
        let (ra, rb) = (finish(a), finish(b));
        let (install, uninstall) = if uninstall_first { (rb, ra) } else { (ra, rb) };
        assert_no_panic(&install, "install");
        assert_no_panic(&uninstall, "uninstall");
        install.success();
        assert!(
            UNINSTALL_OK.contains(&uninstall.code),
            "round {round}: uninstall exit {}\n{}",
            uninstall.code,
            uninstall.stderr
        );
        let store = assert_store_consistent(&t.home);
        match store.as_slice() {
            [] => outcomes[1] += 1,
            [(v, sha)] if v == V && *sha == sha256_hex(client) => outcomes[0] += 1,
            other => panic!("round {round}: unexpected store {other:?}"),
        }
        // `ls` agrees with the folders.
        let ls = t.dvm(["ls", "--json"]);
        ls.success();
        assert_eq!(ls.stdout.contains(V), store.len() == 1, "{}", ls.stdout);
    }
}

/// `install --force` of a version that is installed swaps the new folder in: whoever looks at
/// `versions/V/` in the meantime finds the old client or the new one, never nothing.
#[test]
fn a_forced_reinstall_never_leaves_the_version_missing() {
    let t = TestEnv::new();
    let old = padded_client(V, 256 * 1024);
    let new = padded_client(V, 300 * 1024);
    let archive = |name: &str, client: &[u8]| {
        let tgz = archives::docker_tgz("docker/docker", client);
        t.file(name, &tgz).display().to_string()
    };
    let archives = [archive("old.tgz", &old), archive("new.tgz", &new)];
    let known = [sha256_hex(&old), sha256_hex(&new)];
    t.dvm(["install", "--from", &archives[0], "--as", V])
        .success();
    let client = t.home.join("versions").join(V).join("docker");
    let project = project(&t, "project");
    std::fs::write(project.join(".docker-version"), V).unwrap();

    let rounds = scaled(12, 60);
    let installing = AtomicBool::new(true);
    let (checks, misses, shim_runs) = thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let (mut checks, mut misses) = (0usize, Vec::new());
            while installing.load(Ordering::SeqCst) {
                checks += 1;
                if !client.is_file() {
                    misses.push(checks);
                }
            }
            (checks, misses)
        });
        let shim = scope.spawn(|| {
            let mut runs = 0usize;
            while installing.load(Ordering::SeqCst) {
                let run = t.docker_in(&project, ["--version"]);
                // Each run starts the old client or the new one, both the whole script.
                assert!(
                    ran_whole_client(&run, V),
                    "the shim missed the client: {run:?}"
                );
                runs += 1;
            }
            runs
        });
        let installs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for round in 0..rounds {
                let from = &archives[(round + 1) % 2];
                t.dvm(["install", "--force", "--from", from, "--as", V])
                    .success();
            }
        }));
        installing.store(false, Ordering::SeqCst);
        let (checks, misses) = watcher.join().expect("the watcher");
        let shim_runs = shim.join().expect("the shim never missed the client");
        if let Err(panic) = installs {
            std::panic::resume_unwind(panic);
        }
        (checks, misses, shim_runs)
    });
    assert!(
        misses.is_empty(),
        "versions/{V}/docker was missing {} times out of {checks} checks during {rounds} forced reinstalls",
        misses.len()
    );
    assert!(checks > 0 && shim_runs > 0);
    // The last install put the new client in place, and nothing is left in tmp/.
    let store = assert_store_consistent(&t.home);
    assert_eq!(store, [(V.to_string(), known[rounds % 2].clone())]);
    assert_eq!(tmp_leftovers(&t.home), Vec::<String>::new());
    if long_tests() {
        println!("reliability: {rounds} forced reinstalls, {checks} checks, {shim_runs} shim runs");
    }
}

/// The `.part` of a download in `<home>/cache/downloads`, once there is one.
fn wait_for_part(home: &std::path::Path) -> std::path::PathBuf {
    let downloads = home.join("cache/downloads");
    // A watchdog, not a measurement: the download reaches its stall within moments.
    for _ in 0..2000 {
        let part = std::fs::read_dir(&downloads).ok().and_then(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "part"))
        });
        if let Some(part) = part {
            return part;
        }
        thread::sleep(Duration::from_millis(10));
    }
    panic!("no .part appeared: {:?}", list_dir(&downloads));
}

/// `dvm cache clean` while an install downloads: the install finishes, the clean leaves the
/// running download's files alone and says so, and a later clean empties the cache.
#[test]
fn cache_clean_during_a_download_does_not_break_it() {
    let server = FixtureServer::start();
    let client = padded_client(V, 512 * 1024);
    let tgz = archives::docker_tgz("docker/docker", &client);
    // Long enough for `cache clean` to run while the download waits in the middle (its
    // `.part` appears as the first half arrives).
    server.add_with(&static_path(V), stalled(tgz.clone(), 2000));
    let t = remote_env(&server);
    let downloads = t.home.join("cache/downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::write(downloads.join("docker-1.0.0.tgz"), b"an old download").unwrap();

    let install = spawn(&t, &["install", V]);
    let part = wait_for_part(&t.home);
    let clean = t.dvm(["cache", "clean"]);
    let part_survived = part.exists();
    let install = finish(install);
    assert_no_panic(&install, "install");
    install.success();
    assert!(part_survived, "cache clean removed the running download");
    clean.success().stderr_has("a download is in progress");
    assert!(!downloads.join("docker-1.0.0.tgz").exists());
    assert_one_full_download(&server, &static_path(V), tgz.len());
    assert_eq!(
        assert_store_consistent(&t.home),
        [(V.to_string(), sha256_hex(&client))]
    );

    t.dvm(["cache", "clean"]).success();
    assert_eq!(list_dir(&downloads), Vec::<String>::new());
}

/// A store shared across containers (or over NFS): a staging folder whose pid does not exist
/// here may belong to a live install elsewhere. Its lock says so; only an unheld lock, or a
/// lock-less folder a day old, makes it abandoned.
#[test]
fn a_live_staging_folder_of_another_machine_is_left_alone() {
    let t = TestEnv::new();
    let tmp = t.home.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let elsewhere = tmp.join("20.10.9.999999.0.0");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("docker"), b"half a client").unwrap();
    let locks = t.home.join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let lock = std::fs::File::create(locks.join("staging-20.10.9.999999.0.0.lock")).unwrap();
    lock.lock().unwrap();
    let legacy_fresh = tmp.join("20.10.8.999998.0.0");
    std::fs::create_dir(&legacy_fresh).unwrap();
    let legacy_old = tmp.join("20.10.7.999997.0.0");
    std::fs::create_dir(&legacy_old).unwrap();
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    std::fs::File::open(&legacy_old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();

    install_local(&t, "20.10.10");
    assert!(
        elsewhere.join("docker").is_file(),
        "a held staging folder was deleted"
    );
    assert!(
        legacy_fresh.is_dir(),
        "a lock-less folder of unknown owner was deleted"
    );
    assert!(
        !legacy_old.exists(),
        "a day-old lock-less folder stays forever"
    );

    // Its owner died: the lock is free, and the next install tidies it.
    drop(lock);
    install_local(&t, "20.10.11");
    assert!(!elsewhere.exists());
    assert!(!locks.join("staging-20.10.9.999999.0.0.lock").exists());
}
