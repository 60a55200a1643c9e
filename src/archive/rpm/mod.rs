//! RPM packages: docker-engine 1.x, docker-ce 17.x and docker-ce-cli 18.09+. The client is
//! always `/usr/bin/docker`.
//!
//! The lead and both headers are read here first, with every count and size bounded, because
//! the `rpm` crate allocates whatever a header claims. Only then does the crate parse them, from
//! memory, behind `catch_unwind`. Every digest the package carries is checked; the payload is
//! hashed as it streams past, decompressed only until the client is out, then read through the
//! hashers to the end (payload digests cover the compressed bytes).

mod header;
mod payload;

use std::io::{self, Read};

use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

use super::{ClientSink, RpmInfo, corrupt};
use crate::error::{Error, ErrorKind, Result};
use crate::openpgp::{Keyring, PendingSignature, SignatureProblem, SignedBy};
use crate::select::version::DockerVersion;
use header::{
    LEAD_LEN, LEAD_MAGIC, Parsed, PayloadAlgo, RawHeader, check_digest, parse, payload_algo,
    read_exact, read_header, unverifiable, verify_header,
};
use payload::extract_payload;

/// Hashes every byte read through it, so the payload digests cover exactly what was consumed.
struct HashingReader<R> {
    inner: R,
    md5: Option<Md5>,
    payload: Option<PayloadHasher>,
    /// A signature over the main header and the payload, fed as both stream past.
    signature: Option<PendingSignature>,
    count: u64,
}

enum PayloadHasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl<R> HashingReader<R> {
    /// A reader for the payload with every hasher its digests and signatures need, each
    /// primed with the main header where it covers that too.
    fn new(inner: R, parsed: &Parsed, main: &RawHeader, package: &str) -> Result<Self> {
        Ok(HashingReader {
            inner,
            md5: parsed.md5.as_ref().map(|_| {
                let mut md5 = Md5::new();
                md5.update(&main.bytes);
                md5
            }),
            payload: payload_algo(parsed).map(|algo| match algo {
                PayloadAlgo::Sha256 => PayloadHasher::Sha256(Sha256::new()),
                PayloadAlgo::Sha512 => PayloadHasher::Sha512(Sha512::new()),
            }),
            signature: start_package_signature(parsed, main, package)?,
            count: 0,
        })
    }
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
        if let Some(signature) = &mut self.signature {
            signature.update(chunk);
        }
        self.count += n as u64;
        Ok(n)
    }
}

pub(super) fn extract(
    input: &mut dyn Read,
    sink: &mut ClientSink<'_>,
    keys: &Keyring,
) -> Result<RpmInfo> {
    let (parsed, main) = read_headers(input)?;
    let package = format!(
        "{}-{}-{}.{}",
        parsed.name, parsed.version, parsed.release, parsed.arch
    );
    let mut verified = verify_header(&parsed, &main, &package)?;
    let header_signed = check_header_signature(&parsed, &main, keys, &package)?;

    if let Some(format) = parsed.payload_format.as_deref()
        && format != "cpio"
    {
        return Err(Error::archive(format!(
            "{package}: unsupported payload format '{format}' (expected cpio)"
        )));
    }

    let mut hashing = HashingReader::new(input, &parsed, &main, &package)?;
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
                && let Err(integrity) = verify_payload(&parsed, main_len, &mut hashing, &package)
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
    verified.extend(verify_payload(&parsed, main_len, &mut hashing, &package)?);
    let signature = whole_package_signature(
        header_signed,
        hashing.signature.take(),
        &verified,
        keys,
        &package,
    )?;

    Ok(RpmInfo {
        name: parsed.name,
        version: parsed.version,
        release: parsed.release,
        arch: parsed.arch,
        payload_compressor: compressor.name().to_string(),
        digests_verified: verified,
        signature,
    })
}

/// The signature that covers the whole package: one over header and payload, or one over the
/// header when that header's payload digest was verified (it covers the payload through it).
fn whole_package_signature(
    header_signed: Option<SignedBy>,
    package_signature: Option<PendingSignature>,
    verified: &[String],
    keys: &Keyring,
    package: &str,
) -> Result<Option<SignedBy>> {
    if let Some(pending) = package_signature {
        return pending
            .finish(keys)
            .map(Some)
            .map_err(|e| e.into_error(package));
    }
    let header_covers_payload = verified.iter().any(|d| d.starts_with("payload-"));
    Ok(header_signed.filter(|_| header_covers_payload))
}

/// Checks a signature over the main header, before anything in it is acted on.
fn check_header_signature(
    parsed: &Parsed,
    main: &RawHeader,
    keys: &Keyring,
    package: &str,
) -> Result<Option<SignedBy>> {
    primed_signature(parsed.header_signature.as_deref(), main, package)?
        .map(|pending| pending.finish(keys).map_err(|e| e.into_error(package)))
        .transpose()
}

/// A signature over header and payload, primed with the header; the payload follows as it is read.
fn start_package_signature(
    parsed: &Parsed,
    main: &RawHeader,
    package: &str,
) -> Result<Option<PendingSignature>> {
    primed_signature(parsed.package_signature.as_deref(), main, package)
}

/// The signature in `packets`, fed the main header (every RPM signature starts there). A
/// signature with a hash too weak to count is left out, as if absent; any other problem
/// refuses the file.
fn primed_signature(
    packets: Option<&[u8]>,
    main: &RawHeader,
    package: &str,
) -> Result<Option<PendingSignature>> {
    let Some(packets) = packets else {
        return Ok(None);
    };
    match PendingSignature::from_packets(packets) {
        Ok(mut pending) => {
            pending.update(&main.bytes);
            Ok(Some(pending))
        }
        Err(SignatureProblem::WeakHash { .. }) => Ok(None),
        Err(problem) => Err(problem.into_error(package)),
    }
}

/// The lead and both headers, parsed; the main header's bytes are kept for the MD5.
fn read_headers(input: &mut dyn Read) -> Result<(Parsed, RawHeader)> {
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
    Ok((parsed, main))
}

/// Checks the size and the digests covering the payload, once it has been read to the end.
fn verify_payload<R>(
    parsed: &Parsed,
    main_len: u64,
    hashing: &mut HashingReader<R>,
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
    use super::header::{HEADER_MAGIC, check_index};
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
