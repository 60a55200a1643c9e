//! Arguments several commands share: where to look for releases (`install`, `ls-remote`,
//! `detect`, `doctor`), and the remote set-up they imply.

use dvm::config::Settings;
use dvm::error::Result;
use dvm::install::{InstallOptions, Remote, RemoteOptions};
use dvm::select::version::VersionSpec;

use super::App;

/// Where to look: shared by `install`, `ls-remote` and `detect`.
#[derive(clap::Args, Default)]
pub struct SourceArgs {
    /// Use only this source: legacy, static, yum or rpm.
    #[arg(long)]
    pub source: Option<String>,
    /// Release channel: stable (default), test (prereleases) or edge (monthly, 2017-2018).
    #[arg(long)]
    pub channel: Option<String>,
    /// RPM tree for the yum and rpm sources, such as centos/7 or fedora/24.
    #[arg(long)]
    pub distro: Option<String>,
    /// Never touch the network: use only cached archives and listings.
    #[arg(long)]
    pub offline: bool,
    /// Refetch listings even if the cache is fresh.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,
}

impl SourceArgs {
    pub fn offline(offline: bool) -> Self {
        SourceArgs {
            offline,
            ..SourceArgs::default()
        }
    }
}

/// Builds the remote context: config and env, then these flags on top. `refresh` forces
/// fresh listings whatever `args` say.
pub fn remote_setup(app: &App, args: &SourceArgs) -> Result<Remote> {
    let settings = Settings::load(&app.ctx, &app.layout)?;
    let options = RemoteOptions {
        source: args.source.as_deref().map(str::parse).transpose()?,
        channel: args.channel.as_deref().map(str::parse).transpose()?,
        distro: args.distro.as_deref().map(str::parse).transpose()?,
        offline: args.offline,
        refresh: args.refresh,
    };
    let mut remote = Remote::new(&app.ctx, &app.layout, &settings, options)?;
    if app.out.verbose {
        // Listings and checksum files too, not only the downloads the progress events show.
        remote
            .fetcher
            .observe_requests(Box::new(|line| eprintln!("dvm: note: {line}")));
    }
    Ok(remote)
}

/// The version a command takes when none is given (`dvm install`, `dvm use`): the nearest
/// version file here or above, else the global default, as `dvm current` resolves them (this
/// shell's DVM_DOCKER_VERSION aside). Says on stderr where it came from. No version anywhere is
/// a usage error naming the two ways out.
pub fn version_here(app: &App, command: &str) -> Result<dvm::VersionSpec> {
    let Some(request) = dvm::active::requested_here(&app.ctx, &app.store)? else {
        return Err(dvm::Error::usage(format!(
            "no version given, and no .docker-version in {} or a folder above it (nor a global \
             default) names one",
            app.ctx.cwd.display()
        ))
        .with_hint(format!(
            "pin this folder with `dvm local VERSION`, or name one: dvm {command} VERSION"
        )));
    };
    app.out
        .info(format!("docker {} (from {})", request.spec, request.origin));
    Ok(request.spec)
}

/// Install options from the settings alone (no flags): what `require_verification`,
/// `allow_unsigned_rpms` and `rpm_keys` say. Installs that dvm starts on its own use them.
pub fn settings_install_options(settings: &Settings) -> InstallOptions {
    InstallOptions {
        require: settings.require_verification(),
        allow_unsigned: settings.allow_unsigned_rpms(),
        rpm_keys: settings.rpm_keys(),
        ..InstallOptions::default()
    }
}

/// With `auto_install` on (the setting, or `DVM_AUTO_INSTALL=1`), installs the version `spec`
/// names when none installed matches, through the same library path as `dvm install SPEC`
/// (`use`, `default`, `local` and `exec` call it, as the shim does). Returns whether it
/// installed something; nothing happens when the setting is off.
pub fn auto_install(app: &App, spec: &VersionSpec) -> Result<bool> {
    if matches!(spec, VersionSpec::System | VersionSpec::Auto) {
        return Ok(false);
    }
    let resolved = app.store.resolve_alias(spec)?;
    if app.store.find(&resolved)?.is_some() {
        return Ok(false);
    }
    let settings = Settings::load(&app.ctx, &app.layout)?;
    if !settings.auto_install() {
        return Ok(false);
    }
    app.out.info(format!(
        "docker {spec} is not installed; installing it (auto_install is on)"
    ));
    let opts = settings_install_options(&settings);
    let remote = remote_setup(app, &SourceArgs::default())?;
    let progress = super::render::progress_renderer(app);
    let report = dvm::install::install_remote(&remote, &app.store, &resolved, &opts, &progress)?;
    app.out
        .info(super::render::installed_line(&app.out, &report));
    Ok(true)
}
