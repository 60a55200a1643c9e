//! Yum repository metadata: `repodata/repomd.xml` names `primary.xml[.gz|.xz|.zst|.bz2]`,
//! whose `<package>` entries give each RPM's name, version, checksum and location.
//! The parsers are pure and never panic, whatever the bytes.

use std::borrow::Cow;
use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::location::locate;
use super::{Arch, DigestAlgo, Expected, Http};
use crate::error::{Error, Result};
use crate::openpgp::{LazyKeyring, SignedBy};
use crate::sources::ListingCache;

/// Decompressed primary.xml larger than this is refused (Docker's are a few MiB).
pub const MAX_PRIMARY_SIZE: u64 = 256 * 1024 * 1024;
pub(super) const REPOMD_LIMIT: u64 = 1024 * 1024;
const PRIMARY_DOWNLOAD_LIMIT: u64 = 128 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    pub name: String,
    pub arch: String,
    pub epoch: String,
    pub version: String,
    pub release: String,
    /// As written: `sha256`, `sha` or `sha1` (or anything else a repository invents).
    pub checksum_type: String,
    pub checksum: String,
    /// `<location href>`: relative to `location_base`, else to the repository (the folder
    /// holding `repodata/`).
    pub location: String,
    /// `<location xml:base>`, when the repository names one (see [`super::location`]).
    pub location_base: Option<String>,
    pub size: Option<u64>,
}

/// Where repomd.xml says primary.xml is, and the checksum of the file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryRef {
    pub href: String,
    pub checksum: Option<(DigestAlgo, String)>,
}

fn malformed(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::network(format!("malformed {what}: {detail}")).with_hint(
        "the repository or mirror serves broken metadata; retry later or use another mirror",
    )
}

/// The architecture name RPM repositories use, for the architectures Docker built RPMs for.
pub fn rpm_arch(arch: Arch) -> Option<&'static str> {
    match arch {
        Arch::X86_64 | Arch::Aarch64 | Arch::Ppc64le | Arch::S390x => Some(arch.as_str()),
        Arch::I386 | Arch::Armel | Arch::Armhf => None,
    }
}

pub fn primary_location(repomd_xml: &[u8]) -> Result<String> {
    primary_ref(repomd_xml).map(|r| r.href)
}

/// Reads `<data type="primary">` from repomd.xml.
pub fn primary_ref(repomd_xml: &[u8]) -> Result<PrimaryRef> {
    let mut reader = Reader::from_reader(repomd_xml);
    let mut depth = 0usize;
    let mut primary_depth: Option<usize> = None;
    let mut href = None;
    let mut checksum_type: Option<String> = None;
    let mut in_checksum = false;
    let mut checksum_text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed("repomd.xml", e))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name();
                if primary_depth.is_none() && name.as_ref() == b"data" {
                    if attr(&e, b"type")?.as_deref() == Some("primary") {
                        primary_depth = Some(depth);
                    }
                } else if primary_depth.is_some_and(|p| depth == p + 1) {
                    if name.as_ref() == b"checksum" {
                        checksum_type = attr(&e, b"type")?.map(|c| c.into_owned());
                        in_checksum = true;
                    } else if name.as_ref() == b"location" {
                        href = attr(&e, b"href")?.map(|h| h.into_owned());
                    }
                }
            }
            Event::Empty(e)
                if primary_depth.is_some_and(|p| depth == p)
                    && e.local_name().as_ref() == b"location" =>
            {
                href = attr(&e, b"href")?.map(|h| h.into_owned());
            }
            Event::Text(t) if in_checksum => {
                checksum_text.push_str(&t.decode().map_err(|e| malformed("repomd.xml", e))?);
            }
            Event::End(_) => {
                if in_checksum && primary_depth.is_some_and(|p| depth == p + 1) {
                    in_checksum = false;
                }
                if primary_depth == Some(depth) {
                    break;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let href = href.ok_or_else(|| malformed("repomd.xml", "no primary data location"))?;
    let checksum = checksum_type
        .as_deref()
        .and_then(algo_of)
        .and_then(|algo| valid_hex(checksum_text.trim(), algo).map(|h| (algo, h)));
    Ok(PrimaryRef { href, checksum })
}

fn attr<'a>(e: &'a BytesStart<'a>, key: &[u8]) -> Result<Option<Cow<'a, str>>> {
    for a in e.attributes() {
        let a = a.map_err(|err| malformed("XML attribute", err))?;
        // `xml:base` is matched whole; other keys by local name, whatever their prefix.
        let matches = if key.contains(&b':') {
            a.key.as_ref() == key
        } else {
            a.key.local_name().as_ref() == key
        };
        if matches {
            return a
                .unescape_value()
                .map(Some)
                .map_err(|err| malformed("XML attribute", err));
        }
    }
    Ok(None)
}

/// `sha256` → Sha256, `sha`/`sha1` → Sha1; other algorithms are not used for verification.
pub fn algo_of(checksum_type: &str) -> Option<DigestAlgo> {
    match checksum_type.to_ascii_lowercase().as_str() {
        "sha256" => Some(DigestAlgo::Sha256),
        "sha" | "sha1" => Some(DigestAlgo::Sha1),
        _ => None,
    }
}

/// Lowercase hex of the right length for `algo`, or `None`.
pub fn valid_hex(hex: &str, algo: DigestAlgo) -> Option<String> {
    let len = match algo {
        DigestAlgo::Sha1 => 40,
        DigestAlgo::Sha256 => 64,
    };
    (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// Decompresses by magic number (gzip, xz, zstd, bzip2; anything else is taken as plain XML),
/// refusing output above `cap` bytes.
pub fn decompress(bytes: &[u8], cap: u64) -> Result<Vec<u8>> {
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Box::new(liblzma::read::XzDecoder::new_multi_decoder(bytes))
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::new(bytes).map_err(|e| malformed("zstd stream", e))?)
    } else if bytes.starts_with(b"BZh") {
        Box::new(bzip2::read::MultiBzDecoder::new(bytes))
    } else {
        if bytes.len() as u64 > cap {
            return Err(too_big(cap));
        }
        return Ok(bytes.to_vec());
    };
    let mut out = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| malformed("compressed repodata", e))?;
    if out.len() as u64 > cap {
        return Err(too_big(cap));
    }
    Ok(out)
}

fn too_big(cap: u64) -> Error {
    malformed(
        "repodata",
        format!("primary.xml is larger than {} MiB", cap / (1024 * 1024)),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Arch,
    Checksum,
}

#[derive(Default)]
struct Partial {
    name: String,
    arch: String,
    epoch: Option<String>,
    version: Option<String>,
    release: Option<String>,
    checksum_type: Option<String>,
    checksum: String,
    location: Option<String>,
    location_base: Option<String>,
    size: Option<u64>,
}

impl Partial {
    fn finish(self) -> Option<RpmPackage> {
        let name = self.name.trim().to_string();
        let arch = self.arch.trim().to_string();
        if name.is_empty() || arch.is_empty() {
            return None;
        }
        Some(RpmPackage {
            name,
            arch,
            epoch: self.epoch.unwrap_or_else(|| "0".into()),
            version: self.version?,
            release: self.release?,
            checksum_type: self.checksum_type?,
            checksum: self.checksum.trim().to_string(),
            location: self.location?,
            location_base: self.location_base,
            size: self.size,
        })
    }
}

/// Every complete `<package>` in primary.xml (compressed or plain). Incomplete entries are
/// skipped; malformed XML is an error.
pub fn parse_primary(xml: &[u8]) -> Result<Vec<RpmPackage>> {
    let xml = decompress(xml, MAX_PRIMARY_SIZE)?;
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut package: Option<(usize, Partial)> = None;
    let mut field: Option<Field> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed("primary.xml", e))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if package.is_none() && e.local_name().as_ref() == b"package" {
                    package = Some((depth, Partial::default()));
                } else if let Some((p, pkg)) = package.as_mut()
                    && depth == *p + 1
                {
                    field = package_child(&e, pkg)?;
                }
            }
            Event::Empty(e) => {
                if let Some((p, pkg)) = package.as_mut()
                    && depth == *p
                {
                    package_child(&e, pkg)?;
                }
            }
            Event::Text(t) => {
                if let (Some(f), Some((_, pkg))) = (field, package.as_mut()) {
                    let text = t.decode().map_err(|e| malformed("primary.xml", e))?;
                    push_text(pkg, f, &text);
                }
            }
            Event::CData(t) => {
                if let (Some(f), Some((_, pkg))) = (field, package.as_mut()) {
                    let text = t.decode().map_err(|e| malformed("primary.xml", e))?;
                    push_text(pkg, f, &text);
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(f), Some((_, pkg))) = (field, package.as_mut()) {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => match &*r {
                            b"amp" => "&".into(),
                            b"lt" => "<".into(),
                            b"gt" => ">".into(),
                            b"quot" => "\"".into(),
                            b"apos" => "'".into(),
                            _ => return Err(malformed("primary.xml", "unknown entity")),
                        },
                    };
                    push_text(pkg, f, &resolved);
                }
            }
            Event::End(_) => {
                if let Some((p, _)) = &package {
                    if depth == *p + 1 {
                        field = None;
                    } else if depth == *p
                        && let Some((_, pkg)) = package.take()
                        && let Some(done) = pkg.finish()
                    {
                        out.push(done);
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn push_text(pkg: &mut Partial, field: Field, text: &str) {
    let target = match field {
        Field::Name => &mut pkg.name,
        Field::Arch => &mut pkg.arch,
        Field::Checksum => &mut pkg.checksum,
    };
    // Names and digests are short; a huge text node is garbage, not data.
    if target.len() + text.len() <= 4096 {
        target.push_str(text);
    }
}

/// Records what a direct child of `<package>` says; returns the field whose text follows.
fn package_child(e: &BytesStart<'_>, pkg: &mut Partial) -> Result<Option<Field>> {
    Ok(match e.local_name().as_ref() {
        b"name" => Some(Field::Name),
        b"arch" => Some(Field::Arch),
        b"checksum" => {
            pkg.checksum_type = attr(e, b"type")?.map(|c| c.into_owned());
            Some(Field::Checksum)
        }
        b"version" => {
            pkg.epoch = attr(e, b"epoch")?.map(|c| c.into_owned());
            pkg.version = attr(e, b"ver")?.map(|c| c.into_owned());
            pkg.release = attr(e, b"rel")?.map(|c| c.into_owned());
            None
        }
        b"location" => {
            pkg.location = attr(e, b"href")?.map(|c| c.into_owned());
            pkg.location_base = attr(e, b"xml:base")?.map(|c| c.into_owned());
            None
        }
        b"size" => {
            pkg.size = attr(e, b"package")?.and_then(|s| s.trim().parse().ok());
            None
        }
        _ => None,
    })
}

/// Orders RPM releases the way rpm does for the plain cases: digit runs numerically, letter
/// runs alphabetically, digits newer than letters.
pub(super) fn compare_release(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn segments(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let Some(&c) = bytes.get(i) else { break };
            if !c.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let digit = c.is_ascii_digit();
            let start = i;
            while bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() && b.is_ascii_digit() == digit)
            {
                i += 1;
            }
            if let Some(seg) = s.get(start..i) {
                out.push((digit, seg));
            }
        }
        out
    }
    let (sa, sb) = (segments(a), segments(b));
    for (x, y) in sa.iter().zip(sb.iter()) {
        let ord = match (x.0, y.0) {
            (true, true) => {
                let (tx, ty) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
            }
            (false, false) => x.1.cmp(y.1),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    sa.len().cmp(&sb.len())
}

/// The verification repodata offers for `pkg`, if its checksum is usable; `signed_by` signed
/// the repomd.xml it came from.
fn expected_of(pkg: &RpmPackage, signed_by: &Option<SignedBy>) -> Option<Expected> {
    let algo = algo_of(&pkg.checksum_type)?;
    let hex = valid_hex(&pkg.checksum, algo)?;
    Some(Expected::Repodata {
        algo,
        hex,
        signed_by: signed_by.clone(),
    })
}

/// The packages of the repository at `repo_base` (the folder holding `repodata/`) and who
/// signed its repomd.xml, through the cache. `Ok(None)` when the repository does not exist
/// (repomd.xml is 404).
fn read_repo(
    http: &dyn Http,
    repo_base: &str,
    cache: &ListingCache,
    keys: &LazyKeyring,
) -> Result<Option<(Vec<RpmPackage>, Option<SignedBy>)>> {
    let repomd_url = format!("{repo_base}/repodata/repomd.xml");
    let primary_of = |repomd: &[u8]| {
        let primary = primary_ref(repomd).map_err(|e| e.context(&repomd_url))?;
        if !super::safe_relative(&primary.href) {
            return Err(malformed(
                "repomd.xml",
                format!(
                    "{repomd_url} points outside its repository ({})",
                    primary.href.escape_default()
                ),
            ));
        }
        Ok(primary)
    };
    let Some((primary, signed_by)) =
        signed::read_repomd(http, &repomd_url, cache, keys, &primary_of)?
    else {
        return Ok(None);
    };
    let primary_url = format!("{repo_base}/{}", primary.href);
    let packages = |bytes: &[u8]| parse_primary(bytes).map_err(|e| e.context(&primary_url));
    let packages = match &primary.checksum {
        Some((algo, hex)) => cache.fetch_verified(
            http,
            &primary_url,
            PRIMARY_DOWNLOAD_LIMIT,
            *algo,
            hex,
            packages,
        )?,
        None => cache.fetch(http, &primary_url, PRIMARY_DOWNLOAD_LIMIT, packages)?,
    };
    packages.map(|p| Some((p, signed_by))).ok_or_else(|| {
        Error::network(format!(
            "{repomd_url} names {primary_url}, which is missing"
        ))
        .with_hint("the repository is being updated or the mirror is incomplete; retry later")
    })
}

/// Where a repository lives: its URL, and the source base it is below.
pub(super) struct Repo<'a> {
    pub base: &'a str,
    pub url: &'a str,
    pub source: super::SourceKind,
    pub channel: super::Channel,
    /// The keys a `repomd.xml.asc` is checked against.
    pub keys: &'a LazyKeyring,
}

/// The client builds in one repository, through the listing cache; a missing repository
/// (404) lists nothing.
pub(super) fn list_repo(
    http: &dyn Http,
    repo: &Repo<'_>,
    names: &[&str],
    arch: &str,
    cache: &ListingCache,
) -> Result<Vec<super::Artifact>> {
    match read_repo(http, repo.url, cache, repo.keys)? {
        Some((pkgs, signed_by)) => artifacts(&pkgs, &signed_by, names, arch, repo),
        None => Ok(Vec::new()),
    }
}

/// One artifact per Docker version among `pkgs` for `arch`. `names` lists the package names
/// that carry the client, preferred first; among builds of one version the newest
/// epoch/release wins. Packages without a usable checksum are left out; a client package whose
/// location is refused makes the repository an error, as a foreign host is a configuration
/// question the user has to answer.
fn artifacts(
    pkgs: &[RpmPackage],
    signed_by: &Option<SignedBy>,
    names: &[&str],
    arch: &str,
    repo: &Repo<'_>,
) -> Result<Vec<super::Artifact>> {
    use std::cmp::Ordering;
    // Keyed by version: a repository of many builds is read in one linear pass.
    let mut best: std::collections::BTreeMap<
        crate::select::version::DockerVersion,
        (usize, &RpmPackage, super::Artifact),
    > = std::collections::BTreeMap::new();
    for pkg in pkgs {
        let Some(rank) = names.iter().position(|n| *n == pkg.name) else {
            continue;
        };
        if pkg.arch != arch {
            continue;
        }
        let (Some(version), Some(expected)) = (
            crate::archive::rpm_version_to_docker(&pkg.version, &pkg.release),
            expected_of(pkg, signed_by),
        ) else {
            continue;
        };
        let located = locate(repo, pkg.location_base.as_deref(), &pkg.location)
            .map_err(|why| refused_location(repo, pkg, &why))?;
        let artifact = super::Artifact {
            version,
            source: repo.source,
            channel: repo.channel,
            url: located.url,
            path: located.path,
            expected,
            size: pkg.size,
        };
        let newer = |old_rank: usize, old: &RpmPackage| {
            let epoch = |p: &RpmPackage| p.epoch.trim().parse::<u64>().unwrap_or(0);
            old_rank
                .cmp(&rank)
                .then_with(|| epoch(pkg).cmp(&epoch(old)))
                .then_with(|| compare_release(&pkg.release, &old.release))
                == Ordering::Greater
        };
        match best.entry(version) {
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let (old_rank, old, _) = slot.get();
                if newer(*old_rank, old) {
                    slot.insert((rank, pkg, artifact));
                }
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert((rank, pkg, artifact));
            }
        }
    }
    Ok(best.into_values().map(|(_, _, a)| a).collect())
}

fn refused_location(repo: &Repo<'_>, pkg: &RpmPackage, why: &str) -> Error {
    let variable = match repo.source {
        super::SourceKind::Yum => "DVM_YUM_URL",
        _ => "DVM_RPM_URL",
    };
    Error::config(format!(
        "the repository {} names {}-{}-{} at a location dvm will not use: {why}",
        repo.url, pkg.name, pkg.version, pkg.release
    ))
    .with_hint(format!(
        "if you trust the host it names, point {variable} (or DVM_MIRROR) at it; otherwise fix the repository's metadata or use another mirror"
    ))
}

mod signed;
#[cfg(test)]
mod tests;
