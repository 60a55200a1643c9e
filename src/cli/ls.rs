//! `dvm ls`: installed versions, oldest first, marking the active one and the default.

use serde::Serialize;

use dvm::error::Result;
use dvm::trust::VerifiedBy;

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm ls\n  dvm ls --json")]
pub struct Args {
    /// Print JSON (schema in the README).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Entry {
    version: String,
    path: String,
    active: bool,
    default: bool,
    source: Option<String>,
    verified_by: Vec<VerifiedBy>,
    client_sha256: Option<String>,
    installed_at: Option<u64>,
    api_version: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let installed = app.store.installed();
    // A broken version file must not hide the list; the marker is just absent then.
    let active = dvm::active::active(&app.ctx, &app.store)
        .ok()
        .and_then(|a| a.version());
    let default = match app.store.default_spec() {
        Ok(spec) => spec.and_then(|spec| app.store.find(&spec).ok().flatten()),
        Err(e) => {
            let hint = e.hint().map(|h| format!("; {h}")).unwrap_or_default();
            app.out
                .warn(format!("the global default is unreadable: {e}{hint}"));
            None
        }
    };
    let entries: Vec<Entry> = installed
        .iter()
        .map(|v| {
            let manifest = app.store.manifest(v).ok();
            Entry {
                version: v.to_string(),
                path: app.layout.client_path(v).display().to_string(),
                active: active == Some(*v),
                default: default == Some(*v),
                source: manifest.as_ref().map(|m| m.source.clone()),
                verified_by: manifest
                    .as_ref()
                    .map(|m| m.verified_by.clone())
                    .unwrap_or_default(),
                client_sha256: manifest.as_ref().map(|m| m.client_sha256.clone()),
                installed_at: manifest.as_ref().map(|m| m.installed_at),
                api_version: super::render::api_version_of(v),
            }
        })
        .collect();
    if args.json {
        app.out.json(&entries)?;
        return Ok(ExitStatus::Success);
    }
    if entries.is_empty() {
        app.out
            .info("no docker versions installed; try: dvm install latest (or dvm ls-remote)");
        return Ok(ExitStatus::Success);
    }
    let width = entries.iter().map(|e| e.version.len()).max().unwrap_or(0);
    for e in &entries {
        let marker = if e.active { "*" } else { " " };
        let mut line = format!("{marker} {:<width$}", e.version);
        if e.default {
            line.push_str(&format!("  {}", app.out.dim("(default)")));
        }
        let line = if e.active { app.out.green(&line) } else { line };
        app.out.line(line.trim_end());
    }
    Ok(ExitStatus::Success)
}
