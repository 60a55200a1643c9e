//! `dvm setup`: folders, the shim, and the integration line in the user's shell rc files.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use dvm::error::{Error, IoContext, Result};

use super::exit::ExitStatus;
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

/// The line that loads dvm in one shell, and the rc file it belongs in.
struct RcFile {
    path: PathBuf,
    line: &'static str,
    /// Another file an earlier dvm setup put the line in.
    earlier: Option<PathBuf>,
}

impl RcFile {
    fn loads_dvm(&self) -> bool {
        let has_line = |path: &PathBuf| {
            std::fs::read_to_string(path)
                .is_ok_and(|text| text.lines().any(|l| l.trim() == self.line))
        };
        has_line(&self.path) || self.earlier.as_ref().is_some_and(has_line)
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

fn rc_file(app: &App, home: &Path, shell: Shell) -> Option<RcFile> {
    match shell {
        Shell::Bash => Some(RcFile {
            path: home.join(".bashrc"),
            line: "eval \"$(dvm init bash)\"",
            earlier: None,
        }),
        Shell::Zsh => Some(RcFile {
            path: folder_var(app, "ZDOTDIR")
                .unwrap_or_else(|| home.to_path_buf())
                .join(".zshrc"),
            line: "eval \"$(dvm init zsh)\"",
            earlier: None,
        }),
        Shell::Fish => {
            let fish = folder_var(app, "XDG_CONFIG_HOME")
                .unwrap_or_else(|| home.join(".config"))
                .join("fish");
            Some(RcFile {
                path: fish.join("config.fish"),
                line: "dvm init fish | source",
                earlier: Some(fish.join("conf.d/dvm.fish")),
            })
        }
        // Its profile's place depends on the PowerShell edition; `dvm init` documents the line.
        Shell::Powershell => None,
    }
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
fn rc_files_in_use(app: &App, home: &Path) -> Vec<RcFile> {
    let login = login_shell(app);
    SHELLS
        .into_iter()
        .filter_map(|shell| {
            let rc = rc_file(app, home, shell)?;
            let in_use = login == Some(shell)
                || rc.path.is_file()
                || (shell == Shell::Fish && rc.path.parent().is_some_and(Path::is_dir));
            in_use.then_some(rc)
        })
        .collect()
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
    let rc_files = rc_files_in_use(app, &home);
    if rc_files.is_empty() {
        app.out.info(
            "found no rc file of bash, zsh or fish, and SHELL names none of them; \
             add the line for your shell yourself:",
        );
        for rc in SHELLS
            .iter()
            .filter_map(|&shell| rc_file(app, &home, shell))
        {
            app.out.line(format!("{}: {}", rc.path.display(), rc.line));
        }
        return Ok(ExitStatus::Success);
    }
    let pending: Vec<_> = rc_files.into_iter().filter(|rc| !rc.loads_dvm()).collect();
    if pending.is_empty() {
        app.out
            .info("your shells already load dvm; nothing to change");
        return Ok(ExitStatus::Success);
    }
    if args.no_modify_path {
        app.out.info("add these lines to load dvm in your shells:");
        for rc in &pending {
            app.out.line(format!("{}: {}", rc.path.display(), rc.line));
        }
        return Ok(ExitStatus::Success);
    }
    app.out.info("dvm setup will add:");
    for rc in &pending {
        let new_file = if rc.path.exists() {
            ""
        } else {
            " (a new file)"
        };
        app.out.info(format!(
            "  {}   >> {}{new_file}",
            rc.line,
            rc.path.display()
        ));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::usage("not changing rc files without confirmation")
                .with_hint("run `dvm setup --yes`, or `dvm setup --no-modify-path` to only print the lines"));
        }
        eprint!("proceed? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            app.out.info("nothing changed");
            return Ok(ExitStatus::CheckFailed);
        }
    }
    append_lines(app, &pending)?;
    app.out
        .info("open a new shell (or eval the line above) to start using dvm");
    Ok(ExitStatus::Success)
}

/// Appends each rc file's line, creating the file (and its folder) where needed.
fn append_lines(app: &App, pending: &[RcFile]) -> Result<()> {
    for rc in pending {
        let path = &rc.path;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_path("create", dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_path("open", path)?;
        writeln!(file, "\n# dvm: docker version manager\n{}", rc.line).with_path("write", path)?;
        app.out.info(format!("updated {}", path.display()));
    }
    Ok(())
}
