//! Shared pieces of the fuzz targets: feeding bytes to the archive extractor with the checks
//! every run must pass, and wrapping a fuzzed cpio payload in an RPM that reaches the walker.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use dvm::error::ErrorKind;
use md5::{Digest, Md5};

/// Where the extractor may write the client: one scratch folder per fuzzing process.
fn dest() -> &'static PathBuf {
    static DEST: OnceLock<PathBuf> = OnceLock::new();
    DEST.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("dvm-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch folder");
        dir.join("docker")
    })
}

/// `data` with its first bytes replaced by `magic`, so the sniffer picks that format while the
/// committed seeds stay byte-for-byte real archives.
pub fn with_magic(magic: &[u8], data: &[u8]) -> Vec<u8> {
    let mut bytes = data.to_vec();
    if bytes.len() < magic.len() {
        bytes.resize(magic.len(), 0);
    }
    bytes[..magic.len()].copy_from_slice(magic);
    bytes
}

/// Docker's keys, parsed once: `extract_client` parses them on every call, which would cost
/// more than most inputs take to extract.
fn keys() -> &'static dvm::openpgp::Keyring {
    static KEYS: OnceLock<dvm::openpgp::Keyring> = OnceLock::new();
    KEYS.get_or_init(|| dvm::openpgp::Keyring::docker().expect("Docker's embedded keys parse"))
}

/// Runs `dvm::archive::extract_client` on `bytes` and checks what must hold for any input:
/// no panic, no internal error, a written client exactly as large as reported, and nothing
/// left behind on failure.
pub fn extract(bytes: &[u8]) {
    let dest = dest();
    let _ = std::fs::remove_file(dest);
    let outcome = dvm::archive::extract_client_with_keys(Cursor::new(bytes), dest, keys());
    // Replaying one input (`cargo fuzz run TARGET FILE`) with this set shows what happened.
    if std::env::var_os("DVM_FUZZ_VERBOSE").is_some() {
        eprintln!("{outcome:?}");
    }
    match outcome {
        Ok(client) => {
            let len = std::fs::metadata(dest).map(|m| m.len()).ok();
            assert_eq!(
                len,
                Some(client.size),
                "the written client has the wrong size"
            );
            assert_eq!(client.sha256.len(), 64);
            std::fs::remove_file(dest).expect("remove the extracted client");
        }
        Err(e) => {
            assert_ne!(
                e.kind(),
                ErrorKind::Internal,
                "internal error on input: {e}"
            );
            assert!(!e.message().is_empty());
            assert!(
                !dest.exists(),
                "a failed extraction left {} behind",
                dest.display()
            );
        }
    }
}

// RPM header tags and types used to wrap a payload.
const SIGTAG_SIZE: u32 = 1000;
const SIGTAG_MD5: u32 = 1004;
const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_ARCH: u32 = 1022;
const TAG_PAYLOADFORMAT: u32 = 1124;
const TAG_PAYLOADCOMPRESSOR: u32 = 1125;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;

enum Value<'a> {
    Int32(u32),
    Str(&'a str),
    Bin(&'a [u8]),
}

/// One RPM header structure: magic, index, store.
fn header(entries: &[(u32, Value<'_>)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut store = Vec::new();
    for (tag, value) in entries {
        let (kind, count) = match value {
            Value::Int32(_) => {
                store.resize(store.len().next_multiple_of(4), 0);
                (TYPE_INT32, 1)
            }
            Value::Str(_) => (TYPE_STRING, 1),
            Value::Bin(b) => (TYPE_BIN, b.len() as u32),
        };
        for word in [*tag, kind, store.len() as u32, count] {
            index.extend(word.to_be_bytes());
        }
        match value {
            Value::Int32(n) => store.extend(n.to_be_bytes()),
            Value::Str(s) => {
                store.extend(s.as_bytes());
                store.push(0);
            }
            Value::Bin(b) => store.extend(*b),
        }
    }
    let mut out = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
    out.extend((entries.len() as u32).to_be_bytes());
    out.extend((store.len() as u32).to_be_bytes());
    out.extend(index);
    out.extend(store);
    out
}

/// A docker-engine RPM whose uncompressed payload is `cpio`, with a correct MD5 and size (its
/// only digests), so every fuzzed byte reaches the cpio walker and success is reachable.
pub fn rpm_around_cpio(cpio: &[u8]) -> Vec<u8> {
    let main = header(&[
        (TAG_NAME, Value::Str("docker-engine")),
        (TAG_VERSION, Value::Str("1.12.6")),
        (TAG_RELEASE, Value::Str("1.el7.centos")),
        (TAG_ARCH, Value::Str("x86_64")),
        (TAG_PAYLOADFORMAT, Value::Str("cpio")),
        (TAG_PAYLOADCOMPRESSOR, Value::Str("none")),
    ]);
    let mut md5 = Md5::new();
    md5.update(&main);
    md5.update(cpio);
    let md5 = md5.finalize();
    let size = (main.len() + cpio.len()) as u32;
    let signature = header(&[
        (SIGTAG_SIZE, Value::Int32(size)),
        (SIGTAG_MD5, Value::Bin(&md5)),
    ]);

    let mut lead = vec![0u8; 96];
    lead[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    lead[4] = 3; // format version 3.0
    lead[10..23].copy_from_slice(b"docker-engine");
    lead[78..80].copy_from_slice(&5u16.to_be_bytes()); // signature type: header-style

    let mut out = lead;
    out.extend(&signature);
    out.resize(out.len().next_multiple_of(8), 0);
    out.extend(&main);
    out.extend(cpio);
    out
}
