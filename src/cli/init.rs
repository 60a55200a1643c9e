//! `dvm init SHELL`: prints the shell integration for eval.

use dvm::error::{Error, Result};

use super::{App, Shell};

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Also switch DVM_DOCKER_VERSION from the version file whenever the folder changes.
    #[arg(long)]
    pub use_on_cd: bool,
}

const HOOK_START: &str = "# >>> dvm use-on-cd >>>";
const HOOK_END: &str = "# <<< dvm use-on-cd <<<";

pub fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => include_str!("../../shims/init/dvm.bash"),
        Shell::Zsh => include_str!("../../shims/init/dvm.zsh"),
        Shell::Fish => include_str!("../../shims/init/dvm.fish"),
        Shell::Powershell => include_str!("../../shims/init/dvm.ps1"),
    }
}

/// The script with paths filled in, and the cd hook kept only when asked for.
pub fn render(shell: Shell, shims: &str, exe: &str, use_on_cd: bool) -> String {
    let mut out = String::new();
    let mut in_hook = false;
    for line in script(shell).lines() {
        let trimmed = line.trim();
        if trimmed == HOOK_START {
            in_hook = true;
            continue;
        }
        if trimmed == HOOK_END {
            in_hook = false;
            continue;
        }
        if in_hook && !use_on_cd {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.replace("__DVM_SHIMS__", shims)
        .replace("__DVM_EXE__", exe)
}

pub fn run(app: &App, args: Args) -> Result<i32> {
    app.ensure_shim()?;
    let exe = std::env::current_exe()
        .map_err(|e| Error::internal(format!("cannot find the dvm executable: {e}")))?;
    let shims = app.layout.shims_dir();
    let text = render(
        args.shell,
        &shims.display().to_string(),
        &exe.display().to_string(),
        args.use_on_cd,
    );
    print!("{text}");
    Ok(0)
}
