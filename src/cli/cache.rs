//! `dvm cache dir|clean`.

use dvm::error::Result;

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm cache dir\n  dvm cache clean")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand)]
pub enum Action {
    /// Print the cache folder.
    Dir,
    /// Remove downloaded archives and cached listings (installed versions are kept).
    Clean,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    match args.action {
        Action::Dir => app.out.line(app.layout.cache.display().to_string()),
        Action::Clean => {
            let cleaned = dvm::prune::clean_cache(&app.layout)?;
            app.out
                .info(format!("cleaned {}", app.layout.cache.display()));
            if !cleaned.in_use.is_empty() {
                app.out.info(format!(
                    "kept {} partial download file(s): a download is in progress; run \
                     `dvm cache clean` again once it has finished",
                    cleaned.in_use.len()
                ));
            }
        }
    }
    Ok(ExitStatus::Success)
}
