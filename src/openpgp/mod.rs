//! OpenPGP signatures: Docker's signing keys (embedded), keys the user adds, and checking one
//! signature over data fed in pieces, so a package is verified in the same pass that extracts
//! it and nothing is read twice.
//!
//! Only what RPM and yum use is supported: v4 (and v3) binary signatures, RSA, DSA, ECDSA or
//! EdDSA keys, and hashes of at least 224 bits. A SHA-1 or MD5 signature does not count.

use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{Packet, PacketParser, Signature, SignatureType, SignatureVersion};
use pgp::types::{KeyDetails, VerifyingKey};

use crate::error::{Error, IoContext, Result};

/// Docker's signing keys, as published: `(file, label, fingerprint)`. The fingerprint is
/// recomputed from the key material by a test; a key whose fingerprint differs is not Docker's.
pub const DOCKER_KEYS: &[(&str, &str, &str)] = &[
    (
        include_str!("../../data/keys/docker-ce-rpm.asc"),
        "Docker Release (CE rpm), download.docker.com",
        "060A61C51B558A7F742B77AAC52FEB6B621E9F35",
    ),
    (
        include_str!("../../data/keys/docker-engine-releasedocker.asc"),
        "Docker Release Tool (releasedocker), yum.dockerproject.org",
        "58118E89F3A912897C070ADBF76221572C52609D",
    ),
];

/// A key file larger than this is not a key (a user may point at the wrong file).
const MAX_KEY_FILE: u64 = 1024 * 1024;

/// The keys whose signatures are accepted.
pub struct Keyring {
    keys: Vec<TrustedKey>,
}

struct TrustedKey {
    key: SignedPublicKey,
    /// Where the key came from, for messages and provenance.
    origin: String,
}

/// Who made a signature that verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedBy {
    /// The signing key's 64-bit id, upper-case hex (as `gpg --keyid-format long` shows it).
    pub key_id: String,
    /// The primary key's fingerprint, upper-case hex.
    pub fingerprint: String,
    /// Where the key came from: Docker's embedded key, or the user's key file.
    pub key: String,
    /// The signature's hash algorithm, e.g. `SHA512`.
    pub hash: String,
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureProblem {
    /// Not a signature this module can read.
    Malformed(String),
    /// A hash too weak to prove anything today.
    WeakHash { key_id: String, hash: String },
    /// Signed by a key that is not in the keyring.
    UnknownKey { key_id: String },
    /// The key is known and the signature is not over these bytes.
    Mismatch { key_id: String, key: String },
}

impl fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureProblem::Malformed(why) => write!(f, "its signature is malformed ({why})"),
            SignatureProblem::WeakHash { key_id, hash } => write!(
                f,
                "its signature by key {key_id} uses {hash}, which is too weak to count"
            ),
            SignatureProblem::UnknownKey { key_id } => {
                write!(f, "it is signed by key {key_id}, which dvm does not know")
            }
            SignatureProblem::Mismatch { key_id, key } => write!(
                f,
                "its signature by key {key_id} ({key}) does not match its contents"
            ),
        }
    }
}

impl SignatureProblem {
    /// The error for `file` (a package or a URL) whose signature failed: exit 5, with the
    /// next step for each cause.
    pub fn into_error(self, file: &str) -> Error {
        let hint = match &self {
            SignatureProblem::UnknownKey { .. } => {
                "if you trust the key (a mirror that re-signs, an internal build), add its public \
                 key: dvm config set rpm_keys /path/to/key.asc (or DVM_RPM_KEYS)"
            }
            SignatureProblem::WeakHash { .. } | SignatureProblem::Malformed(_) => {
                "the file cannot be shown to come from its signer: get it from another source"
            }
            SignatureProblem::Mismatch { .. } => {
                "the file was altered after it was signed: do not use it; get a fresh copy and \
                 check where it came from"
            }
        };
        Error::integrity(format!("refusing {file}: {self}")).with_hint(hint)
    }
}

impl Keyring {
    /// Docker's embedded keys.
    pub fn docker() -> Result<Keyring> {
        let mut ring = Keyring { keys: Vec::new() };
        for (armored, label, _) in DOCKER_KEYS {
            ring.add_armored(armored, &format!("embedded key: {label}"))?;
        }
        Ok(ring)
    }

    /// Docker's keys and the user's (`rpm_keys`): armored or binary key files.
    pub fn with_user_keys(paths: &[&Path]) -> Result<Keyring> {
        let mut ring = Keyring::docker()?;
        for path in paths {
            let bytes = read_key_file(path).map_err(|e| e.context("setting `rpm_keys`"))?;
            ring.add_bytes(&bytes, &path.display().to_string())
                .map_err(|e| e.context("setting `rpm_keys`"))?;
        }
        Ok(ring)
    }

    fn add_armored(&mut self, text: &str, origin: &str) -> Result<()> {
        self.add_bytes(text.as_bytes(), origin)
    }

    /// Adds every public key in `bytes` (armored or binary); at least one must be there.
    fn add_bytes(&mut self, bytes: &[u8], origin: &str) -> Result<()> {
        let bad = |why: String| {
            Error::config(format!("{origin} is not an OpenPGP public key ({why})")).with_hint(
                "export the key with `gpg --armor --export KEYID > key.asc` and point rpm_keys \
                 at that file",
            )
        };
        let keys = SignedPublicKey::from_reader_many(Cursor::new(bytes))
            .map_err(|e| bad(e.to_string()))?
            .0;
        let before = self.keys.len();
        for key in keys {
            let key = key.map_err(|e| bad(e.to_string()))?;
            key.verify_bindings().map_err(|e| bad(e.to_string()))?;
            self.keys.push(TrustedKey {
                key,
                origin: origin.to_string(),
            });
        }
        if self.keys.len() == before {
            return Err(bad("it holds no key".into()));
        }
        Ok(())
    }

    /// Every key's primary fingerprint, upper-case hex, in the order added.
    pub fn fingerprints(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| hex::encode_upper(k.key.primary_key.fingerprint().as_bytes()))
            .collect()
    }
}

fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_path("read", path)?;
    crate::fsutil::read_capped(
        file,
        path,
        MAX_KEY_FILE,
        "public key",
        "point rpm_keys at an exported public key (.asc)",
    )
}

/// One signature, waiting for the bytes it covers.
pub struct PendingSignature {
    signature: Signature,
    hasher: Box<dyn sha2::digest::DynDigest + Send>,
    key_id: String,
}

impl PendingSignature {
    /// Reads the first signature packet in `packets` (binary, as in an RPM header).
    pub fn from_packets(packets: &[u8]) -> std::result::Result<Self, SignatureProblem> {
        let malformed = |why: String| SignatureProblem::Malformed(why);
        let signature = PacketParser::new(Cursor::new(packets))
            .find_map(|packet| match packet {
                Ok(Packet::Signature(sig)) => Some(Ok(sig)),
                Ok(_) => None,
                Err(e) => Some(Err(malformed(e.to_string()))),
            })
            .unwrap_or_else(|| Err(malformed("no signature packet".into())))?;
        Self::new(signature)
    }

    /// Reads an armored detached signature (`repomd.xml.asc`).
    pub fn from_armored(text: &[u8]) -> std::result::Result<Self, SignatureProblem> {
        let (detached, _) = pgp::composed::DetachedSignature::from_reader_single(Cursor::new(text))
            .map_err(|e| SignatureProblem::Malformed(e.to_string()))?;
        Self::new(detached.signature)
    }

    fn new(signature: Signature) -> std::result::Result<Self, SignatureProblem> {
        let key_id = issuer_key_id(&signature);
        let config = signature
            .config()
            .ok_or_else(|| SignatureProblem::Malformed("an unknown signature version".into()))?;
        if !matches!(
            config.version(),
            SignatureVersion::V3 | SignatureVersion::V4
        ) {
            return Err(SignatureProblem::Malformed(format!(
                "signature version {:?} is not used by RPM",
                config.version()
            )));
        }
        let hash = config.hash_alg;
        if matches!(
            hash,
            HashAlgorithm::None
                | HashAlgorithm::Md5
                | HashAlgorithm::Sha1
                | HashAlgorithm::Ripemd160
        ) {
            return Err(SignatureProblem::WeakHash {
                key_id,
                hash: hash.to_string(),
            });
        }
        let hasher = hash
            .new_hasher()
            .map_err(|e| SignatureProblem::Malformed(e.to_string()))?;
        Ok(PendingSignature {
            signature,
            hasher,
            key_id,
        })
    }

    /// The issuer's key id as the signature names it (empty when it names none).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }

    /// Completes the hash and checks it against the issuer's key in `keyring`.
    pub fn finish(self, keyring: &Keyring) -> std::result::Result<SignedBy, SignatureProblem> {
        let PendingSignature {
            signature,
            mut hasher,
            key_id,
        } = self;
        let malformed = |e: pgp::errors::Error| SignatureProblem::Malformed(e.to_string());
        let config = signature
            .config()
            .ok_or_else(|| SignatureProblem::Malformed("an unknown signature version".into()))?;
        let len = config.hash_signature_data(&mut hasher).map_err(malformed)?;
        hasher.update(&config.trailer(len).map_err(malformed)?);
        let digest = hasher.finalize();
        let (Some(raw), Some(quick)) = (signature.signature(), signature.signed_hash_value())
        else {
            return Err(SignatureProblem::Malformed(
                "it carries no signature value".into(),
            ));
        };
        for trusted in &keyring.keys {
            let primary = &trusted.key.primary_key;
            let subkeys = trusted.key.public_subkeys.iter().map(|s| &s.key);
            let candidates = std::iter::once(primary as &dyn VerifyingKeyDetails)
                .chain(subkeys.map(|k| k as &dyn VerifyingKeyDetails));
            for candidate in candidates {
                if !issued_by(&signature, candidate) {
                    continue;
                }
                let verified = digest.get(..2) == Some(&quick[..])
                    && candidate.verify(config.hash_alg, &digest, raw).is_ok();
                if !verified {
                    return Err(SignatureProblem::Mismatch {
                        key_id: upper_key_id(candidate),
                        key: trusted.origin.clone(),
                    });
                }
                return Ok(SignedBy {
                    key_id: upper_key_id(candidate),
                    fingerprint: hex::encode_upper(primary.fingerprint().as_bytes()),
                    key: trusted.origin.clone(),
                    hash: config.hash_alg.to_string(),
                });
            }
        }
        Err(SignatureProblem::UnknownKey { key_id })
    }
}

/// Checks an armored detached signature (`repomd.xml.asc`) over `data`. A text signature
/// (type 0x01) covers the data with CRLF line endings, as RFC 4880 defines it.
pub fn verify_detached(
    armored: &[u8],
    data: &[u8],
    keyring: &Keyring,
) -> std::result::Result<SignedBy, SignatureProblem> {
    let mut pending = PendingSignature::from_armored(armored)?;
    if pending.signature.typ() == Some(SignatureType::Text) {
        for line in data.split_inclusive(|b| *b == b'\n') {
            match line.strip_suffix(b"\n") {
                Some(body) if !body.ends_with(b"\r") => {
                    pending.update(body);
                    pending.update(b"\r\n");
                }
                _ => pending.update(line),
            }
        }
    } else {
        pending.update(data);
    }
    pending.finish(keyring)
}

/// The keyring, parsed the first time a signature needs it: parsing keys costs milliseconds,
/// and most commands never check a signature.
pub struct LazyKeyring {
    user_keys: Vec<PathBuf>,
    ring: OnceLock<Keyring>,
}

impl LazyKeyring {
    /// Docker's keys and the user's key files (`rpm_keys`).
    pub const fn new(user_keys: Vec<PathBuf>) -> Self {
        LazyKeyring {
            user_keys,
            ring: OnceLock::new(),
        }
    }

    pub fn get(&self) -> Result<&Keyring> {
        if let Some(ring) = self.ring.get() {
            return Ok(ring);
        }
        let paths: Vec<&Path> = self.user_keys.iter().map(PathBuf::as_path).collect();
        let ring = Keyring::with_user_keys(&paths)?;
        Ok(self.ring.get_or_init(|| ring))
    }
}

/// Whether `signature` names `key` as its issuer. One that names no issuer is tried against
/// every key: only the right one can verify it.
fn issued_by(signature: &Signature, key: &dyn VerifyingKeyDetails) -> bool {
    let fingerprints = signature.issuer_fingerprint();
    let ids = signature.issuer_key_id();
    if fingerprints.is_empty() && ids.is_empty() {
        return true;
    }
    fingerprints.iter().any(|f| **f == key.fingerprint())
        || ids.iter().any(|id| **id == key.legacy_key_id())
}

/// A key that can verify, whether primary or subkey.
trait VerifyingKeyDetails: VerifyingKey + KeyDetails {}
impl<T: VerifyingKey + KeyDetails> VerifyingKeyDetails for T {}

fn upper_key_id(key: &dyn VerifyingKeyDetails) -> String {
    hex::encode_upper(key.legacy_key_id().as_ref())
}

fn issuer_key_id(signature: &Signature) -> String {
    if let Some(id) = signature.issuer_key_id().first() {
        return hex::encode_upper(id.as_ref());
    }
    // A v4 fingerprint ends with the key id.
    signature
        .issuer_fingerprint()
        .first()
        .map(|f| {
            let bytes = f.as_bytes();
            hex::encode_upper(&bytes[bytes.len().saturating_sub(8)..])
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_keys_have_the_published_fingerprints() {
        let ring = Keyring::docker().unwrap();
        let want: Vec<String> = DOCKER_KEYS.iter().map(|k| k.2.to_string()).collect();
        assert_eq!(ring.fingerprints(), want);
    }

    #[test]
    fn garbage_is_not_a_signature() {
        for bytes in [
            &b""[..],
            b"\x00\x01\x02",
            b"-----BEGIN PGP SIGNATURE-----\n",
        ] {
            assert!(PendingSignature::from_packets(bytes).is_err());
            assert!(PendingSignature::from_armored(bytes).is_err());
        }
    }
}
