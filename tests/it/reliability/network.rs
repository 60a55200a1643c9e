//! Server faults through `dvm install`: each ends in a correct install (retry, resume) or a
//! clear error with its documented exit code, never in a bad client; and a later install from
//! an honest server works (nothing poisoned the cache or the trust store).

use std::time::Duration;

use super::common::*;
use crate::support::archives;
use crate::support::env::{Run, TestEnv};
use crate::support::server::{Fault, FixtureServer, Route};

const EXIT_NETWORK: i32 = 4;
const EXIT_ARCHIVE: i32 = 6;

struct Fixture {
    server: FixtureServer,
    t: TestEnv,
    client: Vec<u8>,
    tgz: Vec<u8>,
    path: String,
}

fn fixture() -> Fixture {
    let server = FixtureServer::start();
    let client = padded_client(V, 256 * 1024);
    let tgz = archives::docker_tgz("docker/docker", &client);
    let mut t = remote_env(&server);
    t.env("DVM_RETRIES", "2").env("DVM_STALL_TIMEOUT", "1");
    Fixture {
        server,
        t,
        client,
        tgz,
        path: static_path(V),
    }
}

impl Fixture {
    fn install(&self) -> Run {
        let run = self.t.dvm(["install", V]);
        assert_no_panic(&run, "dvm install");
        run
    }

    /// Whatever happened, the store holds the right client or nothing, and no staging.
    #[track_caller]
    fn assert_good_or_absent(&self, run: &Run) {
        let store = assert_store_consistent(&self.t.home);
        if run.code == 0 {
            assert_eq!(store, [(V.to_string(), sha256_hex(&self.client))]);
        } else {
            assert_eq!(store, [], "a failed install left a version");
            assert!(
                run.stderr.contains("hint") || run.stderr.lines().count() >= 2,
                "the error says what to do next:\n{}",
                run.stderr
            );
        }
        assert_eq!(tmp_leftovers(&self.t.home), Vec::<String>::new());
    }

    /// The honest server comes back: the next install must work and be right.
    #[track_caller]
    fn assert_recovers(&self) {
        self.server.add(&self.path, self.tgz.clone());
        self.install().success();
        assert_eq!(
            assert_store_consistent(&self.t.home),
            [(V.to_string(), sha256_hex(&self.client))]
        );
    }

    fn ranged_requests(&self) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path == self.path && r.range.is_some())
            .count()
    }
}

#[test]
fn server_errors_are_retried() {
    let f = fixture();
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone()).fault(Fault::Status(503)).times(2),
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    assert_eq!(f.server.count(&f.path), 3, "two 503s, then the archive");
}

#[test]
fn a_server_that_keeps_failing_is_a_network_error() {
    for status in [500, 503] {
        let f = fixture();
        f.server.add_with(
            &f.path,
            Route::new(f.tgz.clone()).fault(Fault::Status(status)),
        );
        let run = f.install();
        run.failure(EXIT_NETWORK)
            .stderr_has(&format!("HTTP {status}"));
        f.assert_good_or_absent(&run);
        assert_eq!(f.server.count(&f.path), 3, "one try and two retries");
        f.assert_recovers();
    }
}

#[test]
fn a_reset_connection_is_resumed() {
    let f = fixture();
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone())
            .fault(Fault::ResetAfter(64 * 1024))
            .times(1),
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    assert_eq!(f.ranged_requests(), 1, "{:?}", f.server.requests());
    assert_eq!(f.server.bytes_served(&f.path), f.tgz.len() as u64);
}

#[test]
fn resets_on_every_request_still_make_progress() {
    let f = fixture();
    let chunk = f.tgz.len() as u64 / 4 + 1;
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone()).fault(Fault::ResetAfter(chunk)),
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    assert!(f.ranged_requests() >= 3, "{:?}", f.server.requests());
}

#[test]
fn a_truncated_body_is_resumed() {
    let f = fixture();
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone())
            .fault(Fault::Truncate(100_000))
            .times(1),
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    assert_eq!(f.ranged_requests(), 1);
}

#[test]
fn a_stall_past_the_timeout_is_resumed() {
    let f = fixture();
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone())
            .fault(Fault::Stall {
                after: 50_000,
                pause: Duration::from_secs(3),
            })
            .times(1),
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    assert_eq!(f.ranged_requests(), 1);
}

#[test]
fn a_server_that_never_sends_the_body_times_out() {
    let f = fixture();
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone()).fault(Fault::Stall {
            after: 0,
            pause: Duration::from_secs(4),
        }),
    );
    let run = f.install();
    run.failure(EXIT_NETWORK)
        .stderr_has("gave up after 2 retries");
    f.assert_good_or_absent(&run);
    f.assert_recovers();
}

#[test]
fn a_content_length_larger_than_the_body() {
    let f = fixture();
    let lie = f.tgz.len() as u64 + 10_000;
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone()).fault(Fault::WrongContentLength(lie)),
    );
    let run = f.install();
    run.failure(EXIT_NETWORK)
        .stderr_has("shorter than its announced length");
    f.assert_good_or_absent(&run);
    f.assert_recovers();
}

#[test]
fn a_content_length_smaller_than_the_body() {
    let f = fixture();
    let lie = f.tgz.len() as u64 - 600;
    f.server.add_with(
        &f.path,
        Route::new(f.tgz.clone()).fault(Fault::WrongContentLength(lie)),
    );
    // The client reads only the announced bytes: a gzip stream cut short.
    let run = f.install();
    run.failure(EXIT_ARCHIVE).stderr_has("truncated or corrupt");
    f.assert_good_or_absent(&run);
    // Nothing of the short body was trusted or cached: the honest archive installs.
    f.assert_recovers();
}

#[test]
fn a_redirect_to_another_loopback_host_is_followed() {
    let f = fixture();
    let other = FixtureServer::start();
    other.add("/elsewhere/docker.tgz", f.tgz.clone());
    f.server.add_with(
        &f.path,
        Route::new(Vec::new()).fault(Fault::RedirectTo(other.url_for("/elsewhere/docker.tgz"))),
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    assert_eq!(
        other.bytes_served("/elsewhere/docker.tgz"),
        f.tgz.len() as u64
    );
}

#[test]
fn a_redirect_to_a_plain_http_host_elsewhere_is_refused() {
    let f = fixture();
    // Not loopback, not a configured mirror: dvm must not go there over plain http (and the
    // address is from TEST-NET-1, so nothing would answer anyway).
    f.server.add_with(
        &f.path,
        Route::new(Vec::new()).fault(Fault::RedirectTo(
            "http://192.0.2.1/docker-20.10.25.tgz".into(),
        )),
    );
    let run = f.install();
    run.failure(EXIT_NETWORK).stderr_has("plain http");
    f.assert_good_or_absent(&run);
    f.assert_recovers();
}

#[test]
fn a_range_ignored_mid_transfer_starts_over_in_the_same_run() {
    let f = fixture();
    f.server.add_sequence(
        &f.path,
        vec![
            Route::new(f.tgz.clone()).fault(Fault::ResetAfter(100_000)),
            Route::new(f.tgz.clone()).fault(Fault::IgnoreRange),
        ],
    );
    let run = f.install();
    run.success();
    f.assert_good_or_absent(&run);
    // The resume got the whole file (200), and that answer was read from its start.
    let requests: Vec<_> = f
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == f.path)
        .collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        requests[1].range.is_some() && requests[1].status == 200,
        "{requests:?}"
    );
}

/// The archive is replaced on the server while it downloads: the install extracts the new one
/// (not a mix of both), in the same run.
#[test]
fn a_file_replaced_mid_transfer_installs_the_new_one() {
    let f = fixture();
    let new_client = padded_client(V, 300 * 1024);
    let new_tgz = archives::docker_tgz("docker/docker", &new_client);
    f.server.add_sequence(
        &f.path,
        vec![
            Route::new(f.tgz.clone()).fault(Fault::ResetAfter(100_000)),
            Route::new(new_tgz.clone()),
        ],
    );
    let run = f.install();
    run.success();
    assert_eq!(
        assert_store_consistent(&f.t.home),
        [(V.to_string(), sha256_hex(&new_client))]
    );
    assert_eq!(tmp_leftovers(&f.t.home), Vec::<String>::new());
    // The cache holds the new archive, whole.
    let cached = f.t.home.join("cache/downloads");
    let names = list_dir(&cached);
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(file_sha256(&cached.join(&names[0])), sha256_hex(&new_tgz));
}

#[test]
fn an_html_page_instead_of_the_archive_installs_nothing_and_is_not_trusted() {
    let f = fixture();
    f.server.add_with(
        &f.path,
        Route::html("<html><body>Welcome to the hotel wifi</body></html>"),
    );
    let run = f.install();
    run.failure(EXIT_ARCHIVE);
    f.assert_good_or_absent(&run);
    assert!(
        !f.t.home.join("trust/static-sha256.tsv").exists(),
        "the HTML page was trusted"
    );
    assert_eq!(
        list_dir(&f.t.home.join("cache/downloads")),
        Vec::<String>::new(),
        "the HTML page was cached"
    );
    f.assert_recovers();
}

#[test]
fn a_missing_file_is_not_found() {
    let f = fixture();
    let run = f.install();
    run.failure(3).stderr_has(V);
    f.assert_good_or_absent(&run);
}

/// Every fault, several times over, with the retries the defaults allow. Long run only.
#[test]
fn fault_soak() {
    if !long_tests() {
        return;
    }
    let mut rng = Rng::new(seed());
    let rounds = 40;
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..rounds {
        let f = fixture();
        let len = f.tgz.len() as u64;
        let at = rng.range(1, len);
        let fault = match rng.range(0, 6) {
            0 => Fault::Status(500 + rng.range(0, 4) as u16),
            1 => Fault::ResetAfter(at),
            2 => Fault::Truncate(at),
            3 => Fault::Stall {
                after: at,
                pause: Duration::from_millis(1500),
            },
            4 => Fault::WrongContentLength(rng.range(len / 2, len * 2)),
            _ => Fault::IgnoreRange,
        };
        let times = rng.range(1, 4) as u32;
        f.server
            .add_with(&f.path, Route::new(f.tgz.clone()).fault(fault).times(times));
        let run = f.install();
        assert!(
            [0, EXIT_NETWORK, EXIT_ARCHIVE].contains(&run.code),
            "{}",
            run.stderr
        );
        f.assert_good_or_absent(&run);
        if run.code == 0 {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    println!("reliability: {rounds} random server faults ({ok} recovered, {failed} clean errors)");
}
