//! Property tests: every version prints as it parses, and the order is total and consistent.

use std::cmp::Ordering;

use dvm::select::version::{DockerVersion, Edition, PreKind, Prerelease, VersionSpec};
use proptest::prelude::*;

fn any_version() -> impl Strategy<Value = DockerVersion> {
    let edition = prop_oneof![Just(None), Just(Some(Edition::Ce)), Just(Some(Edition::Ee))];
    let pre = prop_oneof![
        Just(None),
        (
            prop_oneof![
                Just(PreKind::Alpha),
                Just(PreKind::Beta),
                Just(PreKind::Tp),
                Just(PreKind::Rc)
            ],
            proptest::option::of(0u32..50),
            any::<bool>()
        )
            .prop_map(|(kind, number, dotted)| Some(Prerelease {
                kind,
                number,
                dotted: dotted && number.is_some()
            })),
    ];
    (0u32..40, 0u32..13, 0u32..30, edition, pre, any::<bool>()).prop_map(
        |(major, minor, patch, edition, pre, padded)| DockerVersion {
            major,
            minor,
            patch,
            edition,
            pre,
            // Only a spelling where it can be one: 22.06, never 17.03 (always padded) or 20.10.
            padded: padded && minor < 10 && !(17..=19).contains(&major),
        },
    )
}

proptest! {
    #[test]
    fn parse_of_display_is_identity(v in any_version()) {
        let shown = v.to_string();
        prop_assert_eq!(DockerVersion::parse(&shown), Ok(v), "{}", shown);
    }

    #[test]
    fn order_is_total_and_consistent(a in any_version(), b in any_version(), c in any_version()) {
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
    }

    #[test]
    fn prereleases_sort_before_their_release(v in any_version()) {
        let release = DockerVersion { pre: None, ..v };
        if v.pre.is_some() {
            prop_assert!(v < release);
        }
    }

    #[test]
    fn exact_spec_matches_its_version(v in any_version()) {
        let spec = VersionSpec::parse(&v.to_string()).unwrap();
        prop_assert!(spec.matches(&v));
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,80}") {
        let _ = DockerVersion::parse(&s);
        let _ = VersionSpec::parse(&s);
    }
}
