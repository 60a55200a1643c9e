//! What an install that found nothing, or refused what it found, tells the user to do next.

use super::InstallOptions;
use super::remote::Remote;
use crate::error::{Error, ErrorKind};
use crate::select::version::{DockerVersion, VersionSpec};
use crate::sources::{Artifact, Hosts, Resolution, SourceKind};
use crate::trust;

/// Every URL tried and listing searched for `v`, with the hint that fits why nothing was found.
pub(super) fn not_found_everywhere(
    remote: &Remote,
    v: &DockerVersion,
    missing: &[String],
    resolved: &Resolution,
) -> Error {
    let mut message = match &remote.hosts.mirror {
        Some(m) => format!(
            "docker {v} is not on this mirror ({m}) for {}",
            remote.platform
        ),
        None => format!("docker {v} was not found for {}", remote.platform),
    };
    if remote.options.offline {
        message.push_str(" in the download cache (--offline)");
    }
    for url in missing {
        message.push_str(&format!("\n  tried {url}"));
    }
    for url in &resolved.searched {
        message.push_str(&format!("\n  searched {url}/repodata"));
    }
    for note in &resolved.tried {
        message.push_str(&format!("\n  skipped {note}"));
    }
    // Only the official host is gone; a mirror that merely keeps its name in the path is not.
    let yum_dead = remote.hosts.yum == Hosts::official().yum;
    let hint = if remote.options.offline {
        "run without --offline to download it".to_string()
    } else if yum_dead
        && (remote.options.source.is_none() || remote.options.source == Some(SourceKind::Yum))
    {
        "yum.dockerproject.org was shut down in 2020: set DVM_MIRROR (or DVM_YUM_URL) to a mirror, or install a downloaded file with --from".into()
    } else if resolved.listing_unreachable() {
        "a listing it needed could not be fetched (see 'skipped'): check the network or the \
         mirror, then retry"
            .into()
    } else if remote.hosts.mirror.is_some() {
        format!(
            "list what the mirror holds with `dvm ls-remote`; add it with `dvm mirror {v} --to \
             DIR` where Docker's hosts are reachable, or install a downloaded file with --from"
        )
    } else {
        "list what exists with `dvm ls-remote`, or install a downloaded file with --from".into()
    };
    // Unreachable is not absent: a network failure keeps its own exit code.
    let kind = if resolved.listing_unreachable() && !remote.options.offline {
        ErrorKind::Network
    } else {
        ErrorKind::NotFound
    };
    Error::new(kind, message).with_hint(hint)
}

/// Where a refused version could be found verified as the user asked.
pub(super) fn stronger_sources_hint(artifact: &Artifact, opts: &InstallOptions) -> String {
    let v = &artifact.version;
    match (opts.require, artifact.source) {
        (trust::Requirement::Signature, SourceKind::Static | SourceKind::Legacy) => format!(
            "static tarballs are never signed; Docker's RPMs are: dvm install {v} --source rpm \
             (docker-ce, 17.03 and later) or --source yum (docker-engine, 1.x to 17.05)"
        ),
        (trust::Requirement::Signature, _) => format!(
            "this package is not signed by a key dvm knows; add the key with dvm config set \
             rpm_keys PATH, or lower the requirement: dvm install {v} --require checksum"
        ),
        _ => format!(
            "nothing vouches for this file; Docker's signed RPMs may have it: dvm install {v} \
             --source rpm, or pin a digest you trust with --sha256"
        ),
    }
}

/// A network failure's hint, plus the way out that needs no network: `--offline` installs
/// what an earlier run downloaded.
pub(super) fn offline_hint(e: Error, remote: &Remote, v: &DockerVersion) -> Error {
    let offline = format!(
        "--offline installs from the download cache ({}) with no network: dvm install {v} \
         --offline",
        remote.downloads.display()
    );
    let hint = match e.hint() {
        Some(h) => format!("{h}; or, if it was downloaded before, {offline}"),
        None => offline,
    };
    e.with_hint(hint)
}

/// An integrity refusal of `failed`'s build of its version, with the other sources whose
/// listings have that version named in the hint (read now; a listing that cannot be read is
/// left out). dvm never routes around a refusal by itself: the user chooses.
pub(super) fn other_sources_hint(e: Error, remote: &Remote, failed: &Artifact) -> Error {
    let v = &failed.version;
    let catalog = remote.catalog();
    let channel = remote.channel_for(Some(&VersionSpec::Exact(*v)));
    let distro = remote.options.distro.as_ref();
    let others: Vec<SourceKind> = SourceKind::ALL
        .into_iter()
        .filter(|&s| s != failed.source && s.has_channel(channel))
        .filter(|&s| {
            catalog
                .list_source(s, channel, distro, remote.platform)
                .is_ok_and(|list| list.iter().any(|a| a.version.same_release(v)))
        })
        .collect();
    let Some(first) = others.first() else {
        return e;
    };
    let names: Vec<String> = others.iter().map(|s| format!("--source {s}")).collect();
    let suggestion = format!(
        "{} also {} docker {v}: retry with {} (dvm install {v} --source {first}, or dvm detect \
         --source {first})",
        join_or(&others.iter().map(ToString::to_string).collect::<Vec<_>>()),
        if others.len() == 1 { "has" } else { "have" },
        join_or(&names),
    );
    let hint = match e.hint() {
        Some(h) => format!("{h}; or use another source: {suggestion}"),
        None => format!(
            "the {} source's build was refused; {suggestion}",
            failed.source
        ),
    };
    e.with_hint(hint)
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
