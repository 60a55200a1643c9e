//! `dvm trust list|forget`: the trust-on-first-use records of static tarballs.

use dvm::error::Result;

use super::App;
use super::args::{SourceArgs, remote_setup};
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  dvm trust list
  dvm trust forget 24.0.7       after Docker republished docker-24.0.7.tgz
  dvm trust forget https://download.docker.com/linux/static/stable/x86_64/docker-24.0.7.tgz")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand)]
pub enum Action {
    /// List the sha256 recorded at each file's first install (key, then sha256).
    List,
    /// Forget the record of a URL, or of every file of an exact version, so the next install
    /// trusts what it downloads as a first use again.
    Forget {
        /// A URL as an install message printed it, or an exact version such as 24.0.7.
        target: String,
    },
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    // Only to key URLs as installs do (mirrors included): nothing is fetched.
    let remote = remote_setup(app, &SourceArgs::offline(true))?;
    match args.action {
        Action::List => {
            let (file, records) = dvm::install::trust_records(&remote)?;
            for (key, sha256) in &records {
                app.out.line(format!("{key}\t{sha256}"));
            }
            if records.is_empty() {
                app.out.info(format!(
                    "no trust-on-first-use records ({})",
                    file.display()
                ));
            }
        }
        Action::Forget { target } => {
            let forgotten = dvm::install::forget_trust(&remote, &target)?;
            for (key, sha256) in &forgotten.records {
                app.out.info(format!(
                    "forgot {key} (sha256 {sha256}); its next install is a first use again"
                ));
            }
        }
    }
    Ok(ExitStatus::Success)
}
