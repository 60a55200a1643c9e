//! `dvm current`: the version `docker` runs here, and why.

use dvm::error::{Error, Result};
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
        // The cd hook: follow the nearest version file, ignoring what the shell already set.
        let found = dvm::select::resolve::nearest_version_file(&app.ctx.cwd)
            .map_err(|e| Error::usage(e.to_string()))?;
        let value = found.map(|r| r.spec.to_string());
        app.out
            .line(shell_set_var(shell, VERSION_VAR, value.as_deref()));
        return Ok(ExitStatus::Success);
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

/// `auto → 1.12.6 (daemon at tcp://old-box:2376, API 1.24, checked 3 min ago; set by …)`.
fn auto_line(active: &dvm::active::Active, auto: &dvm::active::AutoState) -> String {
    let why = active.explain();
    match (&active.version, &auto.detail, auto.checked_at) {
        (Some(v), Some(detail), Some(at)) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let minutes = now.saturating_sub(at) / 60;
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
