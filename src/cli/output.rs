//! How the CLI prints: results on stdout, messages and progress on stderr, colour only on a
//! terminal (and never with NO_COLOR or `--color never`).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use dvm::context::Context;
use dvm::error::Error;

use super::ColorChoice;

/// Where a command writes: results to `out` (stdout), messages to `err` (stderr). Commands
/// write only through this, so a test can hand it buffers and read what a command said.
pub struct Output {
    color: bool,
    quiet: bool,
    /// Progress bars only when stderr is a terminal.
    pub progress: bool,
    /// `--verbose` (or `DVM_LOG=debug`): each step on stderr.
    pub verbose: bool,
    out: Mutex<Box<dyn Write + Send>>,
    err: Mutex<Box<dyn Write + Send>>,
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
            verbose: false,
            out: Mutex::new(Box::new(std::io::stdout())),
            err: Mutex::new(Box::new(std::io::stderr())),
        }
    }

    /// Output into the given writers: no colour, no progress bars.
    #[cfg(test)]
    pub fn to_writers(out: Box<dyn Write + Send>, err: Box<dyn Write + Send>, quiet: bool) -> Self {
        Output {
            color: false,
            quiet,
            progress: false,
            verbose: false,
            out: Mutex::new(out),
            err: Mutex::new(err),
        }
    }

    fn write(stream: &Mutex<Box<dyn Write + Send>>, text: &str) {
        // A closed pipe or a poisoned lock loses the line; a command's result does not change.
        if let Ok(mut w) = stream.lock() {
            let _ = w.write_all(text.as_bytes());
            let _ = w.flush();
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
            Self::write(&self.err, &format!("{}\n", text.as_ref()));
        }
    }

    /// A line worth reading that is not a problem; shown even with --quiet, like warnings,
    /// since it explains where a client came from.
    pub fn note(&self, text: impl AsRef<str>) {
        Self::write(&self.err, &format!("dvm: note: {}\n", text.as_ref()));
    }

    pub fn warn(&self, text: impl AsRef<str>) {
        let line = format!("{} {}\n", self.yellow("dvm: warning:"), text.as_ref());
        Self::write(&self.err, &line);
    }

    /// An error with its hint, on stderr.
    pub fn error(&self, e: &Error) {
        Self::write(&self.err, &error_text(e));
    }

    /// A result line on stdout.
    pub fn line(&self, text: impl AsRef<str>) {
        Self::write(&self.out, &format!("{}\n", text.as_ref()));
    }

    /// Text for stdout exactly as given (a script for `eval`).
    pub fn raw(&self, text: &str) {
        Self::write(&self.out, text);
    }

    pub fn json<T: serde::Serialize>(&self, value: &T) -> dvm::Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))?;
        self.line(text);
        Ok(())
    }
}

/// An error that ended the command, before any [`Output`] exists or after it is gone.
pub fn print_error(e: &Error) {
    let _ = std::io::stderr().lock().write_all(error_text(e).as_bytes());
}

fn error_text(e: &Error) -> String {
    let hint = e.hint().unwrap_or(e.kind().default_hint());
    format!("dvm: error: {e}\n  hint: {hint}\n")
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A writer whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn results_go_to_stdout_and_messages_to_stderr() {
        let (out, err) = (Captured::default(), Captured::default());
        let o = Output::to_writers(Box::new(out.clone()), Box::new(err.clone()), false);
        o.line("1.12.6");
        o.info("installed docker 1.12.6");
        o.warn("careful");
        o.error(
            &Error::not_found("docker 1.12.6 is not installed").with_hint("dvm install 1.12.6"),
        );
        assert_eq!(out.text(), "1.12.6\n");
        assert_eq!(
            err.text(),
            "installed docker 1.12.6\ndvm: warning: careful\n\
             dvm: error: docker 1.12.6 is not installed\n  hint: dvm install 1.12.6\n"
        );
    }

    #[test]
    fn quiet_keeps_results_warnings_and_errors() {
        let (out, err) = (Captured::default(), Captured::default());
        let o = Output::to_writers(Box::new(out.clone()), Box::new(err.clone()), true);
        o.info("resolved");
        o.line("ok");
        o.warn("w");
        assert_eq!(out.text(), "ok\n");
        assert_eq!(err.text(), "dvm: warning: w\n");
    }
}
