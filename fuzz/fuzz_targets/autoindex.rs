//! Directory listing pages: never panics, and only plain docker archive names come out.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let names = dvm::sources::autoindex::parse(&html);
    for (i, name) in names.iter().enumerate() {
        assert!(name.starts_with("docker-"), "{name:?}");
        assert!(name.ends_with(".tgz") || name.ends_with(".zip"), "{name:?}");
        assert!(!name.contains(['/', '\\']) && name.len() <= 200, "{name:?}");
        assert!(!names[..i].contains(name), "duplicate {name:?}");
    }
});
