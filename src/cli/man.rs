//! `dvm man`: the manual page, generated from the same definitions as `--help`, plus the
//! ENVIRONMENT (from the settings table), FILES and EXIT STATUS (from the exit codes) sections.

use clap::CommandFactory;

use super::exit::{ExitStatus, documented_codes};
use dvm::config::{Fallback, KEYS, env_var_name};
use dvm::error::{Error, Result};

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm man > ~/.local/share/man/man1/dvm.1\n  dvm man install | man -l -"
)]
pub struct Args {
    /// A subcommand, for its own page (dvm-install(1)); dvm(1) when omitted.
    pub command: Option<String>,
}

/// Variables dvm reads besides the settings' own (`DVM_` + the key).
const OTHER_VARIABLES: &[(&str, &str)] = &[
    (
        "DVM_HOME",
        "one folder for all of dvm's data, cache and config (default: the XDG folders)",
    ),
    (
        "DVM_DOCKER_VERSION",
        "the version docker runs in this shell (dvm use sets it through the shell integration)",
    ),
    (
        "DVM_PLATFORM",
        "the platform to download clients for, such as linux/x86_64 (default: this machine's)",
    ),
    ("NO_COLOR", "no colour in dvm's output"),
    (
        "XDG_DATA_HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME",
        "where dvm's folders are when DVM_HOME is unset",
    ),
    (
        "DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_CONTEXT, DOCKER_CONFIG",
        "the daemon dvm detect (and auto) ask, by the docker CLI's rules",
    ),
    (
        "SHELL, ZDOTDIR",
        "the login shell and the .zshrc folder dvm setup configures",
    ),
];

/// Where things live; `<data>`, `<cache>` and `<config>` are dvm's folders.
const FILES: &[(&str, &str)] = &[
    (
        "<data>",
        "$DVM_HOME, else ${XDG_DATA_HOME:-~/.local/share}/dvm (macOS and Windows: their platform folders, for all three)",
    ),
    (
        "<cache>",
        "$DVM_HOME/cache, else ${XDG_CACHE_HOME:-~/.cache}/dvm",
    ),
    (
        "<config>",
        "$DVM_HOME, else ${XDG_CONFIG_HOME:-~/.config}/dvm",
    ),
    ("<data>/versions/<version>/docker", "an installed client"),
    (
        "<data>/versions/<version>/manifest.json",
        "where it came from and how it was verified",
    ),
    (
        "<data>/shims/docker",
        "the shim: put <data>/shims first on PATH",
    ),
    ("<data>/default", "the global default version"),
    ("<data>/aliases/<name>", "alias targets"),
    (
        "<data>/trust/static-sha256.tsv",
        "trust-on-first-use records of static tarballs",
    ),
    (
        "<data>/trust/projects.tsv",
        "project .dvm.toml files trusted to set download URLs",
    ),
    (
        "<cache>/downloads/",
        "downloaded archives (reinstalls work offline)",
    ),
    ("<cache>/listings/", "cached ls-remote listings"),
    ("<config>/config.toml", "settings"),
    (
        ".docker-version",
        "a folder's pinned version (also .dockerversion, .tool-versions)",
    ),
    (".dvm.toml", "a project's settings"),
];

pub fn run(args: &Args) -> Result<ExitStatus> {
    let mut dvm = super::Cli::command().disable_help_subcommand(true);
    // Building fills in the names subcommand pages use ("dvm-install", "dvm install").
    dvm.build();
    let cmd = match &args.command {
        None => dvm,
        Some(name) => dvm
            .find_subcommand(name)
            .filter(|sub| !sub.is_hide_set())
            .cloned()
            .ok_or_else(|| {
                Error::usage(format!("dvm has no command named '{name}'"))
                    .with_hint("see the commands with `dvm --help`")
            })?,
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd)
        .source(format!("dvm {}", env!("CARGO_PKG_VERSION")))
        .render(&mut page)
        .map_err(|e| Error::internal(format!("cannot render the man page: {e}")))?;
    let mut page = String::from_utf8_lossy(&page).into_owned();
    if args.command.is_none() {
        // Before VERSION, where man pages keep them.
        let at = page.find("\n.SH VERSION").map_or(page.len(), |i| i + 1);
        page.insert_str(at, &reference_sections());
    }
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`dvm man | head`) is not an error worth reporting.
    let _ = stdout
        .write_all(page.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(ExitStatus::Success)
}

/// ENVIRONMENT, FILES and EXIT STATUS, in roff.
fn reference_sections() -> String {
    let mut out = String::from(".SH ENVIRONMENT\n");
    out.push_str(&paragraph(
        "Each setting of config.toml also has a variable, which wins over the files:",
    ));
    for key in KEYS {
        let default = match key.default {
            Fallback::Value(v) => format!("default {v}"),
            Fallback::Described(d) => d.to_string(),
        };
        let text = format!("{} ({}; {default})", key.help, key.name);
        out.push_str(&item(&env_var_name(key.name), &text));
    }
    for (name, text) in OTHER_VARIABLES {
        out.push_str(&item(name, text));
    }
    out.push_str(".SH FILES\n");
    for (path, text) in FILES {
        out.push_str(&item(path, text));
    }
    out.push_str(".SH \"EXIT STATUS\"\n");
    for (code, text) in documented_codes() {
        out.push_str(&item(&code.to_string(), text));
    }
    out
}

/// A tagged paragraph: the tag in bold, then its text.
fn item(tag: &str, text: &str) -> String {
    format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), escape(text))
}

fn paragraph(text: &str) -> String {
    format!(".PP\n{}\n", escape(text))
}

/// Text safe in roff: backslashes and hyphens escaped, and no line taken for a request.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}
