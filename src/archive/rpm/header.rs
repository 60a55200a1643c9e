//! The RPM lead and its two headers, read with every count and size bounded (the `rpm` crate
//! allocates whatever a header claims), then parsed by the crate from memory behind
//! `catch_unwind`, and the header digests checked.

use std::io::{self, Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::archive::corrupt;
use crate::error::{Error, Result};

pub(super) const LEAD_LEN: usize = 96;
pub(super) const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
pub(super) const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
pub(super) const INTRO_LEN: usize = 16;
pub(super) const INDEX_ENTRY_LEN: u64 = 16;
pub(super) const MAX_INDEX_ENTRIES: u32 = 100_000;
pub(super) const MAX_HEADER_STORE: u32 = 64 * 1024 * 1024;

// Signature header tags.
const SIGTAG_SIZE: u32 = 1000;
const SIGTAG_LONGSIZE: u32 = 270;
const SIGTAG_SHA1: u32 = 269;
const SIGTAG_SHA256: u32 = 273;
const SIGTAG_MD5: u32 = 1004;
// OpenPGP signatures: over the main header alone, or over the header and the payload.
const SIGTAG_DSAHEADER: u32 = 267;
const SIGTAG_RSAHEADER: u32 = 268;
const SIGTAG_PGP: u32 = 1002;
const SIGTAG_GPG: u32 = 1005;
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
pub(super) struct RawHeader {
    pub(super) bytes: Vec<u8>,
    pub(super) store_len: u32,
}

/// What we need from the headers, copied out of the `rpm` crate's structures.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) release: String,
    pub(super) arch: String,
    pub(super) payload_format: Option<String>,
    pub(super) compressor: Option<String>,
    pub(super) size: Option<u64>,
    pub(super) header_sha1: Option<String>,
    pub(super) header_sha256: Option<String>,
    pub(super) md5: Option<Vec<u8>>,
    pub(super) payload_digest: Option<String>,
    pub(super) payload_digest_algo: Option<u32>,
    /// An OpenPGP signature over the main header.
    pub(super) header_signature: Option<Vec<u8>>,
    /// An OpenPGP signature over the main header and the payload (older rpmsign).
    pub(super) package_signature: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum PayloadAlgo {
    Sha256,
    Sha512,
}

pub(super) fn read_exact(input: &mut dyn Read, buf: &mut [u8], what: &str) -> Result<()> {
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
pub(super) fn read_header(input: &mut dyn Read, which: &str) -> Result<RawHeader> {
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
pub(super) fn check_index(header: &[u8], count: u32, store_len: u32, what: &str) -> Result<()> {
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
pub(super) fn parse(
    lead: &[u8],
    signature: &RawHeader,
    padding: u32,
    main: &RawHeader,
) -> Result<Parsed> {
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

pub(super) fn read_fields(metadata: &::rpm::PackageMetadata) -> Parsed {
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
    fn binary<T: ::rpm::Tag>(header: &::rpm::Header<T>, tags: &[u32]) -> Option<Vec<u8>> {
        tags.iter().find_map(|&tag| match header.entry(tag).ok()? {
            IndexData::Bin(b) => Some(b),
            _ => None,
        })
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
        header_signature: binary(sig, &[SIGTAG_RSAHEADER, SIGTAG_DSAHEADER]),
        package_signature: binary(sig, &[SIGTAG_PGP, SIGTAG_GPG]),
    }
}

/// Checks the digests that cover the main header, before anything in it is acted on.
pub(super) fn verify_header(
    parsed: &Parsed,
    main: &RawHeader,
    package: &str,
) -> Result<Vec<String>> {
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

pub(super) fn payload_algo(parsed: &Parsed) -> Option<PayloadAlgo> {
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

pub(super) fn check_digest(package: &str, name: &str, expected: &str, actual: &str) -> Result<()> {
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

pub(super) fn unverifiable(package: &str, why: &str) -> Error {
    Error::archive(format!("unverifiable RPM {package}: {why}"))
        .with_hint("refusing to trust a package whose digests cannot be checked")
}
