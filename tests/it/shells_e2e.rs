//! End to end in real shells with the real dvm: `dvm init`, `dvm use`, `dvm use --global`,
//! version files followed through the shim, and `--use-on-cd`. bash always; zsh, fish and pwsh
//! when installed (otherwise the test says it skipped).
//!
//! Three clients are installed: 1.12.6 from the committed RPM, and two more with `--as` from a
//! tarball (each prints its own version). The global default is 17.03.2-ce, the folder
//! `project` pins 20.10.25, and `dvm use` picks 1.12.6, so every answer tells which rule won.

use crate::support::archives;
use crate::support::daemon;
use crate::support::env;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use env::{TestEnv, dvm_exe, fixture_rpm, installed};

const RPM_CLIENT: &str = "1.12.6, build 78d1802";
const PROJECT_CLIENT: &str = "20.10.25, build abc";
const DEFAULT_CLIENT: &str = "17.03.2-ce, build abc";

/// Only a guard against a hung shell, never an assertion on speed.
const HANG_LIMIT: Duration = Duration::from_secs(120);

struct World {
    t: TestEnv,
    /// DVM_HOME (`t.home` unless the world is awkward).
    dvm_home: PathBuf,
    bin: PathBuf,
    project: PathBuf,
    plain: PathBuf,
}

/// A folder name with everything a shell's quoting could trip on.
const AWKWARD_NAME: &str = r"it's a $HOME \ dir";

impl World {
    fn new() -> World {
        let w = World::bare(false);
        w.install_clients();
        w
    }

    /// dvm on PATH and nothing installed. An awkward world keeps dvm's data and dvm itself
    /// under folders named [`AWKWARD_NAME`].
    fn bare(awkward: bool) -> World {
        let mut t = TestEnv::new();
        let (dvm_home, bin) = if awkward {
            let dvm_home = t.files.join(AWKWARD_NAME).join("dvm home");
            t.env("DVM_HOME", dvm_home.display().to_string());
            (dvm_home, t.files.join(AWKWARD_NAME).join("bin"))
        } else {
            (t.home.clone(), t.files.join("bin"))
        };
        // `dvm` is found on PATH like an installed binary.
        std::fs::create_dir_all(&bin).unwrap();
        if awkward {
            // dvm names itself by the path it was started from, so it must live there.
            if std::fs::hard_link(dvm_exe(), bin.join("dvm")).is_err() {
                std::fs::copy(dvm_exe(), bin.join("dvm")).unwrap();
            }
        } else {
            std::os::unix::fs::symlink(dvm_exe(), bin.join("dvm")).unwrap();
        }
        let project = t.cwd.join("project");
        let plain = t.cwd.join("plain");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::create_dir_all(&plain).unwrap();
        std::fs::write(project.join(".docker-version"), "20.10.25\n").unwrap();
        World {
            t,
            dvm_home,
            bin,
            project,
            plain,
        }
    }

    fn install_clients(&self) {
        let t = &self.t;
        t.dvm(["install", "--from", fixture_rpm("gz").to_str().unwrap()])
            .success();
        for version in ["20.10.25", "17.03.2-ce"] {
            let tgz = t.file(
                &format!("client-{version}.tgz"),
                &archives::docker_tgz("docker/docker", &archives::fake_client_script(version)),
            );
            t.dvm(["install", "--from", tgz.to_str().unwrap(), "--as", version])
                .success();
        }
        t.dvm(["use", "--global", "17.03.2-ce"]).success();
    }

    /// A shell with a small known environment: no docker on PATH (this machine's
    /// /usr/local/bin may have one), dvm's home, and folders for the shells' own state.
    fn shell(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let home = &self.t.user_home;
        cmd.env_clear()
            .env("HOME", home)
            .env("DVM_HOME", &self.dvm_home)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("TERM", "dumb")
            .env("NO_COLOR", "1")
            .current_dir(&self.t.cwd);
        cmd
    }

    fn fill(&self, script: &str) -> String {
        script
            .replace("{project}", &self.project.display().to_string())
            .replace("{plain}", &self.plain.display().to_string())
    }

    fn shims(&self) -> String {
        self.dvm_home.join("shims").display().to_string()
    }
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let input = tempfile::NamedTempFile::new().unwrap();
    match stdin {
        Some(text) => {
            std::fs::write(input.path(), text).unwrap();
            cmd.stdin(std::fs::File::open(input.path()).unwrap());
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start the shell");
    let deadline = Instant::now() + HANG_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{cmd:?} still ran after {HANG_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// What a scenario printed: `docker --version` answers, `key=value` markers, and stderr.
struct Seen {
    stdout: String,
    stderr: String,
}

impl Seen {
    fn from(out: &Output) -> Seen {
        Seen {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn clients(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("Docker version "))
            .collect()
    }

    fn marker(&self, key: &str) -> Vec<&str> {
        let prefix = format!("{key}=");
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .collect()
    }

    fn context(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

/// The scenario without the cd hook: the default, a version file through the shim, `dvm use`
/// (which beats the file), a failing `dvm use` (which changes nothing), `dvm use --global`.
const POSIX_SCENARIO: &str = r#"
echo "first=${PATH%%:*}"
echo "integration=$DVM_SHELL_INTEGRATION"
cd '{plain}'
docker --version
cd '{project}'
docker --version
dvm use 1.12.6
echo "use=$?"
echo "var=$DVM_DOCKER_VERSION"
docker --version
dvm current
dvm use 99.9.9
echo "bad=$?"
echo "var=$DVM_DOCKER_VERSION"
dvm use --global 20.10.25
echo "global=$?"
"#;

fn check_posix(w: &World, seen: &Seen, shell: &str) {
    let ctx = seen.context();
    assert_eq!(seen.marker("first"), [w.shims().as_str()], "{ctx}");
    assert_eq!(seen.marker("integration"), [shell], "{ctx}");
    assert_eq!(
        seen.clients(),
        [DEFAULT_CLIENT, PROJECT_CLIENT, RPM_CLIENT],
        "{ctx}"
    );
    assert_eq!(seen.marker("use"), ["0"], "{ctx}");
    assert_eq!(seen.marker("var"), ["1.12.6", "1.12.6"], "{ctx}");
    assert!(
        seen.stdout
            .contains("1.12.6 (set by DVM_DOCKER_VERSION (dvm use))"),
        "{ctx}"
    );
    assert_eq!(seen.marker("bad"), ["3"], "{ctx}");
    assert!(
        seen.stderr.contains("docker 99.9.9 is not installed"),
        "{ctx}"
    );
    assert_eq!(seen.marker("global"), ["0"], "{ctx}");
    assert!(seen.stderr.contains("now using docker 1.12.6"), "{ctx}");
    assert_eq!(
        std::fs::read_to_string(w.dvm_home.join("default")).unwrap(),
        "20.10.25\n"
    );
}

/// With the cd hook: `dvm use` holds until the shell enters the scope of another version
/// file, which then rules (the variable is cleared, so `current` names the file); in a
/// subfolder of that project a new `dvm use` holds, and leaving the project keeps it.
const CD_SCENARIO: &str = r#"
mkdir -p '{project}/sub'
dvm use 1.12.6
docker --version
cd '{project}'
echo "var=${DVM_DOCKER_VERSION-unset}"
docker --version
dvm use 1.12.6
cd '{project}/sub'
docker --version
cd '{plain}'
echo "var=${DVM_DOCKER_VERSION-unset}"
docker --version
"#;

fn check_cd(seen: &Seen) {
    let ctx = seen.context();
    assert_eq!(
        seen.clients(),
        [RPM_CLIENT, PROJECT_CLIENT, RPM_CLIENT, RPM_CLIENT],
        "{ctx}"
    );
    assert_eq!(seen.marker("var"), ["unset", "1.12.6"], "{ctx}");
}

#[test]
fn bash() {
    if !installed("bash") {
        return;
    }
    let w = World::new();
    let script = format!("eval \"$(dvm init bash)\"\n{}", w.fill(POSIX_SCENARIO));
    let out = run(
        w.shell("bash")
            .args(["--norc", "--noprofile", "-c", &script]),
        None,
    );
    check_posix(&w, &Seen::from(&out), "bash");

    // The hook runs from PROMPT_COMMAND, which only an interactive shell runs.
    let w = World::new();
    let script = format!(
        "eval \"$(dvm init bash --use-on-cd)\"\n{}",
        w.fill(CD_SCENARIO)
    );
    let mut shell = w.shell("bash");
    shell.args(["--norc", "--noprofile", "-i"]);
    check_cd(&Seen::from(&run(&mut shell, Some(&script))));

    // `dvm local` rules at the next prompt, `current` names the file (not the variable), and
    // a broken file makes docker fail instead of running the earlier choice.
    let w = World::new();
    let script = format!(
        "eval \"$(dvm init bash --use-on-cd)\"\n{}",
        w.fill(
            r#"
cd '{plain}'
dvm use 1.12.6
dvm local 20.10.25
docker --version
echo "current=$(dvm current)"
echo 'not a version!' > .docker-version
docker --version
echo "broken=$?"
"#
        )
    );
    let mut shell = w.shell("bash");
    shell.args(["--norc", "--noprofile", "-i"]);
    let seen = Seen::from(&run(&mut shell, Some(&script)));
    let ctx = seen.context();
    assert_eq!(seen.clients(), [PROJECT_CLIENT], "{ctx}");
    assert!(
        seen.marker("current")[0].contains("(set by ")
            && seen.marker("current")[0].contains(".docker-version"),
        "{ctx}"
    );
    assert_eq!(seen.marker("broken"), ["2"], "{ctx}");
}

/// `dvm detect` through the integration sets this shell's version like `dvm use` does.
#[test]
fn bash_detect() {
    if !installed("bash") {
        return;
    }
    let w = World::new();
    let d = daemon::FakeDaemon::tcp(daemon::Behaviour::json(daemon::eras::V20_10_24));
    let script = w.fill(
        r#"
eval "$(dvm init bash)"
cd '{plain}'
docker --version
dvm detect --offline
echo "detect=$?"
echo "var=$DVM_DOCKER_VERSION"
docker --version
echo "print=$(dvm detect --offline --print)"
"#,
    );
    let mut shell = w.shell("bash");
    shell
        .args(["--norc", "--noprofile", "-c", &script])
        .env("DOCKER_HOST", &d.docker_host);
    let seen = Seen::from(&run(&mut shell, None));
    let ctx = seen.context();
    assert_eq!(seen.clients(), [DEFAULT_CLIENT, PROJECT_CLIENT], "{ctx}");
    assert_eq!(seen.marker("detect"), ["0"], "{ctx}");
    assert_eq!(seen.marker("var"), ["20.10.25"], "{ctx}");
    assert_eq!(seen.marker("print"), ["20.10.25"], "{ctx}");
    // Offline, the choice is among installed versions, and dvm says so.
    assert!(seen.stderr.contains("installed versions only"), "{ctx}");
}

#[test]
fn zsh() {
    if !installed("zsh") {
        return;
    }
    let w = World::new();
    let script = format!("eval \"$(dvm init zsh)\"\n{}", w.fill(POSIX_SCENARIO));
    let out = run(w.shell("zsh").args(["-f", "-c", &script]), None);
    check_posix(&w, &Seen::from(&out), "zsh");

    let w = World::new();
    let script = format!(
        "eval \"$(dvm init zsh --use-on-cd)\"\n{}",
        w.fill(CD_SCENARIO)
    );
    check_cd(&Seen::from(&run(
        w.shell("zsh").args(["-f", "-c", &script]),
        None,
    )));
}

#[test]
fn fish() {
    if !installed("fish") {
        return;
    }
    let fishify = |script: &str| {
        script
            .replace("${PATH%%:*}", "$PATH[1]")
            .replace("=$?", "=$status")
            .replace(
                "echo \"var=${DVM_DOCKER_VERSION-unset}\"",
                "set -q DVM_DOCKER_VERSION; and echo \"var=$DVM_DOCKER_VERSION\"; or echo var=unset",
            )
    };
    let w = World::new();
    let script = format!(
        "dvm init fish | source\n{}",
        fishify(&w.fill(POSIX_SCENARIO))
    );
    let out = run(w.shell("fish").args(["--no-config", "-c", &script]), None);
    check_posix(&w, &Seen::from(&out), "fish");

    let w = World::new();
    let script = format!(
        "dvm init fish --use-on-cd | source\n{}",
        fishify(&w.fill(CD_SCENARIO))
    );
    check_cd(&Seen::from(&run(
        w.shell("fish").args(["--no-config", "-c", &script]),
        None,
    )));
}

#[test]
fn pwsh() {
    if !installed("pwsh") {
        return;
    }
    let w = World::new();
    let script = w.fill(
        r#"
dvm init powershell | Out-String | Invoke-Expression
"first=$(($env:PATH -split ':')[0])"
"integration=$env:DVM_SHELL_INTEGRATION"
Set-Location '{plain}'
docker --version
Set-Location '{project}'
docker --version
dvm use 1.12.6
"use=$LASTEXITCODE"
"var=$env:DVM_DOCKER_VERSION"
docker --version
dvm current
dvm use 99.9.9
"bad=$LASTEXITCODE"
"var=$env:DVM_DOCKER_VERSION"
dvm use --global 20.10.25
"global=$LASTEXITCODE"
"#,
    );
    let out = run(
        w.shell("pwsh")
            .args(["-NoProfile", "-NonInteractive", "-Command", &script]),
        None,
    );
    check_posix(&w, &Seen::from(&out), "pwsh");

    // The hook runs from the prompt, which a script never draws: draw it by hand.
    let w = World::new();
    let script = w.fill(
        r#"
dvm init powershell --use-on-cd | Out-String | Invoke-Expression
New-Item -ItemType Directory -Force -Path '{project}/sub' | Out-Null
dvm use 1.12.6
docker --version
Set-Location '{project}'
$null = prompt
"var=$(if ($env:DVM_DOCKER_VERSION) { $env:DVM_DOCKER_VERSION } else { 'unset' })"
docker --version
dvm use 1.12.6
Set-Location '{project}/sub'
$null = prompt
docker --version
Set-Location '{plain}'
$null = prompt
"var=$(if ($env:DVM_DOCKER_VERSION) { $env:DVM_DOCKER_VERSION } else { 'unset' })"
docker --version
"#,
    );
    check_cd(&Seen::from(&run(
        w.shell("pwsh")
            .args(["-NoProfile", "-NonInteractive", "-Command", &script]),
        None,
    )));
}

// ---- help and usage errors under the integration --------------------------------------------

/// `dvm use --help` and friends run through the shell function, which evaluates dvm's stdout:
/// the help must reach the user (on stderr) and nothing may be evaluated.
const HELP_SCENARIO: &str = r#"
dvm use --help
echo "help=$?"
dvm use -h
echo "short=$?"
dvm detect --help
echo "detect=$?"
dvm use --no-such-flag
echo "bad=$?"
echo "var=${DVM_DOCKER_VERSION-unset}"
echo "still=ok"
"#;

fn check_help(seen: &Seen) {
    let ctx = seen.context();
    assert_eq!(seen.marker("help"), ["0"], "{ctx}");
    assert_eq!(seen.marker("short"), ["0"], "{ctx}");
    assert_eq!(seen.marker("detect"), ["0"], "{ctx}");
    assert_eq!(seen.marker("bad"), ["2"], "{ctx}");
    assert_eq!(seen.marker("var"), ["unset"], "{ctx}");
    assert_eq!(seen.marker("still"), ["ok"], "{ctx}");
    // Only the markers reach stdout; the help and the error are on stderr, once each.
    assert!(seen.stdout.lines().all(|l| l.contains('=')), "{ctx}");
    assert_eq!(seen.stderr.matches("Usage: dvm use").count(), 3, "{ctx}");
    assert_eq!(seen.stderr.matches("Usage: dvm detect").count(), 1, "{ctx}");
    assert!(
        seen.stderr.contains("unexpected argument '--no-such-flag'"),
        "{ctx}"
    );
    for symptom in [
        "syntax error",
        "not found",
        "Unknown command",
        "parse error",
    ] {
        assert!(!seen.stderr.contains(symptom), "{symptom}: {ctx}");
    }
}

fn fishify(script: &str) -> String {
    script.replace("=$?", "=$status").replace(
        "echo \"var=${DVM_DOCKER_VERSION-unset}\"",
        "set -q DVM_DOCKER_VERSION; and echo \"var=$DVM_DOCKER_VERSION\"; or echo var=unset",
    )
}

#[test]
fn bash_help_is_shown_not_evaluated() {
    if !installed("bash") {
        return;
    }
    let w = World::bare(false);
    let script = format!("eval \"$(dvm init bash)\"\n{HELP_SCENARIO}");
    let out = run(
        w.shell("bash")
            .args(["--norc", "--noprofile", "-c", &script]),
        None,
    );
    check_help(&Seen::from(&out));
}

#[test]
fn zsh_help_is_shown_not_evaluated() {
    if !installed("zsh") {
        return;
    }
    let w = World::bare(false);
    let script = format!("eval \"$(dvm init zsh)\"\n{HELP_SCENARIO}");
    let out = run(w.shell("zsh").args(["-f", "-c", &script]), None);
    check_help(&Seen::from(&out));
}

#[test]
fn fish_help_is_shown_not_evaluated() {
    if !installed("fish") {
        return;
    }
    let w = World::bare(false);
    let script = format!("dvm init fish | source\n{}", fishify(HELP_SCENARIO));
    let out = run(w.shell("fish").args(["--no-config", "-c", &script]), None);
    check_help(&Seen::from(&out));
}

// ---- awkward paths -------------------------------------------------------------------------

/// dvm's data and dvm itself live under folders with a quote, a space, a `$` and a backslash:
/// the init script must still parse, put the shims first, and call this dvm.
const AWKWARD_SCENARIO: &str = r#"
echo "first=${PATH%%:*}"
echo "exe=$DVM_EXE"
cd '{plain}'
docker --version
dvm use 20.10.25
echo "use=$?"
docker --version
"#;

fn check_awkward(w: &World, seen: &Seen) {
    let ctx = seen.context();
    assert!(w.shims().contains(AWKWARD_NAME));
    assert_eq!(seen.marker("first"), [w.shims().as_str()], "{ctx}");
    assert_eq!(
        seen.marker("exe"),
        [w.bin.join("dvm").display().to_string().as_str()],
        "{ctx}"
    );
    assert_eq!(seen.clients(), [DEFAULT_CLIENT, PROJECT_CLIENT], "{ctx}");
    assert_eq!(seen.marker("use"), ["0"], "{ctx}");
}

fn awkward_world() -> World {
    let w = World::bare(true);
    w.install_clients();
    w
}

#[test]
fn bash_with_awkward_paths() {
    if !installed("bash") {
        return;
    }
    let w = awkward_world();
    let script = format!(
        "eval \"$(dvm init bash --use-on-cd)\"\n{}",
        w.fill(AWKWARD_SCENARIO)
    );
    let out = run(
        w.shell("bash")
            .args(["--norc", "--noprofile", "-c", &script]),
        None,
    );
    check_awkward(&w, &Seen::from(&out));
}

#[test]
fn zsh_with_awkward_paths() {
    if !installed("zsh") {
        return;
    }
    let w = awkward_world();
    let script = format!(
        "eval \"$(dvm init zsh --use-on-cd)\"\n{}",
        w.fill(AWKWARD_SCENARIO)
    );
    let out = run(w.shell("zsh").args(["-f", "-c", &script]), None);
    check_awkward(&w, &Seen::from(&out));
}

#[test]
fn fish_with_awkward_paths() {
    if !installed("fish") {
        return;
    }
    let w = awkward_world();
    let script = format!(
        "dvm init fish --use-on-cd | source\n{}",
        fishify(&w.fill(AWKWARD_SCENARIO)).replace("${PATH%%:*}", "$PATH[1]")
    );
    let out = run(w.shell("fish").args(["--no-config", "-c", &script]), None);
    check_awkward(&w, &Seen::from(&out));
}

#[test]
fn pwsh_with_awkward_paths() {
    if !installed("pwsh") {
        return;
    }
    let w = awkward_world();
    let script = w.fill(
        r#"
dvm init powershell --use-on-cd | Out-String | Invoke-Expression
"first=$(($env:PATH -split ':')[0])"
"exe=$env:DVM_EXE"
Set-Location '{plain}'
docker --version
dvm use 20.10.25
"use=$LASTEXITCODE"
docker --version
"#,
    );
    let out = run(
        w.shell("pwsh")
            .args(["-NoProfile", "-NonInteractive", "-Command", &script]),
        None,
    );
    check_awkward(&w, &Seen::from(&out));
}
