//! `dvm completions SHELL`.

use clap::CommandFactory;

use dvm::error::Result;

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> Result<i32> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "dvm", &mut std::io::stdout());
    Ok(0)
}
