//! `dvm setup`: folders, the shim, and the integration line in the user's shell rc files.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use dvm::error::{Error, IoContext, Result};

use super::completions::is_dvm_on_path;
use super::exit::ExitStatus;
use super::output::shell_quote;
use super::{App, Shell};

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm setup\n  dvm setup --yes\n  dvm setup --no-modify-path")]
pub struct Args {
    /// Do not ask; make the changes.
    #[arg(long, short)]
    pub yes: bool,
    /// Change no rc file; only print what to add.
    #[arg(long)]
    pub no_modify_path: bool,
}

/// The lines that load dvm (and its Tab completion) in one shell, and the rc file they belong in.
struct RcFile {
    path: PathBuf,
    lines: Vec<String>,
    /// Another file an earlier dvm setup put the lines in.
    earlier: Option<PathBuf>,
}

impl RcFile {
    /// The lines neither this rc file nor the earlier one has yet.
    fn missing(&self) -> Vec<&str> {
        let text = |path: &PathBuf| std::fs::read_to_string(path).unwrap_or_default();
        let mut texts = vec![text(&self.path)];
        texts.extend(self.earlier.as_ref().map(text));
        self.lines
            .iter()
            .map(String::as_str)
            .filter(|line| !texts.iter().any(|t| t.lines().any(|l| l.trim() == *line)))
            .collect()
    }
}

/// A folder from a variable, or `None` when unset or relative (which the shells' own rules
/// ignore or would resolve against some other working folder).
fn folder_var(app: &App, name: &str) -> Option<PathBuf> {
    app.ctx
        .var(name)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// How the rc lines call dvm: by name when `dvm` on PATH is this very file, else by its
/// absolute path (quoted for the shell), so that a new shell finds it either way.
#[derive(Clone, Copy)]
enum Invocation<'a> {
    Name,
    Path(&'a Path),
}

impl Invocation<'_> {
    fn for_shell(self, shell: Shell) -> String {
        match self {
            Invocation::Name => "dvm".to_string(),
            Invocation::Path(exe) => shell_quote(shell, &exe.display().to_string()),
        }
    }
}

/// The integration line and the completion line of one shell.
fn lines(shell: Shell, dvm: Invocation) -> Vec<String> {
    let dvm = dvm.for_shell(shell);
    match shell {
        Shell::Fish => vec![
            format!("{dvm} init fish | source"),
            format!("{dvm} completions fish | source"),
        ],
        _ => {
            let name = if shell == Shell::Zsh { "zsh" } else { "bash" };
            vec![
                format!("eval \"$({dvm} init {name})\""),
                format!("source <({dvm} completions {name})"),
            ]
        }
    }
}

fn rc_file(app: &App, home: &Path, shell: Shell, dvm: Invocation) -> Option<RcFile> {
    let (path, earlier) = match shell {
        Shell::Bash => (home.join(".bashrc"), None),
        Shell::Zsh => (
            folder_var(app, "ZDOTDIR")
                .unwrap_or_else(|| home.to_path_buf())
                .join(".zshrc"),
            None,
        ),
        Shell::Fish => {
            let fish = folder_var(app, "XDG_CONFIG_HOME")
                .unwrap_or_else(|| home.join(".config"))
                .join("fish");
            (fish.join("config.fish"), Some(fish.join("conf.d/dvm.fish")))
        }
        // Its profile's place depends on the PowerShell edition; `dvm init` documents the line.
        Shell::Powershell => return None,
    };
    Some(RcFile {
        path,
        lines: lines(shell, dvm),
        earlier,
    })
}

/// The shells whose rc files setup edits.
const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// The user's login shell, from `$SHELL`.
fn login_shell(app: &App) -> Option<Shell> {
    let name = Path::new(app.ctx.var("SHELL")?).file_name()?.to_str()?;
    match name {
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        _ => None,
    }
}

/// The rc files to configure: every shell the user has an rc file for, and the login shell
/// (whose rc file setup may create). A fish whose config folder exists has run here before.
fn rc_files_in_use(app: &App, home: &Path, dvm: Invocation) -> Vec<RcFile> {
    let login = login_shell(app);
    SHELLS
        .into_iter()
        .filter_map(|shell| {
            let rc = rc_file(app, home, shell, dvm)?;
            let in_use = login == Some(shell)
                || rc.path.is_file()
                || (shell == Shell::Fish && rc.path.parent().is_some_and(Path::is_dir));
            in_use.then_some(rc)
        })
        .collect()
}

/// How the rc lines call dvm, saying so when it is not on PATH (by name) as this very file.
fn invocation<'a>(app: &App, exe: &'a Path) -> Invocation<'a> {
    if is_dvm_on_path(exe, app.ctx.var_os("PATH")) {
        return Invocation::Name;
    }
    let folder = exe.parent().unwrap_or(exe).display();
    let other = app.ctx.var_os("PATH").and_then(|path| {
        std::env::split_paths(path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join("dvm"))
            .find(|candidate| candidate.is_file())
    });
    let found = match other {
        Some(other) => format!("`dvm` on PATH is another dvm ({})", other.display()),
        None => "`dvm` is not on PATH".to_string(),
    };
    app.out.warn(format!(
        "{found}, so the lines call this one by its path ({}); to call it by name, put {folder} \
         on PATH first (export PATH=\"{folder}:$PATH\" in your rc file) and run dvm setup again",
        exe.display()
    ));
    Invocation::Path(exe)
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    for dir in [
        app.layout.versions_dir(),
        app.layout.shims_dir(),
        app.layout.cache.clone(),
    ] {
        std::fs::create_dir_all(&dir).with_path("create", &dir)?;
    }
    app.ensure_shim()?;
    app.out
        .info(format!("shim: {}", app.layout.shim_path().display()));
    let home = app
        .ctx
        .home
        .clone()
        .ok_or_else(|| Error::config("cannot find your home folder (HOME is unset)"))?;
    let exe = app.exe()?;
    let dvm = invocation(app, &exe);
    let rc_files = rc_files_in_use(app, &home, dvm);
    if rc_files.is_empty() {
        app.out.info(
            "found no rc file of bash, zsh or fish, and SHELL names none of them; \
             add the lines for your shell yourself:",
        );
        for rc in SHELLS
            .iter()
            .filter_map(|&shell| rc_file(app, &home, shell, dvm))
        {
            print_lines(app, &rc.path, &rc.lines);
        }
        return Ok(ExitStatus::Success);
    }
    let pending: Vec<(&Path, Vec<&str>)> = rc_files
        .iter()
        .map(|rc| (rc.path.as_path(), rc.missing()))
        .filter(|(_, missing)| !missing.is_empty())
        .collect();
    if pending.is_empty() {
        app.out
            .info("your shells already load dvm and its completion; nothing to change");
        return Ok(ExitStatus::Success);
    }
    if args.no_modify_path {
        app.out.info("add these lines to load dvm in your shells:");
        for (path, missing) in &pending {
            print_lines(app, path, missing);
        }
        return Ok(ExitStatus::Success);
    }
    if !confirmed(app, &args, &pending)? {
        app.out.info("nothing changed");
        return Ok(ExitStatus::CheckFailed);
    }
    append_lines(app, &pending)?;
    app.out
        .info("open a new shell (or eval the lines above) to start using dvm");
    Ok(ExitStatus::Success)
}

fn print_lines(app: &App, path: &Path, lines: &[impl AsRef<str>]) {
    for line in lines {
        app.out
            .line(format!("{}: {}", path.display(), line.as_ref()));
    }
}

/// Shows the changes and asks, unless `--yes`; without a terminal to ask on, refuses.
fn confirmed(app: &App, args: &Args, pending: &[(&Path, Vec<&str>)]) -> Result<bool> {
    app.out.info("dvm setup will add:");
    for (path, missing) in pending {
        let new_file = if path.exists() { "" } else { " (a new file)" };
        for line in missing {
            app.out
                .info(format!("  {line}   >> {}{new_file}", path.display()));
        }
    }
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            Error::usage("not changing rc files without confirmation").with_hint(
                "run `dvm setup --yes`, or `dvm setup --no-modify-path` to only print the lines",
            ),
        );
    }
    eprint!("proceed? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Appends each rc file's missing lines, creating the file (and its folder) where needed.
fn append_lines(app: &App, pending: &[(&Path, Vec<&str>)]) -> Result<()> {
    for (path, missing) in pending {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_path("create", dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_path("open", path)?;
        writeln!(
            file,
            "\n# dvm: docker version manager\n{}",
            missing.join("\n")
        )
        .with_path("write", path)?;
        app.out.info(format!("updated {}", path.display()));
    }
    Ok(())
}
