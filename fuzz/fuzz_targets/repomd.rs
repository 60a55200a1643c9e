//! repomd.xml: where primary.xml is and its checksum.
#![no_main]
use dvm::sources::repodata::{primary_location, primary_ref};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let location = primary_location(data).ok();
    let reference = primary_ref(data).ok();
    assert_eq!(location, reference.as_ref().map(|r| r.href.clone()));
    if let Some((_, hex)) = reference.and_then(|r| r.checksum) {
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
});
