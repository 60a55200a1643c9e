//! Docker's version numbers and the specs users write for them.
//!
//! Docker versions are not semver: `17.03.0-ce` has a leading zero, `-ce` is an edition rather
//! than a prerelease, RPMs write `17.03.0.ce` and `18.09.0~rc.1`, and prereleases are spelled
//! `-rc1`, `-ce-rc1`, `-beta1`, `-rc.1` or `-tp1`. One type parses all of them, prints them the
//! way Docker wrote them, and orders them totally with prereleases before their release.
//!
//! Std-only: the shim includes it (see [`crate::select`]).

use std::cmp::Ordering;
use std::fmt;

/// Longest version string we look at; anything longer is garbage, not a version.
const MAX_VERSION_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edition {
    Ce,
    Ee,
}

/// In the order Docker published them: 18.09.0's technical previews (`18.09.0-ce-tp0` to
/// `tp6`) came before its betas (`18.09.0-ce-beta1`), and those before its release candidates.
/// No Docker client was ever tagged alpha; it goes first, as everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PreKind {
    Alpha,
    Tp,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "alpha",
            PreKind::Beta => "beta",
            PreKind::Tp => "tp",
            PreKind::Rc => "rc",
        }
    }
}

/// A prerelease tag such as `rc1` or `rc.1`. `dotted` only remembers the spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prerelease {
    pub kind: PreKind,
    pub number: Option<u32>,
    pub dotted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DockerVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub edition: Option<Edition>,
    pub pre: Option<Prerelease>,
    /// The minor was written with two digits where Docker did not always (`22.06.0-beta.0`):
    /// spelling only, so the name prints as the file was named. Always false for 17.x-19.x,
    /// which print `17.03` whatever was written.
    pub padded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a Docker version: {}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseError {}

fn err(input: &str, reason: &'static str) -> ParseError {
    let shown: String = input.chars().take(MAX_VERSION_LEN).collect();
    let shown = shown.escape_default().to_string();
    ParseError {
        input: if input.chars().count() > MAX_VERSION_LEN {
            format!("{shown}…")
        } else {
            shown
        },
        reason,
    }
}

fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Splits `17.03.0-ce-rc1` into the numeric part and the suffix after the first `-`, `~` or
/// a `.` that is followed by a letter (RPM's `17.03.0.ce`).
fn split_numeric(s: &str) -> (&str, &str) {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let next_is_alpha = bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic());
        if b == b'-' || b == b'~' || b == b'+' || (b == b'.' && next_is_alpha) {
            return (&s[..i], &s[i + 1..]);
        }
    }
    (s, "")
}

/// Parses `ce`, `ee`, `rc1`, `rc.1`, `beta2`, `tp1`, possibly chained: `ce-rc1`, `ce.rc1`.
fn parse_suffix(
    input: &str,
    mut rest: &str,
) -> Result<(Option<Edition>, Option<Prerelease>), ParseError> {
    let mut edition = None;
    let mut pre = None;
    while !rest.is_empty() {
        let word_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let word = rest[..word_end].to_ascii_lowercase();
        rest = &rest[word_end..];
        match word.as_str() {
            "ce" | "ee" if edition.is_none() && pre.is_none() => {
                edition = Some(if word == "ce" {
                    Edition::Ce
                } else {
                    Edition::Ee
                });
            }
            "rc" | "beta" | "alpha" | "tp" if pre.is_none() => {
                let kind = match word.as_str() {
                    "rc" => PreKind::Rc,
                    "beta" => PreKind::Beta,
                    "alpha" => PreKind::Alpha,
                    _ => PreKind::Tp,
                };
                let dotted = rest.starts_with('.')
                    && rest.as_bytes().get(1).is_some_and(|b| b.is_ascii_digit());
                if dotted {
                    rest = &rest[1..];
                }
                let digits_end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                let number = if digits_end == 0 {
                    None
                } else {
                    Some(
                        parse_number(&rest[..digits_end])
                            .ok_or_else(|| err(input, "prerelease number is too large"))?,
                    )
                };
                rest = &rest[digits_end..];
                pre = Some(Prerelease {
                    kind,
                    number,
                    dotted,
                });
            }
            "" => return Err(err(input, "unexpected character after the version number")),
            _ => {
                return Err(err(
                    input,
                    "unknown suffix (expected ce, ee, rc, beta, alpha or tp)",
                ));
            }
        }
        if rest.is_empty() {
            break;
        }
        match rest.as_bytes()[0] {
            b'-' | b'.' | b'~' => rest = &rest[1..],
            _ => return Err(err(input, "unexpected character in the suffix")),
        }
        if rest.is_empty() {
            return Err(err(input, "ends with a separator"));
        }
    }
    Ok((edition, pre))
}

impl DockerVersion {
    pub fn new(major: u32, minor: u32, patch: u32) -> Self {
        DockerVersion {
            major,
            minor,
            patch,
            edition: None,
            pre: None,
            padded: false,
        }
    }

    /// Parses any spelling Docker or its RPMs used: `1.12.6`, `v20.10.24`, `17.03.0-ce`,
    /// `17.03.0.ce`, `17.03.0-ce-rc1`, `23.0.0-rc.1`, `18.09.0~rc1`, `17.3.0`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.len() > MAX_VERSION_LEN {
            return Err(err(input, "too long"));
        }
        let s = input.trim();
        if s.is_empty() {
            return Err(err(input, "empty"));
        }
        let s = s.strip_prefix('v').unwrap_or(s);
        let (numeric, suffix) = split_numeric(s);
        if suffix.is_empty() && numeric.len() != s.len() {
            return Err(err(input, "ends with a separator"));
        }
        let minor_text = numeric.split('.').nth(1).unwrap_or_default();
        let mut parts = numeric.split('.');
        let mut next = |what: &'static str| {
            parts
                .next()
                .and_then(parse_number)
                .ok_or_else(|| err(input, what))
        };
        let major = next("expected MAJOR.MINOR.PATCH")?;
        let minor = next("expected MAJOR.MINOR.PATCH")?;
        let patch = next(
            "expected MAJOR.MINOR.PATCH (a partial version like 20.10 is a spec, not a version)",
        )?;
        if parts.next().is_some() {
            return Err(err(input, "too many numeric components"));
        }
        let (edition, pre) = parse_suffix(input, suffix)?;
        let mut v = DockerVersion {
            major,
            minor,
            patch,
            edition,
            pre,
            padded: false,
        };
        v.padded = !v.pads_minor() && minor < 10 && minor_text.len() == 2;
        Ok(v)
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    /// The `YY.MM` releases of 2017–2019 wrote the month with two digits: `17.03`, `19.03`.
    fn pads_minor(&self) -> bool {
        (17..=19).contains(&self.major)
    }

    /// Equal numbers and prerelease, whatever the edition: `17.03.0` names `17.03.0-ce`.
    pub fn same_release(&self, other: &DockerVersion) -> bool {
        self.major == other.major
            && self.minor == other.minor
            && self.patch == other.patch
            && pre_key(&self.pre) == pre_key(&other.pre)
    }
}

fn pre_key(pre: &Option<Prerelease>) -> (u8, PreKind, u32) {
    match pre {
        // A release sorts after all of its prereleases.
        None => (1, PreKind::Rc, 0),
        Some(p) => (0, p.kind, p.number.unwrap_or(0)),
    }
}

impl Ord for DockerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| pre_key(&self.pre).cmp(&pre_key(&other.pre)))
            .then_with(|| self.edition.cmp(&other.edition))
            // Spelling only (`rc1` vs `rc.1`, `rc` vs `rc0`), so that Ord agrees with Eq.
            .then_with(|| {
                let spelling = |p: &Option<Prerelease>| p.map(|p| (p.dotted, p.number.is_some()));
                spelling(&self.pre).cmp(&spelling(&other.pre))
            })
            .then_with(|| self.padded.cmp(&other.padded))
    }
}

impl PartialOrd for DockerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DockerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pads_minor() || self.padded {
            write!(f, "{}.{:02}.{}", self.major, self.minor, self.patch)?;
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        }
        match self.edition {
            Some(Edition::Ce) => f.write_str("-ce")?,
            Some(Edition::Ee) => f.write_str("-ee")?,
            None => {}
        }
        if let Some(p) = self.pre {
            write!(f, "-{}", p.kind.as_str())?;
            if let Some(n) = p.number {
                if p.dotted {
                    write!(f, ".{n}")?;
                } else {
                    write!(f, "{n}")?;
                }
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for DockerVersion {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        DockerVersion::parse(s)
    }
}

/// What a user asks for: on the command line, in `DVM_DOCKER_VERSION`, or in a version file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// The newest stable release.
    Latest,
    /// The `docker` found further down PATH, outside dvm.
    System,
    /// One release; without an edition it matches any (`17.03.0` names `17.03.0-ce`).
    Exact(DockerVersion),
    /// `20` or `20.10` or `17.3`: the newest stable release in that series.
    Partial { major: u32, minor: Option<u32> },
    /// A user-defined name (`dvm alias`), resolved against the store.
    Alias(String),
    /// The release matching the daemon the docker CLI would talk to, looked up per call by
    /// the shim (see `select::auto`).
    Auto,
}

impl VersionSpec {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.len() > MAX_VERSION_LEN {
            return Err(err(input, "too long"));
        }
        let s = input.trim();
        match s {
            "" => return Err(err(input, "empty")),
            "latest" | "stable" => return Ok(VersionSpec::Latest),
            "system" => return Ok(VersionSpec::System),
            "auto" => return Ok(VersionSpec::Auto),
            _ => {}
        }
        let unprefixed = s.strip_prefix('v').unwrap_or(s);
        if unprefixed.starts_with(|c: char| c.is_ascii_digit()) {
            let (numeric, suffix) = split_numeric(unprefixed);
            let count = numeric.split('.').count();
            if count < 3 && suffix.is_empty() {
                let mut parts = numeric.split('.');
                let major = parts
                    .next()
                    .and_then(parse_number)
                    .ok_or_else(|| err(input, "expected a number such as 20, 20.10 or 20.10.24"))?;
                let minor = match parts.next() {
                    None => None,
                    Some(m) => Some(parse_number(m).ok_or_else(|| {
                        err(input, "expected a number such as 20, 20.10 or 20.10.24")
                    })?),
                };
                return Ok(VersionSpec::Partial { major, minor });
            }
            return DockerVersion::parse(s).map(VersionSpec::Exact);
        }
        if is_alias_name(s) {
            return Ok(VersionSpec::Alias(s.to_string()));
        }
        Err(err(
            input,
            "expected a version (1.12.6, 20.10, 17.03.0-ce), 'latest', 'system', 'auto' or an alias name",
        ))
    }

    /// Whether `v` satisfies this spec. `Latest` and `Partial` never pick prereleases;
    /// aliases and `system` match no version directly.
    pub fn matches(&self, v: &DockerVersion) -> bool {
        match self {
            VersionSpec::Latest => !v.is_prerelease(),
            VersionSpec::System | VersionSpec::Alias(_) | VersionSpec::Auto => false,
            VersionSpec::Exact(want) => {
                want.same_release(v) && (want.edition.is_none() || want.edition == v.edition)
            }
            VersionSpec::Partial { major, minor } => {
                !v.is_prerelease() && v.major == *major && minor.is_none_or(|m| v.minor == m)
            }
        }
    }

    /// Like `matches`, but a prerelease counts towards its series too: `23.0` and `latest`
    /// take `23.0.0-rc.1` when the user asked for a test channel.
    pub fn matches_with_prereleases(&self, v: &DockerVersion) -> bool {
        match self {
            VersionSpec::Latest => true,
            VersionSpec::Partial { major, minor } => {
                v.major == *major && minor.is_none_or(|m| v.minor == m)
            }
            _ => self.matches(v),
        }
    }

    /// The one rule `dvm install` resolves by and `dvm ls-remote` filters by: on a channel of
    /// prereleases (`prereleases`: the user asked for the test channel) a prerelease counts
    /// towards its series and `latest`; anywhere else only a spec naming one takes it.
    pub fn selects(&self, v: &DockerVersion, prereleases: bool) -> bool {
        if prereleases {
            self.matches_with_prereleases(v)
        } else {
            self.matches(v)
        }
    }

    /// The newest of `candidates` that satisfies this spec.
    pub fn best_match<'a, I>(&self, candidates: I) -> Option<&'a DockerVersion>
    where
        I: IntoIterator<Item = &'a DockerVersion>,
    {
        candidates.into_iter().filter(|v| self.matches(v)).max()
    }

    /// Whether the spec itself names a prerelease (only then are test channels consulted).
    pub fn wants_prerelease(&self) -> bool {
        matches!(self, VersionSpec::Exact(v) if v.is_prerelease())
    }
}

/// Alias names: a letter first, then letters, digits, `-`, `_` or `.`; at most 64 bytes.
pub fn is_alias_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.len() <= MAX_VERSION_LEN
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(s, "latest" | "stable" | "system" | "auto")
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::System => f.write_str("system"),
            VersionSpec::Exact(v) => v.fmt(f),
            VersionSpec::Partial { major, minor: None } => write!(f, "{major}"),
            VersionSpec::Partial {
                major,
                minor: Some(m),
            } => {
                if (17..=19).contains(major) {
                    write!(f, "{major}.{m:02}")
                } else {
                    write!(f, "{major}.{m}")
                }
            }
            VersionSpec::Alias(name) => f.write_str(name),
            VersionSpec::Auto => f.write_str("auto"),
        }
    }
}

#[cfg(test)]
mod tests;
