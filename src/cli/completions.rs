//! `dvm completions SHELL`, and the completion requests the printed script sends back.
//!
//! The script calls `DVM_COMPLETE=SHELL dvm -- WORDS…`; [`serve_completion_request`] answers
//! that before anything else runs, so version arguments complete from what is installed now.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{CompleteEnv, Shells};

use super::exit::ExitStatus;
use dvm::context::Context;
use dvm::error::{Error, Result};
use dvm::layout::Layout;
use dvm::store::Store;

/// Set by the registration script when it asks dvm for candidates. dvm's own name, so a
/// `COMPLETE` left in someone's environment never turns a normal run into a completion.
const COMPLETE_VAR: &str = "DVM_COMPLETE";
const BIN: &str = "dvm";

#[derive(clap::Args)]
#[command(after_help = "Example:\n  dvm completions zsh > ~/.zfunc/_dvm")]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the registration script for `args.shell`: it asks dvm for candidates at each <TAB>.
pub fn run(args: &Args) -> Result<ExitStatus> {
    let name = args.shell.to_string();
    let shells = Shells::builtins();
    let shell = shells.completer(&name).ok_or_else(|| {
        Error::usage(format!("dvm cannot complete for {name}"))
            .with_hint("use bash, zsh, fish, powershell or elvish")
    })?;
    let mut script = Vec::new();
    shell
        .write_registration(COMPLETE_VAR, BIN, BIN, &completer_program(), &mut script)
        .map_err(|e| Error::internal(format!("cannot write the {name} completion script: {e}")))?;
    if name == "zsh" {
        // `compdef` exists only once the completion system has started (compinit); a bare
        // .zshrc has not started it, so the script does.
        let needle: &[u8] = b"\ncompdef ";
        if let Some(at) = script.windows(needle.len()).position(|w| w == needle) {
            let start: &[u8] =
                b"\n(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }";
            script.splice(at..at, start.iter().copied());
        }
        // Installed as `_dvm` in $fpath, the file is the body of an autoloaded function: the
        // first <TAB> defines the completer, so it must also answer that <TAB>.
        script.extend_from_slice(
            b"if [[ \"${funcstack[1]-}\" == _dvm ]]; then\n    _clap_dynamic_completer_dvm \"$@\"\nfi\n",
        );
    }
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`dvm completions bash | head`) is not an error worth reporting.
    let _ = stdout.write_all(&script).and_then(|()| stdout.flush());
    Ok(ExitStatus::Success)
}

/// How the script calls dvm back: as dvm was called now, made absolute when it was a relative
/// path (a bare `dvm` stays bare, found on PATH at <TAB> time). The same rule
/// `DVM_COMPLETE=bash dvm` follows, so both print the same script.
fn completer_program() -> String {
    let Some(arg0) = std::env::args_os().next() else {
        return BIN.to_string();
    };
    let mut program = std::path::PathBuf::from(arg0);
    if program.components().count() > 1 {
        // The same dvm is found on PATH by name: use the name, which needs no quoting (the
        // bash script clap_complete writes mis-quotes a path with spaces).
        if is_dvm_on_path(&program, std::env::var_os("PATH").as_deref()) {
            return BIN.to_string();
        }
        if let Ok(cwd) = std::env::current_dir() {
            program = cwd.join(program);
        }
    }
    program.to_string_lossy().into_owned()
}

/// Whether `dvm` on `path` (a PATH value) is the very file `program` names.
pub fn is_dvm_on_path(program: &std::path::Path, path: Option<&std::ffi::OsStr>) -> bool {
    let Ok(this) = std::fs::canonicalize(program) else {
        return false;
    };
    path.is_some_and(|path| {
        std::env::split_paths(path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .any(|dir| std::fs::canonicalize(dir.join(BIN)).is_ok_and(|found| found == this))
    })
}

/// Answers a completion request and exits when `DVM_COMPLETE` is set; returns at once when not.
pub fn serve_completion_request() {
    CompleteEnv::with_factory(super::Cli::command)
        .var(COMPLETE_VAR)
        .bin(BIN)
        .complete();
}

/// Candidates for `use`, `default`, `local` and `which`: installed versions, aliases, `system`.
pub fn versions_aliases_system() -> Vec<CompletionCandidate> {
    candidates(Offer {
        aliases: true,
        system: true,
    })
}

/// Candidates for `exec`: installed versions and aliases.
pub fn versions_aliases() -> Vec<CompletionCandidate> {
    candidates(Offer {
        aliases: true,
        system: false,
    })
}

/// Candidates for `uninstall`: installed versions.
pub fn versions() -> Vec<CompletionCandidate> {
    candidates(Offer {
        aliases: false,
        system: false,
    })
}

/// Candidates for the target of `alias NAME VERSION`: installed versions and `system` (an
/// alias may not name another alias).
pub fn versions_system() -> Vec<CompletionCandidate> {
    candidates(Offer {
        aliases: false,
        system: true,
    })
}

/// Candidates for `unalias`: the alias names.
pub fn alias_names() -> Vec<CompletionCandidate> {
    store()
        .map(|store| alias_candidates(&store))
        .unwrap_or_default()
}

/// What a version argument accepts besides installed versions.
struct Offer {
    aliases: bool,
    system: bool,
}

/// Reads the store as this process's environment places it. Completion prints nothing but
/// candidates, so a store that cannot be found or read simply offers none.
fn candidates(offer: Offer) -> Vec<CompletionCandidate> {
    let mut out: Vec<CompletionCandidate> = Vec::new();
    if let Some(store) = store() {
        out.extend(
            store
                .installed()
                .iter()
                .map(|v| CompletionCandidate::new(v.to_string())),
        );
        if offer.aliases {
            out.extend(alias_candidates(&store));
        }
    }
    if offer.system {
        out.push(
            CompletionCandidate::new("system").help(Some("the docker on PATH outside dvm".into())),
        );
    }
    out
}

fn alias_candidates(store: &Store) -> Vec<CompletionCandidate> {
    store
        .aliases()
        .unwrap_or_default()
        .into_iter()
        .map(|(name, target)| {
            CompletionCandidate::new(name).help(Some(format!("alias for {target}").into()))
        })
        .collect()
}

fn store() -> Option<Store> {
    let ctx = Context::from_process();
    let layout = Layout::from_context(&ctx).ok()?;
    Some(Store::new(layout))
}
