//! How the CLI prints: results on stdout, messages and progress on stderr, colour only on a
//! terminal (and never with NO_COLOR or `--color never`).

use std::io::{IsTerminal, Write};

use dvm::context::Context;
use dvm::error::Error;

use super::ColorChoice;

pub struct Output {
    color: bool,
    quiet: bool,
    /// Progress bars only when stderr is a terminal.
    pub progress: bool,
}

impl Output {
    pub fn new(ctx: &Context, choice: ColorChoice, quiet: bool) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                ctx.var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && (ctx.stderr_is_terminal || std::io::stdout().is_terminal())
                    && ctx.var("TERM") != Some("dumb")
            }
        };
        Output {
            color,
            quiet,
            progress: ctx.stderr_is_terminal && !quiet,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// A status line on stderr (suppressed by --quiet).
    pub fn info(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", text.as_ref());
        }
    }

    pub fn warn(&self, text: impl AsRef<str>) {
        eprintln!("{} {}", self.yellow("dvm: warning:"), text.as_ref());
    }

    /// A result line on stdout.
    pub fn line(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", text.as_ref());
    }

    pub fn json<T: serde::Serialize>(&self, value: &T) -> dvm::Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))?;
        self.line(text);
        Ok(())
    }
}

pub fn print_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "dvm: error: {e}");
    if let Some(hint) = e.hint() {
        let _ = writeln!(err, "  hint: {hint}");
    }
}

/// Quotes a value for the given shell's `eval`.
pub fn shell_quote(shell: super::Shell, value: &str) -> String {
    format!("'{}'", escape_single_quoted(shell, value))
}

/// A value escaped to stand between single quotes in the given shell's code.
pub fn escape_single_quoted(shell: super::Shell, value: &str) -> String {
    match shell {
        // PowerShell also ends a single-quoted string at the typographic single quotes; a
        // doubled quote of any kind stands for one.
        super::Shell::Powershell => value
            .chars()
            .flat_map(|c| {
                let quote = matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
                std::iter::repeat_n(c, if quote { 2 } else { 1 })
            })
            .collect(),
        super::Shell::Fish => value.replace('\\', "\\\\").replace('\'', "\\'"),
        super::Shell::Bash | super::Shell::Zsh => value.replace('\'', "'\\''"),
    }
}

/// Shell code that sets (or with `None` unsets) an environment variable in the current shell.
pub fn shell_set_var(shell: super::Shell, name: &str, value: Option<&str>) -> String {
    use super::Shell::*;
    match (shell, value) {
        (Bash | Zsh, Some(v)) => format!("export {name}={}", shell_quote(shell, v)),
        (Bash | Zsh, None) => format!("unset {name}"),
        (Fish, Some(v)) => format!("set -gx {name} {}", shell_quote(shell, v)),
        (Fish, None) => format!("set -e {name}"),
        (Powershell, Some(v)) => format!("$env:{name} = {}", shell_quote(shell, v)),
        (Powershell, None) => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue"),
    }
}
