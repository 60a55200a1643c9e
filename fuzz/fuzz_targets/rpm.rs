//! Arbitrary bytes after the RPM lead magic: lead, header bounds, the `rpm` crate's parser,
//! digests, decompressors and the cpio walker, through the public entry point.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dvm_fuzz::extract(&dvm_fuzz::with_magic(&[0xed, 0xab, 0xee, 0xdb], data));
});
