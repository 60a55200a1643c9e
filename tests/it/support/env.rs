//! `TestEnv`: a temp DVM_HOME, a temp user home and working folder, and helpers that run the
//! real `dvm` binary and the real shim with a hermetic environment.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestEnv {
    _root: tempfile::TempDir,
    /// DVM_HOME.
    pub home: PathBuf,
    /// The user's HOME.
    pub user_home: PathBuf,
    /// Where commands run unless told otherwise.
    pub cwd: PathBuf,
    /// A folder for fixtures (archives to install, fake programs).
    pub files: PathBuf,
    extra_env: Vec<(String, String)>,
}

/// A finished command: exit code and both outputs as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }
}

pub fn dvm_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dvm"))
}

impl TestEnv {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let base = root.path().to_path_buf();
        let make = |name: &str| {
            let p = base.join(name);
            std::fs::create_dir_all(&p).expect("mkdir");
            p
        };
        TestEnv {
            home: make("dvm-home"),
            user_home: make("user"),
            cwd: make("work"),
            files: make("files"),
            _root: root,
            // Fixture repositories are signed with the committed test key.
            extra_env: vec![(
                "DVM_RPM_KEYS".to_string(),
                super::signing::test_public_key().display().to_string(),
            )],
        }
    }

    pub fn env(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.extra_env.push((key.to_string(), value.into()));
        self
    }

    /// PATH for child processes: the shims first, then the system folders.
    pub fn path_var(&self) -> String {
        format!("{}:/usr/bin:/bin", self.home.join("shims").display())
    }

    fn hermetic(&self, cmd: &mut Command, cwd: &Path) {
        cmd.env_clear()
            .env("HOME", &self.user_home)
            .env("DVM_HOME", &self.home)
            .env("PATH", self.path_var())
            .env("NO_COLOR", "1")
            .current_dir(cwd);
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
    }

    pub fn dvm_cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(dvm_exe());
        cmd.args(args);
        self.hermetic(&mut cmd, &self.cwd);
        cmd
    }

    pub fn dvm<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::from(self.dvm_cmd(args).output().expect("run dvm"))
    }

    pub fn dvm_in<I, S>(&self, cwd: &Path, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.dvm_cmd(args);
        cmd.current_dir(cwd);
        Run::from(cmd.output().expect("run dvm"))
    }

    /// Runs `docker ARGS` as a user would: a bare `docker` resolved through PATH.
    pub fn docker_in<I, S>(&self, cwd: &Path, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.docker_command(&[], args);
        cmd.current_dir(cwd);
        Run::from(cmd.output().expect("run docker through the shim"))
    }

    /// `docker ARGS` through the shim like [`TestEnv::docker_in`], with `vars` set for this
    /// call only.
    pub fn docker_with<I, S>(&self, vars: &[(&str, &str)], args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::from(
            self.docker_command(vars, args)
                .output()
                .expect("run docker"),
        )
    }

    /// The command behind [`TestEnv::docker_with`], to spawn.
    pub fn docker_command<I, S>(&self, vars: &[(&str, &str)], args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        // Through sh, so that `docker` is looked up on the hermetic PATH like in a script.
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg("exec docker \"$@\"")
            .arg("docker")
            .args(args);
        self.hermetic(&mut cmd, &self.cwd);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Writes a file under `files/` and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.files.join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    /// Installs the committed gzip fixture RPM as `version`.
    pub fn install_fixture_as(&self, version: &str) {
        self.dvm([
            "install",
            "--from",
            fixture_rpm("gz").to_str().unwrap(),
            "--as",
            version,
        ])
        .success();
    }

    /// Names of the folders in versions/.
    pub fn installed(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.home.join("versions"))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// A folder `depth` levels below `base`.
    pub fn nested(&self, base: &Path, depth: usize) -> PathBuf {
        let mut p = base.to_path_buf();
        for i in 0..depth {
            p.push(format!("d{i}"));
        }
        std::fs::create_dir_all(&p).expect("mkdir nested");
        p
    }
}

/// The committed rpmbuild fixtures.
pub fn fixture_rpm(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpm")
        .join(format!(
            "docker-engine-1.12.6-1.el7.centos.x86_64.{kind}.rpm"
        ))
}

/// Whether a program (a shell, say) is installed in the system folders; prints why a test
/// skips when it is not.
pub fn installed(program: &str) -> bool {
    let found = ["/usr/local/bin", "/usr/bin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(program).is_file());
    if !found {
        println!("skipping: {program} not installed");
    }
    found
}
