//! Writing a mirror tree: archives placed atomically (a temporary name in the same folder,
//! synced, then renamed), and the files clients read beside them, regenerated from the
//! manifest so that they name only what the tree holds: an index page per folder in the
//! autoindex format dvm and Docker's hosts use, `repodata/` per RPM repository, and `.sha256`
//! siblings where Docker publishes them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::manifest::{GeneratedFile, MirrorManifest, MirroredFile};
use crate::digest::{DigestAlgo, digest};
use crate::error::{Error, IoContext, Result};

/// Copies `from` (a verified archive in the download cache) to `dir/rel`, never leaving a
/// partial file under the final name.
pub fn place(dir: &Path, rel: &str, from: &Path) -> Result<()> {
    let dest = dir.join(rel);
    let parent = dest
        .parent()
        .ok_or_else(|| Error::internal(format!("{rel} has no folder")))?;
    std::fs::create_dir_all(parent).with_path("create", parent)?;
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let part = parent.join(format!(".{name}.{}.dvm-part", std::process::id()));
    let copied = (|| {
        let mut src = File::open(from).with_path("open", from)?;
        let mut out = File::create(&part).with_path("create", &part)?;
        std::io::copy(&mut src, &mut out).with_path("write", &part)?;
        out.sync_all().with_path("sync", &part)?;
        std::fs::rename(&part, &dest).with_path("rename", &dest)
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    copied?;
    crate::fsutil::sync_dir(parent)
}

/// Rewrites every generated file from `manifest` and records them in it; generated files
/// that are no longer needed are removed.
pub fn regenerate(dir: &Path, manifest: &mut MirrorManifest) -> Result<()> {
    let mut wanted: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (rel, file) in &manifest.files {
        if let Some(sha256) = &file.published_sha256 {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            wanted.insert(
                format!("{rel}.sha256"),
                format!("{sha256}  {name}\n").into_bytes(),
            );
        }
    }
    for (repo, files) in repositories(&manifest.files) {
        let (primary, repomd) = repodata(&repo, &files)?;
        wanted.insert(format!("{repo}/repodata/primary.xml.gz"), primary);
        wanted.insert(format!("{repo}/repodata/repomd.xml"), repomd);
    }
    let listed: BTreeSet<String> = manifest
        .files
        .keys()
        .chain(wanted.keys())
        .cloned()
        .collect();
    for (folder, page) in index_pages(&listed) {
        wanted.insert(format!("{folder}index.html"), page.into_bytes());
    }
    for stale in manifest
        .generated
        .keys()
        .filter(|k| !wanted.contains_key(*k))
    {
        match std::fs::remove_file(dir.join(stale)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("remove", &dir.join(stale), e));
            }
            _ => {}
        }
    }
    manifest.generated.clear();
    for (rel, bytes) in wanted {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_path("create", parent)?;
        }
        crate::fsutil::write_atomic(&path, &bytes)?;
        let generated = GeneratedFile {
            sha256: digest(DigestAlgo::Sha256, &bytes),
            size: bytes.len() as u64,
        };
        manifest.generated.insert(rel, generated);
    }
    Ok(())
}

/// The RPMs of each repository folder.
fn repositories(
    files: &BTreeMap<String, MirroredFile>,
) -> BTreeMap<String, Vec<(&str, &MirroredFile)>> {
    let mut out: BTreeMap<String, Vec<(&str, &MirroredFile)>> = BTreeMap::new();
    for (rel, file) in files {
        if let Some(rpm) = &file.rpm {
            out.entry(rpm.repo.clone()).or_default().push((rel, file));
        }
    }
    out
}

/// `repodata/primary.xml.gz` and `repodata/repomd.xml` naming exactly `files`.
fn repodata(repo: &str, files: &[(&str, &MirroredFile)]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{}\">\n",
        files.len()
    );
    for (rel, file) in files {
        let Some(rpm) = &file.rpm else { continue };
        let href = relative(repo, rel);
        xml.push_str(&format!(
            "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>\n  <version epoch=\"0\" ver=\"{}\" rel=\"{}\"/>\n  <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>\n  <size package=\"{}\"/>\n  <location href=\"{}\"/>\n</package>\n",
            escape(&rpm.name),
            escape(&rpm.arch),
            escape(&rpm.version),
            escape(&rpm.release),
            file.sha256,
            file.size,
            escape(&href),
        ));
    }
    xml.push_str("</metadata>\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(xml.as_bytes())
        .and_then(|()| gz.finish())
        .map(|primary| {
            let repomd = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n  <data type=\"primary\">\n    <checksum type=\"sha256\">{}</checksum>\n    <location href=\"repodata/primary.xml.gz\"/>\n    <size>{}</size>\n  </data>\n</repomd>\n",
                digest(DigestAlgo::Sha256, &primary),
                primary.len()
            );
            (primary, repomd.into_bytes())
        })
        .map_err(|e| Error::internal(format!("compressing primary.xml: {e}")))
}

/// `to` as a path relative to the folder `from` (both below the tree).
fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = to.split('/').collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; from.len() - common];
    out.extend(&to[common..]);
    out.join("/")
}

/// One page per folder (`host/`, `host/linux/`, ...), listing its files and subfolders.
fn index_pages(files: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut entries: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rel in files {
        let segments: Vec<&str> = rel.split('/').collect();
        for depth in 1..segments.len() {
            let folder = format!("{}/", segments[..depth].join("/"));
            let child = if depth + 1 == segments.len() {
                segments[depth].to_string()
            } else {
                format!("{}/", segments[depth])
            };
            entries.entry(folder).or_default().insert(child);
        }
    }
    entries
        .into_iter()
        .map(|(folder, children)| {
            let page = index_page(&folder, &children);
            (folder, page)
        })
        .collect()
}

/// An nginx-style autoindex page (what dvm reads from any static server).
fn index_page(folder: &str, children: &BTreeSet<String>) -> String {
    // The title names the folder as served below the host.
    let shown = folder.split_once('/').map_or("/", |(_, rest)| rest);
    let mut page = format!(
        "<html>\n<head><title>Index of /{shown}</title></head>\n<body>\n<h1>Index of /{shown}</h1><hr><pre><a href=\"../\">../</a>\n"
    );
    for child in children.iter().filter(|c| *c != "index.html") {
        let child = escape(child);
        page.push_str(&format!("<a href=\"{child}\">{child}</a>\n"));
    }
    page.push_str("</pre><hr></body>\n</html>\n");
    page
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every file the manifest lists, re-hashed: the paths whose bytes differ or are missing.
pub fn check(dir: &Path, manifest: &MirrorManifest) -> Result<Vec<String>> {
    let expected = manifest
        .files
        .iter()
        .map(|(rel, f)| (rel, &f.sha256, f.size))
        .chain(
            manifest
                .generated
                .iter()
                .map(|(rel, g)| (rel, &g.sha256, g.size)),
        );
    let mut bad = Vec::new();
    for (rel, sha256, size) in expected {
        let path: PathBuf = dir.join(rel);
        let actual = match File::open(&path) {
            Ok(file) => {
                let reader = crate::digest::HashingReader::new(std::io::BufReader::new(file));
                Some(reader.finish().with_path("read", &path)?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        match actual {
            Some((hex, len)) if hex == *sha256 && len == size => {}
            Some((hex, len)) => bad.push(format!(
                "{rel}: sha256 {hex} ({len} bytes), manifest says {sha256} ({size} bytes)"
            )),
            None => bad.push(format!("{rel}: missing")),
        }
    }
    Ok(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_repository_when_needed() {
        assert_eq!(
            relative(
                "h/linux/centos/7/x86_64/stable",
                "h/linux/centos/7/x86_64/stable/Packages/a.rpm"
            ),
            "Packages/a.rpm"
        );
        assert_eq!(
            relative("h/linux/centos/7/x86_64/stable", "h/linux/pool/a.rpm"),
            "../../../../pool/a.rpm"
        );
    }

    #[test]
    fn index_pages_list_files_and_folders_and_dvm_reads_them() {
        let files: BTreeSet<String> = [
            "download.docker.com/linux/static/stable/x86_64/docker-24.0.7.tgz",
            "download.docker.com/linux/static/stable/x86_64/docker-20.10.25.tgz",
            "download.docker.com/linux/fedora/41/x86_64/stable/repodata/repomd.xml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let pages = index_pages(&files);
        let page = &pages["download.docker.com/linux/static/stable/x86_64/"];
        assert_eq!(
            crate::sources::autoindex::parse(page),
            ["docker-20.10.25.tgz", "docker-24.0.7.tgz"]
        );
        let fedora = &pages["download.docker.com/linux/fedora/"];
        assert_eq!(crate::sources::autoindex::release_folders(fedora), [41]);
        assert!(pages.contains_key("download.docker.com/"));
    }
}
