//! `dvm doctor`: checks the installation; each problem comes with the command that fixes it.

use serde::Serialize;

use dvm::config::Settings;
use dvm::error::Result;
use dvm::store::ClientCheck;

use super::App;
use super::args::{SourceArgs, remote_setup};
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm doctor\n  dvm doctor --json --network")]
pub struct Args {
    /// Print JSON: {"healthy": bool, "checks": [{"name", "ok", "detail", "fix"}]}.
    #[arg(long)]
    pub json: bool,
    /// Also check that the download hosts answer: Docker's, or the mirror and bases you set.
    #[arg(long)]
    pub network: bool,
}

#[derive(Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    fix: Option<String>,
    /// Not a problem, but worth knowing (a system docker dvm does not manage).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    note: bool,
}

fn check(name: &'static str, ok: bool, detail: String, fix: Option<String>) -> Check {
    Check {
        name,
        ok,
        detail,
        fix: if ok { None } else { fix },
        note: false,
    }
}

/// Something that passes but deserves a word.
fn note(name: &'static str, detail: String) -> Check {
    Check {
        note: true,
        ..check(name, true, detail, None)
    }
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let mut checks = Vec::new();
    check_shim(app, &mut checks);
    let bare_docker = check_path(app, &mut checks);
    check_active(app, &bare_docker, &mut checks);
    check_store(app, &mut checks);
    check_config(app, &mut checks);
    check_permissions(app, &mut checks);
    if args.network {
        network_checks(app, &mut checks);
    }

    let healthy = checks.iter().all(|c| c.ok);
    if args.json {
        app.out
            .json(&serde_json::json!({ "healthy": healthy, "checks": checks }))?;
    } else {
        for c in &checks {
            let mark = if c.note {
                "note".to_string()
            } else if c.ok {
                app.out.green("ok  ")
            } else {
                app.out.yellow("FAIL")
            };
            app.out.line(format!("{mark} {:<11} {}", c.name, c.detail));
            if let Some(fix) = &c.fix {
                app.out.line(format!("     {:<11} fix: {fix}", ""));
            }
        }
    }
    Ok(if healthy {
        ExitStatus::Success
    } else {
        ExitStatus::CheckFailed
    })
}

fn check_shim(app: &App, checks: &mut Vec<Check>) {
    let shim = app.layout.shim_path();
    let shim_fresh = !app.store.shim_is_stale();
    checks.push(check(
        "shim",
        shim.is_file() && shim_fresh,
        if shim.is_file() {
            format!(
                "{} is {}",
                shim.display(),
                if shim_fresh {
                    "current"
                } else {
                    "stale or unverifiable"
                }
            )
        } else {
            format!("{} is missing", shim.display())
        },
        Some("dvm setup".into()),
    ));
}

/// Whether the shims come first on PATH; returns how to say what a bare `docker` runs when
/// they do not (empty when they do).
fn check_path(app: &App, checks: &mut Vec<Check>) -> String {
    let shims = app.layout.shims_dir();
    let path_dirs: Vec<_> = app
        .ctx
        .var_os("PATH")
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    let shims_pos = path_dirs.iter().position(|d| d == &shims);
    let first_docker = path_dirs.iter().position(|d| d.join("docker").is_file());
    let on_path_first = matches!((shims_pos, first_docker), (Some(s), Some(f)) if s <= f)
        || (shims_pos.is_some() && first_docker.is_none());
    checks.push(check(
        "path",
        on_path_first,
        match (shims_pos, first_docker) {
            (None, _) => format!("{} is not on PATH", shims.display()),
            (Some(_), Some(f)) if !on_path_first => format!(
                "{} comes before dvm's shims on PATH",
                path_dirs[f].join("docker").display()
            ),
            _ => format!("{} is first on PATH for docker", shims.display()),
        },
        Some("add `eval \"$(dvm init bash)\"` to your shell rc (or run `dvm setup`)".into()),
    ));

    // What a bare `docker` runs: the shim's choice only when the shim comes first.
    if on_path_first {
        String::new()
    } else {
        match first_docker {
            Some(f) => format!(
                "a bare `docker` runs {}, not dvm's shim; through the shim, ",
                path_dirs[f].join("docker").display()
            ),
            None => "a bare `docker` finds nothing on PATH; through the shim, ".into(),
        }
    }
}

fn check_active(app: &App, bare_docker: &str, checks: &mut Vec<Check>) {
    match dvm::active::active(&app.ctx, &app.store) {
        // Runs, but nothing dvm installed or verified: worth a word, not an "ok".
        Ok(active) if active.reason == dvm::active::Reason::System && !active.missing => {
            let client = active
                .client_path
                .as_ref()
                .map_or_else(String::new, |p| p.display().to_string());
            checks.push(note(
                "active",
                format!(
                    "{bare_docker}docker runs {client}, a system docker dvm does not manage ({}); \
                     to run one of dvm's: dvm use --global VERSION",
                    active.explain()
                ),
            ));
        }
        Ok(active) => checks.push(check(
            "active",
            !active.missing,
            match &active.client_path {
                Some(p) => format!(
                    "{bare_docker}docker runs {} ({})",
                    p.display(),
                    active.explain()
                ),
                None => format!(
                    "{bare_docker}docker {} is selected ({}) but cannot run",
                    active.requested.clone().unwrap_or_else(|| "system".into()),
                    active.explain()
                ),
            },
            Some(match &active.requested {
                Some(r) if r != "system" => format!("dvm install {r}"),
                _ => "dvm install latest && dvm use --global latest".into(),
            }),
        )),
        Err(e) => checks.push(check(
            "active",
            false,
            e.to_string(),
            e.hint().map(str::to_owned),
        )),
    }
}

fn check_store(app: &App, checks: &mut Vec<Check>) {
    for v in app.store.installed() {
        let result = app.store.check_client(&v);
        let ok = result == ClientCheck::Ok;
        checks.push(check(
            "store",
            ok,
            format!(
                "{v}: {}",
                match &result {
                    ClientCheck::Ok => "sha256 matches the manifest".to_string(),
                    ClientCheck::Modified { .. } => "client changed since install".into(),
                    ClientCheck::Missing => "client missing".into(),
                    ClientCheck::ManifestUnreadable { reason } => reason.clone(),
                }
            ),
            Some(app.store.reinstall_command(&v)),
        ));
    }
    for v in app.store.broken() {
        checks.push(check(
            "store",
            false,
            format!(
                "{v}: broken folder ({}); it does not count as installed",
                app.store.what_is_missing(&v)
            ),
            Some(format!("dvm install {v}")),
        ));
    }
}

fn check_config(app: &App, checks: &mut Vec<Check>) {
    let user_file = app.layout.config_file();
    let settings = Settings::load(&app.ctx, &app.layout)
        .and_then(|settings| settings.require_trusted_project().map(|()| settings));
    checks.push(match settings {
        Ok(settings) => {
            let files: Vec<String> = std::iter::once(user_file)
                .filter(|f| f.is_file())
                .chain(settings.project_file)
                .map(|f| f.display().to_string())
                .collect();
            let detail = if files.is_empty() {
                "no settings file; defaults and environment only".to_string()
            } else {
                format!("settings read from {}", files.join(" and "))
            };
            check("config", true, detail, None)
        }
        Err(e) => check(
            "config",
            false,
            e.to_string(),
            Some(e.hint().unwrap_or("fix the file it names").to_owned()),
        ),
    });
}

fn check_permissions(app: &App, checks: &mut Vec<Check>) {
    let open = app.store.writable_by_others(true);
    if open.is_empty() {
        checks.push(check(
            "permissions",
            true,
            "no dvm folder, shim or client is writable by others".into(),
            None,
        ));
    }
    for path in open {
        checks.push(check(
            "permissions",
            false,
            format!(
                "{} is writable by others, who could replace the docker you run",
                path.display()
            ),
            Some(format!("chmod go-w {}", path.display())),
        ));
    }
}

/// For `dvm doctor --network`: does each download host answer (any HTTP answer counts, a
/// 404 included)? Docker's own hosts when nothing else is configured; the official yum host,
/// shut down in 2020, is only mentioned.
fn network_checks(app: &App, checks: &mut Vec<Check>) {
    let remote = match remote_setup(app, &SourceArgs::default()) {
        Ok(remote) => remote,
        Err(e) => {
            let fix = e.hint().unwrap_or("see `dvm config list`").to_owned();
            checks.push(check("network", false, e.to_string(), Some(fix)));
            return;
        }
    };
    let configured = remote.hosts.configured_prefixes();
    let official_yum = dvm::sources::Hosts::official().yum;
    for base in remote.hosts.distinct_bases() {
        if base == official_yum {
            checks.push(note(
                "network",
                format!(
                    "{base} was shut down in 2020 (not checked); docker-engine RPMs need a \
                     mirror: DVM_MIRROR or DVM_YUM_URL"
                ),
            ));
            continue;
        }
        let url = format!("{base}/");
        let fix = if configured.contains(&base) {
            "check the mirror and base URLs (dvm config list) and that the server is up; cached \
             versions still install with --offline"
        } else {
            "check your internet connection and proxy settings (HTTPS_PROXY, NO_PROXY), or set \
             DVM_MIRROR to a mirror you can reach; cached versions still install with --offline"
        };
        checks.push(
            match dvm::sources::Http::get_bytes(&remote.fetcher, &url, 1 << 20) {
                Ok(_) => check("network", true, format!("{base} answers"), None),
                Err(e) => check(
                    "network",
                    false,
                    format!("{base} is unreachable: {}", e.message()),
                    Some(fix.into()),
                ),
            },
        );
    }
}
