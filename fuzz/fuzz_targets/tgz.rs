//! Arbitrary bytes after the gzip magic: gzip framing, deflate, and the tar walker behind it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dvm_fuzz::extract(&dvm_fuzz::with_magic(&[0x1f, 0x8b], data));
});
