//! dvm detect against fake daemons on a unix socket, loopback TCP and loopback TCP with TLS.

#[path = "support/daemon.rs"]
mod daemon;

use std::path::Path;
use std::time::Duration;

use daemon::{Behaviour, FakeDaemon, Framing, Pki, eras};
use dvm::detect::{
    Choice, ChoiceReason, DaemonEndpoint, DaemonVersion, Timeouts, choose_client, query_daemon,
    query_daemon_with,
};
use dvm::{Context, DockerVersion, Error, ErrorKind};

fn known() -> Vec<DockerVersion> {
    [
        "1.9.0",
        "1.9.1",
        "1.10.3",
        "1.11.2",
        "1.12.5",
        "1.12.6",
        "1.13.1",
        "17.03.0-ce",
        "17.03.1-ce",
        "17.03.2-ce",
        "17.06.2-ce",
        "18.09.9",
        "19.03.15",
        "20.10.23",
        "20.10.24",
        "24.0.9",
        "28.5.2",
        "29.0.0",
        "29.1.0",
        "29.1.3",
    ]
    .iter()
    .map(|s| DockerVersion::parse(s).unwrap())
    .collect()
}

fn ctx_for(docker_host: &str) -> Context {
    Context::empty("/").with_var("DOCKER_HOST", docker_host)
}

fn tls_ctx(docker_host: &str, cert_path: &Path) -> Context {
    ctx_for(docker_host)
        .with_var("DOCKER_TLS_VERIFY", "1")
        .with_var("DOCKER_CERT_PATH", cert_path)
}

fn detect(ctx: &Context) -> Result<(DaemonVersion, Choice), Error> {
    let daemon = query_daemon(ctx)?;
    let choice = choose_client(&daemon, &known())?;
    Ok((daemon, choice))
}

fn assert_choice(ctx: &Context, version: &str, reason: ChoiceReason) -> Choice {
    let (_, choice) = detect(ctx).unwrap_or_else(|e| panic!("{e} ({:?})", e.hint()));
    assert_eq!(
        (choice.version.to_string().as_str(), choice.reason),
        (version, reason)
    );
    choice
}

fn assert_error(
    result: Result<impl std::fmt::Debug, Error>,
    kind: ErrorKind,
    words: &[&str],
) -> Error {
    let err = result.expect_err("expected an error");
    eprintln!("{err} | {:?}", err.hint());
    assert_eq!(err.kind(), kind, "{err} ({:?})", err.hint());
    let text = format!("{} | {}", err.message(), err.hint().unwrap_or(""));
    for w in words {
        assert!(text.contains(w), "'{w}' not in: {text}");
    }
    assert!(err.hint().is_some(), "no hint: {err}");
    err
}

fn short_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(300),
        total: Duration::from_millis(700),
    }
}

#[test]
fn every_era_over_tcp() {
    use ChoiceReason::*;
    for (body, version, reason) in [
        (eras::V1_9, "1.9.1", SameMaxApi),
        (eras::V1_12_6, "1.12.6", DaemonVersion),
        (eras::V17_03_2, "17.03.2-ce", DaemonVersion),
        (eras::V20_10_24, "20.10.24", DaemonVersion),
        (eras::V29_1_0, "29.1.0", DaemonVersion),
        (eras::FUTURE, "29.1.3", NewerThanTable),
        (eras::SWARM, "1.10.3", SameMaxApi),
    ] {
        let fake = FakeDaemon::tcp(Behaviour::json(body));
        let choice = assert_choice(&ctx_for(&fake.docker_host), version, reason);
        assert_eq!(choice.note.is_some(), reason == NewerThanTable, "{body}");
    }
}

#[test]
fn daemon_fields_are_read_from_the_answer() {
    let fake = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));
    let d = query_daemon(&ctx_for(&fake.docker_host)).unwrap();
    assert_eq!(
        d,
        DaemonVersion {
            version: Some("20.10.24".into()),
            api_version: "1.41".into(),
            min_api_version: Some("1.12".into()),
            os: Some("linux".into()),
            arch: Some("amd64".into()),
        }
    );
    let head = &fake.requests()[0];
    assert!(head.starts_with("GET /version HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nConnection: close\r\n"), "{head}");

    let fake = FakeDaemon::tcp(Behaviour::json(eras::SWARM));
    let d = query_daemon(&ctx_for(&fake.docker_host)).unwrap();
    assert_eq!(d.version.as_deref(), Some("swarm/1.2.8"));
    assert_eq!(d.min_api_version, None);
}

#[test]
fn chunked_and_close_delimited_answers_over_tcp() {
    for framing in [Framing::Chunked, Framing::UntilClose] {
        let fake = FakeDaemon::tcp(Behaviour::json(eras::V17_03_2).framed(framing));
        assert_choice(
            &ctx_for(&fake.docker_host),
            "17.03.2-ce",
            ChoiceReason::DaemonVersion,
        );
    }
}

#[test]
fn garbage_answers_over_tcp() {
    let fake = FakeDaemon::tcp(Behaviour::json(eras::NOT_JSON));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &["not JSON", "It works!", "DOCKER_HOST"],
    );

    let fake = FakeDaemon::tcp(Behaviour::json(eras::JSON_WITHOUT_FIELDS).framed(Framing::Chunked));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &[
            "does not look like a Docker daemon",
            "neither ApiVersion nor Version",
        ],
    );

    let fake = FakeDaemon::tcp(Behaviour::status(404, "page not found"));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &["HTTP 404", "page not found"],
    );

    let fake = FakeDaemon::tcp(Behaviour::status(500, r#"{"message":"daemon is on fire"}"#));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &["HTTP 500", "daemon is on fire"],
    );

    // What dockerd says when plain HTTP reaches its TLS port.
    let fake = FakeDaemon::tcp(Behaviour::status(
        400,
        "Client sent an HTTP request to an HTTPS server.\n",
    ));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &["HTTP 400", "DOCKER_TLS_VERIFY=1"],
    );
}

#[test]
fn eras_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    for (body, version, reason) in [
        (eras::V1_12_6, "1.12.6", ChoiceReason::DaemonVersion),
        (eras::V1_9, "1.9.1", ChoiceReason::SameMaxApi),
    ] {
        let fake = FakeDaemon::unix(dir.path(), Behaviour::json(body));
        assert_choice(&ctx_for(&fake.docker_host), version, reason);
        let head = &fake.requests()[0];
        assert!(head.starts_with("GET /version HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("\r\nHost: docker\r\n"), "{head}");
        drop(fake);
        std::fs::remove_file(dir.path().join("docker.sock")).unwrap();
    }

    let fake = FakeDaemon::unix(
        dir.path(),
        Behaviour::json(eras::V20_10_24).framed(Framing::Chunked),
    );
    assert_choice(
        &ctx_for(&fake.docker_host),
        "20.10.24",
        ChoiceReason::DaemonVersion,
    );
    drop(fake);
    std::fs::remove_file(dir.path().join("docker.sock")).unwrap();

    let fake = FakeDaemon::unix(dir.path(), Behaviour::json(eras::NOT_JSON));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &["not JSON"],
    );
}

#[test]
fn eras_over_tls_with_client_certificates() {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let certs = pki.write_cert_path(&dir.path().join("certs"));
    for (body, version, reason) in [
        (eras::V17_03_2, "17.03.2-ce", ChoiceReason::DaemonVersion),
        (eras::V29_1_0, "29.1.0", ChoiceReason::DaemonVersion),
        (eras::SWARM, "1.10.3", ChoiceReason::SameMaxApi),
    ] {
        let fake = FakeDaemon::tls(&pki, Behaviour::json(body));
        assert_choice(&tls_ctx(&fake.docker_host, &certs), version, reason);
        assert_eq!(fake.requests().len(), 1);
    }

    // The same daemon through localhost and through the https:// spelling.
    let fake = FakeDaemon::tls(&pki, Behaviour::json(eras::V20_10_24));
    let port = fake.docker_host.rsplit(':').next().unwrap();
    let ctx = tls_ctx(&format!("tcp://localhost:{port}"), &certs);
    assert_choice(&ctx, "20.10.24", ChoiceReason::DaemonVersion);
    let ctx = ctx_for(&format!("https://127.0.0.1:{port}")).with_var("DOCKER_CERT_PATH", &certs);
    assert_choice(&ctx, "20.10.24", ChoiceReason::DaemonVersion);

    let fake = FakeDaemon::tls(&pki, Behaviour::status(500, r#"{"message":"boom"}"#));
    assert_error(
        detect(&tls_ctx(&fake.docker_host, &certs)),
        ErrorKind::Daemon,
        &["HTTP 500", "boom"],
    );
}

#[test]
fn tls_with_the_wrong_ca_fails_the_handshake() {
    let pki = Pki::generate();
    let other = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let certs = pki.write_cert_path(&dir.path().join("certs"));
    std::fs::write(certs.join("ca.pem"), &other.ca_pem).unwrap();
    let fake = FakeDaemon::tls(&pki, Behaviour::json(eras::V20_10_24));
    assert_error(
        query_daemon(&tls_ctx(&fake.docker_host, &certs)),
        ErrorKind::Daemon,
        &["TLS", &fake.docker_host, "ca.pem"],
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn tls_with_a_client_certificate_the_daemon_does_not_trust_fails() {
    let pki = Pki::generate();
    let other = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let certs = other.write_cert_path(&dir.path().join("certs"));
    std::fs::write(certs.join("ca.pem"), &pki.ca_pem).unwrap();
    let fake = FakeDaemon::tls(&pki, Behaviour::json(eras::V20_10_24));
    assert_error(
        query_daemon(&tls_ctx(&fake.docker_host, &certs)),
        ErrorKind::Daemon,
        &["TLS", &fake.docker_host, "cert.pem"],
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn tls_against_a_plain_http_daemon_fails() {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let certs = pki.write_cert_path(&dir.path().join("certs"));
    let fake = FakeDaemon::tcp(Behaviour::json(eras::V20_10_24));
    assert_error(
        query_daemon(&tls_ctx(&fake.docker_host, &certs)),
        ErrorKind::Daemon,
        &[&fake.docker_host],
    );
}

#[test]
fn missing_or_broken_certificate_files_are_config_errors() {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let host = "tcp://127.0.0.1:9";
    for (file, what) in [
        ("ca.pem", "CA certificate"),
        ("cert.pem", "client certificate"),
        ("key.pem", "client key"),
    ] {
        let certs = pki.write_cert_path(&dir.path().join(file));
        std::fs::remove_file(certs.join(file)).unwrap();
        let path = certs.join(file).display().to_string();
        assert_error(
            query_daemon(&tls_ctx(host, &certs)),
            ErrorKind::Config,
            &[&path, what, "DOCKER_CERT_PATH"],
        );
    }

    let certs = pki.write_cert_path(&dir.path().join("garbled"));
    std::fs::write(certs.join("key.pem"), "not a key").unwrap();
    assert_error(
        query_daemon(&tls_ctx(host, &certs)),
        ErrorKind::Config,
        &["cert.pem"],
    );

    // DOCKER_CERT_PATH unset: ~/.docker from the context's home.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut ctx = ctx_for(host).with_var("DOCKER_TLS_VERIFY", "1");
    ctx.home = Some(home.clone());
    let want = home.join(".docker").join("ca.pem").display().to_string();
    assert_error(query_daemon(&ctx), ErrorKind::Config, &[&want]);
}

#[test]
fn no_socket_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let host = format!("unix://{}", dir.path().join("docker.sock").display());
    assert_error(
        query_daemon(&ctx_for(&host)),
        ErrorKind::Daemon,
        &[&host, "no such socket", "is the Docker daemon running?"],
    );
}

#[test]
fn a_stale_socket_or_closed_port_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let host = format!("unix://{}", path.display());
    assert_error(
        query_daemon(&ctx_for(&host)),
        ErrorKind::Daemon,
        &["refused", "is the Docker daemon running?"],
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("tcp://127.0.0.1:{port}");
    assert_error(
        query_daemon(&ctx_for(&host)),
        ErrorKind::Daemon,
        &["refused", &host],
    );

    let pki = Pki::generate();
    let certs = pki.write_cert_path(&dir.path().join("certs"));
    assert_error(
        query_daemon(&tls_ctx(&host, &certs)),
        ErrorKind::Daemon,
        &["refused", &host],
    );
}

fn running_as_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join("owner-probe");
    std::fs::write(&probe, b"").unwrap();
    std::fs::metadata(&probe).unwrap().uid() == 0
}

#[test]
fn a_socket_without_permission() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    if running_as_root(dir.path()) {
        eprintln!("skipped: running as root, which ignores socket permissions");
        return;
    }
    let path = dir.path().join("docker.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let host = format!("unix://{}", path.display());
    assert_error(
        query_daemon(&ctx_for(&host)),
        ErrorKind::Daemon,
        &["permission denied", &host, "sudo usermod -aG docker $USER"],
    );
}

#[test]
fn a_windows_pipe_on_linux_is_a_usage_error() {
    assert_error(
        query_daemon(&ctx_for("npipe:////./pipe/docker_engine")),
        ErrorKind::Usage,
        &["named pipe", "DOCKER_HOST=unix:///var/run/docker.sock"],
    );
    assert_error(
        query_daemon(&ctx_for("ssh://me@host")),
        ErrorKind::Usage,
        &["SSH"],
    );
}

#[test]
fn a_daemon_that_never_answers_times_out() {
    let fake = FakeDaemon::tcp(Behaviour::Silent);
    assert_error(
        query_daemon_with(&ctx_for(&fake.docker_host), short_timeouts()),
        ErrorKind::Daemon,
        &["did not answer in time", &fake.docker_host],
    );

    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDaemon::unix(dir.path(), Behaviour::Silent);
    assert_error(
        query_daemon_with(&ctx_for(&fake.docker_host), short_timeouts()),
        ErrorKind::Daemon,
        &["did not answer in time"],
    );

    let pki = Pki::generate();
    let certs = pki.write_cert_path(&dir.path().join("certs"));
    let fake = FakeDaemon::tls(&pki, Behaviour::Silent);
    assert_error(
        query_daemon_with(&tls_ctx(&fake.docker_host, &certs), short_timeouts()),
        ErrorKind::Daemon,
        &["did not answer in time"],
    );
}

#[test]
fn the_default_endpoint_is_the_system_socket() {
    let endpoint = DaemonEndpoint::from_context(&Context::empty("/")).unwrap();
    assert_eq!(endpoint.to_string(), "unix:///var/run/docker.sock");
}
