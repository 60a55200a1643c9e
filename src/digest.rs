//! Hashing and comparing digests: the sha256/sha1 vocabulary every verification speaks.
//! Hashing happens as bytes stream past ([`HashingReader`]); the comparisons say whose word
//! the expectation was.

use std::fmt;
use std::io::{self, Read};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Which digest algorithm a repodata checksum uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgo {
    Sha1,
    Sha256,
}

impl DigestAlgo {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgo::Sha1 => "sha1",
            DigestAlgo::Sha256 => "sha256",
        }
    }
}

impl fmt::Display for DigestAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads through `inner`, hashing every byte with sha256 (and sha1 when repodata asks for it).
pub struct HashingReader<R> {
    inner: R,
    sha256: Sha256,
    sha1: Option<sha1::Sha1>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            sha256: Sha256::new(),
            sha1: None,
            count: 0,
        }
    }

    pub fn with_sha1(mut self) -> Self {
        self.sha1 = Some(sha1::Sha1::new());
        self
    }

    /// Reads the rest to EOF, then returns (sha256 hex, bytes read).
    pub fn finish(self) -> io::Result<(String, u64)> {
        self.finish_all().map(|(sha256, _, count)| (sha256, count))
    }

    /// Reads the rest to EOF, then returns (sha256 hex, sha1 hex or empty, bytes read).
    pub fn finish_all(mut self) -> io::Result<(String, String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let sha1 = self
            .sha1
            .map(|h| hex::encode(h.finalize()))
            .unwrap_or_default();
        Ok((hex::encode(self.sha256.finalize()), sha1, self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        self.sha256.update(data);
        if let Some(h) = &mut self.sha1 {
            h.update(data);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// 64 hex digits, lowercased; `None` otherwise.
pub fn valid_sha256(hex: &str) -> Option<String> {
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// The digest in a `.sha256` file: `<hex>  <name>`, `<hex> *<name>` or bare `<hex>`.
/// Anything else is a network-kind error, not an integrity one: a file that holds no checksum
/// (a login page, an error page) vouches for nothing and contradicts nothing.
pub fn parse_sha256_file(text: &str) -> Result<String> {
    let first = text
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .next()
        .unwrap_or("");
    valid_sha256(first).ok_or_else(|| {
        let shown: String = text.chars().take(80).collect();
        Error::network(format!(
            "not a sha256 checksum file (expected 64 hex digits, got '{}')",
            shown.escape_default()
        ))
        .with_hint(
            "the server answered with something else (an error or login page?); check the \
             network and the mirror, then retry",
        )
    })
}

/// Fails with an integrity error naming what was expected, what arrived, and from where.
/// `what` says whose word the expectation is, e.g. "sha256 published at <url>.sha256".
pub fn check_digest(expected_hex: &str, actual_hex: &str, what: &str, url: &str) -> Result<()> {
    if !expected_hex.is_empty() && expected_hex.trim().eq_ignore_ascii_case(actual_hex.trim()) {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "{url} does not match the {what}: expected {expected_hex}, got {actual_hex}"
    ))
    .with_hint(
        "the file is corrupt or was tampered with; nothing was installed and the download was \
         discarded. Retry; if it persists, check your mirror",
    ))
}

/// The hex digest of `bytes` in `algo`.
pub fn digest(algo: DigestAlgo, bytes: &[u8]) -> String {
    match algo {
        DigestAlgo::Sha1 => hex::encode(sha1::Sha1::digest(bytes)),
        DigestAlgo::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
    }
}
