//! The help a user reads: every command's `--help` opens with a one-line summary and shows an
//! example; `--version` prints the version; `dvm man` covers every command.

use crate::support::env;

use env::TestEnv;

/// The subcommand names `dvm --help` lists (clap's own `help` excluded).
fn subcommands(t: &TestEnv) -> Vec<String> {
    let run = t.dvm(["--help"]);
    run.success();
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in run.stdout.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            if line.trim().is_empty() {
                break;
            }
            // Entries are indented by two spaces; wrapped descriptions by more.
            if let Some(entry) = line.strip_prefix("  ")
                && !entry.starts_with(' ')
                && let Some(name) = entry.split_whitespace().next()
            {
                names.push(name.to_string());
            }
        }
    }
    names.retain(|n| n != "help");
    names
}

#[test]
fn the_top_level_help_lists_the_commands_and_examples() {
    let t = TestEnv::new();
    let names = subcommands(&t);
    for expected in [
        "install",
        "uninstall",
        "ls",
        "ls-remote",
        "use",
        "current",
        "detect",
        "doctor",
        "prune",
        "man",
        "completions",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    t.dvm(["--help"])
        .stdout_has("Examples:")
        .stdout_has("Exit codes:");
}

#[test]
fn every_subcommand_help_has_a_one_line_summary_and_an_example() {
    let t = TestEnv::new();
    let names = subcommands(&t);
    assert!(names.len() >= 15, "{names:?}");
    for name in &names {
        let run = t.dvm([name.as_str(), "--help"]);
        run.success();
        let mut lines = run.stdout.lines();
        let summary = lines.next().unwrap_or_default();
        assert!(
            !summary.trim().is_empty() && lines.next() == Some(""),
            "`dvm {name} --help` does not open with a one-line summary:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Example:") || run.stdout.contains("Examples:"),
            "`dvm {name} --help` has no example:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!("dvm {name}")),
            "`dvm {name} --help` never shows the command itself:\n{}",
            run.stdout
        );
    }
}

#[test]
fn version_prints_the_package_version() {
    let t = TestEnv::new();
    for flag in ["--version", "-V"] {
        let run = t.dvm([flag]);
        run.success();
        assert_eq!(
            run.stdout.trim(),
            format!("dvm {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

/// roff escapes hyphens; undo that to search for names.
fn unroff(page: &str) -> String {
    page.replace("\\-", "-")
}

#[test]
fn the_man_page_is_roff_and_names_every_subcommand() {
    let t = TestEnv::new();
    let run = t.dvm(["man"]);
    run.success();
    let page = unroff(&run.stdout);
    assert!(page.contains(".TH dvm 1"), "no title header:\n{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing");
    }
    for name in subcommands(&t) {
        assert!(
            page.contains(&format!("dvm-{name}(1)")),
            "dvm-{name}(1) missing from the man page"
        );
        // Each one has its own page.
        let sub = t.dvm(["man", name.as_str()]);
        sub.success();
        let sub_page = unroff(&sub.stdout);
        assert!(
            sub_page.contains(&format!(".TH dvm-{name} 1")),
            "dvm man {name}:\n{sub_page}"
        );
        assert!(sub_page.contains(&format!("dvm {name}")), "{sub_page}");
    }
    t.dvm(["man", "no-such-command"])
        .failure(2)
        .stderr_has("no-such-command");
}
