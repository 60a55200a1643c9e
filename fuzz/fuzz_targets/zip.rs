//! Arbitrary bytes after the zip local header magic: the streaming zip walker.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dvm_fuzz::extract(&dvm_fuzz::with_magic(b"PK\x03\x04", data));
});
