//! `dvm detect`: pick, install and use the client matching the daemon.

use serde::Serialize;

use dvm::detect::{ApiVersion, Choice, ChoiceReason, DaemonTarget, DaemonVersion, Timeouts};
use dvm::error::{Error, Result};
use dvm::select::resolve::VERSION_VAR;
use dvm::select::version::{DockerVersion, VersionSpec};

use super::exit::ExitStatus;
use super::output::{shell_quote, shell_set_var};
use super::{App, Shell};

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm detect\n  dvm detect --print\n  dvm detect --source yum\n  DOCKER_HOST=tcp://old-host:2376 dvm detect --global"
)]
pub struct Args {
    /// Only print the chosen version: installs and changes nothing, so it cannot be combined
    /// with --global or --local.
    #[arg(long, conflicts_with_all = ["json", "global", "local"])]
    pub print: bool,
    /// Print the daemon and the choice as JSON. Alone it installs nothing; with --global or
    /// --local it also installs and saves the choice, and the JSON says what was done.
    #[arg(long)]
    pub json: bool,
    /// Install the choice and make it the global default.
    #[arg(long, conflicts_with = "local")]
    pub global: bool,
    /// Install the choice and write it to .docker-version here.
    #[arg(long)]
    pub local: bool,
    /// Where to look for the client, as for `dvm install` (--source, --channel, --distro,
    /// --offline, --refresh).
    #[command(flatten)]
    pub sources: super::args::SourceArgs,
    /// Forget every client `auto` chose for a daemon, so each is asked again.
    #[arg(long, conflicts_with_all = ["print", "json", "global", "local", "for_shim"])]
    pub clear_cache: bool,
    /// For the shim, when `auto` is chosen: probe the daemon the docker arguments after `--`
    /// name, remember the choice, and run that client with them.
    #[arg(long, hide = true, conflicts_with_all = ["print", "json", "global", "local"])]
    pub for_shim: bool,
    /// The docker command line, after `--` (with --for-shim).
    #[arg(last = true, hide = true)]
    pub docker_args: Vec<std::ffi::OsString>,
    #[arg(long, value_enum, hide = true)]
    pub shell_eval: Option<Shell>,
}

#[derive(Serialize)]
struct Report<'a> {
    /// The daemon's address, and the docker context that named it (if any).
    endpoint: String,
    context: Option<&'a str>,
    daemon: &'a DaemonVersion,
    choice: &'a Choice,
    /// Whether the choice is installed (after this run).
    installed: bool,
    /// Whether this run installed it.
    installed_now: bool,
    /// Where --global or --local saved the choice.
    saved: Option<Saved>,
}

#[derive(Serialize)]
struct Saved {
    scope: &'static str,
    path: String,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    if args.clear_cache {
        return clear_cache(app);
    }
    if args.for_shim {
        return for_shim(app, &args);
    }
    let target = DaemonTarget::from_context(&app.ctx)?;
    let daemon = dvm::detect::query_target(&target, Timeouts::default())?;
    let quiet_mode = args.print || args.json;
    let known = known_releases(app, &args.sources);
    let choice = dvm::detect::choose_client(&daemon, &known)?;
    let v = choice.version;
    if !quiet_mode {
        describe_daemon(app, &target, &daemon, choice.daemon_api);
        app.out.info(format!(
            "chose docker {v}: {}",
            reason_text(&choice, &daemon)
        ));
    }
    // On stderr in every mode: --print keeps stdout to the version alone.
    if let Some(note) = &choice.note {
        app.out.warn(note);
    }
    if args.print {
        emit(app, &args, &v.to_string());
        return Ok(ExitStatus::Success);
    }
    // --json alone only reports; every other mode installs the choice.
    let mut installed_now = false;
    let mut saved = None;
    if !args.json || args.global || args.local {
        installed_now = !app.store.is_installed(&v);
        if installed_now {
            install(app, &v, &args.sources, !args.json)?;
        }
        app.ensure_shim()?;
        saved = put_to_use(app, &args, v)?;
    }
    if args.json {
        let report = Report {
            endpoint: target.endpoint.to_string(),
            context: target.context.as_ref().map(|c| c.name.as_str()),
            daemon: &daemon,
            choice: &choice,
            installed: app.store.is_installed(&v),
            installed_now,
            saved,
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))?;
        emit(app, &args, &text);
    }
    Ok(ExitStatus::Success)
}

/// Saves the installed choice as --global or --local asks, else uses it in this shell or says
/// how to; returns where it was saved.
fn put_to_use(app: &App, args: &Args, v: DockerVersion) -> Result<Option<Saved>> {
    // With --json, the JSON says what was done.
    let tell = |text: String| {
        if !args.json {
            app.out.info(text);
        }
    };
    if args.global {
        app.store.set_default(&VersionSpec::Exact(v))?;
        tell(format!("default docker is now {v}"));
        if let Some(shell_version) = app.ctx.var(VERSION_VAR) {
            app.out.info(format!(
                "note: this shell still uses {shell_version} from {VERSION_VAR}"
            ));
        }
        return Ok(Some(Saved {
            scope: "global",
            path: app.layout.default_file().display().to_string(),
        }));
    }
    if args.local {
        let path = app.ctx.cwd.join(".docker-version");
        dvm::fsutil::write_atomic(&path, format!("{v}\n").as_bytes())?;
        tell(format!("wrote {} ({v})", path.display()));
        return Ok(Some(Saved {
            scope: "local",
            path: path.display().to_string(),
        }));
    }
    if let Some(shell) = args.shell_eval {
        app.out
            .line(shell_set_var(shell, VERSION_VAR, Some(&v.to_string())));
        app.out.info(format!("now using docker {v} in this shell"));
    } else {
        app.out.info(format!(
            "docker {v} is ready; to use it, run `dvm use {v}` in a shell with dvm's \
             integration (`eval \"$(dvm init bash)\"`), or `dvm detect --global` or \
             `dvm detect --local`"
        ));
    }
    Ok(None)
}

/// The result on stdout; under the shell integration stdout is evaluated, so it is handed
/// back as an echo.
fn emit(app: &App, args: &Args, text: &str) {
    match args.shell_eval {
        Some(shell) => app.out.line(shell_echo(shell, text)),
        None => app.out.line(text),
    }
}

/// One line about the daemon, on stderr. `api` is the API it speaks, which for a daemon
/// that sent no `ApiVersion` comes from its release.
fn describe_daemon(app: &App, target: &DaemonTarget, daemon: &DaemonVersion, api: ApiVersion) {
    let mut line = format!(
        "daemon at {target}: Docker {} (API {api}",
        daemon.version.as_deref().unwrap_or("of unknown version"),
    );
    if daemon.api_version.is_empty() {
        line.push_str(", from its release: it sent no ApiVersion");
    }
    if let Some(min) = &daemon.min_api_version {
        line.push_str(&format!(", accepts API {min} and newer"));
    }
    if let (Some(os), Some(arch)) = (&daemon.os, &daemon.arch) {
        line.push_str(&format!(", {os}/{arch}"));
    }
    line.push(')');
    app.out.info(line);
}

fn reason_text(choice: &Choice, daemon: &DaemonVersion) -> String {
    let api = choice.daemon_api;
    match choice.reason {
        ChoiceReason::DaemonVersion => "the daemon's own release".into(),
        ChoiceReason::SameMaxApi => format!("the newest release speaking API {api}"),
        ChoiceReason::OlderMaxApi => format!(
            "no known release speaks API {api}; the newest one speaking an older API (daemon {})",
            daemon.version.as_deref().unwrap_or("of unknown version")
        ),
        ChoiceReason::NewerThanTable => "the newest release dvm knows".into(),
    }
}

/// The stable releases dvm knows exist: the remote listing plus what is installed. When the
/// listing cannot be read, only installed versions are candidates, and the user is told.
fn known_releases(app: &App, sources: &super::args::SourceArgs) -> Vec<DockerVersion> {
    let mut known: Vec<DockerVersion> = app
        .store
        .installed()
        .into_iter()
        .filter(|v| !v.is_prerelease())
        .collect();
    let listing = super::args::remote_setup(app, sources).and_then(|remote| remote.list(None));
    match listing {
        Ok(listing) => known.extend(
            listing
                .entries
                .into_iter()
                .map(|e| e.version)
                .filter(|v| !v.is_prerelease()),
        ),
        Err(e) => app.out.warn(format!(
            "cannot list the releases available for download ({e}); choosing among the \
             installed versions only{}",
            if known.is_empty() {
                " (there are none)"
            } else {
                ""
            }
        )),
    }
    known.sort();
    known.dedup();
    known
}

fn install(
    app: &App,
    v: &DockerVersion,
    sources: &super::args::SourceArgs,
    announce: bool,
) -> Result<()> {
    let remote = super::args::remote_setup(app, sources)?;
    let progress = super::render::progress_renderer(app);
    // The verification the settings require applies as to `dvm install`.
    let settings = dvm::config::Settings::load(&app.ctx, &app.layout)?;
    let opts = super::args::settings_install_options(&settings);
    let report = dvm::install::install_remote(
        &remote,
        &app.store,
        &VersionSpec::Exact(*v),
        &opts,
        &progress,
    )?;
    if announce && report.installed {
        app.out
            .info(super::render::installed_line(&app.out, &report));
    }
    Ok(())
}

/// Shell code that prints `text` as is.
fn shell_echo(shell: Shell, text: &str) -> String {
    match shell {
        Shell::Powershell => format!("Write-Output {}", shell_quote(shell, text)),
        _ => format!("printf '%s\\n' {}", shell_quote(shell, text)),
    }
}

fn clear_cache(app: &App) -> Result<ExitStatus> {
    let path = app.layout.data.join(dvm::select::auto::CACHE_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => app.out.info(format!(
            "forgot the clients `auto` chose ({}); each daemon is asked again",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            app.out.info("no client chosen by `auto` to forget")
        }
        Err(e) => return Err(Error::io("remove", &path, e)),
    }
    Ok(ExitStatus::Success)
}

/// `auto` for the shim: choose (probing the daemon if the cache has nothing fresh), then run
/// that client in this process's place.
fn for_shim(app: &App, args: &Args) -> Result<ExitStatus> {
    let settings = dvm::config::Settings::load(&app.ctx, &app.layout)?;
    let now = dvm::fsutil::now_unix();
    let known = || known_releases(app, &super::args::SourceArgs::default());
    let install = |v: &DockerVersion| {
        super::args::auto_install(app, &VersionSpec::Exact(*v)).map(|_| app.store.is_installed(v))
    };
    let helpers = dvm::detect::auto::AutoHelpers {
        known: &known,
        install: &install,
        ttl_seconds: settings.auto_ttl(),
        now,
    };
    let choice =
        dvm::detect::auto::resolve_for_shim(&app.ctx, &app.store, &args.docker_args, &helpers)?;
    if let Some(note) = &choice.note {
        app.out.warn(note);
    }
    let client = app.layout.client_path(&choice.version);
    let mut cmd = std::process::Command::new(&client);
    cmd.args(&args.docker_args)
        .env_clear()
        .envs(app.ctx.vars())
        .current_dir(&app.ctx.cwd);
    let not_run = |e: std::io::Error| {
        app.out.error(
            &Error::not_found(format!("cannot run {}: {e}", client.display())).with_hint(format!(
                "reinstall it: dvm install --force {}",
                choice.version
            )),
        );
        ExitStatus::CommandNotRun
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.arg0("docker");
        Ok(not_run(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        match cmd.status() {
            Ok(status) => Ok(ExitStatus::Child(status.code().unwrap_or(1))),
            Err(e) => Ok(not_run(e)),
        }
    }
}
