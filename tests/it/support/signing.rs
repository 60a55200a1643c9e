//! Signing fixture RPMs the way `rpmsign` does, with committed test keys: a signature over the
//! main header (tag 268, what rpm 4.14+ writes) and/or over the header and payload (tag 1002,
//! what older rpmsign wrote too). The signature header is rebuilt with the new entry appended.

use std::path::PathBuf;

use pgp::composed::{Deserializable, DetachedSignature, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize;
use pgp::types::Password;
use rand::SeedableRng;

use super::archives::rpm_offsets;

/// The key whose public half TestEnv trusts (DVM_RPM_KEYS).
pub const TEST_KEY: &str = include_str!("../../fixtures/keys/test-signing.sec.asc");
pub const TEST_KEY_ID: &str = "9D751D4A2E5C2BC2";
/// A key nobody trusts.
pub const OTHER_KEY: &str = include_str!("../../fixtures/keys/other.sec.asc");
pub const OTHER_KEY_ID: &str = "6104906F74CA35CC";

pub fn test_public_key() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys/test-signing.pub.asc")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// Tag 268: the main header only (its payload digest covers the rest).
    Header,
    /// Tag 1002: the main header and the payload.
    HeaderAndPayload,
}

/// An OpenPGP signature packet by `secret` (armored) over `data`.
pub fn sign(secret: &str, data: &[u8]) -> Vec<u8> {
    let (key, _) = SignedSecretKey::from_string(secret).expect("test key");
    let rng = rand::rngs::StdRng::seed_from_u64(7);
    let signature = DetachedSignature::sign_binary_data(
        rng,
        &key.primary_key,
        &Password::empty(),
        HashAlgorithm::Sha256,
        data,
    )
    .expect("sign");
    signature.to_bytes().expect("serialize")
}

/// An armored detached signature by `secret` over `data`, as `gpg --detach-sign --armor`
/// writes `repomd.xml.asc`.
pub fn sign_armored(secret: &str, data: &[u8]) -> Vec<u8> {
    let (key, _) = SignedSecretKey::from_string(secret).expect("test key");
    let rng = rand::rngs::StdRng::seed_from_u64(7);
    DetachedSignature::sign_binary_data(
        rng,
        &key.primary_key,
        &Password::empty(),
        HashAlgorithm::Sha512,
        data,
    )
    .expect("sign")
    .to_armored_bytes(Default::default())
    .expect("armor")
}

/// `rpm` with a signature by `secret` added to its signature header.
pub fn sign_rpm(rpm: &[u8], secret: &str, covers: Covers) -> Vec<u8> {
    let (signature, main, payload) = rpm_offsets(rpm);
    let signed = match covers {
        Covers::Header => &rpm[main..payload],
        Covers::HeaderAndPayload => &rpm[main..],
    };
    let tag = match covers {
        Covers::Header => 268,
        Covers::HeaderAndPayload => 1002,
    };
    let packet = sign(secret, signed);
    let word = |o: usize| u32::from_be_bytes(rpm[o..o + 4].try_into().unwrap());
    let count = word(signature + 8) as usize;
    let store_len = word(signature + 12) as usize;
    let index = &rpm[signature + 16..signature + 16 + count * 16];
    let store = &rpm[signature + 16 + count * 16..signature + 16 + count * 16 + store_len];

    let mut header = rpm[signature..signature + 8].to_vec();
    header.extend(((count + 1) as u32).to_be_bytes());
    header.extend(((store_len + packet.len()) as u32).to_be_bytes());
    header.extend_from_slice(index);
    for word in [tag, 7, store_len as u32, packet.len() as u32] {
        header.extend(word.to_be_bytes());
    }
    header.extend_from_slice(store);
    header.extend_from_slice(&packet);
    while !header.len().is_multiple_of(8) {
        header.push(0);
    }
    let mut out = rpm[..signature].to_vec();
    out.extend(header);
    out.extend_from_slice(&rpm[main..]);
    out
}
