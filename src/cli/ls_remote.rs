//! `dvm ls-remote`, and the remote set-up and progress bar shared with `install`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use dvm::config::Settings;
use dvm::error::{Error, Result};
use dvm::http::ProgressEvent;
use dvm::install::{InstallEvent, Remote, RemoteOptions};
use dvm::select::version::DockerVersion;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Only versions matching this spec (1.12, 20.10, latest).
    pub version: Option<String>,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Print JSON (schema in the README).
    #[arg(long)]
    pub json: bool,
}

/// Where to look: shared by `install` and `ls-remote`.
#[derive(clap::Args, Default)]
pub struct SourceArgs {
    /// Use only this source: legacy, static, yum or rpm.
    #[arg(long)]
    pub source: Option<String>,
    /// Release channel: stable (default) or test (prereleases).
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
    Remote::new(&app.ctx, &app.layout, &settings, options)
}

/// Renders install events: a progress bar on a terminal, nothing otherwise (but the result).
pub fn progress_renderer(app: &App) -> impl Fn(InstallEvent) + Sync + '_ {
    let bar: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);
    move |event| match event {
        InstallEvent::Resolved { spec, version } => {
            if spec != version.to_string() {
                app.out.info(format!("{spec} resolved to docker {version}"));
            }
        }
        InstallEvent::Warning(text) => app.out.warn(text),
        InstallEvent::FromCache { path } => {
            app.out
                .info(format!("using the cached download {}", path.display()));
        }
        InstallEvent::Download(e) => {
            let Ok(mut slot) = bar.lock() else { return };
            match e {
                ProgressEvent::Start {
                    url,
                    total,
                    resumed_from,
                } => {
                    if !app.out.progress {
                        return;
                    }
                    let pb = match total {
                        Some(t) => indicatif::ProgressBar::new(t),
                        None => indicatif::ProgressBar::new_spinner(),
                    };
                    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                    ) {
                        pb.set_style(style.progress_chars("=> "));
                    }
                    let name = url.rsplit('/').next().unwrap_or(&url).to_string();
                    pb.set_message(if resumed_from > 0 {
                        format!("{name} (resumed)")
                    } else {
                        name
                    });
                    pb.set_position(resumed_from);
                    *slot = Some(pb);
                }
                ProgressEvent::Advance { bytes } => {
                    if let Some(pb) = slot.as_ref() {
                        pb.inc(bytes);
                    }
                }
                ProgressEvent::Retry { attempt, reason } => {
                    let text = format!("retrying (attempt {attempt}): {reason}");
                    match slot.as_ref() {
                        Some(pb) => pb.println(text),
                        None => app.out.info(text),
                    }
                }
                ProgressEvent::Finish => {
                    if let Some(pb) = slot.take() {
                        pb.finish_and_clear();
                    }
                }
            }
        }
    }
}

/// For `dvm doctor --network`: does each configured base answer?
pub fn mirror_checks(app: &App) -> Vec<(String, bool)> {
    let Ok(remote) = remote_setup(app, &SourceArgs::default()) else {
        return vec![(
            "the mirror settings are invalid (see `dvm config list`)".into(),
            false,
        )];
    };
    remote
        .hosts
        .configured_prefixes()
        .into_iter()
        .map(|base| {
            let url = format!("{}/", base.trim_end_matches('/'));
            match dvm::sources::Http::get_bytes(&remote.fetcher, &url, 1 << 20) {
                Ok(_) => (format!("{base} answers"), true),
                Err(e) => (format!("{base} is unreachable: {e}"), false),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct SourceEntry {
    source: String,
    channel: String,
    url: String,
    sha256: Option<String>,
}

#[derive(Serialize)]
struct VersionEntry {
    version: String,
    installed: bool,
    api_version: Option<String>,
    sources: Vec<SourceEntry>,
}

pub fn run(app: &App, args: Args) -> Result<i32> {
    let filter = match &args.version {
        Some(text) => Some(app.store.resolve_alias(&super::parse_spec(text)?)?),
        None => None,
    };
    let remote = remote_setup(app, &args.sources)?;
    let listing = remote.list()?;
    for note in &listing.skipped {
        app.out.warn(format!("skipped {note}"));
    }
    let installed = app.store.installed();
    let mut by_version: BTreeMap<DockerVersion, VersionEntry> = BTreeMap::new();
    for entry in listing.entries {
        if let Some(spec) = &filter {
            // A spec filters like it resolves, but lists every match, not only the newest.
            let matches = match spec {
                dvm::VersionSpec::Latest => !entry.version.is_prerelease(),
                other => other.matches(&entry.version),
            };
            if !matches {
                continue;
            }
        }
        let v = entry.version;
        by_version
            .entry(v)
            .or_insert_with(|| VersionEntry {
                version: v.to_string(),
                installed: installed.contains(&v),
                api_version: super::detect::api_version_of(&v),
                sources: Vec::new(),
            })
            .sources
            .push(SourceEntry {
                source: entry.source.to_string(),
                channel: entry.channel.to_string(),
                url: entry.url,
                sha256: entry.sha256,
            });
    }
    let mut versions: Vec<VersionEntry> = by_version.into_values().collect();
    if matches!(filter, Some(dvm::VersionSpec::Latest)) {
        versions = versions.pop().into_iter().collect();
    }
    if args.json {
        app.out.json(&versions)?;
        return Ok(0);
    }
    if versions.is_empty() {
        return Err(match &filter {
            Some(spec) => Error::not_found(format!("no versions match '{spec}'"))
                .with_hint("try `dvm ls-remote` without a version"),
            None => Error::not_found(format!("no versions are listed for {}", remote.platform))
                .with_hint("check DVM_MIRROR and the per-source settings (`dvm config list`)"),
        });
    }
    let width = versions.iter().map(|v| v.version.len()).max().unwrap_or(0);
    for v in &versions {
        let mut sources: Vec<&str> = v.sources.iter().map(|s| s.source.as_str()).collect();
        sources.dedup();
        let marker = if v.installed { "*" } else { " " };
        let mut line = format!("{marker} {:<width$}  {}", v.version, sources.join(","));
        if v.installed {
            line = app.out.green(&format!("{line}  (installed)"));
        }
        app.out.line(line);
    }
    Ok(0)
}
