//! `dvm man`: the manual page, generated from the same definitions as `--help`.

use clap::CommandFactory;

use super::exit::ExitStatus;
use dvm::error::{Error, Result};

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm man > ~/.local/share/man/man1/dvm.1\n  dvm man install | man -l -"
)]
pub struct Args {
    /// A subcommand, for its own page (dvm-install(1)); dvm(1) when omitted.
    pub command: Option<String>,
}

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
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`dvm man | head`) is not an error worth reporting.
    let _ = stdout.write_all(&page).and_then(|()| stdout.flush());
    Ok(ExitStatus::Success)
}
