//! Arbitrary bytes as the tar stream inside a valid gzip member, so every fuzzed byte reaches
//! the tar walker (headers, long names, pax records, entry types, paths).
#![no_main]
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Stored blocks: the cheapest valid gzip.
    let mut gz = GzEncoder::new(Vec::new(), Compression::none());
    gz.write_all(data).expect("gzip into memory");
    dvm_fuzz::extract(&gz.finish().expect("gzip into memory"));
});
