//! `GET /version` over TLS, through reqwest with rustls: the certificate files read and checked
//! up front so that a setup mistake names the file, and reqwest's errors said plainly.

use std::io;
use std::path::Path;

use super::client::{Response, Timeouts, io_failure, read_capped};
use super::endpoint::{DaemonEndpoint, TlsFiles};
use crate::error::{Error, Result};

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::NotFound {
            format!(
                "put the {what} in {} or set DOCKER_CERT_PATH to the folder holding ca.pem, \
                 cert.pem and key.pem",
                path.display()
            )
        } else {
            format!("check the permissions of {}", path.display())
        };
        Error::config(format!(
            "cannot read the TLS {what} {}: {e}",
            path.display()
        ))
        .with_hint(hint)
        .with_source(e)
    })
}

/// Checks that a file holds PEM of the expected kind, so that a mix-up names the right file.
fn expect_pem(path: &Path, pem: &[u8], what: &str, labels: &[&str]) -> Result<()> {
    let text = String::from_utf8_lossy(pem);
    if labels
        .iter()
        .any(|label| text.contains(&format!("-----BEGIN {label}-----")))
    {
        return Ok(());
    }
    Err(Error::config(format!(
        "{} holds no PEM {what} (no '-----BEGIN {}-----' line)",
        path.display(),
        labels.first().copied().unwrap_or_default()
    ))
    .with_hint(CERT_PATH_LAYOUT))
}

const CERT_PATH_LAYOUT: &str = "the certificate folder (DOCKER_CERT_PATH, or the docker \
     context's TLS folder) must hold ca.pem (the CA that signed the daemon's certificate), \
     cert.pem (your client certificate) and key.pem (its private key), all PEM";

/// What went wrong inside an error: its sources, without reqwest's "builder error" wrapper.
fn reason(e: &reqwest::Error) -> String {
    match std::error::Error::source(e) {
        Some(inner) => chain_text(inner),
        None => chain_text(e),
    }
}

fn tls_client(
    endpoint: &DaemonEndpoint,
    files: &TlsFiles,
    timeouts: Timeouts,
) -> Result<reqwest::blocking::Client> {
    let ca_pem = read_pem(&files.ca, "CA certificate")?;
    let cert_pem = read_pem(&files.cert, "client certificate")?;
    let key_pem = read_pem(&files.key, "client key")?;
    expect_pem(&files.ca, &ca_pem, "CA certificate", &["CERTIFICATE"])?;
    expect_pem(
        &files.cert,
        &cert_pem,
        "client certificate",
        &["CERTIFICATE"],
    )?;
    expect_pem(
        &files.key,
        &key_pem,
        "private key",
        &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"],
    )?;
    let setup_error =
        |message: String| Error::config(format!("cannot set up TLS for {endpoint}: {message}"));
    let ca = reqwest::Certificate::from_pem(&ca_pem).map_err(|e| {
        setup_error(format!(
            "{} is not a usable CA certificate: {}",
            files.ca.display(),
            reason(&e)
        ))
        .with_hint(CERT_PATH_LAYOUT)
        .with_source(e)
    })?;
    let mut identity_pem = cert_pem;
    identity_pem.push(b'\n');
    identity_pem.extend_from_slice(&key_pem);
    let identity = reqwest::Identity::from_pem(&identity_pem).map_err(|e| {
        setup_error(format!(
            "{} and {} are not a PEM certificate and its key: {}",
            files.cert.display(),
            files.key.display(),
            reason(&e)
        ))
        .with_hint(CERT_PATH_LAYOUT)
        .with_source(e)
    })?;

    reqwest::blocking::Client::builder()
        .connect_timeout(timeouts.connect.min(timeouts.total))
        .timeout(timeouts.total)
        // Proxies are read from the process environment; the daemon is reached directly.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dvm/", env!("CARGO_PKG_VERSION")))
        .tls_certs_only([ca.clone()])
        .identity(identity)
        .https_only(true)
        .build()
        .map_err(|e| {
            let (message, hint) = setup_failure(files, &ca, &e);
            setup_error(message).with_hint(hint).with_source(e)
        })
}

/// Which file rustls refused, and why, in words; returns the message and the hint.
fn setup_failure(
    files: &TlsFiles,
    ca: &reqwest::Certificate,
    e: &reqwest::Error,
) -> (String, String) {
    let why = reason(e);
    let (ca_path, cert, key) = (
        files.ca.display(),
        files.cert.display(),
        files.key.display(),
    );
    // The error does not say which file it came from: a client with the CA alone tells.
    let ca_alone = reqwest::blocking::Client::builder()
        .no_proxy()
        .tls_certs_only([ca.clone()])
        .build();
    if ca_alone.is_err() {
        return (
            format!("the CA certificate {ca_path} cannot be used: {why}"),
            format!("{CERT_PATH_LAYOUT}; get a fresh copy of the CA certificate"),
        );
    }
    if why.contains("UnsupportedCertVersion") {
        return (
            format!(
                "the client certificate {cert} is an X.509 v1 certificate, which rustls \
                 (dvm's TLS library) does not accept: {why}"
            ),
            "regenerate it as v3 by giving openssl an extension: `echo \
             extendedKeyUsage=clientAuth > extfile.cnf` and add `-extfile extfile.cnf` to the \
             `openssl x509 -req` command that signs it"
                .to_string(),
        );
    }
    if why.contains("KeyMismatch") {
        return (
            format!("{key} is not the private key of the client certificate {cert}: {why}"),
            "put the key cert.pem was made for in key.pem, or regenerate both".to_string(),
        );
    }
    if why.contains("private key") {
        return (
            format!("{key} is not a private key rustls can use: {why}"),
            "use an RSA, ECDSA or Ed25519 key in PEM (PKCS#8, PKCS#1 or SEC1)".to_string(),
        );
    }
    (
        format!("the client certificate {cert} or its key {key} cannot be used: {why}"),
        format!("{CERT_PATH_LAYOUT}; regenerate the client certificate and key if unsure"),
    )
}

pub(super) fn tls_get(
    endpoint: &DaemonEndpoint,
    files: &TlsFiles,
    timeouts: Timeouts,
) -> Result<Response> {
    let client = tls_client(endpoint, files, timeouts)?;
    let DaemonEndpoint::Tcp { host, port, .. } = endpoint else {
        return Err(Error::internal("TLS requested for a unix socket"));
    };
    let url = if host.contains(':') {
        format!("https://[{host}]:{port}/version")
    } else {
        format!("https://{host}:{port}/version")
    };
    let response = client
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .map_err(|e| reqwest_failure(endpoint, e))?;
    let status = response.status().as_u16();
    let body = read_capped(endpoint, response)?;
    Ok(Response { status, body })
}

/// An error and its sources, "outer: inner: innermost", skipping repeats.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

fn reqwest_failure(endpoint: &DaemonEndpoint, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return io_failure(
            endpoint,
            "reach",
            io::Error::new(io::ErrorKind::TimedOut, e),
        );
    }
    // The OS error, if any, tells a refused connection from a failed handshake.
    let mut chain: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut os_kind = None;
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>()
            && io.raw_os_error().is_some()
        {
            os_kind = Some(io.kind());
        }
        chain.push(err.to_string());
        source = err.source();
    }
    if let Some(kind) = os_kind {
        return io_failure(endpoint, "connect to", io::Error::new(kind, e));
    }
    let details = chain.join(": ");
    let lower = details.to_ascii_lowercase();
    let tls_words = [
        "tls",
        "certificate",
        "alert",
        "handshake",
        "corrupt message",
    ];
    if e.is_connect() || tls_words.iter().any(|w| lower.contains(w)) {
        return Error::daemon(format!(
            "TLS handshake with the Docker daemon at {endpoint} failed: {details}"
        ))
        .with_hint(
            "check that ca.pem in DOCKER_CERT_PATH is the CA that signed the daemon's \
                 certificate, that cert.pem/key.pem are a client certificate it trusts, and \
                 that the daemon uses TLS on this port",
        )
        .with_source(e);
    }
    Error::daemon(format!(
        "cannot talk to the Docker daemon at {endpoint}: {details}"
    ))
    .with_hint("check DOCKER_HOST and DOCKER_TLS_VERIFY")
    .with_source(e)
}
