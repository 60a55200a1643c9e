//! `GET /version` over a unix socket, plain TCP or TLS, all through `reqwest`.
//!
//! One client per request: it trusts only the daemon's CA (TLS), ignores proxies, follows no
//! redirect, and is bounded by [`Timeouts`] whatever the transport.

use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use super::endpoint::DaemonEndpoint;
use super::tls::TlsMaterial;
use crate::error::{Error, Result};

/// Largest `/version` body accepted; real ones are about 1 KiB.
const MAX_BODY: u64 = 1024 * 1024;

/// How long to wait for the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the connection (TCP and TLS).
    pub connect: Duration,
    /// For the whole exchange, connection, TLS handshake and body included.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(10),
        }
    }
}

/// A daemon's answer, before its body is looked at.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

pub(crate) fn get_version(endpoint: &DaemonEndpoint, timeouts: Timeouts) -> Result<Response> {
    let builder = reqwest::blocking::Client::builder()
        .connect_timeout(timeouts.connect.min(timeouts.total))
        // The whole exchange: reqwest applies it to connecting, the handshake and every read.
        .timeout(timeouts.total)
        // Proxies are read from the process environment; the daemon is reached directly.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dvm/", env!("CARGO_PKG_VERSION")));
    let (client, url) = match endpoint {
        DaemonEndpoint::Unix(path) => {
            let client = unix_client(endpoint, path, builder)?;
            (client, "http://docker/version".to_string())
        }
        DaemonEndpoint::Tcp { host, port, tls } => {
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            match tls {
                None => (build(builder)?, format!("http://{host}:{port}/version")),
                Some(files) => {
                    let material = TlsMaterial::load(endpoint, files)?;
                    let client = material
                        .apply(builder)
                        .build()
                        .map_err(|e| material.build_failure(endpoint, files, e))?;
                    (client, format!("https://{host}:{port}/version"))
                }
            }
        }
    };
    let response = client
        .get(&url)
        .header("Accept", "application/json")
        .header("Connection", "close")
        .send()
        .map_err(|e| reqwest_failure(endpoint, e))?;
    let status = response.status().as_u16();
    if response.content_length().is_some_and(|len| len > MAX_BODY) {
        return Err(too_big(endpoint));
    }
    let body = read_capped(endpoint, response)?;
    Ok(Response { status, body })
}

fn build(builder: reqwest::blocking::ClientBuilder) -> Result<reqwest::blocking::Client> {
    builder.build().map_err(|e| {
        Error::internal(format!(
            "cannot set up the HTTP client: {}",
            super::tls::chain_text(&e)
        ))
        .with_source(e)
    })
}

#[cfg(unix)]
fn unix_client(
    endpoint: &DaemonEndpoint,
    path: &Path,
    builder: reqwest::blocking::ClientBuilder,
) -> Result<reqwest::blocking::Client> {
    // A path that is no socket is the problem, whatever connect would say (Linux says
    // "connection refused" for a folder).
    if let Some(e) = not_a_socket(endpoint, path) {
        return Err(e);
    }
    build(builder.unix_socket(path))
}

#[cfg(not(unix))]
fn unix_client(
    endpoint: &DaemonEndpoint,
    _path: &Path,
    _builder: reqwest::blocking::ClientBuilder,
) -> Result<reqwest::blocking::Client> {
    Err(Error::usage(format!(
        "{endpoint}: unix sockets are not available on this system"
    ))
    .with_hint("set DOCKER_HOST=tcp://host:port"))
}

#[cfg(unix)]
/// When the path exists but is no socket, that is the problem, whatever connect said (Linux
/// says "connection refused" for a folder).
#[cfg(unix)]
fn not_a_socket(endpoint: &DaemonEndpoint, path: &Path) -> Option<Error> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(path).ok()?.file_type();
    if kind.is_socket() {
        return None;
    }
    let what = if kind.is_dir() {
        "a folder"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a device or pipe"
    };
    let inside = path.join("docker.sock");
    let hint = match std::fs::metadata(&inside) {
        Ok(m) if kind.is_dir() && m.file_type().is_socket() => format!(
            "the socket is probably inside it: set DOCKER_HOST=unix://{}",
            inside.display()
        ),
        _ => "point DOCKER_HOST at the daemon's socket file, e.g. \
              unix:///var/run/docker.sock"
            .to_string(),
    };
    Some(
        Error::daemon(format!(
            "cannot connect to the Docker daemon at {endpoint}: {} is {what}, not a socket",
            path.display()
        ))
        .with_hint(hint),
    )
}

/// A reason the bytes received are not the HTTP answer expected.
fn malformed(endpoint: &DaemonEndpoint, why: &str) -> Error {
    Error::daemon(format!(
        "{endpoint} did not answer like a Docker daemon: {why}"
    ))
    .with_hint("check that DOCKER_HOST points at a Docker daemon")
}

fn too_big(endpoint: &DaemonEndpoint) -> Error {
    malformed(endpoint, "the answer is larger than 1 MiB")
}

/// Reads to end of stream, failing past [`MAX_BODY`].
fn read_capped(endpoint: &DaemonEndpoint, r: impl Read) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    r.take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| body_failure(endpoint, e))?;
    if body.len() as u64 > MAX_BODY {
        return Err(too_big(endpoint));
    }
    Ok(body)
}

/// A failure while reading the body: reqwest hands its own errors inside the io::Error.
fn body_failure(endpoint: &DaemonEndpoint, e: io::Error) -> Error {
    let inner = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<reqwest::Error>());
    if inner.is_some_and(reqwest::Error::is_timeout) || e.kind() == io::ErrorKind::TimedOut {
        return io_failure(
            endpoint,
            "read the answer from",
            io::Error::new(io::ErrorKind::TimedOut, e),
        );
    }
    malformed(
        endpoint,
        &format!(
            "the answer broke off or is not valid HTTP ({})",
            super::tls::chain_text(&e)
        ),
    )
    .with_source(e)
}

/// Turns an OS error while talking to the daemon into an error that says what to do.
fn io_failure(endpoint: &DaemonEndpoint, action: &str, e: io::Error) -> Error {
    use io::ErrorKind as K;
    let is_unix = matches!(endpoint, DaemonEndpoint::Unix(_));
    let start_hint = "is the Docker daemon running? Start it (e.g. `sudo systemctl start docker`) \
                      or point DOCKER_HOST at the daemon you use";
    let (message, hint) = match e.kind() {
        K::NotFound if is_unix => (
            format!("cannot {action} the Docker daemon at {endpoint}: no such socket"),
            format!(
                "{start_hint} (rootless Docker listens on unix://$XDG_RUNTIME_DIR/docker.sock)"
            ),
        ),
        K::PermissionDenied => (
            format!("permission denied to {action} the Docker daemon at {endpoint}"),
            if is_unix {
                "add yourself to the docker group: `sudo usermod -aG docker $USER`, then log in again"
                    .to_string()
            } else {
                "check the firewall and DOCKER_HOST".to_string()
            },
        ),
        K::ConnectionRefused => (
            format!("the Docker daemon at {endpoint} refused the connection"),
            if is_unix {
                format!("the socket exists but nothing listens on it; {start_hint}")
            } else {
                format!("{start_hint}; check the port in DOCKER_HOST")
            },
        ),
        K::TimedOut | K::WouldBlock => (
            format!("the Docker daemon at {endpoint} did not answer in time"),
            "check that DOCKER_HOST points at a Docker daemon and that the daemon is not hung"
                .to_string(),
        ),
        _ => (
            format!("cannot {action} the Docker daemon at {endpoint}: {e}"),
            start_hint.to_string(),
        ),
    };
    Error::daemon(message).with_hint(hint).with_source(e)
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
    if !endpoint.uses_tls() {
        if e.is_connect() {
            return Error::daemon(format!(
                "cannot connect to the Docker daemon at {endpoint}: {details}"
            ))
            .with_hint("check DOCKER_HOST")
            .with_source(e);
        }
        return malformed(
            endpoint,
            &format!("the answer is not valid HTTP ({details})"),
        )
        .with_source(e);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_become_daemon_errors_with_a_next_step() {
        let unix = DaemonEndpoint::Unix("/run/docker.sock".into());
        let tcp = DaemonEndpoint::Tcp {
            host: "10.1.2.3".into(),
            port: 2375,
            tls: None,
        };
        let hint = |endpoint: &DaemonEndpoint, kind: io::ErrorKind| {
            let e = io_failure(endpoint, "connect to", io::Error::from(kind));
            assert_eq!(e.kind(), crate::ErrorKind::Daemon);
            assert!(
                e.message().contains(&endpoint.to_string()),
                "{}",
                e.message()
            );
            format!("{} | {}", e.message(), e.hint().unwrap_or_default())
        };
        let denied = hint(&unix, io::ErrorKind::PermissionDenied);
        assert!(denied.contains("permission denied"), "{denied}");
        assert!(denied.contains("sudo usermod -aG docker $USER"), "{denied}");
        assert!(denied.contains("log in again"), "{denied}");
        assert!(!hint(&tcp, io::ErrorKind::PermissionDenied).contains("usermod"));
        assert!(hint(&unix, io::ErrorKind::NotFound).contains("is the Docker daemon running?"));
        assert!(hint(&tcp, io::ErrorKind::WouldBlock).contains("did not answer in time"));
        assert!(hint(&tcp, io::ErrorKind::TimedOut).contains("did not answer in time"));
        assert!(hint(&tcp, io::ErrorKind::ConnectionRefused).contains("refused"));
        assert!(
            hint(&tcp, io::ErrorKind::HostUnreachable).contains("is the Docker daemon running?")
        );
    }
}
