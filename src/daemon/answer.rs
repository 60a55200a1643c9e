//! A daemon's answer to `GET /version`, and the Engine API versions it speaks in.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::error::{Error, Result};

/// An Engine API version such as `1.41`. Ordered numerically (`1.9 < 1.12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        ApiVersion { major, minor }
    }

    /// Parses `1.41` (surrounding whitespace allowed). Anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let (major, minor) = s.trim().split_once('.')?;
        Some(ApiVersion {
            major: parse_u32(major)?,
            minor: parse_u32(minor)?,
        })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What a daemon's `GET /version` said. Daemons before 1.12 may send only `ApiVersion`;
/// Swarm sends a `Version` such as `swarm/1.2.8`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaemonVersion {
    pub version: Option<String>,
    /// Empty when the daemon sent a `Version` but no `ApiVersion`.
    pub api_version: String,
    pub min_api_version: Option<String>,
    pub os: Option<String>,
    pub arch: Option<String>,
}

impl DaemonVersion {
    /// Reads the JSON body of `/version`; `source` names the daemon in errors.
    pub fn from_json(body: &[u8], source: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            Error::daemon(format!(
                "{source} answered /version with something that is not JSON ({e}): {}",
                snippet(body)
            ))
            .with_hint("check that DOCKER_HOST points at a Docker daemon")
            .with_source(e)
        })?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let version = field("Version");
        // Without ApiVersion, the Version alone may still tell (through dvm's table).
        let api_version = match (field("ApiVersion"), &version) {
            (Some(api), _) => api,
            (None, Some(_)) => String::new(),
            (None, None) => {
                return Err(not_a_daemon(source, "has neither ApiVersion nor Version"));
            }
        };
        if !api_version.is_empty() && ApiVersion::parse(&api_version).is_none() {
            return Err(not_a_daemon(
                source,
                &format!(
                    "its ApiVersion '{}' is not an API version",
                    snippet(api_version.as_bytes())
                ),
            ));
        }
        Ok(DaemonVersion {
            version,
            api_version,
            min_api_version: field("MinAPIVersion"),
            os: field("Os"),
            arch: field("Arch"),
        })
    }

    /// The parsed `ApiVersion`; `None` when the daemon did not send one.
    pub fn api(&self) -> Option<ApiVersion> {
        ApiVersion::parse(&self.api_version)
    }
}

fn not_a_daemon(source: &str, what: &str) -> Error {
    Error::daemon(format!(
        "{source} does not look like a Docker daemon: its /version answer {what}"
    ))
    .with_hint("check that DOCKER_HOST points at a Docker daemon")
}

/// The start of a body, printable, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    let mut shown: String = text
        .chars()
        .flat_map(char::escape_default)
        .take(160)
        .collect();
    if body.len() > 120 {
        shown.push('…');
    }
    shown
}
