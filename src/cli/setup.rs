//! `dvm setup`: folders, the shim, and the integration line in the user's shell rc files.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use dvm::error::{Error, IoContext, Result};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Do not ask; make the changes.
    #[arg(long, short)]
    pub yes: bool,
    /// Change no rc file; only print what to add.
    #[arg(long)]
    pub no_modify_path: bool,
}

/// The rc files dvm edits, the line it adds to each, and whether the shell seems in use.
fn rc_edits(app: &App) -> Result<Vec<(PathBuf, String)>> {
    let home = app
        .ctx
        .home
        .clone()
        .ok_or_else(|| Error::config("cannot find your home folder (HOME is unset)"))?;
    let mut edits = vec![
        (
            home.join(".bashrc"),
            "eval \"$(dvm init bash)\"".to_string(),
        ),
        (home.join(".zshrc"), "eval \"$(dvm init zsh)\"".to_string()),
    ];
    let fish_dir = home.join(".config/fish");
    if fish_dir.is_dir() {
        edits.push((
            fish_dir.join("conf.d/dvm.fish"),
            "dvm init fish | source".to_string(),
        ));
    }
    Ok(edits)
}

pub fn run(app: &App, args: Args) -> Result<i32> {
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
    let edits = rc_edits(app)?;
    let pending: Vec<_> = edits
        .into_iter()
        .filter(|(path, line)| {
            !std::fs::read_to_string(path).is_ok_and(|text| text.lines().any(|l| l.trim() == line))
        })
        .collect();
    if pending.is_empty() {
        app.out
            .info("your shells already load dvm; nothing to change");
        return Ok(0);
    }
    if args.no_modify_path {
        app.out.info("add these lines to load dvm in your shells:");
        for (path, line) in &pending {
            app.out.line(format!("{}: {line}", path.display()));
        }
        return Ok(0);
    }
    app.out.info("dvm setup will add:");
    for (path, line) in &pending {
        app.out.info(format!("  {line}   >> {}", path.display()));
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
            return Ok(1);
        }
    }
    for (path, line) in &pending {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_path("create", dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_path("open", path)?;
        writeln!(file, "\n# dvm: docker version manager\n{line}").with_path("write", path)?;
        app.out.info(format!("updated {}", path.display()));
    }
    app.out
        .info("open a new shell (or eval the line above) to start using dvm");
    Ok(0)
}
