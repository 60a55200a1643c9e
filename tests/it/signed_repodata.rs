//! `repodata/repomd.xml.asc`: a repository's detached signature of its repomd.xml, as
//! download.docker.com publishes it. The real binary against the loopback replica; fixture
//! repositories are signed with the committed test key, which TestEnv trusts.

use std::path::{Path, PathBuf};

use crate::remote::{env_for, ls_json};
use crate::support::replica::{self, Package, Replica, RepoChecksum};
use crate::support::signing::{OTHER_KEY, OTHER_KEY_ID, TEST_KEY, TEST_KEY_ID};

fn replica_with(versions: &[&'static str]) -> (Replica, replica::Repo) {
    let r = Replica::empty();
    let pkgs: Vec<Package> = versions
        .iter()
        .map(|ver| Package {
            name: "docker-ce-cli",
            ver,
            rel: "1.el7",
            client_version: Some(ver),
        })
        .collect();
    let repo = r.add_docker_ce_repo("centos/7", "stable", RepoChecksum::Sha256, &pkgs);
    (r, repo)
}

fn verified_by(t: &crate::support::env::TestEnv, version: &str) -> Vec<String> {
    let entry = ls_json(t)
        .into_iter()
        .find(|e| e["version"] == version)
        .unwrap_or_else(|| panic!("{version} is not installed"));
    entry["verified_by"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|m| m.as_str().unwrap_or_default().to_string())
        .collect()
}

fn rpm_requests(r: &Replica) -> usize {
    r.requests()
        .iter()
        .filter(|q| q.path.ends_with(".rpm"))
        .count()
}

fn repomd_url(r: &Replica, repo: &replica::Repo) -> String {
    r.url(&format!("{}/repodata/repomd.xml", repo.base))
}

#[test]
fn a_signed_repomd_makes_its_checksums_signed_repodata() {
    let (r, repo) = replica_with(&["24.0.7"]);
    r.sign_repomd(&repo, TEST_KEY);
    let t = env_for(&r);
    t.dvm(["install", "24.0.7", "--source", "rpm"]).success();
    assert_eq!(
        verified_by(&t, "24.0.7"),
        ["signature", "signed-repodata", "rpm-digests"]
    );
    t.dvm(["verify", "--provenance", "24.0.7"])
        .success()
        .stdout_has(&format!("repodata signed by: key {TEST_KEY_ID}"));

    // Without a repomd.xml.asc the same checksum is plain repodata.
    let (r, _) = replica_with(&["24.0.7"]);
    let t = env_for(&r);
    t.dvm(["install", "24.0.7", "--source", "rpm"]).success();
    assert_eq!(
        verified_by(&t, "24.0.7"),
        ["signature", "repodata", "rpm-digests"]
    );
}

#[test]
fn a_repomd_changed_after_signing_is_refused_and_nothing_is_fetched() {
    let (r, repo) = replica_with(&["24.0.7"]);
    r.sign_repomd(&repo, TEST_KEY);
    let path = format!("{}/repodata/repomd.xml", repo.base);
    let tampered = String::from_utf8(r.server_bytes(&path)).unwrap().replace(
        "<revision>1590000000</revision>",
        "<revision>1590000001</revision>",
    );
    r.put(&path, tampered.into_bytes());
    let t = env_for(&r);
    t.dvm(["install", "24.0.7", "--source", "rpm"])
        .failure(5)
        .stderr_has(&format!("refusing {}", repomd_url(&r, &repo)))
        .stderr_has(&format!("key {TEST_KEY_ID}"))
        .stderr_has("does not match its contents");
    assert_eq!(t.installed(), Vec::<String>::new());
    assert_eq!(rpm_requests(&r), 0);
    // Not a listing failure to step around: ls-remote refuses it too.
    t.dvm(["ls-remote", "--source", "rpm"]).failure(5);
}

#[test]
fn a_repomd_signed_by_an_unknown_key_is_refused_until_the_key_is_added() {
    let (r, repo) = replica_with(&["24.0.7"]);
    r.sign_repomd(&repo, OTHER_KEY);
    let t = env_for(&r);
    t.dvm(["install", "24.0.7", "--source", "rpm"])
        .failure(5)
        .stderr_has(&format!(
            "signed by key {OTHER_KEY_ID}, which dvm does not know"
        ))
        .stderr_has("rpm_keys");
    assert_eq!(t.installed(), Vec::<String>::new());

    let mut t = env_for(&r);
    let keys = format!(
        "{}:{}",
        crate::support::signing::test_public_key().display(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/keys/other.pub.asc")
            .display()
    );
    t.env("DVM_RPM_KEYS", keys);
    t.dvm(["install", "24.0.7", "--source", "rpm"]).success();
    assert!(verified_by(&t, "24.0.7").contains(&"signed-repodata".to_string()));
}

#[test]
fn a_page_that_is_not_a_signature_is_refused_and_not_cached() {
    let (r, repo) = replica_with(&["24.0.7"]);
    let asc = format!("{}/repodata/repomd.xml.asc", repo.base);
    r.put(&asc, b"<html><body>Please log in</body></html>".to_vec());
    let t = env_for(&r);
    t.dvm(["install", "24.0.7", "--source", "rpm"])
        .failure(5)
        .stderr_has(&r.url(&asc))
        .stderr_has("was not cached");
    r.sign_repomd(&repo, TEST_KEY);
    t.dvm(["install", "24.0.7", "--source", "rpm"]).success();
}

/// The listing cache's copy of `url`, named as dvm names it.
fn cached_listing(home: &Path, url: &str) -> PathBuf {
    let cache = dvm::sources::ListingCache {
        dir: dvm::layout::Layout::under(home).listings_dir(),
        ttl: std::time::Duration::ZERO,
        refresh: false,
        offline: false,
    };
    cache.file_for(url)
}

#[test]
fn a_cached_signature_from_an_older_revision_is_read_again_not_called_forged() {
    let (r, repo) = replica_with(&["24.0.7"]);
    r.sign_repomd(&repo, TEST_KEY);
    let t = env_for(&r);
    t.dvm(["ls-remote", "--source", "rpm"]).success();

    // The repository moves on; only repomd.xml's cached copy goes (as when it expires first).
    let next = r.add_docker_ce_repo(
        "centos/7",
        "stable",
        RepoChecksum::Sha256,
        &[Package {
            name: "docker-ce-cli",
            ver: "24.0.8",
            rel: "1.el7",
            client_version: Some("24.0.8"),
        }],
    );
    r.sign_repomd(&next, TEST_KEY);
    let repomd = repomd_url(&r, &next);
    std::fs::remove_file(cached_listing(&t.home, &repomd)).expect("repomd.xml is cached");
    assert!(cached_listing(&t.home, &format!("{repomd}.asc")).is_file());

    t.dvm(["install", "24.0.8", "--source", "rpm"]).success();
    assert!(verified_by(&t, "24.0.8").contains(&"signed-repodata".to_string()));
}

#[test]
fn text_signatures_cover_the_data_with_crlf_line_endings() {
    use dvm::openpgp::{Keyring, verify_detached};
    use pgp::composed::{Deserializable, DetachedSignature, SignedSecretKey};
    use pgp::types::Password;
    use rand::SeedableRng;

    let (key, _) = SignedSecretKey::from_string(TEST_KEY).unwrap();
    let repomd = b"<repomd>\n  <revision>1</revision>\n</repomd>\n";
    let armored = DetachedSignature::sign_text_data(
        rand::rngs::StdRng::seed_from_u64(1),
        &key.primary_key,
        &Password::empty(),
        pgp::crypto::hash::HashAlgorithm::Sha256,
        &repomd[..],
    )
    .unwrap()
    .to_armored_bytes(Default::default())
    .unwrap();
    let public = crate::support::signing::test_public_key();
    let ring = Keyring::with_user_keys(&[public.as_path()]).unwrap();
    let crlf = b"<repomd>\r\n  <revision>1</revision>\r\n</repomd>\r\n";
    for same_text in [&repomd[..], &crlf[..]] {
        let by = verify_detached(&armored, same_text, &ring).unwrap();
        assert_eq!(by.key_id, TEST_KEY_ID);
    }
    let other = b"<repomd>\n  <revision>2</revision>\n</repomd>\n";
    assert!(verify_detached(&armored, other, &ring).is_err());
}
