//! How results several commands share are shown: install progress, the "installed" line and
//! its verification wording, API versions.

use std::sync::Mutex;

use dvm::http::ProgressEvent;
use dvm::install::{InstallEvent, InstallReport};
use dvm::select::version::DockerVersion;
use dvm::trust::VerifiedBy;

use super::App;
use super::output::Output;

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
        InstallEvent::Note(text) => app.out.note(text),
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
                    if app.out.verbose {
                        let size = total.map(|t| format!(", {t} bytes")).unwrap_or_default();
                        let resumed = if resumed_from > 0 {
                            format!(", resuming at byte {resumed_from}")
                        } else {
                            String::new()
                        };
                        app.out.note(format!("downloading {url}{size}{resumed}"));
                    }
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

/// "installed docker V from ORIGIN (verified by …)", shared with `dvm detect`.
pub fn installed_line(out: &Output, report: &InstallReport) -> String {
    format!(
        "{} docker {} from {} ({})",
        out.green("installed"),
        out.bold(&report.version.to_string()),
        report.origin,
        verification_text(report)
    )
}

/// How the install was verified, in words that fit where the file came from.
fn verification_text(report: &InstallReport) -> String {
    if report.verified_by.iter().all(|v| *v == VerifiedBy::None) {
        let what = match report.source.as_str() {
            "url" => "nothing is published for this URL",
            _ => "no checksum is known for a local file",
        };
        return format!("not verified: {what} (pass --sha256 to pin one)");
    }
    let names: Vec<String> = report
        .verified_by
        .iter()
        .map(|v| match (v, report.source.as_str()) {
            // Legacy builds do publish checksums: this one's was missing, and dvm's table
            // does not know the build.
            (VerifiedBy::Tofu, "legacy") => format!(
                "trust on first use only: the published checksum file {}.sha256 was not found \
                 and dvm's table has no entry for this build",
                report.origin
            ),
            (VerifiedBy::Tofu, "static") => {
                "trust on first use (nothing is published for static builds)".to_string()
            }
            (VerifiedBy::PublishedSha256, _) if !report.checksum_from.is_empty() => {
                published_from(&report.checksum_from)
            }
            _ => verified_by_text(*v),
        })
        .collect();
    format!("verified by {}", names.join(", "))
}

/// Where a published sha256 came from, without overclaiming: a `.sha256` file vouches no
/// more than the server that sent it, while dvm's embedded table was recorded elsewhere.
fn published_from(evidence: &[String]) -> String {
    let parts: Vec<String> = evidence
        .iter()
        .map(|e| match e.strip_suffix(".sha256") {
            Some(url) if url.contains("://") => {
                let server = url
                    .split_once("://")
                    .and_then(|(scheme, rest)| {
                        rest.split('/')
                            .next()
                            .map(|host| format!("{scheme}://{host}"))
                    })
                    .unwrap_or_else(|| url.to_string());
                format!("the .sha256 served by {server}")
            }
            _ => e.clone(),
        })
        .collect();
    parts.join(" and ")
}

/// What a verification method vouches for, in words.
pub fn verified_by_text(v: VerifiedBy) -> String {
    match v {
        VerifiedBy::PublishedSha256 => "the published sha256",
        VerifiedBy::Repodata => "the repository's checksum (repodata)",
        VerifiedBy::RpmDigests => "the RPM's own digests",
        VerifiedBy::Tofu => "trust on first use (nothing is published for this source)",
        VerifiedBy::Pinned => "your --sha256 pin",
        VerifiedBy::Signature => "Docker's OpenPGP signature (or a key you added)",
        VerifiedBy::SignedRepodata => {
            "the repository's checksum, in metadata Docker signed (repomd.xml.asc)"
        }
        VerifiedBy::None => "nothing",
        VerifiedBy::ThirdPartySha256 => "a sha256 an independent party recorded (dvm's table)",
    }
    .to_string()
}

/// The maximum Engine API version of a release, for `--json` listings.
pub fn api_version_of(v: &DockerVersion) -> Option<String> {
    dvm::detect::api_range_for(v).map(|(max, _)| max.to_string())
}

#[cfg(test)]
mod tests {
    use super::published_from;

    #[test]
    fn a_published_sha256_names_the_server_that_sent_it_and_the_table_apart() {
        let sibling = "https://mirror.internal/dvm/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz.sha256";
        let table =
            "dvm's embedded table (https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz)";
        assert_eq!(
            published_from(&[sibling.to_string()]),
            "the .sha256 served by https://mirror.internal"
        );
        assert_eq!(
            published_from(&[sibling.to_string(), table.to_string()]),
            format!("the .sha256 served by https://mirror.internal and {table}")
        );
    }
}
