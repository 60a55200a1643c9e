//! Version and spec parsing: never panics, and whatever parses prints back to itself.
#![no_main]
use dvm::select::version::{DockerVersion, VersionSpec, is_alias_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(v) = DockerVersion::parse(&text) {
        let shown = v.to_string();
        let again = DockerVersion::parse(&shown).unwrap_or_else(|e| {
            panic!("{text:?} parsed as {v:?}, but its display {shown:?} does not: {e}")
        });
        assert_eq!(again, v, "{text:?} -> {shown:?}");
        assert_eq!(again.cmp(&v), std::cmp::Ordering::Equal);
        // What parses as a version is also a spec for exactly that version.
        match VersionSpec::parse(&text) {
            Ok(VersionSpec::Exact(exact)) => assert_eq!(exact, v, "{text:?}"),
            other => panic!("{text:?} is a version but parses as the spec {other:?}"),
        }
    }
    if let Ok(spec) = VersionSpec::parse(&text) {
        let shown = spec.to_string();
        let again = VersionSpec::parse(&shown).unwrap_or_else(|e| {
            panic!("{text:?} parsed as {spec:?}, but its display {shown:?} does not: {e}")
        });
        assert_eq!(again, spec, "{text:?} -> {shown:?}");
        if let VersionSpec::Alias(name) = &spec {
            assert!(is_alias_name(name), "{name:?}");
        }
    }
    // RPM version/release pairs map to Docker versions that also round-trip.
    let (version, release) = text.split_once('\n').unwrap_or((&text, ""));
    if let Some(v) = dvm::archive::rpm_version_to_docker(version, release) {
        assert_eq!(
            DockerVersion::parse(&v.to_string()).ok(),
            Some(v),
            "{text:?}"
        );
    }
});
