//! `dvm verify [V]`: re-hashes installed clients and reports any change since install.

use dvm::error::{Error, Result};
use dvm::store::ClientCheck;

use super::App;
use super::exit::ExitStatus;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dvm verify\n  dvm verify 1.12.6\n  dvm verify --provenance")]
pub struct Args {
    /// One version; every installed version when omitted.
    pub version: Option<String>,
    /// Also show where each client came from and what vouched for it: source URL, methods,
    /// signing key or checksum.
    #[arg(long)]
    pub provenance: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let (versions, broken) = match &args.version {
        Some(text) => {
            let spec = app.store.resolve_alias(&super::parse_spec(text)?)?;
            match app.store.find(&spec)? {
                Some(v) => (vec![v], vec![]),
                None => match &spec {
                    dvm::VersionSpec::Exact(v) if app.store.broken().contains(v) => {
                        (vec![], vec![*v])
                    }
                    _ => return Err(Error::not_installed(&spec)),
                },
            }
        }
        None => (app.store.installed(), app.store.broken()),
    };
    // A changed client is an integrity failure (5); a broken folder or manifest, a store one (7).
    let (mut modified, mut unreadable) = (0, 0);
    for v in versions {
        let reinstall = app.store.reinstall_command(&v);
        match app.store.check_client(&v) {
            ClientCheck::Ok => {
                app.out.line(format!("{v}: ok"));
                if args.provenance {
                    provenance(app, &v);
                }
            }
            ClientCheck::Modified { expected, actual } => {
                modified += 1;
                app.out.line(format!(
                    "{v}: MODIFIED since install (expected sha256 {expected}, found {actual}); reinstall: {reinstall}"
                ));
            }
            ClientCheck::Missing => {
                unreadable += 1;
                app.out
                    .line(format!("{v}: client missing; reinstall: {reinstall}"));
            }
            ClientCheck::ManifestUnreadable { reason } => {
                unreadable += 1;
                app.out
                    .line(format!("{v}: {reason}; reinstall: {reinstall}"));
            }
        }
    }
    for v in broken {
        unreadable += 1;
        app.out.line(format!(
            "{v}: broken folder ({}), so it does not count as installed; repair: dvm install {v}",
            app.store.what_is_missing(&v)
        ));
    }
    let bad = modified + unreadable;
    if bad > 0 {
        let message = format!("{bad} installed client(s) failed verification");
        let error = if modified > 0 {
            Error::integrity(message)
        } else {
            Error::new(dvm::ErrorKind::Io, message)
        };
        return Err(error.with_hint("reinstall each with the command shown beside it"));
    }
    Ok(ExitStatus::Success)
}

/// The chain recorded at install: where from, every method that passed, and what each rested on.
fn provenance(app: &App, v: &dvm::DockerVersion) {
    let Ok(manifest) = app.store.manifest(v) else {
        return;
    };
    let methods: Vec<&str> = manifest.verified_by.iter().map(|m| m.as_str()).collect();
    app.out.line(format!(
        "  source: {} ({})",
        manifest.origin, manifest.source
    ));
    app.out
        .line(format!("  verified by: {}", methods.join(", ")));
    if let Some(sha) = &manifest.archive_sha256 {
        app.out.line(format!("  archive sha256: {sha}"));
    }
    if let Some(rpm) = &manifest.rpm {
        match &rpm.signature {
            Some(by) => app.out.line(format!(
                "  signed by: key {} ({}, {}; fingerprint {})",
                by.key_id, by.key, by.hash, by.fingerprint
            )),
            None => app
                .out
                .line("  signed by: nobody (no signature that covers the package)"),
        }
        app.out.line(format!(
            "  rpm digests: {}",
            rpm.digests_verified.join(", ")
        ));
    }
    if let Some(by) = &manifest.repodata_signature {
        app.out.line(format!(
            "  repodata signed by: key {} ({}, {}; fingerprint {})",
            by.key_id, by.key, by.hash, by.fingerprint
        ));
    }
}
