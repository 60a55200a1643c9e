//! `dvm ls-remote`.

use std::collections::BTreeMap;

use serde::Serialize;

use dvm::error::{Error, Result};
use dvm::select::version::DockerVersion;

use super::App;
use super::args::{SourceArgs, remote_setup};
use super::exit::ExitStatus;
use super::render::api_version_of;

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  dvm ls-remote\n  dvm ls-remote 20.10 --json\n  dvm ls-remote --source static --channel test"
)]
pub struct Args {
    /// Only versions matching this spec (1.12, 20.10, latest).
    pub version: Option<String>,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Print JSON (schema in the README).
    #[arg(long)]
    pub json: bool,
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

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let filter = match &args.version {
        Some(text) => Some(app.store.resolve_alias(&super::parse_spec(text)?)?),
        None => None,
    };
    let remote = remote_setup(app, &args.sources)?;
    let listing = remote.list(filter.as_ref())?;
    for note in &listing.skipped {
        app.out.warn(format!("skipped {note}"));
    }
    // A spec filters by the rule `dvm install` resolves by, but lists every match.
    let prereleases = remote.channel_for(filter.as_ref()).offers_prereleases();
    let installed = app.store.installed();
    let mut by_version: BTreeMap<DockerVersion, VersionEntry> = BTreeMap::new();
    for entry in listing.entries {
        if let Some(spec) = &filter
            && !spec.selects(&entry.version, prereleases)
        {
            continue;
        }
        let v = entry.version;
        by_version
            .entry(v)
            .or_insert_with(|| VersionEntry {
                version: v.to_string(),
                installed: installed.contains(&v),
                api_version: api_version_of(&v),
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
        // Still one JSON value on stdout; an empty result exits as the text form does.
        app.out.json(&versions)?;
    }
    if versions.is_empty() {
        return Err(nothing_listed(filter.as_ref(), &remote));
    }
    if !args.json {
        print_lines(app, &versions);
    }
    Ok(ExitStatus::Success)
}

fn nothing_listed(filter: Option<&dvm::VersionSpec>, remote: &dvm::install::Remote) -> Error {
    let channel = remote.channel_for(filter);
    match filter {
        Some(spec) => Error::not_found(format!(
            "no versions match '{spec}' on the {channel} channel"
        ))
        .with_hint(if channel.offers_prereleases() {
            "try `dvm ls-remote --channel test` without a version"
        } else {
            "try `dvm ls-remote` without a version (prereleases: add --channel test)"
        }),
        None => Error::not_found(format!(
            "no versions are listed for {} on the {channel} channel",
            remote.platform
        ))
        .with_hint("check DVM_MIRROR and the per-source settings (`dvm config list`)"),
    }
}

fn print_lines(app: &App, versions: &[VersionEntry]) {
    let width = versions.iter().map(|v| v.version.len()).max().unwrap_or(0);
    for v in versions {
        let mut sources: Vec<&str> = v.sources.iter().map(|s| s.source.as_str()).collect();
        sources.dedup();
        // `*` marks the active version in `dvm ls`; here "(installed)" says it in words.
        let mut line = format!("  {:<width$}  {}", v.version, sources.join(","));
        // Legacy builds are listed from dvm's own list; say which lack a known checksum.
        if v.sources
            .iter()
            .any(|s| s.source == "legacy" && s.sha256.is_none())
        {
            line.push_str("  (legacy: no embedded checksum)");
        }
        if v.installed {
            line = app.out.green(&format!("{line}  (installed)"));
        }
        app.out.line(line);
    }
}
