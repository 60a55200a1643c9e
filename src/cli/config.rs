//! `dvm config get|set|unset|list`.

use dvm::config::{self, KEYS, Settings, env_var_name};
use dvm::error::{Error, Result};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand)]
pub enum Action {
    /// Print one setting's effective value.
    Get { key: String },
    /// Write a setting to config.toml.
    Set { key: String, value: String },
    /// Remove a setting from config.toml.
    Unset { key: String },
    /// Every setting, its value and where it came from.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, args: Args) -> Result<i32> {
    let file = app.layout.config_file();
    match args.action {
        Action::Get { key } => {
            if !KEYS.iter().any(|k| k.name == key) {
                return Err(Error::config(format!("unknown setting '{key}'"))
                    .with_hint("list the settings with `dvm config list`"));
            }
            let settings = Settings::load(&app.ctx, &app.layout)?;
            match settings.get(&key) {
                Some(v) => app.out.line(v),
                None => return Ok(1),
            }
        }
        Action::Set { key, value } => {
            config::write_key(&file, &key, Some(&value))?;
            app.out
                .info(format!("{key} = {value} ({})", file.display()));
        }
        Action::Unset { key } => {
            config::write_key(&file, &key, None)?;
        }
        Action::List { json } => {
            let settings = Settings::load(&app.ctx, &app.layout)?;
            let rows: Vec<_> = KEYS
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "key": k.name,
                        "env": env_var_name(k.name),
                        "value": settings.get(k.name),
                        "origin": settings.origin(k.name),
                        "help": k.help,
                    })
                })
                .collect();
            if json {
                app.out.json(&rows)?;
            } else {
                for k in KEYS {
                    let value = settings.get(k.name).unwrap_or("");
                    let origin = match settings.origin(k.name) {
                        Some(config::ValueOrigin::Env) => {
                            format!(" (from {})", env_var_name(k.name))
                        }
                        Some(config::ValueOrigin::File) => " (config.toml)".into(),
                        None => String::new(),
                    };
                    app.out.line(format!("{:<16} = {value}{origin}", k.name));
                }
            }
        }
    }
    Ok(0)
}
