//! Dynamic completion: version arguments complete from the store as it is at <TAB> time.
//!
//! Two clients are installed (1.12.6 from the committed RPM, 20.10.25 from a generated tarball)
//! and two aliases exist (`old` -> 1.12, `work` -> 1.12.6). dvm is asked the way the printed
//! scripts ask it (`DVM_COMPLETE=SHELL dvm -- WORDS…`), then through real bash, zsh and fish
//! when they are installed.

use crate::support::archives;
use crate::support::env;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use env::{Run, TestEnv, dvm_exe, fixture_rpm, installed};

const VERSIONS: [&str; 2] = ["1.12.6", "20.10.25"];
const ALIASES: [&str; 2] = ["old", "work"];

fn store_with_versions_and_aliases() -> TestEnv {
    let t = TestEnv::new();
    t.dvm(["install", "--from", fixture_rpm("gz").to_str().unwrap()])
        .success();
    let tgz = t.file(
        "client.tgz",
        &archives::docker_tgz("docker/docker", &archives::fake_client_script("20.10.25")),
    );
    t.dvm([
        "install",
        "--from",
        tgz.to_str().unwrap(),
        "--as",
        "20.10.25",
    ])
    .success();
    t.dvm(["alias", "work", "1.12.6"]).success();
    t.dvm(["alias", "old", "1.12"]).success();
    t
}

/// Asks dvm for the candidates of the last word, with bash's protocol (one value a line).
fn ask(t: &TestEnv, words: &[&str]) -> Run {
    let mut cmd = t.dvm_cmd(["--"].iter().chain(words));
    cmd.env("DVM_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string());
    let out = cmd.output().expect("run dvm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The value candidates for the last word: options (which clap also offers for an empty word)
/// left out. Asserts a quiet, successful answer.
#[track_caller]
fn values(t: &TestEnv, words: &[&str]) -> Vec<String> {
    let run = ask(t, words);
    run.success();
    assert_eq!(run.stderr, "", "completion printed on stderr for {words:?}");
    run.stdout
        .lines()
        .filter(|l| !l.starts_with('-'))
        .map(str::to_owned)
        .collect()
}

fn list(parts: &[&[&str]]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.iter())
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn each_version_argument_offers_what_its_command_accepts() {
    let t = store_with_versions_and_aliases();
    let everything = list(&[&VERSIONS, &ALIASES, &["system"]]);
    for command in ["use", "default", "local", "which"] {
        assert_eq!(
            values(&t, &["dvm", command, ""]),
            everything,
            "dvm {command}"
        );
    }
    assert_eq!(
        values(&t, &["dvm", "use", "--global", ""]),
        everything,
        "a flag before the version"
    );
    assert_eq!(
        values(&t, &["dvm", "exec", ""]),
        list(&[&VERSIONS, &ALIASES]),
        "exec cannot run `system`"
    );
    assert_eq!(values(&t, &["dvm", "uninstall", ""]), list(&[&VERSIONS]));
    assert_eq!(
        values(&t, &["dvm", "alias", "legacy", ""]),
        list(&[&VERSIONS, &["system"]]),
        "an alias may not name another alias"
    );
    assert_eq!(values(&t, &["dvm", "unalias", ""]), list(&[&ALIASES]));
    // A new alias's name is the user's to invent.
    assert_eq!(values(&t, &["dvm", "alias", ""]), Vec::<String>::new());
}

#[test]
fn the_typed_prefix_narrows_the_candidates() {
    let t = store_with_versions_and_aliases();
    assert_eq!(values(&t, &["dvm", "use", "1"]), ["1.12.6"]);
    assert_eq!(values(&t, &["dvm", "use", "2"]), ["20.10.25"]);
    assert_eq!(values(&t, &["dvm", "which", "w"]), ["work"]);
    assert_eq!(values(&t, &["dvm", "use", "sy"]), ["system"]);
    assert_eq!(values(&t, &["dvm", "exec", "sy"]), Vec::<String>::new());
    assert_eq!(values(&t, &["dvm", "use", "9"]), Vec::<String>::new());
}

#[test]
fn candidates_follow_installs_and_removals() {
    let t = store_with_versions_and_aliases();
    t.dvm(["uninstall", "20.10.25"]).success();
    t.dvm(["unalias", "old"]).success();
    assert_eq!(
        values(&t, &["dvm", "use", ""]),
        ["1.12.6", "work", "system"]
    );
}

#[test]
fn shells_that_show_descriptions_get_them() {
    let t = store_with_versions_and_aliases();
    let mut cmd = t.dvm_cmd(["--", "dvm", "use", ""]);
    cmd.env("DVM_COMPLETE", "fish");
    let out = cmd.output().expect("run dvm");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('-')).collect();
    assert_eq!(
        lines,
        [
            "1.12.6",
            "20.10.25",
            "old\talias for 1.12",
            "work\talias for 1.12.6",
            "system\tthe docker on PATH outside dvm",
        ]
    );
}

#[test]
fn a_missing_or_unreadable_store_offers_nothing_and_says_nothing() {
    // No store at all.
    let mut t = TestEnv::new();
    t.env(
        "DVM_HOME",
        t.files.join("never-created").display().to_string(),
    );
    assert_eq!(values(&t, &["dvm", "use", ""]), ["system"]);
    assert_eq!(values(&t, &["dvm", "unalias", ""]), Vec::<String>::new());

    // versions/ and aliases/ are files, so neither can be listed.
    let t = TestEnv::new();
    std::fs::write(t.home.join("versions"), "not a folder").unwrap();
    std::fs::write(t.home.join("aliases"), "not a folder").unwrap();
    assert_eq!(values(&t, &["dvm", "use", ""]), ["system"]);
    assert_eq!(values(&t, &["dvm", "uninstall", ""]), Vec::<String>::new());

    // An alias file that is not a version spec.
    let t = store_with_versions_and_aliases();
    std::fs::write(t.home.join("aliases").join("broken"), [0xff, 0xfe]).unwrap();
    let offered = values(&t, &["dvm", "use", ""]);
    assert!(offered.starts_with(&list(&[&VERSIONS])), "{offered:?}");

    // No DVM_HOME and no HOME: dvm cannot find its folders.
    let t = TestEnv::new();
    let mut cmd = Command::new(dvm_exe());
    cmd.args(["--", "dvm", "use", ""])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("DVM_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .current_dir(&t.cwd);
    let out = cmd.output().expect("run dvm");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let offered: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('-')).collect();
    assert_eq!(offered, ["system"]);
}

#[test]
fn completions_prints_the_dynamic_registration_for_each_shell() {
    let t = TestEnv::new();
    let exe = dvm_exe().display().to_string();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = t.dvm(["completions", shell]);
        run.success().stdout_has("DVM_COMPLETE").stdout_has(&exe);
        // The same script as the completion protocol's own registration request (zsh adds
        // the lines that let the script work as an autoloaded `_dvm`, and compinit).
        let mut cmd = t.dvm_cmd(Vec::<&str>::new());
        cmd.env("DVM_COMPLETE", shell);
        let protocol = String::from_utf8(cmd.output().expect("run dvm").stdout).unwrap();
        assert!(!protocol.is_empty(), "{shell}");
        if shell == "zsh" {
            // ... and starts the completion system when a bare .zshrc has not.
            let compinit = "(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }\n";
            assert!(run.stdout.contains(compinit), "{}", run.stdout);
            let without = run.stdout.replacen(compinit, "", 1);
            assert!(without.starts_with(&protocol), "{shell}");
            assert!(run.stdout.contains("_clap_dynamic_completer_dvm \"$@\""));
        } else {
            assert_eq!(run.stdout, protocol, "{shell}");
        }
    }
    t.dvm(["completions", "tcsh"]).failure(2);
}

#[test]
fn the_script_calls_dvm_by_name_when_path_finds_the_same_dvm() {
    let mut t = TestEnv::new();
    // Run by a full path with a space in it (which bash's script would mis-quote).
    let spaced = t.files.join("my tools");
    std::fs::create_dir_all(&spaced).unwrap();
    std::os::unix::fs::symlink(dvm_exe(), spaced.join("dvm")).unwrap();
    let run_by_path = |t: &TestEnv| {
        // The test environment's variables, with the program named by its full path.
        let hermetic = t.dvm_cmd(["completions", "bash"]);
        let mut by_path = std::process::Command::new(spaced.join("dvm"));
        by_path.args(["completions", "bash"]).env_clear();
        for (key, value) in hermetic.get_envs() {
            if let Some(value) = value {
                by_path.env(key, value);
            }
        }
        String::from_utf8(by_path.output().unwrap().stdout).unwrap()
    };
    // Not on PATH: the script must use the path.
    assert!(run_by_path(&t).contains("my tools/dvm"));
    // On PATH as `dvm`: the bare name.
    t.env("PATH", format!("{}:{}", spaced.display(), t.path_var()));
    let script = run_by_path(&t);
    assert!(!script.contains("my tools"), "{script}");
    assert!(script.contains("DVM_COMPLETE"), "{script}");
}

#[test]
fn an_unrelated_complete_variable_does_not_change_normal_runs() {
    let mut t = TestEnv::new();
    t.env("COMPLETE", "1");
    t.dvm(["ls"]).success();
    t.dvm(["--version"]).success().stdout_has("dvm ");
}

// ---- real shells ----

/// `dvm` on PATH like an installed binary, so `dvm completions` sees itself called as `dvm`.
fn bin_dir(t: &TestEnv) -> PathBuf {
    let bin = t.files.join("bin");
    if !bin.join("dvm").exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(dvm_exe(), bin.join("dvm")).unwrap();
    }
    bin
}

/// Runs `script` in `program` with a small known environment; returns stdout after asserting
/// success and a quiet stderr.
fn shell(t: &TestEnv, program: &str, args: &[&str], script: &str) -> String {
    let bin = bin_dir(t);
    let home = &t.user_home;
    let out = Command::new(program)
        .args(args)
        .arg(script)
        .env_clear()
        .env("HOME", home)
        .env("DVM_HOME", &t.home)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("TERM", "dumb")
        .env("NO_COLOR", "1")
        .current_dir(&t.cwd)
        .stdin(Stdio::null())
        .output()
        .expect("start the shell");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{program} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(stderr, "", "{program} printed on stderr");
    stdout
}

/// Candidate values from lines of `value<sep>description`, options left out.
fn values_before(stdout: &str, sep: char) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('-'))
        .map(|l| l.split(sep).next().unwrap_or_default().to_string())
        .collect()
}

/// Calls bash's completion function the way bash does at <TAB> (COMP_WORDS, COMP_CWORD and
/// the function's three arguments), for `dvm use <TAB>` and `dvm exec 1<TAB>`.
const BASH_ASK: &str = r#"
ask() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMP_TYPE=9
    COMPREPLY=()
    _clap_complete_dvm dvm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}"
    echo ==
}
ask dvm use ''
ask dvm exec 1
"#;

#[test]
fn bash_completes_installed_versions() {
    if !installed("bash") {
        return;
    }
    let t = store_with_versions_and_aliases();
    let expected = list(&[&VERSIONS, &ALIASES, &["system"], &["==", "1.12.6", "=="]]);
    // Called as a bare `dvm` found on PATH: the script calls `dvm` back the same way.
    let script = format!("source <(dvm completions bash)\ncomplete -p dvm\n{BASH_ASK}");
    let out = shell(&t, "bash", &["--norc", "--noprofile", "-c"], &script);
    assert!(out.contains("_clap_complete_dvm dvm"), "{out}");
    assert_eq!(values_before(&out, '\t')[1..], expected, "{out}");
    // With dvm's shell integration, `dvm` is a shell function; completion goes through it.
    let script = format!(
        "eval \"$(dvm init bash)\"\nsource <(dvm completions bash)\ntype -t dvm\n{BASH_ASK}"
    );
    let out = shell(&t, "bash", &["--norc", "--noprofile", "-c"], &script);
    let seen = values_before(&out, '\t');
    assert_eq!(seen.first().map(String::as_str), Some("function"), "{out}");
    assert_eq!(seen[1..], expected, "{out}");
}

#[test]
fn zsh_completes_installed_versions() {
    if !installed("zsh") {
        return;
    }
    let t = store_with_versions_and_aliases();
    // Outside the line editor, compdef and _describe are stubs: _describe prints the
    // `value:description` entries of the array it is handed, which is what zsh would list.
    let stubs = "compdef() { :; }\n_describe() { print -rl -- \"${(@P)3}\"; }\n";
    let ask = "words=(dvm use '')\nCURRENT=3\n";
    let script = format!("{stubs}source <(dvm completions zsh)\n{ask}_clap_dynamic_completer_dvm");
    let out = shell(&t, "zsh", &["-f", "-c"], &script);
    let everything = list(&[&VERSIONS, &ALIASES, &["system"]]);
    assert_eq!(values_before(&out, ':'), everything, "{out}");

    // Installed as `_dvm` in $fpath: the first <TAB> loads the file and must answer too.
    let fpath = t.files.join("zfunc");
    std::fs::create_dir_all(&fpath).unwrap();
    let run = t.dvm(["completions", "zsh"]);
    std::fs::write(fpath.join("_dvm"), &run.stdout).unwrap();
    let script = format!(
        "{stubs}fpath=({} $fpath)\nautoload -Uz _dvm\n{ask}_dvm",
        fpath.display()
    );
    let out = shell(&t, "zsh", &["-f", "-c"], &script);
    assert_eq!(values_before(&out, ':'), everything, "{out}");
}

#[test]
fn fish_completes_installed_versions() {
    if !installed("fish") {
        return;
    }
    let t = store_with_versions_and_aliases();
    let script = "dvm completions fish | source\ncomplete -C 'dvm use '\necho ==\ncomplete -C 'dvm uninstall 2'";
    let out = shell(&t, "fish", &["--no-config", "-c"], script);
    assert_eq!(
        values_before(&out, '\t'),
        list(&[&VERSIONS, &ALIASES, &["system"], &["==", "20.10.25"]]),
        "{out}"
    );
    assert!(out.contains("work\talias for 1.12.6"), "{out}");
}
