//! `dvm verify [V]`: re-hashes installed clients and reports any change since install.

use dvm::error::{Error, Result};
use dvm::store::ClientCheck;

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm verify\n  dvm verify 1.12.6")]
pub struct Args {
    /// One version; every installed version when omitted.
    pub version: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let versions = match &args.version {
        Some(text) => {
            let spec = app.store.resolve_alias(&super::parse_spec(text)?)?;
            vec![
                app.store
                    .find(&spec)?
                    .ok_or_else(|| Error::not_installed(&spec))?,
            ]
        }
        None => app.store.installed(),
    };
    let mut bad = 0;
    for v in versions {
        let reinstall = app.store.reinstall_command(&v);
        match app.store.check_client(&v) {
            ClientCheck::Ok => app.out.line(format!("{v}: ok")),
            ClientCheck::Modified { expected, actual } => {
                bad += 1;
                app.out.line(format!(
                    "{v}: MODIFIED since install (expected sha256 {expected}, found {actual}); reinstall: {reinstall}"
                ));
            }
            ClientCheck::Missing => {
                bad += 1;
                app.out
                    .line(format!("{v}: client missing; reinstall: {reinstall}"));
            }
            ClientCheck::ManifestUnreadable { reason } => {
                bad += 1;
                app.out
                    .line(format!("{v}: {reason}; reinstall: {reinstall}"));
            }
        }
    }
    if bad > 0 {
        return Err(
            Error::integrity(format!("{bad} installed client(s) failed verification"))
                .with_hint("reinstall each with the command shown beside it"),
        );
    }
    Ok(ExitStatus::Success)
}
