use super::*;
use crate::archive::ArchiveKind;

fn manifest(v: &str) -> Manifest {
    Manifest {
        version: v.into(),
        source: "file".into(),
        origin: "/tmp/docker.tgz".into(),
        archive_kind: ArchiveKind::TarGz,
        archive_sha256: None,
        client_sha256: "00".repeat(32),
        client_size: 3,
        verified_by: Vec::new(),
        installed_at: 0,
        rpm: None,
        repodata_signature: None,
    }
}

fn staged(store: &Store, client: &[u8]) -> Staging {
    let staging = store.stage("20.10.24").unwrap();
    fs::write(staging.client_path(), client).unwrap();
    staging
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
#[test]
fn exchange_swaps_two_folders() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    fs::write(a.join("f"), b"from a").unwrap();
    fs::write(b.join("f"), b"from b").unwrap();
    if !exchange(&a, &b).unwrap() {
        // The fallback is still exercised by `commit` below.
        println!("skipped: this file system cannot exchange folders");
        return;
    }
    assert_eq!(fs::read(a.join("f")).unwrap(), b"from b");
    assert_eq!(fs::read(b.join("f")).unwrap(), b"from a");
    assert!(exchange(&a, &dir.path().join("missing")).is_err());
}

#[test]
fn a_replacing_commit_leaves_the_new_version_and_no_staging() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Layout::under(dir.path()));
    let v = DockerVersion::parse("20.10.24").unwrap();
    let first = store.commit(staged(&store, b"old"), &manifest("20.10.24"), &v, true);
    assert_eq!(first.unwrap(), Committed::Installed);
    let kept = store.commit(staged(&store, b"new"), &manifest("20.10.24"), &v, false);
    assert_eq!(kept.unwrap(), Committed::AlreadyPresent);
    assert_eq!(fs::read(store.layout().client_path(&v)).unwrap(), b"old");
    let replaced = store.commit(staged(&store, b"new"), &manifest("20.10.24"), &v, true);
    assert_eq!(replaced.unwrap(), Committed::Installed);
    assert_eq!(fs::read(store.layout().client_path(&v)).unwrap(), b"new");
    assert!(store.manifest(&v).is_ok());
    let left: Vec<_> = fs::read_dir(store.layout().tmp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
