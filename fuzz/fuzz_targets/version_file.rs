//! Version files in both modes: `.docker-version` (one spec) and `.tool-versions`.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count();
    for tool_versions in [false, true] {
        let path = Path::new(if tool_versions {
            ".tool-versions"
        } else {
            ".docker-version"
        });
        match dvm::select::resolve::parse_version_file(path, data, tool_versions) {
            Ok(Some((_, line))) => assert!((1..=lines).contains(&line), "line {line} of {lines}"),
            Ok(None) => {}
            Err(e) => {
                assert!(!e.message.is_empty());
                if let Some(line) = e.line {
                    assert!(
                        (1..=lines).contains(&line),
                        "error on line {line} of {lines}"
                    );
                }
            }
        }
    }
});
