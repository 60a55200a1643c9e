//! The TLS client of a daemon: reads and checks the certificate files, and names the file
//! rustls refused when it refuses one.

use std::io;
use std::path::Path;

use super::endpoint::{DaemonEndpoint, TlsFiles};
use crate::error::{Error, Result};

/// The CA certificate and client identity, checked, ready for a reqwest client.
pub(super) struct TlsMaterial {
    ca: reqwest::Certificate,
    identity: reqwest::Identity,
}

impl TlsMaterial {
    /// Reads `files` and checks each holds PEM of the right kind.
    pub(super) fn load(endpoint: &DaemonEndpoint, files: &TlsFiles) -> Result<Self> {
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
        let ca = reqwest::Certificate::from_pem(&ca_pem).map_err(|e| {
            setup_error(
                endpoint,
                format!(
                    "{} is not a usable CA certificate: {}",
                    files.ca.display(),
                    reason(&e)
                ),
            )
            .with_hint(CERT_PATH_LAYOUT)
            .with_source(e)
        })?;
        let mut identity_pem = cert_pem;
        identity_pem.push(b'\n');
        identity_pem.extend_from_slice(&key_pem);
        let identity = reqwest::Identity::from_pem(&identity_pem).map_err(|e| {
            setup_error(
                endpoint,
                format!(
                    "{} and {} are not a PEM certificate and its key: {}",
                    files.cert.display(),
                    files.key.display(),
                    reason(&e)
                ),
            )
            .with_hint(CERT_PATH_LAYOUT)
            .with_source(e)
        })?;
        Ok(TlsMaterial { ca, identity })
    }

    /// Trusts only the CA and presents the client certificate; HTTPS only.
    pub(super) fn apply(
        &self,
        builder: reqwest::blocking::ClientBuilder,
    ) -> reqwest::blocking::ClientBuilder {
        builder
            .tls_certs_only([self.ca.clone()])
            .identity(self.identity.clone())
            .https_only(true)
    }

    /// The error for a client builder that failed with this material.
    pub(super) fn build_failure(
        &self,
        endpoint: &DaemonEndpoint,
        files: &TlsFiles,
        e: reqwest::Error,
    ) -> Error {
        let (message, hint) = setup_failure(files, &self.ca, &e);
        setup_error(endpoint, message)
            .with_hint(hint)
            .with_source(e)
    }
}

fn setup_error(endpoint: &DaemonEndpoint, message: String) -> Error {
    Error::config(format!("cannot set up TLS for {endpoint}: {message}"))
}

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
pub(super) fn reason(e: &reqwest::Error) -> String {
    match std::error::Error::source(e) {
        Some(inner) => chain_text(inner),
        None => chain_text(e),
    }
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

/// An error and its sources, "outer: inner: innermost", skipping repeats.
pub(super) fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
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
