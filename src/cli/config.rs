//! `dvm config get|set|unset|list|trust|untrust`.

use std::path::PathBuf;

use dvm::config::{
    self, Fallback, KEYS, Key, PROJECT_FILE, ProjectTrust, Settings, ValueOrigin, env_var_name,
};
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
        Action::Get { key } => return get(app, known_key(&key)?),
        Action::Set {
            key,
            value,
            project,
        } => {
            known_key(&key)?;
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
            known_key(&key)?;
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

/// A key named on the command line: an unknown one is a usage error listing the keys (in a
/// settings file it is a configuration error, exit 8, from the library).
fn known_key(name: &str) -> Result<&'static Key> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        Error::usage(format!("unknown setting '{}'", name.escape_default()))
            .with_hint(format!("the settings are: {}", names.join(", ")))
    })
}

/// `dvm config get KEY`: the effective value alone on stdout, for scripts; where it comes from
/// on stderr. A key with no value (set nowhere, and none by default) prints nothing on stdout
/// and exits 1, saying on stderr what holds instead.
fn get(app: &App, key: &Key) -> Result<ExitStatus> {
    let settings = Settings::load(&app.ctx, &app.layout)?;
    match settings.effective(key.name) {
        Some((value, origin)) => {
            app.out.line(value);
            app.out.info(format!(
                "{} = {value} ({}){}",
                key.name,
                origin_text(app, &settings, key, origin),
                ignored_text(&settings, key)
            ));
            Ok(ExitStatus::Success)
        }
        None => {
            app.out.info(format!(
                "{} is not set ({}){}",
                key.name,
                fallback_text(key),
                ignored_text(&settings, key)
            ));
            Ok(ExitStatus::CheckFailed)
        }
    }
}

/// Where a value comes from, for humans.
fn origin_text(app: &App, settings: &Settings, key: &Key, origin: ValueOrigin) -> String {
    match origin {
        ValueOrigin::Env => format!("from {}", env_var_name(key.name)),
        ValueOrigin::Project => match &settings.project_file {
            Some(path) => path.display().to_string(),
            None => PROJECT_FILE.into(),
        },
        ValueOrigin::File => app.layout.config_file().display().to_string(),
        ValueOrigin::Default => "default".into(),
    }
}

fn fallback_text(key: &Key) -> String {
    match key.default {
        Fallback::Value(v) => format!("default: {v}"),
        Fallback::Described(what) => format!("default: {what}"),
    }
}

fn ignored_text(settings: &Settings, key: &Key) -> &'static str {
    if settings.untrusted.contains(&key.name) {
        "; the project's value is ignored: run `dvm config trust` after reading it"
    } else {
        ""
    }
}

/// `dvm config list`: every setting with its effective value and where it comes from.
fn list(app: &App, json: bool) -> Result<()> {
    let settings = Settings::load(&app.ctx, &app.layout)?;
    if json {
        let rows: Vec<_> = KEYS
            .iter()
            .map(|k| {
                let effective = settings.effective(k.name);
                let (default, default_help) = match k.default {
                    Fallback::Value(v) => (Some(v), None),
                    Fallback::Described(what) => (None, Some(what)),
                };
                serde_json::json!({
                    "key": k.name,
                    "env": env_var_name(k.name),
                    "value": effective.map(|(v, _)| v),
                    "origin": effective.map(|(_, o)| o),
                    "default": default,
                    "default_help": default_help,
                    "help": k.help,
                    "project_value_untrusted": settings.untrusted.contains(&k.name),
                })
            })
            .collect();
        return app.out.json(&rows);
    }
    for k in KEYS {
        let shown = match settings.effective(k.name) {
            Some((value, origin)) => {
                format!("{value} ({})", origin_text(app, &settings, k, origin))
            }
            None => format!(
                "({})",
                fallback_text(k).replacen("default: ", "not set: ", 1)
            ),
        };
        app.out.line(format!(
            "{:<16} = {shown}{}",
            k.name,
            ignored_text(&settings, k)
        ));
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
