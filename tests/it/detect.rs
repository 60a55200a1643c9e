//! dvm detect against fake daemons on a unix socket, loopback TCP and loopback TCP with TLS.

use crate::support::daemon;

use std::path::Path;
use std::time::Duration;

use daemon::{Behaviour, DockerConfigDir, FakeDaemon, Framing, Pki, eras};
use dvm::detect::{
    Choice, ChoiceReason, ContextChoice, DaemonEndpoint, DaemonTarget, DaemonVersion, Timeouts,
    choose_client, query_daemon, query_daemon_with,
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
    // Header names are case-insensitive; reqwest sends them in lower case.
    let head = fake.requests()[0].to_ascii_lowercase();
    assert!(head.starts_with("get /version http/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nconnection: close\r\n"), "{head}");

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
        let head = fake.requests()[0].to_ascii_lowercase();
        assert!(head.starts_with("get /version http/1.1\r\n"), "{head}");
        assert!(head.contains("\r\nhost: docker\r\n"), "{head}");
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
    let key = certs.join("key.pem").display().to_string();
    assert_error(
        query_daemon(&tls_ctx(host, &certs)),
        ErrorKind::Config,
        &[&key, "no PEM private key", "cert.pem"],
    );
    // The files swapped: the certificate where the key belongs.
    std::fs::write(certs.join("key.pem"), &pki.client_cert_pem).unwrap();
    assert_error(
        query_daemon(&tls_ctx(host, &certs)),
        ErrorKind::Config,
        &[&key, "no PEM private key"],
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

/// The issue: over TLS, a server that accepts and never answers kept `detect` waiting for
/// minutes. With the default timeouts it must fail as a daemon error (the bound only catches
/// a hang; the deadline is 10 s).
#[test]
fn a_tls_daemon_that_never_answers_fails_within_the_default_deadline() {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let certs = pki.write_cert_path(&dir.path().join("certs"));
    let fake = FakeDaemon::tls(&pki, Behaviour::Silent);
    let started = std::time::Instant::now();
    assert_error(
        query_daemon(&tls_ctx(&fake.docker_host, &certs)),
        ErrorKind::Daemon,
        &["did not answer in time", &fake.docker_host],
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_daemon_without_api_version_is_mapped_through_its_version() {
    let fake = FakeDaemon::tcp(Behaviour::json(r#"{"Version":"1.12.6"}"#));
    let choice = assert_choice(
        &ctx_for(&fake.docker_host),
        "1.12.6",
        ChoiceReason::DaemonVersion,
    );
    assert_eq!(choice.daemon_api.to_string(), "1.24");
    assert!(choice.note.is_some());

    let fake = FakeDaemon::tcp(Behaviour::json("{}"));
    assert_error(
        detect(&ctx_for(&fake.docker_host)),
        ErrorKind::Daemon,
        &["neither ApiVersion nor Version", &fake.docker_host],
    );
}

#[test]
fn the_default_endpoint_is_the_system_socket() {
    let endpoint = DaemonEndpoint::from_context(&Context::empty("/")).unwrap();
    assert_eq!(endpoint.to_string(), "unix:///var/run/docker.sock");
}

/// What rustls refuses while setting up, before any connection: the message names the file and
/// says why, instead of reqwest's bare "builder error".
#[test]
fn tls_setup_errors_name_the_file_and_the_reason() {
    let pki = Pki::generate();
    let other = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let host = "tcp://127.0.0.1:9";

    // A key that belongs to another certificate.
    let certs = pki.write_cert_path(&dir.path().join("mismatch"));
    std::fs::write(certs.join("key.pem"), &other.client_key_pem).unwrap();
    let err = assert_error(
        query_daemon(&tls_ctx(host, &certs)),
        ErrorKind::Config,
        &[
            &certs.join("key.pem").display().to_string(),
            &certs.join("cert.pem").display().to_string(),
            "is not the private key of the client certificate",
            host,
        ],
    );
    assert!(!err.message().contains("builder error"), "{err}");

    // A CA whose PEM wraps something that is not a certificate.
    let certs = pki.write_cert_path(&dir.path().join("badca"));
    std::fs::write(
        certs.join("ca.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    assert_error(
        query_daemon(&tls_ctx(host, &certs)),
        ErrorKind::Config,
        &[
            &certs.join("ca.pem").display().to_string(),
            "CA certificate",
            "cannot be used",
        ],
    );
}

/// What `openssl x509 -req` makes without -extfile: an X.509 v1 client certificate, which
/// rustls refuses. The error says so and how to make a v3 one.
#[test]
fn a_v1_client_certificate_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
    };
    let steps: [&[&str]; 4] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "client.csr",
            "-subj",
            "/CN=client",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
        ],
        &["x509", "-in", "cert.pem", "-noout", "-text"],
    ];
    let mut last = String::new();
    for step in steps {
        match openssl(step) {
            Ok(out) if out.status.success() => last = String::from_utf8_lossy(&out.stdout).into(),
            Ok(out) => panic!("openssl {step:?}: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => {
                eprintln!("skipped: cannot run openssl ({e})");
                return;
            }
        }
    }
    if !last.contains("Version: 1 (0x0)") {
        eprintln!("skipped: this openssl makes v3 certificates by default");
        return;
    }
    let err = assert_error(
        query_daemon(&tls_ctx("tcp://127.0.0.1:9", d)),
        ErrorKind::Config,
        &[
            &d.join("cert.pem").display().to_string(),
            "X.509 v1",
            "rustls",
            "-extfile",
        ],
    );
    assert!(!err.message().contains("builder error"), "{err}");
}

#[test]
fn a_folder_or_a_file_is_not_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let host = format!("unix://{}", dir.path().display());
    let err = assert_error(
        query_daemon(&ctx_for(&host)),
        ErrorKind::Daemon,
        &["is a folder, not a socket", &host, "DOCKER_HOST"],
    );
    assert!(!err.hint().unwrap().contains("nothing listens"), "{err:?}");

    let file = dir.path().join("docker.sock");
    std::fs::write(&file, "").unwrap();
    assert_error(
        query_daemon(&ctx_for(&format!("unix://{}", file.display()))),
        ErrorKind::Daemon,
        &["is a regular file, not a socket"],
    );
    std::fs::remove_file(&file).unwrap();

    // A folder holding the socket: the hint names it.
    let _fake = FakeDaemon::unix(dir.path(), Behaviour::json(eras::V20_10_24));
    assert_error(
        query_daemon(&ctx_for(&host)),
        ErrorKind::Daemon,
        &[
            "is a folder, not a socket",
            &format!("DOCKER_HOST=unix://{}", file.display()),
        ],
    );
}

/// A user home whose docker config folder is `~/.docker`.
fn home_ctx(home: &Path) -> Context {
    let mut ctx = Context::empty("/");
    ctx.home = Some(home.to_path_buf());
    ctx
}

fn target(ctx: &Context) -> DaemonTarget {
    DaemonTarget::from_context(ctx).unwrap_or_else(|e| panic!("{e} ({:?})", e.hint()))
}

#[test]
fn the_current_context_of_config_json_names_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let docker = DockerConfigDir::new(&home.join(".docker"));
    let sockets = dir.path().join("rootless");
    std::fs::create_dir_all(&sockets).unwrap();
    let fake = FakeDaemon::unix(&sockets, Behaviour::json(eras::V29_1_0));
    let meta = docker.add_context("rootless", &fake.docker_host);
    let config = docker.use_context("rootless");

    let ctx = home_ctx(&home);
    let t = target(&ctx);
    assert_eq!(t.endpoint.to_string(), fake.docker_host);
    let named = t.context.as_ref().unwrap();
    assert_eq!(named.name, "rootless");
    assert_eq!(named.chosen_by, ContextChoice::ConfigFile(config));
    assert_eq!(named.meta, meta);
    assert_eq!(
        t.to_string(),
        format!("{} (context rootless)", fake.docker_host)
    );
    // query_daemon follows the context too.
    assert_choice(&ctx, "29.1.0", ChoiceReason::DaemonVersion);
    assert_eq!(fake.requests().len(), 1);

    // The context `default`, or none, is the system socket.
    for current in ["default", ""] {
        docker.use_context(current);
        let t = target(&ctx);
        assert_eq!(
            t.endpoint,
            DaemonEndpoint::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(t.context, None);
    }
    docker.write_config(r#"{"auths":{}}"#);
    assert_eq!(target(&ctx).context, None);
}

#[test]
fn docker_context_overrides_config_json_and_docker_host_overrides_both() {
    let dir = tempfile::tempdir().unwrap();
    let docker = DockerConfigDir::new(&dir.path().join("cfg"));
    docker.add_context("in-config", "tcp://10.0.0.1:2375");
    docker.add_context("in-env", "tcp://10.0.0.2:2375");
    docker.use_context("in-config");
    // DOCKER_CONFIG moves the folder away from ~/.docker (this home has none).
    let ctx = home_ctx(&dir.path().join("empty-home")).with_var("DOCKER_CONFIG", &docker.path);
    let t = target(&ctx);
    assert_eq!(t.endpoint.to_string(), "tcp://10.0.0.1:2375");

    let ctx = ctx.with_var("DOCKER_CONTEXT", "in-env");
    let t = target(&ctx);
    assert_eq!(t.endpoint.to_string(), "tcp://10.0.0.2:2375");
    assert_eq!(t.context.as_ref().unwrap().chosen_by, ContextChoice::EnvVar);
    assert_eq!(t.to_string(), "tcp://10.0.0.2:2375 (context in-env)");

    // DOCKER_CONTEXT=default wins over config.json and means the system socket.
    let t = target(&ctx.clone().with_var("DOCKER_CONTEXT", "default"));
    assert_eq!(t.endpoint.to_string(), "unix:///var/run/docker.sock");
    assert_eq!(t.context, None);

    // DOCKER_HOST wins over everything, even a context that does not exist.
    let ctx = ctx
        .with_var("DOCKER_CONTEXT", "no-such-context")
        .with_var("DOCKER_HOST", "tcp://10.0.0.3:2375");
    let t = target(&ctx);
    assert_eq!(t.endpoint.to_string(), "tcp://10.0.0.3:2375");
    assert_eq!(t.context, None);
}

#[test]
fn an_unknown_context_is_a_config_error_naming_where_it_was_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let docker = DockerConfigDir::new(&dir.path().join("cfg"));
    let ctx = Context::empty("/").with_var("DOCKER_CONFIG", &docker.path);

    let missing = docker.meta_path("ghost").display().to_string();
    assert_error(
        DaemonTarget::from_context(&ctx.clone().with_var("DOCKER_CONTEXT", "ghost")),
        ErrorKind::Config,
        &[
            "'ghost'",
            "DOCKER_CONTEXT",
            "does not exist",
            &missing,
            "docker context ls",
        ],
    );

    let config = docker.use_context("ghost").display().to_string();
    assert_error(
        DaemonTarget::from_context(&ctx),
        ErrorKind::Config,
        &["'ghost'", &config, &missing, "docker context use default"],
    );
}

#[test]
fn broken_context_files_are_config_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let docker = DockerConfigDir::new(&dir.path().join("cfg"));
    let ctx = Context::empty("/")
        .with_var("DOCKER_CONFIG", &docker.path)
        .with_var("DOCKER_CONTEXT", "broken");
    for (meta, why) in [
        ("{not json", "not valid JSON"),
        ("[]", "no Endpoints.docker"),
        (r#"{"Endpoints":{}}"#, "no Endpoints.docker"),
        (
            r#"{"Endpoints":{"docker":{"Host":42}}}"#,
            "Host is not a string",
        ),
        (
            r#"{"Endpoints":{"docker":{"Host":"tcp://h:1","SkipTLSVerify":"no"}}}"#,
            "SkipTLSVerify is not true or false",
        ),
        (
            r#"{"Endpoints":{"docker":{"Host":"gopher://h"}}}"#,
            "unsupported scheme",
        ),
    ] {
        let path = docker.write_meta("broken", meta).display().to_string();
        let err = DaemonTarget::from_context(&ctx).expect_err(meta);
        let text = format!("{} | {}", err.message(), err.hint().unwrap_or_default());
        assert!(text.contains(&path), "{meta}: {text}");
        assert!(text.contains(why), "{meta}: {text}");
        assert!(err.hint().is_some(), "{meta}");
        assert!(
            matches!(err.kind(), ErrorKind::Config | ErrorKind::Usage),
            "{meta}: {err}"
        );
    }

    // An empty Host is the system socket, as for the default context.
    docker.write_meta("broken", r#"{"Endpoints":{"docker":{"Host":""}}}"#);
    let t = target(&ctx);
    assert_eq!(t.endpoint.to_string(), "unix:///var/run/docker.sock");
    assert_eq!(t.context.unwrap().name, "broken");

    // A config.json that is not JSON, or whose currentContext is not a name.
    let plain = Context::empty("/").with_var("DOCKER_CONFIG", &docker.path);
    for (config, why) in [
        ("{\"currentContext\": ", "not valid JSON"),
        (r#"{"currentContext": 7}"#, "currentContext is not a string"),
        ("[1]", "not a JSON object"),
    ] {
        let path = docker.write_config(config).display().to_string();
        assert_error(
            DaemonTarget::from_context(&plain),
            ErrorKind::Config,
            &[&path, why, "DOCKER_HOST"],
        );
    }
}

#[test]
fn an_unreadable_meta_json_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let docker = DockerConfigDir::new(&dir.path().join("cfg"));
    let ctx = Context::empty("/")
        .with_var("DOCKER_CONFIG", &docker.path)
        .with_var("DOCKER_CONTEXT", "locked");
    // A folder where the file should be cannot be read, even by root.
    let meta = docker.meta_path("locked");
    std::fs::create_dir_all(&meta).unwrap();
    assert_error(
        DaemonTarget::from_context(&ctx),
        ErrorKind::Config,
        &["cannot read", &meta.display().to_string(), "permissions"],
    );

    use std::os::unix::fs::PermissionsExt;
    if running_as_root(dir.path()) {
        eprintln!("skipped the permission case: running as root, which reads any file");
        return;
    }
    std::fs::remove_dir(&meta).unwrap();
    docker.add_context("locked", "tcp://h:1");
    std::fs::set_permissions(&meta, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_error(
        DaemonTarget::from_context(&ctx),
        ErrorKind::Config,
        &["cannot read", &meta.display().to_string(), "permissions"],
    );
}

#[test]
fn a_context_with_tls_files_uses_them() {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().unwrap();
    let docker = DockerConfigDir::new(&dir.path().join("cfg"));
    let fake = FakeDaemon::tls(&pki, Behaviour::json(eras::V17_03_2));
    docker.add_context("secure", &fake.docker_host);
    docker.add_tls("secure", &pki);
    let ctx = Context::empty("/")
        .with_var("DOCKER_CONFIG", &docker.path)
        .with_var("DOCKER_CONTEXT", "secure");
    let t = target(&ctx);
    let DaemonEndpoint::Tcp {
        tls: Some(files), ..
    } = &t.endpoint
    else {
        panic!("expected TLS: {t:?}");
    };
    assert_eq!(files.ca, docker.tls_dir("secure").join("ca.pem"));
    assert_choice(&ctx, "17.03.2-ce", ChoiceReason::DaemonVersion);
    assert_eq!(fake.requests().len(), 1);

    // Part of the files: a clear error naming what is missing.
    std::fs::remove_file(docker.tls_dir("secure").join("key.pem")).unwrap();
    assert_error(
        DaemonTarget::from_context(&ctx),
        ErrorKind::Config,
        &[
            "'secure'",
            "no key.pem",
            &docker.tls_dir("secure").display().to_string(),
        ],
    );

    // No files and https://: TLS without certificates is refused.
    std::fs::remove_dir_all(docker.tls_dir("secure")).unwrap();
    docker.add_context("secure", "https://127.0.0.1:2376");
    assert_error(
        DaemonTarget::from_context(&ctx),
        ErrorKind::Config,
        &["needs TLS", "docker context update secure"],
    );

    // SkipTLSVerify is never honoured silently.
    let meta = r#"{"Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2376","SkipTLSVerify":true}}}"#;
    docker.write_meta("secure", meta);
    assert_error(
        DaemonTarget::from_context(&ctx),
        ErrorKind::Config,
        &["SkipTLSVerify", "does not do"],
    );
    // ...but it means nothing for a unix socket.
    docker.write_meta(
        "secure",
        r#"{"Endpoints":{"docker":{"Host":"unix:///run/d.sock","SkipTLSVerify":true}}}"#,
    );
    assert_eq!(target(&ctx).endpoint.to_string(), "unix:///run/d.sock");
}

#[test]
fn failures_through_a_context_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let docker = DockerConfigDir::new(&dir.path().join("cfg"));
    let gone = dir.path().join("gone.sock");
    docker.add_context("rootless", &format!("unix://{}", gone.display()));
    let ctx = Context::empty("/")
        .with_var("DOCKER_CONFIG", &docker.path)
        .with_var("DOCKER_CONTEXT", "rootless");
    assert_error(
        query_daemon(&ctx),
        ErrorKind::Daemon,
        &[
            "docker context 'rootless' (from DOCKER_CONTEXT)",
            &gone.display().to_string(),
            "no such socket",
        ],
    );
}
