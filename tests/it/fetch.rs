//! The downloader against the loopback fixture server: streaming, hashing, resume, retries,
//! faults, redirects, proxies and the offline switch.

use crate::support::server;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use dvm::http::{Downloaded, Fetcher, MAX_ARTIFACT_SIZE, NetConfig, ProgressEvent};
use dvm::{Context, Error, ErrorKind};
use server::{Fault, FixtureServer, Route};
use sha1::Sha1;
use sha2::{Digest, Sha256};

const FILE: &str = "/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz";

/// Deterministic bytes that do not repeat on chunk boundaries.
fn body(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn fast() -> NetConfig {
    NetConfig {
        retries: 3,
        connect_timeout: Duration::from_secs(5),
        stall_timeout: Duration::from_secs(5),
        retry_backoff: Duration::from_millis(5),
        ..NetConfig::default()
    }
}

fn fetcher(cfg: NetConfig) -> Fetcher {
    Fetcher::new(&Context::empty("/"), cfg).unwrap()
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn sha1(b: &[u8]) -> String {
    hex::encode(Sha1::digest(b))
}

fn with_suffix(dest: &Path, suffix: &str) -> PathBuf {
    let mut s = dest.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Runs a download with a consumer that keeps every byte it is handed.
struct Run {
    result: Result<Downloaded, Error>,
    seen: Vec<u8>,
    events: Vec<ProgressEvent>,
}

fn download(f: &Fetcher, url: &str, dest: &Path) -> Run {
    let events = Mutex::new(Vec::new());
    let progress = |e: ProgressEvent| events.lock().unwrap().push(e);
    let mut seen = Vec::new();
    let result = f.download(
        url,
        dest,
        MAX_ARTIFACT_SIZE,
        &progress,
        &mut |r: &mut dyn Read| {
            r.read_to_end(&mut seen)
                .map(|_| ())
                .map_err(|e| Error::archive(format!("consumer: {e}")))
        },
    );
    Run {
        result,
        seen,
        events: events.into_inner().unwrap(),
    }
}

fn assert_complete(run: &Run, dest: &Path, expected: &[u8]) {
    let d = run.result.as_ref().expect("download succeeds");
    assert_eq!(d.path, dest);
    assert_eq!(d.size, expected.len() as u64);
    assert_eq!(d.sha256, sha256(expected));
    assert_eq!(d.sha1, sha1(expected));
    assert!(run.seen == expected, "the consumer saw a different stream");
    assert!(std::fs::read(dest).unwrap() == expected, "dest differs");
    assert!(!with_suffix(dest, ".part").exists());
    assert!(!with_suffix(dest, ".part.meta").exists());
    assert_eq!(run.events.last(), Some(&ProgressEvent::Finish));
}

fn start_event(run: &Run) -> (Option<u64>, u64) {
    run.events
        .iter()
        .find_map(|e| match e {
            ProgressEvent::Start {
                total,
                resumed_from,
                ..
            } => Some((*total, *resumed_from)),
            _ => None,
        })
        .expect("a Start event")
}

fn retries(run: &Run) -> Vec<u32> {
    run.events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Retry { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect()
}

/// Leaves a `.part` of `cut` bytes and its meta, like a download killed midway.
fn interrupted_download(srv: &FixtureServer, dest: &Path, content: &[u8], cut: u64) {
    interrupted_download_of(srv, dest, Route::new(content), cut);
    assert!(with_suffix(dest, ".part.meta").exists());
}

fn interrupted_download_of(srv: &FixtureServer, dest: &Path, route: Route, cut: u64) {
    srv.add_with(FILE, route.fault(Fault::ResetAfter(cut)).times(1));
    let run = download(
        &fetcher(NetConfig {
            retries: 0,
            ..fast()
        }),
        &srv.url_for(FILE),
        dest,
    );
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(
        std::fs::metadata(with_suffix(dest, ".part")).unwrap().len(),
        cut
    );
    assert!(!dest.exists());
    srv.clear_log();
}

#[test]
fn plain_download_hashes_and_streams_every_byte() {
    let srv = FixtureServer::start();
    let content = body(700_000);
    srv.add(FILE, content.clone());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("downloads/deep/docker-1.12.6.tgz");
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(start_event(&run), (Some(700_000), 0));
    let advanced: u64 = run
        .events
        .iter()
        .map(|e| match e {
            ProgressEvent::Advance { bytes } => *bytes,
            _ => 0,
        })
        .sum();
    assert_eq!(advanced, 700_000);
    assert_eq!(srv.count(FILE), 1);
    assert_eq!(srv.bytes_served(FILE), 700_000);
    assert_eq!(srv.requests()[0].range, None);
}

#[test]
fn a_consumer_that_stops_early_still_gets_the_whole_file_hashed() {
    let srv = FixtureServer::start();
    let content = body(300_000);
    srv.add(FILE, content.clone());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f.tgz");
    let mut head = [0u8; 10];
    let d = fetcher(fast())
        .download(
            &srv.url_for(FILE),
            &dest,
            MAX_ARTIFACT_SIZE,
            &|_| {},
            &mut |r| {
                r.read_exact(&mut head)
                    .map_err(|e| Error::archive(e.to_string()))
            },
        )
        .unwrap();
    assert_eq!(&head[..], &content[..10]);
    assert_eq!(d.sha256, sha256(&content));
    assert_eq!(std::fs::read(&dest).unwrap(), content);
}

#[test]
fn resumes_an_existing_part_with_range_and_if_range() {
    let srv = FixtureServer::start();
    let content = body(500_000);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    interrupted_download(&srv, &dest, &content, 300_000);

    srv.add(FILE, content.clone());
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(start_event(&run), (Some(500_000), 300_000));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].range.as_deref(), Some("bytes=300000-"));
    assert_eq!(reqs[0].if_range, Some(server::content_etag(&content)));
    assert_eq!(reqs[0].status, 206);
    assert_eq!(srv.bytes_served(FILE), 200_000);
}

#[test]
fn a_complete_part_costs_one_byte_to_confirm() {
    let srv = FixtureServer::start();
    let content = body(500_000);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    // Killed after the last byte was written but before the rename.
    interrupted_download(&srv, &dest, &content, 300_000);
    std::fs::write(with_suffix(&dest, ".part"), &content).unwrap();

    srv.add(FILE, content.clone());
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(start_event(&run), (Some(500_000), 499_999));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].range.as_deref(), Some("bytes=499999-"));
    assert_eq!(reqs[0].status, 206);
    assert_eq!(srv.bytes_served(FILE), 1);
}

#[test]
fn resumes_with_last_modified_when_there_is_no_etag() {
    let srv = FixtureServer::start();
    let content = body(300_000);
    let route = || Route::new(content.clone()).etag(None);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    interrupted_download_of(&srv, &dest, route(), 100_000);

    srv.add_with(FILE, route());
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    let reqs = srv.requests();
    assert_eq!(reqs[0].range.as_deref(), Some("bytes=100000-"));
    assert_eq!(
        reqs[0].if_range,
        Some(server::content_last_modified(&content))
    );
    assert_eq!(reqs[0].status, 206);
}

#[test]
fn a_part_from_a_server_without_validators_is_not_resumed_later() {
    let srv = FixtureServer::start();
    let content = body(300_000);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    interrupted_download_of(
        &srv,
        &dest,
        Route::new(content.clone()).without_validators(),
        100_000,
    );
    assert!(!with_suffix(&dest, ".part.meta").exists());

    srv.add_with(FILE, Route::new(content.clone()).without_validators());
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(srv.requests()[0].range, None);
}

/// A server that ignores `If-Range` answers a resume with a 206 of the new file: its ETag
/// differs from the stored one, so the bytes would stitch two files together.
#[test]
fn a_resume_answered_for_another_version_of_the_file_starts_over() {
    let srv = FixtureServer::start();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    interrupted_download(&srv, &dest, &body(400_000), 100_000);

    let new_content: Vec<u8> = body(400_000).iter().map(|b| b ^ 0x5a).collect();
    srv.add_with(
        FILE,
        Route::new(new_content.clone()).fault(Fault::IgnoreIfRange),
    );
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &new_content);
    let reqs = srv.requests();
    assert_eq!(reqs[0].status, 206, "the server did answer the range");
    assert_eq!(
        reqs.last().unwrap().range,
        None,
        "then dvm asked for the whole file"
    );
}

/// The same mid-stream: the connection breaks, and the resume brings another file's bytes.
#[test]
fn a_mid_stream_resume_for_another_version_of_the_file_starts_over() {
    let srv = FixtureServer::start();
    let old = body(400_000);
    let new_content: Vec<u8> = old.iter().map(|b| b ^ 0x5a).collect();
    srv.add_sequence(
        FILE,
        vec![
            Route::new(old.clone()).fault(Fault::ResetAfter(150_000)),
            Route::new(new_content.clone()).fault(Fault::IgnoreIfRange),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download_calls(&fetcher(fast()), &srv.url_for(FILE), &dest, u64::MAX);
    let d = run.result.as_ref().expect("the download starts over");
    assert_eq!(d.sha256, sha256(&new_content));
    assert!(
        std::fs::read(&dest).unwrap() == new_content,
        "dest is stitched"
    );
    assert!(
        run.calls.last().unwrap() == &new_content,
        "the last pass saw the new file"
    );
    let statuses: Vec<u16> = srv.requests().iter().map(|q| q.status).collect();
    assert!(statuses.contains(&206), "{statuses:?}");
    assert_eq!(srv.requests().last().unwrap().range, None);
}

#[test]
fn a_changed_file_restarts_from_zero() {
    let srv = FixtureServer::start();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    interrupted_download(&srv, &dest, &body(400_000), 100_000);

    let new_content: Vec<u8> = body(450_000).iter().map(|b| b ^ 0x5a).collect();
    srv.add(FILE, new_content.clone());
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &new_content);
    assert_eq!(start_event(&run), (Some(450_000), 0));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].range.is_some());
    assert_eq!(reqs[0].status, 200);
}

#[test]
fn a_server_ignoring_range_restarts_from_zero() {
    let srv = FixtureServer::start();
    let content = body(400_000);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    interrupted_download(&srv, &dest, &content, 150_000);

    srv.add_with(FILE, Route::new(content.clone()).fault(Fault::IgnoreRange));
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(start_event(&run), (Some(400_000), 0));
    assert_eq!(srv.requests()[0].range.as_deref(), Some("bytes=150000-"));
    assert_eq!(srv.requests()[0].status, 200);
}

#[test]
fn a_part_without_meta_is_not_trusted() {
    let srv = FixtureServer::start();
    let content = body(100_000);
    srv.add(FILE, content.clone());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    std::fs::write(with_suffix(&dest, ".part"), b"garbage from somewhere").unwrap();
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(srv.requests()[0].range, None);
}

#[test]
fn a_reset_midway_is_resumed_transparently() {
    let srv = FixtureServer::start();
    let content = body(600_000);
    srv.add_with(
        FILE,
        Route::new(content.clone())
            .fault(Fault::ResetAfter(100_000))
            .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(retries(&run), [1]);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=100000-"));
    assert_eq!(reqs[1].status, 206);
    assert_eq!(srv.bytes_served(FILE), 600_000);
}

#[test]
fn repeated_resets_that_make_progress_do_not_exhaust_retries() {
    let srv = FixtureServer::start();
    let content = body(450_000);
    srv.add_with(
        FILE,
        Route::new(content.clone()).fault(Fault::ResetAfter(100_000)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 1,
        ..fast()
    };
    let run = download(&fetcher(cfg), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(srv.count(FILE), 5);
}

#[test]
fn a_truncated_body_is_resumed() {
    let srv = FixtureServer::start();
    let content = body(300_000);
    srv.add_with(
        FILE,
        Route::new(content.clone())
            .fault(Fault::Truncate(200_000))
            .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(srv.requests()[1].range.as_deref(), Some("bytes=200000-"));
}

#[test]
fn a_truncated_body_without_retries_is_a_clear_error_and_keeps_the_part() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(300_000)).fault(Fault::Truncate(200_000)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 0,
        ..fast()
    };
    let err = download(&fetcher(cfg), &srv.url_for(FILE), &dest)
        .result
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains(&srv.url_for(FILE)), "{err}");
    assert!(err.message().contains("200000"), "{err}");
    assert!(err.hint().is_some());
    assert!(!dest.exists());
    assert!(with_suffix(&dest, ".part").exists());
}

/// A download whose consumer keeps what each of its calls was handed, separately.
struct Calls {
    result: Result<Downloaded, Error>,
    calls: Vec<Vec<u8>>,
    events: Vec<ProgressEvent>,
}

/// Runs a download whose consumer reads at most `limit` bytes per call.
fn download_calls(f: &Fetcher, url: &str, dest: &Path, limit: u64) -> Calls {
    let events = Mutex::new(Vec::new());
    let progress = |e: ProgressEvent| events.lock().unwrap().push(e);
    let mut calls = Vec::new();
    let result = f.download(
        url,
        dest,
        MAX_ARTIFACT_SIZE,
        &progress,
        &mut |r: &mut dyn Read| {
            let mut seen = Vec::new();
            let read = r.take(limit).read_to_end(&mut seen);
            calls.push(seen);
            read.map(|_| ())
                .map_err(|e| Error::archive(format!("consumer: {e}")))
        },
    );
    Calls {
        result,
        calls,
        events: events.into_inner().unwrap(),
    }
}

fn starts(events: &[ProgressEvent]) -> Vec<(Option<u64>, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Start {
                total,
                resumed_from,
                ..
            } => Some((*total, *resumed_from)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_file_changed_mid_download_starts_over_in_the_same_run() {
    // The first answer breaks off; the resume (If-Range: the old ETag) gets the new file whole.
    let srv = FixtureServer::start();
    let old = body(1_500_000);
    let new: Vec<u8> = body(1_600_000).iter().map(|b| b ^ 0x3c).collect();
    srv.add_sequence(
        FILE,
        vec![
            Route::new(old.clone()).fault(Fault::ResetAfter(1_000_000)),
            Route::new(new.clone()),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download_calls(&fetcher(fast()), &srv.url_for(FILE), &dest, u64::MAX);
    let d = run
        .result
        .as_ref()
        .expect("the download starts over and succeeds");
    assert_eq!(
        (d.size, d.sha256.as_str()),
        (1_600_000, sha256(&new).as_str())
    );
    assert_eq!(d.sha1, sha1(&new));
    assert!(
        std::fs::read(&dest).unwrap() == new,
        "dest is not the new file"
    );
    assert!(!with_suffix(&dest, ".part").exists());
    assert!(!with_suffix(&dest, ".part.meta").exists());
    // The consumer saw the old file's start (then an error), then the whole new file.
    assert_eq!(run.calls.len(), 2);
    assert!(old.starts_with(&run.calls[0]) && run.calls[0].len() <= 1_000_000);
    assert!(
        run.calls[1] == new,
        "the second call did not get the new file"
    );
    assert_eq!(
        starts(&run.events),
        [(Some(1_500_000), 0), (Some(1_600_000), 0)]
    );
    assert_eq!(run.events.last(), Some(&ProgressEvent::Finish));
    let reqs = srv.requests();
    assert_eq!(
        reqs.len(),
        2,
        "the 200 to the resume is used, not fetched again"
    );
    assert_eq!(reqs[1].range.as_deref(), Some("bytes=1000000-"));
    assert_eq!(reqs[1].if_range, Some(server::content_etag(&old)));
    assert_eq!(reqs[1].status, 200);
}

#[test]
fn a_server_that_ignores_range_mid_transfer_is_read_again_from_the_start() {
    // The first response is cut; the resume answer is a full 200: no duplicate bytes.
    let srv = FixtureServer::start();
    let content = body(300_000);
    srv.add_sequence(
        FILE,
        vec![
            Route::new(content.clone()).fault(Fault::ResetAfter(120_000)),
            Route::new(content.clone()).fault(Fault::IgnoreRange),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download_calls(&fetcher(fast()), &srv.url_for(FILE), &dest, u64::MAX);
    let d = run
        .result
        .as_ref()
        .expect("the download starts over and succeeds");
    assert_eq!(d.sha256, sha256(&content));
    assert_eq!(std::fs::read(&dest).unwrap(), content);
    assert_eq!(run.calls.len(), 2);
    assert_eq!(run.calls[0], &content[..120_000]);
    assert!(run.calls[1] == content);
    assert_eq!(srv.count(FILE), 2);
}

#[test]
fn a_consumer_done_before_the_change_is_called_again() {
    // Its result came from the old file: only a second call on the new one can be trusted.
    let srv = FixtureServer::start();
    let old = body(400_000);
    let new: Vec<u8> = body(400_000).iter().map(|b| b ^ 0x77).collect();
    srv.add_sequence(
        FILE,
        vec![
            Route::new(old.clone()).fault(Fault::ResetAfter(200_000)),
            Route::new(new.clone()),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download_calls(&fetcher(fast()), &srv.url_for(FILE), &dest, 16);
    let d = run
        .result
        .as_ref()
        .expect("the download starts over and succeeds");
    assert_eq!(d.sha256, sha256(&new));
    assert_eq!(run.calls, [old[..16].to_vec(), new[..16].to_vec()]);
}

#[test]
fn a_server_that_ignores_ranges_on_a_breaking_connection_is_not_called_a_changing_file() {
    let srv = FixtureServer::start();
    let content = body(300_000);
    // The same file (same ETag) every time, ranges ignored, the connection cut each time.
    srv.add_with(
        FILE,
        Route::new(content.clone())
            .without_ranges()
            .fault(Fault::ResetAfter(100_000)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 1,
        ..fast()
    };
    let run = download_calls(&fetcher(cfg), &srv.url_for(FILE), &dest, u64::MAX);
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains("ignores range requests"), "{err}");
    assert!(!err.message().contains("kept changing"), "{err}");
    assert!(!dest.exists());
}

#[test]
fn a_file_that_keeps_changing_gives_up_within_the_retries() {
    let srv = FixtureServer::start();
    let versions: Vec<Vec<u8>> = (0..3u8)
        .map(|n| body(300_000).iter().map(|b| b ^ (n + 1)).collect())
        .collect();
    srv.add_sequence(
        FILE,
        vec![
            Route::new(versions[0].clone()).fault(Fault::ResetAfter(100_000)),
            Route::new(versions[1].clone()).fault(Fault::ResetAfter(100_000)),
            Route::new(versions[2].clone()),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 1,
        ..fast()
    };
    let run = download_calls(&fetcher(cfg), &srv.url_for(FILE), &dest, u64::MAX);
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains(&srv.url_for(FILE)), "{err}");
    assert!(err.message().contains("kept changing"), "{err}");
    assert!(err.hint().is_some());
    assert_eq!(run.calls.len(), 2);
    assert_eq!(srv.count(FILE), 3);
    assert!(!dest.exists());
}

#[test]
fn two_503s_then_success() {
    let srv = FixtureServer::start();
    let content = body(50_000);
    srv.add_with(
        FILE,
        Route::new(content.clone())
            .fault(Fault::Status(503))
            .times(2),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(retries(&run), [1, 2]);
    let statuses: Vec<u16> = srv.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[test]
fn a_500_forever_is_a_network_error_after_the_retries() {
    let srv = FixtureServer::start();
    srv.add_with(FILE, Route::new(body(10)).fault(Fault::Status(500)));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 2,
        ..fast()
    };
    let run = download(&fetcher(cfg), &srv.url_for(FILE), &dest);
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains(&srv.url_for(FILE)), "{err}");
    assert!(err.message().contains("500"), "{err}");
    assert!(err.hint().unwrap().contains("DVM_MIRROR"));
    assert_eq!(srv.count(FILE), 3);
    assert!(run.seen.is_empty());
    assert!(!dest.exists());
    assert!(!with_suffix(&dest, ".part").exists());
}

#[test]
fn missing_files_are_not_found_naming_the_url() {
    let srv = FixtureServer::start();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let f = fetcher(fast());
    let err = download(&f, &srv.url_for(FILE), &dest).result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains(&srv.url_for(FILE)), "{err}");
    assert_eq!(srv.count(FILE), 1, "a 404 is not retried");
    for status in [403, 410] {
        srv.add_with(FILE, Route::new(body(1)).status(status));
        let err = download(&f, &srv.url_for(FILE), &dest).result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{status}");
    }
    assert!(!dest.exists());
}

#[test]
fn other_client_errors_are_network_errors_with_the_status() {
    let srv = FixtureServer::start();
    srv.add_with(FILE, Route::new(body(1)).status(401));
    let err = fetcher(fast())
        .get_bytes(&srv.url_for(FILE), 100)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains("401"), "{err}");
    assert_eq!(srv.count(FILE), 1);
}

#[test]
fn a_stall_past_the_stall_timeout_is_retried() {
    let srv = FixtureServer::start();
    let content = body(200_000);
    srv.add_with(
        FILE,
        Route::new(content.clone())
            .fault(Fault::Stall {
                after: 50_000,
                pause: Duration::from_secs(3),
            })
            .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        stall_timeout: Duration::from_millis(300),
        ..fast()
    };
    let run = download(&fetcher(cfg), &srv.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(srv.requests()[1].range.as_deref(), Some("bytes=50000-"));
}

#[test]
fn a_stall_without_retries_is_an_error_that_says_so() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(100_000)).fault(Fault::Stall {
            after: 10_000,
            pause: Duration::from_secs(2),
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 0,
        stall_timeout: Duration::from_millis(300),
        ..fast()
    };
    let err = download(&fetcher(cfg), &srv.url_for(FILE), &dest)
        .result
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains("no data"), "{err}");
}

#[test]
fn a_content_length_longer_than_the_body_never_yields_a_file() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(100_000)).fault(Fault::WrongContentLength(101_000)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let err = download(&fetcher(fast()), &srv.url_for(FILE), &dest)
        .result
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains("shorter"), "{err}");
    assert!(!dest.exists());
}

#[test]
fn redirects_to_another_loopback_port_are_followed() {
    let origin = FixtureServer::start();
    let cdn = FixtureServer::start();
    let content = body(80_000);
    cdn.add("/cdn/docker.tgz", content.clone());
    origin.add_with(
        FILE,
        Route::new(Vec::new()).fault(Fault::RedirectTo(cdn.url_for("/cdn/docker.tgz"))),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let run = download(&fetcher(fast()), &origin.url_for(FILE), &dest);
    assert_complete(&run, &dest, &content);
    assert_eq!(origin.count(FILE), 1);
    assert_eq!(cdn.count("/cdn/docker.tgz"), 1);
}

#[test]
fn redirect_chains_are_limited() {
    let srv = FixtureServer::start();
    srv.add("/r/6", b"end".to_vec());
    for i in 0..6 {
        srv.add_with(
            &format!("/r/{i}"),
            Route::new(Vec::new()).fault(Fault::RedirectTo(srv.url_for(&format!("/r/{}", i + 1)))),
        );
    }
    let f = fetcher(fast());
    assert_eq!(
        f.get_bytes(&srv.url_for("/r/1"), 10).unwrap().unwrap(),
        b"end"
    );
    let err = f.get_bytes(&srv.url_for("/r/0"), 10).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains("too many redirects"), "{err}");
}

#[test]
fn a_redirect_to_plain_http_elsewhere_is_refused() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(Vec::new()).fault(Fault::RedirectTo("http://mirror.invalid/x.tgz".into())),
    );
    let err = fetcher(fast())
        .get_bytes(&srv.url_for(FILE), 100)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains("refusing redirect"), "{err}");
    assert_eq!(srv.count(FILE), 1, "a refused redirect is not retried");
}

#[test]
fn a_consumer_error_removes_the_part_and_leaves_no_file() {
    let srv = FixtureServer::start();
    srv.add(FILE, body(900_000));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let err = fetcher(fast())
        .download(
            &srv.url_for(FILE),
            &dest,
            MAX_ARTIFACT_SIZE,
            &|_| {},
            &mut |r| {
                let mut buf = [0u8; 1000];
                r.read_exact(&mut buf)
                    .map_err(|e| Error::archive(e.to_string()))?;
                Err(Error::archive("not a tar archive"))
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archive);
    assert_eq!(err.message(), "not a tar archive");
    assert!(!dest.exists());
    assert!(!with_suffix(&dest, ".part").exists());
    assert!(!with_suffix(&dest, ".part.meta").exists());
}

#[test]
fn a_network_failure_under_the_consumer_is_reported_as_network() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(300_000)).fault(Fault::ResetAfter(1_000)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let cfg = NetConfig {
        retries: 0,
        ..fast()
    };
    let err = fetcher(cfg)
        .download(
            &srv.url_for(FILE),
            &dest,
            MAX_ARTIFACT_SIZE,
            &|_| {},
            &mut |r| {
                // Like a decompressor: turns the read error into its own.
                std::io::copy(r, &mut std::io::sink())
                    .map(|_| ())
                    .map_err(|e| Error::archive(format!("truncated archive: {e}")))
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(with_suffix(&dest, ".part").exists(), "kept for resuming");
}

#[test]
fn offline_never_touches_the_network() {
    let srv = FixtureServer::start();
    srv.add(FILE, body(10));
    let cfg = NetConfig {
        offline: true,
        ..fast()
    };
    let f = fetcher(cfg);
    let dir = tempfile::tempdir().unwrap();
    let err = download(&f, &srv.url_for(FILE), &dir.path().join("x"))
        .result
        .unwrap_err();
    assert!(err.message().contains("--offline"), "{err}");
    assert!(err.message().contains(&srv.url_for(FILE)), "{err}");
    assert!(f.get_bytes(&srv.url_for(FILE), 100).is_err());
    assert!(srv.requests().is_empty());
}

#[test]
fn plain_http_to_a_public_host_is_refused_before_connecting() {
    let f = fetcher(fast());
    let err = f
        .get_bytes("http://get.docker.com/builds/x.tgz", 100)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.hint().unwrap().contains("mirror"));
    assert!(dvm::http::policy::check_url("http://get.docker.com/x", &[]).is_err());
    assert!(
        dvm::http::policy::check_url(
            "http://get.docker.com/x",
            &["http://get.docker.com/".to_string()]
        )
        .is_ok()
    );
}

#[test]
fn get_bytes_returns_documents_and_none_when_missing() {
    let srv = FixtureServer::start();
    srv.add("/repo/repodata/repomd.xml", b"<repomd/>".to_vec());
    let f = fetcher(fast());
    assert_eq!(
        f.get_bytes(&srv.url_for("/repo/repodata/repomd.xml"), 100)
            .unwrap(),
        Some(b"<repomd/>".to_vec())
    );
    assert_eq!(f.get_bytes(&srv.url_for("/repo/nope"), 100).unwrap(), None);
    let err = f
        .get_bytes(&srv.url_for("/repo/repodata/repomd.xml"), 5)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains("larger"), "{err}");
}

#[test]
fn get_bytes_retries_server_errors() {
    let srv = FixtureServer::start();
    srv.add_with(
        "/doc",
        Route::new(b"ok".to_vec())
            .fault(Fault::Status(502))
            .times(1),
    );
    assert_eq!(
        fetcher(fast()).get_bytes(&srv.url_for("/doc"), 10).unwrap(),
        Some(b"ok".to_vec())
    );
    assert_eq!(srv.count("/doc"), 2);
}

#[test]
fn the_server_dates_are_http_dates() {
    assert_eq!(server::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(
        server::http_date(1_488_386_640),
        "Wed, 01 Mar 2017 16:44:00 GMT"
    );
    assert_eq!(
        server::http_date(951_782_400),
        "Tue, 29 Feb 2000 00:00:00 GMT"
    );
    assert_ne!(
        server::content_last_modified(b"a"),
        server::content_last_modified(b"b")
    );
}

#[test]
fn the_server_lists_directories_like_nginx() {
    let srv = FixtureServer::start();
    srv.add(
        "/download.docker.com/linux/static/stable/x86_64/docker-17.03.0-ce.tgz",
        body(5),
    );
    srv.add(
        "/download.docker.com/linux/static/stable/x86_64/docker-17.03.1-ce.tgz",
        body(6),
    );
    srv.add(
        "/download.docker.com/linux/static/stable/aarch64/docker-18.06.0-ce.tgz",
        body(7),
    );
    let f = fetcher(fast());
    let page = f
        .get_bytes(
            &srv.url_for("/download.docker.com/linux/static/stable/x86_64/"),
            10_000,
        )
        .unwrap()
        .unwrap();
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(r#"<a href="docker-17.03.0-ce.tgz">docker-17.03.0-ce.tgz</a>"#));
    assert!(page.contains(r#"<a href="docker-17.03.1-ce.tgz">docker-17.03.1-ce.tgz</a>"#));
    assert!(!page.contains("18.06"));
    let parent = f
        .get_bytes(
            &srv.url_for("/download.docker.com/linux/static/stable"),
            10_000,
        )
        .unwrap()
        .unwrap();
    let parent = String::from_utf8(parent).unwrap();
    assert!(
        parent.contains(r#"<a href="aarch64/">aarch64/</a>"#),
        "{parent}"
    );
    assert!(parent.contains(r#"<a href="x86_64/">x86_64/</a>"#));
}

#[test]
fn proxies_come_from_the_context_and_skip_loopback() {
    let proxy = FixtureServer::start();
    let origin = FixtureServer::start();
    proxy.add("/mirror.invalid/dvm/f.txt", b"via proxy".to_vec());
    origin.add("/direct.txt", b"direct".to_vec());
    let ctx = Context::empty("/").with_var("http_proxy", proxy.url());
    let cfg = NetConfig {
        insecure_allowed: vec!["http://mirror.invalid/dvm/".into()],
        ..fast()
    };
    let f = Fetcher::new(&ctx, cfg).unwrap();
    assert_eq!(
        f.get_bytes("http://mirror.invalid/dvm/f.txt", 100).unwrap(),
        Some(b"via proxy".to_vec())
    );
    assert_eq!(
        f.get_bytes(&origin.url_for("/direct.txt"), 100).unwrap(),
        Some(b"direct".to_vec())
    );
    assert_eq!(proxy.requests().len(), 1);
    assert_eq!(origin.count("/direct.txt"), 1);
}

#[test]
fn a_refused_connection_is_retried_then_a_network_error_with_a_hint() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/x.tgz");
    let dir = tempfile::tempdir().unwrap();
    let cfg = NetConfig {
        retries: 2,
        ..fast()
    };
    let run = download(&fetcher(cfg), &url, &dir.path().join("x.tgz"));
    assert_eq!(retries(&run), [1, 2]);
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.message().contains(&url), "{err}");
    assert!(err.hint().unwrap().contains("proxy"));
}

#[test]
fn https_to_a_server_that_does_not_speak_tls_fails_as_network() {
    let srv = FixtureServer::start();
    srv.add(FILE, body(10));
    let url = srv.url_for(FILE).replace("http://", "https://");
    let cfg = NetConfig {
        retries: 0,
        ..fast()
    };
    let err = fetcher(cfg).get_bytes(&url, 100).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains(&url), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Size limits

/// A download with the given ceiling and a consumer that reads everything it is handed.
fn download_at_most(srv: &FixtureServer, dest: &Path, limit: u64) -> Result<Downloaded, Error> {
    fetcher(fast()).download(&srv.url_for(FILE), dest, limit, &|_| {}, &mut |r| {
        std::io::copy(r, &mut std::io::sink())
            .map(|_| ())
            .map_err(|e| Error::archive(format!("consumer: {e}")))
    })
}

#[test]
fn a_file_announced_longer_than_its_limit_is_refused_before_its_body() {
    let srv = FixtureServer::start();
    srv.add(FILE, body(200_000));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let err = download_at_most(&srv, &dest, 10_000).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archive, "{err}");
    assert!(err.message().contains("announces 200000 bytes"), "{err}");
    assert!(!dest.exists() && !with_suffix(&dest, ".part").exists());
}

#[test]
fn a_server_that_keeps_sending_is_cut_off_at_the_limit_and_leaves_no_part() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(5_000)).fault(Fault::Unannounced { extra: 64 << 20 }),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let err = download_at_most(&srv, &dest, 100_000).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archive, "{err}");
    assert!(
        err.message().contains("sent more than 100000 bytes"),
        "{err}"
    );
    assert!(!dest.exists());
    assert!(!with_suffix(&dest, ".part").exists());
    assert!(!with_suffix(&dest, ".part.meta").exists());
    // Whatever the socket buffers held, dvm stopped reading long before the server's 64 MiB.
    assert!(
        srv.bytes_served(FILE) < 16 << 20,
        "{}",
        srv.bytes_served(FILE)
    );
}

#[test]
fn a_file_within_its_limit_without_a_length_downloads() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(5_000)).fault(Fault::Unannounced { extra: 0 }),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("docker.tgz");
    let d = download_at_most(&srv, &dest, 5_000).expect("exactly at the limit is fine");
    assert_eq!(d.size, 5_000);
}

/// A server that sends a listing a byte at a time never trips the stall timeout (each read
/// gets something); the total deadline for small documents, 4 stall timeouts, ends it.
#[test]
fn a_listing_sent_a_byte_at_a_time_ends_at_its_total_deadline() {
    let srv = FixtureServer::start();
    srv.add_with(
        FILE,
        Route::new(body(20_000)).fault(Fault::Drip {
            every: Duration::from_millis(20),
        }),
    );
    let cfg = NetConfig {
        stall_timeout: Duration::from_millis(250),
        ..fast()
    };
    let started = std::time::Instant::now();
    let err = fetcher(cfg)
        .get_bytes(&srv.url_for(FILE), 1 << 20)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains("took more than 1.0s"), "{err}");
    // 20,000 bytes at 20 ms each would take 400 s.
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Headers too large for the client never shrink on a retry: one request, then the error.
#[test]
fn a_response_whose_headers_are_too_large_is_not_retried() {
    let srv = FixtureServer::start();
    let mut route = Route::new(body(1_000));
    route
        .headers
        .push(("X-Padding".to_string(), "x".repeat(512 * 1024)));
    srv.add_with(FILE, route);
    let dir = tempfile::tempdir().unwrap();
    let run = download(&fetcher(fast()), &srv.url_for(FILE), &dir.path().join("f"));
    let err = run.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains("too large"), "{err}");
    assert!(
        err.hint()
            .unwrap()
            .contains("asking again will not change that"),
        "{err}"
    );
    assert_eq!(srv.requests().len(), 1, "retried: {:?}", srv.requests());
}
