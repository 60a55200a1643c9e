//! `dvm cache dir|clean`.

use dvm::error::{IoContext, Result};

use super::App;

#[derive(clap::Args)]
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

pub fn run(app: &App, args: Args) -> Result<i32> {
    match args.action {
        Action::Dir => app.out.line(app.layout.cache.display().to_string()),
        Action::Clean => {
            for dir in [app.layout.downloads_dir(), app.layout.listings_dir()] {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).with_path("remove", &dir)?;
                }
            }
            app.out
                .info(format!("cleaned {}", app.layout.cache.display()));
        }
    }
    Ok(0)
}
