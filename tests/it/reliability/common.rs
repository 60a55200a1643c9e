//! Helpers shared by the reliability tests: store invariants, fixtures, watchdogs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::support::env::{Run, TestEnv};
use crate::support::server::FixtureServer;

/// The version the remote tests install.
pub const V: &str = "20.10.25";

/// Where the static source keeps `docker-<v>.tgz` on a mirror (`<mirror>/<host>/<path>`).
pub fn static_path(v: &str) -> String {
    format!("/download.docker.com/linux/static/stable/x86_64/docker-{v}.tgz")
}

/// `DVM_LONG_TESTS=1` turns on the long variants.
pub fn long_tests() -> bool {
    std::env::var("DVM_LONG_TESTS").is_ok_and(|v| v == "1")
}

/// `ci` normally, `long` with `DVM_LONG_TESTS=1`.
pub fn scaled(ci: usize, long: usize) -> usize {
    if long_tests() { long } else { ci }
}

/// A small deterministic generator, so a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.next() % (hi - lo)
        }
    }
}

/// The seed for this run: `DVM_TEST_SEED` when set (to replay a failure), else the clock.
pub fn seed() -> u64 {
    let seed = std::env::var("DVM_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    // Shown with a failure's output: DVM_TEST_SEED=<seed> replays the run.
    println!("DVM_TEST_SEED={seed}");
    seed
}

/// A runnable fake client of about `size` bytes: a script that prints its version, then
/// comment lines of hex noise (poorly compressible, so the archive is big on the wire too),
/// then a last line that prints [`client_end`]: only a whole client prints both.
pub fn padded_client(version: &str, size: usize) -> Vec<u8> {
    let mut out = format!("#!/bin/sh\necho \"Docker version {version}, build abc\"\n").into_bytes();
    let mut rng = Rng::new(size as u64 ^ version.len() as u64);
    while out.len() < size {
        out.push(b'#');
        for _ in 0..15 {
            out.extend_from_slice(format!("{:016x}", rng.next()).as_bytes());
        }
        out.push(b'\n');
    }
    out.extend_from_slice(format!("echo \"{}\"\n", client_end(version)).as_bytes());
    out
}

/// What the last line of a [`padded_client`] prints.
pub fn client_end(version: &str) -> String {
    format!("end of client {version}")
}

/// Whether a shim run ran the whole padded client of `version`.
pub fn ran_whole_client(run: &Run, version: &str) -> bool {
    run.code == 0
        && run.stdout.contains(&format!("Docker version {version},"))
        && run.stdout.contains(&client_end(version))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn file_sha256(path: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut file = fs::File::open(path).expect("open for hashing");
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).expect("read for hashing");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hex::encode(hasher.finalize())
}

/// A TestEnv whose remote sources all live on `server`, limited to the static source (so no
/// request goes to repodata), with quick retries.
pub fn remote_env(server: &FixtureServer) -> TestEnv {
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", server.url())
        .env("DVM_SOURCE", "static")
        .env("DVM_PLATFORM", "linux/x86_64");
    t
}

/// Checks the store's invariant: every folder in `versions/` holds a client and a manifest
/// that parses, and the client's sha256 is the one the manifest recorded. Returns
/// `(version, client sha256)` for each.
#[track_caller]
pub fn assert_store_consistent(home: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(home.join("versions")) else {
        return out;
    };
    for entry in entries {
        let entry = entry.expect("read versions/");
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        let client = dir.join("docker");
        let manifest_path = dir.join("manifest.json");
        assert!(
            client.is_file(),
            "versions/{name} has no client: {:?}",
            list_dir(&dir)
        );
        let manifest = fs::read(&manifest_path)
            .unwrap_or_else(|e| panic!("versions/{name} has no manifest ({e})"));
        let manifest: serde_json::Value = serde_json::from_slice(&manifest)
            .unwrap_or_else(|e| panic!("versions/{name}/manifest.json does not parse: {e}"));
        let actual = file_sha256(&client);
        assert_eq!(
            manifest["client_sha256"].as_str(),
            Some(actual.as_str()),
            "versions/{name}: the client does not match its manifest"
        );
        assert_eq!(
            manifest["client_size"].as_u64(),
            Some(fs::metadata(&client).expect("stat client").len()),
            "versions/{name}: client size"
        );
        out.push((name, actual));
    }
    out.sort();
    out
}

pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What is left in `<home>/tmp` (staging folders).
pub fn tmp_leftovers(home: &Path) -> Vec<String> {
    list_dir(&home.join("tmp"))
}

/// A command that crashed instead of reporting an error.
#[track_caller]
pub fn assert_no_panic(run: &Run, what: &str) {
    assert!(
        run.code != 101 && run.code != 70 && !run.stderr.contains("panicked"),
        "{what}: dvm crashed (exit {})\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// Runs `cmd` with its output captured; kills it after `limit`. `None` means it hung.
pub fn run_with_watchdog(mut cmd: Command, limit: Duration) -> Option<Run> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let stdout = drain(&mut child, true);
    let stderr = drain(&mut child, false);
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    status.map(|s| Run {
        code: s.code().unwrap_or(-1),
        stdout,
        stderr,
    })
}

fn drain(child: &mut Child, stdout: bool) -> thread::JoinHandle<String> {
    let mut pipe: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().expect("stdout piped"))
    } else {
        Box::new(child.stderr.take().expect("stderr piped"))
    };
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Whether this process runs as root (root ignores file permissions). Asks `id -u`.
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Every path below `root` with its kind, size and content hash, to prove nothing changed.
pub fn tree_snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let what = if meta.file_type().is_symlink() {
                format!("symlink -> {:?}", fs::read_link(&path).ok())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_string()
            } else if meta.is_file() {
                format!("file {} {}", meta.len(), file_sha256(&path))
            } else {
                "special".to_string()
            };
            out.insert(rel, what);
        }
    }
    out
}

/// Writes a program that a child will exec. Written by a separate `install` process so no
/// write handle of ours leaks into a child forked by another test thread (ETXTBSY).
pub fn write_program(path: &Path, text: &str) {
    let staging = path.with_extension("staging");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&staging, text).expect("write staging copy");
    let status = Command::new("install")
        .arg("-m")
        .arg("755")
        .arg(&staging)
        .arg(path)
        .status()
        .expect("run install");
    assert!(status.success(), "install {}", path.display());
    fs::remove_file(staging).expect("remove staging copy");
}

/// `docker ARGS` through the shim as `TestEnv::docker_in` runs it, as a Command (for
/// watchdogs): a bare `docker` looked up on the hermetic PATH.
pub fn shim_command(t: &TestEnv, cwd: &Path, path_var: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("exec docker \"$@\"")
        .arg("docker")
        .args(args)
        .env_clear()
        .env("HOME", &t.user_home)
        .env("DVM_HOME", &t.home)
        .env("PATH", path_var)
        .env("NO_COLOR", "1")
        .current_dir(cwd);
    cmd
}

/// Installs a small padded client of `v` from a local tarball.
pub fn install_local(t: &TestEnv, v: &str) -> Vec<u8> {
    let client = padded_client(v, 4096);
    let archive = t.file(
        &format!("docker-{v}.tgz"),
        &crate::support::archives::docker_tgz("docker/docker", &client),
    );
    t.dvm(["install", "--from", &archive.display().to_string()])
        .success();
    client
}

/// A folder under the TestEnv's working folder.
pub fn project(t: &TestEnv, name: &str) -> PathBuf {
    let dir = t.cwd.join(name);
    fs::create_dir_all(&dir).expect("mkdir project");
    dir
}

/// A tmpfs mounted for the life of the value (tests that need one skip when mount fails).
pub struct Tmpfs {
    pub path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs with `options` (such as `size=2048k` or `ro`) at `path`, or says why not.
    pub fn mount(path: &Path, options: &str) -> Result<Tmpfs, String> {
        fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
