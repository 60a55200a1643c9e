use super::*;

fn v(s: &str) -> DockerVersion {
    DockerVersion::parse(s).unwrap()
}

#[test]
fn parses_and_displays_as_docker_wrote_them() {
    for (input, shown) in [
        ("1.12.6", "1.12.6"),
        ("17.03.0-ce", "17.03.0-ce"),
        ("17.3.0-ce", "17.03.0-ce"),
        ("17.03.0.ce", "17.03.0-ce"),
        ("17.03.0-ce-rc1", "17.03.0-ce-rc1"),
        ("23.0.0-rc.1", "23.0.0-rc.1"),
        ("18.09.0~rc.1", "18.09.0-rc.1"),
        ("1.13.0-rc4", "1.13.0-rc4"),
        ("1.12.0-beta1", "1.12.0-beta1"),
        ("17.05.0-ce-tp1", "17.05.0-ce-tp1"),
        ("v20.10.24", "20.10.24"),
        ("19.03.15", "19.03.15"),
    ] {
        assert_eq!(v(input).to_string(), shown, "display of {input}");
    }
}

#[test]
fn a_padded_minor_is_spelling_only() {
    // download.docker.com names it docker-22.06.0-beta.0.tgz; the name must survive.
    let page = v("22.06.0-beta.0");
    let typed = v("22.6.0-beta.0");
    assert!(page.padded && !typed.padded);
    assert!(page.same_release(&typed));
    assert_eq!(page.cmp(&typed).is_eq(), page == typed);
    assert!(VersionSpec::parse("22.6.0-beta.0").unwrap().matches(&page));
    assert!(
        VersionSpec::parse("22.06")
            .unwrap()
            .matches_with_prereleases(&page)
    );
    // 17.x-19.x always print padded, so there it is no spelling at all.
    assert_eq!(v("17.3.0-ce"), v("17.03.0-ce"));
    assert!(!v("17.03.0-ce").padded);
}

#[test]
fn rejects_garbage_with_a_reason() {
    for bad in [
        "",
        "1..2",
        "1.2",
        "latest-ish",
        "1.2.3.4",
        "1.2.3-",
        "1.2.3-xyz",
        "a.b.c",
        "1.2.3\0",
        "99999999999.1.1",
        "1.2.3-rc99999999999",
    ] {
        let e = DockerVersion::parse(bad).unwrap_err();
        assert!(!e.reason.is_empty(), "{bad}");
    }
    let long = "1".repeat(10_000);
    assert!(DockerVersion::parse(&long).is_err());
    assert!(VersionSpec::parse(&long).is_err());
}

#[test]
fn orders_prereleases_before_their_release() {
    let mut list = [
        v("17.03.0-ce"),
        v("1.12.6"),
        v("1.9.1"),
        v("17.03.0-ce-rc1"),
        v("23.0.0-rc.1"),
        v("23.0.0-beta1"),
        v("23.0.0"),
        v("1.10.3"),
    ];
    list.sort();
    let shown: Vec<String> = list.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        shown,
        [
            "1.9.1",
            "1.10.3",
            "1.12.6",
            "17.03.0-ce-rc1",
            "17.03.0-ce",
            "23.0.0-beta1",
            "23.0.0-rc.1",
            "23.0.0"
        ]
    );
}

#[test]
fn orders_technical_previews_before_betas_before_release_candidates() {
    // 18.09.0 went tp0..tp6, then beta1 (still `-ce-`), then the rcs, then the release.
    let published = [
        "18.09.0-ce-tp0",
        "18.09.0-ce-tp1",
        "18.09.0-ce-tp2",
        "18.09.0-ce-tp3",
        "18.09.0-ce-tp4",
        "18.09.0-ce-tp5",
        "18.09.0-ce-tp6",
        "18.09.0-ce-beta1",
        "18.09.0-beta3",
        "18.09.0-ce-rc1",
        "18.09.0-rc1",
        "18.09.0",
        "18.09.1-beta1",
    ];
    let mut sorted: Vec<DockerVersion> = published.iter().rev().map(|s| v(s)).collect();
    sorted.sort();
    let shown: Vec<String> = sorted.iter().map(|v| v.to_string()).collect();
    let mut want: Vec<&str> = published.to_vec();
    // Same numbers and rc: the edition decides, none before `-ce`.
    want.swap(9, 10);
    assert_eq!(shown, want);
    assert!(v("18.09.0-ce-tp6") < v("18.09.0-ce-beta1"));
    assert!(v("18.09.0-ce-beta1") < v("18.09.0-rc1"));
    assert!(v("17.06.0-ce-rc1") > v("17.06.0-ce-tp1"));
    assert!(v("1.12.0-alpha1") < v("1.12.0-tp1"));
    // Spellings round-trip.
    for s in published {
        assert_eq!(v(s).to_string(), s);
    }
}

#[test]
fn specs_match_like_users_expect() {
    let installed = [
        v("1.12.5"),
        v("1.12.6"),
        v("17.03.2-ce"),
        v("20.10.24"),
        v("23.0.0-rc.1"),
    ];
    let best = |s: &str| {
        VersionSpec::parse(s)
            .unwrap()
            .best_match(installed.iter())
            .map(|v| v.to_string())
    };
    assert_eq!(best("1.12").as_deref(), Some("1.12.6"));
    assert_eq!(best("17.3").as_deref(), Some("17.03.2-ce"));
    assert_eq!(best("17.03").as_deref(), Some("17.03.2-ce"));
    assert_eq!(best("17.03.2").as_deref(), Some("17.03.2-ce"));
    assert_eq!(best("17.03.2-ee"), None);
    assert_eq!(best("latest").as_deref(), Some("20.10.24"));
    assert_eq!(best("23").as_deref(), None);
    assert_eq!(best("23.0.0-rc.1").as_deref(), Some("23.0.0-rc.1"));
    assert_eq!(best("20").as_deref(), Some("20.10.24"));
    assert_eq!(VersionSpec::parse("system").unwrap(), VersionSpec::System);
    assert_eq!(
        VersionSpec::parse("work").unwrap(),
        VersionSpec::Alias("work".into())
    );
    assert!(VersionSpec::parse("1..2").is_err());
    assert!(VersionSpec::parse("-x").is_err());
}
