//! Settings, from weakest to strongest: the user's `config.toml` in the config folder, the
//! project's `.dvm.toml` (the nearest one walking up from the working folder), `DVM_*`
//! variables, then command-line flags (the CLI applies those). Every key has a variable of the
//! same name, upper-cased and prefixed: `mirror` ↔ `DVM_MIRROR`.
//!
//! A project file comes with the repository it sits in, so it may only change where clients
//! are downloaded from (the URL keys) once the user has trusted that exact content.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::context::Context;
use crate::error::{Error, IoContext, Result};
use crate::layout::Layout;

/// A setting: its key, what it means, how to check a value, and what holds when nothing sets it.
pub struct Key {
    pub name: &'static str,
    pub help: &'static str,
    kind: ValueKind,
    pub default: Fallback,
}

/// What a setting is when no variable or file sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// This value (the typed getters below read it from here).
    Value(&'static str),
    /// No value; what dvm does instead, for humans.
    Described(&'static str),
}

#[derive(Clone, Copy)]
enum ValueKind {
    Url,
    Source,
    Distro,
    /// Whole seconds, at least 1 (a zero timeout would fail every download).
    Seconds,
    Count,
    Bool,
    /// `signature`, `checksum` or `any`.
    Requirement,
    /// Files, separated like PATH.
    Paths,
}

/// Keys that decide what is trusted: only the user sets them (config.toml or `DVM_*`), never a
/// project's `.dvm.toml`, which arrives with whatever repository it sits in.
const USER_ONLY: &[&str] = &["rpm_keys", "allow_unsigned_rpms", "require_verification"];

pub const KEYS: &[Key] = &[
    Key {
        name: "mirror",
        help: "base URL; every default host is reachable as <mirror>/<host>/<path>",
        kind: ValueKind::Url,
        default: Fallback::Described("none: the official hosts"),
    },
    Key {
        name: "legacy_url",
        help: "replaces https://get.docker.com (and test.docker.com)",
        kind: ValueKind::Url,
        default: Fallback::Described(
            "https://get.docker.com, or <mirror>/get.docker.com with a mirror",
        ),
    },
    Key {
        name: "static_url",
        help: "replaces https://download.docker.com for static tarballs",
        kind: ValueKind::Url,
        default: Fallback::Described(
            "https://download.docker.com, or <mirror>/download.docker.com with a mirror",
        ),
    },
    Key {
        name: "yum_url",
        help: "replaces https://yum.dockerproject.org",
        kind: ValueKind::Url,
        default: Fallback::Described(
            "https://yum.dockerproject.org, or <mirror>/yum.dockerproject.org with a mirror",
        ),
    },
    Key {
        name: "rpm_url",
        help: "replaces https://download.docker.com for docker-ce RPMs",
        kind: ValueKind::Url,
        default: Fallback::Described(
            "https://download.docker.com, or <mirror>/download.docker.com with a mirror",
        ),
    },
    Key {
        name: "source",
        help: "default source: legacy, static, yum or rpm",
        kind: ValueKind::Source,
        default: Fallback::Described("automatic: static, legacy, then the RPM repositories"),
    },
    Key {
        name: "distro",
        help: "default RPM tree, such as centos/7 or fedora/24",
        kind: ValueKind::Distro,
        default: Fallback::Described(
            "automatic: centos/7 for docker-engine; centos/7, centos/9, then the newest Fedora for docker-ce",
        ),
    },
    Key {
        name: "retries",
        help: "download attempts after the first failure",
        kind: ValueKind::Count,
        default: Fallback::Value("3"),
    },
    Key {
        name: "connect_timeout",
        help: "seconds to wait for a connection",
        kind: ValueKind::Seconds,
        default: Fallback::Value("15"),
    },
    Key {
        name: "stall_timeout",
        help: "seconds a download may deliver nothing",
        kind: ValueKind::Seconds,
        default: Fallback::Value("60"),
    },
    Key {
        name: "auto_ttl",
        help: "seconds a client chosen for a daemon by `auto` stands before the daemon is asked again",
        kind: ValueKind::Seconds,
        default: Fallback::Value("3600"),
    },
    Key {
        name: "listing_ttl",
        help: "seconds a cached ls-remote listing stays fresh",
        kind: ValueKind::Seconds,
        default: Fallback::Value("86400"),
    },
    Key {
        name: "auto_install",
        help: "the shim installs a missing version before running it",
        kind: ValueKind::Bool,
        default: Fallback::Value("false"),
    },
    Key {
        name: "rpm_keys",
        help: "OpenPGP public key files (':'-separated) trusted besides Docker's (not in .dvm.toml)",
        kind: ValueKind::Paths,
        default: Fallback::Described("none: Docker's two keys only"),
    },
    Key {
        name: "allow_unsigned_rpms",
        help: "accept unsigned RPMs from repositories that sign (not in .dvm.toml)",
        kind: ValueKind::Bool,
        default: Fallback::Value("false"),
    },
    Key {
        name: "require_verification",
        help: "signature, checksum or any: what every install must reach (not in .dvm.toml)",
        kind: ValueKind::Requirement,
        default: Fallback::Value("any"),
    },
];

/// The per-project settings file.
pub const PROJECT_FILE: &str = ".dvm.toml";

pub fn env_var_name(key: &str) -> String {
    format!("DVM_{}", key.to_ascii_uppercase())
}

/// A settings file larger than this is not one (a project file arrives with `git clone`).
const MAX_SETTINGS_FILE: u64 = 64 * 1024;

/// Text from a settings file or variable, short enough to quote in a message.
fn quoted(text: &str) -> String {
    const SHOWN: usize = 80;
    let escaped: String = text.chars().flat_map(char::escape_default).collect();
    match escaped.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}… ({} bytes)", &escaped[..cut], text.len()),
        None => escaped,
    }
}

fn find_key(name: &str) -> Result<&'static Key> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        Error::config(format!("unknown setting '{}'", quoted(name)))
            .with_hint("list the settings with `dvm config list`")
    })
}

fn check_value(key: &Key, value: &str) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::config(format!(
            "{} = '{}' is not {what}",
            key.name,
            quoted(value)
        )))
    };
    match key.kind {
        ValueKind::Url if !(value.starts_with("https://") || value.starts_with("http://")) => {
            bad("an http(s) URL")
        }
        // u32 bounds keep every value exact in TOML's i64 and in the typed getters.
        ValueKind::Count if value.parse::<u32>().is_err() => {
            bad("a whole number from 0 to 4294967295")
        }
        ValueKind::Seconds if !value.parse::<u32>().is_ok_and(|n| n > 0) => {
            bad("a whole number of seconds from 1 to 4294967295")
        }
        ValueKind::Bool if parse_bool(value).is_none() => bad("true or false"),
        ValueKind::Requirement => value
            .parse::<crate::trust::Requirement>()
            .map(drop)
            .or_else(|_| bad("one of signature, checksum, any")),
        ValueKind::Paths if value.trim().is_empty() => bad("a list of key files"),
        ValueKind::Source => value
            .parse::<crate::sources::SourceKind>()
            .map(drop)
            .or_else(|_| bad("one of static, legacy, yum, rpm")),
        ValueKind::Distro => value
            .parse::<crate::sources::Distro>()
            .map(drop)
            .or_else(|_| bad("a NAME/RELEASE distribution such as centos/7 or fedora/24")),
        _ => Ok(()),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueOrigin {
    Env,
    /// The project's `.dvm.toml`.
    Project,
    /// The user's `config.toml`.
    File,
    /// Nothing sets it: the key's [`Fallback::Value`].
    Default,
}

/// The merged settings: env over project over user file. Values are validated strings; typed
/// getters below.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: BTreeMap<&'static str, (String, ValueOrigin)>,
    /// The project file that was read, if any.
    pub project_file: Option<PathBuf>,
    /// Download URLs the project file sets without being trusted: they take no effect, and
    /// downloads refuse to go ahead while one is not overridden by the environment.
    pub untrusted: Vec<&'static str>,
}

impl Settings {
    pub fn load(ctx: &Context, layout: &Layout) -> Result<Self> {
        let user = read_file(&layout.config_file())?;
        let project_file = find_project_file(&ctx.cwd);
        let (project, project_trusted) = match &project_file {
            Some(path) => {
                let values = read_file(path)?;
                let trusted = url_keys(&values).is_empty()
                    || ProjectTrust::in_data_dir(&layout.data).is_trusted(path)?;
                (values, trusted)
            }
            None => (BTreeMap::new(), true),
        };
        let mut values = BTreeMap::new();
        let mut untrusted = Vec::new();
        for key in KEYS {
            if let Some(v) = ctx.var(&env_var_name(key.name)) {
                check_value(key, v).map_err(|e| e.context(env_var_name(key.name)))?;
                values.insert(key.name, (v.to_string(), ValueOrigin::Env));
                continue;
            }
            if let Some(v) = project
                .get(key.name)
                .filter(|_| !USER_ONLY.contains(&key.name))
            {
                if project_trusted || !matches!(key.kind, ValueKind::Url) {
                    values.insert(key.name, (v.clone(), ValueOrigin::Project));
                    continue;
                }
                untrusted.push(key.name);
            }
            if let Some(v) = user.get(key.name) {
                values.insert(key.name, (v.clone(), ValueOrigin::File));
            }
        }
        Ok(Settings {
            values,
            project_file,
            untrusted,
        })
    }

    /// Downloading is refused while the project file wants to choose where from and the user
    /// has not trusted it (or it changed since): it would otherwise silently go elsewhere.
    pub fn require_trusted_project(&self) -> Result<()> {
        let (Some(path), false) = (&self.project_file, self.untrusted.is_empty()) else {
            return Ok(());
        };
        Err(Error::config(format!(
            "{} sets {}, which decides where docker clients are downloaded from, but you have not \
             trusted this file (or it changed since you did)",
            path.display(),
            self.untrusted.join(", ")
        ))
        .with_hint(format!(
            "read the file; if you trust it, run: dvm config trust {}",
            path.display()
        )))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }

    pub fn origin(&self, key: &str) -> Option<ValueOrigin> {
        self.values.get(key).map(|(_, o)| *o)
    }

    /// The value in effect and where it comes from: what a variable or file sets, else the
    /// key's default value. `None` for an unknown key, or one with no value by default.
    pub fn effective(&self, key: &str) -> Option<(&str, ValueOrigin)> {
        if let Some((v, origin)) = self.values.get(key) {
            return Some((v.as_str(), *origin));
        }
        match KEYS.iter().find(|k| k.name == key)?.default {
            Fallback::Value(v) => Some((v, ValueOrigin::Default)),
            Fallback::Described(_) => None,
        }
    }

    /// A key's effective value parsed; every default parses (a unit test checks it).
    fn typed<T: std::str::FromStr + Default>(&self, key: &str) -> T {
        self.effective(key)
            .and_then(|(v, _)| v.parse().ok())
            .unwrap_or_default()
    }

    fn flag(&self, key: &str) -> bool {
        self.effective(key)
            .and_then(|(v, _)| parse_bool(v))
            .unwrap_or_default()
    }

    pub fn retries(&self) -> u32 {
        self.typed("retries")
    }
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.typed("connect_timeout"))
    }
    pub fn stall_timeout(&self) -> Duration {
        Duration::from_secs(self.typed("stall_timeout"))
    }
    pub fn listing_ttl(&self) -> Duration {
        Duration::from_secs(self.typed("listing_ttl"))
    }
    pub fn auto_install(&self) -> bool {
        self.flag("auto_install")
    }
    pub fn auto_ttl(&self) -> u64 {
        self.typed("auto_ttl")
    }
    pub fn allow_unsigned_rpms(&self) -> bool {
        self.flag("allow_unsigned_rpms")
    }
    pub fn require_verification(&self) -> crate::trust::Requirement {
        self.typed("require_verification")
    }
    pub fn rpm_keys(&self) -> Vec<PathBuf> {
        self.get("rpm_keys")
            .map(|v| {
                std::env::split_paths(v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The nearest `.dvm.toml` in `cwd` or a folder above it.
pub fn find_project_file(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .map(|dir| dir.join(PROJECT_FILE))
        .find(|path| path.is_file())
}

/// The keys in a settings file that decide where clients are downloaded from.
pub fn url_keys(values: &BTreeMap<String, String>) -> Vec<&str> {
    values
        .keys()
        .filter(|name| find_key(name).is_ok_and(|k| matches!(k.kind, ValueKind::Url)))
        .map(String::as_str)
        .collect()
}

/// Project files the user trusted, by canonical path and the sha256 of their content, so an
/// edit (a `git pull`, say) needs trusting again. `<data>/trust/projects.tsv`.
pub struct ProjectTrust {
    path: PathBuf,
}

impl ProjectTrust {
    pub fn in_data_dir(data: &Path) -> Self {
        ProjectTrust {
            path: data.join("trust").join("projects.tsv"),
        }
    }

    /// `(canonical path, content sha256)` of a project file.
    fn identify(file: &Path) -> Result<(String, String)> {
        use sha2::Digest;
        let canonical = std::fs::canonicalize(file).with_path("resolve", file)?;
        let bytes = std::fs::read(&canonical).with_path("read", &canonical)?;
        let canonical = canonical
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::config(format!("{} is not a UTF-8 path", canonical.display())))?;
        Ok((canonical, hex::encode(sha2::Sha256::digest(&bytes))))
    }

    fn entries(&self) -> Result<Vec<(String, String)>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", &self.path, e)),
        };
        // A line that is not `<sha256>\t<path>` trusts nothing.
        Ok(text
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(hash, path)| (path.to_string(), hash.to_string()))
            .collect())
    }

    pub fn is_trusted(&self, file: &Path) -> Result<bool> {
        let entry = Self::identify(file)?;
        Ok(self.entries()?.contains(&entry))
    }

    /// Trusts `file` as it is now (`true`), or forgets it (`false`).
    pub fn set(&self, file: &Path, trusted: bool) -> Result<()> {
        let (path, hash) = Self::identify(file)?;
        if path.contains(['\t', '\n', '\r']) {
            return Err(Error::config(format!(
                "{} cannot be trusted: its path holds a tab or a line break",
                path.escape_default()
            )));
        }
        let mut entries = self.entries()?;
        entries.retain(|(p, _)| *p != path);
        if trusted {
            entries.push((path, hash));
        }
        let text: String = entries
            .iter()
            .map(|(path, hash)| format!("{hash}\t{path}\n"))
            .collect();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_path("create", dir)?;
        }
        crate::fsutil::write_atomic(&self.path, text.as_bytes())
    }
}

/// Reads `config.toml` or `.dvm.toml` as a flat table of known keys. Unknown keys and bad
/// values are errors that name the file, so a typo never silently does nothing.
pub fn read_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    let bytes = crate::fsutil::read_capped(
        file,
        path,
        MAX_SETTINGS_FILE,
        "settings file",
        "fix or delete the file",
    )?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::config(format!("{} is not UTF-8 text", path.display()))
            .with_hint("fix or delete the file")
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map(|span| {
            text.get(..span.start)
                .unwrap_or(&text)
                .lines()
                .count()
                .max(1)
        });
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        Error::config(format!(
            "{} is not valid TOML{at}: {}",
            path.display(),
            quoted(e.message())
        ))
        .with_hint("fix or delete the file")
    })?;
    let mut out = BTreeMap::new();
    for (name, value) in table {
        let key = find_key(&name).map_err(|e| e.context(path.display()))?;
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(Error::config(format!(
                    "{}: {name} has an unsupported value {}",
                    path.display(),
                    quoted(&other.to_string())
                )));
            }
        };
        check_value(key, &text).map_err(|e| e.context(path.display()))?;
        out.insert(name, text);
    }
    Ok(out)
}

/// Sets (or with `None` removes) one key in `config.toml`, keeping the others.
pub fn write_key(path: &Path, name: &str, value: Option<&str>) -> Result<()> {
    let key = find_key(name)?;
    let mut current = read_file(path)?;
    match value {
        Some(v) => {
            check_value(key, v)?;
            current.insert(name.to_string(), v.to_string());
        }
        None => {
            current.remove(name);
        }
    }
    let mut table = toml::Table::new();
    for (k, v) in current {
        let key = find_key(&k)?;
        let value = match key.kind {
            // Checked by `check_value` on the way in, so these parse.
            ValueKind::Seconds | ValueKind::Count => match v.parse::<u32>() {
                Ok(n) => toml::Value::Integer(i64::from(n)),
                Err(_) => return Err(Error::internal(format!("{k} = {v} was not checked"))),
            },
            ValueKind::Bool => match parse_bool(&v) {
                Some(b) => toml::Value::Boolean(b),
                None => return Err(Error::internal(format!("{k} = {v} was not checked"))),
            },
            _ => toml::Value::String(v),
        };
        table.insert(k, value);
    }
    let text = toml::to_string(&table)
        .map_err(|e| Error::internal(format!("cannot encode config: {e}")))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_path("create", dir)?;
    }
    crate::fsutil::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_value_is_valid_and_read_by_the_typed_getters() {
        for key in KEYS {
            if let Fallback::Value(v) = key.default {
                check_value(key, v).unwrap_or_else(|e| panic!("{}: {e}", key.name));
            }
        }
        let none = Settings::default();
        assert_eq!(none.retries(), 3);
        assert_eq!(none.connect_timeout(), Duration::from_secs(15));
        assert_eq!(none.stall_timeout(), Duration::from_secs(60));
        assert_eq!(none.listing_ttl(), Duration::from_secs(24 * 3600));
        assert!(!none.auto_install() && !none.allow_unsigned_rpms());
        assert_eq!(none.effective("retries"), Some(("3", ValueOrigin::Default)));
        assert_eq!(none.effective("mirror"), None);
    }
}
