//! `dvm current`: the version `docker` runs here, and why.

use dvm::error::Result;
use dvm::select::resolve::VERSION_VAR;

use super::exit::ExitStatus;
use super::output::shell_set_var;
use super::{App, Shell};

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm current\n  dvm current --json")]
pub struct Args {
    /// Print JSON (schema in the README).
    #[arg(long)]
    pub json: bool,
    /// Print shell code that sets DVM_DOCKER_VERSION from the version file here (use-on-cd hook).
    #[arg(long, value_enum, hide = true)]
    pub shell_eval: Option<Shell>,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    if let Some(shell) = args.shell_eval {
        return use_on_cd(app, shell);
    }
    let active = dvm::active::active(&app.ctx, &app.store)?;
    let problem = active.not_runnable();
    if args.json {
        // The JSON says what is missing; the exit code agrees with the human form.
        app.out.json(&active)?;
        return Ok(problem.map_or(ExitStatus::Success, |e| ExitStatus::Failed(e.kind())));
    }
    if let Some(e) = problem {
        return Err(e);
    }
    if let Some(auto) = &active.auto {
        app.out.line(auto_line(&active, auto));
        return Ok(ExitStatus::Success);
    }
    app.out.line(format!(
        "{} ({})",
        active.version.as_deref().unwrap_or("system"),
        active.explain()
    ));
    Ok(ExitStatus::Success)
}

/// The version file that ruled the last prompt, as the use-on-cd hook remembers it.
const SEEN_VAR: &str = "DVM_VERSION_FILE_SEEN";

/// The use-on-cd hook, run at each prompt: a `dvm use` choice lasts until the shell enters the
/// scope of another version file, which then rules (the variable is unset, so the shim reads
/// the file and `dvm current` names it). Leaving a project keeps the choice. A broken file is
/// reported at once, and rules too: `docker` fails on it rather than run a stale version.
fn use_on_cd(app: &App, shell: Shell) -> Result<ExitStatus> {
    let nearest = match dvm::select::resolve::nearest_version_file(&app.ctx.cwd) {
        Ok(found) => found.and_then(|r| match r.origin {
            dvm::select::resolve::Origin::File { path, .. } => Some(path.display().to_string()),
            _ => None,
        }),
        Err(e) => {
            app.out
                .warn(format!("{e}; docker fails here until it is fixed"));
            Some(e.origin.clone())
        }
    };
    let seen = app.ctx.var(SEEN_VAR).filter(|s| !s.is_empty());
    if nearest.as_deref() == seen {
        return Ok(ExitStatus::Success);
    }
    if nearest.is_some() && app.ctx.var(VERSION_VAR).is_some() {
        app.out.line(shell_set_var(shell, VERSION_VAR, None));
    }
    app.out
        .line(shell_set_var(shell, SEEN_VAR, nearest.as_deref()));
    Ok(ExitStatus::Success)
}

/// `auto → 1.12.6 (daemon at tcp://old-box:2376, API 1.24, checked 3 min ago; set by …)`.
fn auto_line(active: &dvm::active::Active, auto: &dvm::active::AutoState) -> String {
    let why = active.explain();
    match (&active.version, &auto.detail, auto.checked_at) {
        (Some(v), Some(detail), Some(at)) => {
            let minutes = dvm::fsutil::now_unix().saturating_sub(at) / 60;
            let stale = if auto.fresh {
                ""
            } else {
                "; the next docker call asks the daemon again"
            };
            format!("auto → {v} ({detail}, checked {minutes} min ago{stale}; {why})")
        }
        _ => format!(
            "auto (no client chosen yet for {}; the next docker call asks the daemon; {why})",
            auto.endpoint
        ),
    }
}
