//! `DIR/dvm-mirror.json`: every file of a mirror tree with its sha256, size, where it came
//! from and how it was verified, so that a tree can be audited (`dvm mirror --check`) and the
//! next run knows what the tree already holds.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::trust::VerifiedBy;

pub const MANIFEST_NAME: &str = "dvm-mirror.json";
const FORMAT: u32 = 1;
/// A manifest of a few thousand files is well under this.
const MAX_MANIFEST: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MirrorManifest {
    pub format: u32,
    /// Downloaded archives, by path below the tree (`download.docker.com/linux/...`).
    pub files: BTreeMap<String, MirroredFile>,
    /// Files dvm wrote for clients to read (index pages, repodata, `.sha256` siblings).
    pub generated: BTreeMap<String, GeneratedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MirroredFile {
    pub sha256: String,
    pub size: u64,
    pub source_url: String,
    pub verified_by: Vec<VerifiedBy>,
    pub version: String,
    pub platform: String,
    /// For an RPM: what regenerated repodata needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<MirroredRpm>,
    /// The sha256 Docker publishes beside the file, when it does (written as `<file>.sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MirroredRpm {
    /// The repository folder (the one holding `repodata/`), below the tree.
    pub repo: String,
    pub name: String,
    pub version: String,
    pub release: String,
    pub arch: String,
    /// The key id of the package's own OpenPGP signature, which regenerated repodata keeps
    /// checkable: the package is served unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneratedFile {
    pub sha256: String,
    pub size: u64,
}

impl MirrorManifest {
    /// The tree's manifest; an empty one for a new tree.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_NAME);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(MirrorManifest {
                    format: FORMAT,
                    ..Default::default()
                });
            }
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        let hint = "move the tree aside and mirror again into an empty folder";
        let bytes = crate::fsutil::read_capped(file, &path, MAX_MANIFEST, "mirror manifest", hint)?;
        let manifest: MirrorManifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                crate::ErrorKind::Io,
                format!("{} is not a dvm mirror manifest: {e}", path.display()),
            )
            .with_hint(hint)
        })?;
        if manifest.format != FORMAT {
            return Err(Error::new(
                crate::ErrorKind::Io,
                format!(
                    "{} has format {}, which this dvm does not read",
                    path.display(),
                    manifest.format
                ),
            )
            .with_hint("use the dvm that wrote it, or mirror again into an empty folder"));
        }
        Ok(manifest)
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::internal(format!("serialising the mirror manifest: {e}")))?;
        json.push(b'\n');
        crate::fsutil::write_atomic(&dir.join(MANIFEST_NAME), &json)
    }
}
