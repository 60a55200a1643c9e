//! `dvm install`: from the remote sources, or `--from FILE|URL`.

use std::path::PathBuf;

use dvm::config::Settings;
use dvm::error::{Error, Result};
use dvm::install::{InstallOptions, InstallReport};
use dvm::select::resolve::VERSION_VAR;
use dvm::select::version::{DockerVersion, VersionSpec};

use super::App;
use super::exit::ExitStatus;
use super::render::installed_line;

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm install 1.12.6\n  dvm install               (the version .docker-version names)\n  dvm install 17.3 --source static\n  dvm install 1.12.6 --source yum --distro fedora/24\n  dvm install --from ./docker-17.03.0-ce.tgz\n  dvm install --from https://mirror.example/docker-1.12.6.tgz --as 1.12.6"
)]
pub struct Args {
    /// The version to install: 1.12.6, 20.10, 17.3, latest, 23.0.0-rc.1 (default: the one the
    /// .docker-version here or above, else the global default, names).
    pub version: Option<String>,
    /// Install from a downloaded archive (.rpm, .tgz, .zip, raw binary) or its http(s) URL.
    #[arg(long, value_name = "FILE|URL", conflicts_with = "version")]
    pub from: Option<String>,
    /// Install under this version, whatever the archive or its name says.
    #[arg(long = "as", value_name = "VERSION", requires = "from")]
    pub as_version: Option<String>,
    /// Reinstall even if the version is already installed.
    #[arg(long)]
    pub force: bool,
    /// Require the archive to have this sha256.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// Refuse the install unless it is verified this strongly: signature, checksum or any
    /// (default: the require_verification setting, else any).
    #[arg(long, value_name = "LEVEL", value_parser = ["signature", "checksum", "any"])]
    pub require: Option<String>,
    /// Accept an RPM without a signature from a repository that signs its packages.
    #[arg(long)]
    pub allow_unsigned: bool,
    #[command(flatten)]
    pub sources: super::args::SourceArgs,
    /// For the shim: install only when the auto_install setting (project or user config) is
    /// on; otherwise exit 1 saying nothing.
    #[arg(long, hide = true, requires = "version")]
    pub if_auto_install: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    if args.if_auto_install {
        match Settings::load(&app.ctx, &app.layout) {
            Ok(settings) if settings.auto_install() => {}
            Ok(_) => return Ok(ExitStatus::CheckFailed),
            Err(e) => {
                // The shim then reports the missing version as usual.
                app.out.warn(format!(
                    "auto-install is off because the settings cannot be read: {e}"
                ));
                return Ok(ExitStatus::CheckFailed);
            }
        }
    }
    let pinned_sha256 = match &args.sha256 {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(hex.to_ascii_lowercase())
        }
        Some(hex) => {
            return Err(Error::usage(format!("--sha256 {hex} is not 64 hex digits")));
        }
        None => None,
    };
    let as_version = match &args.as_version {
        Some(text) => Some(DockerVersion::parse(text).map_err(|e| {
            Error::usage(e.to_string()).with_hint("--as needs a full version such as 1.12.6")
        })?),
        None => None,
    };
    let settings = Settings::load(&app.ctx, &app.layout)?;
    let require = match &args.require {
        Some(level) => level.parse()?,
        None => settings.require_verification(),
    };
    let opts = InstallOptions {
        as_version,
        force: args.force,
        pinned_sha256,
        require,
        allow_unsigned: args.allow_unsigned || settings.allow_unsigned_rpms(),
        rpm_keys: settings.rpm_keys(),
    };
    let report = if let Some(from) = &args.from {
        if from.starts_with("http://") || from.starts_with("https://") {
            let remote = super::args::remote_setup(app, &args.sources)?;
            let progress = super::render::progress_renderer(app);
            dvm::install::install_from_url(&remote, &app.store, from, &opts, &progress)?
        } else {
            dvm::install::install_from_file(&app.store, &PathBuf::from(from), &opts)?
        }
    } else {
        let spec = match &args.version {
            Some(text) => super::parse_spec(text)?,
            None => super::args::version_here(app, "install")?,
        };
        if spec == VersionSpec::System {
            return Err(Error::usage(
                "`system` is the docker found on PATH outside dvm; dvm does not install it",
            )
            .with_hint("name a version: dvm install VERSION (or pin one: dvm local VERSION)"));
        }
        if args.version.is_none()
            && let Some(shell) = app.ctx.var(VERSION_VAR).filter(|v| !v.is_empty())
            && shell != spec.to_string()
        {
            app.out.note(format!(
                "this shell selects {shell} ({VERSION_VAR}), which wins over {spec} here; \
                 `dvm use` with no version follows the folder again"
            ));
        }
        let spec = app.store.resolve_alias(&spec)?;
        let remote = super::args::remote_setup(app, &args.sources)?;
        let progress = super::render::progress_renderer(app);
        dvm::install::install_remote(&remote, &app.store, &spec, &opts, &progress)?
    };
    app.ensure_shim()?;
    render(app, &report);
    Ok(ExitStatus::Success)
}

fn render(app: &App, report: &InstallReport) {
    let out = &app.out;
    if !report.installed {
        out.info(format!(
            "docker {} is already installed ({}); use --force to reinstall",
            report.version,
            report.client_path.display()
        ));
        return;
    }
    out.info(installed_line(out, report));
    if app.store.default_spec().ok().flatten().is_none() {
        out.info(format!(
            "make it the default with: dvm use --global {}",
            report.version
        ));
    }
}
