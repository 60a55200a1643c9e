//! "A new user's first hour", part 3: `dvm setup` when dvm is not on PATH, Tab completion from
//! setup (and a zsh snippet that works on a bare .zshrc), other sources suggested when one
//! fails its integrity checks (and `dvm detect --source`), and the man page's ENVIRONMENT,
//! FILES and EXIT STATUS sections.

use std::path::Path;
use std::process::Command;

use crate::support::archives;
use crate::support::daemon::{Behaviour, FakeDaemon, eras};
use crate::support::env::{self, Run, TestEnv, installed};
use crate::support::replica::{self, Replica};

/// A shell started as a new user's would be: HOME, DVM_HOME and a PATH with no dvm (and no
/// docker: this machine's /usr/local/bin may have one).
fn shell(t: &TestEnv, program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("HOME", &t.user_home)
        .env("DVM_HOME", &t.home)
        .env("PATH", "/usr/bin:/bin")
        .env("XDG_CONFIG_HOME", t.user_home.join(".config"))
        .env("XDG_DATA_HOME", t.user_home.join(".local/share"))
        .env("TERM", "dumb")
        .env("NO_COLOR", "1")
        .current_dir(&t.cwd);
    cmd
}

fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("run the shell");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_no_command_not_found(run: &Run) {
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains("not found"),
            "stdout:\n{}\nstderr:\n{}",
            run.stdout,
            run.stderr
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. setup when dvm is not on PATH

#[test]
fn setup_without_dvm_on_path_writes_lines_a_new_bash_can_run() {
    let mut t = TestEnv::new();
    t.env("SHELL", "/bin/bash");
    // TestEnv's PATH (the shims, /usr/bin, /bin) has no dvm.
    t.dvm(["setup", "--yes"])
        .success()
        .stderr_has("`dvm` is not on PATH, so the lines call this one by its path")
        .stderr_has(&format!(
            "put {} on PATH first",
            env::dvm_exe().parent().unwrap().display()
        ));
    let mut bash = shell(&t, "bash");
    bash.arg("-c")
        .arg("source ~/.bashrc; type docker; dvm --version; complete -p dvm");
    let run = run(bash);
    assert_no_command_not_found(&run);
    run.success()
        .stdout_has(&format!(
            "docker is {}",
            t.home.join("shims/docker").display()
        ))
        .stdout_has(&format!("dvm {}", env!("CARGO_PKG_VERSION")))
        .stdout_has("_clap_complete_dvm dvm");
}

#[test]
fn setup_with_dvm_on_path_names_it_by_name() {
    let mut t = TestEnv::new();
    let bin = t.files.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env::dvm_exe(), bin.join("dvm")).unwrap();
    let path = format!("{}:{}", bin.display(), t.path_var());
    t.env("SHELL", "/bin/bash").env("PATH", path);
    let run = t.dvm(["setup", "--yes"]);
    run.success();
    assert!(!run.stderr.contains("by its path"), "{}", run.stderr);
    let bashrc = std::fs::read_to_string(t.user_home.join(".bashrc")).unwrap();
    assert!(
        bashrc.contains("eval \"$(dvm init bash)\"\nsource <(dvm completions bash)\n"),
        "{bashrc}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. setup installs Tab completion; the zsh snippet works without compinit

fn zsh_completer(t: &TestEnv, zdotdir: &Path) -> Run {
    let mut zsh = shell(t, "zsh");
    zsh.env("ZDOTDIR", zdotdir)
        .arg("-i")
        .arg("-c")
        .arg("print -r -- \"completer: ${_comps[dvm]:-none}\"; whence -w dvm || print 'dvm: none'");
    run(zsh)
}

#[test]
fn setup_gives_a_bare_zshrc_tab_completion() {
    if !installed("zsh") {
        return;
    }
    let mut t = TestEnv::new();
    let zdotdir = t.user_home.join("zdot");
    t.env("SHELL", "/usr/bin/zsh")
        .env("ZDOTDIR", zdotdir.display().to_string());
    t.dvm(["setup", "--yes"]).success();
    let run = zsh_completer(&t, &zdotdir);
    assert!(!run.stderr.contains("compdef"), "{}", run.stderr);
    assert_no_command_not_found(&run);
    run.success()
        .stdout_has("completer: _clap_dynamic_completer_dvm")
        .stdout_has("dvm: function");
}

#[test]
fn the_zsh_completion_line_alone_works_in_a_bare_zshrc() {
    if !installed("zsh") {
        return;
    }
    let t = TestEnv::new();
    let zdotdir = t.user_home.join("zdot");
    std::fs::create_dir_all(&zdotdir).unwrap();
    std::fs::write(
        zdotdir.join(".zshrc"),
        format!("source <('{}' completions zsh)\n", env::dvm_exe().display()),
    )
    .unwrap();
    let run = zsh_completer(&t, &zdotdir);
    assert!(!run.stderr.contains("compdef"), "{}", run.stderr);
    run.success()
        .stdout_has("completer: _clap_dynamic_completer_dvm");
}

#[test]
fn setup_adds_completion_to_rc_files_that_already_load_dvm() {
    let mut t = TestEnv::new();
    t.env("SHELL", "/usr/bin/fish");
    let config = t.user_home.join(".config/fish/config.fish");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let init = format!("'{}' init fish | source", env::dvm_exe().display());
    std::fs::write(&config, format!("{init}\n")).unwrap();
    t.dvm(["setup", "--yes"]).success();
    let text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(text.matches(&init).count(), 1, "{text}");
    assert!(
        text.contains(&format!(
            "'{}' completions fish | source",
            env::dvm_exe().display()
        )),
        "{text}"
    );
    t.dvm(["setup", "--yes"])
        .success()
        .stderr_has("nothing to change");
}

// ---------------------------------------------------------------------------------------------
// 15. An integrity refusal of one source names the others; detect takes install's source flags

/// A replica whose legacy build of 1.12.6 is not what dvm's embedded table says it is; the
/// yum repository has a good RPM of it.
fn legacy_1_12_6_tampered() -> Replica {
    let r = Replica::docker();
    r.put(
        &replica::legacy_path("1.12.6"),
        archives::docker_tgz("docker/docker", &archives::fake_client_script("1.12.6")),
    );
    r
}

#[test]
fn install_refused_by_one_source_names_the_sources_that_have_the_version() {
    let r = legacy_1_12_6_tampered();
    let t = crate::remote::env_for(&r);
    let run = t.dvm(["install", "1.12.6"]);
    run.failure(5)
        .stderr_has("dvm's embedded table")
        .stderr_has("or use another source: yum also has docker 1.12.6: retry with --source yum")
        .stderr_has("dvm install 1.12.6 --source yum");
    assert!(t.installed().is_empty());
    // The suggestion works.
    t.dvm(["install", "1.12.6", "--source", "yum"])
        .success()
        .stderr_has("installed docker 1.12.6 from");
    assert_eq!(t.installed(), ["1.12.6"]);
}

#[test]
fn detect_suggests_another_source_and_takes_the_source_flags() {
    let r = legacy_1_12_6_tampered();
    let sock_dir = tempfile::tempdir().unwrap();
    let d = FakeDaemon::unix(sock_dir.path(), Behaviour::json(eras::V1_12_6));
    let mut t = crate::remote::env_for(&r);
    t.env("DOCKER_HOST", d.docker_host.clone());
    t.dvm(["detect", "--global"])
        .failure(5)
        .stderr_has("chose docker 1.12.6")
        .stderr_has("dvm detect --source yum");
    assert!(t.installed().is_empty());
    t.dvm([
        "detect", "--global", "--source", "yum", "--distro", "centos/7",
    ])
    .success()
    .stderr_has("installed docker 1.12.6 from")
    .stderr_has("default docker is now 1.12.6");
    assert_eq!(t.installed(), ["1.12.6"]);
    let manifest = t.dvm(["ls", "--json"]).success().stdout.clone();
    assert!(manifest.contains("yum"), "{manifest}");
}

// ---------------------------------------------------------------------------------------------
// The man page's reference sections say what the README says

/// The lines of the section `title` of the README.
fn readme_section(title: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    readme
        .lines()
        .skip_while(|l| *l != format!("## {title}"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .map(str::to_owned)
        .collect()
}

/// The roff of the man page section `title`, with its hyphen and font escapes undone.
fn man_section(page: &str, title: &str) -> String {
    let start = page
        .find(&format!(".SH {title}\n"))
        .unwrap_or_else(|| panic!("no {title} section:\n{page}"));
    let rest = &page[start + 4..];
    let end = rest.find("\n.SH ").map_or(rest.len(), |i| i + 1);
    rest[..end]
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "")
}

#[test]
fn the_man_page_has_environment_files_and_exit_status_sections_matching_the_readme() {
    let t = TestEnv::new();
    let page = t.dvm(["man"]).success().stdout.clone();
    let exit = man_section(&page, "\"EXIT STATUS\"");
    let env = man_section(&page, "ENVIRONMENT");
    let files = man_section(&page, "FILES");
    // Before VERSION, like other man pages.
    assert!(page.find(".SH FILES").unwrap() < page.find(".SH VERSION").unwrap());

    // EXIT STATUS: exactly the README's codes.
    let tagged = |section: &str| -> Vec<String> {
        let lines: Vec<&str> = section.lines().collect();
        lines
            .windows(2)
            .filter(|w| w[0] == ".TP")
            .map(|w| w[1].to_string())
            .collect()
    };
    let readme_codes: Vec<String> = readme_section("Exit codes")
        .iter()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|c| c.parse::<i32>().is_ok())
        .map(str::to_owned)
        .collect();
    assert_eq!(tagged(&exit), readme_codes, "{exit}");

    // ENVIRONMENT: every variable the README's Configuration names.
    let config = readme_section("Configuration").join("\n");
    let mut names: Vec<&str> = config
        .split('`')
        .filter(|w| {
            (w.starts_with("DVM_") || w.starts_with("DOCKER_") || *w == "NO_COLOR")
                && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        })
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() > 15, "{names:?}");
    for name in names {
        assert!(env.contains(name), "ENVIRONMENT lacks {name}:\n{env}");
    }

    // FILES: every path of the README's "Where things live" a user would look for.
    for line in readme_section("Where things live") {
        let Some(path) = line.split_whitespace().next() else {
            continue;
        };
        let wanted = [
            "versions/<version>/",
            "shims/",
            "default",
            "aliases/",
            "trust/",
            "config.toml",
        ];
        if (path.starts_with("<data>/") || path.starts_with("<config>/"))
            && wanted.iter().any(|w| path.contains(w))
        {
            assert!(files.contains(path), "FILES lacks {path}:\n{files}");
        }
    }
    // A subcommand's page stays about that command.
    let install = t.dvm(["man", "install"]).success().stdout.clone();
    assert!(!install.contains(".SH ENVIRONMENT"), "{install}");
}
