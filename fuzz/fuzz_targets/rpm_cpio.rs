//! Arbitrary bytes as the (uncompressed) cpio payload of an RPM whose headers and digests are
//! valid, so the fuzzer spends its time in the cpio walker rather than on digest mismatches.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dvm_fuzz::extract(&dvm_fuzz::rpm_around_cpio(data));
});
