//! `dvm prune`: remove old versions and cached downloads nothing needs.

use dvm::error::Result;
use dvm::prune::{FileKind, KeepReason, PruneOptions, PruneReport, SECONDS_PER_DAY};

use super::App;
use super::exit::ExitStatus;

/// How the command decides, for `dvm prune --help`.
pub const AFTER_HELP: &str = "\
A version's age is counted from its install time (recorded in its manifest). dvm does not
track each use: that would mean a write from the shim on every docker call.
Whatever its age, a version is kept when it is the global default, the version active here
(DVM_DOCKER_VERSION, a .docker-version file up from this folder) or the target of an alias.

A cached download is kept exactly when a version that stays installed came from it (its
sha256 matches that version's manifest), so `dvm install --force` still works offline.
Other downloads go whatever their age; interrupted downloads (.part) go once they have not
been written to for a day.

Examples:
  dvm prune --dry-run
  dvm prune --days 30";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Remove versions installed at least this many days ago.
    #[arg(long, value_name = "N", default_value_t = 90)]
    pub days: u64,
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let now = dvm::fsutil::now_unix();
    let report = dvm::prune::prune(
        &app.ctx,
        &app.store,
        &PruneOptions {
            days: args.days,
            now,
            dry_run: args.dry_run,
        },
    )?;
    if args.json {
        app.out.json(&report)?;
    } else {
        render(app, &report, now);
    }
    Ok(ExitStatus::Success)
}

fn render(app: &App, report: &PruneReport, now: u64) {
    let out = &app.out;
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for v in &report.versions {
        let days = now.saturating_sub(v.installed_at) / SECONDS_PER_DAY;
        out.line(format!(
            "{verb} docker {} (installed {days} days ago, {})",
            v.version,
            size(v.bytes)
        ));
    }
    for k in &report.kept {
        let why = match &k.reason {
            KeepReason::Default => "it is the global default".to_string(),
            KeepReason::Active => "it is the active version here".to_string(),
            KeepReason::Alias(name) => format!("alias '{name}' names it"),
            KeepReason::UnknownAge(reason) => format!("its install time is unknown: {reason}"),
        };
        out.line(format!("kept docker {}: {why}", k.version));
    }
    for f in &report.files {
        let what = match f.kind {
            FileKind::Download => "download",
            FileKind::Partial => "interrupted download",
        };
        out.line(format!(
            "{verb} {what} {} ({})",
            f.path.display(),
            size(f.bytes)
        ));
    }
    if report.versions.is_empty() && report.files.is_empty() {
        out.info("nothing to prune");
    } else {
        let freed = if report.dry_run {
            "would free"
        } else {
            "freed"
        };
        out.info(format!("{freed} {}", size(report.bytes())));
    }
}

fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}
