use super::*;

fn v(ver: &str, rel: &str) -> Option<String> {
    crate::archive::rpm_version_to_docker(ver, rel).map(|v| v.to_string())
}

#[test]
fn maps_rpm_versions_to_docker_versions() {
    assert_eq!(v("1.12.6", "1.el7.centos").as_deref(), Some("1.12.6"));
    assert_eq!(
        v("17.03.2.ce", "1.el7.centos").as_deref(),
        Some("17.03.2-ce")
    );
    assert_eq!(
        v("17.05.0.ce", "0.1.rc1.el7.centos").as_deref(),
        Some("17.05.0-ce-rc1")
    );
    assert_eq!(v("1.13.0", "0.1.rc3.fc24").as_deref(), Some("1.13.0-rc3"));
    assert_eq!(
        v("18.09.1", "0.1.beta5.el7").as_deref(),
        Some("18.09.1-beta5")
    );
    assert_eq!(v("23.0.0", "0.3.rc.1.el8").as_deref(), Some("23.0.0-rc.1"));
    assert_eq!(v("18.09.0~rc.1", "1.el7").as_deref(), Some("18.09.0-rc.1"));
    assert_eq!(v("20.10.24", "3.el7").as_deref(), Some("20.10.24"));
    assert_eq!(v("1.12.0", "0.0.tp1.el7").as_deref(), Some("1.12.0-tp1"));
    assert_eq!(v("garbage", "1"), None);
}

#[test]
fn compares_releases_like_rpm() {
    use std::cmp::Ordering::*;
    assert_eq!(compare_release("3.el7", "1.el7"), Greater);
    assert_eq!(compare_release("10.el7", "9.el7"), Greater);
    assert_eq!(compare_release("1.el7", "1.el7"), Equal);
    assert_eq!(compare_release("1.el7.1", "1.el7"), Greater);
    assert_eq!(compare_release("1.1", "1.a"), Greater);
}

#[test]
fn decompress_refuses_output_above_the_cap() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&vec![b'x'; 10_000]).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(decompress(&gz, 10_000).unwrap().len(), 10_000);
    assert!(decompress(&gz, 9_999).is_err());
    assert!(decompress(&[0x1f, 0x8b, 0, 1, 2], 100).is_err());
}
