//! `dvm mirror SPEC... --to DIR`: feed a static web server for a fleet or an air-gapped
//! network; `dvm mirror --check DIR` audits a tree against its manifest.

use std::path::PathBuf;

use dvm::config::Settings;
use dvm::error::{Error, Result};
use dvm::install::InstallOptions;
use dvm::mirror::{MirrorEvent, MirrorRequest};
use dvm::platform::Platform;

use super::App;
use super::exit::ExitStatus;

/// The platforms mirrored without `--platform`.
const DEFAULT_PLATFORMS: &str = "linux/x86_64";

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm mirror 24.0.7 20.10 1.12.6 --to /srv/docker-clients\n  dvm mirror latest --platform linux/x86_64,linux/aarch64,darwin/aarch64 --to /srv/dvm\n  dvm mirror --check /srv/docker-clients\n\nServe DIR with any static web server, then on each client: DVM_MIRROR=https://server/"
)]
pub struct Args {
    /// The versions to mirror: 24.0.7, 20.10, latest, 1.12.6.
    #[arg(required_unless_present = "check")]
    pub specs: Vec<String>,
    /// The tree to write (served as DVM_MIRROR).
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    pub to: Option<PathBuf>,
    /// Comma-separated OS/ARCH list (default: linux/x86_64).
    #[arg(long, value_name = "LIST", default_value = DEFAULT_PLATFORMS)]
    pub platform: String,
    /// Re-hash a mirror tree against its dvm-mirror.json instead of mirroring.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["specs", "to"])]
    pub check: Option<PathBuf>,
    /// Build the tree from the download cache only, with no network at all.
    #[arg(long)]
    pub from_cache: bool,
    /// Accept an RPM without a signature from a repository that signs its packages.
    #[arg(long)]
    pub allow_unsigned: bool,
    #[command(flatten)]
    pub sources: super::args::SourceArgs,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    if let Some(dir) = &args.check {
        let count = dvm::mirror::check(dir)?;
        app.out.info(format!(
            "{}: all {count} files match {}",
            dir.display(),
            dvm::mirror::MANIFEST_NAME
        ));
        return Ok(ExitStatus::Success);
    }
    let to = args
        .to
        .clone()
        .ok_or_else(|| Error::usage("say where to write the mirror: --to DIR"))?;
    let platforms = args
        .platform
        .split(',')
        .map(|p| p.trim().parse::<Platform>())
        .collect::<Result<Vec<_>>>()?;
    let specs = args
        .specs
        .iter()
        .map(|s| super::parse_spec(s).and_then(|spec| app.store.resolve_alias(&spec)))
        .collect::<Result<Vec<_>>>()?;
    let settings = Settings::load(&app.ctx, &app.layout)?;
    let opts = InstallOptions {
        require: settings.require_verification(),
        allow_unsigned: args.allow_unsigned || settings.allow_unsigned_rpms(),
        rpm_keys: settings.rpm_keys(),
        ..InstallOptions::default()
    };
    let mut sources = args.sources;
    sources.offline |= args.from_cache;
    let remote = super::args::remote_setup(app, &sources)?;
    let install_progress = super::render::progress_renderer(app);
    let progress = |event: MirrorEvent| {
        match event {
        MirrorEvent::Wrote { path, verified_by } => {
            app.out.info(format!("wrote {path} (verified by {verified_by})"));
        }
        MirrorEvent::Unchanged { path } => app.out.info(format!("unchanged {path}")),
        MirrorEvent::ChangedUpstream { path, was, now } => app.out.warn(format!(
            "{path} changed upstream: it was sha256 {was}, it is now {now}; the new file replaces it"
        )),
        MirrorEvent::Missing { spec, platform, why } => {
            app.out.warn(format!("skipped {spec} for {platform}: {why}"));
        }
        MirrorEvent::Install(event) => install_progress(event),
    }
    };
    let request = MirrorRequest {
        specs,
        platforms,
        to: to.clone(),
    };
    let report = dvm::mirror::mirror(&remote, &request, &opts, &progress)?;
    app.out.info(format!(
        "{}: {} written, {} unchanged, {} skipped; serve it and set DVM_MIRROR to its URL",
        to.display(),
        report.written.len(),
        report.unchanged.len(),
        report.missing.len()
    ));
    if report.written.is_empty() && report.unchanged.is_empty() {
        return Err(
            Error::not_found("nothing was mirrored: no source has those versions")
                .with_hint("list what exists with `dvm ls-remote`"),
        );
    }
    Ok(ExitStatus::Success)
}
