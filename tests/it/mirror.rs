//! `dvm mirror`: a tree written from the loopback replica, then served to clients by an
//! in-process static server (and by a real nginx where it is installed), against which
//! `install`, `ls-remote`, partial specs and `latest` work as against Docker's hosts.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::Value;

use crate::remote::{env_for, ls_json};
use crate::support::env::TestEnv;
use crate::support::replica::Replica;
use crate::support::server::FixtureServer;

const STATIC: &str = "download.docker.com/linux/static/stable/x86_64";
const CE_REPO: &str = "download.docker.com/linux/centos/7/x86_64/stable";

/// Every file below `dir`, as `(path below dir, bytes)`.
fn tree_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Serves `dir` as a static server does: each file at its path, and each folder's
/// `index.html` at the folder's URL.
fn serve(dir: &Path) -> FixtureServer {
    let server = FixtureServer::start();
    for (rel, bytes) in tree_files(dir) {
        if let Some(folder) = rel.strip_suffix("index.html") {
            server.add(&format!("/{folder}"), bytes.clone());
        }
        server.add(&format!("/{rel}"), bytes);
    }
    server
}

/// A client of the tree served at `url`, sharing nothing with the machine that made it.
fn client_of(url: &str) -> TestEnv {
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", url)
        .env("DVM_PLATFORM", "linux/x86_64")
        .env("HTTPS_PROXY", url)
        .env("HTTP_PROXY", url)
        .env("DVM_RETRIES", "0");
    t
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("dvm-mirror.json")).unwrap()).unwrap()
}

fn mirrored(dir: &Path) -> Vec<String> {
    manifest(dir)["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Archives the replica sent bytes of; a 404 probe (a version not in one source, found
/// in the next) downloads nothing.
fn archives_downloaded(r: &Replica) -> usize {
    r.requests()
        .iter()
        .filter(|q| {
            q.method == "GET"
                && matches!(q.status, 200 | 206)
                && [".tgz", ".rpm", "docker-1.8.0"]
                    .iter()
                    .any(|e| q.path.ends_with(e))
        })
        .count()
}

/// Docker's replica, an environment that mirrors from it, and the tree it writes to.
fn mirror_maker() -> (Replica, TestEnv, PathBuf) {
    let r = Replica::docker();
    let maker = env_for(&r);
    let tree = maker.files.join("tree");
    (r, maker, tree)
}

#[test]
fn a_mirrored_tree_serves_install_ls_remote_partial_specs_and_latest() {
    let (_r, maker, tree) = mirror_maker();
    let to = tree.display().to_string();
    maker
        .dvm([
            "mirror",
            "24.0.7",
            "20.10",
            "1.8.0",
            "--platform",
            "linux/x86_64,darwin/aarch64",
            "--to",
            &to,
        ])
        .success()
        .stderr_has("skipped 24.0.7 for mac/aarch64")
        .stderr_has("3 written");
    assert_eq!(
        mirrored(&tree),
        [
            format!("{STATIC}/docker-20.10.25.tgz"),
            format!("{STATIC}/docker-24.0.7.tgz"),
            "get.docker.com/builds/Linux/x86_64/docker-1.8.0".to_string(),
        ]
    );
    let legacy = &manifest(&tree)["files"]["get.docker.com/builds/Linux/x86_64/docker-1.8.0"];
    assert_eq!(legacy["verified_by"][0], "published-sha256");
    let sibling = std::fs::read_to_string(
        tree.join("get.docker.com/builds/Linux/x86_64/docker-1.8.0.sha256"),
    )
    .unwrap();
    assert!(sibling.ends_with("  docker-1.8.0\n"), "{sibling}");
    assert!(
        tree_files(&tree)
            .iter()
            .all(|(rel, _)| !rel.contains("dvm-part") && !rel.contains("dvm-scratch"))
    );

    let server = serve(&tree);
    let t = client_of(&server.url());
    let listed = t.dvm(["ls-remote", "--source", "static"]);
    listed.success();
    let versions: Vec<&str> = listed
        .stdout
        .lines()
        .map(|l| {
            l.trim_start_matches(['*', ' '])
                .split_whitespace()
                .next()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(versions, ["20.10.25", "24.0.7"], "{}", listed.stdout);
    t.dvm(["install", "latest"])
        .success()
        .stderr_has("latest resolved to docker 24.0.7");
    t.dvm(["install", "20.10"]).success();
    t.dvm(["install", "1.8.0"]).success();
    assert_eq!(t.installed(), ["1.8.0", "20.10.25", "24.0.7"]);
    let by = |v: &str| {
        ls_json(&t).into_iter().find(|e| e["version"] == v).unwrap()["verified_by"][0].clone()
    };
    assert_eq!(by("1.8.0"), "published-sha256");
}

#[test]
fn rpm_trees_get_repodata_naming_only_what_was_mirrored_and_stay_signed() {
    let (_r, maker, tree) = mirror_maker();
    let to = tree.display().to_string();
    maker
        .dvm(["mirror", "20.10.22", "--source", "rpm", "--to", &to])
        .success();
    let rpm = format!("{CE_REPO}/Packages/docker-ce-cli-20.10.22-3.el7.x86_64.rpm");
    assert_eq!(mirrored(&tree), std::slice::from_ref(&rpm));
    assert_eq!(
        manifest(&tree)["files"][&rpm]["rpm"]["signed_by"],
        crate::support::signing::TEST_KEY_ID
    );

    let server = serve(&tree);
    let t = client_of(&server.url());
    let listed = t.dvm(["ls-remote", "--source", "rpm"]);
    listed.success().stdout_has("20.10.22");
    assert!(!listed.stdout.contains("20.10.25"), "{}", listed.stdout);
    t.dvm(["install", "20.10.22", "--source", "rpm"]).success();
    let entry = ls_json(&t)
        .into_iter()
        .find(|e| e["version"] == "20.10.22")
        .unwrap();
    assert_eq!(entry["verified_by"][0], "signature");
    assert!(
        entry["verified_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "repodata")
    );
}

#[test]
fn a_second_run_fetches_nothing_and_from_cache_needs_no_network() {
    let (r, maker, tree) = mirror_maker();
    let to = tree.display().to_string();
    maker
        .dvm(["mirror", "24.0.7", "20.10.22", "--to", &to])
        .success();
    let before = archives_downloaded(&r);
    assert_eq!(before, 2, "both archives were downloaded once");
    maker
        .dvm(["mirror", "24.0.7", "20.10.22", "--to", &to])
        .success()
        .stderr_has(&format!("unchanged {STATIC}/docker-24.0.7.tgz"))
        .stderr_has("0 written, 2 unchanged");
    let log: Vec<String> = r.requests().into_iter().map(|q| q.path).collect();
    assert_eq!(archives_downloaded(&r), before, "{log:#?}");

    // Another tree from the same download cache, with the network gone.
    let other = maker.files.join("other");
    let mut offline = env_for(&r);
    offline.home = maker.home.clone();
    offline.env("DVM_MIRROR", "http://127.0.0.1:9");
    offline
        .dvm([
            "mirror",
            "24.0.7",
            "--from-cache",
            "--to",
            &other.display().to_string(),
        ])
        .success();
    assert_eq!(mirrored(&other), [format!("{STATIC}/docker-24.0.7.tgz")]);
    assert_eq!(
        std::fs::read(other.join(format!("{STATIC}/docker-24.0.7.tgz"))).unwrap(),
        std::fs::read(tree.join(format!("{STATIC}/docker-24.0.7.tgz"))).unwrap()
    );
}

#[test]
fn check_rehashes_the_tree_against_its_manifest() {
    let (_r, t, tree) = mirror_maker();
    let to = tree.display().to_string();
    t.dvm(["mirror", "24.0.7", "--to", &to]).success();
    t.dvm(["mirror", "--check", &to])
        .success()
        .stderr_has("files match dvm-mirror.json");

    let tgz = tree.join(format!("{STATIC}/docker-24.0.7.tgz"));
    std::fs::write(&tgz, b"tampered").unwrap();
    std::fs::remove_file(tree.join(format!("{STATIC}/index.html"))).unwrap();
    t.dvm(["mirror", "--check", &to])
        .failure(5)
        .stderr_has(&format!("{STATIC}/docker-24.0.7.tgz: sha256"))
        .stderr_has(&format!("{STATIC}/index.html: missing"))
        .stderr_has("hint: run dvm mirror again");

    let empty = t.files.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    t.dvm(["mirror", "--check", &empty.display().to_string()])
        .failure(3);
}

/// A real nginx serving `root` on a free loopback port, stopped on drop. One process
/// (`master_process off`), so killing it leaves no orphaned worker holding our pipes.
struct Nginx {
    child: Child,
    port: u16,
    _conf_dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn start_nginx(root: &Path) -> Option<Nginx> {
    let Some(binary) = nginx_binary() else {
        println!("skipping: nginx is not installed (.ci/run installs nginx-light)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let conf_dir = tempfile::tempdir().unwrap();
    let conf = conf_dir.path().join("nginx.conf");
    let prefix = conf_dir.path().display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n  fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    root {};\n    index index.html;\n  }}\n}}\n",
            root.display()
        ),
    )
    .unwrap();
    let child = Command::new(&binary)
        .arg("-p")
        .arg(conf_dir.path())
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let nginx = Nginx {
        child,
        port,
        _conf_dir: conf_dir,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if std::time::Instant::now() > deadline {
            println!("skipping: nginx did not start on port {port}");
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Some(nginx)
}

/// What `dvm ls --json` says verified `version` in `t`'s store.
fn verified_by(t: &TestEnv, version: &str) -> Value {
    ls_json(t)
        .into_iter()
        .find(|e| e["version"] == version)
        .unwrap_or_else(|| panic!("{version} is not installed"))["verified_by"]
        .clone()
}

/// The acceptance run: three versions from the static, legacy and RPM sources for
/// two platforms, served by nginx with the replica gone; each installs in a fresh home and
/// is verified as it was from the original hosts.
#[test]
fn a_real_nginx_serves_the_tree_with_the_replica_stopped() {
    let Some(_) = nginx_binary() else {
        println!("skipping: nginx is not installed (.ci/run installs nginx-light)");
        return;
    };
    let (r, maker, tree) = mirror_maker();
    let arm = "/download.docker.com/linux/static/stable/aarch64/docker-24.0.7.tgz";
    r.put(
        arm,
        crate::support::archives::docker_tgz(
            "docker/docker",
            &crate::support::archives::fake_client_script("24.0.7"),
        ),
    );
    let to = tree.display().to_string();
    let platforms = "linux/x86_64,linux/aarch64";
    maker
        .dvm([
            "mirror",
            "24.0.7",
            "1.8.0",
            "--platform",
            platforms,
            "--to",
            &to,
        ])
        .success()
        .stderr_has("skipped 1.8.0 for linux/aarch64");
    maker
        .dvm([
            "mirror",
            "20.10.22",
            "--source",
            "rpm",
            "--platform",
            platforms,
            "--to",
            &to,
        ])
        .success();
    let legacy = "get.docker.com/builds/Linux/x86_64/docker-1.8.0";
    let rpm = format!("{CE_REPO}/Packages/docker-ce-cli-20.10.22-3.el7.x86_64.rpm");
    assert_eq!(
        mirrored(&tree),
        [
            rpm,
            arm.trim_start_matches('/').to_string(),
            format!("{STATIC}/docker-24.0.7.tgz"),
            legacy.to_string(),
        ]
    );
    // How the original hosts verify each one, for the comparison below.
    let original = env_for(&r);
    for (v, source) in [
        ("24.0.7", "static"),
        ("1.8.0", "legacy"),
        ("20.10.22", "rpm"),
    ] {
        original.dvm(["install", v, "--source", source]).success();
    }
    drop(r);

    let Some(nginx) = start_nginx(&tree) else {
        return;
    };
    let url = format!("http://127.0.0.1:{}", nginx.port);
    for (v, source) in [
        ("24.0.7", "static"),
        ("1.8.0", "legacy"),
        ("20.10.22", "rpm"),
    ] {
        let t = client_of(&url);
        t.dvm(["install", v, "--source", source]).success();
        assert_eq!(t.installed(), [v]);
        assert_eq!(verified_by(&t, v), verified_by(&original, v), "{v}");
    }
    let mut arm_client = client_of(&url);
    arm_client.env("DVM_PLATFORM", "linux/aarch64");
    arm_client.dvm(["install", "24.0.7"]).success();
    assert_eq!(arm_client.installed(), ["24.0.7"]);

    client_of(&url)
        .dvm(["install", "20.10.25"])
        .failure(3)
        .stderr_has(&format!(
            "docker 20.10.25 is not on this mirror ({url}) for linux/x86_64"
        ))
        .stderr_has("dvm mirror 20.10.25 --to DIR");

    // A file changed in the tree: --check finds it and a client refuses it.
    let mut bytes = std::fs::read(tree.join(legacy)).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(tree.join(legacy), bytes).unwrap();
    maker
        .dvm(["mirror", "--check", &to])
        .failure(5)
        .stderr_has(legacy);
    let t = client_of(&url);
    t.dvm(["install", "1.8.0"]).failure(5);
    assert!(t.installed().is_empty());
}

/// `kill -9` while an archive downloads: what the tree holds still matches its manifest,
/// and the next run finishes the job.
#[test]
fn a_killed_run_leaves_a_tree_check_accepts_and_a_rerun_completes() {
    use crate::support::server::{Fault, Route};
    let (r, maker, tree) = mirror_maker();
    let slow = r.add_static("stable", "20.10.25");
    r.server.add_with(
        &slow.path,
        Route::new(slow.bytes.clone())
            .fault(Fault::Stall {
                after: 64,
                pause: std::time::Duration::from_secs(20),
            })
            .times(1),
    );
    let to = tree.display().to_string();
    let mut child = maker
        .dvm_cmd(["mirror", "24.0.7", "20.10.25", "--to", &to])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !r.requests().iter().any(|q| q.path == slow.path) {
        assert!(
            std::time::Instant::now() < deadline,
            "dvm never asked for it"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(mirrored(&tree), [format!("{STATIC}/docker-24.0.7.tgz")]);
    assert!(!tree.join(format!("{STATIC}/docker-20.10.25.tgz")).exists());
    maker.dvm(["mirror", "--check", &to]).success();

    maker
        .dvm(["mirror", "24.0.7", "20.10.25", "--to", &to])
        .success()
        .stderr_has("1 written, 1 unchanged");
    maker.dvm(["mirror", "--check", &to]).success();
    assert!(
        tree_files(&tree)
            .iter()
            .all(|(rel, _)| !rel.contains("dvm-scratch")),
        "the killed run's scratch is cleared"
    );
}

/// Every path below `dir` with its size and modification time.
fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
            }
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            out.push((rel, meta.len(), meta.modified().unwrap()));
        }
    }
    out.sort();
    out
}

/// A store baked into a CI image may be read-only at run time: choosing and running a
/// client, and the commands that only report, write nothing below DVM_HOME.
#[test]
fn a_baked_store_is_only_read_when_clients_run() {
    let r = Replica::docker();
    let t = env_for(&r);
    t.dvm(["install", "20.10"]).success();
    t.dvm(["install", "1.8.0"]).success();
    t.dvm(["default", "20.10"]).success();
    t.dvm(["which"]).success();
    let before = snapshot(&t.home);
    std::thread::sleep(std::time::Duration::from_millis(20));
    t.docker_in(&t.cwd, ["--version"])
        .success()
        .stdout_has("20.10.25");
    t.dvm(["current"]).success().stdout_has("20.10.25");
    t.dvm(["ls"]).success();
    t.dvm(["which", "1.8.0"]).success();
    t.dvm(["exec", "20.10", "--", "docker", "--version"])
        .success()
        .stdout_has("20.10.25");
    t.dvm(["verify"]).success();
    assert_eq!(snapshot(&t.home), before);
}

/// A file upstream republished under the same name is fetched again and reported.
#[test]
fn a_file_changed_upstream_is_fetched_again_and_reported() {
    let (r, maker, tree) = mirror_maker();
    let to = tree.display().to_string();
    maker.dvm(["mirror", "1.8.0", "--to", &to]).success();
    let legacy = "get.docker.com/builds/Linux/x86_64/docker-1.8.0";
    let old = manifest(&tree)["files"][legacy]["sha256"].clone();

    let path = format!("/{legacy}");
    let served = r.put(
        &path,
        crate::support::archives::fake_elf(b"docker 1.8.0, rebuilt"),
    );
    r.add_sha256_sibling(&path, &served.sha256);
    maker
        .dvm(["mirror", "1.8.0", "--to", &to])
        .success()
        .stderr_has(&format!(
            "{legacy} changed upstream: it was sha256 {}, it is now {}",
            old.as_str().unwrap(),
            served.sha256
        ));
    assert_eq!(manifest(&tree)["files"][legacy]["sha256"], served.sha256);
    assert_eq!(std::fs::read(tree.join(legacy)).unwrap(), served.bytes);
    maker.dvm(["mirror", "--check", &to]).success();
}
