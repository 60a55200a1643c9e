//! "A new user's first hour", part 2: offline reinstalls from the download cache, replacing a
//! trust-on-first-use record, `doctor --network` without a mirror, and `auto_install` outside
//! the shim.

use crate::support::env::TestEnv;
use crate::support::replica::Replica;

/// Points `t` at a mirror nothing listens on, as when the network is down.
fn network_down(t: &mut TestEnv) {
    t.env("DVM_MIRROR", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9");
}

// ---------------------------------------------------------------------------------------------
// 2. Reinstalling from the cache needs no network

#[test]
fn a_forced_reinstall_with_the_mirror_down_uses_the_cached_rpm_and_checksum() {
    let r = Replica::docker();
    let t = crate::remote::env_for(&r);
    // 1.12.6 comes from yum (the replica has no legacy build of it); 1.8.0 from legacy, with
    // its `.sha256`.
    t.dvm(["install", "1.12.6"]).success();
    t.dvm(["install", "1.8.0"]).success();
    drop(r);
    // The legacy build of 1.12.6 is tried first and its `.sha256` cannot be fetched; the RPM
    // in the download cache, named by the cached repodata, still installs.
    t.dvm(["install", "1.12.6", "--force"])
        .success()
        .stderr_has("using the cached download")
        .stderr_has("installed docker 1.12.6 from")
        .stderr_has("the repository's checksum (repodata)");
    // The `.sha256` kept by the first install still vouches for the cached build.
    t.dvm(["install", "1.8.0", "--force"])
        .success()
        .stderr_has("using the cached download")
        .stderr_has("verified by the .sha256 served by");
    for v in ["1.12.6", "1.8.0"] {
        t.dvm(["install", v, "--force", "--offline"])
            .success()
            .stderr_has("using the cached download");
    }
    assert_eq!(t.installed(), ["1.12.6", "1.8.0"]);
}

#[test]
fn a_network_failure_says_offline_installs_from_the_cache() {
    let r = Replica::docker();
    let mut t = crate::remote::env_for(&r);
    t.dvm(["install", "1.8.0"]).success();
    drop(r);
    network_down(&mut t);
    // Never downloaded: the network is needed, and the hint names the way out that is not.
    t.dvm(["install", "1.13.1-rc1"])
        .failure(4)
        .stderr_has("could not download")
        .stderr_has("--offline installs from the download cache")
        .stderr_has("dvm install 1.13.1-rc1 --offline");
    // A failed install leaves the cache as it was: the cached build still installs offline.
    t.dvm(["install", "1.8.0", "--force"])
        .failure(4)
        .stderr_has("dvm install 1.8.0 --offline");
    t.dvm(["install", "1.8.0", "--force", "--offline"])
        .success()
        .stderr_has("using the cached download")
        .stderr_has("installed docker 1.8.0");
}
