//! primary.xml, plain or compressed (gzip, xz, zstd, bzip2 are picked by magic).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packages) = dvm::sources::repodata::parse_primary(data) {
        for p in packages {
            assert!(!p.name.is_empty() && !p.arch.is_empty());
        }
    }
});
