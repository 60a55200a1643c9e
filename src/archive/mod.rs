//! Archives: find the docker client inside whatever Docker shipped, by content, as a stream.
//!
//! The kind of archive is decided by its first bytes, never by a file name. Each format lives in
//! its own file; all of them hand the client entry to one [`ClientSink`], which is the only code
//! that ever creates a file, and only at `dest`.

mod cpio;
mod describe;
mod executable;
mod raw;
mod rpm;
mod tar;
mod zip;

use std::fs::{File, OpenOptions};
use std::io::{self, Cursor, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, IoContext, Result};
use crate::openpgp::{Keyring, SignedBy};
use describe::describe_bytes;

pub use self::rpm::rpm_version_to_docker;

/// The largest client entry we accept (real clients are under 100 MB).
pub const MAX_CLIENT_SIZE: u64 = 512 * 1024 * 1024;

/// How many decompressed bytes of other entries we are willing to read besides the client
/// (before it turns up, and in a tarball after it too, to reach the gzip trailer). Real
/// packages (docker-ce 17.x with dockerd and containerd) are a few hundred MB; this bounds
/// decompression bombs hidden in entries we skip.
const MAX_SKIPPED_BYTES: u64 = 4 * MAX_CLIENT_SIZE;

/// Copy buffer size: large enough to be fast, small enough that memory stays flat.
const COPY_BUFFER_SIZE: usize = 1024 * 1024;

/// How much of the input we look at to decide what it is.
const SNIFF_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveKind {
    Rpm,
    TarGz,
    Zip,
    RawElf,
    RawMachO,
    RawPe,
}

impl ArchiveKind {
    /// A short human name, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ArchiveKind::Rpm => "RPM package",
            ArchiveKind::TarGz => "tar.gz archive",
            ArchiveKind::Zip => "zip archive",
            ArchiveKind::RawElf => "ELF binary",
            ArchiveKind::RawMachO => "Mach-O binary",
            ArchiveKind::RawPe => "Windows PE binary",
        }
    }
}

/// What an RPM's header said, and which of its digests were checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpmInfo {
    pub name: String,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub payload_compressor: String,
    /// e.g. ["header-sha256", "header-sha1", "payload-sha256", "md5"]
    pub digests_verified: Vec<String>,
    /// The OpenPGP signature that verified over the whole package, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignedBy>,
}

/// The executable formats Docker shipped clients in, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryFormat {
    /// Linux (`\x7fELF`).
    Elf,
    /// macOS: 32- and 64-bit, either byte order, or a fat/universal binary.
    MachO,
    /// Windows (`MZ`).
    Pe,
}

impl BinaryFormat {
    /// The format `head` (the first bytes of a file) starts with, if it is one of them.
    pub fn of(head: &[u8]) -> Option<BinaryFormat> {
        const MACHO_MAGICS: [[u8; 4]; 5] = [
            [0xfe, 0xed, 0xfa, 0xce],
            [0xfe, 0xed, 0xfa, 0xcf],
            [0xce, 0xfa, 0xed, 0xfe],
            [0xcf, 0xfa, 0xed, 0xfe],
            [0xca, 0xfe, 0xba, 0xbe],
        ];
        if head.starts_with(b"\x7fELF") {
            Some(BinaryFormat::Elf)
        } else if MACHO_MAGICS.iter().any(|m| head.starts_with(m)) {
            Some(BinaryFormat::MachO)
        } else if head.starts_with(b"MZ") {
            Some(BinaryFormat::Pe)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExtractedClient {
    pub kind: ArchiveKind,
    /// Lowercase hex sha256 of the client as written.
    pub sha256: String,
    pub size: u64,
    pub rpm: Option<RpmInfo>,
    /// What the client's first bytes say it is; `None` for anything else (a script, say).
    pub format: Option<BinaryFormat>,
    /// The archive entry the client came from; `None` when the input was the client itself.
    pub entry: Option<String>,
}

/// Decides what an archive is from its first bytes (4 are enough; more do no harm).
pub fn sniff(prefix: &[u8]) -> Option<ArchiveKind> {
    if prefix.starts_with(&[0xed, 0xab, 0xee, 0xdb]) {
        Some(ArchiveKind::Rpm)
    } else if prefix.starts_with(&[0x1f, 0x8b]) {
        Some(ArchiveKind::TarGz)
    } else if prefix.starts_with(b"PK\x03\x04") {
        Some(ArchiveKind::Zip)
    } else {
        BinaryFormat::of(prefix).map(|format| match format {
            BinaryFormat::Elf => ArchiveKind::RawElf,
            BinaryFormat::MachO => ArchiveKind::RawMachO,
            BinaryFormat::Pe => ArchiveKind::RawPe,
        })
    }
}

/// Reads an archive from `input` and writes only the client to `dest` (created, 0755, fsynced).
/// Reads as far as the archive's own checks need: a tarball's gzip stream to its end (its CRC
/// is the only check it has), an RPM's payload to its end (its digests), a zip entry to its
/// end (its CRC). Whatever follows (a zip's other entries) is left for the caller to drain.
/// RPM signatures are checked against Docker's embedded keys.
pub fn extract_client<R: Read>(input: R, dest: &Path) -> Result<ExtractedClient> {
    extract_client_with_keys(input, dest, &Keyring::docker()?)
}

/// [`extract_client`], checking RPM signatures against `keys`.
pub fn extract_client_with_keys<R: Read>(
    input: R,
    dest: &Path,
    keys: &Keyring,
) -> Result<ExtractedClient> {
    extract_with(input, dest, MAX_CLIENT_SIZE, keys)
}

/// [`extract_client`] with a smaller client size limit, so tests can exercise the limit
/// without writing half a gigabyte. Not part of the supported API.
#[doc(hidden)]
pub fn extract_client_with_limit<R: Read>(
    input: R,
    dest: &Path,
    limit: u64,
) -> Result<ExtractedClient> {
    extract_with(input, dest, limit, &Keyring::docker()?)
}

fn extract_with<R: Read>(
    mut input: R,
    dest: &Path,
    limit: u64,
    keys: &Keyring,
) -> Result<ExtractedClient> {
    let prefix = read_prefix(&mut input)?;
    let Some(kind) = sniff(&prefix) else {
        return Err(Error::archive(format!(
            "not a Docker client archive: {}",
            describe_bytes(&prefix)
        ))
        .with_hint(
            "expected an RPM, a .tgz, a .zip or a bare docker binary; check the download URL \
             (a proxy or mirror may have served an error page)",
        ));
    };
    let mut stream = Cursor::new(prefix).chain(input);
    let mut sink = ClientSink::new(dest, limit);
    let rpm = extract_kind(kind, &mut stream, &mut sink, keys).map_err(|e| {
        if e.hint().is_some() || e.kind() != ErrorKind::Archive {
            return e;
        }
        e.with_hint("this file cannot be used: get a fresh copy, and check where it came from")
    })?;
    sink.keep(kind, rpm)
}

fn extract_kind(
    kind: ArchiveKind,
    stream: &mut dyn Read,
    sink: &mut ClientSink<'_>,
    keys: &Keyring,
) -> Result<Option<RpmInfo>> {
    Ok(match kind {
        ArchiveKind::Rpm => Some(rpm::extract(stream, sink, keys)?),
        ArchiveKind::TarGz => {
            tar::extract(stream, sink)?;
            None
        }
        ArchiveKind::Zip => {
            zip::extract(stream, sink)?;
            None
        }
        ArchiveKind::RawElf | ArchiveKind::RawMachO | ArchiveKind::RawPe => {
            raw::extract(stream, sink)?;
            None
        }
    })
}

fn read_prefix(input: &mut impl Read) -> Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(SNIFF_LEN);
    input
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut prefix)
        .map_err(|e| {
            Error::archive(format!("could not read the archive: {e}"))
                .with_source(e)
                .with_hint("the file is damaged or incomplete: get a fresh copy")
        })?;
    Ok(prefix)
}

/// Splits an entry path into its components the way an extractor would resolve it, and says
/// whether `..` was involved. `./docker/docker`, `/docker/docker` and `docker//docker` all
/// resolve to `docker/docker`; `foo/../docker/docker` resolves there too but via `..`.
pub(crate) fn resolve_entry_path(path: &[u8]) -> (String, bool) {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut dotdot = false;
    for part in path.split(|&b| b == b'/' || b == b'\\') {
        match part {
            b"" | b"." => {}
            b".." => {
                dotdot = true;
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join(&b'/');
    (String::from_utf8_lossy(&joined).into_owned(), dotdot)
}

/// Whether an entry named `raw` is the client at one of `client_paths`.
/// `Err` when it would only be the client after resolving `..`: that is an attack, not a layout.
pub(crate) fn match_client_path(raw: &[u8], client_paths: &[&str]) -> Result<Option<String>> {
    let (resolved, dotdot) = resolve_entry_path(raw);
    if !client_paths.contains(&resolved.as_str()) {
        return Ok(None);
    }
    if dotdot {
        return Err(Error::archive(format!(
            "refusing entry '{}': it reaches the client path {resolved} through '..'",
            String::from_utf8_lossy(raw).escape_default()
        ))
        .with_hint("this archive is malformed or hostile; do not use it"));
    }
    Ok(Some(resolved))
}

/// Whether an entry named `raw` would land outside the folder it is unpacked into: an absolute
/// path (`/x`, `\\x`, `C:x`) or one whose `..` climbs above the top (`../x`, `a/../../x`).
/// `None` when it stays inside; otherwise what is wrong with it, in words.
pub(crate) fn escape_reason(raw: &[u8]) -> Option<&'static str> {
    if raw.starts_with(b"/") || raw.starts_with(b"\\") {
        return Some("it is an absolute path");
    }
    if let [drive, b':', ..] = raw
        && drive.is_ascii_alphabetic()
    {
        return Some("it names a Windows drive");
    }
    let mut depth = 0usize;
    for part in raw.split(|&b| b == b'/' || b == b'\\') {
        match part {
            b"" | b"." => {}
            b".." if depth == 0 => return Some("its '..' climbs out of the archive"),
            b".." => depth -= 1,
            _ => depth += 1,
        }
    }
    None
}

/// Refuses the whole archive when the entry named `raw` escapes it (see [`escape_reason`]):
/// an archive built to write outside its folder is hostile, whatever else it holds.
pub(crate) fn refuse_escaping(raw: &[u8], what: &str) -> Result<()> {
    let Some(reason) = escape_reason(raw) else {
        return Ok(());
    };
    Err(Error::archive(format!(
        "refusing the {what}: its entry '{}' would be written outside the folder it is unpacked \
         into ({reason})",
        String::from_utf8_lossy(raw).escape_default()
    ))
    .with_hint(
        "this archive is malformed or hostile: nothing was installed from it; do not use it, and \
         check where it came from",
    ))
}

/// "it has 3 entries: a, b, c" for "no client found" messages; `seen` holds the first few.
pub(crate) fn list_entries(count: usize, seen: &[String], empty: &str) -> String {
    let more = if count > seen.len() { ", …" } else { "" };
    match count {
        0 => empty.to_string(),
        1 => format!("it has 1 entry: {}", seen.join(", ")),
        _ => format!("it has {count} entries: {}{more}", seen.join(", ")),
    }
}

pub(crate) fn corrupt(what: &str, err: &io::Error) -> Error {
    Error::archive(format!(
        "the archive is truncated or corrupt ({what}: {err})"
    ))
    .with_hint("the file is damaged or incomplete: get a fresh copy")
}

/// Creates `dest` once, copies the client into it under the size limit and hashes it.
/// Unless [`ClientSink::keep`] is reached, dropping it removes what it created.
pub(crate) struct ClientSink<'a> {
    dest: &'a Path,
    limit: u64,
    created: bool,
    kept: bool,
    written: Option<Written>,
}

/// What [`ClientSink::write_client`] wrote.
struct Written {
    entry: String,
    sha256: String,
    size: u64,
    format: Option<BinaryFormat>,
}

impl<'a> ClientSink<'a> {
    pub(crate) fn new(dest: &'a Path, limit: u64) -> Self {
        ClientSink {
            dest,
            limit,
            created: false,
            kept: false,
            written: None,
        }
    }

    /// Refuses an entry whose declared size is over the limit, before anything is written.
    pub(crate) fn check_declared_size(&self, entry: &str, size: u64) -> Result<()> {
        if size > self.limit {
            return Err(too_large(entry, self.limit));
        }
        Ok(())
    }

    /// Copies `src` into `dest`. `expected` is the size the archive declared: fewer bytes
    /// means the archive was cut short. Returns the first bytes written (for sanity checks).
    pub(crate) fn write_client(
        &mut self,
        entry: &str,
        src: &mut dyn Read,
        expected: Option<u64>,
    ) -> Result<Vec<u8>> {
        if self.created {
            return Err(Error::internal(format!(
                "the archive has a second client entry '{entry}'"
            )));
        }
        if let Some(size) = expected {
            self.check_declared_size(entry, size)?;
        }
        let file = self.create()?;
        let (head, total, sha256) = copy_hashing(entry, src, file, self.dest, self.limit)?;
        if let Some(size) = expected
            && total != size
        {
            return Err(Error::archive(format!(
                "the archive is truncated or corrupt: the client {entry} should be {size} bytes \
                 but only {total} could be read"
            ))
            .with_hint("the file is damaged or incomplete: get a fresh copy"));
        }
        let format = BinaryFormat::of(&head);
        if let Some(why) = format.and_then(|f| executable::implausible(f, &head, total)) {
            return Err(Error::archive(format!(
                "the client {entry} starts like an executable but is not one: {why}"
            ))
            .with_hint("the archive is corrupt or hostile: get a fresh copy from Docker's hosts"));
        }
        self.written = Some(Written {
            entry: entry.to_string(),
            sha256,
            size: total,
            format,
        });
        Ok(head)
    }

    fn create(&mut self) -> Result<File> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o755);
        }
        let file = options.open(self.dest).with_path("create", self.dest)?;
        self.created = true;
        // The umask may have narrowed the mode; the client must be exactly 0755, no more.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o755))
                .with_path("set permissions on", self.dest)?;
        }
        Ok(file)
    }

    fn keep(mut self, kind: ArchiveKind, rpm: Option<RpmInfo>) -> Result<ExtractedClient> {
        let Some(written) = self.written.take() else {
            return Err(Error::internal(format!(
                "the {} was read but no client was written",
                kind.describe()
            )));
        };
        self.kept = true;
        let raw = matches!(
            kind,
            ArchiveKind::RawElf | ArchiveKind::RawMachO | ArchiveKind::RawPe
        );
        Ok(ExtractedClient {
            kind,
            sha256: written.sha256,
            size: written.size,
            rpm,
            format: written.format,
            entry: (!raw).then_some(written.entry),
        })
    }
}

/// Copies the client out of `src` into `file`, then syncs it; returns its first bytes, its size
/// and its sha256. Decompressing (this thread) and hashing and writing (a second thread)
/// overlap, in large chunks so that the hand-overs stay rare.
fn copy_hashing(
    entry: &str,
    src: &mut dyn Read,
    mut file: File,
    dest: &Path,
    limit: u64,
) -> Result<(Vec<u8>, u64, String)> {
    use std::sync::mpsc::sync_channel;
    const CHUNKS: usize = 3;
    let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(CHUNKS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(CHUNKS);
    for _ in 0..CHUNKS {
        let _ = empty_tx.send(vec![0u8; COPY_BUFFER_SIZE]);
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<String> {
            let mut hasher = Sha256::new();
            for (buf, n) in full_rx {
                let chunk = buf.get(..n).unwrap_or_default();
                hasher.update(chunk);
                file.write_all(chunk).with_path("write", dest)?;
                // The reader may have stopped already; then the buffer is not needed.
                let _ = empty_tx.send(buf);
            }
            file.sync_all().with_path("sync", dest)?;
            Ok(hex::encode(hasher.finalize()))
        });
        let read = (|| -> Result<(Vec<u8>, u64)> {
            let mut head = Vec::new();
            let mut total: u64 = 0;
            // Ends when the writer is gone (it failed: its error is the one to report).
            while let Ok(mut buf) = empty_rx.recv() {
                let n = fill(entry, src, &mut buf)?;
                if n == 0 {
                    break;
                }
                let chunk = buf.get(..n).unwrap_or_default();
                total = total.saturating_add(n as u64);
                if total > limit {
                    return Err(too_large(entry, limit));
                }
                if head.len() < SNIFF_LEN {
                    let want = (SNIFF_LEN - head.len()).min(chunk.len());
                    head.extend_from_slice(chunk.get(..want).unwrap_or_default());
                }
                if full_tx.send((buf, n)).is_err() {
                    break;
                }
            }
            Ok((head, total))
        })();
        drop(full_tx);
        let written = writer
            .join()
            .map_err(|_| Error::internal(format!("writing {} panicked", dest.display())))?;
        let (head, total) = read?;
        Ok((head, total, written?))
    })
}

/// Reads until `buf` is full or `src` ends; returns how much it holds.
fn fill(entry: &str, src: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match src.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(entry, e)),
        }
    }
    Ok(filled)
}

impl Drop for ClientSink<'_> {
    fn drop(&mut self) {
        if self.created && !self.kept {
            // Best effort: the error that got us here is the one worth reporting.
            let _ = std::fs::remove_file(self.dest);
        }
    }
}

fn too_large(entry: &str, limit: u64) -> Error {
    Error::archive(format!(
        "refusing the client {entry}: it is larger than the {} MiB limit",
        limit / (1024 * 1024)
    ))
    .with_hint("real docker clients are under 100 MB; this archive is corrupt or hostile")
}

fn read_error(entry: &str, err: io::Error) -> Error {
    corrupt(&format!("while reading {entry}"), &err).with_source(err)
}

#[cfg(test)]
mod tests;
