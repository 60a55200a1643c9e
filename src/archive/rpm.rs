//! RPM packages: docker-engine 1.x, docker-ce 17.x and docker-ce-cli 18.09+. The client is
//! always `/usr/bin/docker`.
//!
//! The lead and both headers are read here first, with every count and size bounded, because
//! the `rpm` crate allocates whatever a header claims. Only then does the crate parse them, from
//! memory, behind `catch_unwind`. Every digest the package carries is checked; the payload is
//! hashed as it streams past, decompressed only until the client is out, then read through the
//! hashers to the end (payload digests cover the compressed bytes).

use std::io::{self, Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::cpio::CpioReader;
use super::{ClientSink, MAX_SKIPPED_BYTES, RpmInfo, corrupt, list_entries, match_client_path};
use crate::error::{Error, ErrorKind, Result};
use crate::select::version::DockerVersion;

const LEAD_LEN: usize = 96;
const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
const INTRO_LEN: usize = 16;
const INDEX_ENTRY_LEN: u64 = 16;
const MAX_INDEX_ENTRIES: u32 = 100_000;
const MAX_HEADER_STORE: u32 = 64 * 1024 * 1024;
/// liblzma may use this much memory for its dictionary (xz -9 needs 65 MiB).
const XZ_MEMLIMIT: u64 = 256 * 1024 * 1024;

const CLIENT_PATHS: [&str; 1] = ["usr/bin/docker"];

// Signature header tags.
const SIGTAG_SIZE: u32 = 1000;
const SIGTAG_LONGSIZE: u32 = 270;
const SIGTAG_SHA1: u32 = 269;
const SIGTAG_SHA256: u32 = 273;
const SIGTAG_MD5: u32 = 1004;
// Main header tags.
const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_ARCH: u32 = 1022;
const TAG_PAYLOADFORMAT: u32 = 1124;
const TAG_PAYLOADCOMPRESSOR: u32 = 1125;
const TAG_PAYLOADDIGEST: u32 = 5092;
const TAG_PAYLOADDIGESTALGO: u32 = 5093;
// RPM's numbering of hash algorithms (from OpenPGP).
const ALGO_SHA256: u32 = 8;
const ALGO_SHA512: u32 = 10;

/// One header exactly as it was in the file: intro, index and store.
struct RawHeader {
    bytes: Vec<u8>,
    store_len: u32,
}

/// What we need from the headers, copied out of the `rpm` crate's structures.
#[derive(Debug)]
struct Parsed {
    name: String,
    version: String,
    release: String,
    arch: String,
    payload_format: Option<String>,
    compressor: Option<String>,
    size: Option<u64>,
    header_sha1: Option<String>,
    header_sha256: Option<String>,
    md5: Option<Vec<u8>>,
    payload_digest: Option<String>,
    payload_digest_algo: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compressor {
    None,
    Gzip,
    Bzip2,
    Xz,
    Lzma,
    Zstd,
}

impl Compressor {
    fn name(self) -> &'static str {
        match self {
            Compressor::None => "none",
            Compressor::Gzip => "gzip",
            Compressor::Bzip2 => "bzip2",
            Compressor::Xz => "xz",
            Compressor::Lzma => "lzma",
            Compressor::Zstd => "zstd",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "gzip" => Compressor::Gzip,
            "bzip2" => Compressor::Bzip2,
            "xz" => Compressor::Xz,
            "lzma" => Compressor::Lzma,
            "zstd" => Compressor::Zstd,
            "none" | "" => Compressor::None,
            _ => return None,
        })
    }

    fn sniff(magic: &[u8]) -> Option<Self> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Compressor::Gzip)
        } else if magic.starts_with(b"BZh") {
            Some(Compressor::Bzip2)
        } else if magic.starts_with(b"\xfd7zXZ\x00") {
            Some(Compressor::Xz)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compressor::Zstd)
        } else if magic.starts_with(&[0x5d, 0x00, 0x00]) {
            Some(Compressor::Lzma)
        } else if magic.starts_with(b"07070") {
            Some(Compressor::None)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum PayloadAlgo {
    Sha256,
    Sha512,
}

/// Hashes every byte read through it, so the payload digests cover exactly what was consumed.
struct HashingReader<R> {
    inner: R,
    md5: Option<Md5>,
    payload: Option<PayloadHasher>,
    count: u64,
}

enum PayloadHasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        if let Some(md5) = &mut self.md5 {
            md5.update(chunk);
        }
        match &mut self.payload {
            Some(PayloadHasher::Sha256(h)) => h.update(chunk),
            Some(PayloadHasher::Sha512(h)) => h.update(chunk),
            None => {}
        }
        self.count += n as u64;
        Ok(n)
    }
}

pub(super) fn extract(input: &mut dyn Read, sink: &mut ClientSink<'_>) -> Result<RpmInfo> {
    let mut lead = [0u8; LEAD_LEN];
    read_exact(input, &mut lead, "the RPM lead")?;
    if lead.get(..4) != Some(&LEAD_MAGIC[..]) {
        return Err(Error::archive("not an RPM: the lead magic is wrong"));
    }
    let signature = read_header(input, "signature")?;
    let padding = (8 - signature.store_len % 8) % 8;
    let mut pad = [0u8; 8];
    read_exact(
        input,
        pad.get_mut(..padding as usize).unwrap_or_default(),
        "the signature header padding",
    )?;
    let main = read_header(input, "main")?;

    let parsed = parse(&lead, &signature, padding, &main)?;
    let package = format!(
        "{}-{}-{}.{}",
        parsed.name, parsed.version, parsed.release, parsed.arch
    );
    let mut verified = verify_header(&parsed, &main, &package)?;

    if let Some(format) = parsed.payload_format.as_deref()
        && format != "cpio"
    {
        return Err(Error::archive(format!(
            "{package}: unsupported payload format '{format}' (expected cpio)"
        )));
    }

    let payload_algo = payload_algo(&parsed);
    let mut hashing = HashingReader {
        inner: input,
        md5: parsed.md5.as_ref().map(|_| {
            let mut md5 = Md5::new();
            md5.update(&main.bytes);
            md5
        }),
        payload: payload_algo.map(|algo| match algo {
            PayloadAlgo::Sha256 => PayloadHasher::Sha256(Sha256::new()),
            PayloadAlgo::Sha512 => PayloadHasher::Sha512(Sha512::new()),
        }),
        count: 0,
    };
    if hashing.md5.is_none() && hashing.payload.is_none() {
        return Err(unverifiable(
            &package,
            "it carries no MD5 and no payload digest this tool can check",
        ));
    }

    let main_len = main.bytes.len() as u64;
    let compressor = match extract_payload(&mut hashing, &parsed, &package, sink) {
        Ok(compressor) => compressor,
        // A payload that does not match its digests was altered: say so, rather than
        // reporting whatever the altered bytes broke.
        Err(e) if e.kind() == ErrorKind::Archive => {
            if io::copy(&mut hashing, &mut io::sink()).is_ok()
                && let Err(integrity) = verify_payload(&parsed, main_len, hashing, &package)
                && integrity.kind() == ErrorKind::Integrity
            {
                return Err(integrity);
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    // The client is out; the rest of the payload only needs hashing, not decompressing.
    // The MD5 and payload digests cover the compressed bytes, so they catch any corruption a
    // gzip CRC, an xz check or a zstd/bzip2 checksum would, whatever the compressor; and every
    // package we accept has at least one of them (see `unverifiable` above).
    io::copy(&mut hashing, &mut io::sink())
        .map_err(|e| corrupt("while reading the RPM payload", &e))?;
    verified.extend(verify_payload(&parsed, main_len, hashing, &package)?);

    Ok(RpmInfo {
        name: parsed.name,
        version: parsed.version,
        release: parsed.release,
        arch: parsed.arch,
        payload_compressor: compressor.name().to_string(),
        digests_verified: verified,
    })
}

/// Checks the size and the digests covering the payload, once it has been read to the end.
fn verify_payload<R>(
    parsed: &Parsed,
    main_len: u64,
    mut hashing: HashingReader<R>,
    package: &str,
) -> Result<Vec<String>> {
    let header_and_payload = main_len + hashing.count;
    if let Some(size) = parsed.size
        && size != header_and_payload
    {
        return Err(Error::archive(format!(
            "the archive is truncated or corrupt: {package} should have {size} bytes of header \
             and payload but has {header_and_payload}"
        ))
        .with_hint("the file is damaged or incomplete: get a fresh copy"));
    }
    let mut verified = Vec::new();
    if let (Some(expected), Some(md5)) = (&parsed.md5, hashing.md5.take()) {
        check_digest(
            package,
            "md5",
            &hex::encode(expected),
            &hex::encode(md5.finalize()),
        )?;
        verified.push("md5".to_string());
    }
    if let (Some(expected), Some(hasher)) = (&parsed.payload_digest, hashing.payload.take()) {
        let (name, actual) = match hasher {
            PayloadHasher::Sha256(h) => ("payload-sha256", hex::encode(h.finalize())),
            PayloadHasher::Sha512(h) => ("payload-sha512", hex::encode(h.finalize())),
        };
        check_digest(package, name, expected, &actual)?;
        verified.push(name.to_string());
    }
    Ok(verified)
}

/// Decompresses the payload and walks its cpio until the client has been written.
fn extract_payload<R: Read>(
    hashing: &mut HashingReader<R>,
    parsed: &Parsed,
    package: &str,
    sink: &mut ClientSink<'_>,
) -> Result<Compressor> {
    let mut magic = Vec::with_capacity(6);
    (&mut *hashing)
        .take(6)
        .read_to_end(&mut magic)
        .map_err(|e| corrupt("while reading the RPM payload", &e))?;
    let compressor = match parsed.compressor.as_deref() {
        Some(tag) => Compressor::from_tag(tag).ok_or_else(|| {
            Error::archive(format!(
                "{package}: unsupported payload compressor '{}'",
                tag.escape_default()
            ))
        })?,
        // Old packages leave the tag out; their payload says what it is.
        None => Compressor::sniff(&magic).ok_or_else(|| {
            Error::archive(format!(
                "the archive is truncated or corrupt: {package} has a payload in an unknown \
                 compression format"
            ))
        })?,
    };
    let source = Cursor::new(magic).chain(&mut *hashing);
    let decoder: Box<dyn Read + '_> = match compressor {
        Compressor::None => Box::new(source),
        Compressor::Gzip => Box::new(flate2::read::MultiGzDecoder::new(source)),
        Compressor::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(source)),
        Compressor::Xz | Compressor::Lzma => {
            let stream = if compressor == Compressor::Xz {
                // xz's own check (a CRC64 of the decompressed bytes, about a tenth of the
                // decoding time) adds nothing here: every package we accept carries an MD5 or
                // payload digest over the compressed bytes, checked before anything is kept,
                // and decoding stops once the client is out, usually before xz would even
                // compare its check.
                liblzma::stream::Stream::new_stream_decoder(
                    XZ_MEMLIMIT,
                    liblzma::stream::CONCATENATED | liblzma::stream::IGNORE_CHECK,
                )
            } else {
                liblzma::stream::Stream::new_lzma_decoder(XZ_MEMLIMIT)
            }
            .map_err(|e| Error::internal(format!("could not start the xz decoder: {e}")))?;
            Box::new(liblzma::read::XzDecoder::new_stream(source, stream))
        }
        Compressor::Zstd => Box::new(
            zstd::stream::read::Decoder::new(source)
                .map_err(|e| Error::internal(format!("could not start the zstd decoder: {e}")))?,
        ),
    };

    let mut cpio = CpioReader::new(decoder, MAX_SKIPPED_BYTES);
    let mut seen = Vec::new();
    let mut count = 0usize;
    while let Some(entry) = cpio.next_entry().map_err(|e| e.context(package))? {
        let shown = entry.display_name();
        if match_client_path(&entry.name, &CLIENT_PATHS)
            .map_err(|e| e.context(package))?
            .is_some()
        {
            if let Some(kind) = entry.non_regular_kind() {
                return Err(Error::archive(format!(
                    "{package}: refusing {shown}: it is {kind}, not a regular file"
                ))
                .with_hint("this package is malformed or hostile; do not use it"));
            }
            let size = entry.size;
            sink.write_client(&shown, &mut cpio.data(), Some(size))
                .map_err(|e| e.context(package))?;
            return Ok(compressor);
        }
        count += 1;
        if seen.len() < 8 {
            seen.push(shown);
        }
    }
    let listing = list_entries(count, &seen, "its payload is empty");
    Err(
        Error::archive(format!("{package} has no usr/bin/docker; {listing}")).with_hint(
            "this package does not contain the docker client; from 18.09 on the client is in the \
         docker-ce-cli package",
        ),
    )
}

fn read_exact(input: &mut dyn Read, buf: &mut [u8], what: &str) -> Result<()> {
    input.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::archive(format!(
                "the archive is truncated or corrupt: the RPM ends inside {what}"
            ))
            .with_hint("the file is damaged or incomplete: get a fresh copy")
        } else {
            corrupt(&format!("while reading {what}"), &e)
        }
    })
}

/// Reads one header, refusing absurd sizes before allocating anything for it.
fn read_header(input: &mut dyn Read, which: &str) -> Result<RawHeader> {
    let what = format!("the {which} header");
    let mut intro = [0u8; INTRO_LEN];
    read_exact(input, &mut intro, &what)?;
    let (magic, rest) = intro.split_at(4);
    if magic != HEADER_MAGIC {
        return Err(Error::archive(format!(
            "the archive is truncated or corrupt: {what} does not start with the RPM header magic"
        )));
    }
    let be32 = |bytes: Option<&[u8]>| {
        bytes
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .unwrap_or(u32::MAX)
    };
    let count = be32(rest.get(4..8));
    let store_len = be32(rest.get(8..12));
    if count == 0 || count > MAX_INDEX_ENTRIES || store_len > MAX_HEADER_STORE {
        return Err(Error::archive(format!(
            "refusing the RPM: {what} claims {count} index entries and {store_len} bytes of data \
             (at most {MAX_INDEX_ENTRIES} entries and {MAX_HEADER_STORE} bytes are accepted)"
        ))
        .with_hint("this package is corrupt or hostile; do not use it"));
    }
    let body_len = u64::from(count) * INDEX_ENTRY_LEN + u64::from(store_len);
    let mut bytes = Vec::with_capacity(INTRO_LEN + 64 * 1024);
    bytes.extend_from_slice(&intro);
    // `take` grows the buffer only as bytes arrive, so a lying size costs nothing.
    let got = input
        .take(body_len)
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(&format!("while reading {what}"), &e))?;
    if got as u64 != body_len {
        return Err(Error::archive(format!(
            "the archive is truncated or corrupt: the RPM ends inside {what}"
        ))
        .with_hint("the file is damaged or incomplete: get a fresh copy"));
    }
    check_index(&bytes, count, store_len, &what)?;
    Ok(RawHeader { bytes, store_len })
}

/// Every index entry must point inside the store with room for what it claims, so the `rpm`
/// crate never slices out of bounds or reserves memory for millions of phantom items.
fn check_index(header: &[u8], count: u32, store_len: u32, what: &str) -> Result<()> {
    let bad = |detail: String| {
        Error::archive(format!(
            "refusing the RPM: {what} is corrupt or hostile ({detail})"
        ))
    };
    let store = u64::from(store_len);
    for i in 0..count as usize {
        let start = INTRO_LEN + i * INDEX_ENTRY_LEN as usize;
        let Some(entry) = header.get(start..start + INDEX_ENTRY_LEN as usize) else {
            return Err(bad("the index is cut short".into()));
        };
        let word = |n: usize| {
            entry
                .get(n * 4..n * 4 + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .unwrap_or(u32::MAX)
        };
        let (tag, kind, offset, items) = (word(0), word(1), word(2), word(3));
        // The offset is a signed 32-bit number in the format.
        if offset > i32::MAX as u32 || u64::from(offset) > store {
            return Err(bad(format!("tag {tag} points outside the header data")));
        }
        let room = store - u64::from(offset);
        let item_size: u64 = match kind {
            0 => 0,
            1 | 2 | 7 => 1,
            3 => 2,
            4 => 4,
            5 => 8,
            // Strings: each needs at least its NUL, and must start inside the store.
            6 | 8 | 9 => {
                if room == 0 {
                    return Err(bad(format!(
                        "tag {tag} points at the end of the header data"
                    )));
                }
                1
            }
            other => return Err(bad(format!("tag {tag} has unknown type {other}"))),
        };
        if u64::from(items) * item_size > room {
            return Err(bad(format!(
                "tag {tag} claims {items} items, more than the header data holds"
            )));
        }
    }
    Ok(())
}

/// Hands the checked raw bytes to the `rpm` crate and copies out what we need.
fn parse(lead: &[u8], signature: &RawHeader, padding: u32, main: &RawHeader) -> Result<Parsed> {
    let mut bytes = Vec::with_capacity(lead.len() + signature.bytes.len() + 8 + main.bytes.len());
    bytes.extend_from_slice(lead);
    bytes.extend_from_slice(&signature.bytes);
    bytes.resize(bytes.len() + padding as usize, 0);
    bytes.extend_from_slice(&main.bytes);

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let metadata = ::rpm::PackageMetadata::parse(&mut Cursor::new(&bytes[..]))?;
        Ok::<_, ::rpm::Error>(read_fields(&metadata))
    }));
    match outcome {
        Ok(Ok(parsed)) => Ok(parsed),
        Ok(Err(e)) => Err(Error::archive(format!(
            "the archive is corrupt: its RPM headers could not be parsed ({e})"
        ))
        .with_hint("the file is damaged or incomplete: get a fresh copy")),
        Err(_) => Err(Error::archive(
            "the archive is corrupt or hostile: its RPM headers could not be parsed",
        )
        .with_hint("the file is damaged or incomplete: get a fresh copy")),
    }
}

fn read_fields(metadata: &::rpm::PackageMetadata) -> Parsed {
    use ::rpm::IndexData;
    fn string<T: ::rpm::Tag>(header: &::rpm::Header<T>, tag: u32) -> Option<String> {
        match header.entry(tag).ok()? {
            IndexData::StringTag(s) => Some(s),
            IndexData::StringArray(v) | IndexData::I18NString(v) => v.into_iter().next(),
            _ => None,
        }
    }
    fn number<T: ::rpm::Tag>(header: &::rpm::Header<T>, tag: u32) -> Option<u64> {
        match header.entry(tag).ok()? {
            IndexData::Int32(v) => v.first().map(|&n| u64::from(n)),
            IndexData::Int64(v) => v.first().copied(),
            _ => None,
        }
    }
    let sig = &metadata.signature;
    let main = &metadata.header;
    let text = |tag| string(main, tag).unwrap_or_default();
    Parsed {
        name: text(TAG_NAME),
        version: text(TAG_VERSION),
        release: text(TAG_RELEASE),
        arch: text(TAG_ARCH),
        payload_format: string(main, TAG_PAYLOADFORMAT),
        compressor: string(main, TAG_PAYLOADCOMPRESSOR),
        size: number(sig, SIGTAG_LONGSIZE).or_else(|| number(sig, SIGTAG_SIZE)),
        header_sha1: string(sig, SIGTAG_SHA1),
        header_sha256: string(sig, SIGTAG_SHA256),
        md5: match sig.entry(SIGTAG_MD5).ok() {
            Some(IndexData::Bin(b)) => Some(b),
            _ => None,
        },
        payload_digest: string(main, TAG_PAYLOADDIGEST),
        payload_digest_algo: number(main, TAG_PAYLOADDIGESTALGO)
            .and_then(|n| u32::try_from(n).ok()),
    }
}

/// Checks the digests that cover the main header, before anything in it is acted on.
fn verify_header(parsed: &Parsed, main: &RawHeader, package: &str) -> Result<Vec<String>> {
    let mut verified = Vec::new();
    if let Some(expected) = &parsed.header_sha256 {
        let actual = hex::encode(Sha256::digest(&main.bytes));
        check_digest(package, "header-sha256", expected, &actual)?;
        verified.push("header-sha256".to_string());
    }
    if let Some(expected) = &parsed.header_sha1 {
        let actual = hex::encode(Sha1::digest(&main.bytes));
        check_digest(package, "header-sha1", expected, &actual)?;
        verified.push("header-sha1".to_string());
    }
    // MD5 covers the header and the payload together, so it counts for both.
    if verified.is_empty() && parsed.md5.is_none() {
        return Err(unverifiable(
            package,
            "it carries no digest over its header",
        ));
    }
    Ok(verified)
}

fn payload_algo(parsed: &Parsed) -> Option<PayloadAlgo> {
    let digest = parsed.payload_digest.as_deref()?;
    match parsed.payload_digest_algo {
        Some(ALGO_SHA256) => Some(PayloadAlgo::Sha256),
        Some(ALGO_SHA512) => Some(PayloadAlgo::Sha512),
        Some(_) => None,
        // Without the algorithm tag, the digest's length says which it is.
        None => match digest.len() {
            64 => Some(PayloadAlgo::Sha256),
            128 => Some(PayloadAlgo::Sha512),
            _ => None,
        },
    }
}

fn check_digest(package: &str, name: &str, expected: &str, actual: &str) -> Result<()> {
    if expected.trim().eq_ignore_ascii_case(actual) {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "{package}: {name} digest mismatch: expected {}, got {actual}",
        expected.trim().escape_default()
    ))
    .with_hint(
        "the package is corrupt or has been tampered with: do not install it; get a fresh \
         copy, and check where it came from",
    ))
}

fn unverifiable(package: &str, why: &str) -> Error {
    Error::archive(format!("unverifiable RPM {package}: {why}"))
        .with_hint("refusing to trust a package whose digests cannot be checked")
}

/// Maps an RPM's version and release to Docker's own spelling: `17.03.2.ce` → `17.03.2-ce`,
/// `18.09.0~rc.1` → `18.09.0-rc.1`, and a prerelease carried in the release field
/// (`1.13.0` / `0.1.rc1.el7` → `1.13.0-rc1`). An epoch (`3:`) is ignored.
pub fn rpm_version_to_docker(version: &str, release: &str) -> Option<DockerVersion> {
    let version = version.trim();
    let version = match version.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => version,
    };
    // Someone may hand us a whole `version-release`; keep the release part for its prerelease.
    let (version, extra_release) = version.split_once('-').unwrap_or((version, ""));
    let parsed = DockerVersion::parse(version).ok()?;
    if parsed.pre.is_some() {
        return Some(parsed);
    }
    let separators = ['.', '_', '~', '-', '+'];
    let lowered = format!("{extra_release}.{}", release.trim()).to_ascii_lowercase();
    let tokens: Vec<&str> = lowered.split(separators).collect();
    for (i, token) in tokens.iter().enumerate() {
        let word_end = token
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(token.len());
        let (word, digits) = token.split_at(word_end);
        if !matches!(word, "rc" | "beta" | "alpha" | "tp")
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            continue;
        }
        // `rc.1` spread over two tokens.
        let next_number = tokens
            .get(i + 1)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()));
        let pre = match (digits.is_empty(), next_number) {
            (true, Some(n)) => format!("{word}.{n}"),
            _ => token.to_string(),
        };
        return DockerVersion::parse(&format!("{version}-{pre}")).ok();
    }
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(version: &str, release: &str) -> Option<String> {
        rpm_version_to_docker(version, release).map(|v| v.to_string())
    }

    #[test]
    fn maps_rpm_versions_to_docker_spellings() {
        for (version, release, want) in [
            ("17.03.2.ce", "1.el7.centos", "17.03.2-ce"),
            ("20.10.24", "1.el8", "20.10.24"),
            ("1.12.6", "1.el7.centos", "1.12.6"),
            ("18.09.0~rc.1", "1.el7", "18.09.0-rc.1"),
            ("23.0.0~beta.1", "1.fc37", "23.0.0-beta.1"),
            ("3:18.09.0", "3.rc1", "18.09.0-rc1"),
            ("3:18.09.0-3.rc1", "", "18.09.0-rc1"),
            ("1.13.0", "0.1.rc1.el7", "1.13.0-rc1"),
            ("17.03.0.ce", "0.1.rc1.el7.centos", "17.03.0-ce-rc1"),
            ("1.12.0", "0.1.beta1.el7", "1.12.0-beta1"),
            ("17.06.0.ce", "0.1.tp1.el7", "17.06.0-ce-tp1"),
            ("19.03.0", "2.3.rc.3.el7", "19.03.0-rc.3"),
            ("18.09.1", "2.1.rc1.el7", "18.09.1-rc1"),
        ] {
            assert_eq!(
                mapped(version, release).as_deref(),
                Some(want),
                "{version} / {release}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_docker_version() {
        assert_eq!(mapped("1.0", "1"), None);
        assert_eq!(mapped("", "1.el7"), None);
        assert_eq!(mapped("latest", "1"), None);
        // A distro tag that only looks like a prerelease word is not one.
        assert_eq!(mapped("1.12.6", "1.rcx.el7").as_deref(), Some("1.12.6"));
    }

    #[test]
    fn index_checks_catch_out_of_bounds_entries() {
        let header = |entries: &[[u32; 4]], store: u32| {
            let mut bytes = HEADER_MAGIC.to_vec();
            bytes.extend([0u8; 4]);
            bytes.extend((entries.len() as u32).to_be_bytes());
            bytes.extend(store.to_be_bytes());
            for entry in entries {
                for word in entry {
                    bytes.extend(word.to_be_bytes());
                }
            }
            bytes.resize(bytes.len() + store as usize, 0);
            bytes
        };
        let ok = header(&[[1000, 6, 0, 1], [1004, 7, 4, 16]], 20);
        assert!(check_index(&ok, 2, 20, "test").is_ok());
        for bad in [
            [1000, 6, 20, 1],          // string starting at the end
            [1000, 4, 0, 0x4000_0000], // a billion int32s
            [1000, 7, 0xffff_fff0, 1], // negative offset
            [1000, 42, 0, 1],          // unknown type
            [1000, 8, 0, 21],          // more strings than bytes
        ] {
            let bytes = header(&[bad], 20);
            let err = check_index(&bytes, 1, 20, "test").unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Archive, "{bad:?}");
        }
    }
}
