//! Where dvm keeps things. Everything lives under `DVM_HOME` when it is set; otherwise under the
//! platform folders (XDG on Linux: `~/.local/share/dvm`, `~/.cache/dvm`, `~/.config/dvm`).
//!
//! ```text
//! <data>/versions/<version>/docker       the client, 0755
//! <data>/versions/<version>/manifest.json how it got there (source, sha256s, verification)
//! <data>/shims/docker                    the shim
//! <data>/default                         the global default spec
//! <data>/aliases/<name>                  `dvm alias` targets
//! <data>/tmp/                            staging folders (same filesystem, renamed into place)
//! <data>/locks/<version>.lock            one lock per version
//! <cache>/downloads/                     downloaded archives, and `.part` files being resumed
//! <cache>/listings/                      ls-remote listings, with a TTL
//! <data>/trust/                          trust-on-first-use sha256s, trusted project files
//! <config>/config.toml                   settings (a project may add `.dvm.toml`)
//! ```

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::select::version::DockerVersion;

pub const HOME_VAR: &str = "DVM_HOME";

/// The shims folder goes on PATH, which cannot name a folder holding its separator: PATH
/// would split it in two, and `docker` would silently run whatever else PATH finds.
fn refuse_path_separator(data: &Path) -> Result<()> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    if !data.as_os_str().to_string_lossy().contains(separator) {
        return Ok(());
    }
    Err(Error::config(format!(
        "dvm's data folder {} contains '{separator}', the PATH separator, so its shims folder \
         could never be put on PATH",
        data.display()
    ))
    .with_hint(format!(
        "set DVM_HOME (or XDG_DATA_HOME) to a folder whose path has no '{separator}'"
    )))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub data: PathBuf,
    pub cache: PathBuf,
    pub config: PathBuf,
}

impl Layout {
    /// `DVM_HOME` wins; then `XDG_*_HOME`; then `$HOME/.local/share` and friends. macOS and
    /// Windows use the `directories` crate's answer for their platform.
    pub fn from_context(ctx: &Context) -> Result<Self> {
        let layout = Self::find(ctx)?;
        refuse_path_separator(&layout.data)?;
        Ok(layout)
    }

    fn find(ctx: &Context) -> Result<Self> {
        if let Some(home) = ctx.var_os(HOME_VAR).filter(|h| !h.is_empty()) {
            let root = absolute(ctx, Path::new(home));
            return Ok(Layout::under(root));
        }
        if cfg!(any(target_os = "macos", windows)) {
            let dirs = directories::ProjectDirs::from("", "", "dvm").ok_or_else(|| {
                Error::config("cannot find your home folder")
                    .with_hint("set DVM_HOME to a folder dvm may use")
            })?;
            return Ok(Layout {
                data: dirs.data_dir().to_path_buf(),
                cache: dirs.cache_dir().to_path_buf(),
                config: dirs.config_dir().to_path_buf(),
            });
        }
        let home = ctx.home.clone().ok_or_else(|| {
            Error::config("cannot find your home folder (HOME is unset)")
                .with_hint("set DVM_HOME to a folder dvm may use")
        })?;
        let xdg = |var: &str, fallback: &str| {
            ctx.var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(fallback))
                .join("dvm")
        };
        Ok(Layout {
            data: xdg("XDG_DATA_HOME", ".local/share"),
            cache: xdg("XDG_CACHE_HOME", ".cache"),
            config: xdg("XDG_CONFIG_HOME", ".config"),
        })
    }

    /// The single-root layout used with `DVM_HOME`.
    pub fn under(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Layout {
            cache: root.join("cache"),
            config: root.clone(),
            data: root,
        }
    }

    pub fn versions_dir(&self) -> PathBuf {
        self.data.join("versions")
    }
    pub fn version_dir(&self, v: &DockerVersion) -> PathBuf {
        self.versions_dir().join(v.to_string())
    }
    pub fn client_path(&self, v: &DockerVersion) -> PathBuf {
        self.version_dir(v).join(client_file_name())
    }
    pub fn shims_dir(&self) -> PathBuf {
        self.data.join("shims")
    }
    pub fn shim_path(&self) -> PathBuf {
        self.shims_dir().join(client_file_name())
    }
    pub fn default_file(&self) -> PathBuf {
        self.data.join("default")
    }
    pub fn aliases_dir(&self) -> PathBuf {
        self.data.join("aliases")
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.data.join("tmp")
    }
    pub fn locks_dir(&self) -> PathBuf {
        self.data.join("locks")
    }
    pub fn downloads_dir(&self) -> PathBuf {
        self.cache.join("downloads")
    }
    pub fn listings_dir(&self) -> PathBuf {
        self.cache.join("listings")
    }
    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }
}

/// The client's file name inside a version folder.
pub fn client_file_name() -> &'static str {
    if cfg!(windows) {
        "docker.exe"
    } else {
        "docker"
    }
}

fn absolute(ctx: &Context, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        ctx.cwd.join(p)
    }
}
