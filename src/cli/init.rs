//! `dvm init SHELL`: prints the shell integration for eval.

use dvm::error::{Error, Result};

use super::exit::ExitStatus;
use super::output::escape_single_quoted;
use super::{App, Shell};

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  eval \"$(dvm init bash)\"      # ~/.bashrc\n  eval \"$(dvm init zsh)\"       # ~/.zshrc\n  dvm init fish | source        # ~/.config/fish/config.fish\n  dvm init powershell | Out-String | Invoke-Expression"
)]
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

/// The script with paths filled in (escaped for the single quotes around them), and the cd hook
/// kept only when asked for.
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
    // One pass per placeholder over the template only: a path that happens to contain the other
    // placeholder's name stays as it is.
    let shims = escape_single_quoted(shell, shims);
    let exe = escape_single_quoted(shell, exe);
    out.split("__DVM_SHIMS__")
        .map(|piece| piece.replace("__DVM_EXE__", &exe))
        .collect::<Vec<_>>()
        .join(&shims)
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
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
    app.out.raw(&text);
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWKWARD: &str = r"/tmp/it's a $HOME \ dir";

    #[test]
    fn paths_are_escaped_for_each_shells_single_quotes() {
        let cases = [
            (Shell::Bash, r"/tmp/it'\''s a $HOME \ dir"),
            (Shell::Zsh, r"/tmp/it'\''s a $HOME \ dir"),
            (Shell::Fish, r"/tmp/it\'s a $HOME \\ dir"),
            (Shell::Powershell, r"/tmp/it''s a $HOME \ dir"),
        ];
        for (shell, escaped) in cases {
            assert_eq!(escape_single_quoted(shell, AWKWARD), escaped, "{shell:?}");
            let text = render(shell, AWKWARD, "/opt/dvm's/dvm", true);
            assert!(text.contains(&format!("'{escaped}'")), "{shell:?}:\n{text}");
            assert!(!text.contains("__DVM_"), "{shell:?}: a placeholder is left");
            assert!(!text.contains(AWKWARD), "{shell:?}: an unescaped path");
        }
        assert_eq!(
            escape_single_quoted(Shell::Powershell, "a\u{2019}b\u{2018}c"),
            "a\u{2019}\u{2019}b\u{2018}\u{2018}c"
        );
    }

    #[test]
    fn a_path_naming_a_placeholder_is_pasted_as_it_is() {
        let text = render(Shell::Bash, "/x/__DVM_EXE__", "/y/__DVM_SHIMS__", false);
        assert!(text.contains("__dvm_shims='/x/__DVM_EXE__'"), "{text}");
        assert!(text.contains("DVM_EXE='/y/__DVM_SHIMS__'"), "{text}");
    }
}
