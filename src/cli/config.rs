//! `dvm config get|set|unset|list|trust|untrust`.

use std::path::PathBuf;

use dvm::config::{self, KEYS, PROJECT_FILE, ProjectTrust, Settings, env_var_name};
use dvm::error::{Error, Result};

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm config list\n  dvm config set mirror https://mirror.example\n  dvm config get retries"
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand)]
pub enum Action {
    /// Print one setting's effective value.
    Get { key: String },
    /// Write a setting to config.toml (or, with --project, to this project's .dvm.toml).
    Set {
        key: String,
        value: String,
        /// Write the nearest .dvm.toml (created here if there is none) and trust it.
        #[arg(long)]
        project: bool,
    },
    /// Remove a setting from config.toml (or, with --project, from this project's .dvm.toml).
    Unset {
        key: String,
        #[arg(long)]
        project: bool,
    },
    /// Every setting, its value and where it came from.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Let a project's .dvm.toml set download URLs (mirror, *_url), as it is now.
    Trust {
        /// The file (default: the nearest .dvm.toml).
        path: Option<PathBuf>,
    },
    /// Stop trusting a project's .dvm.toml.
    Untrust {
        /// The file (default: the nearest .dvm.toml).
        path: Option<PathBuf>,
    },
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let user_file = app.layout.config_file();
    let target = |project: bool| -> PathBuf {
        if project {
            config::find_project_file(&app.ctx.cwd)
                .unwrap_or_else(|| app.ctx.cwd.join(PROJECT_FILE))
        } else {
            user_file.clone()
        }
    };
    let trust = ProjectTrust::in_data_dir(&app.layout.data);
    match args.action {
        Action::Get { key } => {
            if !KEYS.iter().any(|k| k.name == key) {
                return Err(Error::config(format!("unknown setting '{key}'"))
                    .with_hint("list the settings with `dvm config list`"));
            }
            let settings = Settings::load(&app.ctx, &app.layout)?;
            match settings.get(&key) {
                Some(v) => app.out.line(v),
                None => return Ok(ExitStatus::CheckFailed),
            }
        }
        Action::Set {
            key,
            value,
            project,
        } => {
            let file = target(project);
            let trust_after = project && trusted_as_far_as_the_user_knows(&trust, &file)?;
            config::write_key(&file, &key, Some(&value))?;
            if project {
                settle_project_trust(app, &trust, &file, trust_after)?;
            }
            app.out
                .info(format!("{key} = {value} ({})", file.display()));
        }
        Action::Unset { key, project } => {
            // Unlike `set`, never creates a project file: there must be one to edit.
            let file = if project {
                project_file_arg(app, None)?
            } else {
                user_file.clone()
            };
            let trust_after = project && trusted_as_far_as_the_user_knows(&trust, &file)?;
            config::write_key(&file, &key, None)?;
            if project {
                settle_project_trust(app, &trust, &file, trust_after)?;
            }
        }
        Action::Trust { path } => {
            let file = project_file_arg(app, path)?;
            trust.set(&file, true)?;
            app.out.info(format!(
                "trusted {} as it is now; an edit needs `dvm config trust` again",
                file.display()
            ));
        }
        Action::Untrust { path } => {
            let file = project_file_arg(app, path)?;
            trust.set(&file, false)?;
            app.out
                .info(format!("no longer trusting {}", file.display()));
        }
        Action::List { json } => list(app, json)?,
    }
    Ok(ExitStatus::Success)
}

/// `dvm config list`: every setting with its effective value and where it comes from.
fn list(app: &App, json: bool) -> Result<()> {
    let user_file = app.layout.config_file();
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
                "project_value_untrusted": settings.untrusted.contains(&k.name),
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
                Some(config::ValueOrigin::Project) => match &settings.project_file {
                    Some(path) => format!(" ({})", path.display()),
                    None => format!(" ({PROJECT_FILE})"),
                },
                Some(config::ValueOrigin::File) => format!(" ({})", user_file.display()),
                None => String::new(),
            };
            let ignored = if settings.untrusted.contains(&k.name) {
                "; the project's value is ignored: run `dvm config trust` after reading it"
            } else {
                ""
            };
            app.out
                .line(format!("{:<16} = {value}{origin}{ignored}", k.name));
        }
    }
    Ok(())
}

/// Whether every download URL in `file` is one the user chose: no file yet, a trusted one, or
/// one that sets none. Only then does editing it with `config set --project` trust the result.
fn trusted_as_far_as_the_user_knows(trust: &ProjectTrust, file: &std::path::Path) -> Result<bool> {
    if !file.is_file() {
        return Ok(true);
    }
    Ok(config::url_keys(&config::read_file(file)?).is_empty() || trust.is_trusted(file)?)
}

/// After `config set|unset --project`: trust what the user wrote, unless the file already held
/// download URLs they never trusted, which are then named.
fn settle_project_trust(
    app: &App,
    trust: &ProjectTrust,
    file: &std::path::Path,
    trust_after: bool,
) -> Result<()> {
    if trust_after {
        return trust.set(file, true);
    }
    let values = config::read_file(file)?;
    let untrusted = config::url_keys(&values);
    if !untrusted.is_empty() {
        app.out.warn(format!(
            "{} also sets {}, which you have not trusted; read it, then run: dvm config trust {}",
            file.display(),
            untrusted.join(", "),
            file.display()
        ));
    }
    Ok(())
}

/// The named file, or the nearest `.dvm.toml`.
fn project_file_arg(app: &App, path: Option<PathBuf>) -> Result<PathBuf> {
    match path.map(|p| app.ctx.cwd.join(p)) {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => Err(Error::not_found(format!(
            "{} is not a file",
            path.display()
        ))),
        None => config::find_project_file(&app.ctx.cwd).ok_or_else(|| {
            Error::not_found(format!(
                "no {PROJECT_FILE} in {} or a folder above it",
                app.ctx.cwd.display()
            ))
            .with_hint(format!(
                "name the file (PATH/{PROJECT_FILE}), or create one here with \
                 `dvm config set --project KEY VALUE`"
            ))
        }),
    }
}
